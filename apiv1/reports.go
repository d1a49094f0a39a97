package apiv1

import "time"

// The review packs (decision 0042): one flow over one calendar month or
// quarter, every figure computed by the code of the route that shows it
// elsewhere, as one JSON document that package report renders as one
// self-contained, printable HTML document.

// Review kinds and variants.
const (
	ReviewMonthly   = "monthly"
	ReviewQuarterly = "quarterly"
	// ReviewInternal has everything; ReviewPublic is for customers: no
	// people, alert rules, proposals, bottlenecks or migrations.
	ReviewInternal = "internal"
	ReviewPublic   = "public"
)

// ProblemReportTooLarge is the slug of a review pack refused because its
// period holds more rows than a pack reads.
const ProblemReportTooLarge = "report-too-large"

// MonthlyReviewParams are the query parameters of getMonthlyReview.
type MonthlyReviewParams struct {
	Flow    string `query:"flow" required:"true" maxLength:"100" description:"The key of the flow the pack is about." example:"complaint"`
	Month   string `query:"month" required:"true" pattern:"^[0-9]{4}-(0[1-9]|1[0-2])$" description:"The calendar month, YYYY-MM: from 00:00 UTC of its first day to 00:00 UTC of the next month's." example:"2026-11"`
	Variant string `query:"variant" enum:"internal,public" default:"internal" description:"internal: every section; public: for customers, leaving out people, alert rules, proposals, bottlenecks and migrations."`
}

// QuarterlyReviewParams are the query parameters of getQuarterlyReview.
type QuarterlyReviewParams struct {
	Flow    string `query:"flow" required:"true" maxLength:"100" description:"The key of the flow the pack is about." example:"complaint"`
	Quarter string `query:"quarter" required:"true" pattern:"^[0-9]{4}-Q[1-4]$" description:"The calendar quarter, YYYY-Qn (Q1: January to March): from 00:00 UTC of its first day to 00:00 UTC of the next quarter's." example:"2026-Q4"`
	Variant string `query:"variant" enum:"internal,public" default:"public" description:"public (the default here: the quarterly publication of improvements to customers): leaving out people, alert rules, proposals, bottlenecks and migrations; internal: every section."`
}

// ReviewPack is a flow's review over one month or quarter
// (getMonthlyReview, getQuarterlyReview).
type ReviewPack struct {
	Kind        string    `json:"kind" enum:"monthly,quarterly"`
	Variant     string    `json:"variant" enum:"internal,public"`
	Flow        string    `json:"flow"`
	FlowName    string    `json:"flow_name" description:"The name of the flow's default version."`
	Period      string    `json:"period" description:"The month (2026-11) or quarter (2026-Q4)."`
	From        time.Time `json:"from" description:"Start of the period: 00:00 UTC of its first day."`
	To          time.Time `json:"to" description:"End of the period (exclusive)."`
	GeneratedAt time.Time `json:"generated_at"`
	Partial     bool      `json:"partial" description:"The period had not ended at generated_at: its figures are those so far."`
	// Figures are the period's; Trend the periods up to it.
	Figures      ReviewPeriod       `json:"figures" description:"The period's KPIs and cycle time (the last entry of trend)."`
	Trend        []ReviewPeriod     `json:"trend" nullable:"false" description:"The period and the 5 months (monthly) or 3 quarters (quarterly) before it, oldest first."`
	Bottlenecks  []Bottlenecks      `json:"bottlenecks" nullable:"false" description:"Per version of the flow with spans entered in the period, by version: getFlowBottlenecks with from and to the period. Empty in the public variant."`
	Changes      ReviewChanges      `json:"changes"`
	Pilots       []Pilot            `json:"pilots" nullable:"false" description:"The flow's pilots that ran at some time in the period, newest first, with their stored results (the last look), as getPilot shows them without live; public: without created_by, stop_reason and workflow_id."`
	Improvements ReviewImprovements `json:"improvements"`
	Proposals    *ReviewProposals   `json:"proposals" nullable:"true" description:"The proposals made in the period; null in the public variant."`
	Alerts       *ReviewAlerts      `json:"alerts" nullable:"true" description:"The alert rules that concern the flow and fired in the period; null in the public variant."`
	FollowUps    *FollowUpShare     `json:"follow_ups" nullable:"true" description:"The follow-up calls of the flow's cases created in the period, as getServiceKPIs's follow_ups entry of the flow; null when none of them asks for a call."`
	Omitted      []string           `json:"omitted" nullable:"false" description:"What the variant leaves out, in words (empty for internal)."`
	Bounds       ReviewBounds       `json:"bounds" description:"The most rows a pack reads; a period holding more is refused (422, report-too-large)."`
	Sources      []ReviewSource     `json:"sources" nullable:"false" description:"For each section, the request whose code computed it for the same period."`
	Notes        []string           `json:"notes" nullable:"false" description:"What a reader should know about the figures (a period not over yet, a flow without cases)."`
}

// ReviewSource names the route whose code computed a section.
type ReviewSource struct {
	Section string `json:"section"`
	Request string `json:"request" description:"The request that shows the same figures, like GET /api/v1/kpis/service?flow=complaint&from=…&to=… (for the ISO weeks inside the period)."`
}

// ReviewBounds are the bounds of a review pack.
type ReviewBounds struct {
	Cases     int `json:"cases" description:"Case rows read for the KPIs and the cycle time (every flow's, for the complaint rate)."`
	Cycles    int `json:"cycles" description:"PDCA cycles of the flow read."`
	Pilots    int `json:"pilots" description:"Pilots of the flow read."`
	Proposals int `json:"proposals" description:"Proposals of the period read."`
	Entries   int `json:"entries" description:"Audit entries and alert state changes read, each kind."`
}

// ReviewPeriod is the KPIs and the cycle time of one period.
type ReviewPeriod struct {
	Period        string         `json:"period" description:"2026-11 or 2026-Q4."`
	From          time.Time      `json:"from"`
	To            time.Time      `json:"to"`
	KPIs          ServiceKPISet  `json:"kpis" description:"The flow's cases created in the period, as getServiceKPIs with flow (so its complaint_rate counts the flow's own cases only: read complaint_rate beside it)."`
	ComplaintRate ServiceRate    `json:"complaint_rate" description:"Complaint cases of all service cases created in the period (every flow but pdca), as getServiceKPIs without flow."`
	CycleTime     FlowTrendStats `json:"cycle_time" description:"The flow's cases completed in the period, by their close, as getFlowTrend."`
}

// ReviewChanges is what changed in the flow in the period.
type ReviewChanges struct {
	Versions   []ReviewVersion   `json:"versions" nullable:"false" description:"Versions published or retired in the period, by version."`
	Defaults   []ReviewDefault   `json:"defaults" nullable:"false" description:"The default version chosen by hand (audit flow.default), oldest first."`
	Promotions []ReviewPromotion `json:"promotions" nullable:"false" description:"Pilot arms promoted to the flow's default (audit pilot.promote), oldest first."`
	Migrations []ReviewMigration `json:"migrations" nullable:"false" description:"Running cases moved to another version (audit flow.migrate), oldest first; empty in the public variant."`
}

// ReviewVersion is a version published or retired in the period, with
// what changed from the version before (as diffFlowVersions).
type ReviewVersion struct {
	Version         int        `json:"version"`
	Name            string     `json:"name"`
	PublishedAt     time.Time  `json:"published_at"`
	PublishedBy     string     `json:"published_by" description:"Actor id; empty in the public variant."`
	Published       bool       `json:"published" description:"Published in the period (else it was retired in it)."`
	RetiredAt       *time.Time `json:"retired_at"`
	IsDefault       bool       `json:"is_default" description:"The default version at generated_at."`
	ComparedTo      int        `json:"compared_to" description:"The version the changes are against (the one before it); 0 for a first version."`
	StepsAdded      []string   `json:"steps_added" nullable:"false"`
	StepsRemoved    []string   `json:"steps_removed" nullable:"false"`
	StepsChanged    []string   `json:"steps_changed" nullable:"false"`
	HandoffsAdded   int        `json:"handoffs_added" description:"Department handoffs (a task followed by a task of another department) the version adds."`
	HandoffsRemoved int        `json:"handoffs_removed"`
}

// ReviewDefault is a default version chosen by hand.
type ReviewDefault struct {
	At   time.Time `json:"at"`
	From int       `json:"from"`
	To   int       `json:"to"`
	By   string    `json:"by" description:"Actor id; empty in the public variant."`
}

// ReviewPromotion is a pilot arm promoted to the flow's default.
type ReviewPromotion struct {
	At      time.Time `json:"at"`
	PilotID string    `json:"pilot_id"`
	Arm     string    `json:"arm" enum:"control,treatment"`
	Version int       `json:"version" description:"The version that became the default."`
	By      string    `json:"by" description:"Actor id (pdca:<case id> for a cycle's standardise step); empty in the public variant."`
}

// ReviewMigration is one migration of running cases.
type ReviewMigration struct {
	At          time.Time `json:"at"`
	MigrationID string    `json:"migration_id"`
	From        int       `json:"from"`
	To          int       `json:"to"`
	Cases       int       `json:"cases" description:"Cases the request handled."`
	Migrated    int       `json:"migrated"`
	Refused     int       `json:"refused"`
	Failed      int       `json:"failed"`
	Truncated   bool      `json:"truncated" description:"More cases remained than one request handles."`
	Aborted     bool      `json:"aborted" description:"The workflow engine became unavailable part way."`
	By          string    `json:"by"`
}

// ReviewImprovements are the PDCA cycles improving the flow.
type ReviewImprovements struct {
	Cycles []Improvement     `json:"cycles" nullable:"false" description:"Cycles whose attribute flow is the pack's flow and that were open at some time in the period, newest first, as listImprovements shows them; public: only those standardised in the period, without proposal_id."`
	Counts ReviewCycleCounts `json:"counts"`
	Landed KPI               `json:"improvements_landed" description:"standardised / completed, of the cycles closed in the period, as getImprovementKPIs computes it over every cycle (target 0.9)."`
}

// ReviewCycleCounts count the flow's cycles of the period.
type ReviewCycleCounts struct {
	Active       int `json:"active" description:"Open at some time in the period."`
	Started      int `json:"started" description:"Created in the period."`
	Closed       int `json:"closed" description:"Closed (completed, cancelled or failed) in the period."`
	Completed    int `json:"completed" description:"Completed in the period."`
	Standardised int `json:"standardised" description:"Completed in the period with promoted_version set."`
	Abandoned    int `json:"abandoned" description:"Closed in the period with outcome abandoned."`
	OpenNow      int `json:"open_now" description:"Still open at generated_at."`
}

// ReviewProposals are the improvement proposals made in the period.
type ReviewProposals struct {
	Proposals    []Proposal      `json:"proposals" nullable:"false" description:"Created in the period, newest first, at most 200."`
	Truncated    bool            `json:"truncated" description:"More were made than proposals lists (counts count them all)."`
	Counts       ProposalCounts  `json:"counts" description:"Those created in the period, by status now."`
	AdoptionRate KPI             `json:"adoption_rate" description:"adopted / (adopted + declined) of those, as getImprovementKPIs computes it (target 0.7)."`
	AllTime      ImprovementKPIs `json:"all_time" description:"getImprovementKPIs at generated_at: every proposal and cycle."`
}

// ReviewAlerts are the alert rules that concern the flow (scoped to it, or
// to no flow) and fired in the period.
type ReviewAlerts struct {
	Rules int           `json:"rules" description:"Rules that concern the flow at generated_at."`
	Fired []ReviewAlert `json:"fired" nullable:"false" description:"Those that were firing at some time in the period, by name."`
}

// ReviewAlert is one rule and the times it fired.
type ReviewAlert struct {
	Rule          string               `json:"rule" description:"Rule id."`
	Name          string               `json:"name"`
	MetricTitle   string               `json:"metric_title"`
	ScopeText     string               `json:"scope_text"`
	ConditionText string               `json:"condition_text"`
	Episodes      []ReviewAlertEpisode `json:"episodes" nullable:"false" description:"Each time it fired and overlapped the period, oldest first (from listAlertEvents: a change to firing, and the next change from firing)."`
	FiringSeconds float64              `json:"firing_seconds" description:"Time spent firing within the period."`
}

// ReviewAlertEpisode is one time a rule fired: from its change to firing
// to its next change.
type ReviewAlertEpisode struct {
	FiredAt   time.Time  `json:"fired_at"`
	ValueText string     `json:"value_text" description:"The value that made it fire."`
	EndedAt   *time.Time `json:"ended_at" description:"When it left firing; null while it fires."`
	EndedAs   string     `json:"ended_as" description:"The state it went to (resolved); empty while it fires."`
	Seconds   float64    `json:"seconds" description:"fired_at to ended_at, or to generated_at while it fires."`
}
