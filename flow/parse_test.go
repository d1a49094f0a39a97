package flow

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func render(ds Diagnostics) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		src     string
		nilDef  bool
		want    []string
		wantDef func(t *testing.T, d *Definition)
	}{
		{
			name:   "syntax error",
			src:    "key: [a\n",
			nilDef: true,
			// yaml.v3 says line 1: its parser errors count lines from 0.
			// The problem is the end of the document, on line 2.
			want: []string{`2: error: invalid YAML: did not find expected ',' or ']' (syntax)`},
		},
		{
			name:   "tab indentation",
			src:    "key: a\n\tversion: 1\n",
			nilDef: true,
			want:   []string{`2:1: error: invalid YAML: found a tab character that violates indentation; indent with spaces (syntax)`},
		},
		{
			name:   "tab indentation under a step, placed at the tab",
			src:    "key: demo\nversion: 1\nsteps:\n  - id: a\n    kind: end\n\tname: x\n",
			nilDef: true,
			want:   []string{`6:1: error: invalid YAML: found a tab character that violates indentation; indent with spaces (syntax)`},
		},
		{
			name:   "tab after spaces, placed at the tab",
			src:    "key: demo\nversion: 1\nsteps:\n  - id: a\n  \t  kind: end\n",
			nilDef: true,
			want:   []string{`5:3: error: invalid YAML: found a tab character that violates indentation; indent with spaces (syntax)`},
		},
		{
			name:   "tab before a list item, placed at the tab",
			src:    "key: demo\nversion: 1\nsteps:\n\t- id: closed\n",
			nilDef: true,
			want:   []string{`4:1: error: invalid YAML: found character that cannot start any token (a tab; indent with spaces) (syntax)`},
		},
		{
			name: "unknown top-level field with suggestion",
			src:  "key: a\nverison: 1\n",
			want: []string{`2:1: error: unknown field "verison" in the flow definition; did you mean "version"? (unknown-field)`},
		},
		{
			name: "unknown field without a close match",
			src:  "key: a\nowner: bob\n",
			want: []string{`2:1: error: unknown field "owner" in the flow definition (unknown-field)`},
		},
		{
			name: "wrong types",
			src:  "key: a\nversion: one\nsteps: {a: 1}\n",
			want: []string{
				`2:10: error: "version" must be a whole number, found "one" (bad-type)`,
				`3:8: error: "steps" must be a list, found a mapping (bad-type)`,
			},
		},
		{
			name: "all errors of a step are collected",
			src:  "key: a\nsla: 5 hours\nsteps:\n  - id: a\n    kind: task\n    sla: 0m\n    nxt: b\n    pause_sla: maybe\n    params: [1]\n",
			want: []string{
				`2:6: error: "sla": invalid duration "5 hours": use forms like 30m, 4h, 2d or 1d12h (bad-duration)`,
				`6:10: error: "sla" must be longer than zero (bad-duration)`,
				`7:5: error: unknown field "nxt" in step "a"; did you mean "next"? (unknown-field)`,
				`8:16: error: "pause_sla" must be true or false, found "maybe" (bad-type)`,
				`9:13: error: "params" must be a mapping of names to values, found a list (bad-type)`,
			},
		},
		{
			name: "nested objects",
			src:  "key: a\nsteps:\n  - id: a\n    outcomes:\n      - name: x\n        next: y\n        nxet: z\n    form:\n      - {name: f, type: enum, required: yes}\n    escalation:\n      - after: -1h\n      - 3h\n",
			want: []string{
				`7:9: error: unknown field "nxet" in an outcome; did you mean "next"? (unknown-field)`,
				`9:41: error: "required" must be true or false, found "yes" (bad-type)`,
				`11:16: error: "after": invalid duration "-1h": must not be negative (bad-duration)`,
				`12:9: error: An escalation level must be a mapping of fields, found "3h" (bad-type)`,
			},
		},
		{
			name: "duplicate key",
			src:  "key: a\nkey: b\n",
			want: []string{`2:1: error: field "key" is written twice in the flow definition (duplicate-key)`},
		},
		{
			name:   "aliases are rejected",
			src:    "name: &b x\nsteps:\n  - id: *b\n",
			nilDef: true,
			want:   []string{`3:9: error: YAML aliases (*b) are not supported; write the value out (alias)`},
		},
		{
			name: "second document",
			src:  "key: a\n---\nkey: b\n",
			want: []string{`2:1: error: only one YAML document is allowed; remove the "---" separator (syntax)`},
		},
		{
			name:   "empty",
			src:    "",
			nilDef: true,
			want:   []string{`1:1: error: the flow definition is empty (empty)`},
		},
		{
			name:   "only a comment",
			src:    "# nothing yet\n",
			nilDef: true,
			want:   []string{`1:1: error: the flow definition is empty (empty)`},
		},
		{
			name:   "not a mapping",
			src:    "- a\n- b\n",
			nilDef: true,
			want:   []string{`1:1: error: a flow definition must be a mapping of fields (key, version, departments, steps), found a list (bad-type)`},
		},
		{
			name:   "too deep",
			src:    "key: a\nsteps:\n  - id: a\n    params: {p: " + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "}\n",
			nilDef: true,
			want:   []string{`4:46: error: values are nested more than 32 levels deep (too-deep)`},
		},
		{
			name: "number too large and list expected",
			src:  "key: a\nversion: 99999999999\ndepartments: x\n",
			want: []string{
				`2:10: error: "version" is too large: 99999999999 (bad-type)`,
				`3:14: error: "departments" must be a list, found "x" (bad-type)`,
			},
		},
		{
			name: "complex key",
			src:  "{key: a, [x]: 1}\n",
			want: []string{`1:10: error: field names in the flow definition must be plain words, found a list (bad-type)`},
		},
		{
			name: "params become JSON-like values",
			src:  "key: a\nsteps:\n  - id: a\n    params: {n: 3, f: 1.5, b: true, s: x, l: [1, y], m: {k: ~}}\n",
			wantDef: func(t *testing.T, d *Definition) {
				require.Equal(t, map[string]any{
					"n": int64(3), "f": 1.5, "b": true, "s": "x",
					"l": []any{int64(1), "y"}, "m": map[string]any{"k": nil},
				}, d.Steps[0].Params)
			},
		},
		{
			name: "empty values mean absent and scalars read as text",
			src:  "key: a\nname:\nsteps:\n  - id: a\n    form:\n      - {name: f, type: enum, options: [1, 2.5, true]}\n",
			wantDef: func(t *testing.T, d *Definition) {
				require.Empty(t, d.Name)
				require.Equal(t, []string{"1", "2.5", "true"}, d.Steps[0].Form[0].Options)
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, diags := Parse([]byte(tc.src))
			require.Equal(t, tc.want, nilIfEmpty(render(diags)))
			require.Equal(t, tc.nilDef, d == nil)
			if tc.wantDef != nil {
				tc.wantDef(t, d)
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestParseTooLarge(t *testing.T) {
	t.Parallel()
	src := []byte("key: a\ndescription: " + strings.Repeat("x", MaxSourceSize) + "\n")
	d, diags := Parse(src)
	require.Nil(t, d)
	require.Equal(t, []string{`1:1: error: the flow definition is 1048597 bytes; the limit is 1048576 bytes (too-large)`}, render(diags))
}

func TestParseAliasBombDoesNotExpand(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 30; i++ {
		b.WriteString("a" + itoa(i) + ": &a" + itoa(i) + " [*a" + itoa(i-1) + ", *a" + itoa(i-1) + ", *a" + itoa(i-1) + "]\n")
	}
	start := time.Now()
	d, diags := Parse([]byte(b.String()))
	require.Nil(t, d)
	require.True(t, diags.HasErrors())
	require.Equal(t, "alias", diags[0].Code, diags.Error())
	require.Less(t, time.Since(start), 2*time.Second)
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestParseKeepsPositionsOutOfJSON(t *testing.T) {
	t.Parallel()
	d, diags := Parse([]byte("key: a\nversion: 1\nsla: 90m\nsteps:\n  - {id: done, kind: end}\n"))
	require.Empty(t, diags)
	require.NotNil(t, d.pos)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	require.JSONEq(t, `{"key":"a","version":1,"departments":[],"sla":"1h30m","steps":[{"id":"done","kind":"end"}]}`, string(b))
	var back Definition
	require.NoError(t, json.Unmarshal(b, &back))
	require.Nil(t, back.pos)
	require.Equal(t, d.SLA, back.SLA)
}

func TestDurationString(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"90m": "1h30m", "2h": "2h", "30m": "30m", "45s": "45s", "2d": "2d", "1h0m30s": "1h0m30s", "10m": "10m", "1d12h": "36h",
	} {
		d, err := ParseDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, d.String(), in)
		back, err := ParseDuration(d.String())
		require.NoError(t, err)
		require.Equal(t, d, back, in)
	}
}

func TestDiagnosticRendering(t *testing.T) {
	t.Parallel()
	ds := Diagnostics{
		{Line: 12, Column: 5, Severity: SeverityError, Code: "unknown-target", Message: `unknown step "x" in next`},
		{Line: 3, Severity: SeverityError, Code: "syntax", Message: "invalid YAML: bad"},
		{Path: "steps[1].id", Severity: SeverityWarning, Code: "w", Message: "careful"},
		{Severity: SeverityWarning, Code: "w", Message: "careful"},
	}
	require.Equal(t, []string{
		`12:5: error: unknown step "x" in next (unknown-target)`,
		`3: error: invalid YAML: bad (syntax)`,
		`steps[1].id: warning: careful (w)`,
		`warning: careful (w)`,
	}, render(ds))
	require.Equal(t, strings.Join(render(ds), "\n"), ds.Error())
	require.True(t, ds.HasErrors())
	require.Len(t, ds.Errors(), 2)
	require.Len(t, ds.Warnings(), 2)
	require.False(t, ds[2:].HasErrors())
	var err error = ds
	require.EqualError(t, err, ds.Error())
}

// A task's assignment (decision 0035) parses and validates: rule,
// fallbacks in order, skills, sticky steps and the customer, accept_within.
func TestAssignParses(t *testing.T) {
	src := `key: demo
version: 1
departments: [cs, tech]
steps:
  - id: record
    kind: task
    department: cs
    sla: 1h
    assign: {rule: least_loaded, fallback: [round_robin, pull], accept_within: 15m}
    outcomes: [{name: done, next: fix}]
  - id: fix
    kind: task
    department: tech
    sla: 2h
    assign:
      rule: sticky
      sticky: [record, customer]
      fallback: [skills]
      skills: [attributes.product, data.language]
    outcomes: [{name: done, next: closed}]
  - id: closed
    kind: end
`
	def, diags := Load([]byte(src), ValidateOptions{})
	require.Empty(t, diags.Errors(), diags)
	rec, _ := def.Step("record")
	require.Equal(t, &Assign{Rule: AssignLeastLoaded, Fallback: []string{AssignRoundRobin, AssignPull}, AcceptWithin: Duration(15 * time.Minute)}, rec.Assign)
	require.Equal(t, []string{AssignLeastLoaded, AssignRoundRobin, AssignPull}, rec.Assign.Rules())
	fix, _ := def.Step("fix")
	require.Equal(t, []string{"record", StickyCustomer}, fix.Assign.Sticky)
	closed, _ := def.Step("closed")
	require.Equal(t, []string{AssignPull}, closed.Assign.Rules(), "no assignment: the pool")
}

// An escalation level's assign parses, and a level that only assigns is a
// level: team_lead (alone, with a move) and pool.
func TestEscalationAssignParses(t *testing.T) {
	src := `key: demo
version: 1
departments: [cs, supervisor]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    escalation:
      - {after: 1h, assign: team_lead}
      - {after: 2h, department: supervisor, assign: team_lead, notify: supervisor_lead}
      - after: 3h
        assign: pool
    outcomes: [{name: ok, next: closed}]
  - id: closed
    kind: end
`
	def, diags := Load([]byte(src), ValidateOptions{})
	require.Empty(t, diags, diags)
	a, _ := def.Step("a")
	require.Equal(t, []EscalationLevel{
		{After: Duration(time.Hour), Assign: EscalateTeamLead},
		{After: Duration(2 * time.Hour), Department: "supervisor", Assign: EscalateTeamLead, Notify: "supervisor_lead"},
		{After: Duration(3 * time.Hour), Assign: EscalatePool},
	}, a.Escalation)

	// JSON carries it (the workflow's snapshot); a level without it
	// marshals as before.
	js, err := json.Marshal(a.Escalation)
	require.NoError(t, err)
	require.Equal(t, `[{"after":"1h","assign":"team_lead"},{"after":"2h","department":"supervisor","notify":"supervisor_lead","assign":"team_lead"},{"after":"3h","assign":"pool"}]`, string(js))
	js, err = json.Marshal(EscalationLevel{After: Duration(time.Hour), Notify: "lead"})
	require.NoError(t, err)
	require.Equal(t, `{"after":"1h","notify":"lead"}`, string(js))

	// A misspelt key is an unknown field, and the level does nothing.
	_, diags = Load([]byte(strings.Replace(src, "        assign: pool", "        asign: pool", 1)), ValidateOptions{})
	require.Equal(t, []string{
		`12:9: error: escalation level 3 of task "a" must move the task to a department, assign it or notify someone (or several of these) (escalation-target)`,
		`13:9: error: unknown field "asign" in an escalation level; did you mean "assign"? (unknown-field)`,
	}, render(diags))
}
