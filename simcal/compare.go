package simcal

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/stats"
)

// RunOptions are a comparison's run parameters.
type RunOptions struct {
	Seed         uint64
	Days         int // days of arrivals measured (after the warm-up)
	Replications int
	Workers      int
	// Start, when set, is the simulated start (the warm-up's first day)
	// instead of the Monday after the calibration; NoDrain ends the runs
	// with the measured days (a backtest compares with cases closed by
	// then).
	Start   time.Time
	NoDrain bool
	// Progress is told the share done (0 to 1) and what is being done.
	Progress func(share float64, stage string)
}

// Run lengths.
const (
	WarmUpDays = 7
	DrainDays  = 28
	MinDays    = 7
	MaxDays    = 366
	// MaxReplications bounds one comparison's runs (of each scenario).
	MaxReplications = 200
	// MaxRunCases bounds the cases one run is expected to simulate
	// (arrivals a day × (warm-up + days)): a run keeps its cases in
	// memory until it is summarised (~1 KiB each).
	MaxRunCases = 150_000
	// MaxRunDays bounds replications × (days + warm-up) of a request: 20
	// replications of a year.
	MaxRunDays = 20 * (MaxDays + WarmUpDays)
)

// Compare simulates the current flow and a proposal from one calibration
// with the same seeds, and reports both and the change, paired by
// replication.
func Compare(ctx context.Context, c *Calibration, current, proposed Scenario, o RunOptions) (apiv1.SimulationResult, error) {
	if o.Days < MinDays || o.Days > MaxDays {
		return apiv1.SimulationResult{}, refuse("simcal: %d days: simulate %d to %d days", o.Days, MinDays, MaxDays)
	}
	if o.Replications < 2 || o.Replications > MaxReplications {
		return apiv1.SimulationResult{}, refuse("simcal: %d replications: run 2 to %d", o.Replications, MaxReplications)
	}
	if current.Def != nil {
		proposed.Baseline = current.Def
		current.Baseline = current.Def
	}
	start := mondayOf(c.To)
	if start.Before(c.To) {
		start = start.Add(7 * 24 * time.Hour)
	}
	if !o.Start.IsZero() {
		start = o.Start
	}
	opts := sim.Options{Seed: o.Seed, Start: start, WarmUp: WarmUpDays * 24 * time.Hour,
		Horizon: time.Duration(WarmUpDays+o.Days) * 24 * time.Hour, Drain: DrainDays * 24 * time.Hour}
	if o.NoDrain {
		opts.Drain = 0
	}
	res := apiv1.SimulationResult{
		Calibration: apiv1.SimCalibration{From: c.From, To: c.To, Cases: c.Cases, Spans: c.Spans,
			CasesPerDay: perDay(c.Arrivals, 1)},
		Start: start, Days: o.Days, Replications: o.Replications, Seed: o.Seed, Notes: []apiv1.SimNote{},
	}
	var runs [2][]sim.Summary
	for k, sc := range []Scenario{current, proposed} {
		m, notes, err := c.Model(sc)
		if err != nil {
			return apiv1.SimulationResult{}, err
		}
		if n := perDay(m.ArrivalsPerHour, 1) * float64(WarmUpDays+o.Days); n > MaxRunCases {
			return apiv1.SimulationResult{}, refuse("simcal: %.0f cases a day over %d days (and %d of warm-up) are about %.0f cases a run; at most %d: simulate fewer days",
				perDay(m.ArrivalsPerHour, 1), o.Days, WarmUpDays, n, MaxRunCases)
		}
		for _, n := range notes {
			note := apiv1.SimNote{Step: n.Step, Department: n.Department, Text: n.Text}
			if !containsNote(res.Notes, note) {
				res.Notes = append(res.Notes, note)
			}
		}
		label := []string{"current", "proposed"}[k]
		est, sums, err := sim.ReplicateContext(ctx, m, opts, o.Replications, sim.ReplicateOptions{Workers: o.Workers,
			Progress: func(done, of int) {
				if o.Progress != nil {
					o.Progress((float64(k)+float64(done)/float64(of))/2, fmt.Sprintf("simulating the %s flow: run %d of %d", label, done, of))
				}
			}})
		if err != nil {
			if ctx.Err() != nil {
				return apiv1.SimulationResult{}, fmt.Errorf("simcal: simulate the %s flow: %w", label, err)
			}
			// The runs fail only on the model or its size.
			return apiv1.SimulationResult{}, refuse("simcal: simulate the %s flow: %v", label, err)
		}
		runs[k] = sums
		out := scenario(c, m, sc, est)
		if k == 0 {
			res.Current = out
		} else {
			res.Proposed = out
		}
	}
	res.Change = apiv1.SimChange{
		CycleMedian:   paired(runs, func(s sim.Summary) float64 { return s.CycleMedian }, true),
		CycleP90:      paired(runs, func(s sim.Summary) float64 { return s.CycleP90 }, true),
		SLABreachRate: paired(runs, func(s sim.Summary) float64 { return s.BreachRate }, false),
	}
	return res, nil
}

func containsNote(ns []apiv1.SimNote, n apiv1.SimNote) bool {
	for _, x := range ns {
		if x == n {
			return true
		}
	}
	return false
}

// paired is the change of a figure from current to proposed, run by run:
// relative (proposed ÷ current − 1) or absolute (proposed − current), the
// mean over the runs where both have a value and its 95 % interval.
func paired(runs [2][]sim.Summary, f func(sim.Summary) float64, relative bool) apiv1.SimFigure {
	var xs []float64
	for k := range runs[0] {
		a, b := f(runs[0][k]), f(runs[1][k])
		if math.IsNaN(a) || math.IsNaN(b) || (relative && a == 0) {
			continue
		}
		if relative {
			xs = append(xs, b/a-1)
		} else {
			xs = append(xs, b-a)
		}
	}
	if len(xs) == 0 {
		return apiv1.SimFigure{}
	}
	mean, lo, hi := stats.MeanCI(xs, 0.95)
	b := [2]float64{-1, 1} // a rate's change
	if relative {
		b = [2]float64{-1, math.Inf(1)}
	}
	return within(sim.Interval{Mean: mean, Lo: lo, Hi: hi, N: len(xs)}, b)
}

// Natural bounds of the figures: an interval of a few replications can
// reach past them; it is cut there.
var (
	nonNegative = [2]float64{0, math.Inf(1)}
	unit        = [2]float64{0, 1}
)

// within is figure with the interval cut to bounds.
func within(i sim.Interval, b [2]float64) apiv1.SimFigure {
	i.Lo, i.Hi = math.Max(i.Lo, b[0]), math.Min(i.Hi, b[1])
	return figure(i)
}

// figure is an interval with NaN as null.
func figure(i sim.Interval) apiv1.SimFigure {
	num := func(v float64) *float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return &v
	}
	return apiv1.SimFigure{Mean: num(i.Mean), Lo: num(i.Lo), Hi: num(i.Hi)}
}

// perDay is the expected arrivals a day of an hour-of-week profile.
func perDay(rates [sim.HoursPerWeek]float64, scale float64) float64 {
	sum := 0.0
	for _, r := range rates {
		sum += r
	}
	return sum * scale / 7
}

// scenario reports one side.
func scenario(c *Calibration, m *sim.Model, sc Scenario, e sim.Estimate) apiv1.SimScenario {
	out := apiv1.SimScenario{Label: label(sc), Version: sc.Def.Version, CasesPerDay: perDay(m.ArrivalsPerHour, 1),
		Arrived: within(e.Arrived, nonNegative), Done: within(e.Done, nonNegative),
		SLABreachRate: within(e.BreachRate, unit), OnTime: within(e.OnTime, unit), CaseOnTime: within(e.CaseOnTime, unit),
		Escalated: within(e.EscalationRate, unit)}
	for i, q := range sim.CycleQuantiles {
		out.Cycle = append(out.Cycle, apiv1.SimQuantile{Q: q, Seconds: within(e.Cycle[i], nonNegative)})
	}
	out.CycleLogSD = within(e.CycleLogSD, nonNegative)
	for i, st := range m.Steps {
		se := e.Steps[i]
		s := apiv1.SimStep{Step: st.ID, Department: st.Department, Visits: within(se.Visits, nonNegative),
			WaitMedian: within(se.WaitMedian, nonNegative), WaitP90: within(se.WaitP90, nonNegative), WorkMedian: within(se.WorkMedian, nonNegative)}
		if d := c.Step(st.ID); d != nil && len(d.Durations) > 0 {
			v := d.ObservedWork()
			s.ObservedWorkMedian = &v
		}
		out.Steps = append(out.Steps, s)
	}
	for i, st := range m.Staff {
		hours := 0
		for _, n := range st.PerHour {
			hours += n
		}
		out.Departments = append(out.Departments, apiv1.SimDepartment{Department: st.Department,
			PersonHoursWeek: float64(hours), Utilisation: within(e.Utilisation[i], nonNegative)})
	}
	for d, b := range e.Backlog {
		out.Backlog = append(out.Backlog, apiv1.SimBacklogDay{Day: d, Mean: b.Mean})
	}
	return out
}

// label names a scenario in words.
func label(sc Scenario) string {
	s := fmt.Sprintf("%s v%d", sc.Def.Key, sc.Def.Version)
	if sc.Def.Version == 0 {
		s = sc.Def.Key + " (draft)"
	}
	if len(sc.Staff) == 0 {
		s += ", staffing as observed"
	}
	for _, ch := range sc.Staff {
		s += fmt.Sprintf(", %+d in %s %02d–%02d", ch.Delta, ch.Department, ch.FromHour, ch.ToHour)
	}
	if sc.Volume != 0 && sc.Volume != 1 {
		s += fmt.Sprintf(", %.0f %% of the volume", sc.Volume*100)
	}
	return s
}
