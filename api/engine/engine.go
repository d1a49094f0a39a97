// Package engine is how the API drives workflows: the Engine interface
// (start, complete, migrate, cancel, signal and read cases; start, stop,
// evaluate and read pilots), its Temporal implementation, and the errors
// the API maps to its answers. enginetest holds a fake for the API's and
// the web UI's tests.
package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/workflows"
)

// Engine is the Temporal side of the API: starting, updating, cancelling,
// signalling and querying case workflows. Handlers depend on this interface
// so they can be tested with a fake; NewTemporal is the real one.
//
// Implementations report failures with the errors of this file (wrapped
// with %w) so handlers can map them to HTTP statuses:
// a *RejectedError for a complete Update the workflow refused,
// ErrCaseNotRunning when the workflow does not exist or has closed, and
// ErrEngineUnavailable when the engine cannot be reached.
type Engine interface {
	// StartCase starts the case workflow. It is idempotent: a workflow
	// already started under workflowID is success.
	StartCase(ctx context.Context, workflowID string, in workflows.CaseInput) error
	// Complete runs the complete Update with updateID as its Update ID and
	// waits for its result.
	Complete(ctx context.Context, workflowID, updateID string, req workflows.CompleteRequest) (workflows.CompleteResult, error)
	// Cancel requests cancellation of the case workflow.
	Cancel(ctx context.Context, workflowID string) error
	// Signal delivers an external event to the case workflow.
	Signal(ctx context.Context, workflowID string, ev workflows.EventRequest) error
	// Describe reports how the case workflow's latest run stands; a
	// workflow that does not exist is Status "not_found", not an error.
	Describe(ctx context.Context, workflowID string) (WorkflowRun, error)
	// State queries the case workflow's state.
	State(ctx context.Context, workflowID string) (workflows.CaseState, error)
	// Migrate runs the migrate Update with updateID as its Update ID (a
	// retry with the same ID has no second effect) and waits until the
	// case rests on the new version. A refusal by the workflow is a
	// *RejectedError with reason ErrMigrationRefused.
	Migrate(ctx context.Context, workflowID, updateID string, req workflows.MigrateRequest) (workflows.MigrateResult, error)

	// StartPilot starts a pilot's Pilot workflow. It is idempotent like
	// StartCase: a workflow already started under workflowID is success.
	StartPilot(ctx context.Context, workflowID string, in workflows.PilotInput) error
	// StopPilot signals the Pilot workflow to stop (the workflow ends the
	// pilot row). ErrPilotNotRunning when the workflow does not exist or
	// has closed.
	StopPilot(ctx context.Context, workflowID string, req workflows.StopPilotRequest) error
	// EvaluatePilot runs the evaluate Update with updateID as its Update
	// ID and returns the pilot's status after the look. ErrPilotNotRunning
	// when the workflow has closed or its validator says the pilot ended.
	EvaluatePilot(ctx context.Context, workflowID, updateID string) (workflows.PilotStatus, error)
	// PilotState queries the Pilot workflow's status.
	PilotState(ctx context.Context, workflowID string) (workflows.PilotStatus, error)

	// PutAlertSchedule creates, or updates when it exists, the Temporal
	// Schedule of an alert rule: workflows.AlertWorkflow started every
	// `every`, a run skipped while the last is open (decision 0040).
	PutAlertSchedule(ctx context.Context, ruleID string, every time.Duration) error
	// DeleteAlertSchedule deletes a rule's schedule; one that does not
	// exist is success.
	DeleteAlertSchedule(ctx context.Context, ruleID string) error
	// TriggerAlertSchedule starts an evaluation of the rule now, beside
	// its interval (a run already open makes it a no-op).
	TriggerAlertSchedule(ctx context.Context, ruleID string) error
	// AlertSchedules lists the rule ids that have a schedule (at most
	// limit).
	AlertSchedules(ctx context.Context, limit int) ([]string, error)

	// StartSimulation starts the Simulation workflow of a stored
	// simulation (decision 0045); one already started is success.
	StartSimulation(ctx context.Context, id string) error
}

// Reasons a complete Update can be rejected; match them with errors.Is on
// a *RejectedError.
var (
	// ErrStaleTask: the task is not the one the case waits on now.
	ErrStaleTask = errors.New("task is not awaited by the case")
	// ErrWrongDepartment: the actor may not act in the task's department.
	ErrWrongDepartment = errors.New("actor not in the task's department")
	// ErrUnknownOutcome: the outcome is not allowed by the step.
	ErrUnknownOutcome = errors.New("unknown outcome")
	// ErrInvalidData: the form data is invalid.
	ErrInvalidData = errors.New("invalid task data")
	// ErrMigrationRefused: the case cannot be migrated now (another
	// version, an unmapped step, between steps...); the message says why.
	ErrMigrationRefused = errors.New("migration refused")

	// ErrCaseNotRunning: the case workflow does not exist or has closed.
	ErrCaseNotRunning = errors.New("case workflow not running")
	// ErrPilotNotRunning: the Pilot workflow does not exist, has closed,
	// or refused an evaluation because its pilot has ended.
	ErrPilotNotRunning = errors.New("pilot workflow not running")
	// ErrEngineUnavailable: the workflow engine cannot be reached right now.
	ErrEngineUnavailable = errors.New("workflow engine unavailable")
)

// RejectedError is a complete or migrate Update refused by the case
// workflow. Reason is one of ErrStaleTask, ErrWrongDepartment,
// ErrUnknownOutcome, ErrInvalidData, ErrMigrationRefused; Message is the workflow's explanation, meant for the
// client.
type RejectedError struct {
	Reason  error
	Message string
}

func (e *RejectedError) Error() string {
	if e.Message == "" {
		return e.Reason.Error()
	}
	return e.Reason.Error() + ": " + e.Message
}

// Unwrap lets errors.Is match the reason.
func (e *RejectedError) Unwrap() error { return e.Reason }

// temporalEngine is the Engine on a Temporal client.
type temporalEngine struct {
	c client.Client
}

// NewTemporal returns the Engine backed by a Temporal client. Case
// workflows run on workflows.TaskQueue as workflow type
// workflows.CaseWorkflow, started with the typed search attributes
// workflows.SAFlowKey, SAFlowVersion, SAVariant and SACaseStatus (which must
// be registered on the namespace, see workflows.SearchAttributes).
func NewTemporal(c client.Client) Engine {
	return &temporalEngine{c: c}
}

// CheckEngine asks the Temporal frontend for its health (readiness).
func (e *temporalEngine) CheckEngine(ctx context.Context) error {
	if _, err := e.c.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		return fmt.Errorf("temporal: check health: %w: %w", ErrEngineUnavailable, err)
	}
	return nil
}

func (e *temporalEngine) StartCase(ctx context.Context, workflowID string, in workflows.CaseInput) error {
	opts := client.StartWorkflowOptions{
		ID:        workflowID,
		TaskQueue: workflows.TaskQueue,
		// A new case's workflow id is reused only after a run that failed,
		// was terminated or timed out. A restart (in.Resume: the store has
		// the case failed) follows any closed run, one that completed
		// without closing its case included (decision 0022); a run still
		// open is never doubled either way.
		WorkflowIDReusePolicy:                    reusePolicy(in),
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		TypedSearchAttributes: temporal.NewSearchAttributes(
			workflows.SAFlowKey.ValueSet(in.Definition.Key),
			workflows.SAFlowVersion.ValueSet(int64(in.Definition.Version)),
			workflows.SAVariant.ValueSet(in.Variant),
			workflows.SACaseStatus.ValueSet(workflows.StatusActive),
		),
	}
	_, err := e.c.ExecuteWorkflow(ctx, opts, workflows.CaseWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("engine: start %s: %w", workflowID, temporalError(err))
	}
	return nil
}

// reusePolicy is the workflow id reuse policy of a start: see StartCase.
func reusePolicy(in workflows.CaseInput) enumspb.WorkflowIdReusePolicy {
	if in.Resume != nil {
		return enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE
	}
	return enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
}

func (e *temporalEngine) Describe(ctx context.Context, workflowID string) (WorkflowRun, error) {
	resp, err := e.c.DescribeWorkflowExecution(ctx, workflowID, "")
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return WorkflowRun{Status: "not_found"}, nil
	}
	if err != nil {
		return WorkflowRun{Running: true}, fmt.Errorf("engine: describe %s: %w", workflowID, temporalError(err))
	}
	info := resp.GetWorkflowExecutionInfo()
	run := WorkflowRun{RunID: info.GetExecution().GetRunId()}
	status := info.GetStatus()
	run.Status = strings.ToLower(strings.TrimPrefix(status.String(), "WorkflowExecutionStatus"))
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED:
		run.Running, run.Status = true, "running"
		return run, nil
	case enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED:
		run.Status = "terminated"
	case enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		run.Status, run.Reason = "timed_out", "its run timeout passed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED:
		run.Status = "failed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		run.Status = "canceled"
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		run.Status = "completed"
	case enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW:
		// Between two runs: the next one is starting.
		run.Running, run.Status = true, "continued_as_new"
		return run, nil
	}
	// The close event says why (one event, not the history).
	it := e.c.GetWorkflowHistory(ctx, workflowID, run.RunID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT)
	if it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return run, fmt.Errorf("engine: close event of %s: %w", workflowID, temporalError(err))
		}
		if a := ev.GetWorkflowExecutionTerminatedEventAttributes(); a != nil {
			run.Reason = a.GetReason()
		} else if a := ev.GetWorkflowExecutionFailedEventAttributes(); a != nil {
			run.Reason = a.GetFailure().GetMessage()
		}
	}
	return run, nil
}

func (e *temporalEngine) Complete(ctx context.Context, workflowID, updateID string, req workflows.CompleteRequest) (workflows.CompleteResult, error) {
	var res workflows.CompleteResult
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateID:     updateID,
		UpdateName:   workflows.UpdateComplete,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return res, fmt.Errorf("engine: complete on %s: %w", workflowID, temporalError(err))
	}
	if err := h.Get(ctx, &res); err != nil {
		return res, fmt.Errorf("engine: complete on %s: %w", workflowID, temporalError(err))
	}
	return res, nil
}

func (e *temporalEngine) Migrate(ctx context.Context, workflowID, updateID string, req workflows.MigrateRequest) (workflows.MigrateResult, error) {
	var res workflows.MigrateResult
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateID:     updateID,
		UpdateName:   workflows.UpdateMigrate,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return res, fmt.Errorf("engine: migrate %s: %w", workflowID, temporalError(err))
	}
	if err := h.Get(ctx, &res); err != nil {
		return res, fmt.Errorf("engine: migrate %s: %w", workflowID, temporalError(err))
	}
	return res, nil
}

func (e *temporalEngine) Cancel(ctx context.Context, workflowID string) error {
	if err := e.c.CancelWorkflow(ctx, workflowID, ""); err != nil {
		return fmt.Errorf("engine: cancel %s: %w", workflowID, temporalError(err))
	}
	return nil
}

func (e *temporalEngine) Signal(ctx context.Context, workflowID string, ev workflows.EventRequest) error {
	if err := e.c.SignalWorkflow(ctx, workflowID, "", workflows.SignalEvent, ev); err != nil {
		return fmt.Errorf("engine: signal %s: %w", workflowID, temporalError(err))
	}
	return nil
}

func (e *temporalEngine) State(ctx context.Context, workflowID string) (workflows.CaseState, error) {
	var st workflows.CaseState
	v, err := e.c.QueryWorkflow(ctx, workflowID, "", workflows.QueryState)
	if err != nil {
		return st, fmt.Errorf("engine: state of %s: %w", workflowID, temporalError(err))
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("engine: decode state of %s: %w", workflowID, err)
	}
	return st, nil
}

// pilotEndedType is the application error type the Pilot workflow's
// evaluate validator rejects with when its pilot has ended.
const pilotEndedType = "PilotEnded"

func (e *temporalEngine) StartPilot(ctx context.Context, workflowID string, in workflows.PilotInput) error {
	opts := client.StartWorkflowOptions{
		ID:                                       workflowID,
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}
	_, err := e.c.ExecuteWorkflow(ctx, opts, workflows.PilotWorkflow, in)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("engine: start pilot %s: %w", workflowID, pilotError(err))
	}
	return nil
}

func (e *temporalEngine) StopPilot(ctx context.Context, workflowID string, req workflows.StopPilotRequest) error {
	if err := e.c.SignalWorkflow(ctx, workflowID, "", workflows.SignalStopPilot, req); err != nil {
		return fmt.Errorf("engine: stop pilot %s: %w", workflowID, pilotError(err))
	}
	return nil
}

func (e *temporalEngine) EvaluatePilot(ctx context.Context, workflowID, updateID string) (workflows.PilotStatus, error) {
	var st workflows.PilotStatus
	h, err := e.c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflowID,
		UpdateID:     updateID,
		UpdateName:   workflows.UpdateEvaluatePilot,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		return st, fmt.Errorf("engine: evaluate pilot %s: %w", workflowID, pilotError(err))
	}
	if err := h.Get(ctx, &st); err != nil {
		return st, fmt.Errorf("engine: evaluate pilot %s: %w", workflowID, pilotError(err))
	}
	return st, nil
}

func (e *temporalEngine) PilotState(ctx context.Context, workflowID string) (workflows.PilotStatus, error) {
	var st workflows.PilotStatus
	v, err := e.c.QueryWorkflow(ctx, workflowID, "", workflows.QueryPilot)
	if err != nil {
		return st, fmt.Errorf("engine: state of pilot %s: %w", workflowID, pilotError(err))
	}
	if err := v.Get(&st); err != nil {
		return st, fmt.Errorf("engine: decode state of pilot %s: %w", workflowID, err)
	}
	return st, nil
}

// pilotError is temporalError for the Pilot workflow: a missing or closed
// workflow, or the evaluate validator's refusal, is ErrPilotNotRunning.
func pilotError(err error) error {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == pilotEndedType {
		return fmt.Errorf("%w: %s", ErrPilotNotRunning, app.Message())
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%w: %w", ErrPilotNotRunning, err)
	}
	return temporalError(err)
}

// temporalError translates Temporal client errors into this package's
// errors, keeping the original in the chain for logs.
func temporalError(err error) error {
	// The store's refusal to close the task surfaces deep in the chain
	// (update failure → activity error → application error).
	for e := err; e != nil; e = errors.Unwrap(e) {
		if app, ok := e.(*temporal.ApplicationError); ok && app.Type() == workflows.ErrTaskConflict {
			return &RejectedError{Reason: ErrStaleTask, Message: "the task was claimed or closed by someone else meanwhile"}
		}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		var reason error
		switch app.Type() {
		case workflows.ErrStaleTask:
			reason = ErrStaleTask
		case workflows.ErrWrongDepartment:
			reason = ErrWrongDepartment
		case workflows.ErrUnknownOutcome:
			reason = ErrUnknownOutcome
		case workflows.ErrInvalidData:
			reason = ErrInvalidData
		case workflows.ErrMigrationRefused:
			reason = ErrMigrationRefused
		}
		if reason != nil {
			return &RejectedError{Reason: reason, Message: app.Message()}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%w: %w", ErrCaseNotRunning, err)
	}
	// An Update whose workflow was cancelled meanwhile fails with the
	// workflow's cancellation: the case is no longer running.
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return fmt.Errorf("%w: the case was cancelled: %w", ErrCaseNotRunning, err)
	}
	var (
		unavailable *serviceerror.Unavailable
		deadline    *serviceerror.DeadlineExceeded
		exhausted   *serviceerror.ResourceExhausted
	)
	if errors.As(err, &unavailable) || errors.As(err, &deadline) || errors.As(err, &exhausted) ||
		errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrEngineUnavailable, err)
	}
	return err
}

// WorkflowRun is how a case's latest workflow run stands.
type WorkflowRun struct {
	// Running is true while the run is open (or its state is unknown).
	Running bool
	// RunID identifies the run ("" when no workflow exists).
	RunID string
	// Status is Temporal's execution status in lower case (running,
	// completed, failed, canceled, terminated, timed_out,
	// continued_as_new) or "not_found".
	Status string
	// Reason is what ended the run, for people: the terminate reason, the
	// failure message, "timed out".
	Reason string
}

// FailureReason is the text a failed case shows.
func (w WorkflowRun) FailureReason() string {
	switch {
	case w.Status == "not_found":
		return "its workflow no longer exists"
	case w.Reason != "":
		return fmt.Sprintf("its workflow %s: %s", humanStatus(w.Status), w.Reason)
	default:
		return fmt.Sprintf("its workflow %s", humanStatus(w.Status))
	}
}

func humanStatus(s string) string {
	switch s {
	case "timed_out":
		return "timed out"
	case "canceled":
		return "was cancelled"
	case "terminated", "failed", "completed":
		return "was " + s
	default:
		return "ended (" + s + ")"
	}
}

// Checker is implemented by Engines that can tell whether the
// workflow engine answers; GET /readyz asks it. An Engine without it is
// taken as reachable.
type Checker interface {
	CheckEngine(ctx context.Context) error
}

// alertCatchup is the least a rule's schedule catches up after the
// scheduler itself was down: one interval (only the latest evaluation
// matters), but never below this.
const alertCatchup = time.Minute

// alertRunTimeout bounds one evaluation run (its activity retries within
// it); the schedule goes on after a run that timed out.
const alertRunTimeout = 10 * time.Minute

func alertAction(ruleID string) *client.ScheduleWorkflowAction {
	return &client.ScheduleWorkflowAction{
		ID:                       workflows.AlertWorkflowID(ruleID),
		Workflow:                 workflows.AlertWorkflow,
		Args:                     []any{workflows.AlertInput{RuleID: ruleID}},
		TaskQueue:                workflows.TaskQueue,
		WorkflowExecutionTimeout: alertRunTimeout,
	}
}

func (e *temporalEngine) PutAlertSchedule(ctx context.Context, ruleID string, every time.Duration) error {
	spec := client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}}
	_, err := e.c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:            workflows.AlertScheduleID(ruleID),
		Spec:          spec,
		Action:        alertAction(ruleID),
		Overlap:       enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
		CatchupWindow: max(every, alertCatchup),
		Note:          "flowlab alert rule " + ruleID,
	})
	if errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		h := e.c.ScheduleClient().GetHandle(ctx, workflows.AlertScheduleID(ruleID))
		err = h.Update(ctx, client.ScheduleUpdateOptions{DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			sch := in.Description.Schedule
			sch.Spec = &spec
			sch.Action = alertAction(ruleID)
			if sch.Policy != nil {
				sch.Policy.Overlap = enumspb.SCHEDULE_OVERLAP_POLICY_SKIP
				sch.Policy.CatchupWindow = max(every, alertCatchup)
			}
			return &client.ScheduleUpdate{Schedule: &sch}, nil
		}})
	}
	if err != nil {
		return fmt.Errorf("engine: put schedule of alert %s: %w", ruleID, scheduleError(err))
	}
	return nil
}

func (e *temporalEngine) DeleteAlertSchedule(ctx context.Context, ruleID string) error {
	err := e.c.ScheduleClient().GetHandle(ctx, workflows.AlertScheduleID(ruleID)).Delete(ctx)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("engine: delete schedule of alert %s: %w", ruleID, scheduleError(err))
	}
	return nil
}

func (e *temporalEngine) StartSimulation(ctx context.Context, id string) error {
	opts := client.StartWorkflowOptions{
		ID:                                       workflows.SimulationID(id),
		TaskQueue:                                workflows.TaskQueue,
		WorkflowIDReusePolicy:                    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		// A simulation is worth nothing after a day.
		WorkflowExecutionTimeout: 24 * time.Hour,
	}
	_, err := e.c.ExecuteWorkflow(ctx, opts, workflows.SimulationWorkflow, workflows.SimulationInput{SimulationID: id})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if err != nil && !errors.As(err, &started) {
		return fmt.Errorf("engine: start simulation %s: %w", id, err)
	}
	return nil
}

func (e *temporalEngine) TriggerAlertSchedule(ctx context.Context, ruleID string) error {
	err := e.c.ScheduleClient().GetHandle(ctx, workflows.AlertScheduleID(ruleID)).Trigger(ctx, client.ScheduleTriggerOptions{})
	if err != nil {
		return fmt.Errorf("engine: trigger schedule of alert %s: %w", ruleID, scheduleError(err))
	}
	return nil
}

// ErrNoSchedule: an alert rule has no schedule in the engine.
var ErrNoSchedule = errors.New("alert rule has no schedule")

func scheduleError(err error) error {
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return fmt.Errorf("%w: %w", ErrNoSchedule, err)
	}
	return temporalError(err)
}

func (e *temporalEngine) AlertSchedules(ctx context.Context, limit int) ([]string, error) {
	it, err := e.c.ScheduleClient().List(ctx, client.ScheduleListOptions{PageSize: 500})
	if err != nil {
		return nil, fmt.Errorf("engine: list schedules: %w", scheduleError(err))
	}
	var out []string
	for it.HasNext() && len(out) < limit {
		s, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("engine: list schedules: %w", scheduleError(err))
		}
		if id, ok := strings.CutPrefix(s.ID, workflows.AlertScheduleID("")); ok {
			out = append(out, id)
		}
	}
	return out, nil
}
