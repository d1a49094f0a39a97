package flow

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
)

// Webhook egress rules (decision 0021). A flow's webhook URL is untrusted
// input: a webhook step may POST only over http or https, and only to
// addresses outside the ranges an attacker could use to reach the
// operator's own network (loopback, private, link-local with the cloud
// metadata service, unspecified, and the other special-purpose ranges of
// refusedPrefixes), unless the operator lists them in a WebhookAllow.
// Validation applies the rules to what a URL says (scheme, syntax,
// localhost, literal addresses); the webhook activity applies them again
// to every address it actually dials, after name resolution.

// WebhookSchemes are the URL schemes a webhook may use.
var WebhookSchemes = []string{"http", "https"}

// refusedPrefixes are the special-purpose ranges (RFC 6890 and its IPv6
// kin) beyond those netip classifies itself: never a public receiver.
var refusedPrefixes = []struct {
	prefix netip.Prefix
	class  string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "this-network"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignments"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("fec0::/10"), "site-local"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	// RFC 8215: a network's own NAT64 prefix, which reaches its own IPv4
	// hosts (private ones included) in a layout that varies with it.
	{netip.MustParsePrefix("64:ff9b:1::/48"), "local-use NAT64"},
}

// The well-known NAT64 prefix and 6to4, whose addresses carry the IPv4
// address they reach (RFC 6052, RFC 3056).
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// RefusedAddr returns the class of address a that webhooks may not reach
// without an allow-list entry ("loopback", "private", "link-local", ...),
// or "" when a is a public unicast address. IPv4-mapped IPv6 addresses
// and the IPv4 addresses embedded in NAT64 (64:ff9b::/96) and 6to4
// (2002::/16) addresses are judged as the IPv4 address they reach.
func RefusedAddr(a netip.Addr) string {
	a = a.Unmap()
	if a.Is6() {
		b := a.As16()
		switch {
		case nat64Prefix.Contains(a):
			if c := RefusedAddr(netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})); c != "" {
				return c + " (through NAT64)"
			}
		case sixToFour.Contains(a):
			if c := RefusedAddr(netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})); c != "" {
				return c + " (through 6to4)"
			}
		}
	}
	switch {
	case !a.IsValid():
		return "invalid"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsLoopback():
		return "loopback"
	case a == netip.AddrFrom4([4]byte{169, 254, 169, 254}):
		return "cloud metadata"
	case a.IsLinkLocalUnicast():
		return "link-local"
	case a.IsPrivate():
		return "private"
	case a.IsMulticast(), a.IsLinkLocalMulticast(), a.IsInterfaceLocalMulticast():
		return "multicast"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	}
	for _, p := range refusedPrefixes {
		if p.prefix.Contains(a) {
			return p.class
		}
	}
	return ""
}

// WebhookAllow is the operator's allow-list of webhook targets the rules
// would refuse (their own internal receivers): address prefixes (CIDR),
// single addresses, and host names (exact, lower case). The zero value
// and nil allow nothing.
type WebhookAllow struct {
	prefixes []netip.Prefix
	hosts    []string
}

// ParseWebhookAllow reads an allow-list written as comma- or
// space-separated entries, each a CIDR prefix (10.1.0.0/16, fd00::/8), an
// address (10.1.2.3, ::1) or a host name (hooks.internal, localhost).
func ParseWebhookAllow(s string) (*WebhookAllow, error) {
	w := &WebhookAllow{}
	for _, e := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		if strings.Contains(e, "/") {
			p, err := netip.ParsePrefix(e)
			if err != nil {
				return nil, fmt.Errorf("webhook allow-list entry %q is not a CIDR prefix like 10.0.0.0/8: %w", e, err)
			}
			w.prefixes = append(w.prefixes, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(strings.Trim(e, "[]")); err == nil {
			w.prefixes = append(w.prefixes, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		if strings.ContainsAny(e, ":@?#") {
			return nil, fmt.Errorf("webhook allow-list entry %q is neither a CIDR prefix, an address nor a host name", e)
		}
		w.hosts = append(w.hosts, strings.ToLower(strings.TrimSuffix(e, ".")))
	}
	return w, nil
}

// String lists the entries, comma-separated.
func (w *WebhookAllow) String() string {
	if w == nil {
		return ""
	}
	var out []string
	for _, p := range w.prefixes {
		out = append(out, p.String())
	}
	return strings.Join(append(out, w.hosts...), ",")
}

// AllowsHost reports whether host (a name, as written in a URL) is listed.
func (w *WebhookAllow) AllowsHost(host string) bool {
	return w != nil && slices.Contains(w.hosts, strings.ToLower(strings.TrimSuffix(host, ".")))
}

// AllowsAddr reports whether a is in a listed prefix.
func (w *WebhookAllow) AllowsAddr(a netip.Addr) bool {
	if w == nil {
		return false
	}
	a = a.Unmap()
	for _, p := range w.prefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

var defaultWebhookAllow atomic.Pointer[WebhookAllow]

// SetDefaultWebhookAllow sets the allow-list Validate uses when
// ValidateOptions.WebhookAllow is nil: the process's FLOWLAB_WEBHOOK_ALLOW,
// set once at start-up, so that publishing and the worker agree.
func SetDefaultWebhookAllow(w *WebhookAllow) { defaultWebhookAllow.Store(w) }

// DefaultWebhookAllow is the allow-list set by SetDefaultWebhookAllow (nil:
// none).
func DefaultWebhookAllow() *WebhookAllow { return defaultWebhookAllow.Load() }

// ErrWebhookURL marks a webhook URL the egress rules refuse as written.
var ErrWebhookURL = errors.New("webhook URL refused")

// CheckWebhookURL applies the egress rules to what raw says: it must be an
// absolute http or https URL with a host and without user information;
// "localhost" (and *.localhost) and literal addresses in refused ranges
// are refused unless allow lists them. Names that resolve to refused
// addresses are caught when they are dialled. Errors wrap ErrWebhookURL.
func CheckWebhookURL(raw string, allow *WebhookAllow) error {
	u, err := url.Parse(raw)
	if err != nil {
		msg := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			msg = ue.Err.Error()
		}
		return fmt.Errorf("%w: %q is not a URL: %s", ErrWebhookURL, raw, msg)
	}
	if !slices.Contains(WebhookSchemes, strings.ToLower(u.Scheme)) {
		if u.Scheme == "" {
			return fmt.Errorf("%w: %q has no scheme; write http:// or https://", ErrWebhookURL, raw)
		}
		return fmt.Errorf("%w: scheme %q is not allowed; webhooks use http or https", ErrWebhookURL, u.Scheme)
	}
	if u.User != nil {
		return fmt.Errorf("%w: %q carries a user name or password; put credentials in the receiver's configuration, not the flow", ErrWebhookURL, u.Redacted())
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: %q has no host", ErrWebhookURL, raw)
	}
	if allow.AllowsHost(host) {
		return nil
	}
	lower := strings.ToLower(strings.TrimSuffix(host, "."))
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return fmt.Errorf("%w: host %q is this machine (loopback); list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver", ErrWebhookURL, host)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return nil // a name: judged by the addresses it resolves to
	}
	if class := RefusedAddr(a); class != "" && !allow.AllowsAddr(a) {
		return fmt.Errorf("%w: %s is a %s address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver", ErrWebhookURL, host, class)
	}
	return nil
}
