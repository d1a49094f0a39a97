package discovery

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(minutes float64) time.Time {
	return t0.Add(time.Duration(minutes * float64(time.Minute)))
}

func ev(activity string, minutes float64, resource, group string) Event {
	return Event{Activity: activity, Time: at(minutes), Resource: resource, Group: group}
}

// sample is four cases worked out by hand in the tests below:
//
//	c1: A(0) B(10) C(40)                    variant A → B → C, cycle 40 min
//	c2: A(0) B(20) A(30) C(90)              rework and ping-pong of A, cycle 90 min
//	c3: A(0) B(5)  C(15)                    variant A → B → C, cycle 15 min
//	c4: A(0) C(60) (starts at 100 minutes)  variant A → C, cycle 60 min
func sample() Log {
	return Log{Cases: []Case{
		{ID: "c1", Events: []Event{ev("A", 0, "ann", "front"), ev("B", 10, "bob", "back"), ev("C", 40, "ann", "front")},
			Attrs: []Attr{{"channel", "phone"}}},
		{ID: "c2", Events: []Event{ev("A", 0, "ann", "front"), ev("B", 20, "bob", "back"), ev("A", 30, "ann", "front"), ev("C", 90, "cy", "front")},
			Attrs: []Attr{{"channel", "chat"}}},
		{ID: "c3", Events: []Event{ev("A", 0, "ann", "front"), ev("B", 5, "bob", "back"), ev("C", 15, "bob", "back")},
			Attrs: []Attr{{"channel", "phone"}}},
		{ID: "c4", Events: []Event{ev("A", 100, "", ""), ev("C", 160, "cy", "front")}},
	}}
}

func TestSummary(t *testing.T) {
	s := Summarize(sample())
	require.Equal(t, Summary{Cases: 4, Events: 12, Activities: 3, Resources: 3, Variants: 3, First: at(0), Last: at(160)}, s)
	require.Equal(t, Summary{}, Summarize(Log{}))
}

func TestVariants(t *testing.T) {
	vs := Variants(sample())
	require.Len(t, vs, 3)
	require.Equal(t, "A → B → C", vs[0].Key)
	require.Equal(t, []string{"A", "B", "C"}, vs[0].Activities)
	require.Equal(t, 2, vs[0].Cases)
	require.Equal(t, 0.5, vs[0].Share)
	require.Equal(t, []string{"c1", "c3"}, vs[0].CaseIDs)
	require.InDelta(t, (40+15)/2.0*60, vs[0].CycleP50, 1e-9, "median of 40 and 15 minutes")
	// One case each: ties by key.
	require.Equal(t, "A → B → A → C", vs[1].Key)
	require.Equal(t, "A → C", vs[2].Key)
	require.InDelta(t, 60*60, vs[2].CycleP50, 1e-9)
}

func TestDirectlyFollows(t *testing.T) {
	g := DirectlyFollows(sample())
	names := []string{}
	for _, n := range g.Nodes {
		names = append(names, n.Activity)
	}
	require.Equal(t, []string{StartNode, "A", "C", "B", EndNode}, names, "start, then by count (A 5, C 4, B 3), end")
	require.Equal(t, Node{Activity: "A", Count: 5, Cases: 4}, g.Nodes[1])
	require.Equal(t, Node{Activity: StartNode, Count: 4, Cases: 4}, g.Nodes[0])

	edge := func(from, to string) Edge {
		for _, e := range g.Edges {
			if e.From == from && e.To == to {
				return e
			}
		}
		t.Fatalf("no edge %s → %s", from, to)
		return Edge{}
	}
	require.Equal(t, 4, edge(StartNode, "A").Count)
	require.Zero(t, edge(StartNode, "A").Duration.N, "the artificial edges have no duration")
	require.Equal(t, 4, edge("C", EndNode).Count)
	// A → B: 10, 20, 5 minutes; sorted 5 10 20: p50 10, p90 at h=1.8 → 10 + 0.8×10 = 18.
	ab := edge("A", "B")
	require.Equal(t, 3, ab.Count)
	require.InDelta(t, 10*60, ab.Duration.P50, 1e-9)
	require.InDelta(t, 18*60, ab.Duration.P90, 1e-9)
	require.InDelta(t, 19*60, ab.Duration.P95, 1e-9)
	// B → C: 30, 10 → p50 20 minutes; B → A: 10; A → C: 60 (c2) and 60 (c4).
	require.InDelta(t, 20*60, edge("B", "C").Duration.P50, 1e-9)
	require.Equal(t, 1, edge("B", "A").Count)
	require.Equal(t, 2, edge("A", "C").Count)
	require.InDelta(t, 60*60, edge("A", "C").Duration.P50, 1e-9)
	// Edges by count, ties by from then to (bytewise: "C" before "▶ start").
	require.Equal(t, []string{"C", EndNode}, []string{g.Edges[0].From, g.Edges[0].To})
	require.Equal(t, []string{StartNode, "A"}, []string{g.Edges[1].From, g.Edges[1].To})
	require.Len(t, g.Edges, 6, "start→A, A→B, B→C, B→A, A→C, C→end")
}

func TestActivities(t *testing.T) {
	as := Activities(sample())
	require.Equal(t, []string{"A", "C", "B"}, []string{as[0].Activity, as[1].Activity, as[2].Activity})
	a, c, b := as[0], as[1], as[2]
	// A waits only where it is not first: c2's second A, 10 minutes after B.
	require.Equal(t, 5, a.Count)
	require.Equal(t, 4, a.Cases)
	require.Equal(t, Quantiles{N: 1, P50: 600, P90: 600, P95: 600}, a.Wait)
	require.Zero(t, a.Work.N, "no starts in this log: no working time")
	require.Equal(t, 1, a.Rework)
	require.Equal(t, 1, a.PingPong)
	// B waits 10, 20, 5 minutes; C waits 30, 60, 10, 60.
	require.Equal(t, 3, b.Wait.N)
	require.InDelta(t, 600, b.Wait.P50, 1e-9)
	require.Equal(t, 4, c.Wait.N)
	require.InDelta(t, 45*60, c.Wait.P50, 1e-9, "median of 10 30 60 60")
	// Shares: A 10, B 35, C 160 minutes of 205.
	require.InDelta(t, 10.0/205, a.Share, 1e-12)
	require.InDelta(t, 35.0/205, b.Share, 1e-12)
	require.InDelta(t, 160.0/205, c.Share, 1e-12)
	require.True(t, c.Bottleneck)
	require.False(t, a.Bottleneck || b.Bottleneck)
	require.Zero(t, b.Rework+b.PingPong+c.Rework+c.PingPong)
}

func TestWorkingTimeWithStarts(t *testing.T) {
	start := at(25)
	l := Log{Cases: []Case{{ID: "s", Events: []Event{
		ev("A", 0, "", ""),
		{Activity: "B", Time: at(40), Start: &start},
	}}}}
	as := Activities(l)
	var b ActivityStats
	for _, x := range as {
		if x.Activity == "B" {
			b = x
		}
	}
	require.Equal(t, Quantiles{N: 1, P50: 25 * 60, P90: 25 * 60, P95: 25 * 60}, b.Wait, "waiting: start minus the previous event")
	require.Equal(t, Quantiles{N: 1, P50: 15 * 60, P90: 15 * 60, P95: 15 * 60}, b.Work, "working: completion minus start")
	require.Equal(t, 40*time.Minute, CycleTime(l.Cases[0]))
	// A case that begins with a started instance counts from the start.
	first := at(-5)
	c := Case{Events: []Event{{Activity: "A", Time: at(0), Start: &first}}}
	require.Equal(t, 5*time.Minute, CycleTime(c))
}

// With a scheduled time, the waiting before an instance is its start minus
// its scheduled time, whatever came before; the first instance of a case
// waits too, and the case begins when it was scheduled.
func TestWaitingFromScheduled(t *testing.T) {
	ready, start, later := at(10), at(25), at(-20)
	l := Log{Cases: []Case{{ID: "s", Events: []Event{
		{Activity: "A", Time: at(0), Scheduled: &later},
		{Activity: "B", Time: at(40), Start: &start, Scheduled: &ready},
	}}}}
	byName := map[string]ActivityStats{}
	for _, a := range Activities(l) {
		byName[a.Activity] = a
	}
	require.Equal(t, Quantiles{N: 1, P50: 15 * 60, P90: 15 * 60, P95: 15 * 60}, byName["B"].Wait, "start minus scheduled")
	require.Equal(t, Quantiles{N: 1, P50: 20 * 60, P90: 20 * 60, P95: 20 * 60}, byName["A"].Wait, "a first instance with a scheduled time waits")
	require.Equal(t, 60*time.Minute, CycleTime(l.Cases[0]))
}

func TestHandoffs(t *testing.T) {
	h := HandoffsOf(sample())
	// Resources: c1 ann→bob, bob→ann; c2 ann→bob, bob→ann, ann→cy;
	// c3 ann→bob (bob→bob is none); c4 none (A has no resource).
	require.Equal(t, []Handoff{
		{From: "ann", To: "bob", Count: 3, Cases: 3},
		{From: "bob", To: "ann", Count: 2, Cases: 2},
		{From: "ann", To: "cy", Count: 1, Cases: 1},
	}, h.Resources)
	// Per case 2, 3, 1, 0: mean 1.5, median 1.5.
	require.InDelta(t, 1.5, h.PerCaseResources.Mean, 1e-12)
	require.InDelta(t, 1.5, h.PerCaseResources.P50, 1e-12)
	require.Equal(t, []Handoff{
		{From: "front", To: "back", Count: 3, Cases: 3},
		{From: "back", To: "front", Count: 2, Cases: 2},
	}, h.Groups)
}

func TestCycleTimes(t *testing.T) {
	ct := CycleTimesOf(sample())
	// 40, 90, 15, 60 minutes: sorted 15 40 60 90, median 50.
	require.Equal(t, 4, ct.N)
	require.InDelta(t, 50*60, ct.P50, 1e-9)
	require.InDelta(t, 15*60, ct.Min, 1e-9)
	require.InDelta(t, 90*60, ct.Max, 1e-9)
}

func TestFilter(t *testing.T) {
	l := sample()
	ids := func(l Log) []string {
		var out []string
		for _, c := range l.Cases {
			out = append(out, c.ID)
		}
		return out
	}
	require.Equal(t, []string{"c1", "c3"}, ids(l.Apply(Filter{Variant: "A → B → C"})))
	require.Equal(t, []string{"c1", "c3"}, ids(l.Apply(Filter{Attr: "channel", Value: "phone"})))
	require.Equal(t, []string{"c1", "c2", "c3"}, ids(l.Apply(Filter{Contains: []string{"B"}})))
	require.Equal(t, []string{"c4"}, ids(l.Apply(Filter{Excludes: []string{"B"}})))
	require.Equal(t, []string{"c4"}, ids(l.Apply(Filter{From: at(50)})), "by the first event's time")
	require.Equal(t, []string{"c1", "c2", "c3"}, ids(l.Apply(Filter{To: at(50)})))
	require.Empty(t, ids(l.Apply(Filter{Attr: "channel", Value: "email"})))
	// The views read a filtered log like any other.
	require.Equal(t, 2, Summarize(l.Apply(Filter{Variant: "A → B → C"})).Cases)
}

// An indexed log gives every view the same answer as the log itself, and
// a filtered indexed log is indexed afresh.
func TestIndexedLogGivesTheSameViews(t *testing.T) {
	l := sample()
	ix := l.Indexed()
	require.Equal(t, Summarize(l), Summarize(ix))
	require.Equal(t, Variants(l), Variants(ix))
	require.Equal(t, DirectlyFollows(l), DirectlyFollows(ix))
	require.Equal(t, Activities(l), Activities(ix))
	require.Equal(t, HandoffsOf(l), HandoffsOf(ix))
	f := Filter{Variant: "A → B → C"}
	require.Equal(t, Summarize(l.Apply(f)), Summarize(ix.Apply(f)))
	require.Equal(t, 2, Summarize(ix.Apply(f)).Cases)
	require.Equal(t, 1, Summarize(ix.Apply(f)).Variants)
}

func TestCycleTimeBuckets(t *testing.T) {
	// sample: 15, 40, 60, 90 minutes: three cases up to an hour (60 is
	// inclusive), one up to 4 hours; no bucket past the first that holds
	// the longest.
	require.Equal(t, []Bucket{{UpTo: 3600, Cases: 3}, {UpTo: 4 * 3600, Cases: 1}}, CycleTimesOf(sample()).Buckets)
	require.Nil(t, CycleTimesOf(Log{}).Buckets)

	const h, d = 3600.0, 86400.0
	long := func(secs ...float64) Log {
		var l Log
		for _, s := range secs {
			l.Cases = append(l.Cases, Case{Events: []Event{{Activity: "a", Time: t0}, {Activity: "b", Time: t0.Add(time.Duration(s * float64(time.Second)))}}})
		}
		return l
	}
	// Every bound, a value on each bound and one just past it, and one
	// past 90 days: the last bucket runs up to the longest.
	got := CycleTimesOf(long(0, h, h+1, 4*h, 8*h, 8*h+1, d, 2*d, 3*d+1, 7*d, 14*d, 30*d, 30*d+1, 90*d, 100*d)).Buckets
	require.Equal(t, []Bucket{
		{UpTo: h, Cases: 2}, {UpTo: 4 * h, Cases: 2}, {UpTo: 8 * h, Cases: 1}, {UpTo: d, Cases: 2}, {UpTo: 2 * d, Cases: 1},
		{UpTo: 3 * d, Cases: 0}, {UpTo: 7 * d, Cases: 2}, {UpTo: 14 * d, Cases: 1}, {UpTo: 30 * d, Cases: 1},
		{UpTo: 90 * d, Cases: 2}, {UpTo: 100 * d, Cases: 1},
	}, got)
	// The longest exactly on 90 days: no extra bucket; every case counted.
	got = CycleTimesOf(long(5*d, 90*d)).Buckets
	require.Len(t, got, len(BucketBounds))
	require.Equal(t, Bucket{UpTo: 90 * d, Cases: 1}, got[len(got)-1])
	n := 0
	for _, b := range got {
		n += b.Cases
	}
	require.Equal(t, 2, n)
}
