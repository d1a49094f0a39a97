package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const eventLogCols = `id, name, status, source, format, mapping, cases, events, first_at, last_at, summary,
	created_by, created_at, updated_at`

func scanEventLog(row interface{ Scan(...any) error }) (store.EventLog, error) {
	var (
		l                    store.EventLog
		mapping, summary     string
		first, last          sql.NullInt64
		createdAt, updatedAt int64
	)
	err := row.Scan(&l.ID, &l.Name, &l.Status, &l.Source, &l.Format, &mapping, &l.Cases, &l.Events, &first, &last,
		&summary, &l.CreatedBy, &createdAt, &updatedAt)
	l.Mapping, l.Summary = json.RawMessage(mapping), json.RawMessage(summary)
	l.First, l.Last = fromNullNanos(first), fromNullNanos(last)
	l.CreatedAt, l.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
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
	at := nanos(normalize.Time(p.At))
	l, err := scanEventLog(s.db.QueryRowContext(ctx, `INSERT INTO event_logs (id, name, status, source, format, mapping,
			created_by, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) RETURNING `+eventLogCols,
		p.ID, p.Name, store.EventLogImporting, p.Source, p.Format, jsonOr(p.Mapping, "{}"), p.Actor, at))
	if err != nil {
		return store.EventLog{}, mapErr("sqlite: create event log", err)
	}
	return l, nil
}

// PutEventLogChunk stores a chunk of an importing log.
func (s *Store) PutEventLogChunk(ctx context.Context, logID string, seq int, data []byte, at time.Time) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM event_logs WHERE id = ?1`, logID).Scan(&status); err != nil {
			return err
		}
		if status != store.EventLogImporting {
			return fmt.Errorf("event log %s is %s: %w", logID, status, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO event_log_chunks (log_id, seq, data) VALUES (?1, ?2, ?3)`, logID, seq, data); err != nil {
			return err
		}
		// The import is alive: DeleteStaleEventLogs goes by this time.
		_, err := tx.ExecContext(ctx, `UPDATE event_logs SET updated_at = ?2 WHERE id = ?1`, logID, nanos(normalize.Time(at)))
		return err
	})
	return mapErr("sqlite: put event log chunk", err)
}

// FinishEventLog makes an importing log ready.
func (s *Store) FinishEventLog(ctx context.Context, p store.FinishEventLogParams) (store.EventLog, error) {
	var l store.EventLog
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = scanEventLog(tx.QueryRowContext(ctx, `UPDATE event_logs SET status = ?2, cases = ?3, events = ?4,
				first_at = ?5, last_at = ?6, summary = ?7, updated_at = ?8
			WHERE id = ?1 AND status = ?9 RETURNING `+eventLogCols,
			p.ID, store.EventLogReady, p.Cases, p.Events, nanos(normalize.Time(p.First)), nanos(normalize.Time(p.Last)),
			jsonOr(p.Summary, "{}"), nanos(normalize.Time(p.At)), store.EventLogImporting))
		if errors.Is(err, sql.ErrNoRows) {
			if _, gerr := s.getEventLog(ctx, tx, p.ID); gerr != nil {
				return gerr
			}
			return fmt.Errorf("event log %s is not importing: %w", p.ID, store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.EventLog{}, mapErr("sqlite: finish event log", err)
	}
	return l, nil
}

func (s *Store) getEventLog(ctx context.Context, q querier, id string) (store.EventLog, error) {
	return scanEventLog(q.QueryRowContext(ctx, `SELECT `+eventLogCols+` FROM event_logs WHERE id = ?1`, id))
}

// GetEventLog returns a log.
func (s *Store) GetEventLog(ctx context.Context, id string) (store.EventLog, error) {
	l, err := s.getEventLog(ctx, s.db, id)
	if err != nil {
		return store.EventLog{}, mapErr("sqlite: get event log", err)
	}
	return l, nil
}

// ListEventLogs returns the ready logs, newest first.
func (s *Store) ListEventLogs(ctx context.Context, p store.ListEventLogsParams) ([]store.EventLog, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	query := `SELECT ` + eventLogCols + ` FROM event_logs WHERE status = ?1`
	args := []any{store.EventLogReady}
	if p.Cursor != nil {
		query += ` AND (created_at < ?2 OR (created_at = ?2 AND id < ?3))`
		args = append(args, nanos(normalize.Time(p.Cursor.CreatedAt)), p.Cursor.ID)
	}
	query += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, limit)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list event logs", err)
	}
	defer rows.Close()
	var out []store.EventLog
	for rows.Next() {
		l, err := scanEventLog(rows)
		if err != nil {
			return nil, mapErr("sqlite: list event logs", err)
		}
		out = append(out, l)
	}
	return out, mapErr("sqlite: list event logs", rows.Err())
}

// EventLogChunks calls fn with each chunk of a log in seq order.
func (s *Store) EventLogChunks(ctx context.Context, logID string, fn func(seq int, data []byte) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT seq, data FROM event_log_chunks WHERE log_id = ?1 ORDER BY seq`, logID)
	if err != nil {
		return mapErr("sqlite: event log chunks", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			seq  int
			data []byte
		)
		if err := rows.Scan(&seq, &data); err != nil {
			return mapErr("sqlite: event log chunks", err)
		}
		if err := fn(seq, data); err != nil {
			return err
		}
	}
	return mapErr("sqlite: event log chunks", rows.Err())
}

// RenameEventLog renames a ready log.
func (s *Store) RenameEventLog(ctx context.Context, id, name string, at time.Time) (store.EventLog, error) {
	l, err := scanEventLog(s.db.QueryRowContext(ctx, `UPDATE event_logs SET name = ?2, updated_at = ?3
		WHERE id = ?1 AND status = ?4 RETURNING `+eventLogCols, id, name, nanos(normalize.Time(at)), store.EventLogReady))
	if err != nil {
		return store.EventLog{}, mapErr("sqlite: rename event log", err)
	}
	return l, nil
}

// DeleteEventLog deletes a log and (by cascade) its chunks.
func (s *Store) DeleteEventLog(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM event_logs WHERE id = ?1`, id)
	if err != nil {
		return mapErr("sqlite: delete event log", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("sqlite: delete event log %s: %w", id, store.ErrNotFound)
	}
	return nil
}

// DeleteStaleEventLogs deletes imports a crash cut short.
func (s *Store) DeleteStaleEventLogs(ctx context.Context, before time.Time) (int, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM event_logs WHERE status = ?1 AND updated_at < ?2`,
		store.EventLogImporting, nanos(normalize.Time(before)))
	if err != nil {
		return 0, mapErr("sqlite: delete stale event logs", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
