package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const actorCols = `a.id, a.name, a.role, a.departments, a.leads, a.created_at`

// actorRow is a scanned actors row.
type actorRow struct {
	id, name, role string
	departments    []byte
	leads          []byte
	createdAt      time.Time
}

func scanActor(r pgx.Row) (store.Actor, error) {
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
	return store.Actor{ID: x.id, Name: x.name, Role: x.role, Departments: depts, Leads: leads, CreatedAt: utc(x.createdAt)}, nil
}

// CreateActor inserts an actor; an existing id is ErrConflict.
func (s *Store) CreateActor(ctx context.Context, p store.CreateActorParams) (store.Actor, error) {
	a, err := scanActor(s.pool.QueryRow(ctx, `INSERT INTO actors (id, name, role, departments, leads, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, name, role, departments, leads, created_at`,
		normalize.ID(p.ID), p.Name, p.Role, string(normalize.Strings(p.Departments)), string(normalize.Strings(p.Leads)), normalize.Time(p.At)))
	if err != nil {
		return store.Actor{}, mapErr("postgres: create actor", err)
	}
	return a, nil
}

// UpdateActor changes an actor; see store.Store.
func (s *Store) UpdateActor(ctx context.Context, p store.UpdateActorParams) (store.Actor, []store.Task, error) {
	var (
		a        store.Actor
		released []store.Task
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanActor(tx.QueryRow(ctx, `SELECT `+actorCols+` FROM actors a WHERE a.id = $1 FOR UPDATE`, p.ID))
		if err != nil {
			return err
		}
		next := cur.Apply(p)
		if a, err = scanActor(tx.QueryRow(ctx, `UPDATE actors SET name = $1, role = $2, departments = $3, leads = $4
			WHERE id = $5 RETURNING id, name, role, departments, leads, created_at`,
			next.Name, next.Role, string(normalize.Strings(next.Departments)), string(normalize.Strings(next.Leads)), p.ID)); err != nil {
			return err
		}
		released, err = queryTasks(ctx, tx, `UPDATE tasks SET assignee = NULL, assigned_at = NULL, assign_rule = '', offer_due = NULL
			WHERE status = 'open' AND assignee = $1 AND NOT ($2::jsonb ? department)
			RETURNING `+taskCols, p.ID, string(normalize.Strings(a.Departments)))
		return err
	})
	if err != nil {
		return store.Actor{}, nil, mapErr("postgres: update actor", err)
	}
	return a, released, nil
}

// GetActor returns an actor by id.
func (s *Store) GetActor(ctx context.Context, id string) (store.Actor, error) {
	a, err := scanActor(s.pool.QueryRow(ctx, `SELECT `+actorCols+` FROM actors a WHERE a.id = $1`, id))
	if err != nil {
		return store.Actor{}, mapErr("postgres: get actor", err)
	}
	return a, nil
}

// CreateToken stores a token hash for an actor; an unknown actor is
// ErrNotFound, a duplicate id or hash ErrConflict.
func (s *Store) CreateToken(ctx context.Context, p store.CreateTokenParams) (store.Token, error) {
	var (
		t                  store.Token
		created            time.Time
		expires, revokedAt *time.Time
	)
	err := s.pool.QueryRow(ctx, `INSERT INTO tokens (id, actor_id, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5) RETURNING id, actor_id, created_at, expires_at, revoked_at`,
		normalize.ID(p.ID), p.ActorID, p.Hash, normalize.Time(p.At), normalize.TimePtr(p.ExpiresAt)).
		Scan(&t.ID, &t.ActorID, &created, &expires, &revokedAt)
	if err != nil {
		return store.Token{}, mapErr("postgres: create token", err)
	}
	t.CreatedAt, t.ExpiresAt, t.RevokedAt = utc(created), utcPtr(expires), utcPtr(revokedAt)
	return t, nil
}

// ActorByTokenHash resolves a live token hash to its actor.
func (s *Store) ActorByTokenHash(ctx context.Context, hash []byte, now time.Time) (store.Actor, error) {
	a, err := scanActor(s.pool.QueryRow(ctx, `SELECT `+actorCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`,
		hash, normalize.Time(now)))
	if err != nil {
		return store.Actor{}, mapErr("postgres: actor by token", err)
	}
	return a, nil
}

// RevokeToken revokes a token; revoking it again keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1`, id, normalize.Time(at))
	if err != nil {
		return mapErr("postgres: revoke token", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("postgres: revoke token", pgx.ErrNoRows)
	}
	return nil
}

const tokenInfoCols = `t.id, t.actor_id, t.created_at, t.expires_at, t.revoked_at, ` + actorCols

func scanTokenInfo(r pgx.Row) (store.TokenInfo, error) {
	var (
		ti                 store.TokenInfo
		created            time.Time
		expires, revokedAt *time.Time
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
	ti.CreatedAt, ti.ExpiresAt, ti.RevokedAt, ti.Actor = utc(created), utcPtr(expires), utcPtr(revokedAt), actor
	return ti, nil
}

// GetToken returns a token with its actor.
func (s *Store) GetToken(ctx context.Context, id string) (store.TokenInfo, error) {
	ti, err := scanTokenInfo(s.pool.QueryRow(ctx, `SELECT `+tokenInfoCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id WHERE t.id = $1`, id))
	if err != nil {
		return store.TokenInfo{}, mapErr("postgres: get token", err)
	}
	return ti, nil
}

// ListTokens lists tokens with their actors newest first, from after p.After.
func (s *Store) ListTokens(ctx context.Context, p store.ListTokensParams) ([]store.TokenInfo, error) {
	var w where
	if p.ActorID != "" {
		w.add("t.actor_id = ?", p.ActorID)
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		w.add("(t.created_at, t.id) < (?, ?)", c.CreatedAt.UTC(), c.ID)
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.TokenLimitDefault, normalize.TokenLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+tokenInfoCols+` FROM tokens t JOIN actors a ON a.id = t.actor_id`+
		w.String()+` ORDER BY t.created_at DESC, t.id DESC LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list tokens", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.TokenInfo, error) { return scanTokenInfo(r) })
	if err != nil {
		return nil, mapErr("postgres: list tokens", err)
	}
	return out, nil
}
