package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// TokenByHash is the live token of hash with its actor.
func (s *Store) TokenByHash(ctx context.Context, hash []byte, now time.Time) (store.TokenInfo, error) {
	ti, err := scanTokenInfo(s.db.QueryRowContext(ctx, `SELECT `+tokenInfoCols+`
		FROM tokens t JOIN actors a ON a.id = t.actor_id
		WHERE t.hash = ?1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?2)`,
		hash, nanos(normalize.Time(now))))
	if err != nil {
		return store.TokenInfo{}, mapErr("sqlite: token by hash", err)
	}
	return ti, nil
}

// ActorByEmail is the actor whose person has email (without case).
func (s *Store) ActorByEmail(ctx context.Context, email string) (store.Actor, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+actorCols+` FROM people p JOIN actors a ON a.id = p.actor_id
		WHERE p.email <> '' AND lower(p.email) = lower(?) ORDER BY a.id LIMIT 2`, strings.TrimSpace(email))
	if err != nil {
		return store.Actor{}, mapErr("sqlite: actor by email", err)
	}
	out, err := collect(rows, scanActor)
	if err != nil {
		return store.Actor{}, mapErr("sqlite: actor by email", err)
	}
	switch len(out) {
	case 0:
		return store.Actor{}, mapErr("sqlite: actor by email", sql.ErrNoRows)
	case 1:
		return out[0], nil
	}
	return store.Actor{}, store.ErrConflict
}

const sessionCols = `s.id, s.actor_id, s.via, s.token_id, s.created_at, s.last_seen_at, s.idle_until, s.expires_at, s.ended_at, s.user_agent`

func scanSession(r scanner, extra ...any) (store.Session, error) {
	var (
		x                            store.Session
		created, seen, idle, expires int64
		ended                        sql.NullInt64
	)
	dest := append([]any{&x.ID, &x.ActorID, &x.Via, &x.TokenID, &created, &seen, &idle, &expires, &ended, &x.UserAgent}, extra...)
	if err := r.Scan(dest...); err != nil {
		return store.Session{}, err
	}
	x.CreatedAt, x.LastSeenAt, x.IdleUntil, x.ExpiresAt, x.EndedAt = fromNanos(created), fromNanos(seen), fromNanos(idle), fromNanos(expires), fromNullNanos(ended)
	return x, nil
}

// CreateSession stores a session.
func (s *Store) CreateSession(ctx context.Context, p store.Session) (store.Session, error) {
	var out store.Session
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanSession(tx.QueryRowContext(ctx, `INSERT INTO sessions (id, actor_id, via, token_id, created_at, last_seen_at, idle_until, expires_at, user_agent)
			VALUES (?1, ?2, ?3, ?4, ?5, ?5, ?6, ?7, ?8) RETURNING `+strings.ReplaceAll(sessionCols, "s.", ""),
			p.ID, p.ActorID, p.Via, p.TokenID, nanos(normalize.Time(p.CreatedAt)), nanos(normalize.Time(p.IdleUntil)), nanos(normalize.Time(p.ExpiresAt)), p.UserAgent))
		return err
	})
	if err != nil {
		return store.Session{}, mapErr("sqlite: create session", err)
	}
	return out, nil
}

// GetSession returns a session with its actor and token.
func (s *Store) GetSession(ctx context.Context, id string) (store.SessionInfo, error) {
	var (
		aID, aName, aRole            sql.NullString
		aDeps, aLeads                []byte
		aCreated                     sql.NullInt64
		tID                          sql.NullString
		tCreated, tExpires, tRevoked sql.NullInt64
	)
	sess, err := scanSession(s.db.QueryRowContext(ctx, `SELECT `+sessionCols+`,
			a.id, a.name, a.role, a.departments, a.leads, a.created_at, t.id, t.created_at, t.expires_at, t.revoked_at
		FROM sessions s LEFT JOIN actors a ON a.id = s.actor_id
			LEFT JOIN tokens t ON s.token_id <> '' AND t.id = s.token_id AND t.actor_id = s.actor_id
		WHERE s.id = ?`, id), &aID, &aName, &aRole, &aDeps, &aLeads, &aCreated, &tID, &tCreated, &tExpires, &tRevoked)
	if err != nil {
		return store.SessionInfo{}, mapErr("sqlite: get session", err)
	}
	out := store.SessionInfo{Session: sess}
	if aID.Valid {
		a, err := actorFromInternal(actorRow{id: aID.String, name: aName.String, role: aRole.String, departments: aDeps, leads: aLeads, createdAt: aCreated.Int64})
		if err != nil {
			return store.SessionInfo{}, mapErr("sqlite: get session", err)
		}
		out.Actor = &a
	}
	if tID.Valid {
		out.Token = &store.Token{ID: tID.String, ActorID: sess.ActorID, CreatedAt: fromNanos(tCreated.Int64), ExpiresAt: fromNullNanos(tExpires), RevokedAt: fromNullNanos(tRevoked)}
	}
	return out, nil
}

// TouchSession records activity of a session that has not ended.
func (s *Store) TouchSession(ctx context.Context, id string, at, idleUntil time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?2, idle_until = ?3 WHERE id = ?1 AND ended_at IS NULL`,
			id, nanos(normalize.Time(at)), nanos(normalize.Time(idleUntil)))
		return err
	})
	if err != nil {
		return mapErr("sqlite: touch session", err)
	}
	return nil
}

// EndSession ends a session; ending it again keeps the first time.
func (s *Store) EndSession(ctx context.Context, id string, at time.Time) (bool, error) {
	var wasLive bool
	err := s.tx(ctx, func(tx *sql.Tx) error {
		t := nanos(normalize.Time(at))
		if err := tx.QueryRowContext(ctx, `SELECT ended_at IS NULL AND idle_until > ?2 AND expires_at > ?2 FROM sessions WHERE id = ?1`,
			id, t).Scan(&wasLive); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET ended_at = COALESCE(ended_at, ?2) WHERE id = ?1`, id, t)
		return err
	})
	if err != nil {
		return false, mapErr("sqlite: end session", err)
	}
	return wasLive, nil
}

// ListSessions lists an actor's sessions newest first.
func (s *Store) ListSessions(ctx context.Context, p store.ListSessionsParams) ([]store.Session, error) {
	var (
		where []string
		args  []any
	)
	if p.ActorID != "" {
		where, args = append(where, "s.actor_id = ?"), append(args, p.ActorID)
	}
	if !p.LiveAt.IsZero() {
		t := nanos(normalize.Time(p.LiveAt))
		where, args = append(where, "s.ended_at IS NULL AND s.idle_until > ? AND s.expires_at > ?"), append(args, t, t)
	}
	if c := p.After; c != nil {
		where = append(where, "(s.created_at, s.id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + sessionCols + ` FROM sessions s`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY s.created_at DESC, s.id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.TokenLimitDefault, normalize.TokenLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list sessions", err)
	}
	out, err := collect(rows, func(r scanner) (store.Session, error) { return scanSession(r) })
	if err != nil {
		return nil, mapErr("sqlite: list sessions", err)
	}
	return out, nil
}

// DeleteDeadSessions deletes sessions dead before before.
func (s *Store) DeleteDeadSessions(ctx context.Context, before time.Time, limit int) (int, error) {
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id IN (SELECT id FROM sessions
			WHERE ended_at < ?1 OR idle_until < ?1 OR expires_at < ?1 LIMIT ?2)`,
			nanos(normalize.Time(before)), normalize.Limit(limit, 1000, 10000))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, mapErr("sqlite: delete dead sessions", err)
	}
	return int(n), nil
}
