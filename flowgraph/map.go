package flowgraph

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/readable"
)

// Map is a process map discovered from an event log (package discovery's
// directly-follows graph, converted by the caller: flowgraph does not
// import discovery): activities with their frequencies and the
// directly-follows edges between them with their durations.
type Map struct {
	// Title is drawn above the map ("" for none).
	Title string
	// Start and End are the ids of the artificial start and end nodes
	// (discovery.StartNode and EndNode), drawn as a small circle and a
	// small double circle without their counts; "" when there are none.
	Start, End string
	Nodes      []MapNode
	Edges      []MapEdge
}

// MapNode is an activity: Count events in Cases cases.
type MapNode struct {
	ID, Label    string
	Count, Cases int
}

// MapEdge is a directly-follows edge: Count times To came right after
// From. P50 and P90 are the median and 90th percentile of its durations
// in seconds, when HasDuration (the edges of the start and end have none).
type MapEdge struct {
	From, To    string
	Count       int
	P50, P90    float64
	HasDuration bool
}

// MapView is what a map's colours show.
type MapView string

// Map views.
const (
	// MapFrequency colours and widens nodes and edges by their counts.
	MapFrequency MapView = "frequency"
	// MapPerformance colours edges by their median duration (white-red,
	// the slowest red) and labels them with median and p90; edge widths
	// still follow the counts.
	MapPerformance MapView = "performance"
)

// Valid reports whether v is MapFrequency or MapPerformance.
func (v MapView) Valid() bool { return v == MapFrequency || v == MapPerformance }

// Colours of the map: counts on a scale from light to dark blue, the
// start green and the end dark grey.
var (
	mapLight    = [3]float64{0xde, 0xeb, 0xf7} // ColorBrewer Blues 9, 2nd
	mapDark     = [3]float64{0x08, 0x30, 0x6b} // Blues 9, 9th
	mapEdgeLow  = [3]float64{0xbd, 0xbd, 0xbd} // light grey, the fewest
	mapEdgeHigh = [3]float64{0x08, 0x30, 0x6b}
	mapSlowLow  = [3]float64{0xbd, 0xbd, 0xbd} // performance: fastest grey
	mapSlowHigh = heatRed                      // slowest red
)

const (
	mapStartColour = "#41ab5d"
	mapEndColour   = "#525252"
	mapPlainFill   = "#f0f0f0"
)

// TooLarge says in words which limit the map exceeds (Steps bounds its
// activities, Edges its edges, LabelBytes its labels), or "".
func (m Map) TooLarge(l Limits) string {
	n := 0
	for _, nd := range m.Nodes {
		n += len(nd.ID) + len(nd.Label)
	}
	switch {
	case len(m.Nodes) > l.Steps:
		return fmt.Sprintf("it has %d activities; at most %d are drawn", len(m.Nodes), l.Steps)
	case len(m.Edges) > l.Edges:
		return fmt.Sprintf("it has %d paths; at most %d are drawn", len(m.Edges), l.Edges)
	case n > l.LabelBytes:
		return fmt.Sprintf("its names have %d bytes of text; at most %d are drawn", n, l.LabelBytes)
	}
	return ""
}

// MapDOT writes the map in the Graphviz DOT language, top to bottom: the
// start as a small green circle, the end as a small double circle, the
// activities as rounded boxes labelled with their name and count, the
// edges as arrows whose width grows with their count (1 to 6 points, in
// proportion to the most frequent edge). In the frequency view activities
// are filled and edges coloured light to dark blue in proportion to their
// count (over the largest activity count, the largest edge count), and
// edges are labelled with it; in the performance view edges are coloured
// grey to red in proportion to their median duration (over the slowest
// edge's) and labelled with median and p90 (readable.Duration), edges without
// durations grey and dashed. Nodes and edges are written in the map's
// order; the output depends only on the input.
func MapDOT(m Map, view MapView) []byte {
	if !view.Valid() {
		view = MapFrequency
	}
	var maxNode, maxEdge int
	var maxP50 float64
	for _, n := range m.Nodes {
		if n.ID != m.Start && n.ID != m.End {
			maxNode = max(maxNode, n.Count)
		}
	}
	for _, e := range m.Edges {
		maxEdge = max(maxEdge, e.Count)
		if e.HasDuration && !math.IsNaN(e.P50) {
			maxP50 = math.Max(maxP50, e.P50)
		}
	}
	var b strings.Builder
	title := m.Title
	// The caption stays short: Graphviz sizes the drawing from its own
	// estimate of the text's width, and a browser's font may be wider.
	caption := "frequency: counts"
	if view == MapPerformance {
		caption = "median and p90 per path (red: " + readable.Duration(maxP50) + ")"
	}
	if title != "" {
		title += "\n"
	}
	b.WriteString("digraph \"map\" {\n")
	nodesep := "0.35"
	if view == MapPerformance {
		nodesep = "0.7" // two-line duration labels between neighbours
	}
	fmt.Fprintf(&b, "  graph [fontname=\"Helvetica\", fontsize=13, rankdir=TB, nodesep="+nodesep+", ranksep=0.45, pad=0.25, labelloc=t, bgcolor=\"white\", label=%s];\n",
		quote(strings.Split(title+caption, "\n")...))
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", color=\"#4d4d4d\", fillcolor=\"" + mapPlainFill + "\", penwidth=1.2, margin=\"0.14,0.06\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#4d4d4d\", fontcolor=\"#333333\", arrowsize=0.7];\n")
	for i, n := range m.Nodes {
		attrs := []string{"id=" + quote("act-"+strconv.Itoa(i))}
		switch n.ID {
		case m.Start:
			attrs = append(attrs, "shape=circle", `style="filled"`, "width=0.25", "fixedsize=true", `label=" "`,
				`fillcolor="`+mapStartColour+`"`, `color="`+mapStartColour+`"`, "tooltip="+quote(fmt.Sprintf("start: %d cases", n.Cases)))
		case m.End:
			attrs = append(attrs, "shape=doublecircle", `style="filled"`, "width=0.2", "fixedsize=true", `label=" "`,
				`fillcolor="`+mapEndColour+`"`, `color="`+mapEndColour+`"`, "tooltip="+quote(fmt.Sprintf("end: %d cases", n.Cases)))
		default:
			label := n.Label
			if label == "" {
				label = n.ID
			}
			lines := append(wrap(label, 24), strconv.Itoa(n.Count))
			fill := mapPlainFill
			if view == MapFrequency {
				t := ratio(float64(n.Count), float64(maxNode))
				fill = mix(mapLight, mapDark, t)
				if t > 0.55 {
					attrs = append(attrs, `fontcolor="white"`)
				}
			}
			attrs = append(attrs, `fillcolor="`+fill+`"`, "label="+quote(lines...),
				"tooltip="+quote(fmt.Sprintf("%s: %d events in %d cases", label, n.Count, n.Cases)))
		}
		fmt.Fprintf(&b, "  %s [%s];\n", quote(n.ID), strings.Join(attrs, ", "))
	}
	for _, e := range m.Edges {
		t := ratio(float64(e.Count), float64(maxEdge))
		width := strconv.FormatFloat(1+5*t, 'f', 2, 64)
		attrs := []string{"penwidth=" + width}
		tooltip := fmt.Sprintf("%d times", e.Count)
		if e.HasDuration {
			tooltip += "; median " + readable.Duration(e.P50) + ", p90 " + readable.Duration(e.P90)
		}
		switch {
		case view == MapFrequency:
			c := mix(mapEdgeLow, mapEdgeHigh, t)
			attrs = append(attrs, `color="`+c+`"`, "label="+quote(" "+strconv.Itoa(e.Count)))
		case e.HasDuration:
			c := mix(mapSlowLow, mapSlowHigh, ratio(e.P50, maxP50))
			attrs = append(attrs, `color="`+c+`"`, "label="+quote(" "+readable.Duration(e.P50), " p90 "+readable.Duration(e.P90)))
		default:
			attrs = append(attrs, `color="#bdbdbd"`, `style="dashed"`)
		}
		attrs = append(attrs, "tooltip="+quote(tooltip))
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", quote(e.From), quote(e.To), strings.Join(attrs, ", "))
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// ratio is v over top, from 0 to 1 (0 when either is not positive).
func ratio(v, top float64) float64 {
	if !(v > 0) || !(top > 0) {
		return 0
	}
	return math.Min(v/top, 1)
}

// mix is the colour t of the way from a to b, linear in RGB.
func mix(a, b [3]float64, t float64) string {
	c := func(i int) int { return int(math.Round(a[i] + (b[i]-a[i])*t)) }
	return fmt.Sprintf("#%02x%02x%02x", c(0), c(1), c(2))
}
