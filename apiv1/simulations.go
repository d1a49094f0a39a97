package apiv1

import (
	"slices"
	"time"
)

// StaffChange is people more or fewer in a department in some hours of
// the week: "+1 agent in technical from 9 to 17" is {department:
// technical, delta: 1, from_hour: 9, to_hour: 17}.
type StaffChange struct {
	Department string   `json:"department" description:"A department of the flow."`
	Delta      int      `json:"delta" minimum:"-1000" maximum:"1000" description:"People more (positive) or fewer (negative); a department never goes below 0 people."`
	FromHour   int      `json:"from_hour" minimum:"0" maximum:"23" description:"First hour of the day (UTC) it applies in."`
	ToHour     int      `json:"to_hour" minimum:"1" maximum:"24" description:"Hour of the day (UTC) it stops applying at (exclusive)."`
	Days       []string `json:"days,omitempty" description:"Weekdays it applies on: mon, tue, wed, thu, fri, sat, sun; empty: mon to fri."`
}

// CreateSimulationRequest asks for a what-if simulation (createSimulation):
// the flow as it runs now (its default version, staffing as observed)
// against a proposal (another version, a draft, staffing changes or
// another volume), both calibrated from the same window of history.
type CreateSimulationRequest struct {
	Flow         string        `json:"flow" description:"Flow key." example:"complaint"`
	Version      *int          `json:"version,omitempty" minimum:"1" description:"The proposal's version (published); default: the flow's default version."`
	Current      *int          `json:"current,omitempty" minimum:"1" description:"The version the proposal is compared with, at the observed staffing and volume; default: the flow's default version."`
	Definition   *string       `json:"definition,omitempty" description:"The proposal as a draft: a flow definition in YAML, validated but not stored. Excludes version."`
	Staff        []StaffChange `json:"staff,omitempty" description:"The proposal's staffing changes (at most 20)."`
	Volume       *float64      `json:"volume,omitempty" description:"The proposal's arrivals as a factor of the observed (0.5: half); default 1." example:"1"`
	From         *time.Time    `json:"from,omitempty" description:"Start of the calibration window (cases created, spans entered); default: 8 weeks before to."`
	To           *time.Time    `json:"to,omitempty" description:"End of the calibration window (exclusive); default: now."`
	Days         *int          `json:"days,omitempty" minimum:"7" maximum:"366" description:"Days of arrivals simulated after a 7-day warm-up; default 28."`
	Replications *int          `json:"replications,omitempty" minimum:"2" maximum:"200" description:"Independent runs; every figure is their mean with a 95 % interval; default 20."`
	Seed         *uint64       `json:"seed,omitempty" description:"Random seed: the same request and seed give the same figures; default 1."`
	HoldoutDays  *int          `json:"holdout_days,omitempty" minimum:"7" maximum:"183" description:"A backtest instead of a what-if: calibrate on the window without its last holdout_days, simulate those days with the current version, and compare with what happened (result.backtest). Excludes version, definition, staff and volume."`
	Log          *string       `json:"log,omitempty" description:"An imported event log's id: calibrate from it instead of the flow's spans (a flow drafted from a log has none). Its activities are matched to the flow's task steps by name; a log of completions only replays each step's time since the previous event. Excludes holdout_days; from and to are not used."`
}

// SimFigure is a simulated figure: the mean over the replications and its
// 95 % interval (Student's t); null when no replication had a value.
type SimFigure struct {
	Mean *float64 `json:"mean"`
	Lo   *float64 `json:"lo" description:"Lower end of the 95 % interval."`
	Hi   *float64 `json:"hi" description:"Upper end of the 95 % interval."`
}

// SimQuantile is a quantile of the simulated cycle time.
type SimQuantile struct {
	Q       float64   `json:"q" description:"The quantile, e.g. 0.5 for the median."`
	Seconds SimFigure `json:"seconds" description:"Cycle time (arrival → close) in seconds."`
}

// SimStep is a step's simulated figures.
type SimStep struct {
	Step               string    `json:"step"`
	Department         string    `json:"department" description:"The department of a task step; empty for other kinds."`
	Visits             SimFigure `json:"visits" description:"Finished visits of the measured cases per run."`
	WaitMedian         SimFigure `json:"wait_median_seconds" description:"Median waiting (entered → work began), seconds."`
	WaitP90            SimFigure `json:"wait_p90_seconds" description:"90th percentile of waiting, seconds."`
	WorkMedian         SimFigure `json:"work_median_seconds" description:"Median work (began → completed), seconds."`
	ObservedWorkMedian *float64  `json:"observed_work_median_seconds" description:"Median of the work times observed in the calibration window, seconds; null when none."`
}

// SimDepartment is a department's simulated load.
type SimDepartment struct {
	Department      string    `json:"department"`
	PersonHoursWeek float64   `json:"person_hours_per_week" description:"Staffed person-hours in a week of the scenario."`
	Utilisation     SimFigure `json:"utilisation" description:"Busy ÷ staffed person-time over the simulated days (a task started is finished past hours, so it can exceed 1)."`
}

// SimBacklogDay is the mean number of open cases on a simulated day.
type SimBacklogDay struct {
	Day  int     `json:"day" description:"Day of the simulated period, 0 first (the warm-up's days included)."`
	Mean float64 `json:"mean" description:"Open cases, mean over the day's hours and the replications."`
}

// SimScenario is one side of a comparison.
type SimScenario struct {
	Label         string          `json:"label" example:"complaint v1, staffing as observed"`
	Version       int             `json:"version" description:"The version simulated; 0 for a draft."`
	CasesPerDay   float64         `json:"cases_per_day" description:"Expected arrivals a day."`
	Arrived       SimFigure       `json:"arrived" description:"Cases that arrived after the warm-up, per run."`
	Done          SimFigure       `json:"done" description:"Of them, closed within the run (the days plus a drain of 28 days)."`
	Cycle         []SimQuantile   `json:"cycle" description:"The cycle-time distribution: quantiles 0.1, 0.25, 0.5, 0.75, 0.9, 0.95."`
	CycleLogSD    SimFigure       `json:"cycle_log_sd" description:"Standard deviation of the log cycle times (natural log of seconds), which a pilot's sample size is planned with."`
	SLABreachRate SimFigure       `json:"sla_breach_rate" description:"Finished task visits with an SLA that took longer than it ÷ those with an SLA (the bottleneck report's and the alerts' definition)."`
	OnTime        SimFigure       `json:"on_time" description:"1 − sla_breach_rate (the KPI on_time)."`
	CaseOnTime    SimFigure       `json:"case_on_time" description:"Closed cases within the flow's case SLA (pause_sla waits not counted) ÷ closed cases; null without a case SLA."`
	Escalated     SimFigure       `json:"escalated" description:"Finished task visits that reached an escalation level ÷ finished task visits."`
	Steps         []SimStep       `json:"steps"`
	Departments   []SimDepartment `json:"departments"`
	Backlog       []SimBacklogDay `json:"backlog"`
}

// SimChange is the proposal against the current flow, paired by
// replication (run k of both has the same seed).
type SimChange struct {
	CycleMedian   SimFigure `json:"cycle_median" description:"Relative change of the median cycle time: proposed ÷ current − 1 (−0.2: 20 % shorter)."`
	CycleP90      SimFigure `json:"cycle_p90" description:"Relative change of the 90th percentile of cycle time."`
	SLABreachRate SimFigure `json:"sla_breach_rate" description:"Change of the SLA breach rate in percentage points as a fraction (proposed − current)."`
}

// SimNote is an assumption the model made where history said nothing.
type SimNote struct {
	Step       string `json:"step,omitempty"`
	Department string `json:"department,omitempty"`
	Text       string `json:"text"`
}

// SimCalibration is the history a simulation was calibrated from.
type SimCalibration struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Cases       int       `json:"cases" description:"Cases created in the window."`
	Spans       int       `json:"spans" description:"Spans entered in the window."`
	CasesPerDay float64   `json:"cases_per_day" description:"Observed arrivals a day."`
}

// SimulationResult is what a finished simulation found.
type SimulationResult struct {
	Calibration  SimCalibration `json:"calibration"`
	Start        time.Time      `json:"start" description:"Simulated start (a Monday 00:00 UTC); the first 7 days are a warm-up, not measured."`
	Days         int            `json:"days" description:"Days of arrivals measured."`
	Replications int            `json:"replications"`
	Seed         uint64         `json:"seed"`
	Current      SimScenario    `json:"current"`
	Proposed     SimScenario    `json:"proposed"`
	Change       SimChange      `json:"change"`
	Notes        []SimNote      `json:"notes" nullable:"false"`
	Backtest     *SimBacktest   `json:"backtest,omitempty" description:"Present for a backtest (holdout_days)."`
}

// Simulation is a what-if simulation and, once it finished, its result.
type Simulation struct {
	ID         string                  `json:"id"`
	Flow       string                  `json:"flow"`
	Status     string                  `json:"status" enum:"running,succeeded,failed" description:"running until the result is stored."`
	Progress   float64                 `json:"progress" description:"Share done, 0 to 1."`
	Stage      string                  `json:"stage" description:"What it is doing, in words."`
	Request    CreateSimulationRequest `json:"request" description:"The request, defaults filled in."`
	PilotID    string                  `json:"pilot_id,omitempty" description:"The pilot this is the prediction of, made when it started."`
	Error      string                  `json:"error,omitempty" description:"Why it failed."`
	CreatedBy  string                  `json:"created_by"`
	CreatedAt  time.Time               `json:"created_at"`
	FinishedAt *time.Time              `json:"finished_at"`
	Result     *SimulationResult       `json:"result" nullable:"true" description:"Null until it succeeded, and in listings."`
}

// SimulationList is a page of simulations (listSimulations), without
// their results.
type SimulationList struct {
	Simulations []Simulation `json:"simulations" nullable:"false"`
	NextCursor  string       `json:"next_cursor,omitempty" description:"Pass as cursor for the next page; absent on the last page."`
}

// ListSimulationsParams are the parameters of listSimulations.
type ListSimulationsParams struct {
	Flow   string    `query:"flow" description:"Only simulations of this flow key." example:"complaint"`
	Pilot  string    `query:"pilot" description:"Only the prediction of this pilot."`
	From   time.Time `query:"from" description:"Only simulations created at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only simulations created before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// SimulationIDParams name a simulation.
type SimulationIDParams struct {
	ID string `path:"id" description:"Simulation id."`
}

// SimObserved is what happened to the cases a flow created in a period.
type SimObserved struct {
	Cases         int      `json:"cases" description:"Cases created in the period."`
	Closed        int      `json:"closed" description:"Of them, closed by the period's end."`
	CycleMedian   *float64 `json:"cycle_median_seconds" description:"Median cycle time (created → closed) of the closed ones, seconds; null without any."`
	CycleP90      *float64 `json:"cycle_p90_seconds" description:"90th percentile of the same, seconds."`
	SLABreachRate *float64 `json:"sla_breach_rate" description:"Task spans with an SLA entered in the period and completed by its end after their due time ÷ those with an SLA; null without any."`
}

// SimBacktest is a prediction of a period of history from the history
// before it, beside what happened.
type SimBacktest struct {
	Split       time.Time   `json:"split" description:"End of the calibration, start of the period predicted."`
	HoldoutDays int         `json:"holdout_days"`
	Observed    SimObserved `json:"observed"`
	// The errors: predicted against observed.
	CycleMedianError *float64 `json:"cycle_median_error" description:"Predicted ÷ observed median cycle time − 1 (0.1: predicted 10 % longer); the target is within ±0.15."`
	CycleP90Error    *float64 `json:"cycle_p90_error" description:"Predicted ÷ observed 90th percentile − 1."`
	BreachRateError  *float64 `json:"sla_breach_rate_error" description:"Predicted − observed SLA breach rate (a fraction: 0.05 is 5 points)."`
}

// PilotPrediction is the prediction made when a pilot started, beside
// what it measured.
type PilotPrediction struct {
	SimulationID string `json:"simulation_id"`
	Status       string `json:"status" enum:"running,succeeded,failed" description:"The simulation's status."`
	Error        string `json:"error,omitempty" description:"Why the simulation failed."`
	// Predicted: treatment against control, paired by run.
	CycleMedianChange   SimFigure     `json:"cycle_median_change" description:"Predicted relative change of the median cycle time: treatment ÷ control − 1."`
	SLABreachRateChange SimFigure     `json:"sla_breach_rate_change" description:"Predicted change of the SLA breach rate (treatment − control, a fraction)."`
	Plan                *PilotPlan    `json:"plan,omitempty" description:"The pilot's plan from the prediction; absent until the simulation succeeded."`
	Measured            *PilotMeasure `json:"measured,omitempty" description:"What the pilot measured so far; absent before a case of each arm closed."`
}

// PilotPlan is what the prediction says of a pilot's length.
type PilotPlan struct {
	CasesPerDayControl   float64  `json:"cases_per_day_control" description:"Expected new cases a day in the control arm: the calibration's arrivals × (1 − share)."`
	CasesPerDayTreatment float64  `json:"cases_per_day_treatment" description:"Expected new cases a day in the treatment arm: arrivals × share."`
	DaysToMinSample      *float64 `json:"days_to_min_sample" description:"Days until the smaller arm has min_cases_per_arm closed cases: the cases at its rate plus the predicted median cycle time; null without arrivals."`
	CasesFor80Power      *int     `json:"cases_for_80_power" description:"Cases per arm for 80 % power to detect the predicted change of the primary metric with the sequential design (the evaluation's cases_needed_for_80_power, from the prediction); null when the simulation does not predict the primary metric (fcr, csat) or predicts no change."`
	DaysTo80Power        *float64 `json:"days_to_80_power" description:"Days until the smaller arm has cases_for_80_power closed cases; null with cases_for_80_power."`
	Note                 string   `json:"note,omitempty"`
}

// PilotMeasure is a pilot's measured change of median cycle time beside
// the predicted one.
type PilotMeasure struct {
	ControlClosed     int      `json:"control_closed" description:"Control cases closed (completed)."`
	TreatmentClosed   int      `json:"treatment_closed" description:"Treatment cases closed (completed)."`
	CycleMedianChange *float64 `json:"cycle_median_change" description:"Measured treatment ÷ control median cycle time − 1."`
	PredictionError   *float64 `json:"prediction_error" description:"(1 + predicted change) ÷ (1 + measured change) − 1: how far the predicted ratio of medians is from the measured one; the target is within ±0.15."`
	WithinTarget      *bool    `json:"within_target" description:"|prediction_error| ≤ 0.15."`
	Final             bool     `json:"final" description:"The pilot has ended: the measure is its result, not one so far."`
}

// SimStepPair is a step of both sides of a simulation, matched by id
// (nil: that side's version has no such step).
type SimStepPair struct {
	Name, Department  string
	Current, Proposed *SimStep
}

// SimDepartmentPair is a department of both sides.
type SimDepartmentPair struct {
	Name              string
	Current, Proposed *SimDepartment
}

// PairSimSteps pairs two sides' steps by id: the current version's in
// their order, then the proposal's own.
func PairSimSteps(cur, prop []SimStep) []SimStepPair {
	var out []SimStepPair
	for i := range cur {
		out = append(out, SimStepPair{Name: cur[i].Step, Department: cur[i].Department, Current: &cur[i]})
	}
	for i := range prop {
		j := slices.IndexFunc(out, func(s SimStepPair) bool { return s.Name == prop[i].Step })
		if j < 0 {
			out = append(out, SimStepPair{Name: prop[i].Step, Department: prop[i].Department})
			j = len(out) - 1
		}
		out[j].Proposed = &prop[i]
		if out[j].Department == "" {
			out[j].Department = prop[i].Department
		}
	}
	return out
}

// PairSimDepartments pairs two sides' departments by name.
func PairSimDepartments(cur, prop []SimDepartment) []SimDepartmentPair {
	var out []SimDepartmentPair
	for i := range cur {
		out = append(out, SimDepartmentPair{Name: cur[i].Department, Current: &cur[i]})
	}
	for i := range prop {
		j := slices.IndexFunc(out, func(s SimDepartmentPair) bool { return s.Name == prop[i].Department })
		if j < 0 {
			out = append(out, SimDepartmentPair{Name: prop[i].Department})
			j = len(out) - 1
		}
		out[j].Proposed = &prop[i]
	}
	return out
}
