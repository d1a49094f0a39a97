package api

import (
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/beforeafter"
	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// logCompareRoutes are the route of the as-is/to-be comparison (issue 18;
// decision 0034).
var logCompareRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/logs/{id}/compare", ID: "compareLogWithFlow", Tag: "logs",
		Summary: "The as-is log beside a flow version's spans, step by step",
		Description: "Each step of the flow version, with the log's activities mapped to it (`map=ACTIVITY=STEP`, repeatable; without any, " +
			"activities are mapped to the step whose id or name they are): cases, waiting and working p50/p90/p95, share of the mapped " +
			"steps' time and rework rate before (the log, decision 0029) and after (the spans, the bottleneck report's rules), with the " +
			"change and its 95 % interval: durations as the after/before ratio (Hodges–Lehmann shift of log durations, floored at 1 s), " +
			"rework as the difference of two proportions; and the cycle times (the log's cases; the version's completed cases). At most " +
			"1,000,000 spans are read (the earliest; `spans_truncated`).",
		Roles:  authz.LogViewers,
		Params: apiv1.CompareLogParams{},
		Status: http.StatusOK, Response: apiv1.LogComparison{}, Example: exampleLogComparison,
		Errors: []int{404, 409, 422},
		Handle: (*API).compareLogWithFlow,
	},
}

// maxCompareSpans bounds the spans one comparison reads.
const maxCompareSpans = 1_000_000

func (s *API) compareLogWithFlow(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.CompareLogParams](r)
	if err != nil {
		return err
	}
	if q.Flow == "" {
		return httpx.BadParam("flow", "required: the flow whose spans are the after side")
	}
	afterFrom, afterTo, err := httpx.TimeRange(q.AfterFrom, q.AfterTo)
	if err != nil {
		return err
	}
	ctx := r.Context()
	fv, err := s.loadFlowVersion(ctx, q.Flow, q.Version)
	if err != nil {
		return err
	}
	def, err := compiledDefinition(fv)
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for _, m := range q.Map {
		i := strings.LastIndex(m, "=")
		if i <= 0 || i == len(m)-1 {
			return httpx.BadParam("map", fmt.Sprintf("%q: want ACTIVITY=STEP", m))
		}
		act, step := m[:i], m[i+1:]
		if _, ok := def.Step(step); !ok {
			return httpx.Invalid(apiv1.FieldError{Field: "map", Message: fmt.Sprintf("%s v%d has no step %q", fv.Key, fv.Version, step)})
		}
		mapping[act] = step
	}

	v, err := s.openLogView(ctx, logQuery{ID: q.ID, From: q.From, To: q.To})
	if err != nil {
		return err
	}
	defer v.release()
	// The spans under the view slot too: a comparison holds up to
	// maxCompareSpans of them, so at most logViewSlots run at once.
	p := store.ExportSpansParams{Flow: fv.Key, Version: fv.Version, From: afterFrom, To: afterTo, Limit: exportPageSize}
	var (
		spans     []analytics.Span
		cases     []beforeafter.AfterCase
		seen      = map[string]bool{}
		truncated bool
	)
	for {
		page, err := s.store.ExportSpans(ctx, p)
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("compare: spans: %w", err), "spans")
		}
		if len(page) == 0 {
			break
		}
		for _, sp := range page {
			if len(spans) == maxCompareSpans {
				truncated = true
				break
			}
			spans = append(spans, sp.Analytics(nil))
			if !seen[sp.CaseID] && sp.CaseStatus == store.CaseCompleted && sp.CaseClosedAt != nil {
				cases = append(cases, beforeafter.AfterCase{ID: sp.CaseID, CycleSeconds: sp.CaseClosedAt.Sub(sp.CaseCreatedAt).Seconds()})
			}
			seen[sp.CaseID] = true
		}
		if truncated {
			break
		}
		last := page[len(page)-1]
		p.After = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
	}

	proposed := len(mapping) == 0
	if proposed {
		var acts []string
		for _, a := range discovery.Activities(v.log) {
			acts = append(acts, a.Activity)
		}
		var steps [][2]string
		for _, st := range def.Steps {
			steps = append(steps, [2]string{st.ID, st.Name})
		}
		mapping = beforeafter.ProposeMapping(acts, steps)
	}
	res := beforeafter.Compare(v.log, spans, cases, mapping)

	out := apiv1.LogComparison{LogID: q.ID, Flow: fv.Key, Version: fv.Version, Mapping: []apiv1.MappedActivity{}, Steps: []apiv1.CompareStep{},
		UnmappedActivities: append([]string{}, res.UnmappedActivities...), UnmappedSteps: append([]string{}, res.UnmappedSteps...),
		Spans: len(spans), SpansTruncated: truncated,
		Cycle: apiv1.CompareCycle{Before: toLogQuantiles(res.Cycle.Before), After: toLogQuantiles(res.Cycle.After), Ratio: toCompareChange(res.Cycle.Ratio)}}
	for act, step := range mapping {
		out.Mapping = append(out.Mapping, apiv1.MappedActivity{Activity: act, Step: step, Proposed: proposed})
	}
	slices.SortFunc(out.Mapping, func(a, b apiv1.MappedActivity) int { return strings.Compare(a.Activity, b.Activity) })
	side := func(sd beforeafter.Side) apiv1.CompareSide {
		return apiv1.CompareSide{Cases: sd.Cases, Events: sd.Events, Wait: toLogQuantiles(sd.Wait), Work: toLogQuantiles(sd.Work),
			Share: sd.Share, Rework: sd.Rework, ReworkCases: sd.ReworkCases}
	}
	for _, st := range res.Steps {
		out.Steps = append(out.Steps, apiv1.CompareStep{Step: st.Step, Activities: append([]string{}, st.Activities...),
			Before: side(st.Before), After: side(st.After), WaitRatio: toCompareChange(st.WaitRatio),
			WorkRatio: toCompareChange(st.WorkRatio), ReworkDiff: toCompareChange(st.ReworkDiff)})
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// toCompareChange is a change with its undefined figures as nulls.
func toCompareChange(c beforeafter.Change) apiv1.CompareChange {
	f := func(x float64) *float64 {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil
		}
		return &x
	}
	return apiv1.CompareChange{Estimate: f(c.Estimate), Low: f(c.Low), High: f(c.High), P: f(c.P)}
}
