package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The web UI (ADR 0014) is served by the same process under /ui: HTML pages
// rendered on the server from html/template, a stylesheet and one small
// script, all embedded. Pages read and change data only through the JSON
// API, called in process as the signed-in actor (callAPI), so the UI can
// show and do exactly what the API allows that actor, and every change is
// validated and audited by the same code as an API request.

// UIPath is where the web UI is served.
const UIPath = "/ui"

// sessionCookie holds the secret of the signed-in actor's session, kept
// on the server (session.go; HttpOnly, SameSite=Strict, Secure behind
// TLS); the session, and the token it began with, are checked on every
// request, so ending the session or revoking the token ends it at once.
const sessionCookie = "flowlab_session"

//go:embed ui/templates ui/static
var assets embed.FS

// pageRoute is one page or form action of the web UI. allPages is the table the
// router is built from; the page tests walk it.
type pageRoute struct {
	Method  string
	Pattern string // below /ui
	// Roles, when set, are the only roles the page is for (others get a
	// 403 page); the API still checks everything the page does.
	Roles []string
	// Public pages need no session (sign-in).
	Public bool
	Handle func(*Web, http.ResponseWriter, *http.Request) error
}

// allPages is every page of the UI: each area keeps its own table in its
// own file (staff.go, owner.go, owner_logs.go, improve.go).
var allPages = slices.Concat(corePages, staffPages, assignPages, peoplePages, tokenPages, ownerPages, logPages, logComparePages, improvePages, alertPages, watchPages, reportPages, simulationPages)

var corePages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/signin", Public: true, Handle: (*Web).signInPage},
	{Method: http.MethodPost, Pattern: "/signin", Public: true, Handle: (*Web).signIn},
	{Method: http.MethodPost, Pattern: "/signout", Public: true, Handle: (*Web).signOut},
	{Method: http.MethodGet, Pattern: "/signin/oidc", Public: true, Handle: (*Web).oidcStart},
	{Method: http.MethodGet, Pattern: "/signin/callback", Public: true, Handle: (*Web).oidcCallback},
	{Method: http.MethodGet, Pattern: "/", Handle: (*Web).home},
}

// templateSet are the parsed pages: each page file (ui/templates/*.html,
// defining "content" and optionally "head") together with the layout and
// the shared partials (ui/templates/partials/*.html).
type templateSet struct {
	pages  map[string]*template.Template
	static map[string]string // file name → content hash, for cache-busting URLs
}

func loadUITemplates() (*templateSet, error) {
	t := &templateSet{pages: map[string]*template.Template{}, static: map[string]string{}}
	statics, err := fs.Sub(assets, "ui/static")
	if err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	if err := fs.WalkDir(statics, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(statics, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		t.static[p] = hex.EncodeToString(sum[:6])
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ui: static files: %w", err)
	}
	funcs := templateFuncs(t)
	base, err := template.New("layout").Funcs(funcs).ParseFS(assets, "ui/templates/partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	files, err := fs.Glob(assets, "ui/templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		clone, err := base.Clone()
		if err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		if _, err := clone.ParseFS(assets, f); err != nil {
			return nil, fmt.Errorf("ui: template %s: %w", name, err)
		}
		t.pages[name] = clone
	}
	return t, nil
}

// staticURL is the URL of an embedded static file with its content hash,
// so browsers may cache it for ever.
func (t *templateSet) staticURL(name string) string {
	return UIPath + "/static/" + name + "?v=" + t.static[name]
}

// navItem is one entry of the navigation bar.
type navItem struct {
	Label, Href, Key string
}

// faviconPath is where browsers look for a site's icon; the icon is the
// UI's static favicon.ico (a 32×32 PNG in an ICO container).
const faviconPath = "/favicon.ico"

// serveFavicon serves the embedded icon, cached for a day.
func serveFavicon(w http.ResponseWriter, r *http.Request) {
	ico, err := assets.ReadFile("ui/static/favicon.ico")
	if err != nil {
		http.Error(w, "no icon", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/x-icon")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = w.Write(ico)
}

// navFor is the navigation for a role: each user sees only what their role
// may use.
func navFor(a apiv1.Actor) []navItem {
	var items []navItem
	add := func(roles []string, it navItem) {
		if authz.Allowed(roles, a.Role) {
			items = append(items, it)
		}
	}
	add(authz.Everyone, navItem{"Inbox", UIPath + "/inbox", "inbox"})
	add(authz.Everyone, navItem{"Cases", UIPath + "/cases", "cases"})
	if authz.LeadsAny(a.Role, a.Departments, a.Leads) {
		items = append(items, navItem{"Team", UIPath + "/team", "team"})
	}
	add(authz.FlowViewers, navItem{"Flows", UIPath + "/flows", "flows"})
	add(authz.LogViewers, navItem{"Logs", UIPath + "/logs", "logs"})
	add(authz.FlowViewers, navItem{"Pilots", UIPath + "/pilots", "pilots"})
	add(authz.FlowViewers, navItem{"Simulations", UIPath + "/simulations", "simulations"})
	add(authz.Everyone, navItem{"Improvement", UIPath + "/improvements", "improvements"})
	add(authz.Everyone, navItem{"KPIs", UIPath + "/kpis", "kpis"})
	add(authz.FlowViewers, navItem{"Reports", UIPath + "/reports", "reports"})
	add(authz.Everyone, navItem{"Alerts", UIPath + "/alerts", "alerts"})
	add(peopleViewers, navItem{"People", UIPath + "/people", "people"})
	return items
}

// homeFor is where a role lands after signing in.
func homeFor(a apiv1.Actor) string {
	switch a.Role {
	case apiv1.RoleStaff:
		return UIPath + "/inbox"
	case apiv1.RoleOwner:
		return UIPath + "/flows"
	case apiv1.RoleImprover:
		return UIPath + "/pilots"
	default:
		return UIPath + "/kpis"
	}
}

// pageData is what every page template gets: the layout's fields and the
// page's own data in Page.
type pageData struct {
	Title  string
	Active string // the nav key to highlight
	Actor  apiv1.Actor
	Nav    []navItem
	Flash  string
	// FlashRefused styles the flash as a refusal (an alert), not a
	// success.
	FlashRefused bool
	Page         any
	// The header of a signed-in page: the bell's unread count (Unread
	// when UnreadKnown) and, for people rules give work to, their
	// availability with the page to come back to after changing it.
	Unread       int
	UnreadKnown  bool
	Availability string
	Here         string
	// Firing are the alert rules that concern the viewer, fire, and
	// nobody acknowledged: the banner.
	Firing []apiv1.AlertRule
}

// pageView is a page to render: its template, title, nav key and data.
type pageView struct {
	Template string
	Title    string
	Active   string
	Status   int // default 200
	Data     any
}

// render executes a page into a buffer first, so a template failure is a
// clean error page, never half a page.
func (s *Web) render(w http.ResponseWriter, r *http.Request, v pageView) error {
	t, ok := s.ui.pages[v.Template]
	if !ok {
		return httpx.Internal(fmt.Errorf("ui: no template %q", v.Template))
	}
	a := actorOf(r.Context())
	d := pageData{Title: v.Title, Active: v.Active, Actor: a, Page: v.Data}
	d.Flash, d.FlashRefused = s.flashOf(r)
	if a.ID != "" {
		d.Nav = navFor(a)
		s.headerData(r, &d)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		return httpx.Internal(fmt.Errorf("ui: render %s: %w", v.Template, err))
	}
	status := v.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// renderFragment executes one named block of a page (a table body the
// page's script refreshes in place) without the layout.
func (s *Web) renderFragment(w http.ResponseWriter, r *http.Request, tmpl, block string, data any) error {
	t, ok := s.ui.pages[tmpl]
	if !ok {
		return httpx.Internal(fmt.Errorf("ui: no template %q", tmpl))
	}
	a := actorOf(r.Context())
	d := pageData{Actor: a, Page: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, d); err != nil {
		return httpx.Internal(fmt.Errorf("ui: render %s/%s: %w", tmpl, block, err))
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
	return nil
}

// isFragmentRequest reports whether the page's script asks for a fragment.
func isFragmentRequest(r *http.Request) bool { return r.Header.Get("X-Flowlab-Fragment") != "" }

// handler turns a page handler's error into an error page (or, for a
// fragment request, a short text) with the problem's status and text;
// server-side causes are logged by writeProblem's rules, never shown.
func (s *Web) handler(fn httpx.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		err := fn(w, r)
		if err == nil {
			return
		}
		var p *httpx.Problem
		if !errors.As(err, &p) {
			p = httpx.Internal(err)
		}
		settled := httpx.SettleProblem(s.log, r, p)
		p = &settled
		if isFragmentRequest(r) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(p.Status)
			_, _ = io.WriteString(w, p.Title+": "+p.Detail)
			return
		}
		if p.RetryAfter > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(p.RetryAfter))
		}
		if rerr := s.render(w, r, pageView{Template: "error", Title: p.Title, Status: p.Status, Data: errorData{Problem: p}}); rerr != nil {
			http.Error(w, p.Title, p.Status)
		}
	}
}

type errorData struct {
	Problem *httpx.Problem
}

// securityHeaders sets the headers every UI answer carries: a strict content
// security policy (no inline script or style, nothing from elsewhere), no
// framing, no caching of pages that show private data.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if !strings.HasPrefix(r.URL.Path, UIPath+"/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// routes mounts the web UI.
func (s *Web) routes(r chi.Router) {
	r.Use(securityHeaders)
	r.Use(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(withFlashKey(r.Context(), s.sessions.flash)))
		})
	})
	// Rejects cross-origin form posts (Sec-Fetch-Site / Origin), on top of
	// the SameSite=Strict session cookie.
	r.Use(http.NewCrossOriginProtection().Handler)
	statics, _ := fs.Sub(assets, "ui/static")
	files := http.StripPrefix(UIPath+"/static/", http.FileServerFS(statics))
	r.Get("/static/*", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("v") != "" {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		files.ServeHTTP(w, r)
	})
	r.NotFound(s.handler(func(w http.ResponseWriter, r *http.Request) error {
		return httpx.NotFound("no page at " + r.URL.Path)
	}))
	for _, p := range allPages {
		var mw []func(http.Handler) http.Handler
		if !p.Public {
			mw = append(mw, s.authenticate, s.cfg.Limiter.Middleware(s.log))
		}
		if len(p.Roles) > 0 {
			mw = append(mw, s.requireRole(p.Roles...))
		}
		r.With(mw...).Method(p.Method, p.Pattern, s.handler(func(w http.ResponseWriter, r *http.Request) error {
			return p.Handle(s, w, r)
		}))
	}
}

// authenticate resolves the session cookie to an actor; without a valid
// one, a page load goes to the sign-in page (and back after it).
func (s *Web) authenticate(next http.Handler) http.Handler {
	return s.handler(func(w http.ResponseWriter, r *http.Request) error {
		c, err := r.Cookie(sessionCookie)
		if err != nil || c.Value == "" {
			return s.toSignIn(w, r, "")
		}
		// A page load or a form post is activity; a page's background
		// refresh (a fragment) is not, so an open inbox does not keep an
		// unattended session alive.
		ctx, actor, err := s.cfg.Sessions.Resolve(r.Context(), c.Value, !isFragmentRequest(r))
		if err != nil {
			var ended *httpx.SessionEnded
			switch {
			case errors.As(err, &ended):
				s.clearSession(w, r)
				return s.toSignIn(w, r, s.sessionEndedMessage(ended.Reason))
			case errors.Is(err, ErrUnknownToken):
				s.clearSession(w, r)
				return s.toSignIn(w, r, "")
			}
			return err
		}
		next.ServeHTTP(w, r.WithContext(withActor(ctx, actor)))
		return nil
	})
}

func (s *Web) toSignIn(w http.ResponseWriter, r *http.Request, msg string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead || isFragmentRequest(r) {
		return httpx.Unauthorized("sign in first", "")
	}
	q := url.Values{}
	if next := r.URL.RequestURI(); next != UIPath+"/" {
		q.Set("next", next)
	}
	target := UIPath + "/signin"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	if msg != "" {
		// Signed for nobody: the sign-in page is shown before sign-in.
		target = withFlash(r.WithContext(withActor(r.Context(), apiv1.Actor{})), target, msg, "")
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

func (s *Web) requireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return s.handler(func(w http.ResponseWriter, r *http.Request) error {
			a := actorOf(r.Context())
			if !authz.Allowed(roles, a.Role) {
				return httpx.Forbidden(fmt.Sprintf("this page is for %s; you are signed in as %s", strings.Join(roles, ", "), a.Role))
			}
			next.ServeHTTP(w, r)
			return nil
		})
	}
}

// safeNext is the page to return to after signing in: only a path of the
// UI itself, never another site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") ||
		!strings.HasPrefix(u.Path, UIPath+"/") || strings.HasPrefix(u.Path, UIPath+"/signin") {
		return ""
	}
	return u.RequestURI()
}

type signInData struct {
	Next  string
	Error string
	// SSO: sign in through the identity provider (Provider), not with a
	// token.
	SSO      bool
	Provider string
}

func (s *Web) signInDataOf(next, msg string) signInData {
	return signInData{Next: next, Error: msg, SSO: s.oidc != nil, Provider: s.oidcName()}
}

func (s *Web) signInPage(w http.ResponseWriter, r *http.Request) error {
	return s.render(w, r, pageView{Template: "signin", Title: "Sign in", Data: s.signInDataOf(safeNext(r.URL.Query().Get("next")), "")})
}

func (s *Web) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	next := safeNext(r.PostFormValue("next"))
	fail := func(msg string) error {
		return s.render(w, r, pageView{Template: "signin", Title: "Sign in", Status: http.StatusUnauthorized,
			Data: s.signInDataOf(next, msg)})
	}
	if s.oidc != nil {
		return s.render(w, r, pageView{Template: "signin", Title: "Sign in", Status: http.StatusForbidden,
			Data: s.signInDataOf(next, "Sign-in with a token is off here: sign in with "+s.oidcName()+".")})
	}
	if token == "" {
		return fail("Paste your API token (it starts with " + apiv1.TokenPrefix + "; an admin creates it).")
	}
	secret, actor, err := s.cfg.Sessions.Start(r.Context(), httpx.SessionStart{Token: token, UserAgent: r.UserAgent()})
	if err != nil {
		if errors.Is(err, ErrUnknownToken) {
			return fail("That token is unknown, expired or revoked.")
		}
		return err
	}
	s.setSession(w, r, secret)
	if next == "" {
		next = homeFor(actor)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

func (s *Web) signOut(w http.ResponseWriter, r *http.Request) error {
	if c, err := r.Cookie(sessionCookie); err == nil && c.Value != "" {
		if err := s.cfg.Sessions.End(r.Context(), c.Value); err != nil {
			return err
		}
	}
	s.clearSession(w, r)
	anon := r.WithContext(withActor(r.Context(), apiv1.Actor{}))
	http.Redirect(w, r, withFlash(anon, UIPath+"/signin", "Signed out.", ""), http.StatusSeeOther)
	return nil
}

func (s *Web) home(w http.ResponseWriter, r *http.Request) error {
	http.Redirect(w, r, homeFor(actorOf(r.Context())), http.StatusSeeOther)
	return nil
}

// redirectTo answers a successful form post: 303 to page, with a flash
// message the layout shows when flash is not empty.
func redirectTo(w http.ResponseWriter, r *http.Request, page, flash string) error {
	http.Redirect(w, r, withFlash(r, page, flash, ""), http.StatusSeeOther)
	return nil
}

// refusedTo answers a form post the API refused where the page cannot
// show the reason beside a field (someone claimed the task first): 303 to
// page with the reason as a flash styled as a refusal.
func refusedTo(w http.ResponseWriter, r *http.Request, page, reason string) error {
	http.Redirect(w, r, withFlash(r, page, reason, flashRefused), http.StatusSeeOther)
	return nil
}

// withFlash adds a flash message of kind ("" or flashRefused) to a page's
// URL, signed for the actor of r (session.go): only that actor's page
// shows it.
func withFlash(r *http.Request, page, flash, kind string) string {
	if flash == "" {
		return page
	}
	sep := "?"
	if strings.Contains(page, "?") {
		sep = "&"
	}
	return page + sep + flashQuery(r, flash, kind)
}

// parseUIForm reads a form post within the body limit; a bad one is a 400.
func parseUIForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return httpx.NewProblem(http.StatusRequestEntityTooLarge, "body-too-large", "Request body too large",
				fmt.Sprintf("the form is larger than %d bytes", limit))
		}
		return httpx.BadRequest("the form could not be read: " + err.Error())
	}
	return nil
}

// apiResult is the answer of an in-process API call.
type apiResult struct {
	Status int
	Header http.Header
	Body   []byte
}

// OK reports a 2xx answer.
func (a apiResult) OK() bool { return a.Status >= 200 && a.Status < 300 }

// Problem is the answer's problem document (nil for a 2xx answer).
func (a apiResult) Problem() *httpx.Problem {
	if a.OK() {
		return nil
	}
	p := &httpx.Problem{Problem: apiv1.Problem{Status: a.Status, Title: http.StatusText(a.Status)}}
	_ = json.Unmarshal(a.Body, p)
	p.Status = a.Status
	if ra := a.Header.Get("Retry-After"); ra != "" {
		_, _ = fmt.Sscan(ra, &p.RetryAfter)
	}
	return p
}

// Decode decodes a 2xx JSON answer into v; any other answer is its problem.
func (a apiResult) Decode(v any) error {
	if p := a.Problem(); p != nil {
		return p
	}
	if err := json.Unmarshal(a.Body, v); err != nil {
		return httpx.Internal(fmt.Errorf("ui: decode API answer: %w", err))
	}
	return nil
}

// FieldErrors maps a 422's errors by field.
func (a apiResult) FieldErrors() map[string]string {
	p := a.Problem()
	if p == nil {
		return nil
	}
	out := map[string]string{}
	for _, fe := range p.Errors {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = fe.Message
		}
	}
	return out
}

// callAPI performs an API request in process as the signed-in actor of r:
// the API's role checks, validation, audit (with r's request id) and
// problem documents apply exactly as to a client's request. body is sent
// as JSON unless it is a []byte or an io.Reader (sent as is, with
// header's Content-Type): a reader is streamed to the API as the API reads
// it, never held whole (an event log's upload).
// pathAndQuery is an /api/v1 path with its query string.
func (s *Web) callAPI(r *http.Request, method, pathAndQuery string, body any, header http.Header) (apiResult, error) {
	var rd io.Reader = http.NoBody
	ct := ""
	streamed := false
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd, streamed = b, true
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			return apiResult{}, httpx.Internal(fmt.Errorf("ui: encode API body: %w", err))
		}
		rd = bytes.NewReader(raw)
		ct = "application/json"
	}
	// The API router routes from scratch: the page's chi route context
	// (whose path it would otherwise go on matching) is not passed on.
	ctx := context.WithValue(r.Context(), chi.RouteCtxKey, nil)
	req, err := http.NewRequestWithContext(ctx, method, pathAndQuery, rd)
	if err != nil {
		return apiResult{}, httpx.Internal(fmt.Errorf("ui: API request: %w", err))
	}
	if streamed {
		// Its length is unknown: the API reads it to its end (or its bound).
		req.ContentLength = -1
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.RemoteAddr = r.RemoteAddr
	rec := httptest.NewRecorder()
	s.cfg.API.ServeHTTP(rec, req)
	res := rec.Result()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return apiResult{}, httpx.Internal(fmt.Errorf("ui: read API answer: %w", err))
	}
	return apiResult{Status: res.StatusCode, Header: res.Header, Body: b}, nil
}

// apiGet reads an API resource as the signed-in actor into a T; a non-2xx
// answer comes back as its *httpx.Problem.
func apiGet[T any](s *Web, r *http.Request, pathAndQuery string) (T, error) {
	var v T
	res, err := s.callAPI(r, http.MethodGet, pathAndQuery, nil, nil)
	if err != nil {
		return v, err
	}
	return v, res.Decode(&v)
}
