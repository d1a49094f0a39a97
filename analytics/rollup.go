package analytics

import (
	"encoding/binary"
	"fmt"
	"math"
	"sort"
)

// StepRollup is the mergeable summary of a set of spans of one step: exact
// counts and sums, and a Sketch per duration distribution. A rollup of a
// union of span sets is the Merge of their rollups, whatever the grouping,
// so bottlenecks over any range can be assembled from per-period rollups.
//
// Distinct cases do not merge (a case may pass a step in two periods); the
// rollup keeps what the store needs to count them exactly: the spans that
// are the first of their case (FirstOfCase) or of their case in this step
// (FirstOfStep), and for the spans whose previous span of the case (in
// this step) lies before the rollup's period, the hour of that previous
// span (CaseGaps, StepGaps: hour number since 1970-01-01 UTC -> spans).
type StepRollup struct {
	Kind, Department string

	Spans, WithSLA, Breaches, Escalations int64

	WaitTotal, WorkTotal, BusinessWaitTotal, BusinessWorkTotal float64

	Wait, Work, BusinessWait, BusinessWork Sketch

	// The split of a task's waiting at its assignment (WaitSplit; decision
	// 0036), and the spans a rule or a lead assigned.
	Assigned                        int64
	WaitAssignTotal, WaitStartTotal float64
	WaitAssign, WaitStart           Sketch

	FirstOfCase, FirstOfStep int64
	CaseGaps, StepGaps       map[int64]int64
}

// Add counts span s (its figures; the distinct-case fields are the
// caller's).
func (r *StepRollup) Add(s Span) {
	if r.Spans == 0 && r.Kind == "" && r.Department == "" {
		r.Kind, r.Department = s.Kind, s.Department
	}
	r.Spans++
	wait, work := waitWork(s)
	bizWait, bizWork := businessWaitWork(s)
	r.WaitTotal += wait
	r.WorkTotal += work
	r.BusinessWaitTotal += bizWait
	r.BusinessWorkTotal += bizWork
	r.Wait.Add(wait)
	r.Work.Add(work)
	r.BusinessWait.Add(bizWait)
	r.BusinessWork.Add(bizWork)
	fa, ts := WaitSplit(s)
	r.WaitAssignTotal += fa
	r.WaitStartTotal += ts
	r.WaitAssign.Add(fa)
	r.WaitStart.Add(ts)
	if s.Kind == "task" && s.Assigned != nil {
		r.Assigned++
	}
	if s.HasSLA {
		r.WithSLA++
		if s.Breached {
			r.Breaches++
		}
	}
	if s.EscalationLevel > 0 {
		r.Escalations++
	}
}

// Merge adds o to r. Kind and Department stay r's unless r is empty.
func (r *StepRollup) Merge(o *StepRollup) {
	if r.Spans == 0 && r.Kind == "" && r.Department == "" {
		r.Kind, r.Department = o.Kind, o.Department
	}
	r.Spans += o.Spans
	r.WithSLA += o.WithSLA
	r.Breaches += o.Breaches
	r.Escalations += o.Escalations
	r.WaitTotal += o.WaitTotal
	r.WorkTotal += o.WorkTotal
	r.BusinessWaitTotal += o.BusinessWaitTotal
	r.BusinessWorkTotal += o.BusinessWorkTotal
	r.Wait.Merge(&o.Wait)
	r.Work.Merge(&o.Work)
	r.BusinessWait.Merge(&o.BusinessWait)
	r.BusinessWork.Merge(&o.BusinessWork)
	r.Assigned += o.Assigned
	r.WaitAssignTotal += o.WaitAssignTotal
	r.WaitStartTotal += o.WaitStartTotal
	r.WaitAssign.Merge(&o.WaitAssign)
	r.WaitStart.Merge(&o.WaitStart)
	r.FirstOfCase += o.FirstOfCase
	r.FirstOfStep += o.FirstOfStep
	r.CaseGaps = mergeGaps(r.CaseGaps, o.CaseGaps)
	r.StepGaps = mergeGaps(r.StepGaps, o.StepGaps)
}

func mergeGaps(a, b map[int64]int64) map[int64]int64 {
	if len(b) == 0 {
		return a
	}
	if a == nil {
		a = make(map[int64]int64, len(b))
	}
	for k, v := range b {
		a[k] += v
	}
	return a
}

// GapsBefore sums the gap counts of hours before hour.
func GapsBefore(gaps map[int64]int64, hour int64) int64 {
	var n int64
	for k, v := range gaps {
		if k < hour {
			n += v
		}
	}
	return n
}

// rollupEncodingVersion 2 appends the split of waiting at assignment to
// version 1 (migration 0018 rebuilds the rollups stored before it).
const rollupEncodingVersion = 2

// MarshalBinary encodes the rollup's figures (not Kind and Department,
// which the store keeps in columns of their own).
func (r *StepRollup) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 256)
	b = append(b, rollupEncodingVersion)
	for _, v := range []int64{r.Spans, r.WithSLA, r.Breaches, r.Escalations, r.FirstOfCase, r.FirstOfStep} {
		b = binary.AppendVarint(b, v)
	}
	for _, f := range []float64{r.WaitTotal, r.WorkTotal, r.BusinessWaitTotal, r.BusinessWorkTotal} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	for _, s := range []*Sketch{&r.Wait, &r.Work, &r.BusinessWait, &r.BusinessWork} {
		b = s.AppendBinary(b)
	}
	for _, g := range []map[int64]int64{r.CaseGaps, r.StepGaps} {
		keys := make([]int64, 0, len(g))
		for k := range g {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = binary.AppendVarint(b, k)
			b = binary.AppendVarint(b, g[k])
		}
	}
	b = binary.AppendVarint(b, r.Assigned)
	for _, f := range []float64{r.WaitAssignTotal, r.WaitStartTotal} {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	for _, s := range []*Sketch{&r.WaitAssign, &r.WaitStart} {
		b = s.AppendBinary(b)
	}
	return b, nil
}

// UnmarshalBinary decodes a rollup encoded by MarshalBinary, keeping r's
// Kind and Department.
func (r *StepRollup) UnmarshalBinary(b []byte) error {
	if len(b) == 0 || (b[0] != 1 && b[0] != rollupEncodingVersion) {
		return fmt.Errorf("analytics: rollup encoding: unknown version")
	}
	version := b[0]
	b = b[1:]
	bad := fmt.Errorf("analytics: rollup encoding: %w", errSketchEncoding)
	for _, p := range []*int64{&r.Spans, &r.WithSLA, &r.Breaches, &r.Escalations, &r.FirstOfCase, &r.FirstOfStep} {
		v, n := binary.Varint(b)
		if n <= 0 {
			return bad
		}
		*p, b = v, b[n:]
	}
	for _, p := range []*float64{&r.WaitTotal, &r.WorkTotal, &r.BusinessWaitTotal, &r.BusinessWorkTotal} {
		if len(b) < 8 {
			return bad
		}
		*p, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
	}
	for _, s := range []*Sketch{&r.Wait, &r.Work, &r.BusinessWait, &r.BusinessWork} {
		var err error
		if b, err = s.decodeFrom(b); err != nil {
			return err
		}
	}
	for _, g := range []*map[int64]int64{&r.CaseGaps, &r.StepGaps} {
		size, n := binary.Uvarint(b)
		if n <= 0 || size > uint64(len(b)) {
			return bad
		}
		b = b[n:]
		*g = nil
		if size > 0 {
			*g = make(map[int64]int64, size)
		}
		for range size {
			k, n1 := binary.Varint(b)
			if n1 <= 0 {
				return bad
			}
			v, n2 := binary.Varint(b[n1:])
			if n2 <= 0 {
				return bad
			}
			(*g)[k] += v
			b = b[n1+n2:]
		}
	}
	r.Assigned, r.WaitAssignTotal, r.WaitStartTotal = 0, 0, 0
	r.WaitAssign, r.WaitStart = Sketch{}, Sketch{}
	if version >= 2 {
		v, n := binary.Varint(b)
		if n <= 0 {
			return bad
		}
		r.Assigned, b = v, b[n:]
		for _, p := range []*float64{&r.WaitAssignTotal, &r.WaitStartTotal} {
			if len(b) < 8 {
				return bad
			}
			*p, b = math.Float64frombits(binary.LittleEndian.Uint64(b)), b[8:]
		}
		for _, s := range []*Sketch{&r.WaitAssign, &r.WaitStart} {
			var err error
			if b, err = s.decodeFrom(b); err != nil {
				return err
			}
		}
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}

// FromRollups is Bottlenecks over spans summarised as one rollup per step:
// counts, sums, breach rates and shares are exact, quantiles within
// SketchRelativeAccuracy. stepCases holds the distinct cases per step and
// cases those of all steps (rollups cannot count them; the store does).
func FromRollups(steps map[string]*StepRollup, stepCases map[string]int, cases int, stepOrder []string) Report {
	order := make([]string, 0, len(steps))
	placed := map[string]bool{}
	for _, step := range stepOrder {
		if r, ok := steps[step]; ok && r.Spans > 0 && !placed[step] {
			order = append(order, step)
			placed[step] = true
		}
	}
	var rest []string
	var total float64
	var spans int64
	for step, r := range steps {
		if r.Spans == 0 {
			continue
		}
		total += r.WaitTotal + r.WorkTotal
		spans += r.Spans
		if !placed[step] {
			rest = append(rest, step)
		}
	}
	sort.Strings(rest)
	order = append(order, rest...)

	rep := Report{Cases: cases, Spans: int(spans), TotalSeconds: total}
	best := -1
	for _, step := range order {
		r := steps[step]
		st := StepStats{
			Step: step, Department: r.Department, Kind: r.Kind, Cases: stepCases[step],
			Wait: r.Wait.Quantiles(), Work: r.Work.Quantiles(),
			BusinessWait: r.BusinessWait.Quantiles(), BusinessWork: r.BusinessWork.Quantiles(),
			WaitTotal: r.WaitTotal, WorkTotal: r.WorkTotal,
			BusinessWaitTotal: r.BusinessWaitTotal, BusinessWorkTotal: r.BusinessWorkTotal,
			WaitAssign: r.WaitAssign.Quantiles(), WaitStart: r.WaitStart.Quantiles(),
			WaitAssignTotal: r.WaitAssignTotal, WaitStartTotal: r.WaitStartTotal, Assigned: int(r.Assigned),
			Breaches: int(r.Breaches), Escalations: int(r.Escalations),
		}
		if r.WithSLA > 0 {
			st.SLABreachRate = float64(r.Breaches) / float64(r.WithSLA)
		}
		if total > 0 {
			st.Share = (st.WaitTotal + st.WorkTotal) / total
		}
		rep.Steps = append(rep.Steps, st)
		if best < 0 || st.Share > rep.Steps[best].Share {
			best = len(rep.Steps) - 1
		}
	}
	if best >= 0 {
		rep.Steps[best].Bottleneck = true
	}
	return rep
}
