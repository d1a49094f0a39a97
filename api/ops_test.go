package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestRequestIDIsEchoedAndSanitised(t *testing.T) {
	t.Parallel()
	e := newEnv(t)

	// Every answer carries the id it was handled under: successes,
	// problems, and requests no route matches.
	for _, c := range []struct{ as, method, path string }{
		{"admin", http.MethodGet, "/api/v1/flows"},
		{"", http.MethodGet, "/api/v1/flows"},
		{"admin", http.MethodGet, "/nowhere"},
		{"", http.MethodGet, "/healthz"},
	} {
		_, res := e.Send(c.as, c.method, c.path, nil, nil)
		id := res.Header().Get(apiv1.RequestIDHeader)
		require.NotEmpty(t, id, "%s %s", c.method, c.path)
		if res.Code >= 400 {
			require.Equal(t, id, servertest.ProblemOf(t, res, res.Code).RequestID)
		}
	}

	// A well-formed id from the client (or its proxy) is kept, and the
	// audit entry of the change carries it.
	res := e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c"},
		http.Header{apiv1.RequestIDHeader: {"crm-7f3a9c21-0001"}})
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	require.Equal(t, "crm-7f3a9c21-0001", res.Header().Get(apiv1.RequestIDHeader))
	var c apiv1.Case
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &c))
	entries, err := e.st.ListAudit(t.Context(), store.AuditFilter{CaseID: c.ID, Action: "case.create"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "crm-7f3a9c21-0001", entries[0].RequestID)

	// Anything else is replaced: a log line or audit entry cannot be
	// forged through it.
	for _, bad := range []string{"a b", "x\ny", strings.Repeat("a", 129), "<script>", "é"} {
		_, res := e.Send("admin", http.MethodGet, "/api/v1/flows", nil, http.Header{apiv1.RequestIDHeader: {bad}})
		got := res.Header().Get(apiv1.RequestIDHeader)
		require.NotEqual(t, bad, got)
		require.Regexp(t, `^[A-Za-z0-9._:/+=-]{1,128}$`, got)
	}
}

func TestServerErrorsAreLoggedWithTheRequestID(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	e := newEnvWithStore(t, flakyStore{Store: base.st, err: errors.New("disk I/O error")})
	_, res := e.Send("admin", http.MethodGet, "/api/v1/flows", nil, nil)
	p := servertest.ProblemOf(t, res, http.StatusInternalServerError)
	require.Equal(t, res.Header().Get(apiv1.RequestIDHeader), p.RequestID)
	var line string
	for _, l := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(l, `msg="request failed"`) {
			line = l
		}
	}
	require.NotEmpty(t, line, e.logs.String())
	require.Contains(t, line, "level=ERROR")
	require.Contains(t, line, "request_id="+p.RequestID)
	require.Contains(t, line, "disk I/O error")
	require.Equal(t, 1, strings.Count(line, "request_id="), "one request_id per line")
}

// bareEngine hides the fake's CheckEngine: an engine.Engine that cannot be asked.
type bareEngine struct{ engine.Engine }

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("", http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.JSONEq(t, `{"status":"ready","database":"ok","engine":"ok"}`, res.Body.String())

	e.eng.Mu.Lock()
	e.eng.HealthErr = fmt.Errorf("fake: %w", engine.ErrEngineUnavailable)
	e.eng.Mu.Unlock()
	res = e.Do("", http.MethodGet, "/readyz", nil, nil)
	p := servertest.ProblemOf(t, res, http.StatusServiceUnavailable)
	require.Equal(t, "not ready: the workflow engine does not answer", p.Detail)
	require.Equal(t, "5", res.Header().Get("Retry-After"))
	require.Contains(t, e.logs.String(), "fake: workflow engine unavailable")
	// Liveness does not depend on the engine or the database.
	require.Equal(t, http.StatusOK, e.Do("", http.MethodGet, "/healthz", nil, nil).Code)

	bare := newEnvWithStore(t, e.st, func(c *Config) { c.Engine = bareEngine{c.Engine} })
	res = bare.Do("", http.MethodGet, "/readyz", nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.JSONEq(t, `{"status":"ready","database":"ok","engine":"unchecked"}`, res.Body.String())

	// A check that hangs is cut at 2 seconds: readiness answers, 503.
	slow := newEnvWithStore(t, slowPingStore{e.st})
	start := time.Now()
	_, res = slow.Send("", http.MethodGet, "/readyz", nil, nil)
	require.Less(t, time.Since(start), readyTimeout+time.Second)
	require.Equal(t, "not ready: the database does not answer", servertest.ProblemOf(t, res, http.StatusServiceUnavailable).Detail)
}

// slowPingStore's Ping waits for its context.
type slowPingStore struct{ store.Store }

func (s slowPingStore) Ping(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	e := newEnvWithStore(t, base.st, func(c *Config) { c.RatePerSecond, c.RateBurst = 1, 2 })
	clk := servertest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e.srv.limiter.Now = clk.Now
	e.Actor("ann", store.RoleOwner) // the admin's first request
	e.Actor("bob", store.RoleOwner) // its second: the admin's bucket is empty now

	for range 2 {
		require.Equal(t, http.StatusOK, e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	}
	res := e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil)
	p := servertest.ProblemOf(t, res, http.StatusTooManyRequests)
	require.Contains(t, p.Detail, "more than 1 requests per second (bursts of 2)")
	require.Equal(t, "1", res.Header().Get("Retry-After"))
	clk.Add(300 * time.Millisecond)
	res = e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil)
	servertest.ProblemOf(t, res, http.StatusTooManyRequests)
	require.Equal(t, "1", res.Header().Get("Retry-After"), "0.7 s rounds up to 1")
	// Per actor: another actor still gets through, whatever it asks.
	require.Equal(t, http.StatusOK, e.Do("bob", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	// The admin token is an actor like any other.
	require.Equal(t, http.StatusTooManyRequests, e.Do("admin", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	// Public routes have no actor to count.
	for range 5 {
		require.Equal(t, http.StatusOK, e.Do("", http.MethodGet, "/healthz", nil, nil).Code)
	}
	// A second later the bucket holds a token again.
	clk.Add(time.Second)
	require.Equal(t, http.StatusOK, e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	require.Equal(t, http.StatusTooManyRequests, e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil).Code)

	// Unauthenticated requests are refused before they count.
	e.tokens["bogus"] = "flk_bogus"
	for range 3 {
		servertest.ProblemOf(t, e.Do("bogus", http.MethodGet, "/api/v1/flows", nil, nil), http.StatusUnauthorized)
	}
}

func TestRateLimitConfig(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, err := New(Config{Store: e.st, Engine: e.eng, RateBurst: -1})
	require.ErrorContains(t, err, "RateBurst must not be negative")

	// Defaults: 50 per second, bursts of 100.
	srv, err := New(Config{Store: e.st, Engine: e.eng, AdminToken: testAdminToken})
	require.NoError(t, err)
	clk := servertest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	srv.limiter.Now = clk.Now
	h := withWeb(t, srv)
	codes := map[int]int{}
	for range 130 {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/flows?limit=1", nil)
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes[rec.Code]++
	}
	require.Equal(t, map[int]int{http.StatusOK: httpx.DefaultRateBurst, http.StatusTooManyRequests: 30}, codes)
	clk.Add(time.Second)
	for range httpx.DefaultRatePerSecond {
		ok, _ := srv.limiter.Allow(httpx.AdminActorID)
		require.True(t, ok)
	}
	ok, _ := srv.limiter.Allow(httpx.AdminActorID)
	require.False(t, ok, "50 more a second later")

	// Negative disables it.
	srv, err = New(Config{Store: e.st, Engine: e.eng, RatePerSecond: -1})
	require.NoError(t, err)
	require.Nil(t, srv.limiter)
}
