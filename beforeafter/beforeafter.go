// Package beforeafter sets an imported event log (the process as it ran
// before, package discovery) beside a flow version's own spans (as it runs
// in flowlab), step by step through a mapping from activity labels to step
// ids, with the change of each figure and its 95 % interval (decision
// 0034). It is pure: the API hands it the log and the spans.
package beforeafter

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/stats"
)

// Side is one side's figures of a step (or of the whole process).
type Side struct {
	// Cases passing through the step; Events are its instances (spans).
	Cases, Events int
	// Wait and Work are percentiles in seconds (decision 0029 for the log,
	// the bottleneck report's rules for spans).
	Wait, Work discovery.Quantiles
	// Share is the step's waiting and working time over that of every
	// mapped step on its side.
	Share float64
	// Rework is the share of its cases in which it occurs more than once.
	Rework float64
	// ReworkCases counts them.
	ReworkCases int
}

// Change is the after side against the before side: for durations the
// ratio of the after to the before durations (Hodges–Lehmann shift of
// their logarithms, exponentiated) with its 95 % interval; for rates the
// difference (after minus before) with its 95 % interval; P the two-sided
// p-value. NaN where a side has nothing to compare.
type Change struct {
	Estimate, Low, High, P float64
}

// Step is one step compared.
type Step struct {
	Step string
	// Activities are the log's activities mapped to the step.
	Activities    []string
	Before, After Side
	// WaitRatio and WorkRatio compare the durations; ReworkDiff the
	// rework rates.
	WaitRatio, WorkRatio, ReworkDiff Change
}

// Cycle compares the cases' cycle times.
type Cycle struct {
	Before, After discovery.Quantiles
	Ratio         Change
}

// Result is the comparison.
type Result struct {
	Steps []Step
	Cycle Cycle
	// UnmappedActivities are the log's activities no step takes, with
	// their events; UnmappedSteps the steps with spans no activity maps to.
	UnmappedActivities []string
	UnmappedSteps      []string
}

// AfterCase is a flow case's cycle time in seconds (closed minus created,
// for a completed case).
type AfterCase struct {
	ID           string
	CycleSeconds float64
}

// Compare compares the log l (before) with spans and the completed cases'
// cycle times (after), through mapping (activity label → step id; an
// activity not in it is left out). Steps come in the order of first
// appearance in spans, then the mapped steps without spans by id.
func Compare(l discovery.Log, spans []analytics.Span, cases []AfterCase, mapping map[string]string) Result {
	type acc struct {
		side         Side
		wait, work   []float64
		total        float64
		cases, multi map[string]int
	}
	newAcc := func() *acc { return &acc{cases: map[string]int{}} }
	before, after := map[string]*acc{}, map[string]*acc{}
	var order []string
	seen := map[string]bool{}
	addStep := func(s string) {
		if !seen[s] {
			seen[s] = true
			order = append(order, s)
		}
	}
	// After: the spans, by the bottleneck report's rules.
	for _, sp := range spans {
		addStep(sp.Step)
		a := after[sp.Step]
		if a == nil {
			a = newAcc()
			after[sp.Step] = a
		}
		w, k := analytics.WaitWork(sp)
		a.wait, a.work = append(a.wait, w), append(a.work, k)
		a.total += w + k
		a.cases[sp.CaseID]++
		a.side.Events++
	}
	// Before: the log's events of mapped activities, waiting and working
	// as decision 0029 defines them.
	unmapped := map[string]bool{}
	for _, c := range l.Cases {
		for i, e := range c.Events {
			step, ok := mapping[e.Activity]
			if !ok {
				unmapped[e.Activity] = true
				continue
			}
			a := before[step]
			if a == nil {
				a = newAcc()
				before[step] = a
			}
			a.side.Events++
			a.cases[c.ID]++
			begin := e.Time
			if e.Start != nil {
				begin = *e.Start
				w := e.Time.Sub(begin).Seconds()
				a.work = append(a.work, w)
				a.total += w
			}
			if ready, ok := discovery.ReadyAt(c, i); ok {
				w := begin.Sub(ready).Seconds()
				a.wait = append(a.wait, w)
				a.total += w
			}
		}
	}
	var res Result
	var mappedSteps []string
	for _, s := range mapping {
		if !seen[s] && !slices.Contains(mappedSteps, s) {
			mappedSteps = append(mappedSteps, s)
		}
	}
	slices.Sort(mappedSteps)
	order = append(order, mappedSteps...)
	sumTotal := func(m map[string]*acc) float64 {
		t := 0.0
		for _, s := range order {
			if a := m[s]; a != nil {
				t += a.total
			}
		}
		return t
	}
	bt, at := sumTotal(before), sumTotal(after)
	finish := func(a *acc, total float64) Side {
		if a == nil {
			return Side{}
		}
		sd := a.side
		sd.Cases = len(a.cases)
		sd.Wait, sd.Work = discovery.QuantilesOf(a.wait), discovery.QuantilesOf(a.work)
		if total > 0 {
			sd.Share = a.total / total
		}
		for _, n := range a.cases {
			if n > 1 {
				sd.ReworkCases++
			}
		}
		if sd.Cases > 0 {
			sd.Rework = float64(sd.ReworkCases) / float64(sd.Cases)
		}
		return sd
	}
	for _, s := range order {
		var acts []string
		for act, st := range mapping {
			if st == s {
				acts = append(acts, act)
			}
		}
		slices.Sort(acts)
		b, a := before[s], after[s]
		if b == nil && len(acts) == 0 {
			res.UnmappedSteps = append(res.UnmappedSteps, s)
		}
		st := Step{Step: s, Activities: acts, Before: finish(b, bt), After: finish(a, at)}
		var bw, bk, aw, ak []float64
		if b != nil {
			bw, bk = b.wait, b.work
		}
		if a != nil {
			aw, ak = a.wait, a.work
		}
		st.WaitRatio, st.WorkRatio = ratio(bw, aw), ratio(bk, ak)
		st.ReworkDiff = proportions(st.Before.ReworkCases, st.Before.Cases, st.After.ReworkCases, st.After.Cases)
		res.Steps = append(res.Steps, st)
	}
	for act := range unmapped {
		res.UnmappedActivities = append(res.UnmappedActivities, act)
	}
	slices.Sort(res.UnmappedActivities)
	var bc, ac []float64
	for _, c := range l.Cases {
		if len(c.Events) > 0 {
			bc = append(bc, discovery.CycleTime(c).Seconds())
		}
	}
	for _, c := range cases {
		ac = append(ac, c.CycleSeconds)
	}
	res.Cycle = Cycle{Before: discovery.QuantilesOf(bc), After: discovery.QuantilesOf(ac), Ratio: ratio(bc, ac)}
	return res
}

// logFloor is the smallest duration, in seconds, taken before the
// logarithm (a zero-second step would have none): the pilots' rule.
const logFloor = 1.0

// ratio is the Hodges–Lehmann estimate of the after/before ratio of
// durations: the shift between the logarithms of max(x, 1 s), with Moses'
// 95 % interval (stats.MannWhitney), exponentiated.
func ratio(before, after []float64) Change {
	if len(before) == 0 || len(after) == 0 {
		return nan()
	}
	lb, la := logs(before), logs(after)
	r := stats.MannWhitney(lb, la)
	return Change{Estimate: math.Exp(r.Effect), Low: math.Exp(r.CILow), High: math.Exp(r.CIHigh), P: r.P}
}

func logs(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Log(max(x, logFloor))
	}
	return out
}

// proportions compares two rates: after minus before with its 95 %
// interval (stats.TwoProportions).
func proportions(x1, n1, x2, n2 int) Change {
	if n1 == 0 || n2 == 0 {
		return nan()
	}
	r := stats.TwoProportions(x1, n1, x2, n2)
	return Change{Estimate: r.Effect, Low: r.CILow, High: r.CIHigh, P: r.P}
}

func nan() Change {
	n := math.NaN()
	return Change{Estimate: n, Low: n, High: n, P: n}
}

// ProposeMapping maps each activity to the step whose id or name it is,
// compared without case, spaces and punctuation ("Resolve ticket" →
// resolve_ticket); the activities no step matches are left out. steps are
// (id, name) pairs.
func ProposeMapping(activities []string, steps [][2]string) map[string]string {
	out := map[string]string{}
	norm := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if ('a' <= r && r <= 'z') || ('0' <= r && r <= '9') {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	// Steps in id order, so that two steps of the same normal form give
	// the same answer every time.
	sorted := slices.Clone(steps)
	slices.SortFunc(sorted, func(a, b [2]string) int { return cmp.Compare(a[0], b[0]) })
	for _, act := range activities {
		n := norm(act)
		if n == "" {
			continue
		}
		for _, st := range sorted {
			if norm(st[0]) == n || norm(st[1]) == n {
				out[act] = st[0]
				break
			}
		}
	}
	return out
}
