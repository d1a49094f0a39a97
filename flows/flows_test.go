package flows

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

func TestAllOrderAndDefaults(t *testing.T) {
	t.Parallel()
	var got []string
	defaults := map[string]int{}
	for _, b := range All() {
		got = append(got, b.Key+"@"+string(rune('0'+b.Version)))
		if b.Default {
			defaults[b.Key]++
		}
	}
	require.Equal(t, []string{"appointment@1", "complaint@1", "complaint@2", "pdca@1", "returns-exchange@1"}, got)
	require.Equal(t, map[string]int{"appointment": 1, "complaint": 1, "pdca": 1, "returns-exchange": 1}, defaults)
}

func TestBuiltinsLoadCleanly(t *testing.T) {
	t.Parallel()
	usedKinds := map[flow.Kind]bool{}
	for _, b := range All() {
		d, diags := flow.Load(b.Source, flow.ValidateOptions{})
		require.Empty(t, diags, "%s v%d:\n%s", b.Key, b.Version, diags.Error())
		require.NotNil(t, d)
		require.Equal(t, b.Key, d.Key)
		require.Equal(t, b.Version, d.Version)
		for _, s := range d.Steps {
			usedKinds[s.Kind] = true
		}
		def, err := Definition(b.Key, b.Version)
		require.NoError(t, err)
		require.Equal(t, d.Steps, def.Steps)
	}
	for _, k := range []flow.Kind{flow.KindTask, flow.KindAuto, flow.KindDecision, flow.KindWait, flow.KindEnd} {
		require.True(t, usedKinds[k], "no built-in flow uses kind %s", k)
	}
}

func TestDefinitionUnknown(t *testing.T) {
	t.Parallel()
	_, err := Definition("complaint", 9)
	require.EqualError(t, err, `flows: no built-in flow "complaint" version 9`)
}

// humanSteps lists the task steps along the normal (default) path.
func humanSteps(t *testing.T, d *flow.Definition) ([]string, flow.Duration) {
	t.Helper()
	var ids []string
	var total flow.Duration
	id := d.StartStep()
	for range len(d.Steps) {
		s, ok := d.Step(id)
		require.True(t, ok, id)
		switch s.Kind {
		case flow.KindTask:
			ids = append(ids, s.ID)
			total += s.SLA
			id = s.Outcomes[0].Next
		case flow.KindDecision:
			id = s.Default
		case flow.KindAuto, flow.KindWait:
			id = s.Next
		case flow.KindEnd:
			return ids, total
		}
	}
	t.Fatalf("no end on the default path of %s v%d", d.Key, d.Version)
	return nil, 0
}

func TestComplaintVersionsMatchTheProcesses(t *testing.T) {
	t.Parallel()
	v1, err := Definition("complaint", 1)
	require.NoError(t, err)
	steps, sla := humanSteps(t, v1)
	require.Equal(t, []string{"record", "investigate", "feedback", "review", "notify_customer"}, steps)
	require.Equal(t, "5h", sla.String())

	v2, err := Definition("complaint", 2)
	require.NoError(t, err)
	steps, sla = humanSteps(t, v2)
	require.Equal(t, []string{"submit", "handle", "feedback"}, steps)
	require.Equal(t, "1h30m", sla.String())
}

func TestReturnsThreshold(t *testing.T) {
	t.Parallel()
	d, err := Definition("returns-exchange", 1)
	require.NoError(t, err)
	s, ok := d.Step("threshold")
	require.True(t, ok)
	rule := s.Rules[0].When
	for _, tc := range []struct {
		attrs map[string]any
		data  map[string]any
		want  bool
	}{
		{map[string]any{"amount": 150}, nil, true},
		{map[string]any{"amount": 200.0}, nil, true},
		{map[string]any{"amount": 200.5}, nil, false},
		{nil, map[string]any{"amount": 80}, true},
		{map[string]any{"amount": 80}, map[string]any{"amount": 900}, false},
		{nil, nil, false},
	} {
		got, err := flow.EvalRule(rule, flow.RuleEnv(tc.attrs, "c1", "app", "complete", tc.data))
		require.NoError(t, err)
		require.Equal(t, tc.want, got, "attrs=%v data=%v", tc.attrs, tc.data)
	}
}
