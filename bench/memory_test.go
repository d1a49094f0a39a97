package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestMemoryQuick(t *testing.T) {
	res := quickRun(t, "memory")
	require.Len(t, res.Rows, 1, "one size")
	require.Len(t, res.Rows[0], len(res.Columns))
	require.Len(t, res.Targets, 1)
	require.Contains(t, res.Targets[0].What, "worker RSS")
	data, ok := res.Data.(map[string]any)
	require.True(t, ok)
	base, ok := data["idle_baseline"].(map[string]any)
	require.True(t, ok)
	require.Positive(t, base["rss_mib"])
}
