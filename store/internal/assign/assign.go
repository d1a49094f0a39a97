// Package assign chooses who gets a task by an assignment rule (decision
// 0035). Both stores gather the department's people in the transaction
// that assigns the task and ask Choose, so the rule is written once.
package assign

import (
	"cmp"
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
