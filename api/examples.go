package api

import (
	"encoding/json"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
)

// Examples of the OpenAPI document. TestOpenAPIExamplesMatchSchemas
// validates each against its schema, so they cannot rot.

var (
	exampleT0     = time.Date(2026, 3, 2, 9, 15, 0, 0, time.UTC)
	exampleT1     = exampleT0.Add(20 * time.Minute)
	exampleT2     = exampleT0.Add(35 * time.Minute)
	exampleDue    = exampleT0.Add(4 * time.Hour)
	exampleCursor = "eyJzbGFfZHVlIjpudWxsLCJvcGVuZWRfYXQiOiIyMDI2LTAzLTAyVDA5OjE1OjAwWiIsImlkIjoieCJ9"

	exampleTokenRequest = apiv1.CreateTokenRequest{
		Name: "Ana (customer service)", Role: "staff", Departments: []string{"customer_service"}, ExpiresIn: ptr("720h"),
	}
	exampleTokenResponse = apiv1.TokenResponse{
		Token:     "flk_xTrJpwMBgoalJpdkZuR_YJWduswp2T8qvlPMRxRoaEo",
		Actor:     apiv1.Actor{ID: "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f", Name: "Ana (customer service)", Role: "staff", Departments: []string{"customer_service"}, Leads: []string{}},
		ExpiresAt: ptr(exampleT0.Add(720 * time.Hour)),
	}
	exampleCreateCase = apiv1.CreateCaseRequest{
		Flow: "complaint", Customer: "C-1001", Channel: "phone", Attributes: map[string]any{"product": "router"},
	}
	exampleCase = apiv1.Case{
		ID: "6f1c9a52-3b7e-4d0a-9b8e-2f4c1d5e7a90", Flow: "complaint", Version: 1, Variant: "",
		Customer: "C-1001", Channel: "phone", Attributes: json.RawMessage(`{"product":"router"}`),
		Status: "active", Step: "record", WorkflowID: "complaint-6f1c9a52-3b7e-4d0a-9b8e-2f4c1d5e7a90",
		CreatedBy: "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f", CreatedAt: exampleT0, UpdatedAt: exampleT0,
	}
	exampleTask = apiv1.Task{
		ID: "0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20", CaseID: exampleCase.ID, Seq: 1, Flow: "complaint", Version: 1,
		Step: "record", StepName: "Record the complaint", Department: "customer_service",
		Roles: []string{"agent"}, Outcomes: []string{"recorded"},
		Form: []flow.Field{
			{Name: "severity", Type: "enum", Required: true, Options: []string{"primary", "intermediate", "advanced"}, Label: "Severity"},
			{Name: "summary", Type: "text", Required: true, Label: "What happened"},
		},
		Status: "open", OpenedAt: exampleT0, SLADue: ptr(exampleDue), Data: json.RawMessage("null"),
	}
	exampleClaimedTask = func() apiv1.Task {
		t := exampleTask
		t.Assignee, t.ClaimedAt = exampleTokenResponse.Actor.ID, ptr(exampleT1)
		return t
	}()
	exampleCompletion = func() apiv1.CompleteResponse {
		done := exampleClaimedTask
		done.Status, done.Outcome, done.CompletedAt, done.CompletedBy = "completed", "recorded", ptr(exampleT2), exampleTokenResponse.Actor.ID
		done.Data = json.RawMessage(`{"severity":"primary","summary":"Router drops the line every evening"}`)
		next := apiv1.Task{
			ID: "9c8d7e6f-5a4b-4c3d-8e2f-1a0b9c8d7e6f", CaseID: exampleCase.ID, Seq: 2, Flow: "complaint", Version: 1,
			Step: "investigate", StepName: "Investigate", Department: "technical", Roles: []string{"engineer"},
			Outcomes: []string{"diagnosed"}, Form: []flow.Field{}, Status: "open", OpenedAt: exampleT2,
			SLADue: ptr(exampleT2.Add(24 * time.Hour)), Data: json.RawMessage("null"),
		}
		return apiv1.CompleteResponse{Task: done, CaseStatus: "active", Next: []apiv1.Task{next}}
	}()
	exampleCaseDetail = apiv1.CaseDetail{
		Case: exampleCase, Tasks: []apiv1.Task{exampleTask}, Spans: []apiv1.Span{},
		Links: apiv1.CaseLinks{TemporalUI: "http://localhost:8233/namespaces/default/workflows/" + exampleCase.WorkflowID},
	}
	exampleFlowSummary = apiv1.FlowSummary{Key: "complaint", Name: "Complaint handling", DefaultVersion: 1, LatestVersion: 2, Versions: 2}
	exampleFlowDetail  = apiv1.FlowDetail{
		Key: "complaint", Name: "Complaint handling", Version: 1, DefaultVersion: 1,
		Definition: json.RawMessage(`{"key":"complaint","version":1,"name":"Complaint handling","steps":[{"id":"record","kind":"task"}]}`),
		Source:     "key: complaint\nversion: 1\nname: Complaint handling\n",
		Versions: []apiv1.FlowVersion{
			{Version: 1, Name: "Complaint handling", Hash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", IsDefault: true, CreatedAt: exampleT0, CreatedBy: "system"},
		},
	}
	exampleBottlenecks = apiv1.Bottlenecks{
		Flow: "complaint", Version: 1, Cases: 30,
		Steps: []apiv1.StepStats{{
			Step: "investigate", Department: "technical", Kind: "task", Cases: 29,
			Wait: apiv1.Quantiles{P50: 2520, P90: 4392, P95: 5100}, Work: apiv1.Quantiles{P50: 756, P90: 1728, P95: 1900},
			SLABreachRate: 0.07, Breaches: 2, Escalations: 1, Share: 0.38, Bottleneck: true,
		}},
	}
)

// exampleFlowYAML is a small valid flow definition.
const exampleFlowYAML = `key: complaint
version: 3
name: Complaint (one-stop)
departments: [customer_service]
steps:
  - id: handle
    kind: task
    department: customer_service
    sla: 1h
    outcomes:
      - name: resolved
        next: done
  - id: done
    kind: end
`

var exampleValidation = apiv1.Validate{Valid: false, Diagnostics: []apiv1.Diagnostic{
	{Line: 12, Column: 15, Severity: "error", Code: "unknown-target", Message: `outcome "resolved" of step "handle" goes to "dne", which is not a step; did you mean "done"?`, Path: "steps[0].outcomes[0].next"},
	{Line: 3, Column: 14, Severity: "warning", Code: "unused-department", Message: `department "technical" is listed but no step uses it`, Path: "departments[1]"},
}}

var (
	exampleFlowVersion = apiv1.FlowVersion{Version: 3, Name: "Complaint (one-stop)", Hash: "4d7a2c0e5b6f8a9d1c3e5f7a9b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5f70",
		IsDefault: false, Retired: false, RetiredAt: nil, CreatedAt: exampleT0, CreatedBy: "8e2f4a6c-1b3d-4e5f-a7c9-0b2d4f6a8c1e"}
	exampleFlowVersionDetail = apiv1.FlowVersionDetail{
		Key: "complaint", Version: 3, Name: "Complaint (one-stop)", Hash: exampleFlowVersion.Hash, CreatedAt: exampleT0,
		CreatedBy:  exampleFlowVersion.CreatedBy,
		Definition: json.RawMessage(`{"key":"complaint","version":3,"name":"Complaint (one-stop)","departments":["customer_service"],"steps":[{"id":"handle","kind":"task"},{"id":"done","kind":"end"}]}`),
		Source:     exampleFlowYAML,
	}
	exampleRetiredVersion = func() apiv1.FlowVersionDetail {
		v := exampleFlowVersionDetail
		v.Version, v.Retired, v.RetiredAt = 1, true, ptr(exampleT0.Add(72*time.Hour))
		return v
	}()
	exampleDefaultVersion = func() apiv1.FlowVersionDetail {
		v := exampleFlowVersionDetail
		v.IsDefault = true
		return v
	}()
)

func ptr[T any](v T) *T { return &v }

// exampleFlowYAMLValue is exampleFlowYAML as a YAML decoder yields it.
var exampleFlowYAMLValue = map[string]any{
	"key": "complaint", "version": 3, "name": "Complaint (one-stop)", "departments": []any{"customer_service"},
	"steps": []any{
		map[string]any{"id": "handle", "kind": "task", "department": "customer_service", "sla": "1h",
			"outcomes": []any{map[string]any{"name": "resolved", "next": "done"}}},
		map[string]any{"id": "done", "kind": "end"},
	},
}

// exampleDiff compares the built-in complaint v1 (5 steps) and v2
// (one-stop).
var exampleDiff = func() flow.DiffResult {
	var defs []*flow.Definition
	for _, b := range flows.All() {
		if b.Key == "complaint" && b.Version <= 2 {
			def, _ := flow.Load(b.Source, flow.ValidateOptions{})
			defs = append(defs, def)
		}
	}
	if len(defs) != 2 {
		return flow.Diff(nil, nil)
	}
	return flow.Diff(defs[0], defs[1])
}()

// exampleMigrateRequest moves complaint cases from the five-step v1 onto
// the one-stop v2.
var exampleMigrateRequest = apiv1.MigrateRequest{
	From: 1, To: 2,
	Mapping: map[string]string{"record": "submit", "investigate": "handle", "crisis_investigate": "crisis_handle",
		"feedback": "feedback", "review": "handle", "notify_customer": "feedback"},
}

var exampleMigration = apiv1.Migration{
	MigrationID: "2b7d9f1e-4c6a-4e8b-9d0f-1a3c5e7b9d2f", Flow: "complaint", From: 1, To: 2,
	Migrated: 1, Refused: 1, Truncated: false,
	Cases: []apiv1.MigrationCase{
		{CaseID: exampleCase.ID, WorkflowID: exampleCase.WorkflowID, Step: "investigate", ToStep: "handle", Status: "migrated",
			Next: []apiv1.Task{{
				ID: "7a1c3e5f-9b2d-4f6a-8c0e-2d4f6a8c0e1b", CaseID: exampleCase.ID, Seq: 3, Flow: "complaint", Version: 2,
				Step: "handle", StepName: "Handle the complaint (one-stop)", Department: "customer_service", Roles: []string{"agent"},
				Outcomes: []string{"resolved", "needs_technical"}, Form: []flow.Field{}, Status: "open",
				OpenedAt: exampleT2, SLADue: ptr(exampleT2.Add(time.Hour)), Data: json.RawMessage("null"),
			}}},
		{CaseID: "0c7e9f2a-5b1d-4e3f-8a6c-9d2e4f6a8b0c", WorkflowID: "complaint-0c7e9f2a-5b1d-4e3f-8a6c-9d2e4f6a8b0c",
			Step: "route", Status: "refused", Reason: "step route is not mapped", Next: []apiv1.Task{}},
	},
}
