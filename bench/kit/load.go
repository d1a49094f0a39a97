package kit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Load is one fixed-rate run: Rate requests per second for Duration,
// at most MaxInFlight at once.
type Load struct {
	Rate        float64
	Duration    time.Duration
	MaxInFlight int // 0: 4×Rate, at least 64
}

// ErrOverloaded is recorded for an arrival that found MaxInFlight
// requests still running: the system under test did not keep up.
var ErrOverloaded = errors.New("not sent: too many requests in flight")

// Run sends fn at the load's fixed arrival rate (open loop: arrivals do
// not wait for earlier requests to finish) and records each call's
// latency measured from its scheduled arrival, so a stall that delays
// the generator counts against the system instead of hiding
// (coordinated omission). The run is bounded: Rate×Duration arrivals at
// most, and it returns when the last call has finished or ctx ends.
// fn's i is the arrival's number, from 0.
func (l Load) Run(ctx context.Context, fn func(ctx context.Context, i int) error) (*Latencies, error) {
	return l.RunScheduled(ctx, func(ctx context.Context, i int, _ time.Time) error { return fn(ctx, i) })
}

// RunScheduled is Run whose fn also gets its arrival's scheduled time,
// for a scenario that measures what follows the call (a task the call
// leads to) from the same point Run measures the call from.
func (l Load) RunScheduled(ctx context.Context, fn func(ctx context.Context, i int, due time.Time) error) (*Latencies, error) {
	if l.Rate <= 0 || l.Duration <= 0 {
		return nil, fmt.Errorf("load: rate %v/s for %v: both must be positive", l.Rate, l.Duration)
	}
	total := int(l.Rate * l.Duration.Seconds())
	limit := l.MaxInFlight
	if limit <= 0 {
		limit = max(64, int(4*l.Rate))
	}
	lat := &Latencies{samples: make([]time.Duration, 0, total)}
	slots := make(chan struct{}, limit)
	interval := time.Duration(float64(time.Second) / l.Rate)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < total; i++ {
		due := start.Add(time.Duration(i) * interval)
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				wg.Wait()
				return lat, ctx.Err()
			case <-t.C:
			}
		}
		select {
		case slots <- struct{}{}:
		default:
			lat.Fail(ErrOverloaded)
			continue
		}
		wg.Add(1)
		go func(i int, due time.Time) {
			defer wg.Done()
			defer func() { <-slots }()
			if err := fn(ctx, i, due); err != nil {
				lat.Fail(err)
				return
			}
			lat.Add(time.Since(due))
		}(i, due)
	}
	wg.Wait()
	return lat, nil
}

// Achieved is the completed-request rate of a run that took elapsed.
func Achieved(s Summary, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return 0
	}
	return float64(s.N) / elapsed.Seconds()
}
