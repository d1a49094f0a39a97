package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOverheadQuick(t *testing.T) {
	res := quickRun(t, "overhead")
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
