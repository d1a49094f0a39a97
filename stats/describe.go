package stats

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/stat/distuv"
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

// MeanCI is the mean of xs and its two-sided confidence interval at level
// (0.95 for 95 %) by Student's t with len(xs)-1 degrees of freedom; with
// fewer than two values the interval is the mean itself.
func MeanCI(xs []float64, level float64) (mean, lo, hi float64) {
	mean = Mean(xs)
	if len(xs) < 2 {
		return mean, mean, mean
	}
	se := math.Sqrt(Variance(xs) / float64(len(xs)))
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(1 - (1-level)/2)
	return mean, mean - t*se, mean + t*se
}
