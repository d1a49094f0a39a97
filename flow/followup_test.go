package flow_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/flowlab/flowlab/flow"
)

const followUpFlow = `key: demo
version: 1
departments: [cs, tech]
follow_up:
  share: %s
  after: 2d
  department: cs
  sla: 4h
  assign: {rule: sticky, sticky: [record], fallback: [least_loaded]}
steps:
  - id: record
    kind: task
    department: cs
    sla: 1h
    outcomes: [{name: done, next: fix}]
  - id: fix
    kind: task
    department: tech
    sla: 2h
    outcomes: [{name: done, next: closed}]
  - id: closed
    kind: end
`

// A follow_up block parses with its share written as a percentage or as a
// fraction, and survives the JSON round trip of a workflow input and the
// YAML round trip of an editor.
func TestFollowUpParses(t *testing.T) {
	t.Parallel()
	for _, share := range []string{"15%", "15 %", "0.15", ".15", `"15%"`} {
		t.Run(share, func(t *testing.T) {
			def, diags := flow.Load(fmt.Appendf(nil, followUpFlow, share), flow.ValidateOptions{})
			require.Empty(t, diags.Errors(), diags)
			require.Equal(t, &flow.FollowUp{
				Share: 0.15, After: flow.Duration(48 * time.Hour), Department: "cs", SLA: flow.Duration(4 * time.Hour),
				Assign: &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"record"}, Fallback: []string{flow.AssignLeastLoaded}},
			}, def.FollowUp)

			js, err := json.Marshal(def)
			require.NoError(t, err)
			require.Contains(t, string(js), `"follow_up":{"share":0.15,"after":"2d","department":"cs","sla":"4h"`)
			var back flow.Definition
			require.NoError(t, json.Unmarshal(js, &back))
			require.Equal(t, def.FollowUp, back.FollowUp)

			ys, err := yaml.Marshal(def)
			require.NoError(t, err)
			require.Contains(t, string(ys), "share: 15%")
			again, diags := flow.Load(ys, flow.ValidateOptions{})
			require.Empty(t, diags.Errors(), diags)
			require.Equal(t, def.FollowUp, again.FollowUp)
		})
	}
	def, diags := flow.Load(fmt.Appendf(nil, followUpFlow, "100%"), flow.ValidateOptions{})
	require.Empty(t, diags.Errors(), diags)
	require.Equal(t, flow.Share(1), def.FollowUp.Share, "everyone may be called back")

	var none flow.Definition
	js, err := json.Marshal(none)
	require.NoError(t, err)
	require.NotContains(t, string(js), "follow_up", "a flow without a follow-up keeps the JSON it had (workflow inputs)")
}

// Each problem of a follow_up block is an error at its field, naming it.
func TestFollowUpValidation(t *testing.T) {
	t.Parallel()
	load := func(t *testing.T, block string) []string {
		t.Helper()
		src := strings.Replace(followUpFlow, "follow_up:\n  share: %s\n  after: 2d\n  department: cs\n  sla: 4h\n  assign: {rule: sticky, sticky: [record], fallback: [least_loaded]}\n", block, 1)
		_, diags := flow.Load([]byte(src), flow.ValidateOptions{})
		var out []string
		for _, d := range diags.Errors() {
			out = append(out, fmt.Sprintf("%s %s: %s", d.Path, d.Code, d.Message))
		}
		return out
	}
	tests := []struct{ block, want string }{
		{"follow_up: {share: 0%, after: 2d, department: cs}\n", "follow_up.share bad-follow-up-share: the share of the follow-up must be more than 0% (and at most 100%)"},
		{"follow_up: {share: -5%, after: 2d, department: cs}\n", "follow_up.share bad-follow-up-share"},
		{"follow_up: {share: 15, after: 2d, department: cs}\n", "follow_up.share bad-follow-up-share: the share of the follow-up is 1500%, more than 100%; write 15% or 0.15 for fifteen percent"},
		{"follow_up: {share: 100.5%, after: 2d, department: cs}\n", "follow_up.share bad-follow-up-share"},
		{"follow_up: {share: half, after: 2d, department: cs}\n", `follow_up.share bad-type: "share" must be a percentage like 15% or a fraction like 0.15, found "half"`},
		{"follow_up: {share: [15%], after: 2d, department: cs}\n", "follow_up.share bad-type"},
		{"follow_up: {share: 15%, department: cs}\n", "follow_up.after missing-follow-up-after"},
		{"follow_up: {share: 15%, after: 91d, department: cs}\n", "follow_up.after bad-follow-up-after: the after of the follow-up is 91d; at most 90d"},
		{"follow_up: {share: 15%, after: soon, department: cs}\n", "follow_up.after bad-duration"},
		{"follow_up: {share: 15%, after: 2d}\n", "follow_up.department missing-department"},
		{"follow_up: {share: 15%, after: 2d, department: sales}\n", `follow_up.department unknown-department: department "sales" of the follow-up is not in the flow's departments (cs, tech)`},
		{"follow_up: {share: 15%, after: 2d, department: cs, sla: 0s}\n", "follow_up.sla bad-duration"},
		{"follow_up: {share: 15%, after: 2d, department: cs, assign: {rule: sticky, sticky: [nowhere]}}\n", "follow_up.assign.sticky[0] unknown-assign-step"},
		{"follow_up: {share: 15%, after: 2d, department: cs, owner: bob}\n", "follow_up.owner unknown-field"},
		{"follow_up: 15%\n", "follow_up bad-type"},
	}
	for _, tc := range tests {
		t.Run(tc.block, func(t *testing.T) {
			got := load(t, tc.block)
			require.Len(t, got, 1, "%v", got)
			require.True(t, strings.HasPrefix(got[0], tc.want), "got %q, want %q", got[0], tc.want)
		})
	}
	require.Empty(t, load(t, "follow_up: {share: 0.5%, after: 90d, department: tech}\n"), "the bounds themselves are allowed")

	// A definition that did not come from YAML (JSON: flows as data are
	// untrusted too) is checked the same, without positions.
	var d flow.Definition
	require.NoError(t, json.Unmarshal([]byte(`{"key":"demo","departments":["cs"],"follow_up":{"share":"150%","after":"2d","department":"cs"},
		"steps":[{"id":"a","kind":"task","department":"cs","sla":"1h","outcomes":[{"name":"done","next":"b"}]},{"id":"b","kind":"end"}]}`), &d))
	diags := flow.Validate(&d, flow.ValidateOptions{})
	require.Len(t, diags.Errors(), 1, diags)
	require.Equal(t, "bad-follow-up-share", diags.Errors()[0].Code)
	require.Error(t, json.Unmarshal([]byte(`{"share":"lots"}`), &flow.FollowUp{}))
}

// A department named only by the follow-up is used: no unused-department
// warning.
func TestFollowUpDepartmentIsUsed(t *testing.T) {
	t.Parallel()
	src := `key: demo
version: 1
departments: [cs, callers]
follow_up: {share: 15%, after: 2d, department: callers}
steps:
  - {id: a, kind: task, department: cs, sla: 1h, outcomes: [{name: done, next: b}]}
  - {id: b, kind: end}
`
	_, diags := flow.Load([]byte(src), flow.ValidateOptions{})
	require.Empty(t, diags, diags)
}

// The diff of two versions names a follow-up added, changed or removed.
func TestDiffFollowUp(t *testing.T) {
	t.Parallel()
	from, diags := flow.Load(fmt.Appendf(nil, followUpFlow, "15%"), flow.ValidateOptions{})
	require.Empty(t, diags.Errors())
	to, diags := flow.Load(fmt.Appendf(nil, followUpFlow, "20%"), flow.ValidateOptions{})
	require.Empty(t, diags.Errors())
	d := flow.Diff(from, to)
	require.Equal(t, []flow.FieldChange{{Field: "follow_up",
		From: "call 15% after 2d in cs, sla 4h, assign sticky (record), then least_loaded",
		To:   "call 20% after 2d in cs, sla 4h, assign sticky (record), then least_loaded"}}, d.Flow)
	without := *to
	without.FollowUp = nil
	d = flow.Diff(to, &without)
	require.Equal(t, []flow.FieldChange{{Field: "follow_up", From: "call 20% after 2d in cs, sla 4h, assign sticky (record), then least_loaded"}}, d.Flow)
	require.True(t, flow.Diff(from, from).Empty())
}

// The follow-up sample is a pure function of the case id: of 1,000
// closed cases (UUIDs as the API makes them, derived here from their
// index) a share of 15 % calls back between 12 % and 18 %, and asking
// again picks exactly the same cases (issue 21's "done when"). A larger
// share keeps every case a smaller one picked.
func TestSampledIsAStableShare(t *testing.T) {
	t.Parallel()
	ns := uuid.MustParse("8a0f6d4e-3c1b-4f5e-9a7d-2b6c0e1f4a53")
	ids := make([]string, 1000)
	for i := range ids {
		ids[i] = uuid.NewSHA1(ns, []byte(strconv.Itoa(i))).String()
	}
	pick := func(share float64) []string {
		var out []string
		for _, id := range ids {
			if flow.Sampled(id, share) {
				out = append(out, id)
			}
		}
		return out
	}
	first := pick(0.15)
	require.GreaterOrEqual(t, len(first), 120, "at least 12 %%: %d of 1,000", len(first))
	require.LessOrEqual(t, len(first), 180, "at most 18 %%: %d of 1,000", len(first))
	t.Logf("share 15%%: %d of 1,000 cases sampled", len(first))
	require.Equal(t, first, pick(0.15), "the second run samples the same cases")

	wider := pick(0.30)
	for _, id := range first {
		require.Contains(t, wider, id)
	}
	require.Len(t, pick(1), 1000, "a share of 100 %% calls everyone back")
	require.Empty(t, pick(0), "a share of 0 calls nobody")
	for _, id := range ids[:50] {
		u := flow.SampleDraw(id)
		require.True(t, u >= 0 && u < 1, "%v", u)
	}
	// A fixed value, so that a change of the hash (which would move
	// running cases between sampled and not) fails here first.
	require.Equal(t, 0.6460522340457131, flow.SampleDraw("3f2b1c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d"))
}

func TestShareText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want flow.Share
		text string
	}{
		{"15%", 0.15, "15%"}, {"12.5%", 0.125, "12.5%"}, {"0.15", 0.15, "15%"}, {"1", 1, "100%"},
		{" 7 % ", 0.07, "7%"}, {"33.333%", 0.33333, "33.333%"}, {"0.001%", 0.00001, "0.001%"},
	} {
		s, err := flow.ParseShare(tc.in)
		require.NoError(t, err, tc.in)
		require.InDelta(t, float64(tc.want), float64(s), 1e-15, tc.in)
		require.Equal(t, tc.text, s.String(), tc.in)
		back, err := flow.ParseShare(s.String())
		require.NoError(t, err)
		require.Equal(t, s, back, "the text reads back as the same fraction")
	}
	for _, bad := range []string{"", "%", "abc%", "NaN", "Inf%", "1e400"} {
		_, err := flow.ParseShare(bad)
		require.Error(t, err, bad)
	}
}

// The answers of a follow-up call: with the outcome answered the
// improvement answer is required and CSAT, when given, is a whole number
// from 1 to 5 (a number or its text, as the web form posts it); the
// comment is bounded; unreachable keeps nothing.
func TestCheckFollowUpAnswers(t *testing.T) {
	t.Parallel()
	ok := func(data map[string]any) *flow.FollowUpAnswers {
		t.Helper()
		a, msg := flow.CheckFollowUpAnswers(flow.FollowUpAnswered, data)
		require.Empty(t, msg)
		return a
	}
	four := 4
	require.Equal(t, &flow.FollowUpAnswers{Improvement: "yes", CSAT: &four, Comment: "much faster"},
		ok(map[string]any{"improvement": "yes", "csat": 4.0, "comment": " much faster "}))
	require.Equal(t, &flow.FollowUpAnswers{Improvement: "not_sure", CSAT: &four}, ok(map[string]any{"improvement": "not_sure", "csat": "4"}))
	require.Equal(t, &flow.FollowUpAnswers{Improvement: "no"}, ok(map[string]any{"improvement": "no", "csat": ""}))
	require.Equal(t, &flow.FollowUpAnswers{Improvement: "no"}, ok(map[string]any{"improvement": "no", "csat": nil}))

	bad := func(data map[string]any, want string) {
		t.Helper()
		a, msg := flow.CheckFollowUpAnswers(flow.FollowUpAnswered, data)
		require.Nil(t, a)
		require.True(t, strings.HasPrefix(msg, want), "got %q, want %q", msg, want)
	}
	bad(map[string]any{}, `field "improvement" is required when the customer answered`)
	bad(map[string]any{"improvement": "maybe"}, `field "improvement" must be one of yes, no, not_sure`)
	bad(map[string]any{"improvement": true}, `field "improvement" must be one of`)
	for _, csat := range []any{0.0, 6.0, 4.5, "four", true, -1.0, map[string]any{}} {
		bad(map[string]any{"improvement": "yes", "csat": csat}, `field "csat" must be a whole number from 1 to 5`)
	}
	bad(map[string]any{"improvement": "yes", "comment": strings.Repeat("é", flow.MaxFollowUpComment+1)}, `field "comment" is 2001 characters long; at most 2000`)
	bad(map[string]any{"improvement": "yes", "comment": 3.0}, `field "comment" must be text`)
	require.NotNil(t, ok(map[string]any{"improvement": "yes", "comment": strings.Repeat("é", flow.MaxFollowUpComment)}))

	a, msg := flow.CheckFollowUpAnswers(flow.FollowUpUnreachable, map[string]any{"improvement": "maybe"})
	require.Nil(t, a)
	require.Empty(t, msg, "nobody answered: nothing is checked or kept")
}

// The follow-up call's step is a task step of the follow-up's department
// whose form Validate accepts, under an id no flow step can have.
func TestFollowUpStepDef(t *testing.T) {
	t.Parallel()
	f := &flow.FollowUp{Share: 0.15, After: flow.Duration(48 * time.Hour), Department: "cs", SLA: flow.Duration(time.Hour)}
	st := f.FollowUpStepDef()
	require.Equal(t, flow.KindTask, st.Kind)
	require.Equal(t, "cs", st.Department)
	require.Equal(t, flow.Duration(time.Hour), st.SLA)
	require.Equal(t, []string{flow.AssignPull}, st.Assign.Rules())
	def := &flow.Definition{Key: "demo", Departments: []string{"cs"}, Steps: []flow.Step{
		{ID: "a", Kind: flow.KindTask, Department: "cs", SLA: flow.Duration(time.Hour), Form: st.Form, Outcomes: []flow.Outcome{{Name: "done", Next: "b"}}},
		{ID: "b", Kind: flow.KindEnd},
	}}
	require.Empty(t, flow.Validate(def, flow.ValidateOptions{}).Errors(), "the call's form is a valid form")
	def.Steps[0].ID = flow.FollowUpStep
	def.Start = flow.FollowUpStep
	require.NotEmpty(t, flow.Validate(def, flow.ValidateOptions{}).Errors(), "no flow step can be called %q", flow.FollowUpStep)
}
