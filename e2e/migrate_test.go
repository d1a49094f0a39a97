package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// startComplaint starts a complaint case on the default version and returns
// its id once its first task is open.
func (e *env) startComplaint(customer string) string {
	e.t.Helper()
	created := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: customer, Channel: "email",
		Attributes: map[string]any{"severity": "intermediate"}})
	e.waitOpenTask(created.ID)
	return created.ID
}

// completeOpen completes the case's open task with its first outcome and
// returns the next open task ("" when none).
func (e *env) completeOpen(id string) apiv1.Task {
	e.t.Helper()
	task := e.waitOpenTask(id)
	_, err := e.api(task.Department).CompleteTask(context.Background(), apiv1.CompleteParams{ID: task.ID}, complete(task, task.Outcomes[0]))
	require.NoError(e.t, err)
	return task
}

// finish works the case to its end, at most max tasks.
func (e *env) finish(id string, max int) *apiv1.CaseDetail {
	e.t.Helper()
	for i := 0; i < max; i++ {
		c := e.getCase(id)
		if c.Status != apiv1.CaseActive {
			return c
		}
		if len(c.Tasks) == 1 {
			e.completeOpen(id)
			continue
		}
		time.Sleep(50 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c := e.getCase(id); c.Status != apiv1.CaseActive {
			return c
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("case %s did not finish", id)
	return nil
}

func TestMigrateWaitingCases(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	// Two cases wait at v1's first step (record); one has moved on to
	// investigate, which the mapping leaves out.
	atRecord := []string{e.startComplaint("C-1"), e.startComplaint("C-2")}
	atInvestigate := e.startComplaint("C-3")
	e.completeOpen(atInvestigate)
	investigateTask := e.waitOpenTask(atInvestigate)
	require.Equal(t, "investigate", investigateTask.Step)
	recordTasks := map[string]string{}
	for _, id := range atRecord {
		recordTasks[id] = e.waitOpenTask(id).ID
	}

	body := apiv1.MigrateRequest{From: 1, To: 2, Mapping: map[string]string{"record": "submit"}}
	complaint := apiv1.FlowKeyParams{Key: "complaint"}

	// A dry run reports and changes nothing.
	dry := body
	dry.DryRun = true
	rep, err := e.api("admin").MigrateFlowCases(ctx, complaint, dry)
	require.NoError(t, err)
	require.True(t, rep.DryRun)
	require.Equal(t, 2, rep.WouldMigrate)
	require.Equal(t, 1, rep.Refused)
	for _, c := range rep.Cases {
		if c.CaseID == atInvestigate {
			require.Equal(t, "refused", c.Status)
			require.Equal(t, "step investigate is not mapped", c.Reason)
		} else {
			require.Equal(t, "would_migrate", c.Status)
			require.Equal(t, "submit", c.ToStep)
		}
	}
	for _, id := range atRecord {
		c := e.getCase(id)
		require.Equal(t, 1, c.Version)
		require.Equal(t, recordTasks[id], c.Tasks[0].ID)
	}

	// A staff member may not migrate.
	status, _ := e.do("customer_service", http.MethodPost, "/api/v1/flows/complaint/migrations", body)
	require.Equal(t, http.StatusForbidden, status)

	// The real run.
	rep, err = e.api("admin").MigrateFlowCases(ctx, complaint, body)
	require.NoError(t, err)
	require.False(t, rep.DryRun)
	require.Equal(t, 2, rep.Migrated)
	require.Equal(t, 1, rep.Refused)
	for _, c := range rep.Cases {
		if c.CaseID == atInvestigate {
			require.Equal(t, "refused", c.Status)
			continue
		}
		require.Equal(t, "migrated", c.Status, c.Reason)
		require.Len(t, c.Next, 1)
		require.Equal(t, "submit", c.Next[0].Step)
	}

	// Migrated cases continue on version 2 from submit and finish there;
	// their v1 task was closed as cancelled.
	for _, id := range atRecord {
		c := e.getCase(id)
		require.Equal(t, 2, c.Version)
		require.Len(t, c.Tasks, 1)
		require.Equal(t, "submit", c.Tasks[0].Step)
		old := false
		for _, sp := range c.Spans {
			if sp.Step == "record" {
				require.Equal(t, workflows.OutcomeMigrated, sp.Outcome)
				old = true
			}
		}
		require.True(t, old, "the record step's span is kept")
		tk, err := e.api("admin").GetTask(ctx, apiv1.TaskIDParams{ID: recordTasks[id]})
		require.NoError(t, err)
		require.Equal(t, apiv1.TaskCancelled, tk.Status)

		entries, err := e.st.ListAudit(ctx, store.AuditFilter{CaseID: id})
		require.NoError(t, err)
		var migrated int
		for _, a := range entries {
			if a.Action == "case.migrate" {
				migrated++
			}
		}
		require.Equal(t, 1, migrated, "one audit entry for the migration")

		final := e.finish(id, 8)
		require.Equal(t, "completed", final.Status)
		require.Equal(t, 2, final.Version)
	}

	// The case at the unmapped step was not touched: same task, version 1,
	// and it finishes on version 1.
	c := e.getCase(atInvestigate)
	require.Equal(t, 1, c.Version)
	require.Equal(t, investigateTask.ID, c.Tasks[0].ID)
	entries, err := e.st.ListAudit(ctx, store.AuditFilter{CaseID: atInvestigate})
	require.NoError(t, err)
	refusedAudit := 0
	for _, a := range entries {
		if a.Action == "case.migrate_refused" {
			refusedAudit++
		}
	}
	require.Equal(t, 1, refusedAudit)
	final := e.finish(atInvestigate, 8)
	require.Equal(t, "completed", final.Status)
	require.Equal(t, 1, final.Version)

	// The migrated workflows' histories replay on today's worker code.
	for _, id := range append(atRecord, atInvestigate) {
		c := e.getCase(id)
		hist := &historypb.History{}
		it := e.tc.GetWorkflowHistory(ctx, c.WorkflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		rp := sdkworker.NewWorkflowReplayer()
		rp.RegisterWorkflowWithOptions(workflows.Case, workflow.RegisterOptions{Name: workflows.CaseWorkflow})
		require.NoError(t, rp.ReplayWorkflowHistory(nil, hist), "replay %s", c.WorkflowID)
	}

	// New cases start on the new default.
	_, err = e.api("admin").SetFlowDefault(ctx, complaint, apiv1.SetDefaultRequest{Version: 2})
	require.NoError(t, err)
	created := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-4", Channel: "chat"})
	require.Equal(t, 2, created.Version)
}
