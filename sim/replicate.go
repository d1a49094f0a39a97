package sim

import (
	"fmt"
	"math"

	"github.com/flowlab/flowlab/stats"
)

// Summary is what one run says of the cases that arrived in its horizon.
type Summary struct {
	Arrived, Done int
	// CycleMedian and CycleP90 are the finished cases' cycle times in
	// seconds (arrival → last step), NaN without any.
	CycleMedian, CycleP90 float64
	// BreachRate is breached / visits of steps with an SLA that finished.
	BreachRate float64
	// Utilisation per department (Model.Staff's order).
	Utilisation []float64
}

// Summarise reduces a run.
func Summarise(m *Model, r Result) Summary {
	s := Summary{Arrived: len(r.Cases), CycleMedian: math.NaN(), CycleP90: math.NaN(), BreachRate: math.NaN()}
	var cycles []float64
	withSLA, breached := 0, 0
	for _, c := range r.Cases {
		if c.Done() {
			s.Done++
			cycles = append(cycles, c.Closed.Sub(c.Arrived).Seconds())
		}
		for _, v := range c.Visits {
			if v.Completed.IsZero() {
				continue
			}
			if i := m.stepIndex(v.Step); i >= 0 && m.Steps[i].SLA > 0 {
				withSLA++
				if v.Breached {
					breached++
				}
			}
		}
	}
	if len(cycles) > 0 {
		s.CycleMedian, s.CycleP90 = stats.Quantile(cycles, 0.5), stats.Quantile(cycles, 0.9)
	}
	if withSLA > 0 {
		s.BreachRate = float64(breached) / float64(withSLA)
	}
	for i := range m.Staff {
		s.Utilisation = append(s.Utilisation, r.Utilisation(i))
	}
	return s
}

// Interval is a figure's mean over replications and its 95 % interval.
type Interval struct {
	Mean, Lo, Hi float64
	N            int // replications with a value
}

// Estimate is the replications' figures, each with its 95 % interval.
type Estimate struct {
	Replications          int
	Arrived, Done         Interval
	CycleMedian, CycleP90 Interval
	BreachRate            Interval
	Utilisation           []Interval
}

// MaxReplications bounds Replicate.
const MaxReplications = 1000

// Replicate runs the model n times, run k with seed o.Seed+k, and
// estimates each figure with a 95 % interval (Student's t over the
// replications' values; NaN values left out).
func Replicate(m *Model, o Options, n int) (Estimate, []Summary, error) {
	if n < 2 || n > MaxReplications {
		return Estimate{}, nil, fmt.Errorf("sim: 2 to %d replications, not %d", MaxReplications, n)
	}
	runs := make([]Summary, n)
	for k := range n {
		ok := o
		ok.Seed = o.Seed + uint64(k)
		r, err := Run(m, ok)
		if err != nil {
			return Estimate{}, nil, err
		}
		runs[k] = Summarise(m, r)
	}
	pick := func(f func(Summary) float64) Interval {
		var xs []float64
		for _, s := range runs {
			if v := f(s); !math.IsNaN(v) {
				xs = append(xs, v)
			}
		}
		if len(xs) == 0 {
			return Interval{Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		}
		mean, lo, hi := stats.MeanCI(xs, 0.95)
		return Interval{Mean: mean, Lo: lo, Hi: hi, N: len(xs)}
	}
	e := Estimate{Replications: n,
		Arrived:     pick(func(s Summary) float64 { return float64(s.Arrived) }),
		Done:        pick(func(s Summary) float64 { return float64(s.Done) }),
		CycleMedian: pick(func(s Summary) float64 { return s.CycleMedian }),
		CycleP90:    pick(func(s Summary) float64 { return s.CycleP90 }),
		BreachRate:  pick(func(s Summary) float64 { return s.BreachRate }),
	}
	for i := range m.Staff {
		e.Utilisation = append(e.Utilisation, pick(func(s Summary) float64 { return s.Utilisation[i] }))
	}
	return e, runs, nil
}
