package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAPIQuick(t *testing.T) {
	res := quickRun(t, "api")
	kinds := map[string]int{}
	for _, r := range res.Data.([]any) {
		m := r.(map[string]any)
		kinds[m["kind"].(string)]++
		lat := m["latency"].(map[string]any)
		// Errors (arrivals dropped by a busy machine) are figures too;
		// only that every row was measured is checked.
		require.Positive(t, lat["n"], m["endpoint"])
	}
	// Quick: healthz at the UI's rate and the API's; inbox and case at
	// the API's; the UI's two pages at theirs.
	require.Equal(t, map[string]int{"healthz": 2, "inbox": 1, "case": 1, "ui-inbox": 1, "ui-task": 1}, kinds)
	require.Len(t, res.Rows, 6)
	require.Len(t, res.Targets, 2)
	require.Contains(t, res.Targets[0].What, "500 req/s")
	require.Contains(t, res.Targets[1].What, "web UI")
	require.Equal(t, "10000", res.Params["open_tasks"])
}
