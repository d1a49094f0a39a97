package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

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
	openedAt                                                                                                    int64
	claimedAt, completedAt, slaDue, assignedAt, offerDue                                                        sql.NullInt64
}

func scanTask(r scanner) (taskRow, error) {
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
		OpenedAt: fromNanos(x.openedAt), ClaimedAt: fromNullNanos(x.claimedAt), CompletedAt: fromNullNanos(x.completedAt),
		SLADue: fromNullNanos(x.slaDue), Outcome: x.outcome, Data: normalize.Raw(x.data), CompletedBy: x.completedBy,
		CompletionID: x.completionID, AssignedAt: fromNullNanos(x.assignedAt), AssignRule: x.assignRule,
		OfferDue: fromNullNanos(x.offerDue), Reassignments: x.reassignments, PassedOver: passedOver,
	}, nil
}

// queryTask runs a query returning at most one task row.
func queryTask(ctx context.Context, q querier, query string, args ...any) (store.Task, error) {
	x, err := scanTask(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return store.Task{}, err
	}
	return taskFromInternal(x, nil)
}

// OpenTask inserts a task, idempotently on (CaseID, Seq); with p.Assign
// it assigns the task in the same transaction (see assignTask).
func (s *Store) OpenTask(ctx context.Context, p store.OpenTaskParams) (store.Task, error) {
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var id string
		err := tx.QueryRowContext(ctx, `INSERT INTO tasks (id, case_id, seq, flow, version, variant, step, step_name,
				department, roles, outcomes, form, status, opened_at, sla_due)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)
			ON CONFLICT (case_id, seq) DO NOTHING RETURNING id`,
			normalize.ID(p.ID), p.CaseID, p.Seq, p.Flow, p.Version, p.Variant, p.Step, p.StepName, p.Department,
			string(normalize.Strings(p.Roles)), string(normalize.Strings(p.Outcomes)), nullJSON(normalize.JSON(p.Form)),
			nanos(normalize.Time(p.OpenedAt)), nullNanos(p.SLADue)).Scan(&id)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			// A repeat: the task as it is (assigned by the first opening,
			// or waiting in the pool with its spec).
		case err != nil:
			return err
		case p.Assign != nil:
			t, _, err = s.assignTask(ctx, tx, id, *p.Assign, normalize.Time(p.OpenedAt))
			return err
		}
		t, err = queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE case_id = ? AND seq = ?`, p.CaseID, p.Seq)
		return err
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: open task", err)
	}
	return t, nil
}

// GetTask returns a task by id.
func (s *Store) GetTask(ctx context.Context, id string) (store.Task, error) {
	t, err := queryTask(ctx, s.db, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id)
	if err != nil {
		return store.Task{}, mapErr("sqlite: get task", err)
	}
	return t, nil
}

// ListTasks lists tasks by SLA due time (nulls last), opened time and id,
// from after p.After when it is set.
func (s *Store) ListTasks(ctx context.Context, p store.ListTasksParams) ([]store.Task, error) {
	var (
		where []string
		args  []any
	)
	switch {
	case p.Department != "":
		where, args = append(where, "department = ?"), append(args, p.Department)
	case len(p.Departments) > 0:
		where = append(where, "department IN (?"+strings.Repeat(", ?", len(p.Departments)-1)+")")
		for _, d := range p.Departments {
			args = append(args, d)
		}
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	switch {
	case p.Unclaimed:
		where = append(where, "assignee IS NULL")
	case p.Assignee != "":
		where, args = append(where, "assignee = ?"), append(args, p.Assignee)
	}
	if p.CaseID != "" {
		where, args = append(where, "case_id = ?"), append(args, p.CaseID)
	}
	if p.From != nil {
		where, args = append(where, "opened_at >= ?"), append(args, nanos(*p.From))
	}
	if p.To != nil {
		where, args = append(where, "opened_at < ?"), append(args, nanos(*p.To))
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (sla_due NULLS LAST, opened_at, id)
		// order. opened_at and id are never NULL, so the row comparison
		// is exact for tasks with an SLA; those without sort after all
		// of them.
		if c.SLADue != nil {
			where = append(where, "((sla_due, opened_at, id) > (?, ?, ?) OR sla_due IS NULL)")
			args = append(args, nanos(*c.SLADue), nanos(c.OpenedAt), c.ID)
		} else {
			// The unary + keeps SQLite from taking "sla_due IS NULL" as an
			// index constraint, which would make it sort instead of reading
			// tasks_list_idx in order.
			where = append(where, "+sla_due IS NULL AND (opened_at, id) > (?, ?)")
			args = append(args, nanos(c.OpenedAt), c.ID)
		}
	}
	query := `SELECT ` + taskCols + ` FROM tasks`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY sla_due IS NULL, sla_due, opened_at, id LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.TaskLimitDefault, normalize.TaskLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list tasks", err)
	}
	lists := normalize.StringLists{}
	out, err := collect(rows, func(r scanner) (store.Task, error) {
		x, err := scanTask(r)
		if err != nil {
			return store.Task{}, err
		}
		return taskFromInternal(x, lists)
	})
	if err != nil {
		return nil, mapErr("sqlite: list tasks", err)
	}
	return out, nil
}

// ClaimTask assigns an open task to p.Actor; see store.Store.
func (s *Store) ClaimTask(ctx context.Context, p store.ClaimTaskParams) (store.Task, error) {
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = ?2, claimed_at = COALESCE(claimed_at, ?3), offer_due = NULL
			WHERE id = ?1 AND status = 'open' AND (assignee IS NULL OR assignee = ?2)
			RETURNING `+taskCols, p.ID, p.Actor, nanos(normalize.Time(p.At)))
		if errors.Is(err, sql.ErrNoRows) {
			return explain(ctx, tx, p.ID, "not open or claimed by another actor")
		}
		return err
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: claim task", err)
	}
	return t, nil
}

// UnclaimTask clears the assignee of an open task; see store.Store.
func (s *Store) UnclaimTask(ctx context.Context, p store.UnclaimTaskParams) (store.Task, error) {
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
				passed_over = CASE WHEN assignee = ?2 THEN (SELECT json_group_array(value) FROM
					(SELECT value FROM json_each(tasks.passed_over) UNION SELECT ?2)) ELSE passed_over END
			WHERE id = ?1 AND status = 'open' AND (assignee IS NULL OR assignee = ?2 OR ?3)
			RETURNING `+taskCols, p.ID, p.Actor, p.Force)
		if errors.Is(err, sql.ErrNoRows) {
			return explain(ctx, tx, p.ID, "not open or claimed by another actor")
		}
		return err
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: unclaim task", err)
	}
	return t, nil
}

// explain tells why a conditional update of task id matched no row: the
// task does not exist (no rows, mapped to ErrNotFound by mapErr) or its
// state forbids the change (ErrConflict).
func explain(ctx context.Context, q querier, id, why string) error {
	var status string
	if err := q.QueryRowContext(ctx, `SELECT status FROM tasks WHERE id = ?`, id).Scan(&status); err != nil {
		return err
	}
	return fmt.Errorf("task %s (%s) %s: %w", id, status, why, store.ErrConflict)
}

// CompleteTask closes an open task and records its span in one transaction.
func (s *Store) CompleteTask(ctx context.Context, p store.CompleteTaskParams) (store.Task, error) {
	at := nanos(normalize.Time(p.At))
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = queryTask(ctx, tx, `UPDATE tasks SET status = 'completed', outcome = ?2, data = ?3,
				completed_by = ?4, completion_id = ?5, completed_at = ?6,
				assignee = COALESCE(assignee, ?4), claimed_at = COALESCE(claimed_at, ?6)
			WHERE id = ?1 AND status = 'open' AND (assignee IS NULL OR assignee = ?4)
			RETURNING `+taskCols,
			p.ID, p.Outcome, nullJSON(normalize.JSON(p.Data)), p.Actor, p.CompletionID, at)
		if errors.Is(err, sql.ErrNoRows) {
			cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, p.ID)
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
		return store.Task{}, mapErr("sqlite: complete task", err)
	}
	return t, nil
}

// CancelTask closes an open task as cancelled and records its span.
func (s *Store) CancelTask(ctx context.Context, p store.CancelTaskParams) (store.Task, error) {
	at := nanos(normalize.Time(p.At))
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		t, err = s.cancelTask(ctx, tx, p.ID, at, p.Span)
		return err
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: cancel task", err)
	}
	return t, nil
}

// cancelTask cancels open task id in tx (at in nanoseconds) and records its
// span (outcome cancelled unless span says otherwise); a closed task is
// left as it is. CancelTask and FailCase share it.
func (s *Store) cancelTask(ctx context.Context, tx *sql.Tx, id string, at int64, span store.Span) (store.Task, error) {
	t, err := queryTask(ctx, tx, `UPDATE tasks SET status = 'cancelled', completed_at = ?2
		WHERE id = ?1 AND status = 'open' RETURNING `+taskCols, id, at)
	if errors.Is(err, sql.ErrNoRows) {
		return queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id) // closed already: a no-op
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
// p.Department when set. Moving it to another department clears its claim
// and its assignment spec (it waits in the new department's pool); Assign
// gives it to a team lead or back to the pool.
func (s *Store) EscalateTask(ctx context.Context, p store.EscalateTaskParams) (store.Task, error) {
	var t store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		before, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, p.ID)
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
				escalation_level = MAX(escalation_level, ?2),
				department = CASE WHEN ?3 <> '' THEN ?3 ELSE department END,
				assignee = CASE WHEN ?4 THEN NULL ELSE assignee END,
				assigned_at = CASE WHEN ?4 THEN NULL ELSE assigned_at END,
				assign_rule = CASE WHEN ?4 THEN '' ELSE assign_rule END,
				offer_due = CASE WHEN ?4 THEN NULL ELSE offer_due END,
				assign_spec = CASE WHEN ?5 THEN NULL ELSE assign_spec END
			WHERE id = ?1 AND status = 'open'
			RETURNING `+taskCols, p.ID, p.Level, p.Department, release, moves || (fresh && p.Assign == store.AssignPull))
		if err != nil || !fresh || p.Assign != store.AssignTeamLead {
			return err
		}
		rows, err := tx.QueryContext(ctx, personQuery+` WHERE EXISTS (SELECT 1 FROM json_each(a.leads) WHERE value = ?) ORDER BY a.id`,
			store.DefaultCapacity, t.Department)
		if err != nil {
			return err
		}
		leads, err := collect(rows, scanPerson)
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
		if t, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = ?, assigned_at = ?, assign_rule = ?, reassignments = reassignments + ?
			WHERE id = ? RETURNING `+taskCols, lead, nanos(at), store.AssignTeamLead, moved, p.ID); err != nil {
			return err
		}
		return insertNotifications(ctx, tx, []store.Notification{assign.Notice(t, store.NotifyReassigned, before.Assignee, at)})
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: escalate task", err)
	}
	return t, nil
}
