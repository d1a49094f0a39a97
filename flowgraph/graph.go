// Package flowgraph is the graph of a flow definition: its steps as nodes,
// the transitions between them as labelled edges, its departments with a
// fixed colour each, and optionally per-step statistics drawn as a heat
// overlay. It renders the graph as Graphviz DOT; laying it out is left to
// Graphviz (dotlayout runs it). It also draws a process map discovered
// from an event log (MapDOT), from plain types the caller fills from
// package discovery's graph. It imports nothing of flowlab's
// but packages flow and analytics (for its one quantile definition) and
// does no I/O, and the same input always gives the same bytes.
package flowgraph

import (
	"fmt"

	"github.com/flowlab/flowlab/flow"
)

// Graph is the graph of one flow version.
type Graph struct {
	Key     string
	Version int
	Name    string
	// Start is the id of the first step.
	Start       string
	Nodes       []Node
	Edges       []Edge
	Departments []Department
}

// Node is one step.
type Node struct {
	ID         string
	Kind       flow.Kind
	Name       string
	Department string
	SLA        flow.Duration
}

// EdgeKind says what makes a transition.
type EdgeKind string

// Edge kinds.
const (
	EdgeOutcome EdgeKind = "outcome" // a task outcome; the label is its name
	EdgeRule    EdgeKind = "rule"    // a decision rule; the label is its expression
	EdgeDefault EdgeKind = "default" // a decision's default branch
	EdgeTimeout EdgeKind = "timeout" // a wait step's on_timeout
	EdgeNext    EdgeKind = "next"    // the unconditional successor of auto and wait steps
)

// Edge is one transition between steps.
type Edge struct {
	From, To string
	Kind     EdgeKind
	Label    string
}

// Department is a department of the flow and its colour.
type Department struct {
	Name   string
	Colour string
}

// Palette holds the department colours (ColorBrewer Set3, light enough for
// black text), assigned in the order the definition lists its departments
// and reused from the start past the twelfth.
var Palette = []string{
	"#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462",
	"#b3de69", "#fccde5", "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f",
}

// NoDepartmentColour fills steps that belong to no department (decisions,
// automatic, wait and end steps) or to one the definition does not list.
const NoDepartmentColour = "#f5f5f5"

// Build returns the graph of def: a node per step in the definition's
// order, and per step its edges in the order the definition lists them
// (outcomes; rules then the default; next then on_timeout). Edges to steps
// that do not exist are left out (a validated definition has none).
func Build(def *flow.Definition) Graph {
	g := Graph{Key: def.Key, Version: def.Version, Name: def.Name, Start: def.StartStep()}
	for i, d := range def.Departments {
		g.Departments = append(g.Departments, Department{Name: d, Colour: Palette[i%len(Palette)]})
	}
	exists := make(map[string]bool, len(def.Steps))
	for _, st := range def.Steps {
		exists[st.ID] = true
	}
	add := func(from, to string, kind EdgeKind, label string) {
		if to != "" && exists[to] {
			g.Edges = append(g.Edges, Edge{From: from, To: to, Kind: kind, Label: label})
		}
	}
	for _, st := range def.Steps {
		g.Nodes = append(g.Nodes, Node{ID: st.ID, Kind: st.Kind, Name: st.Name, Department: st.Department, SLA: st.SLA})
		switch st.Kind {
		case flow.KindTask, flow.KindPilot:
			for _, o := range st.Outcomes {
				add(st.ID, o.Next, EdgeOutcome, o.Name)
			}
		case flow.KindDecision:
			for _, r := range st.Rules {
				add(st.ID, r.Next, EdgeRule, r.When)
			}
			add(st.ID, st.Default, EdgeDefault, "default")
		case flow.KindAuto, flow.KindWait:
			add(st.ID, st.Next, EdgeNext, "next")
			add(st.ID, st.OnTimeout, EdgeTimeout, "timeout")
		}
	}
	return g
}

// Colour returns the colour of a department (NoDepartmentColour for "" or
// one the flow does not list).
func (g *Graph) Colour(department string) string {
	for _, d := range g.Departments {
		if d.Name == department {
			return d.Colour
		}
	}
	return NoDepartmentColour
}

// Limits bound the graphs that are drawn (decision 0019): laying out a
// graph costs Graphviz time that grows faster than its size, so graph.svg
// refuses a graph beyond them before laying it out.
type Limits struct {
	// Steps is the most nodes (steps) of a drawn graph.
	Steps int
	// Edges is the most transitions.
	Edges int
	// LabelBytes is the most bytes of text drawn: the steps' ids, names
	// and departments and the edges' labels, summed.
	LabelBytes int
}

// DefaultLimits are the limits when none are configured: 150 steps, 450
// transitions, 64 KiB of labels. flowlab's own flows have under 15 steps;
// a layout at the limits takes a few seconds of CPU.
var DefaultLimits = Limits{Steps: 150, Edges: 450, LabelBytes: 64 << 10}

// LabelBytes is the text of the graph in bytes, as Limits counts it.
func (g *Graph) LabelBytes() int {
	n := 0
	for _, nd := range g.Nodes {
		n += len(nd.ID) + len(nd.Name) + len(nd.Department)
	}
	for _, e := range g.Edges {
		n += len(e.Label)
	}
	return n
}

// TooLarge says in words which limit the graph exceeds ("it has 300
// steps; at most 150 are drawn"), or "" when it is within them.
func (g *Graph) TooLarge(l Limits) string {
	switch {
	case len(g.Nodes) > l.Steps:
		return fmt.Sprintf("it has %d steps; at most %d are drawn", len(g.Nodes), l.Steps)
	case len(g.Edges) > l.Edges:
		return fmt.Sprintf("it has %d transitions; at most %d are drawn", len(g.Edges), l.Edges)
	case g.LabelBytes() > l.LabelBytes:
		return fmt.Sprintf("its names and labels have %d bytes of text; at most %d are drawn", g.LabelBytes(), l.LabelBytes)
	}
	return ""
}
