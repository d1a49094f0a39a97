package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// proposalRoutes are the routes of improvement proposals: create, list, read, vote, adopt, decline (apiRoutes joins every
// resource's table).
var proposalRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals", ID: "createProposal", Tag: "improvement",
		Summary: "Propose an improvement",
		Description: "An open proposal: `title` (1–200 characters), `body` (up to 5000). With `anonymous: true` no author is stored " +
			"(`author` is null) and the audit entry `proposal.create` names the actor `anonymous`, not the caller.",
		Body: apiv1.CreateProposalRequest{}, BodyExample: exampleCreateProposal,
		Status: http.StatusCreated, Response: apiv1.Proposal{}, Example: exampleProposal,
		Errors: []int{413, 415, 422},
		Audit:  []string{"proposal.create"},
		Handle: (*API).createProposal,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/proposals", ID: "listProposals", Tag: "improvement",
		Summary:     "List proposals, newest first",
		Description: "Proposals ordered by created_at, then id, descending, optionally in one status; `from`/`to` bound created_at. " + descPaging,
		Params:      apiv1.ListProposalsParams{},
		Status:      http.StatusOK, Response: apiv1.ProposalList{}, Example: apiv1.ProposalList{Proposals: []apiv1.Proposal{exampleVotedProposal}, NextCursor: exampleCursor},
		Handle: (*API).listProposals,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/proposals/{id}", ID: "getProposal", Tag: "improvement",
		Summary: "Get a proposal",
		Params:  apiv1.ProposalIDParams{},
		Status:  http.StatusOK, Response: apiv1.Proposal{}, Example: exampleVotedProposal,
		Errors: []int{404},
		Handle: (*API).getProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/vote", ID: "voteProposal", Tag: "improvement",
		Summary: "Vote for a proposal",
		Description: "One vote per actor: a repeat changes nothing and answers `voted: false`. `votes` is the count now. " +
			"A proposal that is no longer open is a 409.",
		Params: apiv1.ProposalIDParams{},
		Status: http.StatusOK, Response: apiv1.Vote{}, Example: apiv1.Vote{ProposalID: exampleProposalID, Voted: true, Votes: 7},
		Errors: []int{404, 409},
		Audit:  []string{"proposal.vote"},
		Handle: (*API).voteProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/adopt", ID: "adoptProposal", Tag: "improvement",
		Summary: "Adopt a proposal: start a PDCA cycle for it",
		Description: "Starts a case of the built-in flow `pdca` exactly as POST /api/v1/cases would (customer `improvement-team`, channel `app`, " +
			"attributes `flow`, `metric`, `proposal_id` and `problem`: the proposal's title), then marks the proposal adopted by that case " +
			"(audit `proposal.adopt`). An unknown `flow` is a 404, a `metric` other than cycle_time, sla_breach_rate, fcr or csat a 422, a " +
			"proposal that is not open a 409. The case comes first: if the proposal stops being open meanwhile (declined, adopted by another " +
			"request) the case is cancelled and the answer is 409; if the request fails after the case was stored, the proposal stays open and " +
			"a retry with the same flow and metric continues with the same case.",
		Roles:  authz.ProposalDeciders,
		Params: apiv1.ProposalIDParams{},
		Body:   apiv1.AdoptProposalRequest{}, BodyExample: apiv1.AdoptProposalRequest{Flow: "complaint", Metric: "cycle_time"},
		Status: http.StatusCreated, Response: apiv1.Adoption{}, Example: exampleAdoption,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"proposal.adopt"},
		Handle: (*API).adoptProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/decline", ID: "declineProposal", Tag: "improvement",
		Summary:     "Decline a proposal",
		Description: "Marks an open proposal declined (409 when it is not open); the optional `reason` (up to 1000 characters) is kept in the audit entry `proposal.decline`.",
		Roles:       authz.ProposalDeciders,
		Params:      apiv1.ProposalIDParams{},
		Body:        apiv1.DeclineProposalRequest{}, BodyExample: apiv1.DeclineProposalRequest{Reason: "covered by the refund policy change in April"},
		Status: http.StatusOK, Response: apiv1.Proposal{}, Example: exampleDeclinedProposal,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"proposal.decline"},
		Handle: (*API).declineProposal,
	},
}

// Improvement proposals from staff (ADR 0010): anyone proposes and votes,
// the improvement team adopts a proposal by starting a PDCA cycle (a case
// of the built-in flow pdca) for it, or declines it.

// AnonymousActor is the actor of the audit entry of an anonymous
// proposal: anonymous means anonymous, in the proposal and in the trail.
const AnonymousActor = "anonymous"

// apiv1.PDCAFlow is the key of the built-in improvement cycle an adopted
// proposal starts; the cycle's customer and channel are
// ImprovementCustomer and ImprovementChannel.
const (
	ImprovementCustomer = "improvement-team"
	ImprovementChannel  = "app"
)

// reservedKeyPrefix starts the idempotency keys the server makes for the
// cases it starts itself; clients may not use it.
const reservedKeyPrefix = "flowlab:"

const (
	proposalTitleMax = 200
	proposalBodyMax  = 5000
	declineReasonMax = 1000
)

func toProposalJSON(p store.Proposal) apiv1.Proposal {
	out := apiv1.Proposal{ID: p.ID, Title: p.Title, Body: p.Body, Status: p.Status, Votes: p.Votes,
		AdoptedCaseID: p.AdoptedCaseID, CreatedAt: p.CreatedAt.UTC(), UpdatedAt: p.UpdatedAt.UTC()}
	if p.Author != "" {
		out.Author = &p.Author
	}
	return out
}

// createProposal stores an open proposal. An anonymous proposal stores no
// author, and its audit entry (proposal.create) is written with the actor
// "anonymous" rather than the caller: anonymous means anonymous.
func (s *API) createProposal(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.CreateProposalRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	req.Title = strings.TrimSpace(req.Title)
	switch n := utf8.RuneCountInString(req.Title); {
	case n == 0:
		errs = append(errs, apiv1.FieldError{Field: "title", Message: "is required"})
	case n > proposalTitleMax:
		errs = append(errs, apiv1.FieldError{Field: "title", Message: fmt.Sprintf("must be at most %d characters, got %d", proposalTitleMax, n)})
	}
	req.Body = strings.TrimSpace(req.Body)
	if n := utf8.RuneCountInString(req.Body); n > proposalBodyMax {
		errs = append(errs, apiv1.FieldError{Field: "body", Message: fmt.Sprintf("must be at most %d characters, got %d", proposalBodyMax, n)})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	ctx := r.Context()
	author := httpx.ActorFrom(ctx).ID
	if req.Anonymous {
		author = ""
	}
	p, err := s.store.CreateProposal(ctx, store.CreateProposalParams{Title: req.Title, Body: req.Body, Author: author, At: s.now().UTC()})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create proposal: %w", err), "proposal")
	}
	e := store.AuditEntry{Action: "proposal.create", Object: "proposal:" + p.ID,
		Details: mustJSON(map[string]any{"title": p.Title, "anonymous": req.Anonymous})}
	if req.Anonymous {
		e.Actor = AnonymousActor
	}
	s.audit(r, e)
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, toProposalJSON(p))
	return nil
}

// listProposals lists proposals newest first, a page at a time.
func (s *API) listProposals(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListProposalsParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	c, err := caseCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	var after *store.ProposalCursor
	switch {
	case c != nil:
		after = &store.ProposalCursor{CreatedAt: c.CreatedAt, ID: c.ID}
	case to != nil:
		// Newest first: starting after (to, "") lists created_at < to.
		after = &store.ProposalCursor{CreatedAt: *to}
	}
	ctx := r.Context()
	ps, err := s.store.ListProposals(ctx, store.ListProposalsParams{Status: q.Status, After: after, Limit: min(q.Limit+1, httpx.PageLimitMax)})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list proposals: %w", err), "proposals")
	}
	if from != nil {
		for i, p := range ps {
			if p.CreatedAt.Before(*from) {
				ps = ps[:i]
				break
			}
		}
	}
	more := len(ps) > q.Limit
	if more {
		ps = ps[:q.Limit]
	} else if len(ps) == q.Limit && q.Limit == httpx.PageLimitMax {
		// The store cannot return limit+1 rows: ask whether one follows.
		last := ps[len(ps)-1]
		probe, err := s.store.ListProposals(ctx, store.ListProposalsParams{Status: q.Status, Limit: 1,
			After: &store.ProposalCursor{CreatedAt: last.CreatedAt, ID: last.ID}})
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("list proposals: %w", err), "proposals")
		}
		more = len(probe) > 0 && (from == nil || !probe[0].CreatedAt.Before(*from))
	}
	out := apiv1.ProposalList{Proposals: make([]apiv1.Proposal, len(ps))}
	for i, p := range ps {
		out.Proposals[i] = toProposalJSON(p)
	}
	if more {
		last := ps[len(ps)-1]
		if out.NextCursor, err = httpx.EncodeCursor(caseCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// loadProposal reads a proposal or answers 404.
func (s *API) loadProposal(ctx context.Context, id string) (store.Proposal, error) {
	p, err := s.store.GetProposal(ctx, id)
	if err != nil {
		return p, httpx.StoreProblem(fmt.Errorf("get proposal: %w", err), fmt.Sprintf("proposal %q", id))
	}
	return p, nil
}

func (s *API) getProposal(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ProposalIDParams](r)
	if err != nil {
		return err
	}
	p, err := s.loadProposal(r.Context(), q.ID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toProposalJSON(p))
	return nil
}

// notOpen is the 409 of a change to a proposal that is no longer open.
func notOpen(p store.Proposal) *httpx.Problem {
	if p.Status == store.ProposalAdopted {
		return httpx.Conflict(fmt.Sprintf("proposal %q is already adopted by the improvement cycle %s", p.ID, p.AdoptedCaseID))
	}
	return httpx.Conflict(fmt.Sprintf("proposal %q is %s; only an open proposal can change", p.ID, p.Status))
}

// closedProposal answers a store conflict on an open-only change with the
// proposal's current state.
func (s *API) closedProposal(ctx context.Context, id string, err error) error {
	if !errors.Is(err, store.ErrConflict) {
		return httpx.StoreProblem(err, fmt.Sprintf("proposal %q", id))
	}
	p, gerr := s.store.GetProposal(ctx, id)
	if gerr != nil {
		return httpx.Conflict(fmt.Sprintf("proposal %q is not open", id))
	}
	return notOpen(p)
}

// voteProposal records the caller's vote, once per actor (200 either way;
// voted says whether this one counted). Votes are not audited: they are
// rows of their own.
func (s *API) voteProposal(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ProposalIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	p, voted, err := s.store.VoteProposal(ctx, q.ID, httpx.ActorFrom(ctx).ID, s.now().UTC())
	if err != nil {
		return s.closedProposal(ctx, q.ID, fmt.Errorf("vote proposal: %w", err))
	}
	if voted {
		s.audit(r, store.AuditEntry{Action: "proposal.vote", Object: "proposal:" + p.ID,
			Details: mustJSON(map[string]any{"votes": p.Votes})})
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.Vote{ProposalID: p.ID, Voted: voted, Votes: p.Votes})
	return nil
}

// adoptKey is the idempotency key of the cycle an adoption starts: the
// proposal and what the cycle improves. A retry of the same adoption (after
// a crash, a timeout, or by a second improver at the same moment) finds the
// case the first attempt stored instead of starting another.
func adoptKey(proposalID, flowKey, metric string) string {
	h := sha256.Sum256([]byte(flowKey + "\x00" + metric))
	return reservedKeyPrefix + "proposal:" + proposalID + ":adopt:" + hex.EncodeToString(h[:8])
}

// adoptProposal starts a PDCA cycle for an open proposal and marks it
// adopted by that case. The case comes first, through openCase (the path
// of POST /api/v1/cases), so a crash can leave a cycle whose proposal is
// still open (a retry finds that case through its idempotency key) but
// never an adopted proposal without a cycle. When the proposal stopped
// being open meanwhile (declined, or adopted with another cycle), the case
// this request started is cancelled and the answer is 409.
func (s *API) adoptProposal(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ProposalIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.AdoptProposalRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	req.Flow, req.Metric = strings.TrimSpace(req.Flow), strings.TrimSpace(req.Metric)
	if req.Flow == "" {
		errs = append(errs, apiv1.FieldError{Field: "flow", Message: "is required"})
	}
	if !slices.Contains(workflows.PilotMetrics, req.Metric) {
		errs = append(errs, apiv1.FieldError{Field: "metric", Message: fmt.Sprintf("must be one of %s, got %q", strings.Join(workflows.PilotMetrics, ", "), req.Metric)})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	ctx := r.Context()
	p, err := s.loadProposal(ctx, q.ID)
	if err != nil {
		return err
	}
	if p.Status != store.ProposalOpen {
		return notOpen(p)
	}
	if _, err := s.store.DefaultFlowVersion(ctx, req.Flow); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return s.unknownFlow(ctx, req.Flow, "flow")
		}
		return httpx.StoreProblem(fmt.Errorf("default flow version: %w", err), fmt.Sprintf("flow %q", req.Flow))
	}
	attrs, err := json.Marshal(map[string]any{"flow": req.Flow, "metric": req.Metric, "proposal_id": p.ID, "problem": p.Title})
	if err != nil {
		return httpx.Internal(fmt.Errorf("encode attributes: %w", err))
	}
	c, _, err := s.openCase(r, newCase{
		Flow: apiv1.PDCAFlow, Customer: ImprovementCustomer, Channel: ImprovementChannel, Attributes: attrs,
		IdempotencyKey: adoptKey(p.ID, req.Flow, req.Metric),
		RequestHash:    requestHash("proposal:"+p.ID, apiv1.PDCAFlow, ImprovementCustomer, ImprovementChannel, attrs),
	})
	if err != nil {
		var pr *httpx.Problem
		if errors.As(err, &pr) && pr.Status == http.StatusServiceUnavailable {
			pr.Detail = "the improvement cycle was stored but its workflow could not be started; the proposal is still open: retry the adoption"
		}
		return err
	}
	adopted, err := s.store.AdoptProposal(ctx, p.ID, c.ID, s.now().UTC())
	if err != nil {
		cur, gerr := s.store.GetProposal(ctx, p.ID)
		if !errors.Is(err, store.ErrConflict) || gerr != nil {
			// The proposal stays open; a retry finds the same case.
			return httpx.StoreProblem(fmt.Errorf("adopt proposal: %w", err), fmt.Sprintf("proposal %q", p.ID))
		}
		if cur.Status == store.ProposalAdopted && cur.AdoptedCaseID == c.ID {
			// A concurrent identical adoption attached this very case.
			return notOpen(cur)
		}
		pr := notOpen(cur)
		if cerr := s.discardCase(ctx, c); cerr != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "cancel the cycle of a proposal adopted meanwhile",
				slog.String("request_id", middleware.GetReqID(ctx)), slog.String("case_id", c.ID), slog.String("error", cerr.Error()))
			pr.Detail += fmt.Sprintf("; the cycle %s this request started could not be cancelled: cancel it with POST /api/v1/cases/%s/cancel", c.ID, c.ID)
		} else {
			s.audit(r, store.AuditEntry{Action: "case.cancel", Object: "case:" + c.ID, CaseID: c.ID,
				Details: mustJSON(map[string]any{"reason": "proposal " + p.ID + " is no longer open"})})
			pr.Detail += fmt.Sprintf("; the cycle %s this request started was cancelled", c.ID)
		}
		return pr
	}
	s.audit(r, store.AuditEntry{Action: "proposal.adopt", Object: "proposal:" + p.ID, CaseID: c.ID,
		Details: mustJSON(map[string]any{"case_id": c.ID, "flow": req.Flow, "metric": req.Metric})})
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, apiv1.Adoption{Proposal: toProposalJSON(adopted), Case: toCaseJSON(c)})
	return nil
}

// discardCase cancels a case the request started and no longer wants: its
// workflow, or the row directly when the workflow never started.
func (s *API) discardCase(ctx context.Context, c store.Case) error {
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	err := s.eng.Cancel(ectx, c.WorkflowID)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, engine.ErrCaseNotRunning) && c.Status == store.CaseStarting:
		now := s.now().UTC()
		cancelled, empty := store.CaseCancelled, ""
		return s.store.UpdateCase(ctx, store.UpdateCaseParams{ID: c.ID, Status: &cancelled, Step: &empty, ClosedAt: &now, At: now})
	case errors.Is(err, engine.ErrCaseNotRunning):
		return nil // already over
	default:
		return err
	}
}

// declineProposal marks an open proposal declined; the reason goes to the
// audit trail (proposal.decline).
func (s *API) declineProposal(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ProposalIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.DeclineProposalRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if n := utf8.RuneCountInString(req.Reason); n > declineReasonMax {
		return httpx.Invalid(apiv1.FieldError{Field: "reason", Message: fmt.Sprintf("must be at most %d characters, got %d", declineReasonMax, n)})
	}
	ctx := r.Context()
	if _, err := s.loadProposal(ctx, q.ID); err != nil {
		return err
	}
	p, err := s.store.DeclineProposal(ctx, q.ID, s.now().UTC())
	if err != nil {
		return s.closedProposal(ctx, q.ID, fmt.Errorf("decline proposal: %w", err))
	}
	s.audit(r, store.AuditEntry{Action: "proposal.decline", Object: "proposal:" + p.ID,
		Details: mustJSON(map[string]any{"reason": req.Reason})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toProposalJSON(p))
	return nil
}
