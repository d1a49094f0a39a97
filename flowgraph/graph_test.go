package flowgraph

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
)

func complaintV1(t *testing.T) Graph {
	t.Helper()
	def, err := flows.Definition("complaint", 1)
	require.NoError(t, err)
	return Build(def)
}

func TestBuildComplaint(t *testing.T) {
	t.Parallel()
	g := complaintV1(t)
	require.Equal(t, "complaint", g.Key)
	require.Equal(t, 1, g.Version)
	require.Equal(t, "record", g.Start)
	var ids []string
	for _, n := range g.Nodes {
		ids = append(ids, n.ID)
	}
	require.Equal(t, []string{"record", "route", "investigate", "crisis_investigate", "feedback", "review", "notify_customer", "closed"}, ids)
	require.Equal(t, flow.KindDecision, g.Nodes[1].Kind)
	require.Equal(t, "customer_service", g.Nodes[0].Department)
	require.Equal(t, "30m", g.Nodes[0].SLA.String())

	require.Equal(t, []Edge{
		{From: "record", To: "route", Kind: EdgeOutcome, Label: "recorded"},
		{From: "route", To: "crisis_investigate", Kind: EdgeRule, Label: `attributes.severity == "advanced" || data.severity == "advanced"`},
		{From: "route", To: "investigate", Kind: EdgeDefault, Label: "default"},
		{From: "investigate", To: "feedback", Kind: EdgeOutcome, Label: "diagnosed"},
		{From: "crisis_investigate", To: "feedback", Kind: EdgeOutcome, Label: "diagnosed"},
		{From: "feedback", To: "review", Kind: EdgeOutcome, Label: "written"},
		{From: "review", To: "notify_customer", Kind: EdgeOutcome, Label: "approved"},
		{From: "review", To: "investigate", Kind: EdgeOutcome, Label: "rework"},
		{From: "notify_customer", To: "closed", Kind: EdgeOutcome, Label: "notified"},
	}, g.Edges)

	// Departments in the definition's order, colours from the palette.
	require.Equal(t, []Department{
		{"customer_service", Palette[0]}, {"technical", Palette[1]}, {"supervisor", Palette[2]}, {"crisis_team", Palette[3]},
	}, g.Departments)
	require.Equal(t, Palette[1], g.Colour("technical"))
	require.Equal(t, NoDepartmentColour, g.Colour(""))
}

func TestBuildWaitAndAuto(t *testing.T) {
	t.Parallel()
	def := &flow.Definition{Key: "k", Version: 3, Departments: []string{"a"}, Steps: []flow.Step{
		{ID: "w", Kind: flow.KindWait, Event: "reply", Next: "n", OnTimeout: "x"},
		{ID: "n", Kind: flow.KindAuto, Activity: "notify", Next: "x"},
		{ID: "x", Kind: flow.KindEnd},
		{ID: "dangling", Kind: flow.KindAuto, Next: "nowhere"},
	}}
	g := Build(def)
	require.Equal(t, []Edge{
		{From: "w", To: "n", Kind: EdgeNext, Label: "next"},
		{From: "w", To: "x", Kind: EdgeTimeout, Label: "timeout"},
		{From: "n", To: "x", Kind: EdgeNext, Label: "next"},
	}, g.Edges)
	dot := string(DOT(g, nil))
	require.Contains(t, dot, `"w" [id="step-w", class="step kind-wait", shape=hexagon`)
	require.Contains(t, dot, `"n" [id="step-n", class="step kind-auto", shape=component`)
	require.Contains(t, dot, `"x" [id="step-x", class="step kind-end", shape=doublecircle`)
	require.Contains(t, dot, `"w" -> "x" [label="timeout", style="dashed"];`)
}

func TestDOTIsStableAndComplete(t *testing.T) {
	t.Parallel()
	g := complaintV1(t)
	a, b := DOT(g, nil), DOT(complaintV1(t), nil)
	require.True(t, bytes.Equal(a, b))
	dot := string(a)
	require.Contains(t, dot, `"record" [id="step-record", class="step kind-task", shape=box, style="rounded,filled", fillcolor="#8dd3c7", label="Record the complaint\nSLA 30m"`)
	require.Contains(t, dot, `"route" [id="step-route", class="step kind-decision", shape=diamond, fillcolor="#f5f5f5"`)
	require.Contains(t, dot, `"__start" -> "record";`)
	// The rule's quotes are escaped and the label wrapped.
	require.Contains(t, dot, `"route" -> "crisis_investigate" [label="attributes.severity ==\n\"advanced\" || data.severity\n== \"advanced\""`)
	require.Contains(t, dot, `<TD BGCOLOR="#fb8072" WIDTH="18"> </TD><TD ALIGN="LEFT">crisis_team</TD>`)
}

func TestDOTHeat(t *testing.T) {
	t.Parallel()
	g := complaintV1(t)
	h := &Heat{Metric: MetricWaitP90, Thresholds: MetricWaitP90.DefaultThresholds(), Stats: map[string]Stats{
		"record":      {Cases: 2, Wait: Quantiles{P90: 60}, Share: 0.1},
		"investigate": {Cases: 2, Wait: Quantiles{P90: 5 * 3600}, Share: 0.7, Bottleneck: true},
		"feedback":    {Cases: 2, Wait: Quantiles{P90: 4320}, Share: 0.2},
	}}
	require.InDelta(t, 5*3600, h.Max(), 0)
	dot := string(DOT(g, h))
	require.Contains(t, dot, `label="Record the complaint\nSLA 30m\ncustomer_service\nwait p90 1m"`)
	require.Contains(t, dot, `tooltip="record (task, customer_service): wait_p90 = 60 s; cases 2"`)
	// investigate is above alert: full red, white text, red border.
	require.Contains(t, dot, `fontcolor="white", color="`+alertColour+`", penwidth=4, fillcolor="#cb181d"`)
	require.Contains(t, dot, `wait p90 5h\nbottleneck"`)
	// feedback is above warn only.
	require.Contains(t, dot, `color="`+warnColour+`", penwidth=3`)
	require.Contains(t, dot, `wait p90 1h12m"`)
	// Steps without spans are white and say so.
	require.Contains(t, dot, `fillcolor="#ffffff", label="Crisis team\ninvestigation\nSLA 2h\ncrisis_team\nno data"`)
	require.Contains(t, dot, `warn: wait p90 ≥ 1h`)
	require.Contains(t, dot, `alert: wait p90 ≥ 4h`)
	require.NotContains(t, dot, "Departments")
}

func TestHeatColour(t *testing.T) {
	t.Parallel()
	require.Equal(t, "#ffffff", HeatColour(0, 10))
	require.Equal(t, "#ffffff", HeatColour(5, 0))
	require.Equal(t, "#cb181d", HeatColour(10, 10))
	require.Equal(t, "#cb181d", HeatColour(20, 10))
	require.Equal(t, "#e58c8e", HeatColour(5, 10))
}

func TestParseThreshold(t *testing.T) {
	t.Parallel()
	v, err := MetricWaitP90.ParseThreshold("1h30m")
	require.NoError(t, err)
	require.InDelta(t, 5400, v, 0)
	v, err = MetricWorkP90.ParseThreshold("2d")
	require.NoError(t, err)
	require.InDelta(t, 2*86400, v, 0)
	v, err = MetricShare.ParseThreshold("25")
	require.NoError(t, err)
	require.InDelta(t, 0.25, v, 1e-12)
	v, err = MetricBreach.ParseThreshold("12.5%")
	require.NoError(t, err)
	require.InDelta(t, 0.125, v, 1e-12)
	for _, c := range []struct {
		m Metric
		s string
	}{{MetricWaitP90, "soon"}, {MetricWaitP90, "-1h"}, {MetricShare, "101"}, {MetricShare, "-1"}, {MetricBreach, "NaN"}, {MetricBreach, "1h"}} {
		_, err := c.m.ParseThreshold(c.s)
		require.Error(t, err, "%s %q", c.m, c.s)
	}
	for _, m := range Metrics {
		require.True(t, m.Valid())
		d := m.DefaultThresholds()
		require.Less(t, d.Warn, d.Alert, m)
	}
	require.False(t, Metric("p99").Valid())
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]string{
		0: "0s", -3: "0s", 0.4: "0.4s", 0.04: "0s", 1.25: "1.3s", 9.96: "10s", 2: "2s", 45: "45s", 59.6: "1m", 60: "1m", 750: "12m30s",
		3600: "1h", 4320: "1h12m", 4350: "1h13m", 86340: "23h59m", 86399: "1d",
		86400: "1d", 97200: "1d3h", 3 * 86400: "3d",
	} {
		require.Equal(t, want, FormatSeconds(in), "%v", in)
	}
	for in, want := range map[float64]string{0: "0%", 0.001: "<1%", 0.384: "38%", 0.385: "39%", 1: "100%"} {
		require.Equal(t, want, FormatPercent(in), "%v", in)
	}
	require.Equal(t, "share 38%", MetricShare.Label(Stats{Share: 0.38}))
	require.Equal(t, "breach 12%", MetricBreach.Label(Stats{SLABreachRate: 0.12}))
	require.Equal(t, "work p90 2h", MetricWorkP90.Label(Stats{Work: Quantiles{P90: 7200}}))
	require.Equal(t, "business wait p90 2h", MetricBusinessWaitP90.Label(Stats{Wait: Quantiles{P90: 237600}, BusinessWait: Quantiles{P90: 7200}}))
	require.Equal(t, "business work p90 30m", MetricBusinessWorkP90.Label(Stats{BusinessWork: Quantiles{P90: 1800}}))
}

func TestWrapAndQuote(t *testing.T) {
	t.Parallel()
	require.Equal(t, []string{"Technical feedback to", "customer service"}, wrap("Technical feedback to customer service", 24))
	require.Equal(t, []string{"averyveryverylongwordindeed", "x"}, wrap("averyveryverylongwordindeed x", 10))
	require.Equal(t, []string{""}, wrap("", 10))
	require.Equal(t, `"a\\b \"c\"\nd e"`, quote(`a\b "c"`, "d\ne"))
	require.False(t, strings.Contains(quote("x\ny"), "\n"))
}

// TestDOTHeatScaleFromData: without thresholds set, the colour scale is
// the data's own quartiles, so steps that take seconds spread from white
// to red (with the default thresholds' scale up to 4h they were all
// white), and the legend says what the scale is, with units.
func TestDOTHeatScaleFromData(t *testing.T) {
	t.Parallel()
	g := complaintV1(t)
	h := &Heat{Metric: MetricWaitP90, Thresholds: MetricWaitP90.DefaultThresholds(), FromData: true, Stats: map[string]Stats{
		"record":      {Cases: 3, Wait: Quantiles{P90: 2}},
		"investigate": {Cases: 3, Wait: Quantiles{P90: 40}},
		"feedback":    {Cases: 3, Wait: Quantiles{P90: 10}},
		"review":      {Cases: 3, Wait: Quantiles{P90: 5}},
		"route":       {Cases: 3}, // a decision: no wait
	}}
	s := h.Scale()
	require.True(t, s.FromData)
	// 0, then p25, p50, p75 and the largest of 2, 5, 10, 40 (percentile_cont).
	require.Equal(t, [5]float64{0, 4.25, 7.5, 17.5, 40}, s.Stops)
	require.InDelta(t, 1, s.Position(40), 0)
	require.InDelta(t, 0.5, s.Position(7.5), 1e-12)
	require.InDelta(t, 0.125, s.Position(4.25/2), 1e-12)
	require.InDelta(t, 0, s.Position(0), 0)
	for _, v := range []float64{1, 2, 4.25, 5, 10, 17.5, 30} { // increasing
		require.Less(t, s.Position(v), s.Position(v*1.01), v)
	}

	dot := string(DOT(g, h))
	// The slowest step is full red, the fastest visibly coloured.
	require.Contains(t, dot, `fontcolor="white", fillcolor="#cb181d", label="Technical investigation`)
	require.NotContains(t, dot, `fillcolor="#ffffff", label="Record the complaint`)
	require.Contains(t, dot, `fillcolor="`+HeatColour(s.Position(2), 1)+`", label="Record the complaint`)
	require.NotEqual(t, "#ffffff", HeatColour(s.Position(2), 1))
	// The thresholds still draw the borders: nobody waits an hour.
	require.NotContains(t, dot, `penwidth=3`)
	require.NotContains(t, dot, `penwidth=4`)
	// The legend: the stops with units and what they are.
	for _, v := range []string{">0s<", ">4.3s<", ">7.5s<", ">18s<", ">40s<"} {
		require.Contains(t, dot, v)
	}
	require.Contains(t, dot, `scale from the data (no threshold set):<BR ALIGN="LEFT"/>0, then the 25th, 50th and 75th percentile<BR ALIGN="LEFT"/>and the largest wait p90 of the steps (40s)`)
	require.Contains(t, dot, `warn: wait p90 ≥ 1h`)

	// With thresholds set, the scale runs evenly up to the alert
	// threshold as before.
	h.FromData = false
	s = h.Scale()
	require.Equal(t, [5]float64{0, 3600, 7200, 10800, 14400}, s.Stops)
	require.Equal(t, HeatColour(40, 14400), s.Colour(40))
	require.Contains(t, string(DOT(g, h)), "white: 0, red: 4h or more")

	// No data: everything white, and the legend says why.
	empty := &Heat{Metric: MetricShare, Thresholds: MetricShare.DefaultThresholds(), FromData: true}
	require.Equal(t, "#ffffff", empty.Scale().Colour(0.5))
	require.Contains(t, string(DOT(g, empty)), `scale from the data (no threshold set):<BR ALIGN="LEFT"/>no step has a share above 0`)
}

func TestTooLarge(t *testing.T) {
	t.Parallel()
	g := complaintV1(t)
	require.Empty(t, g.TooLarge(DefaultLimits))
	require.Equal(t, "it has 8 steps; at most 7 are drawn", g.TooLarge(Limits{Steps: 7, Edges: 100, LabelBytes: 1 << 20}))
	require.Equal(t, "it has 9 transitions; at most 8 are drawn", g.TooLarge(Limits{Steps: 8, Edges: 8, LabelBytes: 1 << 20}))
	n := g.LabelBytes()
	require.Greater(t, n, 100)
	require.Equal(t, fmt.Sprintf("its names and labels have %d bytes of text; at most %d are drawn", n, n-1), g.TooLarge(Limits{Steps: 8, Edges: 9, LabelBytes: n - 1}))
	require.Empty(t, g.TooLarge(Limits{Steps: 8, Edges: 9, LabelBytes: n}))
}
