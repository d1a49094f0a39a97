package flow_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// londonOffice is open Monday to Friday 09:00-17:00 in London, closed on
// Christmas 2026 and its Boxing Day substitute (Monday 28 December).
func londonOffice() *flow.Calendar {
	nineToFive := "09:00-17:00"
	return &flow.Calendar{
		ID: "london", TimeZone: "Europe/London",
		Hours:    flow.WeekHours{Mon: nineToFive, Tue: nineToFive, Wed: nineToFive, Thu: nineToFive, Fri: nineToFive},
		Holidays: []string{"2026-12-25", "2026-12-28"},
	}
}

func splitDays() *flow.Calendar {
	split := "08:00-12:00, 13:00-17:00"
	return &flow.Calendar{
		ID: "split", TimeZone: "Europe/London",
		Hours: flow.WeekHours{Mon: split, Tue: split, Wed: split, Thu: split, Fri: split},
	}
}

// sundays is open all Sunday, the day of London's clock changes.
func sundays() *flow.Calendar {
	return &flow.Calendar{ID: "sundays", TimeZone: "Europe/London", Hours: flow.WeekHours{Sun: "00:00-24:00"}}
}

// lateShift works across midnight from Friday into Saturday.
func lateShift() *flow.Calendar {
	return &flow.Calendar{ID: "late", TimeZone: "Europe/London", Hours: flow.WeekHours{Fri: "20:00-24:00", Sat: "00:00-02:00"}}
}

func TestCalendarAdd(t *testing.T) {
	t.Parallel()
	lon := mustZone(t, "Europe/London")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, lon) }
	tests := []struct {
		name string
		cal  *flow.Calendar
		from time.Time
		d    time.Duration
		want time.Time
	}{
		{"within a day", londonOffice(), at(2026, 6, 1, 10, 0), 2 * time.Hour, at(2026, 6, 1, 12, 0)},
		{"a full day ends at closing time", londonOffice(), at(2026, 6, 1, 9, 0), 8 * time.Hour, at(2026, 6, 1, 17, 0)},
		{"crossing the evening", londonOffice(), at(2026, 6, 1, 16, 0), 2 * time.Hour, at(2026, 6, 2, 10, 0)},
		{"before opening", londonOffice(), at(2026, 6, 1, 7, 0), time.Hour, at(2026, 6, 1, 10, 0)},
		{"after closing", londonOffice(), at(2026, 6, 1, 18, 0), time.Hour, at(2026, 6, 2, 10, 0)},
		{"friday into monday", londonOffice(), at(2026, 6, 5, 16, 0), 2 * time.Hour, at(2026, 6, 8, 10, 0)},
		{"starting on saturday", londonOffice(), at(2026, 6, 6, 12, 0), time.Hour, at(2026, 6, 8, 10, 0)},
		{"starting on sunday night", londonOffice(), at(2026, 6, 7, 23, 59), 30 * time.Minute, at(2026, 6, 8, 9, 30)},
		{"a working week", londonOffice(), at(2026, 6, 1, 9, 0), 40 * time.Hour, at(2026, 6, 5, 17, 0)},
		{"a week and an hour", londonOffice(), at(2026, 6, 1, 9, 0), 41 * time.Hour, at(2026, 6, 8, 10, 0)},
		{"ten weeks", londonOffice(), at(2026, 1, 5, 9, 0), 400 * time.Hour, at(2026, 3, 13, 17, 0)},
		{"crossing christmas", londonOffice(), at(2026, 12, 24, 16, 0), 2 * time.Hour, at(2026, 12, 29, 10, 0)},
		{"starting on christmas", londonOffice(), at(2026, 12, 25, 10, 0), time.Hour, at(2026, 12, 29, 10, 0)},
		{"seconds count", londonOffice(), at(2026, 6, 1, 16, 59).Add(30 * time.Second), 45 * time.Second, at(2026, 6, 2, 9, 0).Add(15 * time.Second)},
		{"split day across lunch", splitDays(), at(2026, 6, 1, 11, 0), 2 * time.Hour, at(2026, 6, 1, 14, 0)},
		{"split day from lunch", splitDays(), at(2026, 6, 1, 12, 30), 30 * time.Minute, at(2026, 6, 1, 13, 30)},
		{"split day morning ends at noon", splitDays(), at(2026, 6, 1, 8, 0), 4 * time.Hour, at(2026, 6, 1, 12, 0)},
		{"split day into the next", splitDays(), at(2026, 6, 1, 16, 0), 2 * time.Hour, at(2026, 6, 2, 9, 0)},
		{"spring forward weekend", londonOffice(), at(2026, 3, 27, 16, 0), 2 * time.Hour, at(2026, 3, 30, 10, 0)},
		{"fall back weekend", londonOffice(), at(2026, 10, 23, 16, 0), 2 * time.Hour, at(2026, 10, 26, 10, 0)},
		{"spring forward week", londonOffice(), at(2026, 3, 23, 9, 0), 48 * time.Hour, at(2026, 3, 30, 17, 0)},
		{"the short sunday", sundays(), at(2026, 3, 28, 12, 0), 23 * time.Hour, at(2026, 3, 30, 0, 0)},
		{"the short sunday plus one", sundays(), at(2026, 3, 28, 12, 0), 24 * time.Hour, at(2026, 4, 5, 1, 0)},
		{"the long sunday", sundays(), at(2026, 10, 25, 0, 0), 25 * time.Hour, at(2026, 10, 26, 0, 0)},
		{"the long sunday's repeated hour", sundays(), at(2026, 10, 25, 0, 0), 2 * time.Hour, time.Date(2026, 10, 25, 1, 0, 0, 0, time.UTC)},
		{"24:00 end", lateShift(), at(2026, 6, 5, 23, 0), 2 * time.Hour, at(2026, 6, 6, 1, 0)},
		{"24:00 end exactly", lateShift(), at(2026, 6, 5, 20, 0), 4 * time.Hour, at(2026, 6, 6, 0, 0)},
		{"zero", londonOffice(), at(2026, 6, 6, 12, 0), 0, at(2026, 6, 6, 12, 0)},
		{"negative", londonOffice(), at(2026, 6, 1, 12, 0), -time.Hour, at(2026, 6, 1, 12, 0)},
		{"nil is elapsed", nil, at(2026, 6, 5, 16, 0), 2 * time.Hour, at(2026, 6, 5, 18, 0)},
		{"nil is elapsed across dst", nil, at(2026, 3, 28, 12, 0), 24 * time.Hour, at(2026, 3, 29, 13, 0)},
		{"nil with a negative duration", nil, at(2026, 6, 5, 16, 0), -time.Hour, at(2026, 6, 5, 15, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.cal.Add(tc.from, tc.d)
			require.True(t, tc.want.Equal(got), "want %s, got %s", tc.want, got.In(lon))
			// The same instant in another zone gives the same instant.
			require.True(t, tc.want.Equal(tc.cal.Add(tc.from.UTC(), tc.d)))
			if tc.d > 0 {
				require.Equal(t, tc.d, tc.cal.Between(tc.from, got), "Between undoes Add")
			}
		})
	}
}

func TestCalendarBetween(t *testing.T) {
	t.Parallel()
	lon := mustZone(t, "Europe/London")
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, lon) }
	tests := []struct {
		name string
		cal  *flow.Calendar
		a, b time.Time
		want time.Duration
	}{
		{"within a day", londonOffice(), at(2026, 6, 1, 10, 0), at(2026, 6, 1, 12, 30), 150 * time.Minute},
		{"both outside the same night", londonOffice(), at(2026, 6, 1, 18, 0), at(2026, 6, 2, 8, 0), 0},
		{"a weekend", londonOffice(), at(2026, 6, 5, 17, 0), at(2026, 6, 8, 9, 0), 0},
		{"friday into monday", londonOffice(), at(2026, 6, 5, 16, 0), at(2026, 6, 8, 10, 0), 2 * time.Hour},
		{"a whole week", londonOffice(), at(2026, 6, 1, 0, 0), at(2026, 6, 8, 0, 0), 40 * time.Hour},
		{"christmas fortnight", londonOffice(), at(2026, 12, 21, 0, 0), at(2027, 1, 4, 0, 0), 64 * time.Hour},
		{"crossing christmas", londonOffice(), at(2026, 12, 24, 16, 0), at(2026, 12, 29, 10, 0), 2 * time.Hour},
		{"the year 2026", londonOffice(), at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0), (261 - 2) * 8 * time.Hour},
		{"split day over lunch", splitDays(), at(2026, 6, 1, 11, 30), at(2026, 6, 1, 13, 30), time.Hour},
		{"split days, a week", splitDays(), at(2026, 6, 1, 0, 0), at(2026, 6, 8, 0, 0), 40 * time.Hour},
		{"the short sunday", sundays(), at(2026, 3, 29, 0, 0), at(2026, 3, 30, 0, 0), 23 * time.Hour},
		{"the long sunday", sundays(), at(2026, 10, 25, 0, 0), at(2026, 10, 26, 0, 0), 25 * time.Hour},
		{"the year of sundays", sundays(), at(2026, 1, 1, 0, 0), at(2027, 1, 1, 0, 0), 52 * 24 * time.Hour},
		{"spring forward week", londonOffice(), at(2026, 3, 23, 0, 0), at(2026, 4, 6, 0, 0), 80 * time.Hour},
		{"24:00 end", lateShift(), at(2026, 6, 5, 12, 0), at(2026, 6, 6, 12, 0), 6 * time.Hour},
		{"reversed", londonOffice(), at(2026, 6, 1, 12, 0), at(2026, 6, 1, 10, 0), 0},
		{"empty", londonOffice(), at(2026, 6, 1, 12, 0), at(2026, 6, 1, 12, 0), 0},
		{"nil is elapsed", nil, at(2026, 6, 5, 16, 0), at(2026, 6, 8, 10, 0), 66 * time.Hour},
		{"nil reversed", nil, at(2026, 6, 8, 10, 0), at(2026, 6, 5, 16, 0), 0},
		{"closed every day", &flow.Calendar{TimeZone: "Europe/London"}, at(2026, 1, 1, 0, 0), at(2036, 1, 1, 0, 0), 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.cal.Between(tc.a, tc.b))
			require.Equal(t, tc.want, tc.cal.Between(tc.a.UTC(), tc.b.In(mustZone(t, "Asia/Tokyo"))))
		})
	}
}

func TestCalendarDegenerate(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)
	closed := &flow.Calendar{TimeZone: "Europe/London"}
	require.True(t, t0.Add(3650*24*time.Hour).Equal(closed.Add(t0, time.Hour)))

	// Holidays on every day for eleven years: no working time to find.
	var hs []string
	for d := t0; d.Before(t0.AddDate(11, 0, 0)); d = d.AddDate(0, 0, 1) {
		hs = append(hs, d.Format(time.DateOnly))
	}
	always := &flow.Calendar{TimeZone: "UTC", Hours: flow.WeekHours{Mon: "00:00-24:00", Tue: "00:00-24:00", Wed: "00:00-24:00",
		Thu: "00:00-24:00", Fri: "00:00-24:00", Sat: "00:00-24:00", Sun: "00:00-24:00"}, Holidays: hs}
	start := time.Now()
	require.True(t, t0.Add(3650*24*time.Hour).Equal(always.Add(t0, time.Hour)))
	require.Zero(t, always.Between(t0, t0.AddDate(10, 0, 0)))

	// A minute a week and the longest duration: capped, not looping.
	tiny := &flow.Calendar{TimeZone: "Europe/London", Hours: flow.WeekHours{Wed: "10:00-10:01"}}
	got := tiny.Add(t0, 3650*24*time.Hour)
	require.True(t, got.After(t0.AddDate(99, 0, 0)), got)
	require.True(t, got.Before(t0.AddDate(101, 0, 0)), got)
	require.Less(t, time.Since(start), 2*time.Second)

	// Unknown zone and malformed hours: lenient, UTC and left out.
	sloppy := &flow.Calendar{TimeZone: "Europe/Berln", Hours: flow.WeekHours{Mon: "9-17, 10:00-11:00, 12:00-11:00"}, Holidays: []string{"xmas"}}
	require.True(t, time.Date(2026, 6, 1, 10, 30, 0, 0, time.UTC).Equal(sloppy.Add(t0, 30*time.Minute)))

	// Overlapping ranges count once.
	overlap := &flow.Calendar{TimeZone: "UTC", Hours: flow.WeekHours{Mon: "09:00-12:00, 10:00-13:00"}}
	require.Equal(t, 4*time.Hour, overlap.Between(t0, t0.Add(24*time.Hour)))

	// Far apart instants stay fast.
	start = time.Now()
	far := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	require.Positive(t, londonOffice().Between(far, time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.Less(t, time.Since(start), time.Second)
}

// TestCalendarLongSpansMatchDayByDay checks that counting whole weeks at
// once (what makes long spans fast) agrees with adding up short spans,
// which are counted day by day, across years of clock changes and
// holidays.
func TestCalendarLongSpansMatchDayByDay(t *testing.T) {
	t.Parallel()
	ny := &flow.Calendar{TimeZone: "America/New_York", Hours: flow.WeekHours{Mon: "00:00-03:00, 22:00-24:00", Sun: "01:30-02:30", Sat: "00:00-24:00", Wed: "09:00-17:00"},
		Holidays: []string{"2027-03-14", "2028-07-04", "2028-07-05", "2029-11-04"}}
	for _, cal := range []*flow.Calendar{londonOffice(), splitDays(), sundays(), lateShift(), ny} {
		a := time.Date(2025, 11, 3, 13, 17, 0, 0, time.UTC)
		b := time.Date(2031, 2, 9, 4, 2, 0, 0, time.UTC)
		var sum time.Duration
		for x := a; x.Before(b); x = x.Add(5 * 24 * time.Hour) {
			sum += cal.Between(x, minTime(x.Add(5*24*time.Hour), b))
		}
		require.Equal(t, sum, cal.Between(a, b), cal.ID)
		require.True(t, cal.Add(a, sum).Before(b) || cal.Add(a, sum).Equal(b), cal.ID)
		require.Equal(t, sum, cal.Between(a, cal.Add(a, sum)), cal.ID)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// bruteOpen is an independent reading of a calendar: is the minute that
// starts at t open? It looks at the wall clock in the zone only.
func bruteOpen(c *flow.Calendar, loc *time.Location, t time.Time) bool {
	w := t.In(loc)
	if contains(c.Holidays, w.Format(time.DateOnly)) {
		return false
	}
	days := map[time.Weekday]string{time.Monday: c.Hours.Mon, time.Tuesday: c.Hours.Tue, time.Wednesday: c.Hours.Wed,
		time.Thursday: c.Hours.Thu, time.Friday: c.Hours.Fri, time.Saturday: c.Hours.Sat, time.Sunday: c.Hours.Sun}
	minute := w.Hour()*60 + w.Minute()
	for _, r := range strings.Split(days[w.Weekday()], ",") {
		from, to, ok := strings.Cut(strings.TrimSpace(r), "-")
		if ok && clock(from) <= minute && minute < clock(to) {
			return true
		}
	}
	return false
}

func clock(s string) int {
	h, m, _ := strings.Cut(s, ":")
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	return hh*60 + mm
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCalendarMatchesMinuteByMinute compares Add and Between with a
// minute-by-minute count over random spans of up to three weeks, around
// clock changes and holidays.
func TestCalendarMatchesMinuteByMinute(t *testing.T) {
	t.Parallel()
	ny := &flow.Calendar{ID: "ny", TimeZone: "America/New_York", Hours: flow.WeekHours{Mon: "07:30-11:00, 11:45-19:15", Tue: "00:00-24:00", Fri: "16:00-24:00", Sat: "00:00-01:00"},
		Holidays: []string{"2026-03-10", "2026-11-03"}}
	tokyo := &flow.Calendar{ID: "tokyo", TimeZone: "Asia/Tokyo", Hours: flow.WeekHours{Mon: "09:00-18:00", Wed: "09:00-18:00", Sun: "10:00-10:30"}}
	cals := []*flow.Calendar{londonOffice(), splitDays(), sundays(), lateShift(), ny, tokyo}
	// Windows around London's and New York's clock changes and Christmas.
	windows := []time.Time{
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const iterations = 120
	for i := range iterations {
		c := cals[i%len(cals)]
		loc := mustZone(t, c.TimeZone)
		a := windows[rng.IntN(len(windows))].Add(time.Duration(rng.IntN(14*24*60)) * time.Minute)
		b := a.Add(time.Duration(rng.IntN(21*24*60)) * time.Minute)

		var want time.Duration
		var opens []time.Time // the open minutes in [a, b), in order
		for m := a; m.Before(b); m = m.Add(time.Minute) {
			if bruteOpen(c, loc, m) {
				want += time.Minute
				opens = append(opens, m)
			}
		}
		require.Equal(t, want, c.Between(a, b), "%s: Between(%s, %s)", c.ID, a, b)
		if len(opens) == 0 {
			continue
		}
		// Adding k minutes ends at the end of the k-th open minute.
		k := 1 + rng.IntN(len(opens))
		end := opens[k-1].Add(time.Minute)
		got := c.Add(a, time.Duration(k)*time.Minute)
		require.True(t, end.Equal(got), "%s: Add(%s, %dm) = %s, want %s", c.ID, a, k, got, end)
		// Add undoes Between for an end inside working hours.
		require.True(t, end.Equal(c.Add(a, c.Between(a, end))))
	}
}
