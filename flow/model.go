// Package flow is flowlab's process model: flow definitions as data, parsed
// from YAML with positions, validated, and described by a JSON Schema.
// It imports nothing of flowlab's and does no I/O.
package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind is the kind of a step.
type Kind string

// Step kinds.
const (
	KindTask     Kind = "task"     // a human task in a department
	KindAuto     Kind = "auto"     // a registered activity run by the engine
	KindDecision Kind = "decision" // a rule over case attributes picks the next step
	KindWait     Kind = "wait"     // wait for an external event or a duration
	KindEnd      Kind = "end"      // the case is closed
	// KindPilot runs an A/B pilot of two versions of a flow (the PDCA
	// cycle's Do step) and continues through the outcome named after how
	// it ended: completed, stopped or refused (its parameters were
	// invalid or another pilot of the flow runs).
	KindPilot Kind = "pilot"
)

// PilotOutcomes are the outcomes a pilot step must route, in order.
var PilotOutcomes = []string{"completed", "stopped", "refused"}

// Definition is one version of a flow. It is plain data: the Case workflow
// receives a snapshot of it in its input, so it must stay JSON round-trippable.
type Definition struct {
	Key         string `json:"key" yaml:"key"`
	Version     int    `json:"version" yaml:"version,omitempty"`
	Name        string `json:"name,omitempty" yaml:"name,omitempty"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	// Departments lists every department the flow may hand work to; task
	// steps and escalation levels may only name these.
	Departments []string `json:"departments" yaml:"departments"`
	// Start is the id of the first step; empty means the first listed step.
	Start string `json:"start,omitempty" yaml:"start,omitempty"`
	// SLA is the target for the whole case (optional).
	SLA   Duration `json:"sla,omitempty" yaml:"sla,omitempty"`
	Steps []Step   `json:"steps" yaml:"steps"`
	// Calendars are the business calendars steps may count their SLAs in.
	Calendars []Calendar `json:"calendars,omitempty" yaml:"calendars,omitempty"`
	// Calendar is the id of the calendar the flow's SLAs (case sla, task
	// sla, escalation after) count in; "" means elapsed time.
	Calendar string `json:"calendar,omitempty" yaml:"calendar,omitempty"`
	// FollowUp asks for a follow-up call on a sample of the completed
	// cases (decision 0041); nil: none.
	FollowUp *FollowUp `json:"follow_up,omitempty" yaml:"follow_up,omitempty"`

	// pos holds the source positions recorded by Parse so that Validate can
	// point at lines and columns. It is neither marshalled nor required.
	pos *positions
}

// Step is one node of a flow. Which fields apply depends on Kind.
type Step struct {
	ID   string `json:"id" yaml:"id"`
	Kind Kind   `json:"kind" yaml:"kind"`
	Name string `json:"name,omitempty" yaml:"name,omitempty"`

	// task
	Department string            `json:"department,omitempty" yaml:"department,omitempty"`
	Roles      []string          `json:"roles,omitempty" yaml:"roles,omitempty"`
	SLA        Duration          `json:"sla,omitempty" yaml:"sla,omitempty"`
	Escalation []EscalationLevel `json:"escalation,omitempty" yaml:"escalation,omitempty"`
	Outcomes   []Outcome         `json:"outcomes,omitempty" yaml:"outcomes,omitempty"`
	Form       []Field           `json:"form,omitempty" yaml:"form,omitempty"`
	// Assign says how the task finds its person; nil is pull (it waits in
	// the department's pool until someone claims it).
	Assign *Assign `json:"assign,omitempty" yaml:"assign,omitempty"`

	// auto
	Activity string         `json:"activity,omitempty" yaml:"activity,omitempty"`
	Params   map[string]any `json:"params,omitempty" yaml:"params,omitempty"`

	// decision: the first rule whose expression is true wins, else Default.
	Rules   []Rule `json:"rules,omitempty" yaml:"rules,omitempty"`
	Default string `json:"default,omitempty" yaml:"default,omitempty"`

	// wait: for Event (a signal sent through the API) or for Duration.
	// With an Event, Timeout bounds the wait and OnTimeout names the step
	// taken when it expires. PauseSLA stops the case SLA clock while waiting.
	Event     string   `json:"event,omitempty" yaml:"event,omitempty"`
	Duration  Duration `json:"duration,omitempty" yaml:"duration,omitempty"`
	Timeout   Duration `json:"timeout,omitempty" yaml:"timeout,omitempty"`
	OnTimeout string   `json:"on_timeout,omitempty" yaml:"on_timeout,omitempty"`
	PauseSLA  bool     `json:"pause_sla,omitempty" yaml:"pause_sla,omitempty"`

	// Next is the unconditional successor of auto and wait steps.
	Next string `json:"next,omitempty" yaml:"next,omitempty"`

	// Calendar overrides the flow's calendar for this step's sla and
	// escalation; "24x7" means elapsed time.
	Calendar string `json:"calendar,omitempty" yaml:"calendar,omitempty"`
}

// Assignment rules of a task (decision 0035).
const (
	AssignPull        = "pull"
	AssignRoundRobin  = "round_robin"
	AssignLeastLoaded = "least_loaded"
	AssignSkills      = "skills"
	AssignSticky      = "sticky"
)

// AssignRules are the assignment rules, in the order the docs list them.
var AssignRules = []string{AssignPull, AssignRoundRobin, AssignLeastLoaded, AssignSkills, AssignSticky}

// StickyCustomer in Assign.Sticky prefers whoever last served the case's
// customer.
const StickyCustomer = "customer"

// Assign is a task's assignment rule and its fallbacks, tried in order;
// when none finds a person the task waits in the pool.
type Assign struct {
	Rule string `json:"rule" yaml:"rule"`
	// Skills (rule skills) name the case attributes or form data whose
	// values the person must have as skills: "attributes.product",
	// "data.language".
	Skills []string `json:"skills,omitempty" yaml:"skills,omitempty"`
	// Sticky (rule sticky) prefers who did these earlier task steps of the
	// case, in order, or "customer": who last served its customer.
	Sticky []string `json:"sticky,omitempty" yaml:"sticky,omitempty"`
	// Fallback are the rules tried next, in order.
	Fallback []string `json:"fallback,omitempty" yaml:"fallback,omitempty"`
	// AcceptWithin: an assigned task not started within it goes back to
	// the pool and to the next person.
	AcceptWithin Duration `json:"accept_within,omitempty" yaml:"accept_within,omitempty"`
}

// Rules are the assignment's rule and fallbacks in order.
func (a *Assign) Rules() []string {
	if a == nil {
		return []string{AssignPull}
	}
	return append([]string{a.Rule}, a.Fallback...)
}

// EscalationLevel fires After the task was opened if it is still open.
// It moves the task to Department, gives it to a team lead or back to the
// pool (Assign), notifies Notify, or any of these together. Notify gets
// an in-app notification when it names people (a department's team leads,
// the task's holder, an actor: see docs/domain.md); the worker also logs
// every notification and POSTs it to --notify-webhook when one is set.
// Levels are ordered by strictly increasing After.
type EscalationLevel struct {
	After      Duration `json:"after" yaml:"after"`
	Department string   `json:"department,omitempty" yaml:"department,omitempty"`
	Notify     string   `json:"notify,omitempty" yaml:"notify,omitempty"`
	// Assign is who holds the task after the level: "" keeps its holder
	// (a move to another department returns it to that pool),
	// EscalateTeamLead gives it to an available team lead of its (new)
	// department, EscalatePool returns it to the department's pool.
	Assign string `json:"assign,omitempty" yaml:"assign,omitempty"`
}

// What an escalation level does with the task (EscalationLevel.Assign).
const (
	EscalateTeamLead = "team_lead"
	EscalatePool     = "pool"
)

// EscalationAssigns are the values of EscalationLevel.Assign, in the
// order the docs list them.
var EscalationAssigns = []string{EscalateTeamLead, EscalatePool}

// Outcome is one allowed result of a task and the step it leads to.
type Outcome struct {
	Name string `json:"name" yaml:"name"`
	Next string `json:"next" yaml:"next"`
}

// Field is one form field a task asks for on completion.
type Field struct {
	Name     string   `json:"name" yaml:"name"`
	Type     string   `json:"type" yaml:"type"` // string | text | number | bool | enum
	Required bool     `json:"required,omitempty" yaml:"required,omitempty"`
	Options  []string `json:"options,omitempty" yaml:"options,omitempty"` // for enum
	Label    string   `json:"label,omitempty" yaml:"label,omitempty"`
}

// Rule is one branch of a decision: When is an expr-lang expression over the
// case environment (attributes, customer, channel, last outcome and data).
type Rule struct {
	When string `json:"when" yaml:"when"`
	Next string `json:"next" yaml:"next"`
}

// Step returns the step with the given id.
func (d *Definition) Step(id string) (*Step, bool) {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i], true
		}
	}
	return nil, false
}

// StartStep returns the id of the first step.
func (d *Definition) StartStep() string {
	if d.Start != "" {
		return d.Start
	}
	if len(d.Steps) > 0 {
		return d.Steps[0].ID
	}
	return ""
}

// Outcome returns the outcome of a task step with the given name.
func (s *Step) Outcome(name string) (Outcome, bool) {
	for _, o := range s.Outcomes {
		if o.Name == name {
			return o, true
		}
	}
	return Outcome{}, false
}

// Duration is a time.Duration written as Go durations ("90m", "1h30m")
// with a "d" suffix for days ("2d", "1d12h"). It marshals as that string.
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String renders the duration compactly ("2d", "1h30m").
func (d Duration) String() string {
	td := time.Duration(d)
	if td == 0 {
		return "0s"
	}
	day := 24 * time.Hour
	if td%day == 0 {
		return strconv.FormatInt(int64(td/day), 10) + "d"
	}
	s := td.String()
	// time.Duration renders 90m as "1h30m0s" and 2h as "2h0m0s".
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// ParseDuration parses "90m", "1h30m", "2d", "1d12h". Negative values are
// rejected.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty duration")
	}
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("invalid duration %q: use forms like 30m, 4h, 2d or 1d12h", s)
		}
		days = n
		rest = s[i+1:]
	}
	var td time.Duration
	if rest != "" {
		var err error
		td, err = time.ParseDuration(rest)
		if err != nil {
			return 0, fmt.Errorf("invalid duration %q: use forms like 30m, 4h, 2d or 1d12h", s)
		}
	}
	if td < 0 {
		return 0, fmt.Errorf("invalid duration %q: must not be negative", s)
	}
	const maxDays = 3650
	if days > maxDays {
		return 0, fmt.Errorf("invalid duration %q: longer than %d days", s, maxDays)
	}
	if time.Duration(math.MaxInt64)-time.Duration(days)*24*time.Hour < td {
		return 0, fmt.Errorf("invalid duration %q: too long", s)
	}
	return Duration(time.Duration(days)*24*time.Hour + td), nil
}

// MarshalJSON writes the duration as its string form.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON accepts the string form or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := ParseDuration(s)
		if err != nil {
			return err
		}
		*d = v
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be a string like \"4h\": %w", err)
	}
	*d = Duration(n)
	return nil
}

// MarshalYAML writes the duration as its string form.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// BuiltinActivities are the names auto steps may use unless the caller of
// Validate passes its own list.
var BuiltinActivities = []string{"notify", "webhook", "set_attributes", "baseline", "pilot_results", "promote_pilot"}
