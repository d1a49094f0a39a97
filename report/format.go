package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/readable"
)

// How the document writes numbers: every one with its unit.

// noData is what a value without data reads as: never 0.
const noData = "no data"

// pct writes a rate (0–1) as a percentage with one decimal: "93.2 %".
func pct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return readable.Dash
	}
	s := strconv.FormatFloat(x*100, 'f', 1, 64)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".")
	return s + " %"
}

// points writes a difference of rates in percentage points.
func points(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return readable.Dash
	}
	s := strconv.FormatFloat(x*100, 'f', 1, 64)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "0"), ".")
	if x > 0 {
		s = "+" + s
	}
	return strings.Replace(s, "-", "−", 1) + " pp"
}

// signedPct writes a relative change: "−18.2 %".
func signedPct(x float64) string {
	s := pct(x)
	if x > 0 {
		s = "+" + s
	}
	return strings.Replace(s, "-", "−", 1)
}

// dur writes seconds as a duration with its unit (decision 0024).
func dur(sec float64) string { return readable.Duration(sec) }

// num writes a plain number (decision 0024).
func num(x float64) string { return strings.Replace(readable.Number(x), "-", "−", 1) }

// count writes a whole number with thin spaces between thousands.
func count(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune('\u202f')
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// plural is "1 case", "3 cases".
func plural(n int, one, many string) string {
	if n == 1 {
		return count(n) + " " + one
	}
	return count(n) + " " + many
}

// raw is a value as the JSON has it, for data-raw attributes ("" for
// null).
func raw(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func rawF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// when writes an instant in UTC: "5 February 2027, 09:00 UTC".
func when(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") }

// day writes a date: "5 Feb 2027".
func day(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

// periodTitle names a period for people: "November 2026", "Q4 2026".
func periodTitle(kind string, from time.Time) string {
	if kind == "quarterly" {
		return fmt.Sprintf("Q%d %d", int(from.Month()-1)/3+1, from.Year())
	}
	return from.Format("January 2006")
}

// periodShort names a period on a chart's axis: "Nov 26", "Q4 26".
func periodShort(kind string, from time.Time) string {
	if kind == "quarterly" {
		return fmt.Sprintf("Q%d %02d", int(from.Month()-1)/3+1, from.Year()%100)
	}
	return from.Format("Jan 06")
}

// periodRange writes [from, to) as the days it covers: "1 – 30 November
// 2026 (UTC)".
func periodRange(from, to time.Time) string {
	last := to.Add(-time.Nanosecond).UTC()
	if from.Year() == last.Year() && from.Month() == last.Month() {
		return fmt.Sprintf("%d – %d %s (UTC)", from.Day(), last.Day(), last.Format("January 2006"))
	}
	if from.Year() == last.Year() {
		return fmt.Sprintf("%d %s – %d %s (UTC)", from.Day(), from.Format("January"), last.Day(), last.Format("January 2006"))
	}
	return fmt.Sprintf("%s – %s (UTC)", from.Format("2 January 2006"), last.Format("2 January 2006"))
}
