package discovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

// berlinOffice is open Monday to Friday 09:00-17:00 in Berlin, closed on
// Tuesday 27 October 2026 (a made-up holiday, the Tuesday after the clocks
// go back on Sunday 25 October; they went forward on Sunday 29 March).
func berlinOffice() *flow.Calendar {
	h := "09:00-17:00"
	return &flow.Calendar{ID: "berlin", TimeZone: "Europe/Berlin",
		Hours: flow.WeekHours{Mon: h, Tue: h, Wed: h, Thu: h, Fri: h}, Holidays: []string{"2026-10-27"}}
}

// businessLog is three cases whose business durations are worked out by
// hand (Berlin times; CEST is UTC+2 until 25 October, CET UTC+1 after):
//
//	a: submit Fri 23 Oct 16:00 CEST, review Mon 26 Oct 10:30 CET,
//	   approve started Mon 16:00, completed Wed 28 Oct 09:15 CET.
//	   submit→review: Fri 1h + Mon 1h30 = 2h30 (elapsed 67h30, over the
//	   weekend and the clock change); review→approve: Mon 6h30 + Wed 15m
//	   = 6h45; approve waits Mon 10:30-16:00 = 5h30 and works Mon 1h +
//	   Tue 0 (holiday) + Wed 15m = 1h15; cycle Fri 1h + Mon 8h + Wed 15m
//	   = 9h15.
//	b: submit Sat 24 Oct 12:00, review Sat 13:00, approve Mon 26 Oct
//	   08:00 CET: all outside the hours, business 0 everywhere.
//	c: submit Fri 27 Mar 12:00 CET, review Mon 30 Mar 12:00 CEST: Fri 5h
//	   + Mon 3h = 8h (elapsed 71h, the clocks went forward).
func businessLog(t *testing.T) Log {
	t.Helper()
	cet, cest := time.FixedZone("CET", 3600), time.FixedZone("CEST", 7200)
	on := func(loc *time.Location, month time.Month, day, hour, minute int) time.Time {
		return time.Date(2026, month, day, hour, minute, 0, 0, loc).UTC()
	}
	approveStart := on(cet, 10, 26, 16, 0)
	return Log{Cases: []Case{
		{ID: "a", Events: []Event{
			{Activity: "submit", Time: on(cest, 10, 23, 16, 0)},
			{Activity: "review", Time: on(cet, 10, 26, 10, 30)},
			{Activity: "approve", Time: on(cet, 10, 28, 9, 15), Start: &approveStart},
		}},
		{ID: "b", Events: []Event{
			{Activity: "submit", Time: on(cest, 10, 24, 12, 0)},
			{Activity: "review", Time: on(cest, 10, 24, 13, 0)},
			{Activity: "approve", Time: on(cet, 10, 26, 8, 0)},
		}},
		{ID: "c", Events: []Event{
			{Activity: "submit", Time: on(cet, 3, 27, 12, 0)},
			{Activity: "review", Time: on(cest, 3, 30, 12, 0)},
		}},
	}}
}

const hour = 3600.0

func TestBusinessDurations(t *testing.T) {
	plain := businessLog(t)
	l := plain.InCalendar(berlinOffice())

	// The map: business durations beside the elapsed ones.
	g := DirectlyFollows(l)
	edge := func(from, to string) Edge {
		for _, e := range g.Edges {
			if e.From == from && e.To == to {
				return e
			}
		}
		t.Fatalf("no edge %s → %s", from, to)
		return Edge{}
	}
	sr := edge("submit", "review")
	require.Equal(t, Quantiles{N: 3, P50: 67.5 * hour, P90: 70.3 * hour, P95: 70.65 * hour}, roundQ(sr.Duration))
	require.Equal(t, &Quantiles{N: 3, P50: 2.5 * hour, P90: 6.9 * hour, P95: 7.45 * hour}, roundQP(sr.BusinessDuration))
	ra := edge("review", "approve")
	require.Equal(t, &Quantiles{N: 2, P50: 6.75 * hour / 2, P90: 6.75 * hour * 0.9, P95: 6.75 * hour * 0.95}, roundQP(ra.BusinessDuration))
	require.Equal(t, &Quantiles{}, edge(StartNode, "submit").BusinessDuration, "the artificial edges have no durations")

	// Activities: waiting and working.
	acts := map[string]ActivityStats{}
	for _, a := range Activities(l) {
		acts[a.Activity] = a
	}
	require.Equal(t, &Quantiles{N: 2, P50: 5.5 * hour / 2, P90: 5.5 * hour * 0.9, P95: 5.5 * hour * 0.95}, roundQP(acts["approve"].BusinessWait))
	require.Equal(t, &Quantiles{N: 1, P50: 1.25 * hour, P90: 1.25 * hour, P95: 1.25 * hour}, acts["approve"].BusinessWork)
	require.Equal(t, *acts["review"].BusinessWait, *sr.BusinessDuration, "review waits after submit")
	require.Equal(t, &Quantiles{}, acts["submit"].BusinessWait)
	require.Equal(t, &Quantiles{}, acts["review"].BusinessWork)

	// Variants and cycle times.
	vs := Variants(l)
	require.Len(t, vs, 2)
	require.Equal(t, "submit → review → approve", vs[0].Key)
	require.Equal(t, 9.25*hour/2, *vs[0].BusinessCycleP50)
	require.Equal(t, 8*hour, *vs[1].BusinessCycleP50)
	ct := CycleTimesOf(l)
	require.Equal(t, &Quantiles{N: 3, P50: 8 * hour, P90: 8*hour + 0.8*1.25*hour, P95: 8*hour + 0.9*1.25*hour}, roundQP(ct.Business))

	// A filtered log keeps the calendar.
	f := l.Apply(Filter{Variant: "submit → review"})
	require.Equal(t, 8*hour, CycleTimesOf(f).Business.P50)

	// Everything else is what the log gives without a calendar, where
	// every business figure is nil; an indexed log shares its index.
	ix := plain.Indexed()
	require.Same(t, ix.ix, ix.InCalendar(berlinOffice()).ix)
	require.Equal(t, stripGraph(DirectlyFollows(l)), DirectlyFollows(plain))
	require.Equal(t, stripActs(Activities(l)), Activities(plain))
	require.Equal(t, stripVariants(Variants(l)), Variants(plain))
	ctPlain := CycleTimesOf(plain)
	require.Nil(t, ctPlain.Business)
	ct.Business = nil
	require.Equal(t, ctPlain, ct)
	require.Equal(t, stripGraph(DirectlyFollows(plain)), DirectlyFollows(plain.InCalendar(nil)))
}

// round drops float noise below a millisecond.
func round(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }

func roundQ(q Quantiles) Quantiles {
	return Quantiles{N: q.N, P50: round(q.P50), P90: round(q.P90), P95: round(q.P95)}
}

func roundQP(q *Quantiles) *Quantiles {
	if q == nil {
		return nil
	}
	r := roundQ(*q)
	return &r
}

func stripGraph(g Graph) Graph {
	for i := range g.Edges {
		g.Edges[i].BusinessDuration = nil
	}
	return g
}

func stripActs(as []ActivityStats) []ActivityStats {
	for i := range as {
		as[i].BusinessWait, as[i].BusinessWork = nil, nil
	}
	return as
}

func stripVariants(vs []Variant) []Variant {
	for i := range vs {
		vs[i].BusinessCycleP50 = nil
	}
	return vs
}
