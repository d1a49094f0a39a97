package flow

// validateCases are flows with semantic problems; want is every diagnostic
// Load reports, in order, exactly as a process owner would read it.
var validateCases = []struct {
	name string
	src  string
	want []string
}{
	{
		name: "valid flow with every kind",
		src: `key: demo
version: 1
departments: [cs, tech]
steps:
  - id: record
    kind: task
    department: cs
    sla: 1h
    form:
      - {name: amount, type: number, required: true}
      - {name: kind, type: enum, options: [return, exchange]}
    outcomes:
      - {name: done, next: route}
  - id: route
    kind: decision
    rules:
      - {when: 'attributes.amount > 200 || data.amount > 200', next: fix}
    default: remind
  - id: fix
    kind: task
    department: tech
    sla: 2h
    escalation:
      - {after: 2h, notify: lead}
      - {after: 4h, department: cs}
    outcomes:
      - {name: fixed, next: remind}
      - {name: retry, next: fix}
  - id: remind
    kind: auto
    activity: notify
    params: {template: x}
    next: wait_reply
  - id: wait_reply
    kind: wait
    event: reply
    timeout: 1d
    on_timeout: closed
    next: closed
  - id: closed
    kind: end
`,
		want: nil,
	},
	{
		name: "unknown targets with suggestions",
		src: `key: demo
version: 1
departments: [cs]
start: recrod
steps:
  - id: record
    kind: task
    department: cs
    sla: 1h
    outcomes:
      - {name: done, next: clsoed}
  - id: wait_x
    kind: wait
    duration: 1h
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`4:8: error: unknown step "recrod" in start; did you mean "record"? (unknown-target)`,
			`11:28: error: unknown step "clsoed" in next of outcome "done"; did you mean "closed"? (unknown-target)`,
		},
	},
	{
		name: "duplicate and malformed ids",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: record
    kind: end
  - id: record
    kind: end
  - id: Record-2
    kind: end
  - kind: end
`,
		want: []string{
			`3:15: warning: department "cs" is listed but no step uses it (unused-department)`,
			`7:9: error: step id "record" is already used by step #1 (duplicate-id)`,
			`9:9: error: step id "Record-2" must start with a lowercase letter and use only a-z, 0-9 and _ (bad-id)`,
			`9:9: error: step "Record-2" can never be reached from the start step "record" (unreachable-step)`,
			`11:5: error: step #4 has no id (missing-id)`,
		},
	},
	{
		name: "kinds",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: tsk
  - id: b
  - id: closed
    kind: end
`,
		want: []string{
			`3:15: warning: department "cs" is listed but no step uses it (unused-department)`,
			`6:11: error: unknown kind "tsk" for step "a": use one of task, auto, decision, wait, end, pilot; did you mean "task"? (bad-kind)`,
			`7:5: error: step "b" needs a kind: one of task, auto, decision, wait, end, pilot (missing-kind)`,
		},
	},
	{
		name: "fields that do not apply to a kind",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: auto
    activity: notify
    outcomes:
      - {name: x, next: closed}
    next: closed
  - id: closed
    kind: end
    next: a
    department: cs
`,
		want: []string{
			`3:15: warning: department "cs" is listed but no step uses it (unused-department)`,
			`8:5: error: auto step "a" cannot have "outcomes": it applies only to task and pilot steps (field-not-allowed)`,
			`13:5: error: end step "closed" cannot have "next": it applies only to auto and wait steps; an end step closes the case (field-not-allowed)`,
			`14:5: error: end step "closed" cannot have "department": it applies only to task steps; an end step closes the case (field-not-allowed)`,
		},
	},
	{
		name: "task checks",
		src: `key: demo
version: 1
departments: [cs, tech]
steps:
  - id: a
    kind: task
    department: cs
    outcomes:
      - {name: ok, next: b}
  - id: b
    kind: task
    department: techh
    sla: 1h
  - id: c
    kind: task
    sla: 1h
    outcomes:
      - {name: ok, next: closed}
      - {name: ok, next: closed}
      - {next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`3:19: warning: department "tech" is listed but no step uses it (unused-department)`,
			`5:5: error: task "a" needs an sla: how long it may stay open, e.g. 4h (missing-sla)`,
			`10:5: error: task "b" needs at least one outcome (no-outcomes)`,
			`12:17: error: department "techh" of task "b" is not in the flow's departments (cs, tech); did you mean "tech"? (unknown-department)`,
			`14:5: error: task "c" needs a department (missing-department)`,
			`19:16: error: outcome "ok" of task "c" is listed twice (duplicate-outcome)`,
			`20:9: error: outcome #3 of task "c" has no name (missing-name)`,
		},
	},
	{
		name: "escalation chain",
		src: `key: demo
version: 1
departments: [cs, supervisor]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    escalation:
      - {after: 2h, notify: lead}
      - {after: 1h, department: supervisor}
      - {after: 3h}
      - {after: 4h, department: boss}
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`11:17: error: escalation level 2 of task "a" fires after 1h, which is not later than level 1 (2h); levels must come later and later (escalation-order)`,
			`12:9: error: escalation level 3 of task "a" must move the task to a department, assign it or notify someone (or several of these) (escalation-target)`,
			`13:33: error: department "boss" of escalation level 4 of task "a" is not in the flow's departments (cs, supervisor) (unknown-department)`,
		},
	},
	{
		name: "escalation assign",
		src: `key: demo
version: 1
departments: [cs, supervisor]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    escalation:
      - {after: 1h, assign: team_lead}
      - {after: 2h, department: supervisor, assign: pool, notify: supervisor_lead}
      - {after: 3h, assign: Team_Lead}
      - {after: 4h, assign: boss}
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`12:29: error: unknown assignment "Team_Lead" of escalation level 3 of task "a": use team_lead (a team lead of the task's department) or pool (back to the department's pool); did you mean "team_lead"? (escalation-assign)`,
			`13:29: error: unknown assignment "boss" of escalation level 4 of task "a": use team_lead (a team lead of the task's department) or pool (back to the department's pool) (escalation-assign)`,
		},
	},
	{
		name: "form fields",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    form:
      - {name: x, type: enum}
      - {name: x, type: strng}
      - {name: y, type: number, options: [a]}
      - {type: bool}
      - {name: z}
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`10:9: error: enum field "x" needs options to choose from (missing-options)`,
			`11:16: error: form field "x" of task "a" is listed twice (duplicate-field)`,
			`11:25: error: form field "x" has unknown type "strng": use one of string, text, number, bool, enum; did you mean "string"? (bad-field-type)`,
			`12:33: error: form field "y" cannot have options: only enum fields do (field-not-allowed)`,
			`13:9: error: form field #4 of task "a" has no name (missing-name)`,
			`14:9: error: form field "z" needs a type: one of string, text, number, bool, enum (bad-field-type)`,
		},
	},
	{
		name: "auto steps",
		src: `key: demo
version: 1
departments: []
steps:
  - id: a
    kind: auto
    activity: sms
    next: b
  - id: b
    kind: auto
    next: closed
  - id: c
    kind: auto
    activity: webhok
  - id: closed
    kind: end
`,
		want: []string{
			`7:15: error: unknown activity "sms" in auto step "a": use one of notify, webhook, set_attributes, baseline, pilot_results, promote_pilot (unknown-activity)`,
			`9:5: error: auto step "b" needs an activity: one of notify, webhook, set_attributes, baseline, pilot_results, promote_pilot (missing-activity)`,
			`12:5: error: next of auto step "c" must name the next step (missing-target)`,
			`12:9: error: step "c" can never be reached from the start step "a" (unreachable-step)`,
			`14:15: error: unknown activity "webhok" in auto step "c": use one of notify, webhook, set_attributes, baseline, pilot_results, promote_pilot; did you mean "webhook"? (unknown-activity)`,
		},
	},
	{
		name: "decisions",
		src: `key: demo
version: 1
departments: []
steps:
  - id: a
    kind: decision
    rules:
      - {when: 'attributes.amount <=', next: closed}
      - {when: '"text"', next: closed}
      - {when: 'nosuchvar > 1', next: closed}
      - {next: closed}
      - {when: 'now().Hour() > 17', next: closed}
  - id: b
    kind: decision
    default: closed
  - id: closed
    kind: end
`,
		want: []string{
			`5:5: error: decision "a" needs a default step for when no rule matches (missing-default)`,
			`8:16: error: rule 1 of decision "a" does not compile: unexpected token EOF (1:20) (bad-rule)`,
			`9:16: error: rule 2 of decision "a" does not compile: expected bool, but got string (bad-rule)`,
			`10:16: error: rule 3 of decision "a" does not compile: unknown name nosuchvar (1:1) (bad-rule)`,
			`11:9: error: rule 4 of decision "a" has no when expression (bad-rule)`,
			`12:16: error: rule 5 of decision "a" does not compile: now is not one of the functions rules may use (all, any, none, one, filter, map, count, sum, find, findIndex, findLast, findLastIndex, len, abs, ceil, floor, round, int, float, string, type, max, min, mean, median, first, last, get, trim, trimPrefix, trimSuffix, upper, lower, indexOf, lastIndexOf, hasPrefix, hasSuffix, keys, values) (at character 1 of the rule) (bad-rule)`,
			`13:5: error: decision "b" needs at least one rule (no-rules)`,
		},
	},
	{
		name: "waits",
		src: `key: demo
version: 1
departments: []
steps:
  - id: a
    kind: wait
    event: paid
    duration: 2h
    next: b
  - id: b
    kind: wait
    on_timeout: c
    next: c
  - id: c
    kind: wait
    event: reply
    timeout: 1h
    next: d
  - id: d
    kind: wait
    duration: 1h
    timeout: 1h
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`8:15: error: wait step "a" waits for both an event and a duration; use one (an event wait can have a timeout) (bad-wait)`,
			`10:5: error: wait step "b" needs an event or a duration to wait for (bad-wait)`,
			`12:17: error: wait step "b" has on_timeout but no timeout (bad-wait)`,
			`17:14: error: wait step "c" has a timeout but no on_timeout step to go to when it expires (missing-on-timeout)`,
			`22:5: error: wait step "d" cannot have a timeout: only event waits time out (field-not-allowed)`,
		},
	},
	{
		name: "unreachable steps",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: auto
    activity: notify
    next: closed
  - id: orphan
    kind: auto
    activity: notify
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`3:15: warning: department "cs" is listed but no step uses it (unused-department)`,
			`9:9: error: step "orphan" can never be reached from the start step "a" (unreachable-step)`,
		},
	},
	{
		name: "no end reachable",
		src: `key: demo
version: 1
departments: []
steps:
  - id: a
    kind: auto
    activity: notify
    next: b
  - id: b
    kind: auto
    activity: notify
    next: a
  - id: closed
    kind: end
`,
		want: []string{
			`5:9: error: no end step can be reached from the start step "a": cases would never close (no-end)`,
			`13:9: error: step "closed" can never be reached from the start step "a" (unreachable-step)`,
		},
	},
	{
		name: "no end at all",
		src: `key: demo
version: 1
departments: []
steps:
  - id: a
    kind: auto
    activity: notify
    next: a
`,
		want: []string{
			`5:3: error: the flow has no end step: cases would never close (no-end)`,
		},
	},
	{
		name: "loops without exit",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    outcomes:
      - {name: go, next: b}
      - {name: stop, next: done}
      - {name: spin, next: spin}
  - id: b
    kind: wait
    duration: 1h
    next: c
  - id: c
    kind: auto
    activity: notify
    next: b
  - id: spin
    kind: auto
    activity: notify
    next: spin
  - id: done
    kind: end
`,
		want: []string{
			`13:9: error: steps "b", "c" form a loop with no way out to an end step (no-exit-loop)`,
			`21:9: error: step "spin" leads only back to itself and never to an end step (no-exit-loop)`,
		},
	},
	{
		name: "header problems",
		src: `key: Bad Key
version: 0
sla: 1h
departments: [cs, cs, Ops, unused]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`1:6: error: flow key "Bad Key" must start with a lowercase letter and use only a-z, 0-9, _ and - (bad-key)`,
			`2:10: error: the version must be a number of 1 or more (or left out: publishing assigns the next one) (bad-version)`,
			`4:19: error: department "cs" is listed twice (duplicate-department)`,
			`4:23: error: department "Ops" must start with a lowercase letter and use only a-z, 0-9 and _ (bad-department)`,
			`4:28: warning: department "unused" is listed but no step uses it (unused-department)`,
		},
	},
	{
		name: "webhook urls",
		src: `key: demo
version: 1
steps:
  - id: a
    kind: auto
    activity: webhook
    params: {url: "file:///etc/passwd"}
    next: b
  - id: b
    kind: auto
    activity: webhook
    params:
      url: http://169.254.169.254/latest/meta-data
    next: c
  - id: c
    kind: auto
    activity: webhook
    params:
      url: http://localhost:8080/hook
    next: d
  - id: d
    kind: auto
    activity: webhook
    params:
      url: "http://[::ffff:10.1.2.3]/"
    next: e
  - id: e
    kind: auto
    activity: webhook
    params:
      url: 42
    next: f
  - id: f
    kind: auto
    activity: webhook
    params:
      url: https://hooks.example.com/flowlab
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`7:19: error: the url of auto step "a" is refused: scheme "file" is not allowed; webhooks use http or https (bad-webhook-url)`,
			`13:12: error: the url of auto step "b" is refused: 169.254.169.254 is a cloud metadata address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver (bad-webhook-url)`,
			`19:12: error: the url of auto step "c" is refused: host "localhost" is this machine (loopback); list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver (bad-webhook-url)`,
			`25:12: error: the url of auto step "d" is refused: ::ffff:10.1.2.3 is a private address; list it in FLOWLAB_WEBHOOK_ALLOW if it is your own receiver (bad-webhook-url)`,
			`31:12: error: the url of auto step "e" must be text, an http or https URL (bad-webhook-url)`,
		},
	},
	// Issue 15 item 18: every independent error in one pass, none that
	// follows from another.
	{
		name: "a bad duration does not stop validation",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 4x
    outcomes:
      - {name: ok, next: b}
  - id: b
    kind: task
    department: sales
    sla: 1h
    outcomes:
      - {name: ok, next: closed}
  - id: w
    kind: wait
    duration: 3 days
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`8:10: error: "sla": invalid duration "4x": use forms like 30m, 4h, 2d or 1d12h (bad-duration)`,
			`13:17: error: department "sales" of task "b" is not in the flow's departments (cs) (unknown-department)`,
			`17:9: error: step "w" can never be reached from the start step "a" (unreachable-step)`,
			`19:15: error: "duration": invalid duration "3 days": use forms like 30m, 4h, 2d or 1d12h (bad-duration)`,
		},
	},
	{
		name: "one typo in a target is one error",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    outcomes:
      - {name: ok, next: revew}
  - id: review
    kind: task
    department: cs
    sla: 1h
    outcomes:
      - {name: ok, next: b}
  - id: b
    kind: auto
    activity: notify
    next: c
  - id: c
    kind: auto
    activity: notify
    next: d
  - id: d
    kind: auto
    activity: notify
    next: closed
  - id: closed
    kind: end
  - id: orphan
    kind: end
`,
		want: []string{
			`10:26: error: unknown step "revew" in next of outcome "ok"; did you mean "review"? (unknown-target)`,
			`31:9: error: step "orphan" can never be reached from the start step "a" (unreachable-step)`,
		},
	},
	{
		name: "a target with no likely match hides reachability",
		src: `key: demo
version: 1
steps:
  - id: a
    kind: auto
    activity: notify
    next: somewhere
  - id: b
    kind: auto
    activity: notify
    next: closed
  - id: closed
    kind: end
`,
		want: []string{
			`7:11: error: unknown step "somewhere" in next of auto step "a" (unknown-target)`,
		},
	},
	{
		name: "a misspelt field is not also missing",
		src: `key: demo
version: 1
departments: [cs]
steps:
  - id: a
    kind: auto
    activity: notify
    nxt: closed
  - id: t
    kind: task
    department: cs
    slaa: 1h
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`,
		want: []string{
			`8:5: error: unknown field "nxt" in step "a"; did you mean "next"? (unknown-field)`,
			`12:5: error: unknown field "slaa" in step "t"; did you mean "sla"? (unknown-field)`,
		},
	},
	{
		name: "no steps",
		src: `key: demo
version: 1
departments: []
steps: []
`,
		want: []string{
			`4:8: error: the flow has no steps (no-steps)`,
		},
	},
}
