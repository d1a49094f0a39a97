// Package alert is the model of flowlab's KPI alert rules (decision 0040):
// the metrics a rule may watch and the scopes each accepts, the checks a
// rule must pass, how one evaluation is judged against its condition, and
// the states a rule moves through (ok → pending → firing → resolved). It is
// pure: the numbers come from package kpi, the state is kept by the store,
// and the evaluation is driven by a Temporal schedule per rule.
package alert

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Rule states.
const (
	OK       = "ok"       // the condition does not hold (or never held)
	Pending  = "pending"  // it holds, for less than the rule's pending time
	Firing   = "firing"   // it has held for the pending time
	Resolved = "resolved" // it held (firing) and no longer does
)

// Outcomes of one evaluation.
const (
	Breach       = "breach"       // the condition holds
	Clear        = "clear"        // it does not
	Insufficient = "insufficient" // fewer observations than the rule's minimum sample: not enough data
	Failed       = "error"        // the numbers could not be computed (e.g. the flow is gone)
)

// Condition operators: a threshold above or below, or a change against the
// baseline (the same hours of the previous weeks) up or down by a fraction.
const (
	Above = "above"
	Below = "below"
	Rise  = "rise"
	Fall  = "fall"
)

// Units of a metric's value.
const (
	UnitRate    = "rate"    // 0–1
	UnitSeconds = "seconds" // a duration
	UnitCount   = "count"   // things in the window (or open now)
	UnitScore   = "score"   // NPS, −100…100
)

// Scope fields a metric may be narrowed by.
const (
	ScopeFlow       = "flow"
	ScopeVersion    = "version"
	ScopeStep       = "step"
	ScopeDepartment = "department"
	ScopeChannel    = "channel"
)

// Source says which store rows a metric is computed from.
const (
	// FromCases: the cases created in the window (the KPI page's
	// definition, decision 0015).
	FromCases = "cases"
	// FromSpans: the task spans completed in the window.
	FromSpans = "spans"
	// FromEscalations: the escalations raised in the window.
	FromEscalations = "escalations"
	// FromOpenTasks: the tasks open at the evaluation, whatever the window.
	FromOpenTasks = "open_tasks"
)

// Metric describes one metric a rule may watch.
type Metric struct {
	Name   string
	Title  string // what a person reads, e.g. "SLA breach rate"
	Unit   string
	Source string
	// Scopes are the scope fields the metric accepts.
	Scopes []string
	// Sample names what the minimum sample counts ("tasks", "answers").
	Sample string
}

// Metrics are every metric a rule may watch, in the order they are listed.
var Metrics = []Metric{
	{Name: "csat", Title: "CSAT (share of 4 and 5)", Unit: UnitRate, Source: FromCases, Scopes: caseScopes, Sample: "CSAT answers"},
	{Name: "nps", Title: "NPS", Unit: UnitScore, Source: FromCases, Scopes: caseScopes, Sample: "NPS answers"},
	{Name: "fcr", Title: "First-contact resolution", Unit: UnitRate, Source: FromCases, Scopes: caseScopes, Sample: "completed cases with a known resolution"},
	{Name: "first_response", Title: "First response (median)", Unit: UnitSeconds, Source: FromCases, Scopes: caseScopes, Sample: "claimed cases"},
	{Name: "on_time", Title: "On-time rate", Unit: UnitRate, Source: FromCases, Scopes: caseScopes, Sample: "completed tasks with an SLA"},
	{Name: "perceived_improvement", Title: "Perceived improvement (follow-up calls)", Unit: UnitRate, Source: FromCases, Scopes: caseScopes, Sample: "follow-up answers yes or no"},
	{Name: "complaint_rate", Title: "Complaint rate", Unit: UnitRate, Source: FromCases, Scopes: []string{ScopeChannel}, Sample: "cases"},
	{Name: "cases_started", Title: "Cases started", Unit: UnitCount, Source: FromCases, Scopes: caseScopes, Sample: "cases"},
	{Name: "waiting_p90", Title: "Waiting p90", Unit: UnitSeconds, Source: FromSpans, Scopes: taskScopes, Sample: "completed tasks"},
	{Name: "sla_breach_rate", Title: "SLA breach rate", Unit: UnitRate, Source: FromSpans, Scopes: taskScopes, Sample: "completed tasks with an SLA"},
	{Name: "escalations", Title: "Escalations", Unit: UnitCount, Source: FromEscalations, Scopes: taskScopes, Sample: "escalations"},
	{Name: "open_backlog", Title: "Open backlog", Unit: UnitCount, Source: FromOpenTasks, Scopes: taskScopes, Sample: "open tasks"},
}

var (
	caseScopes = []string{ScopeFlow, ScopeVersion, ScopeChannel}
	taskScopes = []string{ScopeFlow, ScopeVersion, ScopeStep, ScopeDepartment}
)

// MetricByName returns the metric of that name.
func MetricByName(name string) (Metric, bool) {
	i := slices.IndexFunc(Metrics, func(m Metric) bool { return m.Name == name })
	if i < 0 {
		return Metric{}, false
	}
	return Metrics[i], true
}

// MetricNames are the metrics' names, in order.
func MetricNames() []string {
	out := make([]string, len(Metrics))
	for i, m := range Metrics {
		out[i] = m.Name
	}
	return out
}

// Bounds of a rule (decision 0040): every evaluation reads at most a window
// of rows, as often as every allows.
const (
	MinWindow        = time.Minute
	MaxWindow        = 31 * 24 * time.Hour
	MaxPending       = 7 * 24 * time.Hour
	DefaultEvery     = time.Minute
	MaxEvery         = 24 * time.Hour
	MaxBaselineWeeks = 8
	DefaultBaseline  = 4
	MaxMinSample     = 1_000_000
	MaxNameLen       = 200
	MaxNotify        = 20
)

// Scope narrows a rule to a flow (and version), a step, a department or a
// channel; empty fields do not narrow.
type Scope struct {
	Flow       string `json:"flow,omitempty"`
	Version    int    `json:"version,omitempty"`
	Step       string `json:"step,omitempty"`
	Department string `json:"department,omitempty"`
	Channel    string `json:"channel,omitempty"`
}

// Fields are the scope fields set, in the order of the scope constants.
func (s Scope) Fields() []string {
	var out []string
	if s.Flow != "" {
		out = append(out, ScopeFlow)
	}
	if s.Version != 0 {
		out = append(out, ScopeVersion)
	}
	if s.Step != "" {
		out = append(out, ScopeStep)
	}
	if s.Department != "" {
		out = append(out, ScopeDepartment)
	}
	if s.Channel != "" {
		out = append(out, ScopeChannel)
	}
	return out
}

// String is the scope as a person reads it: "complaint v2 / investigate".
func (s Scope) String() string {
	var parts []string
	if s.Flow != "" {
		f := s.Flow
		if s.Version != 0 {
			f += fmt.Sprintf(" v%d", s.Version)
		}
		parts = append(parts, f)
	}
	if s.Step != "" {
		parts = append(parts, "step "+s.Step)
	}
	if s.Department != "" {
		parts = append(parts, "department "+s.Department)
	}
	if s.Channel != "" {
		parts = append(parts, "channel "+s.Channel)
	}
	if len(parts) == 0 {
		return "all flows"
	}
	return strings.Join(parts, " / ")
}

// Condition is what makes a rule breach: the value above or below Value
// (a threshold in the metric's unit), or, for rise and fall, the value's
// change against the baseline (the same hours of the BaselineWeeks weeks
// before, pooled) up or down by at least Value (a fraction: 0.2 is 20 %).
type Condition struct {
	Op            string  `json:"op"`
	Value         float64 `json:"value"`
	BaselineWeeks int     `json:"baseline_weeks,omitempty"`
}

// Change reports whether the condition compares with a baseline.
func (c Condition) Change() bool { return c.Op == Rise || c.Op == Fall }

// Definition is what a person writes of a rule.
type Definition struct {
	Name       string
	Metric     string
	Scope      Scope
	Condition  Condition
	Window     time.Duration
	MinSample  int
	Pending    time.Duration
	Every      time.Duration
	WebhookURL string
	Notify     []string
}

// FieldError is a rule that fails a check: the field, in the API's JSON
// names, and why.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

func bad(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Normalize fills a definition's defaults (every: DefaultEvery; a change's
// baseline: DefaultBaseline weeks) and checks it; minEvery is the shortest
// evaluation interval allowed (a deployment setting). Flows, steps and
// departments are checked against the flows by the caller.
func Normalize(d *Definition, minEvery time.Duration) error {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		return bad("name", "is required")
	}
	if len(d.Name) > MaxNameLen {
		return bad("name", "is %d characters; at most %d", len(d.Name), MaxNameLen)
	}
	m, ok := MetricByName(d.Metric)
	if !ok {
		return bad("metric", "%q is not a metric; one of %s", d.Metric, strings.Join(MetricNames(), ", "))
	}
	for _, f := range d.Scope.Fields() {
		if !slices.Contains(m.Scopes, f) {
			return bad("scope."+f, "%s cannot be narrowed by %s; it takes %s", m.Name, f, orNone(m.Scopes))
		}
	}
	if d.Scope.Version < 0 {
		return bad("scope.version", "must be positive")
	}
	if d.Scope.Version != 0 && d.Scope.Flow == "" {
		return bad("scope.version", "needs scope.flow")
	}
	if d.Scope.Step != "" && d.Scope.Flow == "" {
		return bad("scope.step", "needs scope.flow")
	}
	c := &d.Condition
	switch c.Op {
	case Above, Below:
		if c.BaselineWeeks != 0 {
			return bad("condition.baseline_weeks", "applies to rise and fall only")
		}
		if m.Unit == UnitRate && (c.Value < 0 || c.Value > 1) {
			return bad("condition.value", "%s is a rate from 0 to 1 (0.2 is 20 %%); got %g", m.Name, c.Value)
		}
	case Rise, Fall:
		if c.Value <= 0 || c.Value > 100 {
			return bad("condition.value", "a change is a fraction above 0 and at most 100 (0.2 is 20 %%); got %g", c.Value)
		}
		if c.BaselineWeeks == 0 {
			c.BaselineWeeks = DefaultBaseline
		}
		if c.BaselineWeeks < 1 || c.BaselineWeeks > MaxBaselineWeeks {
			return bad("condition.baseline_weeks", "must be from 1 to %d; got %d", MaxBaselineWeeks, c.BaselineWeeks)
		}
		if m.Source == FromOpenTasks {
			return bad("condition.op", "open_backlog is a count now, with no past hours to compare; use above or below")
		}
	default:
		return bad("condition.op", "%q is not an operator; one of above, below, rise, fall", c.Op)
	}
	if math.IsNaN(c.Value) || math.IsInf(c.Value, 0) {
		return bad("condition.value", "must be a number")
	}
	if d.Window < MinWindow || d.Window > MaxWindow {
		return bad("window", "must be from %s to %s; got %s", MinWindow, MaxWindow, d.Window)
	}
	if d.MinSample < 0 || d.MinSample > MaxMinSample {
		return bad("min_sample", "must be from 0 to %d; got %d", MaxMinSample, d.MinSample)
	}
	if d.Pending < 0 || d.Pending > MaxPending {
		return bad("pending", "must be from 0 to %s; got %s", MaxPending, d.Pending)
	}
	if d.Every == 0 {
		d.Every = DefaultEvery
	}
	if minEvery <= 0 {
		minEvery = time.Minute
	}
	if d.Every < minEvery || d.Every > MaxEvery {
		return bad("every", "must be from %s to %s; got %s", minEvery, MaxEvery, d.Every)
	}
	if d.Every%time.Second != 0 {
		return bad("every", "must be whole seconds; got %s", d.Every)
	}
	if len(d.Notify) > MaxNotify {
		return bad("notify", "names %d people; at most %d", len(d.Notify), MaxNotify)
	}
	return nil
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "no scope"
	}
	return strings.Join(xs, ", ")
}

// Observation is a metric's value over a window and how many observations
// it stands on (nil value: none).
type Observation struct {
	Value *float64
	N     int
}

// Judgement is the outcome of one evaluation and why, in words.
type Judgement struct {
	Outcome string
	// Change is (value − baseline) / baseline for rise and fall.
	Change  *float64
	Message string
}

// epsilon absorbs floating-point error at a condition's edge: a rise of
// exactly 20 % (0.30 against 0.25) is 0.19999999999999996 in float64.
const epsilon = 1e-9

// Judge decides an evaluation: not enough data when the window (or, for a
// change, the baseline) has fewer than minSample observations or no value;
// otherwise whether the condition holds. Above and below are strict (a
// breach rate "above 20 %" does not fire at exactly 20 %); a rise or fall
// of at least the fraction breaches.
func Judge(m Metric, c Condition, minSample int, cur, base Observation) Judgement {
	need := max(minSample, 1)
	if m.Unit == UnitCount && minSample == 0 {
		need = 0 // a count of zero is a value
	}
	if cur.Value == nil || cur.N < need {
		return Judgement{Outcome: Insufficient, Message: fmt.Sprintf("not enough data: %d %s in the window, at least %d needed", cur.N, m.Sample, need)}
	}
	v := *cur.Value
	switch c.Op {
	case Above:
		if v > c.Value+epsilon*math.Abs(c.Value) {
			return Judgement{Outcome: Breach, Message: fmt.Sprintf("%s is above %s", Format(m, v), Format(m, c.Value))}
		}
		return Judgement{Outcome: Clear, Message: fmt.Sprintf("%s is not above %s", Format(m, v), Format(m, c.Value))}
	case Below:
		if v < c.Value-epsilon*math.Abs(c.Value) {
			return Judgement{Outcome: Breach, Message: fmt.Sprintf("%s is below %s", Format(m, v), Format(m, c.Value))}
		}
		return Judgement{Outcome: Clear, Message: fmt.Sprintf("%s is not below %s", Format(m, v), Format(m, c.Value))}
	}
	if base.Value == nil || base.N < need {
		return Judgement{Outcome: Insufficient, Message: fmt.Sprintf("not enough data: %d %s in the baseline, at least %d needed", base.N, m.Sample, need)}
	}
	b := *base.Value
	if b == 0 {
		return Judgement{Outcome: Insufficient, Message: "the baseline is 0: a change against it has no size"}
	}
	ch := (v - b) / math.Abs(b)
	j := Judgement{Change: &ch}
	words := fmt.Sprintf("%s against a baseline of %s (%+.1f %%)", Format(m, v), Format(m, b), 100*ch)
	holds := ch >= c.Value-epsilon
	if c.Op == Fall {
		holds = -ch >= c.Value-epsilon
	}
	if holds {
		j.Outcome, j.Message = Breach, fmt.Sprintf("%s: a %s of at least %.0f %%", words, c.Op, 100*c.Value)
	} else {
		j.Outcome, j.Message = Clear, fmt.Sprintf("%s: less than a %s of %.0f %%", words, c.Op, 100*c.Value)
	}
	return j
}

// Format writes a metric's value with its unit: a rate as a percentage,
// seconds as a duration, a count and a score as numbers.
func Format(m Metric, v float64) string {
	switch m.Unit {
	case UnitRate:
		return fmt.Sprintf("%.1f %%", 100*v)
	case UnitSeconds:
		return time.Duration(math.Round(v) * float64(time.Second)).String()
	case UnitCount:
		return fmt.Sprintf("%.4g", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}

// State is where a rule stands between evaluations.
type State struct {
	Name string
	// Since is when it entered this state; PendingSince when its
	// condition began to hold (pending or firing).
	Since        time.Time
	PendingSince *time.Time
}

// Next is the state after an evaluation at at with outcome, for a rule
// whose condition must hold for pending before it fires:
//   - a breach moves ok or resolved to pending (or straight to firing when
//     pending is 0), and pending to firing once it has held for pending;
//   - a clear moves pending back to ok and firing to resolved;
//   - not enough data cancels a pending (nothing confirms it) and leaves
//     every other state as it is (a firing rule stays firing until data
//     says otherwise); an error changes nothing.
func Next(s State, outcome string, at time.Time, pending time.Duration) State {
	switch outcome {
	case Breach:
		switch s.Name {
		case OK, Resolved, "":
			since := at
			if pending <= 0 {
				return State{Name: Firing, Since: at, PendingSince: &since}
			}
			return State{Name: Pending, Since: at, PendingSince: &since}
		case Pending:
			if s.PendingSince != nil && !at.Before(s.PendingSince.Add(pending)) {
				return State{Name: Firing, Since: at, PendingSince: s.PendingSince}
			}
		}
	case Clear:
		switch s.Name {
		case Pending:
			return State{Name: OK, Since: at}
		case Firing:
			return State{Name: Resolved, Since: at}
		}
	case Insufficient:
		if s.Name == Pending {
			return State{Name: OK, Since: at}
		}
	}
	return s
}

// Notifies reports whether moving from one state to another is told to
// people and webhooks: when a rule fires and when it resolves, nothing
// else.
func Notifies(from, to string) bool {
	return from != to && (to == Firing || (from == Firing && to == Resolved))
}
