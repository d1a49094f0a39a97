package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// row is the inbox row of a task.
func row(taskID string) string {
	return `tr[data-testid="inbox-row"][data-task-id="` + taskID + `"]`
}

// testStaffHandoff: a customer service agent sees a new complaint's task in
// the inbox, claims it, completes it with the form's fields and an
// outcome, and is told where the case went; the technical agent, signed in
// in another browser context, then finds the handoff in their inbox.
func (e *env) testStaffHandoff(t *testing.T) {
	const summary = "The router drops the line every evening <b>since</b> Monday"
	c := e.startCase(t, "C-browser-handoff")
	tk := e.waitOpenTask(t, c.ID, "customer_service")

	cs := e.newSession(t, csAgent)
	require.Equal(t, int64(http.StatusOK), cs.signIn())
	require.Equal(t, "/ui/inbox", cs.path(), "staff land on their inbox")
	actor := cs.text(`[data-testid="actor"]`)
	require.Contains(t, actor, e.names[csAgent])
	require.Contains(t, actor, "Customer service", "the department by name")
	require.True(t, cs.has(row(tk.ID)), "the new complaint's %q task is in the inbox", tk.Step)
	require.Equal(t, "customer_service", eval[string](cs, `document.querySelector('`+row(tk.ID)+`').dataset.department`))
	cs.waitJS("the SLA countdown runs", `/^(due in|overdue) /.test(document.querySelector('`+row(tk.ID)+` [data-testid="countdown"]').textContent)`, 5*time.Second)
	cs.shotAt("01-inbox", laptop, tabletLand, tabletPortrait)

	status := cs.submit("claim", chromedp.Click(chromedp.CSS(row(tk.ID)+` [data-testid="claim"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Contains(t, cs.text(`.flash`), "laimed")
	require.Equal(t, "you", cs.text(row(tk.ID)+` [data-testid="assignee"]`), "the row shows the claim")
	require.False(t, cs.has(row(tk.ID)+` [data-testid="claim"]`), "a claimed task offers no claim")
	cs.shot("02-claimed")

	status = cs.submit("open the task", chromedp.Click(chromedp.CSS(row(tk.ID)+` [data-testid="open-task"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, "/ui/tasks/"+tk.ID, cs.path())
	require.Equal(t, "Customer service", cs.text(`[data-testid="task-department"]`))
	require.Contains(t, cs.text(`[data-testid="case-customer"]`), "C-browser-handoff")
	cs.shot("03-task")

	// The form as the flow defines it: a required severity (enum) and a
	// required summary (text); one outcome.
	require.True(t, cs.has(`select#field-severity[required]`), "severity is a required choice")
	require.True(t, cs.has(`textarea#field-summary[required]`), "summary is a required text")
	require.True(t, cs.has(`[data-testid="complete-recorded"]`), "the outcome is a button")
	// The browser refuses an empty required field before anything is sent.
	cs.do("press the outcome with empty fields", chromedp.Click(chromedp.CSS(`[data-testid="complete-recorded"]`)))
	require.Equal(t, "/ui/tasks/"+tk.ID, cs.path(), "nothing was submitted")
	require.False(t, eval[bool](cs, `document.querySelector('[data-testid="complete-form"]').checkValidity()`))

	cs.do("fill the form",
		chromedp.SetValue(chromedp.CSS(`#field-severity`), "intermediate"),
		chromedp.SendKeys(chromedp.CSS(`#field-summary`), summary),
	)
	cs.shot("04-filled")
	status = cs.submit("complete with the outcome", chromedp.Click(chromedp.CSS(`[data-testid="complete-recorded"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.True(t, strings.HasPrefix(cs.path(), "/ui/inbox?"), "back to the inbox: %s", cs.path())
	flash := cs.text(`.flash`)
	require.Contains(t, flash, "outcome Recorded")
	require.Contains(t, flash, "in Technical", "the message says where the case went")
	handoff := `[data-testid="handoff"] [data-testid="next-task"][data-department="technical"]`
	require.True(t, cs.has(handoff), "the page lists the handoff to technical")
	next := eval[string](cs, `document.querySelector('`+handoff+`').dataset.taskId`)
	require.NotEmpty(t, next)
	require.False(t, cs.has(row(tk.ID)), "the completed task left the inbox")
	cs.shot("05-handed-off")

	// The data arrived as typed, and the completed task's page shows it as
	// text, not markup.
	done, data := e.completedTask(t, tk.ID)
	require.Equal(t, "completed", done.Status)
	require.Equal(t, "recorded", done.Outcome)
	require.Equal(t, "intermediate", data["severity"])
	require.Equal(t, summary, data["summary"])
	require.Equal(t, int64(http.StatusOK), cs.open("/ui/tasks/"+tk.ID))
	require.Equal(t, "completed", cs.text(`[data-testid="task-status"]`))
	require.Contains(t, cs.text(`[data-testid="task-result"]`), summary, "user text shows as typed")
	require.False(t, cs.has(`[data-testid="task-result"] b`), "no markup from user text")
	cs.shot("06-completed-task")

	// The next department's agent, in a browser context of their own.
	tech := e.newSession(t, techAgent)
	require.Equal(t, int64(http.StatusOK), tech.signIn())
	deadline := time.Now().Add(pollLimit)
	for !tech.has(row(next)) {
		require.True(t, time.Now().Before(deadline), "the handoff task %s is not in the technical inbox after %s", next, pollLimit)
		time.Sleep(200 * time.Millisecond)
		tech.open("/ui/inbox")
	}
	require.Equal(t, c.ID, eval[string](tech, `document.querySelector('`+row(next)+`').dataset.caseId`))
	require.Equal(t, "technical", eval[string](tech, `document.querySelector('`+row(next)+`').dataset.department`))
	require.Contains(t, tech.text(`[data-testid="actor"]`), e.names[techAgent])
	tech.shotAt("07-technical-inbox", laptop, tabletLand)

	// The technical agent opens the task and the case's timeline, which
	// shows the handoff and who did the first step.
	status = tech.submit("open the handed-off task", chromedp.Click(chromedp.CSS(row(next)+` [data-testid="open-task"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, "/ui/tasks/"+next, tech.path())
	require.True(t, tech.has(`[data-testid="claim"]`), "the technical agent may claim it")
	// The task page shows what customer service recorded, as text.
	earlier := tech.text(`[data-testid="earlier-steps"]`)
	require.Contains(t, earlier, summary, "the next department reads what the one before recorded")
	require.Contains(t, earlier, "intermediate")
	require.False(t, tech.has(`[data-testid="earlier-steps"] b`), "no markup from user text")
	require.True(t, tech.has(`[data-testid="earlier-step"][data-step="record"]`))
	tech.shot("08-technical-task")
	status = tech.submit("open the case timeline", chromedp.Click(chromedp.CSS(`[data-testid="case-link"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, "/ui/cases/"+c.ID, tech.path())
	require.True(t, tech.has(`[data-testid="timeline-handoff"][data-from="customer_service"][data-to="technical"]`), "the timeline shows the handoff")
	require.True(t, tech.has(`[data-testid="timeline-item"][data-step="record"][data-outcome="recorded"]`), "the timeline shows the recorded step")
	require.True(t, tech.has(`[data-testid="timeline-item"][data-open="true"][data-task-id="`+next+`"]`), "the timeline shows the open task")
	tech.shot("09-case-timeline")
}

// testDepartmentIsolation: a technical agent does not see customer
// service's tasks, cannot ask for that department's inbox (403 page) and
// cannot open such a task; the customer service agent does see it.
func (e *env) testDepartmentIsolation(t *testing.T) {
	c := e.startCase(t, "C-browser-isolation")
	tk := e.waitOpenTask(t, c.ID, "customer_service")

	cs := e.newSession(t, csAgent)
	cs.signIn()
	require.True(t, cs.has(row(tk.ID)), "customer service sees its own task")

	tech := e.newSession(t, techAgent)
	require.Equal(t, int64(http.StatusOK), tech.signIn())
	require.Equal(t, "/ui/inbox", tech.path())
	require.False(t, tech.has(row(tk.ID)), "the technical inbox lists customer service's task")
	require.False(t, tech.has(`tr[data-testid="inbox-row"][data-department="customer_service"]`), "the technical inbox lists a customer service task")
	require.False(t, tech.has(`#inbox-department option[value="customer_service"]`), "the department filter offers customer_service")
	tech.shot("01-technical-inbox")

	status := tech.open("/ui/inbox?department=customer_service")
	require.Equal(t, int64(http.StatusForbidden), status)
	require.Contains(t, tech.text(`[data-testid="error"] h1`), "403")
	require.False(t, tech.has(`tr[data-testid="inbox-row"]`), "a 403 page lists no task")
	tech.shot("02-other-department-403")

	status = tech.open("/ui/tasks/" + tk.ID)
	require.Equal(t, int64(http.StatusForbidden), status)
	require.Contains(t, tech.text(`[data-testid="error"] h1`), "403")
	tech.shot("03-other-task-403")
}

// testKeyboardCompletion: the task form works with the keyboard alone:
// Tab to the first field, type, Tab to the outcome, Enter.
func (e *env) testKeyboardCompletion(t *testing.T) {
	c := e.startCase(t, "C-browser-keyboard")
	tk := e.waitOpenTask(t, c.ID, "customer_service")

	s := e.newSession(t, csAgent)
	s.signIn()
	require.Equal(t, int64(http.StatusOK), s.open("/ui/tasks/"+tk.ID))

	// From the top of the page, Tab until the first field has the focus.
	s.tabTo(`#field-severity`, 40)
	s.do("choose a severity by typing", chromedp.KeyEvent("p"))
	require.Equal(t, "primary", eval[string](s, `document.getElementById("field-severity").value`))
	s.do("Tab to the summary", chromedp.KeyEvent(kbTab))
	require.Equal(t, "field-summary", eval[string](s, `document.activeElement.id`))
	s.do("type the summary", chromedp.KeyEvent("Typed with the keyboard only"))
	s.tabTo(`[data-testid="complete-recorded"]`, 5)
	s.shot("01-outcome-focused")
	status := s.submit("press Enter on the outcome", chromedp.KeyEvent(kbEnter))
	require.Equal(t, int64(http.StatusOK), status)
	require.True(t, strings.HasPrefix(s.path(), "/ui/inbox?"), "back to the inbox: %s", s.path())
	require.Contains(t, s.text(`.flash`), "outcome Recorded")

	done, data := e.completedTask(t, tk.ID)
	require.Equal(t, "completed", done.Status)
	require.Equal(t, "recorded", done.Outcome)
	require.Equal(t, map[string]any{"severity": "primary", "summary": "Typed with the keyboard only"}, data)
	s.shot("02-completed")
}

// testInboxRefreshesInPlace: the inbox reloads its rows every 10 s without
// replacing rows that did not change (the countdowns tick in the browser,
// so the live text always differs from what the server sent), and shows
// a new task without a page load.
func (e *env) testInboxRefresh(t *testing.T) {
	c := e.startCase(t, "C-browser-refresh")
	tk := e.waitOpenTask(t, c.ID, "customer_service")
	cs := e.newSession(t, csAgent)
	require.Equal(t, int64(http.StatusOK), cs.signIn())
	require.True(t, cs.has(row(tk.ID)))
	// Marks the DOM cannot serialise: they survive only if the row and the
	// page are the same objects after the refresh.
	require.True(t, eval[bool](cs, `(function () { document.querySelector('`+row(tk.ID)+`').__kept = true; window.__samePage = true; return true })()`))
	rows := `document.getElementById('inbox-rows').dataset`
	cs.waitJS("a refresh with nothing new on the server", rows+`.refreshes >= 1`, 15*time.Second)
	require.Equal(t, "0", eval[string](cs, rows+`.swaps`), "unchanged rows were replaced")
	require.True(t, eval[bool](cs, `document.querySelector('`+row(tk.ID)+`').__kept === true`), "the row is the same element")

	c2 := e.startCase(t, "C-browser-refresh-2")
	tk2 := e.waitOpenTask(t, c2.ID, "customer_service")
	cs.waitJS("the new task appears without a page load", `document.querySelector('`+row(tk2.ID)+`') !== null`, 15*time.Second)
	require.Equal(t, "1", eval[string](cs, rows+`.swaps`))
	require.True(t, eval[bool](cs, `window.__samePage === true`), "no page load")
	require.Contains(t, cs.text(`[data-testid="inbox-status"]`), "Updated")
	cs.shot("inbox-refreshed")
}
