package simcal

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
)

// PredictionTarget is issue 22's target: the predicted ratio of median
// cycle times within ±15 % of the measured one.
const PredictionTarget = 0.15

// PilotPredictionID is the id of a pilot's prediction.
func PilotPredictionID(pilotID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("flowlab:pilot-prediction:"+pilotID)).String()
}

// PilotPredictionRequest is the simulation that predicts a pilot: its
// control version against its treatment, calibrated on the 8 weeks before
// it started, over its maximum duration (MinDays to MaxDays), 20
// replications (fewer beyond MaxRunDays), seed 1.
func PilotPredictionRequest(pl store.Pilot) apiv1.CreateSimulationRequest {
	days := min(max(int(math.Ceil(pl.MaxDuration.Hours()/24)), MinDays), MaxDays)
	reps := min(20, max(2, MaxRunDays/(days+WarmUpDays)))
	to := pl.CreatedAt.UTC()
	from := to.Add(-56 * 24 * time.Hour)
	control, treatment, seed := pl.Control, pl.Treatment, uint64(1)
	return apiv1.CreateSimulationRequest{Flow: pl.Flow, Current: &control, Version: &treatment, From: &from, To: &to,
		Days: &days, Replications: &reps, Seed: &seed}
}

// StorePilotPrediction stores a pilot's prediction, running, with its
// audit entry, once (a repeat returns the row).
func StorePilotPrediction(ctx context.Context, st store.Store, pl store.Pilot) (store.Simulation, error) {
	body, err := json.Marshal(PilotPredictionRequest(pl))
	if err != nil {
		return store.Simulation{}, fmt.Errorf("simcal: encode the prediction of pilot %s: %w", pl.ID, err)
	}
	x, created, err := st.CreateSimulation(ctx, store.Simulation{ID: PilotPredictionID(pl.ID), Flow: pl.Flow, PilotID: pl.ID,
		Stage: "waiting to start", Request: body, CreatedBy: pl.CreatedBy, CreatedAt: pl.CreatedAt})
	if err != nil {
		return store.Simulation{}, fmt.Errorf("simcal: store the prediction of pilot %s: %w", pl.ID, err)
	}
	if created {
		if err := st.AppendAudit(ctx, store.AuditEntry{At: x.CreatedAt, Actor: "system", Action: "simulation.create",
			Object: "simulation:" + x.ID, Details: body, Key: "simulation.create:" + x.ID}); err != nil {
			return store.Simulation{}, fmt.Errorf("simcal: audit the prediction of pilot %s: %w", pl.ID, err)
		}
	}
	return x, nil
}

// PilotPrediction sets a pilot's prediction (its stored simulation x)
// beside its plan and what it measured so far.
func PilotPrediction(ctx context.Context, st store.Store, pl store.Pilot, x store.Simulation) (apiv1.PilotPrediction, error) {
	out := apiv1.PilotPrediction{SimulationID: x.ID, Status: x.Status, Error: x.Error}
	if x.Status != store.SimulationSucceeded || x.Result == nil {
		return out, nil
	}
	var res apiv1.SimulationResult
	if err := json.Unmarshal(x.Result, &res); err != nil {
		return out, fmt.Errorf("simcal: the prediction of pilot %s: %w", pl.ID, err)
	}
	out.CycleMedianChange, out.SLABreachRateChange = res.Change.CycleMedian, res.Change.SLABreachRate
	plan := PlanPilot(pl, res)
	out.Plan = &plan
	m, err := MeasurePilot(ctx, st, pl, out.CycleMedianChange)
	if err != nil {
		return out, err
	}
	out.Measured = m
	return out, nil
}

// PlanPilot is a pilot's plan from its prediction: cases a day per arm,
// and the days until the smaller arm has the minimum sample and the
// sample for 80 % power closed.
func PlanPilot(pl store.Pilot, res apiv1.SimulationResult) apiv1.PilotPlan {
	share := pl.Share / 100
	p := apiv1.PilotPlan{CasesPerDayControl: res.Calibration.CasesPerDay * (1 - share), CasesPerDayTreatment: res.Calibration.CasesPerDay * share}
	rate := math.Min(p.CasesPerDayControl, p.CasesPerDayTreatment)
	lag := 0.0 // the slower arm's median cycle time, in days
	for _, sc := range []apiv1.SimScenario{res.Current, res.Proposed} {
		if len(sc.Cycle) > 2 && sc.Cycle[2].Seconds.Mean != nil {
			lag = math.Max(lag, *sc.Cycle[2].Seconds.Mean/86400)
		}
	}
	days := func(n int) *float64 {
		if !(rate > 0) {
			return nil
		}
		d := float64(n)/rate + lag
		return &d
	}
	p.DaysToMinSample = days(pl.MinCasesPerArm)
	cfg := experiment.Config{Primary: experiment.Metric(pl.PrimaryMetric)}
	n := 0
	switch cfg.Primary {
	case experiment.CycleTime, "":
		c, t := res.Current.Cycle[2].Seconds.Mean, res.Proposed.Cycle[2].Seconds.Mean
		sc, st := res.Current.CycleLogSD.Mean, res.Proposed.CycleLogSD.Mean
		if c != nil && t != nil && sc != nil && st != nil {
			n = experiment.Plan(cfg, *c, *t, math.Sqrt((*sc**sc+*st**st)/2))
		}
	case experiment.SLABreachRate:
		c, t := res.Current.SLABreachRate.Mean, res.Proposed.SLABreachRate.Mean
		if c != nil && t != nil {
			n = experiment.Plan(cfg, *c, *t, 0)
		}
	default:
		p.Note = fmt.Sprintf("the simulation does not predict %s, the pilot's primary metric: the sample for 80 %% power is not known before the pilot measures it", pl.PrimaryMetric)
		return p
	}
	if n == 0 {
		p.Note = "the prediction shows no change of the primary metric to detect: no sample gives 80 % power to detect it"
		return p
	}
	p.CasesFor80Power = &n
	p.DaysTo80Power = days(n)
	return p
}

// MeasurePilot is the pilot's measured change of median cycle time (its
// closed cases per arm) beside the predicted change (nil: before a case
// of each arm closed).
func MeasurePilot(ctx context.Context, st store.Store, pl store.Pilot, predicted apiv1.SimFigure) (*apiv1.PilotMeasure, error) {
	cs, err := st.ListPilotCases(ctx, pl.ID)
	if err != nil {
		return nil, fmt.Errorf("simcal: the cases of pilot %s: %w", pl.ID, err)
	}
	var ctl, trt []float64
	for _, c := range cs {
		if c.Status != store.CaseCompleted || c.ClosedAt == nil {
			continue
		}
		d := c.ClosedAt.Sub(c.CreatedAt).Seconds()
		switch c.Arm {
		case store.ArmControl:
			ctl = append(ctl, d)
		case store.ArmTreatment:
			trt = append(trt, d)
		}
	}
	if len(ctl) == 0 || len(trt) == 0 {
		return nil, nil
	}
	m := &apiv1.PilotMeasure{ControlClosed: len(ctl), TreatmentClosed: len(trt), Final: pl.Status != store.PilotRunning}
	cm, tm := stats.Median(ctl), stats.Median(trt)
	if cm > 0 {
		ch := tm/cm - 1
		m.CycleMedianChange = &ch
		if predicted.Mean != nil && ch > -1 {
			e := (1+*predicted.Mean)/(1+ch) - 1
			ok := math.Abs(e) <= PredictionTarget
			m.PredictionError, m.WithinTarget = &e, &ok
		}
	}
	return m, nil
}
