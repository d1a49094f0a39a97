package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// AppendAudit appends an entry to the audit trail, once per e.Key when it
// is set.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		return appendAudit(ctx, tx, e)
	})
	if err != nil {
		return mapErr("sqlite: append audit", err)
	}
	return nil
}

// appendAudit inserts e in tx, once per e.Key.
func appendAudit(ctx context.Context, tx *sql.Tx, e store.AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit (at, actor, action, object, case_id, details, request_id, idempotency_key)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (idempotency_key) DO NOTHING`,
		nanos(normalize.Time(e.At)), e.Actor, e.Action, e.Object, nullString(e.CaseID), nullJSON(normalize.JSON(e.Details)), e.RequestID,
		nullString(e.Key))
	return err
}

// ListAudit returns the entries matching f in id order (newest first with
// f.Descending), after f.After; Limit 0 is no limit.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if f.CaseID != "" {
		add("case_id = ?", f.CaseID)
	}
	if f.Object != "" {
		add("object = ?", f.Object)
	}
	if f.Actor != "" {
		add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		add("action = ?", f.Action)
	}
	if f.From != nil {
		add("at >= ?", nanos(*f.From))
	}
	if f.To != nil {
		add("at < ?", nanos(*f.To))
	}
	order := ` ORDER BY id`
	if f.Descending {
		order = ` ORDER BY id DESC`
		if f.After > 0 {
			add("id < ?", f.After)
		}
	} else if f.After > 0 {
		add("id > ?", f.After)
	}
	query := `SELECT id, at, actor, action, object, COALESCE(case_id, ''), details, request_id, COALESCE(idempotency_key, '') FROM audit`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += order
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
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.CaseID, &details, &e.RequestID, &e.Key)
		e.At, e.Details = fromNanos(at), normalize.Raw(details)
		return e, err
	})
	if err != nil {
		return nil, mapErr("sqlite: list audit", err)
	}
	return out, nil
}
