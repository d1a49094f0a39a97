// Package egress is how flowlab dials a URL that untrusted input chose: a
// flow's webhook step, a person's chat webhook (decision 0021). The static
// rules on what a URL says are flow.CheckWebhookURL's; this package applies
// them again to every address actually dialled, after name resolution, and
// hands redirects back instead of following them. The activities and the
// notification dispatcher share it.
package egress

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"

	"github.com/flowlab/flowlab/flow"
)

// RefusedError is the error of a dial the egress rules stop: Addr is the
// address that was about to be dialled, Class the kind of address it is
// ("loopback", "private", ...).
type RefusedError struct {
	Addr  netip.Addr
	Class string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s is a %s address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver", e.Addr, e.Class)
}

// Transport dials only addresses the egress rules let through: the check
// runs in the dialer's Control hook, on the address actually being
// connected to (after name resolution, for every address tried), so a name
// that resolves, or re-resolves, to an internal address is refused with a
// *RefusedError. Hosts named in allow are dialled without the check.
// Proxies from the environment are not used: a proxy would dial for us,
// unchecked. timeout bounds the dial, the TLS handshake and the wait for
// the response's headers.
func Transport(allow *flow.WebhookAllow, timeout time.Duration) *http.Transport {
	checked := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &RefusedError{Class: "unparsable (" + address + ")"}
		}
		a := ap.Addr().Unmap()
		if class := flow.RefusedAddr(a); class != "" && !allow.AllowsAddr(a) {
			return &RefusedError{Addr: a, Class: class}
		}
		return nil
	}}
	plain := &net.Dialer{Timeout: timeout}
	return &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if host, _, err := net.SplitHostPort(addr); err == nil && allow.AllowsHost(host) {
				return plain.DialContext(ctx, network, addr)
			}
			return checked.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
}

// NoRedirects makes a client hand back a redirect instead of following
// it (use it as http.Client.CheckRedirect): a redirect could lead anywhere,
// unchecked by the static rules.
func NoRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// Client is an HTTP client over Transport(allow, timeout) that follows no
// redirects, with timeout as its overall limit too.
func Client(allow *flow.WebhookAllow, timeout time.Duration) *http.Client {
	return &http.Client{Transport: Transport(allow, timeout), CheckRedirect: NoRedirects, Timeout: timeout}
}
