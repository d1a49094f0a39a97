package engine

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

func TestTemporalErrorMapping(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		is     error
		msg    string
		status int
	}{
		{"stale", temporal.NewApplicationError("task t is not the task the case waits on", workflows.ErrStaleTask), ErrStaleTask, "task t is not the task the case waits on", http.StatusConflict},
		{"wrong department", temporal.NewApplicationError("task t belongs to department technical", workflows.ErrWrongDepartment), ErrWrongDepartment, "task t belongs to department technical", http.StatusForbidden},
		{"unknown outcome", temporal.NewApplicationError(`outcome "x" is not allowed`, workflows.ErrUnknownOutcome), ErrUnknownOutcome, `outcome "x" is not allowed`, http.StatusUnprocessableEntity},
		{"invalid data", fmt.Errorf("update failed: %w", temporal.NewApplicationError(`field "a" is required`, workflows.ErrInvalidData)), ErrInvalidData, `field "a" is required`, http.StatusUnprocessableEntity},
		{"not found", serviceerror.NewNotFound("workflow not found for ID: case-1"), ErrCaseNotRunning, "", http.StatusConflict},
		{"completed", serviceerror.NewNotFound("workflow execution already completed"), ErrCaseNotRunning, "", http.StatusConflict},
		{"unavailable", serviceerror.NewUnavailable("connection refused"), ErrEngineUnavailable, "", http.StatusServiceUnavailable},
		{"deadline", serviceerror.NewDeadlineExceeded("deadline"), ErrEngineUnavailable, "", http.StatusServiceUnavailable},
		{"context deadline", fmt.Errorf("rpc: %w", context.DeadlineExceeded), ErrEngineUnavailable, "", http.StatusServiceUnavailable},
		{"store conflict deep in the chain", fmt.Errorf("complete task t: %w", temporal.NewApplicationErrorWithCause("wrapped", "wrapError", temporal.NewNonRetryableApplicationError("close task t: claimed by another actor", workflows.ErrTaskConflict, nil))), ErrStaleTask, "the task was claimed or closed by someone else meanwhile", http.StatusConflict},
		{"other application error", temporal.NewApplicationError("activity failed", "SomethingElse"), nil, "", http.StatusInternalServerError},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := temporalError(c.err)
			if c.is != nil {
				require.ErrorIs(t, got, c.is)
			}
			if c.msg != "" {
				var rej *RejectedError
				require.ErrorAs(t, got, &rej)
				require.Equal(t, c.msg, rej.Message)
			}
		})
	}
}

// fakeClient is a Temporal client that records what the engine asks of it.
type fakeClient struct {
	client.Client // unimplemented methods panic

	startOpts  client.StartWorkflowOptions
	startType  any
	startArgs  []any
	startErr   error
	updateOpts client.UpdateWorkflowOptions
	updateErr  error
	getErr     error
	result     workflows.CompleteResult
	migrated   workflows.MigrateResult
	cancelled  string
	cancelErr  error
	signalled  []any
	signalErr  error
	pilot      workflows.PilotStatus
	healthErr  error
}

func (f *fakeClient) CheckHealth(ctx context.Context, _ *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	if f.healthErr != nil {
		return nil, f.healthErr
	}
	return &client.CheckHealthResponse{}, nil
}

func (f *fakeClient) ExecuteWorkflow(ctx context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.startOpts, f.startType, f.startArgs = o, wf, args
	return nil, f.startErr
}

func (f *fakeClient) UpdateWorkflow(ctx context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.updateOpts = o
	if f.updateErr != nil {
		return nil, f.updateErr
	}
	return &fakeHandle{f: f}, nil
}

func (f *fakeClient) CancelWorkflow(ctx context.Context, id, runID string) error {
	f.cancelled = id
	return f.cancelErr
}

func (f *fakeClient) SignalWorkflow(ctx context.Context, id, runID, name string, arg any) error {
	f.signalled = []any{id, name, arg}
	return f.signalErr
}

func (f *fakeClient) QueryWorkflow(ctx context.Context, id, runID, name string, args ...any) (converter.EncodedValue, error) {
	if name == workflows.QueryPilot {
		return pilotValue{f.pilot}, nil
	}
	if name != workflows.QueryState {
		return nil, serviceerror.NewInvalidArgument("unknown query " + name)
	}
	return stateValue{workflows.CaseState{CaseID: id, Status: "active", Step: "record"}}, nil
}

type stateValue struct{ st workflows.CaseState }

func (v stateValue) HasValue() bool { return true }
func (v stateValue) Get(p any) error {
	*(p.(*workflows.CaseState)) = v.st
	return nil
}

type pilotValue struct{ st workflows.PilotStatus }

func (v pilotValue) HasValue() bool { return true }
func (v pilotValue) Get(p any) error {
	*(p.(*workflows.PilotStatus)) = v.st
	return nil
}

type fakeHandle struct{ f *fakeClient }

func (h *fakeHandle) WorkflowID() string { return h.f.updateOpts.WorkflowID }
func (h *fakeHandle) RunID() string      { return "" }
func (h *fakeHandle) UpdateID() string   { return h.f.updateOpts.UpdateID }
func (h *fakeHandle) Get(ctx context.Context, v any) error {
	if h.f.getErr != nil {
		return h.f.getErr
	}
	switch p := v.(type) {
	case *workflows.CompleteResult:
		*p = h.f.result
	case *workflows.MigrateResult:
		*p = h.f.migrated
	case *workflows.PilotStatus:
		*p = h.f.pilot
	default:
		return fmt.Errorf("fakeHandle: unexpected result type %T", v)
	}
	return nil
}

func TestTemporalEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fc := &fakeClient{}
	eng := NewTemporal(fc)
	in := workflows.CaseInput{CaseID: "1", Definition: flow.Definition{Key: "complaint", Version: 2}, Variant: "B"}

	require.NoError(t, eng.StartCase(ctx, "case-1", in))
	require.Equal(t, "case-1", fc.startOpts.ID)
	require.Equal(t, workflows.TaskQueue, fc.startOpts.TaskQueue)
	require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY, fc.startOpts.WorkflowIDReusePolicy, "a failed case's restart reuses the id")
	require.True(t, fc.startOpts.WorkflowExecutionErrorWhenAlreadyStarted)
	require.Equal(t, workflows.CaseWorkflow, fc.startType)
	require.Equal(t, []any{in}, fc.startArgs)
	sa := fc.startOpts.TypedSearchAttributes
	key, _ := sa.GetKeyword(workflows.SAFlowKey)
	version, _ := sa.GetInt64(workflows.SAFlowVersion)
	variant, _ := sa.GetKeyword(workflows.SAVariant)
	status, _ := sa.GetKeyword(workflows.SACaseStatus)
	require.Equal(t, []any{"complaint", int64(2), "B", "active"}, []any{key, version, variant, status})

	// Already started is success; other failures are mapped.
	fc.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("started", "req", "run")
	require.NoError(t, eng.StartCase(ctx, "case-1", in))
	fc.startErr = serviceerror.NewUnavailable("down")
	require.ErrorIs(t, eng.StartCase(ctx, "case-1", in), ErrEngineUnavailable)

	req := workflows.CompleteRequest{TaskID: "t1", Outcome: "ok", CompletionID: "u1"}
	fc.result = workflows.CompleteResult{CaseID: "1", TaskID: "t1", CaseStatus: "active"}
	res, err := eng.Complete(ctx, "case-1", "u1", req)
	require.NoError(t, err)
	require.Equal(t, fc.result, res)
	require.Equal(t, client.UpdateWorkflowOptions{WorkflowID: "case-1", UpdateID: "u1", UpdateName: workflows.UpdateComplete,
		Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted}, fc.updateOpts)

	fc.getErr = temporal.NewApplicationError("stale", workflows.ErrStaleTask)
	_, err = eng.Complete(ctx, "case-1", "u2", req)
	require.ErrorIs(t, err, ErrStaleTask)
	fc.updateErr = serviceerror.NewNotFound("workflow execution already completed")
	_, err = eng.Complete(ctx, "case-1", "u3", req)
	require.ErrorIs(t, err, ErrCaseNotRunning)

	require.NoError(t, eng.Cancel(ctx, "case-1"))
	require.Equal(t, "case-1", fc.cancelled)
	fc.cancelErr = serviceerror.NewNotFound("gone")
	require.ErrorIs(t, eng.Cancel(ctx, "case-1"), ErrCaseNotRunning)

	ev := workflows.EventRequest{Name: "reply"}
	require.NoError(t, eng.Signal(ctx, "case-1", ev))
	require.Equal(t, []any{"case-1", workflows.SignalEvent, ev}, fc.signalled)

	st, err := eng.State(ctx, "case-1")
	require.NoError(t, err)
	require.Equal(t, workflows.CaseState{CaseID: "case-1", Status: "active", Step: "record"}, st)

	ec, ok := eng.(Checker)
	require.True(t, ok, "the Temporal engine answers readiness checks")
	require.NoError(t, ec.CheckEngine(ctx))
	fc.healthErr = serviceerror.NewUnavailable("down")
	require.ErrorIs(t, ec.CheckEngine(ctx), ErrEngineUnavailable)
}

func TestTemporalEngineMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fc := &fakeClient{}
	eng := NewTemporal(fc)
	req := workflows.MigrateRequest{MigrationID: "m1", From: 1, To: flow.Definition{Key: "complaint", Version: 2},
		Mapping: map[string]string{"record": "submit"}, ActorID: "owner"}
	fc.migrated = workflows.MigrateResult{CaseID: "1", FromVersion: 1, ToVersion: 2, FromStep: "record", ToStep: "submit",
		ClosedTaskID: "t1", CaseStatus: "active", Next: []workflows.TaskRef{{TaskID: "t2", Step: "submit"}}}
	res, err := eng.Migrate(ctx, "complaint-1", "m1:1", req)
	require.NoError(t, err)
	require.Equal(t, fc.migrated, res)
	require.Equal(t, client.UpdateWorkflowOptions{WorkflowID: "complaint-1", UpdateID: "m1:1", UpdateName: workflows.UpdateMigrate,
		Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted}, fc.updateOpts)

	// The validator's refusal (in the Update's outcome) keeps its reason.
	fc.getErr = fmt.Errorf("update failed: %w", temporal.NewApplicationError("step route is not mapped", workflows.ErrMigrationRefused))
	_, err = eng.Migrate(ctx, "complaint-1", "m1:1", req)
	var rej *RejectedError
	require.ErrorAs(t, err, &rej)
	require.ErrorIs(t, err, ErrMigrationRefused)
	require.Equal(t, "step route is not mapped", rej.Message)
	fc.getErr = nil

	for _, c := range []struct {
		err  error
		want error
	}{
		{serviceerror.NewNotFound("workflow execution already completed"), ErrCaseNotRunning},
		{serviceerror.NewUnavailable("connection refused"), ErrEngineUnavailable},
		{serviceerror.NewDeadlineExceeded("deadline"), ErrEngineUnavailable},
	} {
		fc.updateErr = c.err
		_, err = eng.Migrate(ctx, "complaint-1", "m1:1", req)
		require.ErrorIs(t, err, c.want, c.err.Error())
	}
	// Another application error is neither a refusal nor a closed case.
	fc.updateErr = temporal.NewApplicationError("close task: boom", "SomethingElse")
	_, err = eng.Migrate(ctx, "complaint-1", "m1:1", req)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrMigrationRefused)
	require.NotErrorIs(t, err, ErrCaseNotRunning)
	require.NotErrorIs(t, err, ErrEngineUnavailable)
}

func TestTemporalEnginePilot(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fc := &fakeClient{}
	eng := NewTemporal(fc)
	in := workflows.PilotInput{PilotID: "p1", Flow: "complaint", MaxDuration: time.Hour, EvaluateEvery: time.Minute}

	require.NoError(t, eng.StartPilot(ctx, "pilot-p1", in))
	require.Equal(t, "pilot-p1", fc.startOpts.ID)
	require.Equal(t, workflows.TaskQueue, fc.startOpts.TaskQueue)
	require.Equal(t, enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE, fc.startOpts.WorkflowIDReusePolicy)
	require.Equal(t, workflows.PilotWorkflow, fc.startType)
	require.Equal(t, []any{in}, fc.startArgs)
	fc.startErr = serviceerror.NewWorkflowExecutionAlreadyStarted("started", "req", "run")
	require.NoError(t, eng.StartPilot(ctx, "pilot-p1", in), "already started is success")
	fc.startErr = serviceerror.NewUnavailable("down")
	require.ErrorIs(t, eng.StartPilot(ctx, "pilot-p1", in), ErrEngineUnavailable)

	req := workflows.StopPilotRequest{Reason: "hurts", ActorID: "ann"}
	require.NoError(t, eng.StopPilot(ctx, "pilot-p1", req))
	require.Equal(t, []any{"pilot-p1", workflows.SignalStopPilot, req}, fc.signalled)
	fc.signalErr = serviceerror.NewNotFound("workflow execution already completed")
	require.ErrorIs(t, eng.StopPilot(ctx, "pilot-p1", req), ErrPilotNotRunning)
	require.NotErrorIs(t, eng.StopPilot(ctx, "pilot-p1", req), ErrCaseNotRunning)

	fc.pilot = workflows.PilotStatus{PilotID: "p1", Status: "running", Looks: 2, LastDecision: "continue"}
	st, err := eng.EvaluatePilot(ctx, "pilot-p1", "u1")
	require.NoError(t, err)
	require.Equal(t, fc.pilot, st)
	require.Equal(t, client.UpdateWorkflowOptions{WorkflowID: "pilot-p1", UpdateID: "u1", UpdateName: workflows.UpdateEvaluatePilot,
		WaitForStage: client.WorkflowUpdateStageCompleted}, fc.updateOpts)
	fc.updateErr = temporal.NewApplicationError("the pilot is stopped", "PilotEnded")
	_, err = eng.EvaluatePilot(ctx, "pilot-p1", "u2")
	require.ErrorIs(t, err, ErrPilotNotRunning)
	require.ErrorContains(t, err, "the pilot is stopped")
	fc.updateErr = serviceerror.NewNotFound("workflow execution already completed")
	_, err = eng.EvaluatePilot(ctx, "pilot-p1", "u3")
	require.ErrorIs(t, err, ErrPilotNotRunning)
	fc.updateErr = serviceerror.NewUnavailable("down")
	_, err = eng.EvaluatePilot(ctx, "pilot-p1", "u4")
	require.ErrorIs(t, err, ErrEngineUnavailable)

	st, err = eng.PilotState(ctx, "pilot-p1")
	require.NoError(t, err)
	require.Equal(t, fc.pilot, st)
}

// flakyStore fails chosen methods.
