package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/workflows"
)

// The authorization matrix: every route of apiRoutes, requested by an
// actor of every role in the department of the objects (A) and in another
// one (B), and without a token, through the real handler with a valid
// request, against the rules below. The rules are written out here, one per
// operation, on their own: they do not read route.Roles or call the
// server's checks, so a change to either that lets someone through fails
// the test, and so does a route added without a rule.

// Departments of the matrix: the seeded case waits at complaint's first
// task, in department A.
// Department C serves no complaint case: the complaint flow does not list
// it and no complaint task was ever in it.
const (
	deptA = "customer_service"
	deptB = "technical"
	deptC = "billing"
)

// accessRule says who may call an operation.
type accessRule struct {
	public bool     // no token needed
	roles  []string // the roles allowed; nil: every role
	// scoped are the roles that must also work in the department of the
	// object (admins never need to).
	scoped []string
	// serving: besides admins and owners, only actors of a department
	// that serves the case (the complaint flow lists A and B, not C).
	serving bool
	// ownersOrLeads: admins, owners and the team leads of department A.
	ownersOrLeads bool
	// person: those and the person the path names (staff-A).
	person bool
	// leadsOnly: only admins and the team leads of the object's
	// department (A).
	leadsOnly bool
	// alertAck: those who edit alert rules (admins, owners, improvers)
	// and the team leads of the rule's department (A).
	alertAck bool
}

var (
	anyone          = accessRule{}
	publicRoute     = accessRule{public: true}
	adminOnly       = accessRule{roles: []string{store.RoleAdmin}}
	ownersAndAdmins = accessRule{roles: []string{store.RoleAdmin, store.RoleOwner}}
	improvers       = accessRule{roles: []string{store.RoleAdmin, store.RoleImprover}}
	// Event logs hold every customer's history: not for staff (issue 17).
	alertEditors = accessRule{roles: []string{store.RoleAdmin, store.RoleOwner, store.RoleImprover}}
	logReaders   = accessRule{roles: []string{store.RoleAdmin, store.RoleOwner, store.RoleImprover}}
	flowReaders  = accessRule{roles: []string{store.RoleAdmin, store.RoleOwner, store.RoleImprover}}
	// The task's department's members act on it, whatever their role.
	taskDepartment = accessRule{scoped: []string{store.RoleOwner, store.RoleStaff, store.RoleImprover}}
	// Staff and improvers see only their departments' inboxes; other
	// roles see all.
	inboxes = accessRule{scoped: []string{store.RoleStaff, store.RoleImprover}}
	// Changes to a case's KPIs: those who serve it (decision 0023).
	servingCase = accessRule{serving: true}
	// Moving another actor's task: its department's team leads.
	teamLeads = accessRule{leadsOnly: true}
	// People and their measures: owners, admins and the team leads of
	// their department; a person themselves.
	leadsAndOwners = accessRule{ownersOrLeads: true}
	aPerson        = accessRule{person: true}
)

// authzRules is the access policy, by operation id.
var authzRules = map[string]accessRule{
	"getHealth": publicRoute, "getReadiness": publicRoute, "getMetrics": publicRoute,
	"getOpenAPI": publicRoute, "getFlowSchema": publicRoute,

	"createToken": adminOnly, "listTokens": adminOnly, "revokeToken": adminOnly, "listAudit": adminOnly,
	"listSessions": adminOnly, "endSession": adminOnly,
	"getActor":     anyone,
	"createPerson": adminOnly, "listPeople": leadsAndOwners, "getWork": leadsAndOwners, "getPerson": aPerson, "updatePerson": aPerson,
	"listNotifications": anyone, "countUnreadNotifications": anyone, "readNotifications": anyone,

	"createCase": anyone, "listCases": anyone, "getCase": anyone,
	"cancelCase":  ownersAndAdmins,
	"restartCase": ownersAndAdmins, "closeFailedCase": ownersAndAdmins,
	"sendCaseEvent": servingCase, "reopenCase": servingCase,
	"putCaseFeedback": servingCase, "getCaseFeedback": anyone, "exportSpans": anyone,

	"listTasks": inboxes, "getTask": anyone,
	"claimTask": taskDepartment, "unclaimTask": taskDepartment, "completeTask": taskDepartment,
	"assignTask": teamLeads,

	"listFlows": anyone, "getFlow": anyone, "getFlowBottlenecks": anyone, "validateFlow": anyone,
	"listFlowVersions": anyone, "getFlowVersion": anyone, "diffFlowVersions": anyone,
	"getFlowGraphSVG": anyone, "getFlowGraph": anyone, "getFlowTrend": anyone,
	"publishFlowVersion": ownersAndAdmins, "setFlowDefault": ownersAndAdmins,
	"retireFlowVersion": ownersAndAdmins, "migrateFlowCases": ownersAndAdmins,

	"startPilot": improvers, "stopPilot": improvers, "evaluatePilot": improvers, "promotePilot": improvers,
	"listPilots": anyone, "getPilot": anyone, "getPilotResults": anyone,

	"createProposal": anyone, "listProposals": anyone, "getProposal": anyone, "voteProposal": anyone,
	"adoptProposal": improvers, "declineProposal": improvers,
	"listImprovements": anyone, "getImprovementKPIs": anyone,
	"getServiceKPIs": anyone,
	// A flowlab dev's simulated history (decision 0044).
	"startDemoHistory": adminOnly, "getDemoHistory": adminOnly,
	// Review packs: those who read flows (decision 0042).
	"getMonthlyReview": flowReaders, "getQuarterlyReview": flowReaders,

	"previewLog": logReaders, "importLog": logReaders, "listLogs": logReaders, "getLog": logReaders,
	"getLogSummary": logReaders, "listLogVariants": logReaders, "listLogCases": logReaders, "getLogMap": logReaders,
	"renderLogMap": logReaders, "getLogActivities": logReaders, "getLogHandoffs": logReaders,
	"draftFlowFromLog": logReaders, "compareLogWithFlow": logReaders,
	"renameLog": ownersAndAdmins, "deleteLog": ownersAndAdmins,

	"listAlertRules": anyone, "getAlertRule": anyone, "listAlertEvents": anyone, "getAlertMetrics": anyone,
	"createAlertRule": alertEditors, "updateAlertRule": alertEditors, "deleteAlertRule": alertEditors, "evaluateAlert": alertEditors,
	"acknowledgeAlert": accessRule{alertAck: true}, "silenceAlert": accessRule{alertAck: true},
	"getWatchlist": anyone, "addWatch": ownersAndAdmins, "removeWatch": ownersAndAdmins,
	// What-if simulations: those who read flows (decision 0045).
	"createSimulation": flowReaders, "listSimulations": flowReaders, "getSimulation": flowReaders,
}

// matrixActor is a column of the matrix.
type matrixActor struct {
	name, role, dept string // name "" is a request without a token
	lead             bool   // the team lead of dept
	// also is a second department they work in (not lead): a person of
	// several departments (issue 20).
	also string
}

// worksIn reports whether a works in department d.
func (a matrixActor) worksIn(d string) bool { return a.dept == d || a.also == d }

var matrixActors = []matrixActor{
	{name: "admin", role: store.RoleAdmin},
	{name: "owner-A", role: store.RoleOwner, dept: deptA}, {name: "owner-B", role: store.RoleOwner, dept: deptB},
	{name: "improver-A", role: store.RoleImprover, dept: deptA}, {name: "improver-B", role: store.RoleImprover, dept: deptB},
	{name: "staff-A", role: store.RoleStaff, dept: deptA}, {name: "staff-B", role: store.RoleStaff, dept: deptB},
	{name: "staff-C", role: store.RoleStaff, dept: deptC},
	{name: "lead-A", role: store.RoleStaff, dept: deptA, lead: true},
	// Staff of C who also work in A: A's objects are theirs by the second
	// department, and leading is not.
	{name: "staff-CA", role: store.RoleStaff, dept: deptC, also: deptA},
	{},
}

// expect is the status class the rules give a cell: 2xx, or the refusal.
func (r accessRule) expect(a matrixActor) int {
	switch {
	case r.public:
		return http.StatusOK
	case a.name == "":
		return http.StatusUnauthorized
	case a.role == store.RoleAdmin:
		return http.StatusOK
	case r.roles != nil && !slices.Contains(r.roles, a.role):
		return http.StatusForbidden
	case slices.Contains(r.scoped, a.role) && !a.worksIn(deptA):
		return http.StatusForbidden
	case r.serving && a.role != store.RoleOwner && !a.worksIn(deptA) && !a.worksIn(deptB):
		return http.StatusForbidden
	case r.leadsOnly && !(a.lead && a.dept == deptA):
		return http.StatusForbidden
	case r.ownersOrLeads && a.role != store.RoleOwner && !(a.lead && a.dept == deptA):
		return http.StatusForbidden
	case r.alertAck && a.role != store.RoleOwner && a.role != store.RoleImprover && !(a.lead && a.dept == deptA):
		return http.StatusForbidden
	case r.person && a.role != store.RoleOwner && !(a.lead && a.dept == deptA) && a.name != "staff-A":
		return http.StatusForbidden
	}
	return http.StatusOK
}

// worldTemplate is a migrated SQLite file with the built-in flows and a
// token for every matrix actor; each world starts from a copy of it.
type worldTemplate struct {
	path   string
	tokens map[string]string
	ids    map[string]string // actor ids by matrix name
}

func newWorldTemplate(t testing.TB) *worldTemplate {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "template.db")
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, SeedBuiltinFlows(ctx, st))
	tpl := &worldTemplate{path: path, tokens: map[string]string{"admin": testAdminToken}, ids: map[string]string{"admin": httpx.AdminActorID}}
	now := time.Now().UTC()
	for _, a := range matrixActors {
		if a.name == "" || a.role == store.RoleAdmin {
			continue
		}
		var leads []string
		if a.lead {
			leads = []string{a.dept}
		}
		deps := []string{a.dept}
		if a.also != "" {
			deps = append(deps, a.also)
		}
		actor, err := st.CreateActor(ctx, store.CreateActorParams{Name: a.name, Role: a.role, Departments: deps, Leads: leads, At: now})
		require.NoError(t, err)
		tok, hash, err := httpx.NewToken()
		require.NoError(t, err)
		_, err = st.CreateToken(ctx, store.CreateTokenParams{ActorID: actor.ID, Hash: hash, At: now})
		require.NoError(t, err)
		tpl.tokens[a.name] = tok
		tpl.ids[a.name] = actor.ID
	}
	require.NoError(t, st.Close())
	_, err = os.Stat(path + "-wal")
	require.True(t, os.IsNotExist(err), "the template is checkpointed into one file")
	return tpl
}

// world is a fresh API over a copy of the template, seeded for a route:
// a complaint case waiting at its first task (department A) and what the
// route's path names (a closed case, a running pilot, an open proposal, a
// token, feedback).
type world struct {
	e                                                 *testEnv
	caseID, taskID, closedCaseID, pilotID, proposalID string
	tokenID, actorID, failedCaseID, logID             string
	sessionID, alertID, watchID, simulationID         string
	ids                                               map[string]string // matrix actors' ids
}

// What a world holds beyond the case waiting in department A.
const (
	needClosedCase = "closed case"
	needFeedback   = "feedback"
	needPilot      = "pilot"
	needProposal   = "proposal"
	needToken      = "token"
	// needFailedCase: a case whose workflow ended behind flowlab's back,
	// marked failed; needEventWait: the case waits for the event of the
	// events route's example.
	needFailedCase = "failed case"
	needEventWait  = "event wait"
	needLog        = "event log"
	needSession    = "web UI session"
	// needAlert: an alert rule of department A, firing.
	needAlert = "alert rule"
	// needWatch: a step of complaint on the watchlist.
	needWatch = "watch"
	// needSimulation: a simulation of complaint, finished.
	needSimulation = "simulation"
	// needDev: the server is a flowlab dev, its history fill a stand-in
	// that writes nothing.
	needDev = "dev"
)

// needsOf is what rt's path names.
func needsOf(rt route) []string {
	switch {
	case strings.HasPrefix(rt.Pattern, "/api/v1/cases/{id}/reopen"):
		return []string{needClosedCase}
	case rt.ID == "restartCase", rt.ID == "closeFailedCase":
		return []string{needFailedCase}
	case rt.ID == "sendCaseEvent":
		return []string{needEventWait}
	case rt.ID == "getCaseFeedback":
		return []string{needFeedback}
	case strings.HasPrefix(rt.Pattern, "/api/v1/pilots/{id}"):
		return []string{needPilot}
	case strings.HasPrefix(rt.Pattern, "/api/v1/proposals/{id}"):
		return []string{needProposal}
	case strings.HasPrefix(rt.Pattern, "/api/v1/tokens/{id}"), strings.HasPrefix(rt.Pattern, "/api/v1/actors/{id}"):
		return []string{needToken}
	case strings.HasPrefix(rt.Pattern, "/api/v1/logs/{id}"):
		return []string{needLog}
	case strings.HasPrefix(rt.Pattern, "/api/v1/sessions/{id}"):
		return []string{needSession}
	case strings.HasPrefix(rt.Pattern, "/api/v1/alerts/{id}"):
		return []string{needAlert}
	case strings.HasPrefix(rt.Pattern, "/api/v1/watchlist/{id}"):
		return []string{needWatch}
	case strings.HasPrefix(rt.Pattern, "/api/v1/simulations/{id}"):
		return []string{needSimulation}
	case strings.HasPrefix(rt.Pattern, "/api/v1/dev/"):
		return []string{needDev}
	}
	return nil
}

// allNeeds seeds a world every read can be made in.
var allNeeds = []string{needClosedCase, needFeedback, needPilot, needProposal, needToken, needLog, needAlert, needWatch, needSimulation, needDev}

func (tpl *worldTemplate) world(t testing.TB, needs ...string) *world {
	t.Helper()
	return tpl.worldWith(t, nil, needs...)
}

// worldWith is world with a change to the server's configuration.
func (tpl *worldTemplate) worldWith(t testing.TB, opt func(*Config), needs ...string) *world {
	t.Helper()
	ctx := context.Background()
	src, err := os.ReadFile(tpl.path)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "world.db")
	require.NoError(t, os.WriteFile(path, src, 0o600))
	st, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	var opts []func(*Config)
	if opt != nil {
		opts = append(opts, opt)
	}
	if slices.Contains(needs, needDev) {
		opts = append(opts, func(c *Config) {
			c.Dev = true
			c.historyFill = func(context.Context, store.Store, demohistory.Options, func(demohistory.Progress)) (demohistory.Summary, error) {
				return demohistory.Summary{}, nil
			}
		})
	}
	e := newEnvWithStore(t, st, opts...)
	maps.Copy(e.tokens, tpl.tokens)
	w := &world{e: e, ids: tpl.ids}

	// seed sends a request as admin that must succeed.
	seed := func(method, path string, body any) map[string]any {
		t.Helper()
		_, res := e.Send("admin", method, path, body, nil)
		require.Less(t, res.Code, 300, "seed %s %s: %s", method, path, res.Body.String())
		var out map[string]any
		_ = json.Unmarshal(res.Body.Bytes(), &out)
		return out
	}
	c := seed(http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "C-A", "channel": "phone"})
	w.caseID = c["id"].(string)
	w.taskID = e.OpenTask(w.caseID).ID
	require.Equal(t, deptA, e.OpenTask(w.caseID).Department)

	if slices.Contains(needs, needClosedCase) {
		closed := seed(http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "C-B", "channel": "phone"})
		w.closedCaseID = closed["id"].(string)
		status, step, at := store.CaseCompleted, "", time.Now().UTC()
		require.NoError(t, st.UpdateCase(ctx, store.UpdateCaseParams{ID: w.closedCaseID, Status: &status, Step: &step, ClosedAt: &at, At: at}))
	}
	if slices.Contains(needs, needFailedCase) {
		failed := seed(http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "C-F", "channel": "phone"})
		w.failedCaseID = failed["id"].(string)
		e.eng.Terminate(failed["workflow_id"].(string), "Workflow history size exceeds limit.")
		_, fs, err := ReconcileCases(ctx, st, e.eng, nil, ReconcileBatch)
		require.NoError(t, err)
		require.Len(t, fs, 1)
	}
	if slices.Contains(needs, needEventWait) {
		e.eng.Mu.Lock()
		e.eng.StateHook = func(_ string, st workflows.CaseState) (workflows.CaseState, error) {
			st.WaitingFor, st.Open = "customer_replied", nil
			return st, nil
		}
		e.eng.Mu.Unlock()
	}
	if slices.Contains(needs, needFeedback) {
		seed(http.MethodPost, "/api/v1/cases/"+w.caseID+"/feedback", map[string]any{"csat": 4})
	}
	if slices.Contains(needs, needPilot) {
		p := seed(http.MethodPost, "/api/v1/pilots", exampleStartPilot)
		w.pilotID = p["id"].(string)
	}
	if slices.Contains(needs, needProposal) {
		p := seed(http.MethodPost, "/api/v1/proposals", exampleCreateProposal)
		w.proposalID = p["id"].(string)
	}
	if slices.Contains(needs, needToken) {
		tk := seed(http.MethodPost, "/api/v1/tokens", map[string]any{"name": "spare", "role": store.RoleOwner})
		list, err := st.ListTokens(ctx, store.ListTokensParams{ActorID: tk["actor"].(map[string]any)["id"].(string)})
		require.NoError(t, err)
		require.Len(t, list, 1)
		w.tokenID, w.actorID = list[0].ID, list[0].ActorID
	}
	if slices.Contains(needs, needSession) {
		secret, _, err := e.srv.WebSessions(0, 0).Start(ctx, httpx.SessionStart{Token: e.tokens["staff-A"]})
		require.NoError(t, err)
		w.sessionID = sessionIDOf(secret)
	}
	if slices.Contains(needs, needLog) {
		res := e.SendRaw("admin", http.MethodPost, "/api/v1/logs?name=matrix", "text/csv", []byte(exampleLogCSV), nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		var l apiv1.EventLog
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &l))
		w.logID = l.ID
	}
	if slices.Contains(needs, needAlert) {
		// The open backlog of department A above -1 always holds: one
		// evaluation makes the rule fire.
		a := seed(http.MethodPost, "/api/v1/alerts", map[string]any{"name": "matrix", "metric": "open_backlog",
			"scope": map[string]any{"department": deptA}, "condition": map[string]any{"op": "above", "value": -1}, "window": "1h"})
		w.alertID = a["id"].(string)
		res, err := e.eng.EvaluateAlert(ctx, w.alertID, time.Now().UTC())
		require.NoError(t, err)
		require.Equal(t, "firing", res.To)
	}
	if slices.Contains(needs, needWatch) {
		wt := seed(http.MethodPost, "/api/v1/watchlist", map[string]any{"flow": "complaint", "step": "record"})
		w.watchID = wt["id"].(string)
	}
	if slices.Contains(needs, needSimulation) {
		x := seed(http.MethodPost, "/api/v1/simulations", matrixBodies["createSimulation"])
		w.simulationID = x["id"].(string)
		require.NoError(t, e.eng.RunSimulation(ctx, w.simulationID))
	}
	return w
}

// matrixQueries are query strings a valid request of a route carries
// beyond its required parameters: the inbox of department A.
var matrixQueries = map[string]string{
	"listTasks": "department=" + deptA, "listPeople": "department=" + deptA, "getWork": "department=" + deptA,
}

// matrixBodies replace a route's body example where the example names
// objects a fresh world does not have.
var matrixBodies = map[string]any{
	"setFlowDefault": apiv1.SetDefaultRequest{Version: 2},
	// A short simulation: the fake engine runs it in the request.
	"createSimulation": map[string]any{"flow": "complaint", "days": 7, "replications": 2},
}

// request is a valid request of rt in w.
func (w *world) request(t *testing.T, rt route) (path string, body any, header http.Header) {
	t.Helper()
	path = rt.Pattern
	id := w.caseID
	switch {
	case strings.HasPrefix(path, "/api/v1/cases/{id}/reopen"):
		id = w.closedCaseID
	case rt.ID == "restartCase", rt.ID == "closeFailedCase":
		id = w.failedCaseID
	case strings.HasPrefix(path, "/api/v1/tasks/"):
		id = w.taskID
	case strings.HasPrefix(path, "/api/v1/pilots/"):
		id = w.pilotID
	case strings.HasPrefix(path, "/api/v1/proposals/"):
		id = w.proposalID
	case strings.HasPrefix(path, "/api/v1/tokens/"):
		id = w.tokenID
	case strings.HasPrefix(path, "/api/v1/actors/"):
		id = w.actorID
	case strings.HasPrefix(path, "/api/v1/people/"):
		id = w.ids["staff-A"]
	case strings.HasPrefix(path, "/api/v1/logs/"):
		id = w.logID
	case strings.HasPrefix(path, "/api/v1/sessions/"):
		id = w.sessionID
	case strings.HasPrefix(path, "/api/v1/alerts/"):
		id = w.alertID
	case strings.HasPrefix(path, "/api/v1/watchlist/"):
		id = w.watchID
	case strings.HasPrefix(path, "/api/v1/simulations/"):
		id = w.simulationID
	}
	v := "1"
	if rt.ID == "retireFlowVersion" {
		v = "2" // not the default
	}
	path = strings.NewReplacer("{id}", id, "{key}", "complaint", "{v}", v).Replace(path)
	require.NotContains(t, path, "{", "%s: a path parameter the matrix does not fill", rt.ID)

	var query []string
	if rt.Params != nil {
		pt := reflect.TypeOf(rt.Params)
		for i := range pt.NumField() {
			f := pt.Field(i)
			if name := f.Tag.Get("query"); name != "" && f.Tag.Get("required") == "true" {
				query = append(query, name+"="+f.Tag.Get("example"))
			}
		}
	}
	if q := matrixQueries[rt.ID]; q != "" {
		query = append(query, q)
	}
	if len(query) > 0 {
		path += "?" + strings.Join(query, "&")
	}
	switch {
	case rt.ID == "assignTask":
		body = apiv1.AssignRequest{Actor: w.ids["staff-A"]}
	case matrixBodies[rt.ID] != nil:
		body = matrixBodies[rt.ID]
	case rt.Body != nil:
		require.NotNil(t, rt.BodyExample, "%s: a JSON body without an example", rt.ID)
		body = rt.BodyExample
	case rt.RawBody != nil:
		body = []byte(rt.RawBody.Example)
		header = http.Header{"Content-Type": {rt.RawBody.Types[0]}}
	}
	return path, body, header
}

// send sends the request as the named actor and validates the answer
// against the OpenAPI document.
func (w *world) send(t *testing.T, as string, rt route, path string, body any, header http.Header) *httptest.ResponseRecorder {
	t.Helper()
	var raw []byte
	switch b := body.(type) {
	case nil:
	case []byte:
		raw = b
	default:
		var err error
		raw, err = json.Marshal(b)
		require.NoError(t, err)
	}
	req := httptest.NewRequest(rt.Method, path, bytes.NewReader(raw))
	if body != nil && header == nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+w.e.tokens[as])
	}
	rec := httptest.NewRecorder()
	w.e.h.ServeHTTP(rec, req)
	w.e.CheckContract(req, rec)
	return rec
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("the plain test run walks the matrix (see raceEnabled)")
	}
	tpl := newWorldTemplate(t)

	// Every route has a rule, and every rule a route.
	ids := map[string]bool{}
	for _, rt := range apiRoutes {
		ids[rt.ID] = true
		if _, ok := authzRules[rt.ID]; !ok {
			t.Errorf("%s %s (%s) has no rule in authzRules: state who may call it", rt.Method, rt.Pattern, rt.ID)
		}
	}
	for id := range authzRules {
		if !ids[id] {
			t.Errorf("authzRules names %s, which is not a route", id)
		}
	}
	if t.Failed() {
		return
	}

	// Reads share a world; each change gets a fresh one, so one cell's
	// change cannot decide another's answer.
	readWorld := tpl.world(t, allNeeds...)
	var (
		tally   = map[string]int{}
		byRoute = map[string][]string{}
	)
	for _, rt := range apiRoutes {
		rule := authzRules[rt.ID]
		for _, a := range matrixActors {
			col := a.name
			if col == "" {
				col = "no token"
			}
			t.Run(rt.ID+"/"+col, func(t *testing.T) {
				w := readWorld
				if rt.Method != http.MethodGet {
					w = tpl.world(t, needsOf(rt)...)
				}
				path, body, header := w.request(t, rt)
				res := w.send(t, a.name, rt, path, body, header)
				want := rule.expect(a)
				if want == http.StatusOK {
					require.True(t, res.Code >= 200 && res.Code < 300,
						"%s %s as %s: the rules allow it, got %d: %s", rt.Method, path, col, res.Code, res.Body.String())
					tally["allowed (2xx)"]++
					byRoute[rt.ID] = append(byRoute[rt.ID], col)
					return
				}
				require.False(t, res.Code >= 200 && res.Code < 300,
					"%s %s as %s: the rules refuse it (%d), got %d: %s", rt.Method, path, col, want, res.Code, res.Body.String())
				servertest.ProblemOf(t, res, want)
				tally[fmt.Sprintf("refused (%d)", want)]++
			})
		}
	}
	t.Cleanup(func() {
		var total int
		var kinds []string
		for k, n := range tally {
			total += n
			kinds = append(kinds, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(kinds)
		t.Logf("authorization matrix: %d routes × %d actors (admin, owner, improver and staff in department A and B, staff in C, a team lead of A, staff of both C and A, no token) = %d cells checked: %s",
			len(apiRoutes), len(matrixActors), total, strings.Join(kinds, ", "))
		var routes []string
		for id := range byRoute {
			routes = append(routes, id)
		}
		sort.Strings(routes)
		for _, id := range routes {
			t.Logf("  %-22s allowed for %s", id, strings.Join(byRoute[id], ", "))
		}
	})
}

// TestEveryChangeIsAudited performs every route that is not a GET as an
// admin and finds the audit entry its request id left, of one of the
// actions the route declares; reads leave none.
func TestEveryChangeIsAudited(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("the plain test run walks the routes (see raceEnabled)")
	}
	tpl := newWorldTemplate(t)
	var mutations int
	for _, rt := range apiRoutes {
		if rt.Method == http.MethodGet {
			require.Empty(t, rt.Audit, "%s: a read declares audit actions", rt.ID)
			continue
		}
		if len(rt.Audit) == 0 && rt.NoAudit == "" {
			t.Errorf("%s %s changes something but declares no audit action (route.Audit) and no reason for none (route.NoAudit)", rt.Method, rt.Pattern)
			continue
		}
		mutations++
		t.Run(rt.ID, func(t *testing.T) {
			t.Parallel()
			w := tpl.world(t, needsOf(rt)...)
			before, err := w.e.st.ListAudit(context.Background(), store.AuditFilter{})
			require.NoError(t, err)
			path, body, header := w.request(t, rt)
			res := w.send(t, "admin", rt, path, body, header)
			require.Less(t, res.Code, 300, res.Body.String())
			reqID := res.Header().Get(apiv1.RequestIDHeader)
			require.NotEmpty(t, reqID)
			after, err := w.e.st.ListAudit(context.Background(), store.AuditFilter{After: lastID(before)})
			require.NoError(t, err)
			var mine []string
			for _, en := range after {
				require.Equal(t, reqID, en.RequestID, "an entry of another request: %+v", en)
				require.Equal(t, httpx.AdminActorID, en.Actor)
				require.NotEmpty(t, en.Object)
				mine = append(mine, en.Action)
			}
			if rt.NoAudit != "" {
				require.Empty(t, mine, "%s says %q but wrote audit entries", rt.ID, rt.NoAudit)
				return
			}
			require.NotEmpty(t, mine, "%s %s wrote no audit entry", rt.Method, path)
			found := false
			for _, a := range mine {
				found = found || slices.Contains(rt.Audit, a)
			}
			require.True(t, found, "%s wrote %v, none of the declared %v", rt.ID, mine, rt.Audit)
		})
	}
	require.Positive(t, mutations)

	// Reads write nothing.
	w := tpl.world(t, allNeeds...)
	before, err := w.e.st.ListAudit(context.Background(), store.AuditFilter{})
	require.NoError(t, err)
	for _, rt := range apiRoutes {
		if rt.Method != http.MethodGet {
			continue
		}
		path, body, header := w.request(t, rt)
		res := w.send(t, "admin", rt, path, body, header)
		require.Less(t, res.Code, 300, "%s: %s", rt.ID, res.Body.String())
	}
	after, err := w.e.st.ListAudit(context.Background(), store.AuditFilter{})
	require.NoError(t, err)
	require.Equal(t, len(before), len(after), "reads appended audit entries")
}

func lastID(es []store.AuditEntry) int64 {
	if len(es) == 0 {
		return 0
	}
	return es[len(es)-1].ID
}
