package browser

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"go.temporal.io/server/temporaltest"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/e2e/internal/contract"
	"github.com/flowlab/flowlab/internal/oidctest"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/web"
	"github.com/flowlab/flowlab/workflows"
)

// newSSOEnv is flowlab signing in through a real OpenID provider in
// process (internal/oidctest: zitadel/oidc's op, RSA-signed ID tokens),
// both on loopback ports.
func newSSOEnv(t *testing.T, chromium string, users map[string]oidctest.User) *env {
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
	require.NoError(t, api.SeedBuiltinFlows(ctx, st))

	hs := httptest.NewUnstartedServer(http.NotFoundHandler())
	base := "http://" + hs.Listener.Addr().String()
	idp, err := oidctest.Start(base+web.OIDCCallbackPath, users)
	require.NoError(t, err)
	t.Cleanup(func() { _ = idp.Close() })
	rm, err := web.ParseRoleMap("support=staff:customer_service; process-owners=owner")
	require.NoError(t, err)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := server.New(server.Config{
		API: api.Config{Store: st, Engine: engine.NewTemporal(c), AdminToken: adminToken, Logger: logger, TemporalNamespace: ts.GetDefaultNamespace()},
		OIDC: &web.OIDCConfig{Issuer: idp.Issuer, ClientID: idp.ClientID, ClientSecret: idp.ClientSecret,
			RedirectURL: base + web.OIDCCallbackPath, ProviderName: "Acme Sign-On", RoleMap: rm, Register: true},
	})
	require.NoError(t, err)
	hs.Config.Handler = h
	hs.Start()
	t.Cleanup(hs.Close)
	e := &env{url: hs.URL, tokens: map[string]string{admin: adminToken}, names: map[string]string{admin: "admin"}, contract: contract.New(hs.URL)}
	e.artifacts = artifactsDir(t)
	e.browser = startBrowser(t, chromium)
	return e
}

// signInSSO clicks "Sign in with …", signs in at the provider as user and
// waits until the browser settles on a flowlab page; it returns the path.
func (s *session) signInSSO(user string) string {
	s.t.Helper()
	s.open("/ui/signin")
	s.do("leave for the provider",
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="signin-sso"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="signin-sso"]`)),
		chromedp.WaitVisible(chromedp.ID("username")),
	)
	s.shot("sso-provider-login")
	s.do("sign in at the provider",
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.Click(chromedp.ID("login")),
	)
	// The callback page moves on by itself (a same-site navigation): an
	// evaluation that meets the navigation in flight is tried again.
	deadline := time.Now().Add(pollLimit)
	for {
		p, err := tryEval[string](s, `location.pathname`)
		var state string
		var refused bool
		if err == nil {
			state, err = tryEval[string](s, `document.readyState`)
		}
		if err == nil {
			refused, err = tryEval[bool](s, `!!document.querySelector('[data-testid="signin-error"]')`)
		}
		if err == nil {
			if p != web.OIDCCallbackPath && strings.HasPrefix(p, "/ui/") && state == "complete" {
				return p
			}
			if strings.HasPrefix(p, web.OIDCCallbackPath) && refused {
				return p
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("sign in as %s: still at %s (%v)", user, p, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// tryEval is eval returning its error instead of failing the test, for
// polling across a navigation.
func tryEval[T any](s *session, expr string) (T, error) {
	ctx, cancel := s.step()
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}

// Issue 20: with an identity provider, the web UI signs in through it
// only; the groups decide the role and the page people land on; groups
// that map to nothing are refused in words.
func TestSignInWithIdentityProvider(t *testing.T) {
	chromium := requireChromium(t)
	e := newSSOEnv(t, chromium, map[string]oidctest.User{
		"cora":  {Subject: "sub-cora", Email: "cora@example.com", EmailVerified: true, Name: "Cora Agent", Groups: []string{"support"}},
		"olive": {Subject: "sub-olive", Email: "olive@example.com", EmailVerified: true, Name: "Olive Owner", Groups: []string{"process-owners"}},
		"vic":   {Subject: "sub-vic", Email: "vic@example.com", EmailVerified: true, Name: "Vic Visitor", Groups: []string{"visitors"}},
	})

	t.Run("the sign-in page offers the provider only", func(t *testing.T) {
		s := e.newSession(t, "cora")
		s.open("/ui/signin")
		require.True(t, eval[bool](s, `!document.querySelector('#token')`), "no token field")
		require.Contains(t, eval[string](s, `document.querySelector('[data-testid="signin-sso"]').textContent`), "Sign in with Acme Sign-On")
		s.shot("sso-signin")
	})
	t.Run("a mapped agent lands on the inbox", func(t *testing.T) {
		s := e.newSession(t, "cora")
		require.Equal(t, "/ui/inbox", s.signInSSO("cora"))
		require.Contains(t, eval[string](s, "document.body.innerText"), "Cora Agent")
		s.shot("sso-agent-inbox")
	})
	t.Run("a mapped owner lands on the flows", func(t *testing.T) {
		s := e.newSession(t, "olive")
		require.Equal(t, "/ui/flows", s.signInSSO("olive"))
		s.shot("sso-owner-flows")
	})
	t.Run("groups that give no role are refused in words", func(t *testing.T) {
		s := e.newSession(t, "vic")
		require.Equal(t, web.OIDCCallbackPath, s.signInSSO("vic"))
		msg := eval[string](s, `document.querySelector('[data-testid="signin-error"]').textContent`)
		require.Contains(t, msg, "none of your groups there gives you a role in flowlab")
		s.shot("sso-refused")
		s.open("/ui/inbox")
		require.Equal(t, "/ui/signin", eval[string](s, "location.pathname"), "no session")
	})
}
