package activities

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/egress"
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
	c.CheckRedirect = egress.NoRedirects
	if untrusted {
		a.egressOnce.Do(func() { a.egress = egress.Transport(a.webhookAllow(), WebhookTimeout) })
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
	var rd *egress.RefusedError
	if errors.As(err, &rd) {
		return temporal.NewNonRetryableApplicationError("post webhook: "+rd.Error(), ErrTypeWebhookRefused, err)
	}
	return fmt.Errorf("post webhook: %w", err)
}
