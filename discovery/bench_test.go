package discovery

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowlab/flowlab/flow"
)

// synthetic is a log of about n events: cases of 3 to 10 events over 8
// activities and 50 resources, random (so nearly every case is its own
// variant: the hard case for the variant view).
func synthetic(n int) Log {
	rng := rand.New(rand.NewPCG(1, 2))
	acts := []string{"record", "assign", "investigate", "wait customer", "resolve", "review", "close", "reopen"}
	var l Log
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for c := 0; n > 0; c++ {
		cs := Case{ID: fmt.Sprintf("case-%d", c)}
		t := t0.Add(time.Duration(c) * time.Minute)
		for k := 3 + rng.IntN(8); k > 0 && n > 0; k-- {
			t = t.Add(time.Duration(rng.IntN(7200)) * time.Second)
			cs.Events = append(cs.Events, Event{Activity: acts[rng.IntN(len(acts))], Time: t, Resource: fmt.Sprintf("r%d", rng.IntN(50))})
			n--
		}
		l.Cases = append(l.Cases, cs)
	}
	return l
}

// go test ./discovery -run '^$' -bench Views -benchtime 3x
// (over an indexed log, as a loaded log is; BenchmarkIndex is the index.)
func BenchmarkViews(b *testing.B) {
	l := synthetic(1_000_000).Indexed()
	for _, v := range []struct {
		name string
		fn   func(Log)
	}{
		{"summary", func(l Log) { Summarize(l) }},
		{"variants", func(l Log) { Variants(l) }},
		{"map", func(l Log) { DirectlyFollows(l) }},
		{"activities", func(l Log) { Activities(l) }},
		{"handoffs", func(l Log) { HandoffsOf(l) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				v.fn(l)
			}
		})
	}
}

// go test ./discovery -run '^$' -bench Between -benchtime 1x
// The business time of 1M intervals (consecutive events of the synthetic
// log) in a Berlin office calendar: Calendar.Between reads the calendar
// on every call; a compiled calendar (what Log.InCalendar keeps) once.
func BenchmarkBetween(b *testing.B) {
	l := synthetic(1_000_001)
	var as, bs []time.Time
	for _, c := range l.Cases {
		for j := 1; j < len(c.Events); j++ {
			as, bs = append(as, c.Events[j-1].Time), append(bs, c.Events[j].Time)
		}
	}
	for len(as) < 1_000_000 {
		as, bs = append(as, as...), append(bs, bs...)
	}
	as, bs = as[:1_000_000], bs[:1_000_000]
	h := "09:00-17:00"
	cal := &flow.Calendar{TimeZone: "Europe/Berlin", Hours: flow.WeekHours{Mon: h, Tue: h, Wed: h, Thu: h, Fri: h},
		Holidays: []string{"2024-01-01", "2024-12-25", "2024-12-26"}}
	b.Run("Calendar.Between", func(b *testing.B) {
		for b.Loop() {
			for i := range as {
				cal.Between(as[i], bs[i])
			}
		}
	})
	b.Run("CompiledCalendar.Between", func(b *testing.B) {
		for b.Loop() {
			cc := cal.Compile()
			for i := range as {
				cc.Between(as[i], bs[i])
			}
		}
	})
}

// go test ./discovery -run '^$' -bench BusinessViews -benchtime 3x
// The views of an indexed log in a calendar.
func BenchmarkBusinessViews(b *testing.B) {
	h := "09:00-17:00"
	cal := &flow.Calendar{TimeZone: "Europe/Berlin", Hours: flow.WeekHours{Mon: h, Tue: h, Wed: h, Thu: h, Fri: h}}
	l := synthetic(1_000_000).Indexed().InCalendar(cal)
	for _, v := range []struct {
		name string
		fn   func(Log)
	}{
		{"variants", func(l Log) { Variants(l) }},
		{"map", func(l Log) { DirectlyFollows(l) }},
		{"activities", func(l Log) { Activities(l) }},
		{"cycle times", func(l Log) { CycleTimesOf(l) }},
	} {
		b.Run(v.name, func(b *testing.B) {
			for b.Loop() {
				v.fn(l)
			}
		})
	}
}

func BenchmarkIndex(b *testing.B) {
	l := synthetic(1_000_000)
	for b.Loop() {
		l.Indexed()
	}
}
