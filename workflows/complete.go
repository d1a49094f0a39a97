package workflows

import (
	"fmt"
	"slices"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
)

// validateComplete is the complete Update's validator. It is read-only:
// a rejected Update leaves nothing in history.
func (r *caseRun) validateComplete(_ workflow.Context, req CompleteRequest) error {
	return r.checkComplete(req)
}

// checkComplete reports why req cannot complete the task the case waits
// on now, as an application error typed with one of the Err* constants.
func (r *caseRun) checkComplete(req CompleteRequest) error {
	ot := r.open
	if ot == nil || r.continuing || r.migrating || ot.completing || ot.ref.TaskID != req.TaskID {
		return temporal.NewApplicationError(
			fmt.Sprintf("task %s is not the task the case waits on", req.TaskID), ErrStaleTask)
	}
	if req.ActorRole != RoleAdmin && !slices.Contains(req.ActorDepartments, ot.ref.Department) {
		return temporal.NewApplicationError(
			fmt.Sprintf("task %s belongs to department %s", req.TaskID, ot.ref.Department), ErrWrongDepartment)
	}
	if _, ok := ot.step.Outcome(req.Outcome); !ok {
		return temporal.NewApplicationError(
			fmt.Sprintf("outcome %q is not allowed at step %s", req.Outcome, ot.step.ID), ErrUnknownOutcome)
	}
	for _, f := range ot.step.Form {
		if msg := checkField(f, req.Data); msg != "" {
			return temporal.NewApplicationError(msg, ErrInvalidData)
		}
	}
	if ot.step.ID == flow.FollowUpStep {
		if _, msg := flow.CheckFollowUpAnswers(req.Outcome, req.Data); msg != "" {
			return temporal.NewApplicationError(msg, ErrInvalidData)
		}
	}
	return nil
}

// checkField returns why data does not satisfy the form field f ("" when
// it does): a required field must be present and non-empty, an enum value
// must be one of the options.
func checkField(f flow.Field, data map[string]any) string {
	v, ok := data[f.Name]
	if !ok || v == nil {
		if f.Required {
			return fmt.Sprintf("field %q is required", f.Name)
		}
		return ""
	}
	s, isString := v.(string)
	if f.Required && isString && s == "" {
		return fmt.Sprintf("field %q is required", f.Name)
	}
	if f.Type == "enum" && len(f.Options) > 0 && (!isString || (s != "" && !slices.Contains(f.Options, s))) {
		return fmt.Sprintf("field %q must be one of %v", f.Name, f.Options)
	}
	return ""
}

// complete is the complete Update's handler. Several Updates can pass the
// validator in the same workflow task, so it checks again and marks the
// task as completing before its first blocking call; later ones get
// ErrStaleTask. It closes the task (and records its span) through the
// CloseTask activity, hands the outcome to the main loop and returns once
// the interpreter has come to rest again.
func (r *caseRun) complete(ctx workflow.Context, req CompleteRequest) (CompleteResult, error) {
	if err := r.checkComplete(req); err != nil {
		return CompleteResult{}, err
	}
	ot := r.open
	ot.completing = true
	// After a continue-as-new the task may still be opening; an Escalate
	// activity in flight must finish before the task closes.
	if err := workflow.Await(ctx, func() bool { return ot.opened && !r.escalating }); err != nil {
		ot.completing = false
		return CompleteResult{}, fmt.Errorf("complete task %s: %w", req.TaskID, err)
	}
	rest := r.rest
	now := workflow.Now(ctx)
	o, _ := ot.step.Outcome(req.Outcome)
	in := CloseTaskInput{
		TaskID:       req.TaskID,
		Status:       StatusCompleted,
		Outcome:      o.Name,
		Data:         req.Data,
		ActorID:      req.ActorID,
		CompletionID: req.CompletionID,
		RequestID:    req.RequestID,
		Span:         r.taskSpan(ot, now, o.Name, req.ActorID),
	}
	if ot.step.ID == flow.FollowUpStep {
		// A follow-up call (decision 0041): the activity keeps the
		// answers with the case's follow-up.
		in.FollowUp = &FollowUpAnswer{CaseID: r.in.CaseID, Outcome: o.Name}
		if a, _ := flow.CheckFollowUpAnswers(o.Name, req.Data); a != nil {
			in.FollowUp.Improvement, in.FollowUp.CSAT, in.FollowUp.Comment = a.Improvement, a.CSAT, a.Comment
		}
	}
	err := actedOnActivity(ctx, ActivityCloseTask, in).Get(ctx, nil)
	if err != nil {
		ot.completing = false
		return CompleteResult{}, fmt.Errorf("complete task %s: %w", req.TaskID, err)
	}
	r.completions.Send(ctx, completion{Outcome: o.Name, Data: req.Data})
	if err := workflow.Await(ctx, func() bool {
		return r.rest > rest || r.continuing || (r.status != StatusActive && !r.followingUp)
	}); err != nil {
		return CompleteResult{}, fmt.Errorf("complete task %s: %w", req.TaskID, err)
	}
	res := CompleteResult{CaseID: r.in.CaseID, TaskID: req.TaskID, CaseStatus: r.status, Next: r.openRefs()}
	if r.continuing {
		res.Next = r.preview
	}
	return res, nil
}
