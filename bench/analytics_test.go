package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnalyticsQuick runs the analytics scenario at its smoke-test size:
// it must finish, print its rows and record its three targets (the figures
// themselves are not checked: the machine is shared).
func TestAnalyticsQuick(t *testing.T) {
	res, stdout := quickRunOut(t, "analytics")
	require.Len(t, res.Rows, 6, "two flows by three ranges at one size")
	require.Len(t, res.Targets, 3)
	require.Contains(t, res.Targets[0].What, "bottleneck report")
	require.Contains(t, res.Targets[1].What, "naive percentile_cont")
	require.Contains(t, res.Targets[2].What, "relative error")
	data, ok := res.Data.(map[string]any)
	require.True(t, ok)
	loads, ok := data["loads"].([]any)
	require.True(t, ok)
	require.Len(t, loads, 1)
	require.Contains(t, stdout, "week, cut days")
}
