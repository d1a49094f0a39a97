package flow_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/flowlab/flowlab/flow"
)

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(flow.JSONSchema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("flow.json", doc))
	s, err := c.Compile("flow.json")
	require.NoError(t, err)
	return s
}

// yamlInstance converts a YAML document to the JSON value a schema
// validator checks.
func yamlInstance(t *testing.T, src []byte) any {
	t.Helper()
	var doc yaml.Node
	require.NoError(t, yaml.Unmarshal(src, &doc))
	// Editors read YAML 1.2, where 2026-12-25 is text; yaml.v3 would
	// decode it as a time. flowlab reads it as text too.
	var untime func(n *yaml.Node)
	untime = func(n *yaml.Node) {
		if n.Tag == "!!timestamp" {
			n.Tag = "!!str"
		}
		for _, c := range n.Content {
			untime(c)
		}
	}
	untime(&doc)
	var v any
	require.NoError(t, doc.Decode(&v))
	b, err := json.Marshal(v)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return inst
}

func TestSchemaAcceptsBuiltinFlows(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	files, err := filepath.Glob("../flows/*.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		src, err := os.ReadFile(f)
		require.NoError(t, err)
		require.NoError(t, s.Validate(yamlInstance(t, src)), f)
	}
}

func TestSchemaRejectsBadDocuments(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	const head = "key: demo\nversion: 1\ndepartments: [cs]\nsteps:\n"
	tests := []struct {
		name string
		src  string
	}{
		{"unknown top-level field", "key: demo\nversion: 1\nowner: bob\nsteps: [{id: done, kind: end}]\n"},
		{"missing version", "key: demo\nsteps: [{id: done, kind: end}]\n"},
		{"no steps", "key: demo\nversion: 1\nsteps: []\n"},
		{"bad kind", head + "  - {id: a, kind: tsk}\n"},
		{"bad id", head + "  - {id: Record, kind: end}\n"},
		{"task without sla", head + "  - {id: a, kind: task, department: cs, outcomes: [{name: ok, next: b}]}\n"},
		{"outcomes on auto", head + "  - {id: a, kind: auto, activity: notify, next: b, outcomes: [{name: ok, next: b}]}\n"},
		{"next on end", head + "  - {id: a, kind: end, next: b}\n"},
		{"bad duration", head + "  - {id: a, kind: task, department: cs, sla: 5 hours, outcomes: [{name: ok, next: b}]}\n"},
		{"enum without options", head + "  - {id: a, kind: task, department: cs, sla: 1h, form: [{name: f, type: enum}], outcomes: [{name: ok, next: b}]}\n"},
		{"options on a number", head + "  - {id: a, kind: task, department: cs, sla: 1h, form: [{name: f, type: number, options: [1]}], outcomes: [{name: ok, next: b}]}\n"},
		{"escalation without target", head + "  - {id: a, kind: task, department: cs, sla: 1h, escalation: [{after: 1h}], outcomes: [{name: ok, next: b}]}\n"},
		{"unknown escalation assign", head + "  - {id: a, kind: task, department: cs, sla: 1h, escalation: [{after: 1h, assign: lead}], outcomes: [{name: ok, next: b}]}\n"},
		{"wait with event and duration", head + "  - {id: a, kind: wait, event: e, duration: 1h, next: b}\n"},
		{"wait with neither", head + "  - {id: a, kind: wait, next: b}\n"},
		{"timeout without on_timeout", head + "  - {id: a, kind: wait, event: e, timeout: 1h, next: b}\n"},
		{"decision without default", head + "  - {id: a, kind: decision, rules: [{when: 'true', next: b}]}\n"},
		{"assign on auto", head + "  - {id: a, kind: auto, activity: notify, next: b, assign: {rule: pull}}\n"},
		{"unknown assign rule", head + "  - {id: a, kind: task, department: cs, sla: 1h, assign: {rule: fastest}, outcomes: [{name: ok, next: b}]}\n"},
		{"assign without rule", head + "  - {id: a, kind: task, department: cs, sla: 1h, assign: {fallback: [pull]}, outcomes: [{name: ok, next: b}]}\n"},
		{"follow-up share above 100%", "key: demo\nversion: 1\nfollow_up: {share: 150%, after: 2d, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up share above 1", "key: demo\nversion: 1\nfollow_up: {share: 15, after: 2d, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up share of 0%", "key: demo\nversion: 1\nfollow_up: {share: 0.0%, after: 2d, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up share of 0", "key: demo\nversion: 1\nfollow_up: {share: 0, after: 2d, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up share as words", "key: demo\nversion: 1\nfollow_up: {share: some, after: 2d, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up without after", "key: demo\nversion: 1\nfollow_up: {share: 15%, department: cs}\nsteps: [{id: done, kind: end}]\n"},
		{"follow-up unknown field", "key: demo\nversion: 1\nfollow_up: {share: 15%, after: 2d, department: cs, to: bob}\nsteps: [{id: done, kind: end}]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Error(t, s.Validate(yamlInstance(t, []byte(tc.src))))
		})
	}
}

func TestSchemaDurationsMatchParseDuration(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	const tmpl = "key: demo\nversion: 1\nsteps: [{id: done, kind: end}]\nsla: "
	for _, d := range []string{"30m", "4h", "1h30m", "2d", "1d12h", "90s", "1.5h"} {
		_, err := flow.ParseDuration(d)
		require.NoError(t, err, d)
		require.NoError(t, s.Validate(yamlInstance(t, []byte(tmpl+d+"\n"))), d)
	}
	for _, d := range []string{"5 hours", "h", "-1h", "2d-1h", "1w", "''"} {
		_, err := flow.ParseDuration(d)
		require.Error(t, err, d)
		require.Error(t, s.Validate(yamlInstance(t, []byte(tmpl+d+"\n"))), d)
	}
}

func TestSchemaCalendars(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	require.NoError(t, s.Validate(yamlInstance(t, []byte(calendarFlow))))

	const head = "key: demo\nversion: 1\nsteps: [{id: done, kind: end}]\n"
	good := []string{
		"calendar: 24x7\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: 09:00-17:00}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: '08:00-12:00, 13:00-17:00', sat: 9:00-24:00, sun: ''}, holidays: [2026-12-25]}]\n",
	}
	for _, g := range good {
		require.NoError(t, s.Validate(yamlInstance(t, []byte(head+g))), g)
		_, diags := flow.Parse([]byte(head + g))
		require.Empty(t, diags, g)
	}
	bad := []string{
		"calendar: Office\n",
		"calendars: [{id: c, hours: {mon: 09:00-17:00}}]\n",
		"calendars: [{id: c, timezone: UTC}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {monday: 09:00-17:00}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: 9-17}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: 09:00-25:00}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: '09:00-12:00,'}}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: 09:00-17:00}, holidays: [christmas]}]\n",
		"calendars: [{id: c, timezone: UTC, hours: {mon: 09:00-17:00}, holidays: [2026-13-01]}]\n",
		"calendars: [{id: c, timezone: UTC, tz: UTC, hours: {mon: 09:00-17:00}}]\n",
	}
	for _, b := range bad {
		require.Error(t, s.Validate(yamlInstance(t, []byte(head+b))), b)
		_, diags := flow.Load([]byte(head+b), flow.ValidateOptions{})
		require.True(t, diags.HasErrors(), b)
	}
}

// An escalation level that only assigns is valid for the schema as for
// Validate.
func TestSchemaEscalationAssign(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	src := "key: demo\nversion: 1\ndepartments: [cs, sup]\nsteps:\n" +
		"  - {id: a, kind: task, department: cs, sla: 1h, escalation: [{after: 1h, assign: team_lead}, {after: 2h, department: sup, assign: pool}], outcomes: [{name: ok, next: b}]}\n" +
		"  - {id: b, kind: end}\n"
	require.NoError(t, s.Validate(yamlInstance(t, []byte(src))))
	_, diags := flow.Load([]byte(src), flow.ValidateOptions{})
	require.False(t, diags.HasErrors(), diags)
}

// The schema accepts a follow_up block as the parser reads it: the share
// as a percentage or a fraction.
func TestSchemaAcceptsFollowUp(t *testing.T) {
	t.Parallel()
	s := compileSchema(t)
	for _, share := range []string{"15%", "12.5 %", "0.15", "1", "100%"} {
		src := "key: demo\nversion: 1\ndepartments: [cs]\nfollow_up: {share: " + share +
			", after: 2d, department: cs, sla: 4h, assign: {rule: least_loaded}}\nsteps: [{id: done, kind: end}]\n"
		require.NoError(t, s.Validate(yamlInstance(t, []byte(src))), share)
	}
}
