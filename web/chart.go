package web

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"net/http"
	"slices"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Charts of the web UI are drawn on the server as SVG with gonum/plot
// (ADR 0014): no chart script runs in the browser, and each chart is drawn
// from the same numbers the page's table shows.

// chartPoint is one point of a line chart; a Missing point (no data that
// week) breaks the line instead of being drawn as zero.
type chartPoint struct {
	X       time.Time
	Y       float64
	Missing bool
}

// chartSeries is one named line.
type chartSeries struct {
	Name   string
	Points []chartPoint
}

// lineChart is a chart of values over time (weekly trends).
type lineChart struct {
	Title  string
	YLabel string
	Series []chartSeries
	// Target, when set, is drawn as a dashed horizontal line.
	Target      *float64
	TargetLabel string
	// Duration: Y values are seconds, drawn in minutes or hours (the
	// unit is chosen from the data and named on the axis).
	Duration bool
	// Percent: Y values are rates 0–1, drawn as percentages.
	Percent bool
}

// distArm is one group of a distribution chart: its name and values in
// seconds.
type distArm struct {
	Name   string
	Values []float64
}

// distChart draws the distributions of two (or more) groups of durations
// on one chart: histograms over shared bins, each as the share of its own
// group (so groups of different sizes compare), with each group's median
// as a dashed line.
type distChart struct {
	Title  string
	XLabel string // default "cycle time"
	Arms   []distArm
}

var chartPalette = []color.RGBA{
	{R: 0x1f, G: 0x5f, B: 0xbf, A: 0xff}, // blue
	{R: 0xd9, G: 0x72, B: 0x1b, A: 0xff}, // orange
	{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff}, // green
	{R: 0x8e, G: 0x24, B: 0xaa, A: 0xff}, // purple
}

var chartTargetColor = color.RGBA{R: 0x6b, G: 0x73, B: 0x80, A: 0xff}

const chartWidth, chartHeight = 720 * vg.Length(1), 300 * vg.Length(1)

// durationUnit picks the unit for durations whose largest value is top
// seconds.
func durationUnit(top float64) (div float64, name string) {
	switch {
	case top >= 3*86400:
		return 86400, "days"
	case top >= 2*3600:
		return 3600, "hours"
	case top >= 120:
		return 60, "minutes"
	default:
		return 1, "seconds"
	}
}

func newChartPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	sans := font.Font{Typeface: "Liberation", Variant: "Sans"}
	for _, ts := range []*font.Font{&p.Title.TextStyle.Font, &p.X.Label.TextStyle.Font, &p.Y.Label.TextStyle.Font,
		&p.X.Tick.Label.Font, &p.Y.Tick.Label.Font, &p.Legend.TextStyle.Font} {
		size := ts.Size
		*ts = sans
		ts.Size = size
	}
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Legend.Top = true
	p.Legend.Left = true
	p.Add(plotter.NewGrid())
	return p
}

// percentTicks labels a 0–1 axis in percent.
type percentTicks struct{}

func (percentTicks) Ticks(min, max float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(min, max)
	for i := range ts {
		if ts[i].Label != "" {
			ts[i].Label = fmtPct(ts[i].Value)
		}
	}
	return ts
}

// lineChartSVG draws c as SVG.
func lineChartSVG(c lineChart) ([]byte, error) {
	p := newChartPlot(c.Title)
	p.X.Tick.Marker = plot.TimeTicks{Format: "2 Jan"}
	div, unit := 1.0, ""
	if c.Duration {
		top := 0.0
		for _, s := range c.Series {
			for _, pt := range s.Points {
				if !pt.Missing {
					top = math.Max(top, pt.Y)
				}
			}
		}
		if c.Target != nil {
			top = math.Max(top, *c.Target)
		}
		div, unit = durationUnit(top)
	}
	p.Y.Label.Text = c.YLabel
	if unit != "" {
		p.Y.Label.Text += " (" + unit + ")"
	}
	if c.Percent {
		p.Y.Tick.Marker = percentTicks{}
	}
	var xmin, xmax float64
	haveX, haveY := false, false
	for i, s := range c.Series {
		col := chartPalette[i%len(chartPalette)]
		var all plotter.XYs
		var seg plotter.XYs
		flush := func() error {
			if len(seg) > 1 {
				l, err := plotter.NewLine(seg)
				if err != nil {
					return fmt.Errorf("chart: line: %w", err)
				}
				l.Color, l.Width = col, vg.Points(2)
				p.Add(l)
			}
			seg = nil
			return nil
		}
		for _, pt := range s.Points {
			x := float64(pt.X.Unix())
			if !haveX || x < xmin {
				xmin = x
			}
			if !haveX || x > xmax {
				xmax = x
			}
			haveX = true
			if pt.Missing || math.IsNaN(pt.Y) || math.IsInf(pt.Y, 0) {
				if err := flush(); err != nil {
					return nil, err
				}
				continue
			}
			xy := plotter.XY{X: x, Y: pt.Y / div}
			seg = append(seg, xy)
			all = append(all, xy)
		}
		if err := flush(); err != nil {
			return nil, err
		}
		if len(all) > 0 {
			haveY = true
			sc, err := plotter.NewScatter(all)
			if err != nil {
				return nil, fmt.Errorf("chart: points: %w", err)
			}
			sc.GlyphStyle.Color = col
			sc.GlyphStyle.Radius = vg.Points(3)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			p.Add(sc)
			p.Legend.Add(s.Name, sc)
		}
	}
	if c.Target != nil && haveX {
		lo, hi := xmin, xmax
		if lo == hi {
			lo, hi = lo-86400*3.5, hi+86400*3.5
		}
		t, err := plotter.NewLine(plotter.XYs{{X: lo, Y: *c.Target / div}, {X: hi, Y: *c.Target / div}})
		if err != nil {
			return nil, fmt.Errorf("chart: target: %w", err)
		}
		t.Color, t.Width = chartTargetColor, vg.Points(1.5)
		t.Dashes = []vg.Length{vg.Points(6), vg.Points(4)}
		p.Add(t)
		label := c.TargetLabel
		if label == "" {
			label = "target"
		}
		p.Legend.Add(label, t)
	}
	if !haveY {
		p.Title.Text += " — no data in this period"
		p.Y.Min, p.Y.Max = 0, 1
	} else {
		// From zero up to the data or the target, whichever is higher: a
		// rate with a 2 % target is not flattened against a 100 % axis.
		p.Y.Min = math.Min(p.Y.Min, 0)
	}
	if haveX && xmin == xmax {
		p.X.Min, p.X.Max = xmin-86400*3.5, xmax+86400*3.5
	}
	return renderChartSVG(p)
}

// distributionChartSVG draws d as SVG.
func distributionChartSVG(d distChart) ([]byte, error) {
	p := newChartPlot(d.Title)
	p.Legend.Left = false
	top, total := 0.0, 0
	for _, a := range d.Arms {
		for _, v := range a.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				top = math.Max(top, v)
				total++
			}
		}
	}
	div, unit := durationUnit(top)
	xl := d.XLabel
	if xl == "" {
		xl = "cycle time"
	}
	p.X.Label.Text = xl + " (" + unit + ")"
	p.Y.Label.Text = "share of the arm's cases"
	p.Y.Tick.Marker = percentTicks{}
	if total == 0 {
		p.Title.Text += " — no closed cases yet"
		p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
		return renderChartSVG(p)
	}
	bins := int(math.Round(math.Sqrt(float64(total))))
	bins = min(max(bins, 6), 30)
	hi := top / div
	if hi <= 0 {
		hi = 1
	}
	width := hi / float64(bins)
	peak := 0.0
	type armHist struct {
		h      *plotter.Histogram
		median float64
		col    color.RGBA
		label  string
	}
	var hs []armHist
	for i, a := range d.Arms {
		col := chartPalette[i%len(chartPalette)]
		vals := make([]float64, 0, len(a.Values))
		for _, v := range a.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				vals = append(vals, v/div)
			}
		}
		label := fmt.Sprintf("%s (n = %d)", a.Name, len(vals))
		if len(vals) == 0 {
			hs = append(hs, armHist{col: col, label: label, median: math.NaN()})
			continue
		}
		slices.Sort(vals)
		h := &plotter.Histogram{Width: width, Bins: make([]plotter.HistogramBin, bins)}
		for b := range h.Bins {
			h.Bins[b].Min, h.Bins[b].Max = float64(b)*width, float64(b+1)*width
		}
		for _, v := range vals {
			b := min(int(v/width), bins-1)
			h.Bins[b].Weight += 1 / float64(len(vals))
		}
		for _, b := range h.Bins {
			peak = math.Max(peak, b.Weight)
		}
		fill := col
		fill.A = 0x55
		h.FillColor = fill
		h.LineStyle = draw.LineStyle{Color: col, Width: vg.Points(1.5)}
		med := sortedMedian(vals)
		hs = append(hs, armHist{h: h, median: med, col: col,
			label: fmt.Sprintf("%s (n = %d, median %s)", a.Name, len(vals), fmtSeconds(med*div))})
	}
	for _, a := range hs {
		if a.h == nil {
			// An arm without closed cases is still named in the legend.
			fill := a.col
			fill.A = 0x55
			p.Legend.Add(a.label, &plotter.Histogram{FillColor: fill, LineStyle: draw.LineStyle{Color: a.col, Width: vg.Points(1.5)}})
			continue
		}
		p.Add(a.h)
		ml, err := plotter.NewLine(plotter.XYs{{X: a.median, Y: 0}, {X: a.median, Y: peak * 1.05}})
		if err != nil {
			return nil, fmt.Errorf("chart: median: %w", err)
		}
		ml.Color, ml.Width = a.col, vg.Points(2)
		ml.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		p.Add(ml)
		p.Legend.Add(a.label, a.h)
	}
	p.X.Min, p.Y.Min = 0, 0
	p.Y.Max = math.Max(p.Y.Max, peak*1.1)
	return renderChartSVG(p)
}

func sortedMedian(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

func renderChartSVG(p *plot.Plot) ([]byte, error) {
	wt, err := p.WriterTo(chartWidth, chartHeight, "svg")
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("chart: write: %w", err)
	}
	return buf.Bytes(), nil
}

// writeChartSVG sends a chart. It is loaded as an image (which runs no
// script); its own policy allows the SVG's style attributes and nothing
// else.
func writeChartSVG(w http.ResponseWriter, svg []byte) {
	h := w.Header()
	h.Set("Content-Type", "image/svg+xml")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	h.Set("Cache-Control", "private, max-age=30")
	_, _ = w.Write(svg)
}
