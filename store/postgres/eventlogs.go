package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const eventLogCols = `id, name, status, source, format, mapping, cases, events, first_at, last_at, summary,
	created_by, created_at, updated_at`

func scanEventLog(row pgx.Row) (store.EventLog, error) {
	var (
		l                    store.EventLog
		mapping, summary     []byte
		createdAt, updatedAt time.Time
	)
	err := row.Scan(&l.ID, &l.Name, &l.Status, &l.Source, &l.Format, &mapping, &l.Cases, &l.Events, &l.First, &l.Last,
		&summary, &l.CreatedBy, &createdAt, &updatedAt)
	l.Mapping, l.Summary = json.RawMessage(mapping), json.RawMessage(summary)
	l.First, l.Last = utcPtr(l.First), utcPtr(l.Last)
	l.CreatedAt, l.UpdatedAt = utc(createdAt), utc(updatedAt)
	return l, err
}

// jsonOr is raw, or def when raw is empty.
func jsonOr(raw json.RawMessage, def string) string {
	if len(raw) == 0 {
		return def
	}
	return string(raw)
}

// CreateEventLog starts an import.
func (s *Store) CreateEventLog(ctx context.Context, p store.CreateEventLogParams) (store.EventLog, error) {
	l, err := scanEventLog(s.pool.QueryRow(ctx, `INSERT INTO event_logs (id, name, status, source, format, mapping,
			created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING `+eventLogCols,
		p.ID, p.Name, store.EventLogImporting, p.Source, p.Format, jsonOr(p.Mapping, "{}"), p.Actor, normalize.Time(p.At)))
	if err != nil {
		return store.EventLog{}, mapErr("postgres: create event log", err)
	}
	return l, nil
}

// PutEventLogChunk stores a chunk of an importing log.
func (s *Store) PutEventLogChunk(ctx context.Context, logID string, seq int, data []byte, at time.Time) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var status string
		// FOR UPDATE: a finish or delete cannot slip in between.
		if err := tx.QueryRow(ctx, `SELECT status FROM event_logs WHERE id = $1 FOR UPDATE`, logID).Scan(&status); err != nil {
			return err
		}
		if status != store.EventLogImporting {
			return fmt.Errorf("event log %s is %s: %w", logID, status, store.ErrConflict)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO event_log_chunks (log_id, seq, data) VALUES ($1, $2, $3)`, logID, seq, data); err != nil {
			return err
		}
		// The import is alive: DeleteStaleEventLogs goes by this time.
		_, err := tx.Exec(ctx, `UPDATE event_logs SET updated_at = $2 WHERE id = $1`, logID, normalize.Time(at))
		return err
	})
	return mapErr("postgres: put event log chunk", err)
}

// FinishEventLog makes an importing log ready.
func (s *Store) FinishEventLog(ctx context.Context, p store.FinishEventLogParams) (store.EventLog, error) {
	l, err := scanEventLog(s.pool.QueryRow(ctx, `UPDATE event_logs SET status = $2, cases = $3, events = $4,
			first_at = $5, last_at = $6, summary = $7, updated_at = $8
		WHERE id = $1 AND status = $9 RETURNING `+eventLogCols,
		p.ID, store.EventLogReady, p.Cases, p.Events, normalize.Time(p.First), normalize.Time(p.Last),
		jsonOr(p.Summary, "{}"), normalize.Time(p.At), store.EventLogImporting))
	if errors.Is(err, pgx.ErrNoRows) {
		if _, gerr := s.GetEventLog(ctx, p.ID); gerr != nil {
			return store.EventLog{}, gerr
		}
		return store.EventLog{}, fmt.Errorf("postgres: finish event log %s: not importing: %w", p.ID, store.ErrConflict)
	}
	if err != nil {
		return store.EventLog{}, mapErr("postgres: finish event log", err)
	}
	return l, nil
}

// GetEventLog returns a log.
func (s *Store) GetEventLog(ctx context.Context, id string) (store.EventLog, error) {
	l, err := scanEventLog(s.pool.QueryRow(ctx, `SELECT `+eventLogCols+` FROM event_logs WHERE id = $1`, id))
	if err != nil {
		return store.EventLog{}, mapErr("postgres: get event log", err)
	}
	return l, nil
}

// ListEventLogs returns the ready logs, newest first.
func (s *Store) ListEventLogs(ctx context.Context, p store.ListEventLogsParams) ([]store.EventLog, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	query := `SELECT ` + eventLogCols + ` FROM event_logs WHERE status = $1`
	args := []any{store.EventLogReady}
	if p.Cursor != nil {
		query += ` AND (created_at, id) < ($2, $3)`
		args = append(args, normalize.Time(p.Cursor.CreatedAt), p.Cursor.ID)
	}
	query += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit)
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("postgres: list event logs", err)
	}
	defer rows.Close()
	var out []store.EventLog
	for rows.Next() {
		l, err := scanEventLog(rows)
		if err != nil {
			return nil, mapErr("postgres: list event logs", err)
		}
		out = append(out, l)
	}
	return out, mapErr("postgres: list event logs", rows.Err())
}

// EventLogChunks calls fn with each chunk of a log in seq order.
func (s *Store) EventLogChunks(ctx context.Context, logID string, fn func(seq int, data []byte) error) error {
	rows, err := s.pool.Query(ctx, `SELECT seq, data FROM event_log_chunks WHERE log_id = $1 ORDER BY seq`, logID)
	if err != nil {
		return mapErr("postgres: event log chunks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int
			data []byte
		)
		if err := rows.Scan(&seq, &data); err != nil {
			return mapErr("postgres: event log chunks", err)
		}
		if err := fn(seq, data); err != nil {
			return err
		}
	}
	return mapErr("postgres: event log chunks", rows.Err())
}

// RenameEventLog renames a ready log.
func (s *Store) RenameEventLog(ctx context.Context, id, name string, at time.Time) (store.EventLog, error) {
	l, err := scanEventLog(s.pool.QueryRow(ctx, `UPDATE event_logs SET name = $2, updated_at = $3
		WHERE id = $1 AND status = $4 RETURNING `+eventLogCols, id, name, normalize.Time(at), store.EventLogReady))
	if err != nil {
		return store.EventLog{}, mapErr("postgres: rename event log", err)
	}
	return l, nil
}

// DeleteEventLog deletes a log and (by cascade) its chunks.
func (s *Store) DeleteEventLog(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM event_logs WHERE id = $1`, id)
	if err != nil {
		return mapErr("postgres: delete event log", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete event log %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// DeleteStaleEventLogs deletes imports a crash cut short.
func (s *Store) DeleteStaleEventLogs(ctx context.Context, before time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM event_logs WHERE status = $1 AND updated_at < $2`,
		store.EventLogImporting, normalize.Time(before))
	if err != nil {
		return 0, mapErr("postgres: delete stale event logs", err)
	}
	return int(tag.RowsAffected()), nil
}
