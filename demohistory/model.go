// Package demohistory fills a store with days of simulated operation of
// the built-in flows (issue 22, `flowlab demo --history 90d`): arrivals by
// hour of week, departments staffed in working hours (technical short of
// people, so it is the slow one), hour-scale work, rework, customer
// feedback, a finished pilot of complaint v1 against v2, proposals and
// PDCA cycles. The timings come from the simulator (package sim); the rows
// are written through the store's normal methods, as the Case workflow's
// activities and the API write them, so every page reads them as real
// cases. Every case it creates is closed, marked simulated (attribute
// "simulated": true, a customer id starting "sim-") and keyed
// demo-history:<seed>:<flow>:<n>, so a rerun creates nothing twice; a row
// it did not create is never changed (decision 0044).
package demohistory

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/sim"
)

// Bounds of a history.
const (
	MinDays = 1
	MaxDays = 366
	// MaxCases bounds the cases one history writes (about 70 a day at the
	// default volume: 25,000 in a year).
	MaxCases = 200_000
)

// Actor is the actor id the history's own entries carry (cases created,
// pilots started and ended, proposals); simulated people are
// sim-<department>-<n>.
const Actor = "demo-history"

// Options say which history to write.
type Options struct {
	// Days of history, MinDays to MaxDays, ending at Now.
	Days int
	// Seed: the same seed (and Days and Now) gives the same history.
	Seed uint64
	// Now is when the history ends: every case closed before it.
	Now time.Time
	// Channels are the contact channels cases come by (the API's
	// configured list), in order of how often they are used.
	Channels []string
	// Pilot: false leaves the pilot out (complaint has a running pilot).
	Pilot bool
}

func (o Options) check() error {
	if o.Days < MinDays || o.Days > MaxDays {
		return fmt.Errorf("demohistory: %d days; a history has %d to %d days", o.Days, MinDays, MaxDays)
	}
	if o.Now.IsZero() {
		return errors.New("demohistory: no end time (Now)")
	}
	if len(o.Channels) == 0 {
		return errors.New("demohistory: no channels")
	}
	return nil
}

// flowRef is one flow version the history runs.
type flowRef struct {
	key     string
	version int
	def     *flow.Definition
}

// stepParams are a step's simulated work (mean minutes; log-normal) and
// the probabilities of its outcomes or decision branches by name (an
// outcome not named shares what the named ones leave).
type stepParams struct {
	workMin float64
	p       []choice
}

type choice struct {
	name string
	p    float64
}

// params are the simulated behaviour of the built-in flows' steps, keyed
// "key.vN/step". Work is hour-scale; rework (review → investigate) and the
// pilot's treatment (complaint v2: one-stop, technical only on demand) are
// here.
var params = map[string]stepParams{
	"complaint.v1/record":                    {workMin: 15},
	"complaint.v1/route":                     {p: []choice{{"crisis_investigate", 0.04}}},
	"complaint.v1/investigate":               {workMin: 40},
	"complaint.v1/crisis_investigate":        {workMin: 90},
	"complaint.v1/feedback":                  {workMin: 20},
	"complaint.v1/review":                    {workMin: 10, p: []choice{{"rework", 0.15}}},
	"complaint.v1/notify_customer":           {workMin: 10},
	"complaint.v2/submit":                    {workMin: 10},
	"complaint.v2/route":                     {p: []choice{{"crisis_handle", 0.04}}},
	"complaint.v2/handle":                    {workMin: 35, p: []choice{{"needs_technical", 0.2}}},
	"complaint.v2/technical_assist":          {workMin: 20},
	"complaint.v2/crisis_handle":             {workMin: 80},
	"complaint.v2/feedback":                  {workMin: 8},
	"returns-exchange.v1/apply":              {workMin: 12, p: []choice{{"rejected", 0.08}}},
	"returns-exchange.v1/threshold":          {p: []choice{{"cs_approve", 0.7}}},
	"returns-exchange.v1/cs_approve":         {workMin: 8, p: []choice{{"refused", 0.07}}},
	"returns-exchange.v1/supervisor_approve": {workMin: 15, p: []choice{{"refused", 0.15}}},
	"appointment.v1/book":                    {workMin: 8},
	"appointment.v1/confirm":                 {workMin: 5, p: []choice{{"declined", 0.07}}},
	"appointment.v1/service":                 {workMin: 60, p: []choice{{"no_show", 0.08}}},
	"appointment.v1/follow_up":               {workMin: 10},
	"pdca.v1/plan":                           {workMin: 90},
}

// flowShares are the flows' shares of new cases.
var flowShares = []struct {
	key   string
	share float64
}{{"complaint", 0.45}, {"returns-exchange", 0.30}, {"appointment", 0.25}}

// casesPerWeekdayHour is the arrivals of an hour of a working day at its
// peak (10:00–16:00); see arrivals.
const casesPerWeekdayHour = 5.0

// arrivals is the expected new cases per hour of the week: most on
// working days' office hours, some in the evenings and on Saturdays, few
// at night and on Sundays.
func arrivals() [sim.HoursPerWeek]float64 {
	var a [sim.HoursPerWeek]float64
	for h := range a {
		day, hr := h/24, h%24
		f := 0.02
		switch {
		case hr >= 10 && hr < 16:
			f = 1
		case hr >= 8 && hr < 18:
			f = 0.7
		case hr >= 18 && hr < 22:
			f = 0.3
		case hr >= 6 && hr < 8:
			f = 0.15
		}
		switch day {
		case 5:
			f *= 0.25
		case 6:
			f *= 0.08
		}
		a[h] = casesPerWeekdayHour * f
	}
	return a
}

// staffing is the people per department per hour of week: Monday to Friday
// 08–18, fewer in the first and last hour; customer service also on
// Saturday mornings. Technical is short: its queue is the longest wait.
func staffing() []sim.Staffing {
	type desk struct {
		dept        string
		core, edges int
		from, to    int // hours of the working day
		saturday    int
	}
	desks := []desk{
		{"customer_service", 5, 3, 8, 18, 2},
		{"technical", 8, 4, 9, 17, 0},
		{"supervisor", 1, 1, 9, 17, 0},
		{"crisis_team", 1, 1, 8, 18, 0},
		{"improvement", 1, 1, 9, 17, 0},
	}
	out := make([]sim.Staffing, 0, len(desks))
	for _, d := range desks {
		s := sim.Staffing{Department: d.dept}
		for h := range s.PerHour {
			day, hr := h/24, h%24
			switch {
			case day < 5 && (hr == d.from || hr == d.to-1):
				s.PerHour[h] = d.edges
			case day < 5 && hr > d.from && hr < d.to-1:
				s.PerHour[h] = d.core
			case day == 5 && hr >= 9 && hr < 13:
				s.PerHour[h] = d.saturday
			}
		}
		out = append(out, s)
	}
	return out
}

// nodeID is a flow step's id in the simulation model.
func nodeID(f flowRef, step string) string { return fmt.Sprintf("%s.v%d/%s", f.key, f.version, step) }

const arriveNode = "arrive"

// logNormal is a log-normal work time of the given mean in minutes, as an
// empirical distribution of 400 quantiles (the simulator's Dist types are
// exponential, fixed and empirical).
func logNormal(meanMin float64) sim.Dist {
	const sigma = 0.6
	mu := math.Log(meanMin*60) - sigma*sigma/2
	obs := make([]float64, 400)
	for i := range obs {
		q := (float64(i) + 0.5) / float64(len(obs))
		obs[i] = math.Exp(mu + sigma*math.Sqrt2*math.Erfinv(2*q-1))
	}
	d, err := sim.NewEmpirical(obs)
	if err != nil {
		panic(err) // 400 positive observations
	}
	return d
}

// branches turns a step's ways out into the simulator's, the named
// probabilities first and the rest shared by the others.
func branches(f flowRef, names, targets []string, p []choice) ([]sim.Branch, error) {
	if len(names) == 0 {
		return nil, nil
	}
	probs := make([]float64, len(names))
	left, unnamed := 1.0, 0
	for i, n := range names {
		j := slices.IndexFunc(p, func(c choice) bool { return c.name == n })
		if j < 0 {
			probs[i] = -1
			unnamed++
			continue
		}
		probs[i] = p[j].p
		left -= p[j].p
	}
	var out []sim.Branch
	for i := range names {
		pr := probs[i]
		if pr < 0 {
			pr = left / float64(unnamed)
		}
		if pr <= 0 {
			continue
		}
		k := slices.IndexFunc(out, func(b sim.Branch) bool { return b.To == nodeID(f, targets[i]) })
		if k >= 0 {
			out[k].P += pr
			continue
		}
		out = append(out, sim.Branch{To: nodeID(f, targets[i]), P: pr})
	}
	if unnamed == 0 && math.Abs(left) > 1e-9 {
		return nil, fmt.Errorf("demohistory: %s: the probabilities of %v sum to %g", f.key, names, 1-left)
	}
	return out, nil
}

// steps are the simulation steps of a flow version.
func steps(f flowRef) ([]sim.Step, error) {
	var out []sim.Step
	for _, st := range f.def.Steps {
		sp := params[nodeID(f, st.ID)]
		s := sim.Step{ID: nodeID(f, st.ID), Work: sim.Fixed{Seconds: 0}}
		var names, targets []string
		switch st.Kind {
		case flow.KindTask:
			s.Department = st.Department
			s.SLA = st.SLA.D()
			// Escalation levels move a task still waiting to another
			// department, as the workflow does, in the step's calendar.
			if cal := f.def.CalendarFor(&st); cal != nil {
				s.Clock = cal.Add
			}
			for _, e := range st.Escalation {
				s.Escalations = append(s.Escalations, sim.Escalation{After: e.After.D(), Department: e.Department})
			}
			mean := sp.workMin
			if mean == 0 {
				mean = 15
			}
			s.Work = logNormal(mean)
			for _, o := range st.Outcomes {
				names, targets = append(names, o.Name), append(targets, o.Next)
			}
		case flow.KindDecision:
			for _, r := range st.Rules {
				names, targets = append(names, r.Next), append(targets, r.Next)
			}
			names, targets = append(names, st.Default), append(targets, st.Default)
		case flow.KindAuto:
			s.Work = sim.Fixed{Seconds: 2}
			names, targets = []string{st.Next}, []string{st.Next}
		case flow.KindWait:
			// The reminder's wait runs to its timeout (or its duration).
			d := st.Timeout.D()
			next := st.OnTimeout
			if st.Event == "" || d == 0 {
				d, next = st.Duration.D(), st.Next
			}
			if next == "" {
				next = st.Next
			}
			s.Work = sim.Fixed{Seconds: d.Seconds()}
			names, targets = []string{next}, []string{next}
		case flow.KindEnd:
		default:
			return nil, fmt.Errorf("demohistory: %s step %s: kind %s is not simulated", f.key, st.ID, st.Kind)
		}
		b, err := branches(f, names, targets, sp.p)
		if err != nil {
			return nil, err
		}
		s.Next = b
		out = append(out, s)
	}
	return out, nil
}

// model is the simulation of the flows at their shares of arrivals: a
// virtual arrive step sends each new case to a flow's start, and every
// flow's tasks share their departments' queues.
func model(refs []flowRef, shares []float64) (*sim.Model, error) {
	m := &sim.Model{Start: arriveNode, ArrivalsPerHour: arrivals(), Staff: staffing()}
	arrive := sim.Step{ID: arriveNode, Work: sim.Fixed{Seconds: 0}}
	for i, f := range refs {
		st, err := steps(f)
		if err != nil {
			return nil, err
		}
		m.Steps = append(m.Steps, st...)
		arrive.Next = append(arrive.Next, sim.Branch{To: nodeID(f, f.def.StartStep()), P: shares[i]})
	}
	m.Steps = append([]sim.Step{arrive}, m.Steps...)
	if err := m.Check(); err != nil {
		return nil, err
	}
	return m, nil
}

// simCase is one simulated case of a flow version, before it is written.
type simCase struct {
	ref     flowRef
	variant string // a pilot arm, or ""
	visits  []sim.StepVisit
	arrived time.Time
	closed  time.Time
	// attrs are attributes given beforehand (a PDCA cycle's).
	attrs map[string]any
}

// segment is a part of the history with one mix of flows.
type segment struct {
	from, to time.Time
	pilot    bool
}

// simulate runs the segments and returns the cases that closed before
// o.Now, in order of arrival.
func simulate(o Options, segs []segment) ([]simCase, error) {
	get := func(key string, v int) (flowRef, error) {
		d, err := flows.Definition(key, v)
		if err != nil {
			return flowRef{}, err
		}
		return flowRef{key: key, version: v, def: d}, nil
	}
	var out []simCase
	for i, sg := range segs {
		var refs []flowRef
		var shares []float64
		var arms []string
		for _, fs := range flowShares {
			r, err := get(fs.key, 1)
			if err != nil {
				return nil, err
			}
			if fs.key == "complaint" && sg.pilot {
				v2, err := get("complaint", 2)
				if err != nil {
					return nil, err
				}
				refs = append(refs, r, v2)
				shares = append(shares, fs.share/2, fs.share/2)
				arms = append(arms, ArmControl, ArmTreatment)
				continue
			}
			refs = append(refs, r)
			shares = append(shares, fs.share)
			arms = append(arms, "")
		}
		m, err := model(refs, shares)
		if err != nil {
			return nil, err
		}
		res, err := sim.Run(m, sim.Options{Seed: o.Seed*1000 + uint64(i), Start: sg.from, Horizon: sg.to.Sub(sg.from), Drain: o.Now.Sub(sg.to)})
		if err != nil {
			return nil, fmt.Errorf("demohistory: simulate %s to %s: %w", sg.from.Format(time.DateOnly), sg.to.Format(time.DateOnly), err)
		}
		for _, c := range res.Cases {
			if !c.Done() || !c.Closed.Before(o.Now) || len(c.Visits) < 2 {
				continue
			}
			first := c.Visits[1].Step
			k := slices.IndexFunc(refs, func(r flowRef) bool { return nodeID(r, r.def.StartStep()) == first })
			if k < 0 {
				return nil, fmt.Errorf("demohistory: a case started at %s", first)
			}
			out = append(out, simCase{ref: refs[k], variant: arms[k], visits: c.Visits[1:], arrived: c.Arrived, closed: c.Closed})
		}
		if len(out) > MaxCases {
			return nil, fmt.Errorf("demohistory: more than %d cases", MaxCases)
		}
	}
	return out, nil
}

// Pilot arms (store.ArmControl, store.ArmTreatment).
const (
	ArmControl   = "control"
	ArmTreatment = "treatment"
)

// segments splits the history at the pilot: with Pilot and at least 28
// days, complaint's cases arriving from a quarter into the history to
// 70 % of it are split between v1 and v2.
func segments(o Options) (segs []segment, start time.Time) {
	end := o.Now.UTC()
	start = end.Truncate(24*time.Hour).AddDate(0, 0, -o.Days)
	if !o.Pilot || o.Days < 28 {
		return []segment{{from: start, to: end}}, start
	}
	p0 := start.AddDate(0, 0, o.Days/4)
	p1 := start.AddDate(0, 0, o.Days*7/10)
	return []segment{{from: start, to: p0}, {from: p0, to: p1, pilot: true}, {from: p1, to: end}}, start
}

// rng is the history's own random stream (attributes, channels, people,
// feedback), apart from the simulator's.
func rng(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0xdeb0_5eed)) }
