package discovery

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// Simplify is the map g with only its most frequent activities and paths,
// as the activity and path sliders of process-mining tools show it
// (decision 0029, "Simplified map"). activities and paths are fractions
// from 0 to 1 (below 0 is 0; above 1, and NaN, are 1):
//
//  1. The activities kept are the ceil(activities × n) most frequent of
//     the n activities (by Count, ties by name), at least one; StartNode
//     and EndNode are always kept.
//  2. The allowed edges are those whose both ends are kept.
//  3. The ceil(paths × m) most frequent of the m allowed edges are kept
//     (by Count, ties by from, then to).
//  4. So is, for every kept activity, its most frequent allowed incoming
//     edge and its most frequent allowed outgoing edge.
//  5. A kept activity still not reachable from StartNode over the kept
//     edges gets the allowed edges of its widest path from StartNode (the
//     path whose least frequent edge is the most frequent); one still
//     unable to reach EndNode those of its widest path to EndNode.
//
// An activity that no allowed path joins to the start (or the end),
// because the activities around it were dropped, stays without that
// connection: no edge is made up. Nodes and edges keep their figures and
// their order in g; Simplify(g, 1, 1) is g.
func Simplify(g Graph, activities, paths float64) Graph {
	// 1. The activities kept.
	var body []int // indexes into g.Nodes of the activities
	for i, n := range g.Nodes {
		if n.Activity != StartNode && n.Activity != EndNode {
			body = append(body, i)
		}
	}
	slices.SortStableFunc(body, func(a, b int) int {
		return byCountThenName(g.Nodes[a].Count, g.Nodes[b].Count, g.Nodes[a].Activity, g.Nodes[b].Activity)
	})
	kept := map[string]bool{StartNode: true, EndNode: true}
	for _, i := range body[:fractionOf(activities, len(body), 1)] {
		kept[g.Nodes[i].Activity] = true
	}

	// 2. The allowed edges, most frequent first.
	var allowed []int // indexes into g.Edges
	for i, e := range g.Edges {
		if kept[e.From] && kept[e.To] {
			allowed = append(allowed, i)
		}
	}
	slices.SortStableFunc(allowed, func(a, b int) int {
		ea, eb := g.Edges[a], g.Edges[b]
		if c := cmp.Compare(eb.Count, ea.Count); c != 0 {
			return c
		}
		if c := strings.Compare(ea.From, eb.From); c != 0 {
			return c
		}
		return strings.Compare(ea.To, eb.To)
	})

	// 3. The most frequent paths.
	keep := make([]bool, len(g.Edges))
	for _, i := range allowed[:fractionOf(paths, len(allowed), 0)] {
		keep[i] = true
	}
	// 4. Every kept activity's most frequent way in and way out: the first
	// allowed edge in that order to it and from it.
	in, out := map[string]bool{}, map[string]bool{}
	for _, i := range allowed {
		e := g.Edges[i]
		if e.To != EndNode && !in[e.To] {
			in[e.To], keep[i] = true, true
		}
		if e.From != StartNode && !out[e.From] {
			out[e.From], keep[i] = true, true
		}
	}
	// 5. Reachability from the start and to the end.
	connect(g.Edges, allowed, keep, false)
	connect(g.Edges, allowed, keep, true)

	s := Graph{Nodes: slices.Clone(g.Nodes), Edges: slices.Clone(g.Edges)}
	s.Nodes = slices.DeleteFunc(s.Nodes, func(n Node) bool { return !kept[n.Activity] })
	i := 0
	s.Edges = slices.DeleteFunc(s.Edges, func(Edge) bool { i++; return !keep[i-1] })
	return s
}

// fractionOf is ceil(f × n) for f clamped to [0, 1] (NaN as 1), at least
// least (but at most n).
func fractionOf(f float64, n, least int) int {
	switch {
	case math.IsNaN(f) || f > 1:
		f = 1
	case f < 0:
		f = 0
	}
	// The tolerance keeps 0.3 of 10 at 3 (0.3 × 10 is 3.0000000000000004).
	k := int(math.Ceil(f*float64(n) - 1e-9))
	return min(max(k, least), n)
}

// connect keeps, for every activity that the kept edges do not join to
// StartNode (toEnd false) or EndNode (toEnd true) but the allowed edges
// do, the allowed edges of its widest path from the start (to the end).
func connect(edges []Edge, allowed []int, keep []bool, toEnd bool) {
	root := StartNode
	from, to := func(e Edge) string { return e.From }, func(e Edge) string { return e.To }
	if toEnd {
		root = EndNode
		from, to = to, from // walk the edges backwards from the end
	}
	// The widest-path tree over the allowed edges from root: a
	// Dijkstra-like search that extends the widest known path first (ties
	// by name), over the edges in allowed's order.
	width, via := map[string]int{root: math.MaxInt}, map[string]int{}
	done := map[string]bool{}
	for {
		best := ""
		for n, w := range width {
			if !done[n] && (best == "" || w > width[best] || w == width[best] && n < best) {
				best = n
			}
		}
		if best == "" {
			break
		}
		done[best] = true
		for _, i := range allowed {
			e := edges[i]
			if from(e) != best || done[to(e)] {
				continue
			}
			if w := min(width[best], e.Count); w > width[to(e)] {
				width[to(e)], via[to(e)] = w, i
			}
		}
	}
	// Reached over the kept edges.
	reached := map[string]bool{root: true}
	var spread func(n string)
	spread = func(n string) {
		for _, i := range allowed {
			if e := edges[i]; keep[i] && from(e) == n && !reached[to(e)] {
				reached[to(e)] = true
				spread(to(e))
			}
		}
	}
	spread(root)
	// The activities in the tree, by name, each joined along its path.
	names := make([]string, 0, len(via))
	for n := range via {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if reached[n] {
			continue
		}
		// Keep the path's edges back to the first node already reached,
		// then spread from there.
		var path []string
		for m := n; !reached[m]; m = from(edges[via[m]]) {
			keep[via[m]] = true
			path = append(path, m)
		}
		for _, m := range path {
			reached[m] = true
		}
		for _, m := range path {
			spread(m)
		}
	}
}
