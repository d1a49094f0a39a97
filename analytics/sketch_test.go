package analytics

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func relErr(got, want float64) float64 {
	if want == 0 {
		return math.Abs(got)
	}
	return math.Abs(got-want) / math.Abs(want)
}

func TestSketchQuantilesWithinBound(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 101, 5000} {
		xs := make([]float64, n)
		var sk Sketch
		for i := range xs {
			switch i % 7 {
			case 0:
				xs[i] = 0
			case 1:
				xs[i] = float64(rng.IntN(5)) // ties
			default:
				xs[i] = math.Exp(rng.NormFloat64()*2 + 6)
			}
			sk.Add(xs[i])
		}
		sort.Float64s(xs)
		require.Equal(t, uint64(n), sk.Count())
		for _, q := range []float64{0, 0.1, 0.5, 0.9, 0.95, 0.99, 1} {
			want := Quantile(xs, q)
			got := sk.Quantile(q)
			require.LessOrEqual(t, relErr(got, want), SketchRelativeAccuracy+1e-12, "n=%d q=%v got %v want %v", n, q, got, want)
		}
	}
	var empty Sketch
	require.Zero(t, empty.Quantile(0.5))
}

func TestSketchMergeAndEncoding(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	var all, a, b Sketch
	for i := range 3000 {
		x := math.Exp(rng.NormFloat64() * 3)
		all.Add(x)
		if i%3 == 0 {
			a.Add(x)
		} else {
			b.Add(x)
		}
	}
	var m Sketch
	m.Merge(&b)
	m.Merge(&a)
	require.Equal(t, all.Quantiles(), m.Quantiles())
	enc, err := m.MarshalBinary()
	require.NoError(t, err)
	var back Sketch
	require.NoError(t, back.UnmarshalBinary(enc))
	require.Equal(t, m.Quantiles(), back.Quantiles())
	require.Equal(t, m.Count(), back.Count())
	require.Error(t, back.UnmarshalBinary(enc[:len(enc)-1]))
}

func TestFromRollupsMatchesBottlenecks(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(5, 6))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var spans []Span
	steps := []string{"record", "handle", "notify"}
	for c := range 400 {
		at := base.Add(time.Duration(rng.IntN(1000)) * time.Hour)
		for i, st := range steps {
			entered := at
			claimed := entered.Add(time.Duration(rng.ExpFloat64()*3600) * time.Second)
			at = claimed.Add(time.Duration(rng.ExpFloat64()*900) * time.Second)
			kind := "task"
			if i == 2 {
				kind = "auto"
			}
			sp := Span{CaseID: string(rune('a'+c%26)) + time.Duration(c).String(), Seq: i, Step: st, Kind: kind,
				Department: "d" + st, Entered: entered, Claimed: &claimed, Completed: at,
				HasSLA: i == 0, Breached: rng.IntN(4) == 0, EscalationLevel: rng.IntN(3) / 2}
			if rng.IntN(2) == 0 { // assigned by a rule somewhere in its wait
				assigned := entered.Add(time.Duration(rng.Float64() * float64(claimed.Sub(entered))))
				sp.Assigned = &assigned
			}
			spans = append(spans, sp)
		}
	}
	exact := Bottlenecks(spans, steps)
	// Rollups in three groups merged.
	parts := make([]map[string]*StepRollup, 3)
	for i := range parts {
		parts[i] = map[string]*StepRollup{}
	}
	for i, s := range spans {
		p := parts[i%3]
		if p[s.Step] == nil {
			p[s.Step] = &StepRollup{}
		}
		p[s.Step].Add(s)
	}
	merged := map[string]*StepRollup{}
	for _, p := range parts {
		for step, r := range p {
			enc, err := r.MarshalBinary()
			require.NoError(t, err)
			back := &StepRollup{Kind: r.Kind, Department: r.Department}
			require.NoError(t, back.UnmarshalBinary(enc))
			if merged[step] == nil {
				merged[step] = &StepRollup{}
			}
			merged[step].Merge(back)
		}
	}
	stepCases := map[string]int{}
	for _, st := range exact.Steps {
		stepCases[st.Step] = st.Cases
	}
	got := FromRollups(merged, stepCases, exact.Cases, steps)
	require.Equal(t, exact.Spans, got.Spans)
	require.Len(t, got.Steps, len(exact.Steps))
	for i, want := range exact.Steps {
		g := got.Steps[i]
		require.Equal(t, want.Step, g.Step)
		require.Equal(t, want.Kind, g.Kind)
		require.Equal(t, want.Breaches, g.Breaches)
		require.Equal(t, want.Escalations, g.Escalations)
		require.Equal(t, want.Assigned, g.Assigned)
		require.InDelta(t, want.WaitAssignTotal, g.WaitAssignTotal, 1e-6)
		require.InDelta(t, want.WaitStartTotal, g.WaitStartTotal, 1e-6)
		if want.Kind == "task" {
			require.InDelta(t, want.WaitTotal, want.WaitAssignTotal+want.WaitStartTotal, 1e-6, "the split adds up to the wait")
			require.Positive(t, want.Assigned)
		}
		require.Equal(t, want.Bottleneck, g.Bottleneck)
		require.InDelta(t, want.Share, g.Share, 1e-9)
		require.InDelta(t, want.SLABreachRate, g.SLABreachRate, 1e-12)
		for _, pair := range [][2]Quantiles{{want.Wait, g.Wait}, {want.Work, g.Work}, {want.BusinessWait, g.BusinessWait},
			{want.WaitAssign, g.WaitAssign}, {want.WaitStart, g.WaitStart}} {
			for _, q := range [][2]float64{{pair[0].P50, pair[1].P50}, {pair[0].P90, pair[1].P90}, {pair[0].P95, pair[1].P95}} {
				require.LessOrEqual(t, relErr(q[1], q[0]), SketchRelativeAccuracy+1e-12)
			}
		}
	}
}

// TestWaitSplit: a task's waiting splits at its assignment; a task pulled
// from the pool waited for assignment all along; other kinds do not split.
func TestWaitSplit(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(m int) *time.Time { x := t0.Add(time.Duration(m) * time.Minute); return &x }
	task := Span{Kind: "task", Entered: t0, Claimed: at(30), Completed: *at(50)}
	fa, ts := WaitSplit(task)
	require.Equal(t, []float64{1800, 0}, []float64{fa, ts}, "pulled")
	task.Assigned = at(10)
	fa, ts = WaitSplit(task)
	require.Equal(t, []float64{600, 1200}, []float64{fa, ts})
	task.Assigned = at(40) // moved after it was started: as if pulled
	fa, ts = WaitSplit(task)
	require.Equal(t, []float64{1800, 0}, []float64{fa, ts})
	task.Claimed, task.Assigned = nil, at(5) // completed without a claim
	fa, ts = WaitSplit(task)
	require.Equal(t, []float64{300, 2700}, []float64{fa, ts})
	fa, ts = WaitSplit(Span{Kind: "wait", Entered: t0, Completed: *at(5)})
	require.Equal(t, []float64{0, 0}, []float64{fa, ts})

	// A rollup keeps the split through its encoding.
	var r StepRollup
	r.Add(task)
	enc, err := r.MarshalBinary()
	require.NoError(t, err)
	var back StepRollup
	require.NoError(t, back.UnmarshalBinary(enc))
	require.Equal(t, int64(1), back.Assigned)
	require.InDelta(t, 300, back.WaitAssignTotal, 1e-9)
}
