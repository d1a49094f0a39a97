package flow

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // every binary carries the zone database calendars need
)

// Calendar24x7 is the calendar id that means elapsed time: a step naming
// it counts its SLA around the clock even when the flow has a calendar.
const Calendar24x7 = "24x7"

// Calendar is a business calendar: the weekly opening hours of a team in
// one time zone, minus holidays. SLAs and escalations of steps that count
// in a calendar only advance while it is open.
type Calendar struct {
	ID string `json:"id" yaml:"id"`
	// TimeZone is an IANA name such as Europe/Berlin; hours and holidays
	// are read in it.
	TimeZone string    `json:"timezone" yaml:"timezone"`
	Hours    WeekHours `json:"hours" yaml:"hours"`
	// Holidays are dates ("2026-12-25") in the calendar's time zone on
	// which it is closed all day.
	Holidays []string `json:"holidays,omitempty" yaml:"holidays,omitempty"`
}

// WeekHours are the opening hours per weekday: one range "09:00-17:00" or
// several "08:00-12:00, 13:00-17:00"; "" means closed. "24:00" may end a
// range.
type WeekHours struct {
	Mon string `json:"mon,omitempty" yaml:"mon,omitempty"`
	Tue string `json:"tue,omitempty" yaml:"tue,omitempty"`
	Wed string `json:"wed,omitempty" yaml:"wed,omitempty"`
	Thu string `json:"thu,omitempty" yaml:"thu,omitempty"`
	Fri string `json:"fri,omitempty" yaml:"fri,omitempty"`
	Sat string `json:"sat,omitempty" yaml:"sat,omitempty"`
	Sun string `json:"sun,omitempty" yaml:"sun,omitempty"`
}

// weekdayNames are the WeekHours fields in the order Monday to Sunday.
var weekdayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// days returns the hours Monday to Sunday.
func (w WeekHours) days() [7]string {
	return [7]string{w.Mon, w.Tue, w.Wed, w.Thu, w.Fri, w.Sat, w.Sun}
}

// CalendarFor returns the calendar step's SLA and escalation count in: the
// step's, else the flow's. Nil means elapsed time: no calendar, "24x7", or
// an id no calendar of the flow has. step may be nil for the flow's own
// calendar (the case SLA).
func (d *Definition) CalendarFor(step *Step) *Calendar {
	if d == nil {
		return nil
	}
	id := d.Calendar
	if step != nil && step.Calendar != "" {
		id = step.Calendar
	}
	if id == "" || id == Calendar24x7 {
		return nil
	}
	for i := range d.Calendars {
		if d.Calendars[i].ID == id {
			return &d.Calendars[i]
		}
	}
	return nil
}

// Limits of the calendar arithmetic. Validation keeps real calendars far
// from them; they only bound the work on degenerate ones.
const (
	// calendarSearchDays is how far Add looks for any working time at all
	// before it gives up and returns t plus this many days.
	calendarSearchDays = 3650
	// calendarHorizonDays bounds how far Add counts: a result further
	// than this after t is capped at t plus this many days.
	calendarHorizonDays = 100 * 366
)

// Add returns the instant at which d of business time has passed after t.
// If t is outside working hours the count starts at the next opening; a
// result that falls exactly on a closing time is that closing time, not
// the next opening. A nil calendar is elapsed time (t.Add(d)); d <= 0
// returns t. A calendar with no working time within 3650 days returns t
// plus 3650 days. The result is in t's location.
//
// Add is a deterministic function of its inputs (and the zone database),
// safe to call from workflow code.
func (c *Calendar) Add(t time.Time, d time.Duration) time.Time {
	if c == nil {
		return t.Add(d)
	}
	if d <= 0 {
		return t
	}
	giveUp := t.Add(calendarSearchDays * 24 * time.Hour)
	cal := c.compile()
	if cal.weekTotal == 0 {
		return giveUp
	}
	first := cal.dayOf(t)
	day := first
	cursor := t
	remaining := d
	found := false
	for day-first <= calendarHorizonDays {
		if !found && day-first > calendarSearchDays {
			return giveUp
		}
		start := cal.dayStart(day)
		if remaining > cal.weekTotal && !cursor.After(start) {
			// Whole weeks without holidays or zone transitions hold
			// exactly weekTotal each.
			weeks := min(int64((cal.nextEvent(day)-day)/7), int64((remaining-1)/cal.weekTotal))
			weeks = min(weeks, int64((first+calendarHorizonDays-day)/7))
			if weeks > 0 {
				remaining -= time.Duration(weeks) * cal.weekTotal
				day += 7 * int(weeks)
				cursor = cal.dayStart(day)
				found = true
				continue
			}
		}
		for _, iv := range cal.intervals(day) {
			s := later(iv.open, cursor)
			if !iv.close.After(s) {
				continue
			}
			found = true
			avail := iv.close.Sub(s)
			if remaining <= avail {
				return s.Add(remaining).In(t.Location())
			}
			remaining -= avail
			cursor = iv.close
		}
		day++
	}
	return cal.dayStart(first + calendarHorizonDays).In(t.Location())
}

// Between returns the business time in [a, b): how much of it the
// calendar is open. It is 0 when b is not after a. A nil calendar returns
// b.Sub(a).
func (c *Calendar) Between(a, b time.Time) time.Duration {
	if !b.After(a) {
		return 0
	}
	if c == nil {
		return b.Sub(a)
	}
	cal := c.compile()
	if cal.weekTotal == 0 {
		return 0
	}
	day, last := cal.dayOf(a), cal.dayOf(b)
	cursor := a
	var total time.Duration
	for ; day <= last; day++ {
		if !cursor.After(cal.dayStart(day)) {
			weeks := min((cal.nextEvent(day)-day)/7, (last-day)/7)
			if weeks > 0 {
				total += time.Duration(weeks) * cal.weekTotal
				day += 7 * weeks
				cursor = cal.dayStart(day)
			}
		}
		for _, iv := range cal.intervals(day) {
			s := later(iv.open, cursor)
			e := iv.close
			if e.After(b) {
				e = b
			}
			if e.After(s) {
				total += e.Sub(s)
			}
			cursor = later(cursor, iv.close)
		}
	}
	return total
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// compiled is a calendar's hours and holidays in a form the arithmetic
// uses. Days are counted as civil dates: days since 1970-01-01.
type compiled struct {
	loc       *time.Location
	week      [7][]minuteRange // by time.Weekday: Sunday first
	weekTotal time.Duration    // the wall-clock length of all ranges
	holidays  []int            // sorted, distinct civil days
}

// minuteRange is [start, end) in minutes after midnight; end <= 1440.
type minuteRange struct{ start, end int }

// compile reads the calendar leniently: an unknown time zone is UTC and
// malformed ranges and dates are left out (Validate reports them).
// Overlapping ranges are merged so every instant counts once.
func (c *Calendar) compile() *compiled {
	cal := &compiled{loc: time.UTC}
	if loc, err := loadLocation(c.TimeZone); err == nil {
		cal.loc = loc
	}
	for i, h := range c.Hours.days() {
		rs, _ := parseHours(h)
		rs = mergeRanges(rs)
		wd := (i + 1) % 7 // Monday is 1 in time.Weekday
		cal.week[wd] = rs
		for _, r := range rs {
			cal.weekTotal += time.Duration(r.end-r.start) * time.Minute
		}
	}
	for _, h := range c.Holidays {
		if day, err := parseDate(h); err == nil {
			cal.holidays = append(cal.holidays, day)
		}
	}
	sort.Ints(cal.holidays)
	cal.holidays = compactInts(cal.holidays)
	return cal
}

func compactInts(s []int) []int {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// mergeRanges sorts ranges and joins overlapping ones.
func mergeRanges(rs []minuteRange) []minuteRange {
	sort.Slice(rs, func(i, j int) bool { return rs[i].start < rs[j].start })
	var out []minuteRange
	for _, r := range rs {
		if n := len(out); n > 0 && r.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, r.end)
			continue
		}
		out = append(out, r)
	}
	return out
}

const secondsPerDay = 86400

// civilDate returns the date of a civil day.
func civilDate(day int) (int, time.Month, int) {
	return time.Unix(int64(day)*secondsPerDay, 0).UTC().Date()
}

// civil returns the civil day of a date.
func civil(y int, m time.Month, d int) int {
	return int(floorDiv(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix(), secondsPerDay))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// dayOf is the civil day of t in the calendar's zone.
func (cal *compiled) dayOf(t time.Time) int { return civil(t.In(cal.loc).Date()) }

// dayStart is midnight (or the first instant) of a civil day.
func (cal *compiled) dayStart(day int) time.Time {
	y, m, d := civilDate(day)
	return time.Date(y, m, d, 0, 0, 0, 0, cal.loc)
}

func weekdayOf(day int) time.Weekday {
	return time.Weekday((day%7 + 7 + 4) % 7) // 1970-01-01 was a Thursday
}

func (cal *compiled) holiday(day int) bool {
	i := sort.SearchInts(cal.holidays, day)
	return i < len(cal.holidays) && cal.holidays[i] == day
}

type instantRange struct{ open, close time.Time }

// intervals are the opening hours of a civil day as instants. Each is
// built with time.Date in the calendar's zone, so daylight saving time
// shortens or lengthens the ranges it falls in; a range that a
// transition turns empty or backwards is left out.
func (cal *compiled) intervals(day int) []instantRange {
	rs := cal.week[weekdayOf(day)]
	if len(rs) == 0 || cal.holiday(day) {
		return nil
	}
	y, m, d := civilDate(day)
	out := make([]instantRange, 0, len(rs))
	for _, r := range rs {
		open := time.Date(y, m, d, 0, r.start, 0, 0, cal.loc)
		end := time.Date(y, m, d, 0, r.end, 0, 0, cal.loc)
		if end.After(open) {
			out = append(out, instantRange{open, end})
		}
	}
	return out
}

// nextEvent is the first civil day on or after day that may not hold its
// plain weekly hours: a holiday, or the day before or of a change of the
// zone's offset. Whole weeks before it can be counted arithmetically.
func (cal *compiled) nextEvent(day int) int {
	next := day + calendarHorizonDays + 3660
	if i := sort.SearchInts(cal.holidays, day); i < len(cal.holidays) {
		next = min(next, cal.holidays[i])
	}
	_, end := cal.dayStart(day).ZoneBounds()
	if !end.IsZero() {
		next = min(next, cal.dayOf(end)-1)
	}
	return max(next, day)
}

// locations caches loaded time zones by name. Results never depend on it.
var locations sync.Map // string -> *time.Location

// zoneNameChars are the characters of IANA time zone names.
const zoneNameChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_-+"

// loadLocation loads an IANA time zone. "" and "Local" are refused: they
// would depend on the machine.
func loadLocation(name string) (*time.Location, error) {
	if v, ok := locations.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 || strings.Trim(name, zoneNameChars) != "" {
		return nil, fmt.Errorf("not an IANA time zone name: %q", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	locations.Store(name, loc)
	return loc, nil
}

// hoursError is a problem with one weekday's hours.
type hoursError struct {
	kind hoursProblem
	msg  string
}

type hoursProblem int

const (
	hoursMalformed   hoursProblem = iota // not HH:MM-HH:MM
	hoursBackwards                       // the end is not after the start
	hoursOverlapping                     // two ranges share time
)

// parseHours reads "08:00-12:00, 13:00-17:00". It returns the well-formed
// ranges and the first problem found, if any: a malformed range, an end
// not after its start, or ranges that overlap.
func parseHours(s string) ([]minuteRange, *hoursError) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []minuteRange
	var problem *hoursError
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		from, to, ok := strings.Cut(part, "-")
		start, okStart := parseClock(strings.TrimSpace(from))
		end, okEnd := parseClock(strings.TrimSpace(to))
		switch {
		case part == "":
			if problem == nil {
				problem = &hoursError{hoursMalformed, fmt.Sprintf("%q has an empty range; separate ranges with single commas", strings.TrimSpace(s))}
			}
		case !ok || !okStart || !okEnd || start == 24*60:
			if problem == nil {
				problem = &hoursError{hoursMalformed, fmt.Sprintf("%q is not a range like 09:00-17:00 (leave a closed day out)", part)}
			}
		case end <= start:
			if problem == nil {
				problem = &hoursError{hoursBackwards, fmt.Sprintf("%q must end after it starts; a range cannot run past midnight: end it at 24:00 and go on from 00:00 the next day", part)}
			}
		default:
			out = append(out, minuteRange{start, end})
		}
	}
	if problem == nil {
		sorted := append([]minuteRange(nil), out...)
		sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].start < sorted[j].start })
		for i := 1; i < len(sorted); i++ {
			if sorted[i].start < sorted[i-1].end {
				problem = &hoursError{hoursOverlapping, fmt.Sprintf("%s overlaps %s", formatRange(sorted[i]), formatRange(sorted[i-1]))}
				break
			}
		}
	}
	return out, problem
}

// parseClock reads "9:30", "09:30" or "24:00" as minutes after midnight.
func parseClock(s string) (int, bool) {
	h, m, ok := strings.Cut(s, ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return 0, false
	}
	if hh == 24 && mm == 0 {
		return 24 * 60, true
	}
	if hh < 0 || hh > 23 || mm < 0 || mm > 59 {
		return 0, false
	}
	return hh*60 + mm, true
}

func formatRange(r minuteRange) string {
	return fmt.Sprintf("%02d:%02d-%02d:%02d", r.start/60, r.start%60, r.end/60, r.end%60)
}

// parseDate reads a holiday "2026-12-25" as a civil day.
func parseDate(s string) (int, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return civil(t.Date()), nil
}
