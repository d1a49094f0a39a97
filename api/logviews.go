package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/dotlayout"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// The views of an event log (decision 0029 defines every number; package
// discovery computes them, the same for the API, the web UI, the CLI and
// the exports).

// logQuery is what every view of a log takes: the log, the filters and the
// business calendar.
type logQuery struct {
	ID                 string
	From, To           time.Time
	Variant            int
	Attr, Value        string
	Contains, Excludes []string
	Calendar           string
}

func (q logQuery) filtered() bool {
	return !q.From.IsZero() || !q.To.IsZero() || q.Variant > 0 || q.Attr != "" || len(q.Contains) > 0 || len(q.Excludes) > 0
}

// logView is a view's input: the loaded log, the (filtered) log the view
// reads, and the calendar's name.
type logView struct {
	row      store.EventLog
	loaded   *loadedLog
	log      discovery.Log
	filtered bool
	calendar string
	release  func()
}

// openLogView waits for a view slot, loads the log and applies the
// filters. The caller calls release when done.
func (s *API) openLogView(ctx context.Context, q logQuery) (*logView, error) {
	if q.Value != "" && q.Attr == "" {
		return nil, httpx.BadParam("value", "needs attr: the attribute whose value it is")
	}
	if _, _, err := httpx.TimeRange(q.From, q.To); err != nil {
		return nil, err
	}
	what := fmt.Sprintf("event log %q", q.ID)
	row, err := s.store.GetEventLog(ctx, q.ID)
	if err != nil {
		return nil, httpx.StoreProblem(fmt.Errorf("get log: %w", err), what)
	}
	if row.Status != store.EventLogReady {
		return nil, httpx.Conflict(what + " is still importing; its views are there once it is ready")
	}
	cal, calName, err := s.logCalendar(ctx, q.Calendar)
	if err != nil {
		return nil, err
	}
	wait, cancel := context.WithTimeout(ctx, logViewWait)
	defer cancel()
	select {
	case s.logs.views <- struct{}{}:
	case <-wait.Done():
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wait for a log view: %w", ctx.Err())
		}
		return nil, httpx.Unavailable("the server is busy computing other log views; retry in a moment", nil)
	}
	release := func() { <-s.logs.views }
	ll, err := s.logs.cache.get(ctx, s.store, q.ID)
	if err != nil {
		release()
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return nil, httpx.StoreProblem(err, what)
		}
		return nil, httpx.Internal(err)
	}
	v := &logView{row: row, loaded: ll, log: ll.log, filtered: q.filtered(), calendar: calName, release: release}
	if v.filtered {
		f := discovery.Filter{From: q.From, To: q.To, Attr: q.Attr, Value: q.Value, Contains: q.Contains, Excludes: q.Excludes}
		if q.Variant > 0 {
			variants, _ := ll.ranks()
			if q.Variant > len(variants) {
				release()
				return nil, httpx.Invalid(apiv1.FieldError{Field: "variant", Message: fmt.Sprintf("the log has %d variants; %d is none of them", len(variants), q.Variant)})
			}
			f.Variant = variants[q.Variant-1].Key
		}
		v.log = ll.log.Apply(f)
	}
	v.log = v.log.InCalendar(cal)
	return v, nil
}

// logCalendar resolves the calendar parameter: a flow's key (its default
// version's calendar) or key/calendar-id.
func (s *API) logCalendar(ctx context.Context, ref string) (*flow.Calendar, string, error) {
	if ref == "" {
		return nil, "", nil
	}
	key, id, _ := strings.Cut(ref, "/")
	fv, err := s.store.DefaultFlowVersion(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", httpx.Invalid(apiv1.FieldError{Field: "calendar", Message: fmt.Sprintf("no flow %q: name a flow (its default version's calendar) or flow/calendar-id", key)})
	}
	if err != nil {
		return nil, "", httpx.StoreProblem(fmt.Errorf("calendar flow: %w", err), "flow "+strconv.Quote(key))
	}
	def, err := compiledDefinition(fv)
	if err != nil {
		return nil, "", err
	}
	if id == "" {
		id = def.Calendar
	}
	for i := range def.Calendars {
		if def.Calendars[i].ID == id {
			return &def.Calendars[i], key + "/" + id, nil
		}
	}
	ids := make([]string, 0, len(def.Calendars))
	for _, c := range def.Calendars {
		ids = append(ids, c.ID)
	}
	msg := fmt.Sprintf("flow %q has no calendar", key)
	if id != "" {
		msg = fmt.Sprintf("flow %q has no calendar %q", key, id)
	}
	if len(ids) > 0 {
		msg += "; its calendars: " + strings.Join(ids, ", ")
	}
	return nil, "", httpx.Invalid(apiv1.FieldError{Field: "calendar", Message: msg})
}

func toLogQuantiles(q discovery.Quantiles) apiv1.LogQuantiles {
	return apiv1.LogQuantiles{N: q.N, P50: q.P50, P90: q.P90, P95: q.P95}
}

func optLogQuantiles(q *discovery.Quantiles) *apiv1.LogQuantiles {
	if q == nil {
		return nil
	}
	out := toLogQuantiles(*q)
	return &out
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *API) getLogSummary(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogViewParams](r)
	if err != nil {
		return err
	}
	v, err := s.openLogView(r.Context(), logQuery(q))
	if err != nil {
		return err
	}
	defer v.release()
	row := v.row
	sum := discovery.Summarize(v.log)
	ct := discovery.CycleTimesOf(v.log)
	out := apiv1.LogSummary{Log: toEventLogJSON(row, nil), Filtered: v.filtered, Cases: sum.Cases, Events: sum.Events,
		Activities: sum.Activities, Resources: sum.Resources, Variants: sum.Variants, First: timePtr(sum.First), Last: timePtr(sum.Last),
		Calendar: v.calendar,
		CycleTime: apiv1.LogCycleTimes{LogQuantiles: toLogQuantiles(ct.Quantiles), Min: ct.Min, Max: ct.Max,
			Buckets: []apiv1.LogBucket{}, Business: optLogQuantiles(ct.Business)}}
	for _, b := range ct.Buckets {
		out.CycleTime.Buckets = append(out.CycleTime.Buckets, apiv1.LogBucket{UpTo: b.UpTo, Cases: b.Cases})
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

type offsetCursorJSON struct {
	Offset int `json:"o"`
}

// pageOffset reads an offset cursor.
func pageOffset(cursor string) (int, error) {
	if cursor == "" {
		return 0, nil
	}
	var c offsetCursorJSON
	if err := httpx.DecodeCursor(cursor, &c); err != nil || c.Offset <= 0 {
		return 0, httpx.BadCursor()
	}
	return c.Offset, nil
}

// nextOffset is the cursor after a page of limit items at offset of total.
func nextOffset(offset, limit, total int) (string, error) {
	if offset+limit >= total {
		return "", nil
	}
	c, err := httpx.EncodeCursor(offsetCursorJSON{Offset: offset + limit})
	if err != nil {
		return "", httpx.Internal(err)
	}
	return c, nil
}

func pageQuery(q apiv1.LogPageParams) logQuery {
	return logQuery{ID: q.ID, From: q.From, To: q.To, Variant: q.Variant, Attr: q.Attr, Value: q.Value, Contains: q.Contains,
		Excludes: q.Excludes, Calendar: q.Calendar}
}

// openLogPage is openLogView of a paged view: its parameters, the offset
// its cursor names, and the view.
func (s *API) openLogPage(r *http.Request) (apiv1.LogPageParams, int, *logView, error) {
	q, err := httpx.ParamsOf[apiv1.LogPageParams](r)
	if err != nil {
		return q, 0, nil, err
	}
	offset, err := pageOffset(q.Cursor)
	if err != nil {
		return q, 0, nil, err
	}
	v, err := s.openLogView(r.Context(), pageQuery(q))
	return q, offset, v, err
}

func (s *API) listLogVariants(w http.ResponseWriter, r *http.Request) error {
	q, offset, v, err := s.openLogPage(r)
	if err != nil {
		return err
	}
	defer v.release()
	all, rankOf := v.loaded.ranks()
	variants := all
	if v.filtered || v.calendar != "" {
		variants = discovery.Variants(v.log)
	}
	cases := 0
	for _, vr := range variants {
		cases += vr.Cases
	}
	out := apiv1.LogVariantList{Variants: []apiv1.LogVariant{}, Total: len(variants), Cases: cases}
	for i := offset; i < len(variants) && i < offset+q.Limit; i++ {
		vr := variants[i]
		out.Variants = append(out.Variants, apiv1.LogVariant{Rank: rankOf[vr.Key], Activities: vr.Activities, Cases: vr.Cases,
			Share: vr.Share, CycleP50: vr.CycleP50, BusinessCycleP50: vr.BusinessCycleP50})
	}
	if out.NextCursor, err = nextOffset(offset, q.Limit, len(variants)); err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) listLogCases(w http.ResponseWriter, r *http.Request) error {
	q, offset, v, err := s.openLogPage(r)
	if err != nil {
		return err
	}
	defer v.release()
	_, rankOf := v.loaded.ranks()
	cases := v.log.Cases
	out := apiv1.LogCaseList{Cases: []apiv1.LogCase{}, Total: len(cases)}
	for i := offset; i < len(cases) && i < offset+q.Limit; i++ {
		c := cases[i]
		if len(c.Events) == 0 {
			continue
		}
		lc := apiv1.LogCase{ID: c.ID, Variant: rankOf[discovery.VariantKey(c)], Events: len(c.Events), First: c.Events[0].Time.UTC(),
			Last: c.Events[len(c.Events)-1].Time.UTC(), CycleTime: discovery.CycleTime(c).Seconds()}
		for _, a := range c.Attrs {
			lc.Attrs = append(lc.Attrs, apiv1.LogAttr{Name: a.Name, Value: a.Value})
		}
		if q.Events == "true" {
			for _, e := range c.Events {
				lc.EventDetail = append(lc.EventDetail, apiv1.LogEvent{Activity: e.Activity, Time: e.Time.UTC(), Start: utcPtr(e.Start),
					Resource: e.Resource, Group: e.Group})
			}
		}
		out.Cases = append(out.Cases, lc)
	}
	if out.NextCursor, err = nextOffset(offset, q.Limit, len(cases)); err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// logMapOf is the view's process map, simplified by the sliders.
func logMapOf(l discovery.Log, activities, paths int) apiv1.LogMap {
	full := discovery.DirectlyFollows(l)
	g := full
	if activities < 100 || paths < 100 {
		g = discovery.Simplify(full, float64(activities)/100, float64(paths)/100)
	}
	countActs := func(ns []discovery.Node) int {
		n := 0
		for _, x := range ns {
			if x.Activity != discovery.StartNode && x.Activity != discovery.EndNode {
				n++
			}
		}
		return n
	}
	out := apiv1.LogMap{Start: discovery.StartNode, End: discovery.EndNode, Activities: countActs(g.Nodes), ActivitiesTotal: countActs(full.Nodes),
		Paths: len(g.Edges), PathsTotal: len(full.Edges), Nodes: []apiv1.LogNode{}, Edges: []apiv1.LogEdge{}}
	for _, n := range g.Nodes {
		out.Nodes = append(out.Nodes, apiv1.LogNode{Activity: n.Activity, Count: n.Count, Cases: n.Cases})
	}
	for _, e := range g.Edges {
		le := apiv1.LogEdge{From: e.From, To: e.To, Count: e.Count, BusinessDuration: optLogQuantiles(e.BusinessDuration)}
		if e.Duration.N > 0 {
			d := toLogQuantiles(e.Duration)
			le.Duration = &d
		}
		out.Edges = append(out.Edges, le)
	}
	return out
}

func (s *API) getLogMap(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogMapParams](r)
	if err != nil {
		return err
	}
	v, err := s.openLogView(r.Context(), logMapQuery(q))
	if err != nil {
		return err
	}
	defer v.release()
	httpx.WriteJSON(s.log, w, r, http.StatusOK, logMapOf(v.log, q.Activities, q.Paths))
	return nil
}

// renderLogMap draws the map with Graphviz.
func (s *API) renderLogMap(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogMapParams](r)
	if err != nil {
		return err
	}
	v, err := s.openLogView(r.Context(), logMapQuery(q))
	if err != nil {
		return err
	}
	m := logMapOf(v.log, q.Activities, q.Paths)
	v.release() // the drawing has its own slots
	fm := toFlowgraphMap(m)
	if why := fm.TooLarge(s.cfg.GraphLimits); why != "" {
		return httpx.NewProblem(http.StatusUnprocessableEntity, apiv1.ProblemGraphTooLarge, "Map too large to draw",
			"the map is not drawn: "+why+"; keep fewer activities or paths (activities=, paths=), or read getLogMap")
	}
	svg, err := s.graphs.SVG(r.Context(), flowgraph.MapDOT(fm, flowgraph.MapView(q.View)))
	if err != nil {
		return logMapLayoutProblem(err)
	}
	w.Header().Set("Content-Type", mimeSVG)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(svg)
	return nil
}

func logMapQuery(q apiv1.LogMapParams) logQuery {
	return logQuery{ID: q.ID, From: q.From, To: q.To, Variant: q.Variant, Attr: q.Attr, Value: q.Value, Contains: q.Contains,
		Excludes: q.Excludes, Calendar: q.Calendar}
}

// toFlowgraphMap is the map as the renderer takes it.
func toFlowgraphMap(m apiv1.LogMap) flowgraph.Map {
	out := flowgraph.Map{Start: m.Start, End: m.End}
	for _, n := range m.Nodes {
		out.Nodes = append(out.Nodes, flowgraph.MapNode{ID: n.Activity, Label: n.Activity, Count: n.Count, Cases: n.Cases})
	}
	for _, e := range m.Edges {
		me := flowgraph.MapEdge{From: e.From, To: e.To, Count: e.Count}
		if e.Duration != nil {
			me.P50, me.P90, me.HasDuration = e.Duration.P50, e.Duration.P90, true
		}
		out.Edges = append(out.Edges, me)
	}
	return out
}

// logMapLayoutProblem answers a map layout that failed, as graph.svg's.
func logMapLayoutProblem(err error) *httpx.Problem {
	switch {
	case errors.Is(err, dotlayout.ErrTooComplex):
		p := httpx.NewProblem(http.StatusUnprocessableEntity, apiv1.ProblemGraphTooLarge, "Map too large to draw",
			"the map is not drawn: "+layoutReason(err)+"; keep fewer activities or paths")
		p.Cause = err
		return p
	case errors.Is(err, dotlayout.ErrBusy):
		p := httpx.NewProblem(http.StatusServiceUnavailable, apiv1.ProblemGraphLayoutBusy, "Too many graphs being drawn",
			"the map is not drawn: the server is drawing as many graphs as it may at once; retry after the Retry-After seconds")
		p.RetryAfter = 5
		p.Cause = err
		return p
	default:
		return httpx.Internal(err)
	}
}

func (s *API) getLogActivities(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogViewParams](r)
	if err != nil {
		return err
	}
	v, err := s.openLogView(r.Context(), logQuery(q))
	if err != nil {
		return err
	}
	defer v.release()
	out := apiv1.LogActivities{Cases: len(v.log.Cases), Activities: []apiv1.LogActivity{}}
	for _, a := range discovery.Activities(v.log) {
		out.Activities = append(out.Activities, apiv1.LogActivity{Activity: a.Activity, Count: a.Count, Cases: a.Cases,
			Wait: toLogQuantiles(a.Wait), Work: toLogQuantiles(a.Work), BusinessWait: optLogQuantiles(a.BusinessWait),
			BusinessWork: optLogQuantiles(a.BusinessWork), Share: a.Share, Bottleneck: a.Bottleneck, Rework: a.Rework, PingPong: a.PingPong})
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func toLogHandoffs(hs []discovery.Handoff) []apiv1.LogHandoff {
	out := make([]apiv1.LogHandoff, 0, len(hs))
	for _, h := range hs {
		out = append(out, apiv1.LogHandoff{From: h.From, To: h.To, Count: h.Count, Cases: h.Cases})
	}
	return out
}

func (s *API) getLogHandoffs(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.LogViewParams](r)
	if err != nil {
		return err
	}
	v, err := s.openLogView(r.Context(), logQuery(q))
	if err != nil {
		return err
	}
	defer v.release()
	h := discovery.HandoffsOf(v.log)
	pc := func(p discovery.PerCase) apiv1.LogPerCase {
		return apiv1.LogPerCase{Mean: p.Mean, P50: p.P50, P90: p.P90, P95: p.P95}
	}
	out := apiv1.LogHandoffs{Cases: len(v.log.Cases), Resources: toLogHandoffs(h.Resources), Groups: toLogHandoffs(h.Groups),
		PerCaseResources: pc(h.PerCaseResources), PerCaseGroups: pc(h.PerCaseGroups)}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}
