// Package servertest is the test environment of flowlab's HTTP side, like
// storetest for the stores: a fresh SQLite store with its
// migrations, a fake engine (enginetest) that runs flows on the store
// without Temporal, the handler under test, actors with tokens, and
// requests that are checked against the served OpenAPI document.
//
// It builds no handler itself: the caller passes Build (the API's tests
// build the API and the web UI from their own packages, external tests
// pass server.New), so that the API's and the web UI's own tests, which
// see their package's internals, can use it without an import cycle.
package servertest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api/engine/enginetest"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/apitest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

// AdminToken is the admin token Build should configure.
const AdminToken = "test-admin-token-0123456789"

// Build makes the handler under test from the environment's store, fake
// engine and logger (debug level, into Env.Logs).
type Build func(t testing.TB, st store.Store, eng *enginetest.Fake, log *slog.Logger) http.Handler

// Env is one test's server.
type Env struct {
	T      testing.TB
	Store  store.Store
	Engine *enginetest.Fake
	H      http.Handler
	Logs   *SyncBuffer
	// Tokens of the actors created for the test (and "admin"), by name;
	// Actors the actors themselves.
	Tokens map[string]string
	Actors map[string]store.Actor
}

// New is an environment on a fresh, migrated SQLite store.
func New(t testing.TB, build Build) *Env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	return NewWithStore(t, st, build)
}

// NewWithStore is an environment on st (a store wrapped to inject
// failures, say).
func NewWithStore(t testing.TB, st store.Store, build Build) *Env {
	t.Helper()
	eng := enginetest.New(st)
	logs := &SyncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := &Env{T: t, Store: st, Engine: eng, Logs: logs,
		Tokens: map[string]string{"admin": AdminToken}, Actors: map[string]store.Actor{}}
	e.H = build(t, st, eng, log)
	return e
}

// Actor creates an actor through the API and remembers its token.
func (e *Env) Actor(name, role string, departments ...string) string {
	e.T.Helper()
	body := map[string]any{"name": name, "role": role, "departments": departments}
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", body, nil)
	require.Equal(e.T, http.StatusCreated, res.Code, res.Body.String())
	var out apiv1.TokenResponse
	require.NoError(e.T, json.Unmarshal(res.Body.Bytes(), &out))
	e.Tokens[name] = out.Token
	e.Actors[name] = store.Actor{ID: out.Actor.ID, Name: name, Role: role, Departments: departments}
	return out.Token
}

// Do sends a request as the named actor ("" for none) and validates the
// response against the OpenAPI document. body may be a string or []byte
// (sent as is), nil, or a value marshalled as JSON.
func (e *Env) Do(as, method, path string, body any, header http.Header) *httptest.ResponseRecorder {
	e.T.Helper()
	req, rec := e.Send(as, method, path, body, header)
	e.CheckContract(req, rec)
	return rec
}

// Send is Do without the contract check, for responses a test provokes by
// injecting failures the document does not promise.
func (e *Env) Send(as, method, path string, body any, header http.Header) (*http.Request, *httptest.ResponseRecorder) {
	e.T.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(e.T, err)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if as != "" {
		tok, ok := e.Tokens[as]
		require.True(e.T, ok, "no token for %q", as)
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	return req, rec
}

// validators holds the OpenAPI validator of each served document (by its
// hash): building one takes a while, and every test serves the same.
var validators sync.Map

// contract is the validator of the document e.H serves.
func (e *Env) contract() (*apitest.Validator, error) {
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil))
	doc := rec.Body.Bytes()
	key := sha256.Sum256(doc)
	if v, ok := validators.Load(key); ok {
		return v.(*apitest.Validator), nil
	}
	v, err := apitest.New(doc)
	if err != nil {
		return nil, err
	}
	validators.Store(key, v)
	return v, nil
}

// IsUIRoute reports whether a path or route pattern is the web UI's (or
// the root's redirect to it, or the site icon) rather than an API
// operation.
func IsUIRoute(p string) bool {
	return p == "/" || p == "/favicon.ico" || p == "/ui" || strings.HasPrefix(p, "/ui/")
}

// CheckContract validates the answer to a routed API request against the
// OpenAPI document (requests no route matches, the router's 404 and 405,
// and the web UI's pages are not operations of the document).
func (e *Env) CheckContract(req *http.Request, rec *httptest.ResponseRecorder) {
	e.T.Helper()
	routes, ok := e.H.(chi.Routes)
	if !ok || !routes.Match(chi.NewRouteContext(), req.Method, req.URL.Path) || IsUIRoute(req.URL.Path) {
		return
	}
	v, err := e.contract()
	if err != nil {
		e.T.Errorf("OpenAPI document: %v", err)
		return
	}
	if err := v.CheckResponse(req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
		e.T.Errorf("%v", err)
	}
}

// StartCase starts a complaint case as admin.
func (e *Env) StartCase() apiv1.Case {
	e.T.Helper()
	res := e.Do("admin", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "c-1", "channel": "phone", "attributes": map[string]any{"amount": 12}}, nil)
	require.Equal(e.T, http.StatusCreated, res.Code, res.Body.String())
	var c apiv1.Case
	require.NoError(e.T, json.Unmarshal(res.Body.Bytes(), &c))
	return c
}

// OpenTask is the one open task of a case.
func (e *Env) OpenTask(caseID string) store.Task {
	e.T.Helper()
	ts, err := e.Store.ListTasks(context.Background(), store.ListTasksParams{CaseID: caseID, Status: store.TaskOpen})
	require.NoError(e.T, err)
	require.Len(e.T, ts, 1)
	return ts[0]
}

// SessionCookie is the web UI's session cookie name.
const SessionCookie = "flowlab_session"

// SignIn signs the named actor in to the web UI as a browser does (POST
// /ui/signin with their token) and returns the session cookie's value.
func (e *Env) SignIn(as string) string {
	e.T.Helper()
	tok, ok := e.Tokens[as]
	require.True(e.T, ok, "no token for %q", as)
	req := httptest.NewRequest(http.MethodPost, "/ui/signin", strings.NewReader(url.Values{"token": {tok}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	require.Equal(e.T, http.StatusSeeOther, rec.Code, "sign in as %s: %s", as, rec.Body.String())
	for _, c := range rec.Result().Cookies() {
		if c.Name == SessionCookie {
			return c.Value
		}
	}
	e.T.Fatalf("sign in as %s: no session cookie", as)
	return ""
}

// Page requests a web UI page as the named actor ("" for no session), the
// way a browser on the same origin does; form, when not nil, is posted.
// session, when set, gives the session cookie of a token (a test that
// seals its own); by default the actor signs in first.
func (e *Env) Page(as, method, path string, form url.Values, header http.Header, session func(token string) string) *httptest.ResponseRecorder {
	e.T.Helper()
	var req *http.Request
	if form != nil {
		req = httptest.NewRequest(method, path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		req = httptest.NewRequest(method, path, nil)
	}
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if as != "" {
		var v string
		if session != nil {
			tok, ok := e.Tokens[as]
			require.True(e.T, ok, "no token for %q", as)
			v = session(tok)
		} else {
			v = e.SignIn(as)
		}
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: v})
	}
	rec := httptest.NewRecorder()
	e.H.ServeHTTP(rec, req)
	return rec
}

// ProblemOf decodes a problem answer and checks its envelope: the status,
// the media type, no unknown fields, a type under apiv1.ProblemBase, a
// title, the instance and the request id.
func ProblemOf(t testing.TB, res *httptest.ResponseRecorder, status int) apiv1.Problem {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Equal(t, "application/problem+json", res.Header().Get("Content-Type"))
	var p apiv1.Problem
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&p))
	require.Equal(t, status, p.Status)
	require.True(t, strings.HasPrefix(p.Type, apiv1.ProblemBase), p.Type)
	require.NotEmpty(t, p.Title)
	require.NotEmpty(t, p.Instance)
	require.NotEmpty(t, p.RequestID)
	if ra := res.Header().Get("Retry-After"); ra != "" {
		p.RetryAfter, _ = strconv.Atoi(ra)
	}
	return p
}

// SyncBuffer is a log sink safe for concurrent handlers.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WithT is e reporting to t: a scenario's step, run as a subtest, asserts
// on its own t while it shares the scenario's store, engine and actors.
func (e *Env) WithT(t testing.TB) *Env {
	c := *e
	c.T = t
	return &c
}

// Step runs one step of a scenario as a named subtest on the environment
// in(t) gives for it (the scenario's own, reporting to the subtest), so a
// failure names the step; a failed step ends the scenario, since the steps
// after it build on its state.
func Step[E any](t *testing.T, name string, in func(testing.TB) E, fn func(*testing.T, E)) {
	t.Helper()
	if !t.Run(name, func(t *testing.T) { fn(t, in(t)) }) {
		t.FailNow()
	}
}
