package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// assignedFlow is an after-sales flow of its own department whose first
// task a rule gives to the least loaded available agent, who has 10 min
// to start it (issue 19); the second task is pulled from the pool.
const assignedFlow = `key: after-sales-assigned
version: 1
name: After-sales request (assigned)
description: A return or exchange request, given to the least loaded agent of the after-sales desk.
departments: [after_sales]
sla: 4h
steps:
  - id: review
    kind: task
    name: Review the return request
    department: after_sales
    sla: 30m
    assign: {rule: least_loaded, fallback: [pull], accept_within: 10m}
    outcomes:
      - name: approved
        next: refund
  - id: refund
    kind: task
    name: Refund the customer
    department: after_sales
    sla: 1h
    outcomes:
      - name: refunded
        next: done
  - id: done
    kind: end
    name: Done
`

// The after-sales desk's people (keys of env.tokens).
const (
	deskAna = "desk-ana"
	deskBen = "desk-ben"
	deskLea = "desk-lea" // the team lead
)

// bellCount is the unread count the header's bell shows now.
const bellCount = `document.querySelector('[data-testid="unread-count"]').dataset.unread`

// myTask is the My tasks row of a task.
func myTask(taskID string) string {
	return `tr[data-testid="my-task"][data-task-id="` + taskID + `"]`
}

// teamTask is the team page's row of a task.
func teamTask(taskID string) string {
	return `tr[data-testid="team-task"][data-task-id="` + taskID + `"]`
}

// testAssignment (issue 19): an agent of the after-sales desk sees My
// tasks; a case's first task is assigned to her by the least-loaded rule,
// and the bell's count rises without a reload while the task appears in
// My tasks with the offer's deadline; the notification opens the task.
// She goes away: the flash says her task went to Ben, and it leaves My
// tasks. Ben starts it; the team lead moves it to Ana from the team page,
// and Ana's bell rises again with "moved to you by Lea". Staff who lead
// nothing are refused the team page; the settings page shows the API's
// message at the field.
func (e *env) testAssignment(t *testing.T) {
	ctx := t.Context()
	adm := e.client(t, admin)
	_, err := adm.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "after-sales-assigned"}, []byte(assignedFlow))
	require.NoError(t, err)
	ids := map[string]string{}
	for key, req := range map[string]apiv1.CreateTokenRequest{
		deskAna: {Name: "Ana", Role: apiv1.RoleStaff, Departments: []string{"after_sales"}},
		deskBen: {Name: "Ben", Role: apiv1.RoleStaff, Departments: []string{"after_sales"}},
		deskLea: {Name: "Lea", Role: apiv1.RoleStaff, Departments: []string{"after_sales"}, Leads: []string{"after_sales"}},
	} {
		out, err := adm.CreateToken(ctx, req)
		require.NoError(t, err)
		e.tokens[key], e.names[key], ids[key] = out.Token, req.Name, out.Actor.ID
	}
	// Ben and the lead are offline: the rule has Ana alone.
	for _, key := range []string{deskBen, deskLea} {
		_, err := adm.UpdatePerson(ctx, apiv1.PersonIDParams{ID: ids[key]}, apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Offline)})
		require.NoError(t, err)
	}

	ana := e.newSessionWithin(t, deskAna, 3*time.Minute)
	require.Equal(t, int64(http.StatusOK), ana.signIn())
	require.Equal(t, "/ui/inbox", ana.path())
	require.Equal(t, "My tasks", ana.text(`#mine-heading`))
	require.True(t, ana.has(`[data-testid="my-tasks-empty"]`), "Ana holds nothing yet")
	require.Equal(t, "0", eval[string](ana, bellCount))
	require.Equal(t, "true", eval[string](ana, `document.querySelector('[data-testid="set-available"]').getAttribute("aria-pressed")`))
	require.False(t, ana.has(`header a[href="/ui/team"]`), "Ana leads nothing: no team page in her menu")
	ana.shotAt("01-my-tasks-empty", laptop, tabletPortrait)

	// A case: its first task goes to Ana by the rule.
	eval[bool](ana, `(window.__samePage = true)`)
	c, err := adm.CreateCase(ctx, apiv1.CreateCaseParams{}, apiv1.CreateCaseRequest{Flow: "after-sales-assigned",
		Customer: "C-browser-assign-1", Channel: "app"})
	require.NoError(t, err)
	tk := e.waitHeld(t, c.ID, "review")
	require.Equal(t, ids[deskAna], tk.Assignee)
	require.Equal(t, "least_loaded", tk.AssignRule)
	ana.waitJS("the bell's count rises without a reload", bellCount+` === "1"`, 2*bellEveryWait)
	ana.waitJS("the task appears in My tasks without a reload", `document.querySelector('`+myTask(tk.ID)+`') !== null`, 15*time.Second)
	require.True(t, eval[bool](ana, `window.__samePage === true`), "no page load")
	require.Equal(t, "assigned by least loaded", ana.text(myTask(tk.ID)+` [data-testid="assigned-how"]`))
	require.Equal(t, "not started", ana.text(myTask(tk.ID)+` [data-testid="not-started"]`))
	ana.waitJS("the offer counts down", `/^start within \d+ min$/.test(document.querySelector('`+myTask(tk.ID)+` [data-testid="offer"]').textContent)`, 5*time.Second)
	ana.shotAt("02-assigned-bell-rose", laptop, tabletPortrait)

	// The bell leads to the notification, which opens the task.
	require.Equal(t, int64(http.StatusOK), ana.submit("open the notifications", chromedp.Click(chromedp.CSS(`[data-testid="bell"]`))))
	require.Equal(t, "/ui/notifications", ana.path())
	note := `li[data-testid="notification"][data-task-id="` + tk.ID + `"]`
	require.Equal(t, "false", eval[string](ana, `document.querySelector('`+note+`').dataset.read`))
	require.Contains(t, ana.text(note+` .note-title`), "Review the return request")
	require.Contains(t, ana.text(note+` [data-testid="notification-lead"]`), "least loaded")
	ana.shot("03-notifications")
	require.Equal(t, int64(http.StatusOK), ana.submit("open the task from the notification",
		chromedp.Click(chromedp.CSS(note+` [data-testid="open-notification"]`))))
	require.Equal(t, "/ui/tasks/"+tk.ID, ana.path())
	require.Equal(t, "0", eval[string](ana, bellCount), "opened: read")
	require.Contains(t, ana.text(`[data-testid="assignment"]`), "assigned by least loaded")
	require.Contains(t, ana.text(`[data-testid="offer-due"]`), "start within")
	ana.shot("04-task-assignment")

	// Ben comes in; Ana goes away: the task she had not started goes to
	// him, and the flash says so.
	_, err = e.client(t, deskBen).UpdatePerson(ctx, apiv1.PersonIDParams{ID: "me"}, apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Available)})
	require.NoError(t, err)
	ana.open("/ui/inbox")
	require.True(t, ana.has(myTask(tk.ID)))
	require.Equal(t, int64(http.StatusOK), ana.submit("go away", chromedp.Click(chromedp.CSS(`header [data-testid="set-away"]`))))
	flash := ana.text(`[data-testid="flash"]`)
	require.Contains(t, flash, "You are away")
	require.Contains(t, flash, `1 task you had not started went back: "Review the return request" of case `+c.ID[:8])
	require.Contains(t, flash, "now with Ben")
	require.False(t, ana.has(myTask(tk.ID)), "no longer in My tasks")
	require.True(t, ana.has(`[data-testid="my-tasks-empty"]`))
	require.Equal(t, "true", eval[string](ana, `document.querySelector('header [data-testid="set-away"]').getAttribute("aria-pressed")`))
	ana.shot("05-away-task-went-to-ben")
	held, err := adm.GetTask(ctx, apiv1.TaskIDParams{ID: tk.ID})
	require.NoError(t, err)
	require.Equal(t, ids[deskBen], held.Assignee)

	// Ana leads nothing: the team page says so.
	require.Equal(t, int64(http.StatusForbidden), ana.open("/ui/team"))
	require.Contains(t, ana.text(`[data-testid="error"]`), "you lead no department")
	ana.shot("06-team-refused")
	ana.open("/ui/inbox")
	require.Equal(t, int64(http.StatusOK), ana.submit("come back", chromedp.Click(chromedp.CSS(`header [data-testid="set-available"]`))))
	require.Contains(t, ana.text(`[data-testid="flash"]`), "You are available")

	// Ben starts it; the lead moves his claimed task to Ana from the team
	// page.
	_, err = e.client(t, deskBen).ClaimTask(ctx, apiv1.TaskIDParams{ID: tk.ID})
	require.NoError(t, err)
	lea := e.newSessionWithin(t, deskLea, 2*time.Minute)
	require.Equal(t, int64(http.StatusOK), lea.signIn())
	require.Equal(t, int64(http.StatusOK), lea.submit("open the team page", chromedp.Click(chromedp.CSS(`header a[href="/ui/team"]`))))
	require.Equal(t, "/ui/team", lea.path())
	require.Equal(t, "Team · After sales", lea.text(`[data-testid="team-heading"]`))
	require.Equal(t, ids[deskBen], eval[string](lea, `document.querySelector('`+teamTask(tk.ID)+`').dataset.assignee`))
	require.Equal(t, "Ben", lea.text(teamTask(tk.ID)+` [data-testid="holder"]`))
	require.Contains(t, lea.text(teamTask(tk.ID)+` [data-testid="waiting"]`), "started after")
	require.Equal(t, "available", eval[string](lea, `document.querySelector('tr[data-testid="team-person"][data-actor="`+ids[deskAna]+`"]').dataset.availability`))
	require.True(t, lea.has(`tr[data-testid="measure-row"][data-actor=""]`), "the department's total")
	require.Contains(t, lea.text(`tr[data-testid="measure-row"][data-actor="`+ids[deskBen]+`"] [data-testid="per-hour"]`), "tasks/h")
	lea.shotAt("07-team", laptop, tabletPortrait)
	lea.do("choose Ana", chromedp.SetValue(chromedp.CSS(teamTask(tk.ID)+` [data-testid="move-to"]`), ids[deskAna]))
	require.Equal(t, int64(http.StatusOK), lea.submit("move the task to Ana", chromedp.Click(chromedp.CSS(teamTask(tk.ID)+` [data-testid="move"]`))))
	require.True(t, strings.HasPrefix(lea.path(), "/ui/team?department=after_sales"), lea.path())
	require.Contains(t, lea.text(`[data-testid="flash"]`), "Reassigned to Ana")
	require.Equal(t, ids[deskAna], eval[string](lea, `document.querySelector('`+teamTask(tk.ID)+`').dataset.assignee`))
	require.Contains(t, lea.text(teamTask(tk.ID)+` [data-testid="held-how"]`), "moved by a team lead")
	lea.shot("08-team-moved-to-ana")

	// Ana's bell rises again, and My tasks says who moved it.
	ana.waitJS("the bell rises for the move", bellCount+` === "1"`, 2*bellEveryWait)
	ana.waitJS("the task is back in My tasks", `document.querySelector('`+myTask(tk.ID)+`') !== null`, 15*time.Second)
	require.Equal(t, "moved to you by Lea", ana.text(myTask(tk.ID)+` [data-testid="assigned-how"]`))
	ana.shot("09-moved-to-you-by-lea")

	// The settings page: the API's refusal of a webhook at its field.
	ana.open("/ui/settings")
	ana.do("fill in a private webhook address",
		chromedp.Click(chromedp.CSS(`[data-testid="notify-webhook"]`)),
		chromedp.SendKeys(chromedp.CSS(`#webhook_url`), "http://10.1.2.3/hook"))
	require.Equal(t, int64(http.StatusUnprocessableEntity), ana.submit("save", chromedp.Click(chromedp.CSS(`[data-testid="save-settings"]`))))
	require.Contains(t, ana.text(`[data-field="webhook_url"]`), "is refused")
	require.Equal(t, "true", eval[string](ana, `document.getElementById("webhook_url").getAttribute("aria-invalid")`))
	ana.shot("10-settings-field-error")
}

// bellEveryWait is how long the bell may take to show a change: its
// polling period (12 s) and a margin.
const bellEveryWait = 12 * time.Second

// waitHeld polls the API until the case's open task of step is held by
// someone and returns it.
func (e *env) waitHeld(t *testing.T, caseID, step string) apiv1.Task {
	t.Helper()
	deadline := time.Now().Add(pollLimit)
	for time.Now().Before(deadline) {
		for _, tk := range e.getCase(t, caseID).Tasks {
			if tk.Step == step && tk.Status == apiv1.TaskOpen && tk.Assignee != "" {
				return tk
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("case %s: no held open %s task after %s", caseID, step, pollLimit)
	return apiv1.Task{}
}

func ptr[T any](v T) *T { return &v }
