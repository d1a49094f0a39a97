package api

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// TestWatchlist: an owner watches the complaint flow and its investigate
// step; the watchlist shows each with its alert rules, the open PDCA
// cycles on the flow, and 8 weeks of trend: the flow's weeks equal the
// flow trend route's, the step's are its tasks' waiting and breaches.
func TestWatchlist(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(kpiW12.Add(50 * time.Hour))
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	e.Actor("tess", store.RoleStaff, "technical")
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.SeedCases(servertest.TrendCases()...)
	// The investigate step in W12: 20 tasks, each waited 10 min, 5 late.
	seedStepSpans(t, e.st, "investigate", kpiW12.Add(30*time.Hour), 20, 5)
	rule := createAlert(t, e, "olga", map[string]any{"name": "Investigation breaches", "metric": "sla_breach_rate",
		"scope": map[string]any{"flow": "complaint", "step": "investigate"}, "condition": map[string]any{"op": "above", "value": 0.2},
		"window": "1h", "min_sample": 10})
	createAlert(t, e, "olga", map[string]any{"name": "Returns backlog", "metric": "open_backlog",
		"scope": map[string]any{"flow": "returns-exchange"}, "condition": map[string]any{"op": "above", "value": 50}, "window": "1h"})

	servertest.ProblemOf(t, e.Do("tess", http.MethodPost, "/api/v1/watchlist", map[string]any{"flow": "complaint"}, nil), http.StatusForbidden)
	p := servertest.ProblemOf(t, e.Do("olga", http.MethodPost, "/api/v1/watchlist", map[string]any{"flow": "complaint", "step": "route"}, nil),
		http.StatusUnprocessableEntity)
	require.Equal(t, "step", p.Errors[0].Field)
	require.Contains(t, p.Errors[0].Message, "no task step \"route\"")
	p = servertest.ProblemOf(t, e.Do("olga", http.MethodPost, "/api/v1/watchlist", map[string]any{"flow": "nope"}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, "flow", p.Errors[0].Field)

	flowW := servertest.DecodeStrict[apiv1.Watch](t, e.Do("olga", http.MethodPost, "/api/v1/watchlist",
		map[string]any{"flow": "complaint", "note": "complaints take too long"}, nil), http.StatusCreated)
	clock.Add(time.Second) // the watchlist is oldest first
	stepW := servertest.DecodeStrict[apiv1.Watch](t, e.Do("olga", http.MethodPost, "/api/v1/watchlist",
		map[string]any{"flow": "complaint", "step": "investigate"}, nil), http.StatusCreated)
	servertest.ProblemOf(t, e.Do("olga", http.MethodPost, "/api/v1/watchlist", map[string]any{"flow": "complaint"}, nil), http.StatusConflict)

	list := servertest.DecodeStrict[apiv1.Watchlist](t, e.Do("tess", http.MethodGet, "/api/v1/watchlist", nil, nil), http.StatusOK)
	require.Len(t, list.Watches, 2)
	require.Equal(t, []string{flowW.ID, stepW.ID}, []string{list.Watches[0].ID, list.Watches[1].ID})
	for _, w := range list.Watches {
		require.Len(t, w.Alerts, 1, "the complaint rule, not the returns one")
		require.Equal(t, rule.ID, w.Alerts[0].ID)
		require.Len(t, w.Trend, watchWeeks)
		require.Equal(t, "2026-W12", w.Trend[watchWeeks-1].Week)
	}

	// The flow's weeks are the flow trend route's.
	tr := e.flowTrend("complaint", url.Values{"from": {kpiW10.Format(time.RFC3339)}, "to": {kpiW13.Format(time.RFC3339)}})
	fw := list.Watches[0]
	require.Equal(t, "cycle_time", fw.Measure)
	for i, wk := range tr.Weeks {
		got := fw.Trend[watchWeeks-3+i]
		require.Equal(t, wk.Week, got.Week)
		require.Equal(t, []any{wk.N, wk.MedianSeconds, wk.P90Seconds, wk.SLABreachRate}, []any{got.N, got.MedianSeconds, got.P90Seconds, got.SLABreachRate}, wk.Week)
	}
	// The step's last week: 20 tasks, 600 s of waiting each, 5 of 20 late.
	sw := list.Watches[1]
	require.Equal(t, []any{"waiting", "Technical investigation"}, []any{sw.Measure, sw.StepName})
	last := sw.Trend[watchWeeks-1]
	require.Equal(t, 20, last.N)
	require.InDelta(t, 600, *last.MedianSeconds, 1e-9)
	require.InDelta(t, 600, *last.P90Seconds, 1e-9)
	require.InDelta(t, 0.25, *last.SLABreachRate, 1e-12)
	require.Zero(t, sw.Trend[0].N)
	require.Nil(t, sw.Trend[0].MedianSeconds)

	res := e.Do("olga", http.MethodDelete, "/api/v1/watchlist/"+flowW.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	servertest.ProblemOf(t, e.Do("olga", http.MethodDelete, "/api/v1/watchlist/"+flowW.ID, nil, nil), http.StatusNotFound)
	ws, err := e.st.ListWatches(ctx)
	require.NoError(t, err)
	require.Len(t, ws, 1)
}
