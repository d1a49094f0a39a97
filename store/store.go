// Package store is flowlab's persistence: flow versions, cases, tasks, spans,
// actors and tokens, pilots, feedback, improvement proposals and the audit
// trail, behind one interface with two
// implementations (PostgreSQL through pgx, and an embedded SQLite file).
// SQL lives here alone; callers see only the types of this file.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/flow"
)

// Errors every implementation maps its own failures to.
var (
	// ErrNotFound: no row matched. One place per implementation maps
	// "no rows" to it.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the row is not in a state that allows the change (a task
	// already completed, claimed by someone else, a duplicate key...).
	ErrConflict = errors.New("conflict")
	// ErrLimit: the change would exceed a limit (a case's event budget).
	ErrLimit = errors.New("limit reached")
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

// Pilot statuses.
const (
	PilotRunning   = "running"   // assigning new cases, being evaluated
	PilotStopped   = "stopped"   // stopped by a person or a guardrail; all new cases go to control
	PilotCompleted = "completed" // concluded with a recommendation
	PilotPromoted  = "promoted"  // an arm's version was made the flow's default
)

// Pilot arms, the Variant of a case assigned in a pilot.
const (
	ArmControl   = "control"
	ArmTreatment = "treatment"
)

// Proposal statuses.
const (
	ProposalOpen     = "open"
	ProposalAdopted  = "adopted"
	ProposalDeclined = "declined"
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
	// KeepCreateResponse stores body as the response of the idempotent
	// creation of case id unless one is stored already, and returns the
	// stored one: the first caller's body wins, every caller gets it.
	// ErrNotFound when the case does not exist.
	KeepCreateResponse(ctx context.Context, id string, body []byte) ([]byte, error)
	UpdateCase(ctx context.Context, p UpdateCaseParams) error
	// ListCases lists cases newest first.
	ListCases(ctx context.Context, p ListCasesParams) ([]Case, error)
	// CountCaseEvent takes one event of p.Bytes from the case's event
	// budget: it adds to the case's event count and bytes unless that would
	// exceed p.MaxCount or p.MaxBytes, in which case nothing changes and
	// ErrLimit is returned (with the counts so far). ErrNotFound when the
	// case does not exist. Atomic: concurrent callers never overdraw.
	CountCaseEvent(ctx context.Context, p CaseEventParams) (CaseEvents, error)
	// FailCase marks an active case failed with p.Reason, closes its open
	// tasks as cancelled and appends p.Audit, in one transaction. A case in
	// another status is left as it is (changed=false, no audit): one being
	// restarted (starting) is not failed for the run that ended before.
	FailCase(ctx context.Context, p FailCaseParams) (c Case, changed bool, err error)
	// SettleFailedCase moves a failed case to p.Status: CaseStarting to
	// restart it (closed_at cleared, Restarts incremented) or
	// CaseCancelled to close it; p.Audit is appended in the same
	// transaction. ErrConflict when the case is not failed.
	SettleFailedCase(ctx context.Context, p SettleFailedCaseParams) (Case, error)

	// Tasks. OpenTask is idempotent on (CaseID, Seq): a repeat returns the
	// existing row unchanged. With p.Assign it also assigns the task it
	// inserts, in the same transaction and exactly as AssignTask does
	// (the same rules, lock, notification and exactly-once guarantee; the
	// spec is kept with the task); a repeat neither assigns nor fails.
	OpenTask(ctx context.Context, p OpenTaskParams) (Task, error)
	GetTask(ctx context.Context, id string) (Task, error)
	// ListTasks orders by SLA due time (nulls last), then opened time, then id.
	ListTasks(ctx context.Context, p ListTasksParams) ([]Task, error)
	// ClaimTask assigns an open task. ErrConflict if the task is not open or
	// is claimed by another actor; claiming one's own claim again is a no-op.
	ClaimTask(ctx context.Context, p ClaimTaskParams) (Task, error)
	// UnclaimTask clears the assignee (and the assignment: its time, rule
	// and offer). ErrConflict if not open or claimed by another actor
	// (unless Force). A holder who gives back their own task is passed
	// over: AssignWaiting offers it to someone else.
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

	// Assignment (decision 0035). SetPerson sets a person's availability,
	// capacity and skills (the fields given); GetPerson returns them, the
	// defaults for an actor never set (ErrNotFound: no such actor).
	// A person who becomes away or offline gives back the tasks assigned to
	// them and not started, in the same transaction (returned: the caller
	// runs AssignWaiting for their departments).
	SetPerson(ctx context.Context, p SetPersonParams) (Person, []Task, error)
	GetPerson(ctx context.Context, actorID string) (Person, error)
	// AssignTask gives an open, unassigned task to a person of its
	// department chosen by the rules of p.Spec, tried in order, among those
	// available with room (open assigned tasks below their capacity), in
	// one transaction that no other assignment of the department
	// interleaves with: capacity holds and a task is assigned once. The
	// spec is kept with the task, so AssignWaiting can assign it later. A
	// person assigned gets a notification in the same transaction. It
	// returns the task and whether it was assigned now (false: nobody is
	// eligible, or it was assigned already; the task is returned as it is).
	// ErrConflict: the task is not open.
	AssignTask(ctx context.Context, p AssignTaskParams) (Task, bool, error)
	// AssignWaiting assigns the department's open, unassigned tasks that
	// carry an assignment spec, in SLA order (sla_due, tasks without one
	// last, then opened_at, id), while anyone is eligible; at most limit
	// tasks (default 200). It returns the tasks assigned.
	AssignWaiting(ctx context.Context, p AssignWaitingParams) ([]Task, error)
	// WaitingDepartments are the departments with open, unassigned tasks
	// that carry an assignment spec (AssignWaiting has work there), by
	// name.
	WaitingDepartments(ctx context.Context) ([]string, error)
	// ExpireOffers returns to the pool the open tasks assigned by a rule
	// and not started (claimed) by their offer's due time (accept_within),
	// remembering who let them pass so that they are offered to someone
	// else; at most limit (default 200). It returns the tasks released (the
	// caller runs AssignWaiting for their departments).
	ExpireOffers(ctx context.Context, at time.Time, limit int) ([]Task, error)
	// ReassignTask gives an open task to p.To whoever holds it (a team
	// lead's move), in one transaction: it counts a reassignment when
	// someone held it, keeps its start time, and notifies p.To.
	// ErrConflict: the task is not open.
	ReassignTask(ctx context.Context, p ReassignTaskParams) (Task, error)
	// ListPeople are the actors of a department (every actor without one)
	// with their availability, capacity, skills and load, by id, a page at
	// a time.
	ListPeople(ctx context.Context, p ListPeopleParams) ([]Person, error)
	// WorkStats are the assignment measures of a department's tasks opened
	// in [From, To), per person who worked them and in total (decision
	// 0036).
	WorkStats(ctx context.Context, p WorkStatsParams) ([]WorkStat, error)

	// Notifications (decision 0036). CreateNotifications inserts them,
	// idempotently by ID; ListNotifications lists an actor's, newest
	// first; UnreadNotifications counts those not read; ReadNotifications
	// marks read the ids given of the actor (all of theirs when ids is
	// nil) and returns how many changed.
	CreateNotifications(ctx context.Context, ns []Notification) error
	ListNotifications(ctx context.Context, p ListNotificationsParams) ([]Notification, error)
	UnreadNotifications(ctx context.Context, actorID string) (int, error)
	ReadNotifications(ctx context.Context, actorID string, ids []string, at time.Time) (int, error)
	// DueNotifications claims the notifications whose delivery is pending
	// and due at at (next_attempt_at unset or passed), oldest first, at
	// most limit: each is not due again before at+lease unless a delivery
	// is recorded, so two dispatchers do not send one notification at once
	// (one that dies mid-delivery leaves it to the next after the lease).
	DueNotifications(ctx context.Context, at time.Time, lease time.Duration, limit int) ([]Notification, error)
	// SetNotificationDelivery records a delivery attempt.
	SetNotificationDelivery(ctx context.Context, p NotificationDelivery) error

	// Spans. RecordSpan is idempotent on (CaseID, Seq).
	RecordSpan(ctx context.Context, s Span) error
	// ListSpans returns spans in (entered_at, case_id, seq) order.
	ListSpans(ctx context.Context, f SpanFilter) ([]Span, error)
	// SpanStats summarises per step the spans of one flow version entered
	// in [From, To) from the span rollups (kept with every span written)
	// and the raw spans of the partial days at the range's ends: counts,
	// sums and distinct cases exact, quantiles within
	// analytics.SketchRelativeAccuracy (decision 0017).
	SpanStats(ctx context.Context, f SpanStatsFilter) (SpanStats, error)

	// Actors and tokens. Only token hashes are stored.
	CreateActor(ctx context.Context, p CreateActorParams) (Actor, error)
	GetActor(ctx context.Context, id string) (Actor, error)
	// UpdateActor changes the fields given of a person (an actor: its id,
	// and with it every task, span, audit entry and token, stays; decision
	// 0039). Open tasks they hold in departments they no longer work in go
	// back to their pools, in the same transaction (returned).
	UpdateActor(ctx context.Context, p UpdateActorParams) (Actor, []Task, error)
	CreateToken(ctx context.Context, p CreateTokenParams) (Token, error)
	// ActorByTokenHash resolves a token hash to its actor; revoked or expired
	// tokens are ErrNotFound.
	ActorByTokenHash(ctx context.Context, hash []byte, now time.Time) (Actor, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// GetToken returns a token (never its hash) with its actor.
	GetToken(ctx context.Context, id string) (TokenInfo, error)
	// ListTokens lists tokens with their actors newest first (created_at
	// DESC, id DESC), keyset-paginated like ListCases; revoked and expired
	// tokens included. Hashes are never read back.
	ListTokens(ctx context.Context, p ListTokensParams) ([]TokenInfo, error)
	// TokenByHash is the live (neither revoked nor expired) token of a
	// hash with its actor; ErrNotFound when there is none.
	TokenByHash(ctx context.Context, hash []byte, now time.Time) (TokenInfo, error)
	// ActorByEmail is the actor whose person has this email address
	// (compared without case); ErrNotFound when none, ErrConflict when
	// more than one has it.
	ActorByEmail(ctx context.Context, email string) (Actor, error)

	// Web UI sessions (decision 0038). CreateSession stores a session
	// (ErrConflict: the id exists). GetSession returns it with its actor
	// (nil for an actor that is no row, the admin token's) and, for a
	// session begun with a token, the token (nil when it is gone).
	// TouchSession records activity at at and moves the idle deadline to
	// idleUntil, unless the session ended. EndSession ends it at at and
	// reports whether it was live (a repeat keeps the first time).
	// ListSessions lists an actor's sessions newest first.
	CreateSession(ctx context.Context, s Session) (Session, error)
	GetSession(ctx context.Context, id string) (SessionInfo, error)
	TouchSession(ctx context.Context, id string, at, idleUntil time.Time) error
	EndSession(ctx context.Context, id string, at time.Time) (bool, error)
	ListSessions(ctx context.Context, p ListSessionsParams) ([]Session, error)
	// DeleteDeadSessions deletes up to limit sessions that stopped signing
	// anyone in before before (ended, idle or past their end), and returns
	// how many; the reconciler keeps them 30 days for the admins' view.
	DeleteDeadSessions(ctx context.Context, before time.Time, limit int) (int, error)

	// Pilots. CreatePilot is idempotent on ID (a repeat returns the row,
	// created=false); a new pilot is running. ErrConflict when another
	// pilot of the flow is running: at most one pilot per flow runs, which
	// the database enforces (a partial unique index), so two concurrent
	// creations cannot both succeed.
	CreatePilot(ctx context.Context, p CreatePilotParams) (pl Pilot, created bool, err error)
	GetPilot(ctx context.Context, id string) (Pilot, error)
	// RunningPilot returns the running pilot of flow, ErrNotFound when none.
	RunningPilot(ctx context.Context, flow string) (Pilot, error)
	// ListPilots lists pilots newest first (created_at DESC, id DESC),
	// keyset-paginated like ListCases.
	ListPilots(ctx context.Context, p ListPilotsParams) ([]Pilot, error)
	// UpdatePilot changes the fields that are set (nil: unchanged) and
	// returns the row. With FromStatus set the update only applies when the
	// current status equals it, else ErrConflict (so "stop" and "complete"
	// cannot both win). Setting Status to running while another pilot of
	// the flow runs is ErrConflict.
	UpdatePilot(ctx context.Context, p UpdatePilotParams) (Pilot, error)
	// ListPilotCases returns the measures of every case assigned in the
	// pilot (one query), ordered by created_at, id.
	ListPilotCases(ctx context.Context, pilotID string) ([]PilotCase, error)
	// ListCaseMeasures returns what the service KPIs and flow trends read
	// of each case matching p (one query per page): the case, its feedback,
	// its first task claim and its completed task spans, in (created_at,
	// id) order, keyset-paginated on that order.
	ListCaseMeasures(ctx context.Context, p CaseMeasuresParams) ([]CaseMeasure, error)

	// MarkCaseReopened records that a later case reopened the closed
	// (completed or cancelled) case id: the first time wins, a repeat
	// returns the row unchanged. ErrConflict when the case is not closed,
	// ErrNotFound when it does not exist.
	MarkCaseReopened(ctx context.Context, id string, at time.Time) (Case, error)

	// Feedback: one row per case. A second Put replaces the values (all of
	// them, nil included; CreatedBy and CreatedAt stay) and returns
	// created=false. ErrNotFound if the case does not exist.
	PutFeedback(ctx context.Context, p PutFeedbackParams) (fb Feedback, created bool, err error)
	GetFeedback(ctx context.Context, caseID string) (Feedback, error)

	// Follow-up calls (decision 0041): one row per completed case of a
	// flow version with a follow-up, written when the case closes.
	// RecordFollowUp is idempotent on the case: a repeat returns the row
	// as the first call left it (ErrNotFound: no such case).
	// AnswerFollowUp keeps the outcome and answers of the case's call
	// task p.TaskID; the first answer stays, a repeat returns the row
	// (ErrNotFound: no row of a sampled case with that task).
	// GetFollowUp returns a case's row (ErrNotFound: none).
	RecordFollowUp(ctx context.Context, p RecordFollowUpParams) (FollowUp, error)
	AnswerFollowUp(ctx context.Context, p AnswerFollowUpParams) (FollowUp, error)
	GetFollowUp(ctx context.Context, caseID string) (FollowUp, error)

	// ExportSpans returns raw spans with their case's pilot, arm, customer,
	// status and feedback, in (entered_at, case_id, seq) order, keyset-
	// paginated on that order.
	ExportSpans(ctx context.Context, f ExportSpansParams) ([]ExportedSpan, error)

	// Improvement proposals from staff. CreateProposal makes an open
	// proposal; a duplicate ID is ErrConflict.
	CreateProposal(ctx context.Context, p CreateProposalParams) (Proposal, error)
	GetProposal(ctx context.Context, id string) (Proposal, error)
	// ListProposals lists proposals newest first (created_at DESC, id DESC),
	// keyset-paginated like ListCases.
	ListProposals(ctx context.Context, p ListProposalsParams) ([]Proposal, error)
	// VoteProposal records actor's vote, one per actor: a second vote by the
	// same actor changes nothing (voted=false). ErrNotFound when the
	// proposal does not exist, ErrConflict when it is not open.
	VoteProposal(ctx context.Context, id, actor string, at time.Time) (p Proposal, voted bool, err error)
	// AdoptProposal marks an open proposal adopted by the improvement case
	// caseID; ErrConflict when it is not open.
	AdoptProposal(ctx context.Context, id, caseID string, at time.Time) (Proposal, error)
	// DeclineProposal marks an open proposal declined; ErrConflict when it
	// is not open.
	DeclineProposal(ctx context.Context, id string, at time.Time) (Proposal, error)
	// ProposalStats counts proposals by status, for the KPIs.
	ProposalStats(ctx context.Context) (ProposalCounts, error)

	// Event logs imported from other systems (issue 17, decision 0030):
	// a row per log and its events in chunks the import writes as it
	// reads. A log is "importing" until FinishEventLog makes it "ready"
	// in one statement, so a failed import never shows a partial log;
	// DeleteStaleEventLogs removes what a crash left behind.
	//
	// CreateEventLog starts an import (ErrConflict: the id exists).
	CreateEventLog(ctx context.Context, p CreateEventLogParams) (EventLog, error)
	// PutEventLogChunk stores chunk seq of an importing log and marks the
	// log written at (ErrNotFound: no such log; ErrConflict: the log is not
	// importing, or the chunk exists).
	PutEventLogChunk(ctx context.Context, logID string, seq int, data []byte, at time.Time) error
	// FinishEventLog makes an importing log ready with its figures
	// (ErrConflict: it is not importing).
	FinishEventLog(ctx context.Context, p FinishEventLogParams) (EventLog, error)
	// GetEventLog returns a log, importing or ready (ErrNotFound).
	GetEventLog(ctx context.Context, id string) (EventLog, error)
	// ListEventLogs returns the ready logs, newest first, keyset-paginated.
	ListEventLogs(ctx context.Context, p ListEventLogsParams) ([]EventLog, error)
	// EventLogChunks calls fn with each chunk of a log in seq order; an
	// error of fn stops it and is returned.
	EventLogChunks(ctx context.Context, logID string, fn func(seq int, data []byte) error) error
	// RenameEventLog renames a ready log (ErrNotFound).
	RenameEventLog(ctx context.Context, id, name string, at time.Time) (EventLog, error)
	// DeleteEventLog deletes a log and its chunks (ErrNotFound).
	DeleteEventLog(ctx context.Context, id string) error
	// DeleteStaleEventLogs deletes the logs still importing that were last
	// written before before (an import a crash cut short) and returns how
	// many.
	DeleteStaleEventLogs(ctx context.Context, before time.Time) (int, error)

	// Alert rules (decision 0040). CreateAlertRule inserts a rule in
	// state ok at revision 1 (ErrConflict: the id exists); of r it takes
	// the definition, ID, CreatedBy and CreatedAt. UpdateAlertRule
	// changes its definition when its revision is p.Revision (ErrConflict
	// otherwise), keeping its state; DeleteAlertRule removes it and its
	// events.
	// ListAlertRules lists rules by id a page at a time.
	CreateAlertRule(ctx context.Context, r AlertRule) (AlertRule, error)
	GetAlertRule(ctx context.Context, id string) (AlertRule, error)
	ListAlertRules(ctx context.Context, p ListAlertRulesParams) ([]AlertRule, error)
	UpdateAlertRule(ctx context.Context, p UpdateAlertRuleParams) (AlertRule, error)
	DeleteAlertRule(ctx context.Context, id string) error
	// AcknowledgeAlert records who acknowledged a firing rule
	// (ErrConflict: the rule is not firing); the acknowledgement is
	// cleared when the rule leaves firing. SilenceAlert sets (or, with
	// nil, lifts) the time until which the rule's state changes notify
	// nobody.
	AcknowledgeAlert(ctx context.Context, id, actor string, at time.Time) (AlertRule, error)
	SilenceAlert(ctx context.Context, id string, until *time.Time) (AlertRule, error)
	// RecordAlertEvaluation records one evaluation of a rule in one
	// transaction with the rule's row locked: the rule's next state
	// (alert.Next), an event when the state changes, and, when the change
	// notifies (alert.Notifies) and the rule is not silenced, an in-app
	// notification for each of p.Recipients. An evaluation at or before
	// the rule's last one changes nothing and returns Duplicate with the
	// event recorded at p.At, if any, so a retried evaluation is recorded
	// once. ErrNotFound: the rule is gone. Each distinct recipient is
	// told once (the notification's id is the event's and the actor's);
	// recipients that are no actor are skipped.
	RecordAlertEvaluation(ctx context.Context, p RecordAlertParams) (AlertRecorded, error)
	// ListAlertEvents lists a rule's state changes, newest first (by seq),
	// or, with RuleID "", every rule's events at or after From, newest
	// first by (at, rule, seq).
	ListAlertEvents(ctx context.Context, p ListAlertEventsParams) ([]AlertEvent, error)
	GetAlertEvent(ctx context.Context, id string) (AlertEvent, error)
	// CountOpenTasks counts the open tasks of a scope now.
	CountOpenTasks(ctx context.Context, p TaskScope) (int, error)
	// CountEscalations counts the escalations (task.escalate audit
	// entries) of a scope's tasks raised in [p.From, p.To).
	CountEscalations(ctx context.Context, p TaskScope) (int, error)

	// The watchlist (issue 21): flows and steps watched first. AddWatch
	// inserts one (ErrConflict: that flow and step are watched already);
	// RemoveWatch deletes one (ErrNotFound: no such id); ListWatches lists
	// them oldest first, at most MaxWatches.
	AddWatch(ctx context.Context, w Watch) (Watch, error)
	RemoveWatch(ctx context.Context, id string) (Watch, error)
	ListWatches(ctx context.Context) ([]Watch, error)

	// What-if simulations (issue 22, decision 0045). CreateSimulation
	// stores a running one, idempotent on ID (a repeat returns the row,
	// created=false). SetSimulationProgress records progress of a
	// running one (ErrConflict when it finished). FinishSimulation
	// records its end (SimulationSucceeded with a result, or
	// SimulationFailed with an error) once: a repeat with the same status
	// returns the row, another is ErrConflict. ListSimulations lists them
	// newest first, keyset-paginated.
	CreateSimulation(ctx context.Context, p Simulation) (sim Simulation, created bool, err error)
	GetSimulation(ctx context.Context, id string) (Simulation, error)
	SetSimulationProgress(ctx context.Context, id string, progress float64, stage string, at time.Time) error
	FinishSimulation(ctx context.Context, p FinishSimulationParams) (Simulation, error)
	ListSimulations(ctx context.Context, p ListSimulationsParams) ([]Simulation, error)

	// Audit trail, append-only.
	AppendAudit(ctx context.Context, e AuditEntry) error
	// ListAudit returns the entries matching f in id order: oldest first,
	// or newest first with f.Descending.
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
	// PilotID is the pilot the case was assigned in ("" when none); its
	// Variant is then the arm (ArmControl or ArmTreatment).
	PilotID string
	// ReopenedFrom is the closed case this one reopens ("" when none).
	ReopenedFrom string
	// ReopenedAt is when a later case reopened this one (nil: never).
	ReopenedAt *time.Time
	// Failure is why flowlab marked the case failed ("" when it did not,
	// or when the workflow failed the case itself); kept after a restart.
	Failure string
	// Restarts counts the restarts of the case after a failure; a case
	// with restarts resumes at its step instead of its flow's start.
	Restarts int
	// EventCount and EventBytes are the events the case accepted so far
	// (CountCaseEvent).
	EventCount int
	EventBytes int64
}

// CaseEventParams is one event taken from a case's event budget.
type CaseEventParams struct {
	ID       string
	Bytes    int64
	MaxCount int
	MaxBytes int64
}

// CaseEvents is a case's event budget used so far.
type CaseEvents struct {
	Count int
	Bytes int64
}

// FailCaseParams marks a case failed.
type FailCaseParams struct {
	ID     string
	Reason string
	At     time.Time
	// Audit is appended in the same transaction when the case changes
	// (give it a Key: a repeat appends nothing).
	Audit AuditEntry
}

// SettleFailedCaseParams restarts or closes a failed case.
type SettleFailedCaseParams struct {
	ID     string
	Status string // CaseStarting (restart) or CaseCancelled (close)
	At     time.Time
	Audit  AuditEntry
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
	PilotID        string // the pilot the case is assigned in; "" when none
	ReopenedFrom   string // the case this one reopens; "" when none
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
	// Customer keeps only the cases of this customer (exact match); "":
	// any.
	Customer string
	// IDPrefix keeps only the cases whose id starts with it (byte-wise;
	// a whole id matches itself); "": any.
	IDPrefix string
	// Attributes keeps only the cases whose attributes match every filter
	// (decision 0026); at most MaxAttributeFilters.
	Attributes []AttributeFilter
	// IDs keeps only these cases (a page of tasks' cases); nil: any. At
	// most the list's maximum limit (500) ids.
	IDs []string
}

// MaxAttributeFilters is the most attribute filters one ListCases takes
// (decision 0026); more are an error.
const MaxAttributeFilters = 4

// AttributeKeyRule says which attribute keys a filter may name.
const AttributeKeyRule = "1 to 64 letters, digits, '_', '-' or '.'"

// ValidAttributeKey reports whether k follows AttributeKeyRule.
func ValidAttributeKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, r := range k {
		ok := r == '_' || r == '-' || r == '.' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
		if !ok {
			return false
		}
	}
	return true
}

// AttributeFilter matches a case whose top-level attribute Key is the JSON
// string Value, or a number or boolean whose JSON text, as encoding/json
// writes a float64 or a bool, is Value (so "3" matches 3 and "true"
// matches true, "3.0" matches 3.0 stored as 3).
type AttributeFilter struct {
	Key   string
	Value string
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
	// AssignedAt is when an assignment rule gave the task to Assignee
	// (nil for a task claimed from the pool, or not assigned).
	AssignedAt *time.Time
	// AssignRule is the rule that gave the task to Assignee (a rule of
	// the flow, "manual" for a team lead's move, "team_lead" for an
	// escalation's; "" for a claim from the pool).
	AssignRule string
	// OfferDue is when an assigned task not started goes back to the
	// pool (accept_within); nil without a limit.
	OfferDue *time.Time
	// Reassignments count the times the task moved from one holder to
	// another.
	Reassignments int
	// PassedOver are the people the task was offered to and who let it
	// pass (or went away): AssignWaiting offers it to others.
	PassedOver   []string
	Outcome      string
	Data         json.RawMessage
	CompletedBy  string
	CompletionID string
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
	// Assign, when set, assigns the task by this spec in the transaction
	// that opens it, at OpenedAt (decision 0036, change assign-at-open).
	Assign *AssignSpec
}

type ListTasksParams struct {
	Department  string   // exact department
	Departments []string // any of (when Department is empty and this is non-empty)
	Status      string   // default: any
	Assignee    string
	// Unclaimed: only tasks nobody has claimed (Assignee is then ignored).
	Unclaimed bool
	CaseID    string
	Limit     int // default 100, max 1000
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

// Availability of a person.
const (
	Available = "available"
	Away      = "away"
	Offline   = "offline"
)

// DefaultCapacity is the capacity of a person never set: the open tasks
// assigned to them at once.
const DefaultCapacity = 5

// Assignment rules of a task step (decision 0035), as the flow format
// names them; pull assigns nothing.
const (
	AssignPull        = flow.AssignPull
	AssignRoundRobin  = flow.AssignRoundRobin
	AssignLeastLoaded = flow.AssignLeastLoaded
	AssignSkills      = flow.AssignSkills
	AssignSticky      = flow.AssignSticky
	// AssignManual marks a team lead's reassignment, AssignTeamLead an
	// escalation's move to the department's team lead.
	AssignManual   = "manual"
	AssignTeamLead = "team_lead"
)

// Notification channels beyond the app, as a person's preference names
// them.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
)

// Person is an actor as assignment sees them.
type Person struct {
	ActorID      string
	Name         string
	Role         string
	Departments  []string
	Leads        []string
	Availability string
	Capacity     int
	Skills       []string
	// Where their notifications go beyond the app: NotifyBy lists the
	// channels (email, webhook), Email and WebhookURL the addresses.
	Email      string
	WebhookURL string
	NotifyBy   []string
	// Load is their open assigned tasks now.
	Load           int
	AvailabilityAt time.Time // zero for a person never set
	LastAssignedAt *time.Time
}

// SetPersonParams change a person; nil fields keep their value.
type SetPersonParams struct {
	ActorID      string
	Availability *string
	Capacity     *int
	Skills       *[]string
	Email        *string
	WebhookURL   *string
	NotifyBy     *[]string
	At           time.Time
}

// Apply is p with the fields sp gives.
func (p Person) Apply(sp SetPersonParams) Person {
	if sp.Availability != nil {
		p.Availability = *sp.Availability
	}
	if sp.Capacity != nil {
		p.Capacity = *sp.Capacity
	}
	if sp.Skills != nil {
		p.Skills = *sp.Skills
	}
	if sp.Email != nil {
		p.Email = *sp.Email
	}
	if sp.WebhookURL != nil {
		p.WebhookURL = *sp.WebhookURL
	}
	if sp.NotifyBy != nil {
		p.NotifyBy = *sp.NotifyBy
	}
	return p
}

// AssignSpec is how a task is assigned: its step's rules in order (pull,
// which assigns nothing, is never among them), the skills the skills rule
// requires, the people sticky prefers in order, and how long an assigned
// person has to start it before it goes back to the pool (0: no limit).
type AssignSpec struct {
	Rules        []string      `json:"rules"`
	Skills       []string      `json:"skills,omitempty"`
	Prefer       []string      `json:"prefer,omitempty"`
	AcceptWithin time.Duration `json:"accept_within,omitempty"`
}

// AssignTaskParams say how to assign one task.
type AssignTaskParams struct {
	TaskID string
	Spec   AssignSpec
	At     time.Time
}

// AssignWaitingParams say which waiting tasks to assign.
type AssignWaitingParams struct {
	Department string
	At         time.Time
	Limit      int
}

// ReassignTaskParams move a task to To, by By (a team lead or admin).
type ReassignTaskParams struct {
	ID string
	To string
	By string
	At time.Time
}

// ListPeopleParams select people.
type ListPeopleParams struct {
	Department string // "" every actor
	After      string // continue after this actor id
	Limit      int    // default 100, max 1000
}

// WorkStatsParams select the tasks measured.
type WorkStatsParams struct {
	Department string // "" every department
	From, To   time.Time
	// MaxTasks bounds the tasks read (0: no bound); more is ErrLimit.
	MaxTasks int
}

// WorkStat is the assignment measures of one person's tasks (ActorID ""
// is every task of the scope, including those nobody holds).
type WorkStat struct {
	Department string
	ActorID    string
	// Tasks opened in the window, those completed, and those open now.
	Opened, Completed, Open int
	// Reassignments of the tasks counted.
	Reassignments int
	// Durations in seconds of the tasks that have them: opened → assigned
	// or started (waiting for assignment), assigned → started (assigned,
	// waiting to start), started → completed (handle time).
	WaitAssign, WaitStart, Handle []float64
}

// Notification kinds.
const (
	NotifyAssigned   = "task.assigned"
	NotifyReassigned = "task.reassigned"
	NotifyEscalated  = "task.escalated"
)

// Notification delivery states.
const (
	DeliveryPending = "pending"
	DeliveryDone    = "done"
	DeliveryFailed  = "failed"
)

// Notification is one message to a person, kept in the app and delivered
// by the channels of their preference.
type Notification struct {
	ID        string
	ActorID   string
	Kind      string
	TaskID    string
	CaseID    string
	Details   NotificationDetails
	CreatedAt time.Time
	ReadAt    *time.Time
	// Delivery beyond the app: pending, done or failed; Sent are the
	// channels delivered (a retry skips them).
	Delivery      string
	Sent          []string
	Attempts      int
	NextAttemptAt *time.Time
	LastError     string
}

// NotificationDetails say what a notification is about.
type NotificationDetails struct {
	Flow       string     `json:"flow,omitempty"`
	Step       string     `json:"step,omitempty"`
	StepName   string     `json:"step_name,omitempty"`
	Department string     `json:"department,omitempty"`
	SLADue     *time.Time `json:"sla_due,omitempty"`
	Rule       string     `json:"rule,omitempty"`
	From       string     `json:"from,omitempty"`
	By         string     `json:"by,omitempty"`
	Level      int        `json:"level,omitempty"`
	Target     string     `json:"target,omitempty"`
	// An alert's rule id and name, its metric and scope, the evaluation's
	// value and why (alert.firing, alert.resolved).
	Alert     string       `json:"alert,omitempty"`
	AlertName string       `json:"alert_name,omitempty"`
	Metric    string       `json:"metric,omitempty"`
	Scope     *alert.Scope `json:"scope,omitempty"`
	Value     *float64     `json:"value,omitempty"`
	Message   string       `json:"message,omitempty"`
}

// ListNotificationsParams select an actor's notifications.
type ListNotificationsParams struct {
	ActorID string
	Unread  bool
	Limit   int // default 50, max 500
	// Before continues a listing: notifications older than this one.
	Before *NotificationCursor
}

// NotificationCursor is a position in ListNotifications order.
type NotificationCursor struct {
	CreatedAt time.Time
	ID        string
}

// NotificationDelivery is the result of one delivery attempt.
type NotificationDelivery struct {
	ID            string
	Delivery      string
	Sent          []string
	NextAttemptAt *time.Time
	Error         string
}

// NotificationID is the id of the notification of kind about task for
// actor at the n-th event of its kind (a reassignment count, an
// escalation level...): the same event gives the same id, so a retried
// write inserts it once.
func NotificationID(kind, task, actor string, n int64) string {
	return uuid.NewSHA1(notificationSpace, fmt.Appendf(nil, "%s|%s|%s|%d", kind, task, actor, n)).String()
}

var notificationSpace = uuid.MustParse("5f0d7a2e-9a43-4c52-9a0f-7f2d1c0b1e19")

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
	// Audit, when set, is appended in the same transaction as the
	// completion (idempotent by its Key), so a committed completion always
	// has its entry, whether or not anyone is told of it.
	Audit *AuditEntry
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
	// Assign: "" keeps the holder (unless the department changes),
	// AssignTeamLead gives the task to a team lead of its (new)
	// department, AssignPull returns it to the pool.
	Assign string
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
	// AssignedAt is when a rule or a team lead gave the task to the
	// person who started it (nil: pulled from the pool, or not a task);
	// the bottleneck report splits waiting there (decision 0036).
	AssignedAt *time.Time
}

type SpanFilter struct {
	CaseID  string
	Flow    string
	Version int        // 0: any
	Variant string     // "": any
	From    *time.Time // entered_at >= From
	To      *time.Time // entered_at < To
	// Step and Department narrow to a step's and a department's spans;
	// CompletedFrom and CompletedTo bound completed_at (decision 0040).
	Step, Department           string
	CompletedFrom, CompletedTo *time.Time
	Limit                      int // 0: no limit
}

// SpanStatsFilter selects the spans of SpanStats.
type SpanStatsFilter struct {
	Flow    string // required
	Version int    // required
	Variant string // "": all
	From    *time.Time
	To      *time.Time
}

// SpanStats is the per-step summary of a set of spans.
type SpanStats struct {
	Spans int
	// Cases is the number of distinct cases with a span in the set,
	// StepCases the number per step.
	Cases     int
	StepCases map[string]int
	Steps     map[string]*analytics.StepRollup
}

// ExportSpansParams selects spans for export. Zero fields do not filter.
type ExportSpansParams struct {
	Flow    string
	Version int
	PilotID string // spans of the cases assigned in this pilot
	// From and To bound entered_at: From <= entered_at < To.
	From, To *time.Time
	Limit    int // default 1000, max 10000
	// After continues an export after this span (keyset pagination in
	// (entered_at, case_id, seq) order, or (case_id, seq) with ByCase);
	// nil starts at the first.
	After *SpanCursor
	// ByCase orders the spans by case, then seq (each case's spans
	// together: one XES trace a case), instead of by entered_at. The
	// filters are the same.
	ByCase bool
}

// SpanCursor is the position of a span in (entered_at, case_id, seq) order.
type SpanCursor struct {
	EnteredAt time.Time
	CaseID    string
	Seq       int
}

// ExportedSpan is a span with its case's pilot, arm and feedback. The case
// fields are zero when the span's case does not exist.
type ExportedSpan struct {
	Span
	PilotID       string
	Arm           string // the case's Variant when it was assigned in a pilot, else ""
	Customer      string
	Channel       string
	CaseStatus    string
	CaseCreatedAt time.Time
	CaseClosedAt  *time.Time
	// Feedback on the case (nil: none given).
	CSAT, NPS            *int
	ResolvedFirstContact *bool
	// The answers of the case's follow-up call when it was answered
	// (decision 0041): its CSAT (nil: none) and improvement answer ("":
	// no answered call).
	FollowUpCSAT *int
	Improvement  string
}

// Pilot is an A/B comparison of two versions of one flow on new cases.
type Pilot struct {
	ID             string
	Flow           string
	Control        int             // version
	Treatment      int             // version
	Share          float64         // % of new units assigned to treatment, 0–100
	Unit           string          // "customer" | "case"
	PrimaryMetric  string          // cycle_time | sla_breach_rate | fcr | csat
	Guardrails     json.RawMessage // JSON array [{metric, max_worsening}], stored as given
	MinCasesPerArm int
	MaxDuration    time.Duration
	EvaluateEvery  time.Duration
	Status         string
	StopReason     string // why it stopped (person or guardrail)
	Winner         string // "control" | "treatment" | ""
	Recommendation string
	PromotedArm    string
	Results        json.RawMessage // the last evaluation, as the evaluator wrote it (nil before the first)
	Looks          json.RawMessage // JSON array of earlier decisive looks, written by the evaluator (nil before)
	WorkflowID     string
	PDCACaseID     string // the improvement cycle that started it, "" when started directly
	CreatedBy      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	EndedAt        *time.Time
}

// CreatePilotParams creates a running pilot. JSON fields are stored as
// given (they must be valid JSON when set).
type CreatePilotParams struct {
	ID             string // "" gets a random id
	Flow           string
	Control        int
	Treatment      int
	Share          float64
	Unit           string
	PrimaryMetric  string
	Guardrails     json.RawMessage
	MinCasesPerArm int
	MaxDuration    time.Duration
	EvaluateEvery  time.Duration
	WorkflowID     string
	PDCACaseID     string
	CreatedBy      string
	At             time.Time
}

type ListPilotsParams struct {
	Flow   string
	Status string
	Limit  int // default 50, max 500
	// After continues a listing after this pilot (keyset pagination in the
	// list's order, created_at DESC, id DESC); nil starts at the newest.
	After *PilotCursor
}

// PilotCursor is the position of a pilot in ListPilots order.
type PilotCursor struct {
	CreatedAt time.Time
	ID        string
}

// UpdatePilotParams changes a pilot. Fields left nil are unchanged.
type UpdatePilotParams struct {
	ID string
	// FromStatus, when set, makes the update conditional on the current
	// status (ErrConflict otherwise).
	FromStatus     string
	Status         *string
	StopReason     *string
	Winner         *string
	Recommendation *string
	PromotedArm    *string
	Results        json.RawMessage
	Looks          json.RawMessage
	EndedAt        *time.Time
	At             time.Time
}

// PilotCase holds the measures of one case of a pilot, for its evaluation.
type PilotCase struct {
	CaseID    string
	Arm       string // the case's Variant
	Customer  string
	Status    string
	Version   int
	CreatedAt time.Time
	ClosedAt  *time.Time
	// SLABreached: any span of the case has breached = true (task SLAs and
	// the case SLA carried by the end step's span).
	SLABreached bool
	// Feedback (nil: none given).
	CSAT, NPS            *int
	ResolvedFirstContact *bool
	ReopenedAt           *time.Time
	// FollowUp is the case's follow-up (nil: its flow version asks for
	// none, or the case has not completed).
	FollowUp *FollowUpMeasure
}

// FollowUpMeasure is what the KPIs and pilots read of a case's follow-up.
type FollowUpMeasure struct {
	Share   float64 // the share its flow version declared (a fraction)
	Sampled bool
	DueAt   time.Time
	// Opened: the call task was opened (a sampled case whose wait is
	// over).
	Opened bool
	// Outcome of the call ("" until completed), and the answers of an
	// answered one.
	Outcome     string
	Improvement string
	CSAT        *int
}

// CaseMeasuresParams selects the cases of ListCaseMeasures. Zero fields do
// not filter.
type CaseMeasuresParams struct {
	Flow    string
	Version int // the case's (current) flow version
	Channel string
	Status  string
	// From and To bound created_at: From <= created_at < To; with
	// ByClosedAt they bound closed_at instead, and cases not closed are
	// left out.
	From, To   *time.Time
	ByClosedAt bool
	Limit      int // default 1000, max 10000
	// After continues a listing after this case (keyset pagination in
	// (created_at, id) ascending order); nil starts at the first.
	After *CaseCursor
}

// CaseMeasure holds the measures of one case for the service KPIs and the
// flow trends. Its PilotCase part is what a pilot's evaluation reads of a
// case (Arm is the case's Variant, whether or not it is in a pilot), so the
// KPIs derive first-contact resolution the way pilots do.
type CaseMeasure struct {
	PilotCase
	Flow    string
	Channel string
	// FirstClaimedAt is the earliest claim of any of the case's tasks, open
	// or closed (a task completed without a claim counts as claimed when it
	// was completed); nil when none was claimed yet.
	FirstClaimedAt *time.Time
	// TaskSpans counts the spans of the case's completed tasks (cancelled
	// and migrated tasks are left out), TaskSpansWithSLA those of them with
	// an SLA due time and TaskSpansBreached those completed after it.
	TaskSpans, TaskSpansWithSLA, TaskSpansBreached int
}

// Feedback is the customer's feedback on one case.
type Feedback struct {
	CaseID               string
	CSAT                 *int
	NPS                  *int
	ResolvedFirstContact *bool
	CreatedBy            string
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

type PutFeedbackParams struct {
	CaseID               string
	CSAT                 *int
	NPS                  *int
	ResolvedFirstContact *bool
	Actor                string
	At                   time.Time
}

// Follow-up outcomes and answers, as the flow format names them, and the
// step of a follow-up call's task.
const (
	FollowUpStep        = flow.FollowUpStep
	FollowUpAnswered    = flow.FollowUpAnswered
	FollowUpUnreachable = flow.FollowUpUnreachable
	ImprovementYes      = flow.ImprovementYes
	ImprovementNo       = flow.ImprovementNo
	ImprovementNotSure  = flow.ImprovementNotSure
)

// FollowUp is a completed case's follow-up (decision 0041): the share its
// flow version declared, whether the hash of its id sampled it, and for a
// sampled case the call task and what the customer answered.
type FollowUp struct {
	CaseID  string
	Share   float64 // a fraction in (0, 1]
	Sampled bool
	// TaskID is the call task's id ("" when not sampled); DueAt is when
	// the call task opens (or would have, for a case not sampled): the
	// case's close plus the follow-up's after.
	TaskID string
	DueAt  time.Time
	// OpenedAt is when the call task opened (nil: not yet, or not
	// sampled), read from the task.
	OpenedAt *time.Time
	// Outcome is FollowUpAnswered or FollowUpUnreachable once the call
	// task completed, "" before. Improvement (ImprovementYes, No or
	// NotSure), CSAT (1–5, nil: not given) and Comment are the answers of
	// an answered call.
	Outcome     string
	Improvement string
	CSAT        *int
	Comment     string
	AnsweredBy  string
	AnsweredAt  *time.Time
	CreatedAt   time.Time
}

// RecordFollowUpParams records a completed case's follow-up.
type RecordFollowUpParams struct {
	CaseID  string
	Share   float64
	Sampled bool
	TaskID  string // the call task a sampled case will open
	DueAt   time.Time
	At      time.Time
}

// AnswerFollowUpParams keeps the outcome and answers of a call task.
type AnswerFollowUpParams struct {
	CaseID      string
	TaskID      string
	Outcome     string
	Improvement string
	CSAT        *int
	Comment     string
	Actor       string
	At          time.Time
}

// Proposal is an improvement proposal from staff.
type Proposal struct {
	ID            string
	Title         string
	Body          string
	Author        string // "" = anonymous
	Status        string // ProposalOpen, ProposalAdopted or ProposalDeclined
	Votes         int
	AdoptedCaseID string // the improvement case that adopted it
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

type CreateProposalParams struct {
	ID     string // "" gets a random id
	Title  string
	Body   string
	Author string // "" = anonymous
	At     time.Time
}

type ListProposalsParams struct {
	Status string
	Limit  int // default 50, max 500
	// After continues a listing after this proposal (keyset pagination in
	// the list's order, created_at DESC, id DESC); nil starts at the newest.
	After *ProposalCursor
}

// ProposalCursor is the position of a proposal in ListProposals order.
type ProposalCursor struct {
	CreatedAt time.Time
	ID        string
}

// ProposalCounts counts proposals by status.
type ProposalCounts struct {
	Open     int
	Adopted  int
	Declined int
}

// Actor is a person or system acting through the API.
type Actor struct {
	ID          string
	Name        string
	Role        string
	Departments []string
	// Leads are the departments, among Departments, the actor is the team
	// lead of: it may release or reassign their claimed tasks.
	Leads     []string
	CreatedAt time.Time
}

// Apply is a with the fields p gives.
func (a Actor) Apply(p UpdateActorParams) Actor {
	if p.Name != nil {
		a.Name = *p.Name
	}
	if p.Role != nil {
		a.Role = *p.Role
	}
	if p.Departments != nil {
		a.Departments = *p.Departments
	}
	if p.Leads != nil {
		a.Leads = *p.Leads
	}
	return a
}

// UpdateActorParams change an actor; nil fields keep their value.
type UpdateActorParams struct {
	ID          string
	Name        *string
	Role        *string
	Departments *[]string
	Leads       *[]string
}

type CreateActorParams struct {
	ID          string
	Name        string
	Role        string
	Departments []string
	Leads       []string
	At          time.Time
}

type Token struct {
	ID        string
	ActorID   string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

// TokenInfo is a token with its actor, as listed for admins.
type TokenInfo struct {
	Token
	Actor Actor
}

type ListTokensParams struct {
	ActorID string // only this actor's tokens
	Limit   int    // default 50, max 500
	// After continues a listing after this token (keyset pagination in the
	// list's order, created_at DESC, id DESC); nil starts at the newest.
	After *TokenCursor
}

// TokenCursor is the position of a token in ListTokens order.
type TokenCursor struct {
	CreatedAt time.Time
	ID        string
}

type CreateTokenParams struct {
	ID        string
	ActorID   string
	Hash      []byte // sha256 of the secret
	At        time.Time
	ExpiresAt *time.Time
}

// Ways a session began (Session.Via).
const (
	SessionViaToken      = "token"       // an API token (TokenID)
	SessionViaAdminToken = "admin-token" // the configured admin token
	SessionViaOIDC       = "oidc"        // single sign-on
)

// Session is a web UI session (decision 0038). Its ID is the sha256 (hex)
// of the random secret only the browser's cookie holds.
type Session struct {
	ID         string
	ActorID    string
	Via        string
	TokenID    string // the token it began with (Via token), else ""
	CreatedAt  time.Time
	LastSeenAt time.Time
	IdleUntil  time.Time // ends when idle until then
	ExpiresAt  time.Time // ends then whatever the activity
	EndedAt    *time.Time
	UserAgent  string // a short summary of the browser
}

// Live reports whether s signs anyone in at now (not whether its token
// still does).
func (s Session) Live(now time.Time) bool {
	return s.EndedAt == nil && now.Before(s.IdleUntil) && now.Before(s.ExpiresAt)
}

// SessionInfo is a session with its actor and token.
type SessionInfo struct {
	Session
	Actor *Actor
	Token *Token
}

// ListSessionsParams select sessions: an actor's, only the live ones at
// LiveAt when it is set; at most Limit (default 50, max 500).
type ListSessionsParams struct {
	ActorID string
	LiveAt  time.Time
	Limit   int
	// After continues a listing after this session (created_at DESC, id
	// DESC); nil starts at the newest.
	After *SessionCursor
}

// SessionCursor is the position of a session in ListSessions order.
type SessionCursor struct {
	CreatedAt time.Time
	ID        string
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
	// RequestID is the API request that wrote the entry (its X-Request-Id);
	// "" for entries written by workflows.
	RequestID string
	// Key, when set, makes AppendAudit idempotent: an entry whose Key is
	// already in the trail is not appended again (the first one stays), so
	// an activity retried after its entry was written leaves one entry.
	// "" appends always.
	Key string
}

// AuditFilter selects audit entries. Zero fields do not filter.
type AuditFilter struct {
	CaseID string
	Object string
	Actor  string
	Action string
	// From and To bound at: From <= at < To.
	From, To *time.Time
	// Descending lists newest first (id DESC); default oldest first.
	Descending bool
	// After continues a listing after the entry with this id in the list's
	// order (id > After ascending, id < After descending); 0 starts at the
	// first.
	After int64
	Limit int // 0: no limit
}

// Analytics converts a stored span for package analytics; def is the
// definition of the span's version (nil: unknown), whose calendar for the
// step measures business time. The rollups and the server's exact reports
// use it both, so they cannot disagree.
func (sp Span) Analytics(def *flow.Definition) analytics.Span {
	out := analytics.Span{
		CaseID: sp.CaseID, Seq: sp.Seq, Step: sp.Step, Kind: sp.Kind, Department: sp.Department,
		Entered: sp.EnteredAt, Claimed: sp.ClaimedAt, Completed: sp.CompletedAt, Assigned: sp.AssignedAt,
		Breached: sp.Breached, EscalationLevel: sp.EscalationLevel, HasSLA: sp.SLADue != nil,
	}
	if def != nil {
		if step, ok := def.Step(sp.Step); ok {
			if cal := def.CalendarFor(step); cal != nil {
				out.Clock = cal
			}
		}
	}
	return out
}

// Event log statuses.
const (
	EventLogImporting = "importing"
	EventLogReady     = "ready"
)

// EventLog is an imported event log: its metadata and figures. Its events
// are in chunks (EventLogChunks), in an encoding the store does not read.
type EventLog struct {
	ID     string
	Name   string
	Status string
	// Source is the file name the log came from; Format what it was read
	// as (csv, xes, gzipped or not).
	Source, Format string
	// Mapping is how the file's columns were read (JSON).
	Mapping json.RawMessage
	// Cases and Events count the log; First and Last are its earliest and
	// latest event times (nil until ready).
	Cases, Events int
	First, Last   *time.Time
	// Summary is the import's report (JSON): counts, skipped rows, the
	// first problems.
	Summary   json.RawMessage
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

type CreateEventLogParams struct {
	ID, Name       string
	Source, Format string
	Mapping        json.RawMessage
	Actor          string
	At             time.Time
}

type FinishEventLogParams struct {
	ID            string
	Cases, Events int
	First, Last   time.Time
	Summary       json.RawMessage
	At            time.Time
}

// ListEventLogsParams pages the ready logs, newest first: Cursor is the
// last log of the previous page.
type ListEventLogsParams struct {
	Limit  int
	Cursor *EventLogCursor
}

// EventLogCursor is a position in the newest-first order of logs.
type EventLogCursor struct {
	CreatedAt time.Time
	ID        string
}

// Alert rules (decision 0040). The states and outcomes are package
// alert's.

// AlertRule is a KPI alert rule: its definition and where it stands.
type AlertRule struct {
	ID     string
	Name   string
	Metric string
	Scope  alert.Scope
	// Condition: op above/below a threshold, or rise/fall by a fraction
	// against the same hours of the previous weeks.
	Condition  alert.Condition
	Window     time.Duration
	MinSample  int
	Pending    time.Duration
	Every      time.Duration
	WebhookURL string
	// Notify are people told besides the rule's author and its
	// department's leads.
	Notify    []string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Revision counts definition changes (1 at creation).
	Revision int

	// State is alert.OK, Pending, Firing or Resolved, since StateSince;
	// PendingSince is when the condition began to hold.
	State        string
	StateSince   time.Time
	PendingSince *time.Time
	// Seq is the number of state changes recorded.
	Seq int
	// Last is the latest evaluation (nil before the first).
	Last           *AlertEvaluation
	AcknowledgedBy string
	AcknowledgedAt *time.Time
	SilencedUntil  *time.Time
}

// Definition is the rule as a person wrote it.
func (r AlertRule) Definition() alert.Definition {
	return alert.Definition{Name: r.Name, Metric: r.Metric, Scope: r.Scope, Condition: r.Condition, Window: r.Window,
		MinSample: r.MinSample, Pending: r.Pending, Every: r.Every, WebhookURL: r.WebhookURL, Notify: r.Notify}
}

// Silenced reports whether the rule's changes notify nobody at at.
func (r AlertRule) Silenced(at time.Time) bool {
	return r.SilencedUntil != nil && at.Before(*r.SilencedUntil)
}

// AlertEvaluation is one evaluation of a rule: its outcome (alert.Breach,
// Clear, Insufficient or Failed), the value over the window and the
// observations it stands on, the baseline for a change, and why in words.
type AlertEvaluation struct {
	At        time.Time
	Outcome   string
	Value     *float64
	N         int
	Baseline  *float64
	BaselineN int
	Message   string
}

// AlertEvent is one state change of a rule.
type AlertEvent struct {
	ID     string // AlertEventID(rule, seq)
	RuleID string
	Seq    int
	At     time.Time
	From   string
	To     string
	// The evaluation that changed the state.
	Value     *float64
	N         int
	Baseline  *float64
	BaselineN int
	Message   string
	// Notified: the change was told (it notifies and the rule was not
	// silenced); Silenced: it would have been, but the rule was silenced.
	Notified bool
	Silenced bool
}

// AlertEventID is the id of a rule's seq-th state change: the same change
// has the same id, for the notifications' and webhooks' idempotency keys.
func AlertEventID(rule string, seq int) string {
	return uuid.NewSHA1(alertEventSpace, fmt.Appendf(nil, "%s|%d", rule, seq)).String()
}

var alertEventSpace = uuid.MustParse("b1e6f0c4-3f57-4f0e-8f5e-3c1a9d6e2b70")

// ListAlertRulesParams select rules. Zero fields do not filter.
type ListAlertRulesParams struct {
	State string
	Flow  string
	Limit int // default 50, max 500
	// After continues a listing after this rule id.
	After string
}

// UpdateAlertRuleParams change a rule's definition (every field of Rule's
// definition is written) when its revision is Revision.
type UpdateAlertRuleParams struct {
	Rule     AlertRule
	Revision int
	At       time.Time
}

// RecordAlertParams are one evaluation of a rule.
type RecordAlertParams struct {
	RuleID     string
	Evaluation AlertEvaluation
	// Recipients are the people told in the app when the change notifies
	// (actor ids; an id that is no actor is skipped).
	Recipients []string
}

// AlertRecorded is what RecordAlertEvaluation did: the rule after it, the
// event of a state change (nil: none), and whether the evaluation had been
// recorded before.
type AlertRecorded struct {
	Rule      AlertRule
	Event     *AlertEvent
	Duplicate bool
}

// ListAlertEventsParams select events: a rule's, newest first, before seq
// Before (0: from the newest); or every rule's since From.
type ListAlertEventsParams struct {
	RuleID string
	Before int
	From   *time.Time
	Limit  int // default 50, max 500
}

// TaskScope narrows tasks to a flow, version, step and department; From
// and To bound the time counted where a count has one.
type TaskScope struct {
	Flow       string
	Version    int
	Step       string
	Department string
	From, To   *time.Time
}

// Notification kinds of alerts.
const (
	NotifyAlertFiring   = "alert.firing"
	NotifyAlertResolved = "alert.resolved"
)

// MaxWatches bounds the watchlist: it is the short list a team improves
// first, read whole on every dashboard.
const MaxWatches = 50

// Watch is a flow (Step "") or one of its steps on the watchlist.
type Watch struct {
	ID      string
	Flow    string
	Step    string
	Note    string
	AddedBy string
	AddedAt time.Time
}

// Simulation statuses.
const (
	SimulationRunning   = "running"
	SimulationSucceeded = "succeeded"
	SimulationFailed    = "failed"
)

// Simulation is a what-if simulation (decision 0045): the request and
// the result are the API's JSON, kept as they are.
type Simulation struct {
	ID         string
	Flow       string
	PilotID    string // the pilot it predicted ("" when none)
	Status     string
	Progress   float64 // 0 to 1
	Stage      string
	Request    json.RawMessage
	Result     json.RawMessage // nil until it succeeded
	Error      string
	CreatedBy  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	FinishedAt *time.Time
}

// FinishSimulationParams end a simulation.
type FinishSimulationParams struct {
	ID     string
	Status string // SimulationSucceeded or SimulationFailed
	Result json.RawMessage
	Error  string
	At     time.Time
}

// SimulationCursor continues a listing after a simulation.
type SimulationCursor struct {
	CreatedAt time.Time
	ID        string
}

// ListSimulationsParams select simulations.
type ListSimulationsParams struct {
	Flow    string // "": every flow
	PilotID string // "": any
	Status  string // "": any
	// From and To bound created_at: From <= created_at < To.
	From, To *time.Time
	Limit    int // default 50, max 500
	After    *SimulationCursor
}
