package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/assign"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const taskCols = `id, case_id, seq, flow, version, variant, step, step_name, department, roles, outcomes, form,
	status, COALESCE(assignee, ''), escalation_level, opened_at, claimed_at, completed_at, sla_due,
	outcome, data, completed_by, completion_id, assigned_at, assign_rule, offer_due, reassignments, passed_over`

// taskRow is a scanned tasks row.
type taskRow struct {
	id, caseID, flow, variant, step, stepName, department, status, assignee, outcome, completedBy, completionID string
	assignRule                                                                                                  string
	seq, version, escalationLevel, reassignments                                                                int
	roles, outcomes, form, data, passedOver                                                                     []byte
	openedAt                                                                                                    time.Time
	claimedAt, completedAt, slaDue, assignedAt, offerDue                                                        *time.Time
}

func scanTask(r pgx.Row) (taskRow, error) {
	var x taskRow
	err := r.Scan(&x.id, &x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.stepName, &x.department,
		&x.roles, &x.outcomes, &x.form, &x.status, &x.assignee, &x.escalationLevel, &x.openedAt, &x.claimedAt,
		&x.completedAt, &x.slaDue, &x.outcome, &x.data, &x.completedBy, &x.completionID, &x.assignedAt,
		&x.assignRule, &x.offerDue, &x.reassignments, &x.passedOver)
	return x, err
}

// taskFromInternal converts a scanned row; lists is the page's memo of
// role and outcome lists (nil for a single row).
func taskFromInternal(x taskRow, lists normalize.StringLists) (store.Task, error) {
	roles, err := lists.Parse(x.roles)
	if err != nil {
		return store.Task{}, fmt.Errorf("task %s roles: %w", x.id, err)
	}
	outcomes, err := lists.Parse(x.outcomes)
	if err != nil {
		return store.Task{}, fmt.Errorf("task %s outcomes: %w", x.id, err)
	}
	passedOver, err := normalize.ParseStrings(x.passedOver)
	if err != nil {
		return store.Task{}, fmt.Errorf("task %s passed over: %w", x.id, err)
	}
	return store.Task{
		ID: x.id, CaseID: x.caseID, Seq: x.seq, Flow: x.flow, Version: x.version, Variant: x.variant,
		Step: x.step, StepName: x.stepName, Department: x.department, Roles: roles, Outcomes: outcomes,
		Form: normalize.Raw(x.form), Status: x.status, Assignee: x.assignee, EscalationLevel: x.escalationLevel,
		OpenedAt: utc(x.openedAt), ClaimedAt: utcPtr(x.claimedAt), CompletedAt: utcPtr(x.completedAt),
		SLADue: utcPtr(x.slaDue), Outcome: x.outcome, Data: normalize.Raw(x.data), CompletedBy: x.completedBy,
		CompletionID: x.completionID, AssignedAt: utcPtr(x.assignedAt), AssignRule: x.assignRule,
		OfferDue: utcPtr(x.offerDue), Reassignments: x.reassignments, PassedOver: passedOver,
	}, nil
}

// queryTask runs a query returning at most one task row.
func queryTask(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) (store.Task, error) {
	x, err := scanTask(q.QueryRow(ctx, sql, args...))
	if err != nil {
		return store.Task{}, err
	}
	return taskFromInternal(x, nil)
}

// OpenTask inserts a task, idempotently on (CaseID, Seq); with p.Assign
// it assigns the task in the same transaction (see assignTask).
func (s *Store) OpenTask(ctx context.Context, p store.OpenTaskParams) (store.Task, error) {
	var t store.Task
	var err error
	if p.Assign == nil {
		if _, err = insertTask(ctx, s.pool, p); err == nil {
			t, err = openedTask(ctx, s.pool, p)
		}
	} else {
		err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			id, err := insertTask(ctx, tx, p)
			switch {
			case err != nil:
				return err
			case id == "":
				// A repeat: the task as it is, assigned by the first
				// opening or waiting in the pool with its spec.
				t, err = openedTask(ctx, tx, p)
			default:
				t, _, err = assignTask(ctx, tx, id, *p.Assign, normalize.Time(p.OpenedAt))
			}
			return err
		})
	}
	if err != nil {
		return store.Task{}, mapErr("postgres: open task", err)
	}
	return t, nil
}

// insertTask inserts p's task unless it is there already; it returns the
// id inserted ("" for a repeat). Any conflict does nothing, the primary
// key's too: a repeat sent while the first opening's transaction is still
// open (a retried activity) conflicts on the id before (case_id, seq),
// and only the index a conflict is handled on waits for that transaction.
// openedTask tells a repeat from another task's id.
func insertTask(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, p store.OpenTaskParams) (string, error) {
	var id string
	err := q.QueryRow(ctx, `INSERT INTO tasks (id, case_id, seq, flow, version, variant, step, step_name,
			department, roles, outcomes, form, status, opened_at, sla_due)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'open', $13, $14)
		ON CONFLICT DO NOTHING RETURNING id`,
		normalize.ID(p.ID), p.CaseID, p.Seq, p.Flow, p.Version, p.Variant, p.Step, p.StepName, p.Department,
		string(normalize.Strings(p.Roles)), string(normalize.Strings(p.Outcomes)), nullJSON(normalize.JSON(p.Form)),
		normalize.Time(p.OpenedAt), normalize.TimePtr(p.SLADue)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// openedTask reads the task of p's (CaseID, Seq); none after insertTask
// means p.ID is another task's: ErrConflict.
func openedTask(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, p store.OpenTaskParams) (store.Task, error) {
	t, err := queryTask(ctx, q, `SELECT `+taskCols+` FROM tasks WHERE case_id = $1 AND seq = $2`, p.CaseID, p.Seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Task{}, fmt.Errorf("task id %s is another task's: %w", p.ID, store.ErrConflict)
	}
	return t, err
}

// GetTask returns a task by id.
func (s *Store) GetTask(ctx context.Context, id string) (store.Task, error) {
	t, err := queryTask(ctx, s.pool, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, id)
	if err != nil {
		return store.Task{}, mapErr("postgres: get task", err)
	}
	return t, nil
}

// ListTasks lists tasks by SLA due time (nulls last), opened time and id,
// from after p.After when it is set.
func (s *Store) ListTasks(ctx context.Context, p store.ListTasksParams) ([]store.Task, error) {
	// Only the filters that are set become conditions, so the planner sees
	// "department = $1 AND status = $2" and reads tasks_list_idx in order
	// (a generic plan of "$1 = '' OR department = $1" could not).
	var w where
	switch {
	case p.Department != "":
		w.add("department = ?", p.Department)
	case len(p.Departments) > 0:
		w.add("department = ANY(?)", p.Departments)
	}
	if p.Status != "" {
		w.add("status = ?", p.Status)
	}
	switch {
	case p.Unclaimed:
		w.add("assignee IS NULL")
	case p.Assignee != "":
		w.add("assignee = ?", p.Assignee)
	}
	if p.CaseID != "" {
		w.add("case_id = ?", p.CaseID)
	}
	if p.From != nil {
		w.add("opened_at >= ?", bound(*p.From))
	}
	if p.To != nil {
		w.add("opened_at < ?", bound(*p.To))
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (sla_due NULLS LAST, opened_at, id)
		// order. opened_at and id are never NULL, so the row comparison
		// is exact for tasks with an SLA; those without sort after all
		// of them.
		if c.SLADue != nil {
			w.add("((sla_due, opened_at, id) > (?, ?, ?) OR sla_due IS NULL)", c.SLADue.UTC(), c.OpenedAt.UTC(), c.ID)
		} else {
			w.add("sla_due IS NULL AND (opened_at, id) > (?, ?)", c.OpenedAt.UTC(), c.ID)
		}
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.TaskLimitDefault, normalize.TaskLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+taskCols+` FROM tasks`+w.String()+`
		ORDER BY sla_due NULLS LAST, opened_at, id LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list tasks", err)
	}
	lists := normalize.StringLists{}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Task, error) {
		x, err := scanTask(r)
		if err != nil {
			return store.Task{}, err
		}
		return taskFromInternal(x, lists)
	})
	if err != nil {
		return nil, mapErr("postgres: list tasks", err)
	}
	return out, nil
}

// ClaimTask assigns an open task to p.Actor; see store.Store.
func (s *Store) ClaimTask(ctx context.Context, p store.ClaimTaskParams) (store.Task, error) {
	t, err := queryTask(ctx, s.pool, `UPDATE tasks SET assignee = $2, claimed_at = COALESCE(claimed_at, $3), offer_due = NULL
		WHERE id = $1 AND status = 'open' AND (assignee IS NULL OR assignee = $2)
		RETURNING `+taskCols, p.ID, p.Actor, normalize.Time(p.At))
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.explain(ctx, p.ID, "not open or claimed by another actor")
	}
	if err != nil {
		return store.Task{}, mapErr("postgres: claim task", err)
	}
	return t, nil
}

// UnclaimTask clears the assignee of an open task; see store.Store.
func (s *Store) UnclaimTask(ctx context.Context, p store.UnclaimTaskParams) (store.Task, error) {
	t, err := queryTask(ctx, s.pool, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
			passed_over = CASE WHEN assignee = $2 THEN `+passOver("$2")+` ELSE passed_over END
		WHERE id = $1 AND status = 'open' AND (assignee IS NULL OR assignee = $2 OR $3)
		RETURNING `+taskCols, p.ID, p.Actor, p.Force)
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.explain(ctx, p.ID, "not open or claimed by another actor")
	}
	if err != nil {
		return store.Task{}, mapErr("postgres: unclaim task", err)
	}
	return t, nil
}

// explain tells why a conditional update of task id matched no row: the
// task does not exist (no rows, mapped to ErrNotFound by mapErr) or its
// state forbids the change (ErrConflict).
func (s *Store) explain(ctx context.Context, id, why string) error {
	var status string
	if err := s.pool.QueryRow(ctx, `SELECT status FROM tasks WHERE id = $1`, id).Scan(&status); err != nil {
		return err
	}
	return fmt.Errorf("task %s (%s) %s: %w", id, status, why, store.ErrConflict)
}

// CompleteTask closes an open task and records its span in one transaction.
func (s *Store) CompleteTask(ctx context.Context, p store.CompleteTaskParams) (store.Task, error) {
	at := normalize.Time(p.At)
	var t store.Task
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = queryTask(ctx, tx, `UPDATE tasks SET status = 'completed', outcome = $2, data = $3,
				completed_by = $4, completion_id = $5, completed_at = $6,
				assignee = COALESCE(assignee, $4), claimed_at = COALESCE(claimed_at, $6)
			WHERE id = $1 AND status = 'open' AND (assignee IS NULL OR assignee = $4)
			RETURNING `+taskCols,
			p.ID, p.Outcome, nullJSON(normalize.JSON(p.Data)), p.Actor, p.CompletionID, at)
		if errors.Is(err, pgx.ErrNoRows) {
			cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, p.ID)
			if err != nil {
				return err
			}
			t = cur
			return normalize.CompleteMiss(cur, p.CompletionID)
		}
		if err != nil {
			return err
		}
		if normalize.RecordsSpan(t) {
			if err := s.recordSpan(ctx, tx, normalize.TaskSpan(t, p.Span)); err != nil {
				return err
			}
		}
		if p.Audit != nil {
			return appendAudit(ctx, tx, *p.Audit)
		}
		return nil
	})
	if err != nil {
		return store.Task{}, mapErr("postgres: complete task", err)
	}
	return t, nil
}

// CancelTask closes an open task as cancelled and records its span.
func (s *Store) CancelTask(ctx context.Context, p store.CancelTaskParams) (store.Task, error) {
	at := normalize.Time(p.At)
	var t store.Task
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		t, err = s.cancelTask(ctx, tx, p.ID, at, p.Span)
		return err
	})
	if err != nil {
		return store.Task{}, mapErr("postgres: cancel task", err)
	}
	return t, nil
}

// cancelTask cancels open task id in tx and records its span (outcome
// cancelled unless span says otherwise); a closed task is left as it is.
// CancelTask and FailCase share it.
func (s *Store) cancelTask(ctx context.Context, tx pgx.Tx, id string, at time.Time, span store.Span) (store.Task, error) {
	t, err := queryTask(ctx, tx, `UPDATE tasks SET status = 'cancelled', completed_at = $2
		WHERE id = $1 AND status = 'open' RETURNING `+taskCols, id, at)
	if errors.Is(err, pgx.ErrNoRows) {
		return queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, id) // closed already: a no-op
	}
	if err != nil {
		return store.Task{}, err
	}
	if !normalize.RecordsSpan(t) {
		return t, nil
	}
	if span.Outcome == "" {
		span.Outcome = store.TaskCancelled
	}
	return t, s.recordSpan(ctx, tx, normalize.TaskSpan(t, span))
}

// EscalateTask raises the escalation level of an open task and moves it to
// p.Department when set. Moving it to another department clears its claim.
func (s *Store) EscalateTask(ctx context.Context, p store.EscalateTaskParams) (store.Task, error) {
	var t store.Task
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		before, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1 FOR UPDATE`, p.ID)
		if err != nil {
			return err
		}
		if before.Status != store.TaskOpen {
			return fmt.Errorf("task %s (%s) is closed: %w", p.ID, before.Status, store.ErrConflict)
		}
		// A level reached already (a retry, or a lower one) changes the
		// department only.
		fresh := before.EscalationLevel < p.Level
		moves := p.Department != "" && p.Department != before.Department
		release := moves || (fresh && (p.Assign == store.AssignPull || p.Assign == store.AssignTeamLead))
		t, err = queryTask(ctx, tx, `UPDATE tasks SET
				escalation_level = GREATEST(escalation_level, $2),
				department = CASE WHEN $3 <> '' THEN $3 ELSE department END,
				assignee = CASE WHEN $4 THEN NULL ELSE assignee END,
				assigned_at = CASE WHEN $4 THEN NULL ELSE assigned_at END,
				assign_rule = CASE WHEN $4 THEN '' ELSE assign_rule END,
				offer_due = CASE WHEN $4 THEN NULL ELSE offer_due END,
				assign_spec = CASE WHEN $5 THEN NULL ELSE assign_spec END
			WHERE id = $1 AND status = 'open'
			RETURNING `+taskCols, p.ID, p.Level, p.Department, release, moves || (fresh && p.Assign == store.AssignPull))
		if err != nil || !fresh || p.Assign != store.AssignTeamLead {
			return err
		}
		leads, err := queryPeople(ctx, tx, personSelect+` WHERE a.leads ? $2 ORDER BY a.id`, store.DefaultCapacity, t.Department)
		if err != nil {
			return err
		}
		lead := assign.Lead(assign.Of(leads), store.Available)
		if lead == "" {
			return nil // no lead at work: the task waits in the pool
		}
		at := normalize.Time(p.At)
		moved := 0
		if before.Assignee != "" {
			moved = 1
		}
		if t, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = $1, assigned_at = $2, assign_rule = $3, reassignments = reassignments + $4
			WHERE id = $5 RETURNING `+taskCols, lead, at, store.AssignTeamLead, moved, p.ID); err != nil {
			return err
		}
		return insertNotifications(ctx, tx, []store.Notification{assign.Notice(t, store.NotifyReassigned, before.Assignee, at)})
	})
	if errors.Is(err, pgx.ErrNoRows) {
		err = fmt.Errorf("task %s: %w", p.ID, store.ErrNotFound)
	}
	if err != nil {
		return store.Task{}, mapErr("postgres: escalate task", err)
	}
	return t, nil
}

// passOver is the passed_over list with the actor of parameter param
// added once.
func passOver(param string) string {
	return `(CASE WHEN passed_over ? ` + param + ` THEN passed_over ELSE passed_over || jsonb_build_array(` + param + `::text) END)`
}
