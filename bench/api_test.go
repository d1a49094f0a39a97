package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/bench/kit"
)

// apiQuickRun runs one scenario in quick mode and returns its JSON
// result; it checks the exit code, not the figures.
func apiQuickRun(t *testing.T, name string) kit.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL, Temporal and flowlab as separate processes")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-quick", "-out", dir, name}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	require.NoError(t, err)
	var res kit.Result
	require.NoError(t, json.Unmarshal(b, &res))
	require.Equal(t, name, res.Scenario)
	for _, row := range res.Rows {
		require.Len(t, row, len(res.Columns))
	}
	return res
}

func TestAPIQuick(t *testing.T) {
	res := apiQuickRun(t, "api")
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
