package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/assign"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// People and assignment (decisions 0035 and 0036). A person's row exists
// once their availability, capacity, skills or notification preferences
// were set or they were assigned a task; without one they have the
// defaults. Every assignment runs in a write transaction, and SQLite runs
// one at a time (BEGIN IMMEDIATE), so the loads read in it cannot change
// before its updates.

// personQuery reads a person with the defaults, and their load.
const personQuery = `SELECT a.id, a.name, a.role, a.departments, a.leads,
	COALESCE(p.availability, 'available'), COALESCE(p.capacity, ?), COALESCE(p.skills, '[]'),
	COALESCE(p.email, ''), COALESCE(p.webhook_url, ''), COALESCE(p.notify_by, '[]'),
	p.availability_at, p.last_assigned_at,
	(SELECT COUNT(*) FROM tasks t WHERE t.status = 'open' AND t.assignee = a.id)
	FROM actors a LEFT JOIN people p ON p.actor_id = a.id`

// inDepartment is the condition that actor a works in department ?.
const inDepartment = `EXISTS (SELECT 1 FROM json_each(a.departments) WHERE value = ?)`

func scanPerson(r scanner) (store.Person, error) {
	var (
		p                             store.Person
		deps, leads, skills, notifyBy []byte
		availAt, lastAssign           sql.NullInt64
	)
	if err := r.Scan(&p.ActorID, &p.Name, &p.Role, &deps, &leads, &p.Availability, &p.Capacity, &skills,
		&p.Email, &p.WebhookURL, &notifyBy, &availAt, &lastAssign, &p.Load); err != nil {
		return store.Person{}, err
	}
	var err error
	for _, l := range []struct {
		into *[]string
		b    []byte
	}{{&p.Departments, deps}, {&p.Leads, leads}, {&p.Skills, skills}, {&p.NotifyBy, notifyBy}} {
		if *l.into, err = normalize.ParseStrings(l.b); err != nil {
			return store.Person{}, fmt.Errorf("person %s: %w", p.ActorID, err)
		}
	}
	if availAt.Valid {
		p.AvailabilityAt = fromNanos(availAt.Int64)
	}
	p.LastAssignedAt = fromNullNanos(lastAssign)
	return p, nil
}

// GetPerson returns a person's availability, capacity, skills and load.
func (s *Store) GetPerson(ctx context.Context, actorID string) (store.Person, error) {
	p, err := scanPerson(s.db.QueryRowContext(ctx, personQuery+` WHERE a.id = ?`, store.DefaultCapacity, actorID))
	if err != nil {
		return store.Person{}, mapErr("sqlite: get person", err)
	}
	return p, nil
}

// ListPeople lists the people of a department (everyone without one).
func (s *Store) ListPeople(ctx context.Context, p store.ListPeopleParams) ([]store.Person, error) {
	q, args := personQuery+` WHERE a.id > ?`, []any{store.DefaultCapacity, p.After}
	if p.Department != "" {
		q, args = q+` AND `+inDepartment, append(args, p.Department)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY a.id LIMIT ?`, append(args, normalize.Limit(p.Limit, 100, 1000))...)
	if err != nil {
		return nil, mapErr("sqlite: list people", err)
	}
	out, err := collect(rows, scanPerson)
	if err != nil {
		return nil, mapErr("sqlite: list people", err)
	}
	return out, nil
}

// SetPerson changes the fields given of a person; one who becomes away or
// offline gives back the tasks assigned to them and not started.
func (s *Store) SetPerson(ctx context.Context, p store.SetPersonParams) (store.Person, []store.Task, error) {
	var (
		out      store.Person
		released []store.Task
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPerson(tx.QueryRowContext(ctx, personQuery+` WHERE a.id = ?`, store.DefaultCapacity, p.ActorID))
		if err != nil {
			return err
		}
		next := cur.Apply(p)
		at := nanos(normalize.Time(p.At))
		availAt := nanos(cur.AvailabilityAt)
		if cur.AvailabilityAt.IsZero() || next.Availability != cur.Availability {
			availAt = at
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO people (actor_id, availability, capacity, skills, email, webhook_url, notify_by, availability_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (actor_id) DO UPDATE SET availability = excluded.availability, capacity = excluded.capacity,
				skills = excluded.skills, email = excluded.email, webhook_url = excluded.webhook_url,
				notify_by = excluded.notify_by, availability_at = excluded.availability_at`,
			p.ActorID, next.Availability, next.Capacity, string(normalize.Strings(next.Skills)), next.Email, next.WebhookURL,
			string(normalize.Strings(next.NotifyBy)), availAt); err != nil {
			return err
		}
		if next.Availability != store.Available {
			rows, err := tx.QueryContext(ctx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
					passed_over = (SELECT json_group_array(value) FROM (SELECT value FROM json_each(tasks.passed_over) UNION SELECT ?1))
				WHERE status = 'open' AND assignee = ?1 AND claimed_at IS NULL RETURNING `+taskCols, p.ActorID)
			if err != nil {
				return err
			}
			if released, err = collectTasks(rows); err != nil {
				return err
			}
		}
		out, err = scanPerson(tx.QueryRowContext(ctx, personQuery+` WHERE a.id = ?`, store.DefaultCapacity, p.ActorID))
		return err
	})
	if err != nil {
		return store.Person{}, nil, mapErr("sqlite: set person", err)
	}
	return out, released, nil
}

// collectTasks reads task rows.
func collectTasks(rows *sql.Rows) ([]store.Task, error) {
	xs, err := collect(rows, scanTask)
	if err != nil {
		return nil, err
	}
	out := make([]store.Task, 0, len(xs))
	for _, x := range xs {
		t, err := taskFromInternal(x, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// departmentPeople are the candidates of a department, and its round
// robin cursor.
func departmentPeople(ctx context.Context, tx *sql.Tx, department string) ([]assign.Candidate, string, error) {
	rows, err := tx.QueryContext(ctx, personQuery+` WHERE a.role IN ('staff', 'improver') AND `+inDepartment+` ORDER BY a.id`,
		store.DefaultCapacity, department)
	if err != nil {
		return nil, "", err
	}
	people, err := collect(rows, scanPerson)
	if err != nil {
		return nil, "", err
	}
	var cursor string
	err = tx.QueryRowContext(ctx, `SELECT last_actor FROM assignment_cursors WHERE department = ?`, department).Scan(&cursor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, "", err
	}
	return assign.Of(people), cursor, nil
}

// waitingOf reads a task's spec for Plan.
func waitingOf(t store.Task, spec []byte) (assign.Waiting, error) {
	w := assign.Waiting{TaskID: t.ID, PassedOver: t.PassedOver}
	if len(spec) > 0 {
		if err := json.Unmarshal(spec, &w.Spec); err != nil {
			return w, fmt.Errorf("task %s assignment: %w", t.ID, err)
		}
	}
	return w, nil
}

// apply writes Plan's decisions: each task still open and unassigned is
// given to its person with a notification, the people's last assignment
// and the department's cursor are updated.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, department string, ds []assign.Decision, cursor, before string, specs map[string]store.AssignSpec, at time.Time) ([]store.Task, error) {
	var out []store.Task
	n := nanos(at)
	for _, d := range ds {
		var offer any
		if w := specs[d.TaskID].AcceptWithin; w > 0 {
			offer = nanos(at.Add(w))
		}
		t, err := queryTask(ctx, tx, `UPDATE tasks SET assignee = ?, assigned_at = ?, assign_rule = ?, offer_due = ?
			WHERE id = ? AND status = 'open' AND assignee IS NULL RETURNING `+taskCols, d.ActorID, n, d.Rule, offer, d.TaskID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO people (actor_id, availability_at, last_assigned_at) VALUES (?, ?, ?)
			ON CONFLICT (actor_id) DO UPDATE SET last_assigned_at = excluded.last_assigned_at`, d.ActorID, n, n); err != nil {
			return nil, err
		}
		if err := insertNotifications(ctx, tx, []store.Notification{assign.Notice(t, store.NotifyAssigned, "", at)}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if cursor != before {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assignment_cursors (department, last_actor) VALUES (?, ?)
			ON CONFLICT (department) DO UPDATE SET last_actor = excluded.last_actor`, department, cursor); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// AssignTask assigns a task by its spec; see store.Store.
func (s *Store) AssignTask(ctx context.Context, p store.AssignTaskParams) (store.Task, bool, error) {
	var (
		out      store.Task
		assigned bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, assigned, err = s.assignTask(ctx, tx, p.TaskID, p.Spec, normalize.Time(p.At))
		return err
	})
	if err != nil {
		return store.Task{}, false, mapErr("sqlite: assign task", err)
	}
	return out, assigned, nil
}

// assignTask assigns task id by spec in tx, for AssignTask and for
// OpenTask with a spec (the task inserted in tx): it keeps the spec on the
// task, if it is still open and unassigned, and gives it to the person the
// rules choose, with a notification (the write transaction is the only
// one: nothing interleaves). It returns the task and whether it was
// assigned now (false: nobody is eligible, or it was assigned already: the
// task as it is); ErrConflict when the task is not open.
func (s *Store) assignTask(ctx context.Context, tx *sql.Tx, id string, spec store.AssignSpec, at time.Time) (store.Task, bool, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return store.Task{}, false, err
	}
	t, err := queryTask(ctx, tx, `UPDATE tasks SET assign_spec = ? WHERE id = ? AND status = 'open' AND assignee IS NULL
		RETURNING `+taskCols, string(raw), id)
	if errors.Is(err, sql.ErrNoRows) {
		cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, id)
		if err != nil {
			return store.Task{}, false, err
		}
		if cur.Status != store.TaskOpen {
			return store.Task{}, false, fmt.Errorf("task %s is %s: %w", cur.ID, cur.Status, store.ErrConflict)
		}
		return cur, false, nil // assigned already
	}
	if err != nil {
		return store.Task{}, false, err
	}
	people, cursor, err := departmentPeople(ctx, tx, t.Department)
	if err != nil {
		return store.Task{}, false, err
	}
	ds, next := assign.Plan([]assign.Waiting{{TaskID: t.ID, Spec: spec, PassedOver: t.PassedOver}}, people, store.Available, cursor, at)
	done, err := s.apply(ctx, tx, t.Department, ds, next, cursor, map[string]store.AssignSpec{t.ID: spec}, at)
	if err != nil {
		return store.Task{}, false, err
	}
	if len(done) == 1 {
		return done[0], true, nil
	}
	return t, false, nil
}

// AssignWaiting assigns a department's waiting tasks in SLA order.
func (s *Store) AssignWaiting(ctx context.Context, p store.AssignWaitingParams) ([]store.Task, error) {
	var out []store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		people, cursor, err := departmentPeople(ctx, tx, p.Department)
		if err != nil {
			return err
		}
		if assign.Full(people, store.Available) {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+taskCols+`, assign_spec FROM tasks
			WHERE status = 'open' AND assignee IS NULL AND assign_spec IS NOT NULL AND department = ?
			ORDER BY sla_due IS NULL, sla_due, opened_at, id LIMIT ?`, p.Department, normalize.Limit(p.Limit, 200, 1000))
		if err != nil {
			return err
		}
		waiting, specs, err := collectWaiting(rows)
		if err != nil {
			return err
		}
		at := normalize.Time(p.At)
		ds, next := assign.Plan(waiting, people, store.Available, cursor, at)
		out, err = s.apply(ctx, tx, p.Department, ds, next, cursor, specs, at)
		return err
	})
	if err != nil {
		return nil, mapErr("sqlite: assign waiting tasks", err)
	}
	return out, nil
}

// collectWaiting reads task rows followed by their spec.
func collectWaiting(rows *sql.Rows) ([]assign.Waiting, map[string]store.AssignSpec, error) {
	defer rows.Close()
	var out []assign.Waiting
	specs := map[string]store.AssignSpec{}
	for rows.Next() {
		var (
			x    taskRow
			spec []byte
		)
		err := rows.Scan(&x.id, &x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.stepName, &x.department,
			&x.roles, &x.outcomes, &x.form, &x.status, &x.assignee, &x.escalationLevel, &x.openedAt, &x.claimedAt,
			&x.completedAt, &x.slaDue, &x.outcome, &x.data, &x.completedBy, &x.completionID, &x.assignedAt,
			&x.assignRule, &x.offerDue, &x.reassignments, &x.passedOver, &spec)
		if err != nil {
			return nil, nil, err
		}
		t, err := taskFromInternal(x, nil)
		if err != nil {
			return nil, nil, err
		}
		w, err := waitingOf(t, spec)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, w)
		specs[t.ID] = w.Spec
	}
	return out, specs, rows.Err()
}

// ExpireOffers returns offers not started in time to the pool.
func (s *Store) ExpireOffers(ctx context.Context, at time.Time, limit int) ([]store.Task, error) {
	var out []store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
				passed_over = (SELECT json_group_array(value) FROM (SELECT value FROM json_each(tasks.passed_over) UNION SELECT tasks.assignee))
			WHERE id IN (SELECT id FROM tasks WHERE status = 'open' AND offer_due IS NOT NULL AND offer_due <= ?
				AND claimed_at IS NULL AND assignee IS NOT NULL ORDER BY offer_due, id LIMIT ?)
			RETURNING `+taskCols, nanos(normalize.Time(at)), normalize.Limit(limit, 200, 1000))
		if err != nil {
			return err
		}
		out, err = collectTasks(rows)
		return err
	})
	if err != nil {
		return nil, mapErr("sqlite: expire offers", err)
	}
	slices.SortFunc(out, func(a, b store.Task) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReassignTask gives an open task to p.To; see store.Store.
func (s *Store) ReassignTask(ctx context.Context, p store.ReassignTaskParams) (store.Task, error) {
	var out store.Task
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, p.ID)
		if err != nil {
			return err
		}
		if cur.Status != store.TaskOpen {
			return fmt.Errorf("task %s is %s: %w", cur.ID, cur.Status, store.ErrConflict)
		}
		if cur.Assignee == p.To {
			out = cur
			return nil
		}
		at := normalize.Time(p.At)
		moved := 0
		if cur.Assignee != "" {
			moved = 1
		}
		if out, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = ?, assigned_at = ?, assign_rule = ?, offer_due = NULL,
				reassignments = reassignments + ? WHERE id = ? AND status = 'open' RETURNING `+taskCols,
			p.To, nanos(at), store.AssignManual, moved, p.ID); err != nil {
			return err
		}
		n := assign.Notice(out, store.NotifyReassigned, cur.Assignee, at)
		n.Details.By = p.By
		return insertNotifications(ctx, tx, []store.Notification{n})
	})
	if err != nil {
		return store.Task{}, mapErr("sqlite: reassign task", err)
	}
	return out, nil
}

// WorkStats measures a department's tasks per person.
func (s *Store) WorkStats(ctx context.Context, p store.WorkStatsParams) ([]store.WorkStat, error) {
	q := `SELECT department, COALESCE(assignee, ''), status, opened_at, assigned_at, claimed_at, completed_at, reassignments
		FROM tasks WHERE opened_at >= ? AND opened_at < ?`
	args := []any{nanos(normalize.Time(p.From)), nanos(normalize.Time(p.To))}
	if p.Department != "" {
		q, args = q+` AND department = ?`, append(args, p.Department)
	}
	q += ` ORDER BY department, id`
	if p.MaxTasks > 0 {
		q, args = q+` LIMIT ?`, append(args, p.MaxTasks+1)
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr("sqlite: work stats", err)
	}
	defer rows.Close()
	var ws assign.Work
	for rows.Next() {
		var (
			t                            assign.WorkTask
			opened                       int64
			assigned, claimed, completed sql.NullInt64
		)
		if err := rows.Scan(&t.Department, &t.ActorID, &t.Status, &opened, &assigned, &claimed, &completed, &t.Reassignments); err != nil {
			return nil, mapErr("sqlite: work stats", err)
		}
		t.OpenedAt, t.AssignedAt, t.ClaimedAt, t.CompletedAt = fromNanos(opened), fromNullNanos(assigned), fromNullNanos(claimed), fromNullNanos(completed)
		if err := ws.Add(t, p.MaxTasks); err != nil {
			return nil, mapErr("sqlite: work stats", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("sqlite: work stats", err)
	}
	return ws.Stats(), nil
}

// WaitingDepartments are the departments with tasks waiting for a rule.
func (s *Store) WaitingDepartments(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT DISTINCT department FROM tasks
		WHERE status = 'open' AND assignee IS NULL AND assign_spec IS NOT NULL ORDER BY department`)
	if err != nil {
		return nil, mapErr("sqlite: waiting departments", err)
	}
	out, err := collect(rows, func(r scanner) (string, error) {
		var d string
		return d, r.Scan(&d)
	})
	return out, mapErr("sqlite: waiting departments", err)
}
