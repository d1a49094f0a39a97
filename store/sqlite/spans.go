package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const spanCols = `case_id, seq, flow, version, variant, step, kind, department, entered_at, claimed_at,
	completed_at, outcome, sla_due, breached, escalation_level, actor`

// spanRow is a scanned spans row.
type spanRow struct {
	caseID, flow, variant, step, kind, department, outcome, actor string
	seq, version, escalationLevel                                 int
	enteredAt, completedAt                                        int64
	claimedAt, slaDue                                             sql.NullInt64
	breached                                                      bool
}

func spanFromInternal(x spanRow) store.Span {
	return store.Span{
		CaseID: x.caseID, Seq: x.seq, Flow: x.flow, Version: x.version, Variant: x.variant, Step: x.step,
		Kind: x.kind, Department: x.department, EnteredAt: fromNanos(x.enteredAt), ClaimedAt: fromNullNanos(x.claimedAt),
		CompletedAt: fromNanos(x.completedAt), Outcome: x.outcome, SLADue: fromNullNanos(x.slaDue), Breached: x.breached,
		EscalationLevel: x.escalationLevel, Actor: x.actor,
	}
}

// recordSpan inserts s unless a span with its (case, seq) exists.
func recordSpan(ctx context.Context, q querier, s store.Span) error {
	_, err := q.ExecContext(ctx, `INSERT INTO spans (`+spanCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_id, seq) DO NOTHING`,
		s.CaseID, s.Seq, s.Flow, s.Version, s.Variant, s.Step, s.Kind, s.Department, nanos(s.EnteredAt),
		nullNanos(s.ClaimedAt), nanos(s.CompletedAt), s.Outcome, nullNanos(s.SLADue), s.Breached, s.EscalationLevel, s.Actor)
	return err
}

// RecordSpan stores a span, idempotently on (CaseID, Seq).
func (s *Store) RecordSpan(ctx context.Context, sp store.Span) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return recordSpan(ctx, tx, normalize.Span(sp)) })
	if err != nil {
		return mapErr("sqlite: record span", err)
	}
	return nil
}

// ListSpans returns the spans matching f in (entered_at, case_id, seq) order.
func (s *Store) ListSpans(ctx context.Context, f store.SpanFilter) ([]store.Span, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	if f.CaseID != "" {
		add("case_id = ?", f.CaseID)
	}
	if f.Flow != "" {
		add("flow = ?", f.Flow)
	}
	if f.Version != 0 {
		add("version = ?", f.Version)
	}
	if f.Variant != "" {
		add("variant = ?", f.Variant)
	}
	if f.From != nil {
		add("entered_at >= ?", nanos(*f.From))
	}
	if f.To != nil {
		add("entered_at < ?", nanos(*f.To))
	}
	query := `SELECT ` + spanCols + ` FROM spans`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY entered_at, case_id, seq`
	if f.Limit > 0 {
		query += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list spans", err)
	}
	out, err := collect(rows, func(r scanner) (store.Span, error) {
		var x spanRow
		err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor)
		return spanFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("sqlite: list spans", err)
	}
	return out, nil
}
