package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The simulation workflow's protocol (issue 22, decision 0045). The API
// stores a simulation's request and starts SimulationWorkflow, which runs
// the calibration and the replications in one activity that heartbeats
// and records its progress, and records the failure when that gives up.
// These names are part of histories.
const (
	SimulationWorkflow = "Simulation"

	ActivityRunSimulation  = "RunSimulation"
	ActivityFailSimulation = "FailSimulation"

	// ErrSimulationRefused is the application error type of a request
	// the activity cannot simulate (no history in the window, a version
	// gone, too much to read): not retried, recorded as the failure.
	ErrSimulationRefused = "SimulationRefused"
)

// SimulationID is the workflow id of simulation id.
func SimulationID(id string) string { return "simulation-" + id }

// SimulationInput names the stored simulation to run.
type SimulationInput struct {
	SimulationID string
}

// FailSimulationInput records why a simulation failed.
type FailSimulationInput struct {
	SimulationID string
	Error        string
}

// SimulationHeartbeat is how long the activity may go without a
// heartbeat; it heartbeats after every replication and while it reads.
const SimulationHeartbeat = time.Minute

// Simulation runs a stored simulation: RunSimulation (up to 30 minutes an
// attempt, 3 attempts; a worker that dies mid-run is noticed within a
// heartbeat timeout and another attempt starts over, the result being
// recorded once), then, when it failed for good, FailSimulation with the
// reason in words.
func Simulation(ctx workflow.Context, in SimulationInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    SimulationHeartbeat,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        5 * time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			MaximumAttempts:        3,
			NonRetryableErrorTypes: []string{ErrSimulationRefused},
		},
	})
	err := workflow.ExecuteActivity(actx, ActivityRunSimulation, in).Get(ctx, nil)
	if err == nil {
		return nil
	}
	reason := "the simulation stopped: " + err.Error()
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		reason = app.Message()
	}
	fctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: time.Minute, MaximumAttempts: 20},
	})
	return workflow.ExecuteActivity(fctx, ActivityFailSimulation, FailSimulationInput{SimulationID: in.SimulationID, Error: reason}).Get(ctx, nil)
}
