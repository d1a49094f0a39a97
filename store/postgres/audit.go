package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// AppendAudit appends an entry to the audit trail.
func (s *Store) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit (at, actor, action, object, case_id, details)
		VALUES ($1, $2, $3, $4, $5, $6)`,
		normalize.Time(e.At), e.Actor, e.Action, e.Object, nullString(e.CaseID), nullJSON(normalize.JSON(e.Details)))
	if err != nil {
		return mapErr("postgres: append audit", err)
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
		args = append(args, f.CaseID)
		where = append(where, "case_id = $"+strconv.Itoa(len(args)))
	}
	if f.Object != "" {
		args = append(args, f.Object)
		where = append(where, "object = $"+strconv.Itoa(len(args)))
	}
	sql := `SELECT id, at, actor, action, object, COALESCE(case_id, ''), details FROM audit`
	if len(where) > 0 {
		sql += ` WHERE ` + strings.Join(where, " AND ")
	}
	sql += ` ORDER BY id`
	if f.Limit > 0 {
		args = append(args, f.Limit)
		sql += ` LIMIT $` + strconv.Itoa(len(args))
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("postgres: list audit", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) {
		var (
			e       store.AuditEntry
			at      time.Time
			details []byte
		)
		err := r.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Object, &e.CaseID, &details)
		e.At, e.Details = utc(at), normalize.Raw(details)
		return e, err
	})
	if err != nil {
		return nil, mapErr("postgres: list audit", err)
	}
	return out, nil
}
