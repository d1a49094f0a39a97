// Package discovery computes what an event log says about the process as it
// really runs (decision 0029): its summary, its variants, the
// directly-follows graph with durations, each activity's waiting and
// working time and share of the cycle time (the bottleneck flagged as in a
// flow's report, package analytics), rework and ping-pong, and handoffs
// between resources and groups. It is pure: the callers read the log (the
// import, the store) and hand it over as cases of ordered events, so the
// API, the CLI, the web UI and the exports all compute every number here,
// the one way decision 0029 defines it.
package discovery

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/flow"
)

// Event is one event of a case.
type Event struct {
	Activity string
	// Time is when the activity instance completed (the log's only
	// timestamp when it has one per instance), UTC.
	Time time.Time
	// Start is when the instance began, when the log pairs a start with
	// the completion; nil otherwise.
	Start *time.Time
	// Scheduled is when the instance became ready for work (an XES
	// "schedule" paired with it); nil otherwise. When set, the waiting
	// before the event is measured from it (decision 0029).
	Scheduled *time.Time
	Resource  string
	Group     string
}

// Attr is one case attribute.
type Attr struct {
	Name, Value string
}

// Case is one case: its events in order (by Time, ties kept in file order:
// callers sort stably) and its attributes.
type Case struct {
	ID     string
	Events []Event
	Attrs  []Attr
}

// Log is the cases of one event log.
type Log struct {
	Cases []Case
	// ix, when set (Indexed), is the log's index of names, built once and
	// shared by every view of the log; a view of a log without one builds
	// its own.
	ix *index
	// cal, when set (InCalendar), is the business calendar the views
	// also measure every duration in.
	cal *flow.CompiledCalendar
}

// InCalendar is l (sharing its cases and its index, if any) whose views
// also give every duration in the working time of calendar c: the
// Business fields of their results, nil without a calendar. A nil c is
// none. c is read now (flow.Calendar.Compile); later changes to it are
// not seen.
func (l Log) InCalendar(c *flow.Calendar) Log {
	l.cal = c.Compile()
	return l
}

// business is the working time of [a, b) in the log's calendar, in
// seconds (0 when b is not after a).
func (l Log) business(a, b time.Time) float64 {
	return l.cal.Between(a, b).Seconds()
}

// caseStart is the first instant of a non-empty case: its first event's
// time, or its start or scheduled time when earlier (as CycleTime counts).
func caseStart(c Case) time.Time {
	return eventBegin(c.Events[0])
}

// ReadyAt is when event i of case c became ready for work, where its
// waiting begins (decision 0029): its scheduled time when the log pairs
// one with it, else the previous event's time; false for a case's first
// event without a scheduled time, which has no waiting. Its waiting ends
// at its start, or its time without one.
func ReadyAt(c Case, i int) (time.Time, bool) {
	switch e := c.Events[i]; {
	case e.Scheduled != nil:
		return *e.Scheduled, true
	case i > 0:
		return c.Events[i-1].Time, true
	}
	return time.Time{}, false
}

// eventBegin is the earliest instant of an event: its time, start or
// scheduled time.
func eventBegin(e Event) time.Time {
	first := e.Time
	if s := e.Start; s != nil && s.Before(first) {
		first = *s
	}
	if s := e.Scheduled; s != nil && s.Before(first) {
		first = *s
	}
	return first
}

// Indexed is l with its index of names built now, for a log that several
// views will read (a loaded log kept in a cache): the views then count
// without building it again. The log's cases must not change afterwards.
func (l Log) Indexed() Log {
	l.ix = newIndex(l, true)
	return l
}

// index is l's index: the one Indexed built, or a new one.
func (l Log) index(people bool) *index {
	if l.ix != nil {
		return l.ix
	}
	return newIndex(l, people)
}

// Artificial start and end of every case in the directly-follows graph.
const (
	StartNode = "▶ start"
	EndNode   = "■ end"
)

// VariantSeparator joins a variant's activities into its key.
const VariantSeparator = " → "

// VariantKey is the key of a case's variant: its activities in order,
// joined by VariantSeparator.
func VariantKey(c Case) string {
	var b strings.Builder
	for i, e := range c.Events {
		if i > 0 {
			b.WriteString(VariantSeparator)
		}
		b.WriteString(e.Activity)
	}
	return b.String()
}

// CycleTime is a case's duration: its last event's time minus its first
// event's (its start, when the first instance has one). Zero for an empty
// case.
func CycleTime(c Case) time.Duration {
	if len(c.Events) == 0 {
		return 0
	}
	return c.Events[len(c.Events)-1].Time.Sub(caseStart(c))
}

// Filter selects cases. Every set field must hold.
type Filter struct {
	// From and To bound the cases by their first event's time: From <=
	// first < To (a zero bound is open).
	From, To time.Time
	// Variant keeps the cases of one variant (its key).
	Variant string
	// Attr and Value keep the cases whose attribute Attr is Value.
	Attr, Value string
	// Contains keeps the cases that have each of these activities;
	// Excludes drops the cases that have any of them.
	Contains []string
	Excludes []string
}

// Keep reports whether c passes f.
func (f Filter) Keep(c Case) bool {
	if len(c.Events) == 0 {
		return false
	}
	first := c.Events[0].Time
	if !f.From.IsZero() && first.Before(f.From) {
		return false
	}
	if !f.To.IsZero() && !first.Before(f.To) {
		return false
	}
	if f.Variant != "" && VariantKey(c) != f.Variant {
		return false
	}
	if f.Attr != "" {
		i := slices.IndexFunc(c.Attrs, func(a Attr) bool { return a.Name == f.Attr })
		if i < 0 || c.Attrs[i].Value != f.Value {
			return false
		}
	}
	has := func(activity string) bool {
		return slices.ContainsFunc(c.Events, func(e Event) bool { return e.Activity == activity })
	}
	for _, a := range f.Contains {
		if !has(a) {
			return false
		}
	}
	for _, a := range f.Excludes {
		if has(a) {
			return false
		}
	}
	return true
}

// Apply is the log of the cases f keeps (sharing their events), in l's
// calendar.
func (l Log) Apply(f Filter) Log {
	out := Log{cal: l.cal}
	for _, c := range l.Cases {
		if f.Keep(c) {
			out.Cases = append(out.Cases, c)
		}
	}
	return out
}

// Summary is a log at a glance.
type Summary struct {
	Cases      int
	Events     int
	Activities int
	Resources  int
	Variants   int
	// First and Last are the earliest and latest event times (zero for an
	// empty log).
	First, Last time.Time
}

// Summarize counts the log.
func Summarize(l Log) Summary {
	var s Summary
	ix := l.index(true)
	for _, c := range l.Cases {
		if len(c.Events) == 0 {
			continue
		}
		s.Cases++
		for _, e := range c.Events {
			s.Events++
			if s.First.IsZero() || e.Time.Before(s.First) {
				s.First = e.Time
			}
			if e.Time.After(s.Last) {
				s.Last = e.Time
			}
		}
	}
	s.Activities, s.Resources, s.Variants = len(ix.acts), len(ix.resNames)-1, ix.variants
	return s
}

// byCountThenName orders by count, largest first, then by name.
func byCountThenName(ca, cb int, na, nb string) int {
	if c := cmp.Compare(cb, ca); c != 0 {
		return c
	}
	return cmp.Compare(na, nb)
}
