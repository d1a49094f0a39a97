// Package readable formats numbers and identifiers for people: the one
// definition of how a duration or a raw id reads in the web UI and in the
// CLI's tables (decision 0024). It imports nothing of flowlab's.
package readable

import (
	"fmt"
	"math"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Dash stands for a value that is missing or not a number.
const Dash = "–"

// Duration formats a duration given in seconds with a unit and a
// precision that suits its size (decision 0024):
//
//	0                    "0 s"
//	under 0.1 ms         "< 0.1 ms"
//	under 10 ms          "4.2 ms"      (0.1 ms steps)
//	under 1 s            "350 ms"      (1 ms steps)
//	under 10 s           "3.5 s"       (0.1 s steps)
//	under 1 min          "45 s"
//	under 10 min         "2 min 05 s"
//	under 1 h            "12 min"
//	under 1 d            "1 h 05 min"
//	from 1 d             "2 d 03 h"
//
// Each value is rounded at its band's precision first, and a value that
// rounds up to the next band's lower bound is written in that band (59.7 s
// is "1 min 00 s", never "60 s"). Negative durations get a minus sign;
// NaN and infinities are Dash.
func Duration(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return Dash
	}
	if sec == 0 {
		return "0 s"
	}
	sign := ""
	if sec < 0 {
		sign, sec = "−", -sec
	}
	return sign + positiveDuration(sec)
}

func positiveDuration(sec float64) string {
	if tenths := math.Round(sec * 1e4); tenths < 100 { // 0.1 ms steps
		if tenths == 0 {
			return "< 0.1 ms"
		}
		return fmt.Sprintf("%.1f ms", tenths/10)
	}
	if ms := math.Round(sec * 1e3); ms < 1000 {
		return fmt.Sprintf("%d ms", int64(ms))
	}
	if ds := math.Round(sec * 10); ds < 100 {
		return fmt.Sprintf("%.1f s", ds/10)
	}
	if s := math.Round(sec); s < 60 {
		return fmt.Sprintf("%d s", int64(s))
	} else if s < 600 {
		return fmt.Sprintf("%d min %02d s", int64(s)/60, int64(s)%60)
	}
	if m := math.Round(sec / 60); m < 60 {
		return fmt.Sprintf("%d min", int64(m))
	} else if m < 24*60 {
		return fmt.Sprintf("%d h %02d min", int64(m)/60, int64(m)%60)
	}
	h := int64(math.Round(sec / 3600))
	return fmt.Sprintf("%d d %02d h", h/24, h%24)
}

// Number formats a plain number (decision 0024): a whole number as is
// ("12", "86400"); from 1 on, at most two decimals ("3.57", "1234.5");
// below 1, three significant digits ("0.35", "0.00417"), at most six
// decimals. Trailing zeros go; NaN and infinities are Dash.
func Number(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return Dash
	}
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%d", int64(x))
	}
	decimals := 2
	if ax := math.Abs(x); ax < 1 {
		decimals = min(6, 2-int(math.Floor(math.Log10(ax))))
	}
	s := fmt.Sprintf("%.*f", decimals, x)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// Name is the readable form of an identifier a flow uses for a department
// or an outcome when the flow gives it no name of its own: underscores and
// hyphens become spaces and the first letter is upper case
// ("customer_service" → "Customer service", "needs_technical" → "Needs
// technical"). The rest keeps its case, so "VIP_desk" stays "VIP desk".
func Name(id string) string {
	s := strings.TrimSpace(strings.Map(func(r rune) rune {
		if r == '_' || r == '-' {
			return ' '
		}
		return r
	}, id))
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return id
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}
