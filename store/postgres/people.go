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

// People and assignment (decision 0035); see the SQLite store for the
// rows. Assignments of one department are serialised by a transaction
// advisory lock on the department, so the loads read cannot change before
// the update commits.

// personSelect reads people with the defaults ($1 the default capacity)
// and their loads.
const personSelect = `SELECT a.id, COALESCE(p.availability, 'available'), COALESCE(p.capacity, $1), COALESCE(p.skills, '[]'::jsonb),
	p.availability_at, p.last_assigned_at,
	(SELECT COUNT(*) FROM tasks t WHERE t.status = 'open' AND t.assignee = a.id)
	FROM actors a LEFT JOIN people p ON p.actor_id = a.id`

func scanPerson(r pgx.Row) (store.Person, error) {
	var (
		p          store.Person
		skills     []byte
		availAt    *time.Time
		lastAssign *time.Time
		load       int64
	)
	if err := r.Scan(&p.ActorID, &p.Availability, &p.Capacity, &skills, &availAt, &lastAssign, &load); err != nil {
		return store.Person{}, err
	}
	p.Load = int(load)
	var err error
	if p.Skills, err = normalize.ParseStrings(skills); err != nil {
		return store.Person{}, fmt.Errorf("person %s skills: %w", p.ActorID, err)
	}
	if availAt != nil {
		p.AvailabilityAt = utc(*availAt)
	}
	p.LastAssignedAt = utcPtr(lastAssign)
	return p, nil
}

// GetPerson returns a person's availability, capacity, skills and load.
func (s *Store) GetPerson(ctx context.Context, actorID string) (store.Person, error) {
	p, err := scanPerson(s.pool.QueryRow(ctx, personSelect+` WHERE a.id = $2`, store.DefaultCapacity, actorID))
	if err != nil {
		return store.Person{}, mapErr("postgres: get person", err)
	}
	return p, nil
}

// SetPerson changes the fields given of a person.
func (s *Store) SetPerson(ctx context.Context, p store.SetPersonParams) (store.Person, error) {
	var out store.Person
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanPerson(tx.QueryRow(ctx, personSelect+` WHERE a.id = $2 FOR UPDATE OF a`, store.DefaultCapacity, p.ActorID))
		if err != nil {
			return err
		}
		cur = cur.Apply(p)
		if _, err := tx.Exec(ctx, `INSERT INTO people (actor_id, availability, capacity, skills, availability_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (actor_id) DO UPDATE SET availability = excluded.availability, capacity = excluded.capacity,
				skills = excluded.skills, availability_at = excluded.availability_at`,
			p.ActorID, cur.Availability, cur.Capacity, string(normalize.Strings(cur.Skills)), normalize.Time(p.At)); err != nil {
			return err
		}
		out, err = scanPerson(tx.QueryRow(ctx, personSelect+` WHERE a.id = $2`, store.DefaultCapacity, p.ActorID))
		return err
	})
	if err != nil {
		return store.Person{}, mapErr("postgres: set person", err)
	}
	return out, nil
}

// AssignTask assigns a task by a rule; see store.Store.
func (s *Store) AssignTask(ctx context.Context, p store.AssignTaskParams) (store.Task, bool, error) {
	var (
		out      store.Task
		assigned bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		t, err := queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1`, p.TaskID)
		if err != nil {
			return err
		}
		// One assignment of the department at a time: the loads below
		// hold until this transaction ends.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('flowlab-assign:' || $1, 0))`, t.Department); err != nil {
			return err
		}
		if t, err = queryTask(ctx, tx, `SELECT `+taskCols+` FROM tasks WHERE id = $1 FOR UPDATE`, p.TaskID); err != nil {
			return err
		}
		out = t
		if t.Status != store.TaskOpen {
			return fmt.Errorf("task %s is %s: %w", t.ID, t.Status, store.ErrConflict)
		}
		if t.Assignee != "" {
			return nil
		}
		rows, err := tx.Query(ctx, personSelect+` WHERE a.role IN ('staff', 'improver') AND a.departments ? $2 ORDER BY a.id`,
			store.DefaultCapacity, t.Department)
		if err != nil {
			return err
		}
		var people []store.Person
		for rows.Next() {
			pr, err := scanPerson(rows)
			if err != nil {
				rows.Close()
				return err
			}
			people = append(people, pr)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var cursor string
		if p.Rule == store.AssignRoundRobin {
			err := tx.QueryRow(ctx, `SELECT last_actor FROM assignment_cursors WHERE department = $1`, t.Department).Scan(&cursor)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		who := assign.Choose(p.Rule, assign.Of(people), store.Available, p.Skills, p.Prefer, cursor)
		if who == "" {
			return nil
		}
		at := normalize.Time(p.At)
		if out, err = queryTask(ctx, tx, `UPDATE tasks SET assignee = $1, assigned_at = $2
			WHERE id = $3 AND status = 'open' AND assignee IS NULL RETURNING `+taskCols, who, at, t.ID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO people (actor_id, availability_at, last_assigned_at) VALUES ($1, $2, $2)
			ON CONFLICT (actor_id) DO UPDATE SET last_assigned_at = excluded.last_assigned_at`, who, at); err != nil {
			return err
		}
		if p.Rule == store.AssignRoundRobin {
			if _, err := tx.Exec(ctx, `INSERT INTO assignment_cursors (department, last_actor) VALUES ($1, $2)
				ON CONFLICT (department) DO UPDATE SET last_actor = excluded.last_actor`, t.Department, who); err != nil {
				return err
			}
		}
		assigned = true
		return nil
	})
	if err != nil {
		return store.Task{}, false, mapErr("postgres: assign task", err)
	}
	return out, assigned, nil
}
