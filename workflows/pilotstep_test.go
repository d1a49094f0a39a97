package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

// pdcaFlow: plan (task) -> do (pilot) -> check (task) -> closed; a refused
// pilot goes back to plan.
func pdcaFlow() flow.Definition {
	return flow.Definition{
		Key: "pdca", Version: 1, Departments: []string{"improvement"},
		Steps: []flow.Step{
			{ID: "plan", Kind: flow.KindTask, Department: "improvement", SLA: dur(48 * time.Hour),
				Outcomes: []flow.Outcome{{Name: "planned", Next: "do"}}},
			{ID: "do", Kind: flow.KindPilot, Params: map[string]any{"share": 50.0, "min_cases_per_arm": 10.0},
				Outcomes: []flow.Outcome{{Name: "completed", Next: "check"}, {Name: "stopped", Next: "check"}, {Name: "refused", Next: "plan"}}},
			{ID: "check", Kind: flow.KindTask, Department: "improvement", SLA: dur(48 * time.Hour),
				Outcomes: []flow.Outcome{{Name: "checked", Next: "closed"}}},
			{ID: "closed", Kind: flow.KindEnd},
		},
	}
}

func TestPilotStepRunsChildPilot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterWorkflowWithOptions(workflows.Pilot, workflow.RegisterOptions{Name: workflows.PilotWorkflow})
		env.RegisterActivityWithOptions(func(context.Context, workflows.CreatePilotInput) (workflows.CreatePilotResult, error) {
			return workflows.CreatePilotResult{}, nil
		}, activityName(workflows.ActivityCreatePilot))
		env.RegisterActivityWithOptions(func(context.Context, workflows.EvaluatePilotInput) (workflows.PilotEvaluation, error) {
			return workflows.PilotEvaluation{}, nil
		}, activityName(workflows.ActivityEvaluatePilot))
		env.RegisterActivityWithOptions(func(context.Context, workflows.EndPilotInput) error { return nil }, activityName(workflows.ActivityEndPilot))
		// No prediction: the pilot step's child runs without one.
		env.RegisterActivityWithOptions(func(context.Context, workflows.PredictPilotInput) (workflows.PredictPilotResult, error) {
			return workflows.PredictPilotResult{}, nil
		}, activityName(workflows.ActivityPredictPilot))
	})
	var creates []workflows.CreatePilotInput
	refuse := true
	h.env.OnActivity(workflows.ActivityCreatePilot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.CreatePilotInput) (workflows.CreatePilotResult, error) {
			h.add(func() { creates = append(creates, in) })
			if refuse {
				refuse = false
				return workflows.CreatePilotResult{Refused: "treatment: must differ from control (1)"}, nil
			}
			return workflows.CreatePilotResult{Input: workflows.PilotInput{
				PilotID: in.PilotID, Flow: "complaint", StartedAt: in.At, MaxDuration: 48 * time.Hour, EvaluateEvery: time.Hour}}, nil
		})
	h.env.OnActivity(workflows.ActivityEvaluatePilot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.EvaluatePilotInput) (workflows.PilotEvaluation, error) {
			if in.Look < 3 {
				return workflows.PilotEvaluation{Decision: workflows.DecisionContinue}, nil
			}
			return workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: "treatment", Recommendation: "promote v2"}, nil
		})
	h.env.OnActivity(workflows.ActivityEndPilot, mock.Anything, mock.Anything).Return(nil)

	planReq := func(seq int, treatment float64) workflows.CompleteRequest {
		return workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, seq), Outcome: "planned",
			Data: map[string]any{"treatment": treatment, "flow": "complaint", "target": 3600.0}, ActorDepartments: []string{"improvement"}}
	}
	var states []workflows.CaseState
	h.env.RegisterDelayedCallback(func() { h.complete("p1", planReq(1, 1)) }, time.Minute)
	// Refused: back at plan (seq 3).
	var planned *updateResult
	h.env.RegisterDelayedCallback(func() { states = append(states, h.state()); planned = h.complete("p2", planReq(3, 2)) }, 2*time.Minute)
	// The pilot runs: at 2h the case waits in the pilot step, and the
	// plan's completion has returned (it does not wait for the pilot).
	plannedDone := false
	h.env.RegisterDelayedCallback(func() {
		states = append(states, h.state())
		plannedDone = planned.done && planned.err == nil
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		states = append(states, h.state())
		h.complete("c1", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 5), Outcome: "checked", ActorDepartments: []string{"improvement"}})
	}, 5*time.Hour)
	in := workflows.CaseInput{CaseID: caseID, Definition: pdcaFlow(), Attributes: map[string]any{"metric": "cycle_time"}}
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.NoError(t, h.env.GetWorkflowError())

	require.Len(t, creates, 2)
	require.Equal(t, workflows.PilotID(caseID, 2), creates[0].PilotID)
	require.Equal(t, workflows.PilotID(caseID, 4), creates[1].PilotID)
	require.Equal(t, caseID, creates[1].PDCACaseID)
	// Step params, attributes and the plan's data merged; the plan wins.
	require.Equal(t, map[string]any{"share": 50.0, "min_cases_per_arm": 10.0, "metric": "cycle_time", "treatment": 2.0, "flow": "complaint", "target": 3600.0}, creates[1].Params)

	require.Equal(t, "plan", states[0].Step)
	require.Equal(t, workflows.PilotStepRefused, states[0].LastOutcome)
	require.Equal(t, "treatment: must differ from control (1)", states[0].Attributes["pilot_reason"])
	require.True(t, plannedDone, "the plan's completion returned while the pilot runs")
	require.Equal(t, "do", states[1].Step)
	require.Equal(t, "pilot", states[1].StepKind)
	require.False(t, states[1].AtRest)
	require.Equal(t, "check", states[2].Step)
	require.Equal(t, "treatment", states[2].Attributes["pilot_winner"])
	require.Equal(t, workflows.PilotCompleted, states[2].Attributes["pilot_status"])
	require.Equal(t, "promote v2", states[2].Attributes["pilot_recommendation"])
	require.Equal(t, 3600.0, states[2].Attributes["target"], "the plan's target stays on the case")

	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StatusCompleted, final.Status)
	outcomes := []string{}
	for _, s := range h.spans {
		if s.Step == "do" {
			outcomes = append(outcomes, s.Outcome)
		}
	}
	require.Equal(t, []string{workflows.PilotStepRefused, workflows.PilotStepCompleted}, outcomes)
}
