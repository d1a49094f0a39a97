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
