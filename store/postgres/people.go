package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/assign"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// People and assignment (decisions 0035 and 0036); see the SQLite store
// for the rows. Every transaction that chooses people takes one
// transaction advisory lock (assignLock), so the loads it reads cannot
// change before it commits: a person who works in two departments is
// counted once, whichever department assigns.

// personSelect reads people with the defaults ($1 the default capacity)
// and their loads.
const personSelect = `SELECT a.id, a.name, a.role, a.departments, a.leads,
	COALESCE(p.availability, 'available'), COALESCE(p.capacity, $1), COALESCE(p.skills, '[]'::jsonb),
	COALESCE(p.email, ''), COALESCE(p.webhook_url, ''), COALESCE(p.notify_by, '[]'::jsonb),
	p.availability_at, p.last_assigned_at,
	(SELECT COUNT(*) FROM tasks t WHERE t.status = 'open' AND t.assignee = a.id)
	FROM actors a LEFT JOIN people p ON p.actor_id = a.id`

// assignLock serialises the transactions that choose people.
const assignLock = `SELECT pg_advisory_xact_lock(hashtextextended('flowlab-assign', 0))`

func scanPerson(r pgx.Row) (store.Person, error) {
	var (
		p                             store.Person
		deps, leads, skills, notifyBy []byte
		availAt, lastAssign           *time.Time
		load                          int64
	)
	if err := r.Scan(&p.ActorID, &p.Name, &p.Role, &deps, &leads, &p.Availability, &p.Capacity, &skills,
		&p.Email, &p.WebhookURL, &notifyBy, &availAt, &lastAssign, &load); err != nil {
		return store.Person{}, err
	}
	p.Load = int(load)
	var err error
	for _, l := range []struct {
		into *[]string
		b    []byte
	}{{&p.Departments, deps}, {&p.Leads, leads}, {&p.Skills, skills}, {&p.NotifyBy, notifyBy}} {
		if *l.into, err = normalize.ParseStrings(l.b); err != nil {
			return store.Person{}, fmt.Errorf("person %s: %w", p.ActorID, err)
		}
	}
	if availAt != nil {
		p.AvailabilityAt = utc(*availAt)
	}
	p.LastAssignedAt = utcPtr(lastAssign)
	return p, nil
}

// queryPeople runs a query of people rows.
func queryPeople(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) ([]store.Person, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Person, error) { return scanPerson(r) })
}

// queryTasks runs a query of task rows.
func queryTasks(ctx context.Context, q interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}, sql string, args ...any) ([]store.Task, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	xs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (taskRow, error) { return scanTask(r) })
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

// GetPerson returns a person's availability, capacity, skills and load.
func (s *Store) GetPerson(ctx context.Context, actorID string) (store.Person, error) {
	p, err := scanPerson(s.pool.QueryRow(ctx, personSelect+` WHERE a.id = $2`, store.DefaultCapacity, actorID))
	if err != nil {
		return store.Person{}, mapErr("postgres: get person", err)
	}
	return p, nil
}

// ListPeople lists the people of a department (everyone without one).
func (s *Store) ListPeople(ctx context.Context, p store.ListPeopleParams) ([]store.Person, error) {
	q, args := personSelect+` WHERE a.id > $2`, []any{store.DefaultCapacity, p.After}
	if p.Department != "" {
		q, args = q+` AND a.departments ? $3`, append(args, p.Department)
	}
	out, err := queryPeople(ctx, s.pool, q+fmt.Sprintf(` ORDER BY a.id LIMIT %d`, normalize.Limit(p.Limit, 100, 1000)), args...)
	if err != nil {
		return nil, mapErr("postgres: list people", err)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanPerson(tx.QueryRow(ctx, personSelect+` WHERE a.id = $2 FOR UPDATE OF a`, store.DefaultCapacity, p.ActorID))
		if err != nil {
			return err
		}
		next := cur.Apply(p)
		at := normalize.Time(p.At)
		availAt := cur.AvailabilityAt
		if cur.AvailabilityAt.IsZero() || next.Availability != cur.Availability {
			availAt = at
		}
		if _, err := tx.Exec(ctx, `INSERT INTO people (actor_id, availability, capacity, skills, email, webhook_url, notify_by, availability_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (actor_id) DO UPDATE SET availability = excluded.availability, capacity = excluded.capacity,
				skills = excluded.skills, email = excluded.email, webhook_url = excluded.webhook_url,
				notify_by = excluded.notify_by, availability_at = excluded.availability_at`,
			p.ActorID, next.Availability, next.Capacity, string(normalize.Strings(next.Skills)), next.Email, next.WebhookURL,
			string(normalize.Strings(next.NotifyBy)), availAt); err != nil {
			return err
		}
		if next.Availability != store.Available {
			if released, err = queryTasks(ctx, tx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
					passed_over = `+passOver("$1")+`
				WHERE status = 'open' AND assignee = $1 AND claimed_at IS NULL RETURNING `+taskCols, p.ActorID); err != nil {
				return err
			}
		}
		out, err = scanPerson(tx.QueryRow(ctx, personSelect+` WHERE a.id = $2`, store.DefaultCapacity, p.ActorID))
		return err
	})
	if err != nil {
		return store.Person{}, nil, mapErr("postgres: set person", err)
	}
	return out, released, nil
}

// departmentPeople takes the assignment lock and returns the candidates
// of a department and its round robin cursor.
func departmentPeople(ctx context.Context, tx pgx.Tx, department string) ([]assign.Candidate, string, error) {
	if _, err := tx.Exec(ctx, assignLock); err != nil {
		return nil, "", err
	}
	people, err := queryPeople(ctx, tx, personSelect+` WHERE a.role IN ('staff', 'improver') AND a.departments ? $2 ORDER BY a.id`,
		store.DefaultCapacity, department)
	if err != nil {
		return nil, "", err
	}
	var cursor string
	err = tx.QueryRow(ctx, `SELECT last_actor FROM assignment_cursors WHERE department = $1`, department).Scan(&cursor)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, "", err
	}
	return assign.Of(people), cursor, nil
}

// apply writes Plan's decisions: each task still open and unassigned is
// given to its person with a notification, the people's last assignment
// and the department's cursor are updated.
func apply(ctx context.Context, tx pgx.Tx, department string, ds []assign.Decision, cursor, before string, specs map[string]store.AssignSpec, at time.Time) ([]store.Task, error) {
	var out []store.Task
	for _, d := range ds {
		var offer *time.Time
		if w := specs[d.TaskID].AcceptWithin; w > 0 {
			due := at.Add(w)
			offer = &due
		}
		t, err := queryTask(ctx, tx, `UPDATE tasks SET assignee = $1, assigned_at = $2, assign_rule = $3, offer_due = $4
			WHERE id = $5 AND status = 'open' AND assignee IS NULL RETURNING `+taskCols, d.ActorID, at, d.Rule, offer, d.TaskID)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO people (actor_id, availability_at, last_assigned_at) VALUES ($1, $2, $2)
			ON CONFLICT (actor_id) DO UPDATE SET last_assigned_at = excluded.last_assigned_at`, d.ActorID, at); err != nil {
			return nil, err
		}
		if err := insertNotifications(ctx, tx, []store.Notification{assign.Notice(t, store.NotifyAssigned, "", at)}); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if cursor != before {
		if _, err := tx.Exec(ctx, `INSERT INTO assignment_cursors (department, last_actor) VALUES ($1, $2)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, assigned, err = assignTask(ctx, tx, p.TaskID, p.Spec, normalize.Time(p.At))
		return err
	})
	if err != nil {
		return store.Task{}, false, mapErr("postgres: assign task", err)
	}
	return out, assigned, nil
}

// assignTask assigns task id by spec in tx, for AssignTask and for
// OpenTask with a spec (the task inserted in tx): under the assignment
// lock it keeps the spec on the task, if it is still open and unassigned,
// and gives it to the person the rules choose, with a notification. It
// returns the task and whether it was assigned now (false: nobody is
// eligible, or it was assigned already: the task as it is); ErrConflict
// when the task is not open.
func assignTask(ctx context.Context, tx pgx.Tx, id string, spec store.AssignSpec, at time.Time) (store.Task, bool, error) {
	raw, err := json.Marshal(spec)
	if err != nil {
		return store.Task{}, false, err
	}
	// The task is read before the lock, without locking its row: a
	// transaction holding the lock may be waiting for that row.
	t, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, id)
	if err != nil {
		return store.Task{}, false, err
	}
	people, cursor, err := departmentPeople(ctx, tx, t.Department)
	if err != nil {
		return store.Task{}, false, err
	}
	t, err = queryTask(ctx, tx, `UPDATE tasks SET assign_spec = $1 WHERE id = $2 AND status = 'open' AND assignee IS NULL
		RETURNING `+taskCols, string(raw), id)
	if errors.Is(err, pgx.ErrNoRows) {
		cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, id)
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
	ds, next := assign.Plan([]assign.Waiting{{TaskID: t.ID, Spec: spec, PassedOver: t.PassedOver}}, people, store.Available, cursor, at)
	done, err := apply(ctx, tx, t.Department, ds, next, cursor, map[string]store.AssignSpec{t.ID: spec}, at)
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
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		people, cursor, err := departmentPeople(ctx, tx, p.Department)
		if err != nil {
			return err
		}
		if assign.Full(people, store.Available) {
			return nil
		}
		rows, err := tx.Query(ctx, `SELECT `+taskCols+`, assign_spec FROM tasks
			WHERE status = 'open' AND assignee IS NULL AND assign_spec IS NOT NULL AND department = $1
			ORDER BY sla_due NULLS LAST, opened_at, id LIMIT $2`, p.Department, normalize.Limit(p.Limit, 200, 1000))
		if err != nil {
			return err
		}
		var waiting []assign.Waiting
		specs := map[string]store.AssignSpec{}
		for rows.Next() {
			var (
				x    taskRow
				spec []byte
			)
			if err := rows.Scan(&x.id, &x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.stepName, &x.department,
				&x.roles, &x.outcomes, &x.form, &x.status, &x.assignee, &x.escalationLevel, &x.openedAt, &x.claimedAt,
				&x.completedAt, &x.slaDue, &x.outcome, &x.data, &x.completedBy, &x.completionID, &x.assignedAt,
				&x.assignRule, &x.offerDue, &x.reassignments, &x.passedOver, &spec); err != nil {
				rows.Close()
				return err
			}
			w := assign.Waiting{TaskID: x.id}
			if w.PassedOver, err = normalize.ParseStrings(x.passedOver); err == nil {
				err = json.Unmarshal(spec, &w.Spec)
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("task %s assignment: %w", x.id, err)
			}
			waiting = append(waiting, w)
			specs[x.id] = w.Spec
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		at := normalize.Time(p.At)
		ds, next := assign.Plan(waiting, people, store.Available, cursor, at)
		out, err = apply(ctx, tx, p.Department, ds, next, cursor, specs, at)
		return err
	})
	if err != nil {
		return nil, mapErr("postgres: assign waiting tasks", err)
	}
	return out, nil
}

// ExpireOffers returns offers not started in time to the pool.
func (s *Store) ExpireOffers(ctx context.Context, at time.Time, limit int) ([]store.Task, error) {
	out, err := queryTasks(ctx, s.pool, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL,
			passed_over = CASE WHEN passed_over ? assignee THEN passed_over ELSE passed_over || jsonb_build_array(assignee) END
		WHERE id IN (SELECT id FROM tasks WHERE status = 'open' AND offer_due IS NOT NULL AND offer_due <= $1
			AND claimed_at IS NULL AND assignee IS NOT NULL ORDER BY offer_due, id LIMIT $2 FOR UPDATE SKIP LOCKED)
		RETURNING `+taskCols, normalize.Time(at), normalize.Limit(limit, 200, 1000))
	if err != nil {
		return nil, mapErr("postgres: expire offers", err)
	}
	slices.SortFunc(out, func(a, b store.Task) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// ReassignTask gives an open task to p.To; see store.Store.
func (s *Store) ReassignTask(ctx context.Context, p store.ReassignTaskParams) (store.Task, error) {
	var out store.Task
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1 FOR UPDATE`, p.ID)
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
		if out, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = $1, assigned_at = $2, assign_rule = $3, offer_due = NULL,
				reassignments = reassignments + $4 WHERE id = $5 RETURNING `+taskCols,
			p.To, at, store.AssignManual, moved, p.ID); err != nil {
			return err
		}
		n := assign.Notice(out, store.NotifyReassigned, cur.Assignee, at)
		n.Details.By = p.By
		return insertNotifications(ctx, tx, []store.Notification{n})
	})
	if err != nil {
		return store.Task{}, mapErr("postgres: reassign task", err)
	}
	return out, nil
}

// WorkStats measures a department's tasks per person.
func (s *Store) WorkStats(ctx context.Context, p store.WorkStatsParams) ([]store.WorkStat, error) {
	q := `SELECT department, COALESCE(assignee, ''), status, opened_at, assigned_at, claimed_at, completed_at, reassignments
		FROM tasks WHERE opened_at >= $1 AND opened_at < $2`
	args := []any{normalize.Time(p.From), normalize.Time(p.To)}
	if p.Department != "" {
		q, args = q+` AND department = $3`, append(args, p.Department)
	}
	q += ` ORDER BY department, id`
	if p.MaxTasks > 0 {
		q += fmt.Sprintf(` LIMIT %d`, p.MaxTasks+1)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, mapErr("postgres: work stats", err)
	}
	defer rows.Close()
	var ws assign.Work
	for rows.Next() {
		var t assign.WorkTask
		if err := rows.Scan(&t.Department, &t.ActorID, &t.Status, &t.OpenedAt, &t.AssignedAt, &t.ClaimedAt, &t.CompletedAt, &t.Reassignments); err != nil {
			return nil, mapErr("postgres: work stats", err)
		}
		t.OpenedAt, t.AssignedAt, t.ClaimedAt, t.CompletedAt = utc(t.OpenedAt), utcPtr(t.AssignedAt), utcPtr(t.ClaimedAt), utcPtr(t.CompletedAt)
		if err := ws.Add(t, p.MaxTasks); err != nil {
			return nil, mapErr("postgres: work stats", err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr("postgres: work stats", err)
	}
	return ws.Stats(), nil
}

// WaitingDepartments are the departments with tasks waiting for a rule.
func (s *Store) WaitingDepartments(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT department FROM tasks
		WHERE status = 'open' AND assignee IS NULL AND assign_spec IS NOT NULL ORDER BY department`)
	if err != nil {
		return nil, mapErr("postgres: waiting departments", err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, mapErr("postgres: waiting departments", err)
	}
	return out, nil
}
