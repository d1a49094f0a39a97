// Package simcal calibrates the simulator (package sim) from what flowlab
// recorded (issue 22, decision 0045): arrivals by hour of week from the
// cases' creation times, each step's outcome shares and durations from
// its spans, each department's staffing from who worked its tasks, and
// the cases' attributes for evaluating decision rules. From one
// calibration it builds the model of any version of the flow under any
// staffing (a what-if), and it checks itself against history (a
// backtest).
package simcal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/store"
)

// Bounds of a calibration.
const (
	// MaxCases and MaxSpans bound what one calibration reads; a window
	// holding more is refused (ErrTooMuch) rather than read in part.
	MaxCases = 200_000
	MaxSpans = 1_000_000
	// MaxEnvs is the sample of case attributes kept for evaluating
	// decision rules.
	MaxEnvs = 2_000
	// MaxWindow is the longest calibration window.
	MaxWindow = 366 * 24 * time.Hour
	// MaxObservations per step: more are thinned (every k-th), so a
	// step's work-time sample stays small.
	MaxObservations = 20_000
)

// ErrTooMuch: the window holds more cases or spans than a calibration
// reads.
var ErrTooMuch = errors.New("more than a calibration reads")

// ErrRequest is what the errors of what was asked are (a window, a model,
// a size out of bounds, no history to calibrate from), as against the
// store's or a cancelled run's: asking again the same way cannot succeed.
var ErrRequest = errors.New("cannot be simulated as asked")

// requestError is an error of what was asked: its message as it is,
// errors.Is ErrRequest.
type requestError struct{ msg string }

func (e *requestError) Error() string        { return e.msg }
func (e *requestError) Is(target error) bool { return target == ErrRequest }

// refuse is an error of what was asked.
func refuse(format string, args ...any) error {
	return &requestError{msg: fmt.Sprintf(format, args...)}
}

// Params select the history a calibration reads.
type Params struct {
	Flow string
	// From and To bound the window: cases created and spans entered in
	// [From, To).
	From, To time.Time
	// Progress, when set, is told how many spans were read so far.
	Progress func(spans int)
}

// Outcome is how often a step ended one way.
type Outcome struct {
	Outcome string
	N       int
}

// StepData is what a step's spans say: its visits, how they ended, and
// their durations in seconds (a task's work from its claim to its
// completion; any other step's time from entering to completing).
type StepData struct {
	Step       string
	Kind       string
	Department string
	Visits     int
	Outcomes   []Outcome
	Durations  []float64
	// LeadOnly: the durations are times since the case's previous event
	// (an event log of completions only: waiting and work together).
	LeadOnly bool
}

// DeptData is a department's observed staffing: the mean number of people
// at work in each hour of the week, a person being at work in a
// department from the hour of their first claim of one of its tasks on a
// day (UTC) to the hour of their last.
type DeptData struct {
	Department string
	PerHour    [sim.HoursPerWeek]float64
	// OtherPerHour are the other flows' tasks of the department entered
	// in each hour of the week (a mean), OtherWork their work times in
	// seconds: the background load the flow's tasks share the people
	// with.
	OtherPerHour [sim.HoursPerWeek]float64
	OtherWork    []float64
}

// Env is the part of a case a decision rule reads.
type Env struct {
	Attributes map[string]any
	Customer   string
	Channel    string
}

// Calibration is what one window of a flow's history says.
type Calibration struct {
	Flow     string
	From, To time.Time
	// Cases created in the window, and the spans read.
	Cases, Spans int
	Arrivals     [sim.HoursPerWeek]float64
	Steps        []StepData // by step id
	Departments  []DeptData // by department
	Envs         []Env
}

// Step returns the data of a step id (nil when it has none).
func (c *Calibration) Step(id string) *StepData {
	i, ok := slices.BinarySearchFunc(c.Steps, id, func(s StepData, id string) int { return strings.Compare(s.Step, id) })
	if !ok {
		return nil
	}
	return &c.Steps[i]
}

// Calibrate reads the window's cases and spans of a flow (every version:
// step ids carry over between versions) and fits what the model needs.
func Calibrate(ctx context.Context, st store.Store, p Params) (*Calibration, error) {
	if p.Flow == "" {
		return nil, refuse("simcal: no flow")
	}
	if !p.To.After(p.From) || p.To.Sub(p.From) > MaxWindow {
		return nil, refuse("simcal: a window from %s to %s: it must be longer than nothing and at most %d days",
			p.From.Format(time.RFC3339), p.To.Format(time.RFC3339), int(MaxWindow.Hours()/24))
	}
	c := &Calibration{Flow: p.Flow, From: p.From, To: p.To}
	arrived, err := c.readCases(ctx, st, p)
	if err != nil {
		return nil, err
	}
	// A flow whose history begins inside the window (a new flow, or
	// history imported from a date) is calibrated from the day its first
	// case came: the days before are no days without cases.
	if len(arrived) > 0 {
		first := slices.MinFunc(arrived, func(a, b time.Time) int { return a.Compare(b) })
		if first.Sub(p.From) > 24*time.Hour {
			p.From = first.UTC().Truncate(24 * time.Hour)
			c.From = p.From
		}
	}
	if c.Arrivals, err = sim.FitArrivals(arrived, p.From, p.To); err != nil {
		return nil, refuse("simcal: %v", err)
	}
	if err := c.readSpans(ctx, st, p); err != nil {
		return nil, err
	}
	return c, nil
}

// readCases reads the window's cases (newest first) for their creation
// times and a sample of their attributes.
func (c *Calibration) readCases(ctx context.Context, st store.Store, p Params) ([]time.Time, error) {
	var arrived []time.Time
	from, to := p.From, p.To
	var after *store.CaseCursor
	for {
		page, err := st.ListCases(ctx, store.ListCasesParams{Flow: p.Flow, From: &from, To: &to, Limit: 500, After: after})
		if err != nil {
			return nil, fmt.Errorf("simcal: read the cases of %s: %w", p.Flow, err)
		}
		for _, cs := range page {
			arrived = append(arrived, cs.CreatedAt)
			// Every k-th case's attributes, k growing with the count,
			// so the sample spreads over the window.
			if len(c.Envs) < MaxEnvs && len(arrived)%max(1, len(arrived)/MaxEnvs) == 0 {
				var attrs map[string]any
				if len(cs.Attributes) > 0 {
					if err := json.Unmarshal(cs.Attributes, &attrs); err != nil {
						return nil, fmt.Errorf("simcal: case %s's attributes: %w", cs.ID, err)
					}
				}
				c.Envs = append(c.Envs, Env{Attributes: attrs, Customer: cs.Customer, Channel: cs.Channel})
			}
		}
		if len(arrived) > MaxCases {
			return nil, fmt.Errorf("simcal: %s created more than %d cases from %s to %s (%w); choose a shorter window",
				p.Flow, MaxCases, from.Format(time.DateOnly), to.Format(time.DateOnly), ErrTooMuch)
		}
		if len(page) < 500 {
			break
		}
		last := page[len(page)-1]
		after = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	c.Cases = len(arrived)
	return arrived, nil
}

// readSpans reads the window's spans and keeps per step its outcomes and
// durations, and per department who worked when.
func (c *Calibration) readSpans(ctx context.Context, st store.Store, p Params) error {
	steps := map[string]*StepData{}
	// shifts are the first and last hour (since From) each person
	// claimed a task of a department on a day, in any flow; other are
	// the other flows' tasks per department.
	shifts := map[shiftKey][2]int{}
	other := map[string]*DeptData{}
	from, to := p.From, p.To
	hours := int(p.To.Sub(p.From.Truncate(time.Hour)) / time.Hour)
	var after *store.SpanCursor
	for {
		// Every flow's: the people and the background load are shared.
		page, err := st.ExportSpans(ctx, store.ExportSpansParams{From: &from, To: &to, Limit: 10_000, After: after})
		if err != nil {
			return fmt.Errorf("simcal: read the spans of %s: %w", p.Flow, err)
		}
		for _, s := range page {
			if s.Flow == p.Flow {
				c.addSpan(steps, shifts, s.Span, p.From, hours)
				continue
			}
			addOther(other, shifts, s.Span, p.From, hours)
		}
		c.Spans += len(page)
		if c.Spans > MaxSpans {
			return fmt.Errorf("simcal: the flows have more than %d spans from %s to %s (%w); choose a shorter window",
				MaxSpans, from.Format(time.DateOnly), to.Format(time.DateOnly), ErrTooMuch)
		}
		if p.Progress != nil {
			p.Progress(c.Spans)
		}
		if len(page) < 10_000 {
			break
		}
		last := page[len(page)-1]
		after = &store.SpanCursor{EnteredAt: last.EnteredAt, CaseID: last.CaseID, Seq: last.Seq}
	}
	for _, id := range sortedKeys(steps) {
		sd := steps[id]
		slices.SortFunc(sd.Outcomes, func(a, b Outcome) int { return strings.Compare(a.Outcome, b.Outcome) })
		sd.Durations = thin(sd.Durations, MaxObservations)
		c.Steps = append(c.Steps, *sd)
	}
	occurs := hourOccurrences(p.From, hours)
	c.Departments = departmentsOf(shifts, p.From, hours)
	for i := range c.Departments {
		d := &c.Departments[i]
		if o := other[d.Department]; o != nil {
			d.OtherWork = thin(o.OtherWork, MaxObservations)
			for h := range d.OtherPerHour {
				if occurs[h] > 0 {
					d.OtherPerHour[h] = o.OtherPerHour[h] / occurs[h]
				}
			}
		}
	}
	return nil
}

func (c *Calibration) addSpan(steps map[string]*StepData, shifts map[shiftKey][2]int, s store.Span, from time.Time, hours int) {
	sd := steps[s.Step]
	if sd == nil {
		sd = &StepData{Step: s.Step, Kind: s.Kind, Department: s.Department}
		steps[s.Step] = sd
	}
	sd.Visits++
	if i := slices.IndexFunc(sd.Outcomes, func(o Outcome) bool { return o.Outcome == s.Outcome }); i >= 0 {
		sd.Outcomes[i].N++
	} else {
		sd.Outcomes = append(sd.Outcomes, Outcome{Outcome: s.Outcome, N: 1})
	}
	begin := s.EnteredAt
	if s.Kind == "task" {
		if s.ClaimedAt == nil || s.Actor == "" || s.Outcome == "" {
			return // pulled and completed at once, cancelled, or migrated: no work time known
		}
		begin = *s.ClaimedAt
	}
	if d := s.CompletedAt.Sub(begin).Seconds(); d >= 0 {
		sd.Durations = append(sd.Durations, d)
	}
	if s.Kind != "task" || s.Department == "" || s.ClaimedAt == nil || s.Actor == "" {
		return
	}
	// A person's day in a department runs from the hour of their first
	// claim to the hour of their last: they are counted in those hours.
	addShift(shifts, s, from, hours)
}

// addOther counts another flow's task span: its person's day, and the
// department's background load (entered by hour of week, work time).
func addOther(other map[string]*DeptData, shifts map[shiftKey][2]int, s store.Span, from time.Time, hours int) {
	if s.Kind != "task" || s.Department == "" {
		return
	}
	o := other[s.Department]
	if o == nil {
		o = &DeptData{Department: s.Department}
		other[s.Department] = o
	}
	o.OtherPerHour[sim.HourOfWeek(s.EnteredAt)]++
	if s.ClaimedAt != nil && s.Actor != "" && s.Outcome != "" {
		if d := s.CompletedAt.Sub(*s.ClaimedAt).Seconds(); d >= 0 {
			o.OtherWork = append(o.OtherWork, d)
		}
	}
	addShift(shifts, s, from, hours)
}

// addShift extends a person's day in a department to the hour of a claim.
func addShift(shifts map[shiftKey][2]int, s store.Span, from time.Time, hours int) {
	if s.ClaimedAt == nil || s.Actor == "" {
		return
	}
	if h := int(s.ClaimedAt.Sub(from.Truncate(time.Hour)) / time.Hour); h < 0 || h >= hours {
		return
	}
	shift(shifts, s.Department, s.Actor, *s.ClaimedAt)
}

// shift extends a person's day (UTC) in a department to the hour of at;
// days and hours count since 1970.
func shift(shifts map[shiftKey][2]int, dept, actor string, at time.Time) {
	if dept == "" {
		return
	}
	h := int(at.Unix() / 3600)
	k := shiftKey{dept: dept, actor: actor, day: int(at.Unix() / 86400)}
	if sh, ok := shifts[k]; ok {
		shifts[k] = [2]int{min(sh[0], h), max(sh[1], h)}
	} else {
		shifts[k] = [2]int{h, h}
	}
}

// hourOccurrences is how often each hour of the week occurs in the hours
// hours from from's hour on.
func hourOccurrences(from time.Time, hours int) [sim.HoursPerWeek]float64 {
	var occurs [sim.HoursPerWeek]float64
	start := from.Truncate(time.Hour)
	for h := range hours {
		occurs[sim.HourOfWeek(start.Add(time.Duration(h)*time.Hour))]++
	}
	return occurs
}

// departmentsOf is the mean people at work per hour of the week in each
// department, from people's days (shift), over the hours hours from
// from's hour on.
func departmentsOf(shifts map[shiftKey][2]int, from time.Time, hours int) []DeptData {
	start := from.Truncate(time.Hour)
	base := int(start.Unix() / 3600)
	present := map[string][]float64{}
	for k, sh := range shifts {
		p := present[k.dept]
		if p == nil {
			p = make([]float64, hours)
			present[k.dept] = p
		}
		for h := sh[0]; h <= sh[1]; h++ {
			if i := h - base; i >= 0 && i < hours {
				p[i]++
			}
		}
	}
	occurs := hourOccurrences(from, hours)
	var out []DeptData
	for _, dept := range sortedKeys(present) {
		d := DeptData{Department: dept}
		for h, n := range present[dept] {
			d.PerHour[sim.HourOfWeek(start.Add(time.Duration(h)*time.Hour))] += n
		}
		for i := range d.PerHour {
			if occurs[i] > 0 {
				d.PerHour[i] /= occurs[i]
			}
		}
		out = append(out, d)
	}
	return out
}

// shiftKey is a person's day in a department.
type shiftKey struct {
	dept, actor string
	day         int
}

// thin keeps at most n of xs, every k-th, in their order.
func thin(xs []float64, n int) []float64 {
	if len(xs) <= n {
		return xs
	}
	k := (len(xs) + n - 1) / n
	out := make([]float64, 0, n)
	for i := 0; i < len(xs); i += k {
		out = append(out, xs[i])
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
