package activities_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/workflows"
)

const caseID = "0d9c3c57-3c55-4a55-9e0e-5b6f1d0a6a11"

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newStore opens a migrated SQLite store with one case row.
func newStore(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	_, _, err = s.CreateCase(ctx, store.CreateCaseParams{
		ID: caseID, Flow: "complaint", Version: 1, Customer: "c-1", Channel: "chat",
		Attributes: json.RawMessage(`{}`), Status: store.CaseStarting, WorkflowID: "case-" + caseID, At: t0,
	})
	require.NoError(t, err)
	return s
}

// hook is a webhook receiver that records bodies and answers status.
type hook struct {
	mu     sync.Mutex
	bodies []map[string]any
	status int
}

func newHook(t *testing.T, status int) (*hook, *httptest.Server) {
	h := &hook{status: status}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, body)
		code := h.status
		h.mu.Unlock()
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *hook) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

func openInput(seq int) workflows.OpenTaskInput {
	due := t0.Add(time.Hour)
	return workflows.OpenTaskInput{
		TaskID: workflows.TaskID(caseID, seq), CaseID: caseID, Seq: seq, Flow: "complaint", Version: 1,
		Step: "record", StepName: "Record", Department: "cs", Roles: []string{"staff"},
		Outcomes: []string{"recorded"}, Form: []flow.Field{{Name: "summary", Type: "text", Required: true}},
		OpenedAt: t0, SLADue: &due,
	}
}

func closeInput(seq int, completion string) workflows.CloseTaskInput {
	due := t0.Add(time.Hour)
	return workflows.CloseTaskInput{
		TaskID: workflows.TaskID(caseID, seq), Status: workflows.StatusCompleted, Outcome: "recorded",
		Data: map[string]any{"summary": "broken"}, ActorID: "ann", CompletionID: completion,
		Span: workflows.SpanInput{
			CaseID: caseID, Seq: seq, Flow: "complaint", Version: 1, Step: "record", Kind: "task", Department: "cs",
			EnteredAt: t0, CompletedAt: t0.Add(2 * time.Hour), Outcome: "recorded", SLADue: &due, Breached: true, Actor: "ann",
		},
	}
}

func TestOpenAndCloseTaskIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s, Logger: quiet()}

	require.NoError(t, a.OpenTask(ctx, openInput(1)))
	require.NoError(t, a.OpenTask(ctx, openInput(1)), "a retried OpenTask is no error")
	tasks, err := s.ListTasks(ctx, store.ListTasksParams{CaseID: caseID})
	require.NoError(t, err)
	require.Len(t, tasks, 1)
	require.Equal(t, "cs", tasks[0].Department)
	require.JSONEq(t, `[{"name":"summary","type":"text","required":true}]`, string(tasks[0].Form))

	require.NoError(t, a.CloseTask(ctx, closeInput(1, "upd-1")))
	require.NoError(t, a.CloseTask(ctx, closeInput(1, "upd-1")), "a retry of the same completion succeeds")
	err = a.CloseTask(ctx, closeInput(1, "upd-2"))
	require.Error(t, err, "another completion of a closed task conflicts")
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NonRetryable())

	task, err := s.GetTask(ctx, workflows.TaskID(caseID, 1))
	require.NoError(t, err)
	require.Equal(t, store.TaskCompleted, task.Status)
	require.Equal(t, "upd-1", task.CompletionID)
	spans, err := s.ListSpans(ctx, store.SpanFilter{CaseID: caseID})
	require.NoError(t, err)
	require.Len(t, spans, 1)
	require.True(t, spans[0].Breached)
	require.Equal(t, "ann", spans[0].Actor)
}

func TestCloseTaskCancelled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s, Logger: quiet()}
	require.NoError(t, a.OpenTask(ctx, openInput(1)))
	in := closeInput(1, "")
	in.Status = workflows.StatusCancelled
	in.Span.Outcome = "cancelled"
	require.NoError(t, a.CloseTask(ctx, in))
	require.NoError(t, a.CloseTask(ctx, in), "cancelling again is a no-op")
	task, err := s.GetTask(ctx, in.TaskID)
	require.NoError(t, err)
	require.Equal(t, store.TaskCancelled, task.Status)

	never := closeInput(7, "")
	never.Status = workflows.StatusCancelled
	require.NoError(t, a.CloseTask(ctx, never), "a task never opened has nothing to cancel")

	bad := closeInput(1, "")
	bad.Status = "lost"
	require.Error(t, a.CloseTask(ctx, bad))
}

func TestEscalateMovesAuditsAndNotifies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	h, srv := newHook(t, http.StatusOK)
	a := &activities.Activities{Store: s, Logger: quiet(), WebhookURL: srv.URL}
	require.NoError(t, a.OpenTask(ctx, openInput(1)))

	in := workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1, At: t0.Add(time.Hour)}
	require.NoError(t, a.Escalate(ctx, in))
	require.Empty(t, h.received(), "no notify target, no notification")

	in.Level, in.Department, in.Notify, in.At = 2, "tech", "tech-lead", t0.Add(2*time.Hour)
	require.NoError(t, a.Escalate(ctx, in))
	task, err := s.GetTask(ctx, in.TaskID)
	require.NoError(t, err)
	require.Equal(t, 2, task.EscalationLevel)
	require.Equal(t, "tech", task.Department)
	got := h.received()
	require.Len(t, got, 1)
	n := got[0]["notification"].(map[string]any)
	require.Equal(t, "tech-lead", n["Target"])
	require.Equal(t, caseID, n["CaseID"])

	audit, err := s.ListAudit(ctx, store.AuditFilter{CaseID: caseID})
	require.NoError(t, err)
	require.Len(t, audit, 2)
	require.Equal(t, "task.escalate", audit[1].Action)
	require.JSONEq(t, `{"level":2,"step":"record","department":"tech","notify":"tech-lead"}`, string(audit[1].Details))

	// Escalating a task that was completed meanwhile is no error and no change.
	require.NoError(t, a.CloseTask(ctx, closeInput(1, "u")))
	in.Level = 3
	require.NoError(t, a.Escalate(ctx, in))
	task, err = s.GetTask(ctx, in.TaskID)
	require.NoError(t, err)
	require.Equal(t, 2, task.EscalationLevel)
}

func TestNotifyWebhookStatus(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	in := workflows.NotifyInput{CaseID: caseID, Step: "s", Target: "ops", Message: "hi"}

	require.NoError(t, (&activities.Activities{Logger: quiet()}).Notify(ctx, in), "without a webhook Notify only logs")

	h, srv := newHook(t, http.StatusAccepted)
	require.NoError(t, (&activities.Activities{Logger: quiet(), WebhookURL: srv.URL}).Notify(ctx, in))
	require.Len(t, h.received(), 1)

	_, failing := newHook(t, http.StatusBadGateway)
	err := (&activities.Activities{Logger: quiet(), WebhookURL: failing.URL}).Notify(ctx, in)
	require.ErrorContains(t, err, "502")

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	a := &activities.Activities{Logger: quiet(), WebhookURL: slow.URL, HTTPClient: &http.Client{Timeout: 100 * time.Millisecond}}
	start := time.Now()
	require.Error(t, a.Notify(ctx, in))
	require.Less(t, time.Since(start), 3*time.Second)
}

func TestUpdateCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s, Logger: quiet()}
	require.NoError(t, a.UpdateCase(ctx, workflows.UpdateCaseInput{
		CaseID: caseID, Status: workflows.StatusActive, Step: "record", Attributes: map[string]any{"severity": "high"}, At: t0,
	}))
	c, err := s.GetCase(ctx, caseID)
	require.NoError(t, err)
	require.Equal(t, store.CaseActive, c.Status)
	require.Equal(t, "record", c.Step)
	require.JSONEq(t, `{"severity":"high"}`, string(c.Attributes))
	require.Equal(t, 1, c.Version)
	require.Nil(t, c.SLADue)

	// A migration moves the row to another version; the case SLA is set.
	due := t0.Add(6 * time.Hour)
	require.NoError(t, a.UpdateCase(ctx, workflows.UpdateCaseInput{
		CaseID: caseID, Status: workflows.StatusActive, Step: "intake", Version: 2, SLADue: &due, At: t0,
	}))
	c, err = s.GetCase(ctx, caseID)
	require.NoError(t, err)
	require.Equal(t, 2, c.Version)
	require.NotNil(t, c.SLADue)
	require.True(t, due.Equal(*c.SLADue))

	closed := t0.Add(time.Hour)
	require.NoError(t, a.UpdateCase(ctx, workflows.UpdateCaseInput{
		CaseID: caseID, Status: workflows.StatusCompleted, Step: "close", ClosedAt: &closed, At: closed,
	}))
	c, err = s.GetCase(ctx, caseID)
	require.NoError(t, err)
	require.Equal(t, store.CaseCompleted, c.Status)
	require.Equal(t, "", c.Step)
	require.NotNil(t, c.ClosedAt)
	require.True(t, closed.Equal(*c.ClosedAt))
	require.JSONEq(t, `{"severity":"high"}`, string(c.Attributes), "nil attributes leave them unchanged")
	require.Equal(t, 2, c.Version, "version 0 leaves it unchanged")
	require.True(t, due.Equal(*c.SLADue), "nil SLA due leaves it unchanged")
}

func TestRecordSpan(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s, Logger: quiet()}
	in := workflows.SpanInput{CaseID: caseID, Seq: 2, Flow: "complaint", Version: 1, Step: "route", Kind: "decision",
		EnteredAt: t0, CompletedAt: t0, Outcome: "urgent"}
	require.NoError(t, a.RecordSpan(ctx, in))
	require.NoError(t, a.RecordSpan(ctx, in), "idempotent on (case, seq)")
	spans, err := s.ListSpans(ctx, store.SpanFilter{CaseID: caseID})
	require.NoError(t, err)
	require.Len(t, spans, 1)
	require.Equal(t, "urgent", spans[0].Outcome)
}

func TestAutoActivities(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, srv := newHook(t, http.StatusOK)
	// The test receiver is on loopback: the operator allows it.
	loopback, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	a := &activities.Activities{Logger: quiet(), WebhookAllow: loopback}
	in := workflows.AutoInput{CaseID: caseID, Flow: "complaint", Step: "crm", Customer: "c-1", Channel: "chat",
		Attributes: map[string]any{"severity": "high"}, Params: map[string]any{"url": srv.URL, "system": "crm"}}

	res, err := a.AutoWebhook(ctx, in)
	require.NoError(t, err)
	require.Empty(t, res.Attributes)
	got := h.received()
	require.Len(t, got, 1)
	c := got[0]["case"].(map[string]any)
	require.Equal(t, caseID, c["CaseID"])
	require.Equal(t, "high", c["Attributes"].(map[string]any)["severity"])

	in.Params = nil
	_, err = a.AutoWebhook(ctx, in)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae, "no url anywhere is a permanent error")
	require.True(t, ae.NonRetryable())

	withDefault := &activities.Activities{Logger: quiet(), WebhookURL: srv.URL}
	_, err = withDefault.AutoWebhook(ctx, in)
	require.NoError(t, err)
	require.Len(t, h.received(), 2)

	in.Params = map[string]any{"target": "ops", "message": "new urgent case"}
	_, err = withDefault.AutoNotify(ctx, in)
	require.NoError(t, err)
	n := h.received()[2]["notification"].(map[string]any)
	require.Equal(t, "ops", n["Target"])
	require.Equal(t, "new urgent case", n["Message"])

	in.Params = map[string]any{"to": "customer", "template": "appointment_reminder"}
	_, err = withDefault.AutoNotify(ctx, in)
	require.NoError(t, err)
	n = h.received()[3]["notification"].(map[string]any)
	require.Equal(t, "c-1", n["Target"])
	require.Equal(t, "template:appointment_reminder", n["Message"])

	in.Params = map[string]any{"priority": "p1", "sla_class": 2.0}
	res, err = a.AutoSetAttributes(ctx, in)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"priority": "p1", "sla_class": 2.0}, res.Attributes)
}

// TestRegisterNames runs one registered activity by its protocol name.
func TestRegisterNames(t *testing.T) {
	t.Parallel()
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	a := &activities.Activities{Logger: quiet()}
	a.Register(env)
	v, err := env.ExecuteActivity(workflows.ActivityAutoPrefix+activities.AutoSetAttributes,
		workflows.AutoInput{Params: map[string]any{"k": "v"}})
	require.NoError(t, err)
	var res workflows.AutoResult
	require.NoError(t, v.Get(&res))
	require.Equal(t, "v", res.Attributes["k"])
	_, err = env.ExecuteActivity(workflows.ActivityNotify, workflows.NotifyInput{Target: "x"})
	require.NoError(t, err)
}
