package flow

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRefusedAddr(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "::ffff:127.0.0.1": "loopback",
		"10.0.0.1": "private", "172.16.5.4": "private", "192.168.1.1": "private", "fd00::1": "private",
		"169.254.169.254": "cloud metadata", "169.254.1.1": "link-local", "fe80::1": "link-local",
		"0.0.0.0": "unspecified", "::": "unspecified", "0.1.2.3": "this-network",
		"100.100.100.200": "shared (carrier-grade NAT)", "224.0.0.1": "multicast", "255.255.255.255": "broadcast",
		"64:ff9b::a00:1": "private (through NAT64)", "64:ff9b:1:a00:1::": "local-use NAT64", "2002:7f00:1::": "loopback (through 6to4)",
		"93.184.216.34": "", "2606:2800:220:1::": "", "::ffff:93.184.216.34": "",
	} {
		require.Equal(t, want, RefusedAddr(netip.MustParseAddr(addr)), addr)
	}
}

// The operator's allow-list lets their own receivers through, at
// validation as at the dial.
func TestWebhookAllowList(t *testing.T) {
	t.Parallel()
	allow, err := ParseWebhookAllow("10.1.0.0/16, 192.168.7.7 hooks.internal")
	require.NoError(t, err)
	require.Equal(t, "10.1.0.0/16,192.168.7.7/32,hooks.internal", allow.String())
	require.True(t, allow.AllowsAddr(netip.MustParseAddr("10.1.2.3")))
	require.True(t, allow.AllowsAddr(netip.MustParseAddr("::ffff:10.1.2.3")))
	require.False(t, allow.AllowsAddr(netip.MustParseAddr("10.2.0.1")))
	require.True(t, allow.AllowsHost("Hooks.Internal."))
	require.NoError(t, CheckWebhookURL("http://10.1.2.3/x", allow))
	require.NoError(t, CheckWebhookURL("http://hooks.internal/x", allow))
	require.ErrorIs(t, CheckWebhookURL("http://10.2.0.1/x", allow), ErrWebhookURL)
	_, err = ParseWebhookAllow("10.0.0.0/33")
	require.ErrorContains(t, err, "not a CIDR prefix")

	src := []byte("key: demo\nsteps:\n  - id: a\n    kind: auto\n    activity: webhook\n    params: {url: 'http://10.1.2.3/hook'}\n    next: z\n  - id: z\n    kind: end\n")
	_, diags := Load(src, ValidateOptions{})
	require.Equal(t, []string{`6:19: error: the url of auto step "a" is refused: 10.1.2.3 is a private address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver (bad-webhook-url)`}, render(diags))
	_, diags = Load(src, ValidateOptions{WebhookAllow: allow})
	require.Empty(t, diags)
}
