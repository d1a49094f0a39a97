package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/workflows"
)

// pilotHarness runs the Pilot workflow with its activities mocked: the
// evaluator answers the scripted decisions in turn (then "continue").
type pilotHarness struct {
	env       *testsuite.TestWorkflowEnvironment
	mu        sync.Mutex
	decisions []workflows.PilotEvaluation
	evals     []workflows.EvaluatePilotInput
	ends      []workflows.EndPilotInput
	predicted []string // pilots whose prediction was stored
	simulated []string // simulations run
}

func newPilotHarness(decisions ...workflows.PilotEvaluation) *pilotHarness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Pilot, workflow.RegisterOptions{Name: workflows.PilotWorkflow})
	h := &pilotHarness{env: env, decisions: decisions}
	env.RegisterActivityWithOptions(func(context.Context, workflows.EvaluatePilotInput) (workflows.PilotEvaluation, error) {
		return workflows.PilotEvaluation{}, nil
	}, activityName(workflows.ActivityEvaluatePilot))
	env.RegisterActivityWithOptions(func(context.Context, workflows.EndPilotInput) error { return nil }, activityName(workflows.ActivityEndPilot))
	env.RegisterWorkflowWithOptions(workflows.Simulation, workflow.RegisterOptions{Name: workflows.SimulationWorkflow})
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.PredictPilotInput) (workflows.PredictPilotResult, error) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.predicted = append(h.predicted, in.PilotID)
		return workflows.PredictPilotResult{SimulationID: "sim-" + in.PilotID}, nil
	}, activityName(workflows.ActivityPredictPilot))
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.SimulationInput) error {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.simulated = append(h.simulated, in.SimulationID)
		return nil
	}, activityName(workflows.ActivityRunSimulation))
	env.RegisterActivityWithOptions(func(context.Context, workflows.FailSimulationInput) error { return nil }, activityName(workflows.ActivityFailSimulation))
	env.OnActivity(workflows.ActivityEvaluatePilot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.EvaluatePilotInput) (workflows.PilotEvaluation, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evals = append(h.evals, in)
			if len(h.decisions) == 0 {
				return workflows.PilotEvaluation{Decision: workflows.DecisionContinue}, nil
			}
			d := h.decisions[0]
			h.decisions = h.decisions[1:]
			return d, nil
		})
	env.OnActivity(workflows.ActivityEndPilot, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.EndPilotInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.ends = append(h.ends, in)
			return nil
		})
	return h
}

func pilotInput() workflows.PilotInput {
	return workflows.PilotInput{PilotID: "p-1", Flow: "complaint", StartedAt: t0, MaxDuration: 10 * time.Hour, EvaluateEvery: time.Hour}
}

func (h *pilotHarness) result(t *testing.T) workflows.PilotStatus {
	t.Helper()
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var st workflows.PilotStatus
	require.NoError(t, h.env.GetWorkflowResult(&st))
	return st
}

func TestPilotConcludesOnTimer(t *testing.T) {
	t.Parallel()
	cont := workflows.PilotEvaluation{Decision: workflows.DecisionContinue}
	h := newPilotHarness(cont, cont, workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: "treatment", Recommendation: "promote v2"})
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, pilotInput())
	st := h.result(t)
	require.Equal(t, workflows.PilotCompleted, st.Status)
	require.Equal(t, "treatment", st.Winner)
	require.Equal(t, 3, st.Looks)
	require.Len(t, h.evals, 3)
	for i, e := range h.evals {
		require.Equal(t, t0.Add(time.Duration(i+1)*time.Hour), e.At, "look %d at every hour", i+1)
		require.Equal(t, i+1, e.Look)
		require.False(t, e.Final)
	}
	require.Equal(t, []workflows.EndPilotInput{{PilotID: "p-1", Status: workflows.PilotCompleted, Winner: "treatment",
		Recommendation: "promote v2", At: t0.Add(3 * time.Hour)}}, h.ends)
}

func TestPilotGuardrailStopsTreatment(t *testing.T) {
	t.Parallel()
	h := newPilotHarness(workflows.PilotEvaluation{Decision: workflows.DecisionStopTreatment, Reason: "sla_breach_rate 31 points worse"})
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, pilotInput())
	st := h.result(t)
	require.Equal(t, workflows.PilotStopped, st.Status)
	require.Equal(t, "sla_breach_rate 31 points worse", st.Reason)
	require.Len(t, h.ends, 1)
	require.Equal(t, workflows.PilotStopped, h.ends[0].Status)
	require.Equal(t, t0.Add(time.Hour), h.ends[0].At)
}

func TestPilotFinalLookAtMaxDuration(t *testing.T) {
	t.Parallel()
	h := newPilotHarness() // the evaluator never concludes
	in := pilotInput()
	in.MaxDuration = 150 * time.Minute
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, in)
	st := h.result(t)
	require.Equal(t, workflows.PilotCompleted, st.Status)
	require.Equal(t, "maximum duration reached", st.Reason)
	// Looks at 1h, 2h and the final one at 2h30.
	require.Len(t, h.evals, 3)
	require.Equal(t, t0.Add(150*time.Minute), h.evals[2].At)
	require.True(t, h.evals[2].Final)
	require.False(t, h.evals[1].Final)
}

func TestPilotStopSignalAndEvaluateUpdate(t *testing.T) {
	t.Parallel()
	h := newPilotHarness()
	var upd *updateResultAny
	var mid workflows.PilotStatus
	h.env.RegisterDelayedCallback(func() {
		upd = &updateResultAny{}
		h.env.UpdateWorkflow(workflows.UpdateEvaluatePilot, "look-now", upd)
	}, 30*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		v, err := h.env.QueryWorkflow(workflows.QueryPilot)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
		h.env.SignalWorkflow(workflows.SignalStopPilot, workflows.StopPilotRequest{Reason: "customers complain", ActorID: "imp-1"})
	}, 90*time.Minute)
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, pilotInput())
	st := h.result(t)
	require.NoError(t, upd.err)
	require.True(t, upd.accepted)
	// One look on demand at 30m, one on the timer at 1h.
	require.Equal(t, 2, mid.Looks)
	require.Equal(t, workflows.PilotRunning, mid.Status)
	require.NotNil(t, mid.NextLook)
	require.Equal(t, t0.Add(30*time.Minute), h.evals[0].At)
	require.Equal(t, workflows.PilotStopped, st.Status)
	require.Equal(t, "customers complain", st.Reason)
	require.Len(t, h.ends, 1)
	require.Equal(t, t0.Add(90*time.Minute), h.ends[0].At)
}

// updateResultAny collects an Update's outcome without decoding it.
type updateResultAny struct {
	accepted bool
	rejected error
	err      error
}

func (u *updateResultAny) Accept()                 { u.accepted = true }
func (u *updateResultAny) Reject(e error)          { u.rejected = e }
func (u *updateResultAny) Complete(_ any, e error) { u.err = e }

func activityName(name string) activity.RegisterOptions { return activity.RegisterOptions{Name: name} }

func TestPilotEndsAtOnceWhenAnOnDemandLookConcludes(t *testing.T) {
	t.Parallel()
	h := newPilotHarness(workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: "treatment", Recommendation: "promote v2"})
	upd := &updateResultAny{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.UpdateEvaluatePilot, "look-now", upd)
	}, 20*time.Minute)
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, pilotInput())
	st := h.result(t)
	require.NoError(t, upd.err)
	require.Equal(t, workflows.PilotCompleted, st.Status)
	require.Equal(t, "treatment", st.Winner)
	require.Len(t, h.evals, 1, "no timer look after the pilot ended")
	// The workflow returns at the on-demand look (20m), not at the next
	// timer look (1h): its parent PDCA cycle goes on at once.
	require.Equal(t, t0.Add(20*time.Minute), h.env.Now().UTC())
}

// TestPilotStartsItsPrediction: a pilot's first run stores its prediction
// and starts the simulation; a run continued as new does not again.
func TestPilotStartsItsPrediction(t *testing.T) {
	t.Parallel()
	h := newPilotHarness(workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: "treatment"})
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, pilotInput())
	require.Equal(t, workflows.PilotCompleted, h.result(t).Status)
	require.Equal(t, []string{"p-1"}, h.predicted)
	require.Equal(t, []string{"sim-p-1"}, h.simulated, "the abandoned child ran")

	h = newPilotHarness(workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: "treatment"})
	in := pilotInput()
	in.Looks = 3
	h.env.ExecuteWorkflow(workflows.PilotWorkflow, in)
	require.Equal(t, workflows.PilotCompleted, h.result(t).Status)
	require.Empty(t, h.predicted, "predicted by the first run")
}
