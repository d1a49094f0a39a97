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
	"github.com/flowlab/flowlab/sim"
)

// TestSimulationQuick runs the scenario in quick mode. The simulator is
// pure (no processes), so unlike quickRun this runs under -short too.
func TestSimulationQuick(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-quick", "-out", dir, "simulation"}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, "simulation.json"))
	require.NoError(t, err)
	var res kit.Result
	require.NoError(t, json.Unmarshal(b, &res))
	require.Equal(t, "simulation", res.Scenario)
	require.Len(t, res.Rows, 1, "one horizon in quick mode")
	require.Len(t, res.Rows[0], len(res.Columns))
	require.Empty(t, res.Targets, "the target is measured at a year only")
	rows := res.Data.(map[string]any)["rows"].([]any)
	row := rows[0].(map[string]any)
	require.EqualValues(t, 14, row["horizon_days"])
	require.EqualValues(t, 20, row["replications"])
	require.InDelta(t, 1400, row["cases_per_replication"], 200, "100 cases a day")
	require.Positive(t, row["simulation_median_s"])
	require.Positive(t, row["floor_median_s"])
	require.Positive(t, row["eager_loop_median_s"])
	require.Positive(t, row["ratio"])
	require.Positive(t, row["events_per_replication"])
	require.Len(t, row["utilisation"], 3, "one per department")
	require.Contains(t, stdout.String(), "floor (the baseline): for every replication")
}

// BenchmarkSimulationRun is one replication of the scenario's year, for
// profiles: go test ./bench -run '^$' -bench SimulationRun -cpuprofile cpu.out
func BenchmarkSimulationRun(b *testing.B) {
	m, err := smModel()
	require.NoError(b, err)
	o := sim.Options{Seed: smSeed, Start: smStart, Horizon: smTargetDays * 24 * time.Hour, Drain: smDrain}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		o.Seed = smSeed + uint64(i)
		r, err := sim.Run(m, o)
		require.NoError(b, err)
		_ = sim.Summarise(m, r)
	}
}

// TestPredictionQuick runs the prediction scenario on 35 days of demo
// history (a week to calibrate before the longest holdout): six backtests
// and the pilot, each error computed as its definition says.
func TestPredictionQuick(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes four weeks of demo history")
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"-quick", "-sizes", "35", "-out", dir, "prediction"}, &stdout, &stderr)
	require.Equal(t, 0, code, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	b, err := os.ReadFile(filepath.Join(dir, "prediction.json"))
	require.NoError(t, err)
	var res kit.Result
	require.NoError(t, json.Unmarshal(b, &res))
	require.Len(t, res.Rows, 6, "3 flows × 2 holdouts")
	require.Len(t, res.Targets, 2, "the backtests and the pilot")
	rows := res.Data.(map[string]any)["rows"].([]any)
	for _, r := range rows {
		row := r.(map[string]any)
		obs, pred, e := row["observed_median_s"], row["predicted_median_s"], row["median_error"]
		if obs == nil || pred == nil {
			continue
		}
		require.InDelta(t, pred.(float64)/obs.(float64)-1, e.(float64), 1e-9, "%v", row["flow"])
	}
	pilot := res.Data.(map[string]any)["pilot"].(map[string]any)
	pred := pilot["predicted_change"].(map[string]any)["mean"].(float64)
	meas := pilot["measured_change"].(float64)
	require.InDelta(t, (1+pred)/(1+meas)-1, pilot["error"].(float64), 1e-9)
}
