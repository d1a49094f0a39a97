package api

import (
	"net/http"
	"reflect"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/server/internal/authz"
)

// route is one operation of the API. The table apiRoutes registers the chi
// routes (routes) and builds the OpenAPI document (buildOpenAPI), so what is
// served and what is documented come from the same place; TestRoutesMatchDocument
// walks the router to prove it.
type route struct {
	Method  string
	Pattern string // chi pattern; the same string is the OpenAPI path
	ID      string // operationId
	Summary string
	// Description is the operation's Markdown description; the roles
	// allowed are appended to it.
	Description string
	Tag         string
	// Public routes need no bearer token.
	Public bool
	// Roles, when set, are the only roles allowed (403 for the others).
	// Empty: every authenticated actor.
	Roles []string
	// Params is a struct value whose fields have path/query/header tags;
	// nil: the route takes no parameters (any query parameter is a 400).
	Params any
	// Body is the JSON request body type (a struct value); nil: none.
	Body        any
	BodyExample any
	// RawBody, when set, is a non-JSON request body (a YAML document):
	// the media types accepted and an example; the handler reads it.
	RawBody *rawBody
	// ResponseType is the media type of the success response; default
	// application/json.
	ResponseType string
	// AltResponses are other representations of the success response the
	// client may ask for with Accept.
	AltResponses []altResponse
	// Status is the success status, Response its body type and Example an
	// example of it. AltStatuses answer with the same type (a replay).
	Status      int
	AltStatuses []int
	Response    any
	Example     any
	// Errors are the route's own problem statuses; buildOpenAPI adds 400
	// and 500 to every route, 401 and 503 to authenticated ones and 403
	// to those with Roles.
	Errors []int
	// Audit are the actions of the audit entries a successful request
	// appends (one of them at least; ADR 0011). Every route that is not a
	// GET names them, or says in NoAudit why it changes nothing; a test
	// performs each route and checks.
	Audit   []string
	NoAudit string
	Handle  func(*API, http.ResponseWriter, *http.Request) error
}

func (rt route) paramsType() reflect.Type {
	if rt.Params == nil {
		return reflect.TypeFor[noParams]()
	}
	return reflect.TypeOf(rt.Params)
}

// rawBody describes a request body that is not JSON.
type rawBody struct {
	Types       []string
	Description string
	Example     string
}

// altResponse is another representation of a success response: its media
// type, JSON Schema (of the value a YAML or text decoder yields) and
// example.
type altResponse struct {
	Type        string
	Description string
	Schema      map[string]any
	Example     any
}

// noParams is the parameters of a route that takes none.
type noParams struct{}

// OpenAPIPath is where the OpenAPI document is served, without auth.
const OpenAPIPath = "/api/v1/openapi.json"

// Tags of the document, in order.
var apiTags = []struct{ Name, Description string }{
	{"cases", "Service cases: one Temporal workflow each."},
	{"tasks", "Human tasks in the departments' inboxes."},
	{"flows", "Flow definitions and where their cases wait."},
	{"pilots", "A/B pilots of a flow's versions on new cases, their statistics and promotion (ADR 0008)."},
	{"improvement", "Improvement proposals from staff, the PDCA cycles that adopt them, and the improvement KPIs (ADR 0010)."},
	{"kpis", "The service KPIs of the plans per week and channel, against their targets (ADR 0015)."},
	{"tokens", "Actors and their API tokens."},
	{"audit", "The audit trail of every change (ADR 0011)."},
	{"meta", "Liveness, readiness, metrics and this document."},
}

const (
	descPaging = "Keyset pagination: `limit` (1–500, default 50) items per page; pass the response's " +
		"`next_cursor` as `cursor` to get the next page (absent on the last page). Unknown query parameters are a 400."
)

var apiRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/healthz", ID: "getHealth", Tag: "meta",
		Summary: "Liveness check",
		Description: "The process serves HTTP. It looks at neither the database nor the workflow engine (GET /readyz does), so an outage " +
			"of either does not get healthy processes restarted. No authentication.",
		Public: true,
		Status: http.StatusOK, Response: apiv1.Health{}, Example: apiv1.Health{Status: "ok"},
		Handle: (*API).healthz,
	},
	{
		Method: http.MethodGet, Pattern: "/readyz", ID: "getReadiness", Tag: "meta",
		Summary: "Readiness check",
		Description: "Ready when the database answers a ping and the workflow engine a health check, each within 2 seconds; otherwise 503 " +
			"with `Retry-After`, the detail naming what does not answer. Route traffic only to ready processes.",
		Public: true,
		Status: http.StatusOK, Response: apiv1.Ready{}, Example: apiv1.Ready{Status: "ready", Database: "ok", Engine: "ok"},
		Errors: []int{503},
		Handle: (*API).readyz,
	},
	{
		Method: http.MethodGet, Pattern: "/metrics", ID: "getMetrics", Tag: "meta",
		Summary: "Prometheus metrics",
		Description: "The process's metrics in the Prometheus text format: request latency by route pattern, method and status " +
			"(`flowlab_http_request_duration_seconds`), the Go runtime and, in a process that runs a worker, tasks opened and closed, " +
			"escalations, SLA breaches and the Temporal SDK's metrics. Served without authentication, as scrapers expect: labels carry route " +
			"patterns, flow keys, steps, departments and outcomes, never ids, customers or case data.",
		Public:       true,
		ResponseType: mimeText,
		Status:       http.StatusOK, Response: "", Example: exampleMetrics,
		Handle: (*API).metricsHandler,
	},
	{
		Method: http.MethodGet, Pattern: OpenAPIPath, ID: "getOpenAPI", Tag: "meta",
		Summary:     "This OpenAPI 3.1 document",
		Description: "The contract of the API, generated from the server's Go types and route table. Served without authentication so client generators can fetch it.",
		Public:      true,
		Status:      http.StatusOK, Response: map[string]any{},
		Handle: (*API).openAPI,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tokens", ID: "createToken", Tag: "tokens",
		Summary:     "Create an actor and its token",
		Description: "The token is shown once; only its hash is stored.",
		Roles:       authz.Admins,
		Body:        apiv1.CreateTokenRequest{}, BodyExample: exampleTokenRequest,
		Status: http.StatusCreated, Response: apiv1.TokenResponse{}, Example: exampleTokenResponse,
		Errors: []int{413, 415, 422},
		Audit:  []string{"token.create"},
		Handle: (*API).createToken,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/tokens", ID: "listTokens", Tag: "tokens",
		Summary: "List tokens, newest first",
		Description: "Every token (active, expired and revoked) with its actor, ordered by created_at, then id, descending. Neither the " +
			"token nor its hash is ever shown again after POST /api/v1/tokens. " + descPaging,
		Roles:  authz.Admins,
		Params: apiv1.ListTokensParams{},
		Status: http.StatusOK, Response: apiv1.TokenList{}, Example: apiv1.TokenList{Tokens: []apiv1.Token{exampleToken}, NextCursor: exampleCursor},
		Handle: (*API).listTokens,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/tokens/{id}", ID: "revokeToken", Tag: "tokens",
		Summary: "Revoke a token",
		Description: "From now on the token gets 401. Revoking a revoked token changes nothing (the first time is kept). The actor stays; " +
			"give it a new token with POST /api/v1/tokens. The admin token (FLOWLAB_ADMIN_TOKEN) is configuration, not a token: change it there.",
		Roles:  authz.Admins,
		Params: apiv1.TokenIDParams{},
		Status: http.StatusOK, Response: apiv1.Token{}, Example: exampleRevokedToken,
		Errors: []int{404},
		Audit:  []string{"token.revoke"},
		Handle: (*API).revokeToken,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/actors/{id}", ID: "getActor", Tag: "tokens",
		Summary: "Name an actor",
		Description: "The actor's name, role and departments, for showing who claimed or completed a task (`assignee`, `completed_by`) " +
			"or who acted on a case. Any authenticated actor may ask; tokens are never shown.",
		Params: apiv1.ActorIDParams{},
		Status: http.StatusOK, Response: apiv1.Actor{}, Example: exampleTokenResponse.Actor,
		Errors: []int{404},
		Handle: (*API).getActor,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/audit", ID: "listAudit", Tag: "audit",
		Summary: "The audit trail, newest first",
		Description: "Every change made through the API, and those the workflows make on their own (escalations, pilot decisions), as " +
			"entries: who (`actor`), what (`action`, e.g. `task.complete`), to which object (`object`, kind:id), its case, when, the " +
			"request (`request_id`: the `X-Request-Id` the API answered the change with) and what changed (`details`). Ordered by id " +
			"descending, the order they were written; `from`/`to` bound `at`. " + descPaging,
		Roles:  authz.Admins,
		Params: apiv1.ListAuditParams{},
		Status: http.StatusOK, Response: apiv1.AuditList{}, Example: apiv1.AuditList{Entries: exampleAuditEntries, NextCursor: exampleCursor},
		Handle: (*API).listAudit,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases", ID: "createCase", Tag: "cases",
		Summary: "Start a case",
		Description: "Starts a case of the flow's default version (409 if that version is retired). Staff may not start improvement " +
			"(`pdca`) cases (403): those start from an adopted proposal. With an `Idempotency-Key` (scoped to the actor: another actor's " +
			"same key is another request) a repeat of the same request by the same actor " +
			"gets the first request's answer again, byte for byte (201, `Idempotent-Replayed: true`; the case may have moved on since: read it with GET); " +
			"the same key with another body is 422.",
		Params: apiv1.CreateCaseParams{},
		Body:   apiv1.CreateCaseRequest{}, BodyExample: exampleCreateCase,
		Status: http.StatusCreated, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.create"},
		Handle: (*API).createCase,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases", ID: "listCases", Tag: "cases",
		Summary:     "List cases, newest first",
		Description: "Cases ordered by created_at, then id, descending. `from`/`to` bound created_at. " + descCaseSearch + " " + descPaging,
		Params:      apiv1.ListCasesParams{},
		Status:      http.StatusOK, Response: apiv1.CaseList{}, Example: apiv1.CaseList{Cases: []apiv1.Case{exampleCase}, NextCursor: exampleCursor},
		Handle: (*API).listCases,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases/{id}", ID: "getCase", Tag: "cases",
		Summary:     "Get a case",
		Description: "The case with its open tasks, its spans so far and links (the Temporal UI page of its workflow when configured).",
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.CaseDetail{}, Example: exampleCaseDetail,
		Errors: []int{404},
		Handle: (*API).getCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/cancel", ID: "cancelCase", Tag: "cases",
		Summary:     "Cancel a case",
		Description: "Requests cancellation of the case's workflow, which closes its open task.",
		Roles:       authz.CaseSettlers,
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusAccepted, Response: apiv1.CancelResponse{}, Example: apiv1.CancelResponse{ID: exampleCase.ID, Status: "cancelling"},
		Errors: []int{404, 409},
		Audit:  []string{"case.cancel"},
		Handle: (*API).cancelCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/restart", ID: "restartCase", Tag: "cases",
		Summary: "Restart a failed case",
		Description: "Starts a new workflow run for a failed case, at the step it was at, with the attributes last stored and the case " +
			"SLA still counted from its creation (pending events and escalation levels of the old run are not carried). 409 when " +
			"the case is not failed.",
		Roles:  authz.CaseSettlers,
		Params: apiv1.CaseIDParams{},
		Status: http.StatusOK, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{404, 409},
		Audit:  []string{"case.restart"},
		Handle: (*API).restartCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/close", ID: "closeFailedCase", Tag: "cases",
		Summary:     "Close a failed case",
		Description: "Closes a failed case without restarting it: it becomes cancelled. 409 when the case is not failed.",
		Roles:       authz.CaseSettlers,
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.Case{}, Example: exampleCase,
		Errors: []int{404, 409},
		Audit:  []string{"case.close"},
		Handle: (*API).closeFailedCase,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/events", ID: "sendCaseEvent", Tag: "cases",
		Summary: "Send an event to a case",
		Description: "Delivers an external event to the case's `wait` step. The case must be waiting for an event of that name now " +
			"(409 otherwise, saying what it waits for). An event's data is at most 16 KiB as JSON (422); a case accepts at most 100 " +
			"events and 256 KiB of them over its life (409 beyond). A case whose workflow ended unexpectedly is marked failed (409). Only " +
			"admins, owners and actors of a department that serves the case (one its flow version lists, or one any of its tasks " +
			"was in) may (403; decision 0023).",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.EventRequest{}, BodyExample: apiv1.EventRequest{Name: "customer_replied", Data: map[string]any{"channel": "email"}},
		Status: http.StatusAccepted, Response: apiv1.EventResponse{}, Example: apiv1.EventResponse{ID: exampleCase.ID, Event: "customer_replied"},
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.event"},
		Handle: (*API).sendEvent,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/feedback", ID: "putCaseFeedback", Tag: "cases",
		Summary: "Record the customer's feedback on a case",
		Description: "CSAT (1–5), NPS (0–10) and whether the problem was resolved at the first contact; at least one. The first feedback " +
			"is a 201 (audit `feedback.create`); a later one replaces all values, null included, and is a 200 (audit `feedback.edit` with the " +
			"old and new values). Pilots compare CSAT and first-contact resolution from it. Only admins, owners and actors of a department " +
			"that serves the case (one its flow version lists, or one any of its tasks was in) may (403; decision 0023). An improvement " +
			"(PDCA) cycle is the team's own work, not a customer's: it takes no feedback (422).",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.FeedbackRequest{}, BodyExample: apiv1.FeedbackRequest{CSAT: ptr(5), NPS: ptr(9), ResolvedFirstContact: ptr(true)},
		Status: http.StatusCreated, AltStatuses: []int{http.StatusOK}, Response: apiv1.Feedback{}, Example: exampleFeedback,
		Errors: []int{403, 404, 413, 415, 422},
		Audit:  []string{"feedback.create", "feedback.edit"},
		Handle: (*API).putFeedback,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/cases/{id}/feedback", ID: "getCaseFeedback", Tag: "cases",
		Summary:     "The customer's feedback on a case",
		Description: "404 when the case does not exist or no feedback was given.",
		Params:      apiv1.CaseIDParams{},
		Status:      http.StatusOK, Response: apiv1.Feedback{}, Example: exampleFeedback,
		Errors: []int{404},
		Handle: (*API).getFeedback,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/cases/{id}/reopen", ID: "reopenCase", Tag: "cases",
		Summary: "Reopen a closed case",
		Description: "The customer came back: starts a new case of the same flow, customer, channel and attributes with `reopened_from` naming " +
			"this one, and marks this one `reopened_at` (the first reopening counts; a case reopened within 7 days of its close was not resolved " +
			"at first contact). The new case keeps this case's version, variant and pilot, so it stays in its pilot arm. Only a completed or " +
			"cancelled case can be reopened (409). Only admins, owners and actors of a department that serves the case (one its flow version " +
			"lists, or one any of its tasks was in) may (403; decision 0023). Audited as `case.reopen`.",
		Params: apiv1.CaseIDParams{},
		Body:   apiv1.ReopenRequest{}, BodyExample: apiv1.ReopenRequest{Reason: "the router drops the line again"},
		Status: http.StatusCreated, Response: apiv1.Case{}, Example: exampleReopenedCase,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"case.reopen"},
		Handle: (*API).reopenCase,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/spans", ID: "exportSpans", Tag: "cases",
		Summary: "Export spans",
		Description: "Streams every span entered in [`from`, `to`) of a flow, version or pilot's cases, in (entered_at, case_id, seq) order, " +
			"with its case's pilot, arm, customer, status, times and feedback: one JSON object per line (`format=jsonl`, the default, " +
			"application/x-ndjson; the schema describes one line) or CSV with a header row (`format=csv`, text/csv). Columns: " + strings.Join(exportColumns, ", ") + ". " +
			"Times are RFC 3339, null (empty in CSV) when absent. Parameters are checked before anything is sent (400).",
		Params:       apiv1.ExportSpansParams{},
		ResponseType: mimeNDJSON,
		Status:       http.StatusOK, Response: apiv1.ExportedSpan{}, Example: exampleSpanRow,
		AltResponses: []altResponse{{Type: mimeCSV, Description: "A header row, then one row per span.", Schema: map[string]any{"type": "string"}, Example: exampleSpanCSV}},
		Handle:       (*API).exportSpans,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/tasks", ID: "listTasks", Tag: "tasks",
		Summary: "List tasks by SLA due time",
		Description: "Tasks ordered by sla_due (tasks without SLA last), opened_at, id. Staff see only their departments: " +
			"without `department` the list covers all of them, another department is 403. `from`/`to` bound opened_at. " +
			"Each task carries its case's `customer` and `channel` (an inbox shows whom it serves). " + descPaging,
		Params: apiv1.ListTasksParams{},
		Status: http.StatusOK, Response: apiv1.TaskList{}, Example: apiv1.TaskList{Tasks: []apiv1.Task{exampleTask}, NextCursor: exampleCursor},
		Errors: []int{403},
		Handle: (*API).listTasks,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/tasks/{id}", ID: "getTask", Tag: "tasks",
		Summary: "Get a task",
		Params:  apiv1.TaskIDParams{},
		Status:  http.StatusOK, Response: apiv1.Task{}, Example: exampleTask,
		Errors: []int{404},
		Handle: (*API).getTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/claim", ID: "claimTask", Tag: "tasks",
		Summary:     "Claim a task",
		Description: "Assigns the open task to the caller; only actors of the task's department (and admins) may.",
		Params:      apiv1.TaskIDParams{},
		Status:      http.StatusOK, Response: apiv1.Task{}, Example: exampleClaimedTask,
		Errors: []int{403, 404, 409},
		Audit:  []string{"task.claim"},
		Handle: (*API).claimTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/unclaim", ID: "unclaimTask", Tag: "tasks",
		Summary: "Unclaim a task",
		Description: "Clears the assignee. The claimant may; so may a team lead of the task's department (`leads` of the token) and " +
			"an admin, who release another actor's claim (audited with `released_from`). Anyone else gets a 409 that names the claimant.",
		Params: apiv1.TaskIDParams{},
		Status: http.StatusOK, Response: apiv1.Task{}, Example: exampleTask,
		Errors: []int{403, 404, 409},
		Audit:  []string{"task.unclaim"},
		Handle: (*API).unclaimTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/assign", ID: "assignTask", Tag: "tasks",
		Summary: "Reassign a task",
		Description: "Gives the open task to `actor`, who must work in the task's department (422), whoever holds it now. Only a team lead " +
			"of the task's department and admins may (403). Audited as `task.assign` with `from` and `to`.",
		Params: apiv1.TaskIDParams{},
		Body:   apiv1.AssignRequest{}, BodyExample: apiv1.AssignRequest{Actor: exampleTokenResponse.Actor.ID},
		Status: http.StatusOK, Response: apiv1.Task{}, Example: exampleClaimedTask,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"task.assign"},
		Handle: (*API).assignTask,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/tasks/{id}/complete", ID: "completeTask", Tag: "tasks",
		Summary: "Complete a task",
		Description: "Completes the task through the case workflow's `complete` Update and returns the next open tasks. " +
			"A retry with the same `Idempotency-Key` after success replays the result (`Idempotent-Replayed: true`); completing a closed task is 409.",
		Params: apiv1.CompleteParams{},
		Body:   apiv1.CompleteRequest{}, BodyExample: apiv1.CompleteRequest{Outcome: "recorded", Data: map[string]any{"severity": "primary", "summary": "Router drops the line every evening"}},
		Status: http.StatusOK, Response: apiv1.CompleteResponse{}, Example: exampleCompletion,
		Errors: []int{403, 404, 409, 413, 415, 422},
		Audit:  []string{"task.complete"},
		Handle: (*API).completeTask,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows", ID: "listFlows", Tag: "flows",
		Summary:     "List flows",
		Description: "One summary per flow key, ordered by key. " + descPaging,
		Params:      apiv1.ListFlowsParams{},
		Status:      http.StatusOK, Response: apiv1.FlowList{}, Example: apiv1.FlowList{Flows: []apiv1.FlowSummary{exampleFlowSummary}},
		Handle: (*API).listFlows,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/validate", ID: "validateFlow", Tag: "flows",
		Summary: "Validate a flow definition",
		Description: "Parses and checks a YAML flow definition without storing it and lists every error and warning with its line and column. " +
			"Any input gets a 200 (`valid: false` with diagnostics for what is wrong), except a body over the size limit (413) or of another media type (415).",
		RawBody: &rawBody{Types: yamlTypes, Description: "A flow definition in YAML.", Example: exampleFlowYAML},
		Status:  http.StatusOK, Response: apiv1.Validate{}, Example: exampleValidation,
		Errors:  []int{413, 415},
		NoAudit: "validation stores nothing",
		Handle:  (*API).validateFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}", ID: "getFlow", Tag: "flows",
		Summary:     "Get a flow version",
		Description: "The default (or `version`) definition of a flow, its YAML source and the list of its versions.",
		Params:      apiv1.FlowParams{},
		Status:      http.StatusOK, Response: apiv1.FlowDetail{}, Example: exampleFlowDetail,
		Errors: []int{404},
		Handle: (*API).getFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/bottlenecks", ID: "getFlowBottlenecks", Tag: "flows",
		Summary: "Where cases of a flow wait",
		Description: "Per-step waiting (entered → claimed) and working (claimed → completed) time quantiles in seconds, SLA breach rate, " +
			"escalations and share of the total cycle time, from the spans entered in [`from`, `to`); the step with the largest share is the bottleneck.",
		Params: apiv1.BottlenecksParams{},
		Status: http.StatusOK, Response: apiv1.Bottlenecks{}, Example: exampleBottlenecks,
		Errors: []int{404},
		Handle: (*API).bottlenecks,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/trend", ID: "getFlowTrend", Tag: "flows",
		Summary: "A flow's weekly cycle time",
		Description: "The flow's cases completed in each ISO week (Monday 00:00 UTC to the next; `from` and `to` are widened to whole " +
			"weeks, default the 12 weeks up to now, at most 106 weeks), by the week of their close: `n`, the median and p90 cycle time " +
			"(created → closed, seconds) and the SLA breach rate of their completed tasks' spans that had an SLA (`breached_spans` / " +
			"`task_spans`). Completed means as pilots count it: status completed (cancelled and failed cases are left out). `version` " +
			"keeps the cases on that version (their current one after a migration). Every week of the range is listed, oldest first; " +
			"a week without completed cases has `n` 0 and null values. 404 for an unknown flow or version.",
		Params: apiv1.FlowTrendParams{},
		Status: http.StatusOK, Response: apiv1.FlowTrend{}, Example: exampleFlowTrend,
		Errors: []int{404},
		Handle: (*API).flowTrend,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/versions", ID: "publishFlowVersion", Tag: "flows",
		Summary: "Publish a flow version",
		Description: "Validates the YAML definition and stores it as the next version of the flow (the latest + 1). The definition's `key` must be " +
			"the path's; its `version` may be left out, otherwise it must be that next number (409 names it). Errors of the definition are a 422 " +
			"whose `errors[].field` is `line:column`. Publishing content identical (sha256 of the YAML) to an existing version of the key changes " +
			"nothing and returns that version (200). The first version of a new key becomes its default; later ones become the default only through " +
			"PUT /api/v1/flows/{key}/default.",
		Roles:   authz.FlowEditors,
		Params:  apiv1.FlowKeyParams{},
		RawBody: &rawBody{Types: yamlTypes, Description: "A flow definition in YAML.", Example: exampleFlowYAML},
		Status:  http.StatusCreated, AltStatuses: []int{http.StatusOK}, Response: apiv1.FlowVersionDetail{}, Example: exampleFlowVersionDetail,
		Errors: []int{409, 413, 415, 422},
		Audit:  []string{"flow.publish"},
		Handle: (*API).publishFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions", ID: "listFlowVersions", Tag: "flows",
		Summary:     "List the versions of a flow",
		Description: "Versions in ascending order, with their default and retired flags. " + descPaging,
		Params:      apiv1.FlowVersionsParams{},
		Status:      http.StatusOK, Response: apiv1.FlowVersionList{}, Example: apiv1.FlowVersionList{Versions: []apiv1.FlowVersion{exampleFlowVersion}},
		Errors: []int{404},
		Handle: (*API).listFlowVersions,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}", ID: "getFlowVersion", Tag: "flows",
		Summary:     "Get a flow version",
		Description: "The version with its compiled definition and YAML source; with `Accept: application/yaml` (or text/yaml) the YAML source alone, as published.",
		Params:      apiv1.FlowVersionParams{},
		Status:      http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleFlowVersionDetail,
		AltResponses: []altResponse{
			{Type: "application/yaml", Description: "The YAML source as published.", Schema: map[string]any{"type": "object"}, Example: exampleFlowYAMLValue},
			{Type: "text/yaml", Description: "The YAML source as published.", Schema: map[string]any{"type": "object"}, Example: exampleFlowYAMLValue},
		},
		Errors: []int{404},
		Handle: (*API).getFlowVersion,
	},
	{
		Method: http.MethodPut, Pattern: "/api/v1/flows/{key}/default", ID: "setFlowDefault", Tag: "flows",
		Summary:     "Choose the default version of a flow",
		Description: "New cases of the flow get this version; running cases keep theirs. A retired version cannot be the default (409).",
		Roles:       authz.FlowEditors,
		Params:      apiv1.FlowKeyParams{},
		Body:        apiv1.SetDefaultRequest{}, BodyExample: apiv1.SetDefaultRequest{Version: 3},
		Status: http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleDefaultVersion,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"flow.default"},
		Handle: (*API).setFlowDefault,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/versions/{v}/retire", ID: "retireFlowVersion", Tag: "flows",
		Summary: "Retire a flow version",
		Description: "A retired version receives no new cases; cases running on it finish on it. The default version cannot be retired (409): " +
			"choose another default first. Retiring a retired version changes nothing.",
		Roles:  authz.FlowEditors,
		Params: apiv1.FlowVersionParams{},
		Status: http.StatusOK, Response: apiv1.FlowVersionDetail{}, Example: exampleRetiredVersion,
		Errors: []int{404, 409},
		Audit:  []string{"flow.retire"},
		Handle: (*API).retireFlowVersion,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/flows/{key}/migrations", ID: "migrateFlowCases", Tag: "flows",
		Summary: "Move running cases onto another version",
		Description: "Moves every active case of version `from` onto version `to` through the case workflow's `migrate` Update: at a safe point " +
			"(waiting at a task or a wait step) the open task is closed as cancelled with outcome `migrated` and the case continues at " +
			"`mapping[step]`, entered fresh. `mapping` names a step of `to` for each step of `from` a case may wait at (422 names an unknown " +
			"step on either side); `to` must not be retired (422); a missing flow or version is 404. A case that cannot move (an unmapped step, " +
			"between steps, no longer running, assigned to an arm of the flow's running pilot...) is reported `refused` with the reason and left unchanged. `dry_run` reports what a real run " +
			"would do (`would_migrate` or `refused`), changes nothing and writes no audit. A real run audits each case (`case.migrate`, " +
			"`case.migrate_refused`) and the migration (`flow.migrate`). One request handles up to 10000 cases, newest first (`truncated` " +
			"says more remain: run it again). Each case's Update ID is `<migration_id>:<case id>`. If the workflow engine becomes unavailable " +
			"the request stops with 503; the cases migrated by then are in the audit trail and a new request picks up the rest.",
		Roles:  authz.FlowEditors,
		Params: apiv1.FlowKeyParams{},
		Body:   apiv1.MigrateRequest{}, BodyExample: exampleMigrateRequest,
		Status: http.StatusOK, Response: apiv1.Migration{}, Example: exampleMigration,
		Errors: []int{404, 413, 415, 422},
		Audit:  []string{"flow.migrate"},
		Handle: (*API).migrateFlow,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/diff", ID: "diffFlowVersions", Tag: "flows",
		Summary: "Compare two versions of a flow",
		Description: "Steps added, removed and changed (field by field), flow-level changes, and the department handoffs removed and added " +
			"(a handoff is a path from one task to the next that changes department). With `Accept: text/plain` a readable report.",
		Params: apiv1.FlowDiffParams{},
		Status: http.StatusOK, Response: flow.DiffResult{}, Example: exampleDiff,
		AltResponses: []altResponse{{Type: mimeText, Description: "The comparison as a readable report.", Schema: map[string]any{"type": "string"}, Example: exampleDiff.Text()}},
		Errors:       []int{404},
		Handle:       (*API).diffFlow,
	},
	{
		Method: http.MethodGet, Pattern: FlowSchemaPath, ID: "getFlowSchema", Tag: "flows",
		Summary: "JSON Schema of the flow YAML format",
		Description: "For editors: VS Code (redhat.vscode-yaml) and JetBrains IDEs complete and check flow YAML against it. It covers the structure; " +
			"POST /api/v1/flows/validate adds the checks a schema cannot express (targets, reachability, departments, rules).",
		Public:       true,
		ResponseType: mimeSchema,
		Status:       http.StatusOK, Response: map[string]any{},
		Handle: (*API).flowSchema,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}/graph.svg", ID: "getFlowGraphSVG", Tag: "flows",
		Summary: "Draw a flow version",
		Description: "The version's steps and transitions laid out by Graphviz: tasks as boxes, decisions as diamonds, filled by department " +
			"(legend), edges labelled by outcome, rule, default, timeout or next. With `heat` the steps are filled white to red by a metric of the " +
			"bottleneck statistics of the spans entered in [`from`, `to`) (as GET /api/v1/flows/{key}/bottlenecks) and labelled with its value; " +
			"steps at or above `warn` get a thick border, at or above `alert` a thick red one; without `warn` and `alert` the colour scale " +
			"comes from the data (0 and the steps' 25th, 50th, 75th percentile and largest value). The same request gives the same bytes. " +
			"A graph of more than 150 steps, 450 transitions or 64 KiB of names and labels is refused (422, type graph-too-large) before its layout, " +
			"as is one whose layout takes longer than 10 s (it is stopped); when the server already draws as many graphs as it may at once, " +
			"the answer is 503 (type graph-layout-busy) with `Retry-After`. Each drawing is cached.",
		Params:       apiv1.GraphSVGParams{},
		ResponseType: mimeSVG,
		Status:       http.StatusOK, Response: "", Example: exampleGraphSVG,
		Errors: []int{404, 422},
		Handle: (*API).flowGraphSVG,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/flows/{key}/versions/{v}/graph.json", ID: "getFlowGraph", Tag: "flows",
		Summary: "The graph of a flow version",
		Description: "Nodes (steps) in the definition's order with their bottleneck statistics over the spans entered in [`from`, `to`) " +
			"(as GET /api/v1/flows/{key}/bottlenecks; absent for steps without spans), edges labelled as in graph.svg, and the departments " +
			"with the colours graph.svg uses.",
		Params: apiv1.GraphJSONParams{},
		Status: http.StatusOK, Response: apiv1.Graph{}, Example: exampleGraphJSON,
		Errors: []int{404},
		Handle: (*API).flowGraphJSON,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots", ID: "startPilot", Tag: "pilots",
		Summary: "Start a pilot",
		Description: "Pilots the `treatment` version of a flow against `control` (default: the flow's default version) on `share` percent of new " +
			"cases, assigned by a hash of the pilot and the customer (`unit: customer`, the default: a customer stays in one arm) or the case. " +
			"The Pilot workflow evaluates every `evaluate_every` (default 1h) until the primary metric decides, a guardrail stops the treatment " +
			"or `max_duration` (default 14d) is reached. Durations are strings like 14d, 36h or 90m. Invalid fields are a 422 naming each; an " +
			"unknown flow is 404; a missing or retired version a 422 on `control` or `treatment`; another running pilot of the flow a 409 naming it. " +
			"If the workflow cannot start, the pilot is stopped (reason: the pilot's workflow could not start) and the answer is 503.",
		Roles: authz.PilotRunners,
		Body:  apiv1.StartPilotRequest{}, BodyExample: exampleStartPilot,
		Status: http.StatusCreated, Response: apiv1.Pilot{}, Example: examplePilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.start"},
		Handle: (*API).startPilot,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots", ID: "listPilots", Tag: "pilots",
		Summary:     "List pilots",
		Description: "Pilots newest first (created_at, id), optionally of one flow, in one status, created in [`from`, `to`). " + descPaging,
		Params:      apiv1.ListPilotsParams{},
		Status:      http.StatusOK, Response: apiv1.PilotList{}, Example: apiv1.PilotList{Pilots: []apiv1.Pilot{examplePilot}},
		Handle: (*API).listPilots,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots/{id}", ID: "getPilot", Tag: "pilots",
		Summary:     "Get a pilot",
		Description: "The pilot with its last stored evaluation and, while it runs, `live`: its workflow's status (left out when the workflow engine does not answer).",
		Params:      apiv1.PilotIDParams{},
		Status:      http.StatusOK, Response: apiv1.Pilot{}, Example: examplePilotLive,
		Errors: []int{404},
		Handle: (*API).getPilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/stop", ID: "stopPilot", Tag: "pilots",
		Summary: "Stop a pilot",
		Description: "Signals the pilot's workflow to stop; the workflow ends the pilot (status stopped) and new cases of the flow get its default " +
			"version again. The answer is 200 once the pilot has ended (the server waits up to 2 seconds), else 202 with the pilot still `running` " +
			"for a moment. A pilot whose workflow is gone is ended directly. A pilot that is not running is a 409.",
		Roles:  authz.PilotRunners,
		Params: apiv1.PilotIDParams{},
		Body:   apiv1.StopPilotRequest{}, BodyExample: apiv1.StopPilotRequest{Reason: "customers complain about the new form"},
		Status: http.StatusOK, AltStatuses: []int{http.StatusAccepted}, Response: apiv1.Pilot{}, Example: exampleStoppedPilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.stop"},
		Handle: (*API).stopPilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/evaluate", ID: "evaluatePilot", Tag: "pilots",
		Summary: "Evaluate a pilot now",
		Description: "Runs a look now through the Pilot workflow's `evaluate` Update (as its timer would: the result is stored and acted on, so " +
			"the pilot may conclude or stop). The Update ID is the `Idempotency-Key` when given (a retry looks once), else a new one. " +
			"A pilot that is not running is a 409. Returns the pilot with the new results and `live`.",
		Roles:  authz.PilotRunners,
		Params: apiv1.EvaluatePilotParams{},
		Status: http.StatusOK, Response: apiv1.Pilot{}, Example: examplePilotLive,
		Errors: []int{404, 409},
		Audit:  []string{"pilot.evaluate"},
		Handle: (*API).evaluatePilot,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/pilots/{id}/promote", ID: "promotePilot", Tag: "pilots",
		Summary: "Promote a pilot's arm",
		Description: "Makes the version of `arm` the flow's default (new cases get it; running cases keep theirs) and marks the pilot promoted, " +
			"with an audit entry. A running pilot is stopped first (409 if it has not ended within 2 seconds: retry). Promoting the same arm again " +
			"changes nothing; the other arm of a promoted pilot, or a retired version, is a 409.",
		Roles:  authz.PilotRunners,
		Params: apiv1.PilotIDParams{},
		Body:   apiv1.PromotePilotRequest{}, BodyExample: apiv1.PromotePilotRequest{Arm: "treatment"},
		Status: http.StatusOK, Response: apiv1.Pilot{}, Example: examplePromotedPilot,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"pilot.promote"},
		Handle: (*API).promotePilot,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/pilots/{id}/results", ID: "getPilotResults", Tag: "pilots",
		Summary: "A pilot's statistics",
		Description: "Evaluates the pilot now from its current cases, without storing anything, so the numbers equal a recomputation from " +
			"GET /api/v1/spans?pilot=: per arm the cases, median and p90 cycle time, SLA breach and FCR rates and mean CSAT; per metric the " +
			"effect (treatment versus control), its 95% CI, p-value and verdict; the sample-ratio check; guardrail states; the decision, winner " +
			"and recommendation; the cases per arm needed for 80% power. `last_look` is what the Pilot workflow stored at its last look; " +
			"`steps` compares each step's waiting and working time between the arms. Cycle time is `cycle_seconds` (creation to close of a " +
			"completed case); the arms' median and p90 are of those seconds, while the cycle_time test, effect and CI are computed on " +
			"ln(max(cycle_seconds, 1)), so a case closed within a second counts as 1 s, and the effect is exp(d) - 1 of the Hodges-Lehmann " +
			"shift d of those logs (docs/decisions/0008-pilots.md).",
		Params: apiv1.PilotIDParams{},
		Status: http.StatusOK, Response: apiv1.PilotResults{}, Example: examplePilotResults,
		Errors: []int{404},
		Handle: (*API).pilotResults,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals", ID: "createProposal", Tag: "improvement",
		Summary: "Propose an improvement",
		Description: "An open proposal: `title` (1–200 characters), `body` (up to 5000). With `anonymous: true` no author is stored " +
			"(`author` is null) and the audit entry `proposal.create` names the actor `anonymous`, not the caller.",
		Body: apiv1.CreateProposalRequest{}, BodyExample: exampleCreateProposal,
		Status: http.StatusCreated, Response: apiv1.Proposal{}, Example: exampleProposal,
		Errors: []int{413, 415, 422},
		Audit:  []string{"proposal.create"},
		Handle: (*API).createProposal,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/proposals", ID: "listProposals", Tag: "improvement",
		Summary:     "List proposals, newest first",
		Description: "Proposals ordered by created_at, then id, descending, optionally in one status; `from`/`to` bound created_at. " + descPaging,
		Params:      apiv1.ListProposalsParams{},
		Status:      http.StatusOK, Response: apiv1.ProposalList{}, Example: apiv1.ProposalList{Proposals: []apiv1.Proposal{exampleVotedProposal}, NextCursor: exampleCursor},
		Handle: (*API).listProposals,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/proposals/{id}", ID: "getProposal", Tag: "improvement",
		Summary: "Get a proposal",
		Params:  apiv1.ProposalIDParams{},
		Status:  http.StatusOK, Response: apiv1.Proposal{}, Example: exampleVotedProposal,
		Errors: []int{404},
		Handle: (*API).getProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/vote", ID: "voteProposal", Tag: "improvement",
		Summary: "Vote for a proposal",
		Description: "One vote per actor: a repeat changes nothing and answers `voted: false`. `votes` is the count now. " +
			"A proposal that is no longer open is a 409.",
		Params: apiv1.ProposalIDParams{},
		Status: http.StatusOK, Response: apiv1.Vote{}, Example: apiv1.Vote{ProposalID: exampleProposalID, Voted: true, Votes: 7},
		Errors: []int{404, 409},
		Audit:  []string{"proposal.vote"},
		Handle: (*API).voteProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/adopt", ID: "adoptProposal", Tag: "improvement",
		Summary: "Adopt a proposal: start a PDCA cycle for it",
		Description: "Starts a case of the built-in flow `pdca` exactly as POST /api/v1/cases would (customer `improvement-team`, channel `app`, " +
			"attributes `flow`, `metric`, `proposal_id` and `problem`: the proposal's title), then marks the proposal adopted by that case " +
			"(audit `proposal.adopt`). An unknown `flow` is a 404, a `metric` other than cycle_time, sla_breach_rate, fcr or csat a 422, a " +
			"proposal that is not open a 409. The case comes first: if the proposal stops being open meanwhile (declined, adopted by another " +
			"request) the case is cancelled and the answer is 409; if the request fails after the case was stored, the proposal stays open and " +
			"a retry with the same flow and metric continues with the same case.",
		Roles:  authz.ProposalDeciders,
		Params: apiv1.ProposalIDParams{},
		Body:   apiv1.AdoptProposalRequest{}, BodyExample: apiv1.AdoptProposalRequest{Flow: "complaint", Metric: "cycle_time"},
		Status: http.StatusCreated, Response: apiv1.Adoption{}, Example: exampleAdoption,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"proposal.adopt"},
		Handle: (*API).adoptProposal,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/proposals/{id}/decline", ID: "declineProposal", Tag: "improvement",
		Summary:     "Decline a proposal",
		Description: "Marks an open proposal declined (409 when it is not open); the optional `reason` (up to 1000 characters) is kept in the audit entry `proposal.decline`.",
		Roles:       authz.ProposalDeciders,
		Params:      apiv1.ProposalIDParams{},
		Body:        apiv1.DeclineProposalRequest{}, BodyExample: apiv1.DeclineProposalRequest{Reason: "covered by the refund policy change in April"},
		Status: http.StatusOK, Response: apiv1.Proposal{}, Example: exampleDeclinedProposal,
		Errors: []int{404, 409, 413, 415, 422},
		Audit:  []string{"proposal.decline"},
		Handle: (*API).declineProposal,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/improvements", ID: "listImprovements", Tag: "improvement",
		Summary: "List the PDCA cycles, newest first",
		Description: "Every case of flow `pdca` as an improvement: its stage (current step, `closed` once closed), the flow and metric it " +
			"improves, the baseline, the Plan task's target, its pilot, the promoted version, the proposal it adopts and its `outcome`: " +
			"`standardised` (promoted_version set), `abandoned` (cancelled, failed, or closed through Plan's `abandoned`), `not standardised` " +
			"(closed otherwise without a promotion), `replanned` (open and back at Plan after a pilot) or `in progress`. Ordered like cases " +
			"(created_at, id, descending); `from`/`to` bound created_at. " + descPaging,
		Params: apiv1.ListImprovementsParams{},
		Status: http.StatusOK, Response: apiv1.ImprovementList{}, Example: apiv1.ImprovementList{Improvements: []apiv1.Improvement{exampleImprovement}, NextCursor: exampleCursor},
		Handle: (*API).listImprovements,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/kpis/improvement", ID: "getImprovementKPIs", Tag: "improvement",
		Summary: "Improvement KPIs",
		Description: "Proposals by status; the adoption rate, adopted / (adopted + declined), against its target 0.7; the PDCA cycles " +
			"(total, open, completed, standardised, abandoned); improvements landed, standardised / completed cycles, against its target 0.9. " +
			"A rate with a zero denominator is null, and so is whether it meets its target. Computed from every proposal and cycle at each request.",
		Status: http.StatusOK, Response: apiv1.ImprovementKPIs{}, Example: exampleImprovementKPIs,
		Handle: (*API).improvementKPIs,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/kpis/service", ID: "getServiceKPIs", Tag: "kpis",
		Summary: "Service KPIs per week and channel",
		Description: "The service KPIs of the plans for the cases created in each ISO week (Monday 00:00 UTC to the next; `from` and `to` " +
			"are widened to whole weeks, default the 12 weeks up to now, at most 106 weeks), for every channel together (`all`) and per " +
			"channel (`channels`, in the order of the top-level `channels`), and over the whole range (`overall`). Every week is listed, " +
			"oldest first, weeks without cases included. Each KPI has `value`, `n` (its denominator), `target`, `direction` and " +
			"`meets_target`; `value` and `meets_target` are null when `n` is 0.\n\n" +
			"- `csat`: answers of 4 or 5 / cases with a CSAT answer (top-2-box), at least 0.9; `mean` is the mean answer.\n" +
			"- `nps`: 100 × (promoters (9–10) − detractors (0–6)) / cases with an NPS answer, at least 50.\n" +
			"- `fcr`: first-contact resolution as pilots count it: of the completed cases whose resolution is known, those the customer " +
			"said were resolved at first contact and that were not reopened within the reopen window (`reopen_window_seconds`; a case " +
			"reopened within it counts as not resolved even without an answer); at least 0.85.\n" +
			"- `first_response`: seconds from the case's creation to the first claim of any of its tasks (a task completed without a " +
			"claim counts as claimed when completed); `value` is the median, `p90` the 90th percentile; cases without a claim yet are " +
			"not counted; the median at most 30 s.\n" +
			"- `on_time`: spans of completed tasks that had an SLA and were completed by their due time / those spans; at least 0.95.\n" +
			"- `complaint_rate`: cases of flow `complaint` or a key starting with `complaint-` / all cases; at most 0.02.\n\n" +
			"Cases of the improvement flow `pdca` are left out unless `flow=pdca`. Computed from the cases at each request (ADR 0015).",
		Params: apiv1.ServiceKPIsParams{},
		Status: http.StatusOK, Response: apiv1.ServiceKPIs{}, Example: exampleServiceKPIs,
		Handle: (*API).serviceKPIs,
	},
}

// Parameters of the routes.

// Response bodies that are not views of store types.
