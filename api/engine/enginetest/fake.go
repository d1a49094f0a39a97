// Package enginetest is a fake engine.Engine for the API's and the web
// UI's tests: it runs flows on the store as the Case and Pilot workflows
// would, without Temporal, records every call and takes injected failures.
package enginetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
	"github.com/google/uuid"
)

// Fake simulates the Case workflow on the store: it opens a flow's
// task steps in order, following outcomes, and validates completions like
// the workflow's validator (awaited task, department, outcome, required
// fields). Decisions take their default; auto and wait steps pass at once. It records every call.
type Fake struct {
	st store.Store

	Mu          sync.Mutex
	Cases       map[string]*Case // by workflow id
	Starts      []string         // workflow ids of StartCase calls
	Updates     map[string]workflows.CompleteResult
	Completions []workflows.CompleteRequest
	Cancels     []string
	Signals     []workflows.EventRequest

	// Injected failures, returned before anything else.
	startErr, completeErr, cancelErr, signalErr error
	// healthErr is CheckEngine's answer (readiness).
	HealthErr error
	// blockComplete makes Complete wait for its context to end.
	BlockComplete bool

	Migrates   []workflows.MigrateRequest
	MigrateIDs []string // update ids of Migrate calls
	migrated   map[string]workflows.MigrateResult
	// stateHook, when set, rewrites what State answers for a workflow
	// (or fails it); migrateHook, when set, may fail a Migrate call before
	// the fake looks at the case.
	StateHook   func(workflowID string, st workflows.CaseState) (workflows.CaseState, error)
	MigrateHook func(workflowID string) error

	// Alert schedules by rule id; ScheduleErr fails every schedule call;
	// Triggers are the rules triggered.
	schedules   map[string]time.Duration
	ScheduleErr error
	Triggers    []string
	// SimulationStarts are the simulations started.
	SimulationStarts []string
	// ended: workflows terminated behind the store's back (terminate).
	ended map[string]engine.WorkflowRun
	// afterCommitErr makes Complete apply the completion (as the workflow
	// would) and then answer this error, as an Update whose case was
	// cancelled meanwhile, or whose answer was lost, does.
	AfterCommitErr error

	pilotSide
}

type Case struct {
	In      workflows.CaseInput
	Status  string
	Seq     int
	Awaited string // task id
	Step    *flow.Step
	Entered time.Time
}

func New(st store.Store) *Fake {
	return &Fake{st: st, Cases: map[string]*Case{}, Updates: map[string]workflows.CompleteResult{},
		migrated: map[string]workflows.MigrateResult{}}
}

func (f *Fake) SetErrs(start, complete, cancel, signal error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.startErr, f.completeErr, f.cancelErr, f.signalErr = start, complete, cancel, signal
}

func (f *Fake) CheckEngine(ctx context.Context) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return f.HealthErr
}

func (f *Fake) StartCase(ctx context.Context, workflowID string, in workflows.CaseInput) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Starts = append(f.Starts, workflowID)
	if f.startErr != nil {
		return f.startErr
	}
	if _, ok := f.Cases[workflowID]; ok {
		return nil
	}
	fc := &Case{In: in, Status: workflows.StatusActive}
	f.Cases[workflowID] = fc
	delete(f.ended, workflowID) // a restart's new run
	if res := in.Resume; res != nil {
		fc.Seq = res.Seq
		return f.enter(ctx, fc, res.Step)
	}
	return f.enter(ctx, fc, in.Definition.StartStep())
}

// enter moves the case to step id, opening its task or ending the case.
func (f *Fake) enter(ctx context.Context, fc *Case, id string) error {
	step, ok := fc.In.Definition.Step(id)
	if !ok {
		return fmt.Errorf("fake engine: no step %q", id)
	}
	fc.Seq++
	now := time.Now().UTC()
	switch step.Kind {
	case flow.KindTask:
		outcomes := make([]string, len(step.Outcomes))
		for i, o := range step.Outcomes {
			outcomes[i] = o.Name
		}
		form, err := json.Marshal(step.Form)
		if err != nil {
			return fmt.Errorf("fake engine: form: %w", err)
		}
		var due *time.Time
		if step.SLA > 0 {
			d := now.Add(step.SLA.D())
			due = &d
		}
		t, err := f.st.OpenTask(ctx, store.OpenTaskParams{
			ID: uuid.NewString(), CaseID: fc.In.CaseID, Seq: fc.Seq, Flow: fc.In.Definition.Key,
			Version: fc.In.Definition.Version, Variant: fc.In.Variant, Step: step.ID, StepName: step.Name,
			Department: step.Department, Roles: step.Roles, Outcomes: outcomes, Form: form,
			OpenedAt: now, SLADue: due,
		})
		if err != nil {
			return fmt.Errorf("fake engine: open task: %w", err)
		}
		fc.Awaited, fc.Step, fc.Entered = t.ID, step, now
		st, stepID := store.CaseActive, step.ID
		return f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.In.CaseID, Status: &st, Step: &stepID, At: now})
	case flow.KindDecision: // rules are not evaluated: the default branch
		return f.enter(ctx, fc, step.Default)
	case flow.KindAuto, flow.KindWait:
		return f.enter(ctx, fc, step.Next)
	default: // end
		fc.Status, fc.Awaited, fc.Step = workflows.StatusCompleted, "", nil
		st, empty := store.CaseCompleted, ""
		return f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.In.CaseID, Status: &st, Step: &empty, ClosedAt: &now, At: now})
	}
}

func (f *Fake) Complete(ctx context.Context, workflowID, updateID string, req workflows.CompleteRequest) (workflows.CompleteResult, error) {
	f.Mu.Lock()
	block := f.BlockComplete
	f.Mu.Unlock()
	if block {
		<-ctx.Done()
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: %w", ctx.Err())
	}
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Completions = append(f.Completions, req)
	if f.completeErr != nil {
		return workflows.CompleteResult{}, f.completeErr
	}
	if res, ok := f.Updates[updateID]; ok {
		return res, nil
	}
	fc, ok := f.Cases[workflowID]
	if !ok || fc.Status != workflows.StatusActive {
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: %w", engine.ErrCaseNotRunning)
	}
	if fc.Awaited != req.TaskID {
		return workflows.CompleteResult{}, &engine.RejectedError{Reason: engine.ErrStaleTask, Message: "task " + req.TaskID + " is not the task the case waits on"}
	}
	if req.ActorRole != store.RoleAdmin && !slices.Contains(req.ActorDepartments, fc.Step.Department) {
		return workflows.CompleteResult{}, &engine.RejectedError{Reason: engine.ErrWrongDepartment, Message: "task belongs to department " + fc.Step.Department}
	}
	o, ok := fc.Step.Outcome(req.Outcome)
	if !ok {
		return workflows.CompleteResult{}, &engine.RejectedError{Reason: engine.ErrUnknownOutcome, Message: fmt.Sprintf("outcome %q is not allowed at step %s", req.Outcome, fc.Step.ID)}
	}
	for _, fl := range fc.Step.Form {
		if v, ok := req.Data[fl.Name]; fl.Required && (!ok || v == nil || v == "") {
			return workflows.CompleteResult{}, &engine.RejectedError{Reason: engine.ErrInvalidData, Message: fmt.Sprintf("field %q is required", fl.Name)}
		}
	}
	now := time.Now().UTC()
	data, err := json.Marshal(req.Data)
	if err != nil {
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: %w", err)
	}
	// The audit entry is the CloseTask activity's, written in the same
	// transaction.
	audit := activities.CompletionAudit(workflows.CloseTaskInput{TaskID: req.TaskID, Outcome: o.Name, ActorID: req.ActorID,
		CompletionID: req.CompletionID, RequestID: req.RequestID,
		Span: workflows.SpanInput{CaseID: fc.In.CaseID, CompletedAt: now}})
	if _, err := f.st.CompleteTask(ctx, store.CompleteTaskParams{
		ID: req.TaskID, Outcome: o.Name, Data: data, Actor: req.ActorID, CompletionID: req.CompletionID, At: now,
		Span: store.Span{CaseID: fc.In.CaseID, Seq: fc.Seq, Flow: fc.In.Definition.Key, Version: fc.In.Definition.Version,
			Variant: fc.In.Variant, Step: fc.Step.ID, Kind: string(fc.Step.Kind), Department: fc.Step.Department,
			EnteredAt: fc.Entered, CompletedAt: now, Outcome: o.Name, Actor: req.ActorID},
		Audit: audit,
	}); err != nil {
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: complete task: %w", err)
	}
	if f.AfterCommitErr != nil {
		return workflows.CompleteResult{}, f.AfterCommitErr
	}
	if err := f.enter(ctx, fc, o.Next); err != nil {
		return workflows.CompleteResult{}, err
	}
	res := workflows.CompleteResult{CaseID: fc.In.CaseID, TaskID: req.TaskID, CaseStatus: fc.Status}
	if fc.Awaited != "" {
		res.Next = []workflows.TaskRef{{TaskID: fc.Awaited, Seq: fc.Seq, Step: fc.Step.ID, Department: fc.Step.Department}}
	}
	f.Updates[updateID] = res
	return res, nil
}

func (f *Fake) Cancel(ctx context.Context, workflowID string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Cancels = append(f.Cancels, workflowID)
	if f.cancelErr != nil {
		return f.cancelErr
	}
	if fc, ok := f.Cases[workflowID]; !ok || fc.Status != workflows.StatusActive {
		return fmt.Errorf("fake engine: %w", engine.ErrCaseNotRunning)
	}
	return nil
}

func (f *Fake) Signal(ctx context.Context, workflowID string, ev workflows.EventRequest) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Signals = append(f.Signals, ev)
	if f.signalErr != nil {
		return f.signalErr
	}
	if fc, ok := f.Cases[workflowID]; !ok || fc.Status != workflows.StatusActive {
		return fmt.Errorf("fake engine: %w", engine.ErrCaseNotRunning)
	}
	return nil
}

// Describe: a fake case runs until it completes; ended cases (terminate)
// report their status and reason.
func (f *Fake) Describe(ctx context.Context, workflowID string) (engine.WorkflowRun, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if run, ok := f.ended[workflowID]; ok {
		return run, nil
	}
	fc, ok := f.Cases[workflowID]
	if !ok {
		return engine.WorkflowRun{Status: "not_found"}, nil
	}
	if fc.Status == workflows.StatusActive {
		return engine.WorkflowRun{Running: true, RunID: "run-" + workflowID, Status: "running"}, nil
	}
	return engine.WorkflowRun{RunID: "run-" + workflowID, Status: fc.Status}, nil
}

// terminate ends a fake case's workflow the way Temporal's history limit
// does: the store is not told.
func (f *Fake) Terminate(workflowID, reason string) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.ended == nil {
		f.ended = map[string]engine.WorkflowRun{}
	}
	f.ended[workflowID] = engine.WorkflowRun{RunID: "run-" + workflowID, Status: "terminated", Reason: reason}
	delete(f.Cases, workflowID)
}

func (f *Fake) State(ctx context.Context, workflowID string) (workflows.CaseState, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	fc, ok := f.Cases[workflowID]
	if !ok {
		return workflows.CaseState{}, fmt.Errorf("fake engine: %w", engine.ErrCaseNotRunning)
	}
	st := fc.state()
	if f.StateHook != nil {
		return f.StateHook(workflowID, st)
	}
	return st, nil
}

// state is the fake's answer to the state query: a case waiting on a task
// is at rest there.
func (fc *Case) state() workflows.CaseState {
	st := workflows.CaseState{CaseID: fc.In.CaseID, Flow: fc.In.Definition.Key, Version: fc.In.Definition.Version, Status: fc.Status, Seq: fc.Seq}
	if fc.Step != nil && fc.Awaited != "" {
		st.Step, st.StepKind, st.AtRest = fc.Step.ID, string(fc.Step.Kind), true
		st.Open = []workflows.TaskRef{{TaskID: fc.Awaited, Seq: fc.Seq, Step: fc.Step.ID, Department: fc.Step.Department}}
	}
	return st
}

// Migrate is the migrate Update: the validator's check, then the open task
// cancelled with outcome migrated, the case row moved to the new version
// and the mapped step entered.
func (f *Fake) Migrate(ctx context.Context, workflowID, updateID string, req workflows.MigrateRequest) (workflows.MigrateResult, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.Migrates = append(f.Migrates, req)
	f.MigrateIDs = append(f.MigrateIDs, updateID)
	if f.MigrateHook != nil {
		if err := f.MigrateHook(workflowID); err != nil {
			return workflows.MigrateResult{}, err
		}
	}
	if res, ok := f.migrated[updateID]; ok {
		return res, nil
	}
	fc, ok := f.Cases[workflowID]
	if !ok || fc.Status != workflows.StatusActive {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: %w", engine.ErrCaseNotRunning)
	}
	if reason := workflows.MigrationRefusal(fc.state(), req); reason != "" {
		return workflows.MigrateResult{}, &engine.RejectedError{Reason: engine.ErrMigrationRefused, Message: reason}
	}
	now := time.Now().UTC()
	from, fromStep, closed := fc.In.Definition.Version, fc.Step.ID, fc.Awaited
	if _, err := f.st.CancelTask(ctx, store.CancelTaskParams{ID: closed, At: now,
		Span: store.Span{CaseID: fc.In.CaseID, Seq: fc.Seq, Flow: fc.In.Definition.Key, Version: from,
			Variant: fc.In.Variant, Step: fromStep, Kind: string(fc.Step.Kind), Department: fc.Step.Department,
			EnteredAt: fc.Entered, CompletedAt: now, Outcome: workflows.OutcomeMigrated, Actor: req.ActorID}}); err != nil {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: cancel task: %w", err)
	}
	fc.In.Definition = req.To
	fc.Awaited, fc.Step = "", nil
	version := req.To.Version
	if err := f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.In.CaseID, Version: &version, At: now}); err != nil {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: move case: %w", err)
	}
	target := req.Mapping[fromStep]
	if err := f.enter(ctx, fc, target); err != nil {
		return workflows.MigrateResult{}, err
	}
	res := workflows.MigrateResult{CaseID: fc.In.CaseID, FromVersion: from, ToVersion: version, FromStep: fromStep,
		ToStep: target, ClosedTaskID: closed, CaseStatus: fc.Status}
	if fc.Awaited != "" {
		res.Next = []workflows.TaskRef{{TaskID: fc.Awaited, Seq: fc.Seq, Step: fc.Step.ID, Department: fc.Step.Department}}
	}
	f.migrated[updateID] = res
	return res, nil
}

func (f *Fake) StartCount() int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.Starts)
}

func (f *Fake) Running() int {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	return len(f.Cases)
}

// Pilot is a Pilot workflow the fake engine runs.
type Pilot struct {
	In     workflows.PilotInput
	Status workflows.PilotStatus
}

// pilotSide is the fake engine's Pilot workflow side: it evaluates and
// ends pilot rows on the store as the workflow's activities would.
type pilotSide struct {
	Pilots      map[string]*Pilot // by workflow id
	PilotStarts []string
	PilotStops  []workflows.StopPilotRequest
	EvalIDs     []string
	evaluated   map[string]workflows.PilotStatus // by update id
	// Injected failures.
	pilotStartErr, pilotStopErr, pilotEvalErr, pilotStateErr error
	// stopIgnored: the stop signal is accepted but the row is not ended
	// (the workflow has not got to it yet).
	StopIgnored bool
}

func (f *Fake) SetPilotErrs(start, stop, eval, state error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.pilotStartErr, f.pilotStopErr, f.pilotEvalErr, f.pilotStateErr = start, stop, eval, state
}

func (f *Fake) StartPilot(ctx context.Context, workflowID string, in workflows.PilotInput) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.PilotStarts = append(f.PilotStarts, workflowID)
	if f.pilotStartErr != nil {
		return f.pilotStartErr
	}
	if f.Pilots == nil {
		f.Pilots = map[string]*Pilot{}
		f.evaluated = map[string]workflows.PilotStatus{}
	}
	if _, ok := f.Pilots[workflowID]; ok {
		return nil
	}
	f.Pilots[workflowID] = &Pilot{In: in, Status: workflows.PilotStatus{PilotID: in.PilotID, Status: workflows.PilotRunning}}
	return nil
}

func (f *Fake) runningPilot(workflowID string) (*Pilot, error) {
	fp, ok := f.Pilots[workflowID]
	if !ok || fp.Status.Status != workflows.PilotRunning {
		return nil, fmt.Errorf("fake engine: %w", engine.ErrPilotNotRunning)
	}
	return fp, nil
}

// endPilot ends the row and the fake workflow, as the EndPilot activity.
func (f *Fake) endPilot(ctx context.Context, fp *Pilot, status, reason, winner, rec string) error {
	now := time.Now().UTC()
	p := store.UpdatePilotParams{ID: fp.In.PilotID, FromStatus: store.PilotRunning, Status: &status, EndedAt: &now, At: now}
	if reason != "" {
		p.StopReason = &reason
	}
	if winner != "" {
		p.Winner = &winner
	}
	if rec != "" {
		p.Recommendation = &rec
	}
	if _, err := f.st.UpdatePilot(ctx, p); err != nil && !errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("fake engine: end pilot: %w", err)
	}
	fp.Status.Status, fp.Status.Reason, fp.Status.Winner, fp.Status.Recommendation = status, reason, winner, rec
	fp.Status.NextLook = nil
	return nil
}

func (f *Fake) StopPilot(ctx context.Context, workflowID string, req workflows.StopPilotRequest) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.PilotStops = append(f.PilotStops, req)
	if f.pilotStopErr != nil {
		return f.pilotStopErr
	}
	fp, err := f.runningPilot(workflowID)
	if err != nil {
		return err
	}
	if f.StopIgnored {
		return nil
	}
	reason := req.Reason
	if reason == "" {
		reason = "stopped by " + req.ActorID
	}
	return f.endPilot(ctx, fp, workflows.PilotStopped, reason, "", "")
}

// EvaluatePilot is the evaluate Update: one look with the store's data,
// its results and looks written to the row, and the decision acted on.
func (f *Fake) EvaluatePilot(ctx context.Context, workflowID, updateID string) (workflows.PilotStatus, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.EvalIDs = append(f.EvalIDs, updateID)
	if f.pilotEvalErr != nil {
		return workflows.PilotStatus{}, f.pilotEvalErr
	}
	if st, ok := f.evaluated[updateID]; ok {
		return st, nil
	}
	fp, err := f.runningPilot(workflowID)
	if err != nil {
		return workflows.PilotStatus{}, err
	}
	pl, err := f.st.GetPilot(ctx, fp.In.PilotID)
	if err != nil {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: %w", err)
	}
	cfg, err := pilotdata.Config(pl)
	if err != nil {
		return workflows.PilotStatus{}, err
	}
	looks, err := pilotdata.Looks(pl)
	if err != nil {
		return workflows.PilotStatus{}, err
	}
	cs, err := f.st.ListPilotCases(ctx, pl.ID)
	if err != nil {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: %w", err)
	}
	ev := experiment.Evaluate(cfg, pilotdata.Cases(cs, pilotdata.DefaultReopenWindow), looks, false)
	if ev.NewLook {
		looks = append(looks, experiment.Look{Fraction: ev.Fraction})
	}
	results, _ := json.Marshal(ev)
	lb, _ := json.Marshal(looks)
	now := time.Now().UTC()
	if _, err := f.st.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning, Results: results, Looks: lb, At: now}); err != nil {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: store results: %w", err)
	}
	fp.Status.Looks++
	fp.Status.LastDecision = ev.Decision
	switch ev.Decision {
	case experiment.DecisionConclude:
		err = f.endPilot(ctx, fp, workflows.PilotCompleted, "", ev.Winner, ev.Recommendation)
	case experiment.DecisionStopTreatment:
		err = f.endPilot(ctx, fp, workflows.PilotStopped, "a guardrail was breached", "", ev.Recommendation)
	}
	if err != nil {
		return workflows.PilotStatus{}, err
	}
	f.evaluated[updateID] = fp.Status
	return fp.Status, nil
}

func (f *Fake) PilotState(ctx context.Context, workflowID string) (workflows.PilotStatus, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.pilotStateErr != nil {
		return workflows.PilotStatus{}, f.pilotStateErr
	}
	fp, ok := f.Pilots[workflowID]
	if !ok {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: %w", engine.ErrPilotNotRunning)
	}
	st := fp.Status
	if st.Status == workflows.PilotRunning {
		next := fp.In.StartedAt.Add(fp.In.EvaluateEvery)
		st.NextLook = &next
	}
	return st, nil
}
