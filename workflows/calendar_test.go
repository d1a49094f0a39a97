package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

// office is Mon–Fri 09:00–17:00 in London with the 2026 Christmas
// holidays (25 December, and 28 December for Boxing Day on a Saturday).
func office() flow.Calendar {
	day := "09:00-17:00"
	return flow.Calendar{
		ID: "office", TimeZone: "Europe/London",
		Hours:    flow.WeekHours{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day},
		Holidays: []string{"2026-12-25", "2026-12-28"},
	}
}

// businessFlow: handle (task, cs, SLA 2h business, escalation after 2h
// notify and after 4h move to tech) -> reply (wait for the customer,
// pausing the case SLA) -> check (task, cs, 24x7 SLA 1h) -> done. The case
// SLA is 4h of business time.
func businessFlow() flow.Definition {
	return flow.Definition{
		Key: "biz", Version: 1, Departments: []string{"cs", "tech"},
		Calendars: []flow.Calendar{office()}, Calendar: "office", SLA: dur(4 * time.Hour),
		Steps: []flow.Step{
			{
				ID: "handle", Kind: flow.KindTask, Department: "cs", SLA: dur(2 * time.Hour),
				Escalation: []flow.EscalationLevel{
					{After: dur(2 * time.Hour), Notify: "cs-lead"},
					{After: dur(4 * time.Hour), Department: "tech"},
				},
				Outcomes: []flow.Outcome{{Name: "answered", Next: "reply"}},
			},
			{ID: "reply", Kind: flow.KindWait, Event: "customer_reply", Timeout: dur(30 * 24 * time.Hour), PauseSLA: true, Next: "check"},
			{
				ID: "check", Kind: flow.KindTask, Department: "cs", SLA: dur(time.Hour), Calendar: flow.Calendar24x7,
				Outcomes: []flow.Outcome{{Name: "ok", Next: "done"}},
			},
			{ID: "done", Kind: flow.KindEnd},
		},
	}
}

func london(t *testing.T, s string) time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/London")
	require.NoError(t, err)
	v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	require.NoError(t, err)
	return v
}

func bizInput() workflows.CaseInput {
	return workflows.CaseInput{CaseID: caseID, Definition: businessFlow()}
}

func handleReq(outcome string, dept string) workflows.CompleteRequest {
	return workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 1), Outcome: outcome, ActorID: "ann", ActorDepartments: []string{"cs", dept}}
}

// runEscalation starts a case at start, lets the handle task sit until
// after both escalation levels, completes it and returns the harness and
// the task as first opened.
func runEscalation(t *testing.T, start, completeAt time.Time) (*harness, workflows.TaskRef) {
	h := newHarness(t)
	h.env.SetStartTime(start)
	var first workflows.TaskRef
	h.env.RegisterDelayedCallback(func() { first = h.state().Open[0] }, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.complete("u1", handleReq("answered", "tech")) }, completeAt.Sub(start))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, completeAt.Sub(start)+time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "ok", ActorDepartments: []string{"cs"}})
	}, completeAt.Sub(start)+2*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, bizInput())
	require.NoError(t, h.env.GetWorkflowError())
	return h, first
}

func TestBusinessSLAAcrossWeekend(t *testing.T) {
	t.Parallel()
	// Friday 16:00: one business hour left on Friday, the rest on Monday.
	start := london(t, "2026-03-06 16:00")
	h, first := runEscalation(t, start, london(t, "2026-03-09 14:00"))
	require.True(t, london(t, "2026-03-09 10:00").Equal(*first.SLADue), "SLA due %v", first.SLADue)
	require.Len(t, h.escalations, 2)
	require.True(t, london(t, "2026-03-09 10:00").Equal(h.escalations[0].At), "level 1 at %v", h.escalations[0].At)
	require.True(t, london(t, "2026-03-09 12:00").Equal(h.escalations[1].At), "level 2 at %v", h.escalations[1].At)
	require.Equal(t, "tech", h.escalations[1].Department)
	require.True(t, h.closed[0].Span.Breached, "completed Monday 14:00, due 10:00")
}

func TestBusinessSLAAcrossHoliday(t *testing.T) {
	t.Parallel()
	// Thursday 24 December 16:00: Friday is Christmas, then the weekend,
	// then Monday 28th the Boxing Day holiday; due Tuesday 29th 10:00.
	start := london(t, "2026-12-24 16:00")
	h, first := runEscalation(t, start, london(t, "2026-12-29 09:30"))
	require.True(t, london(t, "2026-12-29 10:00").Equal(*first.SLADue), "SLA due %v", first.SLADue)
	// Completed at 09:30 on the 29th, five elapsed days later: no
	// escalation has fired and the SLA was met.
	require.Empty(t, h.escalations)
	require.False(t, h.closed[0].Span.Breached)
}

func TestPauseSLAWaitDoesNotCountAgainstCase(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	start := london(t, "2026-03-02 09:00") // Monday
	h.env.SetStartTime(start)
	var waiting, checking workflows.CaseState
	at := func(s string) time.Duration { return london(t, s).Sub(start) }
	h.env.RegisterDelayedCallback(func() { h.complete("u1", handleReq("answered", "cs")) }, at("2026-03-02 10:00"))
	h.env.RegisterDelayedCallback(func() { waiting = h.state() }, at("2026-03-03 10:00"))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, at("2026-03-03 11:00"))
	h.env.RegisterDelayedCallback(func() { checking = h.state() }, at("2026-03-03 11:30"))
	h.env.RegisterDelayedCallback(func() {
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "ok", ActorDepartments: []string{"cs"}})
	}, at("2026-03-03 12:00"))
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, bizInput())
	require.NoError(t, h.env.GetWorkflowError())

	// While paused the due time moves on: Monday 10:00-17:00 and Tuesday
	// 09:00-10:00 paused (8h), 4h+8h after Monday 09:00 is Tuesday 13:00.
	require.Equal(t, 8*time.Hour, waiting.SLAPaused)
	require.True(t, london(t, "2026-03-03 13:00").Equal(*waiting.SLADue), "due %v", waiting.SLADue)
	// After the reply: 9h paused, due Tuesday 14:00.
	require.Equal(t, 9*time.Hour, checking.SLAPaused)
	require.True(t, london(t, "2026-03-03 14:00").Equal(*checking.SLADue), "due %v", checking.SLADue)
	// The check step counts 24x7: opened Tuesday 11:00, due 12:00.
	require.True(t, london(t, "2026-03-03 12:00").Equal(*h.opened[1].SLADue), "check due %v", h.opened[1].SLADue)

	// The case closed Tuesday 12:00, within its SLA thanks to the pause;
	// the end span carries the case SLA.
	var end workflows.SpanInput
	for _, s := range h.spans {
		if s.Step == "done" {
			end = s
		}
	}
	require.NotNil(t, end.SLADue)
	require.True(t, london(t, "2026-03-03 14:00").Equal(*end.SLADue))
	require.False(t, end.Breached)
	last := h.cases[len(h.cases)-1]
	require.True(t, london(t, "2026-03-03 14:00").Equal(*last.SLADue))
}

func TestCaseSLABreachedWithoutPause(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	def := businessFlow()
	def.Steps[1].PauseSLA = false
	start := london(t, "2026-03-02 09:00")
	h.env.SetStartTime(start)
	at := func(s string) time.Duration { return london(t, s).Sub(start) }
	h.env.RegisterDelayedCallback(func() { h.complete("u1", handleReq("answered", "cs")) }, at("2026-03-02 10:00"))
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, at("2026-03-03 11:00"))
	h.env.RegisterDelayedCallback(func() {
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "ok", ActorDepartments: []string{"cs"}})
	}, at("2026-03-03 12:00"))
	in := bizInput()
	in.Definition = def
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.NoError(t, h.env.GetWorkflowError())
	end := h.spans[len(h.spans)-1]
	require.Equal(t, "done", end.Step)
	require.True(t, london(t, "2026-03-02 13:00").Equal(*end.SLADue))
	require.True(t, end.Breached)
}
