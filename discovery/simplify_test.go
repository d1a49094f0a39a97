package discovery

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func mapOf(nodes []Node, edges ...Edge) Graph {
	return Graph{Nodes: nodes, Edges: edges}
}

func edgeNames(g Graph) []string {
	var out []string
	for _, e := range g.Edges {
		out = append(out, e.From+">"+e.To)
	}
	return out
}

func nodeNames(g Graph) []string {
	var out []string
	for _, n := range g.Nodes {
		out = append(out, n.Activity)
	}
	return out
}

func TestSimplifyIdentity(t *testing.T) {
	for _, l := range []Log{sample(), synthetic(2000), businessLog(t)} {
		g := DirectlyFollows(l)
		require.Equal(t, g, Simplify(g, 1, 1))
		require.Equal(t, g, Simplify(g, 2, math.NaN()), "above 1 and NaN are 1")
	}
	require.Equal(t, Graph{}, Simplify(Graph{}, 0.5, 0.5))
}

// abcd: A is in every case, then B or C (through B sometimes), rarely D.
func abcd() Graph {
	return mapOf([]Node{{StartNode, 100, 100}, {"A", 100, 100}, {"B", 60, 60}, {"C", 40, 40}, {"D", 5, 5}, {EndNode, 100, 100}},
		Edge{From: StartNode, To: "A", Count: 100},
		Edge{From: "A", To: "B", Count: 60},
		Edge{From: "B", To: EndNode, Count: 55},
		Edge{From: "C", To: EndNode, Count: 40},
		Edge{From: "A", To: "C", Count: 35},
		Edge{From: "A", To: "D", Count: 5},
		Edge{From: "B", To: "C", Count: 5},
		Edge{From: "D", To: EndNode, Count: 5},
	)
}

func TestSimplifyRule(t *testing.T) {
	g := abcd()
	// Three of four activities; every allowed path.
	s := Simplify(g, 0.75, 1)
	require.Equal(t, []string{StartNode, "A", "B", "C", EndNode}, nodeNames(s))
	require.Equal(t, []string{StartNode + ">A", "A>B", "B>" + EndNode, "C>" + EndNode, "A>C", "B>C"}, edgeNames(s))
	require.Equal(t, g.Nodes[2], s.Nodes[2], "figures are kept")

	// No paths beyond each activity's most frequent way in and out: B → C
	// (5) is neither C's best way in (A → C, 35) nor B's best way out.
	want := []string{StartNode + ">A", "A>B", "B>" + EndNode, "C>" + EndNode, "A>C"}
	require.Equal(t, want, edgeNames(Simplify(g, 0.75, 0)))
	// Half of the six allowed paths are the three most frequent; the ways
	// in and out add the rest.
	require.Equal(t, want, edgeNames(Simplify(g, 0.75, 0.5)))

	// At least one activity, with its ways in and out.
	s = Simplify(g, 0, 0)
	require.Equal(t, []string{StartNode, "A", EndNode}, nodeNames(s))
	require.Equal(t, []string{StartNode + ">A"}, edgeNames(s), "A's only allowed edge: it cannot reach the end")
	require.Equal(t, nodeNames(s), nodeNames(Simplify(g, -1, -1)))
	// 0.3 of ten is three, not four.
	require.Equal(t, 3, fractionOf(0.3, 10, 0))
	require.Equal(t, 1, fractionOf(0.01, 10, 0))
}

// The most frequent ways in and out of X and Y are each other: only the
// widest paths from the start and to the end join them.
func TestSimplifyKeepsReachability(t *testing.T) {
	g := mapOf([]Node{{StartNode, 10, 10}, {"X", 60, 10}, {"Y", 60, 10}, {EndNode, 10, 10}},
		Edge{From: "X", To: "Y", Count: 50},
		Edge{From: "Y", To: "X", Count: 50},
		Edge{From: StartNode, To: "X", Count: 6},
		Edge{From: StartNode, To: "Y", Count: 4},
		Edge{From: "X", To: EndNode, Count: 3},
		Edge{From: "Y", To: EndNode, Count: 7},
	)
	s := Simplify(g, 1, 0)
	require.Equal(t, []string{"X>Y", "Y>X", StartNode + ">X", "Y>" + EndNode}, edgeNames(s))

	// Every kept activity is reachable from the start and reaches the end
	// when the edges between kept activities allow it, on random logs at
	// every setting (in sample, at 0/0, A is kept and no case ends with it).
	for _, l := range []Log{synthetic(3000), sample()} {
		g := DirectlyFollows(l)
		for _, a := range []float64{0, 0.2, 0.5, 0.8, 1} {
			for _, p := range []float64{0, 0.1, 0.5, 1} {
				s := Simplify(g, a, p)
				allowed := Graph{Nodes: s.Nodes}
				for _, e := range g.Edges {
					if slices.Contains(nodeNames(s), e.From) && slices.Contains(nodeNames(s), e.To) {
						allowed.Edges = append(allowed.Edges, e)
					}
				}
				require.Equal(t, reach(allowed, StartNode, false), reach(s, StartNode, false), "%v/%v", a, p)
				require.Equal(t, reach(allowed, EndNode, true), reach(s, EndNode, true), "%v/%v", a, p)
			}
		}
	}
	require.NotContains(t, edgeNames(Simplify(DirectlyFollows(sample()), 0, 0)), "A>"+EndNode)
}

// An activity whose neighbours are dropped keeps what it has left: no
// edge is made up.
func TestSimplifyMakesNoEdgeUp(t *testing.T) {
	g := mapOf([]Node{{StartNode, 11, 11}, {"R", 10, 10}, {"P", 1, 1}, {"Q", 1, 1}, {EndNode, 11, 11}},
		Edge{From: StartNode, To: "R", Count: 10},
		Edge{From: "R", To: EndNode, Count: 10},
		Edge{From: StartNode, To: "P", Count: 1},
		Edge{From: "P", To: "Q", Count: 1},
		Edge{From: "Q", To: EndNode, Count: 1},
	)
	s := Simplify(g, 0.6, 1) // R and P (P before Q by name)
	require.Equal(t, []string{StartNode, "R", "P", EndNode}, nodeNames(s))
	require.Equal(t, []string{StartNode + ">R", "R>" + EndNode, StartNode + ">P"}, edgeNames(s))
}

func reach(g Graph, root string, back bool) map[string]bool {
	seen := map[string]bool{root: true}
	for changed := true; changed; {
		changed = false
		for _, e := range g.Edges {
			from, to := e.From, e.To
			if back {
				from, to = to, from
			}
			if seen[from] && !seen[to] {
				seen[to], changed = true, true
			}
		}
	}
	return seen
}
