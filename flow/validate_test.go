package flow

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidateCases(t *testing.T) {
	t.Parallel()
	for _, tc := range validateCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, diags := Load([]byte(tc.src), ValidateOptions{})
			require.Equal(t, tc.want, nilIfEmpty(render(diags)))
			require.Equal(t, diags.HasErrors(), d == nil, "Load returns a definition exactly when there are no errors")
		})
	}
}

func TestValidateWithoutPositions(t *testing.T) {
	t.Parallel()
	d := &Definition{
		Key: "demo", Version: 1, Departments: []string{"cs"},
		Steps: []Step{
			{ID: "a", Kind: KindTask, Department: "cs", SLA: Duration(3600e9), Outcomes: []Outcome{{Name: "ok", Next: "b"}}},
			{ID: "b", Kind: KindAuto, Activity: "crm_sync", Next: "done"},
			{ID: "done", Kind: KindEnd},
		},
	}
	require.Equal(t, []string{
		`steps[1].activity: error: unknown activity "crm_sync" in auto step "b": use one of notify, webhook, set_attributes, baseline, pilot_results, promote_pilot (unknown-activity)`,
	}, render(Validate(d, ValidateOptions{})))
	require.Empty(t, Validate(d, ValidateOptions{Activities: []string{"crm_sync"}}))

	d.Steps[0].SLA = -1
	require.Equal(t, []string{
		`steps[0].sla: error: the sla of task "a" must not be negative (bad-duration)`,
	}, render(Validate(d, ValidateOptions{Activities: []string{"crm_sync"}})))

	require.Equal(t, []string{`error: there is no flow definition (empty)`}, render(Validate(nil, ValidateOptions{})))
}

func TestLoadKeepsWarnings(t *testing.T) {
	t.Parallel()
	d, diags := Load([]byte("key: demo\nversion: 1\ndepartments: [cs]\nsteps:\n  - {id: done, kind: end}\n"), ValidateOptions{})
	require.NotNil(t, d)
	require.False(t, diags.HasErrors())
	require.Equal(t, []string{`3:15: warning: department "cs" is listed but no step uses it (unused-department)`}, render(diags))
}

func TestLoadStopsAtParseErrors(t *testing.T) {
	t.Parallel()
	// The unknown field is reported; semantic problems (no steps) wait
	// until the document reads cleanly.
	d, diags := Load([]byte("key: demo\nversion: 1\nstep: []\n"), ValidateOptions{})
	require.Nil(t, d)
	require.Equal(t, []string{`3:1: error: unknown field "step" in the flow definition; did you mean "steps"? (unknown-field)`}, render(diags))
}

func TestEvalRule(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rule    string
		env     map[string]any
		want    bool
		wantErr string
	}{
		{"attribute threshold true", `attributes.amount <= 200`, RuleEnv(map[string]any{"amount": 150}, "", "", "", nil), true, ""},
		{"attribute threshold false", `attributes.amount <= 200`, RuleEnv(map[string]any{"amount": 250.5}, "", "", "", nil), false, ""},
		{"severity", `attributes.severity == "advanced"`, RuleEnv(map[string]any{"severity": "advanced"}, "", "", "", nil), true, ""},
		{"missing attribute compares as nil", `attributes.severity == "advanced"`, RuleEnv(nil, "", "", "", nil), false, ""},
		{"channel and outcome", `channel in ["phone", "wechat"] && outcome == "escalate"`, RuleEnv(nil, "c1", "wechat", "escalate", nil), true, ""},
		{"data and customer", `data.refund > 10 && customer startsWith "vip"`, RuleEnv(nil, "vip-7", "", "", map[string]any{"refund": 12}), true, ""},
		{"not a boolean", `attributes.amount`, RuleEnv(map[string]any{"amount": 1}, "", "", "", nil), false, "evaluate rule \"attributes.amount\": invalid operation: bool(int)"},
		{"syntax error", `attributes.amount <=`, RuleEnv(nil, "", "", "", nil), false, "compile rule \"attributes.amount <=\": unexpected token EOF"},
		{"runtime type error", `attributes.amount > 1`, RuleEnv(map[string]any{"amount": "lots"}, "", "", "", nil), false, "evaluate rule \"attributes.amount > 1\": invalid operation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := EvalRule(tc.rule, tc.env)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestRuleEnvShape(t *testing.T) {
	t.Parallel()
	env := RuleEnv(nil, "cust", "app", "done", nil)
	require.Equal(t, map[string]any{
		"attributes": map[string]any{}, "customer": "cust", "channel": "app",
		"outcome": "done", "data": map[string]any{},
	}, env)
}

// A source may leave the version out (publishing assigns it), and the
// definition stays valid through a JSON round trip; a written version must
// be 1 or more, and no version may be negative.
func TestVersionMayBeLeftOut(t *testing.T) {
	src := []byte("key: demo\nsteps:\n  - id: closed\n    kind: end\n")
	d, diags := Load(src, ValidateOptions{})
	require.Empty(t, diags.Errors(), "%v", diags)
	require.Equal(t, 0, d.Version)
	b, err := json.Marshal(d)
	require.NoError(t, err)
	var back Definition
	require.NoError(t, json.Unmarshal(b, &back))
	require.Empty(t, Validate(&back, ValidateOptions{}).Errors())

	_, diags = Load([]byte("key: demo\nversion: 0\nsteps:\n  - id: closed\n    kind: end\n"), ValidateOptions{})
	require.Len(t, diags.Errors(), 1)
	require.Equal(t, "bad-version", diags.Errors()[0].Code)

	back.Version = -1
	errs := Validate(&back, ValidateOptions{}).Errors()
	require.Len(t, errs, 1)
	require.Equal(t, "bad-version", errs[0].Code)
}
