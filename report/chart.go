package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Charts are drawn here as small inline SVG: no script, no font and no
// file from elsewhere, the same on screen and on paper. A period without a
// value breaks the line and is marked "no data"; it is never drawn as 0.

// chartSeries is one line of a chart: a value per period, nil where the
// period has none.
type chartSeries struct {
	Name   string
	Colour string
	Values []*float64
}

// lineChart is a chart of values per period.
type lineChart struct {
	Title  string
	Labels []string // the periods, oldest first
	Series []chartSeries
	// Target, when set, is drawn as a dashed line labelled TargetLabel.
	Target      *float64
	TargetLabel string
	// Format writes a value with its unit (axis ticks and point labels).
	Format func(float64) string
	// TestID names the chart for tests (data-testid).
	TestID string
	// Width is the chart's width in SVG units (default chartW).
	Width float64
	// Rate: values are rates, the axis ends at 100 %. Duration: values are
	// seconds, the axis steps are whole seconds, minutes, hours or days.
	Rate, Duration bool
}

// Chart geometry, in SVG units (the viewBox; the page scales it).
const (
	chartW, chartH              = 400.0, 178.0
	chartLeft, chartRight       = 58.0, 10.0
	chartTop, chartBottom       = 30.0, 34.0
	chartLine, chartTargetColor = 2.0, "#6b7380"
)

// Colours of the series (blue, orange), readable in grey print too.
const (
	colourMain   = "#1f5fbf"
	colourSecond = "#d9721b"
)

func esc(s string) string { return html.EscapeString(s) }

// niceStep is a round step (1, 2 or 5 times a power of ten) of about
// span/parts.
func niceStep(span float64, parts int) float64 {
	raw := span / float64(parts)
	if !(raw > 0) {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*pow >= raw {
			return m * pow
		}
	}
	return 10 * pow
}

// durationSteps are the steps of a duration axis, in seconds.
var durationSteps = []float64{1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600,
	86400, 2 * 86400, 7 * 86400, 14 * 86400, 30 * 86400}

// durationStep is the first of durationSteps of at least span/parts.
func durationStep(span float64, parts int) float64 {
	raw := span / float64(parts)
	for _, s := range durationSteps {
		if s >= raw {
			return s
		}
	}
	return niceStep(span, parts)
}

// svg draws the chart.
func (c lineChart) svg() template.HTML {
	w := c.Width
	if w == 0 {
		w = chartW
	}
	lo, hi, any := 0.0, 0.0, false
	for _, s := range c.Series {
		for _, v := range s.Values {
			if v == nil || math.IsNaN(*v) || math.IsInf(*v, 0) {
				continue
			}
			if !any {
				lo, hi, any = *v, *v, true
			}
			lo, hi = math.Min(lo, *v), math.Max(hi, *v)
		}
	}
	if c.Target != nil {
		if !any {
			lo, hi = *c.Target, *c.Target
		}
		lo, hi = math.Min(lo, *c.Target), math.Max(hi, *c.Target)
	}
	lo = math.Min(lo, 0) // rates and durations from 0; NPS may go below
	if hi <= lo {
		hi = lo + 1
	}
	step := niceStep(hi-lo, 3)
	if c.Duration {
		step = durationStep(hi-lo, 3)
	}
	lo = math.Floor(lo/step) * step
	top := math.Ceil(hi/step) * step
	if top-hi < step*0.25 { // room for the labels above the points
		top += step
	}
	if c.Rate && hi <= 1 {
		step = niceStep(1-lo, 4)
		top = 1
	}
	hi = top
	plotW, plotH := w-chartLeft-chartRight, chartH-chartTop-chartBottom
	n := len(c.Labels)
	x := func(i int) float64 {
		if n == 1 {
			return chartLeft + plotW/2
		}
		return chartLeft + plotW*(float64(i)+0.5)/float64(n)
	}
	y := func(v float64) float64 { return chartTop + plotH*(1-(v-lo)/(hi-lo)) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s" data-testid="%s" xmlns="http://www.w3.org/2000/svg">`,
		w, chartH, w, chartH, esc(c.Title), esc(c.TestID))
	fmt.Fprintf(&b, `<title>%s</title>`, esc(c.Title))
	fmt.Fprintf(&b, `<text x="4" y="14" font-size="12" font-weight="bold" fill="#1a1a1a">%s</text>`, esc(c.Title))
	if c.Target != nil {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="10" x2="%.1f" y2="10" stroke="%s" stroke-width="1.2" stroke-dasharray="5 3"/>`, w-chartRight-150, w-chartRight-134, chartTargetColor)
		fmt.Fprintf(&b, `<text x="%.1f" y="13.5" font-size="9.5" fill="%s">%s</text>`, w-chartRight-130, chartTargetColor, esc(c.TargetLabel))
	}
	for v := lo; v <= hi+step/1e6; v += step {
		yy := y(v)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e3e6ea" stroke-width="1"/>`, chartLeft, yy, w-chartRight, yy)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" text-anchor="end" fill="#555">%s</text>`, chartLeft-4, yy+3, esc(c.Format(v)))
	}
	for i, l := range c.Labels {
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9.5" text-anchor="middle" fill="#333">%s</text>`, x(i), chartH-chartBottom+14, esc(l))
	}
	if c.Target != nil {
		ty := y(*c.Target)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.2" stroke-dasharray="5 3"/>`,
			chartLeft, ty, w-chartRight, ty, chartTargetColor)
	}
	for si, s := range c.Series {
		// Lines between neighbouring periods that both have a value.
		var path strings.Builder
		for i := 0; i < len(s.Values) && i < n; i++ {
			v := s.Values[i]
			if v == nil {
				continue
			}
			if i > 0 && s.Values[i-1] != nil {
				fmt.Fprintf(&path, " L%.1f %.1f", x(i), y(*v))
			} else {
				fmt.Fprintf(&path, " M%.1f %.1f", x(i), y(*v))
			}
		}
		if path.Len() > 0 {
			fmt.Fprintf(&b, `<path d="%s" fill="none" stroke="%s" stroke-width="%.1f"/>`, strings.TrimSpace(path.String()), s.Colour, chartLine)
		}
		for i := 0; i < len(s.Values) && i < n; i++ {
			v := s.Values[i]
			if v == nil {
				continue
			}
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`, x(i), y(*v), s.Colour)
			dy := -7.0
			if si == 1 {
				dy = 14
			}
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8.5" text-anchor="middle" fill="%s">%s</text>`, x(i), y(*v)+dy, s.Colour, esc(c.Format(*v)))
		}
	}
	// Periods without a value in any series say so.
	for i := range n {
		empty := true
		for _, s := range c.Series {
			if i < len(s.Values) && s.Values[i] != nil {
				empty = false
			}
		}
		if empty {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="8.5" text-anchor="middle" fill="#8a8f98">%s</text>`, x(i), chartTop+plotH-4, noData)
		}
	}
	if len(c.Series) > 1 {
		lx := chartLeft
		for _, s := range c.Series {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="3" fill="%s"/>`, lx, chartH-9.0, s.Colour)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" fill="#333">%s</text>`, lx+14, chartH-5.0, esc(s.Name))
			lx += 14 + 6.2*float64(len(s.Name)) + 14
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) //nolint:gosec // built here, every text escaped
}

// swatch is a small square of a colour (the heat of a step), drawn as SVG
// so that it prints and needs no style attribute.
func swatch(colour string) template.HTML {
	return template.HTML(fmt.Sprintf(`<svg class="swatch" viewBox="0 0 12 12" width="12" height="12" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><rect x="0.5" y="0.5" width="11" height="11" fill="%s" stroke="#4d4d4d" stroke-width="0.6"/></svg>`, esc(colour))) //nolint:gosec // a colour we computed
}

// bar is a horizontal bar of a share (0–1), for the bottleneck table.
func bar(share float64, colour string) template.HTML {
	w := math.Max(0, math.Min(1, share)) * 60
	return template.HTML(fmt.Sprintf(`<svg class="bar" viewBox="0 0 60 10" width="60" height="10" aria-hidden="true" xmlns="http://www.w3.org/2000/svg"><rect x="0" y="0" width="60" height="10" fill="#f1f3f5"/><rect x="0" y="0" width="%.1f" height="10" fill="%s"/></svg>`, w, esc(colour))) //nolint:gosec // numbers and a colour we computed
}
