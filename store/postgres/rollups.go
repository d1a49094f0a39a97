package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/rollup"
)

// pgq is what the rollup code needs of a connection or transaction.
type pgq interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
	Query(context.Context, string, ...any) (pgx.Rows, error)
	QueryRow(context.Context, string, ...any) pgx.Row
}

// emptyRollup is the encoding of a rollup without spans.
var emptyRollup = func() []byte {
	b, _ := (&analytics.StepRollup{}).MarshalBinary()
	return b
}()

// rollupTx implements rollup.Tx on a transaction.
type rollupTx struct{ q pgq }

func compiled(ctx context.Context, q pgq, flow string, version int) ([]byte, error) {
	var raw []byte
	err := q.QueryRow(ctx, `SELECT compiled FROM flow_versions WHERE key = $1 AND version = $2`, flow, version).Scan(&raw)
	if err == pgx.ErrNoRows {
		return nil, nil // spans of an unknown version: elapsed time
	}
	return raw, err
}

func (t rollupTx) Compiled(ctx context.Context, flow string, version int) ([]byte, error) {
	return compiled(ctx, t.q, flow, version)
}

func (t rollupTx) Prev(ctx context.Context, sp store.Span) (prev, prevStep *time.Time, err error) {
	err = t.q.QueryRow(ctx, `SELECT max(entered_at), max(entered_at) FILTER (WHERE step = $5)
		FROM spans WHERE case_id = $1 AND flow = $2 AND version = $3 AND variant = $4
		AND (entered_at, seq) < ($6, $7)`,
		sp.CaseID, sp.Flow, sp.Version, sp.Variant, sp.Step, sp.EnteredAt.UTC(), sp.Seq).Scan(&prev, &prevStep)
	return utcPtr(prev), utcPtr(prevStep), err
}

// Load makes sure the row exists (an empty one) and locks it, so
// concurrent writers of one row queue instead of colliding on insert.
func (t rollupTx) Load(ctx context.Context, k rollup.Key) ([]byte, string, string, bool, error) {
	if _, err := t.q.Exec(ctx, `INSERT INTO span_rollups (flow, version, variant, step, grain, bucket, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
		k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket, emptyRollup); err != nil {
		return nil, "", "", false, err
	}
	var (
		data       []byte
		kind, dept string
	)
	err := t.q.QueryRow(ctx, `SELECT data, kind, department FROM span_rollups
		WHERE flow = $1 AND version = $2 AND variant = $3 AND step = $4 AND grain = $5 AND bucket = $6
		FOR UPDATE`, k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket).Scan(&data, &kind, &dept)
	return data, kind, dept, true, err
}

func (t rollupTx) Save(ctx context.Context, k rollup.Key, kind, dept string, data []byte, _ bool) error {
	_, err := t.q.Exec(ctx, `UPDATE span_rollups SET kind = $7, department = $8, data = $9
		WHERE flow = $1 AND version = $2 AND variant = $3 AND step = $4 AND grain = $5 AND bucket = $6`,
		k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket, kind, dept, data)
	return err
}

// spanSource implements rollup.Source for one filter.
type spanSource struct {
	q pgq
	f store.SpanStatsFilter
}

// where is the filter's condition on spans aliased a, its arguments
// starting at $1.
func (src spanSource) where(alias string) (string, []any) {
	cond := alias + `.flow = $1 AND ` + alias + `.version = $2`
	args := []any{src.f.Flow, src.f.Version}
	if src.f.Variant != "" {
		args = append(args, src.f.Variant)
		cond += ` AND ` + alias + `.variant = $3`
	}
	return cond, args
}

func (src spanSource) Compiled(ctx context.Context, flow string, version int) ([]byte, error) {
	return compiled(ctx, src.q, flow, version)
}

func (src spanSource) Rows(ctx context.Context, grain string, r rollup.Range) ([]rollup.Row, error) {
	cond, args := src.where("r")
	args = append(args, grain)
	cond += ` AND r.grain = $` + strconv.Itoa(len(args))
	if !r.OpenFrom {
		args = append(args, r.From)
		cond += ` AND r.bucket >= $` + strconv.Itoa(len(args))
	}
	if !r.OpenTo {
		args = append(args, r.To)
		cond += ` AND r.bucket < $` + strconv.Itoa(len(args))
	}
	rows, err := src.q.Query(ctx, `SELECT r.step, r.kind, r.department, r.data FROM span_rollups r
		WHERE `+cond+` ORDER BY r.bucket`, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (rollup.Row, error) {
		var x rollup.Row
		err := r.Scan(&x.Step, &x.Kind, &x.Department, &x.Data)
		return x, err
	})
}

// prevCols are the entered times of a span's previous spans (of its case,
// flow, version and variant; and of its step) for spans aliased s.
const prevCols = `(SELECT max(p.entered_at) FROM spans p WHERE p.case_id = s.case_id AND p.flow = s.flow
			AND p.version = s.version AND p.variant = s.variant AND (p.entered_at, p.seq) < (s.entered_at, s.seq)),
		(SELECT max(p.entered_at) FROM spans p WHERE p.case_id = s.case_id AND p.flow = s.flow
			AND p.version = s.version AND p.variant = s.variant AND p.step = s.step
			AND (p.entered_at, p.seq) < (s.entered_at, s.seq))`

func (src spanSource) Raw(ctx context.Context, from, to time.Time) ([]rollup.Entry, error) {
	cond, args := src.where("s")
	args = append(args, from.UTC(), to.UTC())
	n := len(args)
	rows, err := src.q.Query(ctx, `SELECT `+prefixed("s", spanCols)+`, `+prevCols+`
		FROM spans s WHERE `+cond+` AND s.entered_at >= $`+strconv.Itoa(n-1)+` AND s.entered_at < $`+strconv.Itoa(n), args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanEntry)
}

func scanEntry(r pgx.CollectableRow) (rollup.Entry, error) {
	var (
		x              spanRow
		prev, prevStep *time.Time
	)
	err := r.Scan(&x.caseID, &x.seq, &x.flow, &x.version, &x.variant, &x.step, &x.kind, &x.department,
		&x.enteredAt, &x.claimedAt, &x.completedAt, &x.outcome, &x.slaDue, &x.breached, &x.escalationLevel, &x.actor, &x.assignedAt,
		&prev, &prevStep)
	return rollup.Entry{Span: spanFromInternal(x), Prev: utcPtr(prev), PrevStep: utcPtr(prevStep)}, err
}

func prefixed(alias, cols string) string {
	parts := strings.Split(cols, ",")
	for i, c := range parts {
		parts[i] = alias + "." + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}

func (src spanSource) Continuing(ctx context.Context, from, to, until time.Time, untilEnd *time.Time) (map[string]int, int, error) {
	cond, args := src.where("s")
	args = append(args, from.UTC(), to.UTC(), until.UTC())
	n := len(args)
	next := `n.case_id = l.case_id AND n.flow = $1 AND n.version = $2 AND n.variant = l.variant
		AND n.entered_at >= $` + strconv.Itoa(n)
	if untilEnd != nil {
		args = append(args, untilEnd.UTC())
		next += ` AND n.entered_at < $` + strconv.Itoa(len(args))
	}
	lead := `FROM spans s WHERE ` + cond + ` AND s.entered_at >= $` + strconv.Itoa(n-2) + ` AND s.entered_at < $` + strconv.Itoa(n-1)
	// LATERAL … LIMIT 1 probes each lead (case, step) through the primary
	// key; an EXISTS was planned as a semi-join reading every span of the
	// interior (a week of the largest flow: 260 ms at 10M spans).
	rows, err := src.q.Query(ctx, `SELECT l.step, count(*) FROM (SELECT DISTINCT s.case_id, s.variant, s.step `+lead+`) l
		CROSS JOIN LATERAL (SELECT 1 FROM spans n WHERE `+next+` AND n.step = l.step LIMIT 1) x GROUP BY l.step`, args...)
	if err != nil {
		return nil, 0, err
	}
	steps := map[string]int{}
	for rows.Next() {
		var (
			step string
			k    int
		)
		if err := rows.Scan(&step, &k); err != nil {
			rows.Close()
			return nil, 0, err
		}
		steps[step] = k
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var cases int
	err = src.q.QueryRow(ctx, `SELECT count(*) FROM (SELECT DISTINCT s.case_id, s.variant `+lead+`) l
		CROSS JOIN LATERAL (SELECT 1 FROM spans n WHERE `+next+` LIMIT 1) x`, args...).Scan(&cases)
	return steps, cases, err
}

// SpanStats summarises the spans of a flow version per step from the
// rollups and the raw spans of the range's partial days (decision 0017).
func (s *Store) SpanStats(ctx context.Context, f store.SpanStatsFilter) (store.SpanStats, error) {
	if f.Flow == "" || f.Version <= 0 {
		return store.SpanStats{}, fmt.Errorf("postgres: span stats: flow and version are required")
	}
	from, to := utcPtr(f.From), utcPtr(f.To)
	var out store.SpanStats
	// One snapshot for the rollups and the raw spans.
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var err error
		out, err = rollup.Stats(ctx, spanSource{q: tx, f: f}, &s.cals, rollup.NewPlan(from, to))
		return err
	})
	if err != nil {
		return store.SpanStats{}, mapErr("postgres: span stats", err)
	}
	return out, nil
}

// RebuildSpanRollups recomputes every span rollup from the spans, in one
// transaction: the backfill of migration 0011, also used by the benchmark
// after bulk-loading spans. It returns the number of rollup rows.
func (s *Store) RebuildSpanRollups(ctx context.Context) (int, error) {
	var rows int
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		rows, err = s.rebuildRollups(ctx, tx)
		return err
	})
	if err != nil {
		return 0, mapErr("postgres: rebuild span rollups", err)
	}
	return rows, nil
}

func (s *Store) rebuildRollups(ctx context.Context, tx pgx.Tx) (int, error) {
	if _, err := tx.Exec(ctx, `DELETE FROM span_rollups`); err != nil {
		return 0, err
	}
	// The cursor sorts every span (twice for the window functions, once
	// for the order): give this one transaction room to sort in memory.
	if _, err := tx.Exec(ctx, `SET LOCAL work_mem = '256MB'`); err != nil {
		return 0, err
	}
	defs := map[string][]byte{}
	drows, err := tx.Query(ctx, `SELECT key, version, compiled FROM flow_versions`)
	if err != nil {
		return 0, err
	}
	for drows.Next() {
		var (
			key string
			v   int
			raw []byte
		)
		if err := drows.Scan(&key, &v, &raw); err != nil {
			drows.Close()
			return 0, err
		}
		defs[key+"\x00"+strconv.Itoa(v)] = raw
	}
	if err := drows.Err(); err != nil {
		return 0, err
	}
	load := func(_ context.Context, flow string, version int) ([]byte, error) {
		return defs[flow+"\x00"+strconv.Itoa(version)], nil
	}
	var batch [][]any
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"span_rollups"},
			[]string{"flow", "version", "variant", "step", "grain", "bucket", "kind", "department", "data"},
			pgx.CopyFromRows(batch))
		batch = batch[:0]
		return err
	}
	b := rollup.NewBuilder(&rollup.Calendars{}, load, func(k rollup.Key, r *analytics.StepRollup) error {
		data, err := r.MarshalBinary()
		if err != nil {
			return err
		}
		batch = append(batch, []any{k.Flow, k.Version, k.Variant, k.Step, k.Grain, k.Bucket, r.Kind, r.Department, data})
		return nil
	})
	if _, err := tx.Exec(ctx, `DECLARE span_rollup_src NO SCROLL CURSOR FOR
		SELECT `+spanCols+`,
			lag(entered_at) OVER (PARTITION BY case_id, flow, version, variant ORDER BY entered_at, seq),
			lag(entered_at) OVER (PARTITION BY case_id, flow, version, variant, step ORDER BY entered_at, seq)
		FROM spans ORDER BY flow, version, variant, step, entered_at, seq`); err != nil {
		return 0, err
	}
	for {
		rows, err := tx.Query(ctx, `FETCH 10000 FROM span_rollup_src`)
		if err != nil {
			return 0, err
		}
		entries, err := pgx.CollectRows(rows, scanEntry)
		if err != nil {
			return 0, err
		}
		for _, e := range entries {
			if err := b.Add(ctx, e); err != nil {
				return 0, err
			}
		}
		if len(batch) >= 500 || len(entries) == 0 {
			if err := flush(); err != nil {
				return 0, err
			}
		}
		if len(entries) == 0 {
			break
		}
	}
	if _, err := tx.Exec(ctx, `CLOSE span_rollup_src`); err != nil {
		return 0, err
	}
	if err := b.Close(); err != nil {
		return 0, err
	}
	if err := flush(); err != nil {
		return 0, err
	}
	// Rows were written step by step; a report reads a flow version's
	// rows by grain and bucket: store them in that order.
	if _, err := tx.Exec(ctx, `CLUSTER span_rollups USING span_rollups_pkey`); err != nil {
		return 0, err
	}
	return b.Rows, nil
}
