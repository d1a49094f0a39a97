package e2e

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// TestAssignedComplaintWithPeopleAwayAndBack runs complaint v3 (least
// loaded with a fallback for intake and handling, sticky to the handler
// for the feedback) on the real engine: the feedback goes back to whoever
// handled the complaint; a handler who goes away gives back what they have
// not started, which the rules give to someone else at once, and the
// feedback then sticks to that someone; back again, they get work again.
// Every move leaves its notification (issue 19).
func TestAssignedComplaintWithPeopleAwayAndBack(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.api("admin")
	src, err := os.ReadFile("testdata/complaint-v3-assigned.yaml")
	require.NoError(t, err)
	_, err = admin.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "complaint"}, src)
	require.NoError(t, err)
	_, err = admin.SetFlowDefault(ctx, apiv1.FlowKeyParams{Key: "complaint"}, apiv1.SetDefaultRequest{Version: 3})
	require.NoError(t, err)

	// Three agents; the suite's shared customer_service agent is offline.
	suite, err := e.api("customer_service").GetPerson(ctx, apiv1.PersonIDParams{ID: "me"})
	require.NoError(t, err)
	_, err = admin.UpdatePerson(ctx, apiv1.PersonIDParams{ID: suite.ID}, apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Offline)})
	require.NoError(t, err)
	names := map[string]string{} // actor id -> name
	for _, name := range []string{"Ana", "Ben", "Cy"} {
		out, err := admin.CreateToken(ctx, apiv1.CreateTokenRequest{Name: name, Role: apiv1.RoleStaff, Departments: []string{"customer_service"}})
		require.NoError(t, err)
		e.tokens[name] = out.Token
		names[out.Actor.ID] = name
	}
	// waitAssigned waits until the case's open task of step is held and
	// returns it.
	waitAssigned := func(caseID, step string) apiv1.Task {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			for _, tk := range e.getCase(caseID).Tasks {
				if tk.Step == step && tk.Status == apiv1.TaskOpen && tk.Assignee != "" {
					return tk
				}
			}
			time.Sleep(25 * time.Millisecond)
		}
		t.Fatalf("case %s: no assigned open %s task after 20 s: %+v", caseID, step, e.getCase(caseID).Tasks)
		return apiv1.Task{}
	}
	// work completes a task as the one who holds it.
	work := func(tk apiv1.Task, outcome string) {
		t.Helper()
		who := names[tk.Assignee]
		require.NotEmpty(t, who, "task %s is held by one of the three agents, not %s", tk.ID, tk.Assignee)
		_, err := e.api(who).CompleteTask(ctx, apiv1.CompleteParams{ID: tk.ID}, complete(tk, outcome))
		require.NoError(t, err)
	}

	// Case 1 runs end to end: the feedback sticks to the handler.
	c1 := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-as-1", Channel: "phone"})
	sub := waitAssigned(c1.ID, "submit")
	require.Equal(t, "least_loaded", sub.AssignRule)
	require.Equal(t, 3, e.getCase(c1.ID).Version)
	require.NotNil(t, sub.OfferDue, "accept_within: 10m")
	work(sub, "submitted")
	h1 := waitAssigned(c1.ID, "handle")
	work(h1, "resolved")
	f1 := waitAssigned(c1.ID, "feedback")
	require.Equal(t, []string{h1.Assignee, "sticky"}, []string{f1.Assignee, f1.AssignRule}, "one agent owns the complaint to the end")
	work(f1, "notified")
	require.Eventually(t, func() bool { return e.getCase(c1.ID).Status == apiv1.CaseCompleted }, 20*time.Second, 50*time.Millisecond)

	// Case 2: its handler goes away before starting; the handling goes to
	// someone else at once, and the feedback sticks to them.
	c2 := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-as-2", Channel: "phone"})
	work(waitAssigned(c2.ID, "submit"), "submitted")
	h2 := waitAssigned(c2.ID, "handle")
	away := names[h2.Assignee]
	upd, err := e.api(away).UpdatePerson(ctx, apiv1.PersonIDParams{ID: "me"}, apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Away)})
	require.NoError(t, err)
	require.Len(t, upd.Released, 1)
	require.Equal(t, h2.ID, upd.Released[0].ID)
	require.Len(t, upd.Assigned, 1, "the rules give it to someone else at once")
	h2b := upd.Assigned[0]
	require.Equal(t, h2.ID, h2b.ID)
	require.NotEqual(t, h2.Assignee, h2b.Assignee)
	require.Contains(t, names, h2b.Assignee)
	work(h2b, "resolved")
	f2 := waitAssigned(c2.ID, "feedback")
	require.Equal(t, h2b.Assignee, f2.Assignee, "sticky to who handled it")
	work(f2, "notified")

	// While away, no new work reaches them; back, they get the next.
	c3 := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-as-3", Channel: "phone"})
	s3 := waitAssigned(c3.ID, "submit")
	require.NotEqual(t, away, names[s3.Assignee])
	_, err = e.api(away).UpdatePerson(ctx, apiv1.PersonIDParams{ID: "me"}, apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Available)})
	require.NoError(t, err)
	me, err := e.api(away).GetPerson(ctx, apiv1.PersonIDParams{ID: "me"})
	require.NoError(t, err)
	require.Equal(t, apiv1.Available, me.Availability)
	c4 := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-as-4", Channel: "phone"})
	s4 := waitAssigned(c4.ID, "submit")
	require.Equal(t, away, names[s4.Assignee], "back and the least loaded (s3's holder carries one)")

	// The bottleneck report splits each step's waiting at the assignment:
	// checked for the handling against the tasks' own times (case 1 and
	// 2; case 2's handling was moved before it was started, so its wait
	// for assignment runs to the second assignment).
	rep, err := admin.GetFlowBottlenecks(ctx, apiv1.BottlenecksParams{Key: "complaint", Version: 3})
	require.NoError(t, err)
	var handle *apiv1.StepStats
	for i := range rep.Steps {
		if rep.Steps[i].Step == "handle" {
			handle = &rep.Steps[i]
		}
	}
	require.NotNil(t, handle)
	var forAssign, toStart []float64
	for _, id := range []string{c1.ID, c2.ID} {
		tasks, err := e.st.ListTasks(ctx, store.ListTasksParams{CaseID: id, Status: store.TaskCompleted})
		require.NoError(t, err)
		for _, tk := range tasks {
			if tk.Step == "handle" {
				require.NotNil(t, tk.AssignedAt)
				forAssign = append(forAssign, tk.AssignedAt.Sub(tk.OpenedAt).Seconds())
				toStart = append(toStart, tk.ClaimedAt.Sub(*tk.AssignedAt).Seconds())
			}
		}
	}
	require.Len(t, forAssign, 2)
	require.Equal(t, 2, handle.Assigned)
	median := func(xs []float64) float64 { return (xs[0] + xs[1]) / 2 }
	require.InDelta(t, median(forAssign), handle.WaitAssign.P50, 1e-3)
	require.InDelta(t, median(toStart), handle.WaitStart.P50, 1e-3)
	require.InDelta(t, handle.Wait.P50, median([]float64{forAssign[0] + toStart[0], forAssign[1] + toStart[1]}), 1e-3)

	// Every assignment told its person, in the app.
	var kinds []string
	for id := range names {
		ns, err := e.st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: id, Limit: 100})
		require.NoError(t, err)
		for _, n := range ns {
			kinds = append(kinds, n.Kind)
		}
	}
	require.GreaterOrEqual(t, len(kinds), 9, "9 assignments: 3+3 (case 1, 2 with the handling once more), submit of 3 and 4; %v", kinds)
	require.False(t, slices.ContainsFunc(kinds, func(k string) bool { return k != store.NotifyAssigned }), fmt.Sprint(kinds))
}

func ptr[T any](v T) *T { return &v }
