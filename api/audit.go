package api

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// auditRoutes are the routes of the audit trail (apiRoutes joins every
// resource's table).
var auditRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/audit", ID: "listAudit", Tag: "audit",
		Summary: "The audit trail, newest first",
		Description: "Every change made through the API, and those the workflows make on their own (escalations, pilot decisions), as " +
			"entries: who (`actor`), what (`action`, e.g. `task.complete`), to which object (`object`, kind:id), its case, when, the " +
			"request (`request_id`: the `X-Request-Id` the API answered the change with) and what changed (`details`). Ordered by id " +
			"descending, the order they were written; `from`/`to` bound `at`. " + descPaging,
		Roles:  authz.Admins,
		Params: apiv1.ListAuditParams{},
		Status: http.StatusOK, Response: apiv1.AuditList{}, Example: apiv1.AuditList{Entries: exampleAuditEntries, NextCursor: exampleCursor},
		Handle: (*API).listAudit,
	},
}

// The audit trail: every change made through the API appends an entry
// (Server.audit, with the request's id); admins read it with
// GET /api/v1/audit (ADR 0011).

func toAuditEntryJSON(e store.AuditEntry) apiv1.AuditEntry {
	out := apiv1.AuditEntry{ID: e.ID, At: e.At.UTC(), Actor: e.Actor, Action: e.Action, Object: e.Object, Details: e.Details}
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
func (s *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListAuditParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	f := store.AuditFilter{Actor: q.Actor, Action: q.Action, Object: q.Object, CaseID: q.CaseID,
		From: from, To: to, Descending: true, Limit: q.Limit + 1} // one more tells whether a next page exists
	if q.Cursor != "" {
		var c auditCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID <= 0 {
			return httpx.BadCursor()
		}
		f.After = c.ID
	}
	entries, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list audit: %w", err), "audit entries")
	}
	out := apiv1.AuditList{Entries: []apiv1.AuditEntry{}}
	if len(entries) > q.Limit {
		entries = entries[:q.Limit]
		out.NextCursor, err = httpx.EncodeCursor(auditCursorJSON{ID: entries[len(entries)-1].ID})
		if err != nil {
			return httpx.Internal(err)
		}
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, toAuditEntryJSON(e))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}
