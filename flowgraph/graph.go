// Package flowgraph is the graph of a flow definition: its steps as nodes,
// the transitions between them as labelled edges, its departments with a
// fixed colour each, and optionally per-step statistics drawn as a heat
// overlay. It renders the graph as Graphviz DOT; laying it out is left to
// Graphviz. It imports nothing of flowlab's but package flow and does no
// I/O, and the same input always gives the same bytes.
package flowgraph

import (
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
