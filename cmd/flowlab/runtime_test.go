package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

func TestReopenWindowFromEnv(t *testing.T) {
	t.Setenv("FLOWLAB_REOPEN_WINDOW", "")
	d, err := reopenWindow()
	require.NoError(t, err)
	require.Equal(t, 7*24*time.Hour, d)
	t.Setenv("FLOWLAB_REOPEN_WINDOW", "3d12h")
	d, err = reopenWindow()
	require.NoError(t, err)
	require.Equal(t, 84*time.Hour, d)
	for _, bad := range []string{"soon", "0s", "-1h"} {
		t.Setenv("FLOWLAB_REOPEN_WINDOW", bad)
		_, err = reopenWindow()
		require.ErrorContains(t, err, "FLOWLAB_REOPEN_WINDOW", bad)
	}
}

func TestRateLimitFromEnvironment(t *testing.T) {
	for _, tc := range []struct {
		limit, burst string
		rate         float64
		b            int
		bad          string
	}{
		{"", "", 0, 0, ""},
		{"20", "40", 20, 40, ""},
		{"off", "", -1, 0, ""},
		{"OFF", "", -1, 0, ""},
		{"0", "", 0, 0, "FLOWLAB_RATE_LIMIT"},
		{"-3", "", 0, 0, "FLOWLAB_RATE_LIMIT"},
		{"fast", "", 0, 0, "FLOWLAB_RATE_LIMIT"},
		{"NaN", "", 0, 0, "FLOWLAB_RATE_LIMIT"},
		{"10", "1.5", 0, 0, "FLOWLAB_RATE_BURST"},
		{"10", "0", 0, 0, "FLOWLAB_RATE_BURST"},
	} {
		t.Setenv("FLOWLAB_RATE_LIMIT", tc.limit)
		t.Setenv("FLOWLAB_RATE_BURST", tc.burst)
		rate, burst, err := rateLimit()
		if tc.bad != "" {
			require.ErrorContains(t, err, tc.bad, "%+v", tc)
			continue
		}
		require.NoError(t, err, "%+v", tc)
		require.Equal(t, tc.rate, rate, "%+v", tc)
		require.Equal(t, tc.b, burst, "%+v", tc)
	}
}

// FLOWLAB_WEBHOOK_ALLOW is read at start: a malformed entry stops the
// process with the setting named; a good one becomes the allow-list flow
// validation uses. A notify webhook that is not http(s) stops the worker.
func TestWebhookSettings(t *testing.T) {
	t.Setenv("FLOWLAB_WEBHOOK_ALLOW", "10.0.0.0/33")
	_, err := webhookAllow()
	require.ErrorContains(t, err, "FLOWLAB_WEBHOOK_ALLOW")
	_, err = newWorker(nil, nil, discard(), "", nil, time.Second)
	require.ErrorContains(t, err, "FLOWLAB_WEBHOOK_ALLOW")

	t.Setenv("FLOWLAB_WEBHOOK_ALLOW", "10.20.0.0/16,hooks.internal")
	allow, err := webhookAllow()
	require.NoError(t, err)
	require.Equal(t, "10.20.0.0/16,hooks.internal", allow.String())
	require.Same(t, allow, flow.DefaultWebhookAllow())
	t.Cleanup(func() { flow.SetDefaultWebhookAllow(nil) })

	_, err = newWorker(nil, nil, discard(), "gopher://example.com/", nil, time.Second)
	require.ErrorContains(t, err, "FLOWLAB_NOTIFY_WEBHOOK")
}

func TestWebSettings(t *testing.T) {
	t.Setenv("FLOWLAB_BEHIND_TLS", "true")
	t.Setenv("FLOWLAB_SESSION_IDLE", "20m")
	t.Setenv("FLOWLAB_SESSION_MAX", "8h")
	t.Setenv("FLOWLAB_DEPARTMENTS", "billing, , sales")
	c, err := webSettings()
	require.NoError(t, err)
	require.True(t, c.BehindTLS)
	require.Equal(t, 20*time.Minute, c.SessionIdle)
	require.Equal(t, 8*time.Hour, c.SessionMaxAge)
	require.Equal(t, []string{"billing", "sales"}, c.API.Departments)
	t.Setenv("FLOWLAB_SESSION_KEY", "short")
	_, err = webSettings()
	require.ErrorContains(t, err, "FLOWLAB_SESSION_KEY")
	t.Setenv("FLOWLAB_SESSION_KEY", "")
	t.Setenv("FLOWLAB_BEHIND_TLS", "yes please")
	_, err = webSettings()
	require.ErrorContains(t, err, "FLOWLAB_BEHIND_TLS")
}

// flowlab dev keeps its web UI session key in the data dir, as it keeps its
// admin token, so a restart does not sign everyone out; FLOWLAB_SESSION_KEY
// wins when set.
func TestDevSessionKeyIsKept(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("FLOWLAB_SESSION_KEY", "")
	first, err := devSessionKey(dir)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(first), 32, "the server wants 32+ characters")
	again, err := devSessionKey(dir)
	require.NoError(t, err)
	require.Equal(t, first, again, "the second start reads the first one's key")
	fi, err := os.Stat(filepath.Join(dir, sessionKeyFile))
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	other, err := devSessionKey(t.TempDir())
	require.NoError(t, err)
	require.NotEqual(t, first, other, "each data dir has its own key")
	t.Setenv("FLOWLAB_SESSION_KEY", "an operator's key of more than thirty-two characters")
	set, err := devSessionKey(dir)
	require.NoError(t, err)
	require.Equal(t, "an operator's key of more than thirty-two characters", set)
}

// Single sign-on settings (decision 0038): off without an issuer, every
// mistake named by its variable.
func TestOIDCSettings(t *testing.T) {
	c, err := oidcSettings()
	require.NoError(t, err)
	require.Nil(t, c, "no issuer: sign-in with a token")
	t.Setenv("FLOWLAB_OIDC_CLIENT_ID", "flowlab")
	_, err = oidcSettings()
	require.ErrorContains(t, err, "FLOWLAB_OIDC_CLIENT_ID is set but FLOWLAB_OIDC_ISSUER is not")

	t.Setenv("FLOWLAB_OIDC_ISSUER", "https://id.example.com/realms/acme")
	t.Setenv("FLOWLAB_OIDC_CLIENT_SECRET", "s3cret")
	t.Setenv("FLOWLAB_OIDC_REDIRECT_URL", "https://flowlab.example.com/ui/signin/callback")
	t.Setenv("FLOWLAB_OIDC_ROLE_MAP", "support=staff:customer_service;owners=owner")
	c, err = oidcSettings()
	require.NoError(t, err)
	require.Equal(t, "https://id.example.com/realms/acme", c.Issuer)
	require.Equal(t, "flowlab", c.ClientID)
	require.Equal(t, "s3cret", c.ClientSecret)
	require.Equal(t, "groups", c.GroupsClaim)
	require.Equal(t, "id.example.com", c.ProviderName)
	require.True(t, c.Register, "FLOWLAB_OIDC_JIT defaults to on")
	require.Len(t, c.RoleMap, 2)

	t.Setenv("FLOWLAB_OIDC_JIT", "registered")
	t.Setenv("FLOWLAB_OIDC_GROUPS_CLAIM", "roles")
	t.Setenv("FLOWLAB_OIDC_PROVIDER_NAME", "Acme SSO")
	c, err = oidcSettings()
	require.NoError(t, err)
	require.False(t, c.Register)
	require.Equal(t, "roles", c.GroupsClaim)
	require.Equal(t, "Acme SSO", c.ProviderName)

	for _, tc := range []struct{ name, value, want string }{
		{"FLOWLAB_OIDC_JIT", "maybe", "FLOWLAB_OIDC_JIT"},
		{"FLOWLAB_OIDC_ISSUER", "http://id.example.com", "FLOWLAB_OIDC_ISSUER"},
		{"FLOWLAB_OIDC_REDIRECT_URL", "https://flowlab.example.com/elsewhere", "FLOWLAB_OIDC_REDIRECT_URL"},
		{"FLOWLAB_OIDC_REDIRECT_URL", "", "FLOWLAB_OIDC_REDIRECT_URL: required"},
		{"FLOWLAB_OIDC_CLIENT_ID", "", "FLOWLAB_OIDC_CLIENT_ID: required"},
		{"FLOWLAB_OIDC_ROLE_MAP", "support=boss", "FLOWLAB_OIDC_ROLE_MAP"},
		{"FLOWLAB_OIDC_ROLE_MAP", "", "FLOWLAB_OIDC_ROLE_MAP: required"},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			_, err := oidcSettings()
			require.ErrorContains(t, err, tc.want)
		})
	}
	// http on this machine is fine (a provider tried locally).
	t.Setenv("FLOWLAB_OIDC_ISSUER", "http://127.0.0.1:5556/dex")
	t.Setenv("FLOWLAB_OIDC_REDIRECT_URL", "http://localhost:8080/ui/signin/callback")
	_, err = oidcSettings()
	require.NoError(t, err)
	_, err = webSettings()
	require.NoError(t, err)
}
