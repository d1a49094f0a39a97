package workflows

import (
	"errors"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The alert workflows' protocol (decision 0040). A Temporal Schedule per
// alert rule starts AlertWorkflow every rule interval; each run evaluates
// the rule once, and a state change with a webhook to tell starts an
// AlertDeliveryWorkflow of its own that outlives the run. These names are
// part of histories.
const (
	// AlertWorkflow evaluates an alert rule once.
	AlertWorkflow = "Alert"
	// AlertDeliveryWorkflow posts one state change to the rule's webhook.
	AlertDeliveryWorkflow = "AlertDelivery"

	ActivityEvaluateAlert = "EvaluateAlert"
	ActivityDeliverAlert  = "DeliverAlert"
)

// AlertScheduleID is the id of rule's Temporal Schedule; its runs' workflow
// ids start with AlertWorkflowID(rule) (the schedule appends the time).
func AlertScheduleID(rule string) string { return "alert-" + rule }

// AlertWorkflowID is the workflow id prefix of rule's evaluations.
func AlertWorkflowID(rule string) string { return "alert-" + rule }

// AlertDeliveryID is the workflow id of the delivery of a state change: one
// event is delivered by one workflow, however often it is asked for.
func AlertDeliveryID(event string) string { return "alert-delivery-" + event }

// SAScheduledStartTime is the search attribute Temporal sets on a
// workflow a schedule starts: the time the action was scheduled for.
var SAScheduledStartTime = temporal.NewSearchAttributeKeyTime("TemporalScheduledStartTime")

// AlertInput is the argument a rule's schedule starts AlertWorkflow with.
type AlertInput struct {
	RuleID string
}

// EvaluateAlertInput evaluates a rule at At.
type EvaluateAlertInput struct {
	RuleID string
	At     time.Time
}

// EvaluateAlertResult is what an evaluation did: the state change
// recorded (EventID "" for none), whether it goes to the rule's webhook,
// and whether the rule is gone.
type EvaluateAlertResult struct {
	EventID  string `json:",omitempty"`
	From, To string `json:",omitempty"`
	Deliver  bool   `json:",omitempty"`
	Gone     bool   `json:",omitempty"`
}

// DeliverAlertInput posts state change EventID of rule RuleID.
type DeliverAlertInput struct {
	RuleID  string
	EventID string
}

// Alert evaluates an alert rule once at the time its schedule planned the
// run (the search attribute TemporalScheduledStartTime; workflow.Now when
// started otherwise), so that the evaluation's time is the same on every
// attempt and the store records it once. A state change to tell by webhook
// starts its AlertDeliveryWorkflow, which retries on its own time and
// outlives this run (ParentClosePolicy abandon); its workflow id is the
// change's, so a change is delivered by one workflow.
func Alert(ctx workflow.Context, in AlertInput) (EvaluateAlertResult, error) {
	at := workflow.Now(ctx)
	if t, ok := workflow.GetTypedSearchAttributes(ctx).GetTime(SAScheduledStartTime); ok && !t.IsZero() {
		at = t
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    30 * time.Second,
			MaximumAttempts:    10,
		},
	})
	var res EvaluateAlertResult
	if err := workflow.ExecuteActivity(actx, ActivityEvaluateAlert, EvaluateAlertInput{RuleID: in.RuleID, At: at.UTC()}).Get(ctx, &res); err != nil {
		return res, err
	}
	if !res.Deliver {
		return res, nil
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            AlertDeliveryID(res.EventID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	child := workflow.ExecuteChildWorkflow(cctx, AlertDeliveryWorkflow, DeliverAlertInput{RuleID: in.RuleID, EventID: res.EventID})
	err := child.GetChildWorkflowExecution().Get(ctx, nil)
	var started *temporal.ChildWorkflowExecutionAlreadyStartedError
	if errors.As(err, &started) {
		// Delivered, or being delivered, by an earlier run.
		return res, nil
	}
	return res, err
}

// AlertDelivery posts one state change to its rule's webhook, retrying
// with backoff for up to a day (a receiver that is down for hours still
// gets it); every attempt carries the change's id as Idempotency-Key.
func AlertDelivery(ctx workflow.Context, in DeliverAlertInput) error {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Second,
		ScheduleToCloseTimeout: 24 * time.Hour,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    2 * time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    10 * time.Minute,
		},
	})
	return workflow.ExecuteActivity(actx, ActivityDeliverAlert, in).Get(ctx, nil)
}
