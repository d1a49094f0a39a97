package api

import (
	"time"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// Examples of the alert routes, converted by the routes' own functions.

var (
	exampleAlertAt  = time.Date(2026, 11, 16, 10, 15, 0, 0, time.UTC)
	exampleAlertVal = 0.25

	exampleAlertRequest = apiv1.AlertRuleRequest{Name: "Investigation breaches", Metric: "sla_breach_rate",
		Scope:     apiv1.AlertScope{Flow: "complaint", Step: "investigate"},
		Condition: apiv1.AlertCondition{Op: alert.Above, Value: 0.2}, Window: "1h", MinSample: 10, Every: "1m",
		WebhookURL: "https://chat.example.com/hooks/complaints"}

	exampleAlertStored = store.AlertRule{ID: "2f1c7d0e-5b8a-4e61-9c3f-0a7b6d5e4c21", Name: "Investigation breaches", Metric: "sla_breach_rate",
		Scope: alert.Scope{Flow: "complaint", Step: "investigate"}, Condition: alert.Condition{Op: alert.Above, Value: 0.2},
		Window: time.Hour, MinSample: 10, Every: time.Minute, WebhookURL: "https://chat.example.com/hooks/complaints",
		CreatedBy: "olga", CreatedAt: exampleAlertAt.Add(-72 * time.Hour), UpdatedAt: exampleAlertAt.Add(-72 * time.Hour), Revision: 1,
		State: alert.Firing, StateSince: exampleAlertAt, PendingSince: &exampleAlertAt, Seq: 1,
		Last: &store.AlertEvaluation{At: exampleAlertAt, Outcome: alert.Breach, Value: &exampleAlertVal, N: 12,
			Message: "25.0 % is above 20.0 %"}}

	exampleAlertRule  = toAlertJSON(exampleAlertStored, "technical", store.Actor{Role: store.RoleOwner})
	exampleAlertEvent = toAlertEventJSON(exampleAlertStored, store.AlertEvent{ID: store.AlertEventID(exampleAlertStored.ID, 1),
		RuleID: exampleAlertStored.ID, Seq: 1, At: exampleAlertAt, From: alert.OK, To: alert.Firing, Value: &exampleAlertVal, N: 12,
		Message: "25.0 % is above 20.0 %", Notified: true})
)

var exampleWatch = apiv1.Watch{ID: "9b0e7a51-2c4d-4f3e-8a6b-1d2c3e4f5a6b", Flow: "complaint", Step: "investigate", StepName: "Technical investigation",
	Note: "the longest wait of the complaint flow", AddedBy: "olga", AddedAt: exampleAlertAt.Add(-24 * time.Hour), Measure: "waiting",
	Alerts: []apiv1.AlertRule{exampleAlertRule}, Firing: 1, OpenCycles: []apiv1.Improvement{},
	Trend: []apiv1.WatchWeek{{Week: "2026-W46", Start: exampleAlertAt.AddDate(0, 0, -7).Truncate(24 * time.Hour), End: exampleAlertAt.Truncate(24 * time.Hour),
		N: 42, MedianSeconds: ptr(1260.0), P90Seconds: ptr(5400.0), SLABreachRate: ptr(0.12)}}}
