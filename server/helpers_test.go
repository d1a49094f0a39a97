package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/server/apitest"
	"github.com/flowlab/flowlab/server/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/workflows"
)

const testAdminToken = "test-admin-token-0123456789"

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testEnv is an API on a fresh SQLite store with the built-in flows and a
// fake engine.
type testEnv struct {
	t    testing.TB
	st   store.Store
	eng  *fakeEngine
	srv  *Server
	h    http.Handler
	logs *syncBuffer
	// tokens of actors created for the test, by name
	tokens map[string]string
	actors map[string]store.Actor
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, SeedBuiltinFlows(ctx, st))
	return newEnvWithStore(t, st)
}

func newEnvWithStore(t testing.TB, st store.Store, opts ...func(*Config)) *testEnv {
	t.Helper()
	eng := newFakeEngine(st)
	logs := &syncBuffer{}
	cfg := Config{
		Store:         st,
		Engine:        eng,
		AdminToken:    testAdminToken,
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		TemporalUIURL: "http://temporal.local:8233/",
		// Tests send bursts as one actor; TestRateLimit turns it on.
		RatePerSecond: -1,
	}
	for _, o := range opts {
		o(&cfg)
	}
	srv, err := newServer(cfg)
	require.NoError(t, err)
	e := &testEnv{t: t, st: st, eng: eng, srv: srv, h: srv.routes(), logs: logs, tokens: map[string]string{}, actors: map[string]store.Actor{}}
	e.tokens["admin"] = testAdminToken
	return e
}

// actor creates an actor through the API and remembers its token.
func (e *testEnv) actor(name, role string, departments ...string) string {
	e.t.Helper()
	body := map[string]any{"name": name, "role": role, "departments": departments}
	res := e.do("admin", http.MethodPost, "/api/v1/tokens", body, nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	var out apiv1.TokenResponse
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &out))
	e.tokens[name] = out.Token
	e.actors[name] = store.Actor{ID: out.Actor.ID, Name: name, Role: role, Departments: departments}
	return out.Token
}

// do sends a request as the named actor ("" for none) and validates the
// response against the OpenAPI document. body may be a string (sent as
// is), nil, or a value marshalled as JSON.
func (e *testEnv) do(as, method, path string, body any, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	req, rec := e.send(as, method, path, body, header)
	e.checkContract(req, rec)
	return rec
}

// send is do without the contract check, for responses a test provokes
// by injecting failures the document does not promise.
func (e *testEnv) send(as, method, path string, body any, header http.Header) (*http.Request, *httptest.ResponseRecorder) {
	e.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.t, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if as != "" {
		tok, ok := e.tokens[as]
		require.True(e.t, ok, "no token for %q", as)
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return req, rec
}

var contractValidator = sync.OnceValues(func() (*apitest.Validator, error) {
	doc, err := OpenAPI()
	if err != nil {
		return nil, err
	}
	return apitest.New(doc)
})

// checkContract validates a response of a routed request against the
// OpenAPI document (requests no route matches, 404 and 405 of the router,
// are not operations of the document).
func (e *testEnv) checkContract(req *http.Request, rec *httptest.ResponseRecorder) {
	e.t.Helper()
	routes, ok := e.h.(chi.Routes)
	if !ok || !routes.Match(chi.NewRouteContext(), req.Method, req.URL.Path) || isUIRoute(req.URL.Path) {
		return
	}
	v, err := contractValidator()
	if err != nil {
		e.t.Errorf("OpenAPI document: %v", err)
		return
	}
	if err := v.CheckResponse(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		e.t.Errorf("%v", err)
	}
}

// startCase starts a complaint case as admin and returns its id.
func (e *testEnv) startCase() apiv1.Case {
	e.t.Helper()
	res := e.do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "c-1", "channel": "phone", "attributes": map[string]any{"amount": 12}}, nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	var c apiv1.Case
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &c))
	return c
}

// openTask returns the one open task of a case.
func (e *testEnv) openTask(caseID string) store.Task {
	e.t.Helper()
	ts, err := e.st.ListTasks(context.Background(), store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
	require.NoError(e.t, err)
	require.Len(e.t, ts, 1)
	return ts[0]
}

// problemOf decodes a problem response and checks its envelope.
func problemOf(t *testing.T, res *httptest.ResponseRecorder, status int) httpx.Problem {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Equal(t, "application/problem+json", res.Header().Get("Content-Type"))
	var p httpx.Problem
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	require.Equal(t, status, p.Status)
	require.True(t, strings.HasPrefix(p.Type, httpx.ProblemBase), p.Type)
	require.NotEmpty(t, p.Title)
	require.NotEmpty(t, p.Instance)
	require.NotEmpty(t, p.RequestID)
	return p
}

// fakeEngine simulates the Case workflow on the store: it opens a flow's
// task steps in order, following outcomes, and validates completions like
// the workflow's validator (awaited task, department, outcome, required
// fields). Decisions take their default; auto and wait steps pass at once. It records every call.
type fakeEngine struct {
	st store.Store

	mu       sync.Mutex
	cases    map[string]*fakeCase // by workflow id
	starts   []string             // workflow ids of StartCase calls
	updates  map[string]workflows.CompleteResult
	complete []workflows.CompleteRequest
	cancels  []string
	signals  []workflows.EventRequest

	// Injected failures, returned before anything else.
	startErr, completeErr, cancelErr, signalErr error
	// healthErr is CheckEngine's answer (readiness).
	healthErr error
	// blockComplete makes Complete wait for its context to end.
	blockComplete bool

	migrates   []workflows.MigrateRequest
	migrateIDs []string // update ids of Migrate calls
	migrated   map[string]workflows.MigrateResult
	// stateHook, when set, rewrites what State answers for a workflow
	// (or fails it); migrateHook, when set, may fail a Migrate call before
	// the fake looks at the case.
	stateHook   func(workflowID string, st workflows.CaseState) (workflows.CaseState, error)
	migrateHook func(workflowID string) error
	// ended: workflows terminated behind the store's back (terminate).
	ended map[string]WorkflowRun
	// afterCommitErr makes Complete apply the completion (as the workflow
	// would) and then answer this error, as an Update whose case was
	// cancelled meanwhile, or whose answer was lost, does.
	afterCommitErr error

	pilotFake
}

type fakeCase struct {
	in      workflows.CaseInput
	status  string
	seq     int
	awaited string // task id
	step    *flow.Step
	entered time.Time
}

func newFakeEngine(st store.Store) *fakeEngine {
	return &fakeEngine{st: st, cases: map[string]*fakeCase{}, updates: map[string]workflows.CompleteResult{},
		migrated: map[string]workflows.MigrateResult{}}
}

func (f *fakeEngine) setErrs(start, complete, cancel, signal error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.startErr, f.completeErr, f.cancelErr, f.signalErr = start, complete, cancel, signal
}

func (f *fakeEngine) CheckEngine(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.healthErr
}

func (f *fakeEngine) StartCase(ctx context.Context, workflowID string, in workflows.CaseInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.starts = append(f.starts, workflowID)
	if f.startErr != nil {
		return f.startErr
	}
	if _, ok := f.cases[workflowID]; ok {
		return nil
	}
	fc := &fakeCase{in: in, status: workflows.StatusActive}
	f.cases[workflowID] = fc
	delete(f.ended, workflowID) // a restart's new run
	if res := in.Resume; res != nil {
		fc.seq = res.Seq
		return f.enter(ctx, fc, res.Step)
	}
	return f.enter(ctx, fc, in.Definition.StartStep())
}

// enter moves the case to step id, opening its task or ending the case.
func (f *fakeEngine) enter(ctx context.Context, fc *fakeCase, id string) error {
	step, ok := fc.in.Definition.Step(id)
	if !ok {
		return fmt.Errorf("fake engine: no step %q", id)
	}
	fc.seq++
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
			ID: uuid.NewString(), CaseID: fc.in.CaseID, Seq: fc.seq, Flow: fc.in.Definition.Key,
			Version: fc.in.Definition.Version, Variant: fc.in.Variant, Step: step.ID, StepName: step.Name,
			Department: step.Department, Roles: step.Roles, Outcomes: outcomes, Form: form,
			OpenedAt: now, SLADue: due,
		})
		if err != nil {
			return fmt.Errorf("fake engine: open task: %w", err)
		}
		fc.awaited, fc.step, fc.entered = t.ID, step, now
		st, stepID := store.CaseActive, step.ID
		return f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.in.CaseID, Status: &st, Step: &stepID, At: now})
	case flow.KindDecision: // rules are not evaluated: the default branch
		return f.enter(ctx, fc, step.Default)
	case flow.KindAuto, flow.KindWait:
		return f.enter(ctx, fc, step.Next)
	default: // end
		fc.status, fc.awaited, fc.step = workflows.StatusCompleted, "", nil
		st, empty := store.CaseCompleted, ""
		return f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.in.CaseID, Status: &st, Step: &empty, ClosedAt: &now, At: now})
	}
}

func (f *fakeEngine) Complete(ctx context.Context, workflowID, updateID string, req workflows.CompleteRequest) (workflows.CompleteResult, error) {
	f.mu.Lock()
	block := f.blockComplete
	f.mu.Unlock()
	if block {
		<-ctx.Done()
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: %w", ctx.Err())
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.complete = append(f.complete, req)
	if f.completeErr != nil {
		return workflows.CompleteResult{}, f.completeErr
	}
	if res, ok := f.updates[updateID]; ok {
		return res, nil
	}
	fc, ok := f.cases[workflowID]
	if !ok || fc.status != workflows.StatusActive {
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: %w", ErrCaseNotRunning)
	}
	if fc.awaited != req.TaskID {
		return workflows.CompleteResult{}, &RejectedError{Reason: ErrStaleTask, Message: "task " + req.TaskID + " is not the task the case waits on"}
	}
	if req.ActorRole != store.RoleAdmin && !slices.Contains(req.ActorDepartments, fc.step.Department) {
		return workflows.CompleteResult{}, &RejectedError{Reason: ErrWrongDepartment, Message: "task belongs to department " + fc.step.Department}
	}
	o, ok := fc.step.Outcome(req.Outcome)
	if !ok {
		return workflows.CompleteResult{}, &RejectedError{Reason: ErrUnknownOutcome, Message: fmt.Sprintf("outcome %q is not allowed at step %s", req.Outcome, fc.step.ID)}
	}
	for _, fl := range fc.step.Form {
		if v, ok := req.Data[fl.Name]; fl.Required && (!ok || v == nil || v == "") {
			return workflows.CompleteResult{}, &RejectedError{Reason: ErrInvalidData, Message: fmt.Sprintf("field %q is required", fl.Name)}
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
		Span: workflows.SpanInput{CaseID: fc.in.CaseID, CompletedAt: now}})
	if _, err := f.st.CompleteTask(ctx, store.CompleteTaskParams{
		ID: req.TaskID, Outcome: o.Name, Data: data, Actor: req.ActorID, CompletionID: req.CompletionID, At: now,
		Span: store.Span{CaseID: fc.in.CaseID, Seq: fc.seq, Flow: fc.in.Definition.Key, Version: fc.in.Definition.Version,
			Variant: fc.in.Variant, Step: fc.step.ID, Kind: string(fc.step.Kind), Department: fc.step.Department,
			EnteredAt: fc.entered, CompletedAt: now, Outcome: o.Name, Actor: req.ActorID},
		Audit: audit,
	}); err != nil {
		return workflows.CompleteResult{}, fmt.Errorf("fake engine: complete task: %w", err)
	}
	if f.afterCommitErr != nil {
		return workflows.CompleteResult{}, f.afterCommitErr
	}
	if err := f.enter(ctx, fc, o.Next); err != nil {
		return workflows.CompleteResult{}, err
	}
	res := workflows.CompleteResult{CaseID: fc.in.CaseID, TaskID: req.TaskID, CaseStatus: fc.status}
	if fc.awaited != "" {
		res.Next = []workflows.TaskRef{{TaskID: fc.awaited, Seq: fc.seq, Step: fc.step.ID, Department: fc.step.Department}}
	}
	f.updates[updateID] = res
	return res, nil
}

func (f *fakeEngine) Cancel(ctx context.Context, workflowID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels = append(f.cancels, workflowID)
	if f.cancelErr != nil {
		return f.cancelErr
	}
	if fc, ok := f.cases[workflowID]; !ok || fc.status != workflows.StatusActive {
		return fmt.Errorf("fake engine: %w", ErrCaseNotRunning)
	}
	return nil
}

func (f *fakeEngine) Signal(ctx context.Context, workflowID string, ev workflows.EventRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = append(f.signals, ev)
	if f.signalErr != nil {
		return f.signalErr
	}
	if fc, ok := f.cases[workflowID]; !ok || fc.status != workflows.StatusActive {
		return fmt.Errorf("fake engine: %w", ErrCaseNotRunning)
	}
	return nil
}

// Describe: a fake case runs until it completes; ended cases (terminate)
// report their status and reason.
func (f *fakeEngine) Describe(ctx context.Context, workflowID string) (WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if run, ok := f.ended[workflowID]; ok {
		return run, nil
	}
	fc, ok := f.cases[workflowID]
	if !ok {
		return WorkflowRun{Status: "not_found"}, nil
	}
	if fc.status == workflows.StatusActive {
		return WorkflowRun{Running: true, RunID: "run-" + workflowID, Status: "running"}, nil
	}
	return WorkflowRun{RunID: "run-" + workflowID, Status: fc.status}, nil
}

// terminate ends a fake case's workflow the way Temporal's history limit
// does: the store is not told.
func (f *fakeEngine) terminate(workflowID, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ended == nil {
		f.ended = map[string]WorkflowRun{}
	}
	f.ended[workflowID] = WorkflowRun{RunID: "run-" + workflowID, Status: "terminated", Reason: reason}
	delete(f.cases, workflowID)
}

func (f *fakeEngine) State(ctx context.Context, workflowID string) (workflows.CaseState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fc, ok := f.cases[workflowID]
	if !ok {
		return workflows.CaseState{}, fmt.Errorf("fake engine: %w", ErrCaseNotRunning)
	}
	st := fc.state()
	if f.stateHook != nil {
		return f.stateHook(workflowID, st)
	}
	return st, nil
}

// state is the fake's answer to the state query: a case waiting on a task
// is at rest there.
func (fc *fakeCase) state() workflows.CaseState {
	st := workflows.CaseState{CaseID: fc.in.CaseID, Flow: fc.in.Definition.Key, Version: fc.in.Definition.Version, Status: fc.status, Seq: fc.seq}
	if fc.step != nil && fc.awaited != "" {
		st.Step, st.StepKind, st.AtRest = fc.step.ID, string(fc.step.Kind), true
		st.Open = []workflows.TaskRef{{TaskID: fc.awaited, Seq: fc.seq, Step: fc.step.ID, Department: fc.step.Department}}
	}
	return st
}

// Migrate is the migrate Update: the validator's check, then the open task
// cancelled with outcome migrated, the case row moved to the new version
// and the mapped step entered.
func (f *fakeEngine) Migrate(ctx context.Context, workflowID, updateID string, req workflows.MigrateRequest) (workflows.MigrateResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.migrates = append(f.migrates, req)
	f.migrateIDs = append(f.migrateIDs, updateID)
	if f.migrateHook != nil {
		if err := f.migrateHook(workflowID); err != nil {
			return workflows.MigrateResult{}, err
		}
	}
	if res, ok := f.migrated[updateID]; ok {
		return res, nil
	}
	fc, ok := f.cases[workflowID]
	if !ok || fc.status != workflows.StatusActive {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: %w", ErrCaseNotRunning)
	}
	if reason := workflows.MigrationRefusal(fc.state(), req); reason != "" {
		return workflows.MigrateResult{}, &RejectedError{Reason: ErrMigrationRefused, Message: reason}
	}
	now := time.Now().UTC()
	from, fromStep, closed := fc.in.Definition.Version, fc.step.ID, fc.awaited
	if _, err := f.st.CancelTask(ctx, store.CancelTaskParams{ID: closed, At: now,
		Span: store.Span{CaseID: fc.in.CaseID, Seq: fc.seq, Flow: fc.in.Definition.Key, Version: from,
			Variant: fc.in.Variant, Step: fromStep, Kind: string(fc.step.Kind), Department: fc.step.Department,
			EnteredAt: fc.entered, CompletedAt: now, Outcome: workflows.OutcomeMigrated, Actor: req.ActorID}}); err != nil {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: cancel task: %w", err)
	}
	fc.in.Definition = req.To
	fc.awaited, fc.step = "", nil
	version := req.To.Version
	if err := f.st.UpdateCase(ctx, store.UpdateCaseParams{ID: fc.in.CaseID, Version: &version, At: now}); err != nil {
		return workflows.MigrateResult{}, fmt.Errorf("fake engine: move case: %w", err)
	}
	target := req.Mapping[fromStep]
	if err := f.enter(ctx, fc, target); err != nil {
		return workflows.MigrateResult{}, err
	}
	res := workflows.MigrateResult{CaseID: fc.in.CaseID, FromVersion: from, ToVersion: version, FromStep: fromStep,
		ToStep: target, ClosedTaskID: closed, CaseStatus: fc.status}
	if fc.awaited != "" {
		res.Next = []workflows.TaskRef{{TaskID: fc.awaited, Seq: fc.seq, Step: fc.step.ID, Department: fc.step.Department}}
	}
	f.migrated[updateID] = res
	return res, nil
}

func (f *fakeEngine) startCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.starts)
}

func (f *fakeEngine) running() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.cases)
}

// fakePilot is a Pilot workflow the fake engine runs.
type fakePilot struct {
	in     workflows.PilotInput
	status workflows.PilotStatus
}

// pilotFake is the fake engine's Pilot workflow side: it evaluates and
// ends pilot rows on the store as the workflow's activities would.
type pilotFake struct {
	pilots      map[string]*fakePilot // by workflow id
	pilotStarts []string
	pilotStops  []workflows.StopPilotRequest
	evalIDs     []string
	evaluated   map[string]workflows.PilotStatus // by update id
	// Injected failures.
	pilotStartErr, pilotStopErr, pilotEvalErr, pilotStateErr error
	// stopIgnored: the stop signal is accepted but the row is not ended
	// (the workflow has not got to it yet).
	stopIgnored bool
}

func (f *fakeEngine) setPilotErrs(start, stop, eval, state error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pilotStartErr, f.pilotStopErr, f.pilotEvalErr, f.pilotStateErr = start, stop, eval, state
}

func (f *fakeEngine) StartPilot(ctx context.Context, workflowID string, in workflows.PilotInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pilotStarts = append(f.pilotStarts, workflowID)
	if f.pilotStartErr != nil {
		return f.pilotStartErr
	}
	if f.pilots == nil {
		f.pilots = map[string]*fakePilot{}
		f.evaluated = map[string]workflows.PilotStatus{}
	}
	if _, ok := f.pilots[workflowID]; ok {
		return nil
	}
	f.pilots[workflowID] = &fakePilot{in: in, status: workflows.PilotStatus{PilotID: in.PilotID, Status: workflows.PilotRunning}}
	return nil
}

func (f *fakeEngine) runningPilot(workflowID string) (*fakePilot, error) {
	fp, ok := f.pilots[workflowID]
	if !ok || fp.status.Status != workflows.PilotRunning {
		return nil, fmt.Errorf("fake engine: %w", ErrPilotNotRunning)
	}
	return fp, nil
}

// endPilot ends the row and the fake workflow, as the EndPilot activity.
func (f *fakeEngine) endPilot(ctx context.Context, fp *fakePilot, status, reason, winner, rec string) error {
	now := time.Now().UTC()
	p := store.UpdatePilotParams{ID: fp.in.PilotID, FromStatus: store.PilotRunning, Status: &status, EndedAt: &now, At: now}
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
	fp.status.Status, fp.status.Reason, fp.status.Winner, fp.status.Recommendation = status, reason, winner, rec
	fp.status.NextLook = nil
	return nil
}

func (f *fakeEngine) StopPilot(ctx context.Context, workflowID string, req workflows.StopPilotRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pilotStops = append(f.pilotStops, req)
	if f.pilotStopErr != nil {
		return f.pilotStopErr
	}
	fp, err := f.runningPilot(workflowID)
	if err != nil {
		return err
	}
	if f.stopIgnored {
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
func (f *fakeEngine) EvaluatePilot(ctx context.Context, workflowID, updateID string) (workflows.PilotStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.evalIDs = append(f.evalIDs, updateID)
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
	pl, err := f.st.GetPilot(ctx, fp.in.PilotID)
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
	ev := experiment.Evaluate(cfg, pilotdata.Cases(cs, ReopenWindow), looks, false)
	if ev.NewLook {
		looks = append(looks, experiment.Look{Fraction: ev.Fraction})
	}
	results, _ := json.Marshal(ev)
	lb, _ := json.Marshal(looks)
	now := time.Now().UTC()
	if _, err := f.st.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning, Results: results, Looks: lb, At: now}); err != nil {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: store results: %w", err)
	}
	fp.status.Looks++
	fp.status.LastDecision = ev.Decision
	switch ev.Decision {
	case experiment.DecisionConclude:
		err = f.endPilot(ctx, fp, workflows.PilotCompleted, "", ev.Winner, ev.Recommendation)
	case experiment.DecisionStopTreatment:
		err = f.endPilot(ctx, fp, workflows.PilotStopped, "a guardrail was breached", "", ev.Recommendation)
	}
	if err != nil {
		return workflows.PilotStatus{}, err
	}
	f.evaluated[updateID] = fp.status
	return fp.status, nil
}

func (f *fakeEngine) PilotState(ctx context.Context, workflowID string) (workflows.PilotStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pilotStateErr != nil {
		return workflows.PilotStatus{}, f.pilotStateErr
	}
	fp, ok := f.pilots[workflowID]
	if !ok {
		return workflows.PilotStatus{}, fmt.Errorf("fake engine: %w", ErrPilotNotRunning)
	}
	st := fp.status
	if st.Status == workflows.PilotRunning {
		next := fp.in.StartedAt.Add(fp.in.EvaluateEvery)
		st.NextLook = &next
	}
	return st, nil
}
