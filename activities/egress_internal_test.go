package activities

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/internal/egress"
)

// A dial the egress transport refuses (here "localhost", which the static
// rules would refuse by name, skipped here, resolving to loopback) is a
// non-retryable WebhookRefused error: the same name is refused again.
// internal/egress tests the transport itself.
func TestRefusedDialIsNotRetried(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]

	refusing := egress.Client(nil, 5*time.Second)
	resp, err := refusing.Get("http://localhost" + port)
	if resp != nil {
		resp.Body.Close()
	}
	var rd *egress.RefusedError
	require.True(t, errors.As(err, &rd), "want a refused dial, got %v", err)
	var ae *temporal.ApplicationError
	require.True(t, errors.As(webhookError(err), &ae))
	require.True(t, ae.NonRetryable())
	require.Equal(t, ErrTypeWebhookRefused, ae.Type())
	require.Zero(t, hits.Load(), "nothing may reach the loopback receiver")
}
