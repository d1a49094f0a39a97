package main

// Scenario "analytics" (issue 7, scenario 4): the bottleneck report over
// 1M and 10M synthetic spans in PostgreSQL, through the real endpoint of an
// in-process server on loopback, against the naive percentile_cont GROUP BY
// over the raw spans in the same database, with the maximum relative error
// of our percentiles against percentile_cont's.

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/e2e/cluster"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/postgres"
)

func init() {
	register(scenario{
		Name:  "analytics",
		Brief: "bottleneck report over 1M/10M spans (rollups) vs naive percentile_cont over raw spans",
		Run:   runAnalytics,
	})
}

// Targets of the issue.
const (
	anTargetMillis = 100.0
	anTargetRatio  = 50.0
	anTargetErr    = 0.01
)

// anFlows are the synthetic flows: share of the cases, steps.
var anFlows = []struct {
	key   string
	share float64
}{{"complaint", 0.55}, {"returns", 0.25}, {"appointment", 0.15}, {"pdca", 0.05}}

const (
	anSteps     = 20
	anAdminTok  = "bench-analytics-admin"
	anYear      = 2025
	anVariantA  = "control"
	anVariantB  = "treatment"
	anRevisitPc = 3 // percent of cases reopened: a step visited again, days later
)

// anStepKind gives a flow's steps their kinds: mostly tasks, some auto
// and wait steps.
func anStepKind(i int) string {
	switch {
	case i%7 == 3:
		return "auto"
	case i%9 == 5:
		return "wait"
	default:
		return "task"
	}
}

func anDefinition(key string) flow.Definition {
	d := flow.Definition{Key: key, Version: 1, Name: key, Departments: []string{"cs", "tech", "field", "supervisor"}}
	for i := range anSteps {
		st := flow.Step{ID: fmt.Sprintf("s%02d", i), Kind: flow.Kind(anStepKind(i))}
		if st.Kind == flow.KindTask {
			st.Department = d.Departments[i%len(d.Departments)]
		}
		d.Steps = append(d.Steps, st)
	}
	return d
}

type anQuery struct {
	Name     string
	From, To time.Time
}

// anQueries: the whole year, one month (aligned to buckets) and a week that
// cuts days at both ends.
func anQueries() []anQuery {
	return []anQuery{
		{"year", time.Date(anYear, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(anYear+1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"month", time.Date(anYear, 6, 1, 0, 0, 0, 0, time.UTC), time.Date(anYear, 7, 1, 0, 0, 0, 0, time.UTC)},
		{"week, cut days", time.Date(anYear, 9, 9, 10, 30, 0, 0, time.UTC), time.Date(anYear, 9, 16, 15, 45, 0, 0, time.UTC)},
	}
}

type anRow struct {
	Spans       int     `json:"spans"`
	Flow        string  `json:"flow"`
	Range       string  `json:"range"`
	RangeSpans  int     `json:"range_spans"`
	FlowlabMs   float64 `json:"flowlab_ms"`
	NaiveMs     float64 `json:"naive_ms"`
	Ratio       float64 `json:"ratio"`
	MaxRelErr   float64 `json:"max_rel_err"`
	CasesExact  bool    `json:"cases_exact"`
	FlowlabReps int     `json:"flowlab_reps"`
	NaiveReps   int     `json:"naive_reps"`
}

type anSize struct {
	Spans        int     `json:"spans"`
	Cases        int     `json:"cases"`
	LoadSeconds  float64 `json:"load_s"`
	BuildSeconds float64 `json:"rollup_build_s"`
	RollupRows   int     `json:"rollup_rows"`
	SpansMiB     float64 `json:"spans_table_mib"`
	RollupsMiB   float64 `json:"rollups_table_mib"`
}

func runAnalytics(ctx context.Context, e env) (*kit.Result, error) {
	sizes := e.sizes([]int{20_000}, []int{1_000_000, 10_000_000})
	res := kit.NewResult("analytics", "spans", "flow", "range", "range spans", "flowlab ms", "naive ms", "ratio", "max rel err", "cases exact")
	res.Params["sizes"] = fmt.Sprint(sizes)
	res.Params["flows"] = "4 (55/25/15/5% of cases), 20 steps each, 2 arms, a year"
	var rows []anRow
	var loads []anSize
	err := withHarness("analytics", e.Log, func(t *harnessT) error {
		dir := t.TempDir()
		// initdb runs as the postgres user when this is root: it must reach
		// the directory (cluster.Start does the same).
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		pg := cluster.StartPostgres(t, dir)
		for _, n := range sizes {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			r, l, err := anRun(ctx, e, pg, n)
			if err != nil {
				return fmt.Errorf("%d spans: %w", n, err)
			}
			rows = append(rows, r...)
			loads = append(loads, l)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		res.Row(r.Spans, r.Flow, r.Range, r.RangeSpans, r.FlowlabMs, r.NaiveMs, r.Ratio, r.MaxRelErr, r.CasesExact)
	}
	for _, l := range loads {
		res.Note("%d spans (%d cases): COPY %.1f s, rollup build (the migration's backfill) %.1f s, %d rollup rows; spans table %.0f MiB, rollups %.1f MiB",
			l.Spans, l.Cases, l.LoadSeconds, l.BuildSeconds, l.RollupRows, l.SpansMiB, l.RollupsMiB)
	}
	res.Note("flowlab: GET /api/v1/flows/{key}/bottlenecks?version=1&from&to on an in-process server (loopback HTTP, JSON), Config.ExactSpans=-1 so rollups always answer; naive: percentile_cont(0.5, 0.9, 0.95) of wait and work per step over the raw spans; medians of the repetitions")
	res.Note("the ratio target is taken over the whole-year reports (every span of a flow); a week or a month of one flow is a few thousand to a few hundred thousand spans, which percentile_cont sorts quickly itself: their ratios are in the table")
	res.Note("max rel err: over every step and p50/p90/p95 of wait and work, |flowlab - percentile_cont| / percentile_cont; the sketch's bound is %.1f%%", 100*0.005)
	// Targets at the largest size.
	largest := sizes[len(sizes)-1]
	worstMs, worstRatio, worstErr, allExact := 0.0, math.Inf(1), 0.0, true
	for _, r := range rows {
		if r.Spans != largest {
			continue
		}
		worstMs = max(worstMs, r.FlowlabMs)
		if r.Range == "year" {
			worstRatio = min(worstRatio, r.Ratio)
		}
		worstErr = max(worstErr, r.MaxRelErr)
		allExact = allExact && r.CasesExact
	}
	res.Target(fmt.Sprintf("bottleneck report at %d spans (slowest range)", largest), fmt.Sprintf("<= %.0f ms", anTargetMillis),
		fmt.Sprintf("%.1f ms", worstMs), worstMs <= anTargetMillis)
	res.Target(fmt.Sprintf("faster than naive percentile_cont at %d spans (whole-year reports, least ratio)", largest), fmt.Sprintf(">= %.0fx", anTargetRatio),
		fmt.Sprintf("%.0fx", worstRatio), worstRatio >= anTargetRatio)
	res.Target("percentiles vs percentile_cont (max relative error); counts exact", "<= 1%, exact cases",
		fmt.Sprintf("%.3f%%, cases exact: %v", 100*worstErr, allExact), worstErr <= anTargetErr && allExact)
	res.Data = map[string]any{"rows": rows, "loads": loads}
	return res, nil
}

// anRun loads n spans into a database of their own, builds the rollups and
// times both queries.
func anRun(ctx context.Context, e env, pg *cluster.Postgres, n int) ([]anRow, anSize, error) {
	size := anSize{Spans: n}
	db := fmt.Sprintf("analytics_%d", n)
	if err := pg.CreateDatabase(ctx, db); err != nil {
		return nil, size, err
	}
	st, err := postgres.Open(ctx, pg.URL(db))
	if err != nil {
		return nil, size, err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return nil, size, err
	}
	for _, f := range anFlows {
		raw, err := json.Marshal(anDefinition(f.key))
		if err != nil {
			return nil, size, err
		}
		if _, _, err := st.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: f.key, Version: 1, Name: f.key,
			Source: "# synthetic\n", Compiled: raw, Hash: f.key + "-1", CreatedBy: "bench", At: time.Date(anYear, 1, 1, 0, 0, 0, 0, time.UTC)}); err != nil {
			return nil, size, err
		}
	}
	conn, err := pg.Connect(ctx, db)
	if err != nil {
		return nil, size, err
	}
	defer conn.Close(context.Background())

	e.Logf("analytics: loading %d spans", n)
	start := time.Now()
	// Bulk load: the spans' indexes are dropped for the COPY and built
	// afterwards (the schema's own definitions), which is much faster than
	// maintaining them row by row.
	if _, err := conn.Exec(ctx, `ALTER TABLE spans DROP CONSTRAINT spans_pkey;
		DROP INDEX spans_flow_idx; DROP INDEX spans_entered_idx; DROP INDEX spans_flow_entered_idx`); err != nil {
		return nil, size, fmt.Errorf("drop span indexes: %w", err)
	}
	gen := newAnGen(n)
	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"spans"},
		[]string{"case_id", "seq", "flow", "version", "variant", "step", "kind", "department", "entered_at", "claimed_at",
			"completed_at", "outcome", "sla_due", "breached", "escalation_level", "actor"}, gen)
	if err != nil {
		return nil, size, fmt.Errorf("copy spans: %w", err)
	}
	size.Cases = gen.cases
	if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '512MB'`); err != nil {
		return nil, size, err
	}
	for _, ddl := range []string{
		`ALTER TABLE spans ADD CONSTRAINT spans_pkey PRIMARY KEY (case_id, seq)`,
		`CREATE INDEX spans_flow_idx ON spans (flow, version, variant, entered_at)`,
		`CREATE INDEX spans_entered_idx ON spans (entered_at, case_id, seq)`,
		`CREATE INDEX spans_flow_entered_idx ON spans (flow, version, entered_at)`,
	} {
		if _, err := conn.Exec(ctx, ddl); err != nil {
			return nil, size, fmt.Errorf("rebuild span indexes: %w", err)
		}
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE spans`); err != nil {
		return nil, size, err
	}
	size.LoadSeconds = time.Since(start).Seconds()
	e.Logf("analytics: %d spans of %d cases loaded in %.1f s; building rollups", copied, gen.cases, size.LoadSeconds)
	start = time.Now()
	size.RollupRows, err = st.RebuildSpanRollups(ctx)
	if err != nil {
		return nil, size, err
	}
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE span_rollups`); err != nil {
		return nil, size, err
	}
	size.BuildSeconds = time.Since(start).Seconds()
	var spansBytes, rollBytes int64
	if err := conn.QueryRow(ctx, `SELECT pg_total_relation_size('spans'), pg_total_relation_size('span_rollups')`).Scan(&spansBytes, &rollBytes); err != nil {
		return nil, size, err
	}
	size.SpansMiB, size.RollupsMiB = float64(spansBytes)/(1<<20), float64(rollBytes)/(1<<20)
	e.Logf("analytics: %d rollup rows built in %.1f s", size.RollupRows, size.BuildSeconds)

	// The real endpoint on loopback.
	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: anNoEngine{}, AdminToken: anAdminTok, RatePerSecond: -1,
		ExactSpans: -1, Logger: nil}})
	if err != nil {
		return nil, size, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, size, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	base := "http://" + ln.Addr().String()
	// A 429 is an error here (the server's rate limit is off), not a wait
	// inside a timed request.
	client := &apiv1.Client{BaseURL: base, Token: anAdminTok, HTTP: &http.Client{Timeout: 5 * time.Minute}, RateWait: -1}

	flowlabReps, naiveReps := 9, 3
	if e.Quick {
		flowlabReps, naiveReps = 5, 2
	}
	// FLOWLAB_BENCH_PROFILE=DIR writes a CPU profile of this process (the
	// in-process server answering the reports) over each query's timings.
	profDir := os.Getenv("FLOWLAB_BENCH_PROFILE")
	var rows []anRow
	for _, f := range []string{anFlows[0].key, anFlows[3].key} {
		for _, q := range anQueries() {
			if ctx.Err() != nil {
				return nil, size, ctx.Err()
			}
			row := anRow{Spans: n, Flow: f, Range: q.Name, FlowlabReps: flowlabReps, NaiveReps: naiveReps}
			var rep *apiv1.Bottlenecks
			var times []time.Duration
			var prof *os.File
			if profDir != "" {
				name := fmt.Sprintf("analytics-%d-%s-%s.cpu.pprof", n, f, strings.ReplaceAll(strings.ReplaceAll(q.Name, ",", ""), " ", "-"))
				if prof, err = os.Create(filepath.Join(profDir, name)); err != nil {
					return nil, size, err
				}
				if err := pprof.StartCPUProfile(prof); err != nil {
					return nil, size, err
				}
			}
			for i := range flowlabReps + 1 {
				t0 := time.Now()
				r, err := anGet(ctx, client, f, q)
				if err != nil {
					return nil, size, err
				}
				if i > 0 { // the first warms the caches of both sides alike
					times = append(times, time.Since(t0))
				}
				rep = r
			}
			if prof != nil {
				pprof.StopCPUProfile()
				if err := prof.Close(); err != nil {
					return nil, size, err
				}
			}
			row.FlowlabMs = anMedianMs(times)
			var naive map[string]anNaive
			times = times[:0]
			for i := range naiveReps + 1 {
				t0 := time.Now()
				nv, err := anNaiveQuery(ctx, conn, f, q)
				if err != nil {
					return nil, size, err
				}
				if i > 0 {
					times = append(times, time.Since(t0))
				}
				naive = nv
			}
			row.NaiveMs = anMedianMs(times)
			row.Ratio = row.NaiveMs / row.FlowlabMs
			row.MaxRelErr, row.CasesExact, row.RangeSpans, err = anCompare(rep, naive)
			if err != nil {
				return nil, size, fmt.Errorf("%s %s: %w", f, q.Name, err)
			}
			e.Logf("analytics: %d spans, %s, %s: flowlab %.1f ms, naive %.0f ms, %.0fx, max rel err %.3f%%",
				n, f, q.Name, row.FlowlabMs, row.NaiveMs, row.Ratio, 100*row.MaxRelErr)
			rows = append(rows, row)
		}
	}
	return rows, size, nil
}

func anMedianMs(ds []time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return float64(m) / float64(time.Millisecond)
}

type anQuantiles struct{ P50, P90, P95 float64 }

// anGet is flowlab's bottleneck report of version 1 of flowKey over q.
func anGet(ctx context.Context, c *apiv1.Client, flowKey string, q anQuery) (*apiv1.Bottlenecks, error) {
	rep, err := c.GetFlowBottlenecks(ctx, apiv1.BottlenecksParams{Key: flowKey, Version: 1, From: q.From, To: q.To})
	if err != nil {
		return nil, fmt.Errorf("bottlenecks: %w", err)
	}
	return rep, nil
}

type anNaive struct {
	Spans, Cases int
	Wait, Work   anQuantiles
}

// anNaiveSQL is the baseline: percentile_cont over the raw spans with
// package analytics' wait/work rules (tasks wait until claimed, the claim
// clamped into the span; wait steps only wait; other kinds only work;
// negative intervals count as zero), and exact distinct cases.
const anNaiveSQL = `
SELECT step, count(*), count(DISTINCT case_id),
	percentile_cont(0.5) WITHIN GROUP (ORDER BY wait), percentile_cont(0.9) WITHIN GROUP (ORDER BY wait),
	percentile_cont(0.95) WITHIN GROUP (ORDER BY wait),
	percentile_cont(0.5) WITHIN GROUP (ORDER BY work), percentile_cont(0.9) WITHIN GROUP (ORDER BY work),
	percentile_cont(0.95) WITHIN GROUP (ORDER BY work)
FROM (
	SELECT step, case_id,
		CASE kind
			WHEN 'wait' THEN greatest(extract(epoch FROM completed_at - entered_at), 0)
			WHEN 'task' THEN greatest(extract(epoch FROM
				least(greatest(coalesce(claimed_at, completed_at), entered_at), completed_at) - entered_at), 0)
			ELSE 0 END::float8 AS wait,
		CASE kind
			WHEN 'wait' THEN 0
			WHEN 'task' THEN CASE WHEN claimed_at IS NULL THEN 0 ELSE greatest(extract(epoch FROM
				completed_at - least(greatest(claimed_at, entered_at), completed_at)), 0) END
			ELSE greatest(extract(epoch FROM completed_at - entered_at), 0) END::float8 AS work
	FROM spans
	WHERE flow = $1 AND version = 1 AND entered_at >= $2 AND entered_at < $3
) s
GROUP BY step`

func anNaiveQuery(ctx context.Context, conn *pgx.Conn, flowKey string, q anQuery) (map[string]anNaive, error) {
	rows, err := conn.Query(ctx, anNaiveSQL, flowKey, q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("naive query: %w", err)
	}
	out := map[string]anNaive{}
	for rows.Next() {
		var (
			step string
			x    anNaive
		)
		if err := rows.Scan(&step, &x.Spans, &x.Cases, &x.Wait.P50, &x.Wait.P90, &x.Wait.P95, &x.Work.P50, &x.Work.P90, &x.Work.P95); err != nil {
			rows.Close()
			return nil, err
		}
		out[step] = x
	}
	return out, rows.Err()
}

// anCompare returns the largest relative error of rep's percentiles
// against the naive ones, whether the per-step distinct cases agree, and
// the spans in the range.
func anCompare(rep *apiv1.Bottlenecks, naive map[string]anNaive) (float64, bool, int, error) {
	if len(rep.Steps) != len(naive) {
		return 0, false, 0, fmt.Errorf("flowlab reports %d steps, percentile_cont %d", len(rep.Steps), len(naive))
	}
	worst, exact, spans := 0.0, true, 0
	rel := func(got, want float64) float64 {
		if want == 0 {
			if got == 0 {
				return 0
			}
			return math.Inf(1)
		}
		return math.Abs(got-want) / math.Abs(want)
	}
	for _, st := range rep.Steps {
		nv, ok := naive[st.Step]
		if !ok {
			return 0, false, 0, fmt.Errorf("step %s missing from percentile_cont", st.Step)
		}
		spans += nv.Spans
		exact = exact && st.Cases == nv.Cases
		for _, p := range [][2]float64{{st.Wait.P50, nv.Wait.P50}, {st.Wait.P90, nv.Wait.P90}, {st.Wait.P95, nv.Wait.P95},
			{st.Work.P50, nv.Work.P50}, {st.Work.P90, nv.Work.P90}, {st.Work.P95, nv.Work.P95}} {
			worst = max(worst, rel(p[0], p[1]))
		}
	}
	return worst, exact, spans, nil
}

// anNoEngine is the server's Engine for a read-only benchmark: the
// bottleneck report never calls it.
type anNoEngine struct{ engine.Engine }

// anGen generates the synthetic spans for CopyFrom: cases arrive over a
// year with weekday and office-hour seasonality and growth, split over four
// flows (55/25/15/5%) and two arms; each case walks a prefix of its flow's
// 20 steps (later steps rarer), tasks wait to be claimed (lognormal, one
// bottleneck step per flow waits ten times longer) and are worked; some
// cases are reopened days later and visit steps again.
type anGen struct {
	target, made int
	cases        int
	rng          *rand.Rand
	yearStart    time.Time
	pending      [][]any
	row          []any
}

func newAnGen(n int) *anGen {
	return &anGen{target: n, rng: rand.New(rand.NewPCG(2025, uint64(n))), yearStart: time.Date(anYear, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func (g *anGen) Next() bool {
	if len(g.pending) == 0 {
		if g.made >= g.target {
			return false
		}
		g.makeCase()
	}
	g.row, g.pending = g.pending[0], g.pending[1:]
	return true
}

func (g *anGen) Values() ([]any, error) { return g.row, nil }
func (g *anGen) Err() error             { return nil }

// arrival draws a case's start: growth over the year, fewer at weekends
// and at night.
func (g *anGen) arrival() time.Time {
	for {
		// Growth: density rising linearly from 1 to 2 over the year.
		u := g.rng.Float64()
		frac := (math.Sqrt(1+3*u) - 1) // inverse CDF of density (1+x)/1.5 on [0,1]
		t := g.yearStart.Add(time.Duration(frac * 365 * 24 * float64(time.Hour)))
		w := 1.0
		if d := t.Weekday(); d == time.Saturday || d == time.Sunday {
			w = 0.3
		}
		if h := t.Hour(); h < 8 || h >= 19 {
			w *= 0.2
		}
		if g.rng.Float64() < w {
			return t
		}
	}
}

func (g *anGen) lognormal(median, sigma float64) time.Duration {
	return time.Duration(median * math.Exp(sigma*g.rng.NormFloat64()) * float64(time.Second))
}

func (g *anGen) makeCase() {
	g.cases++
	u := g.rng.Float64()
	fi := 0
	for acc := 0.0; fi < len(anFlows)-1; fi++ {
		acc += anFlows[fi].share
		if u < acc {
			break
		}
	}
	key := anFlows[fi].key
	variant := anVariantA
	if g.rng.IntN(2) == 1 {
		variant = anVariantB
	}
	caseID := "c" + strconv.Itoa(g.cases)
	at := g.arrival()
	// Steps walked: 5 to 20, fewer more likely.
	walk := 5 + int(15*math.Pow(g.rng.Float64(), 2))
	steps := make([]int, 0, walk+4)
	for i := range walk {
		steps = append(steps, i)
	}
	reopenAt := -1
	if g.rng.IntN(100) < anRevisitPc {
		reopenAt = len(steps)
		for i := range 1 + g.rng.IntN(3) {
			steps = append(steps, 1+i) // back to the early steps
		}
	}
	bottleneck := 2 + fi*3
	for seq, i := range steps {
		if seq == reopenAt {
			at = at.Add(time.Duration(1+g.rng.IntN(10)) * 24 * time.Hour)
		}
		kind := anStepKind(i)
		entered := at
		var claimed, due any
		var completed time.Time
		breached := false
		dept := ""
		switch kind {
		case "task":
			dept = []string{"cs", "tech", "field", "supervisor"}[i%4]
			waitMedian := 600.0 * (1 + float64(i%5))
			if i == bottleneck {
				waitMedian *= 10
			}
			c := entered.Add(g.lognormal(waitMedian, 1.1)).Truncate(time.Microsecond)
			completed = c.Add(g.lognormal(300*(1+float64(i%3)), 0.8)).Truncate(time.Microsecond)
			if g.rng.IntN(20) == 0 {
				claimed = nil // completed without a claim (auto-closed)
			} else {
				claimed = c
			}
			d := entered.Add(4 * time.Hour)
			due = d
			breached = completed.After(d)
		case "wait":
			completed = entered.Add(g.lognormal(3600*6, 1.0)).Truncate(time.Microsecond)
		default:
			completed = entered.Add(g.lognormal(2, 0.5)).Truncate(time.Microsecond)
		}
		esc := 0
		if breached && g.rng.IntN(3) == 0 {
			esc = 1
		}
		g.pending = append(g.pending, []any{caseID, int32(seq + 1), key, int32(1), variant, fmt.Sprintf("s%02d", i), kind, dept,
			entered.Truncate(time.Microsecond), claimed, completed, "done", due, breached, int32(esc), ""})
		g.made++
		at = completed.Add(g.lognormal(30, 1))
	}
}
