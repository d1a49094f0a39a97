package workflows_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/workflows"
)

// TestReplayHistories replays every committed history (recorded from a
// real server by TestRecordHistories) against the current Case workflow:
// a non-deterministic change to the interpreter fails here. Changes must
// be guarded with workflow.GetVersion.
func TestReplayHistories(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no histories under testdata/histories; record them with TestRecordHistories")
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
			r.RegisterWorkflowWithOptions(workflows.Pilot, workflow.RegisterOptions{Name: workflows.PilotWorkflow})
			r.RegisterWorkflowWithOptions(workflows.Alert, workflow.RegisterOptions{Name: workflows.AlertWorkflow})
			r.RegisterWorkflowWithOptions(workflows.AlertDelivery, workflow.RegisterOptions{Name: workflows.AlertDeliveryWorkflow})
			r.RegisterWorkflowWithOptions(workflows.Simulation, workflow.RegisterOptions{Name: workflows.SimulationWorkflow})
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, file))
		})
	}
}

// The complaint-v1-rule-keys history routes on first(keys(attributes))
// and first(values(attributes)) over three attributes (decision 0020).
// keys and values are in key order, so every replay takes the recorded
// branch; with expr's own keys/values (map order) most replays would take
// another and fail as non-deterministic.
func TestReplayRuleOverMapOrderIsStable(t *testing.T) {
	t.Parallel()
	file := filepath.Join("testdata", "histories", "complaint-v1-rule-keys.json")
	for range 20 {
		r := worker.NewWorkflowReplayer()
		r.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
		require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, file))
	}
}
