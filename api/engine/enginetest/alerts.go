package enginetest

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/workflows"
)

// The fake's alert schedules: kept in a map, evaluated only when a test
// asks (EvaluateAlert), by the activity the real schedule's runs call.

// ScheduleIntervals are the rules with a schedule and their intervals.
func (f *Fake) ScheduleIntervals() map[string]time.Duration {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	out := make(map[string]time.Duration, len(f.schedules))
	for k, v := range f.schedules {
		out[k] = v
	}
	return out
}

func (f *Fake) PutAlertSchedule(ctx context.Context, ruleID string, every time.Duration) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.ScheduleErr != nil {
		return f.ScheduleErr
	}
	if f.schedules == nil {
		f.schedules = map[string]time.Duration{}
	}
	f.schedules[ruleID] = every
	return nil
}

func (f *Fake) DeleteAlertSchedule(ctx context.Context, ruleID string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.ScheduleErr != nil {
		return f.ScheduleErr
	}
	delete(f.schedules, ruleID)
	return nil
}

func (f *Fake) TriggerAlertSchedule(ctx context.Context, ruleID string) error {
	f.Mu.Lock()
	f.Triggers = append(f.Triggers, ruleID)
	f.Mu.Unlock()
	_, err := f.EvaluateAlert(ctx, ruleID, time.Now().UTC())
	return err
}

// EvaluateAlert evaluates a rule at at as a run of its schedule would.
func (f *Fake) EvaluateAlert(ctx context.Context, ruleID string, at time.Time) (workflows.EvaluateAlertResult, error) {
	a := &activities.Activities{Store: f.st}
	return a.EvaluateAlert(ctx, workflows.EvaluateAlertInput{RuleID: ruleID, At: at})
}

func (f *Fake) AlertSchedules(ctx context.Context, limit int) ([]string, error) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if f.ScheduleErr != nil {
		return nil, f.ScheduleErr
	}
	var out []string
	for id := range f.schedules {
		out = append(out, id)
	}
	slices.Sort(out)
	return out[:min(len(out), limit)], nil
}

// StartSimulation records the simulation started; RunSimulation runs it
// as the workflow would (a test asks, as for alert evaluations).
func (f *Fake) StartSimulation(ctx context.Context, id string) error {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.SimulationStarts = append(f.SimulationStarts, id)
	return nil
}

// RunSimulation runs a stored simulation by the activities the workflow
// calls: RunSimulation, then FailSimulation with the reason when it fails.
func (f *Fake) RunSimulation(ctx context.Context, id string) error {
	a := &activities.Activities{Store: f.st}
	if err := a.RunSimulation(ctx, workflows.SimulationInput{SimulationID: id}); err != nil {
		reason := err.Error()
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			reason = app.Message()
		}
		return a.FailSimulation(ctx, workflows.FailSimulationInput{SimulationID: id, Error: reason})
	}
	return nil
}

// PredictPilot stores a pilot's prediction as the Pilot workflow's first
// run does (the fake does not run pilots) and returns its id; RunSimulation
// runs it.
func (f *Fake) PredictPilot(ctx context.Context, pilotID string) (string, error) {
	res, err := (&activities.Activities{Store: f.st}).PredictPilot(ctx, workflows.PredictPilotInput{PilotID: pilotID})
	return res.SimulationID, err
}
