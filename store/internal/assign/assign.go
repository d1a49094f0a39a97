// Package assign chooses who gets a task by an assignment rule (decision
// 0035). Both stores gather the department's people in the transaction
// that assigns the task and ask Choose, so the rule is written once.
package assign

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/flowlab/flowlab/store"
)

// Candidate is a person of the task's department.
type Candidate struct {
	ActorID        string
	Availability   string
	Capacity, Load int
	Skills         []string
	LastAssignedAt *time.Time
}

// Eligible reports whether c may be given one more task: available, below
// capacity, with every skill required.
func (c Candidate) Eligible(available string, skills []string) bool {
	if c.Availability != available || c.Load >= c.Capacity {
		return false
	}
	for _, s := range skills {
		if !slices.Contains(c.Skills, s) {
			return false
		}
	}
	return true
}

// Rules, as the store names them.
const (
	RoundRobin  = "round_robin"
	LeastLoaded = "least_loaded"
	Skills      = "skills"
	Sticky      = "sticky"
)

// Choose picks the person among the eligible candidates:
//   - least_loaded and skills: the fewest open assigned tasks, ties by the
//     longest since their last assignment (never assigned first), then id;
//   - round_robin: the first by id after cursor (the department's last
//     assignee), wrapping around;
//   - sticky: the first of prefer that is eligible, and no one else.
//
// It returns "" when nobody fits (the task stays in the pool).
func Choose(rule string, all []Candidate, available string, skills, prefer []string, cursor string) string {
	var eligible []Candidate
	required := skills
	if rule != Skills {
		required = nil
	}
	for _, c := range all {
		if c.Eligible(available, required) {
			eligible = append(eligible, c)
		}
	}
	if len(eligible) == 0 {
		return ""
	}
	switch rule {
	case Sticky:
		for _, id := range prefer {
			if slices.ContainsFunc(eligible, func(c Candidate) bool { return c.ActorID == id }) {
				return id
			}
		}
		return ""
	case RoundRobin:
		slices.SortFunc(eligible, func(a, b Candidate) int { return cmp.Compare(a.ActorID, b.ActorID) })
		for _, c := range eligible {
			if c.ActorID > cursor {
				return c.ActorID
			}
		}
		return eligible[0].ActorID
	default: // least_loaded, skills
		slices.SortFunc(eligible, func(a, b Candidate) int {
			if c := cmp.Compare(a.Load, b.Load); c != 0 {
				return c
			}
			switch {
			case a.LastAssignedAt == nil && b.LastAssignedAt != nil:
				return -1
			case a.LastAssignedAt != nil && b.LastAssignedAt == nil:
				return 1
			case a.LastAssignedAt != nil && b.LastAssignedAt != nil:
				if c := a.LastAssignedAt.Compare(*b.LastAssignedAt); c != 0 {
					return c
				}
			}
			return cmp.Compare(a.ActorID, b.ActorID)
		})
		return eligible[0].ActorID
	}
}

// Of is people as Choose reads them.
func Of(people []store.Person) []Candidate {
	out := make([]Candidate, len(people))
	for i, p := range people {
		out[i] = Candidate{ActorID: p.ActorID, Availability: p.Availability, Capacity: p.Capacity, Load: p.Load,
			Skills: p.Skills, LastAssignedAt: p.LastAssignedAt}
	}
	return out
}

// Waiting is a task to assign: its spec and those it passed over.
type Waiting struct {
	TaskID     string
	Spec       store.AssignSpec
	PassedOver []string
}

// Decision is a task given to a person by a rule.
type Decision struct {
	TaskID, ActorID, Rule string
}

// Plan assigns tasks in the order given, each by the first of its rules
// that finds someone, counting each decision in the loads (and the round
// robin cursor) of the next. People a task passed over are not offered
// it again. It returns the decisions and the round robin cursor after
// them (cursor when no round robin decision was made).
func Plan(tasks []Waiting, people []Candidate, available, cursor string, at time.Time) ([]Decision, string) {
	people = slices.Clone(people)
	var out []Decision
	for _, t := range tasks {
		cands := people
		if len(t.PassedOver) > 0 {
			cands = slices.DeleteFunc(slices.Clone(people), func(c Candidate) bool { return slices.Contains(t.PassedOver, c.ActorID) })
		}
		for _, rule := range t.Spec.Rules {
			who := Choose(rule, cands, available, t.Spec.Skills, t.Spec.Prefer, cursor)
			if who == "" {
				continue
			}
			out = append(out, Decision{TaskID: t.TaskID, ActorID: who, Rule: rule})
			if rule == RoundRobin {
				cursor = who
			}
			for i := range people {
				if people[i].ActorID == who {
					people[i].Load++
					people[i].LastAssignedAt = &at
				}
			}
			break
		}
	}
	return out, cursor
}

// Full reports whether nobody of people can take another task: Plan
// would assign nothing more.
func Full(people []Candidate, available string) bool {
	return !slices.ContainsFunc(people, func(c Candidate) bool { return c.Availability == available && c.Load < c.Capacity })
}

// Notice is the notification of kind (assigned or reassigned) to the
// task's holder, from the previous holder; its id is the same for the same
// assignment, so a retried transaction inserts it once.
func Notice(t store.Task, kind, from string, at time.Time) store.Notification {
	return store.Notification{
		ID:      store.NotificationID(kind, t.ID, t.Assignee, at.UnixNano()),
		ActorID: t.Assignee, Kind: kind, TaskID: t.ID, CaseID: t.CaseID,
		Details: store.NotificationDetails{Flow: t.Flow, Step: t.Step, StepName: t.StepName, Department: t.Department,
			SLADue: t.SLADue, Rule: t.AssignRule, From: from, Level: t.EscalationLevel},
		CreatedAt: at, Delivery: store.DeliveryPending,
	}
}

// WorkTask is one task as WorkStats reads it.
type WorkTask struct {
	Department, ActorID, Status        string
	OpenedAt                           time.Time
	AssignedAt, ClaimedAt, CompletedAt *time.Time
	Reassignments                      int
}

// Work gathers WorkStats: per department, per person and in total.
type Work struct {
	stats []store.WorkStat
	index map[[2]string]int
	tasks int
}

// Add counts a task for its holder and for its department's total; the
// task beyond max (0: no bound) is store.ErrLimit.
func (w *Work) Add(t WorkTask, max int) error {
	if w.tasks++; max > 0 && w.tasks > max {
		return fmt.Errorf("more than %d tasks: %w", max, store.ErrLimit)
	}
	if w.index == nil {
		w.index = map[[2]string]int{}
	}
	for _, who := range []string{"", t.ActorID} {
		key := [2]string{t.Department, who}
		i, ok := w.index[key]
		if !ok {
			i = len(w.stats)
			w.index[key] = i
			w.stats = append(w.stats, store.WorkStat{Department: t.Department, ActorID: who})
		}
		s := &w.stats[i]
		s.Opened++
		switch t.Status {
		case store.TaskOpen:
			s.Open++
		case store.TaskCompleted:
			s.Completed++
		}
		s.Reassignments += t.Reassignments
		// Waiting for assignment ends when a rule or a lead gave the task
		// to someone, or when someone pulled it from the pool.
		if end := earliest(t.AssignedAt, t.ClaimedAt); end != nil {
			s.WaitAssign = append(s.WaitAssign, end.Sub(t.OpenedAt).Seconds())
		}
		if t.AssignedAt != nil && t.ClaimedAt != nil && !t.ClaimedAt.Before(*t.AssignedAt) {
			s.WaitStart = append(s.WaitStart, t.ClaimedAt.Sub(*t.AssignedAt).Seconds())
		}
		if t.ClaimedAt != nil && t.CompletedAt != nil && t.Status == store.TaskCompleted {
			s.Handle = append(s.Handle, t.CompletedAt.Sub(*t.ClaimedAt).Seconds())
		}
		if t.ActorID == "" {
			break
		}
	}
	return nil
}

// Stats are the gathered measures, by department then person ("" first).
func (w *Work) Stats() []store.WorkStat {
	out := slices.Clone(w.stats)
	slices.SortFunc(out, func(a, b store.WorkStat) int {
		if c := cmp.Compare(a.Department, b.Department); c != 0 {
			return c
		}
		return cmp.Compare(a.ActorID, b.ActorID)
	})
	return out
}

// earliest is the earlier of two times (nil when both are).
func earliest(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

// Lead picks the team lead an escalation gives a task to: among the
// available, the fewest open tasks, then id; capacity does not hold an
// escalation back. "" when no lead is available.
func Lead(leads []Candidate, available string) string {
	var best *Candidate
	for i, c := range leads {
		if c.Availability != available {
			continue
		}
		if best == nil || c.Load < best.Load || (c.Load == best.Load && c.ActorID < best.ActorID) {
			best = &leads[i]
		}
	}
	if best == nil {
		return ""
	}
	return best.ActorID
}
