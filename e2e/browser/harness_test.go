// Package browser tests flowlab's web UI in a real headless Chromium (the
// Debian package's binary), driven from Go with chromedp, against one real
// flowlab: an in-process Temporal server (temporaltest), a real worker, the
// SQLite store and the HTTP server on a loopback listener.
//
// Every page a test visits is saved as a PNG under $FLOWLAB_ARTIFACTS
// (default: e2e/browser/artifacts/, ignored by git), named after the test,
// the step and the viewport size; the paths are logged.
//
// Without a Chromium the tests skip, except in CI (CI=true), where they
// fail: CI must run them. $FLOWLAB_CHROMIUM names another binary.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
	"go.temporal.io/server/temporaltest"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/e2e/internal/contract"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/worker"
	"github.com/flowlab/flowlab/workflows"
)

const adminToken = "browser-admin-token-0123456789abcdef"

// The actors the tests sign in as (keys of env.tokens).
const (
	csAgent   = "customer_service"
	techAgent = "technical"
	owner     = "owner"
	improver  = "improver"
	admin     = "admin"
)

// viewport is a browser window size.
type viewport struct {
	Name          string
	Width, Height int64
}

var (
	laptop         = viewport{"laptop", 1366, 768}
	desktop        = viewport{"desktop", 1920, 1080}
	tabletLand     = viewport{"tablet-landscape", 1024, 768}
	tabletPortrait = viewport{"tablet-portrait", 768, 1024}
)

// Time limits: every test and every wait is bounded.
const (
	browserStartLimit = 45 * time.Second
	testLimit         = 90 * time.Second
	pollLimit         = 20 * time.Second
	stepLimit         = 15 * time.Second // one navigation, click or wait
)

// env is one running flowlab and one running browser, shared by the
// subtests of TestBrowser.
type env struct {
	url       string
	tokens    map[string]string // actor key → API token
	names     map[string]string // actor key → display name
	browser   context.Context   // a chromedp context whose browser runs
	artifacts string
	contract  *contract.Checker // the served OpenAPI document
	// st is flowlab's store, for the rows a scenario needs that no route
	// writes (the spans a busy hour leaves).
	st store.Store
}

// chromiumPath finds the browser: $FLOWLAB_CHROMIUM, /usr/bin/chromium
// (Debian's package), or chromium on the PATH.
func chromiumPath() (string, error) {
	if p := os.Getenv("FLOWLAB_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("FLOWLAB_CHROMIUM=%s: %w", p, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		return "", errors.New("no chromium: install Debian's chromium package (apt-get install chromium) or set FLOWLAB_CHROMIUM")
	}
	return p, nil
}

// requireChromium returns the browser's path; without one the test skips
// locally and fails in CI.
func requireChromium(t *testing.T) string {
	t.Helper()
	p, err := chromiumPath()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
	return p
}

// newEnv starts Temporal, a worker, the store, the server and the browser.
func newEnv(t *testing.T, chromium string) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	ts := temporaltest.NewServer(temporaltest.WithT(t))
	c := ts.GetDefaultClient()
	require.NoError(t, searchattr.Ensure(ctx, c, ts.GetDefaultNamespace(), searchattr.Types(workflows.SearchAttributes())))

	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))

	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := worker.New(c, &activities.Activities{Store: st, Logger: logger, HTTPClient: http.DefaultClient}, worker.Options{})
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)

	require.NoError(t, api.SeedBuiltinFlows(ctx, st))
	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: engine.NewTemporal(c), AdminToken: adminToken, Logger: logger, TemporalNamespace: ts.GetDefaultNamespace(),
		// A flowlab dev, as demo --history needs (its scenario runs last).
		Dev: true}})
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)

	e := &env{url: hs.URL, tokens: map[string]string{admin: adminToken}, names: map[string]string{admin: "admin"}, contract: contract.New(hs.URL), st: st}
	for key, req := range map[string]apiv1.CreateTokenRequest{
		csAgent:   {Name: "Agent Cora (customer service)", Role: apiv1.RoleStaff, Departments: []string{"customer_service"}},
		techAgent: {Name: "Agent Theo (technical)", Role: apiv1.RoleStaff, Departments: []string{"technical"}},
		owner:     {Name: "Olive Owner", Role: apiv1.RoleOwner},
		improver:  {Name: "Ivan Improver", Role: apiv1.RoleImprover},
	} {
		out, err := e.client(t, admin).CreateToken(ctx, req)
		require.NoError(t, err)
		require.NotEmpty(t, out.Token)
		e.tokens[key] = out.Token
		e.names[key] = req.Name
	}

	e.artifacts = artifactsDir(t)
	e.browser = startBrowser(t, chromium)
	return e
}

// artifactsDir is $FLOWLAB_ARTIFACTS or ./artifacts (the package's
// directory when go test runs), emptied of this package's earlier
// screenshots.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("FLOWLAB_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err := filepath.Abs(dir)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	old, err := filepath.Glob(filepath.Join(dir, "TestBrowser-*"))
	require.NoError(t, err)
	for _, f := range old {
		require.NoError(t, os.Remove(f))
	}
	return dir
}

// startBrowser starts one headless Chromium for the whole test: a fixed
// window size, no sandbox only when running as root (Chromium refuses to
// start sandboxed as root), and no network but loopback: every request to
// another host goes to a proxy on a closed loopback port (loopback itself
// bypasses proxies), and every host name but 127.0.0.1 resolves to nothing.
func startBrowser(t *testing.T, chromium string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.WindowSize(int(laptop.Width), int(laptop.Height)),
		chromedp.ProxyServer("http://127.0.0.1:9"),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("lang", "en-GB"),
	)
	if os.Geteuid() == 0 {
		opts = append(opts, chromedp.NoSandbox)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	// The first Run binds the browser's life to its context, so it gets no
	// deadline; the start is bounded from outside instead.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(browserCtx) }()
	select {
	case err := <-started:
		require.NoError(t, err, "start %s", chromium)
	case <-time.After(browserStartLimit):
		cancelBrowser()
		t.Fatalf("%s did not start within %s", chromium, browserStartLimit)
	}
	return browserCtx
}

// client is the apiv1.Client of who (an actor key); every answer it
// receives is checked against the served OpenAPI document, so a status the
// operation does not document (a 200 where it answers 201) or a body that
// breaks its schema fails t.
func (e *env) client(t *testing.T, who string) *apiv1.Client {
	return e.contract.Client(e.tokens[who], func(err error) { t.Errorf("%v", err) })
}

// getCase gets a case as the admin.
func (e *env) getCase(t *testing.T, id string) *apiv1.CaseDetail {
	t.Helper()
	c, err := e.client(t, admin).GetCase(t.Context(), apiv1.CaseIDParams{ID: id})
	require.NoError(t, err)
	return c
}

// startCase opens a complaint as the customer service agent.
func (e *env) startCase(t *testing.T, customer string) *apiv1.Case {
	t.Helper()
	c, err := e.client(t, csAgent).CreateCase(t.Context(), apiv1.CreateCaseParams{},
		apiv1.CreateCaseRequest{Flow: "complaint", Customer: customer, Channel: "phone", Attributes: map[string]any{"severity": "primary"}})
	require.NoError(t, err)
	return c
}

// waitOpenTask polls the API until the case has one open task in dept.
func (e *env) waitOpenTask(t *testing.T, caseID, dept string) apiv1.Task {
	t.Helper()
	deadline := time.Now().Add(pollLimit)
	var c *apiv1.CaseDetail
	for time.Now().Before(deadline) {
		c = e.getCase(t, caseID)
		if len(c.Tasks) == 1 && c.Tasks[0].Department == dept && c.Tasks[0].Status == apiv1.TaskOpen {
			return c.Tasks[0]
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("case %s has no open %s task after %s: %+v", caseID, dept, pollLimit, c)
	return apiv1.Task{}
}

// formData fills a task's form the way an agent would.
func formData(tk apiv1.Task) map[string]any {
	d := map[string]any{}
	for _, f := range tk.Form {
		switch f.Type {
		case "number":
			d[f.Name] = 12
		case "bool":
			d[f.Name] = true
		case "enum":
			d[f.Name] = f.Options[0]
		default:
			d[f.Name] = "browser test " + f.Name
		}
	}
	return d
}

// completedTask gets a task as the admin, with its completion's data: the
// step's form fields as the agent sent them (free-form JSON).
func (e *env) completedTask(t *testing.T, id string) (*apiv1.Task, map[string]any) {
	t.Helper()
	tk, err := e.client(t, admin).GetTask(t.Context(), apiv1.TaskIDParams{ID: id})
	require.NoError(t, err)
	var data map[string]any
	require.NoError(t, json.Unmarshal(tk.Data, &data), string(tk.Data))
	return tk, data
}

// claimAndComplete claims the task as its department's agent and completes
// it with its first outcome and its form filled.
func (e *env) claimAndComplete(t *testing.T, tk apiv1.Task) *apiv1.CompleteResponse {
	t.Helper()
	agent := e.client(t, tk.Department)
	_, err := agent.ClaimTask(t.Context(), apiv1.TaskIDParams{ID: tk.ID})
	require.NoError(t, err)
	res, err := agent.CompleteTask(t.Context(), apiv1.CompleteParams{ID: tk.ID}, apiv1.CompleteRequest{Outcome: tk.Outcomes[0], Data: formData(tk)})
	require.NoError(t, err)
	return res
}

// runCaseToEnd works every task of the case through the API with its first
// outcome until the case completes.
func (e *env) runCaseToEnd(t *testing.T, caseID string) {
	t.Helper()
	for steps := 0; ; steps++ {
		require.Less(t, steps, 12, "case %s should end within the flow's steps", caseID)
		var c *apiv1.CaseDetail
		deadline := time.Now().Add(pollLimit)
		for {
			c = e.getCase(t, caseID)
			if len(c.Tasks) == 1 && c.Tasks[0].Status == apiv1.TaskOpen || c.Status == apiv1.CaseCompleted || c.Status == apiv1.CaseFailed || c.Status == apiv1.CaseCancelled {
				break
			}
			require.True(t, time.Now().Before(deadline), "case %s: no open task after %s: %+v", caseID, pollLimit, c)
			time.Sleep(50 * time.Millisecond)
		}
		if c.Status != apiv1.CaseActive && c.Status != apiv1.CaseStarting {
			require.Equal(t, apiv1.CaseCompleted, c.Status, "case %s", caseID)
			return
		}
		if res := e.claimAndComplete(t, c.Tasks[0]); res.CaseStatus == apiv1.CaseCompleted {
			return
		}
	}
}

// session is one signed-in (or not yet signed-in) user in a browser
// context of their own: own cookies, own tab.
type session struct {
	t    *testing.T
	e    *env
	who  string
	ctx  context.Context
	size viewport

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// newSession opens a tab in a new browser context (separate cookies) for
// who, at laptop size. Everything it does is bounded by testLimit.
func (e *env) newSession(t *testing.T, who string) *session {
	t.Helper()
	return e.newSessionWithin(t, who, testLimit)
}

// newSessionWithin is newSession bounded by limit instead of testLimit
// (a walk through many pages at several sizes).
func (e *env) newSessionWithin(t *testing.T, who string, limit time.Duration) *session {
	t.Helper()
	limitCtx, cancelLimit := context.WithTimeout(e.browser, limit)
	ctx, cancelTab := chromedp.NewContext(limitCtx, chromedp.WithNewBrowserContext())
	s := &session{t: t, e: e, who: who, ctx: ctx, size: laptop}
	t.Cleanup(func() {
		cancelTab()
		cancelLimit()
	})
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(laptop.Width, laptop.Height)), "open a tab for %s", who)
	// The page's console: uncaught exceptions and the browser's security
	// messages (a Content-Security-Policy violation) fail the test.
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			s.mu.Lock()
			s.console = append(s.console, m)
			s.mu.Unlock()
		}
	}()
	// Registered after the tab's cleanup, so it runs first.
	t.Cleanup(func() {
		if t.Failed() {
			s.failureEvidence()
		}
		for _, m := range s.consoleProblems() {
			t.Errorf("browser console: %s", m)
		}
	})
	return s
}

// consoleProblems are the page's uncaught exceptions and the browser's
// security errors (a Content-Security-Policy violation) so far; it empties
// the record.
func (s *session) consoleProblems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, m := range s.console {
		if m.IsException() || m.Source == "security" && m.Type == chromedp.ConsoleError ||
			m.Type == chromedp.ConsoleError && strings.Contains(m.Text, "Content Security Policy") {
			out = append(out, fmt.Sprintf("%s: %s at %s:%d", m.Type, m.Text, m.URL, m.Line+1))
		}
	}
	s.console = nil
	return out
}

// failureEvidence saves a screenshot and the HTML of the page the test
// failed on.
func (s *session) failureEvidence() {
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		p := s.artifactPath("FAILED", "png")
		if os.WriteFile(p, png, 0o644) == nil {
			s.t.Logf("screenshot of the failure: %s", p)
		}
	}
	if html, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html"))); err == nil {
		p := s.artifactPath("FAILED", "html")
		if os.WriteFile(p, []byte(html), 0o644) == nil {
			s.t.Logf("HTML of the failure: %s", p)
		}
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
		s.t.Logf("the page was %s", loc)
	}
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func (s *session) artifactPath(step, ext string) string {
	name := unsafeName.ReplaceAllString(strings.ReplaceAll(s.t.Name(), "/", "-")+"-"+step, "_")
	return filepath.Join(s.e.artifacts, name+"."+ext)
}

// step is a context for one step of the session.
func (s *session) step() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, stepLimit)
}

// do runs actions, failing the test on an error.
func (s *session) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	s.t.Helper()
	ctx, cancel := s.step()
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		s.t.Fatalf("%s (as %s): %v", what, s.who, err)
	}
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](s *session, expr string) T {
	s.t.Helper()
	ctx, cancel := s.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		s.t.Fatalf("evaluate %s (as %s): %v", expr, s.who, err)
	}
	return v
}

// open navigates to a path of the server and returns the HTTP status of
// the document (after redirects).
func (s *session) open(path string) int64 {
	s.t.Helper()
	ctx, cancel := s.step()
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(s.e.url+path))
	if err != nil {
		s.t.Fatalf("open %s (as %s): %v", path, s.who, err)
	}
	return resp.Status
}

// submit runs an action that submits a form (a click, a key) and waits for
// the page it leads to; it returns that page's HTTP status.
func (s *session) submit(what string, actions ...chromedp.Action[chromedp.Void]) int64 {
	s.t.Helper()
	ctx, cancel := s.step()
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, actions...)
	if err != nil {
		s.t.Fatalf("%s (as %s): %v", what, s.who, err)
	}
	return resp.Status
}

// path is the current page's path and query.
func (s *session) path() string {
	s.t.Helper()
	loc, err := chromedp.Run(s.ctx, chromedp.Location())
	require.NoError(s.t, err)
	u, err := url.Parse(loc)
	require.NoError(s.t, err)
	return u.RequestURI()
}

// signIn signs in with who's token through the sign-in form and returns
// the status of the page it lands on.
func (s *session) signIn() int64 {
	s.t.Helper()
	s.open("/ui/signin")
	return s.signInHere()
}

// signInHere fills in and sends the sign-in form the page shows.
func (s *session) signInHere() int64 {
	s.t.Helper()
	return s.submit("sign in",
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), s.e.tokens[s.who]),
		chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button[type=submit]`)),
	)
}

// shot saves a full-page screenshot of the current page at the session's
// size and checks that the page does not overflow horizontally and that
// no table cell's text is cut off or spills out of its cell.
func (s *session) shot(step string) {
	s.t.Helper()
	s.noHorizontalOverflow(step)
	s.noCellOverflow(step)
	ctx, cancel := s.step()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(s.t, err, "screenshot %s", step)
	p := s.artifactPath(fmt.Sprintf("%s-%s-%dx%d", step, s.size.Name, s.size.Width, s.size.Height), "png")
	require.NoError(s.t, os.WriteFile(p, png, 0o644))
	s.t.Logf("screenshot: %s", p)
}

// shotAt takes the screenshot at each size, and returns to laptop size.
func (s *session) shotAt(step string, sizes ...viewport) {
	s.t.Helper()
	for _, v := range sizes {
		s.resize(v)
		s.shot(step)
	}
	s.resize(laptop)
}

func (s *session) resize(v viewport) {
	s.t.Helper()
	if s.size == v {
		return
	}
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateLandscape}
	if v.Height > v.Width {
		opts = []chromedp.EmulateViewportOption{chromedp.EmulatePortrait}
	}
	s.do("resize to "+v.Name, chromedp.EmulateViewport(v.Width, v.Height, opts...))
	s.size = v
	// Let the layout settle at the new size.
	_ = eval[bool](s, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
}

// noHorizontalOverflow fails when the page is wider than the window.
func (s *session) noHorizontalOverflow(step string) {
	s.t.Helper()
	if msg := s.horizontalOverflow(); msg != "" {
		s.t.Errorf("%s at %s %dx%d: %s", step, s.size.Name, s.size.Width, s.size.Height, msg)
	}
}

// horizontalOverflow says how the page is wider than the window, or "".
func (s *session) horizontalOverflow() string {
	s.t.Helper()
	var m struct {
		ScrollWidth float64 `json:"scrollWidth"`
		InnerWidth  float64 `json:"innerWidth"`
		Widest      string  `json:"widest"`
	}
	raw := eval[[]byte](s, `(() => {
		const w = window.innerWidth;
		let widest = "";
		for (const el of document.body.querySelectorAll("*")) {
			const r = el.getBoundingClientRect();
			if (r.right > w + 0.5) {
				const cls = typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : "";
				widest = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + cls + " (right edge " + Math.round(r.right) + ")";
				break;
			}
		}
		return {scrollWidth: document.documentElement.scrollWidth, innerWidth: w, widest};
	})()`)
	require.NoError(s.t, json.Unmarshal(raw, &m))
	if m.ScrollWidth <= m.InnerWidth {
		return ""
	}
	return fmt.Sprintf("the page overflows horizontally: scrollWidth %v > innerWidth %v (first element past the edge: %s)",
		m.ScrollWidth, m.InnerWidth, m.Widest)
}

// noCellOverflow fails when a table cell's content is wider than the cell
// or a table is wider than its box (columns cut off or scrolled away).
func (s *session) noCellOverflow(step string) {
	s.t.Helper()
	for _, msg := range s.cellOverflows() {
		s.t.Errorf("%s at %s %dx%d: %s", step, s.size.Name, s.size.Width, s.size.Height, msg)
	}
}

// cellOverflows lists, for every visible table cell (th, td) whose content
// is wider than its box, and for every table wider than the element that
// holds it, what and where. It knows no page's columns: it measures every
// table of the page, so it holds for columns added later.
func (s *session) cellOverflows() []string {
	s.t.Helper()
	raw := eval[[]byte](s, `(() => {
		const out = [];
		const label = (el) => {
			const t = el.closest("table");
			const tid = t && (t.dataset.testid || t.className || "table");
			return tid + " " + el.tagName.toLowerCase() + (el.className ? "." + el.className.trim().split(/\s+/).join(".") : "");
		};
		for (const el of document.querySelectorAll("td, th")) {
			if (el.getClientRects().length === 0 || el.closest(".visually-hidden")) continue;
			// Whole pixels: sub-pixel layout rounds both ways.
			if (el.scrollWidth > el.clientWidth + 1) {
				out.push("cell " + label(el) + " " + JSON.stringify(el.textContent.trim().replace(/\s+/g, " ").slice(0, 60)) +
					" needs " + el.scrollWidth + " px, has " + el.clientWidth);
			}
		}
		for (const t of document.querySelectorAll("table")) {
			const box = t.parentElement;
			if (!box || t.getClientRects().length === 0) continue;
			if (box.scrollWidth > box.clientWidth + 1) {
				out.push("table " + (t.dataset.testid || t.className || "table") + " is " + box.scrollWidth + " px wide in a box of " + box.clientWidth + " px: columns are cut off");
			}
		}
		return out;
	})()`)
	var out []string
	require.NoError(s.t, json.Unmarshal(raw, &out))
	return out
}

// waitJS waits until a JavaScript expression is truthy in the page.
func (s *session) waitJS(what, expr string, within time.Duration) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.ctx, within+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingTimeout(within), chromedp.WithPollingInterval(50*time.Millisecond)))
	if err != nil {
		s.t.Fatalf("%s (as %s), waiting up to %s for %s: %v", what, s.who, within, expr, err)
	}
}

// has reports whether a CSS selector matches an element now.
func (s *session) has(css string) bool {
	s.t.Helper()
	b, err := json.Marshal(css)
	require.NoError(s.t, err)
	return eval[bool](s, "document.querySelector("+string(b)+") !== null")
}

// text is the visible text of the first element a CSS selector matches.
func (s *session) text(css string) string {
	s.t.Helper()
	ctx, cancel := s.step()
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css), chromedp.NodeVisible))
	if err != nil {
		s.t.Fatalf("text of %s (as %s): %v", css, s.who, err)
	}
	return v
}

// Keys for KeyEvent.
const (
	kbTab   = kb.Tab
	kbEnter = kb.Enter
)

// tabTo presses Tab until the element a CSS selector matches has the
// focus, at most max times: the way a keyboard user gets there.
func (s *session) tabTo(css string, max int) {
	s.t.Helper()
	b, err := json.Marshal(css)
	require.NoError(s.t, err)
	focused := "document.activeElement === document.querySelector(" + string(b) + ")"
	for i := 0; i < max; i++ {
		s.do("press Tab", chromedp.KeyEvent(kbTab))
		if eval[bool](s, focused) {
			return
		}
	}
	s.t.Fatalf("%s does not get the focus within %d presses of Tab (focus is on %s)", css, max,
		eval[string](s, `document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : "nothing"`))
}

// waitFor polls a Go condition, bounded.
func (s *session) waitFor(what string, cond func() bool, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			s.t.Fatalf("%s (as %s): not within %s", what, s.who, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// dialogs answers the JavaScript dialogs of a tab (the confirmation before
// a destructive action) as told, and records their messages.
type dialogs struct {
	mu     sync.Mutex
	accept bool
	seen   []string
}

func (d *dialogs) answer(accept bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.accept = accept
}

func (d *dialogs) messages() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// answerDialogs starts answering the tab's dialogs (Cancel until told
// otherwise). A dialog blocks the action that opened it, so the answer
// comes from another goroutine.
func (s *session) answerDialogs() *dialogs {
	d := &dialogs{}
	events := chromedp.Events(s.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			d.mu.Lock()
			d.seen = append(d.seen, ev.Message)
			accept := d.accept
			d.mu.Unlock()
			_, _ = chromedp.Call(s.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: accept})
		}
	}()
	return d
}
