package web

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/readable"
)

// The watchlist in the web UI (issue 21): the flows and steps to improve
// first, at the top of the KPI dashboard with their alerts, open PDCA
// cycles and 8-week trend; owners add and remove them there.
var watchPages = []pageRoute{
	{Method: http.MethodPost, Pattern: "/watchlist", Roles: authz.FlowEditors, Handle: (*Web).watchAdd},
	{Method: http.MethodPost, Pattern: "/watchlist/{id}/remove", Roles: authz.FlowEditors, Handle: (*Web).watchRemove},
}

// watchCard is one watch as the dashboard shows it.
type watchCard struct {
	apiv1.Watch
	Title string
	// Spark is the trend's medians as a small inline SVG line (empty
	// weeks leave a gap); Last the latest week with data, in words.
	Spark template.HTML
	Last  string
}

// watchlist reads the watchlist for the dashboard; the page renders
// without it when the API cannot say (nil).
func (s *Web) watchlist(r *http.Request) []watchCard {
	list, err := apiGet[apiv1.Watchlist](s, r, "/api/v1/watchlist")
	if err != nil {
		return nil
	}
	out := make([]watchCard, 0, len(list.Watches))
	for _, w := range list.Watches {
		c := watchCard{Watch: w, Title: readable.Name(w.Flow)}
		if w.Step != "" {
			name := w.StepName
			if name == "" {
				name = readable.Name(w.Step)
			}
			c.Title += " · " + name
		}
		c.Spark = sparkline(w.Trend)
		what := "cycle time"
		if w.Measure == "waiting" {
			what = "waiting"
		}
		for i := len(w.Trend) - 1; i >= 0; i-- {
			wk := w.Trend[i]
			if wk.N == 0 || wk.MedianSeconds == nil {
				continue
			}
			c.Last = fmt.Sprintf("%s: median %s %s, p90 %s (n = %d)", wk.Week, what, readable.Duration(*wk.MedianSeconds),
				readable.Duration(*wk.P90Seconds), wk.N)
			if wk.SLABreachRate != nil {
				c.Last += fmt.Sprintf(", %.1f %% of tasks late", 100**wk.SLABreachRate)
			}
			break
		}
		if c.Last == "" {
			c.Last = fmt.Sprintf("no %s completed in the last %d weeks", map[bool]string{true: "tasks", false: "cases"}[w.Step != ""], len(w.Trend))
		}
		out = append(out, c)
	}
	return out
}

// sparkline draws the weekly medians as a 120 × 28 polyline, scaled to
// their largest; a week without data breaks the line.
func sparkline(weeks []apiv1.WatchWeek) template.HTML {
	const w, h, pad = 120.0, 28.0, 2.0
	top := 0.0
	for _, wk := range weeks {
		if wk.MedianSeconds != nil && *wk.MedianSeconds > top {
			top = *wk.MedianSeconds
		}
	}
	if top == 0 || len(weeks) < 2 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="spark" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="weekly median, oldest to newest">`, w, h, w, h)
	var seg []string
	flush := func() {
		if len(seg) > 1 {
			fmt.Fprintf(&b, `<polyline fill="none" stroke="currentColor" stroke-width="1.5" points="%s"/>`, strings.Join(seg, " "))
		} else if len(seg) == 1 {
			var x, y float64
			fmt.Sscanf(seg[0], "%f,%f", &x, &y)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="1.5" fill="currentColor"/>`, x, y)
		}
		seg = seg[:0]
	}
	for i, wk := range weeks {
		if wk.MedianSeconds == nil {
			flush()
			continue
		}
		x := pad + float64(i)*(w-2*pad)/float64(len(weeks)-1)
		y := h - pad - (*wk.MedianSeconds/top)*(h-2*pad)
		seg = append(seg, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	flush()
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built above from numbers only
}

func (s *Web) watchAdd(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	back := UIPath + "/kpis"
	req := apiv1.WatchRequest{Flow: r.PostFormValue("flow"), Step: r.PostFormValue("step"), Note: r.PostFormValue("note")}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/watchlist", req, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		p := res.Problem()
		if p.Status >= 500 {
			return p
		}
		msg := "Not added: " + problemReason(p)
		for _, fe := range p.Errors {
			msg = "Not added: " + fe.Field + ": " + fe.Message
		}
		return refusedTo(w, r, back, msg+".")
	}
	what := readable.Name(req.Flow)
	if req.Step != "" {
		what += " · " + req.Step
	}
	return redirectTo(w, r, back, what+" is on the watchlist: it is listed first, with its alerts, open cycles and trend.")
}

func (s *Web) watchRemove(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	back := UIPath + "/kpis"
	res, err := s.callAPI(r, http.MethodDelete, "/api/v1/watchlist/"+url.PathEscape(chi.URLParam(r, "id")), nil, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		msg, _, err := refusal(res, "Not removed")
		if err != nil {
			return err
		}
		return refusedTo(w, r, back, msg)
	}
	return redirectTo(w, r, back, "Taken off the watchlist.")
}
