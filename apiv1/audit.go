package apiv1

import (
	"encoding/json"
	"time"
)

// ListAuditParams are the query parameters of listAudit (GET /api/v1/audit):
// filters and the page.
type ListAuditParams struct {
	Actor  string    `query:"actor" description:"Only entries by this actor id (admin for the admin token, anonymous for anonymous proposals)." example:"3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f"`
	Action string    `query:"action" description:"Only entries of this action." example:"task.complete"`
	Object string    `query:"object" description:"Only entries about this object, written kind:id." example:"task:0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
	CaseID string    `query:"case_id" description:"Only entries about this case or its tasks."`
	From   time.Time `query:"from" description:"Only entries written at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only entries written before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// AuditEntry is one change in the audit trail: who did what to which
// object, when, and what changed (ADR 0011).
type AuditEntry struct {
	ID        int64           `json:"id" description:"Increases in the order entries were written."`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor" description:"Actor id; admin for the admin token, anonymous for an anonymous proposal, empty for the workflows."`
	Action    string          `json:"action" example:"task.complete"`
	Object    string          `json:"object" description:"What the action changed, kind:id." example:"task:0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
	CaseID    *string         `json:"case_id" description:"The case the object belongs to; null when none."`
	RequestID *string         `json:"request_id" description:"The X-Request-Id of the API request that made the change; null for entries the workflows wrote."`
	Details   json.RawMessage `json:"details" description:"What changed, by action (an object); null when nothing more."`
}

// AuditList is one page of the audit trail, newest first (listAudit).
type AuditList struct {
	Entries    []AuditEntry `json:"entries" nullable:"false"`
	NextCursor string       `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}
