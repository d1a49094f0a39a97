package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
)

// Result is the outcome of a two-sample comparison.
//
// Effect is treatment minus control in the metric's unit, [CILow, CIHigh] its
// confidence interval (95% for the functions without an alpha argument,
// 1-alpha for the *Alpha variants), Statistic the test statistic (z or t,
// positive when the treatment is larger) and P the two-sided p-value.
// N1 and N2 are the control and treatment sample sizes.
type Result struct {
	N1        int     `json:"n_control"`
	N2        int     `json:"n_treatment"`
	Effect    float64 `json:"effect"`
	CILow     float64 `json:"ci_low"`
	CIHigh    float64 `json:"ci_high"`
	Statistic float64 `json:"statistic"`
	P         float64 `json:"p"`
}

func undefined(n1, n2 int) Result {
	nan := math.NaN()
	return Result{N1: n1, N2: n2, Effect: nan, CILow: nan, CIHigh: nan, Statistic: nan, P: nan}
}

// normalSF is the upper tail P(Z > x) of the standard normal, accurate far
// into the tail.
func normalSF(x float64) float64 { return 0.5 * math.Erfc(x/math.Sqrt2) }

// normalCDF is P(Z <= x) of the standard normal.
func normalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// normalQuantile is the inverse of normalCDF.
func normalQuantile(p float64) float64 { return distuv.UnitNormal.Quantile(p) }

// twoSidedP is the two-sided normal p-value of z.
func twoSidedP(z float64) float64 { return math.Erfc(math.Abs(z) / math.Sqrt2) }

func validAlpha(alpha float64) bool { return alpha > 0 && alpha < 1 }

// MannWhitney is MannWhitneyAlpha at alpha 0.05.
func MannWhitney(control, treatment []float64) Result {
	return MannWhitneyAlpha(control, treatment, 0.05)
}

// MannWhitneyAlpha compares two samples with the Mann–Whitney U test
// (Wilcoxon rank-sum) and estimates the shift between them.
//
// Test: the normal approximation with the tie correction and without a
// continuity correction. With n = n1+n2, midranks for ties, U2 = R2 -
// n2(n2+1)/2 the treatment's U (R2 its rank sum) and t the sizes of the tie
// groups,
//
//	z = (U2 - n1 n2/2) / sqrt(n1 n2/12 · ((n+1) - Σ(t³-t)/(n(n-1))))
//
// and P = 2(1-Φ(|z|)); Statistic is z. This is
// scipy.stats.mannwhitneyu(treatment, control, alternative="two-sided",
// method="asymptotic", use_continuity=False). When every value is tied the
// variance is zero: z = 0 and P = 1.
//
// Effect is the Hodges–Lehmann estimate of the shift: the median of the
// n1·n2 pairwise differences treatment[j] - control[i] (the mean of the two
// middle ones when n1·n2 is even).
//
// [CILow, CIHigh] is Moses' distribution-free confidence interval for the
// shift, with the normal approximation for the rank of its bounds (Hollander,
// Wolfe & Chicken, Nonparametric Statistical Methods, 3rd ed., §4.3): with
// N = n1 n2 and z = Φ⁻¹(1-alpha/2),
//
//	k = ⌊N/2 - z·sqrt(N(n+1)/12) + 0.5⌋ (rounded half up, no tie correction)
//
// the bounds are the k-th smallest and the k-th largest pairwise difference.
// When the samples are too small for the level (k < 1) the interval is the
// whole range of the differences, and its coverage is below 1-alpha.
//
// The pairwise differences are never materialised: order statistics of them
// are selected in O((n1+n2) log(n1+n2)) time per rank, so large samples are
// cheap. With an empty sample every field but N1 and N2 is NaN.
func MannWhitneyAlpha(control, treatment []float64, alpha float64) Result {
	n1, n2 := len(control), len(treatment)
	if n1 == 0 || n2 == 0 || !validAlpha(alpha) {
		return undefined(n1, n2)
	}
	x := slices.Clone(control)
	y := slices.Clone(treatment)
	slices.Sort(x)
	slices.Sort(y)

	z := mannWhitneyZ(x, y)
	r := Result{N1: n1, N2: n2, Statistic: z, P: twoSidedP(z)}

	N := n1 * n2
	if N%2 == 1 {
		r.Effect = kthDiff(x, y, (N+1)/2)
	} else {
		r.Effect = (kthDiff(x, y, N/2) + kthDiff(x, y, N/2+1)) / 2
	}
	k := mosesRank(n1, n2, alpha)
	r.CILow = kthDiff(x, y, k)
	r.CIHigh = kthDiff(x, y, N+1-k)
	return r
}

// mosesRank is the rank k of the lower Moses bound (see MannWhitneyAlpha).
func mosesRank(n1, n2 int, alpha float64) int {
	N := float64(n1) * float64(n2)
	n := float64(n1 + n2)
	k := math.Floor(N/2 - normalQuantile(1-alpha/2)*math.Sqrt(N*(n+1)/12) + 0.5)
	if k < 1 {
		return 1
	}
	return int(k)
}

// mannWhitneyZ is the tie-corrected z of the treatment's U; x (control) and
// y (treatment) are sorted.
func mannWhitneyZ(x, y []float64) float64 {
	n1, n2 := len(x), len(y)
	n := n1 + n2
	// Merge the sorted samples, assigning midranks to tie groups.
	var r2, ties float64
	i, j := 0, 0
	rank := 0 // ranks assigned so far
	for i < n1 || j < n2 {
		var v float64
		switch {
		case i == n1:
			v = y[j]
		case j == n2:
			v = x[i]
		default:
			v = min(x[i], y[j])
		}
		cx, cy := 0, 0
		for i < n1 && x[i] == v {
			i++
			cx++
		}
		for j < n2 && y[j] == v {
			j++
			cy++
		}
		t := cx + cy
		mid := float64(rank) + float64(t+1)/2
		r2 += float64(cy) * mid
		ft := float64(t)
		ties += ft*ft*ft - ft
		rank += t
	}
	fn1, fn2, fn := float64(n1), float64(n2), float64(n)
	u2 := r2 - fn2*(fn2+1)/2
	variance := fn1 * fn2 / 12 * ((fn + 1) - ties/(fn*(fn-1)))
	if !(variance > 0) {
		return 0
	}
	return (u2 - fn1*fn2/2) / math.Sqrt(variance)
}

// kthDiff returns the k-th smallest (1-based) of the len(x)·len(y)
// differences y[i]-x[j]; x and y are sorted ascending.
//
// The differences form a matrix whose rows (i over y ascending) and columns
// (j over x descending) are sorted, so the selection narrows an active
// window [lo[i], hi[i]) per row around the answer, pivoting on the weighted
// median of the rows' middle elements (Johnson & Mizoguchi 1978; Monahan's
// algorithm for the Hodges–Lehmann estimator uses the same idea with a random
// pivot). Each round drops at least a quarter of the active elements, and
// counting the elements below a pivot is a linear staircase walk, so a
// selection costs O((n+m) log(n+m)) rather than sorting n·m differences.
func kthDiff(x, y []float64, k int) float64 {
	n, m := len(y), len(x)
	d := func(i, j int) float64 { return y[i] - x[m-1-j] } // nondecreasing in i and in j
	lo := make([]int, n)
	hi := make([]int, n)
	for i := range hi {
		hi[i] = m
	}
	less := make([]int, n)
	lessEq := make([]int, n)
	type weighted struct {
		v float64
		w int
	}
	mids := make([]weighted, 0, n)
	for {
		active, below := 0, 0
		for i := range n {
			active += hi[i] - lo[i]
			below += lo[i]
		}
		if active <= max(4*(n+m), 256) {
			vals := make([]float64, 0, active)
			for i := range n {
				for j := lo[i]; j < hi[i]; j++ {
					vals = append(vals, d(i, j))
				}
			}
			slices.Sort(vals)
			return vals[k-below-1]
		}
		mids = mids[:0]
		for i := range n {
			if w := hi[i] - lo[i]; w > 0 {
				mids = append(mids, weighted{d(i, lo[i]+w/2), w})
			}
		}
		slices.SortFunc(mids, func(a, b weighted) int {
			switch {
			case a.v < b.v:
				return -1
			case a.v > b.v:
				return 1
			}
			return 0
		})
		pivot, acc := mids[len(mids)-1].v, 0
		for _, mw := range mids {
			acc += mw.w
			if 2*acc >= active {
				pivot = mw.v
				break
			}
		}
		// Staircase: less[i] = #{j: d(i,j) < pivot}, lessEq[i] = #{j: d(i,j) <= pivot};
		// both are nonincreasing in i. Floating-point subtraction is
		// monotone, so the walk agrees with comparing each difference.
		totLess, totLessEq := 0, 0
		p, q := m, m
		for i := range n {
			for p > 0 && d(i, p-1) >= pivot {
				p--
			}
			for q > 0 && d(i, q-1) > pivot {
				q--
			}
			less[i], lessEq[i] = p, q
			totLess += p
			totLessEq += q
		}
		switch {
		case k <= totLess:
			for i := range n {
				hi[i] = min(hi[i], less[i])
			}
		case k > totLessEq:
			for i := range n {
				lo[i] = max(lo[i], lessEq[i])
			}
		default:
			return pivot
		}
	}
}

// TwoProportions is TwoProportionsAlpha at alpha 0.05.
func TwoProportions(x1, n1, x2, n2 int) Result {
	return TwoProportionsAlpha(x1, n1, x2, n2, 0.05)
}

// TwoProportionsAlpha compares the proportions p1 = x1/n1 (control) and
// p2 = x2/n2 (treatment).
//
// Test: the pooled-variance z test without continuity correction,
//
//	z = (p2-p1) / sqrt(p(1-p)(1/n1+1/n2)),  p = (x1+x2)/(n1+n2),
//
// P = 2(1-Φ(|z|)); z² is the Pearson chi-square of the 2×2 table, as in
// scipy.stats.chi2_contingency(table, correction=False). When p is 0 or 1
// (no variation at all) z = 0 and P = 1.
//
// Effect is p2-p1; the interval is the unpooled Wald interval
// p2-p1 ± Φ⁻¹(1-alpha/2)·sqrt(p1(1-p1)/n1 + p2(1-p2)/n2) (not clipped to
// [-1, 1]). With n1 or n2 < 1, or x outside [0, n], every field but N1 and
// N2 is NaN.
func TwoProportionsAlpha(x1, n1, x2, n2 int, alpha float64) Result {
	if n1 < 1 || n2 < 1 || x1 < 0 || x2 < 0 || x1 > n1 || x2 > n2 || !validAlpha(alpha) {
		return undefined(n1, n2)
	}
	f1, f2 := float64(n1), float64(n2)
	p1, p2 := float64(x1)/f1, float64(x2)/f2
	p := float64(x1+x2) / (f1 + f2)
	d := p2 - p1
	r := Result{N1: n1, N2: n2, Effect: d, Statistic: 0, P: 1}
	if se0 := math.Sqrt(p * (1 - p) * (1/f1 + 1/f2)); se0 > 0 {
		r.Statistic = d / se0
		r.P = twoSidedP(r.Statistic)
	}
	half := normalQuantile(1-alpha/2) * math.Sqrt(p1*(1-p1)/f1+p2*(1-p2)/f2)
	r.CILow, r.CIHigh = d-half, d+half
	return r
}

// Welch is WelchAlpha at alpha 0.05.
func Welch(control, treatment []float64) Result {
	return WelchAlpha(control, treatment, 0.05)
}

// WelchAlpha compares the means of two samples with Welch's unequal-variance
// t test: t = (m2-m1)/se with se² = s1²/n1 + s2²/n2 (sample variances,
// denominator n-1) and the Welch–Satterthwaite degrees of freedom
// df = se⁴ / ((s1²/n1)²/(n1-1) + (s2²/n2)²/(n2-1)); P = 2 P(T_df > |t|), as
// scipy.stats.ttest_ind(treatment, control, equal_var=False). Effect is
// m2-m1 and the interval m2-m1 ± t_{df,1-alpha/2}·se.
//
// With fewer than two values in a sample every field but N1 and N2 is NaN.
// When both samples have zero variance the test is degenerate: equal means
// give t = 0 and P = 1, different means t = ±Inf and P = 0; the interval is
// then the single point m2-m1.
func WelchAlpha(control, treatment []float64, alpha float64) Result {
	n1, n2 := len(control), len(treatment)
	if n1 < 2 || n2 < 2 || !validAlpha(alpha) {
		return undefined(n1, n2)
	}
	m1, m2 := Mean(control), Mean(treatment)
	a, b := Variance(control)/float64(n1), Variance(treatment)/float64(n2)
	d := m2 - m1
	r := Result{N1: n1, N2: n2, Effect: d, CILow: d, CIHigh: d}
	se2 := a + b
	if !(se2 > 0) {
		switch {
		case d == 0:
			r.Statistic, r.P = 0, 1
		default:
			r.Statistic, r.P = math.Copysign(math.Inf(1), d), 0
		}
		return r
	}
	se := math.Sqrt(se2)
	df := se2 * se2 / (a*a/float64(n1-1) + b*b/float64(n2-1))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}
	r.Statistic = d / se
	r.P = 2 * t.Survival(math.Abs(r.Statistic))
	half := t.Quantile(1-alpha/2) * se
	r.CILow, r.CIHigh = d-half, d+half
	return r
}

// SampleRatioMismatch tests whether the observed counts per arm fit the
// planned shares with Pearson's chi-square goodness-of-fit test (k-1 degrees
// of freedom, no continuity correction), as scipy.stats.chisquare(observed,
// f_exp=total·share). expectedShare is normalised to sum to 1, so shares and
// percentages both work.
//
// With no observations it returns (0, 1). Invalid input (lengths that differ
// or are below 2, negative counts, shares that are negative, not finite or
// sum to zero) gives (NaN, NaN). A zero share with observations in that arm
// gives (+Inf, 0).
func SampleRatioMismatch(observed []int, expectedShare []float64) (chi2, p float64) {
	k := len(observed)
	if k < 2 || len(expectedShare) != k {
		return math.NaN(), math.NaN()
	}
	var total, shares float64
	for i, o := range observed {
		s := expectedShare[i]
		if o < 0 || !(s >= 0) || math.IsInf(s, 0) {
			return math.NaN(), math.NaN()
		}
		total += float64(o)
		shares += s
	}
	if !(shares > 0) {
		return math.NaN(), math.NaN()
	}
	if total == 0 {
		return 0, 1
	}
	for i, o := range observed {
		e := total * expectedShare[i] / shares
		diff := float64(o) - e
		if e == 0 {
			if o > 0 {
				return math.Inf(1), 0
			}
			continue
		}
		chi2 += diff * diff / e
	}
	return chi2, distuv.ChiSquared{K: float64(k - 1)}.Survival(chi2)
}
