package apiv1

// Roles of actors: what each may do is listed per route in the OpenAPI
// document (docs/decisions/0011, 0023).
const (
	RoleAdmin    = "admin"
	RoleOwner    = "owner"
	RoleStaff    = "staff"
	RoleImprover = "improver"
)

// Roles is every role, in the order the API lists them.
var Roles = []string{RoleAdmin, RoleOwner, RoleStaff, RoleImprover}

// Case statuses (Case.Status).
const (
	CaseStarting  = "starting"  // created, its workflow not yet confirmed running
	CaseActive    = "active"    // its workflow runs
	CaseCompleted = "completed" // reached an end step
	CaseCancelled = "cancelled" // cancelled by a person
	CaseFailed    = "failed"    // its workflow ended unexpectedly; restart or close it
)

// Task statuses (Task.Status).
const (
	TaskOpen      = "open"      // waiting in a department's inbox, maybe claimed
	TaskCompleted = "completed" // completed with an outcome
	TaskCancelled = "cancelled" // closed because its case was cancelled or closed
)

// Pilot statuses (Pilot.Status).
const (
	PilotRunning   = "running"   // assigning new cases, evaluated on its schedule
	PilotStopped   = "stopped"   // stopped by a person or a guardrail
	PilotCompleted = "completed" // concluded with a recommendation
	PilotPromoted  = "promoted"  // an arm's version became the flow's default
)

// Pilot arms: the Variant of a case assigned in a pilot.
const (
	ArmControl   = "control"
	ArmTreatment = "treatment"
)

// Proposal statuses (Proposal.Status).
const (
	ProposalOpen     = "open"
	ProposalAdopted  = "adopted"
	ProposalDeclined = "declined"
)

// PDCAFlow is the key of the built-in improvement cycle (plan, do, check,
// act) that an adopted proposal starts.
const PDCAFlow = "pdca"

// PDCAPlanStep is the step id of the cycle's Plan task.
const PDCAPlanStep = "plan"

// Outcomes of an improvement cycle (Improvement.Outcome).
const (
	OutcomeStandardised    = "standardised"     // promoted_version is set: the candidate became the flow's default
	OutcomeAbandoned       = "abandoned"        // cancelled or failed, or closed through the Plan task's "abandoned"
	OutcomeNotStandardised = "not standardised" // closed otherwise without a promotion (the promotion was refused)
	OutcomeReplanned       = "replanned"        // open and back at Plan after a pilot (plan_again, or a refused pilot)
	OutcomeInProgress      = "in progress"      // open, first time round
)

// Stages of an improvement cycle (Improvement.Stage) other than the
// cycle's step ids.
const (
	StageClosed   = "closed"
	StageStarting = "starting"
)

// Directions of a KPI's target (ServiceRate.Direction and the like).
const (
	AtLeast = "at_least"
	AtMost  = "at_most"
)

// Headers the API reads or sends beside the standard ones.
const (
	// IdempotencyKeyHeader carries a client's idempotency key on POST
	// /cases (replays the same case) and on POST /tasks/{id}/complete.
	IdempotencyKeyHeader = "Idempotency-Key"
	// RequestIDHeader carries a request's id: a client may send one, the
	// server answers with the id it used; audit entries and logs carry it.
	RequestIDHeader = "X-Request-Id"
)

// TokenPrefix starts every API token.
const TokenPrefix = "flk_"

// Slugs of problem types a client may act on (Problem.Slug).
const (
	ProblemGraphTooLarge   = "graph-too-large"   // the flow is too large to draw: read graph.json
	ProblemGraphLayoutBusy = "graph-layout-busy" // every layout slot is taken: retry after Retry-After
)

// CaseIDLength is the length of a case id (a UUID in its 36-character
// text form).
const CaseIDLength = 36
