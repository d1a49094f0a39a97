package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// AppendAudit appends an entry to the audit trail.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, object, case_id, details)
			VALUES (?, ?, ?, ?, ?, ?)`,
			nanos(normalize.Time(e.At)), e.Actor, e.Action, e.Object, nullString(e.CaseID), nullJSON(normalize.JSON(e.Details)))
		return err
	})
	if err != nil {
		return mapErr("sqlite: append audit", err)
	}
	return nil
}

// ListAudit returns the entries matching f, oldest first; Limit 0 is no limit.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	if f.CaseID != "" {
		where, args = append(where, "case_id = ?"), append(args, f.CaseID)
	}
	if f.Object != "" {
		where, args = append(where, "object = ?"), append(args, f.Object)
	}
	query := `SELECT id, at, actor, action, object, COALESCE(case_id, ''), details FROM audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY id`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list audit", err)
	}
	out, err := collect(rows, func(r scanner) (store.AuditEntry, error) {
		var (
			e       store.AuditEntry
			at      int64
			details []byte
		)
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.CaseID, &details)
		e.At, e.Details = fromNanos(at), normalize.Raw(details)
		return e, err
	})
	if err != nil {
		return nil, mapErr("sqlite: list audit", err)
	}
	return out, nil
}
