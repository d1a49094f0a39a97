package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// feedbackRoutes are the routes of customer feedback on a case (apiRoutes joins every
// resource's table).
var feedbackRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/feedback", ID: "putCaseFeedback", Tag: "cases",
		Summary: "Record the customer's feedback on a case",
		Description: "CSAT (1–5), NPS (0–10) and whether the problem was resolved at the first contact; at least one. The first feedback " +
			"is a 201 (audit `feedback.create`); a later one replaces all values, null included, and is a 200 (audit `feedback.edit` with the " +
			"old and new values). Pilots compare CSAT and first-contact resolution from it. Only admins, owners and actors of a department " +
			"that serves the case (one its flow version lists, or one any of its tasks was in) may (403; decision 0023). An improvement " +
			"(PDCA) cycle is the team's own work, not a customer's: it takes no feedback (422).",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.FeedbackRequest{}, BodyExample: apiv1.FeedbackRequest{CSAT: ptr(5), NPS: ptr(9), ResolvedFirstContact: ptr(true)},
		Status: http.StatusCreated, AltStatuses: []int{http.StatusOK}, Response: apiv1.Feedback{}, Example: exampleFeedback,
		Errors: []int{403, 404, 413, 415, 422},
		Audit:  []string{"feedback.create", "feedback.edit"},
		Handle: (*API).putFeedback,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases/{id}/feedback", ID: "getCaseFeedback", Tag: "cases",
		Summary:     "The customer's feedback on a case",
		Description: "404 when the case does not exist or no feedback was given.",
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.Feedback{}, Example: exampleFeedback,
		Errors: []int{404},
		Handle: (*API).getFeedback,
	},
}

// Customer feedback on a case (CSAT, NPS, first-contact resolution) and
// reopening a closed case: the measures a pilot compares besides time
// (ADR 0008).

func toFeedbackJSON(fb store.Feedback) apiv1.Feedback {
	return apiv1.Feedback{CaseID: fb.CaseID, CSAT: fb.CSAT, NPS: fb.NPS, ResolvedFirstContact: fb.ResolvedFirstContact,
		CreatedBy: fb.CreatedBy, CreatedAt: fb.CreatedAt.UTC(), UpdatedAt: fb.UpdatedAt.UTC()}
}

// feedbackValues is the audit form of feedback.
func feedbackValues(csat, nps *int, rfc *bool) map[string]any {
	return map[string]any{"csat": csat, "nps": nps, "resolved_first_contact": rfc}
}

// internalCase reports whether a case is the organisation's own work, not
// a customer's: the improvement (PDCA) cycles. Customer feedback has no
// meaning there.
func internalCase(flowKey string) bool { return flowKey == apiv1.PDCAFlow }

// putFeedback records (201) or replaces (200) the customer's feedback on a
// case; a replacement is audited with the old and new values.
func (s *API) putFeedback(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.CaseIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.FeedbackRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	if req.CSAT == nil && req.NPS == nil && req.ResolvedFirstContact == nil {
		errs = append(errs, apiv1.FieldError{Field: "body", Message: "give at least one of csat, nps, resolved_first_contact"})
	}
	if req.CSAT != nil && (*req.CSAT < 1 || *req.CSAT > 5) {
		errs = append(errs, apiv1.FieldError{Field: "csat", Message: fmt.Sprintf("must be from 1 to 5, got %d", *req.CSAT)})
	}
	if req.NPS != nil && (*req.NPS < 0 || *req.NPS > 10) {
		errs = append(errs, apiv1.FieldError{Field: "nps", Message: fmt.Sprintf("must be from 0 to 10, got %d", *req.NPS)})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	ctx := r.Context()
	what := fmt.Sprintf("case %q", q.ID)
	c, err := s.store.GetCase(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), what)
	}
	if err := s.servesCase(ctx, httpx.ActorFrom(ctx), c, "record feedback on"); err != nil {
		return err
	}
	if internalCase(c.Flow) {
		return httpx.Invalid(apiv1.FieldError{Field: "body", Message: fmt.Sprintf("case %s is an improvement (%s) cycle, the team's own work: it takes no customer feedback", c.ID, c.Flow)})
	}
	old, err := s.store.GetFeedback(ctx, q.ID)
	hadOld := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return httpx.StoreProblem(fmt.Errorf("get feedback: %w", err), "feedback")
	}
	fb, created, err := s.store.PutFeedback(ctx, store.PutFeedbackParams{CaseID: q.ID, CSAT: req.CSAT, NPS: req.NPS,
		ResolvedFirstContact: req.ResolvedFirstContact, Actor: httpx.ActorFrom(ctx).ID, At: s.now().UTC()})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("put feedback: %w", err), what)
	}
	newValues := feedbackValues(fb.CSAT, fb.NPS, fb.ResolvedFirstContact)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.audit(r, store.AuditEntry{Action: "feedback.create", Object: "case:" + q.ID, CaseID: q.ID, Details: mustJSON(newValues)})
	} else {
		details := map[string]any{"new": newValues}
		if hadOld {
			details["old"] = feedbackValues(old.CSAT, old.NPS, old.ResolvedFirstContact)
		}
		s.audit(r, store.AuditEntry{Action: "feedback.edit", Object: "case:" + q.ID, CaseID: q.ID, Details: mustJSON(details)})
	}
	httpx.WriteJSON(s.log, w, r, status, toFeedbackJSON(fb))
	return nil
}

// getFeedback returns a case's feedback (404 when none was given).
func (s *API) getFeedback(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.CaseIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if _, err := s.store.GetCase(ctx, q.ID); err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), fmt.Sprintf("case %q", q.ID))
	}
	fb, err := s.store.GetFeedback(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get feedback: %w", err), fmt.Sprintf("feedback on case %q", q.ID))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toFeedbackJSON(fb))
	return nil
}

// reopenCase starts a new case on the same flow for a closed case: same
// customer, channel and attributes, and the original's version, variant
// and pilot, so the case stays in its arm (no new assignment).
func (s *API) reopenCase(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.CaseIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.ReopenRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if len(req.Reason) > 500 {
		return httpx.Invalid(apiv1.FieldError{Field: "reason", Message: "must be at most 500 characters"})
	}
	ctx := r.Context()
	what := fmt.Sprintf("case %q", q.ID)
	orig, err := s.store.GetCase(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), what)
	}
	if err := s.servesCase(ctx, httpx.ActorFrom(ctx), orig, "reopen"); err != nil {
		return err
	}
	if orig.Status != store.CaseCompleted && orig.Status != store.CaseCancelled {
		return httpx.Conflict(fmt.Sprintf("case %q is %s; only a completed or cancelled case can be reopened", orig.ID, orig.Status))
	}
	fv, err := s.store.GetFlowVersion(ctx, orig.Flow, orig.Version)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("flow version of case: %w", err), fmt.Sprintf("flow %q version %d", orig.Flow, orig.Version))
	}
	now := s.now().UTC()
	if _, err := s.store.MarkCaseReopened(ctx, orig.ID, now); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return httpx.Conflict(fmt.Sprintf("case %q is not closed; only a completed or cancelled case can be reopened", orig.ID))
		}
		return httpx.StoreProblem(fmt.Errorf("mark case reopened: %w", err), what)
	}
	attrs := orig.Attributes
	if len(attrs) == 0 {
		attrs = json.RawMessage("{}")
	}
	actor := httpx.ActorFrom(ctx)
	id := uuid.NewString()
	c, _, err := s.store.CreateCase(ctx, store.CreateCaseParams{
		ID: id, Flow: orig.Flow, Version: orig.Version, Variant: orig.Variant, PilotID: orig.PilotID, ReopenedFrom: orig.ID,
		Customer: orig.Customer, Channel: orig.Channel, Attributes: attrs,
		Status: store.CaseStarting, WorkflowID: WorkflowID(orig.Flow, id), CreatedBy: actor.ID, At: now,
	})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create reopened case: %w", err), "case")
	}
	s.audit(r, store.AuditEntry{Action: "case.reopen", Object: "case:" + orig.ID, CaseID: orig.ID,
		Details: mustJSON(map[string]any{"new_case_id": c.ID, "reason": req.Reason, "version": c.Version, "variant": c.Variant, "pilot_id": c.PilotID})})
	s.audit(r, store.AuditEntry{Action: "case.create", Object: "case:" + c.ID, CaseID: c.ID,
		Details: mustJSON(map[string]any{"flow": c.Flow, "version": c.Version, "reopened_from": orig.ID})})
	c, err = s.startCase(ctx, c, fv)
	if err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) {
			return p
		}
		return httpx.Unavailable("the new case was stored but its workflow could not be started; it starts when the server restarts", err)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, toCaseJSON(c))
	return nil
}
