package eventlog

import "strings"

// Lifecycle values Pair pairs (compared case-insensitively).
const (
	LifecycleStart    = "start"
	LifecycleComplete = "complete"
)

// Pair pairs the start and complete events of each activity instance in
// the events of one case, given in the order they happened (file order,
// or a stable sort by time): a complete event takes the earliest start
// event of the same activity not yet taken (first in, first out), gets
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
	open := map[string][]int{} // activity -> indexes into out of start events not yet taken
	drop := map[int]bool{}
	for _, ev := range events {
		switch strings.ToLower(strings.TrimSpace(ev.Lifecycle)) {
		case LifecycleStart:
			open[ev.Activity] = append(open[ev.Activity], len(out))
		case LifecycleComplete:
			if q := open[ev.Activity]; len(q) > 0 && ev.Start == nil {
				st := out[q[0]].Time
				ev.Start = &st
				drop[q[0]] = true
				open[ev.Activity] = q[1:]
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
