package api

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// simNow is the tests' clock: a Monday.
var simNow = time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)

// seedSimHistory writes four weeks of complaint v1 before simNow
// (servertest.SeedSimHistory): 160 cases.
func seedSimHistory(t *testing.T, st store.Store) {
	servertest.SeedSimHistory(t, st, simNow, "8000", "C-1")
}

// TestSimulationWhatIf: an improver asks what one more engineer would do;
// the simulation runs (as the workflow's activities), succeeds, and
// answers both sides with intervals, the change paired by run, and its
// assumptions; the list shows it without its result, and the audit trail
// has the request.
func TestSimulationWhatIf(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	e.Actor("tess", store.RoleStaff, "technical")
	seedSimHistory(t, e.st)

	servertest.ProblemOf(t, e.Do("tess", http.MethodPost, "/api/v1/simulations", map[string]any{"flow": "complaint"}, nil), http.StatusForbidden)
	x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", map[string]any{"flow": "complaint",
		"staff": []map[string]any{{"department": "technical", "delta": 1, "from_hour": 9, "to_hour": 17}}, "days": 14, "replications": 6}, nil),
		http.StatusAccepted)
	require.Equal(t, "running", x.Status)
	require.Equal(t, "waiting to start", x.Stage)
	require.Equal(t, simNow, *x.Request.To, "the window ends now")
	require.Equal(t, simNow.Add(-56*24*time.Hour), *x.Request.From, "and begins 8 weeks before")
	require.Equal(t, uint64(1), *x.Request.Seed)
	require.Equal(t, []string{x.ID}, e.eng.SimulationStarts)

	require.NoError(t, e.eng.RunSimulation(context.Background(), x.ID))
	x = servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/"+x.ID, nil, nil), http.StatusOK)
	require.Equal(t, "succeeded", x.Status, x.Error)
	require.Equal(t, 1.0, x.Progress)
	require.NotNil(t, x.FinishedAt)
	res := x.Result
	require.NotNil(t, res)
	require.Equal(t, 160, res.Calibration.Cases, "8 cases on each of 20 working days")
	require.InDelta(t, 160/28.0, res.Calibration.CasesPerDay, 1e-9, "over the 28 days from the first case (the window's first 4 weeks had none)")
	require.Equal(t, simNow.Add(-28*24*time.Hour), res.Calibration.From)
	require.Equal(t, "complaint v1, staffing as observed", res.Current.Label)
	require.Equal(t, "complaint v1, +1 in technical 09–17", res.Proposed.Label)
	require.Equal(t, simNow, res.Start, "the Monday after the window")
	require.Len(t, res.Current.Cycle, 6)
	med := res.Current.Cycle[2]
	require.Equal(t, 0.5, med.Q)
	require.NotNil(t, med.Seconds.Mean)
	require.LessOrEqual(t, *med.Seconds.Lo, *med.Seconds.Mean)
	require.GreaterOrEqual(t, *med.Seconds.Hi, *med.Seconds.Mean)
	// Five tasks of 20–40 min each: the cycle is hours, not minutes or days.
	require.Greater(t, *med.Seconds.Mean, 2*3600.0)
	require.Less(t, *med.Seconds.Mean, 48*3600.0)
	var inv apiv1.SimStep
	for _, s := range res.Current.Steps {
		if s.Step == "investigate" {
			inv = s
		}
	}
	require.Equal(t, "technical", inv.Department)
	require.InDelta(t, 2400, *inv.ObservedWorkMedian, 1e-6, "40 min observed")
	require.Len(t, res.Current.Backlog, 21, "7 days of warm-up and 14 measured")
	require.NotNil(t, res.Change.CycleMedian.Mean)
	var tech, techNow apiv1.SimDepartment
	for i, d := range res.Proposed.Departments {
		if d.Department == "technical" {
			tech, techNow = d, res.Current.Departments[i]
		}
	}
	require.Equal(t, techNow.PersonHoursWeek+40, tech.PersonHoursWeek, "one more person 8 hours on 5 days")
	require.NotEmpty(t, res.Notes, "the supervisor and crisis team were never seen working")

	list := servertest.DecodeStrict[apiv1.SimulationList](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations?flow=complaint", nil, nil), http.StatusOK)
	require.Len(t, list.Simulations, 1)
	require.Nil(t, list.Simulations[0].Result, "listings leave results out")
	audit, err := e.st.ListAudit(context.Background(), store.AuditFilter{})
	require.NoError(t, err)
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	require.Contains(t, actions, "simulation.create")
	require.Contains(t, actions, "simulation.succeeded")
}

// TestSimulationRefusals: every bad request is a 422 naming its field,
// and a window without cases fails with the reason in words.
func TestSimulationRefusals(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	for _, c := range []struct {
		body  map[string]any
		field string
		text  string
	}{
		{map[string]any{}, "flow", "is required"},
		{map[string]any{"flow": "nope"}, "flow", "nope"},
		{map[string]any{"flow": "complaint", "version": 9}, "version", "no version 9"},
		{map[string]any{"flow": "complaint", "version": 1, "definition": "key: complaint"}, "definition", "either a version or a draft"},
		{map[string]any{"flow": "complaint", "definition": "key: complaint\nsteps: [{id: a, kind: nonsense}]\n"}, "definition ", ""},
		{map[string]any{"flow": "complaint", "staff": []map[string]any{{"department": "ghosts", "delta": 1, "from_hour": 9, "to_hour": 17}}}, "staff[0]", "ghosts"},
		{map[string]any{"flow": "complaint", "staff": []map[string]any{{"department": "technical", "delta": 1, "from_hour": 17, "to_hour": 9}}}, "staff[0]", "hours 17 to 9"},
		{map[string]any{"flow": "complaint", "staff": []map[string]any{{"department": "technical", "delta": 1, "from_hour": 9, "to_hour": 17, "days": []string{"someday"}}}}, "staff[0]", "someday"},
		{map[string]any{"flow": "complaint", "volume": 0}, "volume", "above 0"},
		{map[string]any{"flow": "complaint", "days": 3}, "days", "7 to 366"},
		{map[string]any{"flow": "complaint", "replications": 1}, "replications", "2 to 200"},
		{map[string]any{"flow": "complaint", "days": 366, "replications": 100}, "replications", "fewer replications"},
		{map[string]any{"flow": "complaint", "from": "2025-01-01T00:00:00Z", "to": "2026-06-01T00:00:00Z"}, "from", "at most 366 days"},
	} {
		p := servertest.ProblemOf(t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", c.body, nil), http.StatusUnprocessableEntity)
		require.NotEmpty(t, p.Errors, "%v", c.body)
		require.Contains(t, p.Errors[0].Field, c.field, "%v", c.body)
		require.Contains(t, p.Errors[0].Message, c.text, "%v", c.body)
	}
	x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations",
		map[string]any{"flow": "complaint", "days": 7, "replications": 2}, nil), http.StatusAccepted)
	require.NoError(t, e.eng.RunSimulation(context.Background(), x.ID))
	x = servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/"+x.ID, nil, nil), http.StatusOK)
	require.Equal(t, "failed", x.Status)
	require.Contains(t, x.Error, "flow complaint created no case from 2026-10-05T00:00:00Z to 2026-11-30T00:00:00Z")
	require.Nil(t, x.Result)
	servertest.ProblemOf(t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/nope", nil, nil), http.StatusNotFound)
}

// TestSimulationBacktest: the last 14 days of four weeks of history are
// predicted from the two before and compared with what happened.
func TestSimulationBacktest(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	seedSimHistory(t, e.st)
	p := servertest.ProblemOf(t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", map[string]any{"flow": "complaint", "holdout_days": 14, "version": 2}, nil),
		http.StatusUnprocessableEntity)
	require.Equal(t, "holdout_days", p.Errors[0].Field)
	x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations",
		map[string]any{"flow": "complaint", "from": simNow.Add(-28 * 24 * time.Hour), "holdout_days": 14, "replications": 4}, nil), http.StatusAccepted)
	require.NoError(t, e.eng.RunSimulation(context.Background(), x.ID))
	x = servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/"+x.ID, nil, nil), http.StatusOK)
	require.Equal(t, "succeeded", x.Status, x.Error)
	bt := x.Result.Backtest
	require.NotNil(t, bt)
	require.Equal(t, simNow.Add(-14*24*time.Hour), bt.Split)
	require.Equal(t, 80, bt.Observed.Cases, "8 cases on each of 10 working days")
	require.Equal(t, 80, bt.Observed.Closed)
	// Every case took 15+20 min five times and 20 min more at investigate.
	require.InDelta(t, (5*35+20)*60.0, *bt.Observed.CycleMedian, 1e-6)
	require.NotNil(t, bt.CycleMedianError)
	require.InDelta(t, *x.Result.Current.Cycle[2].Seconds.Mean / *bt.Observed.CycleMedian - 1, *bt.CycleMedianError, 1e-9)
	require.Nil(t, bt.Observed.SLABreachRate, "the seeded spans have no SLA")
	require.Nil(t, bt.BreachRateError)
}

// TestPilotPrediction: a pilot of complaint v2 against v1 gets the
// prediction its workflow stores when it starts; once it succeeded the
// pilot shows the plan (cases a day per arm, days to the minimum sample
// and to 80 % power) and, with closed cases in both arms, the measured
// change beside the predicted one and the prediction's error.
func TestPilotPrediction(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	seedSimHistory(t, e.st)
	pl := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodPost, "/api/v1/pilots",
		map[string]any{"flow": "complaint", "control": 1, "treatment": 2, "share": 50, "min_cases_per_arm": 40, "max_duration": "14d"}, nil), http.StatusCreated)
	got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	require.Nil(t, got.Prediction, "before the workflow stored one")

	ctx := context.Background()
	id, err := e.eng.PredictPilot(ctx, pl.ID)
	require.NoError(t, err)
	again, err := e.eng.PredictPilot(ctx, pl.ID)
	require.NoError(t, err)
	require.Equal(t, id, again, "stored once")
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	require.Equal(t, "running", got.Prediction.Status)
	require.Nil(t, got.Prediction.Plan)

	require.NoError(t, e.eng.RunSimulation(ctx, id))
	x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/"+id, nil, nil), http.StatusOK)
	require.Equal(t, "succeeded", x.Status, x.Error)
	require.Equal(t, pl.ID, x.PilotID)
	require.Equal(t, 1, *x.Request.Current)
	require.Equal(t, 2, *x.Request.Version)
	require.Equal(t, 14, *x.Request.Days, "the pilot's maximum duration")
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	pr := got.Prediction
	require.Equal(t, "succeeded", pr.Status)
	require.NotNil(t, pr.CycleMedianChange.Mean)
	plan := pr.Plan
	require.NotNil(t, plan)
	perDay := 160 / 28.0 // the history's 4 weeks, in the window of 8
	require.InDelta(t, perDay/2, plan.CasesPerDayControl, 1e-9)
	require.InDelta(t, perDay/2, plan.CasesPerDayTreatment, 1e-9)
	lag := max(*x.Result.Current.Cycle[2].Seconds.Mean, *x.Result.Proposed.Cycle[2].Seconds.Mean) / 86400
	require.InDelta(t, 40/(perDay/2)+lag, *plan.DaysToMinSample, 1e-9)
	if plan.CasesFor80Power != nil {
		require.InDelta(t, float64(*plan.CasesFor80Power)/(perDay/2)+lag, *plan.DaysTo80Power, 1e-9)
	} else {
		require.NotEmpty(t, plan.Note)
	}
	require.Nil(t, pr.Measured, "no case of the pilot closed yet")

	// Closed cases: control 3 h, treatment 2 h 24 min (20 % shorter).
	servertest.SeedPilotArms(t, e.st, pl.ID, simNow, 6, 3*time.Hour, 144*time.Minute)
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	m := got.Prediction.Measured
	require.NotNil(t, m)
	require.Equal(t, 6, m.ControlClosed)
	require.Equal(t, 6, m.TreatmentClosed)
	require.InDelta(t, -0.2, *m.CycleMedianChange, 1e-9)
	want := (1+*got.Prediction.CycleMedianChange.Mean)/0.8 - 1
	require.InDelta(t, want, *m.PredictionError, 1e-9)
	require.Equal(t, want <= 0.15 && want >= -0.15, *m.WithinTarget)
	require.False(t, m.Final, "the pilot still runs")
}

// TestSimulationFromALog: a flow drafted from an imported log has no
// spans; the simulation calibrates from the log, says each step replays
// its time since the previous event, and a log that is not there is a 422
// at the field.
func TestSimulationFromALog(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	var csv strings.Builder
	csv.WriteString("Case ID,Activity,Resource,Complete Timestamp\n")
	for i := range 60 {
		at := simNow.Add(-30 * 24 * time.Hour).Add(time.Duration(i) * 7 * time.Hour)
		fmt.Fprintf(&csv, "c%d,Record,ann,%s\n", i, at.Format(time.RFC3339))
		fmt.Fprintf(&csv, "c%d,Investigate,tom,%s\n", i, at.Add(3*time.Hour).Format(time.RFC3339))
		fmt.Fprintf(&csv, "c%d,Notify customer,ann,%s\n", i, at.Add(4*time.Hour).Format(time.RFC3339))
	}
	_, _, err := logimport.Import(context.Background(), e.st, strings.NewReader(csv.String()),
		logimport.Params{ID: "log-1", Name: "small", Actor: "ivy", At: simNow})
	require.NoError(t, err)

	p := servertest.ProblemOf(t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", map[string]any{"flow": "complaint", "log": "nope"}, nil),
		http.StatusUnprocessableEntity)
	require.Equal(t, "log", p.Errors[0].Field)
	x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations",
		map[string]any{"flow": "complaint", "log": "log-1", "days": 7, "replications": 3}, nil), http.StatusAccepted)
	require.NoError(t, e.eng.RunSimulation(context.Background(), x.ID))
	x = servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodGet, "/api/v1/simulations/"+x.ID, nil, nil), http.StatusOK)
	require.Equal(t, "succeeded", x.Status, x.Error)
	require.Equal(t, 60, x.Result.Calibration.Cases)
	var replayed []string
	for _, n := range x.Result.Notes {
		if strings.Contains(n.Text, "replays its time since the case's previous event") {
			replayed = append(replayed, n.Step)
		}
	}
	require.ElementsMatch(t, []string{"record", "investigate", "notify_customer"}, replayed, "the log's activities matched complaint's steps by name")
}

// TestSimulationQueueIsBounded: with MaxQueuedSimulations running or
// waiting, one more is a 409 in words; once one finished, it is taken.
func TestSimulationQueueIsBounded(t *testing.T) {
	t.Parallel()
	clock := servertest.NewClock(simNow)
	e := newEnvSeeded(t, nil, true, func(c *Config) { c.Now = clock.Now })
	e.Actor("ivy", store.RoleImprover)
	body := map[string]any{"flow": "complaint", "days": 7, "replications": 2}
	var first string
	for i := range MaxQueuedSimulations {
		x := servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", body, nil), http.StatusAccepted)
		if i == 0 {
			first = x.ID
		}
	}
	p := servertest.ProblemOf(t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", body, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "20 simulations are running or waiting to run")
	require.NoError(t, e.eng.RunSimulation(context.Background(), first)) // fails: no history, and so ends
	servertest.DecodeStrict[apiv1.Simulation](t, e.Do("ivy", http.MethodPost, "/api/v1/simulations", body, nil), http.StatusAccepted)
}
