package web

import (
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
	"github.com/flowlab/flowlab/readable"
)

// The team page (issue 19): a department's open tasks with who holds
// each, since when and by which rule, the offer's and the SLA's
// deadlines; its people with their availability, load and skills; and
// the assignment measures (GET /api/v1/work, api.WorkRowOf's numbers).
// A team lead moves a task to someone else, releases a claimed one to the
// pool and sets a person away or available; owners and admins see every
// department's page (authz.SeesTeam), and what they may change is the
// API's to say.

// teamWindows are the measures' windows the page offers.
var teamWindows = []struct {
	Key, Label string
	Span       time.Duration
}{
	{"24h", "Last 24 hours", 24 * time.Hour},
	{"7d", "Last 7 days", 7 * 24 * time.Hour},
	{"30d", "Last 30 days", 30 * 24 * time.Hour},
}

const defaultTeamWindow = "7d"

// teamTaskLimit is how many open tasks the page lists at once.
const teamTaskLimit = 100

type teamPage struct {
	Department  string
	Departments []string
	Window      string
	WindowLabel string
	Windows     []formOption
	WindowNames map[string]string
	// MayMove: the actor leads the department (or is an admin): they move
	// and release its tasks. MaySetAvailability: they set its people's
	// availability (leads, owners, admins).
	MayMove, MaySetAvailability bool
	Tasks                       []teamTask
	Cursor, Next                string
	People                      []teamPerson
	Work                        []workRow
	WorkFrom, WorkTo            time.Time
	Self                        string
	Now                         time.Time
	// Summary of the queue.
	Waiting, NotStarted, InProgress int
}

// teamTask is one open task of the department.
type teamTask struct {
	ID, CaseID, Step, StepName, Customer, Channel string
	EscalationLevel, Reassignments                int
	SLADue, OfferDue, HeldSince, StartedAt        *time.Time
	SLAText, OfferText                            string
	Holder, HolderID, HolderAvailability          string
	How, RuleTitle                                string
	Waiting                                       string
	Options                                       []personOption
}

// teamPerson is one person of the department.
type teamPerson struct {
	ID, Name, Availability string
	AvailabilitySince      *time.Time
	LastAssignedAt         *time.Time
	Load, Capacity         int
	Skills                 []string
	Lead, Self             bool
	Others                 []string // the availabilities they may be set to
}

// workRow is one row of the measures, with its units.
type workRow struct {
	Name, Actor                            string
	Total                                  bool
	Opened, Completed, Open, Reassignments int
	WaitAssign, WaitStart, Handle          durationCell
	PerHour                                string
}

// durationCell is a duration measure: its median and 90th percentile
// with units, and how many tasks it counts.
type durationCell struct {
	N        int
	P50, P90 string
}

func durationCellOf(d apiv1.DurationStats) durationCell {
	if d.N == 0 {
		return durationCell{}
	}
	return durationCell{N: d.N, P50: readable.Duration(d.P50), P90: readable.Duration(d.P90)}
}

// teamDepartments are the departments whose team page the actor sees:
// every department for owners and admins, else those they lead.
func (s *Web) teamDepartments(r *http.Request) ([]string, error) {
	a := actorOf(r.Context())
	if authz.ServesEveryCase(a.Role) {
		return s.inboxDepartments(r)
	}
	var out []string
	for _, d := range a.Leads {
		if authz.SeesTeam(a.Role, a.Departments, a.Leads, d) {
			out = append(out, d)
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (s *Web) team(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	q := r.URL.Query()
	deps, err := s.teamDepartments(r)
	if err != nil {
		return err
	}
	page := teamPage{Departments: deps, Department: strings.TrimSpace(q.Get("department")), Window: q.Get("window"),
		Cursor: q.Get("cursor"), Now: s.now().UTC()}
	switch {
	case len(deps) == 0 && !authz.LeadsAny(a.Role, a.Departments, a.Leads):
		return httpx.Forbidden("the team page is for team leads, owners and admins, and you lead no department; " +
			"an admin names a department's team leads on their token")
	case page.Department == "" && len(deps) > 0:
		page.Department = deps[0]
	case page.Department == "":
		return httpx.BadParam("department", "name a department")
	}
	if !authz.SeesTeam(a.Role, a.Departments, a.Leads, page.Department) {
		return httpx.Forbidden(fmt.Sprintf("you lead %s, not %s: the team page shows only the departments you lead",
			namesText(deps), readable.Name(page.Department)))
	}
	if !slices.Contains(page.Departments, page.Department) {
		page.Departments = append(page.Departments, page.Department)
	}
	span := time.Duration(0)
	page.WindowNames = map[string]string{}
	for _, wo := range teamWindows {
		page.WindowNames[wo.Key] = wo.Label
		if wo.Key == page.Window || page.Window == "" && wo.Key == defaultTeamWindow {
			span, page.Window, page.WindowLabel = wo.Span, wo.Key, wo.Label
		}
	}
	if span == 0 {
		return httpx.BadParam("window", fmt.Sprintf("must be 24h, 7d or 30d, got %q", page.Window))
	}
	for _, wo := range teamWindows {
		page.Windows = append(page.Windows, formOption{Value: wo.Key, Selected: wo.Key == page.Window})
	}
	page.MayMove = authz.Leads(a.Role, a.Departments, a.Leads, page.Department)
	page.MaySetAvailability = page.MayMove || a.Role == apiv1.RoleOwner
	page.Self = teamURL(page.Department, page.Window, page.Cursor)

	people, err := s.departmentPeople(r, page.Department)
	if err != nil {
		return err
	}
	slices.SortFunc(people, func(x, y apiv1.Person) int { return strings.Compare(x.Name+x.ID, y.Name+y.ID) })
	byID := map[string]apiv1.Person{}
	for _, p := range people {
		byID[p.ID] = p
		tp := teamPerson{ID: p.ID, Name: p.Name, Availability: p.Availability, AvailabilitySince: p.AvailabilitySince,
			LastAssignedAt: p.LastAssignedAt, Load: p.Load, Capacity: p.Capacity, Skills: p.Skills,
			Lead: slices.Contains(p.Leads, page.Department), Self: p.ID == a.ID}
		if tp.Name == "" {
			tp.Name = shortID(p.ID)
		}
		for _, av := range availabilities {
			if av != p.Availability {
				tp.Others = append(tp.Others, av)
			}
		}
		page.People = append(page.People, tp)
	}

	tq := url.Values{"department": {page.Department}, "status": {"open"}, "limit": {strconv.Itoa(teamTaskLimit)}}
	if page.Cursor != "" {
		tq.Set("cursor", page.Cursor)
	}
	list, err := apiGet[apiv1.TaskList](s, r, "/api/v1/tasks?"+tq.Encode())
	if err != nil {
		return err
	}
	page.Next = list.NextCursor
	who := s.actorLabels(r)
	moved := s.movedBy(r, who, list.Tasks)
	for _, t := range list.Tasks {
		page.Tasks = append(page.Tasks, teamTaskOf(t, byID, people, who, moved, page))
		switch {
		case t.Assignee == "":
			page.Waiting++
		case started(t):
			page.InProgress++
		default:
			page.NotStarted++
		}
	}

	// To: the API's now (a time in the query would be cut to the second
	// and leave out what opened in the last one).
	from := page.Now.Add(-span)
	work, err := apiGet[apiv1.Work](s, r, "/api/v1/work?"+url.Values{"department": {page.Department},
		"from": {from.Format(time.RFC3339)}}.Encode())
	if err != nil {
		return err
	}
	page.WorkFrom, page.WorkTo = work.From, work.To
	for _, row := range work.Rows {
		if row.Department != page.Department {
			continue
		}
		wr := workRow{Name: row.Name, Actor: row.Actor, Total: row.Actor == "", Opened: row.Opened, Completed: row.Completed,
			Open: row.Open, Reassignments: row.Reassignments, WaitAssign: durationCellOf(row.WaitAssign),
			WaitStart: durationCellOf(row.WaitStart), Handle: durationCellOf(row.Handle),
			PerHour: readable.Number(row.TasksPerHour) + " tasks/h"}
		switch {
		case wr.Total:
			wr.Name = "All of " + readable.Name(page.Department)
		case wr.Name == "" || wr.Name == row.Actor:
			wr.Name = who.label(row.Actor)
		}
		page.Work = append(page.Work, wr)
	}
	return s.render(w, r, pageView{Template: "team", Title: "Team · " + readable.Name(page.Department), Active: "team", Data: page})
}

// teamTaskOf is one open task as the team page shows it.
// people are the department's people by id and sorted by name.
func teamTaskOf(t apiv1.Task, people map[string]apiv1.Person, sorted []apiv1.Person, who *actorLabels, moved map[string]string, page teamPage) teamTask {
	now, me := page.Now, who.me
	tt := teamTask{ID: t.ID, CaseID: t.CaseID, Step: t.Step, StepName: taskName(t), Customer: t.Customer, Channel: t.Channel,
		EscalationLevel: t.EscalationLevel, Reassignments: t.Reassignments, SLADue: t.SLADue, StartedAt: t.ClaimedAt,
		HolderID: t.Assignee, RuleTitle: ruleExplained[t.AssignRule]}
	if t.SLADue != nil {
		tt.SLAText = "due in " + untilText(*t.SLADue, now)
		if t.SLADue.Before(now) {
			tt.SLAText = untilText(*t.SLADue, now)
		}
	}
	if t.Assignee != "" {
		if p, ok := people[t.Assignee]; ok && p.Name != "" {
			tt.Holder, tt.HolderAvailability = p.Name, p.Availability
			if p.ID == me {
				tt.Holder = "you"
			}
		} else {
			tt.Holder = who.label(t.Assignee)
		}
		tt.HeldSince = t.AssignedAt
		if tt.HeldSince == nil {
			tt.HeldSince = t.ClaimedAt
		}
	}
	tt.How = assignHow(t, t.Assignee == me, moved[t.ID])
	if offerOpen(t) {
		tt.OfferDue = t.OfferDue
		tt.OfferText = "start within " + untilText(*t.OfferDue, now)
		if t.OfferDue.Before(now) {
			tt.OfferText = "not started in time: back to the pool soon"
		}
	}
	if started(t) {
		tt.Waiting = "started after " + ago(t.OpenedAt, *t.ClaimedAt)
	} else {
		tt.Waiting = "waiting " + ago(t.OpenedAt, now)
	}
	if page.MayMove {
		tt.Options = reassignOptions(sorted, t.Assignee, me)
	}
	return tt
}

// teamURL is the team page of a department with its window and page.
func teamURL(department, window, cursor string) string {
	v := url.Values{"department": {department}}
	if window != "" && window != defaultTeamWindow {
		v.Set("window", window)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	return UIPath + "/team?" + v.Encode()
}

// namesText names departments readably: "Customer service and Technical",
// "no department".
func namesText(ids []string) string {
	if len(ids) == 0 {
		return "no department"
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = readable.Name(id)
	}
	if len(out) == 1 {
		return out[0]
	}
	return strings.Join(out[:len(out)-1], ", ") + " and " + out[len(out)-1]
}
