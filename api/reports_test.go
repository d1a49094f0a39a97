package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// February 2027 begins on a Monday and has 28 days: it is exactly the ISO
// weeks 2027-W05 to W08, so the KPI and trend routes, which count whole
// weeks, can be asked for exactly the month.
var (
	revFeb   = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	revMar   = revFeb.AddDate(0, 1, 0)
	revJan11 = time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC) // a Monday: January's cases are all in its week
)

// reviewCases are the cases of the review tests: complaints and a return in
// February 2027 (one with a follow-up call), complaints in the week of 11
// January (one closed in February), a PDCA cycle, and cases outside the six
// months up to February.
func reviewCases() []servertest.SeedCase {
	h := time.Hour
	return []servertest.SeedCase{
		{ID: "f1", Flow: "complaint", Channel: "phone", Created: revFeb.Add(34 * h),
			Tasks:  []servertest.SeedTask{{Claim: 20 * time.Second, Done: 30 * time.Minute, SLA: h}, {Claim: time.Minute, Done: 3 * h, SLA: 2 * h}},
			Status: store.CaseCompleted, Closed: 4 * h, CSAT: ptr(5), NPS: ptr(10), RFC: ptr(true),
			FollowUp: &servertest.SeedFollowUp{Share: 0.15, Sampled: true, After: 48 * h, Opened: true, Outcome: store.FollowUpAnswered,
				Improvement: store.ImprovementYes, CSAT: ptr(4)}},
		{ID: "f2", Flow: "complaint", Channel: "chat", Created: revFeb.Add(9*24*h + 10*h),
			Tasks:  []servertest.SeedTask{{Claim: 90 * time.Second, Done: 20 * time.Minute, SLA: h}},
			Status: store.CaseCompleted, Closed: 2 * h, CSAT: ptr(3), NPS: ptr(5), RFC: ptr(false),
			FollowUp: &servertest.SeedFollowUp{Share: 0.15, After: 48 * h}},
		{ID: "f3", Flow: "complaint", Channel: "email", Created: revFeb.Add(19*24*h + 8*h), Tasks: []servertest.SeedTask{{SLA: h}}},
		{ID: "f4", Flow: "returns-exchange", Channel: "phone", Created: revFeb.Add(14*24*h + 9*h),
			Tasks:  []servertest.SeedTask{{Claim: time.Minute, Done: 40 * time.Minute, SLA: h}},
			Status: store.CaseCompleted, Closed: h, CSAT: ptr(2)},
		{ID: "f5", Flow: "returns-exchange", Channel: "phone", Created: revFeb.Add(24*24*h + 9*h)},
		{ID: "p1", Flow: apiv1.PDCAFlow, Channel: "app", Created: revFeb.Add(2 * 24 * h)},
		// January: in its week of the 11th; j2 closes in February.
		{ID: "j1", Flow: "complaint", Channel: "phone", Created: revJan11.Add(24*h + 9*h),
			Tasks:  []servertest.SeedTask{{Claim: 45 * time.Second, Done: 50 * time.Minute, SLA: h}},
			Status: store.CaseCompleted, Closed: h, CSAT: ptr(4), RFC: ptr(true)},
		{ID: "j2", Flow: "complaint", Channel: "email", Created: revJan11.Add(2*24*h + 9*h),
			Tasks:  []servertest.SeedTask{{Claim: 2 * time.Hour, Done: 21 * 24 * h, SLA: 24 * h}},
			Status: store.CaseCompleted, Closed: 21*24*h + h},
		// Outside the six months up to February.
		{ID: "o1", Flow: "complaint", Channel: "phone", Created: time.Date(2026, 8, 20, 9, 0, 0, 0, time.UTC), CSAT: ptr(1)},
		{ID: "o2", Flow: "complaint", Channel: "phone", Created: revMar.Add(50 * h), CSAT: ptr(1)},
	}
}

// rangeQuery is from and to as query parameters.
func rangeQuery(from, to time.Time, more ...string) string {
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	for i := 0; i+1 < len(more); i += 2 {
		q.Set(more[i], more[i+1])
	}
	return q.Encode()
}

// TestMonthlyReviewEqualsTheRoutes: the pack of February 2027 says what the
// KPI, trend, bottleneck, versions, audit, pilot, improvement, proposal and
// alert routes say of the same month, computed independently by asking
// them; the months before it are there, empty ones with null values; the
// public variant leaves out people and internal sections.
func TestMonthlyReviewEqualsTheRoutes(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(revFeb.Add(-24 * time.Hour))
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.SeedCases(reviewCases()...)

	// January: a proposal before the month.
	e.Propose("agent", "January idea", false)
	// What changed in February, through the API at its times.
	at := func(day, hour int) {
		clock.Add(revFeb.Add(time.Duration((day-1)*24+hour) * time.Hour).Sub(clock.Now()))
	}
	at(5, 9)
	c := e.CreateCase("C-77")
	require.Equal(t, "record", e.OpenTask(c.ID).Step)
	mig := servertest.DecodeStrict[apiv1.Migration](t, e.Do("olga", http.MethodPost, "/api/v1/flows/complaint/migrations",
		map[string]any{"from": 1, "to": 2, "mapping": map[string]string{"record": "submit"}}, nil), http.StatusOK)
	require.Equal(t, 1, mig.Migrated)
	at(6, 10)
	src := strings.Replace(strings.Replace(builtinSource(t, "complaint", 2), "version: 2", "version: 3", 1),
		"name: Complaint (one-stop, 3 steps)", "name: Complaint (one-stop, February)", 1)
	res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/complaint/versions", "application/yaml", []byte(src), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	at(6, 11)
	servertest.DecodeStrict[apiv1.FlowVersionDetail](t, e.Do("olga", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 3}, nil), http.StatusOK)
	at(8, 9)
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2})
	at(9, 14)
	// The pilot's workflow concludes (the fake engine runs none): the row
	// ends as the Pilot workflow's activity would end it, at its time.
	stopped, winner, ended := store.PilotCompleted, "treatment", clock.Now()
	_, err := e.st.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning, Status: &stopped, Winner: &winner, EndedAt: &ended, At: ended})
	require.NoError(t, err)
	at(9, 15)
	servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "treatment"}, nil), http.StatusOK)
	at(10, 9)
	adopted := e.Propose("agent", "Fewer handoffs", false)
	e.Adopt(adopted.ID, "complaint", "cycle_time")
	at(11, 9)
	declined := e.Propose("agent", "A second form", true)
	servertest.DecodeStrict[apiv1.Proposal](t, e.Do("improver", http.MethodPost, "/api/v1/proposals/"+declined.ID+"/decline", map[string]any{}, nil), http.StatusOK)
	e.Propose("agent", "Still open", false)
	// Alert rules: one of the flow that fires twice, one of another flow.
	at(1, 8)
	rule := servertest.DecodeStrict[apiv1.AlertRule](t, e.Do("olga", http.MethodPost, "/api/v1/alerts", map[string]any{"name": "Complaint breaches",
		"metric": "sla_breach_rate", "scope": map[string]any{"flow": "complaint"}, "condition": map[string]any{"op": "above", "value": 0.2}, "window": "1h"}, nil), http.StatusCreated)
	other := servertest.DecodeStrict[apiv1.AlertRule](t, e.Do("olga", http.MethodPost, "/api/v1/alerts", map[string]any{"name": "Returns breaches",
		"metric": "sla_breach_rate", "scope": map[string]any{"flow": "returns-exchange"}, "condition": map[string]any{"op": "above", "value": 0.2}, "window": "1h"}, nil), http.StatusCreated)
	v := 0.4
	for _, ev := range []struct {
		rule    string
		at      time.Time
		outcome string
	}{
		{rule.ID, revFeb.Add(2*24*time.Hour + 10*time.Hour), alert.Breach}, {rule.ID, revFeb.Add(2*24*time.Hour + 12*time.Hour), alert.Clear},
		{rule.ID, revFeb.Add(26*24*time.Hour + 6*time.Hour), alert.Breach}, {other.ID, revFeb.Add(3 * 24 * time.Hour), alert.Breach},
	} {
		_, err := e.st.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: ev.rule, Evaluation: store.AlertEvaluation{At: ev.at, Outcome: ev.outcome, Value: &v, N: 12}})
		require.NoError(t, err)
	}
	clock.Add(revMar.Add(9*24*time.Hour + 12*time.Hour).Sub(clock.Now())) // 10 March

	pack := servertest.DecodeStrict[apiv1.ReviewPack](t, e.Do("olga", http.MethodGet, "/api/v1/reports/monthly?flow=complaint&month=2027-02", nil, nil), http.StatusOK)
	require.Equal(t, []any{"monthly", "internal", "2027-02", revFeb, revMar, false}, []any{pack.Kind, pack.Variant, pack.Period, pack.From, pack.To, pack.Partial})

	e.step(t, "the KPIs, the complaint rate and the cycle time are the routes' for the month", func(t *testing.T, e *testEnv) {
		flowKPIs := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("olga", http.MethodGet, "/api/v1/kpis/service?"+rangeQuery(revFeb, revMar, "flow", "complaint"), nil, nil), http.StatusOK)
		require.Len(t, flowKPIs.Weeks, 4, "February 2027 is four whole ISO weeks")
		require.Equal(t, flowKPIs.Overall.All, pack.Figures.KPIs)
		require.Equal(t, 4, pack.Figures.KPIs.Cases, "f1, f2, f3 and the migrated case")
		all := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("olga", http.MethodGet, "/api/v1/kpis/service?"+rangeQuery(revFeb, revMar), nil, nil), http.StatusOK)
		require.Equal(t, all.Overall.All.ComplaintRate, pack.Figures.ComplaintRate)
		require.Equal(t, 6, pack.Figures.ComplaintRate.N, "every service case of February, the cycle left out")
		trend := servertest.DecodeStrict[apiv1.FlowTrend](t, e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/trend?"+rangeQuery(revFeb, revMar), nil, nil), http.StatusOK)
		require.Equal(t, trend.Overall, pack.Figures.CycleTime)
		require.Equal(t, 3, pack.Figures.CycleTime.N, "f1, f2 and j2 (closed in February)")
		require.Equal(t, pack.Figures, pack.Trend[len(pack.Trend)-1])
		require.Equal(t, flowKPIs.FollowUps[0], *pack.FollowUps)
		require.Equal(t, 1, pack.Figures.KPIs.PerceivedImprovement.Count)
	})

	e.step(t, "the trend: six months, January as its week says, empty months null", func(t *testing.T, e *testEnv) {
		var names []string
		for _, p := range pack.Trend {
			names = append(names, p.Period)
		}
		require.Equal(t, []string{"2026-09", "2026-10", "2026-11", "2026-12", "2027-01", "2027-02"}, names)
		jan := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("olga", http.MethodGet, "/api/v1/kpis/service?"+rangeQuery(revJan11, revJan11.AddDate(0, 0, 7), "flow", "complaint"), nil, nil), http.StatusOK)
		require.Equal(t, jan.Overall.All, pack.Trend[4].KPIs)
		require.Equal(t, 2, pack.Trend[4].KPIs.Cases)
		janTrend := servertest.DecodeStrict[apiv1.FlowTrend](t, e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/trend?"+rangeQuery(revJan11, revJan11.AddDate(0, 0, 7)), nil, nil), http.StatusOK)
		require.Equal(t, janTrend.Overall, pack.Trend[4].CycleTime)
		for _, p := range pack.Trend[:4] {
			require.Zero(t, p.KPIs.Cases, p.Period)
			require.Nil(t, p.KPIs.CSAT.Value, "%s: no data is null, not 0", p.Period)
			require.Nil(t, p.KPIs.CSAT.MeetsTarget, p.Period)
			require.Nil(t, p.CycleTime.MedianSeconds, p.Period)
			require.Nil(t, p.ComplaintRate.Value, p.Period)
		}
	})

	e.step(t, "the bottlenecks are the route's for each version with spans in the month", func(t *testing.T, e *testEnv) {
		require.NotEmpty(t, pack.Bottlenecks)
		for _, b := range pack.Bottlenecks {
			want := servertest.DecodeStrict[apiv1.Bottlenecks](t, e.Do("olga", http.MethodGet,
				"/api/v1/flows/complaint/bottlenecks?"+rangeQuery(revFeb, revMar, "version", strconv.Itoa(b.Version)), nil, nil), http.StatusOK)
			require.Equal(t, want, b)
			require.Positive(t, b.Cases)
		}
		require.Equal(t, 1, pack.Bottlenecks[0].Version)
	})

	e.step(t, "what changed: the version, the default, the promotion and the migration of the audit trail", func(t *testing.T, e *testEnv) {
		ch := pack.Changes
		require.Len(t, ch.Versions, 1)
		v3 := ch.Versions[0]
		require.Equal(t, []any{3, "Complaint (one-stop, February)", true, 2, e.actors["olga"].ID}, []any{v3.Version, v3.Name, v3.Published, v3.ComparedTo, v3.PublishedBy})
		require.Empty(t, v3.StepsAdded)
		versions := servertest.DecodeStrict[apiv1.FlowVersionList](t, e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/versions", nil, nil), http.StatusOK)
		require.Equal(t, versions.Versions[2].CreatedAt, v3.PublishedAt)

		audit := func(action string) []apiv1.AuditEntry {
			t.Helper()
			l := servertest.DecodeStrict[apiv1.AuditList](t, e.Do("admin", http.MethodGet, "/api/v1/audit?"+rangeQuery(revFeb, revMar, "action", action), nil, nil), http.StatusOK)
			return l.Entries
		}
		def := audit("flow.default")
		require.Len(t, def, 1)
		require.Equal(t, []apiv1.ReviewDefault{{At: def[0].At, From: 1, To: 3, By: e.actors["olga"].ID}}, ch.Defaults)
		prom := audit("pilot.promote")
		require.Len(t, prom, 1)
		require.Equal(t, []apiv1.ReviewPromotion{{At: prom[0].At, PilotID: pl.ID, Arm: "treatment", Version: 2, By: prom[0].Actor}}, ch.Promotions)
		migs := audit("flow.migrate")
		require.Len(t, migs, 1)
		require.Len(t, ch.Migrations, 1)
		require.Equal(t, []any{migs[0].At, mig.MigrationID, 1, 2, len(mig.Cases), mig.Migrated, mig.Refused}, []any{ch.Migrations[0].At, ch.Migrations[0].MigrationID,
			ch.Migrations[0].From, ch.Migrations[0].To, ch.Migrations[0].Cases, ch.Migrations[0].Migrated, ch.Migrations[0].Refused})
	})

	e.step(t, "pilots, cycles and proposals as their routes show them", func(t *testing.T, e *testEnv) {
		require.Len(t, pack.Pilots, 1)
		got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("olga", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
		require.Equal(t, got, pack.Pilots[0])
		require.Equal(t, "promoted", pack.Pilots[0].Status)

		list := servertest.DecodeStrict[apiv1.ImprovementList](t, e.Do("olga", http.MethodGet, "/api/v1/improvements?"+rangeQuery(revFeb, revMar), nil, nil), http.StatusOK)
		var ofFlow []apiv1.Improvement
		for _, c := range list.Improvements {
			if c.Flow == "complaint" {
				ofFlow = append(ofFlow, c)
			}
		}
		require.Len(t, ofFlow, 1, "the adopted proposal's cycle; the seeded cycle improves no flow")
		require.Equal(t, ofFlow, pack.Improvements.Cycles)
		require.Equal(t, apiv1.ReviewCycleCounts{Active: 1, Started: 1, OpenNow: 1}, pack.Improvements.Counts)
		require.Nil(t, pack.Improvements.Landed.Value, "no cycle closed: no rate, not 0")

		pr := pack.Proposals
		require.NotNil(t, pr)
		require.Equal(t, apiv1.ProposalCounts{Open: 1, Adopted: 1, Declined: 1, Total: 3}, pr.Counts)
		require.Equal(t, 0.5, *pr.AdoptionRate.Value)
		props := servertest.DecodeStrict[apiv1.ProposalList](t, e.Do("olga", http.MethodGet, "/api/v1/proposals?"+rangeQuery(revFeb, revMar), nil, nil), http.StatusOK)
		require.Equal(t, props.Proposals, pr.Proposals)
		require.Equal(t, e.ImprovementKPIs(), pr.AllTime)
	})

	e.step(t, "alerts: the flow's rule fired twice, as its state changes say; the other flow's is not there", func(t *testing.T, e *testEnv) {
		a := pack.Alerts
		require.NotNil(t, a)
		require.Equal(t, 1, a.Rules)
		require.Len(t, a.Fired, 1)
		f := a.Fired[0]
		require.Equal(t, []any{rule.ID, "Complaint breaches", rule.ConditionText}, []any{f.Rule, f.Name, f.ConditionText})
		evs := servertest.DecodeStrict[apiv1.AlertEventList](t, e.Do("olga", http.MethodGet, "/api/v1/alerts/"+rule.ID+"/events", nil, nil), http.StatusOK)
		require.Len(t, evs.Events, 3) // newest first: firing, resolved, firing
		require.Len(t, f.Episodes, 2)
		first, second := f.Episodes[0], f.Episodes[1]
		require.Equal(t, evs.Events[2].At, first.FiredAt)
		require.Equal(t, evs.Events[1].At, *first.EndedAt)
		require.Equal(t, "resolved", first.EndedAs)
		require.Equal(t, 2*3600.0, first.Seconds)
		require.Equal(t, evs.Events[0].At, second.FiredAt)
		require.Nil(t, second.EndedAt, "still firing")
		require.Equal(t, clock.Now().Sub(second.FiredAt).Seconds(), second.Seconds)
		require.Equal(t, "40.0 %", second.ValueText)
		require.Equal(t, 2*3600.0+revMar.Sub(second.FiredAt).Seconds(), f.FiringSeconds, "clipped at the month's end")
	})

	e.step(t, "the public variant leaves out people and the internal sections", func(t *testing.T, e *testEnv) {
		res := e.Do("improver", http.MethodGet, "/api/v1/reports/monthly?flow=complaint&month=2027-02&variant=public", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		raw := res.Body.String()
		for name, a := range e.actors {
			require.NotContains(t, raw, a.ID, "the id of %s", name)
		}
		require.NotContains(t, raw, "Complaint breaches")
		require.NotContains(t, raw, "Fewer handoffs")
		pub := servertest.DecodeStrict[apiv1.ReviewPack](t, res, http.StatusOK)
		require.Nil(t, pub.Proposals)
		require.Nil(t, pub.Alerts)
		require.Empty(t, pub.Bottlenecks)
		require.Empty(t, pub.Changes.Migrations)
		require.Empty(t, pub.Improvements.Cycles, "no cycle was standardised in February")
		require.Len(t, pub.Changes.Promotions, 1)
		require.Equal(t, pack.Figures, pub.Figures, "the same figures")
		require.NotEmpty(t, pub.Omitted)
	})

	e.step(t, "the quarterly pack of 2027-Q1 counts January to March, public by default", func(t *testing.T, e *testEnv) {
		q := servertest.DecodeStrict[apiv1.ReviewPack](t, e.Do("olga", http.MethodGet, "/api/v1/reports/quarterly?flow=complaint&quarter=2027-Q1", nil, nil), http.StatusOK)
		require.Equal(t, []any{"quarterly", "public", "2027-Q1", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC), true},
			[]any{q.Kind, q.Variant, q.Period, q.From, q.To, q.Partial})
		require.Len(t, q.Trend, 4)
		require.Equal(t, "2026-Q2", q.Trend[0].Period)
		require.Equal(t, 2+4+1, q.Figures.KPIs.Cases, "January's two, February's four, o2 in March")
	})
}

// TestReviewRefusals: the parameters are checked and named; an unknown flow
// is a 404 naming the flows; a period holding more cases than a pack reads
// is a 422.
func TestReviewRefusals(t *testing.T) {
	t.Parallel()
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.ReviewMaxCases = 3 })
	e.Actor("olga", store.RoleOwner)
	for _, c := range []struct {
		path, field, msg string
	}{
		{"/api/v1/reports/monthly?month=2026-11", "flow", "is required"},
		{"/api/v1/reports/monthly?flow=complaint", "month", "is required: a calendar month like 2026-11"},
		{"/api/v1/reports/monthly?flow=complaint&month=2026-13", "month", `must be a calendar month like 2026-11 (YYYY-MM), got "2026-13"`},
		{"/api/v1/reports/monthly?flow=complaint&month=November", "month", "YYYY-MM"},
		{"/api/v1/reports/monthly?flow=complaint&month=2026-11&variant=secret", "variant", `unknown value "secret"`},
		{"/api/v1/reports/quarterly?flow=complaint&quarter=2026-Q5", "quarter", `must be a calendar quarter like 2026-Q4`},
		{"/api/v1/reports/quarterly?flow=complaint&month=2026-11", "month", "unknown parameter"},
	} {
		p := servertest.ProblemOf(t, e.Do("olga", http.MethodGet, c.path, nil, nil), http.StatusBadRequest)
		require.Len(t, p.Errors, 1, c.path)
		require.Equal(t, c.field, p.Errors[0].Field, c.path)
		require.Contains(t, p.Detail, c.msg, c.path)
	}
	p := servertest.ProblemOf(t, e.Do("olga", http.MethodGet, "/api/v1/reports/monthly?flow=complaynt&month=2026-11", nil, nil), http.StatusNotFound)
	require.Contains(t, p.Detail, `flow "complaynt" not found; the flows are appointment, complaint, pdca, returns-exchange`)
	require.Equal(t, "flow", p.Errors[0].Field)

	now := time.Now().UTC()
	var cs []servertest.SeedCase
	for i := range 4 {
		cs = append(cs, servertest.SeedCase{ID: "c" + strconv.Itoa(i), Flow: "returns-exchange", Channel: "phone", Created: now.Add(-time.Duration(i+1) * time.Minute)})
	}
	e.SeedCases(cs...)
	p = servertest.ProblemOf(t, e.Do("olga", http.MethodGet, "/api/v1/reports/monthly?flow=complaint&month="+now.Format("2006-01"), nil, nil), http.StatusUnprocessableEntity)
	require.Equal(t, apiv1.ProblemBase+apiv1.ProblemReportTooLarge, p.Type)
	require.Contains(t, p.Detail, "reads more than 3 cases, the most a pack reads")
}

// builtinSource is the YAML of a built-in flow version.
func builtinSource(t *testing.T, key string, version int) string {
	t.Helper()
	for _, b := range flows.All() {
		if b.Key == key && b.Version == version {
			return string(b.Source)
		}
	}
	t.Fatalf("no built-in %s v%d", key, version)
	return ""
}
