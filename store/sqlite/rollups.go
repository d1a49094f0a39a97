package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/rollup"
)

// rollupTx implements rollup.Tx on a transaction (SQLite writers are
// serialised, so no row lock is needed).
type rollupTx struct{ q querier }

func compiled(ctx context.Context, q querier, flow string, version int) ([]byte, error) {
	var raw sql.NullString
	err := q.QueryRowContext(ctx, `SELECT compiled FROM flow_versions WHERE key = ? AND version = ?`, flow, version).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil // spans of an unknown version: elapsed time
	}
	return []byte(raw.String), err
}

func (t rollupTx) Compiled(ctx context.Context, flow string, version int) ([]byte, error) {
	return compiled(ctx, t.q, flow, version)
}

// prevQuery finds the entered times of a span's previous spans of its
// case (any step, same step). The unary + keeps SQLite on the primary key
// (case_id, seq): without statistics it prefers spans_flow_idx for its
// three equalities, which scans every earlier span of the flow version on
// each span write (TestRollupQueriesUseThePrimaryKey).
const prevQuery = `SELECT max(entered_at), max(entered_at) FILTER (WHERE step = ?)
		FROM spans WHERE case_id = ? AND +flow = ? AND +version = ? AND +variant = ?
		AND (entered_at, seq) < (?, ?)`

func (t rollupTx) Prev(ctx context.Context, sp store.Span) (prev, prevStep *time.Time, err error) {
	var p, ps sql.NullInt64
	err = t.q.QueryRowContext(ctx, prevQuery,
		sp.Step, sp.CaseID, sp.Flow, sp.Version, sp.Variant, nanos(sp.EnteredAt), sp.Seq).Scan(&p, &ps)
	return fromNullNanos(p), fromNullNanos(ps), err
}

func (t rollupTx) Load(ctx context.Context, k rollup.Key) ([]byte, string, string, bool, error) {
	var (
		data       []byte
		kind, dept string
	)
	err := t.q.QueryRowContext(ctx, `SELECT data, kind, department FROM span_rollups
		WHERE flow = ? AND version = ? AND variant = ? AND step = ? AND grain = ? AND bucket = ?`,
		k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket).Scan(&data, &kind, &dept)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", "", false, nil
	}
	return data, kind, dept, err == nil, err
}

func (t rollupTx) Save(ctx context.Context, k rollup.Key, kind, dept string, data []byte, _ bool) error {
	_, err := t.q.ExecContext(ctx, `INSERT INTO span_rollups (flow, version, variant, step, grain, bucket, kind, department, data)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (flow, version, grain, bucket, variant, step)
		DO UPDATE SET kind = excluded.kind, department = excluded.department, data = excluded.data`,
		k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket, kind, dept, data)
	return err
}

// spanSource implements rollup.Source for one filter.
type spanSource struct {
	q querier
	f store.SpanStatsFilter
}

func (src spanSource) where(alias string) (string, []any) {
	cond := alias + `.flow = ? AND ` + alias + `.version = ?`
	args := []any{src.f.Flow, src.f.Version}
	if src.f.Variant != "" {
		args = append(args, src.f.Variant)
		cond += ` AND ` + alias + `.variant = ?`
	}
	return cond, args
}

func (src spanSource) Compiled(ctx context.Context, flow string, version int) ([]byte, error) {
	return compiled(ctx, src.q, flow, version)
}

func (src spanSource) Rows(ctx context.Context, grain string, r rollup.Range) ([]rollup.Row, error) {
	cond, args := src.where("r")
	cond += ` AND r.grain = ?`
	args = append(args, grain)
	if !r.OpenFrom {
		cond += ` AND r.bucket >= ?`
		args = append(args, r.From)
	}
	if !r.OpenTo {
		cond += ` AND r.bucket < ?`
		args = append(args, r.To)
	}
	rows, err := src.q.QueryContext(ctx, `SELECT r.step, r.kind, r.department, r.data FROM span_rollups r
		WHERE `+cond+` ORDER BY r.bucket`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []rollup.Row
	for rows.Next() {
		var x rollup.Row
		if err := rows.Scan(&x.Step, &x.Kind, &x.Department, &x.Data); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// prevCols are the entered times of each span's previous spans of its case
// (any step, same step). Here too the unary + keeps the subqueries on the
// primary key instead of a range of the flow's spans (see Prev).
const prevCols = `(SELECT max(p.entered_at) FROM spans p WHERE p.case_id = s.case_id AND +p.flow = s.flow
			AND +p.version = s.version AND +p.variant = s.variant AND (p.entered_at, p.seq) < (s.entered_at, s.seq)),
		(SELECT max(p.entered_at) FROM spans p WHERE p.case_id = s.case_id AND +p.flow = s.flow
			AND +p.version = s.version AND +p.variant = s.variant AND +p.step = s.step
			AND (p.entered_at, p.seq) < (s.entered_at, s.seq))`

func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func scanEntries(rows *sql.Rows) ([]rollup.Entry, error) {
	defer rows.Close()
	var out []rollup.Entry
	for rows.Next() {
		var (
			x              spanRow
			prev, prevStep sql.NullInt64
		)
		if err := rows.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
			&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt,
			&prev, &prevStep); err != nil {
			return nil, err
		}
		out = append(out, rollup.Entry{Span: spanFromInternal(x), Prev: fromNullNanos(prev), PrevStep: fromNullNanos(prevStep)})
	}
	return out, rows.Err()
}

func (src spanSource) Raw(ctx context.Context, from, to time.Time) ([]rollup.Entry, error) {
	cond, args := src.where("s")
	args = append(args, nanos(from), nanos(to))
	rows, err := src.q.QueryContext(ctx, `SELECT `+prefixed("s", spanCols)+`, `+prevCols+`
		FROM spans s WHERE `+cond+` AND s.entered_at >= ? AND s.entered_at < ?`, args...)
	if err != nil {
		return nil, err
	}
	return scanEntries(rows)
}

func (src spanSource) Continuing(ctx context.Context, from, to, until time.Time, untilEnd *time.Time) (map[string]int, int, error) {
	cond, args := src.where("s")
	lead := `FROM spans s WHERE ` + cond + ` AND s.entered_at >= ? AND s.entered_at < ?`
	args = append(args, nanos(from), nanos(to))
	next := `n.case_id = l.case_id AND +n.flow = ? AND +n.version = ? AND +n.variant = l.variant AND +n.entered_at >= ?`
	nextArgs := []any{src.f.Flow, src.f.Version, nanos(until)}
	if untilEnd != nil {
		next += ` AND +n.entered_at < ?`
		nextArgs = append(nextArgs, nanos(*untilEnd))
	}
	all := append(append([]any{}, args...), nextArgs...)
	rows, err := src.q.QueryContext(ctx, `SELECT l.step, count(*) FROM (SELECT DISTINCT s.case_id, s.variant, s.step `+lead+`) l
		WHERE EXISTS (SELECT 1 FROM spans n WHERE `+next+` AND +n.step = l.step) GROUP BY l.step`, all...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	steps := map[string]int{}
	for rows.Next() {
		var (
			step string
			k    int
		)
		if err := rows.Scan(&step, &k); err != nil {
			return nil, 0, err
		}
		steps[step] = k
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var cases int
	err = src.q.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT DISTINCT s.case_id, s.variant `+lead+`) l
		WHERE EXISTS (SELECT 1 FROM spans n WHERE `+next+`)`, all...).Scan(&cases)
	return steps, cases, err
}

// SpanStats summarises the spans of a flow version per step from the
// rollups and the raw spans of the range's partial days (decision 0017).
func (s *Store) SpanStats(ctx context.Context, f store.SpanStatsFilter) (store.SpanStats, error) {
	if f.Flow == "" || f.Version <= 0 {
		return store.SpanStats{}, fmt.Errorf("sqlite: span stats: flow and version are required")
	}
	var from, to *time.Time
	if f.From != nil {
		t := f.From.UTC()
		from = &t
	}
	if f.To != nil {
		t := f.To.UTC()
		to = &t
	}
	// A read transaction: one snapshot for the rollups and the raw spans.
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return store.SpanStats{}, mapErr("sqlite: span stats", err)
	}
	defer func() { _ = tx.Rollback() }()
	out, err := rollup.Stats(ctx, spanSource{q: tx, f: f}, &s.cals, rollup.NewPlan(from, to))
	if err != nil {
		return store.SpanStats{}, mapErr("sqlite: span stats", err)
	}
	return out, nil
}

// RebuildSpanRollups recomputes every span rollup from the spans in one
// transaction (the backfill of migration 0011) and returns the number of
// rollup rows.
func (s *Store) RebuildSpanRollups(ctx context.Context) (int, error) {
	var n int
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = rebuildRollups(ctx, tx)
		return err
	})
	if err != nil {
		return 0, mapErr("sqlite: rebuild span rollups", err)
	}
	return n, nil
}

func rebuildRollups(ctx context.Context, tx *sql.Tx) (int, error) {
	if _, err := tx.ExecContext(ctx, `DELETE FROM span_rollups`); err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+spanCols+`,
			lag(entered_at) OVER (PARTITION BY case_id, flow, version, variant ORDER BY entered_at, seq),
			lag(entered_at) OVER (PARTITION BY case_id, flow, version, variant, step ORDER BY entered_at, seq)
		FROM spans ORDER BY flow, version, variant, step, entered_at, seq`)
	if err != nil {
		return 0, err
	}
	entries, err := scanEntries(rows)
	if err != nil {
		return 0, err
	}
	save := rollupTx{q: tx}
	b := rollup.NewBuilder(&rollup.Calendars{}, save.Compiled, func(k rollup.Key, r *analytics.StepRollup) error {
		data, err := r.MarshalBinary()
		if err != nil {
			return err
		}
		return save.Save(ctx, k, r.Kind, r.Department, data, false)
	})
	for _, e := range entries {
		if err := b.Add(ctx, e); err != nil {
			return 0, err
		}
	}
	if err := b.Close(); err != nil {
		return 0, err
	}
	return b.Rows, nil
}
