package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/store"
)

// watchRoutes are the routes of the watchlist (issue 21): the flows and
// steps the owners single out for improvement first, with their alerts,
// open PDCA cycles and trend.
var watchRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/watchlist", ID: "getWatchlist", Tag: "alerts",
		Summary: "The watchlist: flows and steps to improve first",
		Description: fmt.Sprintf("Oldest first, at most %d. Each with the alert rules scoped to it, the open PDCA cycles improving its flow, "+
			"and its last %d ISO weeks: a flow's completed cases' cycle time (as the flow trend counts it), a step's completed tasks' "+
			"waiting (as alert metric waiting_p90 counts it), and the SLA breach rate.", store.MaxWatches, watchWeeks),
		Status: http.StatusOK, Response: apiv1.Watchlist{}, Example: apiv1.Watchlist{Watches: []apiv1.Watch{exampleWatch}},
		Handle: (*API).getWatchlist,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/watchlist", ID: "addWatch", Tag: "alerts",
		Summary:     "Put a flow or a step on the watchlist",
		Description: "Owners and admins. A flow and step once (409 after). Audited as `watch.add`.",
		Roles:       authz.FlowEditors,
		Body:        apiv1.WatchRequest{}, BodyExample: apiv1.WatchRequest{Flow: "complaint", Step: "investigate", Note: "the longest wait of the complaint flow"},
		Status: http.StatusCreated, Response: apiv1.Watch{}, Example: exampleWatch,
		Errors: []int{409, 413, 415, 422},
		Audit:  []string{"watch.add"},
		Handle: (*API).addWatch,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/watchlist/{id}", ID: "removeWatch", Tag: "alerts",
		Summary:     "Take a flow or step off the watchlist",
		Description: "Owners and admins. Answers it as it was. Audited as `watch.remove`.",
		Roles:       authz.FlowEditors,
		Params:      apiv1.WatchIDParams{},
		Status:      http.StatusOK, Response: apiv1.Watch{}, Example: exampleWatch,
		Errors: []int{404},
		Audit:  []string{"watch.remove"},
		Handle: (*API).removeWatch,
	},
}

// watchWeeks is how many ISO weeks a watch's trend shows.
const watchWeeks = 8

// maxWatchNote bounds a watch's note.
const maxWatchNote = 500

// maxOpenCycles bounds the open PDCA cycles read for the watchlist.
const maxOpenCycles = 500

func (s *API) getWatchlist(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	ws, err := s.store.ListWatches(ctx)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list watches: %w", err), "watchlist")
	}
	out := apiv1.Watchlist{Watches: []apiv1.Watch{}}
	if len(ws) == 0 {
		httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
		return nil
	}
	rules, err := s.allAlertRules(ctx)
	if err != nil {
		return err
	}
	cycles, err := s.openCycles(ctx)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(ctx)
	departmentOf := s.alertDepartments(ctx)
	for _, wt := range ws {
		v, err := s.watchOf(ctx, wt, rules, cycles, actor, departmentOf)
		if err != nil {
			return err
		}
		out.Watches = append(out.Watches, v)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// allAlertRules reads every rule (at most MaxAlertRules).
func (s *API) allAlertRules(ctx context.Context) ([]store.AlertRule, error) {
	var out []store.AlertRule
	if err := eachAlertRule(ctx, s.store, func(r store.AlertRule) bool { out = append(out, r); return true }); err != nil {
		return nil, httpx.StoreProblem(err, "alert rules")
	}
	return out, nil
}

// openCycles are the open PDCA cycles, newest first (at most
// maxOpenCycles).
func (s *API) openCycles(ctx context.Context) ([]apiv1.Improvement, error) {
	var out []apiv1.Improvement
	p := store.ListCasesParams{Flow: apiv1.PDCAFlow, Status: store.CaseActive}
	for len(out) < maxOpenCycles {
		cs, more, err := s.pageCases(ctx, p, 100)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			v, err := s.improvementOf(ctx, c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		if !more || len(cs) == 0 {
			break
		}
		last := cs[len(cs)-1]
		p.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return out, nil
}

// watchOf is a watch with its alerts, open cycles and trend.
func (s *API) watchOf(ctx context.Context, wt store.Watch, rules []store.AlertRule, cycles []apiv1.Improvement, viewer store.Actor,
	departmentOf func(store.AlertRule) string) (apiv1.Watch, error) {
	v := apiv1.Watch{ID: wt.ID, Flow: wt.Flow, Step: wt.Step, Note: wt.Note, AddedBy: wt.AddedBy, AddedAt: wt.AddedAt.UTC(),
		Measure: "cycle_time", Alerts: []apiv1.AlertRule{}, OpenCycles: []apiv1.Improvement{}}
	if wt.Step != "" {
		v.Measure = "waiting"
		if fv, err := s.store.DefaultFlowVersion(ctx, wt.Flow); err == nil {
			if def := s.definitionOf(ctx, fv.Key, fv.Version); def != nil {
				if st, ok := def.Step(wt.Step); ok {
					v.StepName = st.Name
				}
			}
		}
	}
	for _, r := range rules {
		if r.Scope.Flow != wt.Flow || (wt.Step != "" && r.Scope.Step != "" && r.Scope.Step != wt.Step) {
			continue
		}
		v.Alerts = append(v.Alerts, toAlertJSON(r, departmentOf(r), viewer))
		if r.State == apiv1.AlertFiring {
			v.Firing++
		}
	}
	for _, c := range cycles {
		if c.Flow == wt.Flow {
			v.OpenCycles = append(v.OpenCycles, c)
		}
	}
	trend, err := s.watchTrend(ctx, wt)
	if err != nil {
		return v, err
	}
	v.Trend = trend
	return v, nil
}

// watchTrend is the last watchWeeks ISO weeks of a flow (its completed
// cases by close, kpi.Trend as the flow trend) or a step (its task spans
// by completion, kpi.StepFigures as the alert metrics).
func (s *API) watchTrend(ctx context.Context, wt store.Watch) ([]apiv1.WatchWeek, error) {
	end := weekStart(s.now()).AddDate(0, 0, 7)
	start := end.AddDate(0, 0, -7*watchWeeks)
	out := make([]apiv1.WatchWeek, watchWeeks)
	for i := range out {
		ws := start.Add(time.Duration(i) * week)
		out[i] = apiv1.WatchWeek{Week: readable.ISOWeek(ws), Start: ws, End: ws.Add(week)}
	}
	if wt.Step == "" {
		weeks := make([]kpi.Trend, watchWeeks)
		p := store.CaseMeasuresParams{Flow: wt.Flow, Status: store.CaseCompleted, ByClosedAt: true, From: &start, To: &end}
		err := s.eachMeasure(ctx, p, func(m store.CaseMeasure, e experiment.Case) error {
			if !e.Closed || e.CycleSeconds < 0 {
				return nil
			}
			if i := int(m.ClosedAt.Sub(start) / week); i >= 0 && i < watchWeeks {
				weeks[i].Add(m, e)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for i := range weeks {
			st := weeks[i].Stats()
			out[i].N, out[i].MedianSeconds, out[i].P90Seconds, out[i].SLABreachRate = st.N, st.MedianSeconds, st.P90Seconds, st.SLABreachRate
		}
		return out, nil
	}
	spans, err := s.store.ListSpans(ctx, store.SpanFilter{Flow: wt.Flow, Step: wt.Step, CompletedFrom: &start, CompletedTo: &end, Limit: kpi.MaxAlertSpans + 1})
	if err != nil {
		return nil, httpx.StoreProblem(fmt.Errorf("list spans: %w", err), "spans")
	}
	if len(spans) > kpi.MaxAlertSpans {
		return nil, httpx.NewProblem(http.StatusUnprocessableEntity, "too-many-spans", "Too many spans",
			fmt.Sprintf("step %s of %s completed more than %d tasks in %d weeks; watch the flow instead", wt.Step, wt.Flow, kpi.MaxAlertSpans, watchWeeks))
	}
	weeks := make([]kpi.StepFigures, watchWeeks)
	for _, sp := range spans {
		if i := int(sp.CompletedAt.Sub(start) / week); i >= 0 && i < watchWeeks {
			weeks[i].Add(sp)
		}
	}
	for i := range weeks {
		out[i].N, out[i].MedianSeconds, out[i].P90Seconds, out[i].SLABreachRate = len(weeks[i].Waits), kpi.Quantile(weeks[i].Waits, 0.5),
			weeks[i].WaitP90(), weeks[i].BreachRate()
	}
	return out, nil
}

func (s *API) addWatch(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.WatchRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	ctx := r.Context()
	req.Flow, req.Step, req.Note = strings.TrimSpace(req.Flow), strings.TrimSpace(req.Step), strings.TrimSpace(req.Note)
	if req.Flow == "" {
		return httpx.Invalid(apiv1.FieldError{Field: "flow", Message: "is required: a flow key"})
	}
	if len(req.Note) > maxWatchNote {
		return httpx.Invalid(apiv1.FieldError{Field: "note", Message: fmt.Sprintf("is %d characters; at most %d", len(req.Note), maxWatchNote)})
	}
	fv, err := s.loadFlowVersion(ctx, req.Flow, 0)
	if err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) && p.Status == http.StatusNotFound {
			return httpx.Invalid(apiv1.FieldError{Field: "flow", Message: p.Detail})
		}
		return err
	}
	if req.Step != "" {
		def := s.definitionOf(ctx, fv.Key, fv.Version)
		if def == nil {
			return httpx.Internal(fmt.Errorf("flow %s v%d: the definition cannot be read", fv.Key, fv.Version))
		}
		st, ok := def.Step(req.Step)
		if !ok || st.Kind != flow.KindTask {
			var tasks []string
			for _, x := range def.Steps {
				if x.Kind == flow.KindTask {
					tasks = append(tasks, x.ID)
				}
			}
			return httpx.Invalid(apiv1.FieldError{Field: "step", Message: fmt.Sprintf("flow %s v%d has no task step %q; its task steps are %s",
				fv.Key, fv.Version, req.Step, strings.Join(tasks, ", "))})
		}
	}
	ws, err := s.store.ListWatches(ctx)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list watches: %w", err), "watchlist")
	}
	if len(ws) >= store.MaxWatches {
		return httpx.Invalid(apiv1.FieldError{Field: "flow", Message: fmt.Sprintf("the watchlist holds %d, the most it keeps: it is the short list to improve first; take one off", len(ws))})
	}
	if i := slices.IndexFunc(ws, func(x store.Watch) bool { return x.Flow == req.Flow && x.Step == req.Step }); i >= 0 {
		return httpx.Conflict(fmt.Sprintf("%s is on the watchlist already (watch %s)", watchName(req.Flow, req.Step), ws[i].ID))
	}
	actor := httpx.ActorFrom(ctx)
	wt, err := s.store.AddWatch(ctx, store.Watch{ID: uuid.NewString(), Flow: req.Flow, Step: req.Step, Note: req.Note, AddedBy: actor.ID, AddedAt: s.now().UTC()})
	if errors.Is(err, store.ErrConflict) {
		return httpx.Conflict(fmt.Sprintf("%s is on the watchlist already", watchName(req.Flow, req.Step)))
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("add watch: %w", err), "watchlist")
	}
	s.audit(r, store.AuditEntry{Action: "watch.add", Object: "watch:" + wt.ID, Details: mustJSON(map[string]any{"flow": wt.Flow, "step": wt.Step, "note": wt.Note})})
	rules, err := s.allAlertRules(ctx)
	if err != nil {
		return err
	}
	cycles, err := s.openCycles(ctx)
	if err != nil {
		return err
	}
	v, err := s.watchOf(ctx, wt, rules, cycles, actor, s.alertDepartments(ctx))
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, v)
	return nil
}

func watchName(flowKey, step string) string {
	if step == "" {
		return "flow " + flowKey
	}
	return fmt.Sprintf("step %s of flow %s", step, flowKey)
}

func (s *API) removeWatch(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.WatchIDParams](r)
	if err != nil {
		return err
	}
	wt, err := s.store.RemoveWatch(r.Context(), q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("remove watch: %w", err), fmt.Sprintf("watch %q", q.ID))
	}
	s.audit(r, store.AuditEntry{Action: "watch.remove", Object: "watch:" + wt.ID, Details: mustJSON(map[string]any{"flow": wt.Flow, "step": wt.Step})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.Watch{ID: wt.ID, Flow: wt.Flow, Step: wt.Step, Note: wt.Note, AddedBy: wt.AddedBy,
		AddedAt: wt.AddedAt.UTC(), Measure: map[bool]string{true: "waiting", false: "cycle_time"}[wt.Step != ""],
		Alerts: []apiv1.AlertRule{}, OpenCycles: []apiv1.Improvement{}, Trend: []apiv1.WatchWeek{}})
	return nil
}
