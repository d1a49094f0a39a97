package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine/enginetest"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

const testAdminToken = servertest.AdminToken

// testEnv is the web UI with the API it calls, on a fresh SQLite store
// with the built-in flows and a fake engine (servertest); srv is the UI
// under test, whose internals the tests read, and api the API beside it.
type testEnv struct {
	*servertest.Env
	t      testing.TB
	st     store.Store
	eng    *enginetest.Fake
	srv    *Web
	api    *api.API
	h      http.Handler
	logs   *servertest.SyncBuffer
	tokens map[string]string
	actors map[string]store.Actor
	// sessionsOf are the session secrets sessionFor began, by token.
	sessionsOf *sync.Map
}

// envOption changes the configuration of the API or the UI under test.
type envOption func(*api.Config, *Config)

func newEnv(t testing.TB, opts ...envOption) *testEnv {
	t.Helper()
	return newEnvOn(t, nil, true, opts...)
}

func newEnvWithStore(t testing.TB, st store.Store, opts ...envOption) *testEnv {
	t.Helper()
	return newEnvOn(t, st, false, opts...)
}

// newEnvOn assembles the API and the UI as server.Assemble does (which
// this package cannot import) on st (a fresh store when nil), seeding the
// built-in flows when seed is set.
func newEnvOn(t testing.TB, st store.Store, seed bool, opts ...envOption) *testEnv {
	t.Helper()
	var (
		a   *api.API
		srv *Web
	)
	build := func(t testing.TB, st store.Store, eng *enginetest.Fake, log *slog.Logger) http.Handler {
		if seed {
			require.NoError(t, api.SeedBuiltinFlows(context.Background(), st))
		}
		acfg := api.Config{Store: st, Engine: eng, AdminToken: testAdminToken, Logger: log,
			TemporalUIURL: "http://temporal.local:8233/", RatePerSecond: -1}
		var wcfg Config
		for _, o := range opts {
			o(&acfg, &wcfg)
		}
		var err error
		a, err = api.New(acfg)
		require.NoError(t, err)
		c := a.Config()
		wcfg.API, wcfg.Sessions, wcfg.Log, wcfg.Now, wcfg.Limiter = a.InProcess(), a.WebSessions(wcfg.SessionIdle, wcfg.SessionMaxAge), a.Log(), c.Now, a.Limiter()
		wcfg.MaxBodyBytes, wcfg.Channels, wcfg.GraphLimits = c.MaxBodyBytes, c.Channels, c.GraphLimits
		srv, err = New(wcfg)
		require.NoError(t, err)
		r := httpx.NewRouter(a.Log())
		a.Mount(r)
		srv.Mount(r)
		return r
	}
	var env *servertest.Env
	if st == nil {
		env = servertest.New(t, build)
	} else {
		env = servertest.NewWithStore(t, st, build)
	}
	return &testEnv{Env: env, t: t, st: env.Store, eng: env.Engine, srv: srv, api: a, h: env.H, logs: env.Logs,
		tokens: env.Tokens, actors: env.Actors, sessionsOf: &sync.Map{}}
}

// page requests a UI page as the named actor ("" for no session), the way
// a browser on the same origin does; form, when not nil, is posted.
func (e *testEnv) page(as, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.Page(as, method, path, form, nil, e.sessionFor)
}

// sessionFor is a session cookie for tok: the secret of a session begun
// with it (one per token and test environment, kept).
func (e *testEnv) sessionFor(tok string) string {
	e.t.Helper()
	ctx := context.Background()
	if v, ok := e.sessionsOf.Load(tok); ok {
		// A test that moves the clock gets a new session when this one
		// lapsed; one ended otherwise (its token revoked) stays ended.
		var ended *httpx.SessionEnded
		_, _, err := e.srv.cfg.Sessions.Resolve(ctx, v.(string), false)
		if !errors.As(err, &ended) || ended.Reason != httpx.EndedIdle && ended.Reason != httpx.EndedMaxAge {
			return v.(string)
		}
	}
	v, _, err := e.srv.cfg.Sessions.Start(ctx, httpx.SessionStart{Token: tok})
	if errors.Is(err, ErrUnknownToken) {
		return "no-session"
	}
	require.NoError(e.t, err)
	e.sessionsOf.Store(tok, v)
	return v
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
