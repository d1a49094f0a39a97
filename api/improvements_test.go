package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func (e *testEnv) startCycle(flowKey, metric string) apiv1.Case {
	e.t.Helper()
	res := e.Do("improver", http.MethodPost, "/api/v1/cases", map[string]any{"flow": apiv1.PDCAFlow, "customer": ImprovementCustomer,
		"attributes": map[string]any{"flow": flowKey, "metric": metric}}, nil)
	return servertest.DecodeStrict[apiv1.Case](e.t, res, http.StatusCreated)
}

func (e *testEnv) improvements(q url.Values) apiv1.ImprovementList {
	e.t.Helper()
	return servertest.DecodeStrict[apiv1.ImprovementList](e.t, e.Do("agent", http.MethodGet, "/api/v1/improvements?"+q.Encode(), nil, nil), http.StatusOK)
}

func TestImprovementKPIsEmpty(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.StartCase() // not a cycle
	k := e.ImprovementKPIs()
	require.Equal(t, apiv1.ImprovementKPIs{
		AdoptionRate:       apiv1.KPI{Target: 0.7},
		ImprovementsLanded: apiv1.KPI{Target: 0.9},
	}, k)
	raw := e.Do("agent", http.MethodGet, "/api/v1/kpis/improvement", nil, nil).Body.String()
	require.Contains(t, raw, `"value":null`)
	require.Contains(t, raw, `"met":null`)
	require.Empty(t, e.improvements(nil).Improvements)

	// Open proposals alone decide nothing: the rate stays null.
	e.Propose("agent", "undecided", false)
	k = e.ImprovementKPIs()
	require.Equal(t, apiv1.ProposalCounts{Open: 1, Total: 1}, k.Proposals)
	require.Nil(t, k.AdoptionRate.Value)
	require.Nil(t, k.AdoptionRate.Met)

	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/kpis/improvement", nil, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/kpis/improvement?flow=complaint", nil, nil), http.StatusBadRequest)
}

func TestImprovementsAndKPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	e.StartCase() // a complaint case: not an improvement

	var ps []apiv1.Proposal
	for _, title := range []string{"standardise me", "abandon me", "miss the target", "plan again", "decline me", "leave open"} {
		ps = append(ps, e.Propose("agent", title, false))
	}
	standardised := e.Adopt(ps[0].ID, "complaint", "cycle_time").Case
	abandoned := e.Adopt(ps[1].ID, "complaint", "fcr").Case
	missed := e.Adopt(ps[2].ID, "complaint", "csat").Case
	replanned := e.Adopt(ps[3].ID, "complaint", "sla_breach_rate").Case
	servertest.DecodeStrict[apiv1.Proposal](t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+ps[4].ID+"/decline", map[string]any{}, nil), http.StatusOK)
	direct := e.startCycle("complaint", "cycle_time")
	cancelled := e.startCycle("complaint", "fcr")

	var (
		all apiv1.ImprovementList
	)

	e.step(t, "drive the cycles to their situations", func(t *testing.T, e *testEnv) {
		// Drive the cycles to their situations.
		e.SetAttrs(standardised.ID, map[string]any{"baseline_value": 14400, "control": 1})
		e.CompletePlan(standardised.ID, "planned", 7200)
		e.SetAttrs(standardised.ID, map[string]any{"pilot_id": "pilot-a", "pilot_status": "completed", "pilot_winner": "treatment", "promoted_version": 2})
		e.CompletePlan(abandoned.ID, "abandoned", 0.9)
		e.SetAttrs(missed.ID, map[string]any{"baseline_value": 3.9})
		e.CompletePlan(missed.ID, "planned", 4.5)
		e.SetAttrs(missed.ID, map[string]any{"pilot_id": "pilot-b", "pilot_status": "stopped", "pilot_winner": "", "promote_error": "pilot-b was stopped"})
		e.SetAttrs(replanned.ID, map[string]any{"baseline_value": 0.12, "pilot_id": "pilot-c", "pilot_status": "refused"})
		now := time.Now().UTC()
		st, empty := store.CaseCancelled, ""
		require.NoError(t, e.st.UpdateCase(context.Background(), store.UpdateCaseParams{ID: cancelled.ID, Status: &st, Step: &empty, ClosedAt: &now, At: now}))
	})

	e.step(t, "the list: six improvements, newest first, each in its stage and outcome", func(t *testing.T, e *testEnv) {
		all = e.improvements(nil)
		require.Empty(t, all.NextCursor)
		require.Len(t, all.Improvements, 6)
		// Newest first, in the order of GET /api/v1/cases?flow=pdca.
		cases := servertest.DecodeStrict[apiv1.CaseList](t, e.Do("agent", http.MethodGet, "/api/v1/cases?flow=pdca", nil, nil), http.StatusOK)
		require.Len(t, cases.Cases, 6)
		byID := map[string]apiv1.Improvement{}
		for i, im := range all.Improvements {
			require.Equal(t, cases.Cases[i].ID, im.CaseID)
			require.Equal(t, cases.Cases[i].CreatedAt, im.CreatedAt)
			byID[im.CaseID] = im
		}

		s := byID[standardised.ID]
		require.Equal(t, apiv1.Improvement{CaseID: standardised.ID, Status: store.CaseCompleted, Stage: "closed", Flow: "complaint",
			Metric: "cycle_time", BaselineValue: fptr(14400), Target: fptr(7200), PilotID: "pilot-a", PilotStatus: "completed",
			PilotWinner: "treatment", PromotedVersion: ptr(2), ProposalID: ps[0].ID, Outcome: apiv1.OutcomeStandardised,
			CreatedAt: s.CreatedAt, ClosedAt: s.ClosedAt}, s)
		require.NotNil(t, s.ClosedAt)

		a := byID[abandoned.ID]
		require.Equal(t, apiv1.OutcomeAbandoned, a.Outcome)
		require.Equal(t, "closed", a.Stage)
		require.Equal(t, fptr(0.9), a.Target, "the target of the Plan task's data")
		require.Nil(t, a.BaselineValue)
		require.Nil(t, a.PromotedVersion)

		m := byID[missed.ID]
		require.Equal(t, apiv1.OutcomeNotStandardised, m.Outcome)
		require.Equal(t, "csat", m.Metric)
		require.Equal(t, fptr(3.9), m.BaselineValue)
		require.Equal(t, fptr(4.5), m.Target)
		require.Equal(t, "stopped", m.PilotStatus)

		r := byID[replanned.ID]
		require.Equal(t, apiv1.OutcomeReplanned, r.Outcome)
		require.Equal(t, store.CaseActive, r.Status)
		require.Equal(t, "plan", r.Stage)
		require.Equal(t, "pilot-c", r.PilotID)
		require.Nil(t, r.Target, "not planned yet: no target")
		require.Nil(t, r.ClosedAt)

		d := byID[direct.ID]
		require.Equal(t, apiv1.OutcomeInProgress, d.Outcome)
		require.Equal(t, "", d.ProposalID, "started directly, not from a proposal")
		require.Equal(t, "plan", d.Stage)

		c := byID[cancelled.ID]
		require.Equal(t, apiv1.OutcomeAbandoned, c.Outcome)
		require.Equal(t, store.CaseCancelled, c.Status)
		require.Equal(t, "closed", c.Stage)
	})

	e.step(t, "target is absent, not null, when there is none", func(t *testing.T, e *testEnv) {
		// target is absent, not null, when there is none.
		var raw struct {
			Improvements []map[string]any `json:"improvements"`
		}
		require.NoError(t, json.Unmarshal(e.Do("agent", http.MethodGet, "/api/v1/improvements", nil, nil).Body.Bytes(), &raw))
		for _, im := range raw.Improvements {
			if im["case_id"] == replanned.ID {
				require.NotContains(t, im, "target")
				require.Contains(t, im, "baseline_value")
			}
		}
	})

	e.step(t, "keyset paging and the filters give the same list", func(t *testing.T, e *testEnv) {
		// Keyset paging gives the same list.
		var paged []apiv1.Improvement
		q := url.Values{"limit": {"4"}}
		for {
			page := e.improvements(q)
			paged = append(paged, page.Improvements...)
			if page.NextCursor == "" {
				break
			}
			q.Set("cursor", page.NextCursor)
		}
		require.Equal(t, all.Improvements, paged)
		completed := e.improvements(url.Values{"status": {"completed"}})
		require.Len(t, completed.Improvements, 3)
		window := e.improvements(url.Values{"from": {all.Improvements[2].CreatedAt.Format(time.RFC3339Nano)},
			"to": {all.Improvements[0].CreatedAt.Format(time.RFC3339Nano)}})
		require.Equal(t, all.Improvements[1:3], window.Improvements)
		for _, bad := range []string{"status=done", "limit=0", "cursor=%21", "flow=complaint", "to=tomorrow"} {
			servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/improvements?"+bad, nil, nil), http.StatusBadRequest)
		}
		servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/improvements", nil, nil), http.StatusUnauthorized)
	})

	e.step(t, "the KPIs: adoption and landing rates against their targets", func(t *testing.T, e *testEnv) {
		// The KPIs: 4 adopted of 5 decided proposals; 1 standardised of 3
		// completed cycles.
		k := e.ImprovementKPIs()
		require.Equal(t, apiv1.ProposalCounts{Open: 1, Adopted: 4, Declined: 1, Total: 6}, k.Proposals)
		require.Equal(t, apiv1.KPI{Value: fptr(0.8), Numerator: 4, Denominator: 5, Target: AdoptionTarget, Met: ptr(true)}, k.AdoptionRate)
		require.Equal(t, apiv1.CycleCounts{Total: 6, Open: 2, Completed: 3, Standardised: 1, Abandoned: 2}, k.Cycles)
		require.Equal(t, 3, k.ImprovementsLanded.Denominator)
		require.Equal(t, 1, k.ImprovementsLanded.Numerator)
		require.InDelta(t, 1.0/3, *k.ImprovementsLanded.Value, 1e-12)
		require.False(t, *k.ImprovementsLanded.Met)
		require.Equal(t, LandedTarget, k.ImprovementsLanded.Target)
	})
}

func TestKPIRate(t *testing.T) {
	t.Parallel()
	require.Equal(t, apiv1.KPI{Target: 0.7}, rate(0, 0, 0.7))
	require.Equal(t, apiv1.KPI{Value: fptr(0.7), Numerator: 7, Denominator: 10, Target: 0.7, Met: ptr(true)}, rate(7, 10, 0.7), "the target itself is met")
	require.Equal(t, apiv1.KPI{Value: fptr(0.5), Numerator: 1, Denominator: 2, Target: 0.9, Met: ptr(false)}, rate(1, 2, 0.9))
	require.Equal(t, apiv1.KPI{Value: fptr(1), Numerator: 3, Denominator: 3, Target: 0.9, Met: ptr(true)}, rate(3, 3, 0.9))
}

// The KPIs read every cycle, over more than one store page.
func TestImprovementKPIsPageThroughCycles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	ctx := context.Background()
	now := time.Now().UTC()
	const n = storeCaseLimitMax + 7
	for i := range n {
		attrs := `{"flow":"complaint","metric":"cycle_time"}`
		status := store.CaseActive
		if i%3 == 0 {
			attrs, status = `{"flow":"complaint","metric":"cycle_time","promoted_version":2}`, store.CaseCompleted
		}
		_, _, err := e.st.CreateCase(ctx, store.CreateCaseParams{ID: uuidFor(i), Flow: apiv1.PDCAFlow, Version: 1, Customer: ImprovementCustomer,
			Attributes: json.RawMessage(attrs), Status: status, WorkflowID: "pdca-" + uuidFor(i), CreatedBy: "admin", At: now.Add(time.Duration(i) * time.Second)})
		require.NoError(t, err)
	}
	k := e.ImprovementKPIs()
	std := (n + 2) / 3
	require.Equal(t, apiv1.CycleCounts{Total: n, Open: n - std, Completed: std, Standardised: std}, k.Cycles)
	require.Equal(t, apiv1.KPI{Value: fptr(1), Numerator: std, Denominator: std, Target: LandedTarget, Met: ptr(true)}, k.ImprovementsLanded)
}

func uuidFor(i int) string {
	return "00000000-0000-4000-8000-" + leftPad(i)
}

func leftPad(i int) string {
	s := []byte("000000000000")
	for j := len(s) - 1; i > 0 && j >= 0; j-- {
		s[j] = byte('0' + i%10)
		i /= 10
	}
	return string(s)
}
