package flow

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// CompiledCalendar is a calendar read once for many Between calls: a
// discovery view measures a million intervals in one calendar, and
// Calendar.Between reads the calendar's hours, holidays and zone again on
// every call (microseconds each). It keeps the calendar's opening hours
// over the days asked about as one sorted table of instants with the
// working time before each, so Between is two binary searches. Its
// results are those of Calendar.Between (an interval the table cannot
// hold, beyond years 1680 to 2260 or over more than 150 years, is counted
// by Calendar.Between itself). It is safe for concurrent use; the zero
// value and nil are elapsed time, like a nil Calendar.
type CompiledCalendar struct {
	cal   *Calendar // a copy of the calendar compiled; nil: elapsed time
	c     *compiled
	table atomic.Pointer[openTable]
	mu    sync.Mutex // serialises growing the table
}

// Compile reads c for many Between calls. Later changes to c are not seen.
// A nil calendar compiles to nil, which is elapsed time.
func (c *Calendar) Compile() *CompiledCalendar {
	if c == nil {
		return nil
	}
	cp := *c
	cp.Holidays = slices.Clone(c.Holidays)
	return &CompiledCalendar{cal: &cp, c: cp.compile()}
}

// Between is Calendar.Between of the compiled calendar: the business time
// in [a, b), 0 when b is not after a, b.Sub(a) for nil.
func (cc *CompiledCalendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if cc == nil || cc.cal == nil {
		return b.Sub(a)
	}
	if a.Before(tableMin) || b.After(tableMax) {
		return cc.cal.Between(a, b)
	}
	an, bn := a.UnixNano(), b.UnixNano()
	t := cc.table.Load()
	if t == nil || an < t.from || bn >= t.to {
		if t = cc.grow(a, b); t == nil {
			return cc.cal.Between(a, b)
		}
	}
	return time.Duration(t.cum(bn) - t.cum(an))
}

// Bounds of the table: instants it may hold as Unix nanoseconds, and the
// most days it spans.
var (
	tableMin = time.Date(1680, 1, 1, 0, 0, 0, 0, time.UTC)
	tableMax = time.Date(2260, 1, 1, 0, 0, 0, 0, time.UTC)
)

const (
	tableMaxDays = 150 * 366
	tableMargin  = 62 // days added on each side when the table grows
)

// openTable is the calendar's opening hours over the civil days first to
// last: merged, sorted intervals [open[i], close[i]) in Unix nanoseconds
// and before[i], the working time before open[i] since from. It answers
// for instants in [from, to), the starts of days first and last.
type openTable struct {
	first, last       int
	from, to          int64
	open, close, prev []int64
}

// cum is the working time in [from, t).
func (t *openTable) cum(x int64) int64 {
	// i is the last interval that opens at or before x.
	i := sort.Search(len(t.open), func(i int) bool { return t.open[i] > x }) - 1
	if i < 0 {
		return 0
	}
	return t.prev[i] + min(x, t.close[i]) - t.open[i]
}

// grow returns a table that holds [a, b], building a wider one when the
// current does not; nil when it would span too many days.
func (cc *CompiledCalendar) grow(a, b time.Time) *openTable {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	an, bn := a.UnixNano(), b.UnixNano()
	old := cc.table.Load()
	if old != nil && an >= old.from && bn < old.to {
		return old
	}
	first, last := cc.c.dayOf(a)-tableMargin, cc.c.dayOf(b)+tableMargin
	if old != nil {
		first, last = min(first, old.first), max(last, old.last)
	}
	if last-first > tableMaxDays {
		return nil
	}
	t := cc.c.table(first, last)
	if t.from < tableMin.UnixNano() || t.to > tableMax.UnixNano() || an < t.from || bn >= t.to {
		return nil
	}
	cc.table.Store(t)
	return t
}

// table builds the opening hours of days first to last. The intervals of
// the day before and after are included, so a range that ends at 24:00
// or that a zone transition moves across midnight is still counted, and
// the intervals are merged so every instant counts once, as Between's
// cursor does.
func (cal *compiled) table(first, last int) *openTable {
	t := &openTable{first: first, last: last, from: cal.dayStart(first).UnixNano(), to: cal.dayStart(last).UnixNano()}
	type span struct{ open, close int64 }
	var spans []span
	for day := first - 1; day <= last+1; day++ {
		for _, iv := range cal.intervals(day) {
			spans = append(spans, span{iv.open.UnixNano(), iv.close.UnixNano()})
		}
	}
	slices.SortFunc(spans, func(x, y span) int {
		switch {
		case x.open < y.open:
			return -1
		case x.open > y.open:
			return 1
		}
		return 0
	})
	var total int64
	for _, s := range spans {
		if n := len(t.open); n > 0 && s.open <= t.close[n-1] {
			if s.close > t.close[n-1] {
				total += s.close - t.close[n-1]
				t.close[n-1] = s.close
			}
			continue
		}
		t.open, t.close, t.prev = append(t.open, s.open), append(t.close, s.close), append(t.prev, total)
		total += s.close - s.open
	}
	return t
}
