package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

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
	enteredAt, completedAt                                        time.Time
	claimedAt, slaDue, assignedAt                                 *time.Time
	breached                                                      bool
}

func spanFromInternal(x spanRow) store.Span {
	return store.Span{
		CaseID: x.caseID, Seq: x.seq, Flow: x.flow, Version: x.version, Variant: x.variant, Step: x.step,
		Kind: x.kind, Department: x.department, EnteredAt: utc(x.enteredAt), ClaimedAt: utcPtr(x.claimedAt),
		CompletedAt: utc(x.completedAt), Outcome: x.outcome, SLADue: utcPtr(x.slaDue), Breached: x.breached,
		EscalationLevel: x.escalationLevel, Actor: x.actor, AssignedAt: utcPtr(x.assignedAt),
	}
}

// recordSpan inserts s unless a span with its (case, seq) exists, and
// counts a new span into its rollups; q must be a transaction.
func (st *Store) recordSpan(ctx context.Context, q pgq, s store.Span) error {
	s = normalize.Span(s)
	// The rollup sees what the column keeps (pgx sends microseconds).
	s.EnteredAt, s.CompletedAt = s.EnteredAt.Truncate(time.Microsecond), s.CompletedAt.Truncate(time.Microsecond)
	s.ClaimedAt, s.SLADue, s.AssignedAt = truncMicros(s.ClaimedAt), truncMicros(s.SLADue), truncMicros(s.AssignedAt)
	tag, err := q.Exec(ctx, `INSERT INTO spans (`+spanCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)
		ON CONFLICT (case_id, seq) DO NOTHING`,
		s.CaseID, s.Seq, s.Flow, s.Version, s.Variant, s.Step, s.Kind, s.Department, s.EnteredAt, s.ClaimedAt,
		s.CompletedAt, s.Outcome, s.SLADue, s.Breached, s.EscalationLevel, s.Actor, s.AssignedAt)
	if err != nil || tag.RowsAffected() == 0 {
		return err
	}
	return rollup.Record(ctx, rollupTx{q: q}, &st.cals, s)
}

// RecordSpan stores a span, idempotently on (CaseID, Seq).
func (s *Store) RecordSpan(ctx context.Context, sp store.Span) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return s.recordSpan(ctx, tx, sp) })
	if err != nil {
		return mapErr("postgres: record span", err)
	}
	return nil
}

// listSpansQuery is ListSpans' query.
func listSpansQuery(f store.SpanFilter) (string, []any) {
	var w where
	if f.CaseID != "" {
		w.add("case_id = ?", f.CaseID)
	}
	if f.Flow != "" {
		w.add("flow = ?", f.Flow)
	}
	if f.Version != 0 {
		w.add("version = ?", f.Version)
	}
	if f.Variant != "" {
		w.add("variant = ?", f.Variant)
	}
	if f.Step != "" {
		w.add("step = ?", f.Step)
	}
	if f.Department != "" {
		w.add("department = ?", f.Department)
	}
	if f.From != nil {
		w.add("entered_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		w.add("entered_at < ?", f.To.UTC())
	}
	if f.CompletedFrom != nil {
		w.add("completed_at >= ?", bound(*f.CompletedFrom))
	}
	if f.CompletedTo != nil {
		w.add("completed_at < ?", bound(*f.CompletedTo))
	}
	sql := `SELECT ` + spanCols + ` FROM spans` + w.String() + ` ORDER BY entered_at, case_id, seq`
	if f.Limit > 0 {
		sql += ` LIMIT ` + w.arg(f.Limit)
	}
	return sql, w.args
}

// ListSpans returns the spans matching f in (entered_at, case_id, seq) order.
func (s *Store) ListSpans(ctx context.Context, f store.SpanFilter) ([]store.Span, error) {
	sql, args := listSpansQuery(f)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapErr("postgres: list spans", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Span, error) {
		var x spanRow
		err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt)
		return spanFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("postgres: list spans", err)
	}
	return out, nil
}

// ExportSpans returns the spans matching f with their case's pilot, arm and
// feedback, in (entered_at, case_id, seq) order from after f.After.
func (s *Store) ExportSpans(ctx context.Context, f store.ExportSpansParams) ([]store.ExportedSpan, error) {
	var w where
	if f.Flow != "" {
		w.add("s.flow = ?", f.Flow)
	}
	if f.Version != 0 {
		w.add("s.version = ?", f.Version)
	}
	if f.PilotID != "" {
		w.add("c.pilot_id = ?", f.PilotID)
	}
	if f.From != nil {
		w.add("s.entered_at >= ?", bound(*f.From))
	}
	if f.To != nil {
		w.add("s.entered_at < ?", bound(*f.To))
	}
	if c := f.After; c != nil {
		if f.ByCase {
			w.add("(s.case_id, s.seq) > (?, ?)", c.CaseID, c.Seq)
		} else {
			w.add("(s.entered_at, s.case_id, s.seq) > (?, ?, ?)", c.EnteredAt.UTC(), c.CaseID, c.Seq)
		}
	}
	order := "s.entered_at, s.case_id, s.seq"
	if f.ByCase {
		order = "s.case_id, s.seq"
	}
	limit := w.arg(normalize.Limit(f.Limit, normalize.SpanLimitDefault, normalize.SpanLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT s.case_id, s.seq, s.flow, s.version, s.variant, s.step, s.kind,
			s.department, s.entered_at, s.claimed_at, s.completed_at, s.outcome, s.sla_due, s.breached,
			s.escalation_level, s.actor, s.assigned_at,
			COALESCE(c.pilot_id, ''), CASE WHEN c.pilot_id IS NULL THEN '' ELSE c.variant END,
			COALESCE(c.customer, ''), COALESCE(c.channel, ''), COALESCE(c.status, ''), c.created_at, c.closed_at,
			f.csat, f.nps, f.resolved_first_contact,
			CASE WHEN fu.outcome = 'answered' THEN fu.csat END, CASE WHEN fu.outcome = 'answered' THEN fu.improvement ELSE '' END
		FROM spans s
		LEFT JOIN cases c ON c.id = s.case_id
		LEFT JOIN feedback f ON f.case_id = s.case_id
		LEFT JOIN follow_ups fu ON fu.case_id = s.case_id`+w.String()+`
		ORDER BY `+order+` LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: export spans", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.ExportedSpan, error) {
		var (
			x                   spanRow
			e                   store.ExportedSpan
			caseCreated, closed *time.Time
		)
		err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt,
			&e.PilotID, &e.Arm, &e.Customer, &e.Channel, &e.CaseStatus, &caseCreated, &closed, &e.CSAT, &e.NPS, &e.ResolvedFirstContact,
			&e.FollowUpCSAT, &e.Improvement)
		e.Span = spanFromInternal(x)
		if caseCreated != nil {
			e.CaseCreatedAt = utc(*caseCreated)
		}
		e.CaseClosedAt = utcPtr(closed)
		return e, err
	})
	if err != nil {
		return nil, mapErr("postgres: export spans", err)
	}
	return out, nil
}

func truncMicros(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.Truncate(time.Microsecond)
	return &u
}
