package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// AppendAudit appends an entry to the audit trail, once per e.Key when it
// is set.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if err := appendAudit(ctx, s.pool, e); err != nil {
		return mapErr("postgres: append audit", err)
	}
	return nil
}

// appendAudit inserts e on q (the pool or a transaction), once per e.Key.
func appendAudit(ctx context.Context, q pgq, e store.AuditEntry) error {
	_, err := q.Exec(ctx, `INSERT INTO audit (at, actor, action, object, case_id, details, request_id, idempotency_key)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (idempotency_key) DO NOTHING`,
		normalize.Time(e.At), e.Actor, e.Action, e.Object, nullString(e.CaseID), nullJSON(normalize.JSON(e.Details)), e.RequestID,
		nullString(e.Key))
	return err
}

// ListAudit returns the entries matching f in id order (newest first with
// f.Descending), after f.After; Limit 0 is no limit.
func (s *Store) ListAudit(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	var w where
	if f.CaseID != "" {
		w.add("case_id = ?", f.CaseID)
	}
	if f.Object != "" {
		w.add("object = ?", f.Object)
	}
	if f.Actor != "" {
		w.add("actor = ?", f.Actor)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.From != nil {
		w.add("at >= ?", bound(*f.From))
	}
	if f.To != nil {
		w.add("at < ?", bound(*f.To))
	}
	order := ` ORDER BY id`
	if f.Descending {
		order = ` ORDER BY id DESC`
		if f.After > 0 {
			w.add("id < ?", f.After)
		}
	} else if f.After > 0 {
		w.add("id > ?", f.After)
	}
	sql := `SELECT id, at, actor, action, object, COALESCE(case_id, ''), details, request_id, COALESCE(idempotency_key, '') FROM audit` + w.String() + order
	if f.Limit > 0 {
		sql += ` LIMIT ` + w.arg(f.Limit)
	}
	rows, err := s.pool.Query(ctx, sql, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list audit", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) {
		var (
			e       store.AuditEntry
			at      time.Time
			details []byte
		)
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.CaseID, &details, &e.RequestID, &e.Key)
		e.At, e.Details = utc(at), normalize.Raw(details)
		return e, err
	})
	if err != nil {
		return nil, mapErr("postgres: list audit", err)
	}
	return out, nil
}
