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
			spans = append(spans, Span{CaseID: string(rune('a'+c%26)) + time.Duration(c).String(), Seq: i, Step: st, Kind: kind,
				Department: "d" + st, Entered: entered, Claimed: &claimed, Completed: at,
				HasSLA: i == 0, Breached: rng.IntN(4) == 0, EscalationLevel: rng.IntN(3) / 2})
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
		require.Equal(t, want.Bottleneck, g.Bottleneck)
		require.InDelta(t, want.Share, g.Share, 1e-9)
		require.InDelta(t, want.SLABreachRate, g.SLABreachRate, 1e-12)
		for _, pair := range [][2]Quantiles{{want.Wait, g.Wait}, {want.Work, g.Work}, {want.BusinessWait, g.BusinessWait}} {
			for _, q := range [][2]float64{{pair[0].P50, pair[1].P50}, {pair[0].P90, pair[1].P90}, {pair[0].P95, pair[1].P95}} {
				require.LessOrEqual(t, relErr(q[1], q[0]), SketchRelativeAccuracy+1e-12)
			}
		}
	}
}
