package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine/enginetest"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/web"
)

const testAdminToken = servertest.AdminToken

// testEnv is the API, with the web UI beside it as in a flowlab process,
// on a fresh SQLite store with the built-in flows and a fake engine
// (servertest); srv is the API under test, whose internals the tests read.
type testEnv struct {
	*servertest.Env
	t      testing.TB
	st     store.Store
	eng    *enginetest.Fake
	srv    *API
	h      http.Handler
	logs   *servertest.SyncBuffer
	tokens map[string]string
	actors map[string]store.Actor
}

func newEnv(t testing.TB) *testEnv {
	t.Helper()
	return newEnvSeeded(t, nil, true)
}

func newEnvWithStore(t testing.TB, st store.Store, opts ...func(*Config)) *testEnv {
	t.Helper()
	return newEnvSeeded(t, st, false, opts...)
}

// newEnvSeeded builds the environment on st (a fresh store when nil),
// seeding the built-in flows when seed is set.
func newEnvSeeded(t testing.TB, st store.Store, seed bool, opts ...func(*Config)) *testEnv {
	t.Helper()
	var srv *API
	build := func(t testing.TB, st store.Store, eng *enginetest.Fake, log *slog.Logger) http.Handler {
		if seed {
			require.NoError(t, SeedBuiltinFlows(context.Background(), st))
		}
		cfg := Config{
			Store:         st,
			Engine:        eng,
			AdminToken:    testAdminToken,
			Logger:        log,
			TemporalUIURL: "http://temporal.local:8233/",
			// Tests send bursts as one actor; TestRateLimit turns it on.
			RatePerSecond: -1,
		}
		for _, o := range opts {
			o(&cfg)
		}
		var err error
		srv, err = New(cfg)
		require.NoError(t, err)
		return withWeb(t, srv)
	}
	var env *servertest.Env
	if st == nil {
		env = servertest.New(t, build)
	} else {
		env = servertest.NewWithStore(t, st, build)
	}
	return &testEnv{Env: env, t: t, st: env.Store, eng: env.Engine, srv: srv, h: env.H, logs: env.Logs,
		tokens: env.Tokens, actors: env.Actors}
}

// withWeb serves the API and the web UI on one router, as server.Assemble
// does (which this package cannot import).
func withWeb(t testing.TB, a *API) http.Handler {
	cfg := a.Config()
	w, err := web.New(web.Config{API: a.InProcess(), Sessions: a.WebSessions(0, 0), Log: a.Log(), Now: cfg.Now,
		Limiter: a.Limiter(), MaxBodyBytes: cfg.MaxBodyBytes, Channels: cfg.Channels, GraphLimits: cfg.GraphLimits})
	require.NoError(t, err)
	r := httpx.NewRouter(a.Log())
	a.Mount(r)
	w.Mount(r)
	return r
}

// page requests a web UI page as the named actor, signed in as a browser
// is.
func (e *testEnv) page(as, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.Page(as, method, path, form, nil, nil)
}

func isUIRoute(p string) bool { return servertest.IsUIRoute(p) }

func fptr(v float64) *float64 { return &v }

// in is e reporting to t (a subtest of the scenario e belongs to).
func (e *testEnv) in(t testing.TB) *testEnv {
	c := *e
	c.t = t
	c.Env = e.Env.WithT(t)
	return &c
}

// step runs one step of a scenario as a named subtest (servertest.Step).
func (e *testEnv) step(t *testing.T, name string, fn func(t *testing.T, e *testEnv)) {
	t.Helper()
	servertest.Step(t, name, e.in, fn)
}
