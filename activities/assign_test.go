package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// AssignTask tries the step's rules in order against the store: sticky
// prefers who did the named step of this case, then who last served the
// customer; a rule that finds nobody falls through; pull ends the list; a
// task already closed is left alone; a repeat keeps the first answer.
func TestAssignTaskActivity(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"ann", "bob", "cat"} {
		_, err := st.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, Departments: []string{"tech"}, At: t0})
		require.NoError(t, err)
	}
	for _, c := range []string{"old", "new"} {
		_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: c, Flow: "complaint", Version: 1, Customer: "C-7", Channel: "phone",
			Status: store.CaseActive, WorkflowID: "complaint-" + c, At: t0})
		require.NoError(t, err)
	}
	open := func(id, caseID, step string, seq int) {
		_, err := st.OpenTask(ctx, store.OpenTaskParams{ID: id, CaseID: caseID, Seq: seq, Flow: "complaint", Version: 1, Step: step,
			Department: "tech", OpenedAt: t0.Add(time.Duration(seq) * time.Minute)})
		require.NoError(t, err)
	}
	finish := func(id, who string, at time.Duration) {
		_, err := st.ClaimTask(ctx, store.ClaimTaskParams{ID: id, Actor: who, At: t0.Add(at)})
		require.NoError(t, err)
		_, err = st.CompleteTask(ctx, store.CompleteTaskParams{ID: id, Outcome: "done", Actor: who, CompletionID: "u-" + id, At: t0.Add(at + time.Minute),
			Span: store.Span{Kind: "task"}})
		require.NoError(t, err)
	}
	// Bob served the customer's old case; cat investigated this one.
	open("o1", "old", "feedback", 1)
	finish("o1", "bob", time.Hour)
	open("n1", "new", "investigate", 1)
	finish("n1", "cat", 2*time.Hour)
	acts := &activities.Activities{Store: st}

	open("n2", "new", "feedback", 2)
	in := workflows.AssignTaskInput{TaskID: "n2", CaseID: "new", Assignment: workflows.Assignment{Customer: "C-7",
		Rules: []string{"sticky", "least_loaded"}, StickySteps: []string{"investigate"}, StickyCustomer: true}, At: t0.Add(3 * time.Hour)}
	res, err := acts.AssignTask(ctx, in)
	require.NoError(t, err)
	require.Equal(t, workflows.AssignTaskResult{Assignee: "cat", Rule: "sticky"}, res)
	again, err := acts.AssignTask(ctx, in)
	require.NoError(t, err)
	require.Equal(t, "cat", again.Assignee, "a retried activity keeps the first assignment")

	// Cat is away: the customer's last server, bob.
	_, _, err = st.SetPerson(ctx, store.SetPersonParams{ActorID: "cat", Availability: ptr(store.Away), At: t0})
	require.NoError(t, err)
	open("n3", "new", "review", 3)
	res, err = acts.AssignTask(ctx, workflows.AssignTaskInput{TaskID: "n3", CaseID: "new", Assignment: workflows.Assignment{Customer: "C-7",
		Rules: []string{"sticky", "pull"}, StickySteps: []string{"investigate"}, StickyCustomer: true}, At: t0.Add(4 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, "bob", res.Assignee)
	// Nobody preferred is free and pull ends the list: the pool.
	_, _, err = st.SetPerson(ctx, store.SetPersonParams{ActorID: "bob", Availability: ptr(store.Offline), At: t0})
	require.NoError(t, err)
	open("n4", "new", "notify", 4)
	res, err = acts.AssignTask(ctx, workflows.AssignTaskInput{TaskID: "n4", CaseID: "new", Assignment: workflows.Assignment{Customer: "C-7",
		Rules: []string{"sticky", "pull", "least_loaded"}, StickySteps: []string{"investigate"}, StickyCustomer: true}, At: t0.Add(5 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, workflows.AssignTaskResult{}, res)
	tk, err := st.GetTask(ctx, "n4")
	require.NoError(t, err)
	require.Empty(t, tk.Assignee)
	// A task completed before the activity ran is left alone.
	finish("n4", "ann", 6*time.Hour)
	res, err = acts.AssignTask(ctx, workflows.AssignTaskInput{TaskID: "n4", CaseID: "new", Assignment: workflows.Assignment{Rules: []string{"least_loaded"}},
		At: t0.Add(7 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, workflows.AssignTaskResult{}, res)
}

// OpenTask with an assignment (change assign-at-open) assigns the task as
// it writes it, by the spec AssignTask would use: sticky resolved from
// the store (who did the named step of this case, then who last served
// the customer), then the fallbacks; pull ends the list (nothing to
// assign, no spec kept). An attempt retried after it committed (the worker
// died before reporting) leaves one task, assigned once, notified once.
func TestOpenTaskAssigns(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"ann", "bob", "cat"} {
		_, err := st.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, Departments: []string{"cs"}, At: t0})
		require.NoError(t, err)
	}
	// Bob served the customer's other case.
	_, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: "old", Flow: "complaint", Version: 1, Customer: "c-1", Channel: "phone",
		Status: store.CaseCompleted, WorkflowID: "complaint-old", At: t0})
	require.NoError(t, err)
	_, err = st.OpenTask(ctx, store.OpenTaskParams{ID: "o1", CaseID: "old", Seq: 1, Flow: "complaint", Version: 1, Step: "feedback",
		Department: "cs", OpenedAt: t0})
	require.NoError(t, err)
	_, err = st.CompleteTask(ctx, store.CompleteTaskParams{ID: "o1", Outcome: "done", Actor: "bob", CompletionID: "u-o1", At: t0.Add(time.Minute),
		Span: store.Span{Kind: "task"}})
	require.NoError(t, err)

	cs := &crashingStore{Store: st, crash: map[string]int{"OpenTask": 2}}
	acts := &activities.Activities{Store: cs, Logger: quiet()}
	in := openInput(1)
	in.Assign = &workflows.Assignment{Customer: "c-1", Rules: []string{"sticky", "least_loaded", "pull"},
		StickySteps: []string{"record"}, StickyCustomer: true, AcceptWithin: 10 * time.Minute}
	runRetried(t, acts, workflows.ActivityOpenTask, in)
	require.Equal(t, []string{"OpenTask", "OpenTask"}, cs.crashed, "crashed twice after the write")
	tk, err := st.GetTask(ctx, in.TaskID)
	require.NoError(t, err)
	require.Equal(t, []any{"bob", "sticky"}, []any{tk.Assignee, tk.AssignRule}, "who last served the customer")
	require.NotNil(t, tk.AssignedAt)
	require.True(t, tk.AssignedAt.Equal(in.OpenedAt), "assigned at the opening")
	require.NotNil(t, tk.OfferDue)
	require.True(t, tk.OfferDue.Equal(in.OpenedAt.Add(10*time.Minute)))
	ns, err := st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "bob"})
	require.NoError(t, err)
	require.Len(t, ns, 1, "notified once")
	require.Equal(t, []string{store.NotifyAssigned, in.TaskID}, []string{ns[0].Kind, ns[0].TaskID})
	tasks, err := st.ListTasks(ctx, store.ListTasksParams{CaseID: caseID})
	require.NoError(t, err)
	require.Len(t, tasks, 1)

	// Bob starts it and goes away: the next rule, least loaded (ann and
	// cat idle: by id).
	_, err = st.ClaimTask(ctx, store.ClaimTaskParams{ID: in.TaskID, Actor: "bob", At: t0.Add(time.Minute)})
	require.NoError(t, err)
	_, _, err = st.SetPerson(ctx, store.SetPersonParams{ActorID: "bob", Availability: ptr(store.Away), At: t0})
	require.NoError(t, err)
	in2 := openInput(2)
	in2.Assign = in.Assign
	require.NoError(t, acts.OpenTask(ctx, in2))
	tk, err = st.GetTask(ctx, in2.TaskID)
	require.NoError(t, err)
	require.Equal(t, []any{"ann", "least_loaded"}, []any{tk.Assignee, tk.AssignRule})

	// Pull first: nothing to assign, the task in the pool without a spec.
	in3 := openInput(3)
	in3.Assign = &workflows.Assignment{Rules: []string{"pull", "least_loaded"}}
	require.NoError(t, acts.OpenTask(ctx, in3))
	tk, err = st.GetTask(ctx, in3.TaskID)
	require.NoError(t, err)
	require.Empty(t, tk.Assignee)
	deps, err := st.WaitingDepartments(ctx)
	require.NoError(t, err)
	require.Empty(t, deps, "no spec kept")
}

func ptr[T any](v T) *T { return &v }
