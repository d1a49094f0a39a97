package web

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// leadActor creates a staff actor of departments who leads leads.
func (e *testEnv) leadActor(name string, departments, leads []string) string {
	e.t.Helper()
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": name, "role": "staff",
		"departments": departments, "leads": leads}, nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	var out apiv1.TokenResponse
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &out))
	e.tokens[name] = out.Token
	e.actors[name] = store.Actor{ID: out.Actor.ID, Name: name, Role: store.RoleStaff, Departments: departments, Leads: leads}
	return out.Actor.ID
}

// setAvailability sets a person's availability in the store.
func (e *testEnv) setAvailability(id, availability string) {
	e.t.Helper()
	_, _, err := e.st.SetPerson(context.Background(), store.SetPersonParams{ActorID: id, Availability: &availability, At: time.Now()})
	require.NoError(e.t, err)
}

// follow is the page a form post's redirect leads to, as the same actor.
func (e *testEnv) follow(as string, res interface{ Header() http.Header }) string {
	e.t.Helper()
	loc := res.Header().Get("Location")
	require.NotEmpty(e.t, loc)
	got := e.page(as, http.MethodGet, loc, nil)
	require.Equal(e.t, http.StatusOK, got.Code, got.Body.String())
	return got.Body.String()
}

// flashText is the flash message of a page, unescaped.
func flashText(body string) string {
	m := regexp.MustCompile(`(?s)data-testid="flash"[^>]*>(.*?)</p>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return html.UnescapeString(m[1])
}

// myTaskIDs are the task ids of the My tasks rows of an inbox page.
func myTaskIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`data-testid="my-task" data-task-id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestUIAssignment walks issue 19 through the pages: a task a rule gave
// to ana is first in her inbox with how it came and the offer's deadline,
// the bell counts it, the notification opens the task; she goes away and
// the flash says where it went; the team lead sees the queue, the people
// and the measures, moves a claimed task and sets people available; staff
// who lead nothing are refused the team page in words; the settings page
// shows the API's messages at their fields.
func TestUIAssignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	ana := e.Actor("ana", store.RoleStaff, "customer_service")
	_ = ana
	e.Actor("bob", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	e.Actor("olga", store.RoleOwner)
	lea := e.leadActor("lea", []string{"customer_service"}, []string{"customer_service"})
	anaID, bobID := e.actors["ana"].ID, e.actors["bob"].ID
	e.setAvailability(lea, store.Away)
	e.setAvailability(bobID, store.Offline)

	c := e.CreateCase("C-assign-1")
	task := e.OpenTask(c.ID)
	got, ok, err := e.st.AssignTask(ctx, store.AssignTaskParams{TaskID: task.ID,
		Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}, AcceptWithin: 10 * time.Minute}, At: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, anaID, got.Assignee)

	e.step(t, "My tasks come first, with how the task came and the offer's deadline; the bell counts it", func(t *testing.T, e *testEnv) {
		res := e.page("ana", http.MethodGet, "/ui/inbox", nil)
		require.Equal(t, http.StatusOK, res.Code)
		body := res.Body.String()
		require.Less(t, strings.Index(body, `data-testid="my-tasks"`), strings.Index(body, `data-testid="inbox-table"`), "My tasks above the department's list")
		require.Equal(t, []string{task.ID}, myTaskIDs(body))
		require.Contains(t, body, `data-rule="least_loaded" data-started="false"`)
		require.Contains(t, body, `>assigned by least loaded</span>`)
		require.Contains(t, body, `data-label="start within"`)
		require.Contains(t, body, `>start by `)
		require.Contains(t, body, `data-testid="start"`)
		require.Contains(t, body, `data-testid="give-back"`)
		require.Equal(t, []string{task.ID}, rowIDs(body), "the department's list is as before")
		// The header: the bell with one unread, ana available.
		require.Contains(t, body, `data-testid="unread-count" data-unread="1">1</span>`)
		require.Contains(t, body, `data-unread-url="/ui/notifications/unread" data-every="12"`)
		require.Contains(t, body, `data-testid="availability" data-current="available"`)
		require.Contains(t, body, `aria-pressed="true" data-testid="set-available"`)
		require.Contains(t, body, `<input type="hidden" name="return" value="/ui/inbox">`)
		require.NotContains(t, body, `href="/ui/team"`, "ana leads nothing: no team page in her menu")

		// My tasks refresh in place: the fragment is the served rows.
		frag := e.fragment("ana", "/ui/inbox?part=mine")
		require.Equal(t, http.StatusOK, frag.Code)
		served := regexp.MustCompile(`(?s)<tbody id="mine-rows"[^>]*>(.*?)</tbody>`).FindStringSubmatch(body)
		require.Len(t, served, 2)
		require.Equal(t, strings.TrimSpace(served[1]), strings.TrimSpace(frag.Body.String()))
		require.Contains(t, body, `data-refresh="/ui/inbox?part=mine"`)
		require.Equal(t, http.StatusBadRequest, e.fragment("ana", "/ui/inbox?part=nope").Code)

		// bob holds nothing; the filter's pool is the unclaimed tasks.
		bob := e.page("bob", http.MethodGet, "/ui/inbox?assignee=unclaimed", nil).Body.String()
		require.Contains(t, bob, `data-testid="my-tasks-empty"`)
		require.Contains(t, bob, "Pool: unclaimed tasks you may take")
		require.Contains(t, bob, `data-current="offline"`)
		require.Contains(t, bob, `data-testid="unread-count" data-unread="0">0</span>`)
	})

	e.step(t, "the bell's count, the notifications page, opening one marks it read", func(t *testing.T, e *testEnv) {
		res := e.fragment("ana", "/ui/notifications/unread")
		require.Equal(t, http.StatusOK, res.Code)
		require.Equal(t, "application/json", res.Header().Get("Content-Type"))
		require.JSONEq(t, `{"unread":1}`, res.Body.String())

		body := e.page("ana", http.MethodGet, "/ui/notifications", nil).Body.String()
		require.Contains(t, body, `data-kind="task.assigned" data-task-id="`+task.ID+`" data-read="false"`)
		require.Contains(t, body, "Task assigned to you: Record the complaint — case "+c.ID)
		require.Contains(t, body, `data-testid="notification-lead">A task was assigned to you by the least loaded rule.</p>`)
		require.Contains(t, body, `<dt>Case</dt><dd>`+c.ID+`</dd>`)
		require.Contains(t, body, `<dt>SLA</dt>`)
		require.NotContains(t, body, "Open the task: ", "the link is a button, not text")
		require.Contains(t, body, `data-testid="mark-all-read"`)
		id := regexp.MustCompile(`data-testid="notification" data-id="([^"]+)"`).FindStringSubmatch(body)[1]

		res = e.page("ana", http.MethodPost, "/ui/notifications/"+id+"/open", url.Values{"task": {task.ID}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Equal(t, "/ui/tasks/"+task.ID, res.Header().Get("Location"))
		page := e.page("ana", http.MethodGet, "/ui/tasks/"+task.ID, nil).Body.String()
		require.Contains(t, page, `data-testid="unread-count" data-unread="0">0</span>`, "opened: read")
		require.Contains(t, page, `data-testid="assignment" data-rule="least_loaded"><span title="the available person of the department with the fewest open tasks">assigned by least loaded</span>`)
		require.Contains(t, page, `data-testid="offer-due"`)
		require.Contains(t, page, `data-testid="reassignments">none</dd>`)
		require.Contains(t, page, `data-testid="start">Start</button>`, "assigned to her, not started: she may start it")
		require.Contains(t, e.page("ana", http.MethodGet, "/ui/notifications", nil).Body.String(), `data-read="true"`)
		// Nothing unread: marking all read says so.
		res = e.page("ana", http.MethodPost, "/ui/notifications/read", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Equal(t, "Nothing was unread.", flashText(e.follow("ana", res)))
	})

	e.step(t, "ana goes away: her task goes to bob, and the flash says so", func(t *testing.T, e *testEnv) {
		require.Equal(t, http.StatusOK, e.Do("bob", http.MethodPatch, "/api/v1/people/me", map[string]any{"availability": "available"}, nil).Code)
		res := e.page("ana", http.MethodPost, "/ui/people/me/availability", url.Values{"availability": {"napping"}, "return": {"/ui/inbox"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		refused := e.follow("ana", res)
		require.Contains(t, refused, `data-kind="refused"`)
		require.Contains(t, flashText(refused), "Availability not changed: availability must be available, away or offline")

		res = e.page("ana", http.MethodPost, "/ui/people/me/availability", url.Values{"availability": {"away"}, "return": {"/ui/inbox"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/inbox?flash="), res.Header().Get("Location"))
		body := e.follow("ana", res)
		require.Equal(t, `You are away: rules give you no new tasks. 1 task you had not started went back: "Record the complaint" of case `+
			shortID(c.ID)+` now with bob.`, flashText(body))
		require.Empty(t, myTaskIDs(body), "no longer in My tasks")
		require.Contains(t, body, `data-current="away"`)
		bob := e.page("bob", http.MethodGet, "/ui/inbox", nil).Body.String()
		require.Equal(t, []string{task.ID}, myTaskIDs(bob))
		require.Contains(t, bob, `data-testid="unread-count" data-unread="1">1</span>`)
	})

	e.step(t, "the team lead's page: the queue, the people, the measures", func(t *testing.T, e *testEnv) {
		require.Equal(t, http.StatusOK, e.Do("bob", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil).Code)
		body := e.page("lea", http.MethodGet, "/ui/inbox", nil).Body.String()
		require.Contains(t, body, `<a href="/ui/team">Team</a>`, "leads see the team page in the menu")
		res := e.page("lea", http.MethodGet, "/ui/team", nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		body = res.Body.String()
		require.Contains(t, body, `Team · Customer service`)
		require.Contains(t, body, `data-testid="team-task" data-task-id="`+task.ID+`" data-case-id="`+c.ID+`" data-assignee="`+bobID+`"`)
		require.Contains(t, body, `1 open task: 0 waiting in the pool, 0 assigned and not started, 1 in progress.`)
		require.Contains(t, body, `>assigned by least loaded</span>`)
		require.Contains(t, body, `data-testid="waiting">started after `)
		// The move select lists the department's people but the holder.
		move := regexp.MustCompile(`(?s)<select id="move-` + task.ID + `".*?</select>`).FindString(body)
		require.Contains(t, move, `<option value="`+anaID+`">ana — away, 0 of 5 tasks</option>`)
		require.Contains(t, move, `<option value="`+lea+`">lea (you) — away, 0 of 5 tasks</option>`)
		require.NotContains(t, move, bobID)
		require.Contains(t, body, `data-testid="release"`)
		// People with availability and load.
		require.Contains(t, body, `data-testid="team-person" data-actor="`+anaID+`" data-availability="away"`)
		require.Contains(t, body, `data-testid="team-person" data-actor="`+bobID+`" data-availability="available"`)
		require.Contains(t, body, `1 of 5 tasks`)
		require.Contains(t, body, `data-testid="set-available"`)
		// The measures, with their units.
		require.Contains(t, body, `<th scope="row" class="clip">All of Customer service</th>`)
		require.Contains(t, body, `data-testid="measure-row" data-actor="`+bobID+`"`)
		require.Contains(t, body, `tasks/h`)
		require.Contains(t, body, `p50 `)
		require.Contains(t, body, `data-testid="reassignments">0 moves</td>`)
		require.Contains(t, body, `Measures · Last 7 days`)
		require.Equal(t, http.StatusOK, e.page("lea", http.MethodGet, "/ui/team?window=24h", nil).Code)
		requireErrorPage(t, e.page("lea", http.MethodGet, "/ui/team?window=1y", nil), http.StatusBadRequest, "24h, 7d or 30d")
	})

	e.step(t, "the lead moves bob's claimed task to ana, who is told who moved it", func(t *testing.T, e *testEnv) {
		back := "/ui/team?department=customer_service"
		res := e.page("lea", http.MethodPost, "/ui/people/"+anaID+"/availability", url.Values{"availability": {"available"}, "return": {back}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Equal(t, "ana is available: rules may give ana tasks again, up to 5 tasks at once.", flashText(e.follow("lea", res)))

		res = e.page("lea", http.MethodPost, "/ui/tasks/"+task.ID+"/assign", url.Values{"actor": {anaID}, "return": {back}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.True(t, strings.HasPrefix(res.Header().Get("Location"), back+"&flash="), res.Header().Get("Location"))
		body := e.follow("lea", res)
		require.Contains(t, flashText(body), `Reassigned to ana (actor `+anaID+`): "Record the complaint" of case `)
		require.Contains(t, body, `data-assignee="`+anaID+`"`)
		require.Contains(t, body, `moved by a team lead`)
		require.Contains(t, body, `moved once`, "from bob to ana (given back and given again by a rule is no move)")
		cur, err := e.st.GetTask(ctx, task.ID)
		require.NoError(t, err)
		require.Equal(t, anaID, cur.Assignee)

		mine := e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String()
		require.Equal(t, []string{task.ID}, myTaskIDs(mine))
		require.Contains(t, mine, `>moved to you by lea</span>`)
		require.Contains(t, mine, `data-testid="started"`, "bob had started it")
		require.Contains(t, mine, `data-testid="unread-count" data-unread="1">1</span>`)
		notes := e.page("ana", http.MethodGet, "/ui/notifications", nil).Body.String()
		require.Contains(t, notes, `data-kind="task.reassigned"`)
		require.Contains(t, notes, "lea moved this task to you from bob.")

		// The lead releases it to the pool; nobody else available has
		// room for a rule... bob has: the rules give it on at once.
		res = e.page("lea", http.MethodPost, "/ui/tasks/"+task.ID+"/unclaim", url.Values{"return": {back}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Contains(t, flashText(e.follow("lea", res)), `Unclaimed "Record the complaint"`)
	})

	e.step(t, "who sees the team page: leads of the department, owners and admins", func(t *testing.T, e *testEnv) {
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/team", nil), http.StatusForbidden,
			"the team page is for team leads, owners and admins, and you lead no department")
		requireErrorPage(t, e.page("tom", http.MethodGet, "/ui/team?department=technical", nil), http.StatusForbidden, "you lead no department")
		requireErrorPage(t, e.page("lea", http.MethodGet, "/ui/team?department=technical", nil), http.StatusForbidden,
			"you lead Customer service, not Technical")
		owner := e.page("olga", http.MethodGet, "/ui/team?department=customer_service", nil)
		require.Equal(t, http.StatusOK, owner.Code, owner.Body.String())
		body := owner.Body.String()
		require.Contains(t, body, `<a href="/ui/team" aria-current="page">Team</a>`)
		require.NotContains(t, body, `data-testid="move-form"`, "only leads move tasks")
		require.NotContains(t, body, `data-testid="release"`)
		require.Contains(t, body, `data-testid="set-away"`, "owners set people's availability")
		require.Contains(t, body, "moving tasks is for the department's team lead")
		// The API's refusal, in words, where the button was.
		res := e.page("olga", http.MethodPost, "/ui/tasks/"+task.ID+"/assign", url.Values{"actor": {bobID}, "return": {"/ui/team?department=customer_service"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		refused := e.follow("olga", res)
		require.Contains(t, refused, `data-kind="refused"`)
		require.Contains(t, flashText(refused), "Not reassigned: ")
		require.Equal(t, http.StatusOK, e.page("admin", http.MethodGet, "/ui/team?department=technical", nil).Code)
	})

	e.step(t, "settings: the channels, with the API's messages at their fields", func(t *testing.T, e *testEnv) {
		res := e.page("ana", http.MethodGet, "/ui/settings", nil)
		require.Equal(t, http.StatusOK, res.Code)
		require.Contains(t, res.Body.String(), `data-testid="my-availability">Available</span>`)
		require.Contains(t, res.Body.String(), `of at most 5 tasks at once`)

		res = e.page("ana", http.MethodPost, "/ui/settings", url.Values{"notify_by": {"email"}, "email": {"not an address"},
			"webhook_url": {"http://10.1.2.3/hook"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		body := res.Body.String()
		require.Contains(t, body, `id="email-error" data-testid="field-error" data-field="email">&#34;not an address&#34; is not an email address`)
		require.Contains(t, body, `id="webhook_url-error" data-testid="field-error" data-field="webhook_url">is refused: `)
		require.Contains(t, body, `value="not an address"`, "what was typed is kept")
		require.Contains(t, body, `value="email" checked`)
		require.Contains(t, body, `aria-invalid="true" aria-describedby="email-error"`)

		res = e.page("ana", http.MethodPost, "/ui/settings", url.Values{"notify_by": {"webhook"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		require.Contains(t, res.Body.String(), `data-field="notify_by">webhook needs a webhook_url: set it too</p>`)

		res = e.page("ana", http.MethodPost, "/ui/settings", url.Values{"notify_by": {"email"}, "email": {"ana@example.com"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		body = e.follow("ana", res)
		require.Equal(t, "Saved. Your notifications are in the app and go by email to ana@example.com.", flashText(body))
		require.Contains(t, body, `value="ana@example.com"`)
		p, err := e.st.GetPerson(ctx, anaID)
		require.NoError(t, err)
		require.Equal(t, []string{"email"}, p.NotifyBy)

		// The configured admin is no person: the API's words.
		requireErrorPage(t, e.page("admin", http.MethodGet, "/ui/settings", nil), http.StatusNotFound, "the admin token is configuration")
	})

	e.step(t, "names are text, never markup", func(t *testing.T, e *testEnv) {
		e.Actor(scriptText, store.RoleStaff, "customer_service")
		body := e.page("lea", http.MethodGet, "/ui/team", nil).Body.String()
		require.Contains(t, body, scriptEscaped)
		require.NotContains(t, body, scriptText)
	})
}

// TestAvailabilityMessage words what going away, coming back and a lead's
// change did.
func TestAvailabilityMessage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("ben", store.RoleStaff, "customer_service")
	ben := e.actors["ben"].ID
	r := newRequestAs(e, "ana")
	who := e.srv.actorLabels(r)
	task := func(id, name, assignee string) apiv1.Task {
		return apiv1.Task{ID: id, CaseID: "5e4d3c2b-1a09-4f8e-8d7c-6b5a49382716", StepName: name, Assignee: assignee}
	}
	for _, tc := range []struct {
		name string
		out  apiv1.UpdatePersonResponse
		self bool
		want string
	}{
		{"away, one to ben, one to the pool, one started kept", apiv1.UpdatePersonResponse{
			Person:   apiv1.Person{ID: "a", Name: "Ana", Availability: apiv1.Away, Load: 1, Capacity: 5},
			Released: []apiv1.Task{task("t1", "Handle the complaint", ""), task("t2", "Call back", "")},
			Assigned: []apiv1.Task{task("t1", "Handle the complaint", ben)}}, true,
			`You are away: rules give you no new tasks. 2 tasks you had not started went back: "Handle the complaint" of case 5e4d3c2b… now with ben; ` +
				`"Call back" of case 5e4d3c2b… in the pool (nobody available had room). You still hold 1 task you started: give back from My tasks what someone else should finish.`},
		{"back, given waiting work", apiv1.UpdatePersonResponse{
			Person:   apiv1.Person{ID: "a", Name: "Ana", Availability: apiv1.Available, Capacity: 3},
			Assigned: []apiv1.Task{task("t3", "Take in the complaint", "a")}}, true,
			`You are available: rules may give you tasks again, up to 3 tasks at once. Waiting work given to you: "Take in the complaint" of case 5e4d3c2b….`},
		{"a lead sets someone offline", apiv1.UpdatePersonResponse{
			Person: apiv1.Person{ID: "b", Name: "Bo", Availability: apiv1.Offline, Load: 2, Capacity: 5}}, false,
			`Bo is offline: rules give Bo no new tasks. Bo still holds 2 tasks already started: release what someone else should finish.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, availabilityMessage(who, tc.out, tc.self))
		})
	}
}

// newRequestAs is a page request of the named actor, for helpers that
// call the API.
func newRequestAs(e *testEnv, as string) *http.Request {
	e.t.Helper()
	ctx, a, err := e.api.ResolveSession(context.Background(), e.tokens[as])
	require.NoError(e.t, err)
	r, err := http.NewRequestWithContext(withActor(ctx, a), http.MethodGet, "/ui/inbox", nil)
	require.NoError(e.t, err)
	return r
}

// TestAssignmentWords: how a task reached its holder, what a claim or an
// unclaim did, and a notification's text laid out (or kept whole when it
// has another shape).
func TestAssignmentWords(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		task apiv1.Task
		mine bool
		by   string
		want string
	}{
		{apiv1.Task{Assignee: "a", AssignRule: "least_loaded"}, true, "", "assigned by least loaded"},
		{apiv1.Task{Assignee: "a", AssignRule: "round_robin"}, false, "", "assigned by round robin"},
		{apiv1.Task{Assignee: "a", AssignRule: "manual"}, true, "Lea", "moved to you by Lea"},
		{apiv1.Task{Assignee: "a", AssignRule: "manual"}, true, "", "moved to you by a team lead"},
		{apiv1.Task{Assignee: "a", AssignRule: "manual"}, false, "", "moved by a team lead"},
		{apiv1.Task{Assignee: "a", AssignRule: "team_lead"}, true, "", "given to you as team lead by an escalation"},
		{apiv1.Task{Assignee: "a"}, true, "", "claimed by you from the pool"},
		{apiv1.Task{}, false, "", "in the pool"},
	} {
		require.Equal(t, tc.want, assignHow(tc.task, tc.mine, tc.by))
	}

	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("ben", store.RoleStaff, "customer_service")
	who := e.srv.actorLabels(newRequestAs(e, "ana"))
	me := e.actors["ana"].ID
	require.Equal(t, `Started "Handle": it is yours to finish.`, claimMessage(apiv1.Task{StepName: "Handle", Assignee: me, AssignRule: "sticky"}, "claim", me, who))
	require.Equal(t, `Claimed "Handle".`, claimMessage(apiv1.Task{StepName: "Handle", Assignee: me}, "claim", me, who))
	require.Equal(t, `Unclaimed "Handle": it is back in the pool.`, claimMessage(apiv1.Task{StepName: "Handle"}, "unclaim", me, who))
	require.Equal(t, `Unclaimed "Handle": the rules gave it to ben at once.`,
		claimMessage(apiv1.Task{StepName: "Handle", Assignee: e.actors["ben"].ID, AssignRule: "least_loaded"}, "unclaim", me, who))

	lead, facts, rest := noteLayout("A task was assigned to you.\n\n  Task:  Handle (step key handle)\n  SLA:   no SLA\n\nOpen the task: /ui/tasks/1\n\n-- \nflowlab\n")
	require.Equal(t, "A task was assigned to you.", lead)
	require.Equal(t, []keyValue{{"Task", "Handle (step key handle)"}, {"SLA", "no SLA"}}, facts)
	require.Empty(t, rest)
	lead, facts, rest = noteLayout("Something else entirely.")
	require.Equal(t, []any{"", 0, "Something else entirely."}, []any{lead, len(facts), rest})
	require.Equal(t, "8 min", untilText(time.Unix(480, 0), time.Unix(0, 0)))
	require.Equal(t, "overdue by 2 min", untilText(time.Unix(0, 0), time.Unix(120, 0)))
	require.Equal(t, "1 h 05 min", untilText(time.Unix(3900, 0), time.Unix(0, 0)))
}
