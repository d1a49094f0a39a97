package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// The before-and-after page: the log's "Record" and "Investigate" beside
// complaint v1's spans, matched by name; a step that waits less is marked
// in words; a wrong mapping line is said in words.
func TestUILogCompare(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	for i := range 12 {
		id := fmt.Sprintf("k-%02d", i)
		created := t0.Add(time.Duration(i) * time.Hour)
		_, _, err := e.st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: "c", Channel: "phone",
			Status: store.CaseActive, WorkflowID: "complaint-" + id, At: created})
		require.NoError(t, err)
		at := created
		for seq, step := range []string{"record", "investigate"} {
			claimed := at.Add(time.Duration(5+i) * time.Minute)
			done := claimed.Add(20 * time.Minute)
			require.NoError(t, e.st.RecordSpan(ctx, store.Span{CaseID: id, Seq: seq + 1, Flow: "complaint", Version: 1, Variant: "A", Step: step,
				Kind: "task", Department: "customer_service", EnteredAt: at, ClaimedAt: &claimed, CompletedAt: done, Outcome: "done", Actor: "ann"}))
			at = done
		}
	}
	var b strings.Builder
	b.WriteString("Case ID,Activity,Complete Timestamp\n")
	for i := range 12 {
		fmt.Fprintf(&b, "old-%d,Record,2025-06-%02d 08:00:00\nold-%d,Investigate,2025-06-%02d 15:00:00\nold-%d,Phone back,2025-06-%02d 16:00:00\n", i, i+1, i, i+1, i, i+1)
	}
	loc := e.importLog(t, "olga", "As is", b.String())
	logURL, _, _ := strings.Cut(loc, "?")

	// Without a flow: the form only.
	body := requirePage(t, e.page("ivan", http.MethodGet, logURL+"/compare", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="compare-form"`)
	require.NotContains(t, body, `data-testid="compare-table"`)

	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"/compare?flow=complaint&version=1", nil), http.StatusOK)
	require.Contains(t, body, "Investigate = investigate\nRecord = record", "the proposed mapping fills the form")
	require.Regexp(t, `data-step="investigate" class="better"`, body)
	require.Contains(t, body, "waits less")
	require.Contains(t, body, "7 h 00 min →<br>", "the log waited seven hours before Investigate")
	require.Contains(t, body, "Activities of the log no step replaces: Phone back.")
	require.Contains(t, body, `data-testid="compare-chart"`)

	q := url.Values{"flow": {"complaint"}, "mapping": {"Record = record\nInvestigate investigate"}}
	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"/compare?"+q.Encode(), nil), http.StatusOK)
	require.Contains(t, body, "Line 2 of the mapping should read “activity = step”")
	q.Set("mapping", "Record = nope")
	body = requirePage(t, e.page("ivan", http.MethodGet, logURL+"/compare?"+q.Encode(), nil), http.StatusOK)
	require.Contains(t, body, `has no step &#34;nope&#34;`)

	// Staff may not.
	res := e.page("sam", http.MethodGet, logURL+"/compare?flow=complaint", nil)
	require.Equal(t, http.StatusForbidden, res.Code)
}
