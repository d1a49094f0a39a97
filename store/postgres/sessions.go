package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// TokenByHash is the live token of hash with its actor.
func (s *Store) TokenByHash(ctx context.Context, hash []byte, now time.Time) (store.TokenInfo, error) {
	ti, err := scanTokenInfo(s.pool.QueryRow(ctx, `SELECT `+tokenInfoCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id
		WHERE t.hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2)`,
		hash, normalize.Time(now)))
	if err != nil {
		return store.TokenInfo{}, mapErr("postgres: token by hash", err)
	}
	return ti, nil
}

// ActorByEmail is the actor whose person has email (without case).
func (s *Store) ActorByEmail(ctx context.Context, email string) (store.Actor, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+actorCols+` FROM people p JOIN actors a ON a.id = p.actor_id
		WHERE p.email <> '' AND lower(p.email) = lower($1) ORDER BY a.id LIMIT 2`, strings.TrimSpace(email))
	if err != nil {
		return store.Actor{}, mapErr("postgres: actor by email", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Actor, error) { return scanActor(r) })
	if err != nil {
		return store.Actor{}, mapErr("postgres: actor by email", err)
	}
	switch len(out) {
	case 0:
		return store.Actor{}, mapErr("postgres: actor by email", pgx.ErrNoRows)
	case 1:
		return out[0], nil
	}
	return store.Actor{}, store.ErrConflict
}

const sessionCols = `s.id, s.actor_id, s.via, s.token_id, s.created_at, s.last_seen_at, s.idle_until, s.expires_at, s.ended_at, s.user_agent`

func scanSession(r pgx.Row, extra ...any) (store.Session, error) {
	var (
		x                            store.Session
		created, seen, idle, expires time.Time
		ended                        *time.Time
	)
	dest := append([]any{&x.ID, &x.ActorID, &x.Via, &x.TokenID, &created, &seen, &idle, &expires, &ended, &x.UserAgent}, extra...)
	if err := r.Scan(dest...); err != nil {
		return store.Session{}, err
	}
	x.CreatedAt, x.LastSeenAt, x.IdleUntil, x.ExpiresAt, x.EndedAt = utc(created), utc(seen), utc(idle), utc(expires), utcPtr(ended)
	return x, nil
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, p store.Session) (store.Session, error) {
	out, err := scanSession(s.pool.QueryRow(ctx, `INSERT INTO sessions AS s (id, actor_id, via, token_id, created_at, last_seen_at, idle_until, expires_at, user_agent)
		VALUES ($1, $2, $3, $4, $5, $5, $6, $7, $8) RETURNING `+sessionCols,
		p.ID, p.ActorID, p.Via, p.TokenID, normalize.Time(p.CreatedAt), normalize.Time(p.IdleUntil), normalize.Time(p.ExpiresAt), p.UserAgent))
	if err != nil {
		return store.Session{}, mapErr("postgres: create session", err)
	}
	return out, nil
}

// GetSession returns a session with its actor and token.
func (s *Store) GetSession(ctx context.Context, id string) (store.SessionInfo, error) {
	var (
		aID, aName, aRole  *string
		aDeps, aLeads      []byte
		aCreated           *time.Time
		tID                *string
		tCreated           *time.Time
		tExpires, tRevoked *time.Time
	)
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+`,
			a.id, a.name, a.role, a.departments, a.leads, a.created_at, t.id, t.created_at, t.expires_at, t.revoked_at
		FROM sessions s LEFT JOIN actors a ON a.id = s.actor_id
			LEFT JOIN tokens t ON s.token_id <> '' AND t.id = s.token_id AND t.actor_id = s.actor_id
		WHERE s.id = $1`, id), &aID, &aName, &aRole, &aDeps, &aLeads, &aCreated, &tID, &tCreated, &tExpires, &tRevoked)
	if err != nil {
		return store.SessionInfo{}, mapErr("postgres: get session", err)
	}
	out := store.SessionInfo{Session: sess}
	if aID != nil {
		a, err := actorFromInternal(actorRow{id: *aID, name: *aName, role: *aRole, departments: aDeps, leads: aLeads, createdAt: *aCreated})
		if err != nil {
			return store.SessionInfo{}, mapErr("postgres: get session", err)
		}
		out.Actor = &a
	}
	if tID != nil {
		out.Token = &store.Token{ID: *tID, ActorID: sess.ActorID, CreatedAt: utc(*tCreated), ExpiresAt: utcPtr(tExpires), RevokedAt: utcPtr(tRevoked)}
	}
	return out, nil
}

// TouchSession records activity of a session that has not ended.
func (s *Store) TouchSession(ctx context.Context, id string, at, idleUntil time.Time) error {
	if _, err := s.pool.Exec(ctx, `UPDATE sessions SET last_seen_at = $2, idle_until = $3 WHERE id = $1 AND ended_at IS NULL`,
		id, normalize.Time(at), normalize.Time(idleUntil)); err != nil {
		return mapErr("postgres: touch session", err)
	}
	return nil
}

// EndSession ends a session; ending it again keeps the first time.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time) (bool, error) {
	var wasLive bool
	err := s.pool.QueryRow(ctx, `UPDATE sessions s SET ended_at = COALESCE(s.ended_at, $2)
		FROM (SELECT id, ended_at IS NULL AND idle_until > $2 AND expires_at > $2 AS live FROM sessions WHERE id = $1 FOR UPDATE) old
		WHERE s.id = old.id RETURNING old.live`, id, normalize.Time(at)).Scan(&wasLive)
	if err != nil {
		return false, mapErr("postgres: end session", err)
	}
	return wasLive, nil
}

// ListSessions lists an actor's sessions newest first.
func (s *Store) ListSessions(ctx context.Context, p store.ListSessionsParams) ([]store.Session, error) {
	var w where
	if p.ActorID != "" {
		w.add("s.actor_id = ?", p.ActorID)
	}
	if !p.LiveAt.IsZero() {
		t := normalize.Time(p.LiveAt)
		w.add("s.ended_at IS NULL AND s.idle_until > ? AND s.expires_at > ?", t, t)
	}
	if c := p.After; c != nil {
		w.add("(s.created_at, s.id) < (?, ?)", c.CreatedAt.UTC(), c.ID)
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.TokenLimitDefault, normalize.TokenLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+sessionCols+` FROM sessions s`+w.String()+
		` ORDER BY s.created_at DESC, s.id DESC LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list sessions", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Session, error) { return scanSession(r) })
	if err != nil {
		return nil, mapErr("postgres: list sessions", err)
	}
	return out, nil
}

// DeleteDeadSessions deletes sessions dead before before.
func (s *Store) DeleteDeadSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
		WHERE ended_at < $1 OR idle_until < $1 OR expires_at < $1 LIMIT $2)`,
		normalize.Time(before), normalize.Limit(limit, 1000, 10000))
	if err != nil {
		return 0, mapErr("postgres: delete dead sessions", err)
	}
	return int(tag.RowsAffected()), nil
}
