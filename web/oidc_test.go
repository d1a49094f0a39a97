package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/oidctest"
	"github.com/flowlab/flowlab/store"
)

func TestParseRoleMap(t *testing.T) {
	t.Parallel()
	m, err := ParseRoleMap(" support = staff:service,billing ; support-leads=staff:service:service;owners=owner; ; admins=admin")
	require.NoError(t, err)
	require.Equal(t, RoleMap{
		{Group: "support", Role: "staff", Departments: []string{"service", "billing"}},
		{Group: "support-leads", Role: "staff", Departments: []string{"service"}, Leads: []string{"service"}},
		{Group: "owners", Role: "owner"},
		{Group: "admins", Role: "admin"},
	}, m)
	for in, want := range map[string]string{
		"":                      "no rule",
		"support":               "GROUP=ROLE",
		"=staff:x":              "GROUP=ROLE",
		"support=boss":          `role "boss" is not one of`,
		"support=staff":         "role staff needs departments",
		"support=staff:a:b":     `lead "b" is not one of the rule's departments`,
		"support=staff:a:a:x":   "at most ROLE:DEPARTMENTS:LEADS",
		"ok=owner;support=boss": "rule 2",
	} {
		_, err := ParseRoleMap(in)
		require.ErrorContains(t, err, want, in)
	}

	// Several groups: the strongest role, every department and lead.
	role, deps, leads, ok := m.Map([]string{"support", "support-leads", "elsewhere"})
	require.True(t, ok)
	require.Equal(t, "staff", role)
	require.Equal(t, []string{"billing", "service"}, deps)
	require.Equal(t, []string{"service"}, leads)
	role, deps, _, ok = m.Map([]string{"support", "owners"})
	require.True(t, ok)
	require.Equal(t, "owner", role)
	require.Equal(t, []string{"billing", "service"}, deps)
	_, _, _, ok = m.Map([]string{"visitors"})
	require.False(t, ok, "no rule matches: no role")
	_, _, _, ok = m.Map(nil)
	require.False(t, ok)
}

// ssoEnv is flowlab's API and UI on a loopback port, signing in through
// an in-process OpenID provider (zitadel/oidc's op, real JWTs).
type ssoEnv struct {
	*testEnv
	idp  *oidctest.Provider
	base string // flowlab's URL
}

func newSSOEnv(t *testing.T, register bool, users map[string]oidctest.User) *ssoEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	idp, err := oidctest.Start(base+OIDCCallbackPath, users)
	require.NoError(t, err)
	t.Cleanup(func() { _ = idp.Close() })
	rm, err := ParseRoleMap("support=staff:customer_service; support-leads=staff:customer_service:customer_service; process-owners=owner")
	require.NoError(t, err)
	e := newEnv(t, func(_ *api.Config, c *Config) {
		c.OIDC = &OIDCConfig{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			RedirectURL: base + OIDCCallbackPath, ProviderName: "Test IdP", RoleMap: rm, Register: register}
	})
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: e.h}}
	srv.Start()
	t.Cleanup(srv.Close)
	return &ssoEnv{testEnv: e, idp: idp, base: base}
}

// browser is a client with its own cookies, as a browser is.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

func read(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return string(b)
}

// signInSSO goes through the whole flow as user: flowlab's button, the
// provider's login page, back to flowlab. It returns the last answer.
func (e *ssoEnv) signInSSO(t *testing.T, c *http.Client, user string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(e.base + "/ui/signin/oidc")
	require.NoError(t, err)
	body := read(t, res)
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.True(t, strings.HasPrefix(res.Request.URL.String(), e.idp.Issuer+oidctest.LoginPath), res.Request.URL.String())
	// What flowlab sent the browser to the provider with.
	first := res.Request
	for first.Response != nil {
		first = first.Response.Request
	}
	id := res.Request.URL.Query().Get("authRequestID")
	require.NotEmpty(t, id)
	res, err = c.PostForm(e.idp.Issuer+oidctest.LoginPath, url.Values{"id": {id}, "username": {user}})
	require.NoError(t, err)
	return res, read(t, res)
}

func continueTo(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`href="([^"]+)" data-testid="continue"`).FindStringSubmatch(body)
	require.NotNil(t, m, body)
	return m[1]
}

func TestUISignInWithOIDC(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t, true, map[string]oidctest.User{
		"ana":   {Subject: "sub-ana", Email: "ana@example.com", EmailVerified: true, Name: "Ana Agent", Groups: []string{"support"}},
		"olga":  {Subject: "sub-olga", Email: "olga@example.com", EmailVerified: true, Name: "Olga Owner", Groups: []string{"process-owners", "staff-party"}},
		"nemo":  {Subject: "sub-nemo", Email: "nemo@example.com", EmailVerified: true, Name: "Nemo", Groups: []string{"visitors"}},
		"unver": {Subject: "sub-unver", Email: "unver@example.com", EmailVerified: false, Name: "Un Verified", Groups: []string{"support"}},
	})

	// The sign-in page offers the provider only; a token is refused.
	res, err := http.Get(e.base + "/ui/signin")
	require.NoError(t, err)
	body := read(t, res)
	require.Contains(t, body, "Sign in with Test IdP")
	require.NotContains(t, body, `name="token"`)
	page := e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {testAdminToken}})
	require.Equal(t, http.StatusForbidden, page.Code)
	require.Contains(t, page.Body.String(), "Sign-in with a token is off here")
	require.Empty(t, page.Result().Cookies())

	// The request to the provider: code flow, PKCE S256, state and nonce,
	// the configured redirect URI; no token or secret in it.
	res, err = (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(e.base + "/ui/signin/oidc")
	require.NoError(t, err)
	read(t, res)
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	q := loc.Query()
	require.Equal(t, "code", q.Get("response_type"))
	require.Equal(t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(t, q.Get("code_challenge"))
	require.NotEmpty(t, q.Get("state"))
	require.NotEmpty(t, q.Get("nonce"))
	require.Equal(t, e.base+OIDCCallbackPath, q.Get("redirect_uri"))
	require.NotContains(t, loc.String(), e.idp.ClientSecret)

	// A mapped agent lands on the inbox, created just in time.
	ana := browser(t)
	res, body = e.signInSSO(t, ana, "ana")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, OIDCCallbackPath, res.Request.URL.Path)
	require.Equal(t, "/ui/inbox", continueTo(t, body))
	require.Contains(t, body, `http-equiv="refresh" content="0;url=/ui/inbox"`)
	for _, c := range res.Request.Response.Cookies() {
		require.NotContains(t, c.Value, ".", "no JWT in a cookie")
	}
	res, err = ana.Get(e.base + "/ui/inbox")
	require.NoError(t, err)
	body = read(t, res)
	require.Equal(t, http.StatusOK, res.StatusCode)
	require.Equal(t, "/ui/inbox", res.Request.URL.Path)
	require.Contains(t, body, "Ana Agent")
	st := e.st
	anaActor, err := st.ActorByEmail(context.Background(), "ana@example.com")
	require.NoError(t, err)
	require.Equal(t, store.RoleStaff, anaActor.Role)
	require.Equal(t, []string{"customer_service"}, anaActor.Departments)

	// A mapped owner lands on the flows.
	olga := browser(t)
	res, body = e.signInSSO(t, olga, "olga")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, "/ui/flows", continueTo(t, body))

	// Groups that map to nothing: refused, in words, and no session.
	nemo := browser(t)
	res, body = e.signInSSO(t, nemo, "nemo")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Contains(t, body, "none of your groups there gives you a role in flowlab")
	res, err = nemo.Get(e.base + "/ui/inbox")
	require.NoError(t, err)
	read(t, res)
	require.Equal(t, "/ui/signin", res.Request.URL.Path)
	_, err = st.ActorByEmail(context.Background(), "nemo@example.com")
	require.ErrorIs(t, err, store.ErrNotFound, "nobody created")

	// An unverified email is refused.
	res, body = e.signInSSO(t, browser(t), "unver")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Contains(t, body, "has not verified your email address")

	// The mapping applies at each sign-in: ana made a team lead.
	e.idp.SetUser("ana", oidctest.User{Subject: "sub-ana", Email: "ana@example.com", EmailVerified: true, Name: "Ana Agent",
		Groups: []string{"support-leads"}})
	res, body = e.signInSSO(t, browser(t), "ana")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	again, err := st.ActorByEmail(context.Background(), "ana@example.com")
	require.NoError(t, err)
	require.Equal(t, anaActor.ID, again.ID, "the same person, found by email")
	require.Equal(t, []string{"customer_service"}, again.Leads)
	r := e.Do("admin", http.MethodGet, "/api/v1/audit?action=actor.access", nil, nil)
	require.Contains(t, r.Body.String(), "actor:"+anaActor.ID)

	// An admin ends ana's first session: her next request goes to sign-in.
	r = e.Do("admin", http.MethodGet, "/api/v1/sessions?live=true&actor="+anaActor.ID, nil, nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	var list apiv1.SessionList
	require.NoError(t, json.Unmarshal(r.Body.Bytes(), &list))
	require.Len(t, list.Sessions, 2)
	for _, s := range list.Sessions {
		require.Equal(t, "oidc", s.Via)
		require.Equal(t, "another client", s.UserAgent, "Go's client, summarised")
	}
	first := list.Sessions[1] // oldest last
	r = e.Do("admin", http.MethodDelete, "/api/v1/sessions/"+first.ID, nil, nil)
	require.Equal(t, http.StatusOK, r.Code, r.Body.String())
	res, err = ana.Get(e.base + "/ui/inbox")
	require.NoError(t, err)
	body = read(t, res)
	require.Equal(t, "/ui/signin", res.Request.URL.Path)
	require.Contains(t, body, "Your session was ended")

	// Nothing of the protocol reached the logs.
	logs := e.logs.String()
	for _, secret := range []string{e.idp.ClientSecret, "id_token", "code="} {
		require.NotContains(t, logs, secret)
	}
}

// The callback refuses an answer that is not for this browser's sign-in.
func TestUIOIDCCallbackChecks(t *testing.T) {
	t.Parallel()
	e := newSSOEnv(t, false, map[string]oidctest.User{
		"ana": {Subject: "sub-ana", Email: "ana@example.com", EmailVerified: true, Name: "Ana", Groups: []string{"support"}},
	})
	// No flow cookie: refused.
	res, err := http.Get(e.base + OIDCCallbackPath + "?code=x&state=y")
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Contains(t, read(t, res), "did not begin in this browser")

	// A flow begun, then an answer with another state: refused.
	c := browser(t)
	noFollow := *c
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err = noFollow.Get(e.base + "/ui/signin/oidc")
	require.NoError(t, err)
	read(t, res)
	res, err = c.Get(e.base + OIDCCallbackPath + "?code=x&state=forged")
	require.NoError(t, err)
	require.Equal(t, http.StatusBadRequest, res.StatusCode)
	require.Contains(t, read(t, res), "not for the sign-in begun in this browser")

	// Only registered people (FLOWLAB_OIDC_JIT=registered): ana is not.
	res, body := e.signInSSO(t, browser(t), "ana")
	require.Equal(t, http.StatusForbidden, res.StatusCode)
	require.Contains(t, body, "No person in flowlab has the email address ana@example.com")
	// Registered with her email, she signs in, with the mapped access.
	e.Actor("ana", store.RoleOwner)
	email := "ana@example.com"
	_, _, err = e.st.SetPerson(context.Background(), store.SetPersonParams{ActorID: e.actors["ana"].ID, Email: &email})
	require.NoError(t, err)
	res, body = e.signInSSO(t, browser(t), "ana")
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	require.Equal(t, "/ui/inbox", continueTo(t, body))
	a, err := e.st.GetActor(context.Background(), e.actors["ana"].ID)
	require.NoError(t, err)
	require.Equal(t, store.RoleStaff, a.Role, "the mapping decides the role")
}
