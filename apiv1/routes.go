package apiv1

import "time"

// CaseIDParams are the path parameters of the operations on one case.
type CaseIDParams struct {
	ID string `path:"id" description:"Case id." example:"6f1c9a52-3b7e-4d0a-9b8e-2f4c1d5e7a90"`
}

// TaskIDParams are the path parameters of the operations on one task.
type TaskIDParams struct {
	ID string `path:"id" description:"Task id." example:"0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
}

// CreateCaseParams are the header parameters of createCase.
type CreateCaseParams struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" description:"Makes a retry safe: the same key and body by the same actor return the same case. Keys starting with flowlab: are reserved (400)." example:"crm-4711"`
}

// CompleteParams are the parameters of completeTask: the task and the
// idempotency key.
type CompleteParams struct {
	ID             string `path:"id" description:"Task id." example:"0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" description:"Makes a retried click safe: a retry after success replays the result." example:"click-1"`
}

// ListCasesParams are the query parameters of listCases: filters, search
// (decision 0026) and the page.
type ListCasesParams struct {
	Flow   string    `query:"flow" description:"Only cases of this flow key." example:"complaint"`
	Status string    `query:"status" enum:"starting,active,completed,cancelled,failed" description:"Only cases in this status."`
	From   time.Time `query:"from" description:"Only cases created at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only cases created before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
	// Search (decision 0026).
	Customer string   `query:"customer" maxLength:"200" description:"Only the cases of this customer (exact match)." example:"C-1042"`
	ID       string   `query:"id" minLength:"4" maxLength:"36" pattern:"^[0-9A-Fa-f-]{4,36}$" description:"Only the case with this id, or the cases whose id starts with it (4 or more characters)." example:"6f1c9a52"`
	Attr     []string `query:"attr" maxItems:"4" description:"Only cases whose attribute KEY is VALUE, written KEY:VALUE (split at the first colon; the string VALUE, or the number or boolean written so). Up to 4; all must hold." example:"[\"severity:high\"]"`
}

// ListTasksParams are the query parameters of listTasks: filters and the
// page.
type ListTasksParams struct {
	Department string    `query:"department" description:"Only this department's tasks." example:"technical"`
	Status     string    `query:"status" enum:"open,completed,cancelled,any" default:"open" description:"Only tasks in this status; any lists all."`
	Assignee   string    `query:"assignee" description:"Only tasks claimed by this actor id; me is the caller; none: only tasks nobody has claimed."`
	CaseID     string    `query:"case_id" description:"Only the tasks of this case. Staff see a case's tasks of every department (the case is the handoff record); without case_id, only their departments' inboxes."`
	From       time.Time `query:"from" description:"Only tasks opened at or after this time (RFC 3339)."`
	To         time.Time `query:"to" description:"Only tasks opened before this time (RFC 3339)."`
	Limit      int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor     string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// ListFlowsParams are the query parameters of listFlows: the page.
type ListFlowsParams struct {
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// FlowParams are the parameters of getFlow: the flow and, optionally, a
// version.
type FlowParams struct {
	Key     string `path:"key" description:"Flow key." example:"complaint"`
	Version int    `query:"version" minimum:"1" description:"Flow version; default: the flow's default version."`
}

// BottlenecksParams are the parameters of getFlowBottlenecks: the flow
// version and the spans counted.
type BottlenecksParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version int       `query:"version" minimum:"1" description:"Flow version; default: the flow's default version."`
	Variant string    `query:"variant" description:"Only spans of this variant."`
	From    time.Time `query:"from" description:"Only spans entered at or after this time (RFC 3339)."`
	To      time.Time `query:"to" description:"Only spans entered before this time (RFC 3339)."`
}

// PilotIDParams are the path parameters of the operations on one pilot.
type PilotIDParams struct {
	ID string `path:"id" description:"Pilot id." example:"a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a"`
}

// EvaluatePilotParams are the parameters of evaluatePilot: the pilot
// and the idempotency key.
type EvaluatePilotParams struct {
	ID             string `path:"id" description:"Pilot id." example:"a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"200" description:"The evaluate Update's ID: a retry with the same key looks once." example:"look-2026-03-02"`
}

// ListPilotsParams are the query parameters of listPilots: filters and
// the page.
type ListPilotsParams struct {
	Flow   string    `query:"flow" description:"Only pilots of this flow key." example:"complaint"`
	Status string    `query:"status" enum:"running,stopped,completed,promoted" description:"Only pilots in this status."`
	From   time.Time `query:"from" description:"Only pilots created at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only pilots created before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// Health is the answer of getHealth: the process serves HTTP.
type Health struct {
	Status string `json:"status" enum:"ok"`
	Mode   string `json:"mode,omitempty" enum:"dev" description:"dev when the process is a flowlab dev (embedded Temporal and SQLite, for trying flowlab out); absent on a production server. flowlab demo refuses to run against a server without it unless told --i-know-this-is-not-dev."`
}

// CancelResponse is the answer of cancelCase.
type CancelResponse struct {
	ID     string `json:"id"`
	Status string `json:"status" enum:"cancelling,cancelled" description:"cancelling: the workflow was asked to cancel; cancelled: the case never started and is closed."`
}

// EventResponse is the answer of sendCaseEvent: the event the case's
// workflow got.
type EventResponse struct {
	ID    string `json:"id"`
	Event string `json:"event"`
}

// CaseList is one page of cases, newest first (listCases).
type CaseList struct {
	Cases      []Case `json:"cases" nullable:"false"`
	NextCursor string `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// TaskList is one page of tasks, by SLA due time (listTasks).
type TaskList struct {
	Tasks      []Task `json:"tasks" nullable:"false"`
	NextCursor string `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// FlowList is one page of flows, by key (listFlows).
type FlowList struct {
	Flows      []FlowSummary `json:"flows" nullable:"false"`
	NextCursor string        `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}
