package flow

import (
	"testing"
	"time"
)

// fuzzZones include clock changes at midnight (Santiago, Havana), half an
// hour (Lord Howe) and a skipped day (Apia, 2011-12-30).
var fuzzZones = []string{"UTC", "Europe/London", "America/New_York", "America/Santiago", "America/Havana",
	"Australia/Lord_Howe", "Pacific/Apia", "Asia/Kolkata", "Nowhere/Unknown"}

// FuzzCalendarArithmetic checks Add and Between on arbitrary hours, zones
// and instants: they never panic or hang, Between never exceeds elapsed
// time and adds up over adjacent spans, and Between undoes Add.
func FuzzCalendarArithmetic(f *testing.F) {
	f.Add("09:00-17:00", "", "2026-12-25", uint8(1), int64(1790000000), uint32(600), uint32(5000))
	f.Add("08:00-12:00, 13:00-17:00", "10:00-24:00", "", uint8(2), int64(1774000000), uint32(3000), uint32(90000))
	f.Add("00:00-01:30, 23:00-24:00", "00:00-24:00", "2011-12-31", uint8(6), int64(1325000000), uint32(100), uint32(20000))
	f.Add("", "", "", uint8(0), int64(0), uint32(1), uint32(1))
	f.Fuzz(func(t *testing.T, weekday, weekend, holiday string, zone uint8, start int64, minutes, span uint32) {
		c := &Calendar{TimeZone: fuzzZones[int(zone)%len(fuzzZones)],
			Hours:    WeekHours{Mon: weekday, Tue: weekday, Wed: weekday, Thu: weekday, Fri: weekday, Sat: weekend, Sun: weekend},
			Holidays: []string{holiday}}
		// Instants between 1900 and 2100; durations up to about 8 years.
		t0 := time.Unix(start%(200*365*86400)-70*365*86400, 0).UTC()
		d := time.Duration(minutes%(1<<22)) * time.Minute
		end := c.Add(t0, d)
		if end.Before(t0) {
			t.Fatalf("Add(%s, %s) = %s, before the start", t0, d, end)
		}
		capped := end.Equal(t0.Add(calendarSearchDays*24*time.Hour)) || !end.Before(t0.AddDate(99, 0, 0))
		if got := c.Between(t0, end); !capped && got != d {
			t.Fatalf("Between(%s, Add(%s, %s) = %s) = %s", t0, t0, d, end, got)
		}
		mid := t0.Add(time.Duration(span%(1<<22)) * time.Minute)
		later := mid.Add(time.Duration(span%(1<<16)) * time.Minute)
		a, b := c.Between(t0, mid), c.Between(mid, later)
		if a < 0 || a > mid.Sub(t0) || b < 0 || b > later.Sub(mid) {
			t.Fatalf("Between out of range: %s over %s, %s over %s", a, mid.Sub(t0), b, later.Sub(mid))
		}
		if all := c.Between(t0, later); all != a+b {
			t.Fatalf("Between(%s, %s) = %s, but the halves add up to %s", t0, later, all, a+b)
		}
	})
}
