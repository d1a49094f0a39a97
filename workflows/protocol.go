package workflows

import (
	"fmt"
	"time"

	"github.com/flowlab/flowlab/flow"
)

// The protocol between the Case workflow, its activities and the API. These
// names and types are part of workflow histories: renaming one breaks replay.
const (
	// TaskQueue is the task queue the worker polls for cases.
	TaskQueue = "flowlab-cases"
	// CaseWorkflow is the workflow type of the one interpreter.
	CaseWorkflow = "Case"

	// UpdateComplete completes the human task the case waits on.
	UpdateComplete = "complete"
	// SignalEvent delivers an external event to a wait step.
	SignalEvent = "event"
	// QueryState returns the CaseState.
	QueryState = "state"
	// UpdateMigrate moves a case waiting at a task or wait step onto another
	// version of its flow (MigrateRequest → MigrateResult).
	UpdateMigrate = "migrate"
)

// Activity names.
const (
	ActivityOpenTask   = "OpenTask"
	ActivityAssignTask = "AssignTask"
	ActivityCloseTask  = "CloseTask"
	ActivityRecordSpan = "RecordSpan"
	ActivityEscalate   = "Escalate"
	ActivityNotify     = "Notify"
	ActivityUpdateCase = "UpdateCase"
	// ActivityRecordFollowUp records a completed case's follow-up
	// (decision 0041).
	ActivityRecordFollowUp = "RecordFollowUp"
	// ActivityAutoPrefix + an auto step's activity name is the activity
	// type run for that step ("auto:notify").
	ActivityAutoPrefix = "auto:"
)

// Application error types returned by the complete Update (validator or
// handler). The API maps them to HTTP statuses.
const (
	ErrStaleTask       = "StaleTask"       // not the task the case waits on now (409)
	ErrWrongDepartment = "WrongDepartment" // actor not in the task's department (403)
	ErrUnknownOutcome  = "UnknownOutcome"  // outcome not allowed by the step (422)
	ErrInvalidData     = "InvalidData"     // form data missing a required field (422)
	// ErrTaskConflict: the store refused to close the task (claimed by
	// another actor, or closed by another completion) (409).
	ErrTaskConflict = "TaskConflict"
	// ErrMigrationRefused: the migrate Update's validator refused the case;
	// the message is MigrationRefusal's reason, meant for the client.
	ErrMigrationRefused = "MigrationRefused"
)

// Case statuses as the workflow reports them (same words as the store's).
const (
	StatusActive    = "active"
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
	// StatusFailed: the interpreter hit an error it cannot recover from
	// (an auto step's activity failed for good, an unknown step id).
	StatusFailed = "failed"
)

// CaseInput starts a case. The definition is a snapshot: a running case
// keeps the version it started on.
type CaseInput struct {
	CaseID     string
	Definition flow.Definition
	Variant    string
	Customer   string
	Channel    string
	Attributes map[string]any
	// Resume is set when the workflow continues as new.
	Resume *Resume `json:",omitempty"`
}

// Resume carries the interpreter's position across continue-as-new.
type Resume struct {
	Step        string
	Seq         int
	Attributes  map[string]any
	LastOutcome string
	LastData    map[string]any
	StartedAt   time.Time
	// SLAPaused is the business time spent in finished pause_sla waits.
	SLAPaused time.Duration `json:",omitempty"`
	// EnteredAt is when the previous run reached the step boundary; the
	// resumed step counts as entered then (its SLA and timers start there).
	EnteredAt time.Time `json:",omitempty"`
	// Events are events received but not yet consumed by a wait step.
	Events []EventRequest `json:",omitempty"`
}

// CompleteRequest is the argument of the complete Update.
type CompleteRequest struct {
	TaskID           string
	Outcome          string
	Data             map[string]any
	ActorID          string
	ActorRole        string
	ActorDepartments []string
	// CompletionID is the Update ID (the request's idempotency key).
	CompletionID string
	// RequestID is the API request that asked for the completion (its
	// X-Request-Id), for the audit entry written with the completion.
	RequestID string `json:",omitempty"`
}

// CompleteResult is what the complete Update returns: the case's state
// once the interpreter has come to rest again (next human task opened, a
// wait started, or the case ended).
type CompleteResult struct {
	CaseID     string
	TaskID     string
	CaseStatus string
	Next       []TaskRef
}

// TaskRef names an open human task.
type TaskRef struct {
	TaskID          string
	Seq             int
	Step            string
	StepName        string
	Department      string
	SLADue          *time.Time `json:",omitempty"`
	EscalationLevel int
}

// EventRequest is the payload of SignalEvent.
type EventRequest struct {
	Name string
	Data map[string]any
}

// CaseState is the answer of QueryState.
type CaseState struct {
	CaseID      string
	Flow        string
	Version     int
	Variant     string
	Status      string
	Step        string
	Seq         int
	Open        []TaskRef
	WaitingFor  string // event name of a wait step
	Attributes  map[string]any
	LastOutcome string
	// StepKind is the kind of Step.
	StepKind string `json:",omitempty"`
	// AtRest: the interpreter waits at a task (opened, not being completed
	// or escalated) or a wait step, so a migration may swap its definition.
	AtRest bool `json:",omitempty"`
	// SLADue is when the case-level SLA falls due: the flow's sla counted
	// in business time from the start, pushed back by the time spent in
	// pause_sla wait steps. Nil when the flow has no case SLA.
	SLADue *time.Time `json:",omitempty"`
	// SLAPaused is the business time spent so far in pause_sla waits.
	SLAPaused time.Duration `json:",omitempty"`
}

// MigrateRequest is the argument of the migrate Update: move the case from
// version From of its flow onto the definition To, continuing at
// Mapping[current step]. The open task (if any) is closed as cancelled with
// outcome "migrated" and its span recorded; the mapped step is entered
// fresh (its SLA starts at the migration).
type MigrateRequest struct {
	MigrationID string
	From        int
	To          flow.Definition
	// Mapping maps step ids of version From to step ids of To.
	Mapping map[string]string
	ActorID string
}

// MigrateResult is what the migrate Update returns once the case has come
// to rest on the new version.
type MigrateResult struct {
	CaseID      string
	FromVersion int
	ToVersion   int
	FromStep    string
	ToStep      string
	// ClosedTaskID is the task closed by the migration ("" at a wait step).
	ClosedTaskID string `json:",omitempty"`
	CaseStatus   string
	Next         []TaskRef
}

// Assignment is how a task's step finds a person (decision 0035). The
// workflow resolves the skills from the case's attributes and last form
// data; the activity resolves sticky people from the store. The OpenTask
// activity carries it since change assign-at-open, the AssignTask
// activity for runs recorded before.
type Assignment struct {
	// Customer is the case's, for StickyCustomer.
	Customer string
	// Rules are the step's rule and fallbacks in order (pull ends them).
	Rules []string
	// Skills are the values the skills rule requires.
	Skills []string
	// StickySteps are the earlier task steps whose person the sticky
	// rule prefers, in order; StickyCustomer adds whoever last served the
	// customer.
	StickySteps    []string
	StickyCustomer bool
	// AcceptWithin: the person assigned must start the task within it,
	// or it goes back to the pool (0: no limit).
	AcceptWithin time.Duration `json:",omitempty"`
}

// AssignTaskInput is the input of ActivityAssignTask: a task just opened
// and how its step finds a person, at At. Runs recorded before change
// assign-at-open send it; its JSON is the one they recorded (Assignment's
// fields are promoted).
type AssignTaskInput struct {
	TaskID, CaseID string
	Assignment
	At time.Time
}

// AssignTaskResult says who got the task ("" when it stays in the pool)
// and by which rule.
type AssignTaskResult struct {
	Assignee, Rule string
}

// OpenTaskInput is the input of ActivityOpenTask; it writes the task row
// idempotently on (CaseID, Seq) and, with Assign, assigns the task in the
// same store transaction.
type OpenTaskInput struct {
	TaskID     string
	CaseID     string
	Seq        int
	Flow       string
	Version    int
	Variant    string
	Step       string
	StepName   string
	Department string
	Roles      []string
	Outcomes   []string
	Form       []flow.Field
	OpenedAt   time.Time
	SLADue     *time.Time `json:",omitempty"`
	// Assign is the step's assignment (rules other than pull) since
	// change assign-at-open: the task is assigned at OpenedAt as it
	// opens. nil for a step without one and for runs recorded before (no
	// Assign in its JSON), which assign with ActivityAssignTask.
	Assign *Assignment `json:",omitempty"`
}

// SpanInput is a step's span (see store.Span).
type SpanInput struct {
	CaseID          string
	Seq             int
	Flow            string
	Version         int
	Variant         string
	Step            string
	Kind            string
	Department      string
	EnteredAt       time.Time
	CompletedAt     time.Time
	Outcome         string
	SLADue          *time.Time `json:",omitempty"`
	Breached        bool
	EscalationLevel int
	Actor           string
}

// CloseTaskInput closes a task (completed or cancelled) and records its
// span in one transaction; the claim time comes from the task row.
type CloseTaskInput struct {
	TaskID       string
	Status       string // "completed" | "cancelled"
	Outcome      string
	Data         map[string]any
	ActorID      string
	CompletionID string
	// RequestID is the API request of the completion ("" for none); the
	// completion's audit entry, written in the transaction that closes the
	// task, carries it.
	RequestID string `json:",omitempty"`
	Span      SpanInput
	// FollowUp is set when the task is a follow-up call (decision 0041):
	// the outcome and answers the activity keeps with the case's
	// follow-up once the task is closed. Left out of every other task's
	// input, which is what it was before the field.
	FollowUp *FollowUpAnswer `json:",omitempty"`
}

// FollowUpAnswer is what a completed follow-up call keeps: its outcome
// (flow.FollowUpAnswered or flow.FollowUpUnreachable) and, when answered,
// the answers flow.CheckFollowUpAnswers read from the form.
type FollowUpAnswer struct {
	CaseID      string
	Outcome     string
	Improvement string `json:",omitempty"`
	CSAT        *int   `json:",omitempty"`
	Comment     string `json:",omitempty"`
}

// RecordFollowUpInput is the input of ActivityRecordFollowUp: when a case
// of a flow version with a follow-up completes, the share the version
// declares, whether flow.Sampled picked the case and, for a sampled case,
// the call task it opens at DueAt (the close plus the follow-up's after).
// A case not sampled is recorded too: the realised share counts it.
type RecordFollowUpInput struct {
	CaseID  string
	Share   float64
	Sampled bool
	TaskID  string `json:",omitempty"`
	DueAt   time.Time
	At      time.Time
}

// EscalateInput records one escalation level of an open task.
type EscalateInput struct {
	CaseID     string
	TaskID     string
	Step       string
	Level      int
	Department string // move the task here when set
	Notify     string // notify this target when set
	At         time.Time
	// Assign is the level's assign: (flow.EscalateTeamLead or
	// flow.EscalatePool, in the flow's words; the activity maps them to
	// the store's), "" keeps the holder. Left out of the JSON when empty,
	// so the input of a level without it is what it was before the field.
	Assign string `json:",omitempty"`
}

// NotifyInput is a notification (logged, and POSTed to the webhook when one
// is configured).
type NotifyInput struct {
	CaseID  string
	Step    string
	Target  string
	Message string
	Data    map[string]any `json:",omitempty"`
}

// UpdateCaseInput updates the case row's status and current step.
type UpdateCaseInput struct {
	CaseID string
	Status string
	Step   string
	// Version, when not 0, moves the case row to that flow version
	// (migration).
	Version int `json:",omitempty"`
	// SLADue is the case-level SLA due time (nil: unchanged).
	SLADue     *time.Time     `json:",omitempty"`
	Attributes map[string]any `json:",omitempty"`
	ClosedAt   *time.Time     `json:",omitempty"`
	At         time.Time
}

// AutoInput is the input of an auto step's activity.
type AutoInput struct {
	CaseID     string
	Flow       string
	Step       string
	Params     map[string]any
	Attributes map[string]any
	Customer   string
	Channel    string
}

// AutoResult may set case attributes (merged into the case's).
type AutoResult struct {
	Attributes map[string]any `json:",omitempty"`
}

// MigrationRefusal returns why a case in state st cannot be migrated by req
// ("" when it can). The migrate Update's validator and the API's dry run
// both use it, so a dry run reports what a real run would do (except for a
// case that moves on in between).
func MigrationRefusal(st CaseState, req MigrateRequest) string {
	switch {
	case st.Status != StatusActive:
		return "case is " + st.Status
	case st.Flow != req.To.Key:
		return "case runs flow " + st.Flow + ", not " + req.To.Key
	case st.Version != req.From:
		return fmt.Sprintf("case runs version %d, not %d", st.Version, req.From)
	}
	target, mapped := req.Mapping[st.Step]
	if !mapped {
		return fmt.Sprintf("step %s is not mapped", st.Step)
	}
	if _, ok := req.To.Step(target); !ok {
		return fmt.Sprintf("step %s is mapped to %s, which version %d does not have", st.Step, target, req.To.Version)
	}
	if !st.AtRest {
		return fmt.Sprintf("case is between steps (at %s step %s); try again", st.StepKind, st.Step)
	}
	return ""
}
