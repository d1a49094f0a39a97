package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/readable"
	"github.com/go-chi/chi/v5"
)

// The KPI dashboard: the service KPIs of GET /api/v1/kpis/service against
// their targets, overall, per channel and per week (a line chart per KPI
// with its target).

// kpiValue is one KPI of a set of cases, whatever its type.
type kpiValue struct {
	Value     *float64
	N         int
	Target    float64
	Direction string
	Meets     *bool
	Extra     string // a second figure (CSAT mean, response p90)
}

// kpi describes one service KPI of the dashboard.
type kpi struct {
	Key, Label string
	Hint       string
	Duration   bool // seconds
	Percent    bool // a 0–1 rate
	NoTarget   bool // the plans set none (the perceived improvement)
	get        func(apiv1.ServiceKPISet) kpiValue
}

var kpiList = []kpi{
	{Key: "csat", Label: "CSAT", Hint: "answers of 4 or 5", Percent: true, get: func(k apiv1.ServiceKPISet) kpiValue {
		v := kpiValue{k.CSAT.Value, k.CSAT.N, k.CSAT.Target, k.CSAT.Direction, k.CSAT.MeetsTarget, ""}
		if k.CSAT.Mean != nil {
			v.Extra = "mean " + fmtNum(*k.CSAT.Mean) + " of 5"
		}
		return v
	}},
	{Key: "nps", Label: "NPS", Hint: "% promoters − % detractors", get: func(k apiv1.ServiceKPISet) kpiValue {
		v := kpiValue{k.NPS.Value, k.NPS.N, k.NPS.Target, k.NPS.Direction, k.NPS.MeetsTarget, ""}
		if k.NPS.N > 0 {
			v.Extra = fmt.Sprintf("%d promoters, %d detractors", k.NPS.Promoters, k.NPS.Detractors)
		}
		return v
	}},
	{Key: "fcr", Label: "First-contact resolution", Hint: "resolved at first contact, not reopened", Percent: true, get: func(k apiv1.ServiceKPISet) kpiValue {
		return kpiValue{k.FCR.Value, k.FCR.N, k.FCR.Target, k.FCR.Direction, k.FCR.MeetsTarget, ""}
	}},
	{Key: "first_response", Label: "First response time", Hint: "median, creation to first claim", Duration: true, get: func(k apiv1.ServiceKPISet) kpiValue {
		v := kpiValue{k.FirstResponse.Value, k.FirstResponse.N, k.FirstResponse.Target, k.FirstResponse.Direction, k.FirstResponse.MeetsTarget, ""}
		if k.FirstResponse.P90 != nil {
			v.Extra = "p90 " + fmtSeconds(*k.FirstResponse.P90)
		}
		return v
	}},
	{Key: "on_time", Label: "On-time rate", Hint: "tasks completed within their SLA", Percent: true, get: func(k apiv1.ServiceKPISet) kpiValue {
		return kpiValue{k.OnTime.Value, k.OnTime.N, k.OnTime.Target, k.OnTime.Direction, k.OnTime.MeetsTarget, ""}
	}},
	{Key: "complaint_rate", Label: "Complaint rate", Hint: "complaint cases of all cases", Percent: true, get: func(k apiv1.ServiceKPISet) kpiValue {
		return kpiValue{k.ComplaintRate.Value, k.ComplaintRate.N, k.ComplaintRate.Target, k.ComplaintRate.Direction, k.ComplaintRate.MeetsTarget, ""}
	}},
	{Key: "perceived_improvement", Label: "Perceived improvement", Hint: "follow-up calls answered yes, of yes and no", Percent: true, NoTarget: true,
		get: func(k apiv1.ServiceKPISet) kpiValue {
			p := k.PerceivedImprovement
			v := kpiValue{Value: p.Value, N: p.N}
			if p.NotSure > 0 {
				v.Extra = fmt.Sprintf("%d not sure", p.NotSure)
			}
			return v
		}},
}

func kpiByKey(key string) (kpi, bool) {
	for _, k := range kpiList {
		if k.Key == key {
			return k, true
		}
	}
	return kpi{}, false
}

func (k kpi) format(v float64) string {
	switch {
	case k.Duration:
		return fmtSeconds(v)
	case k.Percent:
		return fmtPct(v)
	default:
		return fmtNum(v)
	}
}

func (k kpi) target(v kpiValue) string {
	if k.NoTarget {
		return "none"
	}
	op := "≥"
	if v.Direction == apiv1.AtMost {
		op = "≤"
	}
	return op + " " + k.format(v.Target)
}

// kpiCell is one KPI value on the page: its text, its raw number (for
// tests and scripts), and whether it meets its target.
type kpiCell struct {
	Key, Label, Hint string
	Text             string
	Raw              string
	N                int
	Target           string
	Class            string // ok, bad, or "" for no data
	State            string // meets target, misses target, no data
	Extra            string
}

func (k kpi) cell(set apiv1.ServiceKPISet) kpiCell {
	v := k.get(set)
	c := kpiCell{Key: k.Key, Label: k.Label, Hint: k.Hint, N: v.N, Target: k.target(v), Text: "no data", State: "no data", Extra: v.Extra}
	if v.Value != nil {
		c.Text = k.format(*v.Value)
		c.Raw = strconv.FormatFloat(*v.Value, 'g', -1, 64)
	}
	switch {
	case k.NoTarget && v.Value != nil:
		c.State = "no target"
	case v.Meets != nil && *v.Meets:
		c.Class, c.State = "ok", "meets target"
	case v.Meets != nil:
		c.Class, c.State = "bad", "misses target"
	}
	return c
}

// followUpRow is one flow's follow-up calls (decision 0041): the share it
// declares beside the share actually called back.
type followUpRow struct {
	Flow                        string
	Declared, Realised          string // percentages
	DeclaredRaw, RealisedRaw    string // 0–1, for tests and scripts
	Eligible, Sampled, Due      int
	Opened, Answered, Unreached int
	Class                       string // "bad" when the realised share is below the declared by more than chance explains
}

func followUpRows(fs []apiv1.FollowUpShare) []followUpRow {
	out := make([]followUpRow, len(fs))
	for i, f := range fs {
		r := followUpRow{Flow: f.Flow, Declared: fmtPct(f.DeclaredShare), DeclaredRaw: strconv.FormatFloat(f.DeclaredShare, 'g', -1, 64),
			Realised: "no call due yet", Eligible: f.Eligible, Sampled: f.Sampled, Due: f.Due, Opened: f.Opened,
			Answered: f.Answered, Unreached: f.Unreachable}
		if v := f.RealisedShare; v != nil {
			r.Realised, r.RealisedRaw = fmtPct(*v), strconv.FormatFloat(*v, 'g', -1, 64)
			// Three standard errors of a share of f.Due draws: below that
			// calls were lost, not unlucky.
			if sd := math.Sqrt(f.DeclaredShare * (1 - f.DeclaredShare) / float64(f.Due)); *v < f.DeclaredShare-3*sd {
				r.Class = "bad"
			}
		}
		out[i] = r
	}
	return out
}

func kpiRow(set apiv1.ServiceKPISet) []kpiCell {
	out := make([]kpiCell, len(kpiList))
	for i, k := range kpiList {
		out[i] = k.cell(set)
	}
	return out
}

type kpiRowView struct {
	Name  string // channel or week
	Start time.Time
	Cases int
	Cells []kpiCell
}

type kpiChart struct {
	Key, Label, URL, Alt string
	NoTarget             bool
}

type kpiPage struct {
	KPIs     []kpi
	Cards    []kpiCell
	Channels []kpiRowView
	Weeks    []kpiRowView
	Charts   []kpiChart
	Cases    int
	// FollowUps are the follow-up calls per flow (decision 0041).
	FollowUps []followUpRow
	From, To  string // the filter form's values (dates)
	Channel   string
	Flow      string
	Range     string // the weeks the API used
	Flows     []apiv1.FlowSummary
	Known     []string // channel suggestions
	Errors    map[string]string
	Error     string
	// Watches are the watchlist, listed first; MayWatch: the viewer adds
	// and removes them.
	Watches  []watchCard
	MayWatch bool
}

// kpiQuery turns the page's filters (dates, channel, flow) into the
// KPI endpoint's query: from is the first day, to the last day
// (inclusive); errors are by field.
func kpiQuery(in url.Values) (url.Values, map[string]string) {
	q, errs := url.Values{}, map[string]string{}
	day := func(field string, next bool) {
		raw := strings.TrimSpace(in.Get(field))
		if raw == "" {
			return
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			errs[field] = "must be a date like 2026-03-02, got " + strconv.Quote(raw)
			return
		}
		if next {
			d = d.AddDate(0, 0, 1)
		}
		q.Set(field, d.Format(time.RFC3339))
	}
	day("from", false)
	day("to", true)
	for _, k := range []string{"channel", "flow"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	return q, errs
}

func (s *Web) kPIs(w http.ResponseWriter, r *http.Request) error {
	in := r.URL.Query()
	page := kpiPage{KPIs: kpiList, From: in.Get("from"), To: in.Get("to"), Channel: in.Get("channel"), Flow: in.Get("flow")}
	flows, err := s.flowSummaries(r)
	if err != nil {
		return err
	}
	page.Flows = flows
	page.Watches = s.watchlist(r)
	page.MayWatch = authz.Allowed(authz.FlowEditors, actorOf(r.Context()).Role)
	q, errs := kpiQuery(in)
	page.Errors = errs
	status := http.StatusOK
	var data apiv1.ServiceKPIs
	if len(errs) == 0 {
		res, err := s.callAPI(r, http.MethodGet, "/api/v1/kpis/service?"+q.Encode(), nil, nil)
		if err != nil {
			return err
		}
		if res.OK() {
			if err := res.Decode(&data); err != nil {
				return err
			}
			s.kpiMemo.put(q.Encode(), data, s.now())
		} else {
			p, err := formProblem(res)
			if err != nil {
				return err
			}
			status, page.Errors = p.Status, fieldErrors(p)
			if len(page.Errors) == 0 {
				page.Error = p.Detail
			}
		}
	} else {
		status = http.StatusBadRequest
	}
	if status != http.StatusOK {
		page.Known = s.cfg.Channels
		return s.render(w, r, pageView{Template: "kpis", Title: "KPIs", Active: "kpis", Status: status, Data: page})
	}
	page.Cases = data.Overall.All.Cases
	page.Cards = kpiRow(data.Overall.All)
	page.FollowUps = followUpRows(data.FollowUps)
	page.Range = fmt.Sprintf("%s to %s (%d ISO weeks, %s to %s)", data.From.Format(time.DateOnly),
		data.To.AddDate(0, 0, -1).Format(time.DateOnly), len(data.Weeks), readable.ISOWeek(data.From), readable.ISOWeek(data.To.AddDate(0, 0, -1)))
	for _, c := range data.Overall.Channels {
		name := c.Channel
		if name == "" {
			name = "(no channel)"
		}
		page.Channels = append(page.Channels, kpiRowView{Name: name, Cases: c.KPIs.Cases, Cells: kpiRow(c.KPIs)})
	}
	for _, wk := range data.Weeks {
		page.Weeks = append(page.Weeks, kpiRowView{Name: wk.Week, Start: wk.Start, Cases: wk.All.Cases, Cells: kpiRow(wk.All)})
	}
	known := map[string]bool{}
	for _, c := range append(append([]string{}, data.Channels...), s.cfg.Channels...) {
		if c != "" && !known[c] {
			known[c] = true
			page.Known = append(page.Known, c)
		}
	}
	scope := "all channels"
	if page.Channel != "" {
		scope = "channel " + page.Channel
	}
	for _, k := range kpiList {
		alt := fmt.Sprintf("%s per week (%s) with its target line", k.Label, scope)
		if k.NoTarget {
			alt = fmt.Sprintf("%s per week (%s)", k.Label, scope)
		}
		page.Charts = append(page.Charts, kpiChart{Key: k.Key, Label: k.Label, NoTarget: k.NoTarget,
			URL: "/ui/kpis/" + k.Key + ".svg?" + chartQuery(in), Alt: alt})
	}
	return s.render(w, r, pageView{Template: "kpis", Title: "KPIs", Active: "kpis", Data: page})
}

// chartQuery is the page's filters for a chart's URL.
func chartQuery(in url.Values) string {
	v := url.Values{}
	for _, k := range []string{"from", "to", "channel", "flow"} {
		if x := in.Get(k); x != "" {
			v.Set(k, x)
		}
	}
	return v.Encode()
}

// kPIChart draws one KPI per week, with its target line, for the
// page's filters.
func (s *Web) kPIChart(w http.ResponseWriter, r *http.Request) error {
	k, ok := kpiByKey(chi.URLParam(r, "key"))
	if !ok {
		keys := make([]string, len(kpiList))
		for i, k := range kpiList {
			keys[i] = k.Key
		}
		return httpx.NotFound(fmt.Sprintf("no KPI %q; the KPIs are %s", chi.URLParam(r, "key"), strings.Join(keys, ", ")))
	}
	q, errs := kpiQuery(r.URL.Query())
	for f, msg := range errs {
		return httpx.BadParam(f, msg)
	}
	// The page that links this chart read the same KPIs a moment ago.
	data, ok := s.kpiMemo.get(q.Encode(), s.now())
	if !ok {
		var err error
		data, err = apiGet[apiv1.ServiceKPIs](s, r, "/api/v1/kpis/service?"+q.Encode())
		if err != nil {
			return err
		}
		s.kpiMemo.put(q.Encode(), data, s.now())
	}
	name := "all channels"
	if data.Channel != "" {
		name = data.Channel
	}
	series := chartSeries{Name: name}
	for _, wk := range data.Weeks {
		v := k.get(wk.All)
		pt := chartPoint{X: wk.Start, Missing: v.Value == nil}
		if v.Value != nil {
			pt.Y = *v.Value
		}
		series.Points = append(series.Points, pt)
	}
	t := k.get(data.Overall.All)
	c := lineChart{Title: k.Label + " per week", YLabel: k.Label, Series: []chartSeries{series}, Duration: k.Duration, Percent: k.Percent}
	if !k.NoTarget {
		target := t.Target
		c.Target, c.TargetLabel = &target, "target "+k.target(t)
	}
	svg, err := lineChartSVG(c)
	if err != nil {
		return httpx.Internal(err)
	}
	writeChartSVG(w, svg)
	return nil
}
