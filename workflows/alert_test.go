package workflows_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/workflows"
)

// alertHarness runs the Alert workflow with its activities mocked.
type alertHarness struct {
	env        *testsuite.TestWorkflowEnvironment
	mu         sync.Mutex
	evals      []workflows.EvaluateAlertInput
	deliveries []workflows.DeliverAlertInput
	deliverErr []error
}

func newAlertHarness(result workflows.EvaluateAlertResult) *alertHarness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Alert, workflow.RegisterOptions{Name: workflows.AlertWorkflow})
	env.RegisterWorkflowWithOptions(workflows.AlertDelivery, workflow.RegisterOptions{Name: workflows.AlertDeliveryWorkflow})
	h := &alertHarness{env: env}
	env.RegisterActivityWithOptions(func(context.Context, workflows.EvaluateAlertInput) (workflows.EvaluateAlertResult, error) {
		return workflows.EvaluateAlertResult{}, nil
	}, activityName(workflows.ActivityEvaluateAlert))
	env.RegisterActivityWithOptions(func(context.Context, workflows.DeliverAlertInput) error { return nil }, activityName(workflows.ActivityDeliverAlert))
	env.OnActivity(workflows.ActivityEvaluateAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.EvaluateAlertInput) (workflows.EvaluateAlertResult, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.evals = append(h.evals, in)
			return result, nil
		})
	env.OnActivity(workflows.ActivityDeliverAlert, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.DeliverAlertInput) error {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.deliveries = append(h.deliveries, in)
			if len(h.deliverErr) > 0 {
				err := h.deliverErr[0]
				h.deliverErr = h.deliverErr[1:]
				return err
			}
			return nil
		})
	return h
}

func TestAlertEvaluatesOnceAtItsTimeAndDeliversNothingWithoutAChange(t *testing.T) {
	h := newAlertHarness(workflows.EvaluateAlertResult{})
	h.env.ExecuteWorkflow(workflows.AlertWorkflow, workflows.AlertInput{RuleID: "r1"})
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.Len(t, h.evals, 1)
	require.Equal(t, "r1", h.evals[0].RuleID)
	require.True(t, h.evals[0].At.Equal(t0), "without a schedule's time the workflow's clock: %s", h.evals[0].At)
	require.Empty(t, h.deliveries)
}

func TestAlertUsesTheScheduledTime(t *testing.T) {
	h := newAlertHarness(workflows.EvaluateAlertResult{})
	planned := t0.Add(-3 * time.Second)
	h.env.SetTypedSearchAttributesOnStart(temporal.NewSearchAttributes(workflows.SAScheduledStartTime.ValueSet(planned)))
	h.env.ExecuteWorkflow(workflows.AlertWorkflow, workflows.AlertInput{RuleID: "r1"})
	require.NoError(t, h.env.GetWorkflowError())
	require.Len(t, h.evals, 1)
	require.True(t, h.evals[0].At.Equal(planned), "the schedule's planned time: %s", h.evals[0].At)
}

func TestAlertDeliversAStateChangeInItsOwnWorkflowAndRetries(t *testing.T) {
	h := newAlertHarness(workflows.EvaluateAlertResult{EventID: "e1", From: "pending", To: "firing", Deliver: true})
	h.deliverErr = []error{errors.New("receiver down"), errors.New("receiver down")}
	var childID string
	h.env.SetOnChildWorkflowStartedListener(func(info *workflow.Info, _ workflow.Context, _ converter.EncodedValues) {
		childID = info.WorkflowExecution.ID
	})
	h.env.ExecuteWorkflow(workflows.AlertWorkflow, workflows.AlertInput{RuleID: "r1"})
	require.NoError(t, h.env.GetWorkflowError())
	var res workflows.EvaluateAlertResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, "e1", res.EventID)
	require.Equal(t, workflows.AlertDeliveryID("e1"), childID)
	require.Len(t, h.deliveries, 3, "two failures retried, then delivered")
	require.Equal(t, workflows.DeliverAlertInput{RuleID: "r1", EventID: "e1"}, h.deliveries[2])
}
