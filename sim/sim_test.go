package sim

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/stats"
)

var monday = time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)

// mm1 is one step served by one person around the clock: arrivals at
// lambda per hour, exponential work of mean 1/mu hours.
func mm1(lambda, mu float64) *Model {
	m := &Model{Start: "serve",
		Steps: []Step{{ID: "serve", Department: "desk", Work: Exponential{MeanSeconds: 3600 / mu}}},
		Staff: []Staffing{{Department: "desk"}}}
	for h := range HoursPerWeek {
		m.ArrivalsPerHour[h] = lambda
		m.Staff[0].PerHour[h] = 1
	}
	return m
}

func waits(r Result) []float64 {
	var out []float64
	for _, c := range r.Cases {
		for _, v := range c.Visits {
			if !v.Completed.IsZero() {
				out = append(out, v.Wait().Seconds())
			}
		}
	}
	return out
}

// TestMM1MatchesQueueingTheory: an M/M/1 queue at utilisation 0.75 waits
// Wq = λ / (μ (μ − λ)) = 3 / (4 × 1) h = 45 min on average, and the person is
// busy 75 % of the time; 20 replications of 26 weeks put both within their
// 95 % intervals, which are narrow.
func TestMM1MatchesQueueingTheory(t *testing.T) {
	m := mm1(3, 4)
	o := Options{Seed: 1, Start: monday, Horizon: 26 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour}
	var meanWaits []float64
	var util []float64
	for k := range 20 {
		o.Seed = uint64(k + 1)
		r, err := Run(m, o)
		require.NoError(t, err)
		meanWaits = append(meanWaits, stats.Mean(waits(r))/60)
		util = append(util, r.Utilisation(0))
	}
	mean, lo, hi := stats.MeanCI(meanWaits, 0.95)
	require.True(t, lo <= 45 && 45 <= hi, "mean wait %.2f min, 95 %% interval [%.2f, %.2f] should hold 45", mean, lo, hi)
	require.Less(t, hi-lo, 5.0, "the interval is narrow")
	um, ulo, uhi := stats.MeanCI(util, 0.95)
	require.True(t, ulo <= 0.75 && 0.75 <= uhi, "utilisation %.4f [%.4f, %.4f]", um, ulo, uhi)
}

func TestRunIsDeterministicForASeed(t *testing.T) {
	m := mm1(3, 4)
	o := Options{Seed: 42, Start: monday, Horizon: 14 * 24 * time.Hour, Drain: 24 * time.Hour}
	a, err := Run(m, o)
	require.NoError(t, err)
	b, err := Run(m, o)
	require.NoError(t, err)
	require.Equal(t, a, b)
	o.Seed = 43
	c, err := Run(m, o)
	require.NoError(t, err)
	require.NotEqual(t, len(a.Cases), 0)
	require.NotEqual(t, a.Cases[0].Arrived, c.Cases[0].Arrived)
}

// TestArrivalsFollowTheHourOfWeek: cases arrive at each hour's rate and
// not at all where it is 0 (weekday office hours only).
func TestArrivalsFollowTheHourOfWeek(t *testing.T) {
	m := mm1(0, 4)
	for d := range 5 {
		for h := 9; h < 17; h++ {
			m.ArrivalsPerHour[d*24+h] = 10
		}
	}
	m.ArrivalsPerHour[2*24+10] = 40 // Wednesday 10:00 is busy
	r, err := Run(m, Options{Seed: 7, Start: monday, Horizon: 52 * 7 * 24 * time.Hour})
	require.NoError(t, err)
	var per [HoursPerWeek]int
	for _, c := range r.Cases {
		per[HourOfWeek(c.Arrived)]++
	}
	for h, n := range per {
		want := m.ArrivalsPerHour[h] * 52
		if want == 0 {
			require.Zero(t, n, "hour %d", h)
			continue
		}
		// Poisson: within 4 standard deviations.
		require.InDelta(t, want, float64(n), 4*math.Sqrt(want), "hour %d", h)
	}
}

// TestWorkWaitsForStaffedHours: a task arriving at night waits for the
// morning's person.
func TestWorkWaitsForStaffedHours(t *testing.T) {
	m := mm1(0, 60)
	m.ArrivalsPerHour[2] = 1 // Monday 02:00–03:00
	for h := range HoursPerWeek {
		m.Staff[0].PerHour[h] = 0
		if h%24 >= 9 && h%24 < 17 {
			m.Staff[0].PerHour[h] = 2
		}
	}
	r, err := Run(m, Options{Seed: 3, Start: monday, Horizon: 4 * 7 * 24 * time.Hour, Drain: 24 * time.Hour})
	require.NoError(t, err)
	require.NotEmpty(t, r.Cases)
	for _, c := range r.Cases {
		v := c.Visits[0]
		require.Equal(t, 9, v.Started.Hour(), "started when the desk opens: %s", v.Started)
		require.True(t, v.Wait() > 6*time.Hour)
	}
	require.Len(t, r.Backlog, 4*7*24)
}

// TestBranchesAndSLA: a step's branches are taken at their probabilities,
// and a step that takes longer than its SLA is breached.
func TestBranchesAndSLA(t *testing.T) {
	m := &Model{Start: "triage",
		Steps: []Step{
			{ID: "triage", Work: Fixed{Seconds: 60}, Next: []Branch{{To: "fix", P: 0.3}, {To: "answer", P: 0.7}}},
			{ID: "fix", Department: "tech", Work: Fixed{Seconds: 7200}, SLA: time.Hour},
			{ID: "answer", Department: "desk", Work: Fixed{Seconds: 600}, SLA: time.Hour},
		},
		Staff: []Staffing{{Department: "tech"}, {Department: "desk"}}}
	for h := range HoursPerWeek {
		m.ArrivalsPerHour[h] = 2
		m.Staff[0].PerHour[h], m.Staff[1].PerHour[h] = 100, 100
	}
	r, err := Run(m, Options{Seed: 5, Start: monday, Horizon: 8 * 7 * 24 * time.Hour, Drain: 24 * time.Hour})
	require.NoError(t, err)
	fix := 0
	for _, c := range r.Cases {
		require.True(t, c.Done())
		require.Len(t, c.Visits, 2)
		if c.Visits[1].Step == "fix" {
			fix++
			require.True(t, c.Visits[1].Breached, "2 h of work against a 1 h SLA")
		} else {
			require.False(t, c.Visits[1].Breached)
		}
	}
	share := float64(fix) / float64(len(r.Cases))
	require.InDelta(t, 0.3, share, 4*math.Sqrt(0.3*0.7/float64(len(r.Cases))))
	s := Summarise(m, r)
	require.InDelta(t, share, s.BreachRate, 1e-12, "every fix breaches, no answer does")
}

func TestEmpiricalKeepsTheBodyAndFitsATail(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	obs := make([]float64, 2000)
	for i := range obs {
		obs[i] = r.ExpFloat64() * 600
	}
	e, err := NewEmpirical(obs)
	require.NoError(t, err)
	xs := make([]float64, 100_000)
	for i := range xs {
		xs[i] = e.Sample(r)
	}
	for _, q := range []float64{0.25, 0.5, 0.9} {
		require.InDelta(t, stats.Quantile(obs, q), stats.Quantile(xs, q), 0.05*stats.Quantile(obs, q), "q%.2f", q)
	}
	require.InDelta(t, e.Mean(), stats.Mean(xs), 0.02*e.Mean())
	require.Greater(t, stats.Quantile(xs, 0.9999), stats.Quantile(obs, 1)*0.9, "the tail reaches as far as the data")
	_, err = NewEmpirical([]float64{1, 2})
	require.Error(t, err)
	_, err = NewEmpirical([]float64{1, 2, 3, 4, -5})
	require.Error(t, err)
}

func TestCheckRefusesBrokenModels(t *testing.T) {
	good := func() *Model { return mm1(1, 2) }
	for name, edit := range map[string]func(*Model){
		"unknown start":     func(m *Model) { m.Start = "nope" },
		"branch to no step": func(m *Model) { m.Steps[0].Next = []Branch{{To: "nope", P: 1}} },
		"probabilities": func(m *Model) {
			m.Steps = append(m.Steps, Step{ID: "b", Work: Fixed{}})
			m.Steps[0].Next = []Branch{{To: "b", P: 0.5}}
		},
		"unstaffed":     func(m *Model) { m.Steps[0].Department = "ghosts" },
		"negative rate": func(m *Model) { m.ArrivalsPerHour[3] = -1 },
		"no work":       func(m *Model) { m.Steps[0].Work = nil },
		"repeated step": func(m *Model) { m.Steps = append(m.Steps, m.Steps[0]) },
	} {
		m := good()
		edit(m)
		require.Error(t, m.Check(), name)
	}
	_, err := Run(good(), Options{Start: monday})
	require.Error(t, err, "no horizon")
}

func TestReplicateGivesIntervals(t *testing.T) {
	m := mm1(3, 4)
	e, runs, err := Replicate(m, Options{Seed: 100, Start: monday, Horizon: 4 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour}, 10)
	require.NoError(t, err)
	require.Len(t, runs, 10)
	require.Equal(t, 10, e.CycleMedian.N)
	require.Less(t, e.CycleMedian.Lo, e.CycleMedian.Mean)
	require.Greater(t, e.CycleMedian.Hi, e.CycleMedian.Mean)
	require.InDelta(t, 3*24*28, e.Arrived.Mean, 4*math.Sqrt(3*24*28))
	_, _, err = Replicate(m, Options{Seed: 1, Start: monday, Horizon: time.Hour}, 1)
	require.Error(t, err)
}
