package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// TestPeopleAvailabilityAndReassignment: a person going away gives back
// what they have not started and the rules give it to someone else; who
// may change what; a team lead's reassignment is one move with a
// notification; the measures.
func TestPeopleAvailabilityAndReassignment(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("ann", store.RoleStaff, "customer_service")
	e.Actor("bob", store.RoleStaff, "customer_service")
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "lee", "role": "staff",
		"departments": []string{"customer_service"}, "leads": []string{"customer_service"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var lee apiv1.TokenResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &lee))
	e.Tokens["lee"] = lee.Token
	ann, bob := e.actors["ann"].ID, e.actors["bob"].ID
	// The lead takes no rule's work in this test.
	_, _, err := e.st.SetPerson(ctx, store.SetPersonParams{ActorID: lee.Actor.ID, Availability: ptr(store.Away), At: time.Now()})
	require.NoError(t, err)

	c := e.StartCase()
	task := e.OpenTask(c.ID)
	// bob is offline when the task opens: it goes to ann.
	_, _, err = e.st.SetPerson(ctx, store.SetPersonParams{ActorID: bob, Availability: ptr(store.Offline), At: time.Now()})
	require.NoError(t, err)
	tk, ok, err := e.st.AssignTask(ctx, store.AssignTaskParams{TaskID: task.ID,
		Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}}, At: time.Now()})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ann, tk.Assignee)
	_, _, err = e.st.SetPerson(ctx, store.SetPersonParams{ActorID: bob, Availability: ptr(store.Available), At: time.Now()})
	require.NoError(t, err)
	path := "/api/v1/people/"

	e.step(t, "a person reads themselves; staff may not list people", func(t *testing.T, e *testEnv) {
		var me apiv1.Person
		res := e.Do("ann", http.MethodGet, path+"me", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &me))
		require.Equal(t, []any{ann, apiv1.Available, 1, store.DefaultCapacity}, []any{me.ID, me.Availability, me.Load, me.Capacity})
		servertest.ProblemOf(t, e.Do("ann", http.MethodGet, "/api/v1/people?department=customer_service", nil, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do("bob", http.MethodGet, path+ann, nil, nil), http.StatusForbidden)
		p := servertest.ProblemOf(t, e.Do("lee", http.MethodGet, "/api/v1/people", nil, nil), http.StatusUnprocessableEntity)
		require.Contains(t, p.Errors[0].Message, "customer_service")
		var list apiv1.PersonList
		res = e.Do("lee", http.MethodGet, "/api/v1/people?department=customer_service&limit=2", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		require.Len(t, list.People, 2)
		require.NotEmpty(t, list.NextCursor)
	})

	e.step(t, "who may change what", func(t *testing.T, e *testEnv) {
		p := servertest.ProblemOf(t, e.Do("ann", http.MethodPatch, path+"me", map[string]any{"capacity": 9}, nil), http.StatusForbidden)
		require.Contains(t, p.Detail, "capacity")
		servertest.ProblemOf(t, e.Do("bob", http.MethodPatch, path+ann, map[string]any{"availability": "away"}, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do("lee", http.MethodPatch, path+ann, map[string]any{"email": "x@example.com"}, nil), http.StatusForbidden)
		p = servertest.ProblemOf(t, e.Do("ann", http.MethodPatch, path+"me", map[string]any{"notify_by": []string{"email", "sms"}}, nil),
			http.StatusUnprocessableEntity)
		require.Len(t, p.Errors, 2, "sms is no channel, and email needs an address")
		p = servertest.ProblemOf(t, e.Do("ann", http.MethodPatch, path+"me", map[string]any{"webhook_url": "http://10.1.2.3/hook"}, nil),
			http.StatusUnprocessableEntity)
		require.Contains(t, p.Errors[0].Message, "refused")
		servertest.ProblemOf(t, e.Do("ann", http.MethodPatch, path+"me", map[string]any{"email": "not an address"}, nil),
			http.StatusUnprocessableEntity)
		servertest.ProblemOf(t, e.Do("lee", http.MethodPatch, path+ann, map[string]any{"capacity": -1}, nil), http.StatusUnprocessableEntity)
		servertest.ProblemOf(t, e.Do("ann", http.MethodPatch, path+"me", map[string]any{"availability": "napping"}, nil), http.StatusUnprocessableEntity)

		var out apiv1.UpdatePersonResponse
		res := e.Do("ann", http.MethodPatch, path+"me", map[string]any{"email": "ann@example.com", "notify_by": []string{"email"}}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		require.Equal(t, []any{"ann@example.com", []string{"email"}}, []any{out.Person.Email, out.Person.NotifyBy})
		res = e.Do("lee", http.MethodPatch, path+bob, map[string]any{"capacity": 3, "skills": []string{" router", "en", "en"}}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		require.Equal(t, []any{3, []string{"en", "router"}}, []any{out.Person.Capacity, out.Person.Skills})
	})

	e.step(t, "ann goes away: her task, not started, goes to bob", func(t *testing.T, e *testEnv) {
		var out apiv1.UpdatePersonResponse
		res := e.Do("ann", http.MethodPatch, path+"me", map[string]any{"availability": "away"}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		require.Equal(t, apiv1.Away, out.Person.Availability)
		require.Len(t, out.Released, 1)
		require.Equal(t, task.ID, out.Released[0].ID)
		require.Len(t, out.Assigned, 1)
		require.Equal(t, []any{task.ID, bob, "least_loaded"}, []any{out.Assigned[0].ID, out.Assigned[0].Assignee, out.Assigned[0].AssignRule})
		entries, err := e.st.ListAudit(ctx, store.AuditFilter{Action: "person.update"})
		require.NoError(t, err)
		require.Contains(t, string(entries[len(entries)-1].Details), task.ID)
		ns, err := e.st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: bob})
		require.NoError(t, err)
		require.Len(t, ns, 1)
		require.Equal(t, store.NotifyAssigned, ns[0].Kind)
	})

	e.step(t, "the lead moves it back to ann: one move, counted, ann is told", func(t *testing.T, e *testEnv) {
		moved := decodeTask(t, e.Do("lee", http.MethodPost, "/api/v1/tasks/"+task.ID+"/assign", map[string]any{"actor": ann}, nil))
		require.Equal(t, []any{ann, store.AssignManual, 1}, []any{moved.Assignee, moved.AssignRule, moved.Reassignments})
		require.Nil(t, moved.ClaimedAt, "assigned, not started")
		ns, err := e.st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: ann})
		require.NoError(t, err)
		require.Equal(t, []any{store.NotifyReassigned, bob, lee.Actor.ID}, []any{ns[0].Kind, ns[0].Details.From, ns[0].Details.By})
	})

	e.step(t, "ann's notifications: what, where, read", func(t *testing.T, e *testEnv) {
		var list apiv1.NotificationList
		res := e.Do("ann", http.MethodGet, "/api/v1/notifications", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		require.Equal(t, 2, list.Unread, "assigned when the case opened, and moved back to her")
		require.Len(t, list.Notifications, 2)
		n := list.Notifications[0]
		require.Equal(t, store.NotifyReassigned, n.Kind)
		require.Contains(t, n.Title, "Record the complaint")
		require.Contains(t, n.Title, c.ID)
		require.Contains(t, n.Text, "bob", "names who had it")
		require.Equal(t, []string{bob, lee.Actor.ID}, []string{n.From, n.By}, "who had it and who moved it, by id")
		require.Contains(t, n.Text, "SLA")
		require.Equal(t, "/ui/tasks/"+task.ID, n.Link)
		var page apiv1.NotificationList
		require.NoError(t, json.Unmarshal(e.Do("ann", http.MethodGet, "/api/v1/notifications?limit=1", nil, nil).Body.Bytes(), &page))
		require.Len(t, page.Notifications, 1)
		require.NoError(t, json.Unmarshal(e.Do("ann", http.MethodGet, "/api/v1/notifications?limit=1&cursor="+page.NextCursor, nil, nil).Body.Bytes(), &page))
		require.Equal(t, store.NotifyAssigned, page.Notifications[0].Kind)

		var read apiv1.ReadNotificationsResponse
		res = e.Do("ann", http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []string{n.ID}}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &read))
		require.Equal(t, apiv1.ReadNotificationsResponse{Read: 1, Unread: 1}, read)
		res = e.Do("bob", http.MethodPost, "/api/v1/notifications/read", map[string]any{"ids": []string{n.ID}}, nil)
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &read))
		require.Zero(t, read.Read, "not bob's")
		require.NoError(t, json.Unmarshal(e.Do("ann", http.MethodPost, "/api/v1/notifications/read", map[string]any{}, nil).Body.Bytes(), &read))
		require.Equal(t, apiv1.ReadNotificationsResponse{Read: 1, Unread: 0}, read)
		var count apiv1.UnreadCount
		require.NoError(t, json.Unmarshal(e.Do("ann", http.MethodGet, "/api/v1/notifications/unread", nil, nil).Body.Bytes(), &count))
		require.Zero(t, count.Unread)
	})

	e.step(t, "the measures: leads of the department, owners and admins", func(t *testing.T, e *testEnv) {
		servertest.ProblemOf(t, e.Do("ann", http.MethodGet, "/api/v1/work?department=customer_service", nil, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do("lee", http.MethodGet, "/api/v1/work?department=customer_service&from=2026-01-01T00:00:00Z&to=2026-12-01T00:00:00Z", nil, nil),
			http.StatusUnprocessableEntity)
		var w apiv1.Work
		res := e.Do("lee", http.MethodGet, "/api/v1/work?department=customer_service", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &w))
		require.Len(t, w.Rows, 2, "the department's total and ann, who holds the task")
		require.Equal(t, []any{"", 1, 1, 1, 1}, []any{w.Rows[0].Actor, w.Rows[0].Opened, w.Rows[0].Open, w.Rows[0].Reassignments, w.Rows[0].WaitAssign.N})
		require.Equal(t, []any{ann, "ann"}, []any{w.Rows[1].Actor, w.Rows[1].Name})
	})
}

// TestAssignPass: the assigner's pass returns offers not started in time
// to the pool and gives them to someone else at once.
func TestAssignPass(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("ann", store.RoleStaff, "customer_service")
	e.Actor("bob", store.RoleStaff, "customer_service")
	ann, bob := e.actors["ann"].ID, e.actors["bob"].ID
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	t0 := time.Now().UTC()
	_, _, err := e.st.SetPerson(ctx, store.SetPersonParams{ActorID: bob, Availability: ptr(store.Away), At: t0})
	require.NoError(t, err)
	tk, ok, err := e.st.AssignTask(ctx, store.AssignTaskParams{TaskID: task.ID,
		Spec: store.AssignSpec{Rules: []string{store.AssignLeastLoaded}, AcceptWithin: time.Minute}, At: t0})
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, ann, tk.Assignee)
	_, _, err = e.st.SetPerson(ctx, store.SetPersonParams{ActorID: bob, Availability: ptr(store.Available), At: t0})
	require.NoError(t, err)

	released, assigned, err := AssignPass(ctx, e.st, t0.Add(30*time.Second))
	require.NoError(t, err)
	require.Empty(t, released, "not due yet")
	require.Empty(t, assigned)
	released, assigned, err = AssignPass(ctx, e.st, t0.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, released, 1)
	require.Equal(t, ann, released[0].PassedOver[0])
	require.Len(t, assigned, 1)
	require.Equal(t, []string{task.ID, bob}, []string{assigned[0].ID, assigned[0].Assignee}, "ann let it pass: bob gets it")
}

// TestOnePersonTwoTokensOneHistory: a person created by an admin gets a
// token from the admin and makes another for herself; she works in one
// department with the first, is moved to another, and works there with
// the second: the audit trail, her tokens and the measures are one
// person's (issue 20).
func TestOnePersonTwoTokensOneHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	var pat apiv1.Person
	res := e.Do("admin", http.MethodPost, "/api/v1/people", map[string]any{"name": "Pat", "email": "pat@example.com", "role": "staff",
		"departments": []string{"customer_service"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &pat))
	require.Equal(t, "pat@example.com", pat.Email)
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/people", map[string]any{"name": "", "role": "staff"}, nil),
		http.StatusUnprocessableEntity)
	require.Len(t, p.Errors, 2, "a name, and departments for staff")

	newToken := func(as string, body map[string]any) apiv1.TokenResponse {
		t.Helper()
		res := e.Do(as, http.MethodPost, "/api/v1/tokens", body, nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		var out apiv1.TokenResponse
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		return out
	}
	t1 := newToken("admin", map[string]any{"person": pat.ID})
	require.Equal(t, pat.ID, t1.Actor.ID)
	e.Tokens["pat-1"] = t1.Token
	t2 := newToken("pat-1", map[string]any{"person": "me", "expires_in": "30d"})
	require.Equal(t, pat.ID, t2.Actor.ID)
	e.Tokens["pat-2"] = t2.Token
	p = servertest.ProblemOf(t, e.Do("pat-1", http.MethodPost, "/api/v1/tokens", map[string]any{"person": "me", "role": "admin"}, nil),
		http.StatusUnprocessableEntity)
	require.Equal(t, "role", p.Errors[0].Field)
	e.Actor("sam", store.RoleStaff, "customer_service")
	servertest.ProblemOf(t, e.Do("pat-1", http.MethodPost, "/api/v1/tokens", map[string]any{"person": e.actors["sam"].ID}, nil), http.StatusForbidden)

	// With the first token, in customer service.
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	require.Equal(t, http.StatusOK, e.Do("pat-1", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil).Code)
	res = e.Do("pat-1", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())

	// Moved to the technical department; she works there with the second.
	res = e.Do("admin", http.MethodPatch, "/api/v1/people/"+pat.ID, map[string]any{"departments": []string{"technical"}}, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	servertest.ProblemOf(t, e.Do("pat-1", http.MethodPatch, "/api/v1/people/me", map[string]any{"departments": []string{"customer_service"}}, nil),
		http.StatusForbidden)
	next := e.OpenTask(c.ID)
	require.Equal(t, "technical", next.Department)
	require.Equal(t, http.StatusOK, e.Do("pat-2", http.MethodPost, "/api/v1/tasks/"+next.ID+"/claim", nil, nil).Code)

	// One history: the audit trail by her id holds what both tokens did.
	var audit apiv1.AuditList
	res = e.Do("admin", http.MethodGet, "/api/v1/audit?actor="+pat.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &audit))
	var actions []string
	for _, en := range audit.Entries {
		actions = append(actions, en.Action+" "+en.Object)
	}
	require.Subset(t, actions, []string{"task.claim task:" + task.ID, "task.complete task:" + task.ID, "token.create token:" + idOfToken(t, e, "pat-2"),
		"task.claim task:" + next.ID}, "both tokens' doings, one person")
	var mine apiv1.TokenList
	require.NoError(t, json.Unmarshal(e.Do("pat-2", http.MethodGet, "/api/v1/tokens?actor=me", nil, nil).Body.Bytes(), &mine))
	require.Len(t, mine.Tokens, 2)
	var w apiv1.Work
	require.NoError(t, json.Unmarshal(e.Do("admin", http.MethodGet, "/api/v1/work", nil, nil).Body.Bytes(), &w))
	var hers []string
	for _, r := range w.Rows {
		if r.Actor == pat.ID {
			hers = append(hers, r.Department)
		}
	}
	require.Equal(t, []string{"customer_service", "technical"}, hers, "her work in both departments, as one person")
	me, err := e.st.GetActor(ctx, pat.ID)
	require.NoError(t, err)
	require.Equal(t, []string{"technical"}, me.Departments)
}

// idOfToken is the id of the named token (the caller's own listing).
func idOfToken(t *testing.T, e *testEnv, as string) string {
	t.Helper()
	var l apiv1.TokenList
	require.NoError(t, json.Unmarshal(e.Do(as, http.MethodGet, "/api/v1/tokens?actor=me", nil, nil).Body.Bytes(), &l))
	return l.Tokens[0].ID // newest first
}

// TestWorkIsBounded: a window with more tasks than GET /work reads is
// refused with what to do, not read whole. Not parallel: it lowers the
// bound.
func TestWorkIsBounded(t *testing.T) {
	e := newEnv(t)
	e.OpenTask(e.StartCase().ID)
	e.OpenTask(e.StartCase().ID)
	old := maxWorkTasks
	maxWorkTasks = 1
	t.Cleanup(func() { maxWorkTasks = old })
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/work", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Errors[0].Message, "more than 1 tasks were opened in the window")
	maxWorkTasks = 2
	require.Equal(t, http.StatusOK, e.Do("admin", http.MethodGet, "/api/v1/work", nil, nil).Code)
}
