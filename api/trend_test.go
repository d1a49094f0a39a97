package api

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// trendWant is what a week of a trend should say; nil values are null.
type trendWant struct {
	n                 int
	median, p90, rate *float64
	spans, breached   int
}

func requireTrend(t *testing.T, name string, w trendWant, got apiv1.FlowTrendStats) {
	t.Helper()
	require.Equal(t, []int{w.n, w.spans, w.breached}, []int{got.N, got.TaskSpans, got.BreachedSpans}, "%s n, task_spans, breached_spans", name)
	for _, v := range []struct {
		what      string
		want, got *float64
	}{{"median", w.median, got.MedianSeconds}, {"p90", w.p90, got.P90Seconds}, {"breach rate", w.rate, got.SLABreachRate}} {
		if v.want == nil {
			require.Nil(t, v.got, "%s %s", name, v.what)
			continue
		}
		require.NotNil(t, v.got, "%s %s", name, v.what)
		require.InDelta(t, *v.want, *v.got, 1e-9, "%s %s", name, v.what)
	}
}

func weekStats(w apiv1.FlowTrendWeek) apiv1.FlowTrendStats {
	return apiv1.FlowTrendStats{N: w.N, MedianSeconds: w.MedianSeconds, P90Seconds: w.P90Seconds,
		TaskSpans: w.TaskSpans, BreachedSpans: w.BreachedSpans, SLABreachRate: w.SLABreachRate}
}

func (e *testEnv) flowTrend(key string, q url.Values) apiv1.FlowTrend {
	e.t.Helper()
	return servertest.DecodeStrict[apiv1.FlowTrend](e.t, e.Do("agent", http.MethodGet, "/api/v1/flows/"+key+"/trend?"+q.Encode(), nil, nil), http.StatusOK)
}

func TestFlowTrend(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.SeedCases(servertest.TrendCases()...)

	tr := e.flowTrend("complaint", kpiRange())
	require.Equal(t, "complaint", tr.Flow)
	require.Nil(t, tr.Version)
	require.Equal(t, kpiW10, tr.From)
	require.Equal(t, kpiW13, tr.To)
	require.Len(t, tr.Weeks, 3)
	for i, name := range []string{"2026-W10", "2026-W11", "2026-W12"} {
		require.Equal(t, name, tr.Weeks[i].Week)
		require.Equal(t, kpiW10.AddDate(0, 0, 7*i), tr.Weeks[i].Start)
		require.Equal(t, kpiW10.AddDate(0, 0, 7*(i+1)), tr.Weeks[i].End)
	}
	// W10: 3600 7200 172800 s (p90 at 1.8 = 7200 + 0.8 × 165600); spans
	// with an SLA t1 ×2 (one late), t2, t3 (late).
	requireTrend(t, "W10", trendWant{n: 3, median: fptr(7200), p90: fptr(139680), spans: 4, breached: 2, rate: fptr(0.5)}, weekStats(tr.Weeks[0]))
	requireTrend(t, "W11", trendWant{}, weekStats(tr.Weeks[1]))
	requireTrend(t, "W12", trendWant{n: 1, median: fptr(345600), p90: fptr(345600), spans: 1, rate: fptr(0)}, weekStats(tr.Weeks[2]))
	// 3600 7200 172800 345600 s: median 90000, p90 at 2.7 = 172800 + 0.7
	// × 172800.
	requireTrend(t, "overall", trendWant{n: 4, median: fptr(90000), p90: fptr(293760), spans: 5, breached: 2, rate: fptr(0.4)}, tr.Overall)
	raw := e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/trend?"+kpiRange().Encode(), nil, nil).Body.String()
	require.Contains(t, raw, `"median_seconds":null`)
	require.Contains(t, raw, `"sla_breach_rate":null`)

	// One version: its cases only.
	q := kpiRange()
	q.Set("version", "1")
	tr = e.flowTrend("complaint", q)
	require.Equal(t, ptr(1), tr.Version)
	requireTrend(t, "v1 W10", trendWant{n: 2, median: fptr(5400), p90: fptr(6840), spans: 3, breached: 2, rate: fptr(2.0 / 3)}, weekStats(tr.Weeks[0]))
	requireTrend(t, "v1 W12", trendWant{}, weekStats(tr.Weeks[2]))
	q.Set("version", "2")
	tr = e.flowTrend("complaint", q)
	requireTrend(t, "v2", trendWant{n: 2, median: fptr(259200), p90: fptr(328320), spans: 2, rate: fptr(0)}, tr.Overall)

	// A flow without completed cases in the range.
	tr = e.flowTrend("appointment", kpiRange())
	require.Len(t, tr.Weeks, 3)
	requireTrend(t, "appointment", trendWant{}, tr.Overall)
}

func TestFlowTrendDefaultRangeAndErrors(t *testing.T) {
	t.Parallel()
	e := newEnvAt(t, kpiW12.Add(time.Hour))
	e.Actor("agent", store.RoleOwner, "customer_service")
	e.SeedCases(servertest.TrendCases()...)
	tr := e.flowTrend("complaint", nil)
	require.Equal(t, kpiW13, tr.To)
	require.Len(t, tr.Weeks, 12)
	require.Equal(t, "2026-W12", tr.Weeks[11].Week)
	requireTrend(t, "W10", trendWant{n: 3, median: fptr(7200), p90: fptr(139680), spans: 4, breached: 2, rate: fptr(0.5)}, weekStats(tr.Weeks[9]))

	for _, path := range []string{"/api/v1/flows/nope/trend", "/api/v1/flows/complaint/trend?version=9"} {
		p := servertest.ProblemOf(t, e.Do("agent", http.MethodGet, path, nil, nil), http.StatusNotFound)
		require.Contains(t, p.Detail, "not found", path)
	}
	for _, tc := range []struct{ query, field, detail string }{
		{"version=0", "version", "at least 1"},
		{"version=x", "version", "integer"},
		{"from=2026-03-09", "from", "RFC 3339"},
		{"from=2026-03-09T00:00:00Z&to=2026-03-02T00:00:00Z", "to", "must be after from"},
		{"from=2020-01-01T00:00:00Z", "from", "at most 106"},
		{"flow=complaint", "flow", "unknown parameter"},
	} {
		p := servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/trend?"+tc.query, nil, nil), http.StatusBadRequest)
		require.Equal(t, tc.field, p.Errors[0].Field, tc.query)
		require.Contains(t, p.Errors[0].Message, tc.detail, tc.query)
	}
}
