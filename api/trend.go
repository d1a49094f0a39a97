package api

import (
	"net/http"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/store"
)

// A flow's weekly cycle time and SLA breach rate (ADR 0015): the cases
// completed in each ISO week, from store.ListCaseMeasures.

// trendWeek is the week starting at start with the figures st.
func trendWeek(start time.Time, st apiv1.FlowTrendStats) apiv1.FlowTrendWeek {
	return apiv1.FlowTrendWeek{Week: readable.ISOWeek(start), Start: start, End: start.Add(week), N: st.N,
		MedianSeconds: st.MedianSeconds, P90Seconds: st.P90Seconds, TaskSpans: st.TaskSpans,
		BreachedSpans: st.BreachedSpans, SLABreachRate: st.SLABreachRate}
}

// flowTrend reports a flow's completed cases per ISO week of their close.
func (s *API) flowTrend(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowTrendParams](r)
	if err != nil {
		return err
	}
	start, end, n, err := weekRange(q.From, q.To, s.now())
	if err != nil {
		return err
	}
	// 404 for an unknown flow or version.
	if _, err := s.loadFlowVersion(r.Context(), q.Key, q.Version); err != nil {
		return err
	}
	weeks := make([]kpi.Trend, n)
	var total kpi.Trend
	p := store.CaseMeasuresParams{Flow: q.Key, Version: q.Version, Status: store.CaseCompleted, ByClosedAt: true, From: &start, To: &end}
	err = s.eachMeasure(r.Context(), p, func(m store.CaseMeasure, e experiment.Case) error {
		// Closed and cycle time as pilots count them; a negative cycle
		// time (clock skew) is left out as pilots leave it out.
		if !e.Closed || e.CycleSeconds < 0 {
			return nil
		}
		i := int(m.ClosedAt.Sub(start) / week)
		if i < 0 || i >= n {
			return nil
		}
		weeks[i].Add(m, e)
		total.Add(m, e)
		return nil
	})
	if err != nil {
		return err
	}
	out := apiv1.FlowTrend{Flow: q.Key, From: start, To: end, Weeks: make([]apiv1.FlowTrendWeek, n), Overall: total.Stats()}
	if q.Version != 0 {
		out.Version = &q.Version
	}
	for i := range weeks {
		out.Weeks[i] = trendWeek(start.Add(time.Duration(i)*week), weeks[i].Stats())
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}
