package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// near requires |got-want| <= tol·max(1, |want|).
func near(t *testing.T, want, got, tol float64, what string, args ...any) {
	t.Helper()
	require.InDeltaf(t, want, got, tol*math.Max(1, math.Abs(want)), what, args...)
}

func TestMannWhitneyReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refMannWhitney {
		d := refData[ref.data]
		r := MannWhitneyAlpha(d[0], d[1], ref.alpha)
		require.Equal(t, len(d[0]), r.N1)
		require.Equal(t, len(d[1]), r.N2)
		near(t, ref.z, r.Statistic, 1e-10, "%s z", ref.data)
		near(t, ref.p, r.P, 1e-10, "%s p", ref.data)
		near(t, ref.hl, r.Effect, 1e-12, "%s Hodges–Lehmann", ref.data)
		near(t, ref.ciLo, r.CILow, 1e-12, "%s CI low (alpha %v)", ref.data, ref.alpha)
		near(t, ref.ciHi, r.CIHigh, 1e-12, "%s CI high (alpha %v)", ref.data, ref.alpha)
	}
	d := refData["likert"]
	require.Equal(t, MannWhitneyAlpha(d[0], d[1], 0.05), MannWhitney(d[0], d[1]))
}

func TestWelchReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refWelch {
		d := refData[ref.data]
		r := WelchAlpha(d[0], d[1], ref.alpha)
		near(t, ref.t, r.Statistic, 1e-10, "%s t", ref.data)
		near(t, ref.p, r.P, 1e-9, "%s p", ref.data)
		near(t, ref.d, r.Effect, 1e-12, "%s difference", ref.data)
		near(t, ref.ciLo, r.CILow, 1e-9, "%s CI low", ref.data)
		near(t, ref.ciHi, r.CIHigh, 1e-9, "%s CI high", ref.data)
	}
}

func TestTwoProportionsReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refTwoProportions {
		r := TwoProportionsAlpha(ref.x1, ref.n1, ref.x2, ref.n2, ref.alpha)
		near(t, ref.z, r.Statistic, 1e-10, "%v z", ref)
		near(t, ref.p, r.P, 1e-10, "%v p", ref)
		near(t, ref.d, r.Effect, 1e-14, "%v difference", ref)
		near(t, ref.ciLo, r.CILow, 1e-12, "%v CI low", ref)
		near(t, ref.ciHi, r.CIHigh, 1e-12, "%v CI high", ref)
	}
}

func TestSampleRatioMismatchReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refSRM {
		chi2, p := SampleRatioMismatch(ref.observed, ref.share)
		near(t, ref.chi2, chi2, 1e-12, "%v chi2", ref.observed)
		near(t, ref.p, p, 1e-10, "%v p", ref.observed)
	}
}

func TestQuantileReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refQuantile {
		xs := refData[ref.data][ref.arm]
		before := slices.Clone(xs)
		near(t, ref.v, Quantile(xs, ref.q), 1e-12, "%s[%d] q=%v", ref.data, ref.arm, ref.q)
		require.Equal(t, before, xs, "Quantile must not sort its input")
		if ref.q == 0.5 {
			near(t, ref.v, Median(xs), 1e-12, "median")
		}
	}
}

func TestSampleSizeReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refSampleSize {
		var n int
		switch ref.kind {
		case "means":
			n = SampleSizeMeans(ref.a, ref.b, ref.alpha, ref.pw)
		case "proportions":
			n = SampleSizeTwoProportions(ref.a, ref.b, ref.alpha, ref.pw)
		case "mann_whitney":
			n = SampleSizeMannWhitney(ref.a, ref.alpha, ref.pw)
		case "cycle_time":
			n = SampleSizeCycleTime(ref.a, ref.b, ref.alpha, ref.pw)
		}
		require.Equal(t, ref.n, n, "%+v", ref)
	}
}

func TestBoundariesReference(t *testing.T) {
	t.Parallel()
	for _, ref := range refBoundaries {
		s := Sequential{Alpha: ref.alpha}
		var got []float64
		var err error
		if ref.final {
			got, err = s.FinalBoundaries(ref.fractions)
		} else {
			got, err = s.Boundaries(ref.fractions)
		}
		require.NoError(t, err)
		require.Len(t, got, len(ref.bounds))
		for k := range got {
			near(t, ref.bounds[k], got[k], 1e-5, "alpha %v fractions %v look %d", ref.alpha, ref.fractions, k+1)
		}
	}
}

func TestBoundariesPublished(t *testing.T) {
	t.Parallel()
	// ldbounds::ldBounds(seq(0.2, 1, 0.2), iuse=1, alpha=0.05, sides=2) and
	// gsDesign::gsDesign(k=5, test.type=2, sfu=sfLDOF) print these to 4 decimals.
	got, err := Sequential{Alpha: 0.05}.Boundaries([]float64{0.2, 0.4, 0.6, 0.8, 1})
	require.NoError(t, err)
	for k, want := range []float64{4.8769, 3.3569, 2.6803, 2.2898, 2.0310} {
		require.InDelta(t, want, got[k], 1.5e-4, "look %d", k+1)
	}
	one, err := Sequential{Alpha: 0.05}.Boundaries([]float64{1})
	require.NoError(t, err)
	require.InDelta(t, 1.959964, one[0], 1e-6)
}

func TestPowerAndInflationReference(t *testing.T) {
	t.Parallel()
	s := Sequential{Alpha: 0.05}
	fr := []float64{0.2, 0.4, 0.6, 0.8, 1}
	b, err := s.Boundaries(fr)
	require.NoError(t, err)
	for _, ref := range refPower {
		p, err := s.Power(fr, b, ref.drift)
		require.NoError(t, err)
		require.InDelta(t, ref.power, p, 1e-6, "drift %v", ref.drift)
	}
	r, err := s.Inflation(fr, 0.8)
	require.NoError(t, err)
	require.InDelta(t, refInflation5Looks80, r, 1e-5)
}

func TestSequentialErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		alpha float64
		fr    []float64
	}{
		{0.05, nil},
		{0.05, []float64{0.5, 0.5}},
		{0.05, []float64{0.6, 0.4}},
		{0.05, []float64{0, 1}},
		{0.05, []float64{0.5, 1.2}},
		{0.05, []float64{math.NaN()}},
		{0, []float64{1}},
		{1, []float64{1}},
	} {
		_, err := Sequential{Alpha: tc.alpha}.Boundaries(tc.fr)
		require.Error(t, err, "%+v", tc)
	}
	// A look so early that nothing is spent gets the capped boundary, not +Inf.
	b, err := Sequential{Alpha: 0.05}.Boundaries([]float64{1e-4, 1})
	require.NoError(t, err)
	require.Equal(t, MaxBoundary, b[0])
	require.InDelta(t, 1.959964, b[1], 1e-5)
}

// TestKthDiffBruteForce checks the selection of pairwise differences against
// sorting all of them, on random samples with many ties and without.
func TestKthDiffBruteForce(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 60 {
		n1, n2 := 1+rng.IntN(90), 1+rng.IntN(90)
		levels := []int{3, 20, 1 << 30}[trial%3]
		gen := func(n int) []float64 {
			xs := make([]float64, n)
			for i := range xs {
				xs[i] = float64(rng.IntN(levels)) * 0.37
			}
			slices.Sort(xs)
			return xs
		}
		x, y := gen(n1), gen(n2)
		all := make([]float64, 0, n1*n2)
		for _, b := range y {
			for _, a := range x {
				all = append(all, b-a)
			}
		}
		slices.Sort(all)
		for _, k := range []int{1, 2, len(all) / 3, (len(all) + 1) / 2, len(all) - 1, len(all)} {
			if k < 1 {
				continue
			}
			require.Equal(t, all[k-1], kthDiff(x, y, k), "trial %d n=%d,%d k=%d", trial, n1, n2, k)
		}
	}
}

func TestDegenerate(t *testing.T) {
	t.Parallel()
	nan := func(r Result) bool {
		return math.IsNaN(r.Effect) && math.IsNaN(r.P) && math.IsNaN(r.Statistic) && math.IsNaN(r.CILow) && math.IsNaN(r.CIHigh)
	}
	require.True(t, nan(MannWhitney(nil, []float64{1})))
	require.True(t, nan(Welch([]float64{1}, []float64{1, 2})))
	require.True(t, nan(TwoProportions(0, 0, 1, 2)))
	require.True(t, nan(TwoProportions(3, 2, 1, 2)))
	require.True(t, math.IsNaN(Median(nil)))
	require.True(t, math.IsNaN(Quantile([]float64{1}, 1.5)))

	same := []float64{5, 5, 5}
	r := MannWhitney(same, same)
	require.Equal(t, 0.0, r.Statistic)
	require.Equal(t, 1.0, r.P)
	require.Equal(t, 0.0, r.Effect)

	r = MannWhitney([]float64{1}, []float64{2})
	require.Equal(t, 1.0, r.Effect)
	require.Equal(t, 1.0, r.CILow) // too small for 95%: the whole range
	require.Equal(t, 1.0, r.CIHigh)

	r = Welch(same, same)
	require.Equal(t, 0.0, r.Statistic)
	require.Equal(t, 1.0, r.P)
	r = Welch(same, []float64{6, 6})
	require.True(t, math.IsInf(r.Statistic, 1))
	require.Equal(t, 0.0, r.P)
	require.Equal(t, 1.0, r.Effect)

	r = TwoProportions(0, 10, 0, 20)
	require.Equal(t, 0.0, r.Statistic)
	require.Equal(t, 1.0, r.P)
	require.Equal(t, 0.0, r.CILow)

	chi2, p := SampleRatioMismatch([]int{0, 0}, []float64{1, 1})
	require.Equal(t, 0.0, chi2)
	require.Equal(t, 1.0, p)
	chi2, _ = SampleRatioMismatch([]int{1, 2}, []float64{1})
	require.True(t, math.IsNaN(chi2))
	chi2, p = SampleRatioMismatch([]int{3, 2}, []float64{1, 0})
	require.True(t, math.IsInf(chi2, 1))
	require.Equal(t, 0.0, p)

	require.Zero(t, SampleSizeMeans(1, 0, 0.05, 0.8))
	require.Zero(t, SampleSizeMeans(0, 1, 0.05, 0.8))
	require.Zero(t, SampleSizeTwoProportions(0.3, 0.3, 0.05, 0.8))
	require.Zero(t, SampleSizeTwoProportions(0, 0.3, 0.05, 0.8))
	require.Zero(t, SampleSizeMannWhitney(0.5, 0.05, 0.8))
	require.Zero(t, SampleSizeCycleTime(0.8, 1, 0.05, 0.8))
	require.Zero(t, SampleSizeMeans(1, 1e-9, 0.05, 0.8), "beyond 1e9 is unknowable")
}

func TestMannWhitneyLargeSamplesAreFast(t *testing.T) {
	t.Parallel()
	// 20,000 × 20,000 = 4e8 pairwise differences would take seconds to sort
	// and 3 GB of memory; the selection needs neither.
	rng := rand.New(rand.NewPCG(3, 4))
	x := make([]float64, 20000)
	y := make([]float64, 20000)
	for i := range x {
		x[i] = math.Exp(rng.NormFloat64())
		y[i] = math.Exp(rng.NormFloat64()) * 0.8
	}
	r := MannWhitney(x, y)
	require.Less(t, r.CILow, r.Effect)
	require.Less(t, r.Effect, r.CIHigh)
	require.Less(t, r.P, 1e-10)
}

// MeanCI against the textbook: 1..5 has mean 3, standard error √(2.5/5)
// and t(4, 0.975) = 2.7764451, so [1.0368, 4.9632].
func TestMeanCIReference(t *testing.T) {
	mean, lo, hi := MeanCI([]float64{1, 2, 3, 4, 5}, 0.95)
	require.InDelta(t, 3, mean, 1e-12)
	require.InDelta(t, 3-2.7764451*math.Sqrt(0.5), lo, 1e-6)
	require.InDelta(t, 3+2.7764451*math.Sqrt(0.5), hi, 1e-6)
	m, l, h := MeanCI([]float64{7}, 0.95)
	require.Equal(t, []float64{7, 7, 7}, []float64{m, l, h})
}
