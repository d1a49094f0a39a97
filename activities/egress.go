package activities

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/flow"
)

// Application error types of webhook posts the egress rules refuse
// (decision 0021). Neither is retried: the same URL is refused again.
const (
	// ErrTypeWebhookURL: the URL is not http(s), malformed, or names a
	// refused host or address.
	ErrTypeWebhookURL = "BadWebhookURL"
	// ErrTypeWebhookRefused: a name resolved to a refused address, or the
	// receiver answered with a redirect (never followed).
	ErrTypeWebhookRefused = "WebhookRefused"
)

// refusedDial is the error of a dial the egress rules stop.
type refusedDial struct {
	addr  netip.Addr
	class string
}

func (e *refusedDial) Error() string {
	return fmt.Sprintf("%s is a %s address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver", e.addr, e.class)
}

// egressTransport dials only addresses the egress rules let through: the
// check runs in the dialer's Control hook, on the address actually being
// connected to (after name resolution, for every address tried), so a
// name that resolves, or re-resolves, to an internal address is refused.
// Hosts named in allow are dialled without the check. Proxies from the
// environment are not used: a proxy would dial for us, unchecked.
func egressTransport(allow *flow.WebhookAllow, timeout time.Duration) *http.Transport {
	checked := &net.Dialer{Timeout: timeout, Control: func(network, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &refusedDial{class: "unparsable (" + address + ")"}
		}
		a := ap.Addr().Unmap()
		if class := flow.RefusedAddr(a); class != "" && !allow.AllowsAddr(a) {
			return &refusedDial{addr: a, class: class}
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

// noRedirects makes a client hand back a redirect instead of following it.
func noRedirects(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// webhookAllow is the allow-list in force: Activities.WebhookAllow, else
// the process default (FLOWLAB_WEBHOOK_ALLOW).
func (a *Activities) webhookAllow() *flow.WebhookAllow {
	if a.WebhookAllow != nil {
		return a.WebhookAllow
	}
	return flow.DefaultWebhookAllow()
}

// webhookClient is the client of one post: a's HTTPClient (or a default)
// with redirects off and, for a URL a flow chose (untrusted), the egress
// transport.
func (a *Activities) webhookClient(untrusted bool) *http.Client {
	c := *a.httpClient()
	c.CheckRedirect = noRedirects
	if untrusted {
		a.egressOnce.Do(func() { a.egress = egressTransport(a.webhookAllow(), WebhookTimeout) })
		c.Transport = a.egress
	}
	return &c
}

// checkWebhookURL applies the static rules: for a flow's URL all of them,
// for the operator's own (WebhookURL) the scheme and syntax only.
func (a *Activities) checkWebhookURL(raw string, untrusted bool) error {
	if untrusted {
		if err := flow.CheckWebhookURL(raw, a.webhookAllow()); err != nil {
			return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeWebhookURL, err)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		msg := fmt.Sprintf("the configured webhook %q is not an http or https URL", raw)
		return temporal.NewNonRetryableApplicationError(msg, ErrTypeWebhookURL, err)
	}
	return nil
}

// webhookError turns a refused dial into a non-retryable error.
func webhookError(err error) error {
	var rd *refusedDial
	if errors.As(err, &rd) {
		return temporal.NewNonRetryableApplicationError("post webhook: "+rd.Error(), ErrTypeWebhookRefused, err)
	}
	return fmt.Errorf("post webhook: %w", err)
}
