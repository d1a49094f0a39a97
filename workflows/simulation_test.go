package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/workflows"
)

// simHarness runs the Simulation workflow with its activities mocked: run
// returns the errors given, one an attempt (then nil).
type simHarness struct {
	env   *testsuite.TestWorkflowEnvironment
	mu    sync.Mutex
	runs  int
	fails []workflows.FailSimulationInput
}

func newSimHarness(errs ...error) *simHarness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Simulation, workflow.RegisterOptions{Name: workflows.SimulationWorkflow})
	h := &simHarness{env: env}
	env.RegisterActivityWithOptions(func(context.Context, workflows.SimulationInput) error { return nil }, activityName(workflows.ActivityRunSimulation))
	env.RegisterActivityWithOptions(func(context.Context, workflows.FailSimulationInput) error { return nil }, activityName(workflows.ActivityFailSimulation))
	env.OnActivity(workflows.ActivityRunSimulation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.SimulationInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.runs++
			if h.runs <= len(errs) {
				return errs[h.runs-1]
			}
			return nil
		})
	env.OnActivity(workflows.ActivityFailSimulation, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.FailSimulationInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.fails = append(h.fails, in)
			return nil
		})
	return h
}

func TestSimulationRunsOnce(t *testing.T) {
	h := newSimHarness()
	h.env.ExecuteWorkflow(workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: "s1"})
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, 1, h.runs)
	require.Empty(t, h.fails)
}

func TestSimulationRetriesThenSucceeds(t *testing.T) {
	h := newSimHarness(errors.New("database unavailable"))
	h.env.ExecuteWorkflow(workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: "s1"})
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, 2, h.runs)
	require.Empty(t, h.fails)
}

func TestSimulationRefusedIsRecordedInWords(t *testing.T) {
	h := newSimHarness(temporal.NewNonRetryableApplicationError("flow complaint created no case from A to B", workflows.ErrSimulationRefused, nil))
	h.env.ExecuteWorkflow(workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: "s1"})
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, 1, h.runs, "a refusal is not retried")
	require.Equal(t, []workflows.FailSimulationInput{{SimulationID: "s1", Error: "flow complaint created no case from A to B"}}, h.fails)
}

func TestSimulationGivesUpAfterThreeAttempts(t *testing.T) {
	boom := errors.New("worker lost")
	h := newSimHarness(boom, boom, boom)
	h.env.ExecuteWorkflow(workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: "s1"})
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, 3, h.runs)
	require.Len(t, h.fails, 1)
	require.Contains(t, h.fails[0].Error, "worker lost")
}
