package flowgraph

import (
	"fmt"
	"html"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/flow"
)

// Node ids of the drawing that are not steps; step ids cannot start with
// an underscore, so they never collide.
const (
	startNode  = "__start"
	legendNode = "__legend"
)

// Threshold borders of the heat overlay.
const (
	warnColour  = "#e08214"
	alertColour = "#b2182b"
	warnWidth   = "3"
	alertWidth  = "4"
)

// Shape is the Graphviz shape of a step kind.
func Shape(k flow.Kind) string {
	switch k {
	case flow.KindTask:
		return "box"
	case flow.KindDecision:
		return "diamond"
	case flow.KindWait:
		return "hexagon"
	case flow.KindAuto:
		return "component"
	case flow.KindPilot:
		return "octagon"
	case flow.KindEnd:
		return "doublecircle"
	}
	return "ellipse"
}

// DOT writes the graph in the Graphviz DOT language, top to bottom: a dot
// before the start step, the steps shaped by kind and filled by department
// colour, the edges labelled, and a legend of the departments. With heat,
// steps are filled on a white to red scale by the metric and labelled with
// its value, steps at or above a threshold get a thick (warn) or thick red
// (alert) border, and the legend shows the scale and the thresholds.
// The output depends only on its input.
func DOT(g Graph, heat *Heat) []byte {
	var b strings.Builder
	title := g.Name
	if title == "" {
		title = g.Key
	}
	title += " · " + g.Key + " v" + strconv.Itoa(g.Version)
	if heat != nil {
		title += " · " + heat.Metric.Title()
	}
	fmt.Fprintf(&b, "digraph %s {\n", quote(g.Key+" v"+strconv.Itoa(g.Version)))
	fmt.Fprintf(&b, "  graph [fontname=\"Helvetica\", fontsize=13, rankdir=TB, nodesep=0.35, ranksep=0.45, pad=0.25, labelloc=t, bgcolor=\"white\", label=%s];\n", quote(title))
	b.WriteString("  node [fontname=\"Helvetica\", fontsize=10, style=\"filled\", color=\"#4d4d4d\", fillcolor=\"" + NoDepartmentColour + "\", penwidth=1.2, margin=\"0.14,0.06\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#4d4d4d\", fontcolor=\"#333333\", arrowsize=0.7];\n")

	if g.Start != "" {
		fmt.Fprintf(&b, "  %s [shape=point, width=0.14, fillcolor=\"#333333\", color=\"#333333\", tooltip=\"start\"];\n", quote(startNode))
	}
	var scale Scale
	if heat != nil {
		scale = heat.Scale()
	}
	for _, n := range g.Nodes {
		b.WriteString("  " + quote(n.ID) + " [")
		b.WriteString(nodeAttrs(g, n, heat, scale))
		b.WriteString("];\n")
	}
	if g.Start != "" {
		fmt.Fprintf(&b, "  %s -> %s;\n", quote(startNode), quote(g.Start))
	}
	for _, e := range g.Edges {
		attrs := []string{"label=" + quote(wrap(e.Label, 28)...)}
		switch e.Kind {
		case EdgeTimeout:
			attrs = append(attrs, `style="dashed"`)
		case EdgeDefault:
			attrs = append(attrs, `style="dashed"`, `fontcolor="#666666"`)
		case EdgeRule:
			attrs = append(attrs, "tooltip="+quote("when "+e.Label))
		}
		fmt.Fprintf(&b, "  %s -> %s [%s];\n", quote(e.From), quote(e.To), strings.Join(attrs, ", "))
	}
	fmt.Fprintf(&b, "  %s [shape=plaintext, style=\"\", margin=0, label=<%s>];\n", quote(legendNode), legend(g, heat, scale))
	fmt.Fprintf(&b, "  { rank=sink; %s; }\n", quote(legendNode))
	b.WriteString("}\n")
	return []byte(b.String())
}

func nodeAttrs(g Graph, n Node, heat *Heat, scale Scale) string {
	name := n.Name
	if name == "" {
		name = n.ID
	}
	lines := wrap(name, 24)
	if n.SLA > 0 {
		lines = append(lines, "SLA "+n.SLA.String())
	}
	fill := g.Colour(n.Department)
	tooltip := n.ID + " (" + string(n.Kind)
	if n.Department != "" {
		tooltip += ", " + n.Department
	}
	tooltip += ")"
	attrs := []string{
		"id=" + quote("step-"+n.ID),
		"class=" + quote("step kind-"+string(n.Kind)),
		"shape=" + Shape(n.Kind),
	}
	if n.Kind == flow.KindTask {
		attrs = append(attrs, `style="rounded,filled"`)
	}
	if n.Kind == flow.KindEnd {
		attrs = append(attrs, "width=0.5")
	}
	if heat != nil {
		if n.Department != "" {
			lines = append(lines, n.Department)
		}
		st, ok := heat.Stats[n.ID]
		if !ok {
			fill = "#ffffff"
			lines = append(lines, "no data")
			tooltip += ": no spans"
		} else {
			v := heat.Metric.Value(st)
			fill = scale.Colour(v)
			lines = append(lines, heat.Metric.Label(st))
			if st.Bottleneck {
				lines = append(lines, "bottleneck")
			}
			unit := ""
			if heat.Metric.IsDuration() {
				unit = " s"
			}
			tooltip += fmt.Sprintf(": %s = %s%s; cases %d", heat.Metric, strconv.FormatFloat(v, 'g', -1, 64), unit, st.Cases)
			if scale.Dark(v) {
				attrs = append(attrs, `fontcolor="white"`)
			}
			switch heat.Level(v) {
			case 2:
				attrs = append(attrs, `color="`+alertColour+`"`, "penwidth="+alertWidth)
			case 1:
				attrs = append(attrs, `color="`+warnColour+`"`, "penwidth="+warnWidth)
			}
		}
	}
	attrs = append(attrs, `fillcolor="`+fill+`"`, "label="+quote(lines...), "tooltip="+quote(tooltip))
	return strings.Join(attrs, ", ")
}

// legend is the HTML-like label of the legend: the departments and their
// colours, or with heat the colour scale (what it is, with its values)
// and the thresholds.
func legend(g Graph, heat *Heat, scale Scale) string {
	var b strings.Builder
	b.WriteString(`<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="4" COLOR="#999999">`)
	if heat == nil {
		b.WriteString(`<TR><TD COLSPAN="2" BORDER="0"><B>Departments</B></TD></TR>`)
		for _, d := range g.Departments {
			fmt.Fprintf(&b, `<TR><TD BGCOLOR="%s" WIDTH="18"> </TD><TD ALIGN="LEFT">%s</TD></TR>`, d.Colour, html.EscapeString(d.Name))
		}
		b.WriteString(`</TABLE>`)
		return b.String()
	}
	m := heat.Metric
	fmt.Fprintf(&b, `<TR><TD COLSPAN="5" BORDER="0"><B>%s</B></TD></TR>`, html.EscapeString(m.Title()))
	b.WriteString(`<TR>`)
	for i, v := range scale.Stops {
		font := ""
		if darkFill(float64(i)/4, 1) {
			font = ` COLOR="white"`
		}
		fmt.Fprintf(&b, `<TD BGCOLOR="%s" WIDTH="44"><FONT POINT-SIZE="9"%s>%s</FONT></TD>`, HeatColour(float64(i)/4, 1), font, html.EscapeString(m.FormatValue(v)))
	}
	b.WriteString(`</TR>`)
	caption := scale.Caption(m)
	for i, l := range caption {
		caption[i] = html.EscapeString(l)
	}
	fmt.Fprintf(&b, `<TR><TD COLSPAN="5" BORDER="0" ALIGN="LEFT"><FONT POINT-SIZE="9">%s</FONT></TD></TR>`, strings.Join(caption, `<BR ALIGN="LEFT"/>`))
	fmt.Fprintf(&b, `<TR><TD BORDER="%s" COLOR="%s" BGCOLOR="white"> </TD><TD COLSPAN="4" BORDER="0" ALIGN="LEFT">warn: %s ≥ %s</TD></TR>`,
		warnWidth, warnColour, html.EscapeString(m.Title()), html.EscapeString(m.FormatValue(heat.Thresholds.Warn)))
	fmt.Fprintf(&b, `<TR><TD BORDER="%s" COLOR="%s" BGCOLOR="white"> </TD><TD COLSPAN="4" BORDER="0" ALIGN="LEFT">alert: %s ≥ %s</TD></TR>`,
		alertWidth, alertColour, html.EscapeString(m.Title()), html.EscapeString(m.FormatValue(heat.Thresholds.Alert)))
	b.WriteString(`</TABLE>`)
	return b.String()
}

// quote renders lines as one DOT string, centred lines separated by \n.
func quote(lines ...string) string {
	esc := make([]string, len(lines))
	for i, l := range lines {
		l = strings.NewReplacer("\r", " ", "\n", " ", "\t", " ").Replace(l)
		l = strings.ReplaceAll(l, `\`, `\\`)
		esc[i] = strings.ReplaceAll(l, `"`, `\"`)
	}
	return `"` + strings.Join(esc, `\n`) + `"`
}

// wrap breaks s into lines of at most width runes at spaces (a longer
// word stays whole).
func wrap(s string, width int) []string {
	words := strings.Fields(s)
	if len(words) == 0 {
		return []string{s}
	}
	var lines []string
	cur := words[0]
	for _, w := range words[1:] {
		if len([]rune(cur))+1+len([]rune(w)) > width {
			lines = append(lines, cur)
			cur = w
			continue
		}
		cur += " " + w
	}
	return append(lines, cur)
}
