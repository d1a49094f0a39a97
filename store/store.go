// Package store is flowlab's persistence: flow versions, cases, tasks, spans,
// actors and tokens, and the audit trail, behind one interface with two
// implementations (PostgreSQL through pgx, and an embedded SQLite file).
// SQL lives here alone; callers see only the types of this file.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Errors every implementation maps its own failures to.
var (
	// ErrNotFound: no row matched. One place per implementation maps
	// "no rows" to it.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row is not in a state that allows the change (a task
	// already completed, claimed by someone else, a duplicate key...).
	ErrConflict = errors.New("conflict")
	// ErrUnavailable: the database cannot be reached right now.
	ErrUnavailable = errors.New("database unavailable")
)

// Case statuses.
const (
	CaseStarting  = "starting"  // row written, workflow not yet confirmed running
	CaseActive    = "active"    // the workflow runs
	CaseCompleted = "completed" // reached an end step
	CaseCancelled = "cancelled"
	CaseFailed    = "failed"
)

// Task statuses.
const (
	TaskOpen      = "open"      // waiting in a department's inbox (maybe claimed)
	TaskCompleted = "completed" // completed with an outcome
	TaskCancelled = "cancelled" // closed because the case was cancelled
)

// Roles of actors.
const (
	RoleAdmin    = "admin"
	RoleOwner    = "owner"
	RoleStaff    = "staff"
	RoleImprover = "improver"
)

// Store is the persistence interface. All methods are safe for concurrent use.
type Store interface {
	// Migrate applies the embedded migrations (idempotent).
	Migrate(ctx context.Context) error
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	Close() error

	// Flow versions. PutFlowVersion is idempotent on (key, version): the same
	// content again returns the stored row with created=false; different
	// content under an existing version is ErrConflict. The first version of
	// a key becomes its default.
	PutFlowVersion(ctx context.Context, p PutFlowVersionParams) (fv FlowVersion, created bool, err error)
	GetFlowVersion(ctx context.Context, key string, version int) (FlowVersion, error)
	// DefaultFlowVersion returns the version new cases of key get.
	DefaultFlowVersion(ctx context.Context, key string) (FlowVersion, error)
	// SetDefaultFlowVersion makes an existing version the default of its
	// key; it does not look at the retired flag (the API refuses a retired
	// version, and case creation refuses a retired default).
	SetDefaultFlowVersion(ctx context.Context, key string, version int) error
	// RetireFlowVersion marks a version retired at at: it receives no new
	// cases, cases running on it finish on it. Retiring a retired version
	// is a no-op that keeps the first time; ErrNotFound when the version
	// does not exist. It does not look at the default either.
	RetireFlowVersion(ctx context.Context, key string, version int, at time.Time) error
	// ListFlows returns one summary per key, ordered by key.
	ListFlows(ctx context.Context) ([]FlowSummary, error)
	// ListFlowVersions returns the versions of key in ascending order.
	ListFlowVersions(ctx context.Context, key string) ([]FlowVersion, error)

	// Cases. CreateCase is idempotent on IdempotencyKey when it is set: a
	// second call with the same key returns the existing case and
	// created=false (callers compare RequestHash to detect reuse with a
	// different body).
	CreateCase(ctx context.Context, p CreateCaseParams) (c Case, created bool, err error)
	GetCase(ctx context.Context, id string) (Case, error)
	UpdateCase(ctx context.Context, p UpdateCaseParams) error
	// ListCases lists cases newest first.
	ListCases(ctx context.Context, p ListCasesParams) ([]Case, error)

	// Tasks. OpenTask is idempotent on (CaseID, Seq): a repeat returns the
	// existing row unchanged.
	OpenTask(ctx context.Context, p OpenTaskParams) (Task, error)
	GetTask(ctx context.Context, id string) (Task, error)
	// ListTasks orders by SLA due time (nulls last), then opened time, then id.
	ListTasks(ctx context.Context, p ListTasksParams) ([]Task, error)
	// ClaimTask assigns an open task. ErrConflict if the task is not open or
	// is claimed by another actor; claiming one's own claim again is a no-op.
	ClaimTask(ctx context.Context, p ClaimTaskParams) (Task, error)
	// UnclaimTask clears the assignee. ErrConflict if not open or claimed by
	// another actor (unless Force).
	UnclaimTask(ctx context.Context, p UnclaimTaskParams) (Task, error)
	// CompleteTask closes an open task with an outcome and records its span
	// in the same transaction. Repeating the call for a task already
	// completed with the same CompletionID returns the stored task (so an
	// activity retry has no second effect); any other call on a closed task
	// is ErrConflict.
	CompleteTask(ctx context.Context, p CompleteTaskParams) (Task, error)
	// CancelTask closes an open task as cancelled and records its span.
	// Cancelling a closed task is a no-op returning the row.
	CancelTask(ctx context.Context, p CancelTaskParams) (Task, error)
	// EscalateTask raises the escalation level of an open task to Level
	// (never lowers it) and, when Department is set, moves the task there.
	// Idempotent for the same level.
	EscalateTask(ctx context.Context, p EscalateTaskParams) (Task, error)

	// Spans. RecordSpan is idempotent on (CaseID, Seq).
	RecordSpan(ctx context.Context, s Span) error
	// ListSpans returns spans in (entered_at, case_id, seq) order.
	ListSpans(ctx context.Context, f SpanFilter) ([]Span, error)

	// Actors and tokens. Only token hashes are stored.
	CreateActor(ctx context.Context, p CreateActorParams) (Actor, error)
	GetActor(ctx context.Context, id string) (Actor, error)
	CreateToken(ctx context.Context, p CreateTokenParams) (Token, error)
	// ActorByTokenHash resolves a token hash to its actor; revoked or expired
	// tokens are ErrNotFound.
	ActorByTokenHash(ctx context.Context, hash []byte, now time.Time) (Actor, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error

	// Audit trail, append-only.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns entries oldest first.
	ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error)
}

// FlowVersion is one stored, immutable version of a flow definition.
type FlowVersion struct {
	Key       string
	Version   int
	Name      string
	Source    string          // the YAML as published
	Compiled  json.RawMessage // flow.Definition as JSON
	Hash      string          // sha256 hex of Source
	IsDefault bool
	// Retired versions receive no new cases; RetiredAt is when the version
	// was retired (nil when it is not).
	Retired   bool
	RetiredAt *time.Time
	CreatedAt time.Time
	CreatedBy string
}

type PutFlowVersionParams struct {
	Key       string
	Version   int
	Name      string
	Source    string
	Compiled  json.RawMessage
	Hash      string
	CreatedBy string
	At        time.Time
}

type FlowSummary struct {
	Key            string
	Name           string
	DefaultVersion int
	LatestVersion  int
	Versions       int
}

// Case is one service case.
type Case struct {
	ID             string
	Flow           string
	Version        int
	Variant        string
	Customer       string
	Channel        string
	Attributes     json.RawMessage // JSON object
	Status         string
	Step           string // current step id, "" when closed
	WorkflowID     string
	IdempotencyKey string
	RequestHash    string
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	ClosedAt       *time.Time
	// SLADue is when the case-level SLA falls due (nil: the flow has no
	// case SLA, or the workflow has not written it yet).
	SLADue *time.Time
}

type CreateCaseParams struct {
	ID             string
	Flow           string
	Version        int
	Variant        string
	Customer       string
	Channel        string
	Attributes     json.RawMessage
	Status         string // CaseStarting normally
	WorkflowID     string
	IdempotencyKey string // optional; unique when set
	RequestHash    string
	CreatedBy      string
	At             time.Time
}

// UpdateCaseParams changes the status and current step of a case. Fields
// left nil are unchanged.
type UpdateCaseParams struct {
	ID         string
	Status     *string
	Step       *string
	Attributes json.RawMessage // nil: unchanged
	ClosedAt   *time.Time
	// Version moves the case to another version of its flow (a migration).
	Version *int
	// SLADue is the case-level SLA due time.
	SLADue *time.Time
	At     time.Time
}

type ListCasesParams struct {
	Flow    string
	Status  string
	Version int // flow version; 0: any
	Limit   int // default 50, max 500
	// From and To bound created_at: From <= created_at < To.
	From, To *time.Time
	// After continues a listing after this case (keyset pagination in the
	// list's order, created_at DESC, id DESC); nil starts at the newest.
	After *CaseCursor
}

// CaseCursor is the position of a case in ListCases order.
type CaseCursor struct {
	CreatedAt time.Time
	ID        string
}

// Task is one human task.
type Task struct {
	ID              string
	CaseID          string
	Seq             int // step sequence number within the case
	Flow            string
	Version         int
	Variant         string
	Step            string
	StepName        string
	Department      string
	Roles           []string
	Outcomes        []string
	Form            json.RawMessage // []flow.Field as JSON, may be nil
	Status          string
	Assignee        string // actor id, "" when unclaimed
	EscalationLevel int
	OpenedAt        time.Time
	ClaimedAt       *time.Time
	CompletedAt     *time.Time
	SLADue          *time.Time
	Outcome         string
	Data            json.RawMessage
	CompletedBy     string
	CompletionID    string
}

type OpenTaskParams struct {
	ID         string
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
	Form       json.RawMessage
	OpenedAt   time.Time
	SLADue     *time.Time
}

type ListTasksParams struct {
	Department  string   // exact department
	Departments []string // any of (when Department is empty and this is non-empty)
	Status      string   // default: any
	Assignee    string
	CaseID      string
	Limit       int // default 100, max 1000
	// From and To bound opened_at: From <= opened_at < To.
	From, To *time.Time
	// After continues a listing after this task (keyset pagination in the
	// list's order: sla_due NULLS LAST, opened_at, id); nil starts at the
	// first.
	After *TaskCursor
}

// TaskCursor is the position of a task in ListTasks order.
type TaskCursor struct {
	SLADue   *time.Time // nil: the task has no SLA (sorted last)
	OpenedAt time.Time
	ID       string
}

type ClaimTaskParams struct {
	ID    string
	Actor string
	At    time.Time
}

type UnclaimTaskParams struct {
	ID    string
	Actor string
	Force bool // admins may unclaim another actor's claim
}

type CompleteTaskParams struct {
	ID           string
	Outcome      string
	Data         json.RawMessage
	Actor        string
	CompletionID string // idempotency of the completion (the Update ID)
	At           time.Time
	Span         Span // recorded in the same transaction
}

type CancelTaskParams struct {
	ID   string
	At   time.Time
	Span Span
}

type EscalateTaskParams struct {
	ID         string
	Level      int
	Department string // "" keeps the department
	At         time.Time
}

// Span is the record of one step a case passed through. Waiting time is
// EnteredAt→ClaimedAt, working time ClaimedAt→CompletedAt (for steps without
// a claim ClaimedAt is nil and the whole duration counts as working time for
// auto steps, waiting time for wait steps).
type Span struct {
	CaseID          string
	Seq             int
	Flow            string
	Version         int
	Variant         string
	Step            string
	Kind            string
	Department      string
	EnteredAt       time.Time
	ClaimedAt       *time.Time
	CompletedAt     time.Time
	Outcome         string
	SLADue          *time.Time
	Breached        bool
	EscalationLevel int
	Actor           string
}

type SpanFilter struct {
	CaseID  string
	Flow    string
	Version int        // 0: any
	Variant string     // "": any
	From    *time.Time // entered_at >= From
	To      *time.Time // entered_at < To
	Limit   int        // 0: no limit
}

// Actor is a person or system acting through the API.
type Actor struct {
	ID          string
	Name        string
	Role        string
	Departments []string
	CreatedAt   time.Time
}

type CreateActorParams struct {
	ID          string
	Name        string
	Role        string
	Departments []string
	At          time.Time
}

type Token struct {
	ID        string
	ActorID   string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

type CreateTokenParams struct {
	ID        string
	ActorID   string
	Hash      []byte // sha256 of the secret
	At        time.Time
	ExpiresAt *time.Time
}

// AuditEntry records who did what to which object.
type AuditEntry struct {
	ID      int64 // assigned by the store
	At      time.Time
	Actor   string
	Action  string // e.g. "task.claim", "case.create", "token.create"
	Object  string // e.g. "task:<id>"
	CaseID  string
	Details json.RawMessage
}

type AuditFilter struct {
	CaseID string
	Object string
	Limit  int
}
