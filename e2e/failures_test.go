package e2e

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// historyLimitReason is the reason Temporal gives when it terminates a
// workflow over its history size limit.
const historyLimitReason = "Workflow history size exceeds limit."

// TestTerminatedCaseIsFailedRestartedAndClosed: Temporal terminates a
// case's workflow (as the history size limit does). flowlab marks the case
// failed with the reason, closes its task and lists it for owners and
// admins; a restart runs it on from the step it was at; a close ends it.
func TestTerminatedCaseIsFailedRestartedAndClosed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	eng := engine.NewTemporal(e.tc)
	id := e.startComplaint("C-term-1")
	task := e.waitOpenTask(id)
	wf := e.getCase(id).WorkflowID
	require.NoError(t, e.tc.TerminateWorkflow(ctx, wf, "", historyLimitReason))

	_, failed, err := api.ReconcileCases(ctx, e.st, eng, nil, api.ReconcileBatch)
	require.NoError(t, err)
	require.Len(t, failed, 1)
	require.Equal(t, id, failed[0].ID)

	admin := e.api("admin")
	c := e.getCase(id)
	require.Equal(t, apiv1.CaseFailed, c.Status)
	require.Contains(t, c.Failure, historyLimitReason)
	require.Empty(t, c.Tasks, "the failed case's task is closed")
	got, err := admin.GetTask(ctx, apiv1.TaskIDParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, apiv1.TaskCancelled, got.Status)
	list, err := admin.ListCases(ctx, apiv1.ListCasesParams{Status: apiv1.CaseFailed})
	require.NoError(t, err)
	require.Len(t, list.Cases, 1)
	require.Equal(t, id, list.Cases[0].ID)

	// Restart: a new run of the same workflow id, at the same step.
	_, err = admin.RestartCase(ctx, apiv1.CaseIDParams{ID: id})
	require.NoError(t, err)
	again := e.waitOpenTask(id)
	require.NotEqual(t, task.ID, again.ID)
	require.Equal(t, task.Step, again.Step)
	require.Equal(t, "active", e.getCase(id).Status)
	final := e.finish(id, 10)
	require.Equal(t, "completed", final.Status)

	// Close: a second terminated case is closed for good.
	id2 := e.startComplaint("C-term-2")
	require.NoError(t, e.tc.TerminateWorkflow(ctx, e.getCase(id2).WorkflowID, "", historyLimitReason))
	// Noticed by the first API call that finds the workflow gone.
	status, body := e.do("admin", http.MethodPost, "/api/v1/cases/"+id2+"/cancel", map[string]any{})
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, string(body), "has failed")
	_, err = admin.CloseFailedCase(ctx, apiv1.CaseIDParams{ID: id2})
	require.NoError(t, err)
	require.Equal(t, "cancelled", e.getCase(id2).Status)
	for _, action := range []string{"case.fail", "case.restart", "case.close"} {
		es, err := e.st.ListAudit(ctx, store.AuditFilter{Action: action})
		require.NoError(t, err)
		require.NotEmpty(t, es, action)
	}
}

// TestRestartAfterACompletedRun: a case whose workflow completed but whose
// row still says active (its last write lost) is failed by the reconciler
// like any ended run, and its restart must start a new run: Temporal
// refuses to reuse the id of a completed run under the policy of new
// cases, which the restart used to swallow (200, active, no workflow).
func TestRestartAfterACompletedRun(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.startComplaint("C-done-1")
	require.Equal(t, "completed", e.finish(id, 10).Status)
	active, step := "active", "investigate"
	require.NoError(t, e.st.UpdateCase(ctx, store.UpdateCaseParams{ID: id, Status: &active, Step: &step, At: time.Now()}))
	_, failed, err := api.ReconcileCases(ctx, e.st, engine.NewTemporal(e.tc), nil, api.ReconcileBatch)
	require.NoError(t, err)
	require.Len(t, failed, 1)

	_, err = e.api("admin").RestartCase(ctx, apiv1.CaseIDParams{ID: id})
	require.NoError(t, err)
	again := e.waitOpenTask(id)
	require.Equal(t, "investigate", again.Step)
	require.Equal(t, "completed", e.finish(id, 10).Status)
}

// TestCancelDuringCompletion: a case cancelled while a completion of its
// task is in flight. The completer hears what happened: 200 when the
// completion committed, 409 when it did not, never a 500; and every
// committed completion has exactly one audit entry.
func TestCancelDuringCompletion(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	answered := map[int]int{}
	for i := range 12 {
		id := e.startComplaint("C-race")
		task := e.waitOpenTask(id)
		var (
			wg           sync.WaitGroup
			status       int
			body         []byte
			cancelStatus int
		)
		wg.Add(2)
		go func() {
			defer wg.Done()
			status, body = e.do(task.Department, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", complete(task, task.Outcomes[0]))
		}()
		go func() {
			defer wg.Done()
			// Spread the cancel over the completion's steps (Update
			// accepted, task closing, next task opening).
			time.Sleep(time.Duration(i%6) * 15 * time.Millisecond)
			cancelStatus, _ = e.do("admin", http.MethodPost, "/api/v1/cases/"+id+"/cancel", map[string]any{})
		}()
		wg.Wait()
		answered[status]++
		require.Contains(t, []int{http.StatusOK, http.StatusConflict}, status, "completion %d: %s", i, body)
		require.Contains(t, []int{http.StatusAccepted, http.StatusConflict}, cancelStatus)
		tk, err := e.st.GetTask(ctx, task.ID)
		require.NoError(t, err)
		es, err := e.st.ListAudit(ctx, store.AuditFilter{Object: "task:" + task.ID, Action: "task.complete"})
		require.NoError(t, err)
		if status == http.StatusOK {
			require.Equal(t, store.TaskCompleted, tk.Status, "a 200 means the completion committed")
		} else {
			require.NotEqual(t, store.TaskCompleted, tk.Status, "a 409 means nothing was completed: %s", body)
		}
		if tk.Status == store.TaskCompleted {
			require.Len(t, es, 1, "a committed completion has its audit entry")
		} else {
			require.Empty(t, es)
		}
	}
	t.Logf("completion answers: %v", answered)
}

// TestCommittedUnansweredCompletionIsAudited: the API process dies after
// the workflow committed a completion and before it answered (simulated by
// running the Update without the HTTP handler). The completion still has
// its audit entry, written in the transaction that closed the task.
func TestCommittedUnansweredCompletionIsAudited(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.startComplaint("C-crash")
	task := e.waitOpenTask(id)
	updateID := "complete:" + task.ID + ":agent-7:key-1"
	_, err := engine.NewTemporal(e.tc).Complete(ctx, e.getCase(id).WorkflowID, updateID, workflows.CompleteRequest{
		TaskID: task.ID, Outcome: task.Outcomes[0], Data: formData(task), ActorID: "agent-7", ActorRole: "staff",
		ActorDepartments: []string{task.Department}, CompletionID: updateID, RequestID: "req-lost",
	})
	require.NoError(t, err)
	es, err := e.st.ListAudit(ctx, store.AuditFilter{Object: "task:" + task.ID})
	require.NoError(t, err)
	require.Len(t, es, 1)
	require.Equal(t, "task.complete", es[0].Action)
	require.Equal(t, "agent-7", es[0].Actor)
	require.Equal(t, id, es[0].CaseID)
	require.Equal(t, "req-lost", es[0].RequestID)
	require.JSONEq(t, `{"outcome": "`+task.Outcomes[0]+`", "update_id": "`+updateID+`"}`, string(es[0].Details))
}

// TestEventsOnlyWhenAwaited: a real case takes an event only at the wait
// step that waits for it, and only a small one.
func TestEventsOnlyWhenAwaited(t *testing.T) {
	e := newEnv(t)
	id := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "appointment", Customer: "C-ev", Channel: "app"}).ID
	path := "/api/v1/cases/" + id + "/events"
	e.waitOpenTask(id)

	// At a task: refused, nothing signalled.
	status, body := e.do("customer_service", http.MethodPost, path, apiv1.EventRequest{Name: "slot_reminder"})
	require.Equal(t, http.StatusConflict, status, string(body))
	require.Contains(t, string(body), `waits for task \"Book the slot\"`)

	e.completeOpen(id) // book
	e.completeOpen(id) // confirm: the case waits for slot_reminder
	require.Eventually(t, func() bool {
		status, body = e.do("customer_service", http.MethodPost, path, apiv1.EventRequest{Name: "something_else"})
		return status == http.StatusConflict && strings.Contains(string(body), `it waits for \"slot_reminder\"`)
	}, 20*time.Second, 100*time.Millisecond, "%d %s", status, body)
	status, body = e.do("customer_service", http.MethodPost, path,
		apiv1.EventRequest{Name: "slot_reminder", Data: map[string]any{"x": strings.Repeat("x", api.MaxEventDataBytes)}})
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))

	// 202: e.api's OpenAPI check refuses another success status.
	_, err := e.api("customer_service").SendCaseEvent(context.Background(), apiv1.CaseIDParams{ID: id},
		apiv1.EventRequest{Name: "slot_reminder", Data: map[string]any{"note": "ok"}})
	require.NoError(t, err)
	task := e.waitOpenTask(id)
	require.Equal(t, "service", task.Step, "the event moved the case on")
	c, err := e.st.GetCase(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, 1, c.EventCount)
}
