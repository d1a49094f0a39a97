package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// Assignment as people read it (issue 19): how a task reached whoever
// holds it, the offer's deadline, who moved it. The API says what
// (apiv1.Task's assign_rule, assigned_at, offer_due, reassignments); these
// helpers only word it.

// The assign_rule values that are not a rule of the flow (decision 0035).
const (
	ruleManual   = "manual"    // a team lead moved the task
	ruleTeamLead = "team_lead" // an escalation gave it to the team lead
)

// ruleExplained says what each rule of a flow does, for a tooltip.
var ruleExplained = map[string]string{
	"least_loaded": "the available person of the department with the fewest open tasks",
	"round_robin":  "the next available person of the department in turn",
	"skills":       "the least loaded available person with every skill the case needs",
	"sticky":       "the person who worked on this case (or this customer) before",
	ruleManual:     "a team lead chose the person",
	ruleTeamLead:   "the step's escalation gave it to the department's team lead",
}

// ruleName is a rule's readable name: "least loaded".
func ruleName(rule string) string { return strings.ReplaceAll(rule, "_", " ") }

// assignHow says how a task reached its holder, from the holder's side
// when mine: "assigned by least loaded", "moved to you by Lea", "moved by
// a team lead", "given to the team lead by an escalation", "claimed from
// the pool". by names the lead who moved it ("" when unknown).
func assignHow(t apiv1.Task, mine bool, by string) string {
	switch t.AssignRule {
	case "":
		if t.Assignee == "" {
			return "in the pool"
		}
		if mine {
			return "claimed by you from the pool"
		}
		return "claimed from the pool"
	case ruleManual:
		switch {
		case mine && by != "":
			return "moved to you by " + by
		case mine:
			return "moved to you by a team lead"
		case by != "":
			return "moved by " + by
		}
		return "moved by a team lead"
	case ruleTeamLead:
		if mine {
			return "given to you as team lead by an escalation"
		}
		return "given to the team lead by an escalation"
	}
	return "assigned by " + ruleName(t.AssignRule)
}

// started reports whether the holder started the task (claimed it, or
// an assigned task they accepted).
func started(t apiv1.Task) bool { return t.ClaimedAt != nil }

// offerOpen reports whether t waits for its holder to start it within an
// offer's deadline.
func offerOpen(t apiv1.Task) bool {
	return t.Status == apiv1.TaskOpen && t.Assignee != "" && !started(t) && t.OfferDue != nil
}

// untilText is how far at is from now, to the minute: "8 min",
// "1 h 05 min", "less than 1 min", "overdue by 2 min" when past.
func untilText(at, now time.Time) string {
	d := at.Sub(now)
	if d < 0 {
		return "overdue by " + minutes(-d)
	}
	return minutes(d)
}

// minutes is a duration to the minute: "8 min", "1 h 05 min", "less
// than 1 min".
func minutes(d time.Duration) string {
	switch d = d.Round(time.Minute); {
	case d < time.Minute:
		return "less than 1 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return readable.Duration(d.Seconds())
}

// ago is how long ago at was, with readable.Duration's precision: "45 s",
// "2 min 05 s", "25 min", "1 h 05 min".
func ago(at, now time.Time) string {
	d := now.Sub(at).Round(time.Second)
	if d < 0 {
		d = 0
	}
	return readable.Duration(d.Seconds())
}

// taskName is a task's step name (its key without one).
func taskName(t apiv1.Task) string {
	if t.StepName != "" {
		return t.StepName
	}
	return t.Step
}

// countNoun is "1 task", "2 tasks".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// movedBy maps task ids to the lead who last moved each to the signed-in
// actor, from their notifications (task.reassigned names who moved it; a
// task names nobody). One page of the newest notifications is read, and
// only when a task in ids was moved by a lead; ids not found are absent.
func (s *Web) movedBy(r *http.Request, who *actorLabels, tasks []apiv1.Task) map[string]string {
	want := map[string]bool{}
	for _, t := range tasks {
		if t.AssignRule == ruleManual && t.Assignee == actorOf(r.Context()).ID {
			want[t.ID] = true
		}
	}
	out := map[string]string{}
	if len(want) == 0 {
		return out
	}
	list, err := apiGet[apiv1.NotificationList](s, r, "/api/v1/notifications?limit=200")
	if err != nil {
		return out // the page still says "by a team lead"
	}
	for _, n := range list.Notifications { // newest first
		if n.Kind != "task.reassigned" || n.By == "" || !want[n.TaskID] {
			continue
		}
		if _, seen := out[n.TaskID]; !seen {
			out[n.TaskID] = who.label(n.By)
		}
	}
	return out
}

// departmentPeople lists the people of a department (GET
// /api/v1/people?department=, every page up to 2,000 people).
func (s *Web) departmentPeople(r *http.Request, department string) ([]apiv1.Person, error) {
	var out []apiv1.Person
	cursor := ""
	for range 4 {
		q := url.Values{"department": {department}, "limit": {"500"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		list, err := apiGet[apiv1.PersonList](s, r, "/api/v1/people?"+q.Encode())
		if err != nil {
			return nil, err
		}
		out = append(out, list.People...)
		if list.NextCursor == "" {
			break
		}
		cursor = list.NextCursor
	}
	return out, nil
}

// personOption is one person of a reassignment's select.
type personOption struct {
	ID, Label string
}

// reassignOptions are the people a task may be moved to, with their
// availability and load: everyone of the department but its holder.
func reassignOptions(people []apiv1.Person, holder, me string) []personOption {
	var out []personOption
	for _, p := range people {
		if p.ID == holder {
			continue
		}
		name := p.Name
		if name == "" {
			name = shortID(p.ID)
		}
		if p.ID == me {
			name += " (you)"
		}
		out = append(out, personOption{ID: p.ID, Label: fmt.Sprintf("%s — %s, %d of %d tasks", name, p.Availability, p.Load, p.Capacity)})
	}
	return out
}
