package e2e

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// Complaint cases worked through the API on the real engine, their spans
// exported as XES and imported again as an event log: every step's cases,
// waiting and working percentiles and share equal the flow's own
// bottleneck report (decision 0033), although each step is entered a few
// milliseconds after the one before completed.
func TestSpansRoundTripAsXES(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 3 {
		c := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: fmt.Sprintf("C-xes-%d", i), Channel: "phone",
			Attributes: map[string]any{"severity": "primary"}})
		for steps := 0; ; steps++ {
			require.Less(t, steps, 12)
			if e.getCase(c.ID).Status == apiv1.CaseCompleted {
				break
			}
			task := e.waitOpenTask(c.ID)
			time.Sleep(time.Duration(20+10*i) * time.Millisecond)
			_, err := e.api(task.Department).ClaimTask(ctx, apiv1.TaskIDParams{ID: task.ID})
			require.NoError(t, err)
			time.Sleep(time.Duration(10+5*steps) * time.Millisecond)
			_, err = e.api(task.Department).CompleteTask(ctx, apiv1.CompleteParams{ID: task.ID}, complete(task, task.Outcomes[0]))
			require.NoError(t, err)
			for range 100 {
				if c2 := e.getCase(c.ID); c2.Status == apiv1.CaseCompleted || (len(c2.Tasks) == 1 && c2.Tasks[0].ID != task.ID) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}

	admin := e.api("admin")
	body, err := admin.ExportSpans(ctx, apiv1.ExportSpansParams{Flow: "complaint", Version: 1, Format: "xes"})
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "complaint.xes")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = io.Copy(f, body)
	require.NoError(t, err)
	require.NoError(t, body.Close())
	require.NoError(t, f.Close())
	f, err = os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	l, err := admin.ImportLog(ctx, apiv1.ImportLogParams{Name: "complaint in flowlab", Source: "complaint.xes"}, f)
	require.NoError(t, err)
	require.Equal(t, 3, l.Cases)

	acts, err := admin.GetLogActivities(ctx, apiv1.LogViewParams{ID: l.ID})
	require.NoError(t, err)
	report, err := admin.GetFlowBottlenecks(ctx, apiv1.BottlenecksParams{Key: "complaint", Version: 1})
	require.NoError(t, err)
	byName := map[string]apiv1.LogActivity{}
	for _, a := range acts.Activities {
		byName[a.Activity] = a
	}
	compared := 0
	for _, st := range report.Steps {
		if st.Cases == 0 {
			continue
		}
		a, ok := byName[st.Step]
		require.True(t, ok, st.Step)
		require.Equal(t, st.Cases, a.Cases, st.Step)
		for _, p := range [][2]float64{{st.Wait.P50, a.Wait.P50}, {st.Wait.P90, a.Wait.P90}, {st.Wait.P95, a.Wait.P95},
			{st.Work.P50, a.Work.P50}, {st.Work.P90, a.Work.P90}, {st.Work.P95, a.Work.P95}} {
			require.InDelta(t, p[0], p[1], 1e-6, "%s: report %v, log %v", st.Step, p[0], p[1])
		}
		require.InDelta(t, st.Share, a.Share, 1e-9, st.Step)
		compared++
	}
	require.Equal(t, len(acts.Activities), compared, "every activity is a step of the report")
	require.GreaterOrEqual(t, compared, 6, "record, route, investigate, feedback, review, notify_customer")
}

// The flow drafted from the real Helpdesk log publishes and a case of it
// runs to its end on the real engine, every task claimed and completed
// through the API with its first outcome (issue 18).
func TestHelpdeskDraftRunsOnTheEngine(t *testing.T) {
	path := filepath.Join("..", "..", "shared", "data", "eventlogs", "helpdesk.csv")
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		t.Skip("the shared event logs are beside the repository in CI")
	}
	require.NoError(t, err)
	defer f.Close()
	e := newEnv(t)
	ctx := context.Background()
	admin := e.api("admin")
	l, err := admin.ImportLog(ctx, apiv1.ImportLogParams{Name: "Helpdesk", Source: "helpdesk.csv"}, f)
	require.NoError(t, err)
	draft, err := admin.DraftFlowFromLog(ctx, apiv1.DraftFlowFromLogParams{ID: l.ID}, apiv1.DraftFlowRequest{Key: "helpdesk"})
	require.NoError(t, err)
	_, err = admin.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "helpdesk"}, []byte(draft.YAML))
	require.NoError(t, err)

	c := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "helpdesk", Customer: "C-hd-1", Channel: "phone"})
	var steps []string
	for n := 0; ; n++ {
		require.Less(t, n, 30, "the drafted flow ends: %v", steps)
		if e.getCase(c.ID).Status == apiv1.CaseCompleted {
			break
		}
		task := e.waitOpenTask(c.ID)
		steps = append(steps, task.Step)
		_, err := admin.ClaimTask(ctx, apiv1.TaskIDParams{ID: task.ID})
		require.NoError(t, err)
		_, err = admin.CompleteTask(ctx, apiv1.CompleteParams{ID: task.ID}, complete(task, task.Outcomes[0]))
		require.NoError(t, err)
		for range 200 {
			if c2 := e.getCase(c.ID); c2.Status == apiv1.CaseCompleted || (len(c2.Tasks) == 1 && c2.Tasks[0].ID != task.ID) {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	require.NotEmpty(t, steps)
	t.Logf("the drafted helpdesk flow ran %v", steps)
}

// A task step with an assignment rule gets a person on the real engine
// (decision 0035): the flow's first task is given to the least loaded
// agent of its department, and a second case's to the other one.
func TestLeastLoadedAssignmentOnTheEngine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.api("admin")
	for _, name := range []string{"Ana", "Ben"} {
		_, err := admin.CreateToken(ctx, apiv1.CreateTokenRequest{Name: name, Role: apiv1.RoleStaff, Departments: []string{"customer_service"}})
		require.NoError(t, err)
	}
	src := `key: assigned
version: 1
departments: [customer_service]
steps:
  - id: answer
    kind: task
    department: customer_service
    sla: 1h
    assign: {rule: least_loaded, fallback: [pull]}
    outcomes: [{name: done, next: closed}]
  - id: closed
    kind: end
`
	_, err := admin.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "assigned"}, []byte(src))
	require.NoError(t, err)
	var got []string
	for i := range 2 {
		c := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "assigned", Customer: fmt.Sprintf("C-as-%d", i), Channel: "phone"})
		var who string
		for range 200 {
			if tasks := e.getCase(c.ID).Tasks; len(tasks) == 1 && tasks[0].Assignee != "" {
				who = tasks[0].Assignee
				break
			}
			time.Sleep(25 * time.Millisecond)
		}
		require.NotEmpty(t, who, "case %d's task was assigned", i)
		got = append(got, who)
	}
	// The department's agents: the two created here, and the suite's own
	// customer_service agent; each case went to a different one.
	require.NotEqual(t, got[0], got[1], "the second task goes to someone less loaded")
}
