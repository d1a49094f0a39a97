package main

// Scenario "prediction" (issue 22): how well the simulation predicts. On 90
// days of the demo's simulated operation (demohistory, written through the
// store in a private SQLite file), each built-in customer flow is
// backtested: calibrated on the history without its last 14 or 28 days,
// it predicts them, and the prediction is set beside what the history
// holds. The demo's finished pilot (complaint v1 against v2) is predicted
// as its workflow would have at its start and set beside its measured
// result. The baseline in the same run is the naive forecast a team makes
// without a simulator: the holdout's median cycle time is the calibration
// window's, and a pilot changes nothing.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"time"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/simcal"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

func init() {
	register(scenario{
		Name:  "prediction",
		Brief: "backtests of the built-in flows and the demo pilot's prediction on 90 days of demo history (sizes: history days) vs naive forecasts",
		Run:   runPrediction,
	})
}

// pdTarget is issue 22's target: the median predicted within ±15 %.
const pdTarget = simcal.PredictionTarget

// pdNow ends the history: a Monday, so that weeks are whole.
var pdNow = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

type pdRow struct {
	Flow            string   `json:"flow"`
	Holdout         int      `json:"holdout_days"`
	Closed          int      `json:"observed_closed"`
	ObservedMedian  *float64 `json:"observed_median_s"`
	PredictedMedian *float64 `json:"predicted_median_s"`
	MedianError     *float64 `json:"median_error"`
	NaiveError      *float64 `json:"naive_median_error"`
	P90Error        *float64 `json:"p90_error"`
	BreachError     *float64 `json:"breach_rate_error"`
	Seconds         float64  `json:"seconds"`
}

func runPrediction(ctx context.Context, e env) (*kit.Result, error) {
	days := e.sizes([]int{42}, []int{90})[0]
	reps := 20
	if e.Quick {
		reps = 4
	}
	res := kit.NewResult("prediction", "flow", "holdout days", "closed cases", "observed median", "predicted median",
		"error", "naive error", "p90 error", "breach rate error (points)", "seconds")
	res.Params["history_days"] = fmt.Sprint(days)
	res.Params["replications"] = fmt.Sprint(reps)
	st, err := sqlite.Open(ctx, filepath.Join(e.Work, "prediction.db"))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := api.SeedBuiltinFlows(ctx, st); err != nil {
		return nil, err
	}
	e.Logf("prediction: writing %d days of demo history", days)
	start := time.Now()
	sum, err := demohistory.Fill(ctx, st, demohistory.Options{Days: days, Seed: 1, Now: pdNow, Channels: api.DefaultChannels, Pilot: true}, nil)
	if err != nil {
		return nil, fmt.Errorf("prediction: the history: %w", err)
	}
	e.Logf("prediction: %d cases in %s", sum.Cases, time.Since(start).Round(time.Second))
	res.Params["history_cases"] = fmt.Sprint(sum.Cases)

	var rows []pdRow
	within, total, beatNaive := 0, 0, 0
	for _, key := range []string{"complaint", "returns-exchange", "appointment"} {
		def, err := defaultDef(ctx, st, key)
		if err != nil {
			return nil, err
		}
		for _, holdout := range []int{14, 28} {
			split := pdNow.Add(-time.Duration(holdout) * 24 * time.Hour)
			t0 := time.Now()
			bt, err := simcal.Backtest(ctx, st, def, sum.From, split, pdNow, simcal.RunOptions{Seed: 1, Replications: reps, Workers: 2})
			if err != nil {
				return nil, fmt.Errorf("prediction: backtest %s %d days: %w", key, holdout, err)
			}
			before, err := simcal.Observe(ctx, st, key, sum.From, split)
			if err != nil {
				return nil, err
			}
			b := bt.Backtest
			row := pdRow{Flow: key, Holdout: holdout, Closed: b.Observed.Closed, ObservedMedian: b.Observed.CycleMedian,
				PredictedMedian: bt.Current.Cycle[2].Seconds.Mean, MedianError: b.CycleMedianError, P90Error: b.CycleP90Error,
				BreachError: b.BreachRateError, Seconds: time.Since(t0).Seconds()}
			if before.CycleMedian != nil && b.Observed.CycleMedian != nil {
				v := *before.CycleMedian / *b.Observed.CycleMedian - 1
				row.NaiveError = &v
			}
			rows = append(rows, row)
			total++
			if row.MedianError != nil && math.Abs(*row.MedianError) <= pdTarget {
				within++
			}
			if row.MedianError != nil && row.NaiveError != nil && math.Abs(*row.MedianError) <= math.Abs(*row.NaiveError) {
				beatNaive++
			}
			res.Row(key, holdout, row.Closed, dur(row.ObservedMedian), dur(row.PredictedMedian), pct(row.MedianError), pct(row.NaiveError),
				pct(row.P90Error), points(row.BreachError), fmt.Sprintf("%.1f", row.Seconds))
			e.Logf("prediction: %s, %d days held out: median error %s (naive %s)", key, holdout, pct(row.MedianError), pct(row.NaiveError))
		}
	}
	res.Target("backtests: median cycle time predicted within ±15 % (3 flows × 2 holdouts)", "all",
		fmt.Sprintf("%d of %d", within, total), within == total)
	res.Note("backtests: the simulation's median error is at most the naive forecast's in %d of %d", beatNaive, total)

	pilot := map[string]any{}
	if sum.PilotID != "" {
		pl, err := st.GetPilot(ctx, sum.PilotID)
		if err != nil {
			return nil, err
		}
		req := simcal.PilotPredictionRequest(pl)
		cur, err := versionDef(ctx, st, pl.Flow, pl.Control)
		if err != nil {
			return nil, err
		}
		trt, err := versionDef(ctx, st, pl.Flow, pl.Treatment)
		if err != nil {
			return nil, err
		}
		c, err := simcal.Calibrate(ctx, st, simcal.Params{Flow: pl.Flow, From: *req.From, To: *req.To})
		if err != nil {
			return nil, err
		}
		pred, err := simcal.Compare(ctx, c, simcal.Scenario{Def: cur}, simcal.Scenario{Def: trt},
			simcal.RunOptions{Seed: 1, Days: *req.Days, Replications: min(reps, *req.Replications), Workers: 2})
		if err != nil {
			return nil, fmt.Errorf("prediction: the pilot: %w", err)
		}
		m, err := simcal.MeasurePilot(ctx, st, pl, pred.Change.CycleMedian)
		if err != nil || m == nil {
			return nil, fmt.Errorf("prediction: the pilot's measure: %v", err)
		}
		naive := 1/(1+*m.CycleMedianChange) - 1 // predicting no change
		pilot = map[string]any{"predicted_change": pred.Change.CycleMedian, "measured_change": *m.CycleMedianChange,
			"error": *m.PredictionError, "naive_error": naive, "closed": []int{m.ControlClosed, m.TreatmentClosed},
			"calibration_days": c.To.Sub(c.From).Hours() / 24, "notes": pred.Notes}
		res.Note("pilot %s (complaint v1 against v2, %d and %d cases closed): predicted change of median cycle time %s (95 %% interval %s to %s), measured %s; error of the predicted ratio %s (predicting no change: %s)",
			pl.ID, m.ControlClosed, m.TreatmentClosed, pct(pred.Change.CycleMedian.Mean), pct(pred.Change.CycleMedian.Lo), pct(pred.Change.CycleMedian.Hi),
			pct(m.CycleMedianChange), pct(m.PredictionError), pct(&naive))
		res.Target("the demo pilot's median cycle-time change predicted within ±15 %", "|error| ≤ 15 %", pct(m.PredictionError), *m.WithinTarget)
	}
	res.Note("error: predicted ÷ observed − 1 (median and p90 of cycle time, cases created in the held-out days and closed by its end, simulated alike); breach rate: predicted − observed in points")
	res.Note("naive (the baseline): the median of the cases created before the held-out days and closed by then, as the holdout's forecast; for the pilot, no change")
	res.Data = map[string]any{"rows": rows, "pilot": pilot}
	return res, nil
}

func defaultDef(ctx context.Context, st store.Store, key string) (*flow.Definition, error) {
	fv, err := st.DefaultFlowVersion(ctx, key)
	if err != nil {
		return nil, err
	}
	return compiled(fv)
}

func versionDef(ctx context.Context, st store.Store, key string, v int) (*flow.Definition, error) {
	fv, err := st.GetFlowVersion(ctx, key, v)
	if err != nil {
		return nil, err
	}
	return compiled(fv)
}

func compiled(fv store.FlowVersion) (*flow.Definition, error) {
	var d flow.Definition
	if err := json.Unmarshal(fv.Compiled, &d); err != nil {
		return nil, fmt.Errorf("flow %s v%d: %w", fv.Key, fv.Version, err)
	}
	return &d, nil
}

func dur(v *float64) string {
	if v == nil {
		return "—"
	}
	return time.Duration(*v * float64(time.Second)).Round(time.Minute).String()
}

func pct(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f %%", *v*100)
}

func points(v *float64) string {
	if v == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f", *v*100)
}
