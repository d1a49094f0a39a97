package sim

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Fitting a model from what happened (issue 22): the pure part. The
// caller reads cases and spans from the store (or an imported log) and
// hands them over as plain values.

// FitArrivals is the expected arrivals per hour of the week over [from,
// to): each hour-of-week slot's arrivals divided by how often the slot
// occurs in the range (a range of 10 weeks and 3 days has 11 Mondays
// 09:00 in some cases, 10 in others).
func FitArrivals(arrived []time.Time, from, to time.Time) ([HoursPerWeek]float64, error) {
	var rates [HoursPerWeek]float64
	if !to.After(from) {
		return rates, fmt.Errorf("sim: an empty range %s to %s", from, to)
	}
	var occurs, counts [HoursPerWeek]float64
	for h := from.Truncate(time.Hour); h.Before(to); h = h.Add(time.Hour) {
		// A partial first or last hour counts for the part inside.
		lo, hi := maxTime(h, from), minTime(h.Add(time.Hour), to)
		occurs[HourOfWeek(h)] += hi.Sub(lo).Hours()
	}
	for _, t := range arrived {
		if !t.Before(from) && t.Before(to) {
			counts[HourOfWeek(t)]++
		}
	}
	for h := range rates {
		if occurs[h] > 0 {
			rates[h] = counts[h] / occurs[h]
		}
	}
	return rates, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Visit is one step a real case took, for fitting: its step, and its work
// in seconds (from when work began to completion).
type Visit struct {
	Step string
	Work float64
}

// FitBranches are each step's observed ways out: for every step, the
// share of its visits followed by each other step, in the order the next
// steps were first seen. A visit that was a case's last ended it: a step
// that always ends its case has no branches; one that sometimes does gets
// a branch to EndStep with the share of endings. Cases are sequences of
// visits in the order they happened.
func FitBranches(cases [][]Visit) map[string][]Branch {
	type count struct {
		to string
		n  int
	}
	outs := map[string][]count{}
	totals := map[string]int{}
	for _, c := range cases {
		for i := 0; i+1 < len(c); i++ {
			from, to := c[i].Step, c[i+1].Step
			totals[from]++
			cs := outs[from]
			if j := slices.IndexFunc(cs, func(x count) bool { return x.to == to }); j >= 0 {
				cs[j].n++
			} else {
				cs = append(cs, count{to: to, n: 1})
			}
			outs[from] = cs
		}
		if len(c) > 0 {
			// The last visit ends the case: it is no branch, but the
			// step's probabilities are over all its visits with an
			// outcome known, so an ending counts as a way out "end".
			totals[c[len(c)-1].Step]++
			last := c[len(c)-1].Step
			cs := outs[last]
			if j := slices.IndexFunc(cs, func(x count) bool { return x.to == "" }); j >= 0 {
				cs[j].n++
			} else {
				cs = append(cs, count{to: "", n: 1})
			}
			outs[last] = cs
		}
	}
	out := make(map[string][]Branch, len(outs))
	for step, cs := range outs {
		var bs []Branch
		ends := 0
		for _, c := range cs {
			if c.to == "" {
				ends = c.n
				continue
			}
			bs = append(bs, Branch{To: c.to, P: float64(c.n) / float64(totals[step])})
		}
		if len(bs) > 0 && ends > 0 {
			// Some visits continue, some end the case: the endings go to
			// EndStep, so the probabilities sum to 1.
			bs = append(bs, Branch{To: EndStep, P: float64(ends) / float64(totals[step])})
		}
		out[step] = bs
	}
	return out
}

// EndStep is the automatic step a fitted model has for the cases that end
// after a step that sometimes continues (a step of no work and no way
// out).
const EndStep = "(end)"

// FitWork is a step's work-time distribution from observed work times in
// seconds: empirical with a fitted tail from MinEmpirical observations on,
// else exponential with their mean, else (none) fallback.
func FitWork(work []float64, fallback Dist) Dist {
	var xs []float64
	for _, w := range work {
		if w >= 0 && !math.IsNaN(w) && !math.IsInf(w, 0) {
			xs = append(xs, w)
		}
	}
	if len(xs) >= MinEmpirical {
		if e, err := NewEmpirical(xs); err == nil {
			return e
		}
	}
	if len(xs) > 0 {
		sum := 0.0
		for _, x := range xs {
			sum += x
		}
		return Exponential{MeanSeconds: sum / float64(len(xs))}
	}
	return fallback
}
