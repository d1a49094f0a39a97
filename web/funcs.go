package web

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/readable"
)

// templateFuncs are the helpers page templates may call.
func templateFuncs(t *templateSet) template.FuncMap {
	return template.FuncMap{
		"static": t.staticURL,
		"join":   strings.Join,
		// name is a department's or an outcome's readable form
		// ("customer_service" → "Customer service", decision 0024); the
		// raw id stays in data- attributes and form values.
		"name": readable.Name,
		// names joins readable forms with commas.
		"names": func(ids []string) string {
			out := make([]string, len(ids))
			for i, id := range ids {
				out[i] = readable.Name(id)
			}
			return strings.Join(out, ", ")
		},
		// seesArms reports whether the actor may see which pilot arm a
		// case is in: agents (staff) work cases blind to the arm, so
		// knowing it cannot change how they treat a case.
		"seesArms": func(a apiv1.Actor) bool { return authz.SeesArms(a.Role) },
		// dur formats seconds as a duration with its unit (decision 0024).
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
		// plural counts with its noun: plural 2 "task" "tasks" is "2 tasks".
		"plural": countNoun,
		// times counts repeats: "once", "twice", "3 times".
		"times": func(n int) string {
			switch n {
			case 1:
				return "once"
			case 2:
				return "twice"
			}
			return fmt.Sprintf("%d times", n)
		},
		// shortid abbreviates a long id ("5e4d3c2b…").
		"shortid": shortID,
		// availabilities are a person's states, in the controls' order.
		"availabilities": func() []string { return availabilities },
		// bellEvery is how often, in seconds, the bell asks for the count.
		"bellEvery": func() int { return bellEvery },
		// dict builds a map for passing several values to a partial.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
		// whereOf says a role and its departments: "staff of Technical".
		"whereOf": whereText,
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

// fmtNum is readable.Number: at most two decimals (decision 0024).
func fmtNum(x float64) string { return readable.Number(x) }

// fmtSeconds is readable.Duration, the one display definition of a
// duration (decision 0024): "350 ms", "3.5 s", "2 min 05 s", "1 h 05 min".
func fmtSeconds(sec float64) string { return readable.Duration(sec) }
