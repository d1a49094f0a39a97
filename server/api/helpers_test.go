package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/api/engine/enginetest"
	"github.com/flowlab/flowlab/server/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/server/web"
	"github.com/flowlab/flowlab/store"
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
	w, err := web.New(web.Config{API: a.InProcess(), Resolve: a.ResolveSession, Log: a.Log(), Now: cfg.Now,
		Limiter: a.Limiter(), MaxBodyBytes: cfg.MaxBodyBytes, Channels: cfg.Channels, GraphLimits: cfg.GraphLimits})
	require.NoError(t, err)
	r := httpx.NewRouter(a.Log())
	a.Mount(r)
	w.Mount(r)
	return r
}

func (e *testEnv) actor(name, role string, departments ...string) string {
	e.t.Helper()
	return e.Actor(name, role, departments...)
}

func (e *testEnv) do(as, method, path string, body any, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.Do(as, method, path, body, header)
}

func (e *testEnv) send(as, method, path string, body any, header http.Header) (*http.Request, *httptest.ResponseRecorder) {
	e.t.Helper()
	return e.Send(as, method, path, body, header)
}

func (e *testEnv) startCase() apiv1.Case {
	e.t.Helper()
	return e.StartCase()
}

func (e *testEnv) openTask(caseID string) store.Task {
	e.t.Helper()
	return e.OpenTask(caseID)
}

// page requests a web UI page as the named actor, signed in as a browser
// is.
func (e *testEnv) page(as, method, path string, form url.Values) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.Page(as, method, path, form, nil, nil)
}

func problemOf(t testing.TB, res *httptest.ResponseRecorder, status int) apiv1.Problem {
	t.Helper()
	return servertest.ProblemOf(t, res, status)
}

func isUIRoute(p string) bool { return servertest.IsUIRoute(p) }

func (e *testEnv) checkContract(req *http.Request, rec *httptest.ResponseRecorder) {
	e.t.Helper()
	e.CheckContract(req, rec)
}

// Scenario steps shared with the other room's tests live in servertest.

func decodeStrict[T any](t testing.TB, res *httptest.ResponseRecorder, status int) T {
	t.Helper()
	return servertest.DecodeStrict[T](t, res, status)
}

func fptr(v float64) *float64 { return &v }

func validationOf(t testing.TB, res *httptest.ResponseRecorder) apiv1.Validate {
	t.Helper()
	return servertest.ValidationOf(t, res)
}

func recordGraphSpans(t testing.TB, st store.Store) {
	t.Helper()
	servertest.RecordGraphSpans(t, st)
}

func graphWindow() url.Values { return servertest.GraphWindow() }

var graphBase = servertest.GraphBase

func hugeFlowYAML(key string, n int) string { return servertest.HugeFlowYAML(key, n) }

func trendCases() []servertest.SeedCase { return servertest.TrendCases() }

type clock = servertest.Clock

func (e *testEnv) propose(as, title string, anonymous bool) apiv1.Proposal {
	e.t.Helper()
	return e.Propose(as, title, anonymous)
}

func (e *testEnv) adopt(id, flowKey, metric string) apiv1.Adoption {
	e.t.Helper()
	return e.Adopt(id, flowKey, metric)
}

func (e *testEnv) createCase(customer string) apiv1.Case {
	e.t.Helper()
	return e.CreateCase(customer)
}

func (e *testEnv) finishCase(caseID string) {
	e.t.Helper()
	e.FinishCase(caseID)
}

func (e *testEnv) setAttrs(caseID string, attrs map[string]any) {
	e.t.Helper()
	e.SetAttrs(caseID, attrs)
}

func (e *testEnv) completePlan(caseID, outcome string, target float64) {
	e.t.Helper()
	e.CompletePlan(caseID, outcome, target)
}

func (e *testEnv) improvementKPIs() apiv1.ImprovementKPIs {
	e.t.Helper()
	return e.ImprovementKPIs()
}

func (e *testEnv) sendRaw(as, method, path, ct string, body []byte, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.SendRaw(as, method, path, ct, body, header)
}

func (e *testEnv) completeRecord(caseID string) {
	e.t.Helper()
	e.CompleteRecord(caseID)
}

func (e *testEnv) seedCases(cs ...servertest.SeedCase) {
	e.t.Helper()
	e.SeedCases(cs...)
}

func (e *testEnv) startPilot(body map[string]any) apiv1.Pilot {
	e.t.Helper()
	return e.StartPilot(body)
}
