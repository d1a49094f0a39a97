package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/simcal"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// pilotRoutes are the routes of A/B pilots: start, list, read, stop, evaluate, promote, results (apiRoutes joins every
// resource's table).
var pilotRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots", ID: "startPilot", Tag: "pilots",
		Summary: "Start a pilot",
		Description: "Pilots the `treatment` version of a flow against `control` (default: the flow's default version) on `share` percent of new " +
			"cases, assigned by a hash of the pilot and the customer (`unit: customer`, the default: a customer stays in one arm) or the case. " +
			"The Pilot workflow evaluates every `evaluate_every` (default 1h) until the primary metric decides, a guardrail stops the treatment " +
			"or `max_duration` (default 14d) is reached. Durations are strings like 14d, 36h or 90m. Invalid fields are a 422 naming each; an " +
			"unknown flow is 404; a missing or retired version a 422 on `control` or `treatment`; another running pilot of the flow a 409 naming it. " +
			"If the workflow cannot start, the pilot is stopped (reason: the pilot's workflow could not start) and the answer is 503.",
		Roles: authz.PilotRunners,
		Body:  apiv1.StartPilotRequest{}, BodyExample: exampleStartPilot,
		Status: http.StatusCreated, Response: apiv1.Pilot{}, Example: examplePilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.start"},
		Handle: (*API).startPilot,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots", ID: "listPilots", Tag: "pilots",
		Summary:     "List pilots",
		Description: "Pilots newest first (created_at, id), optionally of one flow, in one status, created in [`from`, `to`). " + descPaging,
		Params:      apiv1.ListPilotsParams{},
		Status:      http.StatusOK, Response: apiv1.PilotList{}, Example: apiv1.PilotList{Pilots: []apiv1.Pilot{examplePilot}},
		Handle: (*API).listPilots,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots/{id}", ID: "getPilot", Tag: "pilots",
		Summary:     "Get a pilot",
		Description: "The pilot with its last stored evaluation and, while it runs, `live`: its workflow's status (left out when the workflow engine does not answer).",
		Params:      apiv1.PilotIDParams{},
		Status:      http.StatusOK, Response: apiv1.Pilot{}, Example: examplePilotLive,
		Errors: []int{404},
		Handle: (*API).getPilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/stop", ID: "stopPilot", Tag: "pilots",
		Summary: "Stop a pilot",
		Description: "Signals the pilot's workflow to stop; the workflow ends the pilot (status stopped) and new cases of the flow get its default " +
			"version again. The answer is 200 once the pilot has ended (the server waits up to 2 seconds), else 202 with the pilot still `running` " +
			"for a moment. A pilot whose workflow is gone is ended directly. A pilot that is not running is a 409.",
		Roles:  authz.PilotRunners,
		Params: apiv1.PilotIDParams{},
		Body:   apiv1.StopPilotRequest{}, BodyExample: apiv1.StopPilotRequest{Reason: "customers complain about the new form"},
		Status: http.StatusOK, AltStatuses: []int{http.StatusAccepted}, Response: apiv1.Pilot{}, Example: exampleStoppedPilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.stop"},
		Handle: (*API).stopPilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/evaluate", ID: "evaluatePilot", Tag: "pilots",
		Summary: "Evaluate a pilot now",
		Description: "Runs a look now through the Pilot workflow's `evaluate` Update (as its timer would: the result is stored and acted on, so " +
			"the pilot may conclude or stop). The Update ID is the `Idempotency-Key` when given (a retry looks once), else a new one. " +
			"A pilot that is not running is a 409. Returns the pilot with the new results and `live`.",
		Roles:  authz.PilotRunners,
		Params: apiv1.EvaluatePilotParams{},
		Status: http.StatusOK, Response: apiv1.Pilot{}, Example: examplePilotLive,
		Errors: []int{404, 409},
		Audit:  []string{"pilot.evaluate"},
		Handle: (*API).evaluatePilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/promote", ID: "promotePilot", Tag: "pilots",
		Summary: "Promote a pilot's arm",
		Description: "Makes the version of `arm` the flow's default (new cases get it; running cases keep theirs) and marks the pilot promoted, " +
			"with an audit entry. A running pilot is stopped first (409 if it has not ended within 2 seconds: retry). Promoting the same arm again " +
			"changes nothing; the other arm of a promoted pilot, or a retired version, is a 409.",
		Roles:  authz.PilotRunners,
		Params: apiv1.PilotIDParams{},
		Body:   apiv1.PromotePilotRequest{}, BodyExample: apiv1.PromotePilotRequest{Arm: "treatment"},
		Status: http.StatusOK, Response: apiv1.Pilot{}, Example: examplePromotedPilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.promote"},
		Handle: (*API).promotePilot,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots/{id}/results", ID: "getPilotResults", Tag: "pilots",
		Summary: "A pilot's statistics",
		Description: "Evaluates the pilot now from its current cases, without storing anything, so the numbers equal a recomputation from " +
			"GET /api/v1/spans?pilot=: per arm the cases, median and p90 cycle time, SLA breach and FCR rates, mean CSAT (a case's CSAT is " +
			"its feedback's `csat`, or else its follow-up call's `follow_up_csat`) and the perceived-improvement rate of the follow-up calls " +
			"(`perceived_rate` = `perceived_yes` / `perceived_n`, the calls answered yes or no; `perceived_not_sure` apart; decision 0041); per metric the " +
			"effect (treatment versus control), its 95% CI, p-value and verdict; the sample-ratio check; guardrail states; the decision, winner " +
			"and recommendation; the cases per arm needed for 80% power. `last_look` is what the Pilot workflow stored at its last look; " +
			"`steps` compares each step's waiting and working time between the arms. Cycle time is `cycle_seconds` (creation to close of a " +
			"completed case); the arms' median and p90 are of those seconds, while the cycle_time test, effect and CI are computed on " +
			"ln(max(cycle_seconds, 1)), so a case closed within a second counts as 1 s, and the effect is exp(d) - 1 of the Hodges-Lehmann " +
			"shift d of those logs (docs/decisions/0008-pilots.md).",
		Params: apiv1.PilotIDParams{},
		Status: http.StatusOK, Response: apiv1.PilotResults{}, Example: examplePilotResults,
		Errors: []int{404},
		Handle: (*API).pilotResults,
	},
}

// Pilots (ADR 0008, API in ADR 0009): a pilot is a row and a Pilot
// workflow. The API writes the row, starts the workflow, stops it by
// signal, asks it for an evaluation by Update, and promotes an arm through
// store.PromotePilot. Results are computed live from the same data the
// export route streams.

// pilotStopReasonStartFailed ends a pilot whose workflow could not start.
const pilotStopReasonStartFailed = "the pilot's workflow could not start"

// exportPageSize is how many spans one store.ExportSpans call returns.
const exportPageSize = 1000

// toPilotJSON is the view of a pilot row. Stored JSON that does not
// decode (it never should) is logged and left out.
func (s *API) toPilotJSON(ctx context.Context, pl store.Pilot) apiv1.Pilot {
	out := apiv1.Pilot{
		ID: pl.ID, Flow: pl.Flow, Control: pl.Control, Treatment: pl.Treatment, Share: pl.Share, Unit: pl.Unit,
		PrimaryMetric: pl.PrimaryMetric, Guardrails: []apiv1.PilotGuardrail{}, MinCasesPerArm: pl.MinCasesPerArm,
		MaxDuration: flow.Duration(pl.MaxDuration).String(), EvaluateEvery: flow.Duration(pl.EvaluateEvery).String(),
		Status: pl.Status, StopReason: pl.StopReason, Winner: pl.Winner, Recommendation: pl.Recommendation,
		PromotedArm: pl.PromotedArm, Looks: []experiment.Look{}, WorkflowID: pl.WorkflowID, PDCACaseID: pl.PDCACaseID,
		CreatedBy: pl.CreatedBy, CreatedAt: pl.CreatedAt.UTC(), UpdatedAt: pl.UpdatedAt.UTC(), EndedAt: utcPtr(pl.EndedAt),
	}
	warn := func(what string, err error) {
		s.log.LogAttrs(ctx, slog.LevelWarn, "pilot view: stored "+what+" does not decode",
			slog.String("pilot_id", pl.ID), slog.String("error", err.Error()))
	}
	if len(pl.Guardrails) > 0 && string(pl.Guardrails) != "null" {
		if err := json.Unmarshal(pl.Guardrails, &out.Guardrails); err != nil {
			warn("guardrails", err)
		}
		out.Guardrails = nonNil(out.Guardrails)
	}
	if looks, err := pilotdata.Looks(pl); err != nil {
		warn("looks", err)
	} else {
		out.Looks = nonNil(looks)
	}
	if len(pl.Results) > 0 && string(pl.Results) != "null" {
		var ev experiment.Evaluation
		if err := json.Unmarshal(pl.Results, &ev); err != nil {
			warn("results", err)
		} else {
			out.Results = &ev
		}
	}
	return out
}

func toPilotLiveJSON(st workflows.PilotStatus) *apiv1.PilotLive {
	return &apiv1.PilotLive{Status: st.Status, Looks: st.Looks, LastDecision: st.LastDecision, Winner: st.Winner,
		Recommendation: st.Recommendation, Reason: st.Reason, NextLook: utcPtr(st.NextLook)}
}

// withLive adds the workflow's status to the view of a running pilot; an
// engine that does not answer leaves it out (the row still answers).
func (s *API) withLive(ctx context.Context, v apiv1.Pilot) apiv1.Pilot {
	if v.Status != store.PilotRunning {
		return v
	}
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	st, err := s.eng.PilotState(ectx, v.WorkflowID)
	if err != nil {
		s.log.LogAttrs(ctx, slog.LevelWarn, "pilot state query failed",
			slog.String("request_id", middleware.GetReqID(ctx)),
			slog.String("pilot_id", v.ID), slog.String("error", err.Error()))
		return v
	}
	v.Live = toPilotLiveJSON(st)
	return v
}

// durationField parses an optional duration of the request ("" is 0).
func durationField(field, raw string, errs *[]apiv1.FieldError) time.Duration {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return 0
	}
	d, err := flow.ParseDuration(raw)
	if err != nil {
		*errs = append(*errs, apiv1.FieldError{Field: field, Message: err.Error() + " (like 14d, 36h or 90m)"})
		return 0
	}
	if d == 0 {
		*errs = append(*errs, apiv1.FieldError{Field: field, Message: "must be more than 0"})
	}
	return time.Duration(d)
}

// startPilot writes a running pilot and starts its workflow.
func (s *API) startPilot(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.StartPilotRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	spec := workflows.PilotSpec{
		Flow: strings.TrimSpace(req.Flow), Control: req.Control, Treatment: req.Treatment,
		Unit: strings.TrimSpace(req.Unit), PrimaryMetric: strings.TrimSpace(req.PrimaryMetric),
	}
	if req.Share != nil {
		spec.Share = *req.Share
		if *req.Share == 0 {
			errs = append(errs, apiv1.FieldError{Field: "share", Message: "must be above 0 and below 100 (percent of new cases to treatment), got 0"})
		}
	}
	if req.MinCasesPerArm != nil {
		spec.MinCasesPerArm = *req.MinCasesPerArm
		if *req.MinCasesPerArm == 0 {
			errs = append(errs, apiv1.FieldError{Field: "min_cases_per_arm", Message: "must be between 2 and 1000000, got 0"})
		}
	}
	for _, g := range req.Guardrails {
		spec.Guardrails = append(spec.Guardrails, workflows.PilotGuardrail{Metric: g.Metric, MaxWorsening: g.MaxWorsening})
	}
	spec.MaxDuration = durationField("max_duration", req.MaxDuration, &errs)
	spec.EvaluateEvery = durationField("evaluate_every", req.EvaluateEvery, &errs)

	ctx := r.Context()
	if spec.Flow != "" {
		fv, err := s.store.DefaultFlowVersion(ctx, spec.Flow)
		if errors.Is(err, store.ErrNotFound) {
			return s.unknownFlow(ctx, spec.Flow, "flow")
		}
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("default flow version: %w", err), fmt.Sprintf("flow %q", spec.Flow))
		}
		if spec.Control == 0 {
			spec.Control = fv.Version
		}
	}
	for _, fe := range spec.Normalize() {
		if fe.Field == "control" && spec.Flow == "" && req.Control == 0 {
			continue // it defaults to the flow's default version: the flow is the error
		}
		if !hasField(errs, fe.Field) {
			errs = append(errs, apiv1.FieldError{Field: fe.Field, Message: fe.Message})
		}
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	msg, err := store.PilotVersions(ctx, s.store, spec.Flow, spec.Control, spec.Treatment)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("pilot versions: %w", err), fmt.Sprintf("flow %q", spec.Flow))
	}
	if msg != "" {
		field, text, ok := strings.Cut(msg, ": ")
		if !ok {
			field, text = "treatment", msg
		}
		return httpx.Invalid(apiv1.FieldError{Field: field, Message: text})
	}
	guards, err := json.Marshal(nonNil(spec.Guardrails))
	if err != nil {
		return httpx.Internal(fmt.Errorf("encode guardrails: %w", err))
	}
	actor := httpx.ActorFrom(ctx)
	id := uuid.NewString()
	pl, _, err := s.store.CreatePilot(ctx, store.CreatePilotParams{
		ID: id, Flow: spec.Flow, Control: spec.Control, Treatment: spec.Treatment, Share: spec.Share, Unit: spec.Unit,
		PrimaryMetric: spec.PrimaryMetric, Guardrails: guards, MinCasesPerArm: spec.MinCasesPerArm,
		MaxDuration: spec.MaxDuration, EvaluateEvery: spec.EvaluateEvery, WorkflowID: workflows.PilotWorkflowID(id),
		CreatedBy: actor.ID, At: s.now().UTC(),
	})
	if errors.Is(err, store.ErrConflict) {
		running, rerr := s.store.RunningPilot(ctx, spec.Flow)
		if rerr != nil {
			return httpx.Conflict(fmt.Sprintf("another pilot of flow %q is running; stop it first", spec.Flow))
		}
		return httpx.Conflict(fmt.Sprintf("pilot %s of flow %q is running (control v%d, treatment v%d); stop it or wait for it to end",
			running.ID, spec.Flow, running.Control, running.Treatment))
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create pilot: %w", err), "pilot")
	}
	s.audit(r, store.AuditEntry{Action: "pilot.start", Object: "pilot:" + pl.ID,
		Details: mustJSON(map[string]any{"flow": pl.Flow, "control": pl.Control, "treatment": pl.Treatment, "share": pl.Share,
			"unit": pl.Unit, "primary_metric": pl.PrimaryMetric})})

	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	if err := s.eng.StartPilot(ectx, pl.WorkflowID, pilotInput(pl)); err != nil {
		// A pilot without a workflow would route cases unwatched.
		now := s.now().UTC()
		stopped, reason := store.PilotStopped, pilotStopReasonStartFailed
		if _, uerr := s.store.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning,
			Status: &stopped, StopReason: &reason, EndedAt: &now, At: now}); uerr != nil && !errors.Is(uerr, store.ErrConflict) {
			err = errors.Join(err, fmt.Errorf("stop pilot %s: %w", pl.ID, uerr))
		}
		return httpx.Unavailable("the pilot's workflow could not start, so the pilot was stopped; start a new one when the workflow engine is back", err)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, s.toPilotJSON(ctx, pl))
	return nil
}

func hasField(errs []apiv1.FieldError, field string) bool {
	for _, e := range errs {
		if e.Field == field {
			return true
		}
	}
	return false
}

// pilotInput is the Pilot workflow's input for a pilot row.
func pilotInput(pl store.Pilot) workflows.PilotInput {
	return workflows.PilotInput{PilotID: pl.ID, Flow: pl.Flow, StartedAt: pl.CreatedAt, MaxDuration: pl.MaxDuration, EvaluateEvery: pl.EvaluateEvery}
}

// StartRunningPilots (re)starts the workflow of every running pilot. The
// start is idempotent, so it heals a crash between writing a pilot and
// starting its workflow; StartPending calls it at boot. It returns the
// joined errors of the pilots it could not start.
func StartRunningPilots(ctx context.Context, st store.Store, eng engine.Engine) error {
	var errs []error
	p := store.ListPilotsParams{Status: store.PilotRunning, Limit: httpx.PageLimitMax}
	for {
		page, err := st.ListPilots(ctx, p)
		if err != nil {
			return fmt.Errorf("server: start running pilots: list: %w", err)
		}
		for _, pl := range page {
			if err := eng.StartPilot(ctx, pl.WorkflowID, pilotInput(pl)); err != nil {
				errs = append(errs, fmt.Errorf("pilot %s: %w", pl.ID, err))
			}
		}
		if len(page) < p.Limit {
			break
		}
		last := page[len(page)-1]
		p.After = &store.PilotCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: start running pilots: %w", errors.Join(errs...))
	}
	return nil
}

// listPilots lists pilots newest first, a page at a time.
func (s *API) listPilots(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListPilotsParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	after, err := pilotCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	if after == nil && to != nil {
		// Newest first: starting after (to, "") lists created_at < to.
		after = &store.PilotCursor{CreatedAt: *to}
	}
	ctx := r.Context()
	pls, err := s.store.ListPilots(ctx, store.ListPilotsParams{Flow: q.Flow, Status: q.Status, After: after, Limit: q.Limit + 1})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list pilots: %w", err), "pilots")
	}
	if from != nil {
		for i, pl := range pls {
			if pl.CreatedAt.Before(*from) {
				pls = pls[:i]
				break
			}
		}
	}
	more := len(pls) > q.Limit
	if more {
		pls = pls[:q.Limit]
	}
	out := apiv1.PilotList{Pilots: make([]apiv1.Pilot, len(pls))}
	for i, pl := range pls {
		out.Pilots[i] = s.toPilotJSON(ctx, pl)
	}
	if more {
		last := pls[len(pls)-1]
		if out.NextCursor, err = httpx.EncodeCursor(caseCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func pilotCursorParam(s string) (*store.PilotCursor, error) {
	c, err := caseCursorParam(s)
	if err != nil || c == nil {
		return nil, err
	}
	return &store.PilotCursor{CreatedAt: c.CreatedAt, ID: c.ID}, nil
}

// loadPilot reads a pilot or answers 404.
func (s *API) loadPilot(ctx context.Context, id string) (store.Pilot, error) {
	pl, err := s.store.GetPilot(ctx, id)
	if err != nil {
		return pl, httpx.StoreProblem(fmt.Errorf("get pilot: %w", err), fmt.Sprintf("pilot %q", id))
	}
	return pl, nil
}

// getPilot returns a pilot, with its workflow's status while it runs.
func (s *API) getPilot(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.PilotIDParams](r)
	if err != nil {
		return err
	}
	pl, err := s.loadPilot(r.Context(), q.ID)
	if err != nil {
		return err
	}
	out := s.withLive(r.Context(), s.toPilotJSON(r.Context(), pl))
	if out.Prediction, err = s.pilotPrediction(r.Context(), pl); err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// pilotPrediction is the prediction stored when the pilot started beside
// what it measured (nil: none was made, as for pilots started before
// predictions).
func (s *API) pilotPrediction(ctx context.Context, pl store.Pilot) (*apiv1.PilotPrediction, error) {
	xs, err := s.store.ListSimulations(ctx, store.ListSimulationsParams{PilotID: pl.ID, Limit: 1})
	if err != nil {
		return nil, httpx.StoreProblem(fmt.Errorf("the prediction of pilot %s: %w", pl.ID, err), "simulations")
	}
	if len(xs) == 0 {
		return nil, nil
	}
	p, err := simcal.PilotPrediction(ctx, s.store, pl, xs[0])
	if err != nil {
		return nil, httpx.Internal(err)
	}
	return &p, nil
}

// endPilot asks a running pilot's workflow to stop and waits (up to
// Config.PilotStopWait) for the workflow to end the row. A workflow that
// is not running cannot end the row, so the row is ended here. It returns
// the row afterwards; ended reports that it no longer runs.
func (s *API) endPilot(ctx context.Context, pl store.Pilot, reason, actorID string) (store.Pilot, bool, error) {
	ectx, cancel := s.engineCtx(ctx)
	err := s.eng.StopPilot(ectx, pl.WorkflowID, workflows.StopPilotRequest{Reason: reason, ActorID: actorID})
	cancel()
	switch {
	case errors.Is(err, engine.ErrPilotNotRunning):
		now := s.now().UTC()
		stopped := store.PilotStopped
		if reason == "" {
			reason = "stopped by " + actorID
		}
		out, uerr := s.store.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning,
			Status: &stopped, StopReason: &reason, EndedAt: &now, At: now})
		if errors.Is(uerr, store.ErrConflict) {
			// It ended meanwhile (the workflow got there first).
			out, uerr = s.store.GetPilot(ctx, pl.ID)
		}
		if uerr != nil {
			return pl, false, httpx.StoreProblem(fmt.Errorf("stop pilot: %w", uerr), fmt.Sprintf("pilot %q", pl.ID))
		}
		return out, true, nil
	case err != nil:
		return pl, false, engineProblem(err)
	}
	deadline := time.Now().Add(s.cfg.PilotStopWait)
	for {
		cur, err := s.store.GetPilot(ctx, pl.ID)
		if err != nil {
			return pl, false, httpx.StoreProblem(fmt.Errorf("reread pilot: %w", err), fmt.Sprintf("pilot %q", pl.ID))
		}
		if cur.Status != store.PilotRunning {
			return cur, true, nil
		}
		if !time.Now().Before(deadline) {
			return cur, false, nil
		}
		select {
		case <-ctx.Done():
			return cur, false, nil
		case <-time.After(25 * time.Millisecond):
		}
	}
}

// stopPilot stops a running pilot: 200 when the row has ended within
// Config.PilotStopWait, else 202 (the workflow ends it shortly).
func (s *API) stopPilot(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.PilotIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.StopPilotRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Reason = strings.TrimSpace(req.Reason)
	if len(req.Reason) > 500 {
		return httpx.Invalid(apiv1.FieldError{Field: "reason", Message: "must be at most 500 characters"})
	}
	ctx := r.Context()
	pl, err := s.loadPilot(ctx, q.ID)
	if err != nil {
		return err
	}
	if pl.Status != store.PilotRunning {
		return httpx.Conflict(fmt.Sprintf("pilot %q is not running (it is %s)", pl.ID, pl.Status))
	}
	actor := httpx.ActorFrom(ctx)
	pl, ended, err := s.endPilot(ctx, pl, req.Reason, actor.ID)
	if err != nil {
		return err
	}
	s.audit(r, store.AuditEntry{Action: "pilot.stop", Object: "pilot:" + pl.ID, Details: mustJSON(map[string]any{"reason": req.Reason})})
	status := http.StatusOK
	if !ended {
		status = http.StatusAccepted
	}
	httpx.WriteJSON(s.log, w, r, status, s.toPilotJSON(ctx, pl))
	return nil
}

// evaluatePilot asks the Pilot workflow for a look now.
func (s *API) evaluatePilot(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.EvaluatePilotParams](r)
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pl, err := s.loadPilot(ctx, q.ID)
	if err != nil {
		return err
	}
	if pl.Status != store.PilotRunning {
		return httpx.Conflict(fmt.Sprintf("pilot %q is not running (it is %s)", pl.ID, pl.Status))
	}
	// Scoped to the actor: another improver's look under the same key is
	// a look of its own.
	updateID := actorScopedKey(httpx.ActorFrom(ctx).ID, key)
	if updateID == "" {
		updateID = uuid.NewString()
	}
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	st, err := s.eng.EvaluatePilot(ectx, pl.WorkflowID, updateID)
	if errors.Is(err, engine.ErrPilotNotRunning) {
		return httpx.Conflict(fmt.Sprintf("pilot %q is not running", pl.ID))
	}
	if err != nil {
		return engineProblem(err)
	}
	if pl, err = s.loadPilot(ctx, pl.ID); err != nil {
		return err
	}
	s.audit(r, store.AuditEntry{Action: "pilot.evaluate", Object: "pilot:" + pl.ID,
		Details: mustJSON(map[string]any{"update_id": updateID, "decision": st.LastDecision, "status": st.Status})})
	v := s.toPilotJSON(ctx, pl)
	v.Live = toPilotLiveJSON(st)
	httpx.WriteJSON(s.log, w, r, http.StatusOK, v)
	return nil
}

// promotePilot makes an arm's version the flow's default, stopping a
// running pilot first.
func (s *API) promotePilot(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.PilotIDParams](r)
	if err != nil {
		return err
	}
	var req apiv1.PromotePilotRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Arm = strings.TrimSpace(req.Arm)
	if req.Arm != workflows.ArmControl && req.Arm != workflows.ArmTreatment {
		msg := "is required: control or treatment"
		if req.Arm != "" {
			msg = fmt.Sprintf("must be control or treatment, got %q", req.Arm)
		}
		return httpx.Invalid(apiv1.FieldError{Field: "arm", Message: msg})
	}
	ctx := r.Context()
	pl, err := s.loadPilot(ctx, q.ID)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(ctx)
	if pl.Status == store.PilotRunning {
		reason := fmt.Sprintf("stopped by %s to promote its %s arm", actor.ID, req.Arm)
		var ended bool
		if pl, ended, err = s.endPilot(ctx, pl, reason, actor.ID); err != nil {
			return err
		}
		s.audit(r, store.AuditEntry{Action: "pilot.stop", Object: "pilot:" + pl.ID, Details: mustJSON(map[string]any{"reason": reason})})
		if !ended {
			return httpx.Conflict(fmt.Sprintf("pilot %q was asked to stop but still runs; retry the promotion in a moment", pl.ID))
		}
	}
	out, err := store.PromotePilot(ctx, s.store, pl.ID, req.Arm, s.now().UTC())
	if errors.Is(err, store.ErrConflict) {
		msg := strings.TrimSuffix(strings.TrimPrefix(err.Error(), "promote pilot: "), ": "+store.ErrConflict.Error())
		p := httpx.Conflict(fmt.Sprintf("pilot %q cannot be promoted: %s", pl.ID, msg))
		p.Cause = err
		return p
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("promote pilot: %w", err), fmt.Sprintf("pilot %q", pl.ID))
	}
	version := armVersion(out, req.Arm)
	s.audit(r, store.AuditEntry{Action: "pilot.promote", Object: "pilot:" + out.ID,
		Details: mustJSON(map[string]any{"flow": out.Flow, "arm": req.Arm, "version": version})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, s.toPilotJSON(ctx, out))
	return nil
}

// pilotResults evaluates the pilot now from its current data, without
// storing anything, next to its last stored look and a per-step comparison
// of the arms.
func (s *API) pilotResults(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.PilotIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	pl, err := s.loadPilot(ctx, q.ID)
	if err != nil {
		return err
	}
	ev, err := s.evaluateLive(ctx, pl)
	if err != nil {
		return err
	}
	steps, err := s.pilotSteps(ctx, pl)
	if err != nil {
		return err
	}
	out := apiv1.PilotResults{PilotID: pl.ID, Flow: pl.Flow, Status: pl.Status, ComputedAt: s.now().UTC(),
		Evaluation: ev, LastLook: s.toPilotJSON(ctx, pl).Results, Steps: steps}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// evaluateLive is experiment.Evaluate over the pilot's current cases and
// stored looks (not final), as the export would recompute it.
func (s *API) evaluateLive(ctx context.Context, pl store.Pilot) (experiment.Evaluation, error) {
	ev, _, err := pilotdata.Evaluate(ctx, s.store, pl, s.cfg.ReopenWindow, false)
	if err != nil {
		return experiment.Evaluation{}, httpx.StoreProblem(fmt.Errorf("evaluate pilot: %w", err), "pilot cases")
	}
	return ev, nil
}

// pilotSteps runs the bottleneck analysis on each arm's spans and pairs
// the steps: the control version's steps in definition order, then the
// treatment's other steps.
func (s *API) pilotSteps(ctx context.Context, pl store.Pilot) ([]apiv1.PilotStep, error) {
	spans := map[string][]analytics.Span{}
	defs := map[int]*flow.Definition{}
	p := store.ExportSpansParams{PilotID: pl.ID, Limit: exportPageSize}
	for {
		page, err := s.store.ExportSpans(ctx, p)
		if err != nil {
			return nil, httpx.StoreProblem(fmt.Errorf("export spans: %w", err), "spans")
		}
		for _, sp := range page {
			def, seen := defs[sp.Version]
			if !seen {
				def = s.definitionOf(ctx, sp.Flow, sp.Version)
				defs[sp.Version] = def
			}
			spans[sp.Arm] = append(spans[sp.Arm], sp.Span.Analytics(def))
		}
		if len(page) == 0 { // a store may return fewer rows than asked before the end
			break
		}
		last := page[len(page)-1]
		p.After = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
	}
	order := func(version int) []string {
		def, ok := defs[version]
		if !ok {
			def = s.definitionOf(ctx, pl.Flow, version)
		}
		if def == nil {
			return nil
		}
		ids := make([]string, len(def.Steps))
		for i, st := range def.Steps {
			ids[i] = st.ID
		}
		return ids
	}
	control := analytics.Bottlenecks(spans[workflows.ArmControl], order(pl.Control))
	treatment := analytics.Bottlenecks(spans[workflows.ArmTreatment], order(pl.Treatment))
	out := []apiv1.PilotStep{}
	index := map[string]int{}
	for _, st := range control.Steps {
		v := toStepStatsJSON(st)
		index[st.Step] = len(out)
		out = append(out, apiv1.PilotStep{Step: st.Step, Control: &v})
	}
	for _, st := range treatment.Steps {
		v := toStepStatsJSON(st)
		i, ok := index[st.Step]
		if !ok {
			out = append(out, apiv1.PilotStep{Step: st.Step, Treatment: &v})
			continue
		}
		out[i].Treatment = &v
		wait := v.Wait.P50 - out[i].Control.Wait.P50
		work := v.Work.P50 - out[i].Control.Work.P50
		out[i].WaitP50Change, out[i].WorkP50Change = &wait, &work
	}
	return out, nil
}
