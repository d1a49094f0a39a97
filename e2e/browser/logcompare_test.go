package browser

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// testOwnerComparesBeforeAndAfter: complaint cases run to the end through
// the real engine; the as-is log, whose activities carry the steps' ids,
// waited hours where the flow waits seconds. The owner opens the log's
// before-and-after page, picks the flow, and reads the changes: every step
// with its activity, investigate marked as waiting less, the chart, no
// horizontal scroll at 1366 px.
func (e *env) testOwnerComparesBeforeAndAfter(t *testing.T) {
	for i := range 2 {
		c := e.startCase(t, "C-browser-compare-"+strconv.Itoa(i))
		e.runCaseToEnd(t, c.ID)
	}
	var b strings.Builder
	b.WriteString("Case ID,Activity,Complete Timestamp\n")
	t0 := time.Date(2025, 5, 5, 8, 0, 0, 0, time.UTC)
	for i := range 30 {
		at := t0.Add(time.Duration(i) * 3 * time.Hour)
		for j, act := range []string{"record", "investigate", "feedback", "review", "notify_customer"} {
			at = at.Add(time.Duration(2+j+i%5) * time.Hour)
			fmt.Fprintf(&b, "old-%d,%s,%s\n", i, act, at.Format("2006-01-02 15:04:05"))
		}
	}
	l, err := e.client(t, owner).ImportLog(context.Background(), apiv1.ImportLogParams{Name: "Complaints 2025", Source: "complaints.csv"},
		bytes.NewReader([]byte(b.String())))
	require.NoError(t, err)

	s := e.newSession(t, owner)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, int64(http.StatusOK), s.open("/ui/logs/"+l.ID))
	status := s.submit("open before and after", chromedp.Click(chromedp.CSS(`[data-testid="compare-link"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	s.do("pick the flow", chromedp.SetValue(chromedp.CSS(`[data-testid="compare-flow"]`), "complaint"))
	status = s.submit("compare", chromedp.Click(chromedp.CSS(`[data-testid="compare-submit"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	// The steps the flow's cases ran (other subtests run complaint cases too:
	// the route decision and more may be there), each mapped one named.
	for _, step := range []string{"record", "investigate", "feedback", "review", "notify_customer"} {
		require.True(t, s.has(`[data-testid="compare-row"][data-step="`+step+`"]`), step)
		require.Contains(t, s.text(`[data-testid="compare-row"][data-step="`+step+`"]`), step)
	}
	require.Contains(t, s.text(`[data-testid="compare-row"][data-step="investigate"]`), "waits less")
	require.Contains(t, s.text(`[data-testid="compare-cycle"]`), "Median")
	require.True(t, s.has(`[data-testid="compare-chart"]`), "the waiting chart")
	require.Contains(t, eval[string](s, `document.querySelector('[data-testid="compare-mapping"]').value`), "investigate = investigate")
	s.noPageScroll("before and after")
	s.shot("01-before-and-after")
}
