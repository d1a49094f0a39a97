package main

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRoutingQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Temporal server and uses PostgreSQL")
	}
	if err := routingReachable(context.Background()); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	res := quickRun(t, "routing")
	require.Len(t, res.Rows, 6, "pull: start → opened, the store call; least_loaded: start → opened, the store call, opened → assigned, start → assigned")
	require.Len(t, res.Targets, 1)
	require.Contains(t, res.Targets[0].What, "opened → assigned")
	require.Contains(t, res.Targets[0].What, "one commit", "the target says how it is measured")
	data := res.Data.(map[string]any)
	rows := data["rows"].([]any)
	require.Len(t, rows, 1)
	row := rows[0].(map[string]any)
	require.EqualValues(t, 20, row["rate_per_s"])
	// Figures depend on the machine's load: only that each part was
	// measured is checked, and the read-back (the run fails without it).
	pull, assigned := row["pull"].(map[string]any), row["least_loaded"].(map[string]any)
	for _, k := range []string{"start_to_opened", "open_task_call"} {
		require.Positive(t, pull[k].(map[string]any)["n"], k)
	}
	for _, k := range []string{"start_to_opened", "open_task_call", "opened_to_assigned", "start_to_assigned"} {
		require.Positive(t, assigned[k].(map[string]any)["n"], k)
	}
	require.Nil(t, pull["opened_to_assigned"], "pull assigns nothing")
	require.EqualValues(t, 0, pull["held_at_opening"])
	require.Equal(t, assigned["cases"], assigned["held_at_opening"], "every least_loaded task held when it opened")
	require.Zero(t, assigned["opened_to_assigned"].(map[string]any)["max_ms"], "one commit: 0 by construction")
	check := data["check"].(map[string]any)
	require.Positive(t, check["assigned_tasks"])
	require.Equal(t, check["assigned_tasks"], check["assigned_notifications"])
	require.Equal(t, check["assigned_tasks"], check["held_at_opening"])
	require.EqualValues(t, 0, check["assign_task_calls"])
	require.Positive(t, check["pull_tasks_unassigned"])
}
