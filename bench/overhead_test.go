package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestOverheadQuick(t *testing.T) {
	res := quickRun(t, "overhead")
	require.Len(t, res.Rows, 1, "one size on the embedded server")
	require.Len(t, res.Rows[0], len(res.Columns))
	require.Len(t, res.Targets, 2, "against the all-regular bare workflow and the same-kinds one")
	require.Contains(t, res.Targets[0].What, "engine overhead")
	data, ok := res.Data.(map[string]any)
	require.True(t, ok)
	counts, ok := data["history_counts"].(map[string]any)
	require.True(t, ok)
	require.Len(t, counts, 2, "the complaint case's and the bare case's counts")
	var acts [2]float64
	for side, c := range counts {
		m := c.(map[string]any)
		regular, local := m["activities"].(float64), m["local_activities"].(float64)
		require.Positive(t, regular+local, side)
		require.Positive(t, m["updates"], side)
		i := 0
		if side != "embedded (flowlab dev, SQLite)/flowlab" {
			i = 1
		}
		acts[i] = 1000*local + regular
	}
	require.Equal(t, acts[0], acts[1], "the bare case runs as many activities of each kind as the complaint case")
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

func TestPlanWithLocal(t *testing.T) {
	p, err := barePlanFor(19, 5)
	require.NoError(t, err)
	p, err = p.withLocal(9)
	require.NoError(t, err)
	require.Equal(t, 9, p.LocalBefore*p.Updates+p.LocalAfter)
	require.LessOrEqual(t, p.LocalBefore, p.Before)
	require.LessOrEqual(t, p.LocalAfter, p.After)
	_, err = p.withLocal(19)
	require.Error(t, err, "the handlers' activities are regular")
}
