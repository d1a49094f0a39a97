package apiv1

import "time"

// ExportSpansParams are the query parameters of exportSpans (GET
// /api/v1/spans): which spans, and JSON lines or CSV.
type ExportSpansParams struct {
	Flow    string    `query:"flow" description:"Only spans of this flow key." example:"complaint"`
	Version int       `query:"version" minimum:"1" description:"Only spans of this flow version."`
	Pilot   string    `query:"pilot" description:"Only spans of the cases assigned in this pilot."`
	From    time.Time `query:"from" description:"Only spans entered at or after this time (RFC 3339)."`
	To      time.Time `query:"to" description:"Only spans entered before this time (RFC 3339)."`
	Format  string    `query:"format" enum:"jsonl,csv,xes" default:"jsonl" description:"jsonl: one JSON object per line (application/x-ndjson); csv: a header row, then one row per span (text/csv); xes: an IEEE 1849 XES log, one trace per case and a schedule, start and complete event per step (application/xml)."`
}

// ExportedSpan is one exported span; times are RFC 3339, null (empty
// in CSV) when absent.
type ExportedSpan struct {
	CaseID               string     `json:"case_id"`
	Seq                  int        `json:"seq"`
	Flow                 string     `json:"flow"`
	Version              int        `json:"version"`
	Variant              string     `json:"variant"`
	PilotID              string     `json:"pilot_id"`
	Arm                  string     `json:"arm" description:"control or treatment when the case was assigned in a pilot, else empty."`
	Customer             string     `json:"customer"`
	Step                 string     `json:"step"`
	Kind                 string     `json:"kind"`
	Department           string     `json:"department"`
	EnteredAt            time.Time  `json:"entered_at"`
	ClaimedAt            *time.Time `json:"claimed_at"`
	CompletedAt          time.Time  `json:"completed_at"`
	Outcome              string     `json:"outcome"`
	SLADue               *time.Time `json:"sla_due"`
	Breached             bool       `json:"breached"`
	EscalationLevel      int        `json:"escalation_level"`
	Actor                string     `json:"actor"`
	CaseStatus           string     `json:"case_status"`
	CaseCreatedAt        *time.Time `json:"case_created_at"`
	CaseClosedAt         *time.Time `json:"case_closed_at"`
	CSAT                 *int       `json:"csat"`
	NPS                  *int       `json:"nps"`
	ResolvedFirstContact *bool      `json:"resolved_first_contact"`
	WaitSeconds          float64    `json:"wait_seconds" description:"Seconds the span waited: a task from entered to claimed (to completed when never claimed), a wait step throughout, other kinds 0; as GET /api/v1/flows/{key}/bottlenecks counts it (elapsed time)."`
	WorkSeconds          float64    `json:"work_seconds" description:"Seconds the span was worked on: a task from claimed to completed (0 when never claimed), automatic steps throughout, wait steps 0; as GET /api/v1/flows/{key}/bottlenecks counts it (elapsed time)."`
	FollowUpCSAT         *int       `json:"follow_up_csat" description:"The CSAT answer of the case's follow-up call (decision 0041); null when none. The case's CSAT is csat, or this when csat is null."`
	PerceivedImprovement string     `json:"perceived_improvement" description:"The follow-up call's answer to whether the customer perceives the improvement: yes, no or not_sure; empty when the case had no answered call (decision 0041)."`
}
