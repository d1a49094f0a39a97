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
