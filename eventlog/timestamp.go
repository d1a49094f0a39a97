package eventlog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Layout names besides Go layouts.
const (
	LayoutISO8601 = "iso8601"
	LayoutEpochS  = "epoch-s"
	LayoutEpochMS = "epoch-ms"
)

// timeParser parses one timestamp to UTC.
type timeParser struct {
	name string // the layout as Options.TimeLayout takes it
	// order is "dmy", "mdy" or "" (not ambiguous with another order).
	order string
	parse func(s string, loc *time.Location) (time.Time, error)
}

// candidates are the layouts detection tries, in order of preference.
var candidates = buildCandidates()

func buildCandidates() []timeParser {
	c := []timeParser{
		{name: LayoutISO8601, parse: parseISO},
		{name: LayoutEpochS, parse: parseEpochS},
		{name: LayoutEpochMS, parse: parseEpochMS},
	}
	clocks := []string{" 15:04:05", " 15:04", "T15:04:05", " 3:04:05 PM", " 3:04 PM", ""}
	for _, sep := range []string{"/", "-", "."} {
		dates := []struct{ layout, order string }{
			{"2006" + sep + "1" + sep + "2", ""},
			{"2" + sep + "1" + sep + "2006", "dmy"},
			{"1" + sep + "2" + sep + "2006", "mdy"},
		}
		for _, d := range dates {
			for _, clock := range clocks {
				if clock == "T15:04:05" && d.order == "" && sep == "-" {
					continue // ISO covers it
				}
				c = append(c, timeParser{name: d.layout + clock, order: d.order, parse: goLayout(d.layout + clock)})
			}
		}
	}
	return c
}

// parserFor returns the parser of an explicit Options.TimeLayout.
func parserFor(layout string) timeParser {
	switch strings.ToLower(layout) {
	case LayoutISO8601, "iso", "rfc3339":
		return timeParser{name: LayoutISO8601, parse: parseISO}
	case LayoutEpochS, "epoch":
		return timeParser{name: LayoutEpochS, parse: parseEpochS}
	case LayoutEpochMS:
		return timeParser{name: LayoutEpochMS, parse: parseEpochMS}
	}
	return timeParser{name: layout, parse: goLayout(layout)}
}

// goLayout parses with a Go layout: in the value's offset when the layout
// has one, else in loc. Go accepts a fraction of seconds after the
// seconds even when the layout has none.
func goLayout(layout string) func(string, *time.Location) (time.Time, error) {
	return func(s string, loc *time.Location) (time.Time, error) {
		t, err := time.ParseInLocation(layout, strings.TrimSpace(s), loc)
		if err != nil {
			return time.Time{}, err
		}
		return t.UTC(), nil
	}
}

var isoLayouts = []string{
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02T15:04:05Z07",
	"2006-01-02T15:04:05 Z07:00",
	"2006-01-02T15:04:05 Z0700",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseISO parses ISO 8601 / RFC 3339: with an offset (or Z) it is
// converted to UTC exactly; without, it is read in loc. A space may stand
// for the T.
func parseISO(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	for _, l := range isoLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is not an ISO 8601 timestamp", s)
}

var errNotEpoch = errors.New("not epoch seconds or milliseconds")

// epochDigits accepts what an epoch value looks like: digits, at most one
// fraction, no sign (logs before 1970 are not epoch numbers).
func epochValue(s string, minDigits, maxDigits int) (float64, error) {
	s = strings.TrimSpace(s)
	whole, _, _ := strings.Cut(s, ".")
	if len(whole) < minDigits || len(whole) > maxDigits {
		return 0, errNotEpoch
	}
	for _, r := range whole {
		if r < '0' || r > '9' {
			return 0, errNotEpoch
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, errNotEpoch
	}
	return f, nil
}

// Epoch seconds have 9 to 11 digits (1973 to 5138), milliseconds 12 to 14.
func parseEpochS(s string, _ *time.Location) (time.Time, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if _, err := epochValue(s, 9, 11); err != nil {
		return time.Time{}, err
	}
	sec, _ := strconv.ParseInt(whole, 10, 64)
	ns := int64(0)
	if frac != "" {
		if len(frac) > 9 {
			frac = frac[:9]
		}
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 9-len(frac)), 10, 64)
		if err != nil {
			return time.Time{}, errNotEpoch
		}
		ns = f
	}
	return time.Unix(sec, ns).UTC(), nil
}

func parseEpochMS(s string, _ *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, ".") {
		return time.Time{}, errNotEpoch
	}
	if _, err := epochValue(s, 12, 14); err != nil {
		return time.Time{}, err
	}
	ms, _ := strconv.ParseInt(s, 10, 64)
	return time.UnixMilli(ms).UTC(), nil
}

// sampleValue is a timestamp of the sample and where it is.
type sampleValue struct {
	value string
	pos   Position
}

// detectLayout picks the layout that parses the most sample values; the
// earliest in candidates wins a tie, except that a day-first and a
// month-first layout tied at the top is ErrAmbiguousLayout. Values no
// layout parses become bad rows when read.
func detectLayout(sample []sampleValue, loc *time.Location) (timeParser, error) {
	if len(sample) == 0 {
		return parserFor(LayoutISO8601), nil
	}
	best, bestN := -1, 0
	tied := []int{}
	for i, c := range candidates {
		n := 0
		for _, v := range sample {
			if _, err := c.parse(v.value, loc); err == nil {
				n++
			}
		}
		switch {
		case n > bestN:
			best, bestN, tied = i, n, []int{i}
		case n == bestN && n > 0:
			tied = append(tied, i)
		}
	}
	if best < 0 {
		return timeParser{}, fmt.Errorf("eventlog: %w: no known layout fits %q (%s); set the timestamp layout", ErrUnknownLayout, sample[0].value, sample[0].pos)
	}
	var dmy, mdy string
	for _, i := range tied {
		switch candidates[i].order {
		case "dmy":
			if dmy == "" {
				dmy = candidates[i].name
			}
		case "mdy":
			if mdy == "" {
				mdy = candidates[i].name
			}
		}
	}
	if dmy != "" && mdy != "" && candidates[best].order != "" {
		return timeParser{}, fmt.Errorf("eventlog: %w: timestamps such as %q fit both day first (%q) and month first (%q); set the timestamp layout",
			ErrAmbiguousLayout, sample[0].value, dmy, mdy)
	}
	return candidates[best], nil
}
