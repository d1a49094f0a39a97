package discovery

import (
	"slices"
	"strings"

	"github.com/flowlab/flowlab/stats"
)

// Quantiles are the 50th, 90th and 95th percentiles of durations in
// seconds, interpolated as PostgreSQL's percentile_cont (stats.Quantile);
// N is how many durations they are of (all zero when N is 0).
type Quantiles struct {
	N             int
	P50, P90, P95 float64
}

func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return Quantiles{N: len(s), P50: stats.Quantile(s, 0.5), P90: stats.Quantile(s, 0.9), P95: stats.Quantile(s, 0.95)}
}

// Variant is one sequence of activities and the cases that follow it.
type Variant struct {
	Key        string
	Activities []string
	Cases      int
	// Share is Cases over the log's cases.
	Share float64
	// CycleP50 is the median cycle time of its cases, in seconds.
	CycleP50 float64
	// CaseIDs are its cases, in the log's order.
	CaseIDs []string
}

// Variants ranks the log's variants by their number of cases, most first
// (ties by key).
func Variants(l Log) []Variant {
	byKey := map[string]*Variant{}
	cycles := map[string][]float64{}
	total := 0
	for _, c := range l.Cases {
		if len(c.Events) == 0 {
			continue
		}
		total++
		k := VariantKey(c)
		v, ok := byKey[k]
		if !ok {
			acts := make([]string, len(c.Events))
			for i, e := range c.Events {
				acts[i] = e.Activity
			}
			v = &Variant{Key: k, Activities: acts}
			byKey[k] = v
		}
		v.Cases++
		v.CaseIDs = append(v.CaseIDs, c.ID)
		cycles[k] = append(cycles[k], CycleTime(c).Seconds())
	}
	out := make([]Variant, 0, len(byKey))
	for _, k := range sortedKeys(byKey) {
		v := byKey[k]
		v.Share = float64(v.Cases) / float64(total)
		v.CycleP50 = stats.Quantile(cycles[k], 0.5)
		out = append(out, *v)
	}
	slices.SortStableFunc(out, func(a, b Variant) int { return byCountThenName(a.Cases, b.Cases, a.Key, b.Key) })
	return out
}

// Node is an activity of the directly-follows graph (or its artificial
// start or end).
type Node struct {
	Activity string
	// Count is how many events have the activity; Cases in how many cases.
	Count, Cases int
}

// Edge is a directly-follows pair: To's event comes right after From's in
// a case (from StartNode to a case's first activity, from its last to
// EndNode).
type Edge struct {
	From, To string
	Count    int
	// Duration is the time from From's event to To's, in seconds (none
	// for the edges of the artificial start and end).
	Duration Quantiles
}

// Graph is the directly-follows graph of a log.
type Graph struct {
	Nodes []Node
	Edges []Edge
}

// DirectlyFollows builds the log's graph: nodes by count (most first), the
// start first and the end last; edges by count (most first, ties by from,
// then to).
func DirectlyFollows(l Log) Graph {
	type edgeKey struct{ from, to string }
	nodes := map[string]*Node{}
	edges := map[edgeKey]*Edge{}
	durs := map[edgeKey][]float64{}
	cases := 0
	addEdge := func(from, to string, d float64, timed bool) {
		k := edgeKey{from, to}
		e, ok := edges[k]
		if !ok {
			e = &Edge{From: from, To: to}
			edges[k] = e
		}
		e.Count++
		if timed {
			durs[k] = append(durs[k], d)
		}
	}
	for _, c := range l.Cases {
		if len(c.Events) == 0 {
			continue
		}
		cases++
		seen := map[string]bool{}
		for i, e := range c.Events {
			n, ok := nodes[e.Activity]
			if !ok {
				n = &Node{Activity: e.Activity}
				nodes[e.Activity] = n
			}
			n.Count++
			if !seen[e.Activity] {
				seen[e.Activity] = true
				n.Cases++
			}
			if i == 0 {
				addEdge(StartNode, e.Activity, 0, false)
			} else {
				prev := c.Events[i-1]
				addEdge(prev.Activity, e.Activity, e.Time.Sub(prev.Time).Seconds(), true)
			}
		}
		addEdge(c.Events[len(c.Events)-1].Activity, EndNode, 0, false)
	}
	g := Graph{}
	for _, a := range sortedKeys(nodes) {
		g.Nodes = append(g.Nodes, *nodes[a])
	}
	slices.SortStableFunc(g.Nodes, func(a, b Node) int { return byCountThenName(a.Count, b.Count, a.Activity, b.Activity) })
	g.Nodes = append([]Node{{Activity: StartNode, Count: cases, Cases: cases}}, g.Nodes...)
	g.Nodes = append(g.Nodes, Node{Activity: EndNode, Count: cases, Cases: cases})
	keys := make([]edgeKey, 0, len(edges))
	for k := range edges {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b edgeKey) int {
		if c := strings.Compare(a.from, b.from); c != 0 {
			return c
		}
		return strings.Compare(a.to, b.to)
	})
	for _, k := range keys {
		e := edges[k]
		e.Duration = quantiles(durs[k])
		g.Edges = append(g.Edges, *e)
	}
	slices.SortStableFunc(g.Edges, func(a, b Edge) int {
		return byCountThenName(a.Count, b.Count, a.From+"\x00"+a.To, b.From+"\x00"+b.To)
	})
	return g
}

// ActivityStats is one activity's figures.
type ActivityStats struct {
	Activity string
	Count    int
	Cases    int
	// Wait is the time before each of its events: its start (or, without
	// one, its time) minus the previous event's time in the case; the
	// first event of a case has none. Work is its time minus its start,
	// for the events that have a start.
	Wait, Work Quantiles
	// Share is its waiting and working time over that of every activity.
	Share float64
	// Bottleneck marks the activity with the largest Share (as a flow's
	// bottleneck report does, package analytics).
	Bottleneck bool
	// Rework counts the cases in which it occurs more than once, and
	// PingPong those in which it comes back after exactly one other
	// activity (A, B, A).
	Rework, PingPong int
}

// Activities computes every activity's figures, by count (most first,
// ties by name).
func Activities(l Log) []ActivityStats {
	type acc struct {
		st         ActivityStats
		wait, work []float64
		total      float64 // seconds of waiting and working
		lastCase   int     // the last case counted in st.Cases
	}
	accs := map[string]*acc{}
	for ci, c := range l.Cases {
		counts := map[string]int{}
		pingPong := map[string]bool{}
		for i, e := range c.Events {
			a, ok := accs[e.Activity]
			if !ok {
				a = &acc{st: ActivityStats{Activity: e.Activity}, lastCase: -1}
				accs[e.Activity] = a
			}
			a.st.Count++
			if a.lastCase != ci {
				a.lastCase = ci
				a.st.Cases++
			}
			counts[e.Activity]++
			begin := e.Time
			if e.Start != nil {
				begin = *e.Start
				w := e.Time.Sub(*e.Start).Seconds()
				a.work = append(a.work, w)
				a.total += w
			}
			if i > 0 {
				w := begin.Sub(c.Events[i-1].Time).Seconds()
				a.wait = append(a.wait, w)
				a.total += w
			}
			if i >= 2 && c.Events[i-2].Activity == e.Activity && c.Events[i-1].Activity != e.Activity {
				pingPong[e.Activity] = true
			}
		}
		for act, n := range counts {
			if n > 1 {
				accs[act].st.Rework++
			}
		}
		for act := range pingPong {
			accs[act].st.PingPong++
		}
	}
	out := make([]ActivityStats, 0, len(accs))
	var total float64
	for _, a := range accs {
		total += a.total
	}
	for _, name := range sortedKeys(accs) {
		a := accs[name]
		a.st.Wait, a.st.Work = quantiles(a.wait), quantiles(a.work)
		if total > 0 {
			a.st.Share = a.total / total
		}
		out = append(out, a.st)
	}
	best := -1
	for i := range out {
		if out[i].Share > 0 && (best < 0 || out[i].Share > out[best].Share) {
			best = i
		}
	}
	if best >= 0 {
		out[best].Bottleneck = true
	}
	slices.SortStableFunc(out, func(a, b ActivityStats) int { return byCountThenName(a.Count, b.Count, a.Activity, b.Activity) })
	return out
}

// Handoff is work passed from one resource (or group) to another between
// consecutive events of a case.
type Handoff struct {
	From, To string
	Count    int
	Cases    int
}

// Handoffs are a log's handoffs between resources and between groups.
type Handoffs struct {
	// Resources and Groups list the pairs, by count (most first, ties
	// by from, then to).
	Resources, Groups []Handoff
	// PerCaseResources and PerCaseGroups are the handoffs per case:
	// their mean and percentiles over every case (cases without any count
	// as zero).
	PerCaseResources, PerCaseGroups PerCase
}

// PerCase describes a count per case.
type PerCase struct {
	Mean          float64
	P50, P90, P95 float64
}

// HandoffsOf counts handoffs: consecutive events of a case whose resources
// (groups) are both known and differ.
func HandoffsOf(l Log) Handoffs {
	count := func(get func(Event) string) ([]Handoff, PerCase) {
		type key struct{ from, to string }
		pairs := map[key]*Handoff{}
		var perCase []float64
		for _, c := range l.Cases {
			if len(c.Events) == 0 {
				continue
			}
			n := 0
			seen := map[key]bool{}
			for i := 1; i < len(c.Events); i++ {
				from, to := get(c.Events[i-1]), get(c.Events[i])
				if from == "" || to == "" || from == to {
					continue
				}
				n++
				k := key{from, to}
				h, ok := pairs[k]
				if !ok {
					h = &Handoff{From: from, To: to}
					pairs[k] = h
				}
				h.Count++
				if !seen[k] {
					seen[k] = true
					h.Cases++
				}
			}
			perCase = append(perCase, float64(n))
		}
		var out []Handoff
		for _, h := range pairs {
			out = append(out, *h)
		}
		slices.SortFunc(out, func(a, b Handoff) int {
			return byCountThenName(a.Count, b.Count, a.From+"\x00"+a.To, b.From+"\x00"+b.To)
		})
		pc := PerCase{}
		if len(perCase) > 0 {
			sum := 0.0
			for _, x := range perCase {
				sum += x
			}
			q := quantiles(perCase)
			pc = PerCase{Mean: sum / float64(len(perCase)), P50: q.P50, P90: q.P90, P95: q.P95}
		}
		return out, pc
	}
	var h Handoffs
	h.Resources, h.PerCaseResources = count(func(e Event) string { return e.Resource })
	h.Groups, h.PerCaseGroups = count(func(e Event) string { return e.Group })
	return h
}

// CycleTimes are the percentiles of the log's cycle times, in seconds,
// and their extremes.
type CycleTimes struct {
	Quantiles
	Min, Max float64
}

// CycleTimesOf describes the log's cycle times.
func CycleTimesOf(l Log) CycleTimes {
	var xs []float64
	for _, c := range l.Cases {
		if len(c.Events) > 0 {
			xs = append(xs, CycleTime(c).Seconds())
		}
	}
	if len(xs) == 0 {
		return CycleTimes{}
	}
	q := quantiles(xs)
	return CycleTimes{Quantiles: q, Min: slices.Min(xs), Max: slices.Max(xs)}
}
