package api

import (
	"net/http"
	"reflect"
	"slices"
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
	// MaxLength is the default bound of the body, in bytes, when it is
	// not MaxBodyBytes (an event log's is MaxLogBytes).
	MaxLength int64
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
	{"people", "People's availability, capacity, skills and notification channels, and the assignment measures (ADR 0035, 0036)."},
	{"reports", "Review packs: one flow over a calendar month or quarter, every figure from the code of the route that shows it elsewhere (ADR 0042)."},
	{"simulations", "What-if simulations: a flow's current version and staffing against a proposal, calibrated from its history, every figure with a 95 % interval (ADR 0043, 0045)."},
	{"alerts", "KPI alert rules: a metric over a window in a scope, evaluated by a Temporal Schedule each, ok → pending → firing → resolved (ADR 0040)."},
	{"notifications", "A person's notifications: tasks assigned, reassigned and escalated (ADR 0036)."},
	{"tokens", "Actors and their API tokens."},
	{"audit", "The audit trail of every change (ADR 0011)."},
	{"meta", "Liveness, readiness, metrics and this document."},
	{"dev", "flowlab dev only: simulated history for demonstrations (ADR 0044). Elsewhere these routes answer 404."},
}

const (
	descPaging = "Keyset pagination: `limit` (1–500, default 50) items per page; pass the response's " +
		"`next_cursor` as `cursor` to get the next page (absent on the last page). Unknown query parameters are a 400."
)

// apiRoutes is every route: each resource's table, in the order of the
// document's tags.
var apiRoutes = slices.Concat(metaRoutes, tokenRoutes, sessionRoutes, actorRoutes, peopleRoutes, notificationRoutes, auditRoutes, caseRoutes, feedbackRoutes, spanRoutes, taskRoutes, flowRoutes, pilotRoutes, proposalRoutes, improvementRoutes, kpiRoutes, reportRoutes, alertRoutes, watchRoutes, simulationRoutes, logRoutes, logCompareRoutes, devRoutes)

// Parameters of the routes.

// Response bodies that are not views of store types.
