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

// ovhRunQuick runs one scenario in quick mode and returns its JSON result.
func ovhRunQuick(t *testing.T, name string) kit.Result {
	t.Helper()
	if testing.Short() {
		t.Skip("starts flowlab processes")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-quick", "-out", dir, name}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, name+".json"))
	require.NoError(t, err)
	var res kit.Result
	require.NoError(t, json.Unmarshal(b, &res))
	require.Equal(t, name, res.Scenario)
	return res
}

func TestOverheadQuick(t *testing.T) {
	res := ovhRunQuick(t, "overhead")
	require.Len(t, res.Rows, 1, "one size on the embedded server")
	require.Len(t, res.Rows[0], len(res.Columns))
	require.Len(t, res.Targets, 1)
	require.Contains(t, res.Targets[0].What, "engine overhead")
	data, ok := res.Data.(map[string]any)
	require.True(t, ok)
	counts, ok := data["history_counts"].(map[string]any)
	require.True(t, ok)
	require.Len(t, counts, 2, "the complaint case's and the bare case's counts")
	for side, c := range counts {
		m := c.(map[string]any)
		require.Positive(t, m["activities"], side)
		require.Positive(t, m["updates"], side)
	}
}

func TestPlanFor(t *testing.T) {
	for _, tc := range []struct{ acts, updates int }{{19, 5}, {5, 5}, {7, 3}, {1, 1}} {
		p, err := barePlanFor(tc.acts, tc.updates)
		require.NoError(t, err)
		require.Equal(t, tc.acts, p.Activities())
		require.Equal(t, tc.updates, p.Updates)
	}
	_, err := barePlanFor(2, 3)
	require.Error(t, err)
	_, err = barePlanFor(2, 0)
	require.Error(t, err)
}
