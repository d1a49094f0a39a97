package flow

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLoadLargeDocumentsStayFast feeds documents close to MaxSourceSize
// that maximise the work of each check.
func TestLoadLargeDocumentsStayFast(t *testing.T) {
	if testing.Short() {
		t.Skip("large documents")
	}
	gen := map[string]func(i int) string{
		"unknown targets": func(i int) string { return fmt.Sprintf("- {id: s%d, kind: auto, activity: x, next: t%d}\n", i, i) },
		"long chain": func(i int) string {
			return fmt.Sprintf("- {id: s%d, kind: auto, activity: notify, next: s%d}\n", i, i+1)
		},
		"distinct rules": func(i int) string {
			return fmt.Sprintf("- {id: s%d, kind: decision, rules: [{when: 'attributes.a > %d', next: s%d}], default: s0}\n", i, i, i+1)
		},
		"unknown fields": func(i int) string { return fmt.Sprintf("- {id: s%d, kindd: end, nxt: a, outcome: b}\n", i) },
	}
	for name, g := range gen {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString("key: big\nversion: 1\nsteps:\n")
			for i := 0; b.Len() < MaxSourceSize-200; i++ {
				b.WriteString(g(i))
			}
			start := time.Now()
			d, diags := Load([]byte(b.String()), ValidateOptions{})
			require.Nil(t, d)
			require.True(t, diags.HasErrors())
			require.LessOrEqual(t, len(diags), MaxDiagnostics+1)
			require.Less(t, time.Since(start), 20*time.Second)
			t.Logf("%s: %d diagnostics in %v", name, len(diags), time.Since(start))
		})
	}
}

// TestLoadLargeCalendarsStayFast feeds documents close to MaxSourceSize
// that maximise the work of the calendar checks.
func TestLoadLargeCalendarsStayFast(t *testing.T) {
	if testing.Short() {
		t.Skip("large documents")
	}
	head := "key: big\nversion: 1\nsteps: [{id: closed, kind: end}]\n"
	gen := map[string]struct {
		start string
		item  func(i int) string
	}{
		"distinct unknown time zones": {"calendars:\n", func(i int) string {
			return fmt.Sprintf("- {id: c%d, timezone: Nowhere/Zone%d, hours: {mon: 09:00-17:00}}\n", i, i)
		}},
		"unknown calendars": {"calendar: c1\ncalendars: [{id: c1, timezone: UTC, hours: {mon: 09:00-17:00}}]\nsteps:\n", func(i int) string {
			return fmt.Sprintf("- {id: s%d, kind: end, calendar: x%d}\n", i, i)
		}},
		"many ranges": {"calendar: c\ncalendars:\n- id: c\n  timezone: UTC\n  hours:\n    mon: \"", func(i int) string {
			return fmt.Sprintf("%02d:%02d-%02d:%02d, ", i%24, i%60, i%24, i%60)
		}},
		"many holidays": {"calendar: c\ncalendars:\n- id: c\n  timezone: UTC\n  hours: {mon: 09:00-17:00}\n  holidays:\n", func(i int) string {
			return "  - " + time.Date(1000, 1, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly) + "\n"
		}},
	}
	for name, g := range gen {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			var b strings.Builder
			b.WriteString(head)
			if strings.HasSuffix(g.start, "steps:\n") {
				b.Reset()
				b.WriteString("key: big\nversion: 1\n")
			}
			b.WriteString(g.start)
			for i := 0; b.Len() < MaxSourceSize-200; i++ {
				b.WriteString(g.item(i))
			}
			if strings.HasSuffix(g.start, "\"") {
				b.WriteString("\"\n")
			}
			src := []byte(b.String())
			start := time.Now()
			_, diags := Load(src, ValidateOptions{})
			require.LessOrEqual(t, len(diags), MaxDiagnostics+1)
			require.Less(t, time.Since(start), 20*time.Second)
			t.Logf("%s: %d diagnostics in %v", name, len(diags), time.Since(start))
			if pd, _ := Parse(src); pd != nil && len(pd.Calendars) > 0 {
				// The arithmetic on such a calendar stays fast too.
				c := &pd.Calendars[0]
				t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				start = time.Now()
				c.Add(t0, 100*time.Hour)
				c.Between(t0, t0.AddDate(1, 0, 0))
				require.Less(t, time.Since(start), 5*time.Second)
				t.Logf("%s: Add and Between in %v", name, time.Since(start))
			}
		})
	}
}

// TestUnreadableDocumentsHaveBoundedDiagnostics: a document Parse cannot
// read reports each alias, but no more than MaxDiagnostics of them.
func TestUnreadableDocumentsHaveBoundedDiagnostics(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("key: x\nx0: &x0 {a: 1}\n")
	for i := 1; i < 5000; i++ {
		fmt.Fprintf(&b, "x%d: &x%d {a: *x%d}\n", i, i, i-1)
	}
	d, diags := Parse([]byte(b.String()))
	require.Nil(t, d)
	require.Len(t, diags, MaxDiagnostics+1)
	require.Equal(t, "alias", diags[0].Code)
	require.Equal(t, 3, diags[0].Line)
	last := diags[len(diags)-1]
	require.Equal(t, "too-many", last.Code)
	require.Equal(t, "3999 more problems not shown; fix the ones above first", last.Message)
}
