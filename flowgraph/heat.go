package flowgraph

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/flow"
)

// Quantiles of a duration distribution, in seconds.
type Quantiles struct {
	P50, P90, P95 float64
}

// Stats are the statistics of one step (those of the bottleneck view).
type Stats struct {
	Cases      int
	Wait, Work Quantiles
	// BusinessWait and BusinessWork count the same intervals in the
	// step's business calendar.
	BusinessWait, BusinessWork Quantiles
	SLABreachRate              float64
	Share                      float64
	Bottleneck                 bool
}

// Metric is what the heat overlay colours the steps by.
type Metric string

// Metrics.
const (
	MetricWaitP90 Metric = "wait_p90" // 90th percentile of entered → claimed
	MetricWorkP90 Metric = "work_p90" // 90th percentile of claimed → completed
	MetricShare   Metric = "share"    // share of the total cycle time
	MetricBreach  Metric = "breach"   // SLA breach rate
	// The waiting and working p90 in business time (the step's calendar).
	MetricBusinessWaitP90 Metric = "business_wait_p90"
	MetricBusinessWorkP90 Metric = "business_work_p90"
)

// Metrics lists the metrics in the order they are documented.
var Metrics = []Metric{MetricWaitP90, MetricWorkP90, MetricShare, MetricBreach, MetricBusinessWaitP90, MetricBusinessWorkP90}

// IsDuration reports whether the metric is a duration in seconds (else a
// ratio from 0 to 1).
func (m Metric) IsDuration() bool {
	switch m {
	case MetricWaitP90, MetricWorkP90, MetricBusinessWaitP90, MetricBusinessWorkP90:
		return true
	}
	return false
}

// Valid reports whether m is one of Metrics.
func (m Metric) Valid() bool {
	for _, x := range Metrics {
		if m == x {
			return true
		}
	}
	return false
}

// Value is the metric of a step's statistics: seconds for durations, a
// ratio from 0 to 1 otherwise.
func (m Metric) Value(s Stats) float64 {
	switch m {
	case MetricWaitP90:
		return s.Wait.P90
	case MetricWorkP90:
		return s.Work.P90
	case MetricBusinessWaitP90:
		return s.BusinessWait.P90
	case MetricBusinessWorkP90:
		return s.BusinessWork.P90
	case MetricShare:
		return s.Share
	case MetricBreach:
		return s.SLABreachRate
	}
	return 0
}

// Title names the metric on a node ("wait p90").
func (m Metric) Title() string {
	switch m {
	case MetricWaitP90:
		return "wait p90"
	case MetricWorkP90:
		return "work p90"
	case MetricBusinessWaitP90:
		return "business wait p90"
	case MetricBusinessWorkP90:
		return "business work p90"
	case MetricShare:
		return "share"
	case MetricBreach:
		return "breach"
	}
	return string(m)
}

// FormatValue renders a value of the metric ("1h12m", "38%").
func (m Metric) FormatValue(v float64) string {
	if m.IsDuration() {
		return FormatSeconds(v)
	}
	return FormatPercent(v)
}

// Label is the text on a node: "wait p90 1h12m", "share 38%".
func (m Metric) Label(s Stats) string { return m.Title() + " " + m.FormatValue(m.Value(s)) }

// Thresholds of a metric, in its unit (seconds or a ratio): a step at or
// above Warn gets a thick border, at or above Alert a thick red one.
type Thresholds struct {
	Warn, Alert float64
}

// DefaultThresholds are the thresholds of a metric when the request sets
// none: waiting over 1h (alert 4h), working over 30m (alert 2h), a share
// of 25% (alert 40%), breaching 10% (alert 25%).
func (m Metric) DefaultThresholds() Thresholds {
	switch m {
	case MetricWaitP90, MetricBusinessWaitP90:
		return Thresholds{Warn: 3600, Alert: 4 * 3600}
	case MetricWorkP90, MetricBusinessWorkP90:
		return Thresholds{Warn: 1800, Alert: 2 * 3600}
	case MetricShare:
		return Thresholds{Warn: 0.25, Alert: 0.40}
	case MetricBreach:
		return Thresholds{Warn: 0.10, Alert: 0.25}
	}
	return Thresholds{}
}

// ThresholdSyntax describes how a threshold of the metric is written.
func (m Metric) ThresholdSyntax() string {
	if m.IsDuration() {
		return "a duration like 30m, 4h, 2d or 1h30m"
	}
	return "a percentage from 0 to 100 like 25 or 12.5%"
}

// ParseThreshold parses a threshold of the metric: a duration ("90m",
// "4h", "1d") for wait_p90 and work_p90, a percentage from 0 to 100 ("25",
// "12.5%") for share and breach. It returns the metric's unit.
func (m Metric) ParseThreshold(s string) (float64, error) {
	if m.IsDuration() {
		d, err := flow.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("must be %s, got %q", m.ThresholdSyntax(), s)
		}
		return d.D().Seconds(), nil
	}
	p, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || math.IsNaN(p) || p < 0 || p > 100 {
		return 0, fmt.Errorf("must be %s, got %q", m.ThresholdSyntax(), s)
	}
	return p / 100, nil
}

// FormatSeconds renders seconds compactly: "0.4s", "45s", "12m30s",
// "1h12m", "2d3h". Values under 10 seconds keep a tenth (the demo's
// compressed time), others are rounded to the second, to the minute from
// an hour on and to the hour from a day on.
func FormatSeconds(v float64) string {
	if math.IsNaN(v) || v <= 0 {
		return "0s"
	}
	if t := math.Round(v*10) / 10; t < 10 && t != math.Trunc(t) {
		return strconv.FormatFloat(t, 'f', 1, 64) + "s"
	}
	d := time.Duration(math.Round(v)) * time.Second
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d/time.Second)) + "s"
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return strconv.Itoa(m) + "m"
		}
		return fmt.Sprintf("%dm%ds", m, s)
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		if d >= 24*time.Hour {
			return "1d"
		}
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return fmt.Sprintf("%dh%dm", h, m)
	default:
		d = d.Round(time.Hour)
		days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if h == 0 {
			return strconv.Itoa(days) + "d"
		}
		return fmt.Sprintf("%dd%dh", days, h)
	}
}

// FormatPercent renders a ratio as a whole percentage ("38%"); a ratio
// above 0 that would round to 0 is "<1%".
func FormatPercent(v float64) string {
	if math.IsNaN(v) || v <= 0 {
		return "0%"
	}
	p := math.Round(v * 100)
	if p == 0 {
		return "<1%"
	}
	return strconv.FormatFloat(p, 'f', 0, 64) + "%"
}

// Heat is the overlay of per-step statistics on the graph.
type Heat struct {
	Metric     Metric
	Thresholds Thresholds
	// FromData: the request set no threshold (Thresholds are the
	// metric's defaults), so the colour scale comes from the data (see
	// Scale) instead of running up to the alert threshold.
	FromData bool
	// Stats by step id; steps without spans have none.
	Stats map[string]Stats
}

// Max is the top of the colour scale when thresholds are set: the larger
// of the alert threshold and the largest value of a step, so only steps at
// or above the alert threshold are full red.
func (h *Heat) Max() float64 {
	top := h.Thresholds.Alert
	for _, s := range h.Stats {
		top = math.Max(top, h.Metric.Value(s))
	}
	return top
}

// Scale is the colour scale of a heat overlay: five stops from white
// (Stops[0], always 0) to full red (Stops[4]), coloured HeatColour at 0,
// ¼, ½, ¾ and 1 of the way; a value between two stops lies linearly
// between their colours, a value at or above the last is full red.
type Scale struct {
	Stops [5]float64
	// FromData: the stops are 0 and the quartiles of the steps' values
	// (25th, 50th, 75th percentile and the largest, analytics.Quantile),
	// rather than even quarters of Heat.Max.
	FromData bool
}

// Scale is the overlay's colour scale. With thresholds set by the request
// it runs evenly from 0 to Max (the alert threshold, or the largest value
// above it). Without (FromData) it comes from the data, whatever its
// magnitude: the stops are 0 and the quartiles of the values of the steps
// with statistics, so on cases that take seconds the steps still spread
// from white to red, the slowest one red; without data every step is
// white.
func (h *Heat) Scale() Scale {
	if !h.FromData {
		top := h.Max()
		return Scale{Stops: [5]float64{0, top / 4, top / 2, top * 3 / 4, top}}
	}
	vals := make([]float64, 0, len(h.Stats))
	for _, st := range h.Stats {
		if v := h.Metric.Value(st); v > 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
			vals = append(vals, v)
		}
	}
	sort.Float64s(vals)
	s := Scale{FromData: true}
	for i := 1; i < 5; i++ {
		s.Stops[i] = analytics.Quantile(vals, float64(i)/4)
	}
	return s
}

// Position is where v lies on the scale, from 0 (white) to 1 (red).
func (s Scale) Position(v float64) float64 {
	top := s.Stops[4]
	if !(v > 0) || !(top > 0) {
		return 0
	}
	if v >= top {
		return 1
	}
	if !s.FromData { // evenly spaced: exactly v/top
		return v / top
	}
	i := 3
	for i > 0 && s.Stops[i] > v {
		i--
	}
	return (float64(i) + (v-s.Stops[i])/(s.Stops[i+1]-s.Stops[i])) / 4
}

// Caption says in words what the scale is, with the metric's unit, in
// short lines: "white: 0, red: 4h or more", or for a scale from the data
// "scale from the data (no threshold set):", "0, then the 25th, 50th and
// 75th percentile", "and the largest wait p90 of the steps (40s)".
func (s Scale) Caption(m Metric) []string {
	if !s.FromData {
		return []string{"white: 0, red: " + m.FormatValue(s.Stops[4]) + " or more"}
	}
	if !(s.Stops[4] > 0) {
		return []string{"scale from the data (no threshold set):", "no step has a " + m.Title() + " above 0"}
	}
	return []string{"scale from the data (no threshold set):", "0, then the 25th, 50th and 75th percentile",
		"and the largest " + m.Title() + " of the steps (" + m.FormatValue(s.Stops[4]) + ")"}
}

// Colour is the fill of a step with value v.
func (s Scale) Colour(v float64) string { return HeatColour(s.Position(v), 1) }

// Dark reports whether text on Colour(v) should be white.
func (s Scale) Dark(v float64) bool { return darkFill(s.Position(v), 1) }

// Level is a step's threshold level: 0 below warn, 1 at or above warn, 2
// at or above alert.
func (h *Heat) Level(v float64) int {
	switch {
	case v >= h.Thresholds.Alert:
		return 2
	case v >= h.Thresholds.Warn:
		return 1
	}
	return 0
}

// Scale colours: white for 0, heatRed at the top of the scale.
var heatRed = [3]float64{0xcb, 0x18, 0x1d} // ColorBrewer Reds 8

// HeatColour is the fill for value v on a scale from 0 to top: linear in
// RGB from white to red.
func HeatColour(v, top float64) string {
	t := 0.0
	if top > 0 && v > 0 {
		t = math.Min(v/top, 1)
	}
	c := func(end float64) int { return int(math.Round(255 + (end-255)*t)) }
	return fmt.Sprintf("#%02x%02x%02x", c(heatRed[0]), c(heatRed[1]), c(heatRed[2]))
}

// darkFill reports whether text on HeatColour(v, top) should be white.
func darkFill(v, top float64) bool { return top > 0 && v/top > 0.6 }
