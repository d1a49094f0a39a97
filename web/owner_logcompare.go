package web

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/readable"
)

// The as-is log beside a flow version's cases (issue 18; decision 0034):
// the page a team shows its management after the change.
var logComparePages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/logs/{id}/compare", Roles: authz.LogViewers, Handle: (*Web).logCompare},
}

type logComparePage struct {
	Log     apiv1.EventLog
	Flows   []apiv1.FlowSummary
	Flow    string
	Version string
	// Mapping is the textarea: one "activity = step" a line.
	Mapping string
	Cmp     *apiv1.LogComparison
	Rows    []compareRow
	Chart   *compareChart
	Error   string
}

// compareRow is a step's line of the table, in words and units.
type compareRow struct {
	Step, Activities                  string
	CasesBefore, CasesAfter           int
	WaitBefore, WaitAfter, WaitChange string
	WorkBefore, WorkAfter, WorkChange string
	ReworkBefore, ReworkAfter         string
	ReworkChange                      string
	// The changes' intervals, shown under them.
	WaitCI, WorkCI, ReworkCI string
	Better, Worse            bool
}

// compareChart is the waiting p90 of each step, before and after, as
// paired horizontal bars (the longest the full width).
type compareChart struct {
	Width, Height int
	Bars          []compareBar
}

type compareBar struct {
	Step                  string
	Y                     int
	BeforeW, AfterW       float64
	BeforeText, AfterText string
}

// p90Text is a side's p90 with its unit, or a dash without durations.
func p90Text(q apiv1.LogQuantiles) string {
	if q.N == 0 {
		return "–"
	}
	return readable.Duration(q.P90)
}

// ratioWords says a ratio of durations, "×0.12", and its interval,
// "95 %: 0.10–0.15".
func ratioWords(c apiv1.CompareChange) (string, string) {
	if c.Estimate == nil || c.Low == nil || c.High == nil {
		return "–", ""
	}
	return "×" + readable.Number(*c.Estimate), fmt.Sprintf("95 %%: %s–%s", readable.Number(*c.Low), readable.Number(*c.High))
}

func (s *Web) logCompare(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	l, err := apiGet[apiv1.EventLog](s, r, apiLogPath(id))
	if err != nil {
		return err
	}
	q := r.URL.Query()
	page := logComparePage{Log: l, Flow: q.Get("flow"), Version: strings.TrimSpace(q.Get("version")), Mapping: q.Get("mapping")}
	flows, err := apiGet[apiv1.FlowList](s, r, "/api/v1/flows?limit=500")
	if err != nil {
		return err
	}
	page.Flows = flows.Flows
	if page.Flow != "" {
		aq := url.Values{"flow": {page.Flow}}
		if page.Version != "" {
			if v, err := strconv.Atoi(page.Version); err != nil || v < 1 {
				page.Error = "The version must be a whole number from 1, or empty for the flow's default."
			} else {
				aq.Set("version", page.Version)
			}
		}
		for i, line := range strings.Split(page.Mapping, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			j := strings.LastIndex(line, "=")
			if j <= 0 || j == len(line)-1 {
				page.Error = fmt.Sprintf("Line %d of the mapping should read “activity = step”: %q.", i+1, line)
				break
			}
			aq.Add("map", strings.TrimSpace(line[:j])+"="+strings.TrimSpace(line[j+1:]))
		}
		if page.Error == "" {
			cmp, err := apiGet[apiv1.LogComparison](s, r, apiLogPath(id, "/compare?")+aq.Encode())
			var p *httpx.Problem
			switch {
			case errors.As(err, &p) && p.Status < 500:
				page.Error = upperFirst(p.Detail) + "."
			case err != nil:
				return err
			default:
				page.Cmp = &cmp
				page.fill()
			}
		}
	}
	return s.render(w, r, pageView{Template: "log_compare", Title: "Before and after: " + l.Name, Active: "logs", Data: page})
}

// fill turns the comparison into the table, the chart and the mapping
// text the form shows.
func (p *logComparePage) fill() {
	c := p.Cmp
	var lines []string
	for _, m := range c.Mapping {
		lines = append(lines, m.Activity+" = "+m.Step)
	}
	p.Mapping = strings.Join(lines, "\n")
	maxWait := 0.0
	for _, st := range c.Steps {
		maxWait = math.Max(maxWait, math.Max(st.Before.Wait.P90, st.After.Wait.P90))
	}
	const barW, rowH = 300.0, 34
	chart := &compareChart{Width: 640}
	for _, st := range c.Steps {
		row := compareRow{Step: st.Step, Activities: strings.Join(st.Activities, ", "), CasesBefore: st.Before.Cases, CasesAfter: st.After.Cases,
			WaitBefore: p90Text(st.Before.Wait), WaitAfter: p90Text(st.After.Wait),
			WorkBefore: p90Text(st.Before.Work), WorkAfter: p90Text(st.After.Work),
			ReworkBefore: pctText(st.Before.Rework, st.Before.Cases), ReworkAfter: pctText(st.After.Rework, st.After.Cases)}
		row.WaitChange, row.WaitCI = ratioWords(st.WaitRatio)
		row.WorkChange, row.WorkCI = ratioWords(st.WorkRatio)
		row.ReworkChange, row.ReworkCI = ppWords(st.ReworkDiff)
		// Better or worse only when the whole interval says so.
		if h := st.WaitRatio.High; h != nil && *h < 1 {
			row.Better = true
		}
		if lo := st.WaitRatio.Low; lo != nil && *lo > 1 {
			row.Worse = true
		}
		p.Rows = append(p.Rows, row)
		if len(st.Activities) == 0 || (st.Before.Wait.N == 0 && st.After.Wait.N == 0) {
			continue
		}
		bar := compareBar{Step: st.Step, Y: 10 + len(chart.Bars)*rowH, BeforeText: p90Text(st.Before.Wait), AfterText: p90Text(st.After.Wait)}
		if maxWait > 0 {
			bar.BeforeW = math.Max(barW*st.Before.Wait.P90/maxWait, 1)
			bar.AfterW = math.Max(barW*st.After.Wait.P90/maxWait, 1)
		}
		chart.Bars = append(chart.Bars, bar)
	}
	if len(chart.Bars) > 0 {
		chart.Height = 20 + len(chart.Bars)*rowH
		p.Chart = chart
	}
}

func pctText(rate float64, cases int) string {
	if cases == 0 {
		return "–"
	}
	return fmtPct(rate)
}

// ppWords is a difference of rates in percentage points and its interval.
func ppWords(c apiv1.CompareChange) (string, string) {
	if c.Estimate == nil || c.Low == nil || c.High == nil {
		return "–", ""
	}
	return fmt.Sprintf("%+.1f pp", *c.Estimate*100), fmt.Sprintf("95 %%: %+.1f to %+.1f", *c.Low*100, *c.High*100)
}
