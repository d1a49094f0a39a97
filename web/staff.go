package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// Staff: the department inbox, tasks (claim, unclaim, complete), cases and their timelines.
var staffPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/inbox", Roles: authz.Everyone, Handle: (*Web).inbox},
	{Method: http.MethodGet, Pattern: "/tasks/{id}", Roles: authz.Everyone, Handle: (*Web).task},
	{Method: http.MethodPost, Pattern: "/tasks/{id}/claim", Roles: authz.Everyone, Handle: (*Web).taskClaim},
	{Method: http.MethodPost, Pattern: "/tasks/{id}/unclaim", Roles: authz.Everyone, Handle: (*Web).taskUnclaim},
	{Method: http.MethodPost, Pattern: "/tasks/{id}/assign", Roles: authz.Everyone, Handle: (*Web).taskAssign},
	{Method: http.MethodPost, Pattern: "/tasks/{id}/complete", Roles: authz.Everyone, Handle: (*Web).taskComplete},
	{Method: http.MethodGet, Pattern: "/cases", Handle: (*Web).cases},
	{Method: http.MethodGet, Pattern: "/cases/new", Handle: (*Web).caseNew},
	{Method: http.MethodPost, Pattern: "/cases/new", Handle: (*Web).caseCreate},
	{Method: http.MethodGet, Pattern: "/cases/{id}", Handle: (*Web).showCase},
	{Method: http.MethodPost, Pattern: "/cases/{id}/feedback", Handle: (*Web).caseFeedback},
	{Method: http.MethodPost, Pattern: "/cases/{id}/reopen", Roles: authz.CaseReopeners, Handle: (*Web).caseReopen},
	{Method: http.MethodPost, Pattern: "/cases/{id}/restart", Roles: authz.CaseSettlers, Handle: (*Web).caseRestart},
	{Method: http.MethodPost, Pattern: "/cases/{id}/close", Roles: authz.CaseSettlers, Handle: (*Web).caseClose},
}

// pageSize is the rows per page of the inbox and the case list.
const pageSize = 50

// taskPath and casePath are the UI pages of a task and a case.
func taskPath(id string) string { return UIPath + "/tasks/" + url.PathEscape(id) }
func casePath(id string) string { return UIPath + "/cases/" + url.PathEscape(id) }

// maySeeTask reports whether the actor may open the page of a task of
// department: staff and improvers only their departments' tasks (the
// inbox's rule), the other roles any (the API lets them read every task).
func maySeeTask(a apiv1.Actor, department string) bool {
	return !authz.DepartmentBound(a.Role) || slices.Contains(a.Departments, department)
}

// actorLabels names actor ids on one page: "you" for the signed-in
// actor, another actor by name (GET /api/v1/actors/{id}, each id asked
// once per page), an id the API cannot name (the configured admin, say)
// abbreviated. The full id goes into a title.
type actorLabels struct {
	s     *Web
	r     *http.Request
	me    string
	known map[string]string
}

func (s *Web) actorLabels(r *http.Request) *actorLabels {
	return &actorLabels{s: s, r: r, me: actorOf(r.Context()).ID, known: map[string]string{}}
}

func (l *actorLabels) label(id string) string {
	switch {
	case id == "":
		return ""
	case id == l.me:
		return "you"
	}
	if name, ok := l.known[id]; ok {
		return name
	}
	name := shortID(id)
	if res, err := l.s.callAPI(l.r, http.MethodGet, "/api/v1/actors/"+url.PathEscape(id), nil, nil); err == nil && res.OK() {
		var a apiv1.Actor
		if res.Decode(&a) == nil && a.Name != "" {
			name = a.Name
		}
	}
	l.known[id] = name
	return name
}

// shortID abbreviates a long id for a page.
func shortID(id string) string {
	if len(id) > 13 {
		return id[:8] + "…"
	}
	return id
}

// flowSummaries lists every flow summary (all pages).
func (s *Web) flowSummaries(r *http.Request) ([]apiv1.FlowSummary, error) {
	var out []apiv1.FlowSummary
	cursor := ""
	for range 20 {
		q := url.Values{"limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		list, err := apiGet[apiv1.FlowList](s, r, "/api/v1/flows?"+q.Encode())
		if err != nil {
			return nil, err
		}
		out = append(out, list.Flows...)
		if list.NextCursor == "" {
			break
		}
		cursor = list.NextCursor
	}
	return out, nil
}

// definitionSummary is the part of a flow definition the staff pages read.
type definitionSummary struct {
	Departments []string `json:"departments"`
	Steps       []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"steps"`
}

// flowDefinition reads a version of a flow (0: its default).
func (s *Web) flowDefinition(r *http.Request, key string, version int) (definitionSummary, error) {
	path := "/api/v1/flows/" + url.PathEscape(key)
	if version > 0 {
		path += "?version=" + strconv.Itoa(version)
	}
	var def definitionSummary
	fd, err := apiGet[apiv1.FlowDetail](s, r, path)
	if err != nil {
		return def, err
	}
	if err := json.Unmarshal(fd.Definition, &def); err != nil {
		return def, httpx.Internal(fmt.Errorf("ui: definition of flow %s: %w", key, err))
	}
	return def, nil
}

// inboxDepartments are the departments the inbox's selector offers:
// staff their own; the other roles every department a flow names (and
// their own).
func (s *Web) inboxDepartments(r *http.Request) ([]string, error) {
	a := actorOf(r.Context())
	set := slices.Clone(a.Departments)
	if !authz.DepartmentBound(a.Role) {
		flows, err := s.flowSummaries(r)
		if err != nil {
			return nil, err
		}
		for _, f := range flows {
			def, err := s.flowDefinition(r, f.Key, 0)
			if err != nil {
				return nil, err
			}
			set = append(set, def.Departments...)
		}
	}
	slices.Sort(set)
	return slices.Compact(set), nil
}

// Inbox filters by assignee.
const (
	inboxAll       = "all"
	inboxMine      = "mine"
	inboxUnclaimed = "unclaimed"
)

// inboxRow is one task of the inbox.
type inboxRow struct {
	// The task's fields the row shows, flat: a template looks a field of
	// an embedded struct up by a slow reflective search.
	ID, CaseID, Step, StepName, Department, Flow, Variant, Assignee string
	Customer, Channel                                               string // the case's (decision 0026)
	Version, EscalationLevel                                        int
	OpenedAt                                                        time.Time
	SLADue                                                          *time.Time
	AssigneeLabel                                                   string
	// CanClaim: unclaimed; CanUnclaim: claimed by the actor (or, for an
	// admin, by anyone).
	CanClaim, CanUnclaim bool
}

func newInboxRow(t apiv1.Task, assignee string, canClaim, canUnclaim bool) inboxRow {
	return inboxRow{ID: t.ID, CaseID: t.CaseID, Step: t.Step, StepName: t.StepName, Department: t.Department,
		Flow: t.Flow, Variant: t.Variant, Assignee: t.Assignee, Customer: t.Customer, Channel: t.Channel,
		Version: t.Version, EscalationLevel: t.EscalationLevel,
		OpenedAt: t.OpenedAt, SLADue: t.SLADue, AssigneeLabel: assignee, CanClaim: canClaim, CanUnclaim: canUnclaim}
}

// handoff is a task the last completion handed the case on to.
type handoff struct {
	apiv1.Task
	Link bool // the actor may open the task's page
}

type inboxPage struct {
	Department  string   // the department shown; "" all the actor may see
	Departments []string // the selector's options
	AllLabel    string   // the selector's label for ""
	Assignee    string   // all, mine or unclaimed
	Cursor      string   // this page's cursor ("" the first page)
	Next        string   // the next page's cursor
	Rows        []inboxRow
	Now         time.Time
	Self        string // this page's URL, where claim buttons come back to
	Refresh     string // the fragment URL of the rows
	Handoff     []handoff
	// My tasks: the open tasks I hold (assigned to me by a rule or a
	// lead, or claimed), above the department's list; MineMore when there
	// are more than a page (the "Claimed by me" filter lists them all).
	Mine        []myTask
	MineMore    bool
	MineRefresh string // the fragment URL of My tasks
}

// myTask is one task I hold, with how it reached me.
type myTask struct {
	ID, CaseID, Step, StepName, Department, Customer, Channel string
	EscalationLevel                                           int
	SLADue, AssignedAt, ClaimedAt, OfferDue                   *time.Time
	Rule, How, RuleTitle                                      string
	Started                                                   bool
}

// inboxPart is the query parameter naming the fragment the page's script
// asks for: the department's rows (default) or My tasks.
const (
	inboxPart     = "part"
	inboxPartMine = "mine"
)

// inbox is the department's open tasks ordered by SLA due time, 50 a
// page, refreshed in place through the "rows" fragment.
func (s *Web) inbox(w http.ResponseWriter, r *http.Request) error {
	who := s.actorLabels(r)
	a := actorOf(r.Context())
	q := r.URL.Query()
	page := inboxPage{
		Department: strings.TrimSpace(q.Get("department")),
		Assignee:   q.Get("assignee"),
		Cursor:     q.Get("cursor"),
		Now:        s.now().UTC(),
	}
	switch page.Assignee {
	case "":
		page.Assignee = inboxAll
	case inboxAll, inboxMine, inboxUnclaimed:
	default:
		return httpx.BadParam("assignee", fmt.Sprintf("must be all, mine or unclaimed, got %q", page.Assignee))
	}
	tasks, next, err := s.inboxTasks(r, page.Department, page.Assignee, page.Cursor)
	if err != nil {
		return err
	}
	page.Next = next
	assignee := page.Assignee
	if assignee == inboxAll {
		assignee = ""
	}
	page.Self = inboxURL(page.Department, assignee, page.Cursor)
	page.Refresh = page.Self
	for _, t := range tasks {
		page.Rows = append(page.Rows, newInboxRow(t, who.label(t.Assignee), t.Assignee == "",
			t.Assignee != "" && (t.Assignee == a.ID || a.Role == apiv1.RoleAdmin)))
	}
	mineQuery := url.Values{inboxPart: {inboxPartMine}}
	if page.Department != "" {
		mineQuery.Set("department", page.Department)
	}
	page.MineRefresh = UIPath + "/inbox?" + mineQuery.Encode()
	if isFragmentRequest(r) {
		switch q.Get(inboxPart) {
		case "":
			return s.renderFragment(w, r, "inbox", "rows", page)
		case inboxPartMine:
			if err := s.loadMine(r, who, &page); err != nil {
				return err
			}
			return s.renderFragment(w, r, "inbox", "mine", page)
		}
		return httpx.BadParam(inboxPart, fmt.Sprintf("must be %s or absent, got %q", inboxPartMine, q.Get(inboxPart)))
	}
	if err := s.loadMine(r, who, &page); err != nil {
		return err
	}
	if page.Departments, err = s.inboxDepartments(r); err != nil {
		return err
	}
	page.AllLabel = "All departments"
	if authz.DepartmentBound(a.Role) {
		page.AllLabel = "All my departments"
	}
	// The tasks the last completion handed the case on to (ids from the
	// completion's answer, carried by the redirect).
	for _, id := range q["next"][:min(len(q["next"]), 5)] {
		t, err := apiGet[apiv1.Task](s, r, "/api/v1/tasks/"+url.PathEscape(id))
		if err != nil {
			continue // gone or unknown: nothing to show
		}
		page.Handoff = append(page.Handoff, handoff{Task: t, Link: maySeeTask(a, t.Department)})
	}
	title := "Inbox"
	if page.Department != "" {
		title += " · " + page.Department
	}
	return s.render(w, r, pageView{Template: "inbox", Title: title, Active: "inbox", Data: page})
}

// loadMine reads My tasks: the open tasks I hold in the page's
// department (all of mine without one), in SLA order.
func (s *Web) loadMine(r *http.Request, who *actorLabels, page *inboxPage) error {
	tasks, next, err := s.inboxTasks(r, page.Department, inboxMine, "")
	if err != nil {
		return err
	}
	page.MineMore = next != ""
	moved := s.movedBy(r, who, tasks)
	for _, t := range tasks {
		m := myTask{ID: t.ID, CaseID: t.CaseID, Step: t.Step, StepName: taskName(t), Department: t.Department,
			Customer: t.Customer, Channel: t.Channel, EscalationLevel: t.EscalationLevel, SLADue: t.SLADue,
			AssignedAt: t.AssignedAt, ClaimedAt: t.ClaimedAt, Rule: t.AssignRule, How: assignHow(t, true, moved[t.ID]),
			RuleTitle: ruleExplained[t.AssignRule], Started: started(t)}
		if offerOpen(t) {
			m.OfferDue = t.OfferDue
		}
		page.Mine = append(page.Mine, m)
	}
	return nil
}

// inboxURL is the inbox with its filters.
func inboxURL(department, assignee, cursor string) string {
	v := url.Values{}
	if department != "" {
		v.Set("department", department)
	}
	if assignee != "" {
		v.Set("assignee", assignee)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return UIPath + "/inbox"
	}
	return UIPath + "/inbox?" + v.Encode()
}

// inboxTasks reads one page of the inbox from GET /api/v1/tasks: open
// tasks in SLA order, the API filtering by assignee (me, or none for the
// unclaimed ones).
func (s *Web) inboxTasks(r *http.Request, department, assignee, cursor string) ([]apiv1.Task, string, error) {
	q := url.Values{"status": {"open"}, "limit": {strconv.Itoa(pageSize)}}
	if department != "" {
		q.Set("department", department)
	}
	switch assignee {
	case inboxMine:
		q.Set("assignee", "me")
	case inboxUnclaimed:
		q.Set("assignee", "none")
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	list, err := apiGet[apiv1.TaskList](s, r, "/api/v1/tasks?"+q.Encode())
	return list.Tasks, list.NextCursor, err
}
