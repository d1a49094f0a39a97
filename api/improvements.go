package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// improvementRoutes are the routes of the PDCA cycles as improvements (apiRoutes joins every
// resource's table).
var improvementRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/improvements", ID: "listImprovements", Tag: "improvement",
		Summary: "List the PDCA cycles, newest first",
		Description: "Every case of flow `pdca` as an improvement: its stage (current step, `closed` once closed), the flow and metric it " +
			"improves, the baseline, the Plan task's target, its pilot, the promoted version, the proposal it adopts and its `outcome`: " +
			"`standardised` (promoted_version set), `abandoned` (cancelled, failed, or closed through Plan's `abandoned`), `not standardised` " +
			"(closed otherwise without a promotion), `replanned` (open and back at Plan after a pilot) or `in progress`. Ordered like cases " +
			"(created_at, id, descending); `from`/`to` bound created_at. " + descPaging,
		Params: apiv1.ListImprovementsParams{},
		Status: http.StatusOK, Response: apiv1.ImprovementList{}, Example: apiv1.ImprovementList{Improvements: []apiv1.Improvement{exampleImprovement}, NextCursor: exampleCursor},
		Handle: (*API).listImprovements,
	},
}

// The PDCA cycles (cases of the built-in flow pdca) seen as improvements,
// and the improvement KPIs (ADR 0010).

// Targets of the improvement KPIs.
const (
	AdoptionTarget = 0.7 // adopted / decided proposals
	LandedTarget   = 0.9 // standardised / completed cycles
)

// cycleAttrs are the attributes of a PDCA case the views read.
type cycleAttrs struct {
	Flow            string   `json:"flow"`
	Metric          string   `json:"metric"`
	ProposalID      string   `json:"proposal_id"`
	BaselineValue   *float64 `json:"baseline_value"`
	Target          *float64 `json:"target"`
	PilotID         string   `json:"pilot_id"`
	PilotStatus     string   `json:"pilot_status"`
	PilotWinner     string   `json:"pilot_winner"`
	PromotedVersion *float64 `json:"promoted_version"`
}

// readCycleAttrs decodes the attributes a cycle's workflow wrote; a value of
// an unexpected type reads as absent (the case view still answers).
func readCycleAttrs(raw json.RawMessage) cycleAttrs {
	var m map[string]any
	_ = json.Unmarshal(raw, &m)
	str := func(k string) string { v, _ := m[k].(string); return v }
	num := func(k string) *float64 {
		if v, ok := m[k].(float64); ok {
			return &v
		}
		return nil
	}
	return cycleAttrs{Flow: str("flow"), Metric: str("metric"), ProposalID: str("proposal_id"),
		BaselineValue: num("baseline_value"), Target: num("target"), PilotID: str("pilot_id"),
		PilotStatus: str("pilot_status"), PilotWinner: str("pilot_winner"), PromotedVersion: num("promoted_version")}
}

// apiv1.PDCAPlanStep and its outcomes in the built-in pdca flow.
const (
	planAbandoned    = "abandoned"
	cycleTargetField = "target"
)

// lastPlan returns the latest completed Plan task of a cycle (ok=false
// when none).
func (s *API) lastPlan(ctx context.Context, caseID string) (store.Task, bool, error) {
	ts, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: caseID, Status: store.TaskCompleted, Limit: 1000})
	if err != nil {
		return store.Task{}, false, err
	}
	var last store.Task
	found := false
	for _, t := range ts {
		if t.Step != apiv1.PDCAPlanStep || t.CompletedAt == nil {
			continue
		}
		if !found || t.Seq > last.Seq {
			last, found = t, true
		}
	}
	return last, found, nil
}

// cycleOutcome classifies a cycle (see apiv1.OutcomeStandardised...).
func cycleOutcome(c store.Case, a cycleAttrs, lastPlanOutcome string) string {
	switch {
	case a.PromotedVersion != nil:
		return apiv1.OutcomeStandardised
	case c.Status == store.CaseCancelled || c.Status == store.CaseFailed:
		return apiv1.OutcomeAbandoned
	case c.Status == store.CaseCompleted && lastPlanOutcome == planAbandoned:
		return apiv1.OutcomeAbandoned
	case c.Status == store.CaseCompleted:
		return apiv1.OutcomeNotStandardised
	case c.Step == apiv1.PDCAPlanStep && a.PilotID != "":
		return apiv1.OutcomeReplanned
	default:
		return apiv1.OutcomeInProgress
	}
}

// improvementOf builds the view of one cycle.
func (s *API) improvementOf(ctx context.Context, c store.Case) (apiv1.Improvement, error) {
	a := readCycleAttrs(c.Attributes)
	plan, planned, err := s.lastPlan(ctx, c.ID)
	if err != nil {
		return apiv1.Improvement{}, httpx.StoreProblem(fmt.Errorf("tasks of cycle %s: %w", c.ID, err), "tasks")
	}
	v := apiv1.Improvement{CaseID: c.ID, Status: c.Status, Stage: c.Step, Flow: a.Flow, Metric: a.Metric,
		BaselineValue: a.BaselineValue, Target: a.Target, PilotID: a.PilotID, PilotStatus: a.PilotStatus,
		PilotWinner: a.PilotWinner, ProposalID: a.ProposalID, CreatedAt: c.CreatedAt.UTC(), ClosedAt: utcPtr(c.ClosedAt)}
	switch {
	case caseClosed(c.Status):
		v.Stage = apiv1.StageClosed
	case v.Stage == "":
		v.Stage = apiv1.StageStarting
	}
	if a.PromotedVersion != nil {
		pv := int(*a.PromotedVersion)
		v.PromotedVersion = &pv
	}
	lastOutcome := ""
	if planned {
		lastOutcome = plan.Outcome
		var data map[string]any
		if json.Unmarshal(plan.Data, &data) == nil {
			if t, ok := data[cycleTargetField].(float64); ok {
				v.Target = &t
			}
		}
	}
	v.Outcome = cycleOutcome(c, a, lastOutcome)
	return v, nil
}

// pageCases lists one page of cases in ListCases order for a list route:
// up to limit cases and whether more follow.
func (s *API) pageCases(ctx context.Context, p store.ListCasesParams, limit int) ([]store.Case, bool, error) {
	p.Limit = min(limit+1, storeCaseLimitMax)
	cs, err := s.store.ListCases(ctx, p)
	if err != nil {
		return nil, false, httpx.StoreProblem(fmt.Errorf("list cases: %w", err), "cases")
	}
	more := len(cs) > limit
	if more {
		cs = cs[:limit]
	} else if len(cs) == limit && p.Limit == limit && len(cs) > 0 {
		// The store cannot return limit+1 rows: ask whether one follows.
		last := cs[len(cs)-1]
		p.After, p.Limit = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}, 1
		probe, err := s.store.ListCases(ctx, p)
		if err != nil {
			return nil, false, httpx.StoreProblem(fmt.Errorf("list cases: %w", err), "cases")
		}
		more = len(probe) > 0
	}
	return cs, more, nil
}

// listImprovements lists the PDCA cycles newest first, a page at a time.
func (s *API) listImprovements(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListImprovementsParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	after, err := caseCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	ctx := r.Context()
	cs, more, err := s.pageCases(ctx, store.ListCasesParams{Flow: apiv1.PDCAFlow, Status: q.Status, From: from, To: to, After: after}, q.Limit)
	if err != nil {
		return err
	}
	out := apiv1.ImprovementList{Improvements: make([]apiv1.Improvement, len(cs))}
	for i, c := range cs {
		if out.Improvements[i], err = s.improvementOf(ctx, c); err != nil {
			return err
		}
	}
	if more {
		last := cs[len(cs)-1]
		if out.NextCursor, err = httpx.EncodeCursor(caseCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// rate is a KPI: num/den against target, null when den is 0.
func rate(num, den int, target float64) apiv1.KPI {
	k := apiv1.KPI{Numerator: num, Denominator: den, Target: target}
	if den > 0 {
		v := float64(num) / float64(den)
		met := v >= target
		k.Value, k.Met = &v, &met
	}
	return k
}

// improvementKPIs answers the improvement KPIs.
func (s *API) improvementKPIs(w http.ResponseWriter, r *http.Request) error {
	out, err := s.improvementKPISet(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// improvementKPISet counts proposals (store.ProposalStats) and reads every
// PDCA cycle a store page at a time: the improvement KPIs of the route and
// of the review packs.
func (s *API) improvementKPISet(ctx context.Context) (apiv1.ImprovementKPIs, error) {
	pc, err := s.store.ProposalStats(ctx)
	if err != nil {
		return apiv1.ImprovementKPIs{}, httpx.StoreProblem(fmt.Errorf("proposal stats: %w", err), "proposals")
	}
	var cc apiv1.CycleCounts
	p := store.ListCasesParams{Flow: apiv1.PDCAFlow, Limit: storeCaseLimitMax}
	for {
		page, err := s.store.ListCases(ctx, p)
		if err != nil {
			return apiv1.ImprovementKPIs{}, httpx.StoreProblem(fmt.Errorf("list cycles: %w", err), "cases")
		}
		for _, c := range page {
			cc.Total++
			a := readCycleAttrs(c.Attributes)
			switch c.Status {
			case store.CaseStarting, store.CaseActive:
				cc.Open++
			case store.CaseCompleted:
				cc.Completed++
				if a.PromotedVersion != nil {
					cc.Standardised++
				}
			}
			if caseClosed(c.Status) && a.PromotedVersion == nil {
				// Only a closed cycle can be abandoned; the Plan task tells
				// a completed one apart.
				outcome := ""
				if c.Status == store.CaseCompleted {
					plan, ok, err := s.lastPlan(ctx, c.ID)
					if err != nil {
						return apiv1.ImprovementKPIs{}, httpx.StoreProblem(fmt.Errorf("tasks of cycle %s: %w", c.ID, err), "tasks")
					}
					if ok {
						outcome = plan.Outcome
					}
				}
				if cycleOutcome(c, a, outcome) == apiv1.OutcomeAbandoned {
					cc.Abandoned++
				}
			}
		}
		if len(page) == 0 {
			break
		}
		last := page[len(page)-1]
		p.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	out := apiv1.ImprovementKPIs{
		Proposals:          apiv1.ProposalCounts{Open: pc.Open, Adopted: pc.Adopted, Declined: pc.Declined, Total: pc.Open + pc.Adopted + pc.Declined},
		AdoptionRate:       rate(pc.Adopted, pc.Adopted+pc.Declined, AdoptionTarget),
		Cycles:             cc,
		ImprovementsLanded: rate(cc.Standardised, cc.Completed, LandedTarget),
	}
	return out, nil
}
