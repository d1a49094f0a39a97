package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/simcal"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// simulationSlots bounds the simulations a worker runs at once: one, on
// one core, so cases and the API keep the others (issue 22's bound).
var simulationSlots = make(chan struct{}, 1)

// RunSimulation runs a stored simulation (decision 0045): it calibrates
// from the request's window, compares the current version with the
// proposal, and stores the result once. Progress goes to the row (at most
// every second) and to Temporal's heartbeat. A request it cannot simulate
// fails without retry (workflows.ErrSimulationRefused) with the reason.
func (a *Activities) RunSimulation(ctx context.Context, in workflows.SimulationInput) error {
	x, err := a.Store.GetSimulation(ctx, in.SimulationID)
	if err != nil {
		return fmt.Errorf("run simulation %s: %w", in.SimulationID, err)
	}
	if x.Status != store.SimulationRunning {
		return nil // finished by an earlier attempt
	}
	var req apiv1.CreateSimulationRequest
	if err := json.Unmarshal(x.Request, &req); err != nil {
		return refused("the stored request is not readable: %v", err)
	}
	p := &simProgress{a: a, ctx: ctx, id: x.ID}
	p.set(0, "waiting for another simulation to finish")
	select {
	case simulationSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-simulationSlots }()
	res, err := simulate(ctx, a.Store, req, p.set)
	if err != nil {
		return err
	}
	body, err := json.Marshal(res)
	if err != nil {
		return fmt.Errorf("run simulation %s: encode: %w", x.ID, err)
	}
	done, err := a.Store.FinishSimulation(ctx, store.FinishSimulationParams{ID: x.ID, Status: store.SimulationSucceeded, Result: body, At: time.Now().UTC()})
	if err != nil {
		return fmt.Errorf("run simulation %s: record: %w", x.ID, err)
	}
	return a.auditSimulation(ctx, done)
}

// FailSimulation records why a simulation failed.
func (a *Activities) FailSimulation(ctx context.Context, in workflows.FailSimulationInput) error {
	done, err := a.Store.FinishSimulation(ctx, store.FinishSimulationParams{ID: in.SimulationID, Status: store.SimulationFailed, Error: in.Error, At: time.Now().UTC()})
	if errors.Is(err, store.ErrConflict) {
		return nil // it succeeded meanwhile
	}
	if err != nil {
		return fmt.Errorf("fail simulation %s: %w", in.SimulationID, err)
	}
	return a.auditSimulation(ctx, done)
}

func (a *Activities) auditSimulation(ctx context.Context, x store.Simulation) error {
	details, err := json.Marshal(map[string]any{"flow": x.Flow, "status": x.Status, "error": x.Error, "pilot": x.PilotID})
	if err != nil {
		return fmt.Errorf("simulation %s: encode audit: %w", x.ID, err)
	}
	if err := a.Store.AppendAudit(ctx, store.AuditEntry{At: *x.FinishedAt, Actor: "system", Action: "simulation." + x.Status,
		Object: "simulation:" + x.ID, Details: details, Key: "simulation.finished:" + x.ID}); err != nil {
		return fmt.Errorf("simulation %s: audit: %w", x.ID, err)
	}
	return nil
}

// PredictPilot stores the prediction of a pilot (decision 0045): a
// simulation of its control version against its treatment, calibrated on
// the 8 weeks before it started, over its maximum duration (7 to 366
// days), each version taking every case (the arms share the staff in the
// pilot; the simulation gives each version the whole operation). The id
// is the pilot's, so a retry stores it once. A pilot gone is no
// prediction.
func (a *Activities) PredictPilot(ctx context.Context, in workflows.PredictPilotInput) (workflows.PredictPilotResult, error) {
	pl, err := a.Store.GetPilot(ctx, in.PilotID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.PredictPilotResult{}, nil
	}
	if err != nil {
		return workflows.PredictPilotResult{}, fmt.Errorf("predict pilot %s: %w", in.PilotID, err)
	}
	x, err := simcal.StorePilotPrediction(ctx, a.Store, pl)
	if err != nil {
		return workflows.PredictPilotResult{}, fmt.Errorf("predict pilot %s: %w", pl.ID, err)
	}
	return workflows.PredictPilotResult{SimulationID: x.ID}, nil
}

// simProgress records progress on the row at most every second and
// heartbeats.
type simProgress struct {
	a    *Activities
	ctx  context.Context
	id   string
	last time.Time
}

func (p *simProgress) set(share float64, stage string) {
	if activity.IsActivity(p.ctx) {
		activity.RecordHeartbeat(p.ctx, share)
	}
	now := time.Now()
	if now.Sub(p.last) < time.Second && share < 1 {
		return
	}
	p.last = now
	if err := p.a.Store.SetSimulationProgress(p.ctx, p.id, share, stage, now.UTC()); err != nil {
		p.a.logger().WarnContext(p.ctx, "simulation progress not recorded", "simulation", p.id, "err", err)
	}
}

// refused is a request the activity cannot simulate, in words.
func refused(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), workflows.ErrSimulationRefused, nil)
}

// Simulate runs a simulation request to its result (the activity's work,
// also what the API's fake engine runs).
func Simulate(ctx context.Context, st store.Store, req apiv1.CreateSimulationRequest, progress func(float64, string)) (apiv1.SimulationResult, error) {
	return simulate(ctx, st, req, progress)
}

func simulate(ctx context.Context, st store.Store, req apiv1.CreateSimulationRequest, progress func(float64, string)) (apiv1.SimulationResult, error) {
	if req.From == nil || req.To == nil || req.Days == nil || req.Replications == nil || req.Seed == nil {
		return apiv1.SimulationResult{}, refused("the request has no window, days, replications or seed (the API fills them in)")
	}
	current, err := simVersion(ctx, st, req.Flow, req.Current)
	if err != nil {
		return apiv1.SimulationResult{}, err
	}
	if req.HoldoutDays != nil {
		split := req.To.Add(-time.Duration(*req.HoldoutDays) * 24 * time.Hour)
		progress(0, "reading the history before "+split.Format(time.DateOnly))
		res, err := simcal.Backtest(ctx, st, current, *req.From, split, *req.To,
			simcal.RunOptions{Seed: *req.Seed, Replications: *req.Replications, Workers: 1, Progress: progress})
		return res, simError(ctx, err)
	}
	proposed := current
	switch {
	case req.Definition != nil:
		def, diags := flow.Load([]byte(*req.Definition), flow.ValidateOptions{})
		if diags.HasErrors() {
			return apiv1.SimulationResult{}, refused("the draft is not a valid flow: %v", diags.Errors())
		}
		if def.Key != req.Flow {
			return apiv1.SimulationResult{}, refused("the draft is of flow %s, not %s", def.Key, req.Flow)
		}
		def.Version = 0
		proposed = def
	case req.Version != nil:
		if proposed, err = simVersion(ctx, st, req.Flow, req.Version); err != nil {
			return apiv1.SimulationResult{}, err
		}
	}
	var changes []simcal.StaffChange
	for _, ch := range req.Staff {
		c, err := simcal.StaffChangeOf(ch)
		if err != nil {
			return apiv1.SimulationResult{}, refused("a staffing change: %v", err)
		}
		changes = append(changes, c)
	}
	vol := 1.0
	if req.Volume != nil {
		vol = *req.Volume
	}
	var cal *simcal.Calibration
	if req.Log != nil {
		progress(0, "reading the event log")
		l, err := logimport.Load(ctx, st, *req.Log)
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) {
			return apiv1.SimulationResult{}, refused("event log %s is gone or not ready", *req.Log)
		}
		if err != nil {
			return apiv1.SimulationResult{}, err
		}
		if cal, _, err = simcal.FromLog(l, current); err != nil {
			return apiv1.SimulationResult{}, simError(ctx, err)
		}
	} else {
		progress(0, "reading the history")
		cal, err = simcal.Calibrate(ctx, st, simcal.Params{Flow: req.Flow, From: *req.From, To: *req.To,
			Progress: func(spans int) { progress(0, fmt.Sprintf("reading the history: %d spans", spans)) }})
		if err != nil {
			return apiv1.SimulationResult{}, simError(ctx, err)
		}
	}
	if cal.Cases == 0 {
		return apiv1.SimulationResult{}, refused("flow %s created no case from %s to %s: there is nothing to calibrate the simulation from; choose a window with history",
			req.Flow, req.From.Format(time.RFC3339), req.To.Format(time.RFC3339))
	}
	res, err := simcal.Compare(ctx, cal, simcal.Scenario{Def: current}, simcal.Scenario{Def: proposed, Staff: changes, Volume: vol},
		simcal.RunOptions{Seed: *req.Seed, Days: *req.Days, Replications: *req.Replications, Workers: 1, Progress: progress})
	return res, simError(ctx, err)
}

// simError is a refusal for simcal's errors of what was asked (a run too
// large, no history, too much to read); any other (the store's) is
// retried as it is.
func simError(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	if errors.Is(err, simcal.ErrTooMuch) || errors.Is(err, simcal.ErrRequest) {
		return refused("%s", strings.TrimPrefix(err.Error(), "simcal: "))
	}
	return err
}

// simVersion is a version of a flow (nil: its default) as a definition.
func simVersion(ctx context.Context, st store.Store, key string, version *int) (*flow.Definition, error) {
	var (
		fv  store.FlowVersion
		err error
	)
	if version == nil {
		fv, err = st.DefaultFlowVersion(ctx, key)
	} else {
		fv, err = st.GetFlowVersion(ctx, key, *version)
	}
	if errors.Is(err, store.ErrNotFound) {
		if version == nil {
			return nil, refused("flow %s does not exist", key)
		}
		return nil, refused("flow %s has no version %d", key, *version)
	}
	if err != nil {
		return nil, fmt.Errorf("simulation: flow %s: %w", key, err)
	}
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return nil, fmt.Errorf("simulation: flow %s v%d: %w", key, fv.Version, err)
	}
	return &def, nil
}
