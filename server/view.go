package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// The JSON shapes of responses. Store types never leave the package as is:
// these converters choose the fields and their snake_case names.

type caseJSON struct {
	ID         string          `json:"id"`
	Flow       string          `json:"flow"`
	Version    int             `json:"version"`
	Variant    string          `json:"variant"`
	Customer   string          `json:"customer"`
	Channel    string          `json:"channel"`
	Attributes json.RawMessage `json:"attributes"`
	Status     string          `json:"status" enum:"starting,active,completed,cancelled,failed"`
	Step       string          `json:"step" description:"Current step id; empty when the case is closed."`
	WorkflowID string          `json:"workflow_id" description:"Temporal workflow id: <flow key>-<case id>."`
	CreatedBy  string          `json:"created_by"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	ClosedAt   *time.Time      `json:"closed_at"`
	SLADue     *time.Time      `json:"sla_due,omitempty" description:"When the case-level SLA falls due (the flow's sla from the start, pushed back by pause_sla waits); absent when the flow has none."`
	PilotID    string          `json:"pilot_id" description:"The pilot the case was assigned in (its variant is then the arm, control or treatment); empty when none."`
	// Reopening: ReopenedFrom on the new case, ReopenedAt on the old.
	ReopenedFrom string     `json:"reopened_from" description:"The closed case this case reopens; empty when none."`
	ReopenedAt   *time.Time `json:"reopened_at" description:"When a later case reopened this one; null when never."`
	Failure      string     `json:"failure,omitempty" description:"Why flowlab last marked the case failed (its workflow ended unexpectedly: terminated, timed out, failed); absent when it never did. Owners and admins restart or close a failed case."`
	Restarts     int        `json:"restarts,omitempty" description:"How often the case was restarted after a failure; absent when never."`
}

func toCaseJSON(c store.Case) caseJSON {
	attrs := c.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage("{}")
	}
	return caseJSON{
		ID: c.ID, Flow: c.Flow, Version: c.Version, Variant: c.Variant,
		Customer: c.Customer, Channel: c.Channel, Attributes: attrs,
		Status: c.Status, Step: c.Step, WorkflowID: c.WorkflowID, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), ClosedAt: utcPtr(c.ClosedAt), SLADue: utcPtr(c.SLADue),
		PilotID: c.PilotID, ReopenedFrom: c.ReopenedFrom, ReopenedAt: utcPtr(c.ReopenedAt),
		Failure: c.Failure, Restarts: c.Restarts,
	}
}

type taskJSON struct {
	ID              string          `json:"id"`
	CaseID          string          `json:"case_id"`
	Seq             int             `json:"seq"`
	Flow            string          `json:"flow"`
	Version         int             `json:"version"`
	Variant         string          `json:"variant"`
	Step            string          `json:"step"`
	StepName        string          `json:"step_name"`
	Department      string          `json:"department"`
	Roles           []string        `json:"roles" nullable:"false"`
	Outcomes        []string        `json:"outcomes" nullable:"false"`
	Form            []flow.Field    `json:"form" nullable:"false" description:"The fields the completion's data must carry."`
	Status          string          `json:"status" enum:"open,completed,cancelled"`
	Assignee        string          `json:"assignee" description:"Actor id; empty when unclaimed."`
	EscalationLevel int             `json:"escalation_level"`
	OpenedAt        time.Time       `json:"opened_at"`
	ClaimedAt       *time.Time      `json:"claimed_at"`
	CompletedAt     *time.Time      `json:"completed_at"`
	SLADue          *time.Time      `json:"sla_due"`
	Outcome         string          `json:"outcome"`
	Data            json.RawMessage `json:"data"`
	CompletedBy     string          `json:"completed_by"`
	// The case's customer and channel, in task lists (GET /tasks) only.
	Customer string `json:"customer,omitempty" description:"The case's customer (task lists only)."`
	Channel  string `json:"channel,omitempty" description:"The case's contact channel (task lists only; absent when the case has none)."`
}

func toTaskJSON(t store.Task) taskJSON { return toTaskJSONForms(t, nil) }

// toTaskJSONForms converts t, parsing its form once per distinct form
// JSON when forms (parsed so far, by their JSON) is not nil.
func toTaskJSONForms(t store.Task, forms map[string][]flow.Field) taskJSON {
	form := []flow.Field{}
	if len(t.Form) > 0 {
		if f, ok := forms[string(t.Form)]; ok {
			form = f
		} else {
			// The store keeps what OpenTask wrote: []flow.Field as JSON.
			_ = json.Unmarshal(t.Form, &form)
			form = nonNil(form)
			if forms != nil {
				forms[string(t.Form)] = form
			}
		}
	}
	data := t.Data
	if len(data) == 0 {
		data = json.RawMessage("null")
	}
	return taskJSON{
		ID: t.ID, CaseID: t.CaseID, Seq: t.Seq, Flow: t.Flow, Version: t.Version, Variant: t.Variant,
		Step: t.Step, StepName: t.StepName, Department: t.Department,
		Roles: nonNil(t.Roles), Outcomes: nonNil(t.Outcomes), Form: form,
		Status: t.Status, Assignee: t.Assignee, EscalationLevel: t.EscalationLevel,
		OpenedAt: t.OpenedAt.UTC(), ClaimedAt: utcPtr(t.ClaimedAt), CompletedAt: utcPtr(t.CompletedAt),
		SLADue: utcPtr(t.SLADue), Outcome: t.Outcome, Data: data, CompletedBy: t.CompletedBy,
	}
}

// toTasksJSON converts a page of tasks. Tasks of one step carry the same
// form, so each distinct form is parsed once per page and its fields
// shared (read-only) by those tasks: parsing it for every task was a
// quarter of an inbox page's CPU time (benchmark "api").
func toTasksJSON(ts []store.Task) []taskJSON {
	out := make([]taskJSON, len(ts))
	forms := map[string][]flow.Field{}
	for i, t := range ts {
		out[i] = toTaskJSONForms(t, forms)
	}
	return out
}

type spanJSON struct {
	Seq             int        `json:"seq"`
	Step            string     `json:"step"`
	Kind            string     `json:"kind"`
	Department      string     `json:"department"`
	EnteredAt       time.Time  `json:"entered_at"`
	ClaimedAt       *time.Time `json:"claimed_at"`
	CompletedAt     time.Time  `json:"completed_at"`
	Outcome         string     `json:"outcome"`
	SLADue          *time.Time `json:"sla_due"`
	Breached        bool       `json:"breached"`
	EscalationLevel int        `json:"escalation_level"`
	Actor           string     `json:"actor"`
	WaitSeconds     float64    `json:"wait_seconds"`
	WorkSeconds     float64    `json:"work_seconds"`
	// Business time: the same intervals counted in the step's calendar
	// (equal to the elapsed figures when the step has none).
	BusinessWaitSeconds float64 `json:"business_wait_seconds" description:"wait_seconds counted in the step's business calendar (working hours, holidays); equal to wait_seconds without a calendar."`
	BusinessWorkSeconds float64 `json:"business_work_seconds" description:"work_seconds counted in the step's business calendar."`
}

// spanSeconds splits a span into waiting and working seconds, elapsed and
// in business time, by the rules of package analytics (tasks wait until
// claimed, wait steps only wait, other kinds only work), so a case's spans
// and the bottleneck view agree.
func spanSeconds(sp store.Span, def *flow.Definition) (wait, work, bizWait, bizWork float64) {
	rep := analytics.Bottlenecks([]analytics.Span{sp.Analytics(def)}, nil)
	if len(rep.Steps) == 0 {
		return 0, 0, 0, 0
	}
	st := rep.Steps[0]
	return st.WaitTotal, st.WorkTotal, st.BusinessWaitTotal, st.BusinessWorkTotal
}

func toSpanJSON(sp store.Span, def *flow.Definition) spanJSON {
	wait, work, bizWait, bizWork := spanSeconds(sp, def)
	return spanJSON{
		Seq: sp.Seq, Step: sp.Step, Kind: sp.Kind, Department: sp.Department,
		EnteredAt: sp.EnteredAt.UTC(), ClaimedAt: utcPtr(sp.ClaimedAt), CompletedAt: sp.CompletedAt.UTC(),
		Outcome: sp.Outcome, SLADue: utcPtr(sp.SLADue), Breached: sp.Breached,
		EscalationLevel: sp.EscalationLevel, Actor: sp.Actor,
		WaitSeconds: wait, WorkSeconds: work,
		BusinessWaitSeconds: bizWait, BusinessWorkSeconds: bizWork,
	}
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// audit appends an entry for the request's actor. The change it records has
// already happened, so a failure is logged rather than returned.
func (s *Server) audit(r *http.Request, e store.AuditEntry) {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	if e.Actor == "" {
		e.Actor = actorFrom(r.Context()).ID
	}
	e.RequestID = middleware.GetReqID(r.Context())
	if err := s.store.AppendAudit(r.Context(), e); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "audit append failed",
			slog.String("action", e.Action), slog.String("object", e.Object),
			slog.String("error", err.Error()))
	}
}
