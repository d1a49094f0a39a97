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
	require.Len(t, res.Rows, 5, "pull: start → opened; least_loaded: start → opened, opened → assigned, the store call, start → assigned")
	require.Len(t, res.Targets, 1)
	require.Contains(t, res.Targets[0].What, "opened → assigned")
	data := res.Data.(map[string]any)
	rows := data["rows"].([]any)
	require.Len(t, rows, 1)
	row := rows[0].(map[string]any)
	require.EqualValues(t, 20, row["rate_per_s"])
	// Figures depend on the machine's load: only that each part was
	// measured is checked, and the read-back (the run fails without it).
	pull, assigned := row["pull"].(map[string]any), row["least_loaded"].(map[string]any)
	require.Positive(t, pull["start_to_opened"].(map[string]any)["n"])
	for _, k := range []string{"start_to_opened", "opened_to_assigned", "assign_task_call", "start_to_assigned"} {
		require.Positive(t, assigned[k].(map[string]any)["n"], k)
	}
	require.Nil(t, pull["opened_to_assigned"], "pull assigns nothing")
	check := data["check"].(map[string]any)
	require.Positive(t, check["assigned_tasks"])
	require.Equal(t, check["assigned_tasks"], check["assigned_notifications"])
	require.Positive(t, check["pull_tasks_unassigned"])
}
