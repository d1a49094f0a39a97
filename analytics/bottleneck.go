// Package analytics computes flowlab's statistics from step spans: where
// cases wait, where work piles up, which step is the bottleneck. It is pure
// Go and imports nothing of flowlab's.
package analytics

import (
	"math"
	"sort"
	"time"
)

// Clock measures business time: how much of [a, b) counts, e.g. only a
// team's opening hours. A nil Clock means elapsed time.
type Clock interface {
	Between(a, b time.Time) time.Duration
}

// Span is one step a case passed through.
type Span struct {
	CaseID     string
	Seq        int
	Step       string
	Kind       string // task | auto | decision | wait | end
	Department string
	Entered    time.Time
	// Claimed is when an agent claimed a task; nil when nobody did.
	Claimed *time.Time
	// Assigned is when a rule or a team lead gave a task to the person
	// who started it; nil for a task pulled from the pool (decision 0036).
	Assigned  *time.Time
	Completed time.Time
	// Breached reports that the step's SLA was missed; it only counts when
	// HasSLA is set.
	Breached        bool
	EscalationLevel int
	HasSLA          bool
	// Clock is the calendar the span's step counts its SLA in; nil is
	// elapsed time. It only affects the business figures of StepStats.
	Clock Clock
}

// Quantiles of a duration distribution, in seconds.
type Quantiles struct {
	P50, P90, P95 float64
}

// StepStats summarises the spans of one step.
type StepStats struct {
	Step, Department, Kind string
	// Cases is the number of distinct cases that passed through the step.
	Cases int
	// Wait is entered -> claimed, Work is claimed -> completed (seconds).
	Wait, Work           Quantiles
	WaitTotal, WorkTotal float64
	// BusinessWait and BusinessWork split spans the same way but count
	// only the business time of each span's Clock (seconds); for spans
	// without a Clock they equal the elapsed figures.
	BusinessWait, BusinessWork           Quantiles
	BusinessWaitTotal, BusinessWorkTotal float64
	// WaitAssign and WaitStart split a task's waiting (decision 0036):
	// entered -> assigned (waiting for assignment; the whole wait of a task
	// pulled from the pool) and assigned -> claimed (assigned, waiting to
	// start). Assigned counts the spans a rule or a lead assigned. Zero
	// for steps that are not tasks.
	WaitAssign, WaitStart           Quantiles
	WaitAssignTotal, WaitStartTotal float64
	Assigned                        int
	// SLABreachRate is Breaches over the spans that had an SLA (0 if none).
	SLABreachRate float64
	Breaches      int
	// Escalations counts the spans that escalated at least once.
	Escalations int
	// Share is the step's wait+work time over that of all steps.
	Share float64
	// Bottleneck marks the step with the largest Share.
	Bottleneck bool
}

// Report is the bottleneck view over a set of spans.
type Report struct {
	Cases        int
	Spans        int
	TotalSeconds float64
	Steps        []StepStats
}

// Quantile returns the q-quantile (0 <= q <= 1) of an ascending slice by
// linear interpolation between the closest ranks, as PostgreSQL's
// percentile_cont does. It returns 0 for an empty slice; q is clamped to
// [0, 1].
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if math.IsNaN(q) || q <= 0 {
		return sorted[0]
	}
	if q >= 1 {
		return sorted[n-1]
	}
	pos := q * float64(n-1)
	lo := int(math.Floor(pos))
	frac := pos - float64(lo)
	if lo+1 >= n {
		return sorted[n-1]
	}
	return sorted[lo] + frac*(sorted[lo+1]-sorted[lo])
}

// waitWork splits a span into waiting and working seconds. Tasks wait until
// claimed (an unclaimed task waited throughout); wait steps only wait;
// every other kind only works. Negative intervals (clock skew, spans still
// open) count as zero.
func waitWork(s Span) (wait, work float64) { return split(s, seconds) }

// WaitWork is one span's waiting and working seconds (elapsed time) by the
// rules the bottleneck report uses: the span export writes them per row so
// a recomputation from it agrees with the report.
func WaitWork(s Span) (wait, work float64) { return waitWork(s) }

// WaitSplit is a task span's waiting split at its assignment (decision
// 0036): entered -> assigned (the whole wait when it was pulled from the
// pool) and assigned -> work begins. Spans that are not tasks give 0, 0.
func WaitSplit(s Span) (forAssignment, toStart float64) {
	if s.Kind != "task" {
		return 0, 0
	}
	b := WorkBegins(s)
	a := b
	if s.Assigned != nil && !s.Assigned.Before(s.Entered) && s.Assigned.Before(b) {
		a = *s.Assigned
	}
	return seconds(s.Entered, a), seconds(a, b)
}

// businessWaitWork splits a span like waitWork but measures each interval
// with the span's Clock.
func businessWaitWork(s Span) (wait, work float64) {
	if s.Clock == nil {
		return split(s, seconds)
	}
	return split(s, func(from, to time.Time) float64 {
		if !to.After(from) {
			return 0
		}
		return max(s.Clock.Between(from, to).Seconds(), 0)
	})
}

// split applies the wait/work rules of waitWork, measuring intervals with
// measure: waiting from entering to WorkBegins, working from there to the
// completion.
func split(s Span, measure func(from, to time.Time) float64) (wait, work float64) {
	b := WorkBegins(s)
	return measure(s.Entered, b), measure(b, s.Completed)
}

// WorkBegins is the instant a span's waiting ends and its working begins,
// by the rules of the bottleneck report: a task's claim (kept between
// entering and completing), or its completion when it was never claimed;
// a wait step's completion (it only waits); every other kind's entering (it
// only works). The XES export writes it as the step's start event, so that
// a log read back gives the report's waiting and working times.
func WorkBegins(s Span) time.Time {
	switch s.Kind {
	case "wait":
		return s.Completed
	case "task":
		if s.Claimed == nil {
			return s.Completed
		}
		claimed := *s.Claimed
		if claimed.Before(s.Entered) {
			claimed = s.Entered
		}
		if claimed.After(s.Completed) {
			claimed = s.Completed
		}
		return claimed
	default:
		return s.Entered
	}
}

func seconds(from, to time.Time) float64 {
	d := to.Sub(from).Seconds()
	if d < 0 {
		return 0
	}
	return d
}

type stepAcc struct {
	stats     StepStats
	cases     map[string]bool
	waits     []float64
	works     []float64
	bizWaits  []float64
	bizWorks  []float64
	forAssign []float64
	toStart   []float64
	withSLA   int
}

// Bottlenecks aggregates spans per step. Steps are listed in stepOrder (the
// flow's order), then any other step alphabetically; a step without spans
// is left out. Department and Kind of a step are those of its first span.
func Bottlenecks(spans []Span, stepOrder []string) Report {
	acc := map[string]*stepAcc{}
	allCases := map[string]bool{}
	var total float64
	for _, s := range spans {
		a, ok := acc[s.Step]
		if !ok {
			a = &stepAcc{
				stats: StepStats{Step: s.Step, Department: s.Department, Kind: s.Kind},
				cases: map[string]bool{},
			}
			acc[s.Step] = a
		}
		wait, work := waitWork(s)
		a.waits = append(a.waits, wait)
		a.works = append(a.works, work)
		a.stats.WaitTotal += wait
		a.stats.WorkTotal += work
		bizWait, bizWork := businessWaitWork(s)
		a.bizWaits = append(a.bizWaits, bizWait)
		a.bizWorks = append(a.bizWorks, bizWork)
		a.stats.BusinessWaitTotal += bizWait
		a.stats.BusinessWorkTotal += bizWork
		fa, ts := WaitSplit(s)
		a.forAssign = append(a.forAssign, fa)
		a.toStart = append(a.toStart, ts)
		a.stats.WaitAssignTotal += fa
		a.stats.WaitStartTotal += ts
		if s.Kind == "task" && s.Assigned != nil {
			a.stats.Assigned++
		}
		total += wait + work
		a.cases[s.CaseID] = true
		allCases[s.CaseID] = true
		if s.HasSLA {
			a.withSLA++
			if s.Breached {
				a.stats.Breaches++
			}
		}
		if s.EscalationLevel > 0 {
			a.stats.Escalations++
		}
	}

	order := make([]string, 0, len(acc))
	placed := map[string]bool{}
	for _, step := range stepOrder {
		if _, ok := acc[step]; ok && !placed[step] {
			order = append(order, step)
			placed[step] = true
		}
	}
	var rest []string
	for step := range acc {
		if !placed[step] {
			rest = append(rest, step)
		}
	}
	sort.Strings(rest)
	order = append(order, rest...)

	r := Report{Cases: len(allCases), Spans: len(spans), TotalSeconds: total}
	best := -1
	for _, step := range order {
		a := acc[step]
		st := a.stats
		st.Cases = len(a.cases)
		st.Wait = quantiles(a.waits)
		st.Work = quantiles(a.works)
		st.BusinessWait = quantiles(a.bizWaits)
		st.BusinessWork = quantiles(a.bizWorks)
		st.WaitAssign = quantiles(a.forAssign)
		st.WaitStart = quantiles(a.toStart)
		if a.withSLA > 0 {
			st.SLABreachRate = float64(st.Breaches) / float64(a.withSLA)
		}
		if total > 0 {
			st.Share = (st.WaitTotal + st.WorkTotal) / total
		}
		r.Steps = append(r.Steps, st)
		if best < 0 || st.Share > r.Steps[best].Share {
			best = len(r.Steps) - 1
		}
	}
	if best >= 0 {
		r.Steps[best].Bottleneck = true
	}
	return r
}

// QuantilesOf are the p50, p90 and p95 of xs (in any order) by Quantile:
// the one definition of a percentile in flowlab.
func QuantilesOf(xs []float64) Quantiles { return quantiles(xs) }

func quantiles(xs []float64) Quantiles {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return Quantiles{P50: Quantile(s, 0.5), P90: Quantile(s, 0.9), P95: Quantile(s, 0.95)}
}
