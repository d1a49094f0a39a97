package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// describeClient answers DescribeWorkflowExecution and the close event.
type describeClient struct {
	client.Client // unimplemented methods panic
	status        enumspb.WorkflowExecutionStatus
	err           error
	close         *historypb.HistoryEvent
	historyReads  int
}

func (d *describeClient) DescribeWorkflowExecution(_ context.Context, id, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	if d.err != nil {
		return nil, d.err
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: id, RunId: "run-1"}, Status: d.status,
	}}, nil
}

func (d *describeClient) GetWorkflowHistory(_ context.Context, _, runID string, _ bool, filter enumspb.HistoryEventFilterType) client.HistoryEventIterator {
	d.historyReads++
	if runID != "run-1" || filter != enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT {
		panic(fmt.Sprintf("history of run %q with filter %v: only the close event of the described run is read", runID, filter))
	}
	return &oneEvent{ev: d.close}
}

type oneEvent struct{ ev *historypb.HistoryEvent }

func (o *oneEvent) HasNext() bool { return o.ev != nil }
func (o *oneEvent) Next() (*historypb.HistoryEvent, error) {
	ev := o.ev
	o.ev = nil
	return ev, nil
}

func TestTemporalEngineDescribe(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	terminated := &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionTerminatedEventAttributes{
		WorkflowExecutionTerminatedEventAttributes: &historypb.WorkflowExecutionTerminatedEventAttributes{Reason: "Workflow history size exceeds limit."}}}
	failed := &historypb.HistoryEvent{Attributes: &historypb.HistoryEvent_WorkflowExecutionFailedEventAttributes{
		WorkflowExecutionFailedEventAttributes: &historypb.WorkflowExecutionFailedEventAttributes{Failure: &failurepb.Failure{Message: "step x: boom"}}}}
	cases := []struct {
		name      string
		c         *describeClient
		want      WorkflowRun
		reads     int
		errString string
	}{
		{"running", &describeClient{status: enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING}, WorkflowRun{Running: true, RunID: "run-1", Status: "running"}, 0, ""},
		{"between runs", &describeClient{status: enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW}, WorkflowRun{Running: true, RunID: "run-1", Status: "continued_as_new"}, 0, ""},
		{"terminated", &describeClient{status: enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, close: terminated},
			WorkflowRun{RunID: "run-1", Status: "terminated", Reason: "Workflow history size exceeds limit."}, 1, ""},
		{"failed", &describeClient{status: enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, close: failed},
			WorkflowRun{RunID: "run-1", Status: "failed", Reason: "step x: boom"}, 1, ""},
		{"timed out", &describeClient{status: enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT},
			WorkflowRun{RunID: "run-1", Status: "timed_out", Reason: "its run timeout passed"}, 1, ""},
		{"not found", &describeClient{err: serviceerror.NewNotFound("workflow not found")}, WorkflowRun{Status: "not_found"}, 0, ""},
		{"unavailable", &describeClient{err: serviceerror.NewUnavailable("down")}, WorkflowRun{Running: true}, 0, ErrEngineUnavailable.Error()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := NewTemporal(c.c).Describe(ctx, "complaint-1")
			if c.errString != "" {
				require.ErrorContains(t, err, c.errString)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, c.want, got)
			require.Equal(t, c.reads, c.c.historyReads)
		})
	}
	require.Equal(t, "its workflow was terminated: Workflow history size exceeds limit.", cases[2].want.FailureReason())
	require.Equal(t, "its workflow timed out: its run timeout passed", cases[4].want.FailureReason())
	require.Equal(t, "its workflow no longer exists", cases[5].want.FailureReason())
}

// An Update failed by the workflow's cancellation is "case not running"
// (a 409 the handler then explains), not an unknown error (a 500).
func TestCancelledUpdateIsCaseNotRunning(t *testing.T) {
	t.Parallel()
	err := temporalError(fmt.Errorf("update: %w", temporal.NewCanceledError()))
	require.True(t, errors.Is(err, ErrCaseNotRunning), "%v", err)
}
