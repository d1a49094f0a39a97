// Package kit is what flowlab's benchmark scenarios share: latency
// recording with exact percentiles, an open-loop fixed-rate load generator
// that is bounded in time and in flight, process memory readings, and the
// result tables and JSON files every scenario prints and writes.
//
// See BENCHMARKS.md and docs/decisions/0016-benchmarks.md.
package kit

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"
)

// Latencies records durations from any number of goroutines. Percentiles
// are exact (every sample is kept): the load loops are bounded, so the
// sample count is too.
type Latencies struct {
	mu      sync.Mutex
	samples []time.Duration
	errors  int
	errText map[string]int
}

// Add records one successful sample.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	l.samples = append(l.samples, d)
	l.mu.Unlock()
}

// Fail records one failed attempt, counted by its message (the first
// few distinct messages are kept for the report).
func (l *Latencies) Fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors++
	if l.errText == nil {
		l.errText = map[string]int{}
	}
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200]
	}
	if _, seen := l.errText[msg]; seen || len(l.errText) < 5 {
		l.errText[msg]++
	}
}

// Summary is what a latency distribution reports, in milliseconds.
type Summary struct {
	N      int            `json:"n"`
	Errors int            `json:"errors"`
	Mean   float64        `json:"mean_ms"`
	P50    float64        `json:"p50_ms"`
	P90    float64        `json:"p90_ms"`
	P95    float64        `json:"p95_ms"`
	P99    float64        `json:"p99_ms"`
	Max    float64        `json:"max_ms"`
	Failed map[string]int `json:"failures,omitempty"`
}

// Summary computes the distribution of what was recorded so far.
func (l *Latencies) Summary() Summary {
	l.mu.Lock()
	s := slices.Clone(l.samples)
	out := Summary{N: len(s), Errors: l.errors}
	if len(l.errText) > 0 {
		out.Failed = make(map[string]int, len(l.errText))
		for k, v := range l.errText {
			out.Failed[k] = v
		}
	}
	l.mu.Unlock()
	if len(s) == 0 {
		return out
	}
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	out.Mean = ms(sum / time.Duration(len(s)))
	out.P50 = ms(Percentile(s, 0.50))
	out.P90 = ms(Percentile(s, 0.90))
	out.P95 = ms(Percentile(s, 0.95))
	out.P99 = ms(Percentile(s, 0.99))
	out.Max = ms(s[len(s)-1])
	return out
}

// Percentile is the nearest-rank percentile q (0 < q ≤ 1) of sorted
// samples: the smallest sample at or above which q of them lie.
func Percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(q*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

func ms(d time.Duration) float64 {
	return math.Round(float64(d)/float64(time.Millisecond)*1000) / 1000
}

// String is a one-line view for progress output.
func (s Summary) String() string {
	return fmt.Sprintf("n=%d errors=%d p50=%.2fms p95=%.2fms p99=%.2fms max=%.2fms", s.N, s.Errors, s.P50, s.P95, s.P99, s.Max)
}
