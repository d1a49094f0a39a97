package simcal

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/stats"
)

// StaffChange adds (or, negative, removes) people of a department in
// some hours of the week: "+1 agent in technical from 9 to 17" is
// {Department: technical, Delta: 1, FromHour: 9, ToHour: 17} on the
// working days.
type StaffChange struct {
	Department string
	Delta      int
	// FromHour and ToHour (0–24, from < to) are UTC hours of the day.
	FromHour, ToHour int
	// Days are the weekdays it applies on (none: Monday to Friday).
	Days []time.Weekday
}

// MaxStaffDelta bounds a change's people.
const MaxStaffDelta = 1000

// Check validates a change against the model's departments.
func (s StaffChange) Check(departments []string) error {
	if !slices.Contains(departments, s.Department) {
		return fmt.Errorf("department %q is not a department of the flow (%v)", s.Department, departments)
	}
	if s.Delta == 0 || s.Delta > MaxStaffDelta || s.Delta < -MaxStaffDelta {
		return fmt.Errorf("a change of %d people: give 1 to %d people more or fewer", s.Delta, MaxStaffDelta)
	}
	if s.FromHour < 0 || s.ToHour > 24 || s.FromHour >= s.ToHour {
		return fmt.Errorf("hours %d to %d: give an hour of the day from 0 to 23 and a later one up to 24", s.FromHour, s.ToHour)
	}
	return nil
}

// Scenario is what a simulation changes against history: the version
// simulated, its staffing, and the volume.
type Scenario struct {
	Def   *flow.Definition
	Staff []StaffChange
	// Volume scales the fitted arrivals (1 or 0: as observed; 0.5: half,
	// as one arm of a pilot gets).
	Volume float64
	// Baseline is the version the history mostly ran (nil: unknown). A
	// decision step whose rules differ from the baseline's has its rules
	// evaluated on the sampled cases rather than its observed shares.
	Baseline *flow.Definition
}

// Note is an assumption a model made where the history said nothing;
// Step or Department name what it concerns.
type Note struct {
	Step, Department, Text string
}

// Defaults where a calibration has nothing.
const (
	// FallbackTaskWork is a task's work time when neither the step, its
	// department nor the flow has any observed (30 min).
	FallbackTaskWork = 30 * 60.0
	// FallbackHours are the working hours of a department nobody was
	// seen working in: Monday to Friday 09–17 UTC, one person.
	fallbackFrom, fallbackTo = 9, 17
	// MinDecisionVisits: a decision step's observed shares are used from
	// this many visits on; fewer, its rules are evaluated on the sampled
	// cases.
	MinDecisionVisits = 20
)

// Model builds the simulation model of sc.Def under sc's staffing from
// the calibration, with the notes of what it assumed.
func (c *Calibration) Model(sc Scenario) (*sim.Model, []Note, error) {
	def := sc.Def
	if def == nil {
		return nil, nil, refuse("simcal: no flow version to simulate")
	}
	if def.Key != c.Flow {
		return nil, nil, refuse("simcal: the calibration is of %s, the version of %s", c.Flow, def.Key)
	}
	var notes []Note
	m := &sim.Model{Start: def.StartStep(), CaseSLA: def.SLA.D(), CaseClock: clock(def.CalendarFor(nil))}
	vol := sc.Volume
	if vol == 0 {
		vol = 1
	}
	if vol < 0 || vol > 100 || math.IsNaN(vol) {
		return nil, nil, refuse("simcal: a volume of %g: give a factor above 0 and at most 100", vol)
	}
	for h, r := range c.Arrivals {
		m.ArrivalsPerHour[h] = r * vol
	}
	depts := slices.Clone(def.Departments)
	slices.Sort(depts)
	bySLA := map[string]bool{}
	for i := range def.Steps {
		fs := &def.Steps[i]
		st, n := c.step(def, fs, changedDecision(sc.Baseline, fs))
		notes = append(notes, n...)
		m.Steps = append(m.Steps, st)
		if fs.Kind == flow.KindTask && fs.Assign != nil && fs.Assign.Rule != flow.AssignPull {
			bySLA[fs.Department] = true
		}
	}
	for _, d := range depts {
		stf, n := c.staffing(def, d)
		stf.BySLA = bySLA[d]
		notes = append(notes, n...)
		m.Staff = append(m.Staff, stf)
		// The other flows' tasks of the department: the same people work
		// them.
		if i := slices.IndexFunc(c.Departments, func(x DeptData) bool { return x.Department == d }); i >= 0 && len(c.Departments[i].OtherWork) > 0 {
			x := c.Departments[i]
			m.Background = append(m.Background, sim.Background{Department: d, PerHour: x.OtherPerHour,
				Work: sim.FitWork(x.OtherWork, sim.Exponential{MeanSeconds: FallbackTaskWork})})
		}
	}
	for _, ch := range sc.Staff {
		if err := ch.Check(depts); err != nil {
			return nil, nil, refuse("simcal: a staffing change: %v", err)
		}
		i := slices.IndexFunc(m.Staff, func(s sim.Staffing) bool { return s.Department == ch.Department })
		days := ch.Days
		if len(days) == 0 {
			days = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
		}
		for _, wd := range days {
			for h := ch.FromHour; h < ch.ToHour; h++ {
				k := ((int(wd)+6)%7)*24 + h // sim.HourOfWeek's layout: Monday first

				m.Staff[i].PerHour[k] = max(0, m.Staff[i].PerHour[k]+ch.Delta)
			}
		}
	}
	if err := m.Check(); err != nil {
		return nil, nil, refuse("simcal: the model of %s v%d: %v", def.Key, def.Version, err)
	}
	return m, notes, nil
}

// clock is a calendar's Add, nil for elapsed time.
func clock(cal *flow.Calendar) func(time.Time, time.Duration) time.Time {
	if cal == nil {
		return nil
	}
	return cal.Add
}

// step builds one step: its duration and its ways out.
func (c *Calibration) step(def *flow.Definition, fs *flow.Step, changed bool) (sim.Step, []Note) {
	st := sim.Step{ID: fs.ID}
	var notes []Note
	data := c.Step(fs.ID)
	var obs []float64
	if data != nil {
		obs = data.Durations
	}
	switch fs.Kind {
	case flow.KindTask:
		if data != nil && data.LeadOnly {
			// A log of completions only: the step's time since the
			// previous event is replayed, waiting and work together.
			st.SLA, st.Clock = fs.SLA.D(), clock(def.CalendarFor(fs))
			st.Work = sim.FitWork(obs, sim.Fixed{}) // none: the case's first event
			notes = append(notes, Note{Step: fs.ID, Text: "the log has only completion times: this step replays its time since the case's previous event (waiting and work together); staffing changes do not move it"})
			break
		}
		st.Department, st.SLA, st.Clock = fs.Department, fs.SLA.D(), clock(def.CalendarFor(fs))
		for _, e := range fs.Escalation {
			st.Escalations = append(st.Escalations, sim.Escalation{After: e.After.D(), Department: e.Department})
		}
		if len(obs) == 0 {
			obs = c.departmentWork(fs.Department)
			if len(obs) > 0 {
				notes = append(notes, Note{Step: fs.ID, Text: fmt.Sprintf("no task of this step was worked in the window: its work time is that of %s's other tasks (%d observed)", fs.Department, len(obs))})
			}
		}
		if len(obs) == 0 {
			obs = c.departmentWork("")
			if len(obs) > 0 {
				notes = append(notes, Note{Step: fs.ID, Text: fmt.Sprintf("no task of %s was worked in the window: its work time is that of the flow's other tasks (%d observed)", fs.Department, len(obs))})
			}
		}
		st.Work = sim.FitWork(obs, sim.Exponential{MeanSeconds: FallbackTaskWork})
		if len(obs) == 0 {
			notes = append(notes, Note{Step: fs.ID, Text: "no task of the flow was worked in the window: its work time is assumed exponential with a mean of 30 min"})
		}
	case flow.KindWait:
		st.PauseSLA = fs.PauseSLA
		switch {
		case fs.Event == "":
			st.Work = sim.Fixed{Seconds: fs.Duration.D().Seconds()}
		case len(obs) > 0:
			st.Work = sim.FitWork(obs, nil)
		case fs.Timeout > 0:
			st.Work = sim.Fixed{Seconds: fs.Timeout.D().Seconds()}
			notes = append(notes, Note{Step: fs.ID, Text: "no case waited here in the window: the wait is assumed to last its whole timeout"})
		default:
			st.Work = sim.Fixed{}
			notes = append(notes, Note{Step: fs.ID, Text: "no case waited here in the window and the wait has no timeout: it is assumed to take no time"})
		}
	default:
		st.Work = sim.FitWork(obs, sim.Fixed{})
	}
	next, n := c.branches(fs, data, changed)
	st.Next = next
	return st, append(notes, n...)
}

// changedDecision reports whether fs is a decision whose rules or
// default differ from the baseline's step of the same id.
func changedDecision(base *flow.Definition, fs *flow.Step) bool {
	if base == nil || fs.Kind != flow.KindDecision {
		return false
	}
	b, ok := base.Step(fs.ID)
	return !ok || b.Kind != fs.Kind || b.Default != fs.Default || !slices.Equal(b.Rules, fs.Rules)
}

// departmentWork pools the observed work times of a department's task
// steps ("": every task step's).
func (c *Calibration) departmentWork(dept string) []float64 {
	var out []float64
	for _, s := range c.Steps {
		if s.Kind == "task" && (dept == "" || s.Department == dept) {
			out = append(out, s.Durations...)
		}
	}
	return out
}

// branches are a step's ways out: observed outcome shares mapped through
// the version's routing, a decision's rules evaluated on the sampled cases
// when its history is thin, an even split when nothing is known.
func (c *Calibration) branches(fs *flow.Step, data *StepData, changed bool) ([]sim.Branch, []Note) {
	targets := routes(fs)
	if len(targets) == 0 {
		return nil, nil
	}
	counts := make([]float64, len(targets))
	total := 0.0
	if data != nil && (fs.Kind != flow.KindDecision || (data.Visits >= MinDecisionVisits && !changed)) {
		for _, o := range data.Outcomes {
			if i := slices.IndexFunc(targets, func(t route) bool { return t.outcome == o.Outcome }); i >= 0 {
				counts[i] += float64(o.N)
				total += float64(o.N)
			}
		}
	}
	var notes []Note
	if total == 0 && fs.Kind == flow.KindDecision && len(c.Envs) > 0 {
		for _, env := range c.Envs {
			next := decide(fs, env)
			if i := slices.IndexFunc(targets, func(t route) bool { return t.outcome == next }); i >= 0 {
				counts[i]++
				total++
			}
		}
		if total > 0 {
			notes = append(notes, Note{Step: fs.ID, Text: fmt.Sprintf("its rules were evaluated on %d cases of the window (attributes, customer and channel; the last outcome left empty)", len(c.Envs))})
		}
	}
	if total == 0 {
		for i := range counts {
			counts[i] = 1
		}
		total = float64(len(counts))
		if len(targets) > 1 {
			notes = append(notes, Note{Step: fs.ID, Text: fmt.Sprintf("no visit in the window ended one of its %d ways out: they are assumed equally likely", len(targets))})
		}
	}
	// One branch per distinct next step, in the order of the routes.
	var out []sim.Branch
	for i, t := range targets {
		if counts[i] == 0 {
			continue
		}
		if j := slices.IndexFunc(out, func(b sim.Branch) bool { return b.To == t.next }); j >= 0 {
			out[j].P += counts[i] / total
			continue
		}
		out = append(out, sim.Branch{To: t.next, P: counts[i] / total})
	}
	return out, notes
}

// route is one way out of a step: the span outcome it is recorded with
// and the step it leads to.
type route struct{ outcome, next string }

// routes are a step's ways out as its spans name them: a task's or a
// pilot's outcomes, a decision's next steps, a wait's event or timeout,
// an automatic step's "done".
func routes(fs *flow.Step) []route {
	var out []route
	switch fs.Kind {
	case flow.KindTask, flow.KindPilot:
		for _, o := range fs.Outcomes {
			out = append(out, route{o.Name, o.Next})
		}
	case flow.KindDecision:
		for _, r := range fs.Rules {
			if !slices.ContainsFunc(out, func(x route) bool { return x.next == r.Next }) {
				out = append(out, route{r.Next, r.Next})
			}
		}
		if fs.Default != "" && !slices.ContainsFunc(out, func(x route) bool { return x.next == fs.Default }) {
			out = append(out, route{fs.Default, fs.Default})
		}
	case flow.KindWait:
		if fs.Next != "" {
			out = append(out, route{fs.Event, fs.Next})
			if fs.Event == "" {
				out[0].outcome = "timeout"
			}
		}
		if fs.Event != "" && fs.Timeout > 0 {
			to := fs.OnTimeout
			if to == "" {
				to = fs.Next
			}
			if to != "" {
				out = append(out, route{"timeout", to})
			}
		}
	case flow.KindAuto:
		if fs.Next != "" {
			out = append(out, route{"done", fs.Next})
		}
	}
	return out
}

// decide evaluates a decision's rules on a case, as the workflow does:
// the first rule that holds, else the default; a rule that fails to
// evaluate does not hold.
func decide(fs *flow.Step, env Env) string {
	e := flow.RuleEnv(env.Attributes, env.Customer, env.Channel, "", nil)
	for _, r := range fs.Rules {
		if ok, err := flow.EvalRule(r.When, e); err == nil && ok {
			return r.Next
		}
	}
	return fs.Default
}

// people is an observed mean of people at work as whole people: up from
// 0.3 of a person on (2.3 → 3, 2.2 → 2). A person who is at work but
// between tasks at both ends of an hour is not seen there, so the
// observed mean runs low, most in a quiet department.
func people(mean float64) int { return int(math.Ceil(mean - 0.3)) }

// staffing is a department's people per hour of the week: the observed
// mean as whole people (people), or, when nobody was seen working there,
// one person in the flow's calendar hours (Monday to Friday 09–17 UTC
// without a calendar).
func (c *Calibration) staffing(def *flow.Definition, dept string) (sim.Staffing, []Note) {
	stf := sim.Staffing{Department: dept}
	i := slices.IndexFunc(c.Departments, func(d DeptData) bool { return d.Department == dept })
	if i >= 0 {
		open := c.openHours()
		for h, v := range c.Departments[i].PerHour {
			stf.PerHour[h] = people(v)
			if open[h] {
				stf.PerHour[h] = max(stf.PerHour[h], 1)
			}
		}
		if slices.ContainsFunc(stf.PerHour[:], func(n int) bool { return n > 0 }) {
			return stf, nil
		}
	}
	cal := def.CalendarFor(nil)
	for h := range sim.HoursPerWeek {
		day, hour := h/24, h%24
		if cal != nil {
			// The calendar's opening in the first week of the window.
			at := mondayOf(c.From).Add(time.Duration(h) * time.Hour)
			if cal.Between(at, at.Add(time.Hour)) > 0 {
				stf.PerHour[h] = 1
			}
		} else if day < 5 && hour >= fallbackFrom && hour < fallbackTo {
			stf.PerHour[h] = 1
		}
	}
	return stf, []Note{{Department: dept, Text: "nobody was seen working its tasks in the window: one person is assumed in the flow's working hours"}}
}

// openHours are the hours of the week the operation is open: those in
// which some department of the flow has half a person or more at work on
// average. A department seen working at all has at least one person then:
// a quiet department (a supervisor who takes escalations) claims too few
// tasks for its hours to show.
func (c *Calibration) openHours() [sim.HoursPerWeek]bool {
	var open [sim.HoursPerWeek]bool
	for _, d := range c.Departments {
		for h, v := range d.PerHour {
			open[h] = open[h] || v >= 0.5
		}
	}
	return open
}

// mondayOf is 00:00 UTC of the Monday of t's week.
func mondayOf(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Hour)
	return t.Add(-time.Duration(sim.HourOfWeek(t)) * time.Hour)
}

// ObservedWork is the median of a step's observed durations in seconds
// (NaN without any), for showing beside the simulated.
func (s *StepData) ObservedWork() float64 { return stats.Median(s.Durations) }

// weekdays are the API's names of the days.
var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// StaffChangeOf is the API's staffing change as simcal's.
func StaffChangeOf(ch apiv1.StaffChange) (StaffChange, error) {
	out := StaffChange{Department: ch.Department, Delta: ch.Delta, FromHour: ch.FromHour, ToHour: ch.ToHour}
	for _, d := range ch.Days {
		i := -1
		for k, w := range weekdays {
			if w == strings.ToLower(d) {
				i = k
			}
		}
		if i < 0 {
			return StaffChange{}, fmt.Errorf("day %q: use mon, tue, wed, thu, fri, sat or sun", d)
		}
		out.Days = append(out.Days, time.Weekday(i))
	}
	return out, nil
}
