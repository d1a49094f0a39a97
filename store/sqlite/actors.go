package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const actorCols = `a.id, a.name, a.role, a.departments, a.leads, a.created_at`

// actorRow is a scanned actors row.
type actorRow struct {
	id, name, role string
	departments    []byte
	leads          []byte
	createdAt      int64
}

func scanActor(r scanner) (store.Actor, error) {
	var x actorRow
	if err := r.Scan(&x.id, &x.name, &x.role, &x.departments, &x.leads, &x.createdAt); err != nil {
		return store.Actor{}, err
	}
	return actorFromInternal(x)
}

func actorFromInternal(x actorRow) (store.Actor, error) {
	depts, err := normalize.ParseStrings(x.departments)
	if err != nil {
		return store.Actor{}, fmt.Errorf("actor %s departments: %w", x.id, err)
	}
	leads, err := normalize.ParseStrings(x.leads)
	if err != nil {
		return store.Actor{}, fmt.Errorf("actor %s leads: %w", x.id, err)
	}
	return store.Actor{ID: x.id, Name: x.name, Role: x.role, Departments: depts, Leads: leads, CreatedAt: fromNanos(x.createdAt)}, nil
}

// CreateActor inserts an actor; an existing id is ErrConflict.
func (s *Store) CreateActor(ctx context.Context, p store.CreateActorParams) (store.Actor, error) {
	var a store.Actor
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		a, err = scanActor(tx.QueryRowContext(ctx, `INSERT INTO actors (id, name, role, departments, leads, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id, name, role, departments, leads, created_at`,
			normalize.ID(p.ID), p.Name, p.Role, string(normalize.Strings(p.Departments)), string(normalize.Strings(p.Leads)), nanos(normalize.Time(p.At))))
		return err
	})
	if err != nil {
		return store.Actor{}, mapErr("sqlite: create actor", err)
	}
	return a, nil
}

// UpdateActor changes an actor; see store.Store.
func (s *Store) UpdateActor(ctx context.Context, p store.UpdateActorParams) (store.Actor, []store.Task, error) {
	var (
		a        store.Actor
		released []store.Task
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := scanActor(tx.QueryRowContext(ctx, `SELECT `+actorCols+` FROM actors a WHERE a.id = ?`, p.ID))
		if err != nil {
			return err
		}
		next := cur.Apply(p)
		if a, err = scanActor(tx.QueryRowContext(ctx, `UPDATE actors SET name = ?, role = ?, departments = ?, leads = ?
			WHERE id = ? RETURNING id, name, role, departments, leads, created_at`,
			next.Name, next.Role, string(normalize.Strings(next.Departments)), string(normalize.Strings(next.Leads)), p.ID)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL
			WHERE status = 'open' AND assignee = ?
				AND NOT EXISTS (SELECT 1 FROM json_each(?) WHERE value = tasks.department)
			RETURNING `+taskCols, p.ID, string(normalize.Strings(a.Departments)))
		if err != nil {
			return err
		}
		released, err = collectTasks(rows)
		return err
	})
	if err != nil {
		return store.Actor{}, nil, mapErr("sqlite: update actor", err)
	}
	return a, released, nil
}

// GetActor returns an actor by id.
func (s *Store) GetActor(ctx context.Context, id string) (store.Actor, error) {
	a, err := scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorCols+` FROM actors a WHERE a.id = ?`, id))
	if err != nil {
		return store.Actor{}, mapErr("sqlite: get actor", err)
	}
	return a, nil
}

// CreateToken stores a token hash for an actor; an unknown actor is
// ErrNotFound, a duplicate id or hash ErrConflict.
func (s *Store) CreateToken(ctx context.Context, p store.CreateTokenParams) (store.Token, error) {
	var (
		t                  store.Token
		created            int64
		expires, revokedAt sql.NullInt64
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `INSERT INTO tokens (id, actor_id, hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id, actor_id, created_at, expires_at, revoked_at`,
			normalize.ID(p.ID), p.ActorID, p.Hash, nanos(normalize.Time(p.At)), nullNanos(p.ExpiresAt)).
			Scan(&t.ID, &t.ActorID, &created, &expires, &revokedAt)
	})
	if err != nil {
		return store.Token{}, mapErr("sqlite: create token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = fromNanos(created), fromNullNanos(expires), fromNullNanos(revokedAt)
	return t, nil
}

// ActorByTokenHash resolves a live token hash to its actor.
func (s *Store) ActorByTokenHash(ctx context.Context, hash []byte, now time.Time) (store.Actor, error) {
	a, err := scanActor(s.db.QueryRowContext(ctx, `SELECT `+actorCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id
		WHERE t.hash = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)`,
		hash, nanos(normalize.Time(now))))
	if err != nil {
		return store.Actor{}, mapErr("sqlite: actor by token", err)
	}
	return a, nil
}

// RevokeToken revokes a token; revoking it again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1`, id, nanos(normalize.Time(at)))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return noRows(err)
		}
		return nil
	})
	if err != nil {
		return mapErr("sqlite: revoke token", err)
	}
	return nil
}

const tokenInfoCols = `t.id, t.actor_id, t.created_at, t.expires_at, t.revoked_at, ` + actorCols

func scanTokenInfo(r scanner) (store.TokenInfo, error) {
	var (
		ti                 store.TokenInfo
		created            int64
		expires, revokedAt sql.NullInt64
		a                  actorRow
	)
	if err := r.Scan(&ti.ID, &ti.ActorID, &created, &expires, &revokedAt,
		&a.id, &a.name, &a.role, &a.departments, &a.leads, &a.createdAt); err != nil {
		return store.TokenInfo{}, err
	}
	actor, err := actorFromInternal(a)
	if err != nil {
		return store.TokenInfo{}, err
	}
	ti.CreatedAt, ti.ExpiresAt, ti.RevokedAt, ti.Actor = fromNanos(created), fromNullNanos(expires), fromNullNanos(revokedAt), actor
	return ti, nil
}

// GetToken returns a token with its actor.
func (s *Store) GetToken(ctx context.Context, id string) (store.TokenInfo, error) {
	ti, err := scanTokenInfo(s.db.QueryRowContext(ctx, `SELECT `+tokenInfoCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id WHERE t.id = ?`, id))
	if err != nil {
		return store.TokenInfo{}, mapErr("sqlite: get token", err)
	}
	return ti, nil
}

// ListTokens lists tokens with their actors newest first, from after p.After.
func (s *Store) ListTokens(ctx context.Context, p store.ListTokensParams) ([]store.TokenInfo, error) {
	var (
		where []string
		args  []any
	)
	if p.ActorID != "" {
		where, args = append(where, "t.actor_id = ?"), append(args, p.ActorID)
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		where = append(where, "(t.created_at, t.id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + tokenInfoCols + ` FROM tokens t JOIN actors a ON a.id = t.actor_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY t.created_at DESC, t.id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.TokenLimitDefault, normalize.TokenLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list tokens", err)
	}
	out, err := collect(rows, scanTokenInfo)
	if err != nil {
		return nil, mapErr("sqlite: list tokens", err)
	}
	return out, nil
}
