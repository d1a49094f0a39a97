package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/bench/kit"
)

// The handoff scenario's second baseline: a bare Temporal Update on the
// same Temporal server as flowlab, whose handler runs two no-op
// activities (what a completion does at the least: close the task, open
// the next one) and returns. A worker in the bench process serves it on a
// task queue of its own.

const (
	bareHandoffQueue    = "bench-handoff-bare"
	bareHandoffWorkflow = "BenchHandoffBare"
	bareHandoffActivity = "BenchHandoffNoop"
	bareHandoffUpdate   = "complete"
)

// bareHandoff is the bare workflow: it waits for one complete Update,
// whose handler runs the no-op activity twice, and ends.
func bareHandoff(ctx workflow.Context) error {
	done := false
	err := workflow.SetUpdateHandler(ctx, bareHandoffUpdate, func(ctx workflow.Context, step int) (int, error) {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
		for i := 0; i < 2; i++ {
			if err := workflow.ExecuteActivity(actx, bareHandoffActivity, step+i).Get(ctx, nil); err != nil {
				return 0, err
			}
		}
		done = true
		return step + 1, nil
	})
	if err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done })
}

func bareHandoffNoop(_ context.Context, _ int) error { return nil }

// bareUpdates is the bare baseline's client and worker.
type bareUpdates struct {
	c   client.Client
	w   worker.Worker
	run string
	n   int
}

func startBareUpdates(ctx context.Context, hostPort string, e env) (*bareUpdates, error) {
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	c, err := client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: "default", Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("bare baseline: dial temporal: %w", err)
	}
	w := worker.New(c, bareHandoffQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(bareHandoff, workflow.RegisterOptions{Name: bareHandoffWorkflow})
	w.RegisterActivityWithOptions(bareHandoffNoop, activity.RegisterOptions{Name: bareHandoffActivity})
	if err := w.Start(); err != nil {
		c.Close()
		return nil, fmt.Errorf("bare baseline: start worker: %w", err)
	}
	return &bareUpdates{c: c, w: w, run: fmt.Sprintf("%d", time.Now().UnixNano())}, nil
}

func (b *bareUpdates) Close() {
	b.w.Stop()
	b.c.Close()
}

// Measure starts rate×d bare workflows, then sends each its Update at the
// fixed rate and records the Update's round trip.
func (b *bareUpdates) Measure(ctx context.Context, rate int, d time.Duration) (kit.Summary, error) {
	n := int(float64(rate) * d.Seconds())
	ids := make([]string, n)
	for i := range ids {
		b.n++
		ids[i] = fmt.Sprintf("bench-bare-%s-%d", b.run, b.n)
		if _, err := b.c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: ids[i], TaskQueue: bareHandoffQueue,
			WorkflowExecutionTimeout: 10 * time.Minute}, bareHandoffWorkflow); err != nil {
			return kit.Summary{}, fmt.Errorf("bare baseline: start workflow: %w", err)
		}
	}
	// Measured from sending, like flowlab's completions; arrivals the
	// generator could not send (too many in flight) count as errors.
	var lat kit.Latencies
	var calls atomic.Int64
	_, err := kit.Load{Rate: float64(rate), Duration: d}.Run(ctx, func(ctx context.Context, i int) error {
		calls.Add(1)
		sent := time.Now()
		h, err := b.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: ids[i], UpdateName: bareHandoffUpdate,
			Args: []any{1}, WaitForStage: client.WorkflowUpdateStageCompleted})
		if err == nil {
			var next int
			err = h.Get(ctx, &next)
		}
		if err != nil {
			lat.Fail(err)
			return err
		}
		lat.Add(time.Since(sent))
		return nil
	})
	if err != nil {
		return kit.Summary{}, err
	}
	for range int64(n) - calls.Load() {
		lat.Fail(kit.ErrOverloaded)
	}
	return lat.Summary(), nil
}
