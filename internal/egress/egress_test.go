package egress_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/egress"
)

// The egress transport checks the address it is connecting to, after name
// resolution: "localhost" (which the static rules would refuse by name,
// skipped here) resolves to loopback and is refused at the dial, as is a
// literal 127.0.0.1; the allow-list lets the same dials through. This is
// what covers DNS names, and names re-resolved to internal addresses
// (rebinding), that no check of the URL can see.
func TestTransportChecksDialledAddress(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(srv.Close)
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]

	refusing := egress.Client(nil, 5*time.Second)
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		resp, err := refusing.Get(u)
		if resp != nil {
			resp.Body.Close()
		}
		var rd *egress.RefusedError
		require.True(t, errors.As(err, &rd), "%s: want a refused dial, got %v", u, err)
		require.Equal(t, "loopback", rd.Class)
	}
	require.Zero(t, hits.Load(), "nothing may reach the loopback receiver")

	allow, err := flow.ParseWebhookAllow("127.0.0.0/8, ::1")
	require.NoError(t, err)
	allowing := egress.Client(allow, 5*time.Second)
	for _, u := range []string{srv.URL, "http://localhost" + port} {
		resp, err := allowing.Get(u)
		require.NoError(t, err, u)
		resp.Body.Close()
	}
	require.EqualValues(t, 2, hits.Load())
}

// A redirect is handed back, not followed.
func TestClientFollowsNoRedirect(t *testing.T) {
	t.Parallel()
	var followed atomic.Int32
	target := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { followed.Add(1) }))
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL, http.StatusFound)
	}))
	t.Cleanup(redirector.Close)
	allow, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	resp, err := egress.Client(allow, 5*time.Second).Get(redirector.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.Zero(t, followed.Load())
}
