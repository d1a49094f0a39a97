// Package rollup keeps the span rollups of both store implementations: per
// (flow, version, variant, step) and UTC hour, day or month, the mergeable
// analytics.StepRollup of the spans entered in it. The stores supply the
// SQL (the Tx and Source interfaces); this package decides what goes into a
// rollup, which rollups and raw spans answer a time range, and how the
// distinct cases are counted exactly across them. Decision 0017.
package rollup

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// Grains of a rollup row.
const (
	Hour  = "H"
	Day   = "D"
	Month = "M"
)

// Key names one rollup row. Bucket is the hour number (since 1970-01-01,
// UTC) of an hour row, the day number of a day row's day and of a month
// row's first day.
type Key struct {
	Flow    string
	Version int
	Variant string
	Step    string
	Grain   string
	Bucket  int64
}

// DayOf is the day number of t (UTC).
func DayOf(t time.Time) int64 {
	return floorDiv(t.Unix(), 86400)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// HourOf is the hour number of t (UTC).
func HourOf(t time.Time) int64 { return floorDiv(t.Unix(), 3600) }

// HourStart is the start of hour number h.
func HourStart(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }

// DayStart is the start of day number d.
func DayStart(d int64) time.Time { return time.Unix(d*86400, 0).UTC() }

// MonthOf is the day number of the first day of day d's month.
func MonthOf(d int64) int64 {
	t := DayStart(d)
	return DayOf(time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC))
}

// nextMonth is the day number of the first day of the month after the one
// starting at day m.
func nextMonth(m int64) int64 {
	t := DayStart(m)
	return DayOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
}

// Entry is a span with the entered time of its case's previous span and of
// its case's previous span of the same step (nil: none), in (entered_at,
// seq) order within its flow, version and variant.
type Entry struct {
	Span           store.Span
	Prev, PrevStep *time.Time
}

// Calendars converts stored spans for package analytics with the calendar
// of their step in their version's definition, as the server's exact
// report does. Definitions are cached: a version never changes.
type Calendars struct {
	mu   sync.Mutex
	defs map[defKey]*flow.Definition
}

type defKey struct {
	flow    string
	version int
}

// Compiled loads the compiled definition of a flow version.
type Compiled func(ctx context.Context, flow string, version int) ([]byte, error)

// Span converts sp, loading its version's definition with load if it is
// not cached. A version without a definition has no calendars.
func (c *Calendars) Span(ctx context.Context, sp store.Span, load Compiled) (analytics.Span, error) {
	key := defKey{sp.Flow, sp.Version}
	c.mu.Lock()
	def, ok := c.defs[key]
	c.mu.Unlock()
	if !ok {
		raw, err := load(ctx, sp.Flow, sp.Version)
		if err != nil {
			return analytics.Span{}, fmt.Errorf("definition of %s v%d: %w", sp.Flow, sp.Version, err)
		}
		def = &flow.Definition{}
		if len(raw) == 0 || json.Unmarshal(raw, def) != nil {
			// No usable definition: no calendars, elapsed time (the
			// server refuses to report on such a version anyway).
			def = nil
		}
		c.mu.Lock()
		if c.defs == nil {
			c.defs = map[defKey]*flow.Definition{}
		}
		c.defs[key] = def
		c.mu.Unlock()
	}
	return sp.Analytics(def), nil
}

// start is when the period of k begins.
func (k Key) start() time.Time {
	if k.Grain == Hour {
		return HourStart(k.Bucket)
	}
	return DayStart(k.Bucket)
}

// add counts e (converted to as) into r, the rollup of the period that
// begins at start. Gaps are keyed by the hour of the previous span.
func add(r *analytics.StepRollup, e Entry, as analytics.Span, start time.Time) {
	r.Add(as)
	if e.Prev == nil {
		r.FirstOfCase++
	} else if e.Prev.Before(start) {
		if r.CaseGaps == nil {
			r.CaseGaps = map[int64]int64{}
		}
		r.CaseGaps[HourOf(*e.Prev)]++
	}
	if e.PrevStep == nil {
		r.FirstOfStep++
	} else if e.PrevStep.Before(start) {
		if r.StepGaps == nil {
			r.StepGaps = map[int64]int64{}
		}
		r.StepGaps[HourOf(*e.PrevStep)]++
	}
}

// Tx is a store transaction that records a span.
type Tx interface {
	// Prev returns the entered times of the latest spans before sp (in
	// (entered_at, seq) order) of its case, flow, version and variant:
	// of any step and of sp's step.
	Prev(ctx context.Context, sp store.Span) (prev, prevStep *time.Time, err error)
	// Compiled loads a version's compiled definition.
	Compiled(ctx context.Context, flow string, version int) ([]byte, error)
	// Load reads (and locks) a rollup row; found is false if it is absent.
	Load(ctx context.Context, k Key) (data []byte, kind, department string, found bool, err error)
	// Save writes a rollup row (insert or update).
	Save(ctx context.Context, k Key, kind, department string, data []byte, found bool) error
}

// Record counts sp, just inserted in tx, into its hour, day and month
// rollups (in that order, the lock order of concurrent writers).
func Record(ctx context.Context, tx Tx, cals *Calendars, sp store.Span) error {
	as, err := cals.Span(ctx, sp, tx.Compiled)
	if err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	prev, prevStep, err := tx.Prev(ctx, sp)
	if err != nil {
		return fmt.Errorf("rollup: previous spans: %w", err)
	}
	e := Entry{Span: sp, Prev: prev, PrevStep: prevStep}
	day := DayOf(sp.EnteredAt)
	for _, k := range []Key{
		{Flow: sp.Flow, Version: sp.Version, Variant: sp.Variant, Step: sp.Step, Grain: Hour, Bucket: HourOf(sp.EnteredAt)},
		{Flow: sp.Flow, Version: sp.Version, Variant: sp.Variant, Step: sp.Step, Grain: Day, Bucket: day},
		{Flow: sp.Flow, Version: sp.Version, Variant: sp.Variant, Step: sp.Step, Grain: Month, Bucket: MonthOf(day)},
	} {
		data, kind, dept, found, err := tx.Load(ctx, k)
		if err != nil {
			return fmt.Errorf("rollup: load: %w", err)
		}
		r := &analytics.StepRollup{Kind: kind, Department: dept}
		if found {
			if err := r.UnmarshalBinary(data); err != nil {
				return fmt.Errorf("rollup: %s %s v%d %s %s %d: %w", k.Grain, k.Flow, k.Version, k.Variant, k.Step, k.Bucket, err)
			}
		}
		add(r, e, as, k.start())
		data, err = r.MarshalBinary()
		if err != nil {
			return fmt.Errorf("rollup: encode: %w", err)
		}
		if err := tx.Save(ctx, k, r.Kind, r.Department, data, found); err != nil {
			return fmt.Errorf("rollup: save: %w", err)
		}
	}
	return nil
}

// Builder builds the rollups of a stream of entries sorted by (flow,
// version, variant, step, entered_at): the rebuild that the migration's
// backfill and the benchmark's loader run. Rows are handed to emit as soon
// as they are complete, so memory stays bounded.
type Builder struct {
	cals *Calendars
	load Compiled
	emit func(Key, *analytics.StepRollup) error

	keys  [3]Key // hour, day, month
	rolls [3]*analytics.StepRollup
	Rows  int
}

// NewBuilder returns a Builder emitting rows to emit.
func NewBuilder(cals *Calendars, load Compiled, emit func(Key, *analytics.StepRollup) error) *Builder {
	return &Builder{cals: cals, load: load, emit: emit}
}

// Add counts e.
func (b *Builder) Add(ctx context.Context, e Entry) error {
	as, err := b.cals.Span(ctx, e.Span, b.load)
	if err != nil {
		return fmt.Errorf("rollup: %w", err)
	}
	sp := e.Span
	day := DayOf(sp.EnteredAt)
	k := Key{Flow: sp.Flow, Version: sp.Version, Variant: sp.Variant, Step: sp.Step}
	keys := [3]Key{k, k, k}
	keys[0].Grain, keys[0].Bucket = Hour, HourOf(sp.EnteredAt)
	keys[1].Grain, keys[1].Bucket = Day, day
	keys[2].Grain, keys[2].Bucket = Month, MonthOf(day)
	for i := range keys {
		if b.rolls[i] != nil && b.keys[i] != keys[i] {
			if err := b.flush(b.keys[i], b.rolls[i]); err != nil {
				return err
			}
			b.rolls[i] = nil
		}
		if b.rolls[i] == nil {
			b.keys[i], b.rolls[i] = keys[i], &analytics.StepRollup{}
		}
		add(b.rolls[i], e, as, keys[i].start())
	}
	return nil
}

func (b *Builder) flush(k Key, r *analytics.StepRollup) error {
	b.Rows++
	if err := b.emit(k, r); err != nil {
		return fmt.Errorf("rollup: write %s %s v%d %s %d: %w", k.Grain, k.Flow, k.Version, k.Step, k.Bucket, err)
	}
	return nil
}

// Close emits the last rows.
func (b *Builder) Close() error {
	for i, r := range b.rolls {
		if r != nil {
			if err := b.flush(b.keys[i], r); err != nil {
				return err
			}
			b.rolls[i] = nil
		}
	}
	return nil
}

// Range is a range [From, To) of bucket numbers; an open side is
// unbounded.
type Range struct {
	From, To         int64
	OpenFrom, OpenTo bool
}

// Plan says how a range [from, to) (nil: unbounded) is answered: whole
// months, days and hours of the interior from rollup rows, the partial
// hours at either end (Lead, Trail) from raw spans.
type Plan struct {
	From *time.Time
	// Start is the interior's first hour (when From is set): distinct
	// cases count the interior's spans whose previous span lies before it.
	Start int64
	// InteriorFrom and InteriorTo bound the interior in time (InteriorTo
	// nil: unbounded); Lead spans that continue into it are counted.
	InteriorFrom time.Time
	InteriorTo   *time.Time
	Months       *Range
	Days, Hours  []Range
	Lead, Trail  *[2]time.Time
}

func ceilDiv(a, b int64) int64 { return -floorDiv(-a, b) }

// NewPlan plans the range [from, to).
func NewPlan(from, to *time.Time) Plan {
	p := Plan{From: from}
	var h1, h2 int64 // interior hours [h1, h2)
	if from != nil {
		h1 = HourOf(*from)
		if !HourStart(h1).Equal(*from) {
			h1++
		}
		p.Start = h1
		p.InteriorFrom = HourStart(h1)
	}
	if to != nil {
		h2 = HourOf(*to)
		t := HourStart(h2)
		p.InteriorTo = &t
	}
	if from != nil && to != nil && h2 < h1 {
		p.Lead = &[2]time.Time{*from, *to} // no whole hour: all raw
		return p
	}
	if from != nil && from.Before(HourStart(h1)) {
		p.Lead = &[2]time.Time{*from, HourStart(h1)}
	}
	if to != nil && to.After(HourStart(h2)) {
		p.Trail = &[2]time.Time{HourStart(h2), *to}
	}
	var d1, d2 int64 // whole days [d1, d2) of the interior
	if from != nil {
		d1 = ceilDiv(h1, 24)
	}
	if to != nil {
		d2 = floorDiv(h2, 24)
	}
	if from != nil && to != nil && d2 <= d1 {
		if h2 > h1 {
			p.Hours = []Range{{From: h1, To: h2}}
		}
		return p
	}
	if from != nil && d1*24 > h1 {
		p.Hours = append(p.Hours, Range{From: h1, To: d1 * 24})
	}
	if to != nil && h2 > d2*24 {
		p.Hours = append(p.Hours, Range{From: d2 * 24, To: h2})
	}
	months := Range{OpenFrom: from == nil, OpenTo: to == nil}
	if from != nil {
		months.From = d1
		if MonthOf(d1) != d1 {
			months.From = nextMonth(MonthOf(d1))
		}
	}
	if to != nil {
		months.To = MonthOf(d2)
	}
	if from != nil && to != nil && months.To <= months.From {
		p.Days = []Range{{From: d1, To: d2}}
		return p
	}
	p.Months = &months
	if from != nil && months.From > d1 {
		p.Days = append(p.Days, Range{From: d1, To: months.From})
	}
	if to != nil && d2 > months.To {
		p.Days = append(p.Days, Range{From: months.To, To: d2})
	}
	return p
}

// Row is a rollup row read for a plan.
type Row struct {
	Step, Kind, Department string
	Data                   []byte
}

// Source reads what a plan needs; each store implements it for a filter
// (flow, version, variant) in SQL.
type Source interface {
	// Rows returns the rollup rows of grain in r.
	Rows(ctx context.Context, grain string, r Range) ([]Row, error)
	// Raw returns the spans entered in [from, to) with their previous
	// spans' entered times.
	Raw(ctx context.Context, from, to time.Time) ([]Entry, error)
	// Continuing counts, among the spans entered in [from, to), the
	// distinct (case, variant, step) whose case has a span of the step
	// entered in [until, untilEnd) (untilEnd nil: unbounded), per step, and
	// the distinct (case, variant) with any span there.
	Continuing(ctx context.Context, from, to, until time.Time, untilEnd *time.Time) (map[string]int, int, error)
	// Compiled loads a version's compiled definition.
	Compiled(ctx context.Context, flow string, version int) ([]byte, error)
}

// Stats answers plan p from src.
func Stats(ctx context.Context, src Source, cals *Calendars, p Plan) (store.SpanStats, error) {
	out := store.SpanStats{Steps: map[string]*analytics.StepRollup{}, StepCases: map[string]int{}}
	var rows []Row
	if p.Months != nil {
		rs, err := src.Rows(ctx, Month, *p.Months)
		if err != nil {
			return out, fmt.Errorf("rollup: month rows: %w", err)
		}
		rows = append(rows, rs...)
	}
	for _, d := range p.Days {
		rs, err := src.Rows(ctx, Day, d)
		if err != nil {
			return out, fmt.Errorf("rollup: day rows: %w", err)
		}
		rows = append(rows, rs...)
	}
	for _, h := range p.Hours {
		rs, err := src.Rows(ctx, Hour, h)
		if err != nil {
			return out, fmt.Errorf("rollup: hour rows: %w", err)
		}
		rows = append(rows, rs...)
	}
	cases := 0
	for _, row := range rows {
		r := &analytics.StepRollup{Kind: row.Kind, Department: row.Department}
		if err := r.UnmarshalBinary(row.Data); err != nil {
			return out, fmt.Errorf("rollup: %s: %w", row.Step, err)
		}
		n := r.FirstOfStep
		c := r.FirstOfCase
		if p.From != nil {
			n += analytics.GapsBefore(r.StepGaps, p.Start)
			c += analytics.GapsBefore(r.CaseGaps, p.Start)
		}
		out.StepCases[row.Step] += int(n)
		cases += int(c)
		r.CaseGaps, r.StepGaps = nil, nil
		if acc := out.Steps[row.Step]; acc != nil {
			acc.Merge(r)
		} else {
			out.Steps[row.Step] = r
		}
	}
	before := func(t *time.Time) bool { return t == nil || (p.From != nil && t.Before(*p.From)) }
	for _, edge := range []*[2]time.Time{p.Lead, p.Trail} {
		if edge == nil {
			continue
		}
		entries, err := src.Raw(ctx, edge[0], edge[1])
		if err != nil {
			return out, fmt.Errorf("rollup: raw spans: %w", err)
		}
		for _, e := range entries {
			as, err := cals.Span(ctx, e.Span, src.Compiled)
			if err != nil {
				return out, fmt.Errorf("rollup: %w", err)
			}
			acc := out.Steps[e.Span.Step]
			if acc == nil {
				acc = &analytics.StepRollup{}
				out.Steps[e.Span.Step] = acc
			}
			acc.Add(as)
			if before(e.PrevStep) {
				out.StepCases[e.Span.Step]++
			}
			if before(e.Prev) {
				cases++
			}
		}
	}
	// Interior spans whose previous span is in the lead edge, so on or
	// after From, were counted as gaps before Start: take them back.
	if p.Lead != nil && (p.Months != nil || len(p.Days) > 0 || len(p.Hours) > 0) {
		steps, n, err := src.Continuing(ctx, p.Lead[0], p.Lead[1], p.InteriorFrom, p.InteriorTo)
		if err != nil {
			return out, fmt.Errorf("rollup: continuing cases: %w", err)
		}
		for step, k := range steps {
			out.StepCases[step] -= k
		}
		cases -= n
	}
	out.Cases = cases
	for _, r := range out.Steps {
		out.Spans += int(r.Spans)
	}
	return out, nil
}
