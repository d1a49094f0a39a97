package api

import (
	"encoding/json"
	"time"

	"github.com/flowlab/flowlab/apiv1"
)

// Examples of the tokens, audit and operations routes.

var (
	exampleTokenID = "9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
	exampleToken   = apiv1.Token{
		ID: exampleTokenID, Actor: exampleTokenResponse.Actor, Status: tokenActive,
		CreatedAt: exampleT0, ExpiresAt: ptr(exampleT0.Add(720 * time.Hour)),
	}
	exampleRevokedToken = apiv1.Token{
		ID: exampleTokenID, Actor: exampleTokenResponse.Actor, Status: tokenRevoked,
		CreatedAt: exampleT0, ExpiresAt: ptr(exampleT0.Add(720 * time.Hour)), RevokedAt: ptr(exampleT2),
	}
	exampleAuditEntries = []apiv1.AuditEntry{
		{ID: 4713, At: exampleT2, Actor: exampleTokenResponse.Actor.ID, Action: "task.complete", Object: "task:" + exampleTask.ID,
			CaseID: ptr(exampleCase.ID), RequestID: ptr("flowlab-host/kC9nPq2xYb-000042"),
			Details: json.RawMessage(`{"outcome":"recorded","update_id":"complete:0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20:3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f:click-1"}`)},
		{ID: 4712, At: exampleT1, Actor: exampleTokenResponse.Actor.ID, Action: "task.claim", Object: "task:" + exampleTask.ID,
			CaseID: ptr(exampleCase.ID), RequestID: ptr("flowlab-host/kC9nPq2xYb-000041"), Details: json.RawMessage("null")},
	}
	exampleMetrics = "# HELP flowlab_http_request_duration_seconds HTTP request latency by route pattern, method and status code.\n" +
		"# TYPE flowlab_http_request_duration_seconds histogram\n" +
		"flowlab_http_request_duration_seconds_bucket{code=\"200\",method=\"GET\",route=\"/api/v1/tasks\",le=\"0.005\"} 41\n" +
		"flowlab_http_request_duration_seconds_bucket{code=\"200\",method=\"GET\",route=\"/api/v1/tasks\",le=\"+Inf\"} 42\n" +
		"flowlab_http_request_duration_seconds_sum{code=\"200\",method=\"GET\",route=\"/api/v1/tasks\"} 0.093\n" +
		"flowlab_http_request_duration_seconds_count{code=\"200\",method=\"GET\",route=\"/api/v1/tasks\"} 42\n"
)

var (
	exampleHistoryStart   = time.Date(2026, 12, 6, 14, 3, 0, 0, time.UTC)
	exampleHistoryRunning = apiv1.DemoHistoryJob{Status: apiv1.HistoryRunning, Days: 90, Seed: 1, StartedAt: &exampleHistoryStart}
	exampleHistoryFrom    = time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	exampleHistoryEnd     = time.Date(2026, 12, 6, 14, 3, 47, 0, time.UTC)
	exampleHistoryDone    = apiv1.DemoHistoryJob{Status: apiv1.HistoryDone, Days: 90, Seed: 1, From: &exampleHistoryFrom, To: &exampleHistoryStart,
		StartedAt: &exampleHistoryStart, FinishedAt: &exampleHistoryEnd, Cases: 3516, Done: 3516, Created: 3516, Tasks: 13414, Feedback: 1268,
		Proposals: 6, PilotID: "5d0c7a4e-8f7b-5a1e-9c3d-2b4a6e8f0a1c",
		Flows: []apiv1.DemoHistoryFlow{{Flow: "complaint", Version: 1, Cases: 1266}, {Flow: "complaint", Version: 2, Cases: 332},
			{Flow: "returns-exchange", Version: 1, Cases: 1042}, {Flow: "appointment", Version: 1, Cases: 874}, {Flow: "pdca", Version: 1, Cases: 2}}}
)
