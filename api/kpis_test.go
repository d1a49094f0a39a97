package api

import (
	"context"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

// newEnvAt is newEnv with the server's clock stopped at now.
func newEnvAt(t *testing.T, now time.Time) *testEnv {
	t.Helper()
	return newEnvSeeded(t, nil, true, func(c *Config) { c.Now = func() time.Time { return now } })
}

// smallMeasurePages hands out case measures two at a time.
type smallMeasurePages struct{ store.Store }

func (s smallMeasurePages) ListCaseMeasures(ctx context.Context, p store.CaseMeasuresParams) ([]store.CaseMeasure, error) {
	p.Limit = min(p.Limit, 2)
	return s.Store.ListCaseMeasures(ctx, p)
}

var (
	kpiW10 = servertest.KPIW10 // Monday of 2026-W10
	kpiW11 = servertest.KPIW11
	kpiW12 = servertest.KPIW12
	kpiW13 = servertest.KPIW13
)

// kpiCases are the cases of the KPI tests: six service cases and a PDCA
// cycle in 2026-W10, none in W11, one in W12, and one on either side of
// the range [W10, W13).
func kpiCases() []servertest.SeedCase {
	return []servertest.SeedCase{
		// Claimed after 20 s; one task on time, one late; resolved.
		{ID: "a1", Flow: "complaint", Channel: "phone", Created: kpiW10.Add(10 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: 20 * time.Second, Done: 30 * time.Minute, SLA: time.Hour}, {Claim: time.Minute, Done: 3 * time.Hour, SLA: 2 * time.Hour}},
			Status: store.CaseCompleted, Closed: 4 * time.Hour, CSAT: ptr(5), NPS: ptr(10), RFC: ptr(true)},
		// Said resolved, but reopened two days after its close.
		{ID: "a2", Flow: "returns-exchange", Channel: "phone", Created: kpiW10.Add(33 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: 40 * time.Second, Done: 10 * time.Minute, SLA: time.Hour}},
			Status: store.CaseCompleted, Closed: time.Hour, CSAT: ptr(3), NPS: ptr(7), RFC: ptr(true), Reopened: 48 * time.Hour},
		// A complaint flow by its key's prefix; not resolved.
		{ID: "a3", Flow: "complaint-onestop", Channel: "email", Created: kpiW10.Add(60 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: 100 * time.Second, Done: 20 * time.Minute, SLA: time.Hour}},
			Status: store.CaseCompleted, Closed: 2 * time.Hour, CSAT: ptr(4), NPS: ptr(3), RFC: ptr(false)},
		// Waiting, unclaimed.
		{ID: "a4", Flow: "returns-exchange", Channel: "email", Created: kpiW10.Add(80 * time.Hour), Tasks: []servertest.SeedTask{{SLA: time.Hour}}},
		// Completed without a claim after 300 s, no SLA; reopened after the
		// window and no answer: FCR unknown.
		{ID: "a5", Flow: "returns-exchange", Channel: "chat", Created: kpiW10.Add(100 * time.Hour),
			Tasks:  []servertest.SeedTask{{Done: 300 * time.Second}},
			Status: store.CaseCompleted, Closed: time.Hour, Reopened: 10 * 24 * time.Hour},
		// Cancelled after a claim at 10 s and a late cancellation: its
		// feedback counts for CSAT, not for FCR; its span is no completed task.
		{ID: "a6", Flow: "returns-exchange", Channel: "phone", Created: kpiW10.Add(130 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: 10 * time.Second, Done: 3 * time.Hour, SLA: time.Hour, Cancel: true}},
			Status: store.CaseCancelled, Closed: 3 * time.Hour, CSAT: ptr(5), RFC: ptr(true)},
		// An improvement cycle: not a service case.
		{ID: "p1", Flow: apiv1.PDCAFlow, Channel: "app", Created: kpiW10.Add(12 * time.Hour),
			Tasks: []servertest.SeedTask{{Claim: time.Hour, Done: 2 * time.Hour, SLA: time.Hour}}, CSAT: ptr(1)},
		// W12.
		{ID: "b1", Flow: "returns-exchange", Channel: "phone", Created: kpiW12.Add(9 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: time.Minute, Done: 30 * time.Minute, SLA: time.Hour}},
			Status: store.CaseCompleted, Closed: time.Hour, CSAT: ptr(2), NPS: ptr(9), RFC: ptr(true)},
		// Outside the range.
		{ID: "c0", Flow: "complaint", Channel: "phone", Created: kpiW10.Add(-time.Second), CSAT: ptr(1)},
		{ID: "c9", Flow: "complaint", Channel: "phone", Created: kpiW13, CSAT: ptr(1)},
	}
}

// kpiWant is what a KPI set should say; nil values are null.
type kpiWant struct {
	cases, complaints  int
	csat, csatMean     *float64
	csatN, csatTop     int
	nps                *float64
	npsN, prom, detr   int
	fcr                *float64
	fcrN               int
	resp, respP90      *float64
	respN              int
	onTime             *float64
	onTimeN, onTimeYes int
	complaintRate      *float64
}

func requireKPIs(t *testing.T, name string, w kpiWant, got apiv1.ServiceKPISet) {
	t.Helper()
	val := func(what string, want, got *float64) {
		t.Helper()
		if want == nil {
			require.Nil(t, got, "%s %s", name, what)
			return
		}
		require.NotNil(t, got, "%s %s", name, what)
		require.InDelta(t, *want, *got, 1e-9, "%s %s", name, what)
	}
	met := func(what string, want *bool, got *bool) {
		t.Helper()
		require.Equal(t, want, got, "%s %s meets_target", name, what)
	}
	cmp := func(v *float64, ok func(float64) bool) *bool {
		if v == nil {
			return nil
		}
		return ptr(ok(*v))
	}
	require.Equal(t, w.cases, got.Cases, "%s cases", name)

	val("csat", w.csat, got.CSAT.Value)
	val("csat mean", w.csatMean, got.CSAT.Mean)
	require.Equal(t, []int{w.csatN, w.csatTop}, []int{got.CSAT.N, got.CSAT.Count}, "%s csat n, count", name)
	require.Equal(t, 0.9, got.CSAT.Target)
	require.Equal(t, "at_least", got.CSAT.Direction)
	met("csat", cmp(w.csat, func(v float64) bool { return v >= 0.9 }), got.CSAT.MeetsTarget)

	val("nps", w.nps, got.NPS.Value)
	require.Equal(t, []int{w.npsN, w.prom, w.detr}, []int{got.NPS.N, got.NPS.Promoters, got.NPS.Detractors}, "%s nps", name)
	require.Equal(t, 50.0, got.NPS.Target)
	met("nps", cmp(w.nps, func(v float64) bool { return v >= 50 }), got.NPS.MeetsTarget)

	val("fcr", w.fcr, got.FCR.Value)
	require.Equal(t, w.fcrN, got.FCR.N, "%s fcr n", name)
	require.Equal(t, 0.85, got.FCR.Target)
	met("fcr", cmp(w.fcr, func(v float64) bool { return v >= 0.85 }), got.FCR.MeetsTarget)

	val("first response", w.resp, got.FirstResponse.Value)
	val("first response p90", w.respP90, got.FirstResponse.P90)
	require.Equal(t, w.respN, got.FirstResponse.N, "%s first response n", name)
	require.Equal(t, 30.0, got.FirstResponse.Target)
	require.Equal(t, "at_most", got.FirstResponse.Direction)
	met("first response", cmp(w.resp, func(v float64) bool { return v <= 30 }), got.FirstResponse.MeetsTarget)

	val("on time", w.onTime, got.OnTime.Value)
	require.Equal(t, []int{w.onTimeN, w.onTimeYes}, []int{got.OnTime.N, got.OnTime.Count}, "%s on time n, count", name)
	met("on time", cmp(w.onTime, func(v float64) bool { return v >= 0.95 }), got.OnTime.MeetsTarget)

	val("complaint rate", w.complaintRate, got.ComplaintRate.Value)
	require.Equal(t, []int{w.cases, w.complaints}, []int{got.ComplaintRate.N, got.ComplaintRate.Count}, "%s complaint rate", name)
	require.Equal(t, 0.02, got.ComplaintRate.Target)
	require.Equal(t, "at_most", got.ComplaintRate.Direction)
	met("complaint rate", cmp(w.complaintRate, func(v float64) bool { return v <= 0.02 }), got.ComplaintRate.MeetsTarget)
}

// The expected KPIs of kpiCases, worked out by hand.
var (
	// a1..a6: CSAT 5, 3, 4, 5 (3 of 4 top-2, mean 17/4); NPS 10, 7, 3 (one
	// promoter, one detractor); FCR of the completed cases a1 yes, a2 no
	// (reopened), a3 no (a5 unknown, a6 cancelled); first responses 20,
	// 40, 100, 300, 10 s: sorted 10 20 40 100 300, p90 at 3.6 = 100 + 0.6 ×
	// 200; spans with an SLA: a1 ×2 (one late), a2, a3.
	wantW10 = kpiWant{cases: 6, complaints: 2, complaintRate: fptr(2.0 / 6),
		csat: fptr(0.75), csatMean: fptr(4.25), csatN: 4, csatTop: 3,
		nps: fptr(0), npsN: 3, prom: 1, detr: 1,
		fcr: fptr(1.0 / 3), fcrN: 3,
		resp: fptr(40), respP90: fptr(220), respN: 5,
		onTime: fptr(0.75), onTimeN: 4, onTimeYes: 3}
	// a1, a2, a6: responses 10 20 40 (p90 at 1.8 = 20 + 0.8 × 20).
	wantW10Phone = kpiWant{cases: 3, complaints: 1, complaintRate: fptr(1.0 / 3),
		csat: fptr(2.0 / 3), csatMean: fptr(13.0 / 3), csatN: 3, csatTop: 2,
		nps: fptr(50), npsN: 2, prom: 1,
		fcr: fptr(0.5), fcrN: 2,
		resp: fptr(20), respP90: fptr(36), respN: 3,
		onTime: fptr(2.0 / 3), onTimeN: 3, onTimeYes: 2}
	wantW10Email = kpiWant{cases: 2, complaints: 1, complaintRate: fptr(0.5),
		csat: fptr(1), csatMean: fptr(4), csatN: 1, csatTop: 1,
		nps: fptr(-100), npsN: 1, detr: 1,
		fcr: fptr(0), fcrN: 1,
		resp: fptr(100), respP90: fptr(100), respN: 1,
		onTime: fptr(1), onTimeN: 1, onTimeYes: 1}
	// a5 alone: nothing but a response and the complaint rate.
	wantW10Chat = kpiWant{cases: 1, complaintRate: fptr(0), resp: fptr(300), respP90: fptr(300), respN: 1}
	wantNone    = kpiWant{}
	wantW12     = kpiWant{cases: 1, complaintRate: fptr(0),
		csat: fptr(0), csatMean: fptr(2), csatN: 1,
		nps: fptr(100), npsN: 1, prom: 1,
		fcr: fptr(1), fcrN: 1,
		resp: fptr(60), respP90: fptr(60), respN: 1,
		onTime: fptr(1), onTimeN: 1, onTimeYes: 1}
	// Every case: responses 10 20 40 60 100 300 (median 50, p90 at 4.5 =
	// 100 + 0.5 × 200).
	wantAll = kpiWant{cases: 7, complaints: 2, complaintRate: fptr(2.0 / 7),
		csat: fptr(0.6), csatMean: fptr(3.8), csatN: 5, csatTop: 3,
		nps: fptr(25), npsN: 4, prom: 2, detr: 1,
		fcr: fptr(0.5), fcrN: 4,
		resp: fptr(50), respP90: fptr(200), respN: 6,
		onTime: fptr(0.8), onTimeN: 5, onTimeYes: 4}
	wantAllPhone = kpiWant{cases: 4, complaints: 1, complaintRate: fptr(0.25),
		csat: fptr(0.5), csatMean: fptr(15.0 / 4), csatN: 4, csatTop: 2,
		nps: fptr(200.0 / 3), npsN: 3, prom: 2,
		fcr: fptr(2.0 / 3), fcrN: 3,
		resp: fptr(30), respP90: fptr(54), respN: 4,
		onTime: fptr(0.75), onTimeN: 4, onTimeYes: 3}
)

func (e *testEnv) serviceKPIs(as string, q url.Values) apiv1.ServiceKPIs {
	e.t.Helper()
	return servertest.DecodeStrict[apiv1.ServiceKPIs](e.t, e.Do(as, http.MethodGet, "/api/v1/kpis/service?"+q.Encode(), nil, nil), http.StatusOK)
}

func kpiRange() url.Values {
	return url.Values{"from": {kpiW10.Format(time.RFC3339)}, "to": {kpiW13.Format(time.RFC3339)}}
}

func TestServiceKPIs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.SeedCases(kpiCases()...)

	k := e.serviceKPIs("agent", kpiRange())
	require.Equal(t, kpiW10, k.From)
	require.Equal(t, kpiW13, k.To)
	require.Empty(t, k.Channel)
	require.Empty(t, k.Flow)
	require.Equal(t, float64(7*24*3600), k.ReopenWindowSeconds)
	require.Equal(t, []string{"chat", "email", "phone"}, k.Channels, "the cycle's channel app is not a service channel")
	require.Len(t, k.Weeks, 3)
	for i, wk := range []struct {
		name  string
		start time.Time
	}{{"2026-W10", kpiW10}, {"2026-W11", kpiW11}, {"2026-W12", kpiW12}} {
		require.Equal(t, wk.name, k.Weeks[i].Week)
		require.Equal(t, wk.start, k.Weeks[i].Start)
		require.Equal(t, wk.start.AddDate(0, 0, 7), k.Weeks[i].End)
		require.Len(t, k.Weeks[i].Channels, 3)
		for j, c := range k.Channels {
			require.Equal(t, c, k.Weeks[i].Channels[j].Channel)
		}
	}
	requireKPIs(t, "W10", wantW10, k.Weeks[0].All)
	requireKPIs(t, "W10 chat", wantW10Chat, k.Weeks[0].Channels[0].KPIs)
	requireKPIs(t, "W10 email", wantW10Email, k.Weeks[0].Channels[1].KPIs)
	requireKPIs(t, "W10 phone", wantW10Phone, k.Weeks[0].Channels[2].KPIs)
	// The gap: a week without cases is listed with null values.
	requireKPIs(t, "W11", wantNone, k.Weeks[1].All)
	for _, c := range k.Weeks[1].Channels {
		requireKPIs(t, "W11 "+c.Channel, wantNone, c.KPIs)
	}
	requireKPIs(t, "W12", wantW12, k.Weeks[2].All)
	requireKPIs(t, "W12 chat", wantNone, k.Weeks[2].Channels[0].KPIs)
	requireKPIs(t, "W12 phone", wantW12, k.Weeks[2].Channels[2].KPIs)
	requireKPIs(t, "overall", wantAll, k.Overall.All)
	requireKPIs(t, "overall phone", wantAllPhone, k.Overall.Channels[2].KPIs)
	requireKPIs(t, "overall chat", wantW10Chat, k.Overall.Channels[0].KPIs)

	// Null is sent as null.
	raw := e.Do("agent", http.MethodGet, "/api/v1/kpis/service?"+kpiRange().Encode(), nil, nil).Body.String()
	require.Contains(t, raw, `"value":null`)
	require.Contains(t, raw, `"meets_target":null`)
	require.Contains(t, raw, `"mean":null`)

	// A channel filter: only its cases, one channel listed.
	q := kpiRange()
	q.Set("channel", "phone")
	k = e.serviceKPIs("agent", q)
	require.Equal(t, "phone", k.Channel)
	require.Equal(t, []string{"phone"}, k.Channels)
	requireKPIs(t, "phone W10", wantW10Phone, k.Weeks[0].All)
	requireKPIs(t, "phone W10 channel", wantW10Phone, k.Weeks[0].Channels[0].KPIs)
	requireKPIs(t, "phone W11", wantNone, k.Weeks[1].All)
	requireKPIs(t, "phone W12", wantW12, k.Weeks[2].All)
	requireKPIs(t, "phone overall", wantAllPhone, k.Overall.All)
	// A channel without cases is still listed.
	q.Set("channel", "wechat")
	k = e.serviceKPIs("agent", q)
	require.Equal(t, []string{"wechat"}, k.Channels)
	requireKPIs(t, "wechat", wantNone, k.Overall.Channels[0].KPIs)

	// A flow filter: complaint is the exact key (a3's complaint-onestop is
	// not in it), and every case of it is a complaint.
	q = kpiRange()
	q.Set("flow", "complaint")
	k = e.serviceKPIs("agent", q)
	require.Equal(t, []string{"phone"}, k.Channels)
	require.Equal(t, 1, k.Overall.All.Cases)
	require.Equal(t, fptr(1), k.Overall.All.ComplaintRate.Value)
	require.Equal(t, ptr(false), k.Overall.All.ComplaintRate.MeetsTarget)
	require.Equal(t, fptr(0.5), k.Overall.All.OnTime.Value)
	// The improvement flow only when asked for.
	q.Set("flow", apiv1.PDCAFlow)
	k = e.serviceKPIs("agent", q)
	require.Equal(t, []string{"app"}, k.Channels)
	require.Equal(t, 1, k.Weeks[0].All.Cases)
	require.Equal(t, fptr(3600), k.Weeks[0].All.FirstResponse.Value)

	// from and to are widened to whole weeks; to on a Monday stays.
	k = e.serviceKPIs("agent", url.Values{"from": {kpiW10.Add(50 * time.Hour).Format(time.RFC3339)}, "to": {kpiW12.Add(time.Second).Format(time.RFC3339)}})
	require.Equal(t, kpiW10, k.From)
	require.Equal(t, kpiW13, k.To)
	requireKPIs(t, "widened", wantAll, k.Overall.All)
	k = e.serviceKPIs("agent", url.Values{"from": {kpiW11.Format(time.RFC3339)}, "to": {kpiW12.Format(time.RFC3339)}})
	require.Len(t, k.Weeks, 1)
	requireKPIs(t, "W11 alone", wantNone, k.Overall.All)
}

func TestServiceKPIsPages(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, SeedBuiltinFlows(ctx, st))
	e := newEnvWithStore(t, smallMeasurePages{st})
	e.SeedCases(kpiCases()...)
	k := e.serviceKPIs("admin", kpiRange())
	requireKPIs(t, "overall", wantAll, k.Overall.All)
	requireKPIs(t, "W10", wantW10, k.Weeks[0].All)
}

func TestServiceKPIsDefaultRange(t *testing.T) {
	t.Parallel()
	now := kpiW12.Add(51 * time.Hour) // Wednesday of 2026-W12
	e := newEnvAt(t, now)
	e.SeedCases(kpiCases()...)
	k := e.serviceKPIs("admin", nil)
	require.Equal(t, kpiW13, k.To, "the week of now, whole")
	require.Equal(t, kpiW13.AddDate(0, 0, -7*12), k.From)
	require.Len(t, k.Weeks, 12)
	require.Equal(t, "2026-W01", k.Weeks[0].Week)
	require.Equal(t, "2026-W12", k.Weeks[11].Week)
	requireKPIs(t, "W10", wantW10, k.Weeks[9].All)
	requireKPIs(t, "W12", wantW12, k.Weeks[11].All)
	// Only from: up to now.
	k = e.serviceKPIs("admin", url.Values{"from": {kpiW11.Format(time.RFC3339)}})
	require.Equal(t, kpiW11, k.From)
	require.Equal(t, kpiW13, k.To)
	// Only to: the 12 weeks before it.
	k = e.serviceKPIs("admin", url.Values{"to": {kpiW11.Format(time.RFC3339)}})
	require.Equal(t, kpiW11.AddDate(0, 0, -7*12), k.From)
	require.Len(t, k.Weeks, 12)
	requireKPIs(t, "up to W11", wantW10, k.Weeks[11].All)
}

func TestServiceKPIsBadParams(t *testing.T) {
	t.Parallel()
	e := newEnvAt(t, kpiW12)
	long := kpiW10.AddDate(0, 0, -7*106)
	for _, tc := range []struct {
		query, field, detail string
	}{
		{"from=yesterday", "from", "RFC 3339"},
		{"to=2026-03-02", "to", "RFC 3339"},
		{"from=2026-03-09T00:00:00Z&to=2026-03-02T00:00:00Z", "to", "must be after from"},
		{"from=2026-03-09T00:00:00Z&to=2026-03-09T00:00:00Z", "to", "must be after from"},
		{"from=2026-04-01T00:00:00Z", "from", "must be before to (default: now)"},
		{"from=" + long.Format(time.RFC3339) + "&to=" + kpiW10.Format(time.RFC3339), "from", "spans 106 ISO weeks"},
		{"from=" + long.Add(-time.Second).Format(time.RFC3339) + "&to=" + kpiW10.Format(time.RFC3339), "from", "spans 107 ISO weeks; at most 106"},
		{"week=10", "week", "unknown parameter"},
		{"channel=a&channel=b", "channel", "more than once"},
	} {
		res := e.Do("admin", http.MethodGet, "/api/v1/kpis/service?"+tc.query, nil, nil)
		if tc.detail == "spans 106 ISO weeks" {
			require.Equal(t, http.StatusOK, res.Code, "106 weeks are allowed: %s", res.Body.String())
			continue
		}
		p := servertest.ProblemOf(t, res, http.StatusBadRequest)
		require.Equal(t, tc.field, p.Errors[0].Field, tc.query)
		require.Contains(t, p.Errors[0].Message, tc.detail, tc.query)
	}
	// Without a token: 401.
	require.Equal(t, http.StatusUnauthorized, e.Do("", http.MethodGet, "/api/v1/kpis/service", nil, nil).Code)
}

func TestWeekStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   time.Time
		want time.Time
	}{
		{kpiW10, kpiW10},
		{kpiW10.Add(time.Nanosecond), kpiW10},
		{kpiW11.Add(-time.Nanosecond), kpiW10},
		{time.Date(2026, 3, 8, 23, 59, 0, 0, time.UTC), kpiW10},                                       // Sunday
		{time.Date(2026, 3, 9, 0, 30, 0, 0, time.FixedZone("CET", 3600)), kpiW10},                     // Sunday 23:30 UTC
		{time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), time.Date(2026, 12, 28, 0, 0, 0, 0, time.UTC)}, // across the year
	} {
		require.Equal(t, tc.want, weekStart(tc.in), tc.in.String())
	}
}

// followUpCases are completed cases with follow-ups (decision 0041), in
// 2026-W10 unless said: f1 called, yes, CSAT 5 and no feedback; f2
// called, no, CSAT 5 but a feedback CSAT of 2; f3 called, not sure; f4
// called, unreachable; f5 not sampled; f6 sampled, closed late in W12,
// its call not due yet; f7 another flow's, not sampled; f8 active.
func followUpCases() []servertest.SeedCase {
	called := func(outcome, improvement string, csat *int) *servertest.SeedFollowUp {
		return &servertest.SeedFollowUp{Share: 0.15, Sampled: true, After: 48 * time.Hour, Opened: true, Outcome: outcome,
			Improvement: improvement, CSAT: csat}
	}
	done := func(id, flow, channel string, created time.Time, f *servertest.SeedFollowUp) servertest.SeedCase {
		return servertest.SeedCase{ID: id, Flow: flow, Channel: channel, Created: created, Status: store.CaseCompleted, Closed: time.Hour, FollowUp: f}
	}
	f2 := done("f2", "complaint", "phone", kpiW10.Add(2*time.Hour), called(store.FollowUpAnswered, store.ImprovementNo, ptr(5)))
	f2.CSAT = ptr(2)
	return []servertest.SeedCase{
		done("f1", "complaint", "phone", kpiW10.Add(time.Hour), called(store.FollowUpAnswered, store.ImprovementYes, ptr(5))),
		f2,
		done("f3", "complaint", "email", kpiW10.Add(3*time.Hour), called(store.FollowUpAnswered, store.ImprovementNotSure, nil)),
		done("f4", "complaint", "email", kpiW10.Add(4*time.Hour), called(store.FollowUpUnreachable, "", nil)),
		done("f5", "complaint", "phone", kpiW10.Add(5*time.Hour), &servertest.SeedFollowUp{Share: 0.15, After: 48 * time.Hour}),
		done("f6", "complaint", "phone", kpiW12.Add(6*24*time.Hour), &servertest.SeedFollowUp{Share: 0.15, Sampled: true, After: 48 * time.Hour}),
		done("f7", "returns-exchange", "chat", kpiW10.Add(6*time.Hour), &servertest.SeedFollowUp{Share: 0.2, After: 24 * time.Hour}),
		{ID: "f8", Flow: "complaint", Channel: "phone", Created: kpiW10.Add(7 * time.Hour)},
	}
}

// The follow-up calls' answers in the service KPIs (decision 0041): the
// perceived-improvement rate is yes / (yes + no) with not sure apart; a
// call's CSAT is the case's CSAT only when the feedback has none; a call
// is no first response and no on-time span; per flow the realised share
// (calls opened of the due cases) is listed beside the declared one.
func TestServiceKPIsFollowUps(t *testing.T) {
	t.Parallel()
	e := newEnvAt(t, kpiW13)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.SeedCases(followUpCases()...)
	k := e.serviceKPIs("agent", kpiRange())

	all := k.Overall.All
	require.Equal(t, apiv1.ServicePerceived{Value: fptr(0.5), Count: 1, N: 2, NotSure: 1}, all.PerceivedImprovement)
	require.Equal(t, 2, all.CSAT.N, "f1's call and f2's feedback")
	require.Equal(t, 1, all.CSAT.Count)
	require.Equal(t, fptr(3.5), all.CSAT.Mean, "f2 counts its feedback's 2, not its call's 5")
	require.Zero(t, all.FirstResponse.N, "a call's claim is no first response")
	require.Zero(t, all.OnTime.N, "a call is no task span")
	require.Equal(t, apiv1.ServicePerceived{NotSure: 1}, k.Overall.Channels[1].KPIs.PerceivedImprovement,
		"email: f3 not sure, f4 unreachable: no rate")
	require.Equal(t, "email", k.Overall.Channels[1].Channel)
	require.Equal(t, apiv1.ServicePerceived{Value: fptr(0.5), Count: 1, N: 2, NotSure: 1}, k.Weeks[0].All.PerceivedImprovement)
	require.Equal(t, apiv1.ServicePerceived{}, k.Weeks[1].All.PerceivedImprovement, "a week without calls")

	require.Equal(t, []apiv1.FollowUpShare{
		{Flow: "complaint", DeclaredShare: 0.15, Eligible: 6, Sampled: 5, Due: 5, Opened: 4, Answered: 3, Unreachable: 1, RealisedShare: fptr(0.8)},
		{Flow: "returns-exchange", DeclaredShare: 0.2, Eligible: 1, Due: 1, RealisedShare: fptr(0)},
	}, k.FollowUps)

	// A week before any call was due: the realised share has no
	// denominator yet.
	q := url.Values{"from": {kpiW12.Format(time.RFC3339)}, "to": {kpiW13.Format(time.RFC3339)}}
	k = e.serviceKPIs("agent", q)
	require.Equal(t, []apiv1.FollowUpShare{{Flow: "complaint", DeclaredShare: 0.15, Eligible: 1, Sampled: 1}}, k.FollowUps)
	raw := e.Do("agent", http.MethodGet, "/api/v1/kpis/service?"+q.Encode(), nil, nil).Body.String()
	require.Contains(t, raw, `"realised_share":null`)

	// No follow-ups at all: an empty list, not null.
	q = url.Values{"from": {kpiW11.Format(time.RFC3339)}, "to": {kpiW12.Format(time.RFC3339)}}
	raw = e.Do("agent", http.MethodGet, "/api/v1/kpis/service?"+q.Encode(), nil, nil).Body.String()
	require.Contains(t, raw, `"follow_ups":[]`)
}
