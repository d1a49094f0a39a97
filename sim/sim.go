// Package sim is a discrete-event simulator of a flow's operation (issue
// 22): cases arrive by hour of week (a non-homogeneous Poisson process),
// walk their steps by branch probabilities, and wait in their
// department's queue for one of the people staffed at that hour, who
// works the step for a drawn time; waiting therefore emerges from
// queueing rather than being replayed. It is pure and deterministic for a
// seed: no clock, no map order, one random stream per run.
package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// HoursPerWeek is the length of the hour-of-week profiles: hour 0 is
// Monday 00:00–01:00 UTC.
const HoursPerWeek = 168

// Branch is one way out of a step and its probability.
type Branch struct {
	To string
	P  float64
}

// Step is a step of the simulated flow. A step with a Department is a
// human task: it waits for a person of that department; one without is
// automatic and takes its Work at once.
type Step struct {
	ID         string
	Department string
	Work       Dist
	// SLA, when > 0, is how long the step may take from entering it to
	// finishing it.
	SLA time.Duration
	// Next are the ways out, their probabilities summing to 1; none ends
	// the case.
	Next []Branch
	// Clock, when set, is the time d after from counted in the step's
	// business calendar (its SLA and escalations count in it); nil is
	// elapsed time.
	Clock func(from time.Time, d time.Duration) time.Time
	// Escalations move a task still waiting (not started) After it was
	// entered to another department's queue, in order of After.
	Escalations []Escalation
	// PauseSLA: the time a case spends at this step does not count
	// towards the case's SLA (a wait for the customer).
	PauseSLA bool
}

// Escalation is an escalation level of a task step: a task not started
// After its entry (in the step's Clock) moves to Department's queue ("":
// it stays where it is and only counts as escalated).
type Escalation struct {
	After      time.Duration
	Department string
}

// due is when d has passed since from in the step's clock.
func (s *Step) due(from time.Time, d time.Duration) time.Time {
	if s.Clock == nil {
		return from.Add(d)
	}
	return s.Clock(from, d)
}

// Staffing is how many people of a department work each hour of the week.
type Staffing struct {
	Department string
	PerHour    [HoursPerWeek]int
	// BySLA serves the department's queue by SLA due time (tasks without
	// an SLA last, then by entry), as assignment rules hand out work;
	// otherwise first come first served, as people pull from a pool.
	BySLA bool
}

// Model is what a run simulates.
type Model struct {
	Start string
	Steps []Step
	// ArrivalsPerHour are the expected new cases in each hour of the week.
	ArrivalsPerHour [HoursPerWeek]float64
	Staff           []Staffing
	// CaseSLA, when > 0, is the case's target from arrival to close, not
	// counting its time at PauseSLA steps; CaseClock counts it in the
	// flow's calendar (nil: elapsed).
	CaseSLA   time.Duration
	CaseClock func(from time.Time, d time.Duration) time.Time
	// Background is the other work of the departments (other flows'
	// tasks): it takes the same people, first come first served with the
	// flow's tasks, and is not measured.
	Background []Background
}

// Background is a stream of other tasks in a department: PerHour are the
// expected tasks in each hour of the week, Work their work time.
type Background struct {
	Department string
	PerHour    [HoursPerWeek]float64
	Work       Dist
}

// Bounds of a run.
const (
	MaxSteps    = 200
	MaxHorizon  = 2 * 366 * 24 * time.Hour
	MaxCases    = 2_000_000
	MaxVisits   = 1000 // steps a case may take (loops)
	maxStaffNum = 100_000
)

// Options of a run.
type Options struct {
	Seed uint64
	// Start is when the simulated period begins; Horizon its length.
	// Cases arrive during it; the run goes on until they finish or
	// Drain after the horizon.
	Start   time.Time
	Horizon time.Duration
	Drain   time.Duration
	// WarmUp is the first part of the horizon whose cases are simulated
	// (they fill the queues) but not measured: the run starts empty.
	WarmUp time.Duration
}

// StepVisit is one step of a simulated case.
type StepVisit struct {
	Step      string
	Entered   time.Time
	Started   time.Time // work began (Entered for an automatic step)
	Completed time.Time
	Breached  bool
	// Department is where the task was worked (its step's, or the one
	// an escalation moved it to); Escalated the levels it reached.
	Department string
	Escalated  int
}

// Wait is the time the visit waited for a person.
func (v StepVisit) Wait() time.Duration { return v.Started.Sub(v.Entered) }

// Work is the time it was worked.
func (v StepVisit) Work() time.Duration { return v.Completed.Sub(v.Started) }

// Case is one simulated case.
type Case struct {
	Arrived time.Time
	// Closed is when its last step finished; zero when it had not by the
	// end of the run.
	Closed time.Time
	Visits []StepVisit
	// Paused is the time spent at PauseSLA steps.
	Paused time.Duration
	// Late: the case closed after its case SLA (Model.CaseSLA, paused
	// time added back).
	Late bool
}

// Done reports whether the case finished within the run.
func (c Case) Done() bool { return !c.Closed.IsZero() }

// Result is one run.
type Result struct {
	Cases []Case
	// Busy and Available are per department (in Model.Staff's order) the
	// person-seconds worked and staffed during the horizon.
	Busy, Available []float64
	// Backlog is the number of open cases at the start of each hour of
	// the horizon.
	Backlog []int
	// MeasureFrom is the end of the warm-up: the summaries measure the
	// cases that arrived from then on.
	MeasureFrom time.Time
}

// Utilisation is department i's busy / available time over the horizon
// (NaN when nobody was staffed).
func (r Result) Utilisation(i int) float64 {
	if r.Available[i] == 0 {
		return math.NaN()
	}
	return r.Busy[i] / r.Available[i]
}

// Check validates a model: steps exist and are unique, branches name
// steps and their probabilities sum to 1, every department of a step is
// staffed, rates and staff are finite and not negative.
func (m *Model) Check() error {
	if len(m.Steps) == 0 || len(m.Steps) > MaxSteps {
		return fmt.Errorf("sim: a model has 1 to %d steps; this one has %d", MaxSteps, len(m.Steps))
	}
	ids := make([]string, 0, len(m.Steps))
	for _, s := range m.Steps {
		if s.ID == "" || slices.Contains(ids, s.ID) {
			return fmt.Errorf("sim: step %q is empty or repeated", s.ID)
		}
		ids = append(ids, s.ID)
	}
	if !slices.Contains(ids, m.Start) {
		return fmt.Errorf("sim: the start step %q is not a step", m.Start)
	}
	for _, s := range m.Steps {
		if s.Work == nil {
			return fmt.Errorf("sim: step %s has no work-time distribution", s.ID)
		}
		sum := 0.0
		for _, b := range s.Next {
			if !slices.Contains(ids, b.To) {
				return fmt.Errorf("sim: step %s leads to %q, which is not a step", s.ID, b.To)
			}
			if b.P < 0 || math.IsNaN(b.P) {
				return fmt.Errorf("sim: step %s: a branch probability is negative", s.ID)
			}
			sum += b.P
		}
		if len(s.Next) > 0 && math.Abs(sum-1) > 1e-6 {
			return fmt.Errorf("sim: step %s: its branch probabilities sum to %g, not 1", s.ID, sum)
		}
		if s.Department != "" && m.staffIndex(s.Department) < 0 {
			return fmt.Errorf("sim: step %s: department %s has no staffing", s.ID, s.Department)
		}
		for i, e := range s.Escalations {
			if s.Department == "" || e.After <= 0 || (i > 0 && e.After <= s.Escalations[i-1].After) {
				return fmt.Errorf("sim: step %s: escalations belong to tasks and come after strictly increasing times", s.ID)
			}
			if e.Department != "" && m.staffIndex(e.Department) < 0 {
				return fmt.Errorf("sim: step %s escalates to department %s, which has no staffing", s.ID, e.Department)
			}
		}
	}
	for _, r := range m.ArrivalsPerHour {
		if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
			return errors.New("sim: an hourly arrival rate is negative or not a number")
		}
	}
	for _, st := range m.Staff {
		for _, n := range st.PerHour {
			if n < 0 || n > maxStaffNum {
				return fmt.Errorf("sim: department %s: staff of %d in an hour", st.Department, n)
			}
		}
	}
	for _, b := range m.Background {
		if m.staffIndex(b.Department) < 0 || b.Work == nil {
			return fmt.Errorf("sim: background work of department %s: the department has no staffing or the work no distribution", b.Department)
		}
		for _, r := range b.PerHour {
			if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
				return fmt.Errorf("sim: background work of department %s: an hourly rate is negative or not a number", b.Department)
			}
		}
	}
	return nil
}

func (m *Model) staffIndex(dept string) int {
	return slices.IndexFunc(m.Staff, func(s Staffing) bool { return s.Department == dept })
}

func (m *Model) stepIndex(id string) int {
	return slices.IndexFunc(m.Steps, func(s Step) bool { return s.ID == id })
}

// Event kinds, in the order events at one instant are handled.
const (
	evStaff    = iota // an hour begins: staffing changes
	evDone            // a step's work ends
	evEscalate        // a waiting task reaches an escalation level
	evArrival         // a case arrives
)

type event struct {
	at   float64 // seconds since Options.Start
	kind int
	seq  uint64 // tie-break: order of scheduling
	cas  int    // case index
	dept int
	// visit and level of an escalation: the case's visit it concerns
	// and the level (index into the step's Escalations).
	visit, level int
}

type events []event

func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	if e[i].kind != e[j].kind {
		return e[i].kind < e[j].kind
	}
	return e[i].seq < e[j].seq
}

// bgTask is a background task: when it arrives and in which department.
type bgTask struct {
	at   float64
	dept int
}

// waiting is a case waiting in a department's queue since at; due is
// its SLA due time (+Inf without one) for a queue served by SLA.
type waiting struct {
	cas int
	at  float64
	due float64
}

type runState struct {
	m       *Model
	o       Options
	r       *rand.Rand
	q       events
	seq     uint64
	cases   []Case
	step    []int // each case's current step index
	visits  []int // steps each case has taken
	queue   [][]waiting
	busy    []int
	staff   []int
	busyT   []float64
	availT  []float64
	lastT   float64
	horizon float64
	// bg are the background tasks' arrivals in order.
	bg []bgTask
	// arrivals are the arrival times in order (case i at arrivals[i]);
	// stepDept each step's department index (-1: automatic); next each
	// step's branches' step indices.
	arrivals []float64
	bgWork   []Dist // per department (nil: none)
	stepDept []int
	next     [][]int
}

// push adds an event to the heap (a binary heap on events.Less, typed
// rather than through container/heap, which boxes every event).
func (s *runState) push(e event) {
	s.seq++
	e.seq = s.seq
	s.q = append(s.q, e)
	q := s.q
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if !q.Less(i, p) {
			break
		}
		q[i], q[p] = q[p], q[i]
		i = p
	}
}

// pop removes the heap's first event.
func (s *runState) pop() event {
	q := s.q
	top := q[0]
	n := len(q) - 1
	q[0] = q[n]
	q = q[:n]
	for i := 0; ; {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && q.Less(r, l) {
			j = r
		}
		if !q.Less(j, i) {
			break
		}
		q[i], q[j] = q[j], q[i]
		i = j
	}
	s.q = q
	return top
}

func (s *runState) at(sec float64) time.Time {
	return s.o.Start.Add(time.Duration(sec * float64(time.Second)))
}

// HourOfWeek is the hour of week of an instant, the index into a
// profile's HoursPerWeek values (Monday 00:00–01:00 UTC = 0).
func HourOfWeek(t time.Time) int {
	t = t.UTC()
	return ((int(t.Weekday())+6)%7)*24 + t.Hour()
}

// Run simulates the model once.
func Run(m *Model, o Options) (Result, error) {
	if err := m.Check(); err != nil {
		return Result{}, err
	}
	if o.Horizon <= 0 || o.Horizon > MaxHorizon || o.Drain < 0 || o.Drain > MaxHorizon {
		return Result{}, fmt.Errorf("sim: a horizon from 1 s to %s and a drain up to it", MaxHorizon)
	}
	if o.Start.IsZero() {
		return Result{}, errors.New("sim: no start time")
	}
	if o.WarmUp < 0 || o.WarmUp >= o.Horizon {
		return Result{}, fmt.Errorf("sim: a warm-up of %s does not fit a horizon of %s", o.WarmUp, o.Horizon)
	}
	s := &runState{m: m, o: o, r: rand.New(rand.NewPCG(o.Seed, 0x5eed5eed)), horizon: o.Horizon.Seconds(),
		queue: make([][]waiting, len(m.Staff)), busy: make([]int, len(m.Staff)), staff: make([]int, len(m.Staff)),
		busyT: make([]float64, len(m.Staff)), availT: make([]float64, len(m.Staff))}
	end := s.horizon + o.Drain.Seconds()
	s.stepDept = make([]int, len(m.Steps))
	s.next = make([][]int, len(m.Steps))
	for i, st := range m.Steps {
		s.stepDept[i] = -1
		if st.Department != "" {
			s.stepDept[i] = m.staffIndex(st.Department)
		}
		for _, b := range st.Next {
			s.next[i] = append(s.next[i], m.stepIndex(b.To))
		}
	}
	startStep := m.stepIndex(m.Start)
	if err := s.scheduleArrivals(); err != nil {
		return Result{}, err
	}
	if err := s.scheduleBackground(); err != nil {
		return Result{}, err
	}
	// Staffing changes at each hour boundary from the start's hour, and
	// arrivals come in order: both are taken from their sequences beside
	// the heap of work done and escalations, the earliest first, by
	// (time, kind, order scheduled).
	hourAt := o.Start.Truncate(time.Hour)
	var backlog []int
	open := 0
	nextHour := 0.0
	nextArrival, nextBg := 0, 0
	for {
		var e event
		have := false
		if hs := math.Max(0, hourAt.Sub(o.Start).Seconds()); hs < end {
			e, have = event{at: hs, kind: evStaff}, true
		}
		if len(s.q) > 0 && (!have || s.q[0].at < e.at) {
			e, have = s.q[0], true
		}
		if nextArrival < len(s.arrivals) && (!have || s.arrivals[nextArrival] < e.at) {
			e, have = event{at: s.arrivals[nextArrival], kind: evArrival, cas: nextArrival}, true
		}
		if nextBg < len(s.bg) && (!have || s.bg[nextBg].at < e.at) {
			e, have = event{at: s.bg[nextBg].at, kind: evArrival, cas: -1, dept: s.bg[nextBg].dept}, true
		}
		if !have {
			break
		}
		switch e.kind {
		case evStaff:
			hourAt = hourAt.Add(time.Hour)
		case evArrival:
			if e.cas < 0 {
				nextBg++
			} else {
				nextArrival++
			}
		default:
			s.pop()
		}
		if e.at > end {
			break
		}
		s.account(e.at)
		for nextHour <= e.at && nextHour < s.horizon {
			backlog = append(backlog, open)
			nextHour += 3600
		}
		switch e.kind {
		case evStaff:
			hw := HourOfWeek(s.at(e.at))
			for i, st := range m.Staff {
				s.staff[i] = st.PerHour[hw]
				s.dispatch(i, e.at)
			}
		case evArrival:
			if e.cas < 0 {
				s.wait(e.dept, waiting{cas: -1, at: e.at, due: math.Inf(1)}, e.at)
				break
			}
			open++
			s.enter(e.cas, startStep, e.at)
		case evDone:
			if e.cas < 0 { // background work done
				s.busy[e.dept]--
				s.dispatch(e.dept, e.at)
				break
			}
			c := &s.cases[e.cas]
			v := &c.Visits[len(c.Visits)-1]
			v.Completed = s.at(e.at)
			st := &m.Steps[s.step[e.cas]]
			v.Breached = st.SLA > 0 && v.Completed.After(st.due(v.Entered, st.SLA))
			if st.PauseSLA {
				c.Paused += v.Completed.Sub(v.Entered)
			}
			if e.dept >= 0 {
				s.busy[e.dept]--
			}
			if next := s.branch(s.step[e.cas]); next >= 0 && s.visits[e.cas] < MaxVisits {
				s.enter(e.cas, next, e.at)
			} else {
				c.Closed = v.Completed
				c.Late = m.CaseSLA > 0 && c.Closed.After(s.caseDue(c))
				open--
			}
			if e.dept >= 0 {
				s.dispatch(e.dept, e.at)
			}
		case evEscalate:
			s.escalate(e)
		}
	}
	s.account(math.Min(end, s.horizon))
	for nextHour < s.horizon {
		backlog = append(backlog, open)
		nextHour += 3600
	}
	return Result{Cases: s.cases, Busy: s.busyT, Available: s.availT, Backlog: backlog, MeasureFrom: o.Start.Add(o.WarmUp)}, nil
}

// account adds the person-seconds staffed and busy since the last event
// (within the horizon).
func (s *runState) account(now float64) {
	to := math.Min(now, s.horizon)
	if to > s.lastT {
		d := to - s.lastT
		for i := range s.staff {
			s.availT[i] += float64(s.staff[i]) * d
			s.busyT[i] += float64(s.busy[i]) * d
		}
	}
	s.lastT = math.Max(s.lastT, to)
}

// scheduleArrivals draws the arrivals of the horizon by thinning: candidate
// times at the highest hourly rate, each kept with the hour's rate over it.
func (s *runState) scheduleArrivals() error {
	top := 0.0
	for _, r := range s.m.ArrivalsPerHour {
		top = math.Max(top, r)
	}
	if top == 0 {
		return nil
	}
	perSec := top / 3600
	t := 0.0
	for {
		t += s.r.ExpFloat64() / perSec
		if t >= s.horizon {
			return nil
		}
		if s.r.Float64()*top < s.m.ArrivalsPerHour[HourOfWeek(s.at(t))] {
			if len(s.cases) >= MaxCases {
				return fmt.Errorf("sim: more than %d cases in the horizon", MaxCases)
			}
			s.cases = append(s.cases, Case{Arrived: s.at(t), Visits: make([]StepVisit, 0, 8)})
			s.step = append(s.step, -1)
			s.visits = append(s.visits, 0)
			s.arrivals = append(s.arrivals, t)
		}
	}
}

// caseDue is when case c's SLA falls due: Model.CaseSLA after its arrival
// in the case clock, plus the time it paused.
func (s *runState) caseDue(c *Case) time.Time {
	due := c.Arrived.Add(s.m.CaseSLA)
	if s.m.CaseClock != nil {
		due = s.m.CaseClock(c.Arrived, s.m.CaseSLA)
	}
	return due.Add(c.Paused)
}

// scheduleBackground draws every background stream's tasks over the
// horizon by thinning, as the cases' arrivals, and merges them in order.
func (s *runState) scheduleBackground() error {
	s.bgWork = make([]Dist, len(s.m.Staff))
	for _, b := range s.m.Background {
		d := s.m.staffIndex(b.Department)
		s.bgWork[d] = b.Work
		top := 0.0
		for _, r := range b.PerHour {
			top = math.Max(top, r)
		}
		if top == 0 {
			continue
		}
		perSec := top / 3600
		for t := s.r.ExpFloat64() / perSec; t < s.horizon; t += s.r.ExpFloat64() / perSec {
			if s.r.Float64()*top < b.PerHour[HourOfWeek(s.at(t))] {
				if len(s.bg) >= MaxCases {
					return fmt.Errorf("sim: more than %d background tasks in the horizon", MaxCases)
				}
				s.bg = append(s.bg, bgTask{at: t, dept: d})
			}
		}
	}
	slices.SortStableFunc(s.bg, func(a, b bgTask) int {
		if a.at < b.at {
			return -1
		}
		if a.at > b.at {
			return 1
		}
		return 0
	})
	return nil
}

// enter puts case c at step i at now: an automatic step is worked at once,
// a task waits in its department's queue (and its escalations are set).
func (s *runState) enter(c, i int, now float64) {
	st := &s.m.Steps[i]
	s.step[c] = i
	s.visits[c]++
	entered := s.at(now)
	s.cases[c].Visits = append(s.cases[c].Visits, StepVisit{Step: st.ID, Entered: entered, Department: st.Department})
	if st.Department == "" {
		s.start(c, -1, now)
		return
	}
	visit := len(s.cases[c].Visits) - 1
	for l, e := range st.Escalations {
		s.push(event{at: s.since(st.due(entered, e.After)), kind: evEscalate, cas: c, visit: visit, level: l})
	}
	due := math.Inf(1)
	if st.SLA > 0 {
		due = s.since(st.due(entered, st.SLA))
	}
	s.wait(s.stepDept[i], waiting{cas: c, at: now, due: due}, now)
}

// since is t in seconds since the run's start.
func (s *runState) since(t time.Time) float64 { return t.Sub(s.o.Start).Seconds() }

// wait queues w in department d and serves the queue: at the end, or in
// SLA order for a department served by SLA (ties by entry).
func (s *runState) wait(d int, w waiting, now float64) {
	q := s.queue[d]
	at := len(q)
	if s.m.Staff[d].BySLA {
		at, _ = slices.BinarySearchFunc(q, w, func(a, b waiting) int {
			if a.due != b.due {
				if a.due < b.due {
					return -1
				}
				return 1
			}
			if a.at <= b.at {
				return -1
			}
			return 1
		})
	}
	s.queue[d] = slices.Insert(q, at, w)
	s.dispatch(d, now)
}

// escalate handles an escalation level of a task: when the visit it was
// set for still waits, it counts the level and, when the level names a
// department, moves the task to that department's queue.
func (s *runState) escalate(e event) {
	c := &s.cases[e.cas]
	if len(c.Visits)-1 != e.visit || !c.Visits[e.visit].Started.IsZero() {
		return // worked already, or the case moved on
	}
	v := &c.Visits[e.visit]
	v.Escalated = e.level + 1
	to := s.m.Steps[s.step[e.cas]].Escalations[e.level].Department
	if to == "" || to == v.Department {
		return
	}
	from := s.m.staffIndex(v.Department)
	i := slices.IndexFunc(s.queue[from], func(w waiting) bool { return w.cas == e.cas })
	if i < 0 {
		return
	}
	w := s.queue[from][i]
	s.queue[from] = slices.Delete(s.queue[from], i, i+1)
	v.Department = to
	s.wait(s.m.staffIndex(to), w, e.at)
}

// dispatch starts waiting tasks of department d while someone is free,
// in the queue's order.
func (s *runState) dispatch(d int, now float64) {
	for s.busy[d] < s.staff[d] && len(s.queue[d]) > 0 {
		w := s.queue[d][0]
		s.queue[d] = s.queue[d][1:]
		s.busy[d]++
		if w.cas < 0 {
			s.push(event{at: now + math.Max(0, s.bgWork[d].Sample(s.r)), kind: evDone, cas: -1, dept: d})
			continue
		}
		s.start(w.cas, d, now)
	}
}

// start begins the work of case c's current step.
func (s *runState) start(c, d int, now float64) {
	v := &s.cases[c].Visits[len(s.cases[c].Visits)-1]
	v.Started = s.at(now)
	work := math.Max(0, s.m.Steps[s.step[c]].Work.Sample(s.r))
	s.push(event{at: now + work, kind: evDone, cas: c, dept: d})
}

// branch draws the next step of step i (-1: the case ends).
func (s *runState) branch(i int) int {
	st := &s.m.Steps[i]
	if len(st.Next) == 0 {
		return -1
	}
	u := s.r.Float64()
	for k, b := range st.Next {
		if u < b.P {
			return s.next[i][k]
		}
		u -= b.P
	}
	return s.next[i][len(st.Next)-1]
}
