package web

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/graphview"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/readable"
)

// Process owners: flows, versions, the YAML editor, diffs, the graph with its heat map, step statistics, trends and migrations.
var ownerPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/flows", Roles: authz.FlowViewers, Handle: (*Web).flows},
	{Method: http.MethodGet, Pattern: "/flows/new", Roles: authz.FlowEditors, Handle: (*Web).flowNew},
	{Method: http.MethodPost, Pattern: "/flows/new", Roles: authz.FlowEditors, Handle: (*Web).flowPublishNew},
	{Method: http.MethodPost, Pattern: "/flows/validate", Roles: authz.FlowEditors, Handle: (*Web).flowValidate},
	{Method: http.MethodGet, Pattern: "/flows/{key}", Roles: authz.FlowViewers, Handle: (*Web).flow},
	{Method: http.MethodGet, Pattern: "/flows/{key}/versions/{v}/graph.svg", Roles: authz.FlowViewers, Handle: (*Web).flowGraphSVG},
	{Method: http.MethodGet, Pattern: "/flows/{key}/trend.svg", Roles: authz.FlowViewers, Handle: (*Web).flowTrendSVG},
	{Method: http.MethodPost, Pattern: "/flows/{key}/default", Roles: authz.FlowEditors, Handle: (*Web).flowSetDefault},
	{Method: http.MethodPost, Pattern: "/flows/{key}/versions/{v}/retire", Roles: authz.FlowEditors, Handle: (*Web).flowRetire},
	{Method: http.MethodGet, Pattern: "/flows/{key}/edit", Roles: authz.FlowEditors, Handle: (*Web).flowEdit},
	{Method: http.MethodPost, Pattern: "/flows/{key}/versions", Roles: authz.FlowEditors, Handle: (*Web).flowPublish},
	{Method: http.MethodGet, Pattern: "/flows/{key}/diff", Roles: authz.FlowViewers, Handle: (*Web).flowDiff},
	{Method: http.MethodGet, Pattern: "/flows/{key}/migrate", Roles: authz.FlowEditors, Handle: (*Web).flowMigrate},
	{Method: http.MethodPost, Pattern: "/flows/{key}/migrate", Roles: authz.FlowEditors, Handle: (*Web).flowMigrateRun},
}

// canManageFlows reports whether the signed-in actor may publish, choose
// defaults, retire and migrate: the other readers see the pages without
// those controls.
func canManageFlows(r *http.Request) bool {
	return authz.Allowed(authz.FlowEditors, actorOf(r.Context()).Role)
}

// flowPath is the UI path of a flow's page plus the given suffix.
func flowPath(key string, suffix ...string) string {
	return UIPath + "/flows/" + url.PathEscape(key) + strings.Join(suffix, "")
}

// apiFlowPath is the API path of a flow plus the given suffix.
func apiFlowPath(key string, suffix ...string) string {
	return "/api/v1/flows/" + url.PathEscape(key) + strings.Join(suffix, "")
}

// ---- /ui/flows ----

type flowRow struct {
	apiv1.FlowSummary
	// OpenCases counts the flow's active cases up to openCasesCap;
	// OpenMore says there are more.
	OpenCases int
	OpenMore  bool
	// Watched: the flow, or a step of it, is on the watchlist (listed
	// first).
	Watched bool
}

type flowsPage struct {
	Flows      []flowRow
	NextCursor string
	CanManage  bool
}

// openCasesCap bounds the active cases counted per flow on the list.
const openCasesCap = 100

func (s *Web) flows(w http.ResponseWriter, r *http.Request) error {
	q := url.Values{"limit": {"50"}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	list, err := apiGet[apiv1.FlowList](s, r, "/api/v1/flows?"+q.Encode())
	if err != nil {
		return err
	}
	page := flowsPage{NextCursor: list.NextCursor, CanManage: canManageFlows(r), Flows: make([]flowRow, len(list.Flows))}
	for i, f := range list.Flows {
		page.Flows[i].FlowSummary = f
		cq := url.Values{"flow": {f.Key}, "status": {"active"}, "limit": {strconv.Itoa(openCasesCap)}}
		cases, err := apiGet[apiv1.CaseList](s, r, "/api/v1/cases?"+cq.Encode())
		if err != nil {
			return err
		}
		page.Flows[i].OpenCases, page.Flows[i].OpenMore = len(cases.Cases), cases.NextCursor != ""
	}
	if wl, err := apiGet[apiv1.Watchlist](s, r, "/api/v1/watchlist"); err == nil {
		for i := range page.Flows {
			page.Flows[i].Watched = slices.ContainsFunc(wl.Watches, func(w apiv1.Watch) bool { return w.Flow == page.Flows[i].Key })
		}
		// The watchlist's flows first, each group in the API's order.
		slices.SortStableFunc(page.Flows, func(a, b flowRow) int {
			switch {
			case a.Watched == b.Watched:
				return 0
			case a.Watched:
				return -1
			}
			return 1
		})
	}
	return s.render(w, r, pageView{Template: "flows", Title: "Flows", Active: "flows", Data: page})
}

// ---- /ui/flows/{key} ----

type versionRow struct {
	apiv1.FlowVersion
	HashShort string
	OpenCases int
}

// heatOption is one metric of the heat selector.
type heatOption struct {
	Value, Label string
}

// heatOptions are the heat map's metrics (the API's graph.svg heat values).
var heatOptions = []heatOption{
	{"wait_p90", "Waiting time p90"},
	{"work_p90", "Working time p90"},
	{"share", "Share of cycle time"},
	{"breach", "SLA breach rate"},
	{"business_wait_p90", "Waiting time p90 (business hours)"},
	{"business_work_p90", "Working time p90 (business hours)"},
	{"none", "No heat map (departments)"},
}

// flowStepRow is one row of the per-step table: the bottlenecks
// endpoint's numbers and the step's name from the definition.
type flowStepRow struct {
	apiv1.StepStats
	Name string
}

// swatch is one colour of the HTML legend.
type swatch struct {
	Colour, Label string
}

type heatLegend struct {
	Heat        bool
	Metric      string
	Scale       []swatch
	ScaleText   string // what the scale is (from the data, or up to the alert threshold), with units
	Warn, Alert string
	Departments []swatch
}

type flowPage struct {
	Key, Name, Description string
	Version                int // the version shown
	DefaultVersion         int
	LatestVersion          int
	Versions               []versionRow
	OpenCases              int
	OpenMore               bool
	CanManage              bool
	Error                  string // an action's failure, shown above the versions

	// The graph, its heat map and the period.
	Heat, Warn, Alert string
	WarnDefault       string
	AlertDefault      string
	Heats             []heatOption
	From, To          string // the period, YYYY-MM-DD (to inclusive)
	FieldErrors       map[string]string
	GraphURL          string
	GraphAlt          string
	GraphTooLarge     string // why the graph is not drawn (size limits); shown instead of the image
	Legend            heatLegend
	Steps             []flowStepRow
	// AssignSplit: rules or leads assigned some tasks: the page splits
	// the task steps' waiting at the assignment (decision 0036).
	AssignSplit bool
	Cases       int
	Bottleneck  *flowStepRow
	Source      string
	Trend       *trendSection
}

// periodParams reads the period filter (dates, the "to" day included) and
// returns it as the API's RFC 3339 bounds.
func periodParams(q url.Values, errs map[string]string) (fromDay, toDay string, from, to time.Time) {
	parse := func(name string) (string, time.Time) {
		raw := strings.TrimSpace(q.Get(name))
		if raw == "" {
			return "", time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			errs[name] = fmt.Sprintf("must be a date like 2025-03-01, got %q", raw)
			return raw, time.Time{}
		}
		return raw, t
	}
	fromDay, from = parse("from")
	toDay, to = parse("to")
	if !to.IsZero() {
		to = to.AddDate(0, 0, 1) // the whole last day
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		errs["to"] = "must not be before from"
		from, to = time.Time{}, time.Time{}
	}
	return fromDay, toDay, from, to
}

// periodQuery is the API's from/to query of a period.
func periodQuery(from, to time.Time) url.Values {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.UTC().Format(time.RFC3339))
	}
	if !to.IsZero() {
		q.Set("to", to.UTC().Format(time.RFC3339))
	}
	return q
}

func (s *Web) flow(w http.ResponseWriter, r *http.Request) error {
	return s.renderFlowPage(w, r, http.StatusOK, "")
}

// renderFlowPage renders a flow's page; status and msg report an action
// that failed (a 409 from the API).
func (s *Web) renderFlowPage(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	key := chi.URLParam(r, "key")
	q := r.URL.Query()
	dq := url.Values{}
	if v := q.Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return httpx.BadParam("version", fmt.Sprintf("must be a version number (1 or more), got %q", v))
		}
		dq.Set("version", v)
	}
	path := apiFlowPath(key)
	if len(dq) > 0 {
		path += "?" + dq.Encode()
	}
	detail, err := apiGet[apiv1.FlowDetail](s, r, path)
	if err != nil {
		return err
	}
	var def flow.Definition
	if err := json.Unmarshal(detail.Definition, &def); err != nil {
		return httpx.Internal(fmt.Errorf("ui: definition of %s v%d: %w", key, detail.Version, err))
	}
	page := flowPage{Key: detail.Key, Name: detail.Name, Description: def.Description, Version: detail.Version,
		DefaultVersion: detail.DefaultVersion, CanManage: canManageFlows(r), Error: msg, Source: detail.Source,
		Heats: heatOptions, FieldErrors: map[string]string{}}

	// Versions, with the active cases on each (up to one page of 500).
	cq := url.Values{"flow": {key}, "status": {"active"}, "limit": {"500"}}
	cases, err := apiGet[apiv1.CaseList](s, r, "/api/v1/cases?"+cq.Encode())
	if err != nil {
		return err
	}
	page.OpenCases, page.OpenMore = len(cases.Cases), cases.NextCursor != ""
	perVersion := map[int]int{}
	for _, c := range cases.Cases {
		perVersion[c.Version]++
	}
	for _, v := range detail.Versions {
		page.Versions = append(page.Versions, versionRow{FlowVersion: v, HashShort: shortHash(v.Hash), OpenCases: perVersion[v.Version]})
		page.LatestVersion = max(page.LatestVersion, v.Version)
	}

	// The period and the heat map's settings.
	var from, to time.Time
	page.From, page.To, from, to = periodParams(q, page.FieldErrors)
	page.Heat = q.Get("heat")
	if page.Heat == "" {
		page.Heat = string(flowgraph.MetricWaitP90)
	}
	if page.Heat != "none" && !flowgraph.Metric(page.Heat).Valid() {
		page.FieldErrors["heat"] = fmt.Sprintf("unknown heat map %q", page.Heat)
		page.Heat = string(flowgraph.MetricWaitP90)
	}
	page.Warn, page.Alert = strings.TrimSpace(q.Get("warn")), strings.TrimSpace(q.Get("alert"))
	var heat *flowgraph.Heat
	if page.Heat != "none" {
		m := flowgraph.Metric(page.Heat)
		th := m.DefaultThresholds()
		page.WarnDefault, page.AlertDefault = thresholdText(m, th.Warn), thresholdText(m, th.Alert)
		// The API's own check of the thresholds (graphHeat), so the image
		// below never fails on them: a bad one is shown at its field and
		// left out.
		for _, f := range []struct {
			name string
			val  *string
		}{{"warn", &page.Warn}, {"alert", &page.Alert}} {
			if *f.val == "" {
				continue
			}
			if _, err := m.ParseThreshold(*f.val); err != nil {
				page.FieldErrors[f.name] = err.Error()
				*f.val = ""
			}
		}
		h, err := graphview.Heat(apiv1.GraphSVGParams{Heat: page.Heat, Warn: page.Warn, Alert: page.Alert})
		if err != nil {
			page.FieldErrors["warn"] = problemText(err)
			page.Warn = ""
			if h, err = graphview.Heat(apiv1.GraphSVGParams{Heat: page.Heat, Alert: page.Alert}); err != nil {
				return err
			}
		}
		heat = h
	}

	// The per-step statistics of the version shown.
	bq := periodQuery(from, to)
	bq.Set("version", strconv.Itoa(detail.Version))
	rep, err := apiGet[apiv1.Bottlenecks](s, r, apiFlowPath(key, "/bottlenecks?")+bq.Encode())
	if err != nil {
		return err
	}
	page.Cases = rep.Cases
	names := map[string]string{}
	for _, st := range def.Steps {
		names[st.ID] = st.Name
	}
	for _, st := range rep.Steps {
		row := flowStepRow{StepStats: st, Name: names[st.Step]}
		page.Steps = append(page.Steps, row)
		page.AssignSplit = page.AssignSplit || st.Assigned > 0
		if st.Bottleneck {
			b := row
			page.Bottleneck = &b
		}
	}

	// The graph image (our route proxies the API's graph.svg) and its legend.
	gq := url.Values{}
	if heat != nil {
		gq = periodQuery(from, to)
		gq.Set("heat", page.Heat)
		if page.Warn != "" {
			gq.Set("warn", page.Warn)
		}
		if page.Alert != "" {
			gq.Set("alert", page.Alert)
		}
	}
	page.GraphURL = flowPath(key, "/versions/", strconv.Itoa(detail.Version), "/graph.svg")
	if len(gq) > 0 {
		page.GraphURL += "?" + gq.Encode()
	}
	page.GraphTooLarge = graphview.SizeRefusal(&def, s.cfg.GraphLimits)
	page.Legend = legendFor(&def, heat, rep)
	page.GraphAlt = graphAlt(page, heat)

	// The weekly trend of the cycle time: every version, or the shown one.
	trendVersion := 0
	if q.Get("trend") == "version" {
		trendVersion = detail.Version
	}
	if page.Trend, err = s.trendFor(r, key, detail.Version, trendVersion, from, to); err != nil {
		return err
	}

	return s.render(w, r, pageView{Template: "flow", Title: detail.Name, Active: "flows", Status: status, Data: page})
}

// thresholdText writes a threshold as the graph's warn/alert parameters
// take it.
func thresholdText(m flowgraph.Metric, v float64) string {
	if m.IsDuration() {
		return flowgraph.FormatSeconds(v)
	}
	return strconv.FormatFloat(v*100, 'f', -1, 64) + "%"
}

// problemText is the detail of a problem (or the error's text).
func problemText(err error) string {
	if p, ok := err.(*httpx.Problem); ok {
		for _, fe := range p.Errors {
			return fe.Message
		}
		return p.Detail
	}
	return err.Error()
}

// legendFor is the HTML legend beside the graph: the heat scale and
// thresholds as graph.svg draws them (the same statistics and
// flowgraph.HeatColour), and the departments' colours.
func legendFor(def *flow.Definition, heat *flowgraph.Heat, rep apiv1.Bottlenecks) heatLegend {
	var l heatLegend
	for _, d := range flowgraph.Build(def).Departments {
		l.Departments = append(l.Departments, swatch{Colour: d.Colour, Label: readable.Name(d.Name)})
	}
	if heat == nil {
		return l
	}
	h := *heat
	h.Stats = graphview.StatsByStep(rep)
	scale := h.Scale()
	l.Heat, l.Metric = true, h.Metric.Title()
	names := [5]string{"", " (25th percentile)", " (median)", " (75th percentile)", " (largest)"}
	for i, v := range scale.Stops {
		label := h.Metric.FormatValue(v)
		if scale.FromData && scale.Stops[4] > 0 {
			label += names[i]
		}
		l.Scale = append(l.Scale, swatch{Colour: flowgraph.HeatColour(float64(i)/4, 1), Label: label})
	}
	if scale.FromData {
		l.ScaleText = "Scale from the data (no threshold set): white is 0, then each colour is a quartile of the steps' " +
			h.Metric.Title() + "; red is the largest."
		if !(scale.Stops[4] > 0) {
			l.ScaleText = "Scale from the data (no threshold set): no step has a " + h.Metric.Title() + " above 0 in the period."
		}
	} else {
		l.ScaleText = "White: 0; red: " + h.Metric.FormatValue(scale.Stops[4]) + " or more (the alert threshold, or the largest value above it)."
	}
	l.Warn = h.Metric.FormatValue(h.Thresholds.Warn)
	l.Alert = h.Metric.FormatValue(h.Thresholds.Alert)
	return l
}

// graphAlt describes the graph for people who cannot see it.
func graphAlt(p flowPage, heat *flowgraph.Heat) string {
	alt := fmt.Sprintf("Flow graph of %s version %d", p.Name, p.Version)
	if heat == nil {
		return alt + ", steps coloured by department"
	}
	label := heat.Metric.Title()
	for _, h := range heatOptions {
		if h.Value == string(heat.Metric) {
			label = h.Label
		}
	}
	if len(label) > 1 && label[1] >= 'a' && label[1] <= 'z' { // "Waiting time" but "SLA"
		label = strings.ToLower(label[:1]) + label[1:]
	}
	alt += ", steps coloured white to red by " + label
	if p.Bottleneck != nil {
		alt += "; the bottleneck is " + p.Bottleneck.Step
	}
	return alt
}

// flowGraphSVG serves the API's graph.svg of a version (with its heat
// overlay) to the page's <img>.
func (s *Web) flowGraphSVG(w http.ResponseWriter, r *http.Request) error {
	key, v := chi.URLParam(r, "key"), chi.URLParam(r, "v")
	q := url.Values{}
	for _, name := range []string{"heat", "warn", "alert", "from", "to", "variant"} {
		if val := r.URL.Query().Get(name); val != "" {
			q.Set(name, val)
		}
	}
	path := apiFlowPath(key, "/versions/", url.PathEscape(v), "/graph.svg")
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	res, err := s.callAPI(r, http.MethodGet, path, nil, nil)
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		if p.Type != httpx.ProblemBase+apiv1.ProblemGraphTooLarge && p.Type != httpx.ProblemBase+apiv1.ProblemGraphLayoutBusy {
			return p
		}
		// The page's <img> shows the refusal in words.
		w.Header().Set("Content-Type", "image/svg+xml")
		w.Header().Set("Cache-Control", "no-store")
		if ra := res.Header.Get("Retry-After"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		w.WriteHeader(p.Status)
		_, _ = w.Write(messageSVG(p.Title, p.Detail))
		return nil
	}
	w.Header().Set("Content-Type", res.Header.Get("Content-Type"))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(res.Body)
	return nil
}

// ---- actions on versions ----

func (s *Web) flowSetDefault(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	key := chi.URLParam(r, "key")
	v, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || v < 1 {
		return httpx.BadRequest("version: must be a version number (1 or more)")
	}
	res, err := s.callAPI(r, http.MethodPut, apiFlowPath(key, "/default"), apiv1.SetDefaultRequest{Version: v}, nil)
	if err != nil {
		return err
	}
	return s.afterVersionAction(w, r, key, res, fmt.Sprintf("Version %d is now the default: new cases get it.", v))
}

func (s *Web) flowRetire(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	key, v := chi.URLParam(r, "key"), chi.URLParam(r, "v")
	res, err := s.callAPI(r, http.MethodPost, apiFlowPath(key, "/versions/", url.PathEscape(v), "/retire"), nil, nil)
	if err != nil {
		return err
	}
	return s.afterVersionAction(w, r, key, res, fmt.Sprintf("Version %s is retired: it gets no new cases; running cases finish on it.", v))
}

// afterVersionAction goes back to the flow page with the outcome: a flash
// after success, the page with the API's message after a refusal (409).
func (s *Web) afterVersionAction(w http.ResponseWriter, r *http.Request, key string, res apiResult, ok string) error {
	if res.OK() {
		http.Redirect(w, r, withFlash(r, flowPath(key), ok, ""), http.StatusSeeOther)
		return nil
	}
	p := res.Problem()
	if p.Status == http.StatusConflict || p.Status == http.StatusUnprocessableEntity {
		r.URL.RawQuery = ""
		return s.renderFlowPage(w, r, p.Status, p.Detail)
	}
	return p
}

// shortHash is the first 12 hex digits of a content hash.
func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// messageSVG is an image that says title and detail in words, wrapped at
// about 70 characters: what the graph's <img> shows when the graph is not
// drawn.
func messageSVG(title, detail string) []byte {
	lines := []string{}
	var cur string
	for _, w := range strings.Fields(detail) {
		if cur != "" && len(cur)+1+len(w) > 70 {
			lines = append(lines, cur)
			cur = w
			continue
		}
		if cur != "" {
			cur += " "
		}
		cur += w
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	height := 48 + 20*len(lines)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="560" height="%d" viewBox="0 0 560 %d" role="img">`, height, height)
	fmt.Fprintf(&b, `<rect x="0.5" y="0.5" width="559" height="%d" fill="#fff8e1" stroke="#b26a00"/>`, height-1)
	fmt.Fprintf(&b, `<text x="16" y="28" font-family="Helvetica, Arial, sans-serif" font-size="16" font-weight="bold" fill="#333">%s</text>`, html.EscapeString(title))
	for i, l := range lines {
		fmt.Fprintf(&b, `<text x="16" y="%d" font-family="Helvetica, Arial, sans-serif" font-size="13" fill="#333">%s</text>`, 52+20*i, html.EscapeString(l))
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}
