package eventlog

import "strings"

// Lifecycle values Pair pairs (compared case-insensitively).
const (
	LifecycleStart    = "start"
	LifecycleComplete = "complete"
)

// Pair pairs the start and complete events of each activity instance,
// given in the order they happened (file order, or a stable sort by
// time), of one case or of many: a complete event takes the earliest
// start event of the same case and activity not yet taken (first in,
// first out), gets
// that event's time as its Start, and the start event is dropped. Every
// other event is returned as it is: a complete without a start, a start
// without a complete, an event with another lifecycle value (schedule,
// suspend, a status such as "In Progress") or none. The events keep their
// order; the input is not changed.
//
// The activity labels must not contain the lifecycle for the start and
// complete of one instance to match (map the activity to one column).
// A complete event that already has a Start keeps it and takes no start
// event.
func Pair(events []Event) []Event {
	out := make([]Event, 0, len(events))
	type instance struct{ c, a string }
	open := map[instance][]int{} // indexes into out of start events not yet taken
	drop := map[int]bool{}
	for _, ev := range events {
		k := instance{ev.Case, ev.Activity}
		switch strings.ToLower(strings.TrimSpace(ev.Lifecycle)) {
		case LifecycleStart:
			open[k] = append(open[k], len(out))
		case LifecycleComplete:
			if q := open[k]; len(q) > 0 && ev.Start == nil {
				st := out[q[0]].Time
				ev.Start = &st
				drop[q[0]] = true
				open[k] = q[1:]
			}
		}
		out = append(out, ev)
	}
	if len(drop) == 0 {
		return out
	}
	kept := out[:0]
	for i, ev := range out {
		if !drop[i] {
			kept = append(kept, ev)
		}
	}
	return kept
}
