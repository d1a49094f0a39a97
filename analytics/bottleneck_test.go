package analytics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestQuantileMatchesPercentileCont(t *testing.T) {
	t.Parallel()
	// Expected values are what PostgreSQL returns for
	// SELECT percentile_cont(q) WITHIN GROUP (ORDER BY x) FROM (VALUES ...) v(x).
	tests := []struct {
		name   string
		sorted []float64
		q      float64
		want   float64
	}{
		{"empty", nil, 0.5, 0},
		{"single", []float64{10}, 0.95, 10},
		{"two p90", []float64{1, 10}, 0.9, 9.1},
		{"four p50", []float64{1, 2, 3, 4}, 0.5, 2.5},
		{"four p90", []float64{1, 2, 3, 4}, 0.9, 3.7},
		{"four p95", []float64{1, 2, 3, 4}, 0.95, 3.85},
		{"four p0", []float64{1, 2, 3, 4}, 0, 1},
		{"four p100", []float64{1, 2, 3, 4}, 1, 4},
		{"five p25 exact rank", []float64{0, 10, 20, 30, 40}, 0.25, 10},
		{"five p50", []float64{0, 10, 20, 30, 40}, 0.5, 20},
		{"five p90", []float64{0, 10, 20, 30, 40}, 0.9, 36},
		{"ties", []float64{5, 5, 5, 7}, 0.9, 6.4},
		{"q below range clamps", []float64{3, 4}, -1, 3},
		{"q above range clamps", []float64{3, 4}, 2, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.InDelta(t, tc.want, Quantile(tc.sorted, tc.q), 1e-9)
		})
	}
}

func TestBottlenecks(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ptr := func(d time.Duration) *time.Time { v := at(d); return &v }
	spans := []Span{
		// case c1
		{CaseID: "c1", Seq: 1, Step: "record", Kind: "task", Department: "customer_service", HasSLA: true,
			Entered: at(0), Claimed: ptr(10 * time.Minute), Completed: at(30 * time.Minute)},
		{CaseID: "c1", Seq: 2, Step: "route", Kind: "decision",
			Entered: at(30 * time.Minute), Completed: at(30 * time.Minute)},
		{CaseID: "c1", Seq: 3, Step: "investigate", Kind: "task", Department: "technical", HasSLA: true, Breached: true, EscalationLevel: 1,
			Entered: at(30 * time.Minute), Claimed: ptr(90 * time.Minute), Completed: at(150 * time.Minute)},
		{CaseID: "c1", Seq: 4, Step: "archive", Kind: "auto",
			Entered: at(150 * time.Minute), Completed: at(150 * time.Minute)},
		{CaseID: "c1", Seq: 5, Step: "closed", Kind: "end",
			Entered: at(150 * time.Minute), Completed: at(150 * time.Minute)},
		// case c2: record never claimed (all waiting)
		{CaseID: "c2", Seq: 1, Step: "record", Kind: "task", Department: "customer_service", HasSLA: true,
			Entered: at(0), Completed: at(20 * time.Minute)},
		{CaseID: "c2", Seq: 2, Step: "investigate", Kind: "task", Department: "technical", HasSLA: true, Breached: true, EscalationLevel: 2,
			Entered: at(20 * time.Minute), Claimed: ptr(50 * time.Minute), Completed: at(200 * time.Minute)},
		{CaseID: "c2", Seq: 3, Step: "remind", Kind: "auto",
			Entered: at(200 * time.Minute), Completed: at(200*time.Minute + time.Minute)},
		// a wait step only waits, even if something set Claimed
		{CaseID: "c2", Seq: 4, Step: "wait_reminder", Kind: "wait", Claimed: ptr(210 * time.Minute),
			Entered: at(201 * time.Minute), Completed: at(321 * time.Minute)},
		{CaseID: "c2", Seq: 5, Step: "closed", Kind: "end",
			Entered: at(321 * time.Minute), Completed: at(321 * time.Minute)},
	}
	r := Bottlenecks(spans, []string{"record", "route", "investigate", "remind", "closed", "never_seen", "record"})

	const total = 3000 + 18000 + 60 + 7200
	require.Equal(t, 2, r.Cases)
	require.Equal(t, 10, r.Spans)
	require.InDelta(t, total, r.TotalSeconds, 1e-9)

	var order []string
	for _, s := range r.Steps {
		order = append(order, s.Step)
	}
	require.Equal(t, []string{"record", "route", "investigate", "remind", "closed", "archive", "wait_reminder"}, order)

	want := []StepStats{
		{Step: "record", Department: "customer_service", Kind: "task", Cases: 2,
			Wait: Quantiles{P50: 900, P90: 1140, P95: 1170}, Work: Quantiles{P50: 600, P90: 1080, P95: 1140},
			WaitTotal: 1800, WorkTotal: 1200, Share: 3000.0 / total},
		{Step: "route", Kind: "decision", Cases: 1},
		{Step: "investigate", Department: "technical", Kind: "task", Cases: 2,
			Wait: Quantiles{P50: 2700, P90: 3420, P95: 3510}, Work: Quantiles{P50: 6300, P90: 8460, P95: 8730},
			WaitTotal: 5400, WorkTotal: 12600, SLABreachRate: 1, Breaches: 2, Escalations: 2,
			Share: 18000.0 / total, Bottleneck: true},
		{Step: "remind", Kind: "auto", Cases: 1,
			Work: Quantiles{P50: 60, P90: 60, P95: 60}, WorkTotal: 60, Share: 60.0 / total},
		{Step: "closed", Kind: "end", Cases: 2},
		{Step: "archive", Kind: "auto", Cases: 1},
		{Step: "wait_reminder", Kind: "wait", Cases: 1,
			Wait: Quantiles{P50: 7200, P90: 7200, P95: 7200}, WaitTotal: 7200, Share: 7200.0 / total},
	}
	for i, w := range want {
		got := r.Steps[i]
		require.Equal(t, w.Step, got.Step)
		require.Equal(t, w.Department, got.Department, w.Step)
		require.Equal(t, w.Kind, got.Kind, w.Step)
		require.Equal(t, w.Cases, got.Cases, w.Step)
		require.Equal(t, w.Breaches, got.Breaches, w.Step)
		require.Equal(t, w.Escalations, got.Escalations, w.Step)
		require.Equal(t, w.Bottleneck, got.Bottleneck, w.Step)
		require.InDelta(t, w.SLABreachRate, got.SLABreachRate, 1e-9, w.Step)
		require.InDelta(t, w.Share, got.Share, 1e-9, w.Step)
		require.InDelta(t, w.WaitTotal, got.WaitTotal, 1e-9, w.Step)
		require.InDelta(t, w.WorkTotal, got.WorkTotal, 1e-9, w.Step)
		for _, pair := range [][2]float64{
			{w.Wait.P50, got.Wait.P50}, {w.Wait.P90, got.Wait.P90}, {w.Wait.P95, got.Wait.P95},
			{w.Work.P50, got.Work.P50}, {w.Work.P90, got.Work.P90}, {w.Work.P95, got.Work.P95},
		} {
			require.InDelta(t, pair[0], pair[1], 1e-9, w.Step)
		}
	}
}

func TestBottlenecksEdgeCases(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

	t.Run("no spans", func(t *testing.T) {
		t.Parallel()
		r := Bottlenecks(nil, []string{"a"})
		require.Equal(t, Report{}, r)
	})

	t.Run("breach rate counts only spans with an SLA", func(t *testing.T) {
		t.Parallel()
		spans := []Span{
			{CaseID: "a", Step: "x", Kind: "task", HasSLA: true, Breached: true, Entered: t0, Completed: t0.Add(time.Hour)},
			{CaseID: "b", Step: "x", Kind: "task", HasSLA: true, Entered: t0, Completed: t0.Add(time.Hour)},
			{CaseID: "c", Step: "x", Kind: "task", HasSLA: true, Entered: t0, Completed: t0.Add(time.Hour)},
			{CaseID: "d", Step: "x", Kind: "task", Breached: true, Entered: t0, Completed: t0.Add(time.Hour)},
			{CaseID: "d", Step: "y", Kind: "auto", Breached: true, Entered: t0, Completed: t0.Add(time.Minute)},
		}
		r := Bottlenecks(spans, nil)
		require.Len(t, r.Steps, 2)
		require.Equal(t, 1, r.Steps[0].Breaches)
		require.InDelta(t, 1.0/3, r.Steps[0].SLABreachRate, 1e-9)
		require.True(t, r.Steps[0].Bottleneck)
		require.Equal(t, 0, r.Steps[1].Breaches)
		require.Zero(t, r.Steps[1].SLABreachRate)
		require.False(t, r.Steps[1].Bottleneck)
	})

	t.Run("skewed clocks never give negative times", func(t *testing.T) {
		t.Parallel()
		early := t0.Add(-time.Hour)
		late := t0.Add(3 * time.Hour)
		spans := []Span{
			{CaseID: "a", Step: "x", Kind: "task", Entered: t0, Claimed: &early, Completed: t0.Add(time.Hour)},
			{CaseID: "b", Step: "x", Kind: "task", Entered: t0, Claimed: &late, Completed: t0.Add(time.Hour)},
			{CaseID: "c", Step: "x", Kind: "auto", Entered: t0, Completed: early},
		}
		r := Bottlenecks(spans, nil)
		require.Len(t, r.Steps, 1)
		s := r.Steps[0]
		require.InDelta(t, 3600, s.WaitTotal, 1e-9) // b: claimed clamped to completion
		require.InDelta(t, 3600, s.WorkTotal, 1e-9) // a: claimed clamped to entry
		require.Equal(t, 3, s.Cases)
		require.True(t, s.Bottleneck)
	})

	t.Run("ties flag the first step in order", func(t *testing.T) {
		t.Parallel()
		spans := []Span{
			{CaseID: "a", Step: "b", Kind: "auto", Entered: t0, Completed: t0.Add(time.Minute)},
			{CaseID: "a", Step: "a", Kind: "auto", Entered: t0, Completed: t0.Add(time.Minute)},
		}
		r := Bottlenecks(spans, []string{"b", "a"})
		require.True(t, r.Steps[0].Bottleneck)
		require.False(t, r.Steps[1].Bottleneck)
		require.InDelta(t, 0.5, r.Steps[0].Share, 1e-9)
	})
}
