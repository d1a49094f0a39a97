package activities_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

func webhookInput(url string) workflows.AutoInput {
	return workflows.AutoInput{CaseID: caseID, Flow: "complaint", Step: "crm", Params: map[string]any{"url": url}}
}

func requireNonRetryable(t *testing.T, err error, typ, contains string) {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "want an application error, got %v", err)
	require.True(t, ae.NonRetryable(), "must not be retried: %v", err)
	require.Equal(t, typ, ae.Type(), "%v", err)
	require.ErrorContains(t, err, contains)
}

// A flow's webhook may not reach the operator's own network: a receiver
// on 127.0.0.1 is refused (not retried) unless the operator's allow-list
// names it. (TestTransportChecksDialledAddress in internal/egress covers
// names that resolve to refused addresses.)
func TestWebhookEgressDialRefusal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)

	a := &activities.Activities{Logger: quiet()}
	_, err := a.AutoWebhook(ctx, webhookInput(srv.URL))
	requireNonRetryable(t, err, activities.ErrTypeWebhookURL, "127.0.0.1 is a loopback address")

	allowed, err := flow.ParseWebhookAllow("127.0.0.0/8")
	require.NoError(t, err)
	ok := &activities.Activities{Logger: quiet(), WebhookAllow: allowed}
	_, err = ok.AutoWebhook(ctx, webhookInput(srv.URL))
	require.NoError(t, err)
	require.EqualValues(t, 1, hits.Load())
}

// Schemes other than http and https are refused up front, not retried 20
// times.
func TestWebhookBadURLIsNotRetried(t *testing.T) {
	t.Parallel()
	a := &activities.Activities{Logger: quiet()}
	for url, want := range map[string]string{
		"file:///etc/passwd":              `scheme "file" is not allowed`,
		"gopher://example.com/_x":         `scheme "gopher" is not allowed`,
		"example.com/hook":                "has no scheme",
		"http://user:pw@example.com/hook": "carries a user name or password",
		"http://169.254.169.254/latest":   "169.254.169.254 is a cloud metadata address",
		"http://[::ffff:10.0.0.1]/":       "is a private address",
		"http://[::]/":                    "is a unspecified address",
		"http://%zz":                      "is not a URL",
	} {
		_, err := a.AutoWebhook(context.Background(), webhookInput(url))
		requireNonRetryable(t, err, activities.ErrTypeWebhookURL, want)
	}
}

// A redirect is handed back, not followed, and fails the post without
// retries.
func TestWebhookRedirectNotFollowed(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/internal", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	allow, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	a := &activities.Activities{Logger: quiet(), WebhookAllow: allow}
	_, err = a.AutoWebhook(context.Background(), webhookInput(redirector.URL))
	requireNonRetryable(t, err, activities.ErrTypeWebhookRefused, "redirects are not followed")
	// The operator's own webhook does not follow redirects either.
	op := &activities.Activities{Logger: quiet(), WebhookURL: redirector.URL}
	_, err = op.AutoWebhook(context.Background(), webhookInput(""))
	requireNonRetryable(t, err, activities.ErrTypeWebhookRefused, "redirects are not followed")
	require.Zero(t, followed.Load())
}
