package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testSimulations: a simulation is created once, reports progress while it
// runs, finishes once, and is listed newest first by flow and pilot.
func testSimulations(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	req := json.RawMessage(`{"flow":"complaint","days":28}`)
	x, created, err := s.CreateSimulation(ctx, store.Simulation{ID: "s1", Flow: "complaint", Stage: "waiting to start", Request: req, CreatedBy: "olga", CreatedAt: t0})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, store.SimulationRunning, x.Status)
	require.Equal(t, "waiting to start", x.Stage)
	require.JSONEq(t, string(req), string(x.Request))
	require.Nil(t, x.Result)
	require.Nil(t, x.FinishedAt)
	require.Equal(t, t0, x.CreatedAt)
	again, created, err := s.CreateSimulation(ctx, store.Simulation{ID: "s1", Flow: "complaint", Request: req, CreatedBy: "olga", CreatedAt: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, t0, again.CreatedAt, "a repeat returns the row")
	_, _, err = s.CreateSimulation(ctx, store.Simulation{ID: "s0", Flow: "complaint", CreatedBy: "olga", CreatedAt: t0})
	require.Error(t, err, "a request is required")

	require.NoError(t, s.SetSimulationProgress(ctx, "s1", 0.25, "simulating the current flow: run 5 of 20", t0.Add(time.Second)))
	x, err = s.GetSimulation(ctx, "s1")
	require.NoError(t, err)
	require.InDelta(t, 0.25, x.Progress, 1e-12)
	require.Equal(t, "simulating the current flow: run 5 of 20", x.Stage)
	require.Equal(t, t0.Add(time.Second), x.UpdatedAt)
	require.True(t, errors.Is(s.SetSimulationProgress(ctx, "nope", 0.5, "", t0), store.ErrNotFound))

	result := json.RawMessage(`{"days":28,"change":{"cycle_median":{"mean":-0.2}}}`)
	done, err := s.FinishSimulation(ctx, store.FinishSimulationParams{ID: "s1", Status: store.SimulationSucceeded, Result: result, At: t0.Add(time.Minute)})
	require.NoError(t, err)
	require.Equal(t, store.SimulationSucceeded, done.Status)
	require.InDelta(t, 1, done.Progress, 1e-12)
	require.Empty(t, done.Stage)
	require.JSONEq(t, string(result), string(done.Result))
	require.Equal(t, t0.Add(time.Minute), *done.FinishedAt)
	rep, err := s.FinishSimulation(ctx, store.FinishSimulationParams{ID: "s1", Status: store.SimulationSucceeded, Result: json.RawMessage(`{}`), At: t0.Add(time.Hour)})
	require.NoError(t, err, "a repeat returns the row")
	require.JSONEq(t, string(result), string(rep.Result))
	_, err = s.FinishSimulation(ctx, store.FinishSimulationParams{ID: "s1", Status: store.SimulationFailed, Error: "late", At: t0.Add(time.Hour)})
	require.True(t, errors.Is(err, store.ErrConflict), "finished once: %v", err)
	require.True(t, errors.Is(s.SetSimulationProgress(ctx, "s1", 0.5, "", t0.Add(time.Hour)), store.ErrConflict), "no progress after the end")

	_, _, err = s.CreateSimulation(ctx, store.Simulation{ID: "s2", Flow: "complaint", PilotID: "p1", Request: req, CreatedBy: "olga", CreatedAt: t0.Add(2 * time.Minute)})
	require.NoError(t, err)
	failed, err := s.FinishSimulation(ctx, store.FinishSimulationParams{ID: "s2", Status: store.SimulationFailed, Error: "no cases in the window", At: t0.Add(3 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, "no cases in the window", failed.Error)
	require.Nil(t, failed.Result)
	_, _, err = s.CreateSimulation(ctx, store.Simulation{ID: "s3", Flow: "returns", Request: req, CreatedBy: "ivan", CreatedAt: t0.Add(4 * time.Minute)})
	require.NoError(t, err)

	ids := func(xs []store.Simulation) []string {
		var out []string
		for _, x := range xs {
			out = append(out, x.ID)
		}
		return out
	}
	all, err := s.ListSimulations(ctx, store.ListSimulationsParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"s3", "s2", "s1"}, ids(all))
	byFlow, err := s.ListSimulations(ctx, store.ListSimulationsParams{Flow: "complaint", Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []string{"s2"}, ids(byFlow))
	next, err := s.ListSimulations(ctx, store.ListSimulationsParams{Flow: "complaint", After: &store.SimulationCursor{CreatedAt: byFlow[0].CreatedAt, ID: byFlow[0].ID}})
	require.NoError(t, err)
	require.Equal(t, []string{"s1"}, ids(next))
	running, err := s.ListSimulations(ctx, store.ListSimulationsParams{Status: store.SimulationRunning})
	require.NoError(t, err)
	require.Equal(t, []string{"s3"}, ids(running))
	byPilot, err := s.ListSimulations(ctx, store.ListSimulationsParams{PilotID: "p1"})
	require.NoError(t, err)
	require.Equal(t, []string{"s2"}, ids(byPilot))
	from, to := t0.Add(time.Minute), t0.Add(3*time.Minute)
	inRange, err := s.ListSimulations(ctx, store.ListSimulationsParams{From: &from, To: &to})
	require.NoError(t, err)
	require.Equal(t, []string{"s2"}, ids(inRange))
	_, err = s.GetSimulation(ctx, "nope")
	require.True(t, errors.Is(err, store.ErrNotFound))
}
