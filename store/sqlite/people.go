package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/assign"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// People and assignment (decision 0035). A person's row exists once their
// availability, capacity or skills were set or they were assigned a task;
// without one they have the defaults.

// personQuery reads a person with the defaults, and their load.
const personQuery = `SELECT a.id, COALESCE(p.availability, 'available'), COALESCE(p.capacity, ?), COALESCE(p.skills, '[]'),
	p.availability_at, p.last_assigned_at,
	(SELECT COUNT(*) FROM tasks t WHERE t.status = 'open' AND t.assignee = a.id)
	FROM actors a LEFT JOIN people p ON p.actor_id = a.id`

func scanPerson(r scanner) (store.Person, error) {
	var (
		p          store.Person
		skills     []byte
		availAt    sql.NullInt64
		lastAssign sql.NullInt64
	)
	if err := r.Scan(&p.ActorID, &p.Availability, &p.Capacity, &skills, &availAt, &lastAssign, &p.Load); err != nil {
		return store.Person{}, err
	}
	var err error
	if p.Skills, err = normalize.ParseStrings(skills); err != nil {
		return store.Person{}, fmt.Errorf("person %s skills: %w", p.ActorID, err)
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

// SetPerson changes the fields given of a person.
func (s *Store) SetPerson(ctx context.Context, p store.SetPersonParams) (store.Person, error) {
	var out store.Person
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanPerson(tx.QueryRowContext(ctx, personQuery+` WHERE a.id = ?`, store.DefaultCapacity, p.ActorID))
		if err != nil {
			return err
		}
		cur = cur.Apply(p)
		at := nanos(normalize.Time(p.At))
		if _, err := tx.ExecContext(ctx, `INSERT INTO people (actor_id, availability, capacity, skills, availability_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (actor_id) DO UPDATE SET availability = excluded.availability, capacity = excluded.capacity,
				skills = excluded.skills, availability_at = excluded.availability_at`,
			p.ActorID, cur.Availability, cur.Capacity, string(normalize.Strings(cur.Skills)), at); err != nil {
			return err
		}
		out, err = scanPerson(tx.QueryRowContext(ctx, personQuery+` WHERE a.id = ?`, store.DefaultCapacity, p.ActorID))
		return err
	})
	if err != nil {
		return store.Person{}, mapErr("sqlite: set person", err)
	}
	return out, nil
}

// AssignTask assigns a task by a rule; see store.Store. SQLite runs one
// write transaction at a time (BEGIN IMMEDIATE), so the loads read here
// cannot change before the update.
func (s *Store) AssignTask(ctx context.Context, p store.AssignTaskParams) (store.Task, bool, error) {
	var (
		out      store.Task
		assigned bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = ?`, p.TaskID)
		if err != nil {
			return err
		}
		out = t
		if t.Status != store.TaskOpen {
			return fmt.Errorf("task %s is %s: %w", t.ID, t.Status, store.ErrConflict)
		}
		if t.Assignee != "" {
			return nil
		}
		rows, err := tx.QueryContext(ctx, personQuery+` WHERE a.role IN ('staff', 'improver')
			AND EXISTS (SELECT 1 FROM json_each(a.departments) WHERE value = ?) ORDER BY a.id`, store.DefaultCapacity, t.Department)
		if err != nil {
			return err
		}
		people, err := collect(rows, scanPerson)
		if err != nil {
			return err
		}
		var cursor string
		if p.Rule == store.AssignRoundRobin {
			err := tx.QueryRowContext(ctx, `SELECT last_actor FROM assignment_cursors WHERE department = ?`, t.Department).Scan(&cursor)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		who := assign.Choose(p.Rule, assign.Of(people), store.Available, p.Skills, p.Prefer, cursor)
		if who == "" {
			return nil
		}
		at := nanos(normalize.Time(p.At))
		if out, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = ?, assigned_at = ?
			WHERE id = ? AND status = 'open' AND assignee IS NULL RETURNING `+taskCols, who, at, t.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO people (actor_id, availability_at, last_assigned_at) VALUES (?, ?, ?)
			ON CONFLICT (actor_id) DO UPDATE SET last_assigned_at = excluded.last_assigned_at`, who, at, at); err != nil {
			return err
		}
		if p.Rule == store.AssignRoundRobin {
			if _, err := tx.ExecContext(ctx, `INSERT INTO assignment_cursors (department, last_actor) VALUES (?, ?)
				ON CONFLICT (department) DO UPDATE SET last_actor = excluded.last_actor`, t.Department, who); err != nil {
				return err
			}
		}
		assigned = true
		return nil
	})
	if err != nil {
		return store.Task{}, false, mapErr("sqlite: assign task", err)
	}
	return out, assigned, nil
}
