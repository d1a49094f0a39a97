package notify_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/notify"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

const base = "https://flowlab.example.com"

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// env is a migrated SQLite store with a case, a clock, and a dispatcher
// that may reach receivers on 127.0.0.1.
type env struct {
	t     *testing.T
	st    store.Store
	clock *clock
	d     *notify.Dispatcher
}

const caseID = "6f1c9a52-0d9c-4c57-9e0e-5b6f1d0a6a11"

func newEnv(t *testing.T, mailer notify.Mailer) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	_, _, err = st.CreateCase(ctx, store.CreateCaseParams{ID: caseID, Flow: "complaint", Version: 2, Customer: "C-1001",
		Channel: "phone", Attributes: json.RawMessage(`{}`), Status: store.CaseActive, WorkflowID: "complaint-" + caseID, At: t0})
	require.NoError(t, err)
	loopback, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	c := &clock{t: t0}
	return &env{t: t, st: st, clock: c, d: &notify.Dispatcher{
		Store: st, Mailer: mailer, WebhookAllow: loopback, BaseURL: base, Logger: quiet(), Now: c.Now,
	}}
}

// person creates a staff member of the technical department with their
// notification preferences.
func (e *env) person(id, name, email, webhook string, by ...string) {
	e.t.Helper()
	ctx := context.Background()
	_, err := e.st.CreateActor(ctx, store.CreateActorParams{ID: id, Name: name, Role: store.RoleStaff,
		Departments: []string{"technical"}, At: t0})
	require.NoError(e.t, err)
	_, _, err = e.st.SetPerson(ctx, store.SetPersonParams{ActorID: id, Email: &email, WebhookURL: &webhook, NotifyBy: &by, At: t0})
	require.NoError(e.t, err)
}

// assignedTask opens a task of the case and has the store assign it:
// the store writes the notification of its assignment.
func (e *env) assignedTask(id string, seq int) store.Task {
	e.t.Helper()
	ctx := context.Background()
	due := t0.Add(130 * time.Minute)
	_, err := e.st.OpenTask(ctx, store.OpenTaskParams{ID: id, CaseID: caseID, Seq: seq, Flow: "complaint", Version: 2,
		Step: "diagnose", StepName: "Diagnose the fault", Department: "technical", Outcomes: []string{"diagnosed"},
		OpenedAt: t0, SLADue: &due})
	require.NoError(e.t, err)
	tk, ok, err := e.st.AssignTask(ctx, store.AssignTaskParams{TaskID: id,
		Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}}, At: t0})
	require.NoError(e.t, err)
	require.True(e.t, ok)
	return tk
}

// notifications are the actor's notifications, newest first.
func (e *env) notifications(actor string) []store.Notification {
	e.t.Helper()
	ns, err := e.st.ListNotifications(context.Background(), store.ListNotificationsParams{ActorID: actor})
	require.NoError(e.t, err)
	return ns
}

func (e *env) runOnce() int {
	e.t.Helper()
	n, err := e.d.RunOnce(context.Background())
	require.NoError(e.t, err)
	return n
}

func plainMailer(t *testing.T, srv *mailServer) notify.Mailer {
	t.Helper()
	cfg, err := notify.ParseSMTPURL(fmt.Sprintf("smtp://%s:%d?from=flowlab@example.com&tls=none", srv.Host, srv.Port))
	require.NoError(t, err)
	m, err := notify.NewSMTPMailer(cfg)
	require.NoError(t, err)
	return m
}

// An escalation's email reaches its person through a real SMTP server and
// names the case, the step, the SLA and the link to the task.
func TestEscalationEmail(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, mailOptions{})
	e := newEnv(t, plainMailer(t, srv))
	e.person("lee", "Lee Park", "lee@example.com", "", store.ChannelEmail)
	tk := e.assignedTask("task-1", 1)
	require.Equal(t, "lee", tk.Assignee)
	// The assignment's notification first, then an escalation's.
	require.Equal(t, 1, e.runOnce())
	due := t0.Add(-35 * time.Minute)
	esc := store.Notification{ID: store.NotificationID(store.NotifyEscalated, "task-1", "lee", 2), ActorID: "lee",
		Kind: store.NotifyEscalated, TaskID: "task-1", CaseID: caseID, CreatedAt: t0,
		Details: store.NotificationDetails{Flow: "complaint", Step: "diagnose", StepName: "Diagnose the fault",
			Department: "technical", SLADue: &due, Level: 2, Target: "supervisor"}}
	require.NoError(t, e.st.CreateNotifications(context.Background(), []store.Notification{esc}))
	require.Equal(t, 1, e.runOnce())

	got := srv.messages()
	require.Len(t, got, 2)
	for _, m := range got {
		require.Equal(t, []string{"lee@example.com"}, m.To)
	}
	assigned := parseMail(t, got[0].Data)
	require.Equal(t, "Task assigned to you: Diagnose the fault — case "+caseID, assigned.Subject)
	require.Contains(t, assigned.Text, "due 2026-12-06 14:00 UTC (due in 2 h 10 min)")

	pm := parseMail(t, got[1].Data)
	require.Equal(t, "Task escalated to level 2: Diagnose the fault — case "+caseID, pm.Subject)
	require.Contains(t, pm.Header.Get("To"), "lee@example.com")
	require.Equal(t, "<"+esc.ID+"@example.com>", pm.Header.Get("Message-Id"), "the same id on every attempt")
	for _, want := range []string{
		"Hello Lee Park,",
		"escalation level 2, which notifies supervisor",
		caseID,
		"Diagnose the fault (step key diagnose)",
		"complaint, version 2",
		"due 2026-12-06 11:15 UTC (overdue by 35 min)",
		"Open the task: " + base + "/ui/tasks/task-1",
	} {
		require.Contains(t, pm.Text, want)
	}
	require.Contains(t, pm.HTML, `href="`+base+`/ui/tasks/task-1"`)
	for _, n := range e.notifications("lee") {
		require.Equal(t, store.DeliveryDone, n.Delivery, n.Kind)
		require.Equal(t, []string{store.ChannelEmail}, n.Sent)
	}
}

// A chat webhook gets the one-line text and the notification's fields,
// with the notification's id as Idempotency-Key.
func TestWebhookDelivery(t *testing.T) {
	t.Parallel()
	hook := startHook(t)
	e := newEnv(t, nil)
	e.person("ana", "Ana Lima", "", hook.URL, store.ChannelWebhook)
	e.assignedTask("task-1", 1)
	ns := e.notifications("ana")
	require.Len(t, ns, 1)
	require.Equal(t, 1, e.runOnce())

	posts := hook.received()
	require.Len(t, posts, 1)
	require.Equal(t, ns[0].ID, posts[0].Header.Get("Idempotency-Key"))
	require.Equal(t, "application/json", posts[0].Header.Get("Content-Type"))
	text, _ := posts[0].Body["text"].(string)
	require.Equal(t, "Task assigned to you: Diagnose the fault — case "+caseID+
		" — SLA: due 2026-12-06 14:00 UTC (due in 2 h 10 min) — "+base+"/ui/tasks/task-1", text)
	body, err := json.Marshal(posts[0].Body["notification"])
	require.NoError(t, err)
	require.JSONEq(t, `{"id": "`+ns[0].ID+`", "kind": "task.assigned", "actor": "ana", "task": "task-1", "case": "`+caseID+`",
		"flow": "complaint", "step": "diagnose", "step_name": "Diagnose the fault", "department": "technical",
		"sla_due": "2026-12-06T14:00:00Z", "created_at": "2026-12-06T11:50:00Z", "link": "`+base+`/ui/tasks/task-1"}`, string(body))

	n := e.notifications("ana")[0]
	require.Equal(t, []any{store.DeliveryDone, []string{store.ChannelWebhook}, 1}, []any{n.Delivery, n.Sent, n.Attempts})
	require.Zero(t, e.runOnce(), "nothing is due any more")
	require.Len(t, hook.received(), 1)
}

// The SMTP server refuses at first: the webhook, which worked, is not
// posted again; the email is retried after the backoff and sent once the
// server takes it.
func TestRetryAfterSMTPFailure(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, mailOptions{})
	srv.reject.Store(true)
	hook := startHook(t)
	e := newEnv(t, plainMailer(t, srv))
	e.person("ana", "Ana Lima", "ana@example.com", hook.URL, store.ChannelEmail, store.ChannelWebhook)
	e.assignedTask("task-1", 1)

	require.Equal(t, 1, e.runOnce())
	n := e.notifications("ana")[0]
	require.Equal(t, store.DeliveryPending, n.Delivery)
	require.Equal(t, []string{store.ChannelWebhook}, n.Sent)
	require.Equal(t, 1, n.Attempts)
	require.NotNil(t, n.NextAttemptAt)
	require.True(t, n.NextAttemptAt.Equal(t0.Add(30*time.Second)), "%v", n.NextAttemptAt)
	require.Contains(t, n.LastError, "email:")
	require.Contains(t, n.LastError, "try again later")
	require.Empty(t, srv.messages())
	require.Len(t, hook.received(), 1)

	require.Zero(t, e.runOnce(), "not due before its next attempt")
	srv.reject.Store(false)
	e.clock.Add(30 * time.Second)
	require.Equal(t, 1, e.runOnce())
	n = e.notifications("ana")[0]
	require.Equal(t, store.DeliveryDone, n.Delivery)
	require.Equal(t, []string{store.ChannelEmail, store.ChannelWebhook}, n.Sent)
	require.Equal(t, 2, n.Attempts)
	require.Empty(t, n.LastError)
	require.Len(t, srv.messages(), 1)
	require.Len(t, hook.received(), 1, "the webhook was sent already")
}

// A server that is down: the attempt is retried later, until the last
// attempt, after which the delivery has failed; the waits double.
func TestSMTPDownGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close()) // nothing listens there now
	m, err := notify.NewSMTPMailer(notify.SMTPConfig{Host: "127.0.0.1", Port: port, From: "flowlab@example.com", TLS: notify.TLSNone})
	require.NoError(t, err)
	e := newEnv(t, m)
	e.person("ana", "Ana Lima", "ana@example.com", "", store.ChannelEmail)
	e.assignedTask("task-1", 1)

	for attempt := 1; attempt < notify.MaxAttempts; attempt++ {
		require.Equal(t, 1, e.runOnce(), "attempt %d", attempt)
		n := e.notifications("ana")[0]
		require.Equal(t, []any{store.DeliveryPending, attempt}, []any{n.Delivery, n.Attempts})
		require.Contains(t, n.LastError, "connect")
		require.True(t, n.NextAttemptAt.Equal(e.clock.Now().Add(notify.Backoff(attempt))))
		e.clock.Add(notify.Backoff(attempt))
	}
	require.Equal(t, 1, e.runOnce())
	n := e.notifications("ana")[0]
	require.Equal(t, []any{store.DeliveryFailed, notify.MaxAttempts}, []any{n.Delivery, n.Attempts})
	require.Contains(t, n.LastError, "gave up after 8 attempts")
	e.clock.Add(24 * time.Hour)
	require.Zero(t, e.runOnce())
}

// A webhook URL the egress rules refuse fails at once, without retries,
// and nothing reaches the address.
func TestRefusedWebhookFailsAtOnce(t *testing.T) {
	t.Parallel()
	hook := startHook(t)
	e := newEnv(t, nil)
	e.d.WebhookAllow = &flow.WebhookAllow{} // none: loopback is refused
	e.person("ana", "Ana Lima", "", hook.URL, store.ChannelWebhook)
	e.assignedTask("task-1", 1)
	require.Equal(t, 1, e.runOnce())
	n := e.notifications("ana")[0]
	require.Equal(t, []any{store.DeliveryFailed, 1}, []any{n.Delivery, n.Attempts})
	require.Contains(t, n.LastError, "loopback")
	require.NotContains(t, n.LastError, "gave up")
	require.Empty(t, hook.received())
}

// Someone who wants nothing beyond the app is done at once; so is the
// email channel when no SMTP server is configured.
func TestInAppOnlyIsDoneAtOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.person("ana", "Ana Lima", "", "")
	e.person("bea", "Bea Costa", "bea@example.com", "", store.ChannelEmail)
	e.assignedTask("task-1", 1)
	e.assignedTask("task-2", 2)
	require.Equal(t, 2, e.runOnce())
	for _, who := range []string{"ana", "bea"} {
		ns := e.notifications(who)
		require.Len(t, ns, 1, who)
		require.Equal(t, []any{store.DeliveryDone, []string(nil), ""}, []any{ns[0].Delivery, ns[0].Sent, ns[0].LastError}, who)
	}
}

// A notification of a task closed before its delivery is not sent: it
// would tell of work that is done.
func TestClosedTaskIsNotSent(t *testing.T) {
	t.Parallel()
	hook := startHook(t)
	e := newEnv(t, nil)
	e.person("ana", "Ana Lima", "", hook.URL, store.ChannelWebhook)
	e.assignedTask("task-1", 1)
	_, err := e.st.CompleteTask(context.Background(), store.CompleteTaskParams{ID: "task-1", Outcome: "diagnosed", Actor: "ana",
		CompletionID: "done-1", At: t0.Add(time.Second), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	require.Equal(t, 1, e.runOnce())
	n := e.notifications("ana")[0]
	require.Equal(t, store.DeliveryDone, n.Delivery)
	require.Contains(t, n.LastError, "not sent: the task is completed")
	require.Empty(t, hook.received())
}

// A reassignment names who had the task and who moved it by name, and
// the receiver's failure is retried without reaching the others.
func TestReassignmentNamesPeople(t *testing.T) {
	t.Parallel()
	hook := startHook(t)
	e := newEnv(t, nil)
	e.person("ana", "Ana Lima", "", hook.URL, store.ChannelWebhook)
	e.person("bea", "Bea Costa", "", hook.URL, store.ChannelWebhook)
	_, err := e.st.CreateActor(context.Background(), store.CreateActorParams{ID: "lead", Name: "Lee Park", Role: store.RoleStaff,
		Departments: []string{"technical"}, Leads: []string{"technical"}, At: t0})
	require.NoError(t, err)
	e.assignedTask("task-1", 1) // to ana: least loaded, by id
	_, err = e.st.ReassignTask(context.Background(), store.ReassignTaskParams{ID: "task-1", To: "bea", By: "lead", At: t0.Add(time.Minute)})
	require.NoError(t, err)

	hook.status.Store(503)
	require.Equal(t, 2, e.runOnce(), "ana's (stale: she no longer holds it) and bea's")
	ana := e.notifications("ana")[0]
	require.Equal(t, store.DeliveryDone, ana.Delivery)
	require.Contains(t, ana.LastError, "assigned to someone else")
	bea := e.notifications("bea")[0]
	require.Equal(t, store.DeliveryPending, bea.Delivery)
	require.Contains(t, bea.LastError, "status 503")
	require.NotContains(t, bea.LastError, "secret-token", "a webhook URL's secret stays out of errors")

	hook.status.Store(200)
	e.clock.Add(notify.Backoff(1))
	require.Equal(t, 1, e.runOnce())
	posts := hook.received()
	require.Len(t, posts, 2, "one failed, one delivered")
	require.Equal(t, posts[0].Header.Get("Idempotency-Key"), posts[1].Header.Get("Idempotency-Key"))
	text, _ := posts[1].Body["text"].(string)
	require.True(t, strings.HasPrefix(text, "Task reassigned to you: Diagnose the fault"), text)
	require.Equal(t, store.DeliveryDone, e.notifications("bea")[0].Delivery)
}

// Run delivers until its context ends, and a kick starts a pass at once.
func TestRunUntilCancelled(t *testing.T) {
	t.Parallel()
	hook := startHook(t)
	e := newEnv(t, nil)
	e.person("ana", "Ana Lima", "", hook.URL, store.ChannelWebhook)
	ctx, cancel := context.WithCancel(context.Background())
	kick := make(chan struct{}, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		e.d.Run(ctx, time.Hour, kick)
	}()
	e.assignedTask("task-1", 1)
	kick <- struct{}{}
	deadline := time.Now().Add(20 * time.Second)
	for len(hook.received()) == 0 {
		require.True(t, time.Now().Before(deadline), "the kick did not start a pass")
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	require.Len(t, hook.received(), 1)
}

// An alert rule's firing reaches a person through a real SMTP server: the
// rule, what it watches, why, and the link to its page (decision 0040).
// It names no task.
func TestAlertEmail(t *testing.T) {
	t.Parallel()
	srv := startMailServer(t, mailOptions{})
	e := newEnv(t, plainMailer(t, srv))
	e.person("olga", "Olga Owner", "olga@example.com", "", store.ChannelEmail)
	v := 0.333
	n := store.Notification{ID: store.NotificationID(store.NotifyAlertFiring, "event-1", "olga", 0), ActorID: "olga",
		Kind: store.NotifyAlertFiring, CreatedAt: t0,
		Details: store.NotificationDetails{Alert: "rule-1", AlertName: "Investigation breaches", Metric: "sla_breach_rate",
			Scope: &alert.Scope{Flow: "complaint", Step: "investigate"}, Value: &v, Message: "33.3 % is above 20.0 %"}}
	require.NoError(t, e.st.CreateNotifications(context.Background(), []store.Notification{n}))
	require.Equal(t, 1, e.runOnce())
	got := srv.messages()
	require.Len(t, got, 1)
	pm := parseMail(t, got[0].Data)
	require.Equal(t, "Alert firing: Investigation breaches", pm.Subject)
	for _, want := range []string{"Hello Olga Owner,", `The alert rule "Investigation breaches" fired`, "complaint / step investigate",
		"33.3 % is above 20.0 %", "Open the rule: " + base + "/ui/alerts/rule-1"} {
		require.Contains(t, pm.Text, want)
	}
	require.Contains(t, pm.HTML, `href="`+base+`/ui/alerts/rule-1"`)
	require.NotContains(t, pm.Text, "Open the task")
	require.Equal(t, store.DeliveryDone, e.notifications("olga")[0].Delivery)
}
