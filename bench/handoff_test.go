package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestHandoffQuick(t *testing.T) {
	res := quickRun(t, "handoff")
	require.Len(t, res.Rows, 1, "one rate in quick mode")
	require.Len(t, res.Targets, 1)
	require.Contains(t, res.Targets[0].What, "handoff p99")
	rows := res.Data.([]any)
	require.Len(t, rows, 1)
	row := rows[0].(map[string]any)
	require.EqualValues(t, 20, row["rate_per_s"])
	// Figures and error counts depend on the machine's load (a busy
	// machine drops arrivals): only that each part was measured is
	// checked.
	for _, k := range []string{"handoff", "complete", "inbox_query_baseline", "bare_update_baseline"} {
		s := row[k].(map[string]any)
		require.Positive(t, s["n"], k)
	}
}
