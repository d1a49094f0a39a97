package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// The JSON shapes of responses. Store types never leave the package as is:
// these converters choose the fields and their snake_case names.

func toCaseJSON(c store.Case) apiv1.Case {
	attrs := c.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage("{}")
	}
	return apiv1.Case{
		ID: c.ID, Flow: c.Flow, Version: c.Version, Variant: c.Variant,
		Customer: c.Customer, Channel: c.Channel, Attributes: attrs,
		Status: c.Status, Step: c.Step, WorkflowID: c.WorkflowID, CreatedBy: c.CreatedBy,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), ClosedAt: utcPtr(c.ClosedAt), SLADue: utcPtr(c.SLADue),
		PilotID: c.PilotID, ReopenedFrom: c.ReopenedFrom, ReopenedAt: utcPtr(c.ReopenedAt),
		Failure: c.Failure, Restarts: c.Restarts,
	}
}

func toTaskJSON(t store.Task) apiv1.Task { return toTaskJSONForms(t, nil) }

// toTaskJSONForms converts t, parsing its form once per distinct form
// JSON when forms (parsed so far, by their JSON) is not nil.
func toTaskJSONForms(t store.Task, forms map[string][]flow.Field) apiv1.Task {
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
	return apiv1.Task{
		ID: t.ID, CaseID: t.CaseID, Seq: t.Seq, Flow: t.Flow, Version: t.Version, Variant: t.Variant,
		Step: t.Step, StepName: t.StepName, Department: t.Department,
		Roles: nonNil(t.Roles), Outcomes: nonNil(t.Outcomes), Form: form,
		Status: t.Status, Assignee: t.Assignee, EscalationLevel: t.EscalationLevel,
		OpenedAt: t.OpenedAt.UTC(), ClaimedAt: utcPtr(t.ClaimedAt), CompletedAt: utcPtr(t.CompletedAt),
		SLADue: utcPtr(t.SLADue), Outcome: t.Outcome, Data: data, CompletedBy: t.CompletedBy,
		AssignedAt: utcPtr(t.AssignedAt), AssignRule: t.AssignRule, OfferDue: utcPtr(t.OfferDue), Reassignments: t.Reassignments,
	}
}

// toTasksJSON converts a page of tasks. Tasks of one step carry the same
// form, so each distinct form is parsed once per page and its fields
// shared (read-only) by those tasks: parsing it for every task was a
// quarter of an inbox page's CPU time (benchmark "api").
func toTasksJSON(ts []store.Task) []apiv1.Task {
	out := make([]apiv1.Task, len(ts))
	forms := map[string][]flow.Field{}
	for i, t := range ts {
		out[i] = toTaskJSONForms(t, forms)
	}
	return out
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

func toSpanJSON(sp store.Span, def *flow.Definition) apiv1.Span {
	wait, work, bizWait, bizWork := spanSeconds(sp, def)
	return apiv1.Span{
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
func (s *API) audit(r *http.Request, e store.AuditEntry) {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	if e.Actor == "" {
		e.Actor = httpx.ActorFrom(r.Context()).ID
	}
	e.RequestID = middleware.GetReqID(r.Context())
	if err := s.store.AppendAudit(r.Context(), e); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "audit append failed",
			slog.String("action", e.Action), slog.String("object", e.Object),
			slog.String("error", err.Error()))
	}
}
