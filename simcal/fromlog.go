package simcal

import (
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowdraft"
	"github.com/flowlab/flowlab/sim"
)

// FromLog calibrates a flow from an imported event log instead of its
// spans (issue 22: a flow drafted from a helpdesk's log has no spans
// yet). Each event is matched to the task step whose name or id is its
// activity (the draft's names are the activities; events of other
// activities are left out and counted). Arrivals are the cases' first
// events; a task's outcome is the one that leads to the step the case
// took next (or to an end step after its last event). A log that pairs a
// start with each completion gives work times (start → completion) and,
// from its resources' days, staffing, so that waiting emerges from
// queueing as with spans. A log of completions only cannot tell waiting
// from work: each step's time since the case's previous event is
// replayed as a delay (LeadOnly), and staffing changes do not move it.
func FromLog(l discovery.Log, def *flow.Definition) (*Calibration, int, error) {
	if def == nil {
		return nil, 0, refuse("simcal: no flow version to calibrate")
	}
	c := &Calibration{Flow: def.Key}
	stepOf := func(activity string) *flow.Step {
		for i := range def.Steps {
			s := &def.Steps[i]
			if s.Kind == flow.KindTask && (s.Name == activity || s.ID == activity || s.ID == flowdraft.StepID(activity)) {
				return s
			}
		}
		return nil
	}
	var arrived []time.Time
	unmatched := 0
	steps := map[string]*StepData{}
	shifts := map[shiftKey][2]int{}
	var first, last time.Time
	for _, cs := range l.Cases {
		if len(cs.Events) == 0 {
			continue
		}
		begin := cs.Events[0].Time
		if s := cs.Events[0].Start; s != nil && s.Before(begin) {
			begin = *s
		}
		arrived = append(arrived, begin)
		if first.IsZero() || begin.Before(first) {
			first = begin
		}
		var prev *flow.Step
		var prevData *StepData
		for i, e := range cs.Events {
			if e.Time.After(last) {
				last = e.Time
			}
			fs := stepOf(e.Activity)
			if fs == nil {
				unmatched++
				continue
			}
			sd := steps[fs.ID]
			if sd == nil {
				sd = &StepData{Step: fs.ID, Kind: string(flow.KindTask), Department: fs.Department}
				steps[fs.ID] = sd
			}
			sd.Visits++
			switch {
			case e.Start != nil && !e.Time.Before(*e.Start):
				sd.Durations = append(sd.Durations, e.Time.Sub(*e.Start).Seconds())
				if e.Resource != "" {
					// The resource's group when it is a department of
					// the flow (an escalated task is worked elsewhere),
					// else the step's.
					dept := fs.Department
					if e.Group != "" && slices.Contains(def.Departments, e.Group) {
						dept = e.Group
					}
					shift(shifts, dept, e.Resource, *e.Start)
				}
			default:
				if ready, ok := discovery.ReadyAt(cs, i); ok && !e.Time.Before(ready) {
					sd.Durations = append(sd.Durations, e.Time.Sub(ready).Seconds())
				}
				sd.LeadOnly = true
			}
			if prev != nil {
				c.took(steps, prevData, prev, fs.ID, def)
			}
			prev, prevData = fs, sd
		}
		if prev != nil {
			c.took(steps, prevData, prev, "", def)
		}
	}
	if len(arrived) == 0 {
		return nil, unmatched, refuse("simcal: the log has no case to calibrate from")
	}
	c.From, c.To = first.UTC().Truncate(24*time.Hour), last.UTC().Add(time.Second)
	c.Cases = len(arrived)
	var err error
	if c.Arrivals, err = sim.FitArrivals(arrived, c.From, c.To); err != nil {
		return nil, unmatched, refuse("simcal: %v", err)
	}
	for _, id := range sortedKeys(steps) {
		sd := steps[id]
		slices.SortFunc(sd.Outcomes, func(a, b Outcome) int { return strings.Compare(a.Outcome, b.Outcome) })
		sd.Durations = thin(sd.Durations, MaxObservations)
		c.Steps = append(c.Steps, *sd)
		c.Spans += sd.Visits
	}
	c.Departments = departmentsOf(shifts, c.From, int(c.To.Sub(c.From.Truncate(time.Hour))/time.Hour))
	return c, unmatched, nil
}

// took counts the way a case went from task fs to task next ("": it
// ended): the outcome of fs that leads there, directly or through one
// decision, whose way out is then counted too.
func (c *Calibration) took(steps map[string]*StepData, sd *StepData, fs *flow.Step, next string, def *flow.Definition) {
	reaches := func(id string) bool {
		if next != "" {
			return id == next
		}
		s, ok := def.Step(id)
		return ok && s.Kind == flow.KindEnd
	}
	for _, o := range fs.Outcomes {
		if reaches(o.Next) {
			sd.addOutcome(o.Name)
			return
		}
	}
	for _, o := range fs.Outcomes {
		d, ok := def.Step(o.Next)
		if !ok || d.Kind != flow.KindDecision {
			continue
		}
		for _, to := range append(ruleTargets(d), d.Default) {
			if to != "" && reaches(to) {
				sd.addOutcome(o.Name)
				dd := steps[d.ID]
				if dd == nil {
					dd = &StepData{Step: d.ID, Kind: string(flow.KindDecision)}
					steps[d.ID] = dd
				}
				dd.Visits++
				dd.addOutcome(to)
				return
			}
		}
	}
}

// ruleTargets are a decision's rules' next steps, in order.
func ruleTargets(d *flow.Step) []string {
	out := make([]string, 0, len(d.Rules))
	for _, r := range d.Rules {
		out = append(out, r.Next)
	}
	return out
}

func (sd *StepData) addOutcome(name string) {
	if name == "" {
		return
	}
	if i := slices.IndexFunc(sd.Outcomes, func(o Outcome) bool { return o.Outcome == name }); i >= 0 {
		sd.Outcomes[i].N++
		return
	}
	sd.Outcomes = append(sd.Outcomes, Outcome{Outcome: name, N: 1})
}
