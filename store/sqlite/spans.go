package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
	"github.com/flowlab/flowlab/store/internal/rollup"
)

const spanCols = `case_id, seq, flow, version, variant, step, kind, department, entered_at, claimed_at,
	completed_at, outcome, sla_due, breached, escalation_level, actor, assigned_at`

// spanRow is a scanned spans row.
type spanRow struct {
	caseID, flow, variant, step, kind, department, outcome, actor string
	seq, version, escalationLevel                                 int
	enteredAt, completedAt                                        int64
	claimedAt, slaDue, assignedAt                                 sql.NullInt64
	breached                                                      bool
}

func spanFromInternal(x spanRow) store.Span {
	return store.Span{
		CaseID: x.caseID, Seq: x.seq, Flow: x.flow, Version: x.version, Variant: x.variant, Step: x.step,
		Kind: x.kind, Department: x.department, EnteredAt: fromNanos(x.enteredAt), ClaimedAt: fromNullNanos(x.claimedAt),
		CompletedAt: fromNanos(x.completedAt), Outcome: x.outcome, SLADue: fromNullNanos(x.slaDue), Breached: x.breached,
		EscalationLevel: x.escalationLevel, Actor: x.actor, AssignedAt: fromNullNanos(x.assignedAt),
	}
}

// recordSpan inserts s unless a span with its (case, seq) exists, and
// counts a new span into its rollups; q must be a transaction.
func (st *Store) recordSpan(ctx context.Context, q querier, s store.Span) error {
	res, err := q.ExecContext(ctx, `INSERT INTO spans (`+spanCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (case_id, seq) DO NOTHING`,
		s.CaseID, s.Seq, s.Flow, s.Version, s.Variant, s.Step, s.Kind, s.Department, nanos(s.EnteredAt),
		nullNanos(s.ClaimedAt), nanos(s.CompletedAt), s.Outcome, nullNanos(s.SLADue), s.Breached, s.EscalationLevel, s.Actor,
		nullNanos(s.AssignedAt))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return rollup.Record(ctx, rollupTx{q: q}, &st.cals, s)
}

// RecordSpan stores a span, idempotently on (CaseID, Seq).
func (s *Store) RecordSpan(ctx context.Context, sp store.Span) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return s.recordSpan(ctx, tx, normalize.Span(sp)) })
	if err != nil {
		return mapErr("sqlite: record span", err)
	}
	return nil
}

// listSpansQuery is ListSpans' query.
func listSpansQuery(f store.SpanFilter) (string, []any) {
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
	if f.Step != "" {
		add("step = ?", f.Step)
	}
	if f.Department != "" {
		add("department = ?", f.Department)
	}
	if f.From != nil {
		add("entered_at >= ?", nanos(*f.From))
	}
	if f.To != nil {
		add("entered_at < ?", nanos(*f.To))
	}
	if f.CompletedFrom != nil {
		add("completed_at >= ?", nanos(*f.CompletedFrom))
	}
	if f.CompletedTo != nil {
		add("completed_at < ?", nanos(*f.CompletedTo))
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
	return query, args
}

// ListSpans returns the spans matching f in (entered_at, case_id, seq) order.
func (s *Store) ListSpans(ctx context.Context, f store.SpanFilter) ([]store.Span, error) {
	query, args := listSpansQuery(f)
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list spans", err)
	}
	out, err := collect(rows, func(r scanner) (store.Span, error) {
		var x spanRow
		err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt)
		return spanFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("sqlite: list spans", err)
	}
	return out, nil
}

// ExportSpans returns the spans matching f with their case's pilot, arm and
// feedback, in (entered_at, case_id, seq) order from after f.After.
func (s *Store) ExportSpans(ctx context.Context, f store.ExportSpansParams) ([]store.ExportedSpan, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg ...any) { where, args = append(where, cond), append(args, arg...) }
	if f.Flow != "" {
		add("s.flow = ?", f.Flow)
	}
	if f.Version != 0 {
		add("s.version = ?", f.Version)
	}
	if f.PilotID != "" {
		add("c.pilot_id = ?", f.PilotID)
	}
	if f.From != nil {
		add("s.entered_at >= ?", nanos(*f.From))
	}
	if f.To != nil {
		add("s.entered_at < ?", nanos(*f.To))
	}
	if c := f.After; c != nil {
		if f.ByCase {
			add("(s.case_id, s.seq) > (?, ?)", c.CaseID, c.Seq)
		} else {
			add("(s.entered_at, s.case_id, s.seq) > (?, ?, ?)", nanos(c.EnteredAt), c.CaseID, c.Seq)
		}
	}
	query := `SELECT s.case_id, s.seq, s.flow, s.version, s.variant, s.step, s.kind,
			s.department, s.entered_at, s.claimed_at, s.completed_at, s.outcome, s.sla_due, s.breached,
			s.escalation_level, s.actor, s.assigned_at,
			COALESCE(c.pilot_id, ''), CASE WHEN c.pilot_id IS NULL THEN '' ELSE c.variant END,
			COALESCE(c.customer, ''), COALESCE(c.channel, ''), COALESCE(c.status, ''), c.created_at, c.closed_at,
			f.csat, f.nps, f.resolved_first_contact,
			CASE WHEN fu.outcome = 'answered' THEN fu.csat END, CASE WHEN fu.outcome = 'answered' THEN fu.improvement ELSE '' END
		FROM spans s
		LEFT JOIN cases c ON c.id = s.case_id
		LEFT JOIN feedback f ON f.case_id = s.case_id
		LEFT JOIN follow_ups fu ON fu.case_id = s.case_id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	if f.ByCase {
		query += ` ORDER BY s.case_id, s.seq LIMIT ?`
	} else {
		query += ` ORDER BY s.entered_at, s.case_id, s.seq LIMIT ?`
	}
	args = append(args, normalize.Limit(f.Limit, normalize.SpanLimitDefault, normalize.SpanLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: export spans", err)
	}
	out, err := collect(rows, func(r scanner) (store.ExportedSpan, error) {
		var (
			x                   spanRow
			e                   store.ExportedSpan
			caseCreated, closed sql.NullInt64
		)
		err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt,
			&e.PilotID, &e.Arm, &e.Customer, &e.Channel, &e.CaseStatus, &caseCreated, &closed, &e.CSAT, &e.NPS, &e.ResolvedFirstContact,
			&e.FollowUpCSAT, &e.Improvement)
		e.Span = spanFromInternal(x)
		if caseCreated.Valid {
			e.CaseCreatedAt = fromNanos(caseCreated.Int64)
		}
		e.CaseClosedAt = fromNullNanos(closed)
		return e, err
	})
	if err != nil {
		return nil, mapErr("sqlite: export spans", err)
	}
	return out, nil
}
