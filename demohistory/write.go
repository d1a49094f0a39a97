package demohistory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/sim"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Progress is how far a fill has come.
type Progress struct {
	// Cases is the cases the history holds, Done those handled so far
	// (written, or found from an earlier run).
	Cases, Done int
}

// FlowCount is the cases of one flow version in a history.
type FlowCount struct {
	Flow    string `json:"flow"`
	Version int    `json:"version"`
	Cases   int    `json:"cases"`
}

// Summary is what a fill wrote.
type Summary struct {
	From, To time.Time
	// Cases is the history's cases; Created those this fill wrote,
	// Existing those an earlier fill with the same seed wrote, Foreign
	// those whose id or key another case holds (left alone).
	Cases, Created, Existing, Foreign int
	Tasks, Feedback                   int
	PerFlow                           []FlowCount
	// PilotID is the finished pilot ("" when none: complaint has a
	// running pilot, or the history is shorter than 28 days).
	PilotID   string
	Proposals int
}

// namespace of the history's deterministic ids.
var namespace = uuid.MustParse("8a0b3f5e-2c1d-4e7a-9b6f-0d1e2f3a4b5c")

func idOf(key string) string { return uuid.NewSHA1(namespace, []byte(key)).String() }

// feedbackShare is the share of closed customer cases whose customer
// leaves feedback.
const feedbackShare = 0.35

// pickupMean is the mean time a person takes to open a task the
// simulation gave them.
const pickupMean = 2 * time.Minute

// reopenWindow is the API's and worker's default (a case reopened within
// it counts as not resolved at first contact in pilot results).
const reopenWindow = 7 * 24 * time.Hour

type writer struct {
	st    store.Store
	o     Options
	r     *rand.Rand
	staff []sim.Staffing
	sum   Summary
}

// Fill simulates the history o asks for and writes it to st, calling
// progress after every 100 cases. It stops at ctx's end; a fill stopped
// midway is completed by a rerun with the same options.
func Fill(ctx context.Context, st store.Store, o Options, progress func(Progress)) (Summary, error) {
	if err := o.check(); err != nil {
		return Summary{}, err
	}
	o.Now = o.Now.UTC()
	segs, start := segments(o)
	cases, err := simulate(o, segs)
	if err != nil {
		return Summary{}, err
	}
	for _, c := range cases {
		if _, err := st.GetFlowVersion(ctx, c.ref.key, c.ref.version); err != nil {
			return Summary{}, fmt.Errorf("demohistory: flow %s v%d: %w", c.ref.key, c.ref.version, err)
		}
	}
	w := &writer{st: st, o: o, r: rng(o.Seed), staff: staffing()}
	w.sum.From, w.sum.To = start, o.Now
	pilot, err := w.pilot(ctx, segs, cases)
	if err != nil {
		return Summary{}, err
	}
	pdca, proposals := w.improvements(start)
	cases = append(cases, pdca...)
	slices.SortStableFunc(cases, func(a, b simCase) int { return a.arrived.Compare(b.arrived) })
	w.sum.Cases = len(cases)
	numbers := map[string]int{}
	for i, c := range cases {
		numbers[c.ref.key]++
		if err := ctx.Err(); err != nil {
			return w.sum, err
		}
		if err := w.writeCase(ctx, c, numbers[c.ref.key], pilot); err != nil {
			return w.sum, err
		}
		if progress != nil && ((i+1)%100 == 0 || i+1 == len(cases)) {
			progress(Progress{Cases: len(cases), Done: i + 1})
		}
	}
	if err := w.proposals(ctx, proposals); err != nil {
		return w.sum, err
	}
	if pilot != nil {
		if err := w.endPilot(ctx, pilot); err != nil {
			return w.sum, err
		}
	}
	return w.sum, nil
}

// pilotPlan is the history's pilot.
type pilotPlan struct {
	id         string
	start, end time.Time
}

// pilot creates the pilot of complaint v1 against v2 when the history has
// one, and ends it at once (as completed, at the close of its last case):
// a running pilot would take the dev's new cases.
func (w *writer) pilot(ctx context.Context, segs []segment, cases []simCase) (*pilotPlan, error) {
	i := slices.IndexFunc(segs, func(s segment) bool { return s.pilot })
	if i < 0 {
		return nil, nil
	}
	p := &pilotPlan{id: idOf(fmt.Sprintf("demo-history:%d:pilot", w.o.Seed)), start: segs[i].from, end: segs[i].to}
	for _, c := range cases {
		if c.variant != "" && c.closed.After(p.end) {
			p.end = c.closed
		}
	}
	p.end = p.end.Add(time.Hour).Truncate(time.Hour)
	if p.end.After(w.o.Now) {
		p.end = w.o.Now
	}
	guard := json.RawMessage(`[{"metric":"sla_breach_rate","max_worsening":0.1}]`)
	pl, created, err := w.st.CreatePilot(ctx, store.CreatePilotParams{
		ID: p.id, Flow: "complaint", Control: 1, Treatment: 2, Share: 50, Unit: "customer", PrimaryMetric: "cycle_time",
		Guardrails: guard, MinCasesPerArm: 100, MaxDuration: 8 * 7 * 24 * time.Hour, EvaluateEvery: 24 * time.Hour,
		WorkflowID: "pilot-" + p.id, CreatedBy: Actor, At: p.start,
	})
	if err != nil {
		return nil, fmt.Errorf("demohistory: create the pilot: %w", err)
	}
	if pl.CreatedBy != Actor || pl.Flow != "complaint" {
		return nil, fmt.Errorf("demohistory: pilot %s exists and is not the history's: %w", p.id, store.ErrConflict)
	}
	w.sum.PilotID = p.id
	if !created {
		return p, nil
	}
	details, _ := json.Marshal(map[string]any{"flow": "complaint", "control": 1, "treatment": 2, "share": 50, "simulated": true})
	if err := w.audit(ctx, store.AuditEntry{At: p.start, Actor: Actor, Action: "pilot.start", Object: "pilot:" + p.id,
		Details: details, Key: "pilot.start:" + p.id}); err != nil {
		return nil, err
	}
	status := store.PilotCompleted
	if _, err := w.st.UpdatePilot(ctx, store.UpdatePilotParams{ID: p.id, FromStatus: store.PilotRunning, Status: &status, EndedAt: &p.end, At: p.end}); err != nil {
		return nil, fmt.Errorf("demohistory: end the pilot: %w", err)
	}
	return p, nil
}

// endPilot stores the pilot's final evaluation of its cases, as the Pilot
// workflow's last look does, and audits its end.
func (w *writer) endPilot(ctx context.Context, p *pilotPlan) error {
	pl, err := w.st.GetPilot(ctx, p.id)
	if err != nil {
		return fmt.Errorf("demohistory: read the pilot: %w", err)
	}
	if len(pl.Results) > 0 {
		return nil // an earlier fill evaluated it
	}
	ev, looks, err := pilotdata.Evaluate(ctx, w.st, pl, reopenWindow, true)
	if err != nil {
		return fmt.Errorf("demohistory: evaluate the pilot: %w", err)
	}
	results, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("demohistory: encode the pilot's results: %w", err)
	}
	lb, err := json.Marshal(looks)
	if err != nil {
		return fmt.Errorf("demohistory: encode the pilot's looks: %w", err)
	}
	winner, rec := ev.Winner, ev.Recommendation
	if _, err := w.st.UpdatePilot(ctx, store.UpdatePilotParams{ID: p.id, Results: results, Looks: lb, Winner: &winner, Recommendation: &rec, At: p.end}); err != nil {
		return fmt.Errorf("demohistory: store the pilot's results: %w", err)
	}
	details, _ := json.Marshal(map[string]any{"status": store.PilotCompleted, "reason": "", "winner": winner, "recommendation": rec})
	return w.audit(ctx, store.AuditEntry{At: p.end, Actor: "system", Action: "pilot." + store.PilotCompleted, Object: "pilot:" + p.id,
		Details: details, Key: "pilot.end:" + p.id})
}

func (w *writer) audit(ctx context.Context, e store.AuditEntry) error {
	if err := w.st.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("demohistory: audit %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// person is the simulated person of dept who worked a task started at t:
// one of those staffed then.
func (w *writer) person(dept string, t time.Time) string {
	n := 1
	if i := slices.IndexFunc(w.staff, func(s sim.Staffing) bool { return s.Department == dept }); i >= 0 {
		t = t.UTC()
		n = max(1, w.staff[i].PerHour[sim.HourOfWeek(t)])
	}
	return fmt.Sprintf("sim-%s-%d", dept, 1+w.r.IntN(n))
}

// ours reports whether c is a case this history wrote: its id and key,
// the simulated mark and customer.
func ours(c store.Case, id, key string) bool {
	var a struct {
		Simulated bool `json:"simulated"`
	}
	_ = json.Unmarshal(c.Attributes, &a)
	return c.ID == id && c.IdempotencyKey == key && c.CreatedBy == Actor && a.Simulated && strings.HasPrefix(c.Customer, "sim-")
}

// channel draws a channel, the first of the list the most used.
func (w *writer) channel() string {
	weights := make([]float64, len(w.o.Channels))
	sum := 0.0
	for i := range weights {
		weights[i] = 1 / float64(i+2)
		sum += weights[i]
	}
	u := w.r.Float64() * sum
	for i, x := range weights {
		if u < x {
			return w.o.Channels[i]
		}
		u -= x
	}
	return w.o.Channels[len(w.o.Channels)-1]
}

// attributes are a new case's attributes, consistent with the path the
// simulation took (an advanced complaint went to the crisis team, a
// return up to 200 was approved by customer service).
func (w *writer) attributes(c simCase) map[string]any {
	a := map[string]any{"simulated": true}
	went := func(step string) bool {
		return slices.ContainsFunc(c.visits, func(v sim.StepVisit) bool { return v.Step == nodeID(c.ref, step) })
	}
	switch c.ref.key {
	case "complaint":
		sev := "primary"
		switch {
		case went("crisis_investigate") || went("crisis_handle"):
			sev = "advanced"
		case w.r.Float64() < 0.25:
			sev = "intermediate"
		}
		a["severity"] = sev
		a["category"] = []string{"billing", "quality", "delivery", "service"}[w.r.IntN(4)]
	case "returns-exchange":
		amount := 20 + w.r.IntN(181)
		if went("supervisor_approve") {
			amount = 201 + w.r.IntN(800)
		}
		a["amount"] = amount
		a["type"] = []string{"return", "exchange"}[w.r.IntN(2)]
	case "appointment":
		a["service"] = []string{"installation", "repair", "consultation"}[w.r.IntN(3)]
	}
	return a
}

// formData is what a simulated person entered in a task's form.
func formData(st *flow.Step, attrs map[string]any) map[string]any {
	if len(st.Form) == 0 {
		return nil
	}
	d := map[string]any{}
	for _, f := range st.Form {
		if v, ok := attrs[f.Name]; ok {
			d[f.Name] = v
			continue
		}
		switch f.Type {
		case "number":
			d[f.Name] = 1
		case "bool":
			d[f.Name] = true
		case "enum":
			if len(f.Options) > 0 {
				d[f.Name] = f.Options[0]
			}
		default:
			d[f.Name] = "simulated: " + strings.ToLower(f.Label)
		}
	}
	return d
}

// outcomeTo is the outcome of st that leads to next (for a decision, the
// rule's next: the span's outcome is the step chosen).
func outcomeTo(st *flow.Step, next string) string {
	switch st.Kind {
	case flow.KindTask:
		for _, o := range st.Outcomes {
			if o.Next == next {
				return o.Name
			}
		}
	case flow.KindDecision:
		return next
	case flow.KindAuto:
		return "done"
	case flow.KindWait:
		if st.Event != "" {
			return "timeout"
		}
		return "elapsed"
	case flow.KindEnd:
		return "end"
	}
	return ""
}

// writeCase writes one simulated case as the API and the Case workflow's
// activities would have: the case row, each step's task (opened, escalated
// while it waited past a level, claimed, completed with its span and audit
// entry) or span, the customer's feedback, and the close. The row is
// written completed (no workflow runs it: an active case without one would
// be marked failed by the reconciler) and its closed_at set last, so a
// case found from an earlier fill without closed_at is finished; one that
// is not the history's is left alone.
func (w *writer) writeCase(ctx context.Context, c simCase, n int, pilot *pilotPlan) error {
	key := fmt.Sprintf("demo-history:%d:%s:%d", w.o.Seed, c.ref.key, n)
	id := idOf(key)
	attrs := w.attributes(c)
	customer := fmt.Sprintf("sim-%s-%05d", c.ref.key, n)
	channel := w.channel()
	if c.ref.key == "pdca" {
		customer, channel = "sim-improvement-team", "app"
		for k, v := range c.attrs {
			attrs[k] = v
		}
	}
	ab, err := json.Marshal(attrs)
	if err != nil {
		return fmt.Errorf("demohistory: encode attributes: %w", err)
	}
	p := store.CreateCaseParams{ID: id, Flow: c.ref.key, Version: c.ref.version, Variant: c.variant, Customer: customer, Channel: channel,
		Attributes: ab, Status: store.CaseCompleted, WorkflowID: c.ref.key + "-" + id, IdempotencyKey: key, CreatedBy: Actor, At: c.arrived}
	if c.variant != "" && pilot != nil {
		p.PilotID = pilot.id
	}
	if c.variant != "" && pilot == nil {
		p.Variant = ""
	}
	cs, created, err := w.st.CreateCase(ctx, p)
	if errors.Is(err, store.ErrConflict) {
		w.sum.Foreign++
		return nil
	}
	if err != nil {
		return fmt.Errorf("demohistory: create case %s: %w", key, err)
	}
	w.count(c.ref)
	if !created {
		if !ours(cs, id, key) {
			w.sum.Foreign++
			return nil
		}
		if cs.ClosedAt != nil {
			w.sum.Existing++
			return nil
		}
	} else {
		w.sum.Created++
		details := map[string]any{"flow": c.ref.key, "version": c.ref.version, "simulated": true}
		if p.PilotID != "" {
			details["pilot_id"], details["arm"] = p.PilotID, p.Variant
		}
		db, _ := json.Marshal(details)
		if err := w.audit(ctx, store.AuditEntry{At: c.arrived, Actor: Actor, Action: "case.create", Object: "case:" + id, CaseID: id,
			Details: db, Key: "case.create:" + id}); err != nil {
			return err
		}
	}
	def := c.ref.def
	caseCal := def.CalendarFor(&flow.Step{})
	var paused time.Duration
	rework := false
	var last time.Time
	for i, v := range c.visits {
		seq := i + 1
		stepID := strings.TrimPrefix(v.Step, nodeID(c.ref, ""))
		st, ok := def.Step(stepID)
		if !ok {
			return fmt.Errorf("demohistory: flow %s v%d has no step %s", c.ref.key, c.ref.version, stepID)
		}
		next := ""
		if i+1 < len(c.visits) {
			next = strings.TrimPrefix(c.visits[i+1].Step, nodeID(c.ref, ""))
		}
		outcome := outcomeTo(st, next)
		if st.Kind == flow.KindTask && slices.ContainsFunc(c.visits[:i], func(p sim.StepVisit) bool { return p.Step == v.Step }) {
			rework = true
		}
		span := store.Span{CaseID: id, Seq: seq, Flow: c.ref.key, Version: c.ref.version, Variant: p.Variant, Step: st.ID,
			Kind: string(st.Kind), EnteredAt: v.Entered, CompletedAt: v.Completed, Outcome: outcome}
		last = v.Completed
		switch st.Kind {
		case flow.KindTask:
			if err := w.task(ctx, c, st, span, v, attrs); err != nil {
				return err
			}
			continue
		case flow.KindWait:
			if st.PauseSLA {
				paused += caseCal.Between(v.Entered, v.Completed)
			}
		case flow.KindEnd:
			span.Outcome = "end"
			if def.SLA > 0 {
				due := caseCal.Add(c.arrived, def.SLA.D()+paused).UTC()
				span.SLADue, span.Breached = &due, v.Completed.After(due)
			}
		}
		if err := w.st.RecordSpan(ctx, span); err != nil {
			return fmt.Errorf("demohistory: record span %s/%d: %w", id, seq, err)
		}
	}
	if c.ref.key != "pdca" && w.r.Float64() < feedbackShare {
		at := last.Add(time.Duration(1+w.r.IntN(48)) * time.Hour)
		if at.Before(w.o.Now) {
			if err := w.feedback(ctx, id, c, rework, at); err != nil {
				return err
			}
		}
	}
	status, step := store.CaseCompleted, ""
	up := store.UpdateCaseParams{ID: id, Status: &status, Step: &step, Attributes: ab, ClosedAt: &last, At: last}
	if def.SLA > 0 {
		due := caseCal.Add(c.arrived, def.SLA.D()+paused).UTC()
		up.SLADue = &due
	}
	if err := w.st.UpdateCase(ctx, up); err != nil {
		return fmt.Errorf("demohistory: close case %s: %w", id, err)
	}
	return nil
}

func (w *writer) count(r flowRef) {
	for i := range w.sum.PerFlow {
		if w.sum.PerFlow[i].Flow == r.key && w.sum.PerFlow[i].Version == r.version {
			w.sum.PerFlow[i].Cases++
			return
		}
	}
	w.sum.PerFlow = append(w.sum.PerFlow, FlowCount{Flow: r.key, Version: r.version, Cases: 1})
}

// task writes a task visit: opened when the case entered the step,
// escalated at each level whose time came while it was open (moved to
// another department where the simulation moved it), claimed when work
// began, completed with its span.
func (w *writer) task(ctx context.Context, c simCase, st *flow.Step, span store.Span, v sim.StepVisit, attrs map[string]any) error {
	cal := c.ref.def.CalendarFor(st)
	taskID := workflows.TaskID(span.CaseID, span.Seq)
	var due *time.Time
	if st.SLA > 0 {
		d := cal.Add(v.Entered, st.SLA.D()).UTC()
		due = &d
	}
	outcomes := make([]string, 0, len(st.Outcomes))
	for _, o := range st.Outcomes {
		outcomes = append(outcomes, o.Name)
	}
	var form json.RawMessage
	if len(st.Form) > 0 {
		form, _ = json.Marshal(st.Form)
	}
	t, err := w.st.OpenTask(ctx, store.OpenTaskParams{ID: taskID, CaseID: span.CaseID, Seq: span.Seq, Flow: span.Flow, Version: span.Version,
		Variant: span.Variant, Step: st.ID, StepName: st.Name, Department: st.Department, Roles: st.Roles, Outcomes: outcomes, Form: form,
		OpenedAt: v.Entered, SLADue: due})
	if err != nil {
		return fmt.Errorf("demohistory: open task %s: %w", taskID, err)
	}
	if t.Status == store.TaskCompleted {
		w.sum.Tasks++
		return nil // an earlier fill completed it
	}
	// The levels whose time came while it was open: the simulation moved
	// a task still waiting at a level that names a department (v.Escalated
	// is the last level it reached waiting); a level that only notifies
	// comes while it is open, worked or not.
	level, dept := 0, st.Department
	for i, l := range st.Escalation {
		at := cal.Add(v.Entered, l.After.D()).UTC()
		moves := l.Department != "" && l.Department != dept
		if !at.Before(v.Completed) || (moves && i+1 > v.Escalated) {
			break
		}
		if moves {
			dept = l.Department
		}
		if i+1 > t.EscalationLevel {
			p := store.EscalateTaskParams{ID: taskID, Level: i + 1, At: at}
			if moves {
				p.Department = l.Department
			}
			if _, err := w.st.EscalateTask(ctx, p); err != nil {
				return fmt.Errorf("demohistory: escalate task %s: %w", taskID, err)
			}
			details, _ := json.Marshal(map[string]any{"level": i + 1, "step": st.ID, "department": dept, "notify": l.Notify})
			if err := w.audit(ctx, store.AuditEntry{At: at, Actor: "system", Action: "task.escalate", Object: "task:" + taskID, CaseID: span.CaseID,
				Details: details, Key: fmt.Sprintf("task.escalate:%s:%d", taskID, i+1)}); err != nil {
				return err
			}
		}
		level = i + 1
	}
	// The person opens the task a moment after the simulation gave it to
	// them (mean 2 min, at most 30 % of its work): the first response is
	// not instant.
	claimed := v.Started.Add(min(time.Duration(w.r.ExpFloat64()*float64(pickupMean)), v.Work()*3/10)).Truncate(time.Millisecond)
	who := t.Assignee
	if who == "" {
		who = w.person(dept, v.Started)
		if _, err := w.st.ClaimTask(ctx, store.ClaimTaskParams{ID: taskID, Actor: who, At: claimed}); err != nil {
			return fmt.Errorf("demohistory: claim task %s: %w", taskID, err)
		}
		if err := w.audit(ctx, store.AuditEntry{At: claimed, Actor: who, Action: "task.claim", Object: "task:" + taskID, CaseID: span.CaseID,
			Key: "task.claim:" + taskID}); err != nil {
			return err
		}
	}
	var data json.RawMessage
	if d := formData(st, attrs); d != nil {
		data, _ = json.Marshal(d)
	}
	if t.ClaimedAt != nil {
		claimed = *t.ClaimedAt
	}
	span.Kind, span.Department, span.ClaimedAt, span.SLADue, span.EscalationLevel, span.Actor = string(flow.KindTask), dept, &claimed, due, level, who
	span.Breached = due != nil && v.Completed.After(*due)
	completion := "demo-history:" + taskID
	details, _ := json.Marshal(map[string]string{"outcome": span.Outcome, "update_id": completion})
	_, err = w.st.CompleteTask(ctx, store.CompleteTaskParams{ID: taskID, Outcome: span.Outcome, Data: data, Actor: who, CompletionID: completion,
		At: v.Completed, Span: span, Audit: &store.AuditEntry{At: v.Completed, Actor: who, Action: "task.complete", Object: "task:" + taskID,
			CaseID: span.CaseID, Details: details, Key: "task.complete:" + completion}})
	if err != nil {
		return fmt.Errorf("demohistory: complete task %s: %w", taskID, err)
	}
	w.sum.Tasks++
	return nil
}

// feedback is the customer's answer: satisfied when the case was quick and
// needed no rework, less so the longer it took.
func (w *writer) feedback(ctx context.Context, id string, c simCase, rework bool, at time.Time) error {
	hours := c.closed.Sub(c.arrived).Hours()
	score := 4.7 - 0.04*hours + 0.6*w.r.NormFloat64()
	if rework {
		score -= 0.8
	}
	csat := int(math.Round(min(5, max(1, score))))
	nps := int(math.Round(min(10, max(0, 2*score+0.3+w.r.NormFloat64()))))
	fcr := !rework && w.r.Float64() < 0.9
	fb, created, err := w.st.PutFeedback(ctx, store.PutFeedbackParams{CaseID: id, CSAT: &csat, NPS: &nps, ResolvedFirstContact: &fcr, Actor: Actor, At: at})
	if err != nil {
		return fmt.Errorf("demohistory: feedback on %s: %w", id, err)
	}
	w.sum.Feedback++
	if !created {
		return nil
	}
	details, _ := json.Marshal(map[string]any{"csat": fb.CSAT, "nps": fb.NPS, "resolved_first_contact": fb.ResolvedFirstContact})
	return w.audit(ctx, store.AuditEntry{At: at, Actor: Actor, Action: "feedback.create", Object: "case:" + id, CaseID: id, Details: details,
		Key: "feedback.create:" + id})
}

// proposal is a simulated staff proposal.
type proposal struct {
	title, body string
	author      string
	at          time.Time
	votes       int
	// adopted by the PDCA case of this number ("" none); declined.
	pdca     int
	declined bool
}

var proposalTexts = []struct{ title, body string }{
	{"One agent owns a complaint end to end", "Hand-offs to the technical department add hours of waiting; let customer service handle most complaints and ask technical only when needed."},
	{"Staff the technical desk at 8:00", "Complaints recorded early wait until 9:00 for the first engineer."},
	{"Raise the customer service approval limit for returns to 300", "Most supervisor approvals between 200 and 300 are approved anyway."},
	{"Send the appointment reminder by text message", "Fewer no-shows when customers get a text the day before."},
	{"A checklist for the technical feedback", "Reviews send one answer in seven back to investigation; a checklist would catch the gaps first."},
	{"Weekend chat cover", "Saturday chats wait until Monday."},
}

// improvements plans the history's proposals and the PDCA cycles that
// adopted some of them (planned, then abandoned: a cycle that piloted and
// standardised would change the flow's default version).
func (w *writer) improvements(start time.Time) ([]simCase, []proposal) {
	span := w.o.Now.Sub(start)
	var cases []simCase
	var ps []proposal
	def, err := flows.Definition("pdca", 1)
	if err != nil {
		return nil, nil
	}
	ref := flowRef{key: "pdca", version: 1, def: def}
	for i, t := range proposalTexts {
		at := start.Add(time.Duration(float64(span) * (0.05 + 0.8*float64(i)/float64(len(proposalTexts))))).Truncate(time.Minute)
		at = at.Add(time.Duration(9+w.r.IntN(8)) * time.Hour)
		p := proposal{title: t.title, body: t.body, author: w.person("customer_service", at), at: at, votes: 2 + w.r.IntN(9)}
		switch i % 3 {
		case 0:
			// Adopted two days later: a cycle planned for two days.
			adopted := at.Add(48 * time.Hour)
			plan := adopted.Add(2 * time.Second)
			done := plan.Add(time.Duration(20+w.r.IntN(30)) * time.Hour)
			if done.After(w.o.Now) {
				break
			}
			p.pdca = len(cases) + 1
			cases = append(cases, simCase{ref: ref, arrived: adopted, closed: done,
				attrs: map[string]any{"flow": "complaint", "metric": "cycle_time", "proposal_id": idOf(fmt.Sprintf("demo-history:%d:proposal:%d", w.o.Seed, i+1)), "problem": t.title},
				visits: []sim.StepVisit{
					{Step: nodeID(ref, "baseline"), Entered: adopted, Started: adopted, Completed: plan},
					{Step: nodeID(ref, "plan"), Entered: plan, Started: plan.Add(time.Duration(1+w.r.IntN(4)) * time.Hour), Completed: done},
					{Step: nodeID(ref, "closed"), Entered: done, Started: done, Completed: done},
				}})
		case 1:
			p.declined = true
		}
		if at.Before(w.o.Now) {
			ps = append(ps, p)
		}
	}
	return cases, ps
}

// proposals writes the proposals, their votes, and adopts or declines
// them.
func (w *writer) proposals(ctx context.Context, ps []proposal) error {
	for i, p := range ps {
		id := idOf(fmt.Sprintf("demo-history:%d:proposal:%d", w.o.Seed, i+1))
		if _, err := w.st.GetProposal(ctx, id); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("demohistory: read proposal: %w", err)
		}
		if _, err := w.st.CreateProposal(ctx, store.CreateProposalParams{ID: id, Title: p.title, Body: p.body + " (simulated)", Author: p.author, At: p.at}); err != nil {
			return fmt.Errorf("demohistory: create proposal: %w", err)
		}
		w.sum.Proposals++
		if err := w.audit(ctx, store.AuditEntry{At: p.at, Actor: p.author, Action: "proposal.create", Object: "proposal:" + id, Key: "proposal.create:" + id}); err != nil {
			return err
		}
		for v := range p.votes {
			at := p.at.Add(time.Duration(v+1) * 3 * time.Hour)
			if _, _, err := w.st.VoteProposal(ctx, id, fmt.Sprintf("sim-staff-%d", v+1), at); err != nil {
				return fmt.Errorf("demohistory: vote: %w", err)
			}
		}
		switch {
		case p.pdca > 0:
			caseID := idOf(fmt.Sprintf("demo-history:%d:pdca:%d", w.o.Seed, p.pdca))
			at := p.at.Add(48 * time.Hour)
			if _, err := w.st.AdoptProposal(ctx, id, caseID, at); err != nil {
				return fmt.Errorf("demohistory: adopt proposal: %w", err)
			}
			details, _ := json.Marshal(map[string]any{"case_id": caseID, "flow": "complaint", "metric": "cycle_time"})
			if err := w.audit(ctx, store.AuditEntry{At: at, Actor: Actor, Action: "proposal.adopt", Object: "proposal:" + id, CaseID: caseID,
				Details: details, Key: "proposal.adopt:" + id}); err != nil {
				return err
			}
		case p.declined:
			at := p.at.Add(72 * time.Hour)
			if at.After(w.o.Now) {
				continue
			}
			if _, err := w.st.DeclineProposal(ctx, id, at); err != nil {
				return fmt.Errorf("demohistory: decline proposal: %w", err)
			}
			if err := w.audit(ctx, store.AuditEntry{At: at, Actor: Actor, Action: "proposal.decline", Object: "proposal:" + id, Key: "proposal.decline:" + id}); err != nil {
				return err
			}
		}
	}
	return nil
}
