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
