package flow_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

// TestCompiledCalendarMatchesBetween compares the compiled calendar with
// Calendar.Between on random intervals of a second to two months, around
// clock changes and holidays, in several zones, with the table grown in
// both directions as the intervals wander, and on the degenerate ones.
func TestCompiledCalendarMatchesBetween(t *testing.T) {
	t.Parallel()
	ny := &flow.Calendar{ID: "ny", TimeZone: "America/New_York", Hours: flow.WeekHours{Mon: "07:30-11:00, 11:45-19:15", Tue: "00:00-24:00", Fri: "16:00-24:00", Sat: "00:00-01:00", Sun: "01:30-02:30"},
		Holidays: []string{"2026-03-10", "2026-11-03"}}
	tokyo := &flow.Calendar{ID: "tokyo", TimeZone: "Asia/Tokyo", Hours: flow.WeekHours{Mon: "09:00-18:00", Wed: "09:00-18:00", Sun: "10:00-10:30"}}
	closed := &flow.Calendar{ID: "closed", TimeZone: "Europe/London"}
	overlap := &flow.Calendar{ID: "overlap", TimeZone: "UTC", Hours: flow.WeekHours{Mon: "09:00-12:00, 10:00-13:00"}}
	berlin := &flow.Calendar{ID: "berlin", TimeZone: "Europe/Berlin", Hours: flow.WeekHours{Mon: "09:00-17:00", Tue: "09:00-17:00", Wed: "09:00-17:00", Thu: "09:00-17:00", Fri: "09:00-17:00", Sun: "01:00-04:00"},
		Holidays: []string{"2026-10-03", "2026-12-25", "2026-12-26"}}
	cals := []*flow.Calendar{londonOffice(), splitDays(), sundays(), lateShift(), ny, tokyo, closed, overlap, berlin}
	rng := rand.New(rand.NewPCG(3, 4))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, c := range cals {
		cc := c.Compile()
		for range 3000 {
			a := base.Add(time.Duration(rng.Int64N(int64(2*365*24*time.Hour))) - 180*24*time.Hour)
			var d time.Duration
			switch rng.IntN(3) {
			case 0:
				d = time.Duration(rng.Int64N(int64(6 * time.Hour)))
			case 1:
				d = time.Duration(rng.Int64N(int64(9 * 24 * time.Hour)))
			default:
				d = time.Duration(rng.Int64N(int64(60 * 24 * time.Hour)))
			}
			b := a.Add(d)
			require.Equal(t, c.Between(a, b), cc.Between(a, b), "%s: Between(%s, %s)", c.ID, a, b)
			require.Equal(t, c.Between(b, a), cc.Between(b, a))
		}
		// Far outside the table's years: counted by Calendar.Between.
		a, b := time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1500, 3, 1, 0, 0, 0, 0, time.UTC)
		require.Equal(t, c.Between(a, b), cc.Between(a, b))
		// Spanning more than the table may: the same.
		a, b = time.Date(1800, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 3, 1, 0, 0, 0, 0, time.UTC)
		require.Equal(t, c.Between(a, b), cc.Between(a, b))
	}
}

func TestCompiledCalendarNilAndConcurrent(t *testing.T) {
	t.Parallel()
	var nilCal *flow.Calendar
	cc := nilCal.Compile()
	require.Nil(t, cc)
	a := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Equal(t, time.Hour, cc.Between(a, a.Add(time.Hour)))
	require.Equal(t, time.Duration(0), cc.Between(a.Add(time.Hour), a))

	// A change to the calendar after Compile is not seen.
	c := londonOffice()
	cc = c.Compile()
	c.Holidays = append(c.Holidays, "2026-12-29")
	from, to := time.Date(2026, 12, 29, 0, 0, 0, 0, time.UTC), time.Date(2026, 12, 30, 0, 0, 0, 0, time.UTC)
	require.Equal(t, 8*time.Hour, cc.Between(from, to))

	// Concurrent callers growing the table agree with Calendar.Between.
	ref := londonOffice()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(g), 9))
			for range 500 {
				x := a.Add(time.Duration(rng.Int64N(int64(20*365*24*time.Hour))) - 10*365*24*time.Hour)
				y := x.Add(time.Duration(rng.Int64N(int64(30 * 24 * time.Hour))))
				if got, want := cc.Between(x, y), ref.Between(x, y); got != want {
					t.Errorf("Between(%s, %s) = %s, want %s", x, y, got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}
