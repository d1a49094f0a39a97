package stats

import "math"

// maxSampleSize bounds the sample sizes returned: beyond it the effect is
// negligible for any pilot and 0 ("unknowable") is returned instead.
const maxSampleSize = 1e9

// sampleSize rounds a per-arm size up to an integer (ignoring a float
// excess below 1e-9, so that 39.0000000001 is 39) and maps invalid or huge
// answers to 0.
func sampleSize(n float64) int {
	if !(n > 0) || n > maxSampleSize {
		return 0
	}
	return int(math.Ceil(n - 1e-9))
}

func validPlan(alpha, power float64) bool {
	return validAlpha(alpha) && power > 0 && power < 1
}

// SampleSizeMeans returns the number of units per arm (equal arms) for a
// two-sided test of a difference delta in means at level alpha with the
// given power, by the normal approximation with known standard deviation sd:
//
//	n = 2·sd²·(z_{1-alpha/2} + z_power)² / delta²,
//
// rounded up. The crossing of the opposite boundary is ignored (negligible).
// It returns 0 for invalid input (sd <= 0, delta = 0, alpha or power outside
// (0, 1)) or an answer above 1e9.
func SampleSizeMeans(sd, delta, alpha, power float64) int {
	if !(sd > 0) || delta == 0 || math.IsNaN(delta) || !validPlan(alpha, power) {
		return 0
	}
	z := normalQuantile(1-alpha/2) + normalQuantile(power)
	return sampleSize(2 * sd * sd * z * z / (delta * delta))
}

// SampleSizeTwoProportions returns the number of units per arm (equal arms)
// for the pooled two-proportion z test of p1 (control) against p2
// (treatment), two-sided at level alpha with the given power, by the normal
// approximation without continuity correction (Fleiss, Levin & Paik,
// Statistical Methods for Rates and Proportions, 3rd ed., eq. 4.14 without
// its correction): with p̄ = (p1+p2)/2,
//
//	n = (z_{1-alpha/2}·√(2p̄(1-p̄)) + z_power·√(p1(1-p1)+p2(1-p2)))² / (p1-p2)²,
//
// rounded up. It returns 0 for invalid input (p1 or p2 outside (0, 1),
// p1 = p2, alpha or power outside (0, 1)) or an answer above 1e9.
func SampleSizeTwoProportions(p1, p2, alpha, power float64) int {
	if !(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1) || p1 == p2 || !validPlan(alpha, power) {
		return 0
	}
	pbar := (p1 + p2) / 2
	a := normalQuantile(1-alpha/2) * math.Sqrt(2*pbar*(1-pbar))
	b := normalQuantile(power) * math.Sqrt(p1*(1-p1)+p2*(1-p2))
	d := p1 - p2
	return sampleSize((a + b) * (a + b) / (d * d))
}

// SampleSizeMannWhitney returns the number of units per arm (equal arms) for
// the two-sided Mann–Whitney test at level alpha with the given power when a
// treatment value exceeds a control value with probability p = P(Y > X),
// by Noether's formula (JASA 1987) with equal allocation:
//
//	n = (z_{1-alpha/2} + z_power)² / (6·(p - 1/2)²),
//
// rounded up. It returns 0 for invalid input (p outside (0, 1), p = 1/2,
// alpha or power outside (0, 1)) or an answer above 1e9.
func SampleSizeMannWhitney(p, alpha, power float64) int {
	if !(p > 0 && p < 1) || p == 0.5 || !validPlan(alpha, power) {
		return 0
	}
	z := normalQuantile(1-alpha/2) + normalQuantile(power)
	d := p - 0.5
	return sampleSize(z * z / (6 * d * d))
}

// SampleSizeCycleTime plans a Mann–Whitney comparison of skewed durations
// (cycle times) that are roughly log-normal: logSD is the pooled standard
// deviation of the log durations and medianRatio the treatment's median over
// the control's (0.6 for 40% shorter). It returns units per arm.
//
// The plan is made on log durations, where the data are roughly normal and a
// change of the median is a shift by delta = ln(medianRatio):
// SampleSizeMeans(logSD, delta, …) would be right for a t test on the logs.
// The Mann–Whitney test is less efficient than that (asymptotically 3/π for
// small shifts, less for large ones), so the answer is Noether's size
// (SampleSizeMannWhitney) at the superiority probability implied by the
// normal model on logs, p = Φ(|delta| / (√2·logSD)); it is never below the
// t-test size. The test is invariant to the log transform, so the plan
// holds for the raw durations. It returns 0 for invalid input or an answer
// above 1e9.
func SampleSizeCycleTime(logSD, medianRatio, alpha, power float64) int {
	if !(logSD > 0) || !(medianRatio > 0) || math.IsInf(medianRatio, 0) || medianRatio == 1 || !validPlan(alpha, power) {
		return 0
	}
	delta := math.Log(medianRatio)
	p := normalCDF(math.Abs(delta) / (math.Sqrt2 * logSD))
	n := SampleSizeMannWhitney(p, alpha, power)
	if n == 0 {
		return 0
	}
	return max(n, SampleSizeMeans(logSD, delta, alpha, power))
}
