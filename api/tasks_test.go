package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

func decodeTask(t *testing.T, res *httptest.ResponseRecorder) apiv1.Task {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.Task
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	return out
}

func decodeCompletion(t *testing.T, res *httptest.ResponseRecorder) apiv1.CompleteResponse {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.CompleteResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	return out
}

var recordData = map[string]any{"severity": "primary", "summary": "broken lid"}

func TestTaskLifecycle(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	e.Actor("bob", store.RoleStaff, "customer_service")
	e.Actor("tess", store.RoleStaff, "technical")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	path := "/api/v1/tasks/" + task.ID
	// unclaimedIDs lists the inbox of unclaimed tasks (assignee=none).
	unclaimedIDs := func(t *testing.T, e *testEnv) []string {
		var l apiv1.TaskList
		require.NoError(t, json.Unmarshal(e.Do("ann", http.MethodGet, "/api/v1/tasks?assignee=none", nil, nil).Body.Bytes(), &l))
		var ids []string
		for _, tk := range l.Tasks {
			require.Empty(t, tk.Assignee)
			ids = append(ids, tk.ID)
		}
		return ids
	}
	key := http.Header{apiv1.IdempotencyKeyHeader: {"click-1"}}
	var done apiv1.CompleteResponse

	e.step(t, "inboxes: ann sees the task without naming a department; tess does not", func(t *testing.T, e *testEnv) {
		var list apiv1.TaskList
		res := e.Do("ann", http.MethodGet, "/api/v1/tasks", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		require.Len(t, list.Tasks, 1)
		require.Equal(t, task.ID, list.Tasks[0].ID)
		require.Equal(t, []string{"recorded"}, list.Tasks[0].Outcomes)
		require.NotNil(t, list.Tasks[0].SLADue)
		res = e.Do("tess", http.MethodGet, "/api/v1/tasks", nil, nil)
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		require.Empty(t, list.Tasks)
	})

	e.step(t, "a claim blocks others", func(t *testing.T, e *testEnv) {
		claimed := decodeTask(t, e.Do("ann", http.MethodPost, path+"/claim", nil, nil))
		require.Equal(t, e.actors["ann"].ID, claimed.Assignee)
		require.NotNil(t, claimed.ClaimedAt)
		decodeTask(t, e.Do("ann", http.MethodPost, path+"/claim", nil, nil)) // own claim again: no-op
		p := servertest.ProblemOf(t, e.Do("bob", http.MethodPost, path+"/claim", nil, nil), http.StatusConflict)
		require.Contains(t, p.Detail, "claimed by")
		servertest.ProblemOf(t, e.Do("bob", http.MethodPost, path+"/unclaim", nil, nil), http.StatusConflict)
		servertest.ProblemOf(t, e.Do("bob", http.MethodPost, path+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, nil), http.StatusConflict)

		var list apiv1.TaskList
		res := e.Do("ann", http.MethodGet, "/api/v1/tasks?assignee=me", nil, nil)
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		require.Len(t, list.Tasks, 1)
		// assignee=none lists only unclaimed tasks: the claimed one is gone.
		require.NotContains(t, unclaimedIDs(t, e), claimed.ID)
	})

	e.step(t, "unclaim and claim again; an admin may unclaim anyone", func(t *testing.T, e *testEnv) {
		require.Empty(t, decodeTask(t, e.Do("ann", http.MethodPost, path+"/unclaim", nil, nil)).Assignee)
		require.Contains(t, unclaimedIDs(t, e), task.ID)
		decodeTask(t, e.Do("bob", http.MethodPost, path+"/claim", nil, nil))
		require.Empty(t, decodeTask(t, e.Do("admin", http.MethodPost, path+"/unclaim", nil, nil)).Assignee)
		decodeTask(t, e.Do("ann", http.MethodPost, path+"/claim", nil, nil))
	})

	e.step(t, "complete: the task closes, the next one is open in technical", func(t *testing.T, e *testEnv) {
		done = decodeCompletion(t, e.Do("ann", http.MethodPost, path+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, key))
		require.Equal(t, store.TaskCompleted, done.Task.Status)
		require.Equal(t, "recorded", done.Task.Outcome)
		require.Equal(t, e.actors["ann"].ID, done.Task.CompletedBy)
		require.JSONEq(t, `{"severity":"primary","summary":"broken lid"}`, string(done.Task.Data))
		require.Equal(t, store.CaseActive, done.CaseStatus)
		require.Len(t, done.Next, 1)
		require.Equal(t, "investigate", done.Next[0].Step)
		require.Equal(t, "technical", done.Next[0].Department)
	})

	e.step(t, "a retried click with the same key replays the result; without it, a conflict", func(t *testing.T, e *testEnv) {
		again := e.Do("ann", http.MethodPost, path+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, key)
		require.Equal(t, "true", again.Header().Get(ReplayedHeader))
		replay := decodeCompletion(t, again)
		require.Equal(t, done.Task.ID, replay.Task.ID)
		require.Equal(t, done.Next[0].ID, replay.Next[0].ID)
		// Without the key it is a conflict: the task is closed.
		p := servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, nil), http.StatusConflict)
		require.Contains(t, p.Detail, "already completed")
		servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path+"/claim", nil, nil), http.StatusConflict)
	})

	e.step(t, "the case shows the span with its waiting and working time", func(t *testing.T, e *testEnv) {
		res := e.Do("tess", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
		require.Equal(t, http.StatusOK, res.Code)
		var d apiv1.CaseDetail
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
		require.Len(t, d.Spans, 1)
		require.Equal(t, "record", d.Spans[0].Step)
		require.GreaterOrEqual(t, d.Spans[0].WaitSeconds, 0.0)
		require.Len(t, d.Tasks, 1)
		require.Equal(t, "investigate", d.Tasks[0].Step)
	})

	e.step(t, "the task's audit trail", func(t *testing.T, e *testEnv) {
		audit, err := e.st.ListAudit(context.Background(), store.AuditFilter{Object: "task:" + task.ID})
		require.NoError(t, err)
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Action)
		}
		require.Equal(t, []string{"task.claim", "task.claim", "task.unclaim", "task.claim", "task.unclaim", "task.claim", "task.complete"}, actions)
	})

	e.step(t, "the case walks to its end", func(t *testing.T, e *testEnv) {
		for _, step := range []struct {
			as, outcome string
			data        map[string]any
		}{
			{"tess", "diagnosed", nil},
			{"tess", "written", map[string]any{"answer": "replace the lid"}},
			{"ann", "approved", nil},
			{"ann", "notified", map[string]any{"resolved": true}},
		} {
			next := e.OpenTask(c.ID)
			out := decodeCompletion(t, e.Do(step.as, http.MethodPost, "/api/v1/tasks/"+next.ID+"/complete", map[string]any{"outcome": step.outcome, "data": step.data}, nil))
			require.Equal(t, next.ID, out.Task.ID)
		}
		var d apiv1.CaseDetail
		res := e.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
		require.Equal(t, store.CaseCompleted, d.Status)
		require.Empty(t, d.Tasks)
		require.Len(t, d.Spans, 5)
	})

	e.step(t, "a closed case cannot be cancelled or signalled", func(t *testing.T, e *testEnv) {
		servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases/"+c.ID+"/cancel", nil, nil), http.StatusConflict)
		servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases/"+c.ID+"/events", map[string]any{"name": "reply"}, nil), http.StatusConflict)
	})
}

func TestCompleteConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	const n = 20
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
	)
	for i := range n {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete",
				strings.NewReader(`{"outcome":"recorded","data":{"severity":"primary","summary":"s"}}`))
			req.Header.Set("Authorization", "Bearer "+e.tokens["ann"])
			req.Header.Set(apiv1.IdempotencyKeyHeader, fmt.Sprintf("click-%d", i))
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			mu.Lock()
			defer mu.Unlock()
			codes[rec.Code]++
		})
	}
	wg.Wait()
	require.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: n - 1}, codes)
	got, err := e.st.GetTask(context.Background(), task.ID)
	require.NoError(t, err)
	require.Equal(t, store.TaskCompleted, got.Status)
	tasks, err := e.st.ListTasks(context.Background(), store.ListTasksParams{CaseID: c.ID})
	require.NoError(t, err)
	require.Len(t, tasks, 2) // record and one investigate, nothing twice
}

func TestCompleteValidation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	path := "/api/v1/tasks/" + task.ID + "/complete"

	p := servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"data": recordData}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "outcome", p.Errors[0].Field)
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"outcome": "lost", "data": recordData}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "outcome", p.Errors[0].Field)
	require.Contains(t, p.Detail, `outcome "lost" is not allowed`)
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, map[string]any{"outcome": "recorded", "data": map[string]any{"severity": "primary"}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "data", p.Errors[0].Field)
	require.Contains(t, p.Detail, `field "summary" is required`)
	p = servertest.ProblemOf(t, e.Do("ann", http.MethodPost, path, `{"outcome":"recorded","data":[1]}`, nil), http.StatusBadRequest)
	require.Contains(t, p.Detail, "body.data: expected object, got array")
	servertest.ProblemOf(t, e.Do("ann", http.MethodPost, "/api/v1/tasks/missing/complete", map[string]any{"outcome": "recorded"}, nil), http.StatusNotFound)
	require.Equal(t, store.TaskOpen, e.OpenTask(c.ID).Status)
}

func TestCompleteEngineErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		err    error
		status int
		detail string
	}{
		{"stale", &engine.RejectedError{Reason: engine.ErrStaleTask, Message: "task x is not the task the case waits on"}, http.StatusConflict, "no longer awaited"},
		{"wrong department", &engine.RejectedError{Reason: engine.ErrWrongDepartment, Message: "task belongs to department technical"}, http.StatusForbidden, "department technical"},
		{"unknown outcome", &engine.RejectedError{Reason: engine.ErrUnknownOutcome, Message: `outcome "x" is not allowed at step record`}, http.StatusUnprocessableEntity, `outcome "x" is not allowed`},
		{"invalid data", fmt.Errorf("engine: complete: %w", &engine.RejectedError{Reason: engine.ErrInvalidData, Message: `field "summary" is required`}), http.StatusUnprocessableEntity, `field "summary" is required`},
		{"workflow gone", fmt.Errorf("engine: %w: workflow execution already completed", engine.ErrCaseNotRunning), http.StatusConflict, "no longer running"},
		{"unavailable", fmt.Errorf("engine: %w: frontend 10.1.2.3 down", engine.ErrEngineUnavailable), http.StatusServiceUnavailable, "unavailable"},
		{"deadline", fmt.Errorf("engine: %w", context.DeadlineExceeded), http.StatusServiceUnavailable, "unavailable"},
		{"other", errors.New("history shard 7 corrupt at 10.1.2.3"), http.StatusInternalServerError, "request_id"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			cs := e.StartCase()
			task := e.OpenTask(cs.ID)
			e.eng.SetErrs(nil, c.err, nil, nil)
			res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": "recorded", "data": recordData}, nil)
			p := servertest.ProblemOf(t, res, c.status)
			require.Contains(t, p.Detail, c.detail)
			require.NotContains(t, res.Body.String(), "10.1.2.3")
			require.NotContains(t, res.Body.String(), "shard")
			if c.status >= 500 {
				require.Contains(t, e.logs.String(), p.RequestID)
				if strings.Contains(c.err.Error(), "10.1.2.3") {
					require.Contains(t, e.logs.String(), "10.1.2.3")
				}
			}
		})
	}
}

func TestListTasks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("multi", store.RoleStaff, "customer_service", "technical")
	for range 3 {
		e.StartCase()
	}
	var list struct {
		Tasks []apiv1.Task `json:"tasks"`
	}
	get := func(as, q string) []apiv1.Task {
		t.Helper()
		res := e.Do(as, http.MethodGet, "/api/v1/tasks"+q, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
		return list.Tasks
	}
	require.Len(t, get("multi", ""), 3)
	require.Len(t, get("multi", "?department=customer_service"), 3)
	require.Len(t, get("multi", "?department=technical"), 0)
	require.Len(t, get("admin", "?department=customer_service&limit=2"), 2)
	require.Len(t, get("admin", "?status=completed"), 0)
	require.Len(t, get("admin", "?status=any"), 3)
	all := get("admin", "")
	require.Len(t, get("admin", "?case_id="+all[0].CaseID), 1)
	// Staff read a case's tasks of every department (the handoff record),
	// but not another department's inbox.
	e.Actor("tess", store.RoleStaff, "technical")
	ofCase := get("tess", "?case_id="+all[0].CaseID+"&status=any")
	require.Len(t, ofCase, 1)
	require.Equal(t, "customer_service", ofCase[0].Department)
	require.Empty(t, get("tess", ""))
	res := e.Do("tess", http.MethodGet, "/api/v1/tasks?department=customer_service", nil, nil)
	require.Equal(t, http.StatusForbidden, res.Code, res.Body.String())
	for i := 1; i < len(all); i++ { // ordered by SLA due
		require.False(t, all[i].SLADue.Before(*all[i-1].SLADue))
	}
}

func TestCancelAndEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	e.Actor("ann", store.RoleStaff, "customer_service")
	c := e.StartCase()

	res := e.Do("owner", http.MethodPost, "/api/v1/cases/"+c.ID+"/cancel", nil, nil)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.JSONEq(t, `{"id":"`+c.ID+`","status":"cancelling"}`, res.Body.String())
	require.Equal(t, []string{c.WorkflowID}, e.eng.Cancels)

	waitFor := func(name string) {
		e.eng.Mu.Lock()
		defer e.eng.Mu.Unlock()
		e.eng.StateHook = func(_ string, st workflows.CaseState) (workflows.CaseState, error) {
			st.WaitingFor, st.Open = name, nil
			return st, nil
		}
	}
	waitFor("customer_reply")
	res = e.Do("ann", http.MethodPost, "/api/v1/cases/"+c.ID+"/events", map[string]any{"name": "customer_reply", "data": map[string]any{"text": "hi"}}, nil)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.Equal(t, "customer_reply", e.eng.Signals[0].Name)
	require.Equal(t, "hi", e.eng.Signals[0].Data["text"])
	p := servertest.ProblemOf(t, e.Do("ann", http.MethodPost, "/api/v1/cases/"+c.ID+"/events", map[string]any{"data": map[string]any{}}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "name", p.Errors[0].Field)
	servertest.ProblemOf(t, e.Do("ann", http.MethodPost, "/api/v1/cases/nope/events", map[string]any{"name": "x"}, nil), http.StatusNotFound)

	// engine.Engine errors.
	e.eng.SetErrs(nil, nil, fmt.Errorf("x: %w", engine.ErrCaseNotRunning), fmt.Errorf("x: %w", engine.ErrEngineUnavailable))
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases/"+c.ID+"/cancel", nil, nil), http.StatusConflict)
	waitFor("x")
	res = e.Do("ann", http.MethodPost, "/api/v1/cases/"+c.ID+"/events", map[string]any{"name": "x"}, nil)
	servertest.ProblemOf(t, res, http.StatusServiceUnavailable)
	require.NotEmpty(t, res.Header().Get("Retry-After"))

	// A case whose workflow never started is cancelled in the store.
	e.eng.SetErrs(errors.New("down"), nil, nil, nil)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"}, nil), http.StatusServiceUnavailable)
	pending, err := e.st.ListCases(context.Background(), store.ListCasesParams{Status: store.CaseStarting})
	require.NoError(t, err)
	require.Len(t, pending, 1)
	e.eng.SetErrs(nil, nil, nil, nil)
	res = e.Do("admin", http.MethodPost, "/api/v1/cases/"+pending[0].ID+"/cancel", nil, nil)
	require.Equal(t, http.StatusAccepted, res.Code, res.Body.String())
	require.Contains(t, res.Body.String(), `"cancelled"`)
	got, err := e.st.GetCase(context.Background(), pending[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.CaseCancelled, got.Status)
	require.NoError(t, StartPending(context.Background(), e.st, e.eng))
	require.Equal(t, 1, e.eng.Running()) // the cancelled case was not started
}

func TestCompleteEngineTimeout(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	e := newEnvWithStore(t, base.st, func(c *Config) { c.EngineTimeout = 50 * time.Millisecond })
	c := base.StartCase()
	task := base.OpenTask(c.ID)
	e.eng.Mu.Lock()
	e.eng.BlockComplete = true
	e.eng.Mu.Unlock()
	start := time.Now()
	res := e.Do("admin", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": "recorded", "data": recordData},
		http.Header{apiv1.IdempotencyKeyHeader: {"k"}})
	p := servertest.ProblemOf(t, res, http.StatusServiceUnavailable)
	require.Contains(t, p.Detail, "same Idempotency-Key")
	require.Less(t, time.Since(start), 5*time.Second)
}

func TestCompleteKeyIsScopedToActor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	e.Actor("bob", store.RoleStaff, "customer_service")
	c := e.StartCase()
	task := e.OpenTask(c.ID)
	key := http.Header{apiv1.IdempotencyKeyHeader: {"same"}}
	body := map[string]any{"outcome": "recorded", "data": recordData}
	decodeCompletion(t, e.Do("ann", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", body, key))
	res := e.Do("bob", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", body, key)
	servertest.ProblemOf(t, res, http.StatusConflict)
	require.Empty(t, res.Header().Get(ReplayedHeader))
	e.eng.Mu.Lock()
	defer e.eng.Mu.Unlock()
	require.Len(t, e.eng.Completions, 1)
	require.Equal(t, "complete:"+task.ID+":"+e.actors["ann"].ID+":same", e.eng.Completions[0].CompletionID)
}
