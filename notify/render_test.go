package notify_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/notify"
	"github.com/flowlab/flowlab/store"
)

var t0 = time.Date(2026, 12, 6, 11, 50, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func notification(kind string, d store.NotificationDetails) store.Notification {
	return store.Notification{ID: "n-1", ActorID: "ana", Kind: kind, TaskID: "task-7", CaseID: "case-42",
		Details: d, CreatedAt: t0, Delivery: store.DeliveryPending}
}

// Every kind names the case, the step by name and key, the flow, the SLA
// in UTC with how far it is, and links to the task's page.
func TestRenderNamesEverything(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 12, 6, 15, 0, 0, 0, time.FixedZone("CET", 3600)) // 14:00 UTC
	d := store.NotificationDetails{Flow: "complaint", Step: "diagnose", StepName: "Diagnose the fault",
		Department: "technical", SLADue: &due, Rule: "least_loaded"}
	info := notify.Info{BaseURL: "https://flowlab.example.com/", Now: t0, Recipient: "Ana Lima", Version: 2}

	m := notify.Render(notification(store.NotifyAssigned, d), info)
	require.Equal(t, "Task assigned to you: Diagnose the fault — case case-42", m.Subject)
	require.Equal(t, "https://flowlab.example.com/ui/tasks/task-7", m.Link)
	for _, want := range []string{
		"Hello Ana Lima,",
		"A task was assigned to you by the least loaded rule.",
		"Diagnose the fault (step key diagnose)",
		"case-42",
		"complaint, version 2",
		"Technical (technical)",
		"due 2026-12-06 14:00 UTC (due in 2 h 10 min)",
		"Open the task: https://flowlab.example.com/ui/tasks/task-7",
	} {
		require.Contains(t, m.Text, want)
	}
	require.Contains(t, m.HTML, `<a href="https://flowlab.example.com/ui/tasks/task-7">`)
	require.Contains(t, m.HTML, "due 2026-12-06 14:00 UTC (due in 2 h 10 min)")
	require.Equal(t, "Task assigned to you: Diagnose the fault — case case-42 — SLA: due 2026-12-06 14:00 UTC (due in 2 h 10 min) — https://flowlab.example.com/ui/tasks/task-7", m.Summary)
	require.NotContains(t, m.Summary, "\n")

	// Overdue, and without an SLA.
	late := notify.Render(notification(store.NotifyAssigned, d), notify.Info{Now: due.Add(35 * time.Minute)})
	require.Contains(t, late.Text, "due 2026-12-06 14:00 UTC (overdue by 35 min)")
	require.Equal(t, "/ui/tasks/task-7", late.Link, "no base: a link within the site")
	d.SLADue = nil
	none := notify.Render(notification(store.NotifyAssigned, d), info)
	require.Contains(t, none.Text, "SLA:")
	require.Contains(t, none.Text, "no SLA")
}

// A reassignment names who had the task and who moved it, by name when
// known; an escalation its level and whom it notifies.
func TestRenderReassignedAndEscalated(t *testing.T) {
	t.Parallel()
	due := t0.Add(-5 * time.Minute)
	info := notify.Info{BaseURL: "http://localhost:8080", Now: t0, Names: map[string]string{"bea": "Bea Costa", "lead": "Lee Park"}}

	m := notify.Render(notification(store.NotifyReassigned, store.NotificationDetails{Flow: "complaint", Step: "diagnose",
		SLADue: &due, From: "bea", By: "lead", Rule: store.AssignManual}), info)
	require.Equal(t, "Task reassigned to you: Diagnose — case case-42", m.Subject, "without a step name, the key made readable")
	require.Contains(t, m.Text, "Lee Park moved this task to you from Bea Costa.")
	require.Contains(t, m.Text, "(overdue by 5 min 00 s)", "readable.Duration's bands: seconds under 10 min")

	m = notify.Render(notification(store.NotifyReassigned, store.NotificationDetails{Step: "diagnose", From: "zoe",
		Rule: store.AssignTeamLead, Level: 2, Department: "technical"}), info)
	require.Contains(t, m.Text, "The task was escalated to level 2 and given to you as the team lead of Technical; zoe had it before.")
	require.Contains(t, m.Text, "level 2")

	m = notify.Render(notification(store.NotifyEscalated, store.NotificationDetails{Flow: "complaint", Step: "diagnose",
		StepName: "Diagnose", SLADue: &due, Level: 3, Target: "supervisor"}), info)
	require.Equal(t, "Task escalated to level 3: Diagnose — case case-42", m.Subject)
	require.Contains(t, m.Text, "The task reached escalation level 3, which notifies supervisor.")
	require.Contains(t, m.Text, "Notifies:")
}

// Values from flows and people cannot break a subject or a line, nor
// inject markup into the HTML part.
func TestRenderKeepsValuesInTheirPlace(t *testing.T) {
	t.Parallel()
	m := notify.Render(notification(store.NotifyAssigned, store.NotificationDetails{Step: "s",
		StepName: "Fix\r\nBcc: someone@example.com <b>now</b>"}), notify.Info{Now: t0})
	require.NotContains(t, m.Subject, "\n")
	require.NotContains(t, m.Subject, "\r")
	require.NotContains(t, m.HTML, "<b>now</b>")
	require.Contains(t, m.HTML, "&lt;b&gt;now&lt;/b&gt;")
	require.Equal(t, 1, strings.Count(m.Text, "Bcc:"), "one line: %q", m.Text)
}

func TestBackoffDoublesUpToAnHour(t *testing.T) {
	t.Parallel()
	var got []time.Duration
	for a := 1; a <= 9; a++ {
		got = append(got, notify.Backoff(a))
	}
	require.Equal(t, []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour}, got)
}
