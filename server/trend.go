package server

import (
	"net/http"
	"time"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/store"
)

// A flow's weekly cycle time and SLA breach rate (ADR 0015): the cases
// completed in each ISO week, from store.ListCaseMeasures.

type flowTrendParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version int       `query:"version" minimum:"1" description:"Only cases on this version of the flow (their current one); default: every version."`
	From    time.Time `query:"from" description:"Start of the range (RFC 3339), moved back to the Monday 00:00 UTC of its ISO week; default: 12 weeks before the end."`
	To      time.Time `query:"to" description:"End of the range (RFC 3339, exclusive), moved forward to the next Monday 00:00 UTC unless it is one; default: now."`
}

// flowTrendStatsJSON is the figures of a set of completed cases.
type flowTrendStatsJSON struct {
	N             int      `json:"n" description:"Cases completed in the period."`
	MedianSeconds *float64 `json:"median_seconds" description:"Median cycle time (created → closed) in seconds; null when n is 0."`
	P90Seconds    *float64 `json:"p90_seconds" description:"90th percentile of the cycle time in seconds; null when n is 0."`
	TaskSpans     int      `json:"task_spans" description:"Spans of the cases' completed tasks that had an SLA."`
	BreachedSpans int      `json:"breached_spans" description:"Those of them completed after their SLA due time."`
	SLABreachRate *float64 `json:"sla_breach_rate" description:"breached_spans / task_spans; null when task_spans is 0."`
}

// flowTrendWeekJSON is one ISO week of a flow's trend.
type flowTrendWeekJSON struct {
	Week          string    `json:"week" description:"ISO 8601 week, e.g. 2026-W10."`
	Start         time.Time `json:"start" description:"Monday 00:00 UTC."`
	End           time.Time `json:"end" description:"The next Monday 00:00 UTC (exclusive)."`
	N             int       `json:"n" description:"Cases completed in the week."`
	MedianSeconds *float64  `json:"median_seconds" description:"Median cycle time (created → closed) in seconds; null when n is 0."`
	P90Seconds    *float64  `json:"p90_seconds" description:"90th percentile of the cycle time in seconds; null when n is 0."`
	TaskSpans     int       `json:"task_spans" description:"Spans of the cases' completed tasks that had an SLA."`
	BreachedSpans int       `json:"breached_spans" description:"Those of them completed after their SLA due time."`
	SLABreachRate *float64  `json:"sla_breach_rate" description:"breached_spans / task_spans; null when task_spans is 0."`
}

type flowTrendJSON struct {
	Flow    string              `json:"flow"`
	Version *int                `json:"version" description:"The version filter; null: every version."`
	From    time.Time           `json:"from" description:"Start of the first week (Monday 00:00 UTC)."`
	To      time.Time           `json:"to" description:"End of the last week (exclusive)."`
	Weeks   []flowTrendWeekJSON `json:"weeks" nullable:"false" description:"Every week of the range, oldest first, weeks without completed cases included (their values null)."`
	Overall flowTrendStatsJSON  `json:"overall" description:"The whole range."`
}

// trendAcc accumulates the cycle times and span breaches of cases.
type trendAcc struct {
	cycles             []float64
	slaSpans, breached int
}

func (a *trendAcc) add(m store.CaseMeasure, e experiment.Case) {
	a.cycles = append(a.cycles, e.CycleSeconds)
	a.slaSpans += m.TaskSpansWithSLA
	a.breached += m.TaskSpansBreached
}

func (a *trendAcc) json() flowTrendStatsJSON {
	return flowTrendStatsJSON{N: len(a.cycles), MedianSeconds: quantile(a.cycles, 0.5), P90Seconds: quantile(a.cycles, 0.9),
		TaskSpans: a.slaSpans, BreachedSpans: a.breached, SLABreachRate: ratio(a.breached, a.slaSpans)}
}

// trendWeek is the week starting at start with the figures st.
func trendWeek(start time.Time, st flowTrendStatsJSON) flowTrendWeekJSON {
	return flowTrendWeekJSON{Week: isoWeek(start), Start: start, End: start.Add(week), N: st.N,
		MedianSeconds: st.MedianSeconds, P90Seconds: st.P90Seconds, TaskSpans: st.TaskSpans,
		BreachedSpans: st.BreachedSpans, SLABreachRate: st.SLABreachRate}
}

// flowTrend reports a flow's completed cases per ISO week of their close.
func (s *Server) flowTrend(w http.ResponseWriter, r *http.Request) error {
	q, err := paramsOf[flowTrendParams](r)
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
	weeks := make([]trendAcc, n)
	var total trendAcc
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
		weeks[i].add(m, e)
		total.add(m, e)
		return nil
	})
	if err != nil {
		return err
	}
	out := flowTrendJSON{Flow: q.Key, From: start, To: end, Weeks: make([]flowTrendWeekJSON, n), Overall: total.json()}
	if q.Version != 0 {
		out.Version = &q.Version
	}
	for i := range weeks {
		out.Weeks[i] = trendWeek(start.Add(time.Duration(i)*week), weeks[i].json())
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
