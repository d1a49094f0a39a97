package eventlog

import "strings"

// Lifecycle values Pair pairs (compared case-insensitively).
const (
	LifecycleSchedule = "schedule"
	LifecycleStart    = "start"
	LifecycleComplete = "complete"
)

// Pair pairs the schedule, start and complete events of each activity
// instance, given in the order they happened (file order, or a stable sort
// by time), of one case or of many: a complete event takes the earliest
// start event of the same case and activity not yet taken (first in,
// first out), gets that event's time as its Start, and the start event is
// dropped; a start takes the earliest schedule event not yet taken the
// same way (its time becomes the instance's Scheduled), and a complete
// without a start takes one itself. Every other event is returned as it
// is: a complete without a start, a start without a complete, a schedule
// nothing took, an event with another lifecycle value (assign, suspend, a
// status such as "In Progress") or none. The events keep their order; the
// input is not changed.
//
// The activity labels must not contain the lifecycle for the events of one
// instance to match (map the activity to one column). A complete event
// that already has a Start keeps it and takes no start event.
func Pair(events []Event) []Event {
	out := make([]Event, 0, len(events))
	type instance struct{ c, a string }
	// Indexes into out of the schedule and start events not yet taken.
	scheduled, started := map[instance][]int{}, map[instance][]int{}
	drop := map[int]bool{}
	take := func(q map[instance][]int, k instance) (int, bool) {
		if len(q[k]) == 0 {
			return 0, false
		}
		i := q[k][0]
		q[k] = q[k][1:]
		drop[i] = true
		return i, true
	}
	for _, ev := range events {
		k := instance{ev.Case, ev.Activity}
		switch strings.ToLower(strings.TrimSpace(ev.Lifecycle)) {
		case LifecycleSchedule:
			scheduled[k] = append(scheduled[k], len(out))
		case LifecycleStart:
			if i, ok := take(scheduled, k); ok && ev.Scheduled == nil {
				at := out[i].Time
				ev.Scheduled = &at
			}
			started[k] = append(started[k], len(out))
		case LifecycleComplete:
			if ev.Start != nil {
				break
			}
			if i, ok := take(started, k); ok {
				st := out[i].Time
				ev.Start = &st
				if ev.Scheduled == nil {
					ev.Scheduled = out[i].Scheduled
				}
			} else if i, ok := take(scheduled, k); ok && ev.Scheduled == nil {
				at := out[i].Time
				ev.Scheduled = &at
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
