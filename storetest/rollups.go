package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// rollupFlow is a flow version whose "fix" step counts business time in an
// office calendar, so the rollups' business figures are checked too.
func rollupFlow() flow.Definition {
	return flow.Definition{
		Key: "rollup", Version: 1, Departments: []string{"cs", "tech"},
		Steps: []flow.Step{
			{ID: "record", Kind: flow.KindTask, Department: "cs"},
			{ID: "fix", Kind: flow.KindTask, Department: "tech", Calendar: "office"},
			{ID: "notify", Kind: flow.KindAuto},
			{ID: "wait", Kind: flow.KindWait},
		},
		Calendars: []flow.Calendar{{ID: "office", TimeZone: "Europe/Berlin",
			Hours: flow.WeekHours{Mon: "09:00-17:00", Tue: "09:00-17:00", Wed: "09:00-17:00", Thu: "09:00-17:00", Fri: "09:00-13:00"}}},
	}
}

// rollupSpans generates the spans of cases over about 70 days: cases that
// revisit steps (reopened), sometimes days later, two variants, and cases
// migrated from version 1 to 2 half way.
func rollupSpans(rng *rand.Rand, n int) []store.Span {
	base := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	steps := []struct{ id, kind, dept string }{{"record", "task", "cs"}, {"fix", "task", "tech"}, {"wait", "wait", ""}, {"notify", "auto", ""}}
	var out []store.Span
	for c := range n {
		id := fmt.Sprintf("case-%03d", c)
		variant := []string{"A", "B"}[c%2]
		at := base.Add(time.Duration(rng.Int64N(int64(70 * 24 * time.Hour)))).Truncate(time.Microsecond)
		version := 1
		seq := 0
		visits := 4 + rng.IntN(5)
		for v := range visits {
			st := steps[v%len(steps)]
			if v >= len(steps) && rng.IntN(3) == 0 {
				st = steps[1] // revisits of fix
			}
			if v == 5 && c%5 == 0 {
				version = 2 // migrated
			}
			entered := at
			var claimed *time.Time
			if st.kind == "task" && rng.IntN(6) > 0 {
				cl := entered.Add(time.Duration(rng.ExpFloat64() * float64(6*time.Hour))).Truncate(time.Microsecond)
				claimed = &cl
			}
			completed := entered.Add(time.Duration(rng.ExpFloat64() * float64(30*time.Hour))).Truncate(time.Microsecond)
			if claimed != nil && claimed.After(completed) {
				completed = claimed.Add(time.Duration(rng.IntN(3600)) * time.Second)
			}
			var due *time.Time
			if st.kind == "task" {
				d := entered.Add(8 * time.Hour)
				due = &d
			}
			seq++
			out = append(out, store.Span{CaseID: id, Seq: seq, Flow: "rollup", Version: version, Variant: variant,
				Step: st.id, Kind: st.kind, Department: st.dept, EnteredAt: entered, ClaimedAt: claimed,
				CompletedAt: completed, SLADue: due, Breached: due != nil && completed.After(*due),
				EscalationLevel: rng.IntN(4) / 3, Outcome: "done"})
			// Sometimes days pass before the next step (a reopened case).
			at = completed
			if rng.IntN(8) == 0 {
				at = at.Add(time.Duration(1+rng.IntN(6)) * 24 * time.Hour)
			}
		}
	}
	return out
}

// exactStats is SpanStats computed from the raw spans the way the server's
// exact report does.
func exactStats(t *testing.T, s store.Store, def *flow.Definition, f store.SpanStatsFilter) analytics.Report {
	spans, err := s.ListSpans(context.Background(), store.SpanFilter{Flow: f.Flow, Version: f.Version, Variant: f.Variant, From: f.From, To: f.To})
	require.NoError(t, err)
	in := make([]analytics.Span, len(spans))
	for i, sp := range spans {
		in[i] = sp.Analytics(def)
	}
	return analytics.Bottlenecks(in, nil)
}

func requireStatsMatch(t *testing.T, want analytics.Report, got store.SpanStats, what string) {
	t.Helper()
	rep := analytics.FromRollups(got.Steps, got.StepCases, got.Cases, nil)
	require.Equal(t, want.Spans, got.Spans, "%s: spans", what)
	require.Equal(t, want.Cases, got.Cases, "%s: cases", what)
	require.Len(t, rep.Steps, len(want.Steps), "%s: steps", what)
	within := func(g, w float64, name string) {
		if w == 0 {
			require.InDelta(t, 0, g, 1e-9, "%s: %s", what, name)
			return
		}
		require.LessOrEqual(t, math.Abs(g-w)/math.Abs(w), analytics.SketchRelativeAccuracy+1e-9, "%s: %s = %v, exact %v", what, name, g, w)
	}
	for i, w := range want.Steps {
		g := rep.Steps[i]
		require.Equal(t, w.Step, g.Step, what)
		require.Equal(t, w.Cases, g.Cases, "%s: cases of %s", what, w.Step)
		require.Equal(t, w.Kind, g.Kind, what)
		require.Equal(t, w.Department, g.Department, what)
		require.Equal(t, w.Breaches, g.Breaches, what)
		require.Equal(t, w.Escalations, g.Escalations, what)
		require.InDelta(t, w.SLABreachRate, g.SLABreachRate, 1e-12, what)
		require.InDelta(t, w.Share, g.Share, 1e-9, what)
		require.InDelta(t, w.WaitTotal, g.WaitTotal, 1e-6*max(1, w.WaitTotal), what)
		require.InDelta(t, w.BusinessWorkTotal, g.BusinessWorkTotal, 1e-6*max(1, w.BusinessWorkTotal), what)
		for name, pair := range map[string][2]analytics.Quantiles{
			"wait": {g.Wait, w.Wait}, "work": {g.Work, w.Work},
			"business wait": {g.BusinessWait, w.BusinessWait}, "business work": {g.BusinessWork, w.BusinessWork},
		} {
			within(pair[0].P50, pair[1].P50, w.Step+" "+name+" p50")
			within(pair[0].P90, pair[1].P90, w.Step+" "+name+" p90")
			within(pair[0].P95, pair[1].P95, w.Step+" "+name+" p95")
		}
	}
}

// testSpanRollups checks SpanStats (rollups of whole days and months, raw
// spans at the cut ends) against the exact computation over the raw spans
// for ranges that cut buckets, both variants and versions, after a rebuild,
// and that recording a span again counts it once.
func testSpanRollups(t *testing.T, s store.Store) {
	ctx := context.Background()
	def := rollupFlow()
	raw, err := json.Marshal(def)
	require.NoError(t, err)
	for v := 1; v <= 2; v++ {
		_, _, err := s.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "rollup", Version: v, Compiled: raw,
			Source: "key: rollup\n", Hash: fmt.Sprintf("r%d", v), At: t0})
		require.NoError(t, err)
	}
	spans := rollupSpans(rand.New(rand.NewPCG(7, 11)), 150)
	// Insert in case order but steps' spans out of entered order across
	// cases, as workers do.
	for _, sp := range spans {
		require.NoError(t, s.RecordSpan(ctx, sp))
	}
	require.NoError(t, s.RecordSpan(ctx, spans[3]), "recording a span again is a no-op")

	d := func(y int, m time.Month, day, h, min int) *time.Time {
		x := time.Date(y, m, day, h, min, 0, 0, time.UTC)
		return &x
	}
	ranges := []struct {
		name     string
		from, to *time.Time
	}{
		{"all", nil, nil},
		{"from mid-day", d(2026, 2, 3, 13, 17), nil},
		{"to mid-day", nil, d(2026, 3, 9, 7, 45)},
		{"months aligned", d(2026, 2, 1, 0, 0), d(2026, 4, 1, 0, 0)},
		{"cut both ends across months", d(2026, 1, 27, 10, 5), d(2026, 3, 18, 22, 30)},
		{"week cutting days", d(2026, 2, 10, 6, 0), d(2026, 2, 17, 18, 0)},
		{"within a day", d(2026, 2, 12, 8, 10), d(2026, 2, 12, 20, 0)},
		{"within an hour", d(2026, 2, 12, 9, 5), d(2026, 2, 12, 9, 55)},
		{"hours aligned", d(2026, 2, 12, 9, 0), d(2026, 2, 14, 3, 0)},
		{"one day aligned", d(2026, 2, 12, 0, 0), d(2026, 2, 13, 0, 0)},
		{"empty", d(2027, 1, 1, 0, 0), d(2027, 2, 1, 0, 0)},
	}
	check := func(phase string) {
		for _, r := range ranges {
			for _, version := range []int{1, 2} {
				for _, variant := range []string{"", "B"} {
					f := store.SpanStatsFilter{Flow: "rollup", Version: version, Variant: variant, From: r.from, To: r.to}
					got, err := s.SpanStats(ctx, f)
					require.NoError(t, err)
					want := exactStats(t, s, &def, f)
					requireStatsMatch(t, want, got, fmt.Sprintf("%s: %s v%d variant %q", phase, r.name, version, variant))
				}
			}
		}
	}
	check("recorded")

	all, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "rollup", Version: 1})
	require.NoError(t, err)
	require.Positive(t, all.Spans)
	rb, ok := s.(interface {
		RebuildSpanRollups(context.Context) (int, error)
	})
	require.True(t, ok, "the store rebuilds its rollups (migration backfill)")
	rows, err := rb.RebuildSpanRollups(ctx)
	require.NoError(t, err)
	require.Positive(t, rows)
	check("rebuilt")
	again, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "rollup", Version: 1})
	require.NoError(t, err)
	for step, r := range all.Steps {
		require.Equal(t, r.Wait.Quantiles(), again.Steps[step].Wait.Quantiles(), "rebuilt rollups hold the same sketches")
	}

	_, err = s.SpanStats(ctx, store.SpanStatsFilter{Flow: "rollup"})
	require.Error(t, err, "version is required")
}
