// Package worker assembles a Temporal worker that runs flowlab cases: the
// Case workflow and its activities on workflows.TaskQueue.
package worker

import (
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/workflows"
)

// Options tunes the worker. Zero values take the SDK's defaults.
type Options struct {
	// TaskQueue overrides workflows.TaskQueue (tests use their own queue).
	TaskQueue string
	// MaxConcurrentActivities bounds concurrent activity executions.
	MaxConcurrentActivities int
	// MaxConcurrentWorkflowTasks bounds concurrent workflow task executions.
	MaxConcurrentWorkflowTasks int
	// StopTimeout is how long Stop lets running activities finish before
	// it cancels them (the worker stops polling for new tasks at once).
	// Zero cancels them at once, as the SDK does by default; flowlab
	// worker sets it (--stop-timeout).
	StopTimeout time.Duration
	// Interceptors wrap the worker's workflows and activities (flowlab
	// worker's test failpoint is one).
	Interceptors []interceptor.WorkerInterceptor
}

// DefaultWorkflowCacheSize is the sticky workflow cache size flowlab's
// processes use unless told otherwise: how many workflows a worker process
// keeps in memory between their workflow tasks. The SDK's default (10,000)
// suits workflows that run for seconds; a case waits hours on people, and
// each cached one holds its goroutines and state (about 75 KiB: measured
// by go run ./bench memory at 1,000 open cases, 77 MiB over the idle
// worker), so with the SDK's default 10,000 waiting cases took about
// 900 MiB. An evicted case replays its history (tens of events) when its
// next task completes, which costs milliseconds.
const DefaultWorkflowCacheSize = 500

// SetWorkflowCacheSize sets the process-wide sticky workflow cache size
// (n <= 0: DefaultWorkflowCacheSize). The cache is shared by every worker
// of the process; call it before the first worker starts.
func SetWorkflowCacheSize(n int) {
	if n <= 0 {
		n = DefaultWorkflowCacheSize
	}
	sdkworker.SetStickyWorkflowCacheSize(n)
}

// New returns a worker (not started) that runs the Case workflow under the
// type name workflows.CaseWorkflow and every activity of acts.
func New(c client.Client, acts *activities.Activities, opts Options) sdkworker.Worker {
	queue := opts.TaskQueue
	if queue == "" {
		queue = workflows.TaskQueue
	}
	w := sdkworker.New(c, queue, sdkworker.Options{
		MaxConcurrentActivityExecutionSize:     opts.MaxConcurrentActivities,
		MaxConcurrentWorkflowTaskExecutionSize: opts.MaxConcurrentWorkflowTasks,
		WorkerStopTimeout:                      opts.StopTimeout,
		Interceptors:                           opts.Interceptors,
	})
	Register(w, acts)
	return w
}

// Register registers the Case, Pilot and alert workflows and the activities on r (a worker
// or a replayer's registry).
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Pilot, workflow.RegisterOptions{Name: workflows.PilotWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Alert, workflow.RegisterOptions{Name: workflows.AlertWorkflow})
	r.RegisterWorkflowWithOptions(workflows.AlertDelivery, workflow.RegisterOptions{Name: workflows.AlertDeliveryWorkflow})
	r.RegisterWorkflowWithOptions(workflows.Simulation, workflow.RegisterOptions{Name: workflows.SimulationWorkflow})
	if acts != nil {
		acts.Register(r)
	}
}
