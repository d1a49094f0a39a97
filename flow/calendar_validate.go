package flow

import (
	"fmt"
	"strings"
)

// calendars checks the flow's calendars and the flow's own calendar:
// ids, time zones, hours and holidays.
func (v *validator) calendars() {
	d := v.d
	v.cals = map[string]bool{}
	v.calUsed = map[string]bool{}
	for i := range d.Calendars {
		c := &d.Calendars[i]
		cp := index("calendars", i)
		who := fmt.Sprintf("calendar #%d", i+1)
		switch {
		case c.ID == "":
			v.errorf(join(cp, "id"), "missing-id", "calendar #%d has no id; the flow and its steps name calendars by id", i+1)
		case c.ID == Calendar24x7:
			v.errorf(join(cp, "id"), "bad-id", "calendar id %q is reserved for elapsed time; give this calendar another id", c.ID)
		case !idRe.MatchString(c.ID):
			v.errorf(join(cp, "id"), "bad-id", "calendar id %q must start with a lowercase letter and use only a-z, 0-9 and _", c.ID)
		case v.cals[c.ID]:
			v.errorf(join(cp, "id"), "duplicate-calendar", "calendar %q is defined twice", c.ID)
		default:
			v.cals[c.ID] = true
			v.calIDs = append(v.calIDs, c.ID)
		}
		if c.ID != "" {
			who = fmt.Sprintf("calendar %q", c.ID)
		}
		switch _, err := loadLocation(c.TimeZone); {
		case c.TimeZone == "":
			v.errorf(join(cp, "timezone"), "missing-timezone", "%s needs a timezone, an IANA name like Europe/Berlin", who)
		case err != nil:
			v.errorf(join(cp, "timezone"), "unknown-timezone", "unknown time zone %q in %s; use an IANA name like Europe/Berlin", c.TimeZone, who)
		}
		open, wrong := false, false
		for j, h := range c.Hours.days() {
			day := weekdayNames[j]
			rs, problem := parseHours(h)
			open = open || len(rs) > 0
			wrong = wrong || problem != nil
			hp := join(join(cp, "hours"), day)
			switch {
			case problem == nil:
			case problem.kind == hoursMalformed:
				v.errorf(hp, "bad-hours", "%s, %s: %s", who, day, problem.msg)
			case problem.kind == hoursBackwards:
				v.errorf(hp, "hours-order", "%s, %s: %s", who, day, problem.msg)
			default:
				v.errorf(hp, "overlapping-hours", "%s, %s: %s", who, day, problem.msg)
			}
		}
		if !open && !wrong {
			v.errorf(join(cp, "hours"), "no-hours", "%s is never open: give it hours on at least one weekday, e.g. mon: 09:00-17:00", who)
		}
		seen := map[int]bool{}
		for j, h := range c.Holidays {
			hp := index(join(cp, "holidays"), j)
			day, err := parseDate(h)
			switch {
			case err != nil:
				v.errorf(hp, "bad-holiday", "holiday %q of %s is not a date like 2026-12-25", h, who)
			case seen[day]:
				v.add(SeverityWarning, hp, false, "duplicate-holiday", "holiday %s of %s is listed twice", h, who)
			}
			seen[day] = err == nil || seen[day]
		}
	}
	if d.Calendar != "" {
		v.calendarRef("calendar", d.Calendar, "the flow")
	}
}

// calendarRef checks that a calendar reference names a calendar of the
// flow (or 24x7, elapsed time).
func (v *validator) calendarRef(path, id, owner string) {
	if id == Calendar24x7 {
		return
	}
	v.calUsed[id] = true
	if v.cals[id] {
		return
	}
	defined := "defines no calendars"
	if len(v.calIDs) > 0 {
		defined = "defines " + strings.Join(v.calIDs, ", ")
	}
	v.errorf(path, "unknown-calendar", "unknown calendar %q in %s: the flow %s; 24x7 means elapsed time%s",
		id, owner, defined, didYouMean(id, v.calIDs))
}

// unusedCalendars warns about calendars nothing counts in.
func (v *validator) unusedCalendars() {
	warned := map[string]bool{}
	for i, c := range v.d.Calendars {
		if v.cals[c.ID] && !v.calUsed[c.ID] && !warned[c.ID] {
			warned[c.ID] = true
			v.add(SeverityWarning, join(index("calendars", i), "id"), false, "unused-calendar",
				"calendar %q is defined but neither the flow nor any step counts in it; set calendar: %s on the flow or a step, or remove it", c.ID, c.ID)
		}
	}
}
