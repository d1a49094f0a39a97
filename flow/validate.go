package flow

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	// Activities are the names auto steps may use. Nil means
	// BuiltinActivities.
	Activities []string
	// WebhookAllow lists webhook targets the egress rules would refuse
	// (see CheckWebhookURL). Nil means DefaultWebhookAllow().
	WebhookAllow *WebhookAllow
}

// FieldTypes are the form field types a task may ask for.
var FieldTypes = []string{"string", "text", "number", "bool", "enum"}

var (
	idRe  = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	keyRe = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

var kinds = []string{string(KindTask), string(KindAuto), string(KindDecision), string(KindWait), string(KindEnd), string(KindPilot)}

// Load parses and validates a definition. The definition is nil when any
// diagnostic is an error; warnings are returned alongside a usable one.
//
// Every independent problem is reported in one pass: a value Parse could
// not read (a bad duration, a list where text belongs) does not stop
// Validate; what Validate would say about that value follows from the
// parse error and is left out (see followsFromParse).
func Load(src []byte, opts ValidateOptions) (*Definition, Diagnostics) {
	d, diags := parse(src)
	if d == nil {
		return nil, diags.limit()
	}
	diags = append(diags, validate(d, opts)...)
	diags.sortByPosition()
	diags = diags.limit()
	if diags.HasErrors() {
		return nil, diags
	}
	return d, diags
}

// Validate checks the meaning of a definition: ids, targets, reachability,
// termination, departments, SLAs, escalation chains, rules, waits and which
// fields each step kind may use. Diagnostics carry source positions when d
// came from Parse.
func Validate(d *Definition, opts ValidateOptions) Diagnostics {
	return validate(d, opts).limit()
}

// validate is Validate without the MaxDiagnostics limit.
func validate(d *Definition, opts ValidateOptions) Diagnostics {
	if d == nil {
		return Diagnostics{{Severity: SeverityError, Code: "empty", Message: "there is no flow definition"}}
	}
	acts := opts.Activities
	if acts == nil {
		acts = BuiltinActivities
	}
	allow := opts.WebhookAllow
	if allow == nil {
		allow = DefaultWebhookAllow()
	}
	v := &validator{d: d, activities: acts, allow: allow, ids: map[string]int{}, depts: map[string]bool{}, used: map[string]bool{}, rules: map[string]error{}}
	v.header()
	v.calendars()
	v.stepIDs()
	for i := range d.Steps {
		v.step(i)
	}
	v.graph()
	v.followUp()
	v.unusedDepartments()
	v.unusedCalendars()
	v.diags.sortByPosition()
	return v.diags
}

type validator struct {
	d          *Definition
	activities []string
	allow      *WebhookAllow
	diags      Diagnostics
	ids        map[string]int  // step id -> index of its first occurrence
	depts      map[string]bool // declared departments
	used       map[string]bool // departments named by some step
	rules      map[string]error
	cals       map[string]bool // calendar ids defined (first of duplicates)
	calIDs     []string        // those ids in flow order, for suggestions
	calUsed    map[string]bool // calendars named by the flow or a step
}

// checkRule compiles each distinct rule text once.
func (v *validator) checkRule(rule string) error {
	if err, ok := v.rules[rule]; ok {
		return err
	}
	err := checkRule(rule)
	v.rules[rule] = err
	return err
}

func (v *validator) add(sev Severity, path string, onKey bool, code, format string, args ...any) {
	if v.d.pos.followsFromParse(path) {
		return
	}
	at, _ := v.d.pos.lookup(path, onKey)
	v.diags = append(v.diags, Diagnostic{
		Line: at.line, Column: at.col, Severity: sev, Code: code,
		Message: fmt.Sprintf(format, args...), Path: path,
	})
}

func (v *validator) errorf(path, code, format string, args ...any) {
	v.add(SeverityError, path, false, code, format, args...)
}

func (v *validator) header() {
	d := v.d
	switch {
	case d.Key == "":
		v.errorf("key", "missing-key", "the flow needs a key, a short name like \"complaint\"")
	case !keyRe.MatchString(d.Key):
		v.errorf("key", "bad-key", "flow key %q must start with a lowercase letter and use only a-z, 0-9, _ and -", d.Key)
	}
	// The version may be left out (0): publishing assigns the next one.
	// Written in a source it must be 1 or more; never negative.
	written := d.pos != nil && d.pos.val["version"] != (position{})
	if d.Version < 0 || (written && d.Version < 1) {
		v.errorf("version", "bad-version", "the version must be a number of 1 or more (or left out: publishing assigns the next one)")
	}
	if d.SLA < 0 {
		v.errorf("sla", "bad-duration", "the flow sla must not be negative")
	}
	for i, dep := range d.Departments {
		p := index("departments", i)
		switch {
		case !idRe.MatchString(dep):
			v.errorf(p, "bad-department", "department %q must start with a lowercase letter and use only a-z, 0-9 and _", dep)
		case v.depts[dep]:
			v.errorf(p, "duplicate-department", "department %q is listed twice", dep)
		}
		v.depts[dep] = true
	}
	if len(d.Steps) == 0 {
		v.errorf("steps", "no-steps", "the flow has no steps")
	}
}

func stepPath(i int) string { return index("steps", i) }

func (v *validator) stepIDs() {
	for i, s := range v.d.Steps {
		p := join(stepPath(i), "id")
		switch {
		case s.ID == "":
			v.errorf(p, "missing-id", "step #%d has no id", i+1)
			continue
		case !idRe.MatchString(s.ID):
			v.errorf(p, "bad-id", "step id %q must start with a lowercase letter and use only a-z, 0-9 and _", s.ID)
		}
		if first, dup := v.ids[s.ID]; dup {
			v.errorf(p, "duplicate-id", "step id %q is already used by step #%d", s.ID, first+1)
			continue
		}
		v.ids[s.ID] = i
	}
	if v.d.Start != "" {
		v.target("start", "", v.d.Start, "start")
	}
}

// label names a step in messages: `task "record"`.
func label(s *Step, i int) string {
	k := map[Kind]string{KindTask: "task", KindAuto: "auto step", KindDecision: "decision", KindWait: "wait step", KindEnd: "end step", KindPilot: "pilot step"}[s.Kind]
	if k == "" {
		k = "step"
	}
	if s.ID == "" {
		return fmt.Sprintf("%s #%d", k, i+1)
	}
	return fmt.Sprintf("%s %q", k, s.ID)
}

// target checks that a reference names an existing step.
func (v *validator) target(path, owner, id, what string) {
	if owner != "" {
		owner = " of " + owner
	}
	if id == "" {
		v.errorf(path, "missing-target", "%s%s must name the next step", what, owner)
		return
	}
	if _, ok := v.ids[id]; !ok {
		v.errorf(path, "unknown-target", "unknown step %q in %s%s%s", id, what, owner, didYouMean(id, v.stepIDList()))
	}
}

func (v *validator) stepIDList() []string {
	if len(v.d.Steps) > maxSuggestCandidates {
		return nil
	}
	out := make([]string, 0, len(v.d.Steps))
	for _, s := range v.d.Steps {
		if s.ID != "" {
			out = append(out, s.ID)
		}
	}
	return out
}

// department checks that a department is declared in the flow.
func (v *validator) department(path, dep, owner string) {
	v.used[dep] = true
	if !v.depts[dep] && !v.d.pos.followsFromParse("departments") {
		list := strings.Join(v.d.Departments, ", ")
		if list == "" {
			list = "none"
		}
		v.errorf(path, "unknown-department", "department %q of %s is not in the flow's departments (%s)%s", dep, owner, list, didYouMean(dep, v.d.Departments))
	}
}

// stepField describes a step field that only some kinds may use.
type stepField struct {
	name  string
	kinds []Kind
	set   func(s *Step) bool
}

var kindFields = []stepField{
	{"department", []Kind{KindTask}, func(s *Step) bool { return s.Department != "" }},
	{"roles", []Kind{KindTask}, func(s *Step) bool { return len(s.Roles) > 0 }},
	{"sla", []Kind{KindTask}, func(s *Step) bool { return s.SLA != 0 }},
	{"escalation", []Kind{KindTask}, func(s *Step) bool { return len(s.Escalation) > 0 }},
	{"outcomes", []Kind{KindTask, KindPilot}, func(s *Step) bool { return len(s.Outcomes) > 0 }},
	{"form", []Kind{KindTask}, func(s *Step) bool { return len(s.Form) > 0 }},
	{"assign", []Kind{KindTask}, func(s *Step) bool { return s.Assign != nil }},
	{"activity", []Kind{KindAuto}, func(s *Step) bool { return s.Activity != "" }},
	{"params", []Kind{KindAuto, KindPilot}, func(s *Step) bool { return len(s.Params) > 0 }},
	{"rules", []Kind{KindDecision}, func(s *Step) bool { return len(s.Rules) > 0 }},
	{"default", []Kind{KindDecision}, func(s *Step) bool { return s.Default != "" }},
	{"event", []Kind{KindWait}, func(s *Step) bool { return s.Event != "" }},
	{"duration", []Kind{KindWait}, func(s *Step) bool { return s.Duration != 0 }},
	{"timeout", []Kind{KindWait}, func(s *Step) bool { return s.Timeout != 0 }},
	{"on_timeout", []Kind{KindWait}, func(s *Step) bool { return s.OnTimeout != "" }},
	{"pause_sla", []Kind{KindWait}, func(s *Step) bool { return s.PauseSLA }},
	{"next", []Kind{KindAuto, KindWait}, func(s *Step) bool { return s.Next != "" }},
}

// kindHints explain how a step of each kind continues, for messages about
// fields that do not apply.
var kindHints = map[Kind]string{
	KindTask:     "a task continues through its outcomes",
	KindDecision: "a decision continues through its rules and default",
	KindEnd:      "an end step closes the case",
	KindPilot:    "a pilot step continues through its outcomes completed, stopped and refused",
}

func (v *validator) step(i int) {
	s := &v.d.Steps[i]
	sp := stepPath(i)
	who := label(s, i)
	if s.Calendar != "" {
		v.calendarRef(join(sp, "calendar"), s.Calendar, who)
		if s.Kind == KindDecision || s.Kind == KindEnd || s.Kind == KindAuto || s.Kind == KindPilot {
			v.add(SeverityWarning, join(sp, "calendar"), true, "calendar-without-effect",
				"%s counts no SLA or escalation time, so its calendar has no effect; remove it", who)
		}
	}
	switch {
	case s.Kind == "":
		v.errorf(join(sp, "kind"), "missing-kind", "step %s needs a kind: one of %s", quoteOr(s.ID, i), strings.Join(kinds, ", "))
		return
	case !contains(kinds, string(s.Kind)):
		v.errorf(join(sp, "kind"), "bad-kind", "unknown kind %q for step %s: use one of %s%s", s.Kind, quoteOr(s.ID, i), strings.Join(kinds, ", "), didYouMean(string(s.Kind), kinds))
		return
	}
	for _, f := range kindFields {
		if !f.set(s) || containsKind(f.kinds, s.Kind) {
			continue
		}
		hint := kindHints[s.Kind]
		if hint != "" {
			hint = "; " + hint
		}
		v.add(SeverityError, join(sp, f.name), true, "field-not-allowed",
			"%s cannot have %q: it applies only to %s steps%s", who, f.name, kindList(f.kinds), hint)
	}
	switch s.Kind {
	case KindTask:
		v.task(s, sp, who)
	case KindAuto:
		v.auto(s, sp, who)
	case KindDecision:
		v.decision(s, sp, who)
	case KindWait:
		v.wait(s, sp, who)
	case KindPilot:
		v.pilot(s, sp, who)
	case KindEnd:
	}
}

func quoteOr(id string, i int) string {
	if id == "" {
		return fmt.Sprintf("#%d", i+1)
	}
	return strconv.Quote(id)
}

func containsKind(ks []Kind, k Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " and ")
}

// assign checks a task's assignment (decision 0035): known rules, each
// used once; the skills and sticky lists the rules need; skills name case
// attributes or form data; sticky names earlier task steps or "customer".
func (v *validator) assign(a *Assign, ap, who string) {
	seen := map[string]bool{}
	check := func(path, rule string) {
		switch {
		case rule == "":
			v.errorf(path, "missing-assign-rule", "the assignment of %s needs a rule: one of %s", who, strings.Join(AssignRules, ", "))
		case !contains(AssignRules, rule):
			v.errorf(path, "unknown-assign-rule", "unknown assignment rule %q of %s: use one of %s%s", rule, who, strings.Join(AssignRules, ", "), didYouMean(rule, AssignRules))
		case seen[rule]:
			v.errorf(path, "duplicate-assign-rule", "the assignment of %s tries %s twice", who, rule)
		}
		seen[rule] = true
	}
	check(join(ap, "rule"), a.Rule)
	for j, r := range a.Fallback {
		check(index(join(ap, "fallback"), j), r)
	}
	if rules := a.Rules(); slices.Index(rules, AssignPull) >= 0 && slices.Index(rules, AssignPull) < len(rules)-1 {
		v.errorf(join(ap, "fallback"), "assign-pull-not-last", "the assignment of %s tries pull before other rules: pull assigns nobody, so it can only come last", who)
	}
	if seen[AssignSkills] && len(a.Skills) == 0 {
		v.errorf(join(ap, "skills"), "assign-needs-skills", "the assignment of %s uses the skills rule but names no skills: list case attributes or form data, e.g. attributes.product", who)
	}
	for j, sk := range a.Skills {
		name, ok := strings.CutPrefix(sk, "attributes.")
		if !ok {
			name, ok = strings.CutPrefix(sk, "data.")
		}
		if !ok || name == "" {
			v.errorf(index(join(ap, "skills"), j), "bad-assign-skill", "skill %q of %s must name a case attribute or form data: attributes.<name> or data.<name>", sk, who)
		}
	}
	if seen[AssignSticky] && len(a.Sticky) == 0 {
		v.errorf(join(ap, "sticky"), "assign-needs-sticky", "the assignment of %s uses the sticky rule but names no earlier step (or customer) whose person it prefers", who)
	}
	for j, st := range a.Sticky {
		if st == StickyCustomer {
			continue
		}
		if s, ok := v.d.Step(st); !ok || s.Kind != KindTask {
			v.errorf(index(join(ap, "sticky"), j), "unknown-assign-step", "sticky step %q of %s is not a task step of the flow (or customer)%s", st, who, didYouMean(st, v.stepIDList()))
		}
	}
	if a.AcceptWithin < 0 {
		v.errorf(join(ap, "accept_within"), "bad-duration", "accept_within of %s must not be negative", who)
	}
}

func (v *validator) task(s *Step, sp, who string) {
	if s.Department == "" {
		v.errorf(join(sp, "department"), "missing-department", "%s needs a department", who)
	} else {
		v.department(join(sp, "department"), s.Department, who)
	}
	switch {
	case s.SLA == 0:
		v.errorf(join(sp, "sla"), "missing-sla", "%s needs an sla: how long it may stay open, e.g. 4h", who)
	case s.SLA < 0:
		v.errorf(join(sp, "sla"), "bad-duration", "the sla of %s must not be negative", who)
	}
	var prev Duration
	for j, e := range s.Escalation {
		ep := index(join(sp, "escalation"), j)
		lvl := fmt.Sprintf("escalation level %d of %s", j+1, who)
		switch {
		case e.After <= 0:
			v.errorf(join(ep, "after"), "bad-duration", "%s needs an after duration longer than zero", lvl)
		case j > 0 && e.After <= prev:
			v.errorf(join(ep, "after"), "escalation-order", "%s fires after %s, which is not later than level %d (%s); levels must come later and later", lvl, e.After, j, prev)
		}
		if e.After > prev {
			prev = e.After
		}
		if e.Department == "" && e.Notify == "" && e.Assign == "" {
			v.errorf(ep, "escalation-target", "%s must move the task to a department, assign it or notify someone (or several of these)", lvl)
		}
		if e.Assign != "" && !contains(EscalationAssigns, e.Assign) {
			v.errorf(join(ep, "assign"), "escalation-assign", "unknown assignment %q of %s: use %s (a team lead of the task's department) or %s (back to the department's pool)%s",
				e.Assign, lvl, EscalateTeamLead, EscalatePool, didYouMean(e.Assign, EscalationAssigns))
		}
		if e.Department != "" {
			v.department(join(ep, "department"), e.Department, lvl)
		}
	}
	if s.Assign != nil {
		v.assign(s.Assign, join(sp, "assign"), who)
	}
	if len(s.Outcomes) == 0 {
		v.errorf(join(sp, "outcomes"), "no-outcomes", "%s needs at least one outcome", who)
	}
	names := map[string]bool{}
	for j, o := range s.Outcomes {
		op := index(join(sp, "outcomes"), j)
		switch {
		case o.Name == "":
			v.errorf(join(op, "name"), "missing-name", "outcome #%d of %s has no name", j+1, who)
		case names[o.Name]:
			v.errorf(join(op, "name"), "duplicate-outcome", "outcome %q of %s is listed twice", o.Name, who)
		}
		names[o.Name] = true
		v.target(join(op, "next"), fmt.Sprintf("outcome %q", o.Name), o.Next, "next")
	}
	fields := map[string]bool{}
	for j, f := range s.Form {
		fp := index(join(sp, "form"), j)
		switch {
		case f.Name == "":
			v.errorf(join(fp, "name"), "missing-name", "form field #%d of %s has no name", j+1, who)
		case fields[f.Name]:
			v.errorf(join(fp, "name"), "duplicate-field", "form field %q of %s is listed twice", f.Name, who)
		}
		fields[f.Name] = true
		switch {
		case f.Type == "":
			v.errorf(join(fp, "type"), "bad-field-type", "form field %q needs a type: one of %s", f.Name, strings.Join(FieldTypes, ", "))
		case !contains(FieldTypes, f.Type):
			v.errorf(join(fp, "type"), "bad-field-type", "form field %q has unknown type %q: use one of %s%s", f.Name, f.Type, strings.Join(FieldTypes, ", "), didYouMean(f.Type, FieldTypes))
		case f.Type == "enum" && len(f.Options) == 0:
			v.errorf(join(fp, "options"), "missing-options", "enum field %q needs options to choose from", f.Name)
		case f.Type != "enum" && len(f.Options) > 0:
			v.add(SeverityError, join(fp, "options"), true, "field-not-allowed", "form field %q cannot have options: only enum fields do", f.Name)
		}
	}
}

// pilot checks a pilot step: it routes each way a pilot can end
// (completed, stopped, refused) exactly once. Its params are defaults for
// the pilot (share, unit, primary_metric, min_cases_per_arm, max_duration,
// evaluate_every, guardrails); the case's attributes and the last task's
// data (the Plan) override them when the step runs.
func (v *validator) pilot(s *Step, sp, who string) {
	seen := map[string]bool{}
	for j, o := range s.Outcomes {
		op := index(join(sp, "outcomes"), j)
		switch {
		case o.Name == "":
			v.errorf(join(op, "name"), "missing-name", "outcome #%d of %s has no name", j+1, who)
		case !contains(PilotOutcomes, o.Name):
			v.errorf(join(op, "name"), "bad-pilot-outcome", "%s cannot have outcome %q: a pilot ends %s%s",
				who, o.Name, strings.Join(PilotOutcomes, ", "), didYouMean(o.Name, PilotOutcomes))
		case seen[o.Name]:
			v.errorf(join(op, "name"), "duplicate-outcome", "outcome %q of %s is listed twice", o.Name, who)
		}
		seen[o.Name] = true
		v.target(join(op, "next"), fmt.Sprintf("outcome %q", o.Name), o.Next, "next")
	}
	var missing []string
	for _, name := range PilotOutcomes {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		v.errorf(join(sp, "outcomes"), "missing-pilot-outcome", "%s must say where the case goes when the pilot ends %s",
			who, strings.Join(missing, ", "))
	}
}

func (v *validator) auto(s *Step, sp, who string) {
	switch {
	case s.Activity == "":
		v.errorf(join(sp, "activity"), "missing-activity", "%s needs an activity: one of %s", who, strings.Join(v.activities, ", "))
	case !contains(v.activities, s.Activity):
		v.errorf(join(sp, "activity"), "unknown-activity", "unknown activity %q in %s: use one of %s%s", s.Activity, who, strings.Join(v.activities, ", "), didYouMean(s.Activity, v.activities))
	}
	if raw, ok := s.Params["url"]; ok && s.Activity == "webhook" {
		up := join(join(sp, "params"), "url")
		switch u, isStr := raw.(string); {
		case !isStr:
			v.errorf(up, "bad-webhook-url", "the url of %s must be text, an http or https URL", who)
		default:
			if err := CheckWebhookURL(u, v.allow); err != nil {
				v.errorf(up, "bad-webhook-url", "the url of %s is refused: %s", who, strings.TrimPrefix(err.Error(), ErrWebhookURL.Error()+": "))
			}
		}
	}
	v.target(join(sp, "next"), who, s.Next, "next")
}

func (v *validator) decision(s *Step, sp, who string) {
	if len(s.Rules) == 0 {
		v.errorf(join(sp, "rules"), "no-rules", "%s needs at least one rule", who)
	}
	for j, r := range s.Rules {
		rp := index(join(sp, "rules"), j)
		if strings.TrimSpace(r.When) == "" {
			v.errorf(join(rp, "when"), "bad-rule", "rule %d of %s has no when expression", j+1, who)
		} else if err := v.checkRule(r.When); err != nil {
			v.errorf(join(rp, "when"), "bad-rule", "rule %d of %s does not compile: %v", j+1, who, err)
		}
		v.target(join(rp, "next"), fmt.Sprintf("rule %d", j+1), r.Next, "next")
	}
	if s.Default == "" {
		v.errorf(join(sp, "default"), "missing-default", "%s needs a default step for when no rule matches", who)
	} else {
		v.target(join(sp, "default"), who, s.Default, "default")
	}
}

func (v *validator) wait(s *Step, sp, who string) {
	switch {
	case s.Event != "" && s.Duration != 0:
		v.errorf(join(sp, "duration"), "bad-wait", "%s waits for both an event and a duration; use one (an event wait can have a timeout)", who)
	case s.Event == "" && s.Duration == 0 && !v.d.pos.followsFromParse(join(sp, "duration")):
		v.errorf(sp, "bad-wait", "%s needs an event or a duration to wait for", who)
	}
	if s.Duration < 0 || s.Timeout < 0 {
		v.errorf(sp, "bad-duration", "the durations of %s must not be negative", who)
	}
	switch {
	case s.Timeout != 0 && s.Event == "":
		v.add(SeverityError, join(sp, "timeout"), true, "field-not-allowed", "%s cannot have a timeout: only event waits time out", who)
	case s.Timeout != 0 && s.OnTimeout == "":
		v.errorf(join(sp, "timeout"), "missing-on-timeout", "%s has a timeout but no on_timeout step to go to when it expires", who)
	case s.OnTimeout != "" && s.Timeout == 0 && !v.d.pos.followsFromParse(join(sp, "timeout")):
		v.errorf(join(sp, "on_timeout"), "bad-wait", "%s has on_timeout but no timeout", who)
	}
	if s.OnTimeout != "" {
		v.target(join(sp, "on_timeout"), who, s.OnTimeout, "on_timeout")
	}
	v.target(join(sp, "next"), who, s.Next, "next")
}

func (v *validator) unusedDepartments() {
	for i, dep := range v.d.Departments {
		if idRe.MatchString(dep) && !v.used[dep] {
			v.add(SeverityWarning, index("departments", i), false, "unused-department", "department %q is listed but no step uses it", dep)
		}
	}
}

// successors returns the indexes of the steps a step can lead to, through
// the fields that apply to its kind. A misspelt target that suggest
// matches to a step counts as that step (the unknown-target error names
// it). unresolved is true when the step may lead somewhere not known: a
// target missing, unknown without a likely match, or unreadable, or a
// kind that is missing or unknown. The graph errors that would follow
// from such a step are not reported (see graph).
func (v *validator) successors(i int) (out []int, unresolved bool) {
	s := &v.d.Steps[i]
	sp := stepPath(i)
	type ref struct{ path, id string }
	var targets []ref
	unknownKind := false
	outcomes := func() {
		if len(s.Outcomes) == 0 {
			unresolved = true
		}
		for j, o := range s.Outcomes {
			targets = append(targets, ref{join(index(join(sp, "outcomes"), j), "next"), o.Next})
		}
	}
	switch s.Kind {
	case KindTask, KindPilot:
		outcomes()
	case KindAuto:
		targets = append(targets, ref{join(sp, "next"), s.Next})
	case KindDecision:
		for j, r := range s.Rules {
			targets = append(targets, ref{join(index(join(sp, "rules"), j), "next"), r.Next})
		}
		targets = append(targets, ref{join(sp, "default"), s.Default})
	case KindWait:
		targets = append(targets, ref{join(sp, "next"), s.Next})
		if s.OnTimeout != "" {
			targets = append(targets, ref{join(sp, "on_timeout"), s.OnTimeout})
		}
	case KindEnd:
	default:
		unknownKind = true
		unresolved = true
		outcomes()
		targets = append(targets, ref{join(sp, "next"), s.Next}, ref{join(sp, "default"), s.Default}, ref{join(sp, "on_timeout"), s.OnTimeout})
	}
	for _, t := range targets {
		if j, ok := v.ids[t.id]; ok && t.id != "" {
			out = append(out, j)
			continue
		}
		if t.id == "" && unknownKind {
			continue // fields an unknown kind leaves out
		}
		if m := suggest(t.id, v.stepIDList()); t.id != "" && m != "" {
			out = append(out, v.ids[m])
			continue
		}
		unresolved = true
	}
	return out, unresolved
}

// graph checks reachability and termination: every step is reachable from
// the start, some end step is reachable, and no reachable step is caught
// in a loop that never leads to an end. It reports only what does not
// follow from an error reported already: while a reachable step leads
// somewhere unknown (an unknown target, a missing one, an unreadable
// kind), any step might be meant there, so no step is called unreachable,
// a missing end is not reported, and that step counts as leading to an
// end.
func (v *validator) graph() {
	d := v.d
	start, ok := v.ids[d.StartStep()]
	if !ok {
		return // reported as no-steps, missing-id or unknown-target
	}
	n := len(d.Steps)
	succ := make([][]int, n)
	pred := make([][]int, n)
	open := make([]bool, n)
	for i := range d.Steps {
		if first, ok := v.ids[d.Steps[i].ID]; !ok || first != i {
			continue // duplicates and id-less steps are reported already
		}
		succ[i], open[i] = v.successors(i)
		for _, j := range succ[i] {
			pred[j] = append(pred[j], i)
		}
	}
	reach := walk([]int{start}, succ)
	var leaks []int // reachable steps that lead somewhere unknown
	for i := range d.Steps {
		if reach[i] && open[i] {
			leaks = append(leaks, i)
		}
	}
	if len(leaks) == 0 {
		for i, s := range d.Steps {
			if first, ok := v.ids[s.ID]; ok && first == i && !reach[i] {
				v.errorf(join(stepPath(i), "id"), "unreachable-step", "step %q can never be reached from the start step %q", s.ID, d.Steps[start].ID)
			}
		}
	}
	var ends []int
	hasEnd := false
	for i, s := range d.Steps {
		if s.Kind == KindEnd {
			hasEnd = true
			if reach[i] {
				ends = append(ends, i)
			}
		}
	}
	if len(ends) == 0 && len(leaks) == 0 {
		if hasEnd {
			v.errorf(join(stepPath(start), "id"), "no-end", "no end step can be reached from the start step %q: cases would never close", d.Steps[start].ID)
		} else {
			v.errorf("steps", "no-end", "the flow has no end step: cases would never close")
		}
		return
	}
	finishes := walk(append(ends, leaks...), pred)
	stuck := make([]bool, n)
	for i := range stuck {
		stuck[i] = reach[i] && !finishes[i]
	}
	for _, loop := range loops(succ, stuck) {
		names := make([]string, len(loop))
		for k, i := range loop {
			names[k] = strconv.Quote(d.Steps[i].ID)
		}
		if len(loop) == 1 {
			v.errorf(join(stepPath(loop[0]), "id"), "no-exit-loop", "step %s leads only back to itself and never to an end step", names[0])
			continue
		}
		v.errorf(join(stepPath(loop[0]), "id"), "no-exit-loop", "steps %s form a loop with no way out to an end step", strings.Join(names, ", "))
	}
}

// walk returns the nodes reachable from roots along edges.
func walk(roots []int, edges [][]int) []bool {
	seen := make([]bool, len(edges))
	stack := append([]int(nil), roots...)
	for _, r := range roots {
		seen[r] = true
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, j := range edges[i] {
			if !seen[j] {
				seen[j] = true
				stack = append(stack, j)
			}
		}
	}
	return seen
}

// loops returns the cycles (strongly connected components with a cycle)
// among the nodes marked in, each sorted by index, ordered by their first
// node. It uses Tarjan's algorithm without recursion.
func loops(succ [][]int, in []bool) [][]int {
	n := len(succ)
	idx := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range idx {
		idx[i] = -1
	}
	var stack []int
	var out [][]int
	next := 0
	type frame struct{ node, edge int }
	for root := 0; root < n; root++ {
		if !in[root] || idx[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		idx[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.edge < len(succ[f.node]) {
				w := succ[f.node][f.edge]
				f.edge++
				if !in[w] {
					continue
				}
				if idx[w] < 0 {
					idx[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.node] = min(low[f.node], idx[w])
				}
				continue
			}
			node := f.node
			call = call[:len(call)-1]
			if len(call) > 0 {
				parent := call[len(call)-1].node
				low[parent] = min(low[parent], low[node])
			}
			if low[node] != idx[node] {
				continue
			}
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == node {
					break
				}
			}
			if len(comp) > 1 || selfLoop(succ, node) {
				sortInts(comp)
				out = append(out, comp)
			}
		}
	}
	sortLoops(out)
	return out
}

func selfLoop(succ [][]int, i int) bool {
	for _, j := range succ[i] {
		if j == i {
			return true
		}
	}
	return false
}

func sortInts(s []int) { slices.Sort(s) }

func sortLoops(ls [][]int) {
	slices.SortFunc(ls, func(a, b []int) int { return a[0] - b[0] })
}

// followUp checks the follow-up block (decision 0041): a share above 0 and
// at most 100 %, an after above zero and at most MaxFollowUpAfter, a
// department of the flow, an sla not negative and the call's assignment.
func (v *validator) followUp() {
	f := v.d.FollowUp
	if f == nil {
		return
	}
	const who = "the follow-up"
	written := func(path string) bool { return v.d.pos != nil && v.d.pos.val[path] != (position{}) }
	switch {
	case !(f.Share > 0) && !written("follow_up.share"):
		v.errorf("follow_up.share", "missing-follow-up-share", "%s needs a share: the part of completed cases called back, e.g. 15%%", who)
	case !(f.Share > 0):
		v.errorf("follow_up.share", "bad-follow-up-share", "the share of %s must be more than 0%% (and at most 100%%)", who)
	case f.Share > 1:
		v.errorf("follow_up.share", "bad-follow-up-share", "the share of %s is %s, more than 100%%; write 15%% or 0.15 for fifteen percent",
			who, f.Share)
	}
	switch {
	case f.After == 0:
		v.errorf("follow_up.after", "missing-follow-up-after", "%s needs an after: how long after the case closed the call task opens, e.g. 2d", who)
	case f.After < 0:
		v.errorf("follow_up.after", "bad-duration", "the after of %s must not be negative", who)
	case f.After.D() > MaxFollowUpAfter:
		v.errorf("follow_up.after", "bad-follow-up-after", "the after of %s is %s; at most %s", who, f.After, Duration(MaxFollowUpAfter))
	}
	if f.Department == "" {
		v.errorf("follow_up.department", "missing-department", "%s needs a department: whose inbox gets the call task", who)
	} else {
		v.department("follow_up.department", f.Department, who)
	}
	if f.SLA < 0 {
		v.errorf("follow_up.sla", "bad-duration", "the sla of %s must not be negative", who)
	}
	if f.Assign != nil {
		v.assign(f.Assign, "follow_up.assign", who)
	}
}
