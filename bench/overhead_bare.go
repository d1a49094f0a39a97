package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// The bare baseline of the overhead scenario: a Temporal workflow with no
// flowlab in it that does what a complaint case does to Temporal (the same
// number of activities and Updates, counted from a real case's history),
// with activities that do nothing and a client that sends each Update as
// soon as the previous one returned.

const (
	bareQueue    = "bench-bare"
	bareWorkflow = "BenchBareCase"
	bareActivity = "BenchBareStep"
	bareUpdate   = "complete"
)

// barePlan is the shape of one bare case: Updates human steps; before the
// workflow waits for step i's Update it runs Before activities; each
// Update's handler runs one activity (closing the task, as flowlab's
// handler does); After activities run once the last step is done.
type barePlan struct {
	Updates int `json:"updates"`
	Before  int `json:"before"`
	After   int `json:"after"`
	// LocalBefore of the Before activities and LocalAfter of the After
	// ones run as local activities (the last ones of each group), as
	// flowlab runs some store writes (decision 0018); the Update handler's
	// activity is regular, as flowlab's CloseTask.
	LocalBefore int `json:"local_before,omitempty"`
	LocalAfter  int `json:"local_after,omitempty"`
}

// withLocal makes local of the plan's activities local ones, spread like
// the others: as many before each step as fit evenly, the rest at the end.
func (p barePlan) withLocal(local int) (barePlan, error) {
	p.LocalBefore = min(p.Before, local/p.Updates)
	p.LocalAfter = local - p.LocalBefore*p.Updates
	if p.LocalAfter < 0 || p.LocalAfter > p.After {
		return p, fmt.Errorf("bare plan: %d local activities do not fit %+v", local, p)
	}
	return p, nil
}

// Activities is the plan's activity count.
func (p barePlan) Activities() int { return p.Updates*(p.Before+1) + p.After }

// barePlanFor spreads a case's activity and Update counts over the bare shape:
// one activity in each Update's handler, the rest evenly before each step,
// the remainder at the end.
func barePlanFor(activities, updates int) (barePlan, error) {
	if updates <= 0 || activities < updates {
		return barePlan{}, fmt.Errorf("bare plan: %d activities for %d updates: want at least one update and one activity per update", activities, updates)
	}
	rest := activities - updates
	return barePlan{Updates: updates, Before: rest / updates, After: rest % updates}, nil
}

// bareRequest completes step Seq.
type bareRequest struct {
	Seq     int            `json:"seq"`
	Outcome string         `json:"outcome"`
	Data    map[string]any `json:"data,omitempty"`
}

// bareReply names the step awaited next (0 when the case is done).
type bareReply struct {
	Next int  `json:"next"`
	Done bool `json:"done"`
}

// bareCase is the bare workflow. Its Update validator, like flowlab's,
// accepts only the step the workflow waits on now.
func bareCase(ctx workflow.Context, p barePlan) (int, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second})
	lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 30 * time.Second})
	step := func(ctx workflow.Context, req bareRequest, local bool) error {
		if local {
			return workflow.ExecuteLocalActivity(lctx, bareActivity, req).Get(ctx, nil)
		}
		return workflow.ExecuteActivity(actx, bareActivity, req).Get(ctx, nil)
	}
	var (
		seq        = 1
		opened     bool
		completing bool
		done       bool
		rest       int
		steps      = workflow.NewBufferedChannel(ctx, 1)
	)
	check := func(req bareRequest) error {
		if req.Seq != seq || completing || done {
			return temporal.NewApplicationError(fmt.Sprintf("step %d is not awaited (at %d)", req.Seq, seq), "StaleStep")
		}
		return nil
	}
	err := workflow.SetUpdateHandlerWithOptions(ctx, bareUpdate,
		func(ctx workflow.Context, req bareRequest) (bareReply, error) {
			if err := check(req); err != nil {
				return bareReply{}, err
			}
			completing = true
			if err := workflow.Await(ctx, func() bool { return opened }); err != nil {
				return bareReply{}, err
			}
			r := rest
			if err := step(ctx, req, false); err != nil {
				return bareReply{}, err
			}
			steps.Send(ctx, req.Outcome)
			if err := workflow.Await(ctx, func() bool { return rest > r }); err != nil {
				return bareReply{}, err
			}
			if done {
				return bareReply{Done: true}, nil
			}
			return bareReply{Next: seq}, nil
		},
		workflow.UpdateHandlerOptions{Validator: func(_ workflow.Context, req bareRequest) error { return check(req) }})
	if err != nil {
		return 0, err
	}
	for s := 1; s <= p.Updates; s++ {
		seq, opened, completing = s, false, false
		for i := 0; i < p.Before; i++ {
			if err := step(ctx, bareRequest{Seq: s}, i >= p.Before-p.LocalBefore); err != nil {
				return 0, err
			}
		}
		opened = true
		if s > 1 {
			rest++ // the previous step's handler may return
		}
		steps.Receive(ctx, nil)
	}
	for i := 0; i < p.After; i++ {
		if err := step(ctx, bareRequest{Seq: p.Updates + 1}, i >= p.After-p.LocalAfter); err != nil {
			return 0, err
		}
	}
	done = true
	rest++
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return 0, err
	}
	return p.Updates, nil
}

// bareStep is the bare activity: it does nothing.
func bareStep(context.Context, bareRequest) error { return nil }

// startBareWorker registers the bare workflow and activity on their own
// task queue of the server c talks to.
func startBareWorker(c client.Client) (worker.Worker, error) {
	w := worker.New(c, bareQueue, worker.Options{})
	w.RegisterWorkflowWithOptions(bareCase, workflow.RegisterOptions{Name: bareWorkflow})
	w.RegisterActivityWithOptions(bareStep, activity.RegisterOptions{Name: bareActivity})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("bare worker: %w", err)
	}
	return w, nil
}

// runBareCase starts one bare case and sends its Updates one after the
// other, each as soon as the previous returned, until the workflow ends.
func runBareCase(ctx context.Context, c client.Client, id string, p barePlan) error {
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareQueue}, bareWorkflow, p)
	if err != nil {
		return fmt.Errorf("start %s: %w", id, err)
	}
	seq := 1
	for seq > 0 {
		h, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateID: fmt.Sprintf("%s-%d", id, seq), UpdateName: bareUpdate,
			Args:         []any{bareRequest{Seq: seq, Outcome: "done", Data: map[string]any{"summary": "bench"}}},
			WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err != nil {
			return fmt.Errorf("update %s step %d: %w", id, seq, err)
		}
		var rep bareReply
		if err := h.Get(ctx, &rep); err != nil {
			return fmt.Errorf("update %s step %d: %w", id, seq, err)
		}
		if rep.Done {
			break
		}
		if rep.Next <= seq {
			return fmt.Errorf("update %s step %d: next step %d does not move on", id, seq, rep.Next)
		}
		seq = rep.Next
	}
	var n int
	if err := run.Get(ctx, &n); err != nil {
		return fmt.Errorf("bare case %s: %w", id, err)
	}
	if n != p.Updates {
		return errors.New("bare case " + id + ": wrong step count")
	}
	return nil
}
