package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/flowlab/flowlab/store"
)

// The audit trail: every change made through the API appends an entry
// (Server.audit, with the request's id); admins read it with
// GET /api/v1/audit (ADR 0011).

type listAuditParams struct {
	Actor  string    `query:"actor" description:"Only entries by this actor id (admin for the admin token, anonymous for anonymous proposals)." example:"3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f"`
	Action string    `query:"action" description:"Only entries of this action." example:"task.complete"`
	Object string    `query:"object" description:"Only entries about this object, written kind:id." example:"task:0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
	CaseID string    `query:"case_id" description:"Only entries about this case or its tasks."`
	From   time.Time `query:"from" description:"Only entries written at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only entries written before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

type auditEntryJSON struct {
	ID        int64           `json:"id" description:"Increases in the order entries were written."`
	At        time.Time       `json:"at"`
	Actor     string          `json:"actor" description:"Actor id; admin for the admin token, anonymous for an anonymous proposal, empty for the workflows."`
	Action    string          `json:"action" example:"task.complete"`
	Object    string          `json:"object" description:"What the action changed, kind:id." example:"task:0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20"`
	CaseID    *string         `json:"case_id" description:"The case the object belongs to; null when none."`
	RequestID *string         `json:"request_id" description:"The X-Request-Id of the API request that made the change; null for entries the workflows wrote."`
	Details   json.RawMessage `json:"details" description:"What changed, by action (an object); null when nothing more."`
}

type auditListJSON struct {
	Entries    []auditEntryJSON `json:"entries" nullable:"false"`
	NextCursor string           `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

func toAuditEntryJSON(e store.AuditEntry) auditEntryJSON {
	out := auditEntryJSON{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Object: e.Object, Details: e.Details}
	if e.CaseID != "" {
		out.CaseID = &e.CaseID
	}
	if e.RequestID != "" {
		out.RequestID = &e.RequestID
	}
	if len(out.Details) == 0 {
		out.Details = json.RawMessage("null")
	}
	return out
}

type auditCursorJSON struct {
	ID int64 `json:"id"`
}

// listAudit lists audit entries newest first, a page at a time.
func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := paramsOf[listAuditParams](r)
	if err != nil {
		return err
	}
	from, to, err := timeRange(q.From, q.To)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Actor: q.Actor, Action: q.Action, Object: q.Object, CaseID: q.CaseID,
		From: from, To: to, Descending: true, Limit: q.Limit + 1} // one more tells whether a next page exists
	if q.Cursor != "" {
		var c auditCursorJSON
		if err := decodeCursor(q.Cursor, &c); err != nil || c.ID <= 0 {
			return badCursor()
		}
		f.After = c.ID
	}
	entries, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		return storeProblem(fmt.Errorf("list audit: %w", err), "audit entries")
	}
	out := auditListJSON{Entries: []auditEntryJSON{}}
	if len(entries) > q.Limit {
		entries = entries[:q.Limit]
		out.NextCursor, err = encodeCursor(auditCursorJSON{ID: entries[len(entries)-1].ID})
		if err != nil {
			return internal(err)
		}
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, toAuditEntryJSON(e))
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
