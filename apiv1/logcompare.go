package apiv1

import (
	"context"
	"net/http"
	"time"
)

// CompareLogParams are the parameters of compareLogWithFlow: the log (its
// filters), the flow version whose spans are the "after", and the mapping.
type CompareLogParams struct {
	ID        string    `path:"id" description:"Log id." example:"5b0c2f7e-9d1a-4c3b-8e6f-2a1d0c9b8e7f"`
	Flow      string    `query:"flow" required:"true" maxLength:"100" description:"The flow whose spans are the after side." example:"complaint"`
	Version   int       `query:"version" minimum:"1" description:"Its version; default: the flow's default version."`
	Map       []string  `query:"map" maxItems:"200" description:"ACTIVITY=STEP: the log's activity that the step replaces (repeatable; split at the last =). Without any, activities are mapped to the step whose id or name they are."`
	From      time.Time `query:"from" description:"Only the log's cases whose first event is at or after this time (RFC 3339)."`
	To        time.Time `query:"to" description:"Only the log's cases whose first event is before this time (RFC 3339)."`
	AfterFrom time.Time `query:"after_from" description:"Only spans entered at or after this time (RFC 3339)."`
	AfterTo   time.Time `query:"after_to" description:"Only spans entered before this time (RFC 3339)."`
}

// MappedActivity is one line of the mapping used.
type MappedActivity struct {
	Activity string `json:"activity"`
	Step     string `json:"step"`
	Proposed bool   `json:"proposed" description:"Proposed by name (no map was given)."`
}

// CompareSide is one side's figures of a step.
type CompareSide struct {
	Cases       int          `json:"cases"`
	Events      int          `json:"events" description:"Instances: the log's events or the flow's spans of the step."`
	Wait        LogQuantiles `json:"wait"`
	Work        LogQuantiles `json:"work"`
	Share       float64      `json:"share" description:"Its waiting and working time over that of every mapped step on its side, 0–1."`
	Rework      float64      `json:"rework_rate" description:"Share of its cases in which it occurs more than once, 0–1."`
	ReworkCases int          `json:"rework_cases"`
}

// CompareChange is the after side against the before side: a ratio of
// durations (after/before) or a difference of rates (after − before), its
// 95 % interval and two-sided p-value; null where a side has nothing.
type CompareChange struct {
	Estimate *float64 `json:"estimate"`
	Low      *float64 `json:"ci_low"`
	High     *float64 `json:"ci_high"`
	P        *float64 `json:"p"`
}

// CompareStep is one step, before and after.
type CompareStep struct {
	Step       string        `json:"step"`
	Activities []string      `json:"activities" nullable:"false" description:"The log's activities mapped to it."`
	Before     CompareSide   `json:"before"`
	After      CompareSide   `json:"after"`
	WaitRatio  CompareChange `json:"wait_ratio" description:"After over before waiting (Hodges–Lehmann on log durations)."`
	WorkRatio  CompareChange `json:"work_ratio" description:"After over before working."`
	ReworkDiff CompareChange `json:"rework_diff" description:"After minus before rework rate (two proportions)."`
}

// CompareCycle compares the cycle times.
type CompareCycle struct {
	Before LogQuantiles  `json:"before" description:"The log's cases: last event minus first."`
	After  LogQuantiles  `json:"after" description:"The flow version's completed cases: closed minus created."`
	Ratio  CompareChange `json:"ratio"`
}

// LogComparison is the as-is log beside a flow version's spans
// (compareLogWithFlow; decision 0034).
type LogComparison struct {
	LogID              string           `json:"log_id"`
	Flow               string           `json:"flow"`
	Version            int              `json:"version"`
	Mapping            []MappedActivity `json:"mapping" nullable:"false"`
	Steps              []CompareStep    `json:"steps" nullable:"false"`
	Cycle              CompareCycle     `json:"cycle_time"`
	UnmappedActivities []string         `json:"unmapped_activities" nullable:"false"`
	UnmappedSteps      []string         `json:"unmapped_steps" nullable:"false"`
	Spans              int              `json:"spans" description:"Spans of the after side read."`
	SpansTruncated     bool             `json:"spans_truncated" description:"More spans matched than the server compares at once: the earliest were used; narrow after_from/after_to."`
}

// CompareLogWithFlow sets a log beside a flow version's spans, step by
// step (compareLogWithFlow).
func (c *Client) CompareLogWithFlow(ctx context.Context, params CompareLogParams, opts ...CallOption) (*LogComparison, error) {
	return call[LogComparison](ctx, c, http.MethodGet, "/api/v1/logs/{id}/compare", params, nil, opts...)
}
