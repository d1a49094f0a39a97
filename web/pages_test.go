package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/go-chi/chi/v5"
	"github.com/stretchr/testify/require"
)

func TestUISignIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.Actor("ana", "staff", "technical")

	// No session: a page goes to the sign-in page and comes back after.
	res := e.page("", http.MethodGet, "/ui/?week=2", nil)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, "/ui/signin?next=%2Fui%2F%3Fweek%3D2", res.Header().Get("Location"))
	res = e.page("", http.MethodGet, "/", nil)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, "/ui/", res.Header().Get("Location"))

	res = e.page("", http.MethodGet, "/ui/signin?next=%2Fui%2Fkpis", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), `name="next" value="/ui/kpis"`)

	// A wrong token: 401, the form again with the reason.
	res = e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {"flk_nope"}})
	require.Equal(t, http.StatusUnauthorized, res.Code)
	require.Contains(t, res.Body.String(), "unknown, expired or revoked")
	require.Empty(t, res.Result().Cookies())

	// The right one: an HttpOnly, SameSite=Strict cookie and the role's home.
	res = e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {tok}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, "/ui/inbox", res.Header().Get("Location"))
	c := res.Result().Cookies()
	require.Len(t, c, 1)
	require.Equal(t, sessionCookie, c[0].Name)
	require.NotContains(t, c[0].Value, tok, "the cookie holds a session secret, not the token")
	require.NotContains(t, c[0].Value, strings.TrimPrefix(tok, "flk_"))
	_, signedIn, err := e.srv.cfg.Sessions.Resolve(context.Background(), c[0].Value, false)
	require.NoError(t, err)
	require.Equal(t, "ana", signedIn.Name)
	require.True(t, c[0].HttpOnly)
	require.False(t, c[0].Secure, "plain HTTP without FLOWLAB_BEHIND_TLS")
	require.Equal(t, http.SameSiteStrictMode, c[0].SameSite)

	// next is honoured only for the UI's own pages.
	for next, want := range map[string]string{
		"/ui/kpis?x=1":        "/ui/kpis?x=1",
		"https://evil.test/":  "/ui/inbox",
		"//evil.test/ui/":     "/ui/inbox",
		"/api/v1/cases":       "/ui/inbox",
		"/ui/signin":          "/ui/inbox",
		"/\\evil.test":        "/ui/inbox",
		"javascript:alert(1)": "/ui/inbox",
	} {
		res = e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {tok}, "next": {next}})
		require.Equal(t, http.StatusSeeOther, res.Code, next)
		require.Equal(t, want, res.Header().Get("Location"), next)
	}

	// Signed in, / goes to the role's home; signing out clears the cookie.
	res = e.page("ana", http.MethodGet, "/ui/", nil)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, "/ui/inbox", res.Header().Get("Location"))
	res = e.page("ana", http.MethodPost, "/ui/signout", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	c = res.Result().Cookies()
	require.Len(t, c, 1)
	require.Equal(t, -1, c[0].MaxAge)

	// A revoked token ends the session at once.
	e.revokeAll(t, "ana")
	res = e.page("ana", http.MethodGet, "/ui/", nil)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, res.Header().Get("Location"), "/ui/signin?")
	require.Contains(t, res.Header().Get("Location"), "flash=")
}

// revokeAll revokes the named actor's tokens through the API.
func (e *testEnv) revokeAll(t *testing.T, name string) {
	t.Helper()
	res := e.Do("admin", http.MethodGet, "/api/v1/tokens?actor="+e.actors[name].ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var list apiv1.TokenList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
	require.NotEmpty(t, list.Tokens)
	for _, tk := range list.Tokens {
		res := e.Do("admin", http.MethodDelete, "/api/v1/tokens/"+tk.ID, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	}
}

func TestUIHeadersAndCrossOrigin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.page("", http.MethodGet, "/ui/signin", nil)
	require.Equal(t, http.StatusOK, res.Code)
	csp := res.Header().Get("Content-Security-Policy")
	require.Contains(t, csp, "default-src 'self'")
	require.Contains(t, csp, "script-src 'self'")
	require.Contains(t, csp, "frame-ancestors 'none'")
	require.Equal(t, "nosniff", res.Header().Get("X-Content-Type-Options"))
	require.Equal(t, "no-store", res.Header().Get("Cache-Control"))
	require.NotContains(t, res.Body.String(), "<script>", "no inline scripts (the policy forbids them)")
	require.NotContains(t, res.Body.String(), "style=", "no inline styles (the policy forbids them)")

	// A form posted from another site is refused before any handler runs.
	req := httptest.NewRequest(http.MethodPost, "/ui/signout", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code)
	require.Empty(t, rec.Result().Cookies())

	// Static files are versioned by content and cached for ever.
	u := e.srv.ui.staticURL("app.css")
	require.Regexp(t, `^/ui/static/app\.css\?v=[0-9a-f]{12}$`, u)
	res = e.page("", http.MethodGet, u, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Header().Get("Content-Type"), "text/css")
	require.Contains(t, res.Header().Get("Cache-Control"), "immutable")

	// An unknown page is a 404 page, not the API's problem document.
	e.Actor("ana", "staff", "technical")
	res = e.page("ana", http.MethodGet, "/ui/nope", nil)
	require.Equal(t, http.StatusNotFound, res.Code)
	require.Contains(t, res.Header().Get("Content-Type"), "text/html")
	require.Contains(t, res.Body.String(), "no page at /ui/nope")
}

// TestUIPagesNeedASession walks every page of the table: without a session
// a GET goes to sign-in and any other method is a 401.
func TestUIPagesNeedASession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, p := range allPages {
		if p.Public {
			continue
		}
		path := UIPath + strings.NewReplacer("{id}", "00000000-0000-0000-0000-000000000000", "{key}", "complaint", "{v}", "1").Replace(p.Pattern)
		var form url.Values
		if p.Method != http.MethodGet {
			form = url.Values{}
		}
		res := e.page("", p.Method, path, form)
		if p.Method == http.MethodGet {
			require.Equal(t, http.StatusSeeOther, res.Code, "%s %s", p.Method, p.Pattern)
			require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/signin"), "%s %s", p.Method, p.Pattern)
		} else {
			require.Equal(t, http.StatusUnauthorized, res.Code, "%s %s", p.Method, p.Pattern)
		}
	}
}

// TestUIRoutesServed checks the router serves exactly the page table.
func TestUIRoutesServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	served := map[string]bool{}
	require.NoError(t, chi.Walk(e.h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if isUIRoute(route) {
			served[method+" "+strings.TrimSuffix(route, "/")] = true
		}
		return nil
	}))
	for _, p := range allPages {
		require.True(t, served[p.Method+" "+strings.TrimSuffix(UIPath+p.Pattern, "/")], "%s %s not served", p.Method, p.Pattern)
	}
}

func TestFmtSeconds(t *testing.T) {
	t.Parallel()
	// The pages' durations are readable.Duration (decision 0024): units
	// and a precision by magnitude, never "0 s" for a sub-second value.
	for in, want := range map[float64]string{0: "0 s", 0.35: "350 ms", 3.2: "3.2 s", 44.6: "45 s", 60: "1 min 00 s",
		3599: "1 h 00 min", 3600: "1 h 00 min", 5400: "1 h 30 min", 86400: "1 d 00 h", 90000 + 1800: "1 d 02 h", -90: "−1 min 30 s"} {
		require.Equal(t, want, fmtSeconds(in), "%v", in)
	}
	require.Equal(t, "93.1 %", fmtPct(0.931))
	require.Equal(t, "90 %", fmtPct(0.9))
}

// Sessions are kept on the server (decision 0038): signing out ends the
// session for good (the old cookie signs nobody in), revoking the token
// ends its sessions at once, and an admin lists a person's sessions and
// ends one through the API.
func TestUIServerSideSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := e.Actor("ana", "staff", "technical")
	signIn := func() *http.Cookie {
		res := e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {tok}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		return res.Result().Cookies()[0]
	}
	get := func(c *http.Cookie) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/ui/inbox", nil)
		req.AddCookie(c)
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}

	// Sign out: the cookie kept by someone else is worth nothing.
	c := signIn()
	require.Equal(t, http.StatusOK, get(c).Code)
	req := httptest.NewRequest(http.MethodPost, "/ui/signout", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusSeeOther, rec.Code)
	res := get(c)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, res.Header().Get("Location"), "/ui/signin")

	// An admin sees the live session, with the browser summarised and
	// never a secret, and ends it: the next request goes to sign-in.
	c = signIn()
	require.Equal(t, http.StatusOK, get(c).Code)
	r := e.Do("admin", http.MethodGet, "/api/v1/sessions?live=true&actor="+e.actors["ana"].ID, nil, nil)
	require.Equal(t, http.StatusOK, r.Code, e.logs.String())
	require.NotContains(t, r.Body.String(), c.Value)
	var list apiv1.SessionList
	require.NoError(t, json.Unmarshal(r.Body.Bytes(), &list))
	require.Len(t, list.Sessions, 1)
	s := list.Sessions[0]
	require.Equal(t, "token", s.Via)
	require.Equal(t, "live", s.Status)
	require.NotEmpty(t, s.TokenID)
	r = e.Do("admin", http.MethodDelete, "/api/v1/sessions/"+s.ID, nil, nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	require.Contains(t, r.Body.String(), `"status":"ended"`)
	res = get(c)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "Your session was ended")
	r = e.Do("admin", http.MethodGet, "/api/v1/audit?action=session.end", nil, nil)
	require.Contains(t, r.Body.String(), "session:"+s.ID)

	// Revoking the token ends its session at once, saying so.
	c = signIn()
	require.Equal(t, http.StatusOK, get(c).Code)
	e.revokeAll(t, "ana")
	res = get(c)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "the token expired or was revoked")
	r = e.Do("admin", http.MethodGet, "/api/v1/sessions?live=true&actor="+e.actors["ana"].ID, nil, nil)
	require.Equal(t, http.StatusOK, r.Code)
	require.NoError(t, json.Unmarshal(r.Body.Bytes(), &list))
	require.Empty(t, list.Sessions)
}
