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

// TestAnalyticsQuick runs the analytics scenario at its smoke-test size:
// it must finish, print its rows and record its three targets (the figures
// themselves are not checked: the machine is shared).
func TestAnalyticsQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a private PostgreSQL")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-quick", "-out", dir, "analytics"}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, "analytics.json"))
	require.NoError(t, err)
	var res kit.Result
	require.NoError(t, json.Unmarshal(b, &res))
	require.Equal(t, "analytics", res.Scenario)
	require.Len(t, res.Rows, 6, "two flows by three ranges at one size")
	for _, row := range res.Rows {
		require.Len(t, row, len(res.Columns))
	}
	require.Len(t, res.Targets, 3)
	require.Contains(t, res.Targets[0].What, "bottleneck report")
	require.Contains(t, res.Targets[1].What, "naive percentile_cont")
	require.Contains(t, res.Targets[2].What, "relative error")
	data, ok := res.Data.(map[string]any)
	require.True(t, ok)
	loads, ok := data["loads"].([]any)
	require.True(t, ok)
	require.Len(t, loads, 1)
	require.Contains(t, stdout.String(), "week, cut days")
}
