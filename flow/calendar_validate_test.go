package flow_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/flowlab/flowlab/flow"
)

// calendarFlow is a valid flow whose case SLA and tasks count in an
// office calendar, one task around the clock and one in a support desk's
// hours.
const calendarFlow = `key: demo
version: 1
sla: 3d
calendar: office
calendars:
  - id: office
    timezone: Europe/London
    hours:
      mon: 09:00-17:00
      tue: 09:00-17:00
      wed: 09:00-17:00
      thu: 09:00-17:00
      fri: 09:00-17:00
    holidays: [2026-12-25, "2026-12-28"]
  - id: support
    timezone: America/New_York
    hours: {mon: "08:00-12:00, 13:00-17:00", sat: 10:00-24:00, sun: "00:00-02:00"}
departments: [cs, tech]
steps:
  - id: record
    kind: task
    department: cs
    sla: 4h
    escalation:
      - {after: 2h, notify: lead}
    outcomes:
      - {name: done, next: fix}
  - id: fix
    kind: task
    department: tech
    sla: 1d
    calendar: support
    outcomes:
      - {name: fixed, next: watch}
  - id: watch
    kind: task
    department: cs
    sla: 2h
    calendar: 24x7
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
`

func TestCalendarFlowLoads(t *testing.T) {
	t.Parallel()
	d, diags := flow.Load([]byte(calendarFlow), flow.ValidateOptions{})
	require.Empty(t, diags, diags.Error())
	require.Equal(t, "office", d.Calendar)
	require.Equal(t, []flow.Calendar{
		{ID: "office", TimeZone: "Europe/London", Hours: flow.WeekHours{Mon: "09:00-17:00", Tue: "09:00-17:00", Wed: "09:00-17:00", Thu: "09:00-17:00", Fri: "09:00-17:00"},
			Holidays: []string{"2026-12-25", "2026-12-28"}},
		{ID: "support", TimeZone: "America/New_York", Hours: flow.WeekHours{Mon: "08:00-12:00, 13:00-17:00", Sat: "10:00-24:00", Sun: "00:00-02:00"}},
	}, d.Calendars)

	record, _ := d.Step("record")
	fix, _ := d.Step("fix")
	watch, _ := d.Step("watch")
	require.Same(t, &d.Calendars[0], d.CalendarFor(record))
	require.Same(t, &d.Calendars[1], d.CalendarFor(fix))
	require.Nil(t, d.CalendarFor(watch), "24x7 is elapsed time")
	require.Same(t, &d.Calendars[0], d.CalendarFor(nil), "the case SLA counts in the flow's calendar")

	// A JSON round trip (the workflow input) keeps the calendars and what
	// they compute.
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var back flow.Definition
	require.NoError(t, json.Unmarshal(js, &back))
	require.Empty(t, flow.Validate(&back, flow.ValidateOptions{}))
	require.Equal(t, d.Calendars, back.Calendars)
	t0 := time.Date(2026, 12, 24, 16, 0, 0, 0, time.UTC)
	require.True(t, time.Date(2026, 12, 29, 10, 0, 0, 0, time.UTC).Equal(back.CalendarFor(&back.Steps[0]).Add(t0, 2*time.Hour)))

	// So does a YAML round trip (what an editor saves).
	ys, err := yaml.Marshal(d)
	require.NoError(t, err)
	again, diags := flow.Load(ys, flow.ValidateOptions{})
	require.Empty(t, diags, "%s\n%s", diags.Error(), ys)
	require.Equal(t, d.Calendars, again.Calendars)
}

func TestCalendarForWithoutCalendars(t *testing.T) {
	t.Parallel()
	var nilDef *flow.Definition
	require.Nil(t, nilDef.CalendarFor(nil))
	d := &flow.Definition{Steps: []flow.Step{{ID: "a", Calendar: "nowhere"}, {ID: "b"}}}
	require.Nil(t, d.CalendarFor(&d.Steps[0]), "an unknown id is elapsed time")
	require.Nil(t, d.CalendarFor(&d.Steps[1]))
	d.Calendar = flow.Calendar24x7
	require.Nil(t, d.CalendarFor(&d.Steps[1]))
}

// TestValidCalendars lists calendars that must load without a problem.
func TestValidCalendars(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		calendar string
	}{
		{"one range", "{id: c, timezone: Europe/Berlin, hours: {mon: 09:00-17:00}}"},
		{"split day", `{id: c, timezone: Europe/Berlin, hours: {tue: "08:00-12:00, 13:00-17:00"}}`},
		{"no space after the comma", `{id: c, timezone: Europe/Berlin, hours: {tue: "08:00-12:00,13:00-17:00"}}`},
		{"touching ranges", `{id: c, timezone: Europe/Berlin, hours: {tue: "08:00-12:00, 12:00-17:00"}}`},
		{"24:00 end", "{id: c, timezone: Asia/Tokyo, hours: {fri: 18:00-24:00, sat: 00:00-06:00}}"},
		{"whole day", "{id: c, timezone: UTC, hours: {sun: 00:00-24:00}}"},
		{"single digit hour", "{id: c, timezone: UTC, hours: {sun: 9:00-17:30}}"},
		{"closed day written empty", `{id: c, timezone: UTC, hours: {mon: 09:00-17:00, sat: ""}}`},
		{"holidays quoted and not", `{id: c, timezone: America/Sao_Paulo, hours: {mon: 09:00-17:00}, holidays: [2026-01-01, "2026-02-16"]}`},
		{"every weekday", "{id: c, timezone: Australia/Sydney, hours: {mon: 09:00-17:00, tue: 09:00-17:00, wed: 09:00-17:00, thu: 09:00-17:00, fri: 09:00-17:00, sat: 10:00-14:00, sun: 10:00-14:00}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := "key: demo\nversion: 1\ncalendar: c\ncalendars:\n  - " + tc.calendar + "\nsteps:\n  - {id: closed, kind: end}\n"
			d, diags := flow.Load([]byte(src), flow.ValidateOptions{})
			require.Empty(t, diags, diags.Error())
			require.NotNil(t, d.CalendarFor(nil))
		})
	}
}

// TestCalendarMessages pins what a process owner reads for each calendar
// problem.
func TestCalendarMessages(t *testing.T) {
	t.Parallel()
	src := `key: demo
version: 1
calendar: ofice
calendars:
  - id: office
    timezone: Europe/Berln
    hours:
      mon: 9-17
      tue: 17:00-09:00
      wed: 08:00-12:00, 11:00-17:00
    holidays: [2026-12-25, 2026-12-25, 25.12.2026]
  - id: office
    hours: {}
departments: [cs]
steps:
  - id: a
    kind: task
    department: cs
    sla: 1h
    calendar: nightshift
    outcomes:
      - {name: ok, next: closed}
  - id: closed
    kind: end
    calendar: office
`
	_, diags := flow.Load([]byte(src), flow.ValidateOptions{})
	var got []string
	for _, d := range diags {
		got = append(got, d.String())
	}
	require.Equal(t, []string{
		`3:11: error: unknown calendar "ofice" in the flow: the flow defines office; 24x7 means elapsed time; did you mean "office"? (unknown-calendar)`,
		`6:15: error: unknown time zone "Europe/Berln" in calendar "office"; use an IANA name like Europe/Berlin (unknown-timezone)`,
		`8:12: error: calendar "office", mon: "9-17" is not a range like 09:00-17:00 (leave a closed day out) (bad-hours)`,
		`9:12: error: calendar "office", tue: "17:00-09:00" must end after it starts; a range cannot run past midnight: end it at 24:00 and go on from 00:00 the next day (hours-order)`,
		`10:12: error: calendar "office", wed: 11:00-17:00 overlaps 08:00-12:00 (overlapping-hours)`,
		`11:28: warning: holiday 2026-12-25 of calendar "office" is listed twice (duplicate-holiday)`,
		`11:40: error: holiday "25.12.2026" of calendar "office" is not a date like 2026-12-25 (bad-holiday)`,
		`12:5: error: calendar "office" needs a timezone, an IANA name like Europe/Berlin (missing-timezone)`,
		`12:9: error: calendar "office" is defined twice (duplicate-calendar)`,
		`13:12: error: calendar "office" is never open: give it hours on at least one weekday, e.g. mon: 09:00-17:00 (no-hours)`,
		`20:15: error: unknown calendar "nightshift" in task "a": the flow defines office; 24x7 means elapsed time (unknown-calendar)`,
		`25:5: warning: end step "closed" counts no SLA or escalation time, so its calendar has no effect; remove it (calendar-without-effect)`,
	}, got)

	// Without positions the path locates each problem.
	d, _ := flow.Parse([]byte(src))
	js, err := json.Marshal(d)
	require.NoError(t, err)
	var bare flow.Definition
	require.NoError(t, json.Unmarshal(js, &bare))
	var paths []string
	for _, dg := range flow.Validate(&bare, flow.ValidateOptions{}) {
		if strings.Contains(dg.Code, "calendar") || strings.Contains(dg.Code, "hours") || strings.Contains(dg.Code, "holiday") || strings.Contains(dg.Code, "timezone") {
			paths = append(paths, dg.Path)
		}
	}
	require.Equal(t, []string{"calendars[0].timezone", "calendars[0].hours.mon", "calendars[0].hours.tue", "calendars[0].hours.wed",
		"calendars[0].holidays[1]", "calendars[0].holidays[2]", "calendars[1].id", "calendars[1].timezone", "calendars[1].hours",
		"calendar", "steps[0].calendar", "steps[1].calendar"}, paths)
}
