// Package e2e drives the real HTTP API against a real in-process Temporal
// server (temporaltest), a real worker and the SQLite store.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/server/temporaltest"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/e2e/internal/contract"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/server/apitest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/worker"
	"github.com/flowlab/flowlab/workflows"
)

const adminToken = "e2e-admin-token-0123456789abcdef"

const temporalUI = "http://temporal-ui.e2e:8233"

// env is one running flowlab: Temporal server, worker, store and API.
type env struct {
	t      *testing.T
	url    string
	tokens map[string]string // department -> staff token, plus "admin"
	tc     client.Client     // nil for a flowlab dev process
	st     store.Store       // nil for a flowlab dev process

	// The API's OpenAPI document, fetched once; every response do and
	// e.api's clients receive is validated against it.
	contract *contract.Checker

	// agentFailures counts the simulated agents' refused completions by
	// status and message, reported when a pilot does not end in time.
	agentMu       sync.Mutex
	agentFailures map[string]int

	// restartWorker stops the worker, runs between, and starts another
	// (newEnvWith's worker; nil for a flowlab dev process).
	restartWorker func(between func())
}

// validator is the response validator of the served OpenAPI document,
// which it checks is a valid OpenAPI 3.1 document.
func (e *env) validator() (*apitest.Validator, error) { return e.contract.Validator() }

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvWith(t, envOptions{})
}

// envOptions change what newEnvWith assembles: the API's configuration and
// the worker's activities.
type envOptions struct {
	api        func(*api.Config)
	activities func(*activities.Activities)
}

// newEnvWith is newEnv with options; its worker can be stopped and another
// started (restartWorker).
func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	ctx := context.Background()
	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	require.NoError(t, searchattr.Ensure(ctx, c, ts.GetDefaultNamespace(), searchattr.Types(workflows.SearchAttributes())))

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	startWorker := func() func() {
		acts := &activities.Activities{Store: st, Logger: logger, HTTPClient: http.DefaultClient}
		if o.activities != nil {
			o.activities(acts)
		}
		w := worker.New(c, acts, worker.Options{})
		require.NoError(t, w.Start())
		return w.Stop
	}
	stop := startWorker()
	var mu sync.Mutex
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		stop()
	})

	require.NoError(t, api.SeedBuiltinFlows(ctx, st))
	cfg := api.Config{Store: st, Engine: engine.NewTemporal(c), AdminToken: adminToken, Logger: logger,
		TemporalUIURL: temporalUI, TemporalNamespace: ts.GetDefaultNamespace(),
		// The simulated agents of a department share one token and poll
		// their inbox in tight loops; the per-actor rate limit has tests of
		// its own (server), here it would only pace the simulation.
		RatePerSecond: -1}
	if o.api != nil {
		o.api(&cfg)
	}
	h, err := server.New(server.Config{API: cfg})
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	e := &env{t: t, url: hs.URL, tokens: map[string]string{"admin": adminToken}, tc: c, st: st, contract: contract.New(hs.URL)}
	e.restartWorker = func(between func()) {
		mu.Lock()
		defer mu.Unlock()
		stop()
		if between != nil {
			between()
		}
		stop = startWorker()
	}
	for _, dep := range []string{"customer_service", "technical", "supervisor", "crisis_team"} {
		out, err := e.api("admin").CreateToken(ctx, apiv1.CreateTokenRequest{Name: "agent " + dep, Role: apiv1.RoleStaff, Departments: []string{dep}})
		require.NoError(t, err)
		require.NotEmpty(t, out.Token)
		e.tokens[dep] = out.Token
	}
	return e
}

// api is the apiv1.Client of who (a department or "admin"). Every answer
// it receives is checked against the served OpenAPI document, as do's are:
// a status the operation does not document (a 200 where it answers 201)
// or a body that breaks its schema fails the test.
func (e *env) api(who string) *apiv1.Client {
	return e.contract.Client(e.tokens[who], func(err error) { e.t.Errorf("%v", err) })
}

// quietAPI is the apiv1.Client of who for background goroutines (the
// simulated agents): it checks and reports nothing, so a request racing
// the end of a test cannot fail it.
func (e *env) quietAPI(who string) *apiv1.Client {
	return apiv1.NewClient(e.url, e.tokens[who])
}

// checkResponse checks an answer against the OpenAPI document; Errorf, not
// require: it runs in goroutines too.
func (e *env) checkResponse(req *http.Request, status int, header http.Header, data []byte) {
	if err := e.contract.Check(req, status, header, data); err != nil {
		e.t.Errorf("%v", err)
	}
}

// do sends a request as who (a department or "admin") and returns the
// status and body.
func (e *env) do(who, method, path string, body any, headers ...string) (int, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	e.checkResponse(req, resp.StatusCode, resp.Header, data)
	return resp.StatusCode, data
}

// formData fills a task's form the way an agent would.
func formData(t apiv1.Task) map[string]any {
	d := map[string]any{}
	for _, f := range t.Form {
		switch f.Type {
		case "number":
			d[f.Name] = 120
		case "bool":
			d[f.Name] = true
		case "enum":
			d[f.Name] = f.Options[0]
		default:
			d[f.Name] = "e2e " + f.Name
		}
	}
	return d
}

// complete is the body of a completion with outcome and t's form filled.
func complete(t apiv1.Task, outcome string) apiv1.CompleteRequest {
	return apiv1.CompleteRequest{Outcome: outcome, Data: formData(t)}
}

func (e *env) getCase(id string) *apiv1.CaseDetail {
	e.t.Helper()
	c, err := e.api("admin").GetCase(context.Background(), apiv1.CaseIDParams{ID: id})
	require.NoError(e.t, err)
	return c
}

// startCase starts a case as who.
func (e *env) startCase(who string, req apiv1.CreateCaseRequest) *apiv1.Case {
	e.t.Helper()
	c, err := e.api(who).CreateCase(context.Background(), apiv1.CreateCaseParams{}, req)
	require.NoError(e.t, err)
	return c
}

// waitOpenTask polls until the case has exactly one open task.
func (e *env) waitOpenTask(id string) apiv1.Task {
	e.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c := e.getCase(id)
		if len(c.Tasks) == 1 {
			return c.Tasks[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("case %s has no open task after 20s: %+v", id, e.getCase(id))
	return apiv1.Task{}
}

func TestComplaintV1ThroughTheAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const (
		waitBeforeClaim = 400 * time.Millisecond
		workBeforeDone  = 250 * time.Millisecond
	)

	created := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-1001", Channel: "phone",
		Attributes: map[string]any{"severity": "primary"}})
	require.Equal(t, "complaint", created.Flow)
	require.Equal(t, 1, created.Version, "v1 is the default complaint flow")

	task := e.waitOpenTask(created.ID)
	var departments []string
	concurrencyTested := false
	for steps := 0; ; steps++ {
		require.Less(t, steps, 12, "the case should end within the 5-step flow")
		departments = append(departments, task.Department)
		// Another department may neither claim nor complete it.
		other := "technical"
		if task.Department == "technical" {
			other = "customer_service"
		}
		status, body := e.do(other, http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", map[string]any{})
		require.Equal(t, http.StatusForbidden, status, string(body))
		status, body = e.do(other, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", complete(task, task.Outcomes[0]))
		require.Equal(t, http.StatusForbidden, status, string(body))
		// An outcome the step does not allow is refused.
		status, body = e.do(task.Department, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", complete(task, "no-such-outcome"))
		require.Equal(t, http.StatusUnprocessableEntity, status, string(body))

		time.Sleep(waitBeforeClaim)
		_, err := e.api(task.Department).ClaimTask(ctx, apiv1.TaskIDParams{ID: task.ID})
		require.NoError(t, err)
		time.Sleep(workBeforeDone)

		var res apiv1.CompleteResponse
		body4 := complete(task, task.Outcomes[0])
		if !concurrencyTested && task.Department == "technical" {
			// 20 concurrent completions of one task: exactly one wins.
			concurrencyTested = true
			var (
				wg       sync.WaitGroup
				mu       sync.Mutex
				statuses = map[int]int{}
				winner   []byte
			)
			for i := 0; i < 20; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					st, b := e.do(task.Department, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", body4)
					mu.Lock()
					defer mu.Unlock()
					statuses[st]++
					if st == http.StatusOK {
						winner = b
					}
				}()
			}
			wg.Wait()
			require.Equal(t, map[int]int{http.StatusOK: 1, http.StatusConflict: 19}, statuses)
			require.NoError(t, json.Unmarshal(winner, &res))
		} else {
			r, err := e.api(task.Department).CompleteTask(ctx, apiv1.CompleteParams{ID: task.ID}, body4)
			require.NoError(t, err)
			res = *r
		}
		require.Equal(t, apiv1.TaskCompleted, res.Task.Status)
		// Completing it again is a conflict.
		status, body = e.do(task.Department, http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", body4)
		require.Equal(t, http.StatusConflict, status, string(body))
		if res.CaseStatus == apiv1.CaseCompleted {
			require.Empty(t, res.Next)
			break
		}
		require.Len(t, res.Next, 1, "the next task comes back with the completion")
		next := res.Next[0]
		// The next department's inbox shows the handoff.
		inbox, err := e.api(next.Department).ListTasks(ctx, apiv1.ListTasksParams{Department: next.Department})
		require.NoError(t, err)
		found := false
		for _, it := range inbox.Tasks {
			found = found || it.ID == next.ID
		}
		require.True(t, found, "task %s in the %s inbox", next.ID, next.Department)
		task = next
	}
	require.True(t, concurrencyTested)
	require.Equal(t, []string{"customer_service", "technical", "technical", "customer_service", "customer_service"}, departments)

	c := e.getCase(created.ID)
	require.Equal(t, apiv1.CaseCompleted, c.Status)
	taskSpans := 0
	for _, s := range c.Spans {
		if s.Kind != "task" {
			continue
		}
		taskSpans++
		require.GreaterOrEqual(t, s.WaitSeconds, waitBeforeClaim.Seconds(), "span %s waiting", s.Step)
		require.Less(t, s.WaitSeconds, 10.0, "span %s waiting", s.Step)
		require.GreaterOrEqual(t, s.WorkSeconds, workBeforeDone.Seconds(), "span %s working", s.Step)
		require.Less(t, s.WorkSeconds, 10.0, "span %s working", s.Step)
	}
	require.Equal(t, 5, taskSpans)

	bn, err := e.api("admin").GetFlowBottlenecks(ctx, apiv1.BottlenecksParams{Key: "complaint", Version: 1})
	require.NoError(t, err)
	require.Equal(t, 1, bn.Cases)
	flagged := 0
	share := 0.0
	for _, s := range bn.Steps {
		share += s.Share
		if s.Bottleneck {
			flagged++
		}
		if s.Kind == "task" && s.Cases > 0 {
			require.GreaterOrEqual(t, s.Wait.P50, waitBeforeClaim.Seconds(), "step %s", s.Step)
			require.GreaterOrEqual(t, s.Work.P50, workBeforeDone.Seconds(), "step %s", s.Step)
		}
	}
	require.Equal(t, 1, flagged)
	require.InDelta(t, 1.0, share, 0.001)
}

func TestCancelClosesOpenTask(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-2", Channel: "email", Attributes: map[string]any{}})
	task := e.waitOpenTask(created.ID)

	// Staff may not cancel cases.
	status, body := e.do("customer_service", http.MethodPost, "/api/v1/cases/"+created.ID+"/cancel", map[string]any{})
	require.Equal(t, http.StatusForbidden, status, string(body))
	// 202: e.api's OpenAPI check refuses another success status.
	_, err := e.api("admin").CancelCase(ctx, apiv1.CaseIDParams{ID: created.ID})
	require.NoError(t, err)

	require.Eventually(t, func() bool {
		c := e.getCase(created.ID)
		return c.Status == apiv1.CaseCancelled && len(c.Tasks) == 0
	}, 20*time.Second, 100*time.Millisecond)
	got, err := e.api("admin").GetTask(ctx, apiv1.TaskIDParams{ID: task.ID})
	require.NoError(t, err)
	require.Equal(t, apiv1.TaskCancelled, got.Status)
	status, body = e.do("customer_service", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", complete(task, task.Outcomes[0]))
	require.Equal(t, http.StatusConflict, status, string(body))
}

func TestIdempotentCaseStart(t *testing.T) {
	e := newEnv(t)
	body := apiv1.CreateCaseRequest{Flow: "returns-exchange", Customer: "C-3", Channel: "app", Attributes: map[string]any{"amount": 80}}
	type reply struct {
		status   int
		replayed string
		body     string
	}
	const n = 50
	replies := make([]reply, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			data, err := json.Marshal(body)
			if err != nil {
				replies[i] = reply{body: err.Error()}
				return
			}
			req, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/cases", bytes.NewReader(data))
			if err != nil {
				replies[i] = reply{body: err.Error()}
				return
			}
			req.Header.Set("Authorization", "Bearer "+e.tokens["admin"])
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(apiv1.IdempotencyKeyHeader, "order-77")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				replies[i] = reply{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			replies[i] = reply{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed"), body: string(b)}
		}()
	}
	close(start)
	wg.Wait()
	replayed := 0
	for i, r := range replies {
		require.Equal(t, http.StatusCreated, r.status, "reply %d: %s", i, r.body)
		require.JSONEq(t, replies[0].body, r.body, "reply %d differs from reply 0", i)
		if r.replayed == "true" {
			replayed++
		}
	}
	require.Equal(t, n-1, replayed, "all but the first say they are replays")
	var c apiv1.Case
	require.NoError(t, json.Unmarshal([]byte(replies[0].body), &c))
	list := e.listCases("returns-exchange")
	require.Len(t, list, 1, "one case for one Idempotency-Key")
	require.Equal(t, c.ID, list[0])

	// The same key with another body is refused and changes nothing.
	other := body
	other.Attributes = map[string]any{"amount": 81}
	status, data := e.do("admin", http.MethodPost, "/api/v1/cases", other, apiv1.IdempotencyKeyHeader, "order-77")
	require.Equal(t, http.StatusUnprocessableEntity, status, string(data))
	require.Contains(t, string(data), "Idempotency-Key")
	require.Len(t, e.listCases("returns-exchange"), 1)
}

// listCases returns the ids of the cases of a flow.
func (e *env) listCases(flowKey string) []string {
	e.t.Helper()
	out, err := e.api("admin").ListCases(context.Background(), apiv1.ListCasesParams{Flow: flowKey, Limit: 500})
	require.NoError(e.t, err)
	ids := make([]string, 0, len(out.Cases))
	for _, it := range out.Cases {
		ids = append(ids, it.ID)
	}
	return ids
}

// updateEvents counts the Update events in a case's workflow history; the
// workflow is the one the API names for the case.
func (e *env) updateEvents(caseID string) (accepted, completed int) {
	e.t.Helper()
	wf := e.getCase(caseID).WorkflowID
	require.NotEmpty(e.t, wf)
	it := e.tc.GetWorkflowHistory(context.Background(), wf, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(e.t, err)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			accepted++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED:
			completed++
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_REJECTED:
			e.t.Fatalf("a rejected Update reached the history of case %s", caseID)
		}
	}
	return accepted, completed
}

// Completions the validator refuses (unknown outcome, missing form field)
// leave nothing in the workflow history; a valid one leaves exactly one
// accepted and one completed Update.
func TestRejectedCompletionsLeaveNoHistory(t *testing.T) {
	e := newEnv(t)
	created := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-5", Channel: "chat", Attributes: map[string]any{}})
	task := e.waitOpenTask(created.ID)
	acc0, done0 := e.updateEvents(created.ID)

	status, body := e.do("customer_service", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", complete(task, "no-such-outcome"))
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
	require.Contains(t, string(body), "outcome")
	// Raw: an empty data object (CompleteRequest would leave it out).
	status, body = e.do("customer_service", http.MethodPost, "/api/v1/tasks/"+task.ID+"/complete", map[string]any{"outcome": task.Outcomes[0], "data": map[string]any{}})
	require.Equal(t, http.StatusUnprocessableEntity, status, string(body))
	require.Contains(t, string(body), "required")
	acc, done := e.updateEvents(created.ID)
	require.Equal(t, [2]int{acc0, done0}, [2]int{acc, done}, "rejected Updates must not reach the history")

	_, err := e.api("customer_service").CompleteTask(context.Background(), apiv1.CompleteParams{ID: task.ID}, complete(task, task.Outcomes[0]))
	require.NoError(t, err)
	acc, done = e.updateEvents(created.ID)
	require.Equal(t, [2]int{acc0 + 1, done0 + 1}, [2]int{acc, done})
}

// Workflow ids are <flow key>-<case id>, the API names them and links the
// Temporal UI; responses that break the OpenAPI document fail the tests.
func TestWorkflowIDsAndContract(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	created := e.startCase("admin", apiv1.CreateCaseRequest{Flow: "returns-exchange", Customer: "C-6", Channel: "app", Attributes: map[string]any{"amount": 40}})
	require.Equal(t, "returns-exchange-"+created.ID, created.WorkflowID)
	c := e.getCase(created.ID)
	require.Equal(t, created.WorkflowID, c.WorkflowID)
	require.True(t, strings.HasPrefix(c.Links.TemporalUI, temporalUI+"/namespaces/"), c.Links.TemporalUI)
	require.True(t, strings.HasSuffix(c.Links.TemporalUI, "/workflows/"+c.WorkflowID), c.Links.TemporalUI)
	desc, err := e.tc.DescribeWorkflowExecution(ctx, c.WorkflowID, "")
	require.NoError(t, err, "Temporal knows the workflow by the id the API gives")
	require.Equal(t, c.WorkflowID, desc.GetWorkflowExecutionInfo().GetExecution().GetWorkflowId())

	// Lists page with a cursor; bad parameters are 400 problems (all
	// validated against the document by do and by e.api's clients).
	e.waitOpenTask(created.ID)
	e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "C-7"})
	admin := e.api("admin")
	page, err := admin.ListCases(ctx, apiv1.ListCasesParams{Limit: 1})
	require.NoError(t, err)
	require.Len(t, page.Cases, 1)
	require.NotEmpty(t, page.NextCursor)
	page, err = admin.ListCases(ctx, apiv1.ListCasesParams{Limit: 1, Cursor: page.NextCursor})
	require.NoError(t, err)
	require.Equal(t, created.ID, page.Cases[0].ID)
	require.Empty(t, page.NextCursor)
	for _, q := range []string{"/api/v1/tasks?limit=0", "/api/v1/tasks?cursor=nope", "/api/v1/cases?from=today", "/api/v1/flows?colour=red"} {
		status, body := e.do("admin", http.MethodGet, q, nil)
		require.Equal(t, http.StatusBadRequest, status, "%s: %s", q, body)
	}
	flows, err := admin.ListFlows(ctx, apiv1.ListFlowsParams{})
	require.NoError(t, err)
	require.NotEmpty(t, flows.Flows)

	// The validator does reject a response that breaks the document.
	v, err := e.validator()
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, e.url+"/api/v1/cases/"+created.ID, nil)
	require.NoError(t, err)
	hdr := http.Header{"Content-Type": {"application/json"}}
	require.Error(t, v.CheckResponse(req, http.StatusOK, hdr, []byte(`{"id":"x","surprise":true}`)))
	require.Error(t, v.CheckResponse(req, http.StatusTeapot, hdr, []byte(`{}`)))
	require.NoError(t, v.CheckResponse(req, http.StatusNotFound, http.Header{"Content-Type": {"application/problem+json"}},
		[]byte(`{"type":"https://flowlab.dev/problems/not-found","title":"Not found","status":404}`)))
	// And e.api's clients check every answer with it: a 200 where
	// createCase documents 201 does not pass.
	post, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/cases", nil)
	require.NoError(t, err)
	caseJSON, err := json.Marshal(created)
	require.NoError(t, err)
	require.NoError(t, v.CheckResponse(post, http.StatusCreated, hdr, caseJSON))
	require.Error(t, v.CheckResponse(post, http.StatusOK, hdr, caseJSON))
}

// The README's Temporal CLI query (open complaint cases waiting at the
// technical department) finds exactly the case that waits there.
func TestVisibilityQueryFindsCasesAtADepartment(t *testing.T) {
	e := newEnv(t)
	start := func(customer string) *apiv1.Case {
		return e.startCase("admin", apiv1.CreateCaseRequest{Flow: "complaint", Customer: customer, Channel: "phone"})
	}
	atTech, atCS := start("C-10"), start("C-11")
	task := e.waitOpenTask(atTech.ID)
	_, err := e.api("admin").CompleteTask(context.Background(), apiv1.CompleteParams{ID: task.ID}, complete(task, task.Outcomes[0]))
	require.NoError(t, err)
	e.waitOpenTask(atCS.ID)

	const query = `FlowKey="complaint" AND Department="technical" AND ExecutionStatus="Running"`
	var ids []string
	require.Eventually(t, func() bool {
		resp, err := e.tc.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Query: query})
		require.NoError(t, err)
		ids = ids[:0]
		for _, w := range resp.GetExecutions() {
			ids = append(ids, w.GetExecution().GetWorkflowId())
		}
		return len(ids) == 1
	}, 15*time.Second, 200*time.Millisecond, "visibility lists %v", ids)
	require.Equal(t, []string{"complaint-" + atTech.ID}, ids)
}
