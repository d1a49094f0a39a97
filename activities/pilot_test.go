package activities_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// pilotStore is a store with complaint v1 (default) and v2, and a retired v3.
func pilotStore(t *testing.T) (store.Store, *activities.Activities) {
	t.Helper()
	ctx := context.Background()
	s := newStore(t)
	for v := 1; v <= 3; v++ {
		_, _, err := s.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "complaint", Version: v,
			Source: fmt.Sprintf("v%d\n", v), Compiled: json.RawMessage(`{"key":"complaint"}`), Hash: fmt.Sprint(v), At: t0})
		require.NoError(t, err)
	}
	require.NoError(t, s.RetireFlowVersion(ctx, "complaint", 3, t0))
	return s, &activities.Activities{Store: s, Logger: quiet()}
}

func TestCreatePilotFromStepParams(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a := pilotStore(t)
	params := map[string]any{"flow": "complaint", "treatment": 2.0, "share": "30", "max_duration": "3d",
		"metric": "cycle_time", "problem": "too slow", "guardrails": []any{map[string]any{"metric": "sla_breach_rate", "max_worsening": 0.1}}}
	res, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-1", PDCACaseID: caseID, Params: params, At: t0})
	require.NoError(t, err)
	require.Empty(t, res.Refused)
	require.Equal(t, workflows.PilotInput{PilotID: "p-1", Flow: "complaint", StartedAt: t0, MaxDuration: 72 * time.Hour,
		EvaluateEvery: workflows.DefaultPilotEvaluateEvery}, res.Input)
	pl, err := s.GetPilot(ctx, "p-1")
	require.NoError(t, err)
	require.Equal(t, 1, pl.Control, "the control is the flow's default")
	require.Equal(t, 2, pl.Treatment)
	require.Equal(t, 30.0, pl.Share)
	require.Equal(t, caseID, pl.PDCACaseID)
	require.JSONEq(t, `[{"metric":"sla_breach_rate","max_worsening":0.1}]`, string(pl.Guardrails))

	// A retry returns the same pilot.
	again, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-1", PDCACaseID: caseID, Params: params, At: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, res, again)

	for name, c := range map[string]struct {
		params map[string]any
		want   string
	}{
		"running":   {params, "pilot p-1 of flow complaint is running; stop it or wait for it to end"},
		"no flow":   {map[string]any{"treatment": 2.0}, "flow: is required; control: must be a version number (1 or more)"},
		"unknown":   {map[string]any{"flow": "nope", "treatment": 2.0}, `flow: unknown flow "nope"`},
		"same":      {map[string]any{"flow": "complaint", "treatment": 1.0}, "treatment: must differ from control (1)"},
		"retired":   {map[string]any{"flow": "complaint", "treatment": 3.0}, "treatment: version 3 of complaint is retired"},
		"missing":   {map[string]any{"flow": "complaint", "treatment": 9.0}, "treatment: flow complaint has no version 9"},
		"not num":   {map[string]any{"flow": "complaint", "treatment": "two"}, `treatment: "two" is not a number`},
		"bad dur":   {map[string]any{"flow": "complaint", "treatment": 2.0, "max_duration": "soon"}, `max_duration: "soon" is not a duration like 14d, 36h or 90m`},
		"bad share": {map[string]any{"flow": "complaint", "treatment": 2.0, "share": 100.0}, "share: must be above 0 and below 100 (percent of new cases to treatment), got 100"},
	} {
		res, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-" + name, PDCACaseID: caseID, Params: c.params, At: t0})
		require.NoError(t, err, name)
		require.Equal(t, c.want, res.Refused, name)
	}
}

// pilotCases writes n closed cases per arm of pilot id: the treatment's
// cycle times are factor times the control's.
func pilotCases(t *testing.T, s store.Store, id string, n int, factor float64, closedAt func(i int) time.Time) {
	t.Helper()
	ctx := context.Background()
	for arm, f := range map[string]float64{workflows.ArmControl: 1, workflows.ArmTreatment: factor} {
		for i := 0; i < n; i++ {
			cid := fmt.Sprintf("00000000-0000-4000-8000-%s%07d", map[string]string{"control": "00000", "treatment": "11111"}[arm], i)
			created := closedAt(i).Add(-time.Duration(f*float64(time.Hour)*(1+float64(i%7)/3)) - time.Second)
			version := 1
			if arm == workflows.ArmTreatment {
				version = 2
			}
			_, _, err := s.CreateCase(ctx, store.CreateCaseParams{ID: cid, Flow: "complaint", Version: version, Variant: arm, PilotID: id,
				Customer: "c" + cid, Attributes: json.RawMessage(`{}`), Status: store.CaseActive, WorkflowID: "w-" + cid, At: created})
			require.NoError(t, err)
			status, closed := store.CaseCompleted, closedAt(i)
			require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: cid, Status: &status, ClosedAt: &closed, At: closed}))
		}
	}
}

func TestEvaluateAndEndPilot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a := pilotStore(t)
	res, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-1", PDCACaseID: caseID,
		Params: map[string]any{"flow": "complaint", "treatment": 2.0, "min_cases_per_arm": 40.0}, At: t0})
	require.NoError(t, err)
	require.Empty(t, res.Refused)
	pilotCases(t, s, "p-1", 20, 0.5, func(i int) time.Time { return t0.Add(time.Duration(i+5) * time.Hour) })

	ev, err := a.EvaluatePilot(ctx, workflows.EvaluatePilotInput{PilotID: "p-1", Look: 1, At: t0.Add(30 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, 20, ev.CasesPerArm)
	pl, err := s.GetPilot(ctx, "p-1")
	require.NoError(t, err)
	var stored experiment.Evaluation
	require.NoError(t, json.Unmarshal(pl.Results, &stored))
	require.Equal(t, ev.Decision, stored.Decision)
	require.Equal(t, 20, stored.Arms[workflows.ArmTreatment].Closed)
	require.InDelta(t, 0.5, stored.Fraction, 1e-9, "20 of 40 planned cases per arm")
	var looks []experiment.Look
	require.NoError(t, json.Unmarshal(pl.Looks, &looks))
	require.Equal(t, []experiment.Look{{Fraction: 0.5}}, looks)

	// The same data again is not a new look.
	_, err = a.EvaluatePilot(ctx, workflows.EvaluatePilotInput{PilotID: "p-1", Look: 2, At: t0.Add(31 * time.Hour)})
	require.NoError(t, err)
	pl, err = s.GetPilot(ctx, "p-1")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(pl.Looks, &looks))
	require.Len(t, looks, 1)

	// The final look concludes, whatever the data.
	ev, err = a.EvaluatePilot(ctx, workflows.EvaluatePilotInput{PilotID: "p-1", Look: 3, Final: true, At: t0.Add(32 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, workflows.DecisionConclude, ev.Decision)
	require.NotEmpty(t, ev.Recommendation)

	end := workflows.EndPilotInput{PilotID: "p-1", Status: workflows.PilotCompleted, Winner: ev.Winner, Recommendation: ev.Recommendation, At: t0.Add(33 * time.Hour)}
	require.NoError(t, a.EndPilot(ctx, end))
	require.NoError(t, a.EndPilot(ctx, end), "ending an ended pilot is a no-op")
	pl, err = s.GetPilot(ctx, "p-1")
	require.NoError(t, err)
	require.Equal(t, store.PilotCompleted, pl.Status)
	require.Equal(t, ev.Recommendation, pl.Recommendation)
	entries, err := s.ListAudit(ctx, store.AuditFilter{Object: "pilot:p-1"})
	require.NoError(t, err)
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action)
	}
	require.Equal(t, []string{"pilot.start", "pilot.completed"}, actions)

	// An ended pilot's evaluation says conclude, so its workflow ends.
	ev, err = a.EvaluatePilot(ctx, workflows.EvaluatePilotInput{PilotID: "p-1", Look: 4, At: t0.Add(34 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, workflows.DecisionConclude, ev.Decision)
}

func TestPDCAActivities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a := pilotStore(t)
	now := time.Now().UTC()
	// Baseline: completed v1 cases of the last 30 days, cycle time 2h.
	for i := 0; i < 5; i++ {
		cid := fmt.Sprintf("00000000-0000-4000-8000-22222%07d", i)
		created := now.Add(-time.Duration(i+3) * 24 * time.Hour)
		_, _, err := s.CreateCase(ctx, store.CreateCaseParams{ID: cid, Flow: "complaint", Version: 1, Attributes: json.RawMessage(`{}`),
			Status: store.CaseActive, WorkflowID: "w-" + cid, At: created})
		require.NoError(t, err)
		status, closed := store.CaseCompleted, created.Add(2*time.Hour)
		require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: cid, Status: &status, ClosedAt: &closed, At: closed}))
	}
	res, err := a.AutoBaseline(ctx, workflows.AutoInput{CaseID: caseID, Attributes: map[string]any{"flow": "complaint", "metric": "cycle_time"}})
	require.NoError(t, err)
	require.Equal(t, 7200.0, res.Attributes["baseline_value"])
	require.Equal(t, 5, res.Attributes["baseline_cases"])
	require.Equal(t, 1, res.Attributes["control"])
	res, err = a.AutoBaseline(ctx, workflows.AutoInput{CaseID: caseID, Attributes: map[string]any{"metric": "cycle_time"}})
	require.NoError(t, err)
	require.Contains(t, res.Attributes["baseline_error"], "no flow attribute")

	// A pilot whose treatment halves the cycle time, then its results
	// against the target, then the promotion.
	created, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-pdca", PDCACaseID: caseID,
		Params: map[string]any{"flow": "complaint", "treatment": 2.0}, At: t0})
	require.NoError(t, err)
	require.Empty(t, created.Refused)
	pilotCases(t, s, "p-pdca", 12, 0.5, func(i int) time.Time { return t0.Add(time.Duration(i+5) * time.Hour) })
	attrs := map[string]any{"pilot_id": "p-pdca", "target": 5000.0}
	res, err = a.AutoPilotResults(ctx, workflows.AutoInput{CaseID: caseID, Attributes: attrs})
	require.NoError(t, err)
	require.Equal(t, 12, res.Attributes["pilot_treatment_cases"])
	require.Less(t, res.Attributes["pilot_treatment_value"].(float64), res.Attributes["pilot_control_value"].(float64))
	require.Equal(t, true, res.Attributes["target_met"], "treatment median %v ≤ 5000 s", res.Attributes["pilot_treatment_value"])

	res, err = a.AutoPromotePilot(ctx, workflows.AutoInput{CaseID: caseID, Attributes: attrs})
	require.NoError(t, err)
	require.Contains(t, res.Attributes["promote_error"], "still running", "a running pilot is not promoted")
	require.NoError(t, a.EndPilot(ctx, workflows.EndPilotInput{PilotID: "p-pdca", Status: workflows.PilotCompleted, At: t0.Add(40 * time.Hour)}))
	res, err = a.AutoPromotePilot(ctx, workflows.AutoInput{CaseID: caseID, Attributes: attrs})
	require.NoError(t, err)
	require.Equal(t, 2, res.Attributes["promoted_version"])
	def, err := s.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, 2, def.Version)
}
