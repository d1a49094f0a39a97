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
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// caseRoutes are the routes of cases: start, list, read, cancel, restart or close a failed one, events, reopen (apiRoutes joins every
// resource's table).
var caseRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases", ID: "createCase", Tag: "cases",
		Summary: "Start a case",
		Description: "Starts a case of the flow's default version (409 if that version is retired). Staff may not start improvement " +
			"(`pdca`) cases (403): those start from an adopted proposal. With an `Idempotency-Key` (scoped to the actor: another actor's " +
			"same key is another request) a repeat of the same request by the same actor " +
			"gets the first request's answer again, byte for byte (201, `Idempotent-Replayed: true`; the case may have moved on since: read it with GET); " +
			"the same key with another body is 422.",
		Params: apiv1.CreateCaseParams{},
		Body:   apiv1.CreateCaseRequest{}, BodyExample: exampleCreateCase,
		Status: http.StatusCreated, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.create"},
		Handle: (*API).createCase,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases", ID: "listCases", Tag: "cases",
		Summary:     "List cases, newest first",
		Description: "Cases ordered by created_at, then id, descending. `from`/`to` bound created_at. " + descCaseSearch + " " + descPaging,
		Params:      apiv1.ListCasesParams{},
		Status:      http.StatusOK, Response: apiv1.CaseList{}, Example: apiv1.CaseList{Cases: []apiv1.Case{exampleCase}, NextCursor: exampleCursor},
		Handle: (*API).listCases,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases/{id}", ID: "getCase", Tag: "cases",
		Summary:     "Get a case",
		Description: "The case with its open tasks, its spans so far and links (the Temporal UI page of its workflow when configured).",
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.CaseDetail{}, Example: exampleCaseDetail,
		Errors: []int{404},
		Handle: (*API).getCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/cancel", ID: "cancelCase", Tag: "cases",
		Summary:     "Cancel a case",
		Description: "Requests cancellation of the case's workflow, which closes its open task.",
		Roles:       authz.CaseSettlers,
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusAccepted, Response: apiv1.CancelResponse{}, Example: apiv1.CancelResponse{ID: exampleCase.ID, Status: "cancelling"},
		Errors: []int{404, 409},
		Audit:  []string{"case.cancel"},
		Handle: (*API).cancelCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/restart", ID: "restartCase", Tag: "cases",
		Summary: "Restart a failed case",
		Description: "Starts a new workflow run for a failed case, at the step it was at, with the attributes last stored and the case " +
			"SLA still counted from its creation (pending events and escalation levels of the old run are not carried). 409 when " +
			"the case is not failed.",
		Roles:  authz.CaseSettlers,
		Params: apiv1.CaseIDParams{},
		Status: http.StatusOK, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{404, 409},
		Audit:  []string{"case.restart"},
		Handle: (*API).restartCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/close", ID: "closeFailedCase", Tag: "cases",
		Summary:     "Close a failed case",
		Description: "Closes a failed case without restarting it: it becomes cancelled. 409 when the case is not failed.",
		Roles:       authz.CaseSettlers,
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{404, 409},
		Audit:  []string{"case.close"},
		Handle: (*API).closeFailedCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/events", ID: "sendCaseEvent", Tag: "cases",
		Summary: "Send an event to a case",
		Description: "Delivers an external event to the case's `wait` step. The case must be waiting for an event of that name now " +
			"(409 otherwise, saying what it waits for). An event's data is at most 16 KiB as JSON (422); a case accepts at most 100 " +
			"events and 256 KiB of them over its life (409 beyond). A case whose workflow ended unexpectedly is marked failed (409). Only " +
			"admins, owners and actors of a department that serves the case (one its flow version lists, or one any of its tasks " +
			"was in) may (403; decision 0023).",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.EventRequest{}, BodyExample: apiv1.EventRequest{Name: "customer_replied", Data: map[string]any{"channel": "email"}},
		Status: http.StatusAccepted, Response: apiv1.EventResponse{}, Example: apiv1.EventResponse{ID: exampleCase.ID, Event: "customer_replied"},
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.event"},
		Handle: (*API).sendEvent,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/reopen", ID: "reopenCase", Tag: "cases",
		Summary: "Reopen a closed case",
		Description: "The customer came back: starts a new case of the same flow, customer, channel and attributes with `reopened_from` naming " +
			"this one, and marks this one `reopened_at` (the first reopening counts; a case reopened within 7 days of its close was not resolved " +
			"at first contact). The new case keeps this case's version, variant and pilot, so it stays in its pilot arm. Only a completed or " +
			"cancelled case can be reopened (409). Only admins, owners and actors of a department that serves the case (one its flow version " +
			"lists, or one any of its tasks was in) may (403; decision 0023). Audited as `case.reopen`.",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.ReopenRequest{}, BodyExample: apiv1.ReopenRequest{Reason: "the router drops the line again"},
		Status: http.StatusCreated, Response: apiv1.Case{}, Example: exampleReopenedCase,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.reopen"},
		Handle: (*API).reopenCase,
	},
}

// ReplayedHeader is set to "true" on a response that replays an earlier
// request with the same idempotency key.
const ReplayedHeader = "Idempotent-Replayed"

// WorkflowID is the id of a case's workflow, "<flow key>-<case id>", so
// Temporal's UI and CLI list readable cases (ADR 0004).
func WorkflowID(flowKey, caseID string) string {
	return flowKey + "-" + caseID
}

// idempotencyKey reads and checks the Idempotency-Key header ("" when
// absent).
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get(apiv1.IdempotencyKeyHeader)
	if k == "" {
		return "", nil
	}
	if len(k) > 200 {
		return "", httpx.BadRequest("header \"Idempotency-Key\": longer than 200 characters",
			apiv1.FieldError{Field: apiv1.IdempotencyKeyHeader, Message: "longer than 200 characters"})
	}
	for _, c := range k {
		if c > unicode.MaxASCII || !unicode.IsPrint(c) {
			return "", httpx.BadRequest("header \"Idempotency-Key\": only printable ASCII characters are allowed",
				apiv1.FieldError{Field: apiv1.IdempotencyKeyHeader, Message: "only printable ASCII characters are allowed"})
		}
	}
	return k, nil
}

// actorScopedKey is the form a client's Idempotency-Key is stored and
// used in: scoped to the actor that sent it ("actor:<actor id>:<key>"), so
// one actor's key never answers, blocks or replays another actor's
// request. Actor ids are uuids or "admin" (no colon), so two actors' keys
// cannot meet; the server's own keys start with reservedKeyPrefix, which
// clients may not use. "" stays "" (no key).
func actorScopedKey(actorID, key string) string {
	if key == "" {
		return ""
	}
	return "actor:" + actorID + ":" + key
}

// createCase stores a case as starting, starts its workflow and marks it
// active. With an Idempotency-Key a repeat of the same request by the same
// actor replays the first answer (201, Idempotent-Replayed: true, the same
// body byte for byte) and resumes the
// start if an earlier attempt failed; the same key with another body is 422.
func (s *API) createCase(w http.ResponseWriter, r *http.Request) error {
	actor := httpx.ActorFrom(r.Context())
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	if strings.HasPrefix(key, reservedKeyPrefix) {
		// The server's own case keys (adopted proposals) start with it.
		return httpx.BadRequest("header \"Idempotency-Key\": keys starting with "+reservedKeyPrefix+" are reserved for the server",
			apiv1.FieldError{Field: apiv1.IdempotencyKeyHeader, Message: "keys starting with " + reservedKeyPrefix + " are reserved for the server"})
	}
	var req apiv1.CreateCaseRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	req.Flow = strings.TrimSpace(req.Flow)
	if req.Flow == "" {
		errs = append(errs, apiv1.FieldError{Field: "flow", Message: "is required"})
	}
	req.Customer = strings.TrimSpace(req.Customer)
	if req.Customer == "" {
		errs = append(errs, apiv1.FieldError{Field: "customer", Message: "is required"})
	} else if len(req.Customer) > 200 {
		errs = append(errs, apiv1.FieldError{Field: "customer", Message: "must be at most 200 characters"})
	}
	req.Channel = strings.TrimSpace(req.Channel)
	if req.Channel != "" && !slices.Contains(s.cfg.Channels, req.Channel) {
		shown := req.Channel
		if len(shown) > 50 {
			shown = shown[:50] + "…"
		}
		errs = append(errs, apiv1.FieldError{Field: "channel", Message: fmt.Sprintf("unknown channel %q: want one of %s (the server's FLOWLAB_CHANNELS)",
			shown, strings.Join(s.cfg.Channels, ", "))})
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	if req.Flow == apiv1.PDCAFlow && actor.Role == store.RoleStaff {
		// Improvement cycles start from an adopted proposal (ADR 0010).
		return httpx.Forbidden("staff may not start improvement (" + apiv1.PDCAFlow + ") cases; propose the improvement instead (POST /api/v1/proposals), and an improver adopts it")
	}
	if req.Attributes == nil {
		req.Attributes = map[string]any{}
	}
	attrs, err := json.Marshal(req.Attributes) // map keys sorted: canonical
	if err != nil {
		return httpx.BadRequest("body.attributes: " + err.Error())
	}
	c, created, err := s.openCase(r, newCase{
		Flow: req.Flow, Customer: req.Customer, Channel: req.Channel, Attributes: attrs,
		IdempotencyKey: actorScopedKey(actor.ID, key), RequestHash: requestHash(actor.ID, req.Flow, req.Customer, req.Channel, attrs),
	})
	if err != nil {
		return err
	}
	if key == "" {
		httpx.WriteJSON(s.log, w, r, http.StatusCreated, toCaseJSON(c))
		return nil
	}
	// Every request under one key gets the same answer: the body of the
	// first that finished is kept with the case and replayed byte for byte
	// (the case may have moved on since; GET /cases/{id} tells its state).
	body, err := json.Marshal(toCaseJSON(c))
	if err != nil {
		return httpx.Internal(err)
	}
	kept, err := s.store.KeepCreateResponse(r.Context(), c.ID, body)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("keep create response of case %s: %w", c.ID, err), "case")
	}
	if !created {
		w.Header().Set(ReplayedHeader, "true")
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_, _ = w.Write(append(kept, '\n'))
	return nil
}

// newCase is what openCase needs to start a case.
type newCase struct {
	Flow, Customer, Channel string
	// Attributes is the canonical JSON object of the case's attributes.
	Attributes json.RawMessage
	// IdempotencyKey ("" for none) makes a repeat return the stored case;
	// RequestHash identifies the request the key was first used with.
	IdempotencyKey, RequestHash string
}

// openCase is the one path that starts a case, for POST /api/v1/cases and
// the adoption of a proposal: the flow's default version (or a running
// pilot's arm), the row written as starting and audited (case.create),
// then the workflow started and the row marked active. With an
// idempotency key already used it returns the stored case and
// created=false (resuming its start if an earlier attempt did not
// confirm it); the same key with another RequestHash is a 422.
func (s *API) openCase(r *http.Request, nc newCase) (store.Case, bool, error) {
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	fv, err := s.store.DefaultFlowVersion(ctx, nc.Flow)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return store.Case{}, false, s.unknownFlow(ctx, nc.Flow, "flow")
		}
		return store.Case{}, false, httpx.StoreProblem(fmt.Errorf("default flow version: %w", err), "flow")
	}
	id := uuid.NewString()
	fv, variant, pilotID, err := s.assignVersion(ctx, fv, nc.Customer, id)
	if err != nil {
		return store.Case{}, false, err
	}
	if fv.Retired {
		// The API never retires a default, but the store allows it.
		return store.Case{}, false, httpx.Conflict(fmt.Sprintf("the default version %d of flow %q is retired; make another version the default", fv.Version, fv.Key))
	}
	c, created, err := s.store.CreateCase(ctx, store.CreateCaseParams{
		ID: id, Flow: fv.Key, Version: fv.Version, Variant: variant, PilotID: pilotID,
		Customer: nc.Customer, Channel: nc.Channel, Attributes: nc.Attributes,
		Status: store.CaseStarting, WorkflowID: WorkflowID(fv.Key, id),
		IdempotencyKey: nc.IdempotencyKey, RequestHash: nc.RequestHash, CreatedBy: actor.ID, At: s.now().UTC(),
	})
	if err != nil {
		return store.Case{}, false, httpx.StoreProblem(fmt.Errorf("create case: %w", err), "case")
	}
	if !created {
		if c.RequestHash != nc.RequestHash {
			p := httpx.Invalid(apiv1.FieldError{Field: apiv1.IdempotencyKeyHeader, Message: "was already used with a different request"})
			p.Detail = "Idempotency-Key was already used with a different request body"
			return store.Case{}, false, p
		}
		if c.Status != store.CaseStarting {
			return c, false, nil
		}
		// An earlier attempt stored the case but did not confirm the start:
		// start it now with the version it was stored with.
		if c.Version != fv.Version {
			fv, err = s.store.GetFlowVersion(ctx, c.Flow, c.Version)
			if err != nil {
				return store.Case{}, false, httpx.StoreProblem(fmt.Errorf("flow version of case %s: %w", c.ID, err), "flow version")
			}
		}
	} else {
		details := map[string]any{"flow": c.Flow, "version": c.Version}
		if c.PilotID != "" {
			details["pilot_id"], details["arm"] = c.PilotID, c.Variant
		}
		s.audit(r, store.AuditEntry{Action: "case.create", Object: "case:" + c.ID, CaseID: c.ID, Details: mustJSON(details)})
	}
	c, err = s.startCase(ctx, c, fv)
	if err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) {
			return c, created, p
		}
		return c, created, httpx.Unavailable("the case was stored but its workflow could not be started; retry with the same Idempotency-Key", err)
	}
	return c, created, nil
}

// assignVersion decides the version of a new case of def's flow: while a
// pilot of the flow runs, the arm AssignArm gives the case's unit (its
// customer or the case id) and that arm's version; otherwise the default
// with no variant. An arm whose version was retired meanwhile assigns
// nothing (the case gets the default and joins no arm; logged).
func (s *API) assignVersion(ctx context.Context, def store.FlowVersion, customer, caseID string) (fv store.FlowVersion, variant, pilotID string, err error) {
	pl, err := s.store.RunningPilot(ctx, def.Key)
	if errors.Is(err, store.ErrNotFound) {
		return def, "", "", nil
	}
	if err != nil {
		return def, "", "", httpx.StoreProblem(fmt.Errorf("running pilot: %w", err), fmt.Sprintf("flow %q", def.Key))
	}
	arm := AssignArm(pl.ID, PilotUnit(pl, customer, caseID), pl.Share)
	fv = def
	if v := armVersion(pl, arm); v != def.Version {
		if fv, err = s.store.GetFlowVersion(ctx, def.Key, v); err != nil {
			return def, "", "", httpx.StoreProblem(fmt.Errorf("version of pilot arm %s: %w", arm, err), fmt.Sprintf("flow %q version %d", def.Key, v))
		}
	}
	if fv.Retired {
		s.log.LogAttrs(ctx, slog.LevelWarn, "pilot arm's version is retired; the case gets the default version",
			slog.String("pilot_id", pl.ID), slog.String("arm", arm), slog.Int("version", fv.Version))
		return def, "", "", nil
	}
	return fv, arm, pl.ID, nil
}

// DefaultChannels are the contact channels of the plans (docs/domain.md): the
// channels a case may be started with unless the server is configured
// with others (Config.Channels, FLOWLAB_CHANNELS).
var DefaultChannels = []string{"phone", "chat", "wechat", "app", "email", "social"}

// requestHash is the canonical hash of a create-case request.
func requestHash(actor, flowKey, customer, channel string, attrs []byte) string {
	h := sha256.New()
	for _, part := range []string{actor, flowKey, customer, channel} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	h.Write(attrs)
	return hex.EncodeToString(h.Sum(nil))
}

// caseInput builds the workflow input of a stored case.
func caseInput(c store.Case, fv store.FlowVersion) (workflows.CaseInput, error) {
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return workflows.CaseInput{}, fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err)
	}
	attrs := map[string]any{}
	if len(c.Attributes) > 0 {
		if err := json.Unmarshal(c.Attributes, &attrs); err != nil {
			return workflows.CaseInput{}, fmt.Errorf("attributes of case %s: %w", c.ID, err)
		}
	}
	return workflows.CaseInput{
		CaseID: c.ID, Definition: def, Variant: c.Variant,
		Customer: c.Customer, Channel: c.Channel, Attributes: attrs,
	}, nil
}

// startCase starts the workflow of a case in status starting and marks the
// row active. It returns the case as stored afterwards.
func (s *API) startCase(ctx context.Context, c store.Case, fv store.FlowVersion) (store.Case, error) {
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	return startCase(ectx, s.store, s.eng, c, fv, s.now)
}

func startCase(ctx context.Context, st store.Store, eng engine.Engine, c store.Case, fv store.FlowVersion, now func() time.Time) (store.Case, error) {
	in, err := caseInput(c, fv)
	if err != nil {
		return c, httpx.Internal(err)
	}
	if c.Restarts > 0 {
		// A restart after a failure resumes where the case was (decision 0022).
		if in.Resume, err = restartPoint(ctx, st, c, &in.Definition); err != nil {
			return c, httpx.StoreProblem(err, "case")
		}
	}
	if err := eng.StartCase(ctx, c.WorkflowID, in); err != nil {
		return c, fmt.Errorf("start case %s: %w", c.ID, err)
	}
	// The workflow may already have moved the case on (its activities write
	// the row); only a row still starting becomes active.
	cur, err := st.GetCase(ctx, c.ID)
	if err != nil {
		return c, httpx.StoreProblem(fmt.Errorf("reread case %s: %w", c.ID, err), "case")
	}
	if cur.Status != store.CaseStarting {
		return cur, nil
	}
	active := store.CaseActive
	if err := st.UpdateCase(ctx, store.UpdateCaseParams{ID: c.ID, Status: &active, At: now().UTC()}); err != nil {
		return c, httpx.StoreProblem(fmt.Errorf("mark case %s active: %w", c.ID, err), "case")
	}
	cur, err = st.GetCase(ctx, c.ID)
	if err != nil {
		return c, httpx.StoreProblem(fmt.Errorf("reread case %s: %w", c.ID, err), "case")
	}
	return cur, nil
}

// StartPending starts the workflows of cases left in status starting (a
// crash or an engine outage between storing a case and starting it) and
// marks them active, then (re)starts the workflow of every running pilot
// (StartRunningPilots). cmd calls it at boot. It handles up to 500 cases per
// call and returns the joined errors of the cases and pilots it could not
// start.
func StartPending(ctx context.Context, st store.Store, eng engine.Engine) error {
	var errs []error
	if err := StartRunningPilots(ctx, st, eng); err != nil {
		errs = append(errs, err)
	}
	if _, err := StartStalledCases(ctx, st, eng, time.Time{}); err != nil {
		errs = append(errs, err)
	}
	if _, err := SweepStaleLogImports(ctx, st, time.Now()); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: start pending: %w", errors.Join(errs...))
	}
	return nil
}

// StartStalledCases starts the workflows of the cases still "starting"
// that were created before before: the row was written, but the request
// that wrote it did not start the workflow (its client went away, the
// engine or the process failed), and no retry came. The reconciler calls
// it every interval with a cut-off an interval back, so that a request
// still under way is left to finish; StartPending at start-up passes the
// zero time: every case still starting. It returns how many it started.
func StartStalledCases(ctx context.Context, st store.Store, eng engine.Engine, before time.Time) (int, error) {
	p := store.ListCasesParams{Status: store.CaseStarting, Limit: 500}
	if !before.IsZero() {
		p.To = &before
	}
	cases, err := st.ListCases(ctx, p)
	if err != nil {
		return 0, fmt.Errorf("server: start stalled cases: list: %w", err)
	}
	var errs []error
	started := 0
	versions := map[string]store.FlowVersion{} // read once per flow version
	for _, c := range cases {
		vk := fmt.Sprintf("%s\x00%d", c.Flow, c.Version)
		fv, ok := versions[vk]
		if !ok {
			if fv, err = st.GetFlowVersion(ctx, c.Flow, c.Version); err != nil {
				errs = append(errs, fmt.Errorf("case %s: flow %s v%d: %w", c.ID, c.Flow, c.Version, err))
				continue
			}
			versions[vk] = fv
		}
		if _, err := startCase(ctx, st, eng, c, fv, time.Now); err != nil {
			errs = append(errs, fmt.Errorf("case %s: %w", c.ID, err))
			continue
		}
		started++
	}
	if len(errs) > 0 {
		return started, fmt.Errorf("server: start stalled cases: %w", errors.Join(errs...))
	}
	return started, nil
}

// storeCaseLimitMax is the most cases one store.ListCases call returns.
const storeCaseLimitMax = 500

// listCases lists cases newest first, optionally by flow, status,
// creation time, customer, id prefix and attributes, a page at a time.
func (s *API) listCases(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListCasesParams](r)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	after, err := caseCursorParam(q.Cursor)
	if err != nil {
		return err
	}
	search, err := parseCaseSearch(q.Customer, q.ID, q.Attr)
	if err != nil {
		return err
	}
	p := store.ListCasesParams{Flow: q.Flow, Status: q.Status, From: from, To: to, After: after}
	search.apply(&p)
	cs, more, err := s.searchCases(r.Context(), p, q.Limit, caseSearchTimeout)
	if err != nil {
		return err
	}
	out := apiv1.CaseList{Cases: make([]apiv1.Case, len(cs))}
	for i, c := range cs {
		out.Cases[i] = toCaseJSON(c)
	}
	if more {
		last := cs[len(cs)-1]
		if out.NextCursor, err = httpx.EncodeCursor(caseCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// getCase returns a case with its open tasks, its spans so far and links.
// Any authenticated actor may read a case.
func (s *API) getCase(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	ctx := r.Context()
	c, err := s.store.GetCase(ctx, id)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), fmt.Sprintf("case %q", id))
	}
	tasks, err := s.store.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID, Status: store.TaskOpen})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list tasks of case: %w", err), "tasks")
	}
	spans, err := s.store.ListSpans(ctx, store.SpanFilter{CaseID: c.ID})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list spans of case: %w", err), "spans")
	}
	out := apiv1.CaseDetail{Case: toCaseJSON(c), Tasks: toTasksJSON(tasks), Spans: make([]apiv1.Span, len(spans))}
	// A migrated case has spans of two versions; each counts business
	// time in its own version's calendars.
	defs := map[int]*flow.Definition{}
	for i, sp := range spans {
		def, seen := defs[sp.Version]
		if !seen {
			def = s.definitionOf(ctx, sp.Flow, sp.Version)
			defs[sp.Version] = def
		}
		out.Spans[i] = toSpanJSON(sp, def)
	}
	if s.cfg.TemporalUIURL != "" {
		out.Links.TemporalUI = s.cfg.TemporalUIURL + "/namespaces/" + url.PathEscape(s.cfg.TemporalNamespace) +
			"/workflows/" + url.PathEscape(c.WorkflowID)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func caseClosed(status string) bool {
	return status == store.CaseCompleted || status == store.CaseCancelled || status == store.CaseFailed
}

// cancelCase requests cancellation of a running case (202). A case still
// starting whose workflow never started is cancelled in the store directly.
func (s *API) cancelCase(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	ctx := r.Context()
	c, err := s.store.GetCase(ctx, id)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), fmt.Sprintf("case %q", id))
	}
	if caseClosed(c.Status) {
		return httpx.Conflict(fmt.Sprintf("case %q is already %s", id, c.Status))
	}
	status := "cancelling"
	// Temporal accepts a cancel request for a workflow that has ended; a
	// case whose workflow ended unexpectedly is failed instead.
	if c.Status == store.CaseActive {
		if failed, ok := s.noticeEnded(ctx, c); ok {
			return httpx.Conflict(fmt.Sprintf("case %q has failed (%s); restart or close it", id, failed.Failure))
		}
	}
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	if err := s.eng.Cancel(ectx, c.WorkflowID); err != nil {
		switch {
		case errors.Is(err, engine.ErrCaseNotRunning) && c.Status == store.CaseStarting:
			now := s.now().UTC()
			cancelled := store.CaseCancelled
			empty := ""
			if err := s.store.UpdateCase(ctx, store.UpdateCaseParams{ID: c.ID, Status: &cancelled, Step: &empty, ClosedAt: &now, At: now}); err != nil {
				return httpx.StoreProblem(fmt.Errorf("cancel starting case: %w", err), "case")
			}
			status = store.CaseCancelled
		case errors.Is(err, engine.ErrCaseNotRunning):
			if failed, ok := s.noticeEnded(ctx, c); ok {
				return httpx.Conflict(fmt.Sprintf("case %q has failed (%s); restart or close it", id, failed.Failure))
			}
			return httpx.Conflict(fmt.Sprintf("case %q is no longer running", id))
		default:
			return engineProblem(err)
		}
	}
	s.audit(r, store.AuditEntry{Action: "case.cancel", Object: "case:" + c.ID, CaseID: c.ID})
	httpx.WriteJSON(s.log, w, r, http.StatusAccepted, apiv1.CancelResponse{ID: c.ID, Status: status})
	return nil
}

// Event limits (decision 0022). An event lands in the case workflow's
// history, which Temporal terminates beyond 50 MiB (or 51,200 events): a
// case accepts only events its wait step is waiting for, each small, and a
// bounded number and volume of them over its life.
const (
	// MaxEventNameLength is the longest event name, in bytes.
	MaxEventNameLength = 100
	// MaxEventDataBytes is the most an event's data may take, as JSON.
	MaxEventDataBytes = 16 << 10
	// MaxCaseEvents is the most events one case accepts over its life.
	MaxCaseEvents = 100
	// MaxCaseEventBytes is the most bytes (name plus data as JSON) of the
	// events one case accepts over its life.
	MaxCaseEventBytes = 256 << 10
)

// sendEvent delivers an external event to a case's wait step (202). The
// case must be waiting for an event of that name now (409 otherwise,
// saying what it waits for), the event must be within MaxEventDataBytes,
// and the case within its event budget (MaxCaseEvents, MaxCaseEventBytes).
func (s *API) sendEvent(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	var req apiv1.EventRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		return httpx.Invalid(apiv1.FieldError{Field: "name", Message: "is required"})
	}
	if len(req.Name) > MaxEventNameLength {
		return httpx.Invalid(apiv1.FieldError{Field: "name", Message: fmt.Sprintf("must be at most %d characters", MaxEventNameLength)})
	}
	var size int64
	if req.Data != nil {
		b, err := json.Marshal(req.Data)
		if err != nil {
			return httpx.BadRequest("body.data: " + err.Error())
		}
		if len(b) > MaxEventDataBytes {
			return httpx.Invalid(apiv1.FieldError{Field: "data", Message: fmt.Sprintf("is %d bytes as JSON; an event's data may be at most %d bytes (16 KiB)", len(b), MaxEventDataBytes)})
		}
		size = int64(len(b))
	}
	size += int64(len(req.Name))
	ctx := r.Context()
	c, err := s.store.GetCase(ctx, id)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get case: %w", err), fmt.Sprintf("case %q", id))
	}
	if err := s.servesCase(ctx, httpx.ActorFrom(ctx), c, "send events to"); err != nil {
		return err
	}
	if caseClosed(c.Status) {
		return httpx.Conflict(fmt.Sprintf("case %q is already %s", id, c.Status))
	}
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	notRunning := func(err error) error {
		if failed, ok := s.noticeEnded(ctx, c); ok {
			return httpx.Conflict(fmt.Sprintf("case %q has failed (%s); restart or close it", id, failed.Failure))
		}
		p := httpx.Conflict(fmt.Sprintf("case %q is not running", id))
		p.Cause = err
		return p
	}
	// Only an event the case can use now: history grows by nothing else.
	st, err := s.eng.State(ectx, c.WorkflowID)
	if err != nil {
		if errors.Is(err, engine.ErrCaseNotRunning) {
			return notRunning(err)
		}
		return engineProblem(err)
	}
	if st.WaitingFor != req.Name {
		return httpx.Conflict(fmt.Sprintf("case %q is not waiting for event %q: %s", id, req.Name, waitingFor(st)))
	}
	if _, err := s.store.CountCaseEvent(ctx, store.CaseEventParams{ID: c.ID, Bytes: size,
		MaxCount: MaxCaseEvents, MaxBytes: MaxCaseEventBytes}); err != nil {
		if errors.Is(err, store.ErrLimit) {
			p := httpx.Conflict(fmt.Sprintf("case %q accepts no more events: a case accepts at most %d events of %d KiB in all", id, MaxCaseEvents, MaxCaseEventBytes>>10))
			p.Cause = err
			return p
		}
		return httpx.StoreProblem(fmt.Errorf("count event: %w", err), fmt.Sprintf("case %q", id))
	}
	if err := s.eng.Signal(ectx, c.WorkflowID, workflows.EventRequest{Name: req.Name, Data: req.Data}); err != nil {
		if errors.Is(err, engine.ErrCaseNotRunning) {
			return notRunning(err)
		}
		return engineProblem(err)
	}
	s.audit(r, store.AuditEntry{Action: "case.event", Object: "case:" + c.ID, CaseID: c.ID,
		Details: mustJSON(map[string]any{"name": req.Name, "bytes": size})})
	httpx.WriteJSON(s.log, w, r, http.StatusAccepted, apiv1.EventResponse{ID: c.ID, Event: req.Name})
	return nil
}

// waitingFor says, for a refused event, what the case waits for now.
func waitingFor(st workflows.CaseState) string {
	switch {
	case st.WaitingFor != "":
		return fmt.Sprintf("it waits for %q at step %q", st.WaitingFor, st.Step)
	case len(st.Open) > 0:
		name := st.Open[0].StepName
		if name == "" {
			name = st.Open[0].Step
		}
		return fmt.Sprintf("it waits for task %q at step %q", name, st.Step)
	case st.Step != "":
		return fmt.Sprintf("it is at step %q, which waits for no event", st.Step)
	default:
		return "it waits for no event now"
	}
}

// engineProblem maps engine errors that no handler treats specially.
func engineProblem(err error) *httpx.Problem {
	switch {
	case errors.Is(err, engine.ErrEngineUnavailable), errors.Is(err, context.DeadlineExceeded):
		return httpx.Unavailable("the workflow engine is unavailable; retry later", err)
	case errors.Is(err, engine.ErrCaseNotRunning):
		p := httpx.Conflict("the case workflow is no longer running")
		p.Cause = err
		return p
	default:
		return httpx.Internal(err)
	}
}

// definitionOf returns the compiled definition of a flow version, or nil
// when it cannot be read (the span is then measured in elapsed time only;
// the failure is logged, the case view still answers).
func (s *API) definitionOf(ctx context.Context, key string, version int) *flow.Definition {
	fv, err := s.store.GetFlowVersion(ctx, key, version)
	if err != nil {
		s.log.WarnContext(ctx, "flow version of a span", "flow", key, "version", version, "error", err)
		return nil
	}
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		s.log.WarnContext(ctx, "compiled definition of a span's version", "flow", key, "version", version, "error", err)
		return nil
	}
	return &def
}
