package flowgraph

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/dotlayout"
)

func sampleMap() Map {
	return Map{
		Title: "helpdesk", Start: "▶ start", End: "■ end",
		Nodes: []MapNode{
			{ID: "▶ start", Label: "▶ start", Count: 100, Cases: 100},
			{ID: "record", Label: "record", Count: 100, Cases: 100},
			{ID: "resolve", Label: "resolve", Count: 90, Cases: 80},
			{ID: `say "hi"`, Label: `say "hi"`, Count: 10, Cases: 10},
			{ID: "■ end", Label: "■ end", Count: 100, Cases: 100},
		},
		Edges: []MapEdge{
			{From: "▶ start", To: "record", Count: 100},
			{From: "record", To: "resolve", Count: 90, P50: 3600, P90: 4 * 3600, HasDuration: true},
			{From: "resolve", To: "■ end", Count: 80},
			{From: "record", To: `say "hi"`, Count: 10, P50: 90, P90: 600, HasDuration: true},
			{From: `say "hi"`, To: "■ end", Count: 10},
			{From: "resolve", To: "resolve", Count: 10, P50: 2 * 86400, P90: 3 * 86400, HasDuration: true},
		},
	}
}

// line is the DOT statement of a node or edge: the line that starts with it.
func line(t *testing.T, dot []byte, prefix string) string {
	t.Helper()
	for _, l := range strings.Split(string(dot), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), prefix+" [") {
			return l
		}
	}
	t.Fatalf("no line %s in\n%s", prefix, dot)
	return ""
}

var colourAttr = regexp.MustCompile(` color="(#[0-9a-f]{6})"`)

func attr(t *testing.T, l, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(l)
	require.NotNil(t, m, "%s in %s", re, l)
	return m[1]
}

func TestMapDOTFrequency(t *testing.T) {
	m := sampleMap()
	dot := MapDOT(m, MapFrequency)
	require.Equal(t, dot, MapDOT(m, MapFrequency), "deterministic")
	s := string(dot)
	require.True(t, strings.HasPrefix(s, "digraph \"map\" {\n"))
	require.Contains(t, s, `label="helpdesk\nfrequency: counts"`)
	// Start and end: small circles without counts.
	require.Contains(t, line(t, dot, `"▶ start"`), "shape=circle")
	require.Contains(t, line(t, dot, `"■ end"`), "shape=doublecircle")
	require.Contains(t, line(t, dot, `"■ end"`), `label=" "`)
	// Activities labelled with name and count, quotes escaped.
	require.Contains(t, line(t, dot, `"record"`), `label="record\n100"`)
	require.Contains(t, line(t, dot, `"say \"hi\""`), `label="say \"hi\"\n10"`)
	// The most frequent activity is darkest (white text); the rare one light.
	fill := func(id string) string { return attr(t, line(t, dot, id), `fillcolor="(#[0-9a-f]{6})"`) }
	require.Equal(t, "#08306b", fill(`"record"`))
	require.Contains(t, line(t, dot, `"record"`), `fontcolor="white"`)
	require.NotEqual(t, fill(`"record"`), fill(`"resolve"`))
	require.NotEqual(t, fill(`"resolve"`), fill(`"say \"hi\""`))
	// Edges: labelled with their counts, colour and width by count.
	e1, e2 := line(t, dot, `"▶ start" -> "record"`), line(t, dot, `"record" -> "say \"hi\""`)
	require.Contains(t, e1, `label=" 100"`)
	require.Contains(t, e1, "penwidth=6.00")
	require.Contains(t, e2, "penwidth=1.50")
	require.NotEqual(t, attr(t, e1, colourAttr.String()), attr(t, e2, colourAttr.String()))

	// More events make a node darker.
	m.Nodes[3].Count = 80
	require.NotEqual(t, fill(`"say \"hi\""`), attr(t, line(t, MapDOT(m, MapFrequency), `"say \"hi\""`), `fillcolor="(#[0-9a-f]{6})"`))
	// An unknown view is the frequency view.
	require.Equal(t, MapDOT(m, MapFrequency), MapDOT(m, "nonsense"))
}

func TestMapDOTPerformance(t *testing.T) {
	m := sampleMap()
	dot := MapDOT(m, MapPerformance)
	require.Equal(t, dot, MapDOT(m, MapPerformance))
	require.NotEqual(t, dot, MapDOT(m, MapFrequency))
	s := string(dot)
	require.Contains(t, s, "median and p90 per path (red: 2 d 00 h)")
	// Median and p90 on the edges with durations; the slowest red.
	slow, fast := line(t, dot, `"resolve" -> "resolve"`), line(t, dot, `"record" -> "say \"hi\""`)
	require.Contains(t, slow, `label=" 2 d 00 h\n p90 3 d 00 h"`)
	require.Contains(t, line(t, dot, `"record" -> "resolve"`), `label=" 1 h 00 min\n p90 4 h 00 min"`)
	require.Contains(t, fast, `label=" 1 min 30 s\n p90 10 min"`)
	require.Equal(t, HeatColour(1, 1), attr(t, slow, colourAttr.String()))
	require.NotEqual(t, attr(t, slow, colourAttr.String()), attr(t, fast, colourAttr.String()))
	// Without durations: grey, dashed, unlabelled.
	se := line(t, dot, `"▶ start" -> "record"`)
	require.Contains(t, se, `style="dashed"`)
	require.NotContains(t, se, "label=")
	// Activities are not coloured by count.
	require.Contains(t, line(t, dot, `"record"`), `fillcolor="`+mapPlainFill+`"`)
}

func TestMapTooLarge(t *testing.T) {
	m := sampleMap()
	require.Empty(t, m.TooLarge(DefaultLimits))
	require.Equal(t, "it has 5 activities; at most 4 are drawn", m.TooLarge(Limits{Steps: 4, Edges: 10, LabelBytes: 1000}))
	require.Equal(t, "it has 6 paths; at most 5 are drawn", m.TooLarge(Limits{Steps: 10, Edges: 5, LabelBytes: 1000}))
}

// TestMapDOTLaysOut: Graphviz accepts the map. dotlayout carries Graphviz
// (compiled to WebAssembly), so no dot binary is needed; a small map takes
// a few milliseconds.
func TestMapDOTLaysOut(t *testing.T) {
	if testing.Short() {
		t.Skip("lays out with Graphviz")
	}
	for _, v := range []MapView{MapFrequency, MapPerformance} {
		var out, errOut bytes.Buffer
		require.Equal(t, 0, dotlayout.Child(bytes.NewReader(MapDOT(sampleMap(), v)), &out, &errOut), errOut.String())
		require.Contains(t, out.String(), ">resolve</text>")
		require.Contains(t, out.String(), "<svg")
		// The start and end circles carry no text (their names would
		// spill over them).
		require.NotContains(t, out.String(), ">▶ start</text>")
		require.NotContains(t, out.String(), ">■ end</text>")
	}
}
