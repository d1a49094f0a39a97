package discovery

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Quantiles are the 50th, 90th and 95th percentiles of durations in
// seconds, interpolated as PostgreSQL's percentile_cont (stats.Quantile);
// N is how many durations they are of (all zero when N is 0).
type Quantiles struct {
	N             int
	P50, P90, P95 float64
}

// quantiles describes xs, which it reorders (every caller owns its
// slice). Small samples are sorted; larger ones only partly ordered: each
// percentile needs two order statistics, found by selection in linear
// time, and the values are exactly those of sorting.
// QuantilesOf is the quantiles of xs as every view computes them
// (reordering xs): the one definition packages beside discovery use too.
func QuantilesOf(xs []float64) Quantiles { return quantiles(xs) }

func quantiles(xs []float64) Quantiles {
	if len(xs) == 0 {
		return Quantiles{}
	}
	if len(xs) <= 64 {
		slices.Sort(xs)
		return Quantiles{N: len(xs), P50: quantileSorted(xs, 0.5), P90: quantileSorted(xs, 0.9), P95: quantileSorted(xs, 0.95)}
	}
	q := Quantiles{N: len(xs)}
	from := 0 // xs[:from] hold the smallest values, each at most those after
	for _, p := range []struct {
		q   float64
		out *float64
	}{{0.5, &q.P50}, {0.9, &q.P90}, {0.95, &q.P95}} {
		h := float64(len(xs)-1) * p.q
		lo := int(math.Floor(h))
		sel(xs[from:], lo-from)
		v := xs[lo]
		if lo+1 < len(xs) {
			// The next order statistic is the least value after lo.
			next := slices.Min(xs[lo+1:])
			v += (h - float64(lo)) * (next - v)
		}
		*p.out = v
		from = lo
	}
	return q
}

// sel reorders xs so that xs[k] is the value sorting would put there,
// with none larger before it and none smaller after it (quickselect with
// a median-of-three pivot and a three-way partition, so runs of equal
// durations cost nothing; NaNs are not expected).
func sel(xs []float64, k int) {
	for len(xs) > 16 {
		a, b, c := xs[0], xs[len(xs)/2], xs[len(xs)-1]
		pivot := max(min(a, b), min(max(a, b), c))
		// xs[:lt] < pivot, xs[lt:i] == pivot, xs[gt:] > pivot.
		lt, i, gt := 0, 0, len(xs)
		for i < gt {
			switch x := xs[i]; {
			case x < pivot:
				xs[lt], xs[i] = xs[i], xs[lt]
				lt++
				i++
			case x > pivot:
				gt--
				xs[gt], xs[i] = xs[i], xs[gt]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			xs = xs[:lt]
		case k >= gt:
			xs, k = xs[gt:], k-gt
		default:
			return
		}
	}
	slices.Sort(xs)
}

// quantileSorted is stats.Quantile of sorted, non-empty s, without the
// copy and sort stats.Quantile makes (a test checks they agree).
func quantileSorted(s []float64, q float64) float64 {
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// median is the median of xs, which it sorts.
func median(xs []float64) float64 {
	if len(xs) == 1 {
		return xs[0]
	}
	slices.Sort(xs)
	return quantileSorted(xs, 0.5)
}

// businessQuantiles are the quantiles of business durations: nil when
// the log has no calendar (on returns false).
func businessQuantiles(on bool, xs []float64) *Quantiles {
	if !on {
		return nil
	}
	q := quantiles(xs)
	return &q
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
	// BusinessCycleP50 is the median of the same cycle times in the
	// working time of the log's calendar (Log.InCalendar), in seconds;
	// nil when the log has none.
	BusinessCycleP50 *float64
	// CaseIDs are its cases, in the log's order.
	CaseIDs []string
}

// Variants ranks the log's variants by their number of cases, most first
// (ties by key).
//
// On a log where nearly every case is its own variant this is the
// costliest view, so it works in the index's numbers: it counts the cases
// of each variant, ranks the variants before building anything, then
// fills every variant's key, activities, case ids and cycle times into
// one shared allocation each, in rank order.
func Variants(l Log) []Variant {
	ix := l.index(false)
	nv := ix.variants
	// The cases and the first case of each variant (variants are numbered
	// in the order their first cases come, so rep grows with the id).
	count, rep := make([]int, nv), make([]int32, nv)
	total := 0
	for i, vid := range ix.variant {
		if vid < 0 {
			continue
		}
		if count[vid] == 0 {
			rep[vid] = int32(i)
		}
		count[vid]++
		total++
	}
	order := ix.rankVariants(count, rep)
	rankOf := make([]int32, nv)
	pos := make([]int, nv) // where each variant's cases go in caseIDs and cycles, in rank order
	off := 0
	for r, vid := range order {
		rankOf[vid] = int32(r)
		pos[vid] = off
		off += count[vid]
	}

	// Keys and activities, each in one allocation, built in id order
	// (reading the index in order).
	keyLen := make([]int, nv)
	keyBytes, nActs := 0, 0
	for vid := range nv {
		ids := ix.ev[rep[vid]]
		n := len(VariantSeparator) * (len(ids) - 1)
		for _, id := range ids {
			n += len(ix.acts[id])
		}
		keyLen[vid] = n
		keyBytes += n
		nActs += len(ids)
	}
	buf := make([]byte, 0, keyBytes)
	acts := make([]string, nActs)
	for vid := range nv {
		for j, id := range ix.ev[rep[vid]] {
			if j > 0 {
				buf = append(buf, VariantSeparator...)
			}
			buf = append(buf, ix.acts[id]...)
		}
	}
	keys := string(buf)
	caseIDs := make([]string, total)
	cycles := make([]float64, total)
	var bcycles []float64
	if l.cal != nil {
		bcycles = make([]float64, total)
	}
	next := slices.Clone(pos)
	for i, vid := range ix.variant {
		if vid < 0 {
			continue
		}
		c := &l.Cases[i]
		p := next[vid]
		next[vid]++
		caseIDs[p] = c.ID
		first, last := caseStart(*c), c.Events[len(c.Events)-1].Time
		cycles[p] = last.Sub(first).Seconds()
		if bcycles != nil {
			bcycles[p] = l.business(first, last)
		}
	}
	out := make([]Variant, nv)
	for vid := range nv {
		ids := ix.ev[rep[vid]]
		a := acts[:len(ids):len(ids)]
		acts = acts[len(ids):]
		for j, id := range ids {
			a[j] = ix.acts[id]
		}
		p, n := pos[vid], count[vid]
		v := &out[rankOf[vid]]
		v.Key, keys = keys[:keyLen[vid]], keys[keyLen[vid]:]
		v.Activities, v.Cases, v.Share = a, n, float64(n)/float64(total)
		v.CaseIDs = caseIDs[p : p+n : p+n]
		v.CycleP50 = median(cycles[p : p+n])
		if bcycles != nil {
			b := median(bcycles[p : p+n])
			v.BusinessCycleP50 = &b
		}
	}
	return out
}

// rankVariants returns the variant ids sorted by their cases, most first,
// then by key (bytewise), without building the keys: when no activity
// name is a proper prefix of another, comparing two keys is comparing
// their activities one by one by name, so the ranks of the names are
// compared instead, the first few packed into one integer per variant.
// Otherwise (rare: "approve" and "approve again") the keys are compared.
// Equal keys (names that contain the separator) keep the ids' order.
func (ix *index) rankVariants(count []int, rep []int32) []int32 {
	byName := make([]int32, len(ix.acts))
	for i := range byName {
		byName[i] = int32(i)
	}
	slices.SortFunc(byName, func(a, b int32) int { return strings.Compare(ix.acts[a], ix.acts[b]) })
	rank := make([]uint64, len(ix.acts)) // 1 + the name's rank: 0 ends a sequence
	prefixFree := true
	for r, id := range byName {
		rank[id] = uint64(r) + 1
		if r > 0 && strings.HasPrefix(ix.acts[id], ix.acts[byName[r-1]]) {
			prefixFree = false
		}
	}
	type item struct {
		cases  int
		prefix uint64 // the first ranks, big-endian
		vid    int32
	}
	bits := 1
	for uint64(1)<<bits <= uint64(len(ix.acts)) {
		bits++
	}
	per := 64 / bits // ranks packed per prefix
	items := make([]item, len(count))
	for vid := range items {
		it := item{cases: count[vid], vid: int32(vid)}
		if prefixFree {
			ids := ix.ev[rep[vid]]
			for j := range per {
				it.prefix <<= bits
				if j < len(ids) {
					it.prefix |= rank[ids[j]]
				}
			}
		}
		items[vid] = it
	}
	var keys []string
	if !prefixFree {
		keys = make([]string, len(count))
		for vid := range keys {
			keys[vid] = ix.key(ix.ev[rep[vid]])
		}
	}
	slices.SortFunc(items, func(a, b item) int {
		if a.cases != b.cases {
			return cmp.Compare(b.cases, a.cases)
		}
		if a.prefix != b.prefix {
			return cmp.Compare(a.prefix, b.prefix)
		}
		if keys != nil {
			if c := strings.Compare(keys[a.vid], keys[b.vid]); c != 0 {
				return c
			}
			return cmp.Compare(a.vid, b.vid)
		}
		sa, sb := ix.ev[rep[a.vid]], ix.ev[rep[b.vid]]
		for j := per; j < min(len(sa), len(sb)); j++ {
			if c := cmp.Compare(rank[sa[j]], rank[sb[j]]); c != 0 {
				return c
			}
		}
		if c := cmp.Compare(len(sa), len(sb)); c != 0 {
			return c
		}
		return cmp.Compare(a.vid, b.vid)
	})
	order := make([]int32, len(items))
	for i, it := range items {
		order[i] = it.vid
	}
	return order
}

// key is the variant key of a sequence of activity ids.
func (ix *index) key(ids []int32) string {
	var b strings.Builder
	for j, id := range ids {
		if j > 0 {
			b.WriteString(VariantSeparator)
		}
		b.WriteString(ix.acts[id])
	}
	return b.String()
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
	// BusinessDuration is the same in the working time of the log's
	// calendar (Log.InCalendar); nil when the log has none (and N 0 for
	// the edges of the artificial start and end).
	BusinessDuration *Quantiles
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
	ix := l.index(false)
	const start, end = int32(-1), int32(-2)
	n := len(ix.acts)
	count, caseCount, lastCase := make([]int, n), make([]int, n), make([]int, n)
	for i := range lastCase {
		lastCase[i] = -1
	}
	type acc struct {
		from, to int32
		count    int
		durs     []float64
		bdurs    []float64
	}
	edges := map[uint64]*acc{}
	edge := func(from, to int32) *acc {
		k := pairKey(from, to)
		e, ok := edges[k]
		if !ok {
			e = &acc{from: from, to: to}
			edges[k] = e
		}
		e.count++
		return e
	}
	cases := 0
	for i, c := range l.Cases {
		if len(c.Events) == 0 {
			continue
		}
		cases++
		ids := ix.ev[i]
		for j, id := range ids {
			count[id]++
			if lastCase[id] != i {
				lastCase[id] = i
				caseCount[id]++
			}
			if j == 0 {
				edge(start, id)
			} else {
				e := edge(ids[j-1], id)
				e.durs = append(e.durs, c.Events[j].Time.Sub(c.Events[j-1].Time).Seconds())
				if l.cal != nil {
					e.bdurs = append(e.bdurs, l.business(c.Events[j-1].Time, c.Events[j].Time))
				}
			}
		}
		edge(ids[len(ids)-1], end)
	}
	name := func(id int32) string {
		switch id {
		case start:
			return StartNode
		case end:
			return EndNode
		}
		return ix.acts[id]
	}
	g := Graph{Nodes: make([]Node, 0, n+2)}
	g.Nodes = append(g.Nodes, Node{Activity: StartNode, Count: cases, Cases: cases})
	body := make([]Node, n)
	for id := range n {
		body[id] = Node{Activity: ix.acts[id], Count: count[id], Cases: caseCount[id]}
	}
	slices.SortFunc(body, func(a, b Node) int { return byCountThenName(a.Count, b.Count, a.Activity, b.Activity) })
	g.Nodes = append(g.Nodes, body...)
	g.Nodes = append(g.Nodes, Node{Activity: EndNode, Count: cases, Cases: cases})
	g.Edges = make([]Edge, 0, len(edges))
	for _, e := range edges {
		g.Edges = append(g.Edges, Edge{From: name(e.from), To: name(e.to), Count: e.count, Duration: quantiles(e.durs),
			BusinessDuration: businessQuantiles(l.cal != nil, e.bdurs)})
	}
	slices.SortFunc(g.Edges, func(a, b Edge) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		if c := strings.Compare(a.From, b.From); c != 0 {
			return c
		}
		return strings.Compare(a.To, b.To)
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
	// BusinessWait and BusinessWork are the same intervals in the working
	// time of the log's calendar (Log.InCalendar); nil when the log has
	// none. An interval that ends before it begins counts 0.
	BusinessWait, BusinessWork *Quantiles
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
	ix := l.index(false)
	n := len(ix.acts)
	type acc struct {
		st           ActivityStats
		wait, work   []float64
		bwait, bwork []float64 // in the calendar
		total        float64   // seconds of waiting and working
	}
	accs := make([]acc, n)
	for id := range n {
		accs[id].st.Activity = ix.acts[id]
	}
	// Per case: how often each activity occurs, and whether it ping-pongs;
	// stamp marks the case the counts are of, so nothing is reset.
	seen, stamp := make([]int, n), make([]int, n)
	pingPong := make([]int, n)
	for i := range stamp {
		stamp[i], pingPong[i] = -1, -1
	}
	for ci, c := range l.Cases {
		ids := ix.ev[ci]
		for i, e := range c.Events {
			id := ids[i]
			a := &accs[id]
			a.st.Count++
			if stamp[id] != ci {
				stamp[id], seen[id] = ci, 0
				a.st.Cases++
			}
			seen[id]++
			if seen[id] == 2 {
				a.st.Rework++
			}
			begin := e.Time
			if e.Start != nil {
				begin = *e.Start
				w := e.Time.Sub(*e.Start).Seconds()
				a.work = append(a.work, w)
				a.total += w
				if l.cal != nil {
					a.bwork = append(a.bwork, l.business(*e.Start, e.Time))
				}
			}
			if ready, ok := ReadyAt(c, i); ok {
				w := begin.Sub(ready).Seconds()
				a.wait = append(a.wait, w)
				a.total += w
				if l.cal != nil {
					a.bwait = append(a.bwait, l.business(ready, begin))
				}
			}
			if i >= 2 && ids[i-2] == id && ids[i-1] != id && pingPong[id] != ci {
				pingPong[id] = ci
				a.st.PingPong++
			}
		}
	}
	var total float64
	for i := range accs {
		total += accs[i].total
	}
	out := make([]ActivityStats, n)
	for id := range accs {
		a := &accs[id]
		a.st.Wait, a.st.Work = quantiles(a.wait), quantiles(a.work)
		a.st.BusinessWait, a.st.BusinessWork = businessQuantiles(l.cal != nil, a.bwait), businessQuantiles(l.cal != nil, a.bwork)
		if total > 0 {
			a.st.Share = a.total / total
		}
		out[id] = a.st
	}
	// The bottleneck: the largest share, the first by name among equals.
	slices.SortFunc(out, func(a, b ActivityStats) int { return strings.Compare(a.Activity, b.Activity) })
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
	ix := l.index(true)
	count := func(ids [][]int32, names []string) ([]Handoff, PerCase) {
		type acc struct {
			h        Handoff
			lastCase int
		}
		pairs := map[uint64]*acc{}
		var perCase []float64
		for ci, c := range l.Cases {
			if len(c.Events) == 0 {
				continue
			}
			seq := ids[ci]
			n := 0
			for i := 1; i < len(seq); i++ {
				from, to := seq[i-1], seq[i]
				if from == 0 || to == 0 || from == to {
					continue
				}
				n++
				k := pairKey(from, to)
				a, ok := pairs[k]
				if !ok {
					a = &acc{h: Handoff{From: names[from], To: names[to]}, lastCase: -1}
					pairs[k] = a
				}
				a.h.Count++
				if a.lastCase != ci {
					a.lastCase = ci
					a.h.Cases++
				}
			}
			perCase = append(perCase, float64(n))
		}
		out := make([]Handoff, 0, len(pairs))
		for _, a := range pairs {
			out = append(out, a.h)
		}
		slices.SortFunc(out, func(a, b Handoff) int {
			if c := cmp.Compare(b.Count, a.Count); c != 0 {
				return c
			}
			if c := strings.Compare(a.From, b.From); c != 0 {
				return c
			}
			return strings.Compare(a.To, b.To)
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
	h.Resources, h.PerCaseResources = count(ix.res, ix.resNames)
	h.Groups, h.PerCaseGroups = count(ix.grp, ix.grpNames)
	return h
}

// CycleTimes are the percentiles of the log's cycle times, in seconds,
// and their extremes.
type CycleTimes struct {
	Quantiles
	Min, Max float64
	// Business are the percentiles of the same cycle times in the working
	// time of the log's calendar (Log.InCalendar); nil when the log has
	// none.
	Business *Quantiles
	// Buckets are the distribution of the (elapsed) cycle times over
	// human bounds, BucketBounds up to the first that holds the longest
	// cycle time; past the last of them, one more bucket up to Max. Nil
	// for a log without cases.
	Buckets []Bucket
}

// Bucket counts the cases whose cycle time is above the previous
// bucket's UpTo (the first bucket: from 0) and at most UpTo.
type Bucket struct {
	UpTo  float64 // seconds, inclusive
	Cases int
}

// BucketBounds are the upper bounds of the cycle-time buckets, in
// seconds: 1 hour, 4 and 8 hours, 1, 2 and 3 days, 1 and 2 weeks, 30 and
// 90 days.
var BucketBounds = []float64{
	3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 90 * 86400,
}

// buckets distributes cycle times over BucketBounds (decision 0029).
func buckets(xs []float64, longest float64) []Bucket {
	if len(xs) == 0 {
		return nil
	}
	var out []Bucket
	for _, b := range BucketBounds {
		out = append(out, Bucket{UpTo: b})
		if b >= longest {
			break
		}
	}
	if last := BucketBounds[len(BucketBounds)-1]; longest > last {
		out = append(out, Bucket{UpTo: longest})
	}
	for _, x := range xs {
		i, _ := slices.BinarySearchFunc(out, x, func(b Bucket, x float64) int { return cmp.Compare(b.UpTo, x) })
		out[min(i, len(out)-1)].Cases++
	}
	return out
}

// CycleTimesOf describes the log's cycle times.
func CycleTimesOf(l Log) CycleTimes {
	var xs, bs []float64
	for _, c := range l.Cases {
		if len(c.Events) > 0 {
			xs = append(xs, CycleTime(c).Seconds())
			if l.cal != nil {
				bs = append(bs, l.business(caseStart(c), c.Events[len(c.Events)-1].Time))
			}
		}
	}
	if len(xs) == 0 {
		return CycleTimes{Business: businessQuantiles(l.cal != nil, nil)}
	}
	q := quantiles(xs)
	longest := slices.Max(xs)
	return CycleTimes{Quantiles: q, Min: slices.Min(xs), Max: longest, Business: businessQuantiles(l.cal != nil, bs),
		Buckets: buckets(xs, longest)}
}
