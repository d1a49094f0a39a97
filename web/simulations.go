package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/readable"
)

// What-if simulations in the web UI (issue 22, decisions 0043 and 0045):
// a form that asks the API to simulate a change (another version or a
// pasted draft, staffing changes, another volume) against the flow as it
// runs now, the list of simulations, and a simulation's page: its progress
// while it runs (the page reloads itself), the reason when it failed, and
// the comparison of both sides with every figure's 95 % interval when it
// succeeded. Everything goes through the API (POST/GET
// /api/v1/simulations), so its checks, roles and audit apply.
var simulationPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/simulations", Roles: authz.FlowViewers, Handle: (*Web).simulations},
	{Method: http.MethodPost, Pattern: "/simulations", Roles: authz.FlowViewers, Handle: (*Web).simulationCreate},
	{Method: http.MethodGet, Pattern: "/simulations/{id}", Roles: authz.FlowViewers, Handle: (*Web).simulationPage},
}

// Bounds of the form (the API checks everything again).
const (
	simMaxStaffRows = 20
	simListSize     = 20
	// simRefreshSeconds is how often a running simulation's page reloads.
	simRefreshSeconds = 2
)

// simWeekdays are the API's weekday names in the form's order.
var simWeekdays = []selectOption{{"mon", "Mon"}, {"tue", "Tue"}, {"wed", "Wed"}, {"thu", "Thu"}, {"fri", "Fri"}, {"sat", "Sat"}, {"sun", "Sun"}}

// simStaffRow is one staffing change of the form as typed.
type simStaffRow struct {
	Index                       int
	Department, Delta, From, To string
	Days                        []string
	// Error is the refusal of this row, in words.
	Error string
}

// simForm is what the form holds.
type simForm struct {
	Flow string
	// Log is the event log to calibrate from; empty: the flow's own
	// history.
	Log string
	// Proposal is "version" (Version) or "draft" (Definition).
	Proposal, Version, Definition string
	Staff                         []simStaffRow
	Volume, Days, Replications    string
}

// simListRow is one simulation of the list.
type simListRow struct {
	apiv1.Simulation
	What, By, StatusClass string
	// Log is the name of the event log it was calibrated from, if any.
	Log     string
	Percent int
}

// simLogOption is an event log the form offers to calibrate from.
type simLogOption struct {
	ID, Label string
}

type simulationsPage struct {
	Flows []apiv1.FlowSummary
	// Logs are the imported event logs the viewer may see, ready ones
	// (and the one chosen, whatever it is).
	Logs        []simLogOption
	Versions    []apiv1.FlowVersion
	Departments []string
	Weekdays    []selectOption
	Form        simForm
	// Error is the refusal of the whole form; Errors are the refusals at
	// the fields (flow, log, version, definition, staff, volume, days,
	// replications); DraftErrors the draft's problems, one a line.
	Error       string
	Errors      map[string]string
	DraftErrors []string
	MaxRows     int
	Rows        []simListRow
	Next        string
}

// defaultSimForm is the form for flow: its default version, one
// staffing row (+1 from 9 to 17 on weekdays, no department chosen yet:
// an unchosen row is left out), the API's defaults.
func defaultSimForm(flowKey string) simForm {
	return simForm{Flow: flowKey, Proposal: "version", Volume: "100", Days: "28", Replications: "20",
		Staff: []simStaffRow{newSimStaffRow()}}
}

func newSimStaffRow() simStaffRow {
	return simStaffRow{Delta: "+1", From: "9", To: "17", Days: []string{"mon", "tue", "wed", "thu", "fri"}}
}

func (s *Web) simulations(w http.ResponseWriter, r *http.Request) error {
	return s.renderSimulations(w, r, http.StatusOK, simulationsPage{Form: defaultSimForm(strings.TrimSpace(r.URL.Query().Get("flow")))})
}

// renderSimulations fills in the flows, the chosen flow's versions and
// departments and the list, and renders the page.
func (s *Web) renderSimulations(w http.ResponseWriter, r *http.Request, status int, page simulationsPage) error {
	flows, err := s.flowSummaries(r)
	if err != nil {
		return err
	}
	page.Flows, page.Weekdays, page.MaxRows = flows, simWeekdays, simMaxStaffRows
	if page.Logs, err = s.simLogOptions(r, page.Form.Log); err != nil {
		return err
	}
	if page.Errors == nil {
		page.Errors = map[string]string{}
	}
	f := &page.Form
	if f.Flow == "" {
		for _, fl := range flows {
			if f.Flow == "" || fl.Key == "complaint" {
				f.Flow = fl.Key
			}
		}
	}
	if f.Flow != "" {
		if fd, err := apiGet[apiv1.FlowDetail](s, r, "/api/v1/flows/"+url.PathEscape(f.Flow)); err == nil {
			for _, v := range fd.Versions {
				if !v.Retired || strconv.Itoa(v.Version) == f.Version {
					page.Versions = append(page.Versions, v)
				}
			}
			if f.Version == "" {
				f.Version = strconv.Itoa(fd.DefaultVersion)
			}
			def, err := s.flowDefinition(r, f.Flow, 0)
			if err != nil {
				return err
			}
			page.Departments = slices.Clone(def.Departments)
			if v, err := strconv.Atoi(f.Version); err == nil && v != fd.DefaultVersion && f.Proposal != "draft" {
				if other, err := s.flowDefinition(r, f.Flow, v); err == nil {
					for _, d := range other.Departments {
						if !slices.Contains(page.Departments, d) {
							page.Departments = append(page.Departments, d)
						}
					}
				}
			}
		} else if f.Flow != "" && page.Errors["flow"] == "" {
			page.Errors["flow"] = "there is no flow " + strconv.Quote(f.Flow) + ": choose one of the list"
		}
	}
	if len(f.Staff) == 0 {
		f.Staff = []simStaffRow{newSimStaffRow()}
	}
	for i := range f.Staff {
		f.Staff[i].Index = i
	}
	q := url.Values{"limit": {strconv.Itoa(simListSize)}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	list, err := apiGet[apiv1.SimulationList](s, r, "/api/v1/simulations?"+q.Encode())
	if err != nil {
		return err
	}
	names, logNames := map[string]string{}, map[string]string{}
	for _, x := range list.Simulations {
		n, ok := names[x.CreatedBy]
		if !ok {
			n = s.shortActorName(r, x.CreatedBy)
			names[x.CreatedBy] = n
		}
		row := simListRow{Simulation: x, What: requestWords(x.Request), By: n,
			StatusClass: simStatusClass(x.Status), Percent: percentOf(x.Progress)}
		if id := x.Request.Log; id != nil {
			if row.Log, ok = logNames[*id]; !ok {
				row.Log = s.simLogName(r, *id)
				logNames[*id] = row.Log
			}
		}
		page.Rows = append(page.Rows, row)
	}
	page.Next = nextPageURL(UIPath+"/simulations", r.URL.Query(), list.NextCursor)
	return s.render(w, r, pageView{Template: "simulations", Title: "Simulations", Active: "simulations", Status: status, Data: page})
}

// simLogLimit is how many of the newest logs the form offers.
const simLogLimit = 500

// simLogOptions are the ready event logs the viewer may see, newest
// first, through the API (GET /api/v1/logs); the chosen one is kept even
// when it is not among them (still importing, gone), so that its refusal
// is shown beside it. A viewer the API refuses the logs is offered none.
func (s *Web) simLogOptions(r *http.Request, chosen string) ([]simLogOption, error) {
	var out []simLogOption
	res, err := s.callAPI(r, http.MethodGet, "/api/v1/logs?limit="+strconv.Itoa(simLogLimit), nil, nil)
	if err != nil {
		return nil, err
	}
	var list apiv1.EventLogList
	if res.Status != http.StatusForbidden {
		if err := res.Decode(&list); err != nil {
			return nil, err
		}
	}
	found := chosen == ""
	for _, l := range list.Logs {
		if l.Status != "ready" && l.ID != chosen {
			continue
		}
		found = found || l.ID == chosen
		out = append(out, simLogOption{ID: l.ID, Label: simLogLabel(l)})
	}
	if !found {
		out = append(out, simLogOption{ID: chosen, Label: chosen})
	}
	return out, nil
}

// simLogLabel is a log as the form offers it: "helpdesk (4,580 cases,
// 2025-01-02 to 2025-03-31)", "(importing)" while it is.
func simLogLabel(l apiv1.EventLog) string {
	name := l.Name
	if name == "" {
		name = l.ID
	}
	if l.Status != "ready" {
		return name + " (" + l.Status + ")"
	}
	cases := "1 case"
	if l.Cases != 1 {
		cases = readable.Number(float64(l.Cases)) + " cases"
	}
	if l.First != nil && l.Last != nil {
		return fmt.Sprintf("%s (%s, %s to %s)", name, cases, l.First.UTC().Format(time.DateOnly), l.Last.UTC().Format(time.DateOnly))
	}
	return name + " (" + cases + ")"
}

// simLogName is an event log's name through the API (GET
// /api/v1/logs/{id}), its id when the API cannot say.
func (s *Web) simLogName(r *http.Request, id string) string {
	if l, err := apiGet[apiv1.EventLog](s, r, apiLogPath(id)); err == nil && l.Name != "" {
		return l.Name
	}
	return id
}

func simStatusClass(status string) string {
	switch status {
	case "succeeded":
		return "ok"
	case "failed":
		return "bad"
	}
	return "info"
}

func percentOf(progress float64) int {
	return int(math.Round(math.Max(0, math.Min(1, progress)) * 100))
}

// simFormOf reads the posted form: the staffing rows by index, as many as
// staff_rows says (one more when "add a row" was pressed).
func simFormOf(f url.Values) (simForm, bool) {
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	form := simForm{Flow: get("flow"), Log: get("log"), Proposal: get("proposal"), Version: get("version"), Definition: f.Get("definition"),
		Volume: get("volume"), Days: get("days"), Replications: get("replications")}
	if form.Proposal != "draft" {
		form.Proposal = "version"
	}
	n, err := strconv.Atoi(get("staff_rows"))
	if err != nil || n < 1 {
		n = 1
	}
	n = min(n, simMaxStaffRows)
	for i := range n {
		k := strconv.Itoa(i)
		form.Staff = append(form.Staff, simStaffRow{Department: get("staff_department_" + k), Delta: get("staff_delta_" + k),
			From: get("staff_from_" + k), To: get("staff_to_" + k), Days: f["staff_days_"+k]})
	}
	add := get("action") == "add-row"
	if add && len(form.Staff) < simMaxStaffRows {
		form.Staff = append(form.Staff, newSimStaffRow())
	}
	return form, add
}

// simulationCreate asks the API for the simulation; what it (or the
// form's own reading) refuses is shown at the field, with what was typed
// kept. "Add a row" only shows the form again with one more row.
func (s *Web) simulationCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	form, add := simFormOf(r.PostForm)
	page := simulationsPage{Form: form, Errors: map[string]string{}}
	if add {
		return s.renderSimulations(w, r, http.StatusOK, page)
	}
	req, rowOf := buildSimRequest(&page)
	if len(page.Errors) > 0 || page.Form.hasRowErrors() {
		page.Error = "Not started: correct the fields marked below."
		return s.renderSimulations(w, r, http.StatusUnprocessableEntity, page)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/simulations", req, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var x apiv1.Simulation
		if err := res.Decode(&x); err != nil {
			return err
		}
		from := ""
		if x.Request.Log != nil {
			from = ", calibrated from event log " + s.simLogName(r, *x.Request.Log)
		}
		return redirectTo(w, r, UIPath+"/simulations/"+url.PathEscape(x.ID),
			fmt.Sprintf("Simulation started: %s against %s as it runs now%s. This page shows its progress and then the comparison.", requestWords(x.Request), x.Flow, from))
	}
	p, err := formProblem(res)
	if err != nil {
		return err
	}
	var unplaced []string
	for _, fe := range p.Errors {
		field := strings.TrimPrefix(fe.Field, "body.")
		var i int
		switch {
		case strings.HasPrefix(field, "definition "):
			page.DraftErrors = append(page.DraftErrors, draftWhere(strings.TrimPrefix(field, "definition "))+fe.Message)
		case strings.HasPrefix(field, "staff["):
			if n, _ := fmt.Sscanf(field, "staff[%d]", &i); n == 1 && i >= 0 && i < len(rowOf) {
				page.Form.Staff[rowOf[i]].Error = upperFirst(fe.Message) + "."
			} else {
				page.Errors["staff"] = upperFirst(fe.Message) + "."
			}
		case field == "log":
			// The API points at its list of logs; the form is the list.
			msg, cut := strings.CutSuffix(fe.Message, " (see GET /api/v1/logs)")
			page.Errors["log"] = upperFirst(msg) + "."
			if cut {
				page.Errors["log"] += " Choose another log of the list, or the flow's own history."
			}
		case slices.Contains([]string{"flow", "version", "definition", "volume", "days", "replications", "staff"}, field):
			if page.Errors[field] == "" {
				page.Errors[field] = upperFirst(fe.Message) + "."
			}
		default:
			unplaced = append(unplaced, upperFirst(fe.Message)+".")
		}
	}
	if len(page.DraftErrors) > 0 && page.Errors["definition"] == "" {
		page.Errors["definition"] = "The draft is not a valid flow definition:"
	}
	switch {
	case len(p.Errors) == 0:
		page.Error = "Not started: " + upperFirst(p.Detail) + "."
	case len(unplaced) > 0:
		page.Error = "Not started: " + strings.Join(unplaced, " ")
	default:
		page.Error = "Not started: correct the fields marked below."
	}
	return s.renderSimulations(w, r, p.Status, page)
}

// draftWhere says where in the draft a problem is: "Line 12, column 5: "
// for the API's "12:5", the path otherwise.
func draftWhere(field string) string {
	var line, col int
	if n, _ := fmt.Sscanf(field, "%d:%d", &line, &col); n == 2 {
		return fmt.Sprintf("Line %d, column %d: ", line, col)
	}
	if field == "" || field == "body" {
		return ""
	}
	return field + ": "
}

func (f simForm) hasRowErrors() bool {
	return slices.ContainsFunc(f.Staff, func(r simStaffRow) bool { return r.Error != "" })
}

// buildSimRequest reads the form into the API's request, marking what it
// cannot read at its field; rowOf maps the request's staff[i] to the
// form's row (rows without a department are left out).
func buildSimRequest(page *simulationsPage) (apiv1.CreateSimulationRequest, []int) {
	f := &page.Form
	req := apiv1.CreateSimulationRequest{Flow: f.Flow}
	if f.Flow == "" {
		page.Errors["flow"] = "Choose the flow to simulate."
	}
	if f.Log != "" {
		l := f.Log
		req.Log = &l
	}
	whole := func(field, raw, what string) *int {
		if raw == "" {
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			page.Errors[field] = fmt.Sprintf("%s is a whole number, like %s; %q is not.", what, map[string]string{"days": "28", "replications": "20"}[field], raw)
			return nil
		}
		return &n
	}
	if f.Proposal == "draft" {
		if strings.TrimSpace(f.Definition) == "" {
			page.Errors["definition"] = "Paste the draft's YAML here, or choose a version above."
		} else {
			d := f.Definition
			req.Definition = &d
		}
	} else if strings.TrimSpace(f.Definition) != "" {
		page.Errors["definition"] = "A draft is pasted here but a version is chosen above: choose “Paste a draft” to simulate the draft, or empty this box."
	} else if f.Version != "" {
		if v, err := strconv.Atoi(f.Version); err != nil || v < 1 {
			page.Errors["version"] = "Choose a version of the flow."
		} else {
			req.Version = &v
		}
	}
	var rowOf []int
	for i := range f.Staff {
		row := &f.Staff[i]
		if row.Department == "" {
			continue
		}
		ch := apiv1.StaffChange{Department: row.Department, Days: row.Days}
		var problems []string
		if d, err := strconv.Atoi(strings.TrimSpace(row.Delta)); err != nil {
			problems = append(problems, fmt.Sprintf("people more or fewer is a whole number like +1 or -2, not %q", row.Delta))
		} else {
			ch.Delta = d
		}
		if h, err := strconv.Atoi(row.From); err != nil {
			problems = append(problems, fmt.Sprintf("the first hour is a whole hour from 0 to 23, not %q", row.From))
		} else {
			ch.FromHour = h
		}
		if h, err := strconv.Atoi(row.To); err != nil {
			problems = append(problems, fmt.Sprintf("the last hour is a whole hour from 1 to 24, not %q", row.To))
		} else {
			ch.ToHour = h
		}
		if len(row.Days) == 0 {
			problems = append(problems, "tick the weekdays it applies on")
		}
		if len(problems) > 0 {
			row.Error = upperFirst(strings.Join(problems, "; ")) + "."
			continue
		}
		req.Staff = append(req.Staff, ch)
		rowOf = append(rowOf, i)
	}
	if f.Volume != "" {
		pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(f.Volume, "%")), 64)
		switch {
		case err != nil || math.IsNaN(pct) || math.IsInf(pct, 0):
			page.Errors["volume"] = fmt.Sprintf("The volume is a percentage of the cases seen, like 100 or 120; %q is not.", f.Volume)
		case pct <= 0 || pct > 10000:
			page.Errors["volume"] = fmt.Sprintf("%s %%: give more than 0 %% and at most 10,000 %% of the cases seen (100 %%: as seen).", fmtNum(pct))
		default:
			v := pct / 100
			req.Volume = &v
		}
	}
	req.Days = whole("days", f.Days, "Days simulated")
	req.Replications = whole("replications", f.Replications, "Replications")
	return req, rowOf
}

// simulationPage shows a simulation: progress, failure or comparison.
func (s *Web) simulationPage(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	x, err := apiGet[apiv1.Simulation](s, r, "/api/v1/simulations/"+url.PathEscape(id))
	if err != nil {
		return err
	}
	page := simulationView(x)
	page.By = s.shortActorName(r, x.CreatedBy)
	if x.Request.Log != nil {
		page.LogID = *x.Request.Log
		page.LogName = s.simLogName(r, page.LogID)
	}
	title := "Simulation of " + x.Flow
	return s.render(w, r, pageView{Template: "simulation", Title: title, Active: "simulations", Data: page})
}
