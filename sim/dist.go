package sim

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Dist is a distribution of durations in seconds.
type Dist interface {
	// Sample draws one duration (seconds, >= 0).
	Sample(r *rand.Rand) float64
	// Mean is the distribution's mean in seconds.
	Mean() float64
}

// Exponential is the exponential distribution with the given mean.
type Exponential struct{ MeanSeconds float64 }

func (e Exponential) Sample(r *rand.Rand) float64 { return r.ExpFloat64() * e.MeanSeconds }
func (e Exponential) Mean() float64               { return e.MeanSeconds }

// Fixed is always the same duration.
type Fixed struct{ Seconds float64 }

func (f Fixed) Sample(*rand.Rand) float64 { return f.Seconds }
func (f Fixed) Mean() float64             { return f.Seconds }

// TailQuantile is where an Empirical distribution's fitted tail begins.
const TailQuantile = 0.95

// MinEmpirical is the fewest observations an Empirical distribution is
// made from.
const MinEmpirical = 5

// Empirical draws from observed durations: below the TailQuantile by the
// observations' inverse distribution (linear between order statistics,
// so values between observations occur too), above it from an exponential
// tail fitted to the observations beyond it (mean excess), so that a
// simulation meets durations longer than any observed, at the rate the
// data's tail suggests.
type Empirical struct {
	sorted   []float64
	cut      float64 // the TailQuantile of the observations
	tailMean float64 // mean excess over cut of the observations above it
	mean     float64
}

// NewEmpirical fits an Empirical distribution to observations (seconds);
// negative and non-finite ones are refused.
func NewEmpirical(obs []float64) (*Empirical, error) {
	if len(obs) < MinEmpirical {
		return nil, fmt.Errorf("sim: %d observations; an empirical distribution needs at least %d", len(obs), MinEmpirical)
	}
	xs := slices.Clone(obs)
	for _, x := range xs {
		if x < 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, errors.New("sim: a duration is negative or not a number")
		}
	}
	slices.Sort(xs)
	e := &Empirical{sorted: xs, cut: quantile(xs, TailQuantile)}
	var excess float64
	n := 0
	for _, x := range xs {
		if x > e.cut {
			excess += x - e.cut
			n++
		}
	}
	if n > 0 {
		e.tailMean = excess / float64(n)
	}
	// The mean of the mixture: the body's mean (the interpolated inverse
	// distribution over [0, TailQuantile]) and the tail's cut + mean excess.
	const steps = 2000
	body := 0.0
	for i := range steps {
		body += quantile(xs, TailQuantile*(float64(i)+0.5)/steps)
	}
	e.mean = TailQuantile*body/steps + (1-TailQuantile)*(e.cut+e.tailMean)
	return e, nil
}

// Sample draws a duration.
func (e *Empirical) Sample(r *rand.Rand) float64 {
	u := r.Float64()
	if u < TailQuantile || e.tailMean == 0 {
		return quantile(e.sorted, min(u, TailQuantile))
	}
	return e.cut + r.ExpFloat64()*e.tailMean
}

// Mean is the distribution's mean in seconds.
func (e *Empirical) Mean() float64 { return e.mean }

// quantile is the type-7 quantile of sorted xs.
func quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (pos-float64(lo))*(sorted[lo+1]-sorted[lo])
}
