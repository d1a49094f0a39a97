package apiv1

import "time"

// FlowTrendParams are the parameters of getFlowTrend: the flow, a version
// and the range of weeks.
type FlowTrendParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version int       `query:"version" minimum:"1" description:"Only cases on this version of the flow (their current one); default: every version."`
	From    time.Time `query:"from" description:"Start of the range (RFC 3339), moved back to the Monday 00:00 UTC of its ISO week; default: 12 weeks before the end."`
	To      time.Time `query:"to" description:"End of the range (RFC 3339, exclusive), moved forward to the next Monday 00:00 UTC unless it is one; default: now."`
}

// FlowTrendStats is the figures of a set of completed cases.
type FlowTrendStats struct {
	N             int      `json:"n" description:"Cases completed in the period."`
	MedianSeconds *float64 `json:"median_seconds" description:"Median cycle time (created → closed) in seconds; null when n is 0."`
	P90Seconds    *float64 `json:"p90_seconds" description:"90th percentile of the cycle time in seconds; null when n is 0."`
	TaskSpans     int      `json:"task_spans" description:"Spans of the cases' completed tasks that had an SLA."`
	BreachedSpans int      `json:"breached_spans" description:"Those of them completed after their SLA due time."`
	SLABreachRate *float64 `json:"sla_breach_rate" description:"breached_spans / task_spans; null when task_spans is 0."`
}

// FlowTrendWeek is one ISO week of a flow's trend.
type FlowTrendWeek struct {
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

// FlowTrend is a flow's cycle time and SLA breaches per ISO week
// (getFlowTrend).
type FlowTrend struct {
	Flow    string          `json:"flow"`
	Version *int            `json:"version" description:"The version filter; null: every version."`
	From    time.Time       `json:"from" description:"Start of the first week (Monday 00:00 UTC)."`
	To      time.Time       `json:"to" description:"End of the last week (exclusive)."`
	Weeks   []FlowTrendWeek `json:"weeks" nullable:"false" description:"Every week of the range, oldest first, weeks without completed cases included (their values null)."`
	Overall FlowTrendStats  `json:"overall" description:"The whole range."`
}
