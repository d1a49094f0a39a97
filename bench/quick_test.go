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

// quickRun runs one scenario in quick mode through the command's own
// entry point and returns its JSON result, checked for shape: the exit
// code, the scenario's name, every row as wide as the columns. The
// figures are not checked (no timed assertions). Skipped under -short:
// every scenario starts processes.
func quickRun(t *testing.T, name string) kit.Result {
	t.Helper()
	res, _ := quickRunOut(t, name)
	return res
}

// quickRunOut is quickRun that also returns what the command printed.
func quickRunOut(t *testing.T, name string) (kit.Result, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL and flowlab processes")
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
	return res, stdout.String()
}
