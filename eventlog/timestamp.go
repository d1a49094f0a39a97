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
	// goLayout is the Go layout of a layout that has one.
	goLayout string
	parse    func(s string, loc *time.Location) (time.Time, error)
}

// candidates are the layouts detection tries, in order of preference.
var candidates = buildCandidates()

func buildCandidates() []timeParser {
	c := []timeParser{
		{name: LayoutISO8601, parse: parseISO},
		{name: LayoutEpochS, parse: parseEpochS},
		{name: LayoutEpochMS, parse: parseEpochMS},
		{name: "yyyyMMddHHmmss", goLayout: "20060102150405", parse: goLayout("20060102150405")},
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
				goL := d.layout + clock
				c = append(c, timeParser{name: goToPattern.Replace(goL), order: d.order, goLayout: goL, parse: goLayout(goL)})
			}
		}
	}
	return c
}

// goToPattern names the candidates' Go layouts as patterns, which people
// read more easily and Options.TimeLayout takes back.
var goToPattern = strings.NewReplacer("2006", "yyyy", "15", "HH", "01", "MM", "02", "dd", "04", "mm", "05", "ss", "PM", "a", "T", "'T'", "1", "M", "2", "d", "3", "h")

// parserFor returns the parser of an explicit Options.TimeLayout: a
// keyword, a pattern of letters ("dd/MM/yyyy HH:mm:ss", as spreadsheets
// and Java write it) or a Go layout ("02/01/2006 15:04:05").
func parserFor(layout string) (timeParser, error) {
	switch strings.ToLower(strings.TrimSpace(layout)) {
	case LayoutISO8601, "iso", "rfc3339":
		return timeParser{name: LayoutISO8601, parse: parseISO}, nil
	case LayoutEpochS, "epoch":
		return timeParser{name: LayoutEpochS, parse: parseEpochS}, nil
	case LayoutEpochMS:
		return timeParser{name: LayoutEpochMS, parse: parseEpochMS}, nil
	}
	if isPattern(layout) {
		goL, err := patternToGo(layout)
		if err != nil {
			return timeParser{}, fmt.Errorf("eventlog: timestamp layout %q: %w", layout, err)
		}
		return timeParser{name: layout, parse: goLayout(goL)}, nil
	}
	return timeParser{name: layout, parse: goLayout(layout)}, nil
}

// isPattern tells a letter pattern (no digits, a y, d or H) from a Go
// layout (which always has digits: 2006, 01, 02, 15, ...).
func isPattern(layout string) bool {
	if strings.ContainsAny(layout, "0123456789") {
		return false
	}
	return strings.ContainsAny(layout, "ydH")
}

// patternToGo translates a letter pattern to a Go layout: yyyy yy, M MM
// MMM MMMM, d dd, H HH, h hh, m mm, s ss, S… after a '.' or ',' (the
// fraction), a (AM/PM), X XX XXX and Z (offsets); text in single quotes
// and every other non-letter is literal.
func patternToGo(p string) (string, error) {
	var b strings.Builder
	rs := []rune(p)
	for i := 0; i < len(rs); {
		r := rs[i]
		if r == '\'' {
			j := i + 1
			for j < len(rs) && rs[j] != '\'' {
				j++
			}
			if j == len(rs) {
				return "", errors.New("an unclosed quote")
			}
			b.WriteString(string(rs[i+1 : j]))
			i = j + 1
			continue
		}
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
			i++
			continue
		}
		n := 1
		for i+n < len(rs) && rs[i+n] == r {
			n++
		}
		i += n
		var out string
		switch {
		case r == 'y' && n == 4:
			out = "2006"
		case r == 'y' && n == 2:
			out = "06"
		case r == 'M' && n <= 4:
			out = []string{"1", "01", "Jan", "January"}[n-1]
		case r == 'd' && n <= 2:
			out = []string{"2", "02"}[n-1]
		case r == 'H' && n <= 2:
			out = "15"
		case r == 'h' && n <= 2:
			out = []string{"3", "03"}[n-1]
		case r == 'm' && n <= 2:
			out = []string{"4", "04"}[n-1]
		case r == 's' && n <= 2:
			out = []string{"5", "05"}[n-1]
		case r == 'S' && n <= 9 && (strings.HasSuffix(b.String(), ".") || strings.HasSuffix(b.String(), ",")):
			out = strings.Repeat("0", n)
		case r == 'a' && n == 1:
			out = "PM"
		case r == 'X' && n <= 3:
			out = []string{"Z07", "Z0700", "Z07:00"}[n-1]
		case r == 'Z' && n == 1:
			out = "-0700"
		default:
			return "", fmt.Errorf("%q is not a pattern letter run this reader knows (yyyy MM dd HH mm ss .SSS a XXX)", strings.Repeat(string(r), n))
		}
		b.WriteString(out)
	}
	return b.String(), nil
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

// Epoch seconds have 9 or 10 digits (1973 to 2286), milliseconds 12 or
// 13: longer numbers are not taken for epochs (14 digits are
// yyyyMMddHHmmss).
func parseEpochS(s string, _ *time.Location) (time.Time, error) {
	whole, frac, _ := strings.Cut(strings.TrimSpace(s), ".")
	if _, err := epochValue(s, 9, 10); err != nil {
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
	if _, err := epochValue(s, 12, 13); err != nil {
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
		return timeParser{name: LayoutISO8601, parse: parseISO}, nil
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
