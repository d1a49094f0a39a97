package api

import (
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Examples of the people and notification routes.
var (
	examplePerson = apiv1.Person{
		ID: "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f", Name: "Ana Agent", Role: "staff",
		Departments: []string{"customer_service"}, Leads: []string{},
		Availability: apiv1.Available, AvailabilitySince: ptr(exampleT0), Capacity: 5, Load: 2,
		Skills: []string{"en", "router"}, Email: "ana@example.com", NotifyBy: []string{"email"},
		LastAssignedAt: ptr(exampleT1),
	}
	exampleWork = apiv1.Work{
		From: exampleT0.Add(-7 * 24 * time.Hour), To: exampleT0,
		Rows: []apiv1.WorkRow{
			{Department: "customer_service", Opened: 120, Completed: 112, Open: 8, Reassignments: 3,
				WaitAssign: apiv1.DurationStats{N: 118, P50: 42, P90: 610}, WaitStart: apiv1.DurationStats{N: 96, P50: 95, P90: 1_380},
				Handle: apiv1.DurationStats{N: 112, P50: 540, P90: 2_700}, TasksPerHour: 0.67},
			{Department: "customer_service", Actor: examplePerson.ID, Name: examplePerson.Name, Opened: 40, Completed: 38, Open: 2,
				Reassignments: 1, WaitAssign: apiv1.DurationStats{N: 40, P50: 30, P90: 420},
				WaitStart: apiv1.DurationStats{N: 33, P50: 80, P90: 900}, Handle: apiv1.DurationStats{N: 38, P50: 480, P90: 2_100}, TasksPerHour: 0.23},
		},
	}
)

var exampleNotification = apiv1.Notification{
	ID: "8e1f6a2b-3c4d-5e6f-8a9b-0c1d2e3f4a5b", Kind: "task.assigned",
	Title: "Task assigned to you: Record the complaint — case " + exampleCase.ID,
	Text: "A task was assigned to you by the least loaded rule.\n\n  Task:  Record the complaint (step key record)\n" +
		"  Case:  " + exampleCase.ID + "\n  Flow:  complaint\n  SLA:   due 2026-03-02 10:00 UTC (in 1 h)\n\nOpen the task: /ui/tasks/" + exampleTask.ID + "\n",
	Link: "/ui/tasks/" + exampleTask.ID, TaskID: exampleTask.ID, CaseID: exampleCase.ID, Step: "record", StepName: "Record the complaint",
	SLADue: ptr(exampleDue), CreatedAt: exampleT0, Delivery: "done",
}
