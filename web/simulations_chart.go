package web

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// The simulation page's charts are drawn by hand as inline SVG (as the
// before-and-after page's): the server computes every shape, the template
// writes them out, and the stylesheet colours them by class, so nothing
// needs a style attribute or a script. Each chart has a title, its axis
// and unit, a legend, and a text alternative (<desc>) that says every
// figure it draws.

// svgChart is a chart's shapes in its own coordinates (viewBox).
type svgChart struct {
	ID, Title, Desc, Caption string
	Width, Height            int
	Legend                   []svgLegend
	Grid, Lines              []svgLine
	Rects                    []svgRect
	Paths                    []svgPath
	Dots                     []svgDot
	Texts                    []svgText
}

type svgLegend struct{ Class, Label string }

type svgLine struct{ X1, Y1, X2, Y2, Class string }

type svgRect struct{ X, Y, W, H, Class, Tip string }

type svgPath struct{ D, Class string }

type svgDot struct{ X, Y, R, Class, Tip string }

type svgText struct{ X, Y, Text, Class, Anchor string }

func f1(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }

// simLegend names both sides by their labels.
func simLegend(r *apiv1.SimulationResult) []svgLegend {
	return []svgLegend{{"cur", "Current: " + r.Current.Label}, {"prop", "Proposed: " + r.Proposed.Label}}
}

// niceAxis is an axis from 0 to a round top above max with its step.
func niceAxis(max float64, ticks int) (top, step float64) {
	if !(max > 0) {
		return 1, 0.25
	}
	raw := max / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step = 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return math.Ceil(max/step-1e-9) * step, step
}

// pairedItem is one row of a paired chart: a figure of each side (nil:
// that side's version has none).
type pairedItem struct {
	Label     string
	Cur, Prop *apiv1.SimFigure
}

// pairedScale says how a paired chart reads its values: durations in
// seconds (drawn in a unit chosen from the data) or fractions (drawn in
// percent, up to at least 100 %).
type pairedScale int

const (
	scaleDuration pairedScale = iota
	scalePercent
)

// pairedChart draws each item as two horizontal marks, current above
// proposed: bars from zero (or dots, with dots) at the mean, with the 95
// % interval as a whisker and the mean written beside it.
func pairedChart(id, title, axis, caption string, legend []svgLegend, items []pairedItem, scale pairedScale, dots bool) *svgChart {
	const width, x0, x1, top, rowH = 880, 200.0, 740.0, 8.0, 40.0
	c := &svgChart{ID: id, Title: title, Caption: caption, Width: width, Legend: legend}
	peak := 0.0
	for _, it := range items {
		for _, f := range []*apiv1.SimFigure{it.Cur, it.Prop} {
			if known(f) {
				peak = math.Max(peak, math.Max(*f.Mean, *f.Hi))
			}
		}
	}
	div, unit := 1.0, ""
	valueText := fmtPct
	if scale == scaleDuration {
		div, unit = durationUnit(peak)
		valueText = fmtSeconds
	} else {
		peak = math.Max(peak, 1)
	}
	axisTop, step := niceAxis(peak/div, 5)
	x := func(v float64) float64 { return x0 + (x1-x0)*math.Max(0, v/div)/axisTop }
	bottom := top + float64(len(items))*rowH
	c.Height = int(bottom + 44)
	for t := 0.0; t <= axisTop+step/2; t += step {
		xt := x0 + (x1-x0)*t/axisTop
		c.Grid = append(c.Grid, svgLine{X1: f1(xt), Y1: f1(top), X2: f1(xt), Y2: f1(bottom), Class: "grid"})
		label := readable.Number(t)
		if scale == scalePercent {
			label = fmtPct(t)
		}
		c.Texts = append(c.Texts, svgText{X: f1(xt), Y: f1(bottom + 16), Text: label, Class: "tick", Anchor: "middle"})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(x0), Y1: f1(bottom), X2: f1(x1), Y2: f1(bottom), Class: "axis"})
	if unit != "" {
		axis += " (" + unit + ")"
	}
	c.Texts = append(c.Texts, svgText{X: f1((x0 + x1) / 2), Y: f1(bottom + 36), Text: axis, Class: "axis-title", Anchor: "middle"})
	var desc []string
	for i, it := range items {
		y := top + float64(i)*rowH
		c.Texts = append(c.Texts, svgText{X: f1(x0 - 8), Y: f1(y + 24), Text: it.Label, Class: "label", Anchor: "end"})
		var said []string
		for k, side := range []struct {
			f     *apiv1.SimFigure
			class string
			name  string
		}{{it.Cur, "cur", "current"}, {it.Prop, "prop", "proposed"}} {
			yb := y + 5 + float64(k)*15
			mid := yb + 6.5
			if side.f == nil {
				c.Texts = append(c.Texts, svgText{X: f1(x0 + 4), Y: f1(mid + 4), Text: side.name + ": " + notInVersion, Class: "value muted"})
				said = append(said, side.name+" "+notInVersion)
				continue
			}
			if !known(side.f) {
				c.Texts = append(c.Texts, svgText{X: f1(x0 + 4), Y: f1(mid + 4), Text: side.name + ": no value", Class: "value muted"})
				said = append(said, side.name+" no value")
				continue
			}
			m, lo, hi := *side.f.Mean, *side.f.Lo, *side.f.Hi
			figure := fmt.Sprintf("%s (95 %% interval %s–%s)", valueText(m), valueText(lo), valueText(hi))
			tip := side.name + ": " + figure
			said = append(said, side.name+" "+figure)
			if dots {
				c.Dots = append(c.Dots, svgDot{X: f1(x(m)), Y: f1(mid), R: "5", Class: side.class, Tip: tip})
			} else {
				c.Rects = append(c.Rects, svgRect{X: f1(x0), Y: f1(yb), W: f1(math.Max(x(m)-x0, 1)), H: "13", Class: side.class, Tip: tip})
			}
			c.Lines = append(c.Lines,
				svgLine{X1: f1(x(lo)), Y1: f1(mid), X2: f1(x(hi)), Y2: f1(mid), Class: "whisker"},
				svgLine{X1: f1(x(lo)), Y1: f1(mid - 4), X2: f1(x(lo)), Y2: f1(mid + 4), Class: "whisker"},
				svgLine{X1: f1(x(hi)), Y1: f1(mid - 4), X2: f1(x(hi)), Y2: f1(mid + 4), Class: "whisker"})
			c.Texts = append(c.Texts, svgText{X: f1(math.Max(x(m), x(hi)) + 7), Y: f1(mid + 4), Text: valueText(m), Class: "value"})
		}
		desc = append(desc, it.Label+": "+strings.Join(said, "; "))
	}
	c.Desc = title + ". " + strings.Join(desc, ". ") + "."
	return c
}

func simCycleChart(r *apiv1.SimulationResult) *svgChart {
	var items []pairedItem
	for _, q := range r.Current.Cycle {
		items = append(items, pairedItem{Label: upperFirst(quantileName(q.Q)), Cur: cycleAt(r.Current, q.Q), Prop: cycleAt(r.Proposed, q.Q)})
	}
	return pairedChart("sim-cycle", "Cycle time, arrival to close: the distribution of both sides", "cycle time",
		"Each row is a quantile of the cycle time (the median: half the cases closed sooner); the dot is the mean over the runs, the whisker its 95 % interval.",
		simLegend(r), items, scaleDuration, true)
}

func simWaitChart(r *apiv1.SimulationResult) *svgChart {
	var items []pairedItem
	for _, st := range apiv1.PairSimSteps(r.Current.Steps, r.Proposed.Steps) {
		if st.Department == "" {
			continue
		}
		it := pairedItem{Label: st.Name}
		if st.Current != nil {
			it.Cur = &st.Current.WaitMedian
		}
		if st.Proposed != nil {
			it.Prop = &st.Proposed.WaitMedian
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil
	}
	return pairedChart("sim-waits", "Median wait per step, both sides", "median wait before work begins",
		"Task steps only; the bar is the mean over the runs of each run's median wait, the whisker its 95 % interval.",
		simLegend(r), items, scaleDuration, false)
}

func simUtilChart(r *apiv1.SimulationResult) *svgChart {
	var items []pairedItem
	for _, d := range apiv1.PairSimDepartments(r.Current.Departments, r.Proposed.Departments) {
		it := pairedItem{Label: readable.Name(d.Name)}
		if d.Current != nil {
			it.Cur = &d.Current.Utilisation
		}
		if d.Proposed != nil {
			it.Prop = &d.Proposed.Utilisation
		}
		items = append(items, it)
	}
	if len(items) == 0 {
		return nil
	}
	return pairedChart("sim-util", "Utilisation per department, both sides", "busy ÷ staffed person-time",
		"A task begun is finished past the staffed hours, so a short-handed department can pass 100 %.",
		simLegend(r), items, scalePercent, false)
}

// simWarmUpDays are the simulated days before the measured ones.
const simWarmUpDays = 7

// backlogChart draws the open cases of each simulated day, both sides as
// lines, the warm-up shaded.
func simBacklogChart(r *apiv1.SimulationResult) *svgChart {
	cur, prop := r.Current.Backlog, r.Proposed.Backlog
	if len(cur) == 0 && len(prop) == 0 {
		return nil
	}
	const width, height, x0, x1, top, bottom = 880, 300, 70.0, 860.0, 24.0, 250.0
	c := &svgChart{ID: "sim-backlog", Title: "Open cases per simulated day, both sides", Width: width, Height: height, Legend: simLegend(r),
		Caption: fmt.Sprintf("Mean over the day's hours and the runs. The first %d days are a warm-up that fills the queues and is not measured.", simWarmUpDays)}
	lastDay, peak := 1, 0.0
	for _, b := range append(append([]apiv1.SimBacklogDay{}, cur...), prop...) {
		lastDay = max(lastDay, b.Day)
		peak = math.Max(peak, b.Mean)
	}
	yTop, ystep := niceAxis(math.Max(peak, 1), 5)
	x := func(d int) float64 { return x0 + (x1-x0)*float64(d)/float64(lastDay) }
	y := func(v float64) float64 { return bottom - (bottom-top)*v/yTop }
	c.Rects = append(c.Rects, svgRect{X: f1(x0), Y: f1(top), W: f1(x(min(simWarmUpDays, lastDay)) - x0), H: f1(bottom - top), Class: "warmup", Tip: "warm-up, not measured"})
	c.Texts = append(c.Texts, svgText{X: f1(x0 + 4), Y: f1(top + 14), Text: "warm-up", Class: "tick"})
	for v := 0.0; v <= yTop+ystep/2; v += ystep {
		c.Grid = append(c.Grid, svgLine{X1: f1(x0), Y1: f1(y(v)), X2: f1(x1), Y2: f1(y(v)), Class: "grid"})
		c.Texts = append(c.Texts, svgText{X: f1(x0 - 6), Y: f1(y(v) + 4), Text: readable.Number(v), Class: "tick", Anchor: "end"})
	}
	for d := 0; d <= lastDay; d += 7 {
		c.Texts = append(c.Texts, svgText{X: f1(x(d)), Y: f1(bottom + 16), Text: strconv.Itoa(d), Class: "tick", Anchor: "middle"})
		c.Lines = append(c.Lines, svgLine{X1: f1(x(d)), Y1: f1(bottom), X2: f1(x(d)), Y2: f1(bottom + 4), Class: "axis"})
	}
	c.Lines = append(c.Lines, svgLine{X1: f1(x0), Y1: f1(bottom), X2: f1(x1), Y2: f1(bottom), Class: "axis"},
		svgLine{X1: f1(x0), Y1: f1(top), X2: f1(x0), Y2: f1(bottom), Class: "axis"})
	c.Texts = append(c.Texts, svgText{X: f1((x0 + x1) / 2), Y: f1(bottom + 36), Text: "day of the simulated period (days from its start)", Class: "axis-title", Anchor: "middle"},
		svgText{X: f1(x0 - 6), Y: f1(top - 10), Text: "open cases", Class: "axis-title", Anchor: "start"})
	var desc []string
	for _, side := range []struct {
		days        []apiv1.SimBacklogDay
		class, name string
	}{{cur, "cur", "current"}, {prop, "prop", "proposed"}} {
		if len(side.days) == 0 {
			continue
		}
		var d strings.Builder
		lo, hi, sum, n := math.Inf(1), 0.0, 0.0, 0
		for i, b := range side.days {
			cmd := "L"
			if i == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%s %s ", cmd, f1(x(b.Day)), f1(y(b.Mean)))
			if b.Day >= simWarmUpDays {
				lo, hi, sum, n = math.Min(lo, b.Mean), math.Max(hi, b.Mean), sum+b.Mean, n+1
			}
		}
		c.Paths = append(c.Paths, svgPath{D: strings.TrimSpace(d.String()), Class: side.class})
		if n > 0 {
			desc = append(desc, fmt.Sprintf("%s: %s open cases a day on average over the measured days (from %s to %s)", side.name,
				readable.Number(math.Round(sum/float64(n)*10)/10), readable.Number(math.Round(lo*10)/10), readable.Number(math.Round(hi*10)/10)))
		}
	}
	c.Desc = c.Title + ". " + strings.Join(desc, "; ") + "."
	return c
}
