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

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

const caseID = "6f1c1f4e-8a7b-4a7e-9a49-1c1d2a3b4c5d"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func dur(d time.Duration) flow.Duration { return flow.Duration(d) }

// testFlow: record (task, cs, SLA 1h, escalation 1h notify, 2h move to
// tech) -> route (decision on severity) -> urgent (auto set_attributes) or
// normal (task, tech) -> reply (wait for customer_reply, 24h timeout) ->
// close (end).
func testFlow() flow.Definition {
	return flow.Definition{
		Key:         "test",
		Version:     3,
		Departments: []string{"cs", "tech"},
		Steps: []flow.Step{
			{
				ID: "record", Kind: flow.KindTask, Name: "Record", Department: "cs", SLA: dur(time.Hour),
				Escalation: []flow.EscalationLevel{
					{After: dur(time.Hour), Notify: "cs-lead"},
					{After: dur(2 * time.Hour), Department: "tech"},
				},
				Outcomes: []flow.Outcome{{Name: "recorded", Next: "route"}},
				Form:     []flow.Field{{Name: "summary", Type: "text", Required: true}},
			},
			{
				ID: "route", Kind: flow.KindDecision,
				Rules:   []flow.Rule{{When: `attributes.severity == "high"`, Next: "urgent"}},
				Default: "normal",
			},
			{ID: "urgent", Kind: flow.KindAuto, Activity: "set_attributes", Params: map[string]any{"priority": "p1"}, Next: "reply"},
			{
				ID: "normal", Kind: flow.KindTask, Department: "tech",
				Outcomes: []flow.Outcome{{Name: "fixed", Next: "reply"}},
			},
			{ID: "reply", Kind: flow.KindWait, Event: "customer_reply", Timeout: dur(24 * time.Hour), OnTimeout: "close", Next: "close"},
			{ID: "close", Kind: flow.KindEnd},
		},
	}
}

// harness runs the Case workflow on the test environment with every
// activity mocked by name and recorded.
type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment

	mu          sync.Mutex
	opened      []workflows.OpenTaskInput
	closed      []workflows.CloseTaskInput
	spans       []workflows.SpanInput
	escalations []workflows.EscalateInput
	cases       []workflows.UpdateCaseInput
	autos       []workflows.AutoInput
	followUps   []workflows.RecordFollowUpInput
}

// newHarness builds the harness; regs register more workflows or
// activities (before any mock is set, as the test suite requires).
func newHarness(t *testing.T, regs ...func(*testsuite.TestWorkflowEnvironment)) *harness {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.SetStartTime(t0)
	env.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
	(&activities.Activities{}).Register(env)
	for _, reg := range regs {
		reg(env)
	}
	h := &harness{t: t, env: env}
	env.OnActivity(workflows.ActivityOpenTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.OpenTaskInput) error {
			h.add(func() { h.opened = append(h.opened, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityCloseTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.CloseTaskInput) error {
			h.add(func() { h.closed = append(h.closed, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityRecordSpan, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.SpanInput) error {
			h.add(func() { h.spans = append(h.spans, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityEscalate, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.EscalateInput) error {
			h.add(func() { h.escalations = append(h.escalations, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityUpdateCase, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.UpdateCaseInput) error {
			h.add(func() { h.cases = append(h.cases, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityRecordFollowUp, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.RecordFollowUpInput) error {
			h.add(func() { h.followUps = append(h.followUps, in) })
			return nil
		})
	env.OnActivity(workflows.ActivityAutoPrefix+activities.AutoSetAttributes, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
			h.add(func() { h.autos = append(h.autos, in) })
			return workflows.AutoResult{Attributes: in.Params}, nil
		})
	return h
}

func (h *harness) add(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

func input(attrs map[string]any) workflows.CaseInput {
	return workflows.CaseInput{CaseID: caseID, Definition: testFlow(), Variant: "A", Customer: "c-1", Channel: "chat", Attributes: attrs}
}

// updateResult collects the outcome of one complete Update.
type updateResult struct {
	accepted bool
	rejected error
	result   workflows.CompleteResult
	err      error
	done     bool
}

func (u *updateResult) Accept()        { u.accepted = true }
func (u *updateResult) Reject(e error) { u.rejected = e; u.done = true }
func (u *updateResult) Complete(success any, err error) {
	u.done = true
	u.err = err
	if r, ok := success.(workflows.CompleteResult); ok {
		u.result = r
	}
}

func (h *harness) complete(id string, req workflows.CompleteRequest) *updateResult {
	u := &updateResult{}
	if req.CompletionID == "" {
		req.CompletionID = id
	}
	h.env.UpdateWorkflow(workflows.UpdateComplete, id, u, req)
	return u
}

func (h *harness) state() workflows.CaseState {
	v, err := h.env.QueryWorkflow(workflows.QueryState)
	require.NoError(h.t, err)
	var s workflows.CaseState
	require.NoError(h.t, v.Get(&s))
	return s
}

func errType(t *testing.T, err error) string {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "not an application error: %v", err)
	return ae.Type()
}

var recordReq = workflows.CompleteRequest{
	TaskID: workflows.TaskID(caseID, 1), Outcome: "recorded", Data: map[string]any{"summary": "broken"},
	ActorID: "ann", ActorRole: "staff", ActorDepartments: []string{"cs"},
}

func TestCaseHighSeverityPath(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var first *updateResult
	var midState workflows.CaseState
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, []workflows.TaskRef{{
			TaskID: workflows.TaskID(caseID, 1), Seq: 1, Step: "record", StepName: "Record", Department: "cs",
			SLADue: ptr(t0.Add(time.Hour)),
		}}, h.state().Open)
		first = h.complete("u1", recordReq)
	}, 10*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		midState = h.state()
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "unrelated"})
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply", Data: map[string]any{"happy": true}})
	}, 30*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "high"}))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	require.True(t, first.accepted)
	require.NoError(t, first.err)
	// record -> route -> urgent -> reply (a wait: at rest, no open task).
	require.Equal(t, workflows.CompleteResult{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), CaseStatus: workflows.StatusActive}, first.result)
	require.Equal(t, "reply", midState.Step)
	require.Equal(t, "customer_reply", midState.WaitingFor)
	require.Equal(t, "p1", midState.Attributes["priority"])

	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StatusCompleted, final.Status)
	require.Equal(t, "close", final.Step)
	require.Equal(t, "customer_reply", final.LastOutcome)

	require.Len(t, h.opened, 1)
	require.Equal(t, workflows.OpenTaskInput{
		TaskID: workflows.TaskID(caseID, 1), CaseID: caseID, Seq: 1, Flow: "test", Version: 3, Variant: "A",
		Step: "record", StepName: "Record", Department: "cs", Outcomes: []string{"recorded"},
		Form: testFlow().Steps[0].Form, OpenedAt: t0, SLADue: ptr(t0.Add(time.Hour)),
	}, h.opened[0])
	require.Len(t, h.closed, 1)
	c := h.closed[0]
	require.Equal(t, workflows.StatusCompleted, c.Status)
	require.Equal(t, "u1", c.CompletionID)
	require.Equal(t, "ann", c.ActorID)
	require.Equal(t, t0.Add(10*time.Minute), c.Span.CompletedAt)
	require.False(t, c.Span.Breached)
	require.Equal(t, "cs", c.Span.Department)

	kinds := map[string]string{}
	for _, s := range h.spans {
		kinds[s.Step] = s.Kind + ":" + s.Outcome
	}
	require.Equal(t, map[string]string{
		"route": "decision:urgent", "urgent": "auto:done", "reply": "wait:customer_reply", "close": "end:end",
	}, kinds)
	require.Len(t, h.autos, 1)
	require.Equal(t, "high", h.autos[0].Attributes["severity"])

	last := h.cases[len(h.cases)-1]
	require.Equal(t, workflows.StatusCompleted, last.Status)
	require.NotNil(t, last.ClosedAt)
	steps := []string{}
	for _, u := range h.cases {
		steps = append(steps, u.Status+":"+u.Step)
	}
	require.Equal(t, []string{"active:record", "active:route", "active:urgent", "active:reply", "completed:close"}, steps)
}

func ptr[T any](v T) *T { return &v }

func TestCaseLowSeverityReturnsNextTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var first, second *updateResult
	h.env.RegisterDelayedCallback(func() { first = h.complete("u1", recordReq) }, 5*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		second = h.complete("u2", workflows.CompleteRequest{
			TaskID: workflows.TaskID(caseID, 3), Outcome: "fixed", ActorID: "bob", ActorDepartments: []string{"tech"},
		})
	}, 20*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "low"}))
	require.NoError(t, h.env.GetWorkflowError())

	require.NoError(t, first.err)
	// record (1) -> route (2) -> normal (3): the next task comes back.
	require.Equal(t, []workflows.TaskRef{{TaskID: workflows.TaskID(caseID, 3), Seq: 3, Step: "normal", Department: "tech"}}, first.result.Next)
	require.NoError(t, second.err)
	require.Empty(t, second.result.Next)
	require.Empty(t, h.autos, "the urgent branch must not run")
	// No event came: the wait timed out after 24h and the case closed.
	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, "timeout", final.LastOutcome)
	for _, s := range h.spans {
		if s.Step == "reply" {
			require.Equal(t, "timeout", s.Outcome)
			require.Equal(t, t0.Add(20*time.Minute+24*time.Hour), s.CompletedAt)
		}
		if s.Step == "route" {
			require.Equal(t, "normal", s.Outcome)
		}
	}
}

func TestCaseValidatorRejects(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	bad := map[string]workflows.CompleteRequest{}
	stale := recordReq
	stale.TaskID = workflows.TaskID(caseID, 2)
	bad[workflows.ErrStaleTask] = stale
	wrongDept := recordReq
	wrongDept.ActorDepartments = []string{"tech"}
	bad[workflows.ErrWrongDepartment] = wrongDept
	unknown := recordReq
	unknown.Outcome = "lost"
	bad[workflows.ErrUnknownOutcome] = unknown
	missing := recordReq
	missing.Data = map[string]any{"summary": ""}
	bad[workflows.ErrInvalidData] = missing

	results := map[string]*updateResult{}
	var good *updateResult
	h.env.RegisterDelayedCallback(func() {
		for _, typ := range []string{workflows.ErrStaleTask, workflows.ErrWrongDepartment, workflows.ErrUnknownOutcome, workflows.ErrInvalidData} {
			results[typ] = h.complete("bad-"+typ, bad[typ])
		}
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		admin := recordReq
		admin.ActorDepartments = nil
		admin.ActorRole = "admin"
		good = h.complete("good", admin)
	}, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "high"}))
	require.NoError(t, h.env.GetWorkflowError())

	for typ, u := range results {
		require.False(t, u.accepted, typ)
		require.Error(t, u.rejected, typ)
		require.Equal(t, typ, errType(t, u.rejected))
	}
	require.True(t, good.accepted)
	require.NoError(t, good.err)
	require.Len(t, h.closed, 1, "only the admin's completion closes the task")
}

func TestCaseDoubleCompletionAcceptsOne(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var a, b *updateResult
	h.env.RegisterDelayedCallback(func() {
		a = h.complete("click-1", recordReq)
		b = h.complete("click-2", recordReq)
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "high"}))
	require.NoError(t, h.env.GetWorkflowError())

	ok := 0
	for _, u := range []*updateResult{a, b} {
		require.True(t, u.done)
		switch {
		case u.rejected != nil:
			require.Equal(t, workflows.ErrStaleTask, errType(t, u.rejected))
		case u.err != nil:
			require.Equal(t, workflows.ErrStaleTask, errType(t, u.err))
		default:
			ok++
		}
	}
	require.Equal(t, 1, ok)
	require.Len(t, h.closed, 1)
}

func TestCaseEscalationAtSLA(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var csAfterMove, techAfterMove *updateResult
	var afterFirst workflows.CaseState
	h.env.RegisterDelayedCallback(func() { afterFirst = h.state() }, 90*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		csAfterMove = h.complete("cs", recordReq)
	}, 2*time.Hour+time.Minute)
	h.env.RegisterDelayedCallback(func() {
		req := recordReq
		req.ActorDepartments = []string{"tech"}
		techAfterMove = h.complete("tech", req)
	}, 2*time.Hour+2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 3*time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "high"}))
	require.NoError(t, h.env.GetWorkflowError())

	require.Len(t, h.escalations, 2)
	require.Equal(t, workflows.EscalateInput{
		CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1, Notify: "cs-lead", At: t0.Add(time.Hour),
	}, h.escalations[0], "level 1 fires exactly at the SLA")
	require.Equal(t, workflows.EscalateInput{
		CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 2, Department: "tech", At: t0.Add(2 * time.Hour),
	}, h.escalations[1])
	require.Equal(t, 1, afterFirst.Open[0].EscalationLevel)
	require.Equal(t, "cs", afterFirst.Open[0].Department)

	require.Equal(t, workflows.ErrWrongDepartment, errType(t, csAfterMove.rejected))
	require.True(t, techAfterMove.accepted)
	require.NoError(t, techAfterMove.err)
	require.Len(t, h.closed, 1)
	span := h.closed[0].Span
	require.True(t, span.Breached)
	require.Equal(t, 2, span.EscalationLevel)
	require.Equal(t, "tech", span.Department)
	require.Equal(t, t0.Add(2*time.Hour+2*time.Minute), span.CompletedAt)
}

func TestCaseBreachWithoutEscalation(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := input(map[string]any{"severity": "high"})
	in.Definition.Steps[0].Escalation = nil
	h.env.RegisterDelayedCallback(func() { h.complete("late", recordReq) }, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 4*time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.NoError(t, h.env.GetWorkflowError())
	require.Empty(t, h.escalations)
	require.Len(t, h.closed, 1)
	require.True(t, h.closed[0].Span.Breached)
	require.Equal(t, 0, h.closed[0].Span.EscalationLevel)
}

func TestCaseEventBeforeWaitIsKept(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() {
		// The customer answers while the task is still open.
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply", Data: map[string]any{"ok": true}})
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.complete("u1", recordReq) }, 2*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "high"}))
	require.NoError(t, h.env.GetWorkflowError())
	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, "customer_reply", final.LastOutcome)
}

func TestCaseWaitDuration(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	def := flow.Definition{Key: "sleepy", Version: 1, Steps: []flow.Step{
		{ID: "pause", Kind: flow.KindWait, Duration: dur(48 * time.Hour), Next: "done"},
		{ID: "done", Kind: flow.KindEnd},
	}}
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: caseID, Definition: def})
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, "wait", h.spans[0].Kind)
	require.Equal(t, t0, h.spans[0].EnteredAt)
	require.Equal(t, t0.Add(48*time.Hour), h.spans[0].CompletedAt)
}

func TestCaseCancellationClosesOpenTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 5*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(nil))
	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	var ce *temporal.CanceledError
	require.True(t, errors.As(err, &ce), "want canceled, got %v", err)

	require.Len(t, h.closed, 1)
	require.Equal(t, workflows.StatusCancelled, h.closed[0].Status)
	require.Equal(t, workflows.TaskID(caseID, 1), h.closed[0].TaskID)
	require.Equal(t, t0.Add(5*time.Minute), h.closed[0].Span.CompletedAt)
	last := h.cases[len(h.cases)-1]
	require.Equal(t, workflows.StatusCancelled, last.Status)
	require.NotNil(t, last.ClosedAt)
	require.Empty(t, h.escalations, "timers of a cancelled case must not escalate")
}

// loopFlow: prepare (auto) -> work (task; "again" loops back to work,
// "finish" ends).
func loopFlow() flow.Definition {
	return flow.Definition{Key: "loop", Version: 1, Departments: []string{"cs"}, Steps: []flow.Step{
		{ID: "prepare", Kind: flow.KindAuto, Activity: "set_attributes", Params: map[string]any{"prepared": "yes"}, Next: "work"},
		{ID: "work", Kind: flow.KindTask, Department: "cs", SLA: dur(time.Hour), Outcomes: []flow.Outcome{
			{Name: "again", Next: "work"}, {Name: "finish", Next: "done"},
		}},
		{ID: "done", Kind: flow.KindEnd},
	}}
}

// Not parallel: it lowers the package-level threshold.
func TestCaseContinueAsNewCarriesState(t *testing.T) {
	old := workflows.ContinueAsNewHistoryLength
	workflows.ContinueAsNewHistoryLength = 50
	t.Cleanup(func() { workflows.ContinueAsNewHistoryLength = old })

	worker := workflows.CompleteRequest{ActorID: "ann", ActorDepartments: []string{"cs"}}
	h := newHarness(t)
	var again1, again2 *updateResult
	h.env.RegisterDelayedCallback(func() {
		req := worker
		req.TaskID, req.Outcome, req.Data = workflows.TaskID(caseID, 2), "again", map[string]any{"round": 1.0}
		again1 = h.complete("a1", req)
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SetCurrentHistoryLength(80)
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "early"})
		req := worker
		req.TaskID, req.Outcome = workflows.TaskID(caseID, 3), "again"
		again2 = h.complete("a2", req)
	}, 2*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, workflows.CaseInput{CaseID: caseID, Definition: loopFlow()})
	require.True(t, h.env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(h.env.GetWorkflowError(), &can), "want continue-as-new, got %v", h.env.GetWorkflowError())

	// The first loop-back stayed in this run (seq 3 opened); the second one
	// hit the threshold at the boundary before entering work again.
	require.NoError(t, again1.err)
	require.Equal(t, workflows.TaskID(caseID, 3), again1.result.Next[0].TaskID)
	require.NoError(t, again2.err)
	preview := again2.result.Next
	require.Equal(t, []workflows.TaskRef{{TaskID: workflows.TaskID(caseID, 4), Seq: 4, Step: "work", Department: "cs",
		SLADue: ptr(t0.Add(2*time.Minute + time.Hour))}}, preview)
	require.Len(t, h.opened, 2)

	var next workflows.CaseInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.Equal(t, workflows.CaseWorkflow, can.WorkflowType.Name)
	require.NotNil(t, next.Resume)
	require.Equal(t, "work", next.Resume.Step)
	require.Equal(t, 3, next.Resume.Seq)
	require.Equal(t, "yes", next.Resume.Attributes["prepared"])
	require.Equal(t, "again", next.Resume.LastOutcome)
	require.Equal(t, t0.Add(2*time.Minute), next.Resume.EnteredAt)
	require.Equal(t, []workflows.EventRequest{{Name: "early"}}, next.Resume.Events)

	// The next run resumes at work with seq 4 and the previewed task.
	h2 := newHarness(t)
	h2.env.SetStartTime(t0.Add(2 * time.Minute))
	var finish *updateResult
	h2.env.RegisterDelayedCallback(func() {
		st := h2.state()
		require.Equal(t, preview, st.Open)
		req := worker
		req.TaskID, req.Outcome = preview[0].TaskID, "finish"
		finish = h2.complete("f", req)
	}, time.Minute)
	h2.env.ExecuteWorkflow(workflows.CaseWorkflow, next)
	require.NoError(t, h2.env.GetWorkflowError())
	require.NoError(t, finish.err)
	require.Empty(t, h2.autos, "prepare must not run again")
	require.Len(t, h2.opened, 1)
	require.Equal(t, 4, h2.opened[0].Seq)
	var final workflows.CaseState
	require.NoError(t, h2.env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StatusCompleted, final.Status)
	require.Equal(t, 5, final.Seq)
	require.Equal(t, "yes", final.Attributes["prepared"])
}

func TestTaskIDDeterministic(t *testing.T) {
	t.Parallel()
	require.Equal(t, workflows.TaskID(caseID, 1), workflows.TaskID(caseID, 1))
	require.NotEqual(t, workflows.TaskID(caseID, 1), workflows.TaskID(caseID, 2))
	require.Len(t, workflows.SearchAttributes(), 6)
}

// A decision rule that goes beyond a run-time limit (decision 0020) fails
// the case visibly: the workflow fails with a non-retryable RuleFailed
// error naming the decision and the limit, and the case row is marked
// failed; it is not counted as false (which routed the case silently).
func TestCaseRuleBeyondLimitFailsCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := input(map[string]any{"severity": "high", "xs": make([]any, 200)})
	in.Definition.Start = "route"
	in.Definition.Steps[1].Rules[0].When = `any(attributes.xs, any(attributes.xs, # != nil))`
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	require.Error(t, err)
	require.Equal(t, workflows.RuleFailed, errType(t, err))
	require.ErrorContains(t, err, `decision "route": rule 1 could not be evaluated`)
	require.ErrorContains(t, err, "more than 10000 list elements")
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae))
	require.True(t, ae.NonRetryable())
	require.NotEmpty(t, h.cases)
	require.Equal(t, workflows.StatusFailed, h.cases[len(h.cases)-1].Status)
	require.Empty(t, h.autos, "the case must not route on")
}

// A run recorded before the rule limits (no rule-errors-fail marker in its
// history) evaluated its rules without them. On replay a rule the limits
// now refuse (split is not on the allow-list) must give the answer it gave
// then, here true, so the case takes the branch it took, not the default.
func TestCaseRecordedBeforeRuleLimitsKeepsItsBranch(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.env.OnGetVersion("rule-errors-fail", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	in := input(map[string]any{"severity": "high-impact"})
	in.Definition.Start = "route"
	in.Definition.Steps[1].Rules[0].When = `split(attributes.severity, "-")[0] == "high"`
	_, err := flow.EvalRule(in.Definition.Steps[1].Rules[0].When, flow.RuleEnv(in.Attributes, "", "", "", nil))
	require.Error(t, err, "the rule is one the limits refuse now")
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in) // the reply wait times out
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.Len(t, h.autos, 1, "the urgent branch, as the run recorded it")
}
