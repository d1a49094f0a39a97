package flow

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FieldChange is one field whose value differs between two versions. From
// and To are the rendered values; "" means the field is not set.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// StepChange lists the changed fields of a step present in both versions.
type StepChange struct {
	Step   string        `json:"step"`
	Fields []FieldChange `json:"fields"`
}

// Handoff is a path from one task step to the next task step (through any
// auto, decision and wait steps in between) that moves the case to another
// department.
type Handoff struct {
	From           string `json:"from"`
	To             string `json:"to"`
	FromDepartment string `json:"from_department"`
	ToDepartment   string `json:"to_department"`
}

// DiffResult is what changed from one flow version to another. Its slices
// are never nil, so they marshal as empty JSON arrays.
type DiffResult struct {
	Key  string `json:"key"`
	From int    `json:"from"`
	To   int    `json:"to"`
	// Added and Removed are step ids, in the flow order of the version
	// that has them.
	Added   []string     `json:"added"`
	Removed []string     `json:"removed"`
	Changed []StepChange `json:"changed"`
	// Flow holds flow-level changes: key (when it differs), name,
	// departments, start (the effective first step), sla, calendar and
	// follow_up (rendered as a sentence), then the calendars: "calendars.<id>" for an added calendar (From
	// empty) or a removed one (To empty), rendered as a summary, and
	// "calendars.<id>.timezone", "calendars.<id>.hours.<day>" and
	// "calendars.<id>.holidays" for a changed one. Added and changed
	// calendars follow the order of to, then removed ones that of from.
	Flow            []FieldChange `json:"flow"`
	HandoffsRemoved []Handoff     `json:"handoffs_removed"`
	HandoffsAdded   []Handoff     `json:"handoffs_added"`

	// text keeps what Text shows beyond the exported fields (kinds and
	// departments of added and removed steps, handoff counts per
	// department pair). It is lost in a JSON round trip; Text then shows
	// the rest.
	text *diffText
}

type diffText struct {
	steps map[string]string // "+id" / "-id" -> "task, customer_service"
	pairs []pairCount       // department pairs whose handoff count changed
}

// Empty reports whether the two versions are the same in every compared
// field.
func (d DiffResult) Empty() bool {
	return len(d.Added) == 0 && len(d.Removed) == 0 && len(d.Changed) == 0 && len(d.Flow) == 0 &&
		len(d.HandoffsRemoved) == 0 && len(d.HandoffsAdded) == 0
}

// Diff compares two versions of a flow. Steps are matched by id. A nil
// definition is treated as an empty one. The result is deterministic:
// removed steps and removed handoffs follow the order of from, everything
// else the order of to, and fields follow a fixed order.
func Diff(from, to *Definition) DiffResult {
	if from == nil {
		from = &Definition{}
	}
	if to == nil {
		to = &Definition{}
	}
	r := DiffResult{
		Key: to.Key, From: from.Version, To: to.Version,
		Added: []string{}, Removed: []string{}, Changed: []StepChange{}, Flow: []FieldChange{},
		HandoffsRemoved: []Handoff{}, HandoffsAdded: []Handoff{},
	}
	if r.Key == "" {
		r.Key = from.Key
	}
	if from.Key != to.Key {
		r.Flow = append(r.Flow, FieldChange{"key", from.Key, to.Key})
	}
	r.Flow = appendChanges(r.Flow, flowValues(from), flowValues(to))
	r.Flow = append(r.Flow, calendarChanges(from, to)...)

	r.text = &diffText{steps: map[string]string{}}
	fromSteps, toSteps := firstSteps(from), firstSteps(to)
	for _, s := range fromSteps.list {
		if _, ok := toSteps.byID[s.ID]; !ok {
			r.Removed = append(r.Removed, s.ID)
			r.text.steps["-"+s.ID] = stepSummary(s)
		}
	}
	for _, s := range toSteps.list {
		old, ok := fromSteps.byID[s.ID]
		if !ok {
			r.Added = append(r.Added, s.ID)
			r.text.steps["+"+s.ID] = stepSummary(s)
			continue
		}
		if fs := appendChanges(nil, stepValues(old), stepValues(s)); len(fs) > 0 {
			r.Changed = append(r.Changed, StepChange{Step: s.ID, Fields: fs})
		}
	}

	hFrom, hTo := Handoffs(from), Handoffs(to)
	inFrom, inTo := handoffSet(hFrom), handoffSet(hTo)
	for _, h := range hFrom {
		if !inTo[h] {
			r.HandoffsRemoved = append(r.HandoffsRemoved, h)
		}
	}
	for _, h := range hTo {
		if !inFrom[h] {
			r.HandoffsAdded = append(r.HandoffsAdded, h)
		}
	}
	r.text.pairs = pairCounts(hFrom, hTo)
	return r
}

// stepSummary is "kind, department" (or just the kind) for Text.
func stepSummary(s *Step) string {
	k := string(s.Kind)
	if k == "" {
		k = "no kind"
	}
	if s.Department == "" {
		return textValue(k)
	}
	return textValue(k) + ", " + textValue(s.Department)
}

func handoffSet(hs []Handoff) map[Handoff]bool {
	m := make(map[Handoff]bool, len(hs))
	for _, h := range hs {
		m[h] = true
	}
	return m
}

// stepIndex holds the steps of a definition with a usable id, keeping the
// first of duplicated ids (as Validate does).
type stepIndex struct {
	list []*Step
	byID map[string]*Step
	pos  map[string]int
}

func firstSteps(d *Definition) stepIndex {
	x := stepIndex{byID: map[string]*Step{}, pos: map[string]int{}}
	for i := range d.Steps {
		s := &d.Steps[i]
		if s.ID == "" {
			continue
		}
		if _, dup := x.byID[s.ID]; dup {
			continue
		}
		x.byID[s.ID] = s
		x.pos[s.ID] = len(x.list)
		x.list = append(x.list, s)
	}
	return x
}

// Handoffs returns every handoff of a flow: each pair of a task step and a
// task step it can lead to next (following outcomes, next, on_timeout,
// rules and defaults through non-task steps) whose departments differ.
// They are ordered by the flow order of the from step, then of the to step.
// Targets that name no step are ignored.
func Handoffs(d *Definition) []Handoff {
	out := []Handoff{}
	if d == nil {
		return out
	}
	x := firstSteps(d)
	for _, s := range x.list {
		if s.Kind != KindTask {
			continue
		}
		var next []string
		seen := map[string]bool{}
		stack := make([]string, 0, len(s.Outcomes))
		for i := len(s.Outcomes) - 1; i >= 0; i-- {
			stack = append(stack, s.Outcomes[i].Next)
		}
		for len(stack) > 0 {
			id := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			t, ok := x.byID[id]
			if !ok || seen[id] {
				continue
			}
			seen[id] = true
			if t.Kind == KindTask {
				next = append(next, id)
				continue
			}
			targets := successorIDs(t)
			for i := len(targets) - 1; i >= 0; i-- {
				stack = append(stack, targets[i])
			}
		}
		sort.Slice(next, func(i, j int) bool { return x.pos[next[i]] < x.pos[next[j]] })
		for _, id := range next {
			t := x.byID[id]
			if t.Department != s.Department {
				out = append(out, Handoff{From: s.ID, To: t.ID, FromDepartment: s.Department, ToDepartment: t.Department})
			}
		}
	}
	return out
}

// successorIDs lists the step ids a non-task step continues to, through
// the fields that apply to its kind.
func successorIDs(s *Step) []string {
	switch s.Kind {
	case KindAuto:
		return []string{s.Next}
	case KindDecision:
		out := make([]string, 0, len(s.Rules)+1)
		for _, r := range s.Rules {
			out = append(out, r.Next)
		}
		return append(out, s.Default)
	case KindWait:
		return []string{s.Next, s.OnTimeout}
	}
	return nil
}

// namedValue is a rendered field value in the fixed comparison order.
type namedValue struct{ name, value string }

func appendChanges(out []FieldChange, a, b []namedValue) []FieldChange {
	for i := range a {
		if a[i].value != b[i].value {
			out = append(out, FieldChange{Field: a[i].name, From: a[i].value, To: b[i].value})
		}
	}
	return out
}

func flowValues(d *Definition) []namedValue {
	return []namedValue{
		{"name", d.Name},
		{"departments", strings.Join(d.Departments, ", ")},
		{"start", d.StartStep()},
		{"sla", durationText(d.SLA)},
		{"calendar", d.Calendar},
		{"follow_up", followUpText(d.FollowUp)},
	}
}

// followUpText renders a follow-up as an owner says it: "call 15% after
// 2d in customer_service, sla 4h, assign least_loaded". None is "".
func followUpText(f *FollowUp) string {
	if f == nil {
		return ""
	}
	out := "call " + f.Share.String() + " after " + durationText(f.After) + " in " + f.Department
	if f.SLA != 0 {
		out += ", sla " + durationText(f.SLA)
	}
	if f.Assign != nil {
		out += ", assign " + assignText(f.Assign)
	}
	return out
}

// calendarChanges compares the calendars of two versions by id (the first
// of duplicated ids, as Validate does).
func calendarChanges(from, to *Definition) []FieldChange {
	var out []FieldChange
	old := firstCalendars(from)
	now := firstCalendars(to)
	for _, c := range now.list {
		field := "calendars." + c.ID
		prev, ok := old.byID[c.ID]
		if !ok {
			out = append(out, FieldChange{Field: field, To: calendarSummary(c)})
			continue
		}
		for _, fc := range appendChanges(nil, calendarValues(prev), calendarValues(c)) {
			fc.Field = field + "." + fc.Field
			out = append(out, fc)
		}
	}
	for _, c := range old.list {
		if _, ok := now.byID[c.ID]; !ok {
			out = append(out, FieldChange{Field: "calendars." + c.ID, From: calendarSummary(c)})
		}
	}
	return out
}

type calendarIndex struct {
	list []*Calendar
	byID map[string]*Calendar
}

func firstCalendars(d *Definition) calendarIndex {
	x := calendarIndex{byID: map[string]*Calendar{}}
	for i := range d.Calendars {
		c := &d.Calendars[i]
		if _, dup := x.byID[c.ID]; dup {
			continue
		}
		x.byID[c.ID] = c
		x.list = append(x.list, c)
	}
	return x
}

// calendarDiffFields are the sub-fields a calendar change names, after
// "calendars.<id>.".
var calendarDiffFields = []string{"timezone", "hours.mon", "hours.tue", "hours.wed", "hours.thu", "hours.fri", "hours.sat", "hours.sun", "holidays"}

func calendarValues(c *Calendar) []namedValue {
	days := c.Hours.days()
	out := []namedValue{{calendarDiffFields[0], c.TimeZone}}
	for i, h := range days {
		out = append(out, namedValue{calendarDiffFields[1+i], h})
	}
	return append(out, namedValue{calendarDiffFields[8], strings.Join(c.Holidays, ", ")})
}

// calendarSummary renders a calendar on one line, runs of weekdays with
// the same hours joined: "Europe/London; mon-fri 09:00-17:00; holidays
// 2026-12-25".
func calendarSummary(c *Calendar) string {
	parts := []string{c.TimeZone}
	if c.TimeZone == "" {
		parts[0] = "no time zone"
	}
	days := c.Hours.days()
	var hours []string
	for i := 0; i < len(days); {
		j := i
		for j+1 < len(days) && days[j+1] == days[i] {
			j++
		}
		if days[i] != "" {
			name := weekdayNames[i]
			if j > i {
				name += "-" + weekdayNames[j]
			}
			hours = append(hours, name+" "+days[i])
		}
		i = j + 1
	}
	if len(hours) == 0 {
		hours = []string{"never open"}
	}
	parts = append(parts, strings.Join(hours, ", "))
	if len(c.Holidays) > 0 {
		parts = append(parts, "holidays "+strings.Join(c.Holidays, ", "))
	}
	return strings.Join(parts, "; ")
}

func stepValues(s *Step) []namedValue {
	return []namedValue{
		{"kind", string(s.Kind)},
		{"name", s.Name},
		{"department", s.Department},
		{"roles", strings.Join(s.Roles, ", ")},
		{"sla", durationText(s.SLA)},
		{"escalation", escalationText(s.Escalation)},
		{"calendar", s.Calendar},
		{"outcomes", outcomesText(s.Outcomes)},
		{"form", formText(s.Form)},
		{"assign", assignText(s.Assign)},
		{"activity", s.Activity},
		{"params", paramsText(s.Params)},
		{"rules", rulesText(s.Rules)},
		{"default", s.Default},
		{"event", s.Event},
		{"duration", durationText(s.Duration)},
		{"timeout", durationText(s.Timeout)},
		{"on_timeout", s.OnTimeout},
		{"pause_sla", boolText(s.PauseSLA)},
		{"next", s.Next},
	}
}

func durationText(d Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func boolText(b bool) string {
	return strconv.FormatBool(b)
}

// escalationText renders levels the way an owner says them: "after 30m
// notify lead; after 1h move to supervisor, give to the team lead and
// notify lead".
func escalationText(es []EscalationLevel) string {
	parts := make([]string, len(es))
	for i, e := range es {
		var acts []string
		if e.Department != "" {
			acts = append(acts, "move to "+e.Department)
		}
		switch e.Assign {
		case "":
		case EscalateTeamLead:
			acts = append(acts, "give to the team lead")
		case EscalatePool:
			acts = append(acts, "return to the pool")
		default:
			acts = append(acts, "assign "+e.Assign)
		}
		if e.Notify != "" {
			acts = append(acts, "notify "+e.Notify)
		}
		parts[i] = "after " + durationText(e.After) + " " + andList(acts)
	}
	return strings.Join(parts, "; ")
}

// andList joins "a", "b" and "c" as "a, b and c".
func andList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// assignText renders an assignment as an owner says it: "sticky (record,
// customer), then skills (attributes.product), then pull; accept within
// 15m". No assignment is "".
func assignText(a *Assign) string {
	if a == nil {
		return ""
	}
	var parts []string
	for _, r := range a.Rules() {
		switch {
		case r == AssignSticky && len(a.Sticky) > 0:
			r += " (" + strings.Join(a.Sticky, ", ") + ")"
		case r == AssignSkills && len(a.Skills) > 0:
			r += " (" + strings.Join(a.Skills, ", ") + ")"
		}
		parts = append(parts, r)
	}
	out := strings.Join(parts, ", then ")
	if a.AcceptWithin != 0 {
		out += "; accept within " + durationText(a.AcceptWithin)
	}
	return out
}

func outcomesText(os []Outcome) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = o.Name + "->" + o.Next
	}
	return strings.Join(parts, ", ")
}

// formText renders fields as "name:type", then " required", the enum
// options as "[a|b]" and the label quoted.
func formText(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		s := f.Name + ":" + f.Type
		if f.Required {
			s += " required"
		}
		if len(f.Options) > 0 {
			s += " [" + strings.Join(f.Options, "|") + "]"
		}
		if f.Label != "" {
			s += " " + strconv.Quote(f.Label)
		}
		parts[i] = s
	}
	return strings.Join(parts, ", ")
}

// paramsText renders params as JSON with sorted keys.
func paramsText(p map[string]any) string {
	if len(p) == 0 {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Sprintf("%v", p) // not JSON-compatible (not from Parse); still deterministic for maps via fmt
	}
	return string(b)
}

func rulesText(rs []Rule) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = r.When + " -> " + r.Next
	}
	return strings.Join(parts, "; ")
}

// Text renders the diff as a readable summary, one change per line:
//
//	complaint v1 -> v2
//	~ flow: sla 6h -> 1h30m
//	~ flow: calendar (none) -> office
//	+ calendar office (Europe/London; mon-fri 09:00-17:00)
//	~ calendar support: hours.sat 10:00-14:00 -> (none)
//	- calendar night (UTC; mon-sun 22:00-24:00)
//	+ step handle (task, customer_service)
//	- step investigate (task, technical)
//	~ step record: sla 30m -> 20m
//	handoff removed: record (customer_service) -> investigate (technical)
//	handoff added: handle (customer_service) -> technical_assist (technical)
//	handoffs customer_service -> technical: 2 -> 1
//
// The last kind of line counts handoffs per department pair in both
// versions, wherever the count changed (only on a DiffResult returned by
// Diff: a JSON round trip loses the counts and the kinds of added and
// removed steps). Empty values read "(none)"; values with spaces or
// punctuation are quoted. Two identical versions read "no changes".
func (d DiffResult) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s v%d -> v%d\n", d.Key, d.From, d.To)
	if d.Empty() {
		b.WriteString("no changes\n")
		return b.String()
	}
	for _, c := range d.Flow {
		id, field, ok := calendarField(c.Field)
		switch {
		case !ok:
			fmt.Fprintf(&b, "~ flow: %s %s -> %s\n", c.Field, textValue(c.From), textValue(c.To))
		case field != "":
			fmt.Fprintf(&b, "~ calendar %s: %s %s -> %s\n", textValue(id), field, textValue(c.From), textValue(c.To))
		case c.From == "":
			fmt.Fprintf(&b, "+ calendar %s (%s)\n", textValue(id), c.To)
		case c.To == "":
			fmt.Fprintf(&b, "- calendar %s (%s)\n", textValue(id), c.From)
		default:
			fmt.Fprintf(&b, "~ calendar %s: %s -> %s\n", textValue(id), textValue(c.From), textValue(c.To))
		}
	}
	for _, id := range d.Added {
		fmt.Fprintf(&b, "+ step %s%s\n", id, d.stepSummary("+"+id))
	}
	for _, id := range d.Removed {
		fmt.Fprintf(&b, "- step %s%s\n", id, d.stepSummary("-"+id))
	}
	for _, sc := range d.Changed {
		for _, c := range sc.Fields {
			fmt.Fprintf(&b, "~ step %s: %s %s -> %s\n", sc.Step, c.Field, textValue(c.From), textValue(c.To))
		}
	}
	for _, h := range d.HandoffsRemoved {
		fmt.Fprintf(&b, "handoff removed: %s\n", handoffText(h))
	}
	for _, h := range d.HandoffsAdded {
		fmt.Fprintf(&b, "handoff added: %s\n", handoffText(h))
	}
	if d.text == nil {
		return b.String()
	}
	for _, pc := range d.text.pairs {
		fmt.Fprintf(&b, "handoffs %s -> %s: %d -> %d\n", textValue(pc.from), textValue(pc.to), pc.before, pc.after)
	}
	return b.String()
}

// calendarField splits a flow change of a calendar, "calendars.<id>" or
// "calendars.<id>.<field>", into the id and the field.
func calendarField(f string) (id, field string, ok bool) {
	rest, ok := strings.CutPrefix(f, "calendars.")
	if !ok {
		return "", "", false
	}
	for _, sub := range calendarDiffFields {
		if id, found := strings.CutSuffix(rest, "."+sub); found {
			return id, sub, true
		}
	}
	return rest, "", true
}

func (d DiffResult) stepSummary(key string) string {
	if d.text == nil || d.text.steps[key] == "" {
		return ""
	}
	return " (" + d.text.steps[key] + ")"
}

func handoffText(h Handoff) string {
	return fmt.Sprintf("%s (%s) -> %s (%s)", h.From, textValue(h.FromDepartment), h.To, textValue(h.ToDepartment))
}

type pairCount struct {
	from, to      string
	before, after int
}

// pairCounts counts the handoffs of each department pair in both versions
// and returns the pairs whose count differs, in order of first appearance
// (from, then to).
func pairCounts(from, to []Handoff) []pairCount {
	type pair struct{ from, to string }
	idx := map[pair]int{}
	var all []pairCount
	get := func(h Handoff) *pairCount {
		p := pair{h.FromDepartment, h.ToDepartment}
		i, ok := idx[p]
		if !ok {
			i = len(all)
			idx[p] = i
			all = append(all, pairCount{from: p.from, to: p.to})
		}
		return &all[i]
	}
	for _, h := range from {
		get(h).before++
	}
	for _, h := range to {
		get(h).after++
	}
	var out []pairCount
	for _, pc := range all {
		if pc.before != pc.after {
			out = append(out, pc)
		}
	}
	return out
}

// textValue renders a field value for Text.
func textValue(s string) string {
	if s == "" {
		return "(none)"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_-.:/>|[]", r)) {
			return quote(s)
		}
	}
	return s
}

// quote wraps s in double quotes, or in backquotes when it holds double
// quotes (rules often do) and nothing a raw string cannot show, and
// escapes it only when neither reads cleanly.
func quote(s string) string {
	switch {
	case !strconv.CanBackquote(s): // control characters or a backquote
		return strconv.Quote(s)
	case strings.Contains(s, `"`):
		return "`" + s + "`"
	default:
		return `"` + s + `"`
	}
}
