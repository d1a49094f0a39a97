package simcal

import (
	"context"
	"fmt"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
)

// Observe is what happened to the cases a flow created in [from, to): how
// many closed by to, their cycle times, and the breach rate of the task
// spans entered in the period and completed by to (the numbers' usual
// definitions, censored at to as a simulation that stops at to is).
func Observe(ctx context.Context, st store.Store, flowKey string, from, to time.Time) (apiv1.SimObserved, error) {
	var out apiv1.SimObserved
	var cycles []float64
	var after *store.CaseCursor
	for {
		page, err := st.ListCases(ctx, store.ListCasesParams{Flow: flowKey, From: &from, To: &to, Limit: 500, After: after})
		if err != nil {
			return out, fmt.Errorf("simcal: observe the cases of %s: %w", flowKey, err)
		}
		for _, c := range page {
			out.Cases++
			if c.Status == store.CaseCompleted && c.ClosedAt != nil && !c.ClosedAt.After(to) {
				out.Closed++
				cycles = append(cycles, c.ClosedAt.Sub(c.CreatedAt).Seconds())
			}
		}
		if out.Cases > MaxCases {
			return out, fmt.Errorf("simcal: %s created more than %d cases from %s to %s (%w)", flowKey, MaxCases,
				from.Format(time.DateOnly), to.Format(time.DateOnly), ErrTooMuch)
		}
		if len(page) < 500 {
			break
		}
		last := page[len(page)-1]
		after = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if len(cycles) > 0 {
		m, p := stats.Quantile(cycles, 0.5), stats.Quantile(cycles, 0.9)
		out.CycleMedian, out.CycleP90 = &m, &p
	}
	withSLA, breached, spans := 0, 0, 0
	var cur *store.SpanCursor
	for {
		page, err := st.ExportSpans(ctx, store.ExportSpansParams{Flow: flowKey, From: &from, To: &to, Limit: 10_000, After: cur})
		if err != nil {
			return out, fmt.Errorf("simcal: observe the spans of %s: %w", flowKey, err)
		}
		for _, s := range page {
			if s.Kind == "task" && s.SLADue != nil && !s.CompletedAt.After(to) {
				withSLA++
				if s.Breached {
					breached++
				}
			}
		}
		spans += len(page)
		if spans > MaxSpans {
			return out, fmt.Errorf("simcal: %s has more than %d spans from %s to %s (%w)", flowKey, MaxSpans,
				from.Format(time.DateOnly), to.Format(time.DateOnly), ErrTooMuch)
		}
		if len(page) < 10_000 {
			break
		}
		last := page[len(page)-1]
		cur = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
	}
	if withSLA > 0 {
		r := float64(breached) / float64(withSLA)
		out.SLABreachRate = &r
	}
	return out, nil
}

// Backtest predicts [split, to) of a flow from its history in [from,
// split) with version def, and compares the prediction with what
// happened: the simulation warms up over the 7 days before split, measures
// the cases arriving from split on and stops at to, as what happened is
// seen at to.
func Backtest(ctx context.Context, st store.Store, def *flow.Definition, from, split, to time.Time, o RunOptions) (apiv1.SimulationResult, error) {
	days := int(to.Sub(split).Hours() / 24)
	if days < MinDays || !split.After(from) {
		return apiv1.SimulationResult{}, refuse("simcal: a backtest needs history before %s and at least %d days after it", split.Format(time.DateOnly), MinDays)
	}
	c, err := Calibrate(ctx, st, Params{Flow: def.Key, From: from, To: split})
	if err != nil {
		return apiv1.SimulationResult{}, err
	}
	if c.Cases == 0 {
		return apiv1.SimulationResult{}, refuse("simcal: flow %s created no case from %s to %s: there is nothing to calibrate the backtest from",
			def.Key, from.Format(time.RFC3339), split.Format(time.RFC3339))
	}
	o.Days, o.NoDrain, o.Start = days, true, split.Add(-WarmUpDays*24*time.Hour)
	// One side: the proposal is the current flow itself.
	res, err := Compare(ctx, c, Scenario{Def: def}, Scenario{Def: def}, o)
	if err != nil {
		return apiv1.SimulationResult{}, err
	}
	obs, err := Observe(ctx, st, def.Key, split, to)
	if err != nil {
		return apiv1.SimulationResult{}, err
	}
	bt := &apiv1.SimBacktest{Split: split, HoldoutDays: days, Observed: obs}
	pred := res.Current
	ratio := func(p *float64, o *float64) *float64 {
		if p == nil || o == nil || *o == 0 {
			return nil
		}
		v := *p / *o - 1
		return &v
	}
	bt.CycleMedianError = ratio(pred.Cycle[2].Seconds.Mean, obs.CycleMedian)
	bt.CycleP90Error = ratio(pred.Cycle[4].Seconds.Mean, obs.CycleP90)
	if pred.SLABreachRate.Mean != nil && obs.SLABreachRate != nil {
		v := *pred.SLABreachRate.Mean - *obs.SLABreachRate
		bt.BreachRateError = &v
	}
	res.Backtest = bt
	return res, nil
}
