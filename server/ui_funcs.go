package server

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strings"
	"time"
)

// uiFuncs are the helpers page templates may call.
func uiFuncs(t *uiTemplates) template.FuncMap {
	return template.FuncMap{
		"static": t.staticURL,
		"join":   strings.Join,
		// dur formats seconds as a short human duration ("1 h 05 min").
		"dur": fmtSeconds,
		// durp formats *float64 seconds; "–" when nil.
		"durp": func(v *float64) string {
			if v == nil {
				return "–"
			}
			return fmtSeconds(*v)
		},
		// pct formats a 0–1 rate as a percentage; "–" when nil.
		"pct": func(v any) string {
			switch x := v.(type) {
			case float64:
				return fmtPct(x)
			case *float64:
				if x == nil {
					return "–"
				}
				return fmtPct(*x)
			}
			return "–"
		},
		// num formats a float with up to 2 decimals; "–" when nil.
		"num": func(v any) string {
			switch x := v.(type) {
			case float64:
				return fmtNum(x)
			case *float64:
				if x == nil {
					return "–"
				}
				return fmtNum(*x)
			case int:
				return fmt.Sprint(x)
			}
			return "–"
		},
		// when formats a time in UTC (the page's script shows it in the
		// browser's zone); "–" for nil or zero.
		"when": func(v any) string {
			t, ok := timeOf(v)
			if !ok {
				return "–"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		// iso formats a time as RFC 3339 for datetime attributes.
		"iso": func(v any) string {
			t, ok := timeOf(v)
			if !ok {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		// q builds a URL: q "/ui/inbox" "department" "technical" ...;
		// empty values are left out.
		"q": func(path string, kv ...string) string {
			v := url.Values{}
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i+1] != "" {
					v.Set(kv[i], kv[i+1])
				}
			}
			if len(v) == 0 {
				return path
			}
			return path + "?" + v.Encode()
		},
		"add": func(a, b int) int { return a + b },
		// dict builds a map for passing several values to a partial.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		"has": func(list []string, s string) bool {
			for _, x := range list {
				if x == s {
					return true
				}
			}
			return false
		},
	}
}

func timeOf(v any) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, !x.IsZero()
	case *time.Time:
		if x == nil || x.IsZero() {
			return time.Time{}, false
		}
		return *x, true
	}
	return time.Time{}, false
}

func fmtPct(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strings.TrimSuffix(strings.TrimSuffix(fmt.Sprintf("%.1f", x*100), "0"), ".") + " %"
}

func fmtNum(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := fmt.Sprintf("%.2f", x)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// fmtSeconds is a short human duration: "45 s", "12 min", "1 h 05 min",
// "2 d 03 h"; negative durations get a minus sign.
func fmtSeconds(sec float64) string {
	if math.IsNaN(sec) || math.IsInf(sec, 0) {
		return "–"
	}
	sign := ""
	if sec < 0 {
		sign, sec = "−", -sec
	}
	s := int64(math.Round(sec))
	switch {
	case s < 60:
		return fmt.Sprintf("%s%d s", sign, s)
	case s < 3600:
		return fmt.Sprintf("%s%d min", sign, (s+30)/60)
	case s < 86400:
		m := (s + 30) / 60
		return fmt.Sprintf("%s%d h %02d min", sign, m/60, m%60)
	default:
		h := (s + 1800) / 3600
		return fmt.Sprintf("%s%d d %02d h", sign, h/24, h%24)
	}
}
