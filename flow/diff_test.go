package flow_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
)

func mustLoad(t *testing.T, src string) *flow.Definition {
	t.Helper()
	d, diags := flow.Load([]byte(src), flow.ValidateOptions{})
	require.False(t, diags.HasErrors(), diags.Error())
	return d
}

func builtin(t *testing.T, key string, version int) *flow.Definition {
	t.Helper()
	d, err := flows.Definition(key, version)
	require.NoError(t, err)
	return d
}

func TestDiffComplaintV1ToV2(t *testing.T) {
	t.Parallel()
	d := flow.Diff(builtin(t, "complaint", 1), builtin(t, "complaint", 2))
	require.Equal(t, "complaint", d.Key)
	require.Equal(t, 1, d.From)
	require.Equal(t, 2, d.To)
	require.Equal(t, []string{"submit", "handle", "technical_assist", "crisis_handle"}, d.Added)
	require.Equal(t, []string{"record", "investigate", "crisis_investigate", "review", "notify_customer"}, d.Removed)
	require.Equal(t, []flow.Handoff{
		{From: "record", To: "investigate", FromDepartment: "customer_service", ToDepartment: "technical"},
		{From: "record", To: "crisis_investigate", FromDepartment: "customer_service", ToDepartment: "crisis_team"},
		{From: "crisis_investigate", To: "feedback", FromDepartment: "crisis_team", ToDepartment: "technical"},
		{From: "feedback", To: "review", FromDepartment: "technical", ToDepartment: "customer_service"},
		{From: "review", To: "investigate", FromDepartment: "customer_service", ToDepartment: "technical"},
	}, d.HandoffsRemoved)
	require.Equal(t, []flow.Handoff{
		{From: "submit", To: "crisis_handle", FromDepartment: "customer_service", ToDepartment: "crisis_team"},
		{From: "handle", To: "technical_assist", FromDepartment: "customer_service", ToDepartment: "technical"},
		{From: "technical_assist", To: "handle", FromDepartment: "technical", ToDepartment: "customer_service"},
		{From: "crisis_handle", To: "feedback", FromDepartment: "crisis_team", ToDepartment: "customer_service"},
	}, d.HandoffsAdded)
	require.Equal(t, []flow.FieldChange{
		{Field: "name", From: "Complaint (5 steps)", To: "Complaint (one-stop, 3 steps)"},
		{Field: "start", From: "record", To: "submit"},
		{Field: "sla", From: "6h", To: "1h30m"},
	}, d.Flow)
	// route and feedback exist in both; closed is unchanged.
	var changed []string
	for _, c := range d.Changed {
		changed = append(changed, c.Step)
	}
	require.Equal(t, []string{"route", "feedback"}, changed)

	text := d.Text()
	for _, line := range []string{
		"- step investigate (task, technical)\n",
		"- step review (task, customer_service)\n",
		"+ step handle (task, customer_service)\n",
		"~ step feedback: department technical -> customer_service\n",
		"~ step route: default investigate -> handle\n",
		"handoff removed: record (customer_service) -> investigate (technical)\n",
		"handoff removed: feedback (technical) -> review (customer_service)\n",
		"handoffs customer_service -> technical: 2 -> 1\n",
		"handoffs crisis_team -> technical: 1 -> 0\n",
	} {
		require.Contains(t, text, line)
	}
	require.NotContains(t, text, "handoffs technical -> customer_service", "one such handoff in each version")

	// The way back is the mirror image.
	back := flow.Diff(builtin(t, "complaint", 2), builtin(t, "complaint", 1))
	require.Equal(t, d.Added, back.Removed)
	require.Equal(t, d.Removed, back.Added)
	require.Equal(t, d.HandoffsRemoved, back.HandoffsAdded)
	require.Equal(t, d.HandoffsAdded, back.HandoffsRemoved)
}

func TestDiffIdenticalFlowsIsEmpty(t *testing.T) {
	t.Parallel()
	for _, b := range flows.All() {
		a := builtin(t, b.Key, b.Version)
		c := builtin(t, b.Key, b.Version)
		d := flow.Diff(a, c)
		require.True(t, d.Empty(), "%s v%d: %s", b.Key, b.Version, d.Text())
		require.Equal(t, b.Key+" v"+itoa(b.Version)+" -> v"+itoa(b.Version)+"\nno changes\n", d.Text())
		js, err := json.Marshal(d)
		require.NoError(t, err)
		require.JSONEq(t, `{"key":"`+b.Key+`","from":`+itoa(b.Version)+`,"to":`+itoa(b.Version)+
			`,"added":[],"removed":[],"changed":[],"flow":[],"handoffs_removed":[],"handoffs_added":[]}`, string(js))
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

const craftedFrom = `key: demo
version: 3
name: Demo
departments: [cs, tech]
start: intake
sla: 4h
steps:
  - id: intake
    kind: task
    name: Intake
    department: cs
    roles: [agent]
    sla: 30m
    escalation:
      - {after: 30m, notify: lead}
    form:
      - {name: amount, type: number, required: true}
    outcomes:
      - {name: done, next: route}
  - id: route
    kind: decision
    rules:
      - {when: 'attributes.amount > 100', next: fix}
    default: ping
  - id: fix
    kind: task
    department: tech
    sla: 1h
    outcomes:
      - {name: fixed, next: ping}
      - {name: back, next: old}
  - id: ping
    kind: auto
    activity: notify
    params: {template: a}
    next: hold
  - id: hold
    kind: wait
    duration: 1h
    next: wait_reply
  - id: wait_reply
    kind: wait
    event: reply
    timeout: 1d
    on_timeout: closed
    next: closed
  - id: old
    kind: task
    department: cs
    sla: 10m
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`

const craftedTo = `key: demo
version: 4
name: Demo 2
departments: [cs, tech, billing]
steps:
  - id: intake
    kind: task
    name: Take in
    department: cs
    roles: [agent, lead]
    sla: 20m
    escalation:
      - {after: 30m, notify: lead}
      - {after: 1h, department: tech, notify: lead}
    form:
      - {name: amount, type: number}
      - {name: reason, type: enum, options: [a, b], label: Why}
    outcomes:
      - {name: done, next: route}
  - id: route
    kind: decision
    rules:
      - {when: 'attributes.amount > 200', next: fix}
      - {when: 'channel == "vip"', next: bill}
    default: bill
  - id: fix
    kind: task
    department: billing
    sla: 1h
    outcomes:
      - {name: fixed, next: ping}
  - id: bill
    kind: task
    department: billing
    sla: 2h
    outcomes:
      - {name: billed, next: hold}
  - id: ping
    kind: auto
    activity: webhook
    params: {template: b, retries: 2}
    next: wait_reply
  - id: hold
    kind: auto
    activity: notify
    next: wait_reply
  - id: wait_reply
    kind: wait
    event: answer
    timeout: 2d
    on_timeout: ping
    pause_sla: true
    next: closed
  - id: closed
    kind: end
`

const craftedText = "demo v3 -> v4\n" +
	"~ flow: name Demo -> \"Demo 2\"\n" +
	"~ flow: departments \"cs, tech\" -> \"cs, tech, billing\"\n" +
	"~ flow: sla 4h -> (none)\n" +
	"+ step bill (task, billing)\n" +
	"- step old (task, cs)\n" +
	"~ step intake: name Intake -> \"Take in\"\n" +
	"~ step intake: roles agent -> \"agent, lead\"\n" +
	"~ step intake: sla 30m -> 20m\n" +
	"~ step intake: escalation \"after 30m notify lead\" -> \"after 30m notify lead; after 1h move to tech and notify lead\"\n" +
	"~ step intake: form \"amount:number required\" -> `amount:number, reason:enum [a|b] \"Why\"`\n" +
	"~ step route: rules \"attributes.amount > 100 -> fix\" -> `attributes.amount > 200 -> fix; channel == \"vip\" -> bill`\n" +
	"~ step route: default ping -> bill\n" +
	"~ step fix: department tech -> billing\n" +
	"~ step fix: outcomes \"fixed->ping, back->old\" -> fixed->ping\n" +
	"~ step ping: activity notify -> webhook\n" +
	"~ step ping: params `{\"template\":\"a\"}` -> `{\"retries\":2,\"template\":\"b\"}`\n" +
	"~ step ping: next hold -> wait_reply\n" +
	"~ step hold: kind wait -> auto\n" +
	"~ step hold: activity (none) -> notify\n" +
	"~ step hold: duration 1h -> (none)\n" +
	"~ step wait_reply: event reply -> answer\n" +
	"~ step wait_reply: timeout 1d -> 2d\n" +
	"~ step wait_reply: on_timeout closed -> ping\n" +
	"~ step wait_reply: pause_sla false -> true\n" +
	"handoff removed: intake (cs) -> fix (tech)\n" +
	"handoff removed: fix (tech) -> old (cs)\n" +
	"handoff added: intake (cs) -> fix (billing)\n" +
	"handoff added: intake (cs) -> bill (billing)\n" +
	"handoffs cs -> tech: 1 -> 0\n" +
	"handoffs tech -> cs: 1 -> 0\n" +
	"handoffs cs -> billing: 0 -> 2\n"

func TestDiffCraftedPairCoversEveryField(t *testing.T) {
	t.Parallel()
	d := flow.Diff(mustLoad(t, craftedFrom), mustLoad(t, craftedTo))
	require.Equal(t, craftedText, d.Text())
	require.Equal(t, []flow.FieldChange{
		{Field: "kind", From: "wait", To: "auto"},
		{Field: "activity", From: "", To: "notify"},
		{Field: "duration", From: "1h", To: ""},
	}, d.Changed[4].Fields, "hold")
	require.Equal(t, "hold", d.Changed[4].Step)

	// A JSON round trip keeps every exported field; Text then leaves out
	// what only Diff knows (step kinds and per-department counts).
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var back flow.DiffResult
	require.NoError(t, json.Unmarshal(js, &back))
	require.Equal(t, d.Changed, back.Changed)
	require.Equal(t, d.HandoffsAdded, back.HandoffsAdded)
	require.Contains(t, back.Text(), "\n- step old\n")
	require.NotContains(t, back.Text(), "handoffs ")
}

func TestDiffNilAndUnvalidatedDefinitions(t *testing.T) {
	t.Parallel()
	d := flow.Diff(nil, nil)
	require.True(t, d.Empty())
	require.NotNil(t, d.Added)
	require.NotNil(t, d.HandoffsRemoved)

	// Unknown targets, duplicate ids, id-less steps and loops among
	// non-task steps must not trip Diff up.
	broken := &flow.Definition{Key: "x", Version: 1, Steps: []flow.Step{
		{ID: "a", Kind: flow.KindTask, Department: "cs", Outcomes: []flow.Outcome{{Name: "o", Next: "loop"}, {Name: "p", Next: "nowhere"}}},
		{ID: "loop", Kind: flow.KindDecision, Rules: []flow.Rule{{When: "true", Next: "loop2"}}, Default: "b"},
		{ID: "loop2", Kind: flow.KindWait, Next: "loop", OnTimeout: "a"},
		{ID: "a", Kind: flow.KindTask, Department: "other"},
		{Kind: flow.KindEnd},
		{ID: "b", Kind: flow.KindTask, Department: "tech"},
	}}
	require.Equal(t, []flow.Handoff{{From: "a", To: "b", FromDepartment: "cs", ToDepartment: "tech"}}, flow.Handoffs(broken))
	d = flow.Diff(nil, broken)
	require.Equal(t, []string{"a", "loop", "loop2", "b"}, d.Added)
	require.Equal(t, flow.Handoffs(broken), d.HandoffsAdded)
	require.Equal(t, "x v0 -> v1\n"+
		"~ flow: key (none) -> x\n"+
		"~ flow: start (none) -> a\n"+
		"+ step a (task, cs)\n"+
		"+ step loop (decision)\n"+
		"+ step loop2 (wait)\n"+
		"+ step b (task, tech)\n"+
		"handoff added: a (cs) -> b (tech)\n"+
		"handoffs cs -> tech: 0 -> 1\n", d.Text())
}

func TestDiffCalendars(t *testing.T) {
	t.Parallel()
	const from = `key: demo
version: 1
calendar: office
calendars:
  - id: office
    timezone: Europe/London
    hours: {mon: 09:00-17:00, tue: 09:00-17:00, wed: 09:00-17:00, thu: 09:00-17:00, fri: 09:00-17:00}
    holidays: [2026-12-25]
  - id: night
    timezone: UTC
    hours: {mon: 22:00-24:00, tue: 22:00-24:00, wed: 22:00-24:00, thu: 22:00-24:00, fri: 22:00-24:00, sat: 22:00-24:00, sun: 22:00-24:00}
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    calendar: night
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`
	const to = `key: demo
version: 2
calendar: support
calendars:
  - id: support
    timezone: America/New_York
    hours: {sat: 10:00-14:00, sun: 10:00-14:00}
  - id: office
    timezone: Europe/Dublin
    hours: {mon: "08:00-12:00, 13:00-17:00", tue: 09:00-17:00, wed: 09:00-17:00, thu: 09:00-17:00, fri: 09:00-17:00}
    holidays: [2026-12-25, 2026-12-28]
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    calendar: office
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`
	d := flow.Diff(mustLoad(t, from), mustLoad(t, to))
	require.Equal(t, []flow.FieldChange{
		{Field: "calendar", From: "office", To: "support"},
		{Field: "calendars.support", From: "", To: "America/New_York; sat-sun 10:00-14:00"},
		{Field: "calendars.office.timezone", From: "Europe/London", To: "Europe/Dublin"},
		{Field: "calendars.office.hours.mon", From: "09:00-17:00", To: "08:00-12:00, 13:00-17:00"},
		{Field: "calendars.office.holidays", From: "2026-12-25", To: "2026-12-25, 2026-12-28"},
		{Field: "calendars.night", From: "UTC; mon-sun 22:00-24:00", To: ""},
	}, d.Flow)
	require.Equal(t, []flow.StepChange{{Step: "a", Fields: []flow.FieldChange{{Field: "calendar", From: "night", To: "office"}}}}, d.Changed)
	want := "demo v1 -> v2\n" +
		"~ flow: calendar office -> support\n" +
		"+ calendar support (America/New_York; sat-sun 10:00-14:00)\n" +
		"~ calendar office: timezone Europe/London -> Europe/Dublin\n" +
		"~ calendar office: hours.mon 09:00-17:00 -> \"08:00-12:00, 13:00-17:00\"\n" +
		"~ calendar office: holidays 2026-12-25 -> \"2026-12-25, 2026-12-28\"\n" +
		"- calendar night (UTC; mon-sun 22:00-24:00)\n" +
		"~ step a: calendar night -> office\n"
	require.Equal(t, want, d.Text())

	// The structured diff carries everything Text shows about calendars.
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var back flow.DiffResult
	require.NoError(t, json.Unmarshal(js, &back))
	require.Equal(t, want, back.Text())

	// Reversed, additions and removals swap.
	r := flow.Diff(mustLoad(t, to), mustLoad(t, from))
	require.Equal(t, "demo v2 -> v1\n"+
		"~ flow: calendar support -> office\n"+
		"~ calendar office: timezone Europe/Dublin -> Europe/London\n"+
		"~ calendar office: hours.mon \"08:00-12:00, 13:00-17:00\" -> 09:00-17:00\n"+
		"~ calendar office: holidays \"2026-12-25, 2026-12-28\" -> 2026-12-25\n"+
		"+ calendar night (UTC; mon-sun 22:00-24:00)\n"+
		"- calendar support (America/New_York; sat-sun 10:00-14:00)\n"+
		"~ step a: calendar office -> night\n", r.Text())

	// A calendar that is never open and has no zone still renders.
	bare := &flow.Definition{Key: "demo", Calendars: []flow.Calendar{{ID: "x"}, {ID: "x", TimeZone: "UTC"}}}
	require.Equal(t, "demo v0 -> v0\n~ flow: key (none) -> demo\n+ calendar x (no time zone; never open)\n", flow.Diff(nil, bare).Text())
	require.True(t, flow.Diff(bare, bare).Empty())
}

// A changed assignment shows in the diff in words.
func TestDiffShowsAssignment(t *testing.T) {
	a := &flow.Definition{Key: "d", Version: 1, Steps: []flow.Step{{ID: "t", Kind: flow.KindTask}}}
	b := &flow.Definition{Key: "d", Version: 2, Steps: []flow.Step{{ID: "t", Kind: flow.KindTask,
		Assign: &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"t", flow.StickyCustomer}, Fallback: []string{flow.AssignPull},
			AcceptWithin: flow.Duration(15 * time.Minute)}}}}
	out, err := json.Marshal(flow.Diff(a, b))
	require.NoError(t, err)
	require.Contains(t, string(out), "sticky (t, customer), then pull; accept within 15m")
}

// An escalation level's assignment shows in the diff in words.
func TestDiffShowsEscalationAssign(t *testing.T) {
	t.Parallel()
	lvl := func(after time.Duration, dept, assign, notify string) flow.EscalationLevel {
		return flow.EscalationLevel{After: flow.Duration(after), Department: dept, Assign: assign, Notify: notify}
	}
	a := &flow.Definition{Key: "d", Version: 1, Steps: []flow.Step{{ID: "t", Kind: flow.KindTask,
		Escalation: []flow.EscalationLevel{lvl(time.Hour, "", "", "lead")}}}}
	b := &flow.Definition{Key: "d", Version: 2, Steps: []flow.Step{{ID: "t", Kind: flow.KindTask,
		Escalation: []flow.EscalationLevel{
			lvl(time.Hour, "", flow.EscalateTeamLead, "lead"),
			lvl(2*time.Hour, "sup", flow.EscalateTeamLead, "sup_lead"),
			lvl(3*time.Hour, "", flow.EscalatePool, ""),
		}}}}
	require.Equal(t, "d v1 -> v2\n"+
		"~ step t: escalation \"after 1h notify lead\" -> "+
		"\"after 1h give to the team lead and notify lead; after 2h move to sup, give to the team lead and notify sup_lead; after 3h return to the pool\"\n",
		flow.Diff(a, b).Text())
}
