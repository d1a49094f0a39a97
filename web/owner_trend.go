package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The trend of a flow's cycle time per week, on its page: a chart drawn
// on the server (trend.svg) and the table of the same numbers, both from
// GET /api/v1/flows/{key}/trend.

// trendSection is the trend section of a flow's page.
type trendSection struct {
	Weeks   []apiv1.FlowTrendWeek
	Overall apiv1.FlowTrendStats
	From    time.Time
	To      time.Time
	// Version is the version the trend is limited to (0: every version).
	Version int
	// ChartURL is the chart's image; Note says why there is none.
	ChartURL string
	Note     string
	// ToggleURL switches between the shown version and every version.
	ToggleURL string
}

// trendQuery is the trend API's query of a period and version.
func trendQuery(from, to time.Time, version int) url.Values {
	q := periodQuery(from, to)
	if version > 0 {
		q.Set("version", strconv.Itoa(version))
	}
	return q
}

// trendFor loads the weekly trend of a flow for its page; a period
// the trend cannot cover (a 4xx of the API: more than its weeks) is a
// note, not a failed page.
func (s *Web) trendFor(r *http.Request, key string, shown, version int, from, to time.Time) (*trendSection, error) {
	t := &trendSection{Version: version}
	toggle := r.URL.Query()
	toggle.Del("flash")
	if version > 0 {
		toggle.Del("trend")
	} else {
		toggle.Set("trend", "version")
		toggle.Set("version", strconv.Itoa(shown))
	}
	t.ToggleURL = flowPath(key) + "?" + toggle.Encode() + "#trend-h"
	q := trendQuery(from, to, version)
	res, err := s.callAPI(r, http.MethodGet, apiFlowPath(key, "/trend?")+q.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	if p := res.Problem(); p != nil {
		if p.Status >= 500 || p.Status == http.StatusNotFound {
			return nil, p
		}
		t.Note = "No trend for this period: " + p.Detail
		return t, nil
	}
	var tr apiv1.FlowTrend
	if err := res.Decode(&tr); err != nil {
		return nil, err
	}
	t.Weeks, t.Overall, t.From, t.To = tr.Weeks, tr.Overall, tr.From, tr.To
	t.ChartURL = flowPath(key, "/trend.svg") + "?" + q.Encode()
	return t, nil
}

// flowTrendSVG draws a flow's weekly median and p90 cycle time, with
// the flow's case SLA (of its default or the given version) as the target
// line.
func (s *Web) flowTrendSVG(w http.ResponseWriter, r *http.Request) error {
	key := chi.URLParam(r, "key")
	in := r.URL.Query()
	q := url.Values{}
	for _, name := range []string{"from", "to", "version"} {
		if v := in.Get(name); v != "" {
			q.Set(name, v)
		}
	}
	tr, err := apiGet[apiv1.FlowTrend](s, r, apiFlowPath(key, "/trend?")+q.Encode())
	if err != nil {
		return err
	}
	dq := url.Values{}
	if v := q.Get("version"); v != "" {
		dq.Set("version", v)
	}
	detail, err := apiGet[apiv1.FlowDetail](s, r, apiFlowPath(key)+"?"+dq.Encode())
	if err != nil {
		return err
	}
	c := trendChart(tr, detail)
	svg, err := lineChartSVG(c)
	if err != nil {
		return httpx.Internal(fmt.Errorf("ui: trend chart of %s: %w", key, err))
	}
	writeChartSVG(w, svg)
	return nil
}

// trendChart is the line chart of a trend: median and p90 per week, the
// weeks without completed cases left as gaps.
func trendChart(tr apiv1.FlowTrend, detail apiv1.FlowDetail) lineChart {
	title := "Cycle time per week · " + detail.Name
	if tr.Version != nil {
		title += fmt.Sprintf(" · v%d", *tr.Version)
	}
	c := lineChart{Title: title, YLabel: "cycle time", Duration: true,
		Series: []chartSeries{{Name: "median"}, {Name: "p90"}}}
	for _, wk := range tr.Weeks {
		for i, v := range []*float64{wk.MedianSeconds, wk.P90Seconds} {
			pt := chartPoint{X: wk.Start, Missing: v == nil}
			if v != nil {
				pt.Y = *v
			}
			c.Series[i].Points = append(c.Series[i].Points, pt)
		}
	}
	var def flow.Definition
	if json.Unmarshal(detail.Definition, &def) == nil && def.SLA.D() > 0 {
		sla := def.SLA.D().Seconds()
		c.Target, c.TargetLabel = &sla, fmt.Sprintf("case SLA %s (v%d)", def.SLA.String(), detail.Version)
	}
	return c
}
