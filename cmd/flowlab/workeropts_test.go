package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/obs"
)

func TestWorkflowCacheSizeFromEnv(t *testing.T) {
	for _, tc := range []struct {
		env  string
		want int
		bad  bool
	}{
		{"", 0, false},
		{"2000", 2000, false},
		{" 50 ", 50, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"many", 0, true},
	} {
		t.Setenv("FLOWLAB_WORKFLOW_CACHE_SIZE", tc.env)
		n, err := workflowCacheSize()
		if tc.bad {
			require.ErrorContains(t, err, "FLOWLAB_WORKFLOW_CACHE_SIZE", tc.env)
			var ue usageError
			require.ErrorAs(t, err, &ue)
			continue
		}
		require.NoError(t, err, tc.env)
		require.Equal(t, tc.want, n, tc.env)
	}
}

func TestOpsHandlerProfilesOnlyWhenAsked(t *testing.T) {
	ready := func(context.Context) error { return nil }
	for _, tc := range []struct {
		env  string
		want int
	}{{"", http.StatusNotFound}, {"1", http.StatusOK}} {
		t.Setenv("FLOWLAB_DEBUG_PPROF", tc.env)
		rec := httptest.NewRecorder()
		opsHandler(obs.New(), ready).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/pprof/", nil))
		require.Equal(t, tc.want, rec.Code, "FLOWLAB_DEBUG_PPROF=%q", tc.env)
	}
}
