package sim

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/flowlab/flowlab/stats"
)

// CycleQuantiles are the quantiles of cycle time a Summary gives (the
// cycle-time distribution): p10, p25, median, p75, p90, p95.
var CycleQuantiles = [...]float64{0.10, 0.25, 0.50, 0.75, 0.90, 0.95}

// StepSummary is what one run says of a step's visits that finished.
type StepSummary struct {
	// Visits is the number of finished visits of cases measured.
	Visits int
	// WaitMedian and WaitP90 are seconds from entering the step to work
	// starting (the queue); WorkMedian and WorkMean seconds of work. NaN
	// without visits.
	WaitMedian, WaitP90, WorkMedian, WorkMean float64
}

// Summary is what one run says of the cases that arrived in its horizon
// after the warm-up (Result.MeasureFrom).
type Summary struct {
	Arrived, Done int
	// CycleMedian and CycleP90 are the finished cases' cycle times in
	// seconds (arrival → last step), NaN without any; Cycle are the
	// CycleQuantiles of the same.
	CycleMedian, CycleP90 float64
	Cycle                 [len(CycleQuantiles)]float64
	// CycleLogSD is the standard deviation of the log cycle times (of
	// those above 0 s), which a pilot's sample size is planned with; NaN
	// with fewer than 2.
	CycleLogSD float64
	// BreachRate is breached / finished visits of steps with an SLA;
	// OnTime is 1 − BreachRate (the KPI's on-time rate: task spans within
	// their SLA). NaN without such visits.
	BreachRate, OnTime float64
	// CaseOnTime is the share of finished cases closed within the case
	// SLA (NaN without a case SLA or a finished case).
	CaseOnTime float64
	// EscalationRate is the share of finished task visits that reached
	// at least one escalation level (NaN without task visits).
	EscalationRate float64
	// Steps are per step, in Model.Steps' order.
	Steps []StepSummary
	// Utilisation per department (Model.Staff's order).
	Utilisation []float64
	// Backlog is the mean number of open cases each day of the horizon
	// (from Result.Backlog's hourly counts).
	Backlog []float64
}

// Summarise reduces a run.
func Summarise(m *Model, r Result) Summary {
	nan := math.NaN()
	s := Summary{CycleMedian: nan, CycleP90: nan, CycleLogSD: nan, BreachRate: nan, OnTime: nan, CaseOnTime: nan, EscalationRate: nan}
	for i := range s.Cycle {
		s.Cycle[i] = nan
	}
	var cycles []float64
	withSLA, breached, tasks, escalated, late := 0, 0, 0, 0, 0
	waits := make([][]float64, len(m.Steps))
	works := make([][]float64, len(m.Steps))
	for _, c := range r.Cases {
		if c.Arrived.Before(r.MeasureFrom) {
			continue
		}
		s.Arrived++
		if c.Done() {
			s.Done++
			cycles = append(cycles, c.Closed.Sub(c.Arrived).Seconds())
			if c.Late {
				late++
			}
		}
		for _, v := range c.Visits {
			if v.Completed.IsZero() {
				continue
			}
			i := m.stepIndex(v.Step)
			if i < 0 {
				continue
			}
			waits[i] = append(waits[i], v.Wait().Seconds())
			works[i] = append(works[i], v.Work().Seconds())
			if m.Steps[i].SLA > 0 {
				withSLA++
				if v.Breached {
					breached++
				}
			}
			if m.Steps[i].Department != "" {
				tasks++
				if v.Escalated > 0 {
					escalated++
				}
			}
		}
	}
	if len(cycles) > 0 {
		slices.Sort(cycles)
		for i, q := range CycleQuantiles {
			s.Cycle[i] = stats.Quantile(cycles, q)
		}
		s.CycleMedian, s.CycleP90 = stats.Quantile(cycles, 0.5), stats.Quantile(cycles, 0.9)
		var logs []float64
		for _, c := range cycles {
			if c > 0 {
				logs = append(logs, math.Log(c))
			}
		}
		if len(logs) >= 2 {
			s.CycleLogSD = math.Sqrt(stats.Variance(logs))
		}
		if m.CaseSLA > 0 {
			s.CaseOnTime = 1 - float64(late)/float64(len(cycles))
		}
	}
	if withSLA > 0 {
		s.BreachRate = float64(breached) / float64(withSLA)
		s.OnTime = 1 - s.BreachRate
	}
	if tasks > 0 {
		s.EscalationRate = float64(escalated) / float64(tasks)
	}
	for i := range m.Steps {
		st := StepSummary{Visits: len(waits[i]), WaitMedian: nan, WaitP90: nan, WorkMedian: nan, WorkMean: nan}
		if len(waits[i]) > 0 {
			st.WaitMedian, st.WaitP90 = stats.Quantile(waits[i], 0.5), stats.Quantile(waits[i], 0.9)
			st.WorkMedian, st.WorkMean = stats.Quantile(works[i], 0.5), stats.Mean(works[i])
		}
		s.Steps = append(s.Steps, st)
	}
	for i := range m.Staff {
		s.Utilisation = append(s.Utilisation, r.Utilisation(i))
	}
	for d := 0; d*24 < len(r.Backlog); d++ {
		day := r.Backlog[d*24 : min(len(r.Backlog), d*24+24)]
		sum := 0
		for _, n := range day {
			sum += n
		}
		s.Backlog = append(s.Backlog, float64(sum)/float64(len(day)))
	}
	return s
}

// Interval is a figure's mean over replications and its 95 % interval.
type Interval struct {
	Mean, Lo, Hi float64
	N            int // replications with a value
}

// StepEstimate is a step's figures over the replications.
type StepEstimate struct {
	Visits                                    Interval
	WaitMedian, WaitP90, WorkMedian, WorkMean Interval
}

// Estimate is the replications' figures, each with its 95 % interval.
type Estimate struct {
	Replications          int
	Arrived, Done         Interval
	CycleMedian, CycleP90 Interval
	Cycle                 [len(CycleQuantiles)]Interval
	CycleLogSD            Interval
	BreachRate, OnTime    Interval
	CaseOnTime            Interval
	EscalationRate        Interval
	Steps                 []StepEstimate
	Utilisation           []Interval
	// Backlog is the mean open cases each day of the horizon.
	Backlog []Interval
}

// MaxReplications bounds Replicate.
const MaxReplications = 1000

// Replicate runs the model n times, run k with seed o.Seed+k, and
// estimates each figure with a 95 % interval (Student's t over the
// replications' values; NaN values left out).
func Replicate(m *Model, o Options, n int) (Estimate, []Summary, error) {
	return ReplicateContext(context.Background(), m, o, n, ReplicateOptions{})
}

// ReplicateOptions tune ReplicateContext.
type ReplicateOptions struct {
	// Workers run replications at once (default 1). The result does not
	// depend on it: run k always has seed Seed+k.
	Workers int
	// Progress, when set, is called after each replication with the
	// number done (from one goroutine at a time).
	Progress func(done, of int)
}

// ReplicateContext is Replicate with cancellation between runs, parallel
// workers and progress.
func ReplicateContext(ctx context.Context, m *Model, o Options, n int, ro ReplicateOptions) (Estimate, []Summary, error) {
	if n < 2 || n > MaxReplications {
		return Estimate{}, nil, fmt.Errorf("sim: 2 to %d replications, not %d", MaxReplications, n)
	}
	if err := m.Check(); err != nil {
		return Estimate{}, nil, err
	}
	workers := min(max(ro.Workers, 1), n)
	runs := make([]Summary, n)
	errs := make([]error, n)
	var (
		mu   sync.Mutex
		done int
		next int
		wg   sync.WaitGroup
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				k := next
				next++
				mu.Unlock()
				if k >= n || ctx.Err() != nil {
					return
				}
				ok := o
				ok.Seed = o.Seed + uint64(k)
				r, err := Run(m, ok)
				if err != nil {
					errs[k] = err
					return
				}
				runs[k] = Summarise(m, r)
				mu.Lock()
				done++
				if ro.Progress != nil {
					ro.Progress(done, n)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Estimate{}, nil, fmt.Errorf("sim: replications stopped: %w", err)
	}
	for _, err := range errs {
		if err != nil {
			return Estimate{}, nil, err
		}
	}
	return estimate(m, runs), runs, nil
}

// interval is the mean of the values that are numbers and its 95 %
// interval.
func interval(vals []float64) Interval {
	var xs []float64
	for _, v := range vals {
		if !math.IsNaN(v) {
			xs = append(xs, v)
		}
	}
	if len(xs) == 0 {
		return Interval{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	mean, lo, hi := stats.MeanCI(xs, 0.95)
	return Interval{Mean: mean, Lo: lo, Hi: hi, N: len(xs)}
}

func estimate(m *Model, runs []Summary) Estimate {
	pick := func(f func(Summary) float64) Interval {
		vals := make([]float64, len(runs))
		for k, s := range runs {
			vals[k] = f(s)
		}
		return interval(vals)
	}
	e := Estimate{Replications: len(runs),
		Arrived:        pick(func(s Summary) float64 { return float64(s.Arrived) }),
		Done:           pick(func(s Summary) float64 { return float64(s.Done) }),
		CycleMedian:    pick(func(s Summary) float64 { return s.CycleMedian }),
		CycleP90:       pick(func(s Summary) float64 { return s.CycleP90 }),
		CycleLogSD:     pick(func(s Summary) float64 { return s.CycleLogSD }),
		BreachRate:     pick(func(s Summary) float64 { return s.BreachRate }),
		OnTime:         pick(func(s Summary) float64 { return s.OnTime }),
		CaseOnTime:     pick(func(s Summary) float64 { return s.CaseOnTime }),
		EscalationRate: pick(func(s Summary) float64 { return s.EscalationRate }),
	}
	for i := range CycleQuantiles {
		e.Cycle[i] = pick(func(s Summary) float64 { return s.Cycle[i] })
	}
	for i := range m.Steps {
		e.Steps = append(e.Steps, StepEstimate{
			Visits:     pick(func(s Summary) float64 { return float64(s.Steps[i].Visits) }),
			WaitMedian: pick(func(s Summary) float64 { return s.Steps[i].WaitMedian }),
			WaitP90:    pick(func(s Summary) float64 { return s.Steps[i].WaitP90 }),
			WorkMedian: pick(func(s Summary) float64 { return s.Steps[i].WorkMedian }),
			WorkMean:   pick(func(s Summary) float64 { return s.Steps[i].WorkMean }),
		})
	}
	for i := range m.Staff {
		e.Utilisation = append(e.Utilisation, pick(func(s Summary) float64 { return s.Utilisation[i] }))
	}
	days := 0
	for _, s := range runs {
		days = max(days, len(s.Backlog))
	}
	for d := range days {
		e.Backlog = append(e.Backlog, pick(func(s Summary) float64 {
			if d < len(s.Backlog) {
				return s.Backlog[d]
			}
			return math.NaN()
		}))
	}
	return e
}
