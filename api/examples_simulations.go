package api

import (
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Examples of the simulation routes.

var (
	exampleSimAt     = time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	exampleSimDone   = exampleSimAt.Add(42 * time.Second)
	exampleSimFrom   = exampleSimAt.Add(-56 * 24 * time.Hour)
	exampleSimDays   = 28
	exampleSimReps   = 20
	exampleSimSeed   = uint64(1)
	exampleSimVolume = 1.0

	exampleSimulationRequest = apiv1.CreateSimulationRequest{Flow: "complaint",
		Staff: []apiv1.StaffChange{{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}}}

	exampleSimulationRequestFilled = apiv1.CreateSimulationRequest{Flow: "complaint",
		Staff:  []apiv1.StaffChange{{Department: "technical", Delta: 1, FromHour: 9, ToHour: 17}},
		Volume: &exampleSimVolume, From: &exampleSimFrom, To: &exampleSimAt, Days: &exampleSimDays, Replications: &exampleSimReps, Seed: &exampleSimSeed}

	exampleSimulationRunning = apiv1.Simulation{ID: "4f6c1d2e-8a9b-4c3d-9e1f-2a3b4c5d6e7f", Flow: "complaint", Status: "running",
		Progress: 0.35, Stage: "simulating the current flow: run 14 of 20", Request: exampleSimulationRequestFilled,
		CreatedBy: "olga", CreatedAt: exampleSimAt}

	exampleSimulationDone = func() apiv1.Simulation {
		x := exampleSimulationRunning
		x.Status, x.Progress, x.Stage, x.FinishedAt = "succeeded", 1, "", &exampleSimDone
		x.Result = &exampleSimulationResult
		return x
	}()

	exampleSimulationResult = apiv1.SimulationResult{
		Calibration: apiv1.SimCalibration{From: exampleSimFrom, To: exampleSimAt, Cases: 2016, Spans: 15730, CasesPerDay: 36},
		Start:       time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), Days: 28, Replications: 20, Seed: 1,
		Current:  exampleSimScenario("complaint v1, staffing as observed", 52300, 0.29),
		Proposed: exampleSimScenario("complaint v1, +1 in technical 09–17", 41800, 0.21),
		Change: apiv1.SimChange{CycleMedian: simFig(-0.2, -0.24, -0.16), CycleP90: simFig(-0.12, -0.18, -0.06),
			SLABreachRate: simFig(-0.08, -0.1, -0.06)},
		Notes: []apiv1.SimNote{{Department: "supervisor", Text: "nobody was seen working its tasks in the window: one person is assumed in the flow's working hours"}},
	}
)

func simFig(mean, lo, hi float64) apiv1.SimFigure {
	return apiv1.SimFigure{Mean: &mean, Lo: &lo, Hi: &hi}
}

func exampleSimScenario(label string, median, breach float64) apiv1.SimScenario {
	sc := apiv1.SimScenario{Label: label, Version: 1, CasesPerDay: 36, Arrived: simFig(1008, 990, 1026), Done: simFig(1004, 986, 1022),
		SLABreachRate: simFig(breach, breach-0.02, breach+0.02), OnTime: simFig(1-breach, 1-breach-0.02, 1-breach+0.02),
		CaseOnTime: simFig(0.41, 0.38, 0.44), Escalated: simFig(0.12, 0.1, 0.14)}
	for _, q := range []struct{ q, f float64 }{{0.1, 0.2}, {0.25, 0.45}, {0.5, 1}, {0.75, 2.1}, {0.9, 3.9}, {0.95, 5.2}} {
		sc.Cycle = append(sc.Cycle, apiv1.SimQuantile{Q: q.q, Seconds: simFig(median*q.f, median*q.f*0.95, median*q.f*1.05)})
	}
	work := 1500.0
	sc.Steps = []apiv1.SimStep{{Step: "investigate", Department: "technical", Visits: simFig(1210, 1190, 1230),
		WaitMedian: simFig(median/4, median/4*0.9, median/4*1.1), WaitP90: simFig(median, median*0.9, median*1.1),
		WorkMedian: simFig(1050, 1020, 1080), ObservedWorkMedian: &work}}
	sc.Departments = []apiv1.SimDepartment{{Department: "technical", PersonHoursWeek: 100, Utilisation: simFig(0.81, 0.79, 0.83)}}
	sc.Backlog = []apiv1.SimBacklogDay{{Day: 0, Mean: 12.5}, {Day: 1, Mean: 14}}
	return sc
}
