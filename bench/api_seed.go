package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/workflows"
)

// The api scenario's data: open complaint cases written straight into
// flowlab's PostgreSQL database with COPY (the reads do not care how the
// rows came; 10,000 cases through Temporal would take minutes). Each case
// waits on one open task somewhere along the complaint flow, with the
// spans of the steps it passed through, so the inbox and case reads see
// what a busy service would have: four departments, SLA due times (some
// overdue and escalated), a third of the tasks claimed.

// seedStop is where an open case waits: its task's step, the department
// (an escalated record task sits with the supervisor) and the steps
// before it.
type seedStop struct {
	step, department string
	before           []string
	weight           int
	escalated        bool
}

var seedStops = []seedStop{
	{step: "record", department: "customer_service", weight: 25},
	{step: "investigate", department: "technical", before: []string{"record", "route"}, weight: 20},
	{step: "feedback", department: "technical", before: []string{"record", "route", "investigate"}, weight: 10},
	{step: "crisis_investigate", department: "crisis_team", before: []string{"record", "route"}, weight: 8},
	{step: "review", department: "customer_service", before: []string{"record", "route", "investigate", "feedback"}, weight: 12},
	{step: "notify_customer", department: "customer_service", before: []string{"record", "route", "investigate", "feedback", "review"}, weight: 10},
	{step: "record", department: "supervisor", weight: 15, escalated: true},
}

// seeded is what the seeder wrote, for the scenario to pick requests from.
type seeded struct {
	Cases []string            // case ids
	Tasks map[string][]string // open task ids by department
	Count map[string]int      // open tasks by department
}

// seedOpenTasks writes n active complaint cases, each with one open task
// and the spans before it, into conn's database (flowlab's schema,
// migrated; the complaint flow seeded by the server).
func seedOpenTasks(ctx context.Context, conn *pgx.Conn, n int, seed uint64) (*seeded, error) {
	var src []byte
	for _, b := range flows.All() {
		if b.Key == "complaint" && b.Version == 1 {
			src = b.Source
		}
	}
	def, diags := flow.Parse(src)
	if def == nil || diags.HasErrors() {
		return nil, fmt.Errorf("seed: parse complaint v1: %v", diags)
	}
	steps := map[string]flow.Step{}
	for _, s := range def.Steps {
		steps[s.ID] = s
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	total := 0
	for _, s := range seedStops {
		total += s.weight
	}
	now := time.Now().UTC()
	channels := []string{"phone", "chat", "wechat", "app", "email", "social"}
	severities := []string{"primary", "primary", "primary", "intermediate", "intermediate", "advanced"}
	out := &seeded{Tasks: map[string][]string{}, Count: map[string]int{}}
	var cases, tasks, spans [][]any
	for i := 0; i < n; i++ {
		w := rng.IntN(total)
		stop := seedStops[0]
		for _, s := range seedStops {
			if w < s.weight {
				stop = s
				break
			}
			w -= s.weight
		}
		id := uuid.NewString()
		created := now.Add(-time.Duration(rng.Int64N(int64(6 * time.Hour))))
		severity := severities[rng.IntN(len(severities))]
		if stop.step == "crisis_investigate" {
			severity = "advanced"
		}
		attrs, _ := json.Marshal(map[string]any{"severity": severity})
		at := created
		seq := 0
		for _, b := range stop.before {
			seq++
			st := steps[b]
			entered := at
			var claimed any
			completed := entered
			dept, actor, outcome := "", "", ""
			var slaDue any
			breached := false
			if st.Kind == flow.KindTask {
				wait := time.Duration(rng.Int64N(int64(20 * time.Minute)))
				work := time.Duration(rng.Int64N(int64(15*time.Minute))) + time.Minute
				c := entered.Add(wait)
				claimed = c
				completed = c.Add(work)
				dept = st.Department
				actor = fmt.Sprintf("bench-agent-%s-%d", dept, rng.IntN(8))
				outcome = st.Outcomes[0].Name
				due := entered.Add(st.SLA.D())
				slaDue = due
				breached = completed.After(due)
			}
			spans = append(spans, []any{id, seq, "complaint", 1, "", b, string(st.Kind), dept, entered, claimed,
				completed, outcome, slaDue, breached, 0, actor})
			at = completed
		}
		if at.After(now) {
			at = now.Add(-time.Minute)
		}
		seq++
		st := steps[stop.step]
		opened := at
		due := opened.Add(st.SLA.D())
		escalation := 0
		if stop.escalated {
			escalation = 2
		} else if now.After(due) {
			escalation = 1
		}
		var assignee, claimedAt any
		if rng.IntN(3) == 0 {
			assignee = fmt.Sprintf("bench-agent-%s-%d", stop.department, rng.IntN(8))
			claimedAt = opened.Add(time.Duration(rng.Int64N(int64(max(now.Sub(opened), time.Second)))))
		}
		roles, _ := json.Marshal(append([]string{}, st.Roles...))
		outcomes := make([]string, len(st.Outcomes))
		for k, o := range st.Outcomes {
			outcomes[k] = o.Name
		}
		outJSON, _ := json.Marshal(outcomes)
		var form any
		if len(st.Form) > 0 {
			b, _ := json.Marshal(st.Form)
			form = string(b)
		}
		taskID := workflows.TaskID(id, seq)
		tasks = append(tasks, []any{taskID, id, seq, "complaint", 1, "", stop.step, st.Name, stop.department,
			string(roles), string(outJSON), form, "open", assignee, escalation, opened, claimedAt, due})
		cases = append(cases, []any{id, "complaint", 1, "", fmt.Sprintf("customer-%d", rng.IntN(n)),
			channels[rng.IntN(len(channels))], string(attrs), "active", stop.step, "complaint-" + id, "bench",
			created, opened, created.Add(6 * time.Hour)})
		out.Cases = append(out.Cases, id)
		out.Tasks[stop.department] = append(out.Tasks[stop.department], taskID)
		out.Count[stop.department]++
	}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"cases"}, []string{"id", "flow", "version", "variant", "customer",
			"channel", "attributes", "status", "step", "workflow_id", "created_by", "created_at", "updated_at", "sla_due"},
			pgx.CopyFromRows(cases)); err != nil {
			return fmt.Errorf("copy cases: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"tasks"}, []string{"id", "case_id", "seq", "flow", "version",
			"variant", "step", "step_name", "department", "roles", "outcomes", "form", "status", "assignee",
			"escalation_level", "opened_at", "claimed_at", "sla_due"}, pgx.CopyFromRows(tasks)); err != nil {
			return fmt.Errorf("copy tasks: %w", err)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"spans"}, []string{"case_id", "seq", "flow", "version", "variant",
			"step", "kind", "department", "entered_at", "claimed_at", "completed_at", "outcome", "sla_due", "breached",
			"escalation_level", "actor"}, pgx.CopyFromRows(spans)); err != nil {
			return fmt.Errorf("copy spans: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE cases; ANALYZE tasks; ANALYZE spans"); err != nil {
		return nil, fmt.Errorf("seed: analyze: %w", err)
	}
	return out, nil
}
