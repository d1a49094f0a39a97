package analytics

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// officeClock counts Monday to Friday 09:00-17:00 UTC. A nil *officeClock
// is elapsed time, the way a nil *flow.Calendar is.
type officeClock struct{}

func (c *officeClock) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c == nil {
		return b.Sub(a)
	}
	var total time.Duration
	day := time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, time.UTC)
	for ; day.Before(b); day = day.AddDate(0, 0, 1) {
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		open, closed := day.Add(9*time.Hour), day.Add(17*time.Hour)
		if a.After(open) {
			open = a
		}
		if b.Before(closed) {
			closed = b
		}
		if closed.After(open) {
			total += closed.Sub(open)
		}
	}
	return total
}

// brokenClock returns nonsense; business figures must still not go
// negative.
type brokenClock struct{}

func (brokenClock) Between(a, b time.Time) time.Duration { return -time.Hour }

func TestBusinessDurations(t *testing.T) {
	t.Parallel()
	// Friday 2026-06-05 16:00 UTC.
	fri := time.Date(2026, 6, 5, 16, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return fri.Add(d) }
	ptr := func(d time.Duration) *time.Time { v := at(d); return &v }
	office := &officeClock{}
	spans := []Span{
		// Waits over the weekend: entered Friday 16:00, claimed Monday
		// 10:00, done Monday 11:00.
		{CaseID: "c1", Step: "record", Kind: "task", Clock: office,
			Entered: at(0), Claimed: ptr(66 * time.Hour), Completed: at(67 * time.Hour)},
		// Never claimed, Friday 16:00 to Monday 09:30.
		{CaseID: "c2", Step: "record", Kind: "task", Clock: office,
			Entered: at(0), Completed: at(65*time.Hour + 30*time.Minute)},
		// Entered and done on Saturday: no business time at all.
		{CaseID: "c3", Step: "record", Kind: "task", Clock: office,
			Entered: at(20 * time.Hour), Claimed: ptr(21 * time.Hour), Completed: at(22 * time.Hour)},
		// A wait step over the weekend only waits.
		{CaseID: "c1", Step: "reply", Kind: "wait", Clock: office,
			Entered: at(0), Completed: at(66 * time.Hour)},
		// An auto step without a clock counts elapsed time.
		{CaseID: "c1", Step: "notify", Kind: "auto",
			Entered: at(30 * time.Hour), Completed: at(31 * time.Hour)},
	}
	withClocks := Bottlenecks(spans, []string{"record", "reply", "notify"})

	// The elapsed figures are exactly those without any clock.
	bare := make([]Span, len(spans))
	for i, s := range spans {
		s.Clock = nil
		bare[i] = s
	}
	elapsed := Bottlenecks(bare, []string{"record", "reply", "notify"})
	require.Equal(t, elapsed.TotalSeconds, withClocks.TotalSeconds)
	for i := range elapsed.Steps {
		e, w := elapsed.Steps[i], withClocks.Steps[i]
		require.Equal(t, e.Wait, w.Wait)
		require.Equal(t, e.Work, w.Work)
		require.Equal(t, e.WaitTotal, w.WaitTotal)
		require.Equal(t, e.WorkTotal, w.WorkTotal)
		require.Equal(t, e.Share, w.Share)
		require.Equal(t, e.Bottleneck, w.Bottleneck)
		// Without clocks, business time is elapsed time.
		require.Equal(t, e.Wait, e.BusinessWait)
		require.Equal(t, e.Work, e.BusinessWork)
		require.Equal(t, e.WaitTotal, e.BusinessWaitTotal)
		require.Equal(t, e.WorkTotal, e.BusinessWorkTotal)
	}

	record := withClocks.Steps[0]
	require.Equal(t, "record", record.Step)
	// Elapsed waits: 66h, 65h30m, 1h; business waits: 2h, 1h30m, 0.
	require.InDelta(t, (66+65.5+1)*3600, record.WaitTotal, 1e-6)
	require.InDelta(t, 3.5*3600, record.BusinessWaitTotal, 1e-6)
	require.InDelta(t, 65.5*3600, record.Wait.P50, 1e-6)
	require.InDelta(t, 1.5*3600, record.BusinessWait.P50, 1e-6)
	require.Less(t, record.BusinessWait.P95*10, record.Wait.P95, "a weekend wait is far smaller in business time")
	// Work happened in office hours (Monday) or on Saturday.
	require.InDelta(t, 2*3600, record.WorkTotal, 1e-6)
	require.InDelta(t, 3600, record.BusinessWorkTotal, 1e-6)
	require.Zero(t, record.BusinessWork.P50)
	require.InDelta(t, 2880, record.BusinessWork.P90, 1e-6)
	require.InDelta(t, 3240, record.BusinessWork.P95, 1e-6)

	reply := withClocks.Steps[1]
	require.InDelta(t, 66*3600, reply.WaitTotal, 1e-6)
	require.InDelta(t, 2*3600, reply.BusinessWaitTotal, 1e-6)
	require.Zero(t, reply.BusinessWorkTotal)

	notify := withClocks.Steps[2]
	require.InDelta(t, 3600, notify.BusinessWorkTotal, 1e-6)
	require.Equal(t, notify.Work, notify.BusinessWork)
}

func TestBusinessDurationsEdgeCases(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 6, 5, 16, 0, 0, 0, time.UTC)
	early, late := t0.Add(-time.Hour), t0.Add(3*time.Hour)
	var typedNil *officeClock
	spans := []Span{
		// A typed nil clock (like a nil *flow.Calendar) is elapsed time.
		{CaseID: "a", Step: "x", Kind: "task", Clock: typedNil, Entered: t0, Completed: t0.Add(time.Hour)},
		// Skewed claims are clamped as for elapsed time.
		{CaseID: "b", Step: "x", Kind: "task", Clock: &officeClock{}, Entered: t0, Claimed: &early, Completed: t0.Add(time.Hour)},
		{CaseID: "c", Step: "x", Kind: "task", Clock: &officeClock{}, Entered: t0, Claimed: &late, Completed: t0.Add(time.Hour)},
		// Backwards spans and a broken clock never give negative time.
		{CaseID: "d", Step: "x", Kind: "auto", Clock: &officeClock{}, Entered: t0, Completed: early},
		{CaseID: "e", Step: "x", Kind: "auto", Clock: brokenClock{}, Entered: t0, Completed: late},
	}
	r := Bottlenecks(spans, nil)
	require.Len(t, r.Steps, 1)
	s := r.Steps[0]
	// a waits 1h elapsed; c waits Fri 16:00-17:00 = 1h of office time.
	require.InDelta(t, 2*3600, s.BusinessWaitTotal, 1e-9)
	// b works Fri 16:00-17:00: 1h.
	require.InDelta(t, 3600, s.BusinessWorkTotal, 1e-9)
	for _, q := range []Quantiles{s.BusinessWait, s.BusinessWork} {
		require.GreaterOrEqual(t, q.P50, 0.0)
	}
}
