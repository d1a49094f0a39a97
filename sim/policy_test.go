package sim

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/stats"
)

// TestEscalationMovesAWaitingTask: the desk has nobody; a task waiting 2 h
// moves to the lead desk, which serves it at once. A task started before
// its level is not moved.
func TestEscalationMovesAWaitingTask(t *testing.T) {
	m := &Model{Start: "handle",
		Steps: []Step{{ID: "handle", Department: "desk", Work: Fixed{Seconds: 600},
			Escalations: []Escalation{{After: 2 * time.Hour, Department: "leads"}}}},
		Staff: []Staffing{{Department: "desk"}, {Department: "leads"}}}
	for h := range HoursPerWeek {
		m.ArrivalsPerHour[h] = 0.5
		m.Staff[1].PerHour[h] = 50
	}
	r, err := Run(m, Options{Seed: 3, Start: monday, Horizon: 7 * 24 * time.Hour, Drain: 24 * time.Hour})
	require.NoError(t, err)
	require.NotEmpty(t, r.Cases)
	for _, c := range r.Cases {
		v := c.Visits[0]
		require.Equal(t, "leads", v.Department)
		require.Equal(t, 1, v.Escalated)
		require.InDelta(t, (2 * time.Hour).Seconds(), v.Wait().Seconds(), 1e-3, "served the moment it escalates")
	}
	s := Summarise(m, r)
	require.Equal(t, 1.0, s.EscalationRate)

	// Staffed desk: served at once, never escalated.
	for h := range HoursPerWeek {
		m.Staff[0].PerHour[h] = 50
	}
	r, err = Run(m, Options{Seed: 3, Start: monday, Horizon: 7 * 24 * time.Hour, Drain: 24 * time.Hour})
	require.NoError(t, err)
	for _, c := range r.Cases {
		require.Equal(t, "desk", c.Visits[0].Department)
		require.Zero(t, c.Visits[0].Escalated)
	}
	require.Equal(t, 0.0, Summarise(m, r).EscalationRate)

	m.Steps[0].Escalations = []Escalation{{After: time.Hour}, {After: time.Hour}}
	require.Error(t, m.Check(), "levels must come at strictly increasing times")
	m.Steps[0].Escalations = []Escalation{{After: time.Hour, Department: "nobody"}}
	require.Error(t, m.Check(), "an escalation to an unstaffed department")
}

// TestQueueBySLA: with one person and two kinds of tasks, the queue served
// by SLA takes the urgent ones first, so they wait less than first come
// first served lets them.
func TestQueueBySLA(t *testing.T) {
	build := func(bySLA bool) *Model {
		m := &Model{Start: "route",
			Steps: []Step{
				{ID: "route", Work: Fixed{}, Next: []Branch{{To: "urgent", P: 0.5}, {To: "routine", P: 0.5}}},
				{ID: "urgent", Department: "desk", Work: Exponential{MeanSeconds: 600}, SLA: time.Hour},
				{ID: "routine", Department: "desk", Work: Exponential{MeanSeconds: 600}, SLA: 48 * time.Hour},
			},
			Staff: []Staffing{{Department: "desk", BySLA: bySLA}}}
		for h := range HoursPerWeek {
			m.ArrivalsPerHour[h] = 5 // ρ = 5 × 10 min / 60 min ≈ 0.83
			m.Staff[0].PerHour[h] = 1
		}
		return m
	}
	o := Options{Seed: 9, Start: monday, Horizon: 8 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour, WarmUp: 7 * 24 * time.Hour}
	fifo, _, err := Replicate(build(false), o, 5)
	require.NoError(t, err)
	bySLA, _, err := Replicate(build(true), o, 5)
	require.NoError(t, err)
	require.Less(t, bySLA.Steps[1].WaitMedian.Mean, fifo.Steps[1].WaitMedian.Mean/2, "urgent tasks jump the queue")
	require.Greater(t, bySLA.Steps[2].WaitP90.Mean, fifo.Steps[2].WaitP90.Mean, "routine ones wait longer")
	require.Less(t, bySLA.BreachRate.Mean, fifo.BreachRate.Mean)
}

// TestPausedTimeDoesNotCountForTheCaseSLA: a case waits 3 days for the
// customer and is worked 1 h; against a 1-day case SLA it is on time only
// because the wait pauses the clock.
func TestPausedTimeDoesNotCountForTheCaseSLA(t *testing.T) {
	build := func(pause bool) *Model {
		m := &Model{Start: "ask", CaseSLA: 24 * time.Hour,
			Steps: []Step{
				{ID: "ask", Work: Fixed{Seconds: 3 * 86400}, PauseSLA: pause, Next: []Branch{{To: "answer", P: 1}}},
				{ID: "answer", Department: "desk", Work: Fixed{Seconds: 3600}},
			},
			Staff: []Staffing{{Department: "desk"}}}
		for h := range HoursPerWeek {
			m.ArrivalsPerHour[h] = 0.2
			m.Staff[0].PerHour[h] = 20
		}
		return m
	}
	o := Options{Seed: 2, Start: monday, Horizon: 4 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour}
	r, err := Run(build(true), o)
	require.NoError(t, err)
	s := Summarise(build(true), r)
	require.Equal(t, 1.0, s.CaseOnTime)
	require.Equal(t, 3*24*time.Hour, r.Cases[0].Paused)
	r, err = Run(build(false), o)
	require.NoError(t, err)
	require.Equal(t, 0.0, Summarise(build(false), r).CaseOnTime)
}

// TestClockCountsTheSLAInBusinessTime: a clock that counts only 09–17
// (every day) makes a 1 h SLA entered at 16:30 due at 09:30 next day.
func TestClockCountsTheSLAInBusinessTime(t *testing.T) {
	open := func(from time.Time, d time.Duration) time.Time {
		t := from
		for d > 0 {
			if t.Hour() < 9 {
				t = time.Date(t.Year(), t.Month(), t.Day(), 9, 0, 0, 0, time.UTC)
			} else if t.Hour() >= 17 {
				t = time.Date(t.Year(), t.Month(), t.Day()+1, 9, 0, 0, 0, time.UTC)
			}
			close := time.Date(t.Year(), t.Month(), t.Day(), 17, 0, 0, 0, time.UTC)
			step := min(d, close.Sub(t))
			t, d = t.Add(step), d-step
		}
		return t
	}
	st := Step{SLA: time.Hour, Clock: open}
	require.Equal(t, monday.Add(24*time.Hour+9*time.Hour+30*time.Minute), st.due(monday.Add(16*time.Hour+30*time.Minute), time.Hour))
	m := &Model{Start: "s", Steps: []Step{{ID: "s", Department: "d", Work: Fixed{Seconds: 5400}, SLA: time.Hour, Clock: open}},
		Staff: []Staffing{{Department: "d"}}}
	m.ArrivalsPerHour[16] = 1 // Monday 16:00–17:00 only
	for h := range HoursPerWeek {
		m.Staff[0].PerHour[h] = 10
	}
	r, err := Run(m, Options{Seed: 1, Start: monday, Horizon: 7 * 24 * time.Hour, Drain: 24 * time.Hour})
	require.NoError(t, err)
	for _, c := range r.Cases {
		// 1.5 h of work from 16:xx ends at night, within the hour left
		// after 09:00 only if it started before 16:30.
		require.Equal(t, c.Arrived.Add(90*time.Minute).After(open(c.Arrived, time.Hour)), c.Visits[0].Breached)
	}
}

// TestReplicateIsTheSameInParallel: workers change nothing but the time.
func TestReplicateIsTheSameInParallel(t *testing.T) {
	m := mm1(3, 4)
	o := Options{Seed: 7, Start: monday, Horizon: 4 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour}
	one, _, err := Replicate(m, o, 6)
	require.NoError(t, err)
	calls := 0
	two, _, err := ReplicateContext(context.Background(), m, o, 6, ReplicateOptions{Workers: 2, Progress: func(done, of int) {
		calls++
		require.Equal(t, calls, done)
		require.Equal(t, 6, of)
	}})
	require.NoError(t, err)
	require.Equal(t, 6, calls)
	require.Equal(t, fmt.Sprint(one), fmt.Sprint(two), "NaN included")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = ReplicateContext(ctx, m, o, 6, ReplicateOptions{})
	require.ErrorIs(t, err, context.Canceled)
}

// TestBackgroundWorkSharesThePeople: half the work of the M/M/1 test's
// desk comes from other flows (background); the flow's tasks still wait
// the 45 min the whole load makes, the desk is 75 % busy, and only the
// flow's cases are measured.
func TestBackgroundWorkSharesThePeople(t *testing.T) {
	m := mm1(1.5, 4)
	bg := Background{Department: "desk", Work: Exponential{MeanSeconds: 900}}
	for h := range HoursPerWeek {
		bg.PerHour[h] = 1.5
	}
	m.Background = []Background{bg}
	o := Options{Seed: 1, Start: monday, Horizon: 26 * 7 * 24 * time.Hour, Drain: 7 * 24 * time.Hour}
	var meanWaits, util []float64
	arrived := 0
	for k := range 20 {
		o.Seed = uint64(k + 1)
		r, err := Run(m, o)
		require.NoError(t, err)
		meanWaits = append(meanWaits, stats.Mean(waits(r))/60)
		util = append(util, r.Utilisation(0))
		arrived += Summarise(m, r).Arrived
	}
	mean, lo, hi := stats.MeanCI(meanWaits, 0.95)
	require.True(t, lo <= 45 && 45 <= hi, "mean wait %.2f min, 95 %% interval [%.2f, %.2f] should hold 45", mean, lo, hi)
	um, ulo, uhi := stats.MeanCI(util, 0.95)
	require.True(t, ulo <= 0.75 && 0.75 <= uhi, "utilisation %.3f [%.3f, %.3f]", um, ulo, uhi)
	expected := 1.5 * 26 * 7 * 24 * 20
	require.InDelta(t, expected, float64(arrived), 4*math.Sqrt(expected), "only the flow's cases are cases")

	m.Background[0].Department = "nowhere"
	require.Error(t, m.Check())
}
