package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

var recordOutcome = map[string]any{"outcome": "recorded", "data": recordData}

// completionAudit returns the task.complete entries of a task.
func completionAudit(t *testing.T, st store.Store, taskID string) []store.AuditEntry {
	t.Helper()
	es, err := st.ListAudit(context.Background(), store.AuditFilter{Object: "task:" + taskID, Action: "task.complete"})
	require.NoError(t, err)
	return es
}

// TestCompletionCommittedThenEngineError: the case is cancelled (or the
// engine's answer is lost) after the completion committed. The completer
// gets 200 with the completion, not a 500, and the completion has its one
// audit entry (written with it).
func TestCompletionCommittedThenEngineError(t *testing.T) {
	t.Parallel()
	for _, engErr := range []error{
		errors.New("workflow execution canceled"), // what an Update of a cancelled case returned before
		fmt.Errorf("engine: %w: the case was cancelled", engine.ErrCaseNotRunning),
		fmt.Errorf("engine: %w", engine.ErrEngineUnavailable),
	} {
		t.Run(engErr.Error(), func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			c := e.StartCase()
			task := e.OpenTask(c.ID)
			e.eng.Mu.Lock()
			e.eng.AfterCommitErr = engErr
			e.eng.Mu.Unlock()
			res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", recordOutcome, nil)
			require.Equal(t, http.StatusOK, res.Code, res.Body.String())
			var out apiv1.CompleteResponse
			require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
			require.Equal(t, store.TaskCompleted, out.Task.Status)
			es := completionAudit(t, e.st, task.ID)
			require.Len(t, es, 1)
			require.Equal(t, "admin", es[0].Actor)
			require.NotEmpty(t, es[0].RequestID)
			require.Equal(t, res.Header().Get("X-Request-Id"), es[0].RequestID)
		})
	}
}

// TestCompletionOfACancelledTask: the case was cancelled first; the
// completer learns that nothing was completed (409, saying so).
func TestCompletionOfACancelledTask(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	_, err := e.st.CancelTask(context.Background(), store.CancelTaskParams{ID: task.ID, At: task.OpenedAt, Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	// The task row was read open before the case's cleanup closed it.
	e.eng.SetErrs(nil, errors.New("workflow execution canceled"), nil, nil)
	_, err = e.st.GetTask(context.Background(), task.ID)
	require.NoError(t, err)
	res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", recordOutcome, nil)
	p := servertest.ProblemOf(t, res, http.StatusConflict)
	require.Contains(t, p.Detail, "cancelled")
	require.Empty(t, completionAudit(t, e.st, task.ID))
}

// TestEventLimits: an event's size, the case's waiting for it, and the
// case's event budget.
func TestEventLimits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	c := e.StartCase()
	path := "/api/v1/cases/" + c.ID + "/events"

	// Not waiting for it: refused, saying what the case waits for.
	p := servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"name": "customer_reply"}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, `not waiting for event "customer_reply"`)
	require.Contains(t, p.Detail, "waits for task")
	require.Empty(t, e.eng.Signals)

	e.eng.Mu.Lock()
	e.eng.StateHook = func(_ string, st workflows.CaseState) (workflows.CaseState, error) {
		st.WaitingFor, st.Open = "customer_reply", nil
		return st, nil
	}
	e.eng.Mu.Unlock()
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"name": "other"}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, `it waits for "customer_reply"`)

	// Too big: 16 KiB of data at most.
	big := strings.Repeat("x", MaxEventDataBytes)
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"name": "customer_reply", "data": map[string]any{"t": big}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "data", p.Errors[0].Field)
	require.Contains(t, p.Errors[0].Message, "at most 16384 bytes")
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"name": strings.Repeat("n", MaxEventNameLength+1)}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "name", p.Errors[0].Field)
	require.Empty(t, e.eng.Signals)

	// The budget: MaxCaseEventBytes in all (15 KiB events), then
	// MaxCaseEvents.
	chunk := strings.Repeat("y", 15<<10)
	sent := 0
	for {
		res := e.Do("ann", http.MethodPost, path, map[string]any{"name": "customer_reply", "data": map[string]any{"t": chunk}}, nil)
		if res.Code != http.StatusAccepted {
			p := servertest.ProblemOf(t, res, http.StatusConflict)
			require.Contains(t, p.Detail, "accepts no more events")
			break
		}
		sent++
		require.Less(t, sent, MaxCaseEvents)
	}
	require.Equal(t, MaxCaseEventBytes/(15<<10+len(`{"t":""}`)+len("customer_reply")), sent)
	require.Len(t, e.eng.Signals, sent)

	c2 := e.StartCase()
	for i := range MaxCaseEvents + 1 {
		res := e.Do("ann", http.MethodPost, "/api/v1/cases/"+c2.ID+"/events", map[string]any{"name": "customer_reply"}, nil)
		if i < MaxCaseEvents {
			require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
		} else {
			servertest.ProblemOf(t, res, http.StatusConflict)
		}
	}
}

// TestEndedWorkflowFailsTheCase: a case whose workflow was terminated
// behind flowlab's back (as the history size limit does) is marked failed
// by the reconciler or by the first API call that finds the workflow gone;
// its task is closed; owners list it; it can be restarted or closed.
func TestEndedWorkflowFailsTheCase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	e.Actor("ann", store.RoleStaff, "customer_service")
	a, b := e.StartCase(), e.StartCase()
	taskA, taskB := e.OpenTask(a.ID), e.OpenTask(b.ID)
	e.eng.Terminate(a.WorkflowID, "Workflow history size exceeds limit.")
	e.eng.Terminate(b.WorkflowID, "Workflow history size exceeds limit.")

	// The reconciler finds a; b is found by a completion first.
	res := e.Do("ann", http.MethodPost, "/api/v1/tasks/"+taskB.ID+"/complete", recordOutcome, nil)
	p := servertest.ProblemOf(t, res, http.StatusConflict)
	require.Contains(t, p.Detail, "history size exceeds limit")

	// A page of one: the pass stops after one case and says where to go on.
	next, failed, err := ReconcileCases(ctx, e.st, e.eng, nil, 1)
	require.NoError(t, err)
	require.NotNil(t, next)
	require.Len(t, failed, 1)
	require.Equal(t, a.ID, failed[0].ID)
	next, failed, err = ReconcileCases(ctx, e.st, e.eng, next, 1)
	require.NoError(t, err)
	require.Nil(t, next, "past the oldest active case: start over")
	require.Empty(t, failed)

	for _, id := range []string{a.ID, b.ID} {
		got, err := e.st.GetCase(ctx, id)
		require.NoError(t, err)
		require.Equal(t, store.CaseFailed, got.Status)
		require.Contains(t, got.Failure, "was terminated: Workflow history size exceeds limit.")
		es, err := e.st.ListAudit(ctx, store.AuditFilter{CaseID: id, Action: "case.fail"})
		require.NoError(t, err)
		require.Len(t, es, 1)
	}
	for _, id := range []string{taskA.ID, taskB.ID} {
		tk, err := e.st.GetTask(ctx, id)
		require.NoError(t, err)
		require.Equal(t, store.TaskCancelled, tk.Status, "the failed case's task is closed")
	}
	// A second pass changes nothing.
	_, failed, err = ReconcileCases(ctx, e.st, e.eng, nil, 10)
	require.NoError(t, err)
	require.Empty(t, failed)

	// Owners list failed cases, with the reason.
	res = e.Do("owner", http.MethodGet, "/api/v1/cases?status=failed", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var list apiv1.CaseList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
	require.Len(t, list.Cases, 2)
	require.Contains(t, list.Cases[0].Failure, "history size")

	// Staff may neither restart nor close; only a failed case can be.
	servertest.ProblemOf(t, e.Do("ann", http.MethodPost, "/api/v1/cases/"+a.ID+"/restart", nil, nil), http.StatusForbidden)
	c := e.StartCase()
	p = servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases/"+c.ID+"/restart", nil, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "is active")

	// Restart: a new run at the step the case was at, after the old seq.
	res = e.Do("owner", http.MethodPost, "/api/v1/cases/"+a.ID+"/restart", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var restarted apiv1.Case
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &restarted))
	require.Equal(t, store.CaseActive, restarted.Status)
	require.Equal(t, 1, restarted.Restarts)
	newTask := e.OpenTask(a.ID)
	require.Equal(t, taskA.Step, newTask.Step)
	require.Greater(t, newTask.Seq, taskA.Seq)
	res = e.Do("admin", http.MethodPost, "/api/v1/tasks/"+newTask.ID+"/complete", recordOutcome, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases/"+a.ID+"/restart", nil, nil), http.StatusConflict)

	// Close: cancelled, for good.
	res = e.Do("owner", http.MethodPost, "/api/v1/cases/"+b.ID+"/close", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	got, err := e.st.GetCase(ctx, b.ID)
	require.NoError(t, err)
	require.Equal(t, store.CaseCancelled, got.Status)
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases/"+b.ID+"/close", nil, nil), http.StatusConflict)
	for _, action := range []string{"case.restart", "case.close"} {
		es, err := e.st.ListAudit(ctx, store.AuditFilter{Action: action})
		require.NoError(t, err)
		require.Len(t, es, 1, action)
		require.NotEmpty(t, es[0].RequestID)
	}

	// An event or a cancel that finds the workflow gone fails the case too.
	d := e.StartCase()
	e.eng.Terminate(d.WorkflowID, "operator")
	p = servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases/"+d.ID+"/cancel", nil, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "has failed")
	got, err = e.st.GetCase(ctx, d.ID)
	require.NoError(t, err)
	require.Equal(t, store.CaseFailed, got.Status)
}
