package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/simcal"
	"github.com/flowlab/flowlab/store"
)

// simulationRoutes are the what-if simulations (issue 22, decision 0045).
var simulationRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/simulations", ID: "createSimulation", Tag: "simulations",
		Summary: "Simulate a change before piloting it",
		Description: "Owners, improvers and admins. Calibrates a model of the flow from its history in [`from`, `to`) " +
			"(arrivals by hour of week, outcome shares, work times, staffing from who worked when) and simulates the current flow " +
			"(the `current` version, default the default version, at the observed staffing) against the proposal (another version, " +
			"a YAML draft, staffing changes, a volume factor) with the same seeds. With `holdout_days` it is a backtest instead: " +
			"calibrated on the window without its last days, it predicts them and compares with what happened (`result.backtest`). Answers 202 with the simulation running; " +
			"GET it for progress and, once `succeeded`, its result (a Temporal workflow runs it; one at a time per worker). " +
			"Bounds: a window of at most 366 days, 7–366 days simulated, 2–200 replications, replications × (days + 7) at most " +
			fmt.Sprint(maxSimulationRunDays) + ", 20 staffing changes; at most " + fmt.Sprint(MaxQueuedSimulations) +
			" simulations running or waiting to run (409 beyond). Audited as `simulation.create`.",
		Roles: authz.FlowViewers,
		Body:  apiv1.CreateSimulationRequest{}, BodyExample: exampleSimulationRequest,
		Status: http.StatusAccepted, Response: apiv1.Simulation{}, Example: exampleSimulationRunning,
		Errors: []int{409, 413, 415, 422},
		Audit:  []string{"simulation.create"},
		Handle: (*API).createSimulation,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/simulations", ID: "listSimulations", Tag: "simulations",
		Summary:     "List simulations",
		Description: "Newest first (created_at, id), without their results. " + descPaging,
		Roles:       authz.FlowViewers,
		Params:      apiv1.ListSimulationsParams{},
		Status:      http.StatusOK, Response: apiv1.SimulationList{}, Example: apiv1.SimulationList{Simulations: []apiv1.Simulation{exampleSimulationRunning}},
		Handle: (*API).listSimulations,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/simulations/{id}", ID: "getSimulation", Tag: "simulations",
		Summary:     "Get a simulation: its progress, then its result",
		Description: "While `running`, `progress` (0–1) and `stage` say how far it is; `succeeded` has the `result`, `failed` the `error` in words.",
		Roles:       authz.FlowViewers,
		Params:      apiv1.SimulationIDParams{},
		Status:      http.StatusOK, Response: apiv1.Simulation{}, Example: exampleSimulationDone,
		Errors: []int{404},
		Handle: (*API).getSimulation,
	},
}

// Bounds of a simulation request.
const (
	defaultSimulationWindow = 56 * 24 * time.Hour
	defaultSimulationDays   = 28
	defaultReplications     = 20
	maxStaffChanges         = 20
	maxSimulationRunDays    = simcal.MaxRunDays
	// maxHoldoutDays bounds a backtest's held-out days (half the longest
	// window).
	maxHoldoutDays = 183
)

// MaxQueuedSimulations is how many simulations may be running or waiting
// at once; one more is a 409.
const MaxQueuedSimulations = 20

func (s *API) createSimulation(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.CreateSimulationRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.normaliseSimulation(r, &req); err != nil {
		return err
	}
	// Simulations run one at a time per worker: a long queue would keep
	// everyone's waiting for hours.
	queued, err := s.store.ListSimulations(ctx, store.ListSimulationsParams{Status: store.SimulationRunning, Limit: MaxQueuedSimulations})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("count running simulations: %w", err), "simulations")
	}
	if len(queued) >= MaxQueuedSimulations {
		return httpx.Conflict(fmt.Sprintf("%d simulations are running or waiting to run, the most flowlab queues; try again when one has finished (GET /api/v1/simulations)", len(queued)))
	}
	body, err := json.Marshal(req)
	if err != nil {
		return httpx.Internal(err)
	}
	x, _, err := s.store.CreateSimulation(ctx, store.Simulation{ID: uuid.NewString(), Flow: req.Flow, Stage: "waiting to start",
		Request: body, CreatedBy: httpx.ActorFrom(ctx).ID, CreatedAt: s.now().UTC()})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create simulation: %w", err), "simulations")
	}
	s.audit(r, store.AuditEntry{Action: "simulation.create", Object: "simulation:" + x.ID, Details: body})
	if err := s.eng.StartSimulation(ctx, x.ID); err != nil {
		return s.failSimulationStart(ctx, x, err)
	}
	out, err := toSimulationJSON(x, true)
	if err != nil {
		return httpx.Internal(err)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusAccepted, out)
	return nil
}

// failSimulationStart records that the engine did not take the
// simulation, and answers 503.
func (s *API) failSimulationStart(ctx context.Context, x store.Simulation, err error) error {
	if _, ferr := s.store.FinishSimulation(context.WithoutCancel(ctx), store.FinishSimulationParams{ID: x.ID, Status: store.SimulationFailed,
		Error: "the workflow engine did not start it; try again", At: s.now().UTC()}); ferr != nil {
		s.log.ErrorContext(ctx, "simulation: record the failed start", "simulation", x.ID, "err", ferr)
	}
	return httpx.Unavailable("the workflow engine did not start the simulation; try again", fmt.Errorf("start simulation %s: %w", x.ID, err))
}

// normaliseSimulation checks a request against the flow and fills in its
// defaults, answering 422 with the field for what it refuses.
func (s *API) normaliseSimulation(r *http.Request, req *apiv1.CreateSimulationRequest) error {
	ctx := r.Context()
	req.Flow = strings.TrimSpace(req.Flow)
	if req.Flow == "" {
		return httpx.Invalid(apiv1.FieldError{Field: "flow", Message: "is required: a flow key"})
	}
	fv, err := s.loadFlowVersion(ctx, req.Flow, 0)
	if err != nil {
		var p *httpx.Problem
		if errors.As(err, &p) && p.Status == http.StatusNotFound {
			return httpx.Invalid(apiv1.FieldError{Field: "flow", Message: p.Detail})
		}
		return err
	}
	for _, v := range []struct {
		field string
		n     *int
	}{{"version", req.Version}, {"current", req.Current}} {
		if v.n == nil {
			continue
		}
		if _, err := s.loadFlowVersion(ctx, req.Flow, *v.n); err != nil {
			return httpx.Invalid(apiv1.FieldError{Field: v.field, Message: fmt.Sprintf("flow %s has no version %d", req.Flow, *v.n)})
		}
	}
	proposal := s.definitionOf(ctx, fv.Key, fv.Version)
	if req.Version != nil {
		proposal = s.definitionOf(ctx, fv.Key, *req.Version)
	}
	if req.Definition != nil {
		if req.Version != nil {
			return httpx.Invalid(apiv1.FieldError{Field: "definition", Message: "give either a version or a draft definition, not both"})
		}
		def, diags := s.loadFlow(r, []byte(*req.Definition), 0)
		if def == nil || diags.HasErrors() {
			errs := diagnosticErrors(diags)
			for i := range errs {
				errs[i].Field = "definition " + errs[i].Field
			}
			return httpx.Invalid(errs...)
		}
		if def.Key != req.Flow {
			return httpx.Invalid(apiv1.FieldError{Field: "definition", Message: fmt.Sprintf("the draft is of flow %q, not %q", def.Key, req.Flow)})
		}
		proposal = def
	}
	if proposal == nil {
		return httpx.Internal(fmt.Errorf("flow %s: the definition cannot be read", req.Flow))
	}
	if len(req.Staff) > maxStaffChanges {
		return httpx.Invalid(apiv1.FieldError{Field: "staff", Message: fmt.Sprintf("%d changes; at most %d", len(req.Staff), maxStaffChanges)})
	}
	for i, ch := range req.Staff {
		c, err := simcal.StaffChangeOf(ch)
		if err == nil {
			err = c.Check(proposal.Departments)
		}
		if err != nil {
			return httpx.Invalid(apiv1.FieldError{Field: fmt.Sprintf("staff[%d]", i), Message: err.Error()})
		}
	}
	if v := req.Volume; v != nil && (!(*v > 0) || *v > 100 || math.IsInf(*v, 0)) {
		return httpx.Invalid(apiv1.FieldError{Field: "volume", Message: fmt.Sprintf("%g: give a factor of the observed arrivals above 0 and at most 100 (1: as observed)", *v)})
	}
	to := s.now().UTC()
	if req.To != nil {
		to = req.To.UTC()
	}
	from := to.Add(-defaultSimulationWindow)
	if req.From != nil {
		from = req.From.UTC()
	}
	if !to.After(from) || to.Sub(from) > simcal.MaxWindow {
		return httpx.Invalid(apiv1.FieldError{Field: "from", Message: fmt.Sprintf("the calibration window %s to %s must be longer than nothing and at most %d days",
			from.Format(time.RFC3339), to.Format(time.RFC3339), int(simcal.MaxWindow.Hours()/24))})
	}
	req.From, req.To = &from, &to
	if req.Days == nil {
		d := defaultSimulationDays
		req.Days = &d
	}
	if *req.Days < simcal.MinDays || *req.Days > simcal.MaxDays {
		return httpx.Invalid(apiv1.FieldError{Field: "days", Message: fmt.Sprintf("%d: simulate %d to %d days", *req.Days, simcal.MinDays, simcal.MaxDays)})
	}
	if req.Replications == nil {
		n := defaultReplications
		req.Replications = &n
	}
	if *req.Replications < 2 || *req.Replications > simcal.MaxReplications {
		return httpx.Invalid(apiv1.FieldError{Field: "replications", Message: fmt.Sprintf("%d: run 2 to %d replications", *req.Replications, simcal.MaxReplications)})
	}
	if n := *req.Replications * (*req.Days + simcal.WarmUpDays); n > maxSimulationRunDays {
		return httpx.Invalid(apiv1.FieldError{Field: "replications", Message: fmt.Sprintf("%d replications of %d days (and %d of warm-up) are %d simulated days; at most %d: fewer replications or fewer days",
			*req.Replications, *req.Days, simcal.WarmUpDays, n, maxSimulationRunDays)})
	}
	if req.Seed == nil {
		seed := uint64(1)
		req.Seed = &seed
	}
	if req.Log != nil {
		if req.HoldoutDays != nil {
			return httpx.Invalid(apiv1.FieldError{Field: "log", Message: "a backtest reads the flow's own history: give no event log with holdout_days"})
		}
		lg, err := s.store.GetEventLog(ctx, *req.Log)
		if err != nil || lg.Status != store.EventLogReady {
			return httpx.Invalid(apiv1.FieldError{Field: "log", Message: fmt.Sprintf("no imported event log %q is ready (see GET /api/v1/logs)", *req.Log)})
		}
	}
	if h := req.HoldoutDays; h != nil {
		if req.Version != nil || req.Definition != nil || len(req.Staff) > 0 || req.Volume != nil {
			return httpx.Invalid(apiv1.FieldError{Field: "holdout_days", Message: "a backtest simulates the current version as it ran: give no version, draft, staffing change or volume with it"})
		}
		if *h < simcal.MinDays || *h > maxHoldoutDays {
			return httpx.Invalid(apiv1.FieldError{Field: "holdout_days", Message: fmt.Sprintf("%d: hold out %d to %d days", *h, simcal.MinDays, maxHoldoutDays)})
		}
		if to.Sub(from) < time.Duration(*h+simcal.MinDays)*24*time.Hour {
			return httpx.Invalid(apiv1.FieldError{Field: "holdout_days", Message: fmt.Sprintf("the window of %d days leaves less than %d days to calibrate from before the %d held out",
				int(to.Sub(from).Hours()/24), simcal.MinDays, *h)})
		}
		req.Days = h // what is simulated
		if n := *req.Replications * (*h + simcal.WarmUpDays); n > maxSimulationRunDays {
			return httpx.Invalid(apiv1.FieldError{Field: "replications", Message: fmt.Sprintf("%d replications of %d days are too many; at most %d simulated days", *req.Replications, *h+simcal.WarmUpDays, maxSimulationRunDays)})
		}
	}
	return nil
}

func (s *API) listSimulations(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListSimulationsParams](r)
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
	var after *store.SimulationCursor
	if c != nil {
		after = &store.SimulationCursor{CreatedAt: c.CreatedAt, ID: c.ID}
	}
	xs, err := s.store.ListSimulations(r.Context(), store.ListSimulationsParams{Flow: q.Flow, PilotID: q.Pilot, From: from, To: to, After: after, Limit: q.Limit + 1})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list simulations: %w", err), "simulations")
	}
	more := len(xs) > q.Limit
	if more {
		xs = xs[:q.Limit]
	}
	out := apiv1.SimulationList{Simulations: make([]apiv1.Simulation, len(xs))}
	for i, x := range xs {
		if out.Simulations[i], err = toSimulationJSON(x, false); err != nil {
			return httpx.Internal(err)
		}
	}
	if more {
		last := xs[len(xs)-1]
		if out.NextCursor, err = httpx.EncodeCursor(caseCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) getSimulation(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.SimulationIDParams](r)
	if err != nil {
		return err
	}
	x, err := s.store.GetSimulation(r.Context(), q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get simulation: %w", err), fmt.Sprintf("simulation %q", q.ID))
	}
	out, err := toSimulationJSON(x, true)
	if err != nil {
		return httpx.Internal(err)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// toSimulationJSON is a stored simulation as the API answers it (with its
// result when withResult).
func toSimulationJSON(x store.Simulation, withResult bool) (apiv1.Simulation, error) {
	out := apiv1.Simulation{ID: x.ID, Flow: x.Flow, Status: x.Status, Progress: x.Progress, Stage: x.Stage, PilotID: x.PilotID,
		Error: x.Error, CreatedBy: x.CreatedBy, CreatedAt: x.CreatedAt.UTC(), FinishedAt: x.FinishedAt}
	if err := json.Unmarshal(x.Request, &out.Request); err != nil {
		return apiv1.Simulation{}, fmt.Errorf("simulation %s: the stored request: %w", x.ID, err)
	}
	if withResult && x.Result != nil {
		var res apiv1.SimulationResult
		if err := json.Unmarshal(x.Result, &res); err != nil {
			return apiv1.Simulation{}, fmt.Errorf("simulation %s: the stored result: %w", x.ID, err)
		}
		out.Result = &res
	}
	return out, nil
}
