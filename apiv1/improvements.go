package apiv1

import "time"

// Improvement is a PDCA improvement cycle (a case of flow pdca) as
// listImprovements shows it.
type Improvement struct {
	CaseID          string     `json:"case_id"`
	Status          string     `json:"status" enum:"starting,active,completed,cancelled,failed" description:"The case's status."`
	Stage           string     `json:"stage" description:"The current step (baseline, plan, do, results, check, act, standardise); closed once the case is closed, starting before its workflow entered a step."`
	Flow            string     `json:"flow" description:"The flow under improvement (attribute flow)."`
	Metric          string     `json:"metric" description:"The metric to improve (attribute metric)."`
	BaselineValue   *float64   `json:"baseline_value" description:"The metric's value before the cycle, from the baseline step; null until measured."`
	Target          *float64   `json:"target,omitempty" description:"The target the Plan task set (its latest completion's data, else the attribute target); absent until planned."`
	PilotID         string     `json:"pilot_id" description:"The cycle's latest pilot; empty before the Do step."`
	PilotStatus     string     `json:"pilot_status" description:"How that pilot ended (completed, stopped, refused); empty while it runs or before it."`
	PilotWinner     string     `json:"pilot_winner" description:"control, treatment or empty."`
	PromotedVersion *int       `json:"promoted_version" description:"The version made the flow's default by the standardise step; null otherwise."`
	ProposalID      string     `json:"proposal_id" description:"The staff proposal the cycle was started for; empty when started directly."`
	Outcome         string     `json:"outcome" enum:"standardised,abandoned,not standardised,replanned,in progress" description:"standardised: promoted_version is set; abandoned: cancelled, failed, or closed through Plan's abandoned; not standardised: closed otherwise without a promotion; replanned: open and back at Plan after a pilot; in progress: open otherwise."`
	CreatedAt       time.Time  `json:"created_at"`
	ClosedAt        *time.Time `json:"closed_at"`
}

// ImprovementList is one page of improvement cycles, newest first
// (listImprovements).
type ImprovementList struct {
	Improvements []Improvement `json:"improvements" nullable:"false"`
	NextCursor   string        `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// ListImprovementsParams are the query parameters of listImprovements.
type ListImprovementsParams struct {
	Status string    `query:"status" enum:"starting,active,completed,cancelled,failed" description:"Only cycles whose case is in this status."`
	From   time.Time `query:"from" description:"Only cycles created at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only cycles created before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// KPI is a rate with its target.
type KPI struct {
	Value       *float64 `json:"value" description:"numerator / denominator; null when the denominator is 0."`
	Numerator   int      `json:"numerator"`
	Denominator int      `json:"denominator"`
	Target      float64  `json:"target" description:"The value the plan aims at (at least)."`
	Met         *bool    `json:"met" description:"value >= target; null when value is null."`
}

// ProposalCounts count the improvement proposals by status.
type ProposalCounts struct {
	Open     int `json:"open"`
	Adopted  int `json:"adopted"`
	Declined int `json:"declined"`
	Total    int `json:"total"`
}

// CycleCounts count the PDCA cycles by where they stand.
type CycleCounts struct {
	Total        int `json:"total" description:"Every PDCA cycle."`
	Open         int `json:"open" description:"Cycles whose case is starting or active."`
	Completed    int `json:"completed" description:"Cycles whose case completed (reached its end step)."`
	Standardised int `json:"standardised" description:"Completed cycles with promoted_version set."`
	Abandoned    int `json:"abandoned" description:"Cycles with outcome abandoned (cancelled and failed included)."`
}

// ImprovementKPIs are the improvement team's KPIs (getImprovementKPIs).
type ImprovementKPIs struct {
	Proposals          ProposalCounts `json:"proposals"`
	AdoptionRate       KPI            `json:"adoption_rate" description:"adopted / (adopted + declined) proposals; open ones are not decided yet."`
	Cycles             CycleCounts    `json:"cycles"`
	ImprovementsLanded KPI            `json:"improvements_landed" description:"standardised / completed cycles."`
}
