package discovery

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
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

func BenchmarkIndex(b *testing.B) {
	l := synthetic(1_000_000)
	for b.Loop() {
		l.Indexed()
	}
}
