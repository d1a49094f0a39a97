package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestHealthz(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("", http.MethodGet, "/healthz", nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.JSONEq(t, `{"status":"ok"}`, res.Body.String())
}

func TestNewValidatesConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	require.ErrorContains(t, err, "Store is required")
	require.ErrorContains(t, err, "Engine is required")
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.tokens["bogus"] = "flk_notarealtoken"
	e.tokens["nonflk"] = "something-else"

	routes := []struct{ method, path string }{
		{http.MethodPost, "/api/v1/tokens"},
		{http.MethodPost, "/api/v1/cases"},
		{http.MethodGet, "/api/v1/cases/x"},
		{http.MethodPost, "/api/v1/cases/x/cancel"},
		{http.MethodPost, "/api/v1/cases/x/events"},
		{http.MethodGet, "/api/v1/tasks"},
		{http.MethodGet, "/api/v1/tasks/x"},
		{http.MethodPost, "/api/v1/tasks/x/claim"},
		{http.MethodPost, "/api/v1/tasks/x/unclaim"},
		{http.MethodPost, "/api/v1/tasks/x/complete"},
		{http.MethodGet, "/api/v1/flows"},
		{http.MethodGet, "/api/v1/flows/complaint"},
		{http.MethodGet, "/api/v1/flows/complaint/bottlenecks"},
	}
	for _, rt := range routes {
		for _, as := range []string{"", "bogus", "nonflk"} {
			t.Run(rt.method+" "+rt.path+" as "+as, func(t *testing.T) {
				res := e.Do(as, rt.method, rt.path, "{}", nil)
				p := servertest.ProblemOf(t, res, http.StatusUnauthorized)
				require.Contains(t, res.Header().Get("WWW-Authenticate"), "Bearer")
				require.NotEmpty(t, p.Detail)
			})
		}
	}

	t.Run("malformed header", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/flows", nil)
		req.Header.Set("Authorization", "Basic Zm9vOmJhcg==")
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		p := servertest.ProblemOf(t, rec, http.StatusUnauthorized)
		require.Contains(t, p.Detail, "Bearer")
	})

	t.Run("expired token", func(t *testing.T) {
		res := e.Do("admin", http.MethodPost, "/api/v1/tokens",
			map[string]any{"name": "short", "role": "owner", "expires_in": "1h"}, nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		var out apiv1.TokenResponse
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		require.NotNil(t, out.ExpiresAt)
		e.tokens["short"] = out.Token
		require.Equal(t, http.StatusOK, e.Do("short", http.MethodGet, "/api/v1/flows", nil, nil).Code)
		_, err := e.st.ActorByTokenHash(context.Background(), httpx.HashToken(out.Token), out.ExpiresAt.Add(1))
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens",
		map[string]any{"name": "Ann", "role": "staff", "departments": []string{"technical"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var out map[string]any
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	tok, _ := out["token"].(string)
	require.True(t, strings.HasPrefix(tok, apiv1.TokenPrefix))
	require.Len(t, tok, len(apiv1.TokenPrefix)+43) // 32 bytes, base64url without padding
	require.Nil(t, out["expires_at"])
	actor := out["actor"].(map[string]any)
	require.Equal(t, "staff", actor["role"])
	require.Equal(t, []any{"technical"}, actor["departments"])

	// The token works and resolves to the actor; only its hash is stored.
	a, err := e.st.ActorByTokenHash(context.Background(), httpx.HashToken(tok), time.Now())
	require.NoError(t, err)
	require.Equal(t, actor["id"], a.ID)

	audit, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	require.NoError(t, err)
	require.NotEmpty(t, audit)
	require.Equal(t, "token.create", audit[len(audit)-1].Action)
	require.NotContains(t, string(audit[len(audit)-1].Details), tok)

	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no name", map[string]any{"role": "owner"}, "name"},
		{"bad role", map[string]any{"name": "x", "role": "boss"}, "role"},
		{"staff without departments", map[string]any{"name": "x", "role": "staff"}, "departments"},
		{"empty department", map[string]any{"name": "x", "role": "owner", "departments": []string{""}}, "departments[0]"},
		{"bad expiry", map[string]any{"name": "x", "role": "owner", "expires_in": "soon"}, "expires_in"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/tokens", c.body, nil), http.StatusUnprocessableEntity)
			require.NotEmpty(t, p.Errors)
			require.Equal(t, c.field, p.Errors[0].Field)
			require.Contains(t, p.Detail, c.field)
		})
	}
}

func TestAuthorization(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	e.Actor("cs", store.RoleStaff, "customer_service")
	e.Actor("tech", store.RoleStaff, "technical")
	c := e.StartCase()
	task := e.OpenTask(c.ID) // record, customer_service

	cases := []struct {
		as, method, path string
		body             any
		want             int
	}{
		{"owner", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "owner"}, http.StatusForbidden},
		{"cs", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "owner"}, http.StatusForbidden},
		{"improver", http.MethodPost, "/api/v1/cases/" + c.ID + "/cancel", nil, http.StatusForbidden},
		{"cs", http.MethodPost, "/api/v1/cases/" + c.ID + "/cancel", nil, http.StatusForbidden},
		{"improver", http.MethodPost, "/api/v1/cases/" + c.ID + "/events", map[string]any{"name": "reply"}, http.StatusForbidden},
		{"tech", http.MethodGet, "/api/v1/tasks?department=customer_service", nil, http.StatusForbidden},
		{"tech", http.MethodPost, "/api/v1/tasks/" + task.ID + "/claim", nil, http.StatusForbidden},
		{"tech", http.MethodPost, "/api/v1/tasks/" + task.ID + "/unclaim", nil, http.StatusForbidden},
		{"tech", http.MethodPost, "/api/v1/tasks/" + task.ID + "/complete", map[string]any{"outcome": "recorded"}, http.StatusForbidden},
		{"owner", http.MethodPost, "/api/v1/tasks/" + task.ID + "/claim", nil, http.StatusForbidden},
		// allowed
		{"improver", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"}, http.StatusCreated},
		{"cs", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"}, http.StatusCreated},
		{"tech", http.MethodGet, "/api/v1/cases/" + c.ID, nil, http.StatusOK},
		{"tech", http.MethodGet, "/api/v1/tasks/" + task.ID, nil, http.StatusOK},
		{"tech", http.MethodGet, "/api/v1/tasks?department=technical", nil, http.StatusOK},
		{"cs", http.MethodPost, "/api/v1/tasks/" + task.ID + "/claim", nil, http.StatusOK},
		{"improver", http.MethodGet, "/api/v1/flows/complaint/bottlenecks", nil, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s %s", c.as, c.method, c.path), func(t *testing.T) {
			res := e.Do(c.as, c.method, c.path, c.body, nil)
			if c.want >= 400 {
				p := servertest.ProblemOf(t, res, c.want)
				require.NotEmpty(t, p.Detail)
				return
			}
			require.Equal(t, c.want, res.Code, res.Body.String())
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct {
		name   string
		body   any
		header http.Header
		status int
		detail []string // substrings of the detail
	}{
		{"unknown field", `{"flow":"complaint","customer":"c","foo":1}`, nil, 400, []string{`body: unknown field "foo"`}},
		{"attributes not an object", `{"flow":"complaint","customer":"c","attributes":"x"}`, nil, 400,
			[]string{"body.attributes: expected object, got string", "line 1", "column"}},
		{"flow not a string", "{\n  \"flow\": 12\n}", nil, 400, []string{"body.flow: expected string, got number", "line 2"}},
		{"syntax error", "{\n\"flow\": complaint}", nil, 400, []string{"body: malformed JSON", "line 2, column 9"}},
		{"truncated", `{"flow":`, nil, 400, []string{"body: truncated JSON"}},
		{"two values", `{"flow":"complaint","customer":"c"} {}`, nil, 400, []string{"body: unexpected data after the JSON value"}},
		{"empty", ``, nil, 400, []string{"body: empty"}},
		{"array", `[]`, nil, 400, []string{"body: expected object, got array"}},
		{"too large", `{"flow":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`, nil, 413, []string{"body: larger than 1048576 bytes"}},
		{"content type", `{}`, http.Header{"Content-Type": {"text/plain"}}, 415, []string{"Content-Type must be application/json"}},
		{"missing fields", `{}`, nil, 422, []string{"flow: is required"}},
		{"idempotency key not ascii", `{"flow":"complaint","customer":"c"}`, http.Header{apiv1.IdempotencyKeyHeader: {"ключ"}}, 400, []string{"Idempotency-Key"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/cases", strings.NewReader(c.body.(string)))
			req.Header.Set("Authorization", "Bearer "+testAdminToken)
			req.Header.Set("Content-Type", "application/json")
			for k, v := range c.header {
				req.Header[k] = v
			}
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			p := servertest.ProblemOf(t, rec, c.status)
			for _, d := range c.detail {
				require.Contains(t, p.Detail, d)
			}
		})
	}
	// Nothing was created by the failed requests.
	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{})
	require.NoError(t, err)
	require.Empty(t, cs)
}

func TestQueryParamErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := []struct{ path, param string }{
		{"/api/v1/tasks?status=done", "status"},
		{"/api/v1/tasks?limit=abc", "limit"},
		{"/api/v1/tasks?limit=0", "limit"},
		{"/api/v1/tasks?limit=1001", "limit"},
		{"/api/v1/tasks?colour=red", "colour"},
		{"/api/v1/tasks?status=open&status=completed", "status"},
		{"/api/v1/flows/complaint?version=x", "version"},
		{"/api/v1/flows/complaint/bottlenecks?version=0", "version"},
		{"/api/v1/flows/complaint/bottlenecks?from=yesterday", "from"},
		{"/api/v1/flows/complaint/bottlenecks?to=2025-13-01T00:00:00Z", "to"},
		{"/api/v1/flows/complaint/bottlenecks?from=2025-02-01T00:00:00Z&to=2025-01-01T00:00:00Z", "to"},
		{"/api/v1/flows/complaint/bottlenecks?step=x", "step"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, c.path, nil, nil), http.StatusBadRequest)
			require.Contains(t, p.Detail, `query parameter "`+c.param+`"`)
			require.Len(t, p.Errors, 1)
			require.Equal(t, c.param, p.Errors[0].Field)
		})
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, path := range []string{"/api/v1/cases/nope", "/api/v1/tasks/nope", "/api/v1/flows/nope", "/api/v1/flows/complaint?version=99", "/api/v1/flows/nope/bottlenecks", "/api/v1/nothing"} {
		t.Run(path, func(t *testing.T) {
			servertest.ProblemOf(t, e.Do("admin", http.MethodGet, path, nil, nil), http.StatusNotFound)
		})
	}
	t.Run("unknown flow on create", func(t *testing.T) {
		p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "nope", "customer": "c"}, nil), http.StatusNotFound)
		require.Contains(t, p.Detail, `flow "nope" not found`)
	})
	t.Run("method not allowed", func(t *testing.T) {
		servertest.ProblemOf(t, e.Do("admin", http.MethodDelete, "/api/v1/flows", nil, nil), http.StatusMethodNotAllowed)
	})
}

func TestCreateCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "c-9", "channel": "wechat", "attributes": map[string]any{"severity": "primary"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var c apiv1.Case
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &c))
	require.Equal(t, "complaint", c.Flow)
	require.Equal(t, 1, c.Version) // the default version
	require.Equal(t, store.CaseActive, c.Status)
	require.Equal(t, "complaint-"+c.ID, c.WorkflowID, "workflow ids are <flow key>-<case id>")
	require.JSONEq(t, `{"severity":"primary"}`, string(c.Attributes))

	// The engine got the stored definition and the case's data.
	e.eng.Mu.Lock()
	fc := e.eng.Cases[c.WorkflowID]
	e.eng.Mu.Unlock()
	require.NotNil(t, fc)
	require.Equal(t, c.ID, fc.In.CaseID)
	require.Equal(t, "complaint", fc.In.Definition.Key)
	require.Equal(t, 1, fc.In.Definition.Version)
	require.NotEmpty(t, fc.In.Definition.Steps)
	require.Equal(t, "wechat", fc.In.Channel)
	require.Equal(t, "primary", fc.In.Attributes["severity"])

	// GET shows the open task, no spans yet, and the Temporal UI link.
	res = e.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var d struct {
		apiv1.Case
		Tasks []apiv1.Task      `json:"tasks"`
		Spans []apiv1.Span      `json:"spans"`
		Links map[string]string `json:"links"`
	}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.Len(t, d.Tasks, 1)
	require.Equal(t, "record", d.Tasks[0].Step)
	require.Empty(t, d.Spans)
	require.Equal(t, c.WorkflowID, d.WorkflowID)
	require.Equal(t, "http://temporal.local:8233/namespaces/default/workflows/complaint-"+c.ID, d.Links["temporal_ui"])

	// Without a Temporal UI there is no link; another namespace shows in it.
	plain := newEnvWithStore(t, e.st, func(c *Config) { c.TemporalUIURL = "" })
	res = plain.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	d.Links = nil
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.NotContains(t, d.Links, "temporal_ui")
	require.Equal(t, "complaint-"+c.ID, d.WorkflowID)
	prod := newEnvWithStore(t, e.st, func(c *Config) { c.TemporalUIURL = "https://ui.example/"; c.TemporalNamespace = "prod" })
	res = prod.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.Equal(t, "https://ui.example/namespaces/prod/workflows/complaint-"+c.ID, d.Links["temporal_ui"])
}

func TestCreateCaseIdempotency(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := map[string]any{"flow": "complaint", "customer": "c-1", "attributes": map[string]any{"a": 1, "b": 2}}
	key := http.Header{apiv1.IdempotencyKeyHeader: {"key-1"}}

	first := e.Do("admin", http.MethodPost, "/api/v1/cases", body, key)
	require.Equal(t, http.StatusCreated, first.Code, first.Body.String())
	require.Empty(t, first.Header().Get(ReplayedHeader))

	// Same body, keys in another order: the same case.
	again := e.Do("admin", http.MethodPost, "/api/v1/cases", `{"attributes":{"b":2,"a":1},"customer":"c-1","flow":"complaint"}`, key)
	require.Equal(t, http.StatusCreated, again.Code, again.Body.String())
	require.Equal(t, "true", again.Header().Get(ReplayedHeader))
	require.Equal(t, first.Body.String(), again.Body.String(), "a replay answers byte for byte the same")
	var c1, c2 apiv1.Case
	require.NoError(t, json.Unmarshal(first.Body.Bytes(), &c1))
	require.NoError(t, json.Unmarshal(again.Body.Bytes(), &c2))
	require.Equal(t, c1.ID, c2.ID)

	// Another body under the same key.
	body["customer"] = "c-2"
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", body, key), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, "Idempotency-Key")

	// Keys are scoped to the actor: another actor's request under the same
	// key, same body or not, is a request of its own (a new case), and its
	// retry replays its own case, never the first actor's.
	e.Actor("owner", store.RoleOwner)
	body["customer"] = "c-1"
	other := e.Do("owner", http.MethodPost, "/api/v1/cases", body, key)
	require.Equal(t, http.StatusCreated, other.Code, other.Body.String())
	require.Empty(t, other.Header().Get(ReplayedHeader))
	var c3 apiv1.Case
	require.NoError(t, json.Unmarshal(other.Body.Bytes(), &c3))
	require.NotEqual(t, c1.ID, c3.ID)
	otherAgain := e.Do("owner", http.MethodPost, "/api/v1/cases", body, key)
	require.Equal(t, "true", otherAgain.Header().Get(ReplayedHeader))
	require.Equal(t, other.Body.String(), otherAgain.Body.String())
	body["customer"] = "c-3"
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/cases", body, key), http.StatusUnprocessableEntity)

	require.Equal(t, 2, e.eng.Running())
	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{})
	require.NoError(t, err)
	require.Len(t, cs, 2)
}

func TestCreateCaseConcurrentSameKey(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const n = 50
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ids   = map[string]int{}
		codes = map[int]int{}
	)
	body := `{"flow":"complaint","customer":"c-1","attributes":{"x":true}}`
	for range n {
		wg.Go(func() {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/cases", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+testAdminToken)
			req.Header.Set(apiv1.IdempotencyKeyHeader, "same-key")
			rec := httptest.NewRecorder()
			e.h.ServeHTTP(rec, req)
			var c apiv1.Case
			_ = json.Unmarshal(rec.Body.Bytes(), &c)
			mu.Lock()
			defer mu.Unlock()
			codes[rec.Code]++
			ids[c.ID]++
		})
	}
	wg.Wait()
	require.Equal(t, map[int]int{http.StatusCreated: n}, codes, "replays answer like the first")
	require.Len(t, ids, 1)
	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, store.CaseActive, cs[0].Status)
	require.Equal(t, 1, e.eng.Running())
}

func TestCreateCaseStartFailure(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.eng.SetErrs(fmt.Errorf("engine: start: %w: dial tcp 10.0.0.7:7233: connection refused", engine.ErrEngineUnavailable), nil, nil, nil)
	key := http.Header{apiv1.IdempotencyKeyHeader: {"retry-me"}}
	body := map[string]any{"flow": "complaint", "customer": "c"}
	res := e.Do("admin", http.MethodPost, "/api/v1/cases", body, key)
	p := servertest.ProblemOf(t, res, http.StatusServiceUnavailable)
	require.Equal(t, "5", res.Header().Get("Retry-After"))
	require.NotContains(t, res.Body.String(), "10.0.0.7")
	require.Contains(t, e.logs.String(), "10.0.0.7")
	require.Contains(t, e.logs.String(), p.RequestID)

	cs, err := e.st.ListCases(context.Background(), store.ListCasesParams{})
	require.NoError(t, err)
	require.Len(t, cs, 1)
	require.Equal(t, store.CaseStarting, cs[0].Status)

	// A retry with the same key starts the stored case.
	e.eng.SetErrs(nil, nil, nil, nil)
	res = e.Do("admin", http.MethodPost, "/api/v1/cases", body, key)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.Equal(t, "true", res.Header().Get(ReplayedHeader))
	var c apiv1.Case
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &c))
	require.Equal(t, cs[0].ID, c.ID)
	require.Equal(t, store.CaseActive, c.Status)
	require.Equal(t, 1, e.eng.Running())
}

func TestStartPending(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.eng.SetErrs(errors.New("boom"), nil, nil, nil)
	for range 3 {
		servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"}, nil), http.StatusServiceUnavailable)
	}
	ctx := context.Background()
	require.ErrorContains(t, StartPending(ctx, e.st, e.eng), "boom")
	e.eng.SetErrs(nil, nil, nil, nil)
	require.NoError(t, StartPending(ctx, e.st, e.eng))
	cs, err := e.st.ListCases(ctx, store.ListCasesParams{Status: store.CaseStarting})
	require.NoError(t, err)
	require.Empty(t, cs)
	require.Equal(t, 3, e.eng.Running())
	// Nothing left to do.
	require.NoError(t, StartPending(ctx, e.st, e.eng))
	require.Equal(t, 3, e.eng.Running())

	// A case whose request stored it and went away before its workflow
	// started: the reconciler starts it once it is older than the cut-off,
	// and leaves a younger one to the request that may still be under way.
	e.eng.SetErrs(errors.New("client gone"), nil, nil, nil)
	servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "d"}, nil), http.StatusServiceUnavailable)
	e.eng.SetErrs(nil, nil, nil, nil)
	n, err := StartStalledCases(ctx, e.st, e.eng, time.Now().Add(-time.Minute))
	require.NoError(t, err)
	require.Zero(t, n, "too young: its request may still start it")
	require.Equal(t, 3, e.eng.Running())
	n, err = StartStalledCases(ctx, e.st, e.eng, time.Now().Add(time.Second))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.Equal(t, 4, e.eng.Running())
	cs, err = e.st.ListCases(ctx, store.ListCasesParams{Status: store.CaseStarting})
	require.NoError(t, err)
	require.Empty(t, cs)
}

func TestListCases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	first := e.StartCase()
	second := e.StartCase()
	var out struct {
		Cases []apiv1.Case `json:"cases"`
	}
	res := e.Do("ann", http.MethodGet, "/api/v1/cases?flow=complaint&status=active", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Cases, 2)
	ids := []string{out.Cases[0].ID, out.Cases[1].ID}
	require.ElementsMatch(t, []string{first.ID, second.ID}, ids)
	res = e.Do("ann", http.MethodGet, "/api/v1/cases?status=completed", nil, nil)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Empty(t, out.Cases)
	res = e.Do("ann", http.MethodGet, "/api/v1/cases?limit=1", nil, nil)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Cases, 1)
	for _, q := range []string{"status=open", "limit=501", "sort=id"} {
		servertest.ProblemOf(t, e.Do("ann", http.MethodGet, "/api/v1/cases?"+q, nil, nil), http.StatusBadRequest)
	}
}

func TestRecovererWritesProblem(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	log := slog.New(httpx.RequestIDLogHandler{Handler: slog.NewTextHandler(e.logs, nil)})
	h := middleware.RequestID(httpx.Recoverer(log)(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state")
	})))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/x", nil))
	p := servertest.ProblemOf(t, rec, http.StatusInternalServerError)
	require.NotContains(t, rec.Body.String(), "secret")
	require.Contains(t, e.logs.String(), "secret internal state")
	require.Contains(t, e.logs.String(), p.RequestID)
}

// A request whose client went away is answered 499 and logged at info, not
// as a 500 server error.
func TestClientGoneIsNotAServerError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/api/v1/tasks/x/complete", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	httpx.WriteProblem(e.srv.log, rec, r, httpx.Internal(fmt.Errorf("complete: %w", context.Canceled)))
	require.Equal(t, httpx.StatusClientClosedRequest, rec.Code)
	require.NotContains(t, e.logs.String(), "level=ERROR")
	// A live client still gets the 500.
	rec = httptest.NewRecorder()
	httpx.WriteProblem(e.srv.log, rec, httptest.NewRequest(http.MethodPost, "/api/v1/tasks/x/complete", nil), httpx.Internal(errors.New("boom")))
	require.Equal(t, http.StatusInternalServerError, rec.Code)
	require.Contains(t, e.logs.String(), "level=ERROR")
}
