package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine/enginetest"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// newEnv is the assembled server (API and web UI) on a fresh store with
// the built-in flows and a fake engine; cfg may change its configuration.
func newEnv(t *testing.T, st store.Store, cfg func(*Config)) *servertest.Env {
	t.Helper()
	build := func(t testing.TB, st store.Store, eng *enginetest.Fake, log *slog.Logger) http.Handler {
		require.NoError(t, api.SeedBuiltinFlows(context.Background(), st))
		c := Config{API: api.Config{Store: st, Engine: eng, AdminToken: servertest.AdminToken, Logger: log, RatePerSecond: -1}}
		if cfg != nil {
			cfg(&c)
		}
		h, err := New(c)
		require.NoError(t, err)
		return h
	}
	if st != nil {
		return servertest.NewWithStore(t, st, build)
	}
	return servertest.New(t, build)
}

// failingStore fails the flow list as a database that lost its disk does.
type failingStore struct {
	store.Store
}

func (failingStore) ListFlows(context.Context) ([]store.FlowSummary, error) {
	return nil, errors.New("disk I/O error")
}

// Every request leaves an access log line with its route pattern, status
// and request id.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	base := newEnv(t, nil, nil)
	e := newEnv(t, failingStore{Store: base.Store}, nil)
	_, res := e.Send("admin", http.MethodGet, "/api/v1/flows", nil, nil)
	p := servertest.ProblemOf(t, res, http.StatusInternalServerError)
	require.Equal(t, res.Header().Get(apiv1.RequestIDHeader), p.RequestID)
	var line string
	for _, l := range strings.Split(e.Logs.String(), "\n") {
		if strings.Contains(l, "msg=request ") {
			line = l
		}
	}
	require.Contains(t, line, `msg=request method=GET route=/api/v1/flows path=/api/v1/flows status=500`)
	require.Contains(t, line, "request_id="+p.RequestID)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	m := obs.New()
	e := newEnv(t, nil, func(c *Config) { c.API.Metrics = m })
	e.Actor("ann", store.RoleStaff, "customer_service")
	c := e.StartCase()
	require.Equal(t, http.StatusOK, e.Do("ann", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil).Code)
	require.Equal(t, http.StatusOK, e.Do("ann", http.MethodGet, "/api/v1/cases/"+c.ID, nil, nil).Code)
	require.Equal(t, http.StatusNotFound, e.Do("ann", http.MethodGet, "/api/v1/cases/nope", nil, nil).Code)
	_, res := e.Send("ann", http.MethodGet, "/no/such/"+c.ID, nil, nil)
	require.Equal(t, http.StatusNotFound, res.Code)
	_, res = e.Send("ann", "BREW", "/api/v1/cases", nil, nil)
	require.Equal(t, http.StatusMethodNotAllowed, res.Code)

	// Served without a token, in the Prometheus text format.
	res = e.Do("", http.MethodGet, "/metrics", nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.True(t, strings.HasPrefix(res.Header().Get("Content-Type"), "text/plain"), res.Header().Get("Content-Type"))
	body := res.Body.String()

	count := func(route, method, code string) int {
		t.Helper()
		prefix := fmt.Sprintf(`flowlab_http_request_duration_seconds_count{code=%q,method=%q,route=%q} `, code, method, route)
		for _, l := range strings.Split(body, "\n") {
			if v, ok := strings.CutPrefix(l, prefix); ok {
				n, err := strconv.Atoi(v)
				require.NoError(t, err, l)
				return n
			}
		}
		return 0
	}
	require.Equal(t, 2, count("/api/v1/cases/{id}", "GET", "200"))
	require.Equal(t, 1, count("/api/v1/cases/{id}", "GET", "404"))
	require.Equal(t, 1, count("/api/v1/cases", "POST", "201"))
	require.Equal(t, 1, count(unmatchedRoute, "GET", "404"))
	require.Equal(t, 1, count(unmatchedRoute, "other", "405"))
	// No id, customer or raw path becomes a label.
	require.NotContains(t, body, c.ID)
	require.NotContains(t, body, "c-1")
	require.NotContains(t, body, "/no/such")
	require.NotContains(t, body, "BREW")
	// The registry is the one passed in, so cmd can add the worker's and
	// the SDK's collectors to the same page.
	mfs, err := m.Registry.Gather()
	require.NoError(t, err)
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	require.Contains(t, names, "flowlab_http_request_duration_seconds")
	require.Contains(t, body, "go_goroutines")
}
