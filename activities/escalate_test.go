package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// escalationPeople: ann works in cs, lena and lou lead it (lou is away),
// tom and tia lead tech.
func escalationPeople(t *testing.T, st store.Store) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []store.CreateActorParams{
		{ID: "ann", Departments: []string{"cs"}},
		{ID: "lena", Departments: []string{"cs"}, Leads: []string{"cs"}},
		{ID: "lou", Departments: []string{"cs"}, Leads: []string{"cs"}},
		{ID: "tom", Departments: []string{"tech"}, Leads: []string{"tech"}},
		{ID: "tia", Departments: []string{"cs", "tech"}, Leads: []string{"tech"}},
	} {
		p.Role, p.At = store.RoleStaff, t0
		_, err := st.CreateActor(ctx, p)
		require.NoError(t, err)
	}
	_, _, err := st.SetPerson(ctx, store.SetPersonParams{ActorID: "lou", Availability: ptr(store.Away), At: t0})
	require.NoError(t, err)
}

func notifications(t *testing.T, st store.Store, actor string) []store.Notification {
	t.Helper()
	ns, err := st.ListNotifications(context.Background(), store.ListNotificationsParams{ActorID: actor})
	require.NoError(t, err)
	return ns
}

// assign: team_lead gives a task someone holds to the available lead of
// its department, who is told (task.reassigned); notify: assignee tells
// the one who held it (task.escalated); a retried activity changes and
// writes nothing more. assign: pool returns a held task to the pool.
func TestEscalateAssigns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	escalationPeople(t, st)
	a := &activities.Activities{Store: st, Logger: quiet()}
	for seq := 1; seq <= 2; seq++ {
		require.NoError(t, a.OpenTask(ctx, openInput(seq)))
		_, err := st.ClaimTask(ctx, store.ClaimTaskParams{ID: workflows.TaskID(caseID, seq), Actor: "ann", At: t0.Add(time.Minute)})
		require.NoError(t, err)
	}

	lead := workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1,
		Assign: flow.EscalateTeamLead, Notify: "assignee", At: t0.Add(time.Hour)}
	for range 2 {
		require.NoError(t, a.Escalate(ctx, lead))
		task, err := st.GetTask(ctx, lead.TaskID)
		require.NoError(t, err)
		require.Equal(t, "lena", task.Assignee, "the available lead of cs (lou is away)")
		require.Equal(t, store.AssignTeamLead, task.AssignRule)
		require.Equal(t, 1, task.EscalationLevel)
		require.Equal(t, 1, task.Reassignments)

		ns := notifications(t, st, "lena")
		require.Len(t, ns, 1)
		require.Equal(t, store.NotifyReassigned, ns[0].Kind)
		require.Equal(t, "ann", ns[0].Details.From)
		ns = notifications(t, st, "ann")
		require.Len(t, ns, 1, "the holder is told, once")
		require.Equal(t, store.NotifyEscalated, ns[0].Kind)
		require.Equal(t, store.NotificationID(store.NotifyEscalated, lead.TaskID, "ann", 1), ns[0].ID)
		require.Empty(t, notifications(t, st, "lou"))
	}
	audit, err := st.ListAudit(ctx, store.AuditFilter{Object: "task:" + lead.TaskID, Action: "task.escalate"})
	require.NoError(t, err)
	require.Len(t, audit, 1)
	require.JSONEq(t, `{"level":1,"step":"record","department":"cs","notify":"assignee","assign":"team_lead","assignee":"lena"}`, string(audit[0].Details))

	pool := workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 2), Step: "record", Level: 1,
		Assign: flow.EscalatePool, At: t0.Add(time.Hour)}
	require.NoError(t, a.Escalate(ctx, pool))
	task, err := st.GetTask(ctx, pool.TaskID)
	require.NoError(t, err)
	require.Empty(t, task.Assignee, "back in the pool")
	require.Equal(t, 1, task.EscalationLevel)
	require.Equal(t, "cs", task.Department)

	// An assign the flow format does not know fails without retries.
	bad := pool
	bad.Level, bad.Assign = 2, "boss"
	err = a.Escalate(ctx, bad)
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NonRetryable())
	task, err = st.GetTask(ctx, pool.TaskID)
	require.NoError(t, err)
	require.Equal(t, 1, task.EscalationLevel)
}

// notify: <department>_lead tells each team lead of the department once,
// with what the task is, however often the activity is retried; the
// webhook still gets the notification.
func TestEscalateNotifiesTheLeads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	escalationPeople(t, st)
	h, srv := newHook(t, 200)
	a := &activities.Activities{Store: st, Logger: quiet(), WebhookURL: srv.URL}
	require.NoError(t, a.OpenTask(ctx, openInput(1)))

	in := workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1), Step: "record", Level: 1,
		Notify: "tech_lead", At: t0.Add(time.Hour)}
	for range 3 {
		require.NoError(t, a.Escalate(ctx, in))
	}
	due := t0.Add(time.Hour)
	for _, lead := range []string{"tia", "tom"} {
		ns := notifications(t, st, lead)
		require.Len(t, ns, 1, lead)
		n := ns[0]
		require.Equal(t, store.NotificationID(store.NotifyEscalated, in.TaskID, lead, 1), n.ID)
		require.Equal(t, store.NotifyEscalated, n.Kind)
		require.Equal(t, in.TaskID, n.TaskID)
		require.Equal(t, caseID, n.CaseID)
		require.True(t, n.CreatedAt.Equal(in.At))
		require.NotNil(t, n.Details.SLADue)
		require.True(t, n.Details.SLADue.Equal(due))
		n.Details.SLADue = nil
		require.Equal(t, store.NotificationDetails{Flow: "complaint", Step: "record", StepName: "Record", Department: "cs",
			Level: 1, Target: "tech_lead"}, n.Details)
	}
	for _, other := range []string{"ann", "lena", "lou"} {
		require.Empty(t, notifications(t, st, other), other)
	}
	require.Len(t, h.received(), 3, "the webhook is told on every attempt (its receiver drops repeats)")

	// The next level moves the task and tells the leads of where it goes.
	in.Level, in.Department, in.Notify, in.At = 2, "tech", "team_lead", t0.Add(2*time.Hour)
	require.NoError(t, a.Escalate(ctx, in))
	for _, lead := range []string{"tia", "tom"} {
		ns := notifications(t, st, lead)
		require.Len(t, ns, 2, lead)
		require.Equal(t, 2, ns[0].Details.Level, "newest first")
		require.Equal(t, "tech", ns[0].Details.Department)
	}
	require.Empty(t, notifications(t, st, "lena"))
}

// EscalationRecipients reads a notify target as people.
func TestEscalationRecipients(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := newStore(t)
	for _, p := range []store.CreateActorParams{
		{ID: "ann", Departments: []string{"customer_service"}},
		{ID: "zoe", Departments: []string{"customer_service", "technical"}, Leads: []string{"customer_service", "technical"}},
		{ID: "lena", Departments: []string{"customer_service"}, Leads: []string{"customer_service"}},
		{ID: "tom", Departments: []string{"technical"}, Leads: []string{"technical"}},
		{ID: "crisis_manager", Departments: []string{"crisis_team"}},
	} {
		p.Role, p.At = store.RoleStaff, t0
		_, err := st.CreateActor(ctx, p)
		require.NoError(t, err)
	}
	for _, tc := range []struct {
		target, department, holder string
		want                       []string
	}{
		{"customer_service_lead", "technical", "ann", []string{"lena", "zoe"}},
		{"customer_service_leads", "", "", []string{"lena", "zoe"}},
		{"technical_lead", "customer_service", "", []string{"tom", "zoe"}},
		{"team_lead", "technical", "ann", []string{"tom", "zoe"}},
		{"team_lead", "crisis_team", "ann", nil},
		{"assignee", "technical", "ann", []string{"ann"}},
		{"assignee", "technical", "", nil},
		{"assignee", "technical", "gone", nil},
		{"tom", "customer_service", "", []string{"tom"}},
		{"crisis_manager", "crisis_team", "", []string{"crisis_manager"}},
		{"supervisor_lead", "customer_service", "", nil},
		{"_lead", "customer_service", "", nil},
		{"ops@example.com", "customer_service", "ann", nil},
	} {
		got, err := activities.EscalationRecipients(ctx, st, tc.target, tc.department, tc.holder)
		require.NoError(t, err)
		require.Equal(t, tc.want, got, tc.target)
	}
}
