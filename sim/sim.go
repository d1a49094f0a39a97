// Package sim is a discrete-event simulator of a flow's operation (issue
// 22): cases arrive by hour of week (a non-homogeneous Poisson process),
// walk their steps by branch probabilities, and wait in their
// department's queue for one of the people staffed at that hour, who
// works the step for a drawn time; waiting therefore emerges from
// queueing rather than being replayed. It is pure and deterministic for a
// seed: no clock, no map order, one random stream per run.
package sim

import (
	"container/heap"
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
}

// Staffing is how many people of a department work each hour of the week.
type Staffing struct {
	Department string
	PerHour    [HoursPerWeek]int
}

// Model is what a run simulates.
type Model struct {
	Start string
	Steps []Step
	// ArrivalsPerHour are the expected new cases in each hour of the week.
	ArrivalsPerHour [HoursPerWeek]float64
	Staff           []Staffing
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
}

// StepVisit is one step of a simulated case.
type StepVisit struct {
	Step      string
	Entered   time.Time
	Started   time.Time // work began (Entered for an automatic step)
	Completed time.Time
	Breached  bool
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
	evStaff   = iota // an hour begins: staffing changes
	evDone           // a step's work ends
	evArrival        // a case arrives
)

type event struct {
	at   float64 // seconds since Options.Start
	kind int
	seq  uint64 // tie-break: order of scheduling
	cas  int    // case index
	dept int
}

type events []event

func (e events) Len() int { return len(e) }
func (e events) Less(i, j int) bool {
	if e[i].at != e[j].at {
		return e[i].at < e[j].at
	}
	if e[i].kind != e[j].kind {
		return e[i].kind < e[j].kind
	}
	return e[i].seq < e[j].seq
}
func (e events) Swap(i, j int) { e[i], e[j] = e[j], e[i] }
func (e *events) Push(x any)   { *e = append(*e, x.(event)) }
func (e *events) Pop() any {
	old := *e
	x := old[len(old)-1]
	*e = old[:len(old)-1]
	return x
}

// waiting is a case waiting in a department's queue since at.
type waiting struct {
	cas int
	at  float64
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
}

func (s *runState) push(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

func (s *runState) at(sec float64) time.Time {
	return s.o.Start.Add(time.Duration(sec * float64(time.Second)))
}

// hourOfWeek is the hour of week of an instant (Monday 00 UTC = 0).
func hourOfWeek(t time.Time) int {
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
	s := &runState{m: m, o: o, r: rand.New(rand.NewPCG(o.Seed, 0x5eed5eed)), horizon: o.Horizon.Seconds(),
		queue: make([][]waiting, len(m.Staff)), busy: make([]int, len(m.Staff)), staff: make([]int, len(m.Staff)),
		busyT: make([]float64, len(m.Staff)), availT: make([]float64, len(m.Staff))}
	end := s.horizon + o.Drain.Seconds()
	// Hours: staffing changes at each hour boundary from the start's hour.
	first := o.Start.Truncate(time.Hour)
	for h := first; h.Sub(o.Start).Seconds() < end; h = h.Add(time.Hour) {
		s.push(event{at: math.Max(0, h.Sub(o.Start).Seconds()), kind: evStaff})
	}
	if err := s.scheduleArrivals(); err != nil {
		return Result{}, err
	}
	var backlog []int
	open := 0
	nextHour := 0.0
	for s.q.Len() > 0 {
		e := heap.Pop(&s.q).(event)
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
			hw := hourOfWeek(s.at(e.at))
			for i, st := range m.Staff {
				s.staff[i] = st.PerHour[hw]
				s.dispatch(i, e.at)
			}
		case evArrival:
			open++
			s.enter(e.cas, m.stepIndex(m.Start), e.at)
		case evDone:
			c := &s.cases[e.cas]
			v := &c.Visits[len(c.Visits)-1]
			v.Completed = s.at(e.at)
			st := m.Steps[s.step[e.cas]]
			v.Breached = st.SLA > 0 && v.Completed.Sub(v.Entered) > st.SLA
			if st.Department != "" {
				s.busy[e.dept]--
			}
			if next := s.branch(st); next >= 0 && s.visits[e.cas] < MaxVisits {
				s.enter(e.cas, next, e.at)
			} else {
				c.Closed = v.Completed
				open--
			}
			if st.Department != "" {
				s.dispatch(e.dept, e.at)
			}
		}
	}
	s.account(math.Min(end, s.horizon))
	for nextHour < s.horizon {
		backlog = append(backlog, open)
		nextHour += 3600
	}
	return Result{Cases: s.cases, Busy: s.busyT, Available: s.availT, Backlog: backlog}, nil
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
		if s.r.Float64()*top < s.m.ArrivalsPerHour[hourOfWeek(s.at(t))] {
			if len(s.cases) >= MaxCases {
				return fmt.Errorf("sim: more than %d cases in the horizon", MaxCases)
			}
			s.cases = append(s.cases, Case{Arrived: s.at(t)})
			s.step = append(s.step, -1)
			s.visits = append(s.visits, 0)
			s.push(event{at: t, kind: evArrival, cas: len(s.cases) - 1})
		}
	}
}

// enter puts case c at step i at now: an automatic step is worked at once,
// a task waits in its department's queue.
func (s *runState) enter(c, i int, now float64) {
	st := s.m.Steps[i]
	s.step[c] = i
	s.visits[c]++
	s.cases[c].Visits = append(s.cases[c].Visits, StepVisit{Step: st.ID, Entered: s.at(now)})
	if st.Department == "" {
		s.start(c, -1, now)
		return
	}
	d := s.m.staffIndex(st.Department)
	s.queue[d] = append(s.queue[d], waiting{cas: c, at: now})
	s.dispatch(d, now)
}

// dispatch starts waiting tasks of department d while someone is free,
// first come first served.
func (s *runState) dispatch(d int, now float64) {
	for s.busy[d] < s.staff[d] && len(s.queue[d]) > 0 {
		w := s.queue[d][0]
		s.queue[d] = s.queue[d][1:]
		s.busy[d]++
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

// branch draws the next step (-1: the case ends).
func (s *runState) branch(st Step) int {
	if len(st.Next) == 0 {
		return -1
	}
	u := s.r.Float64()
	for _, b := range st.Next {
		if u < b.P {
			return s.m.stepIndex(b.To)
		}
		u -= b.P
	}
	return s.m.stepIndex(st.Next[len(st.Next)-1].To)
}
