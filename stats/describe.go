package stats

import (
	"math"
	"slices"
)

// Quantile returns the q-th quantile of xs (0 <= q <= 1) by linear
// interpolation between order statistics, Hyndman & Fan's type 7 (the
// default of R's quantile and of numpy.quantile): with the sorted sample
// x[0..n-1] and h = (n-1)q, the quantile is x[⌊h⌋] + (h-⌊h⌋)(x[⌊h⌋+1]-x[⌊h⌋]).
// xs need not be sorted and is not modified. It is NaN for an empty sample or
// a q outside [0, 1].
func Quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 || !(q >= 0 && q <= 1) {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return quantileSorted(s, q)
}

func quantileSorted(s []float64, q float64) float64 {
	h := float64(len(s)-1) * q
	lo := int(math.Floor(h))
	if lo >= len(s)-1 {
		return s[len(s)-1]
	}
	return s[lo] + (h-float64(lo))*(s[lo+1]-s[lo])
}

// Median returns the median of xs (Quantile(xs, 0.5)): NaN for an empty sample.
func Median(xs []float64) float64 { return Quantile(xs, 0.5) }

// Mean returns the arithmetic mean of xs: NaN for an empty sample.
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// Variance returns the sample variance of xs (denominator n-1): NaN for
// fewer than two values. It uses two passes for accuracy.
func Variance(xs []float64) float64 {
	if len(xs) < 2 {
		return math.NaN()
	}
	m := Mean(xs)
	var ss, c float64
	for _, x := range xs {
		d := x - m
		ss += d * d
		c += d
	}
	n := float64(len(xs))
	return (ss - c*c/n) / (n - 1)
}
