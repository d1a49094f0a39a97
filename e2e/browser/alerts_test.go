package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testAlerts: the owner writes an alert rule on the alerts page, a busy
// hour of late investigations makes it fire (evaluated now by its Temporal
// schedule), the technical agent sees the banner on their inbox, and the
// rule's page shows its history.
func (e *env) testAlerts(t *testing.T) {
	own := e.newSessionWithin(t, owner, 3*time.Minute)
	require.Equal(t, int64(http.StatusOK), own.signIn())
	require.Equal(t, int64(http.StatusOK), own.submit("open Alerts", chromedp.Click(chromedp.CSS(`header a[href="/ui/alerts"]`))))
	require.Equal(t, "/ui/alerts", own.path())
	own.do("write the rule",
		chromedp.SendKeys(chromedp.ID("a-name"), "Technical breaches"),
		chromedp.SetValue(chromedp.ID("a-metric"), "sla_breach_rate"),
		chromedp.SendKeys(chromedp.ID("a-flow"), "complaint"),
		chromedp.SendKeys(chromedp.ID("a-department"), "technical"),
		chromedp.SetValue(chromedp.ID("a-op"), "above"),
		chromedp.SendKeys(chromedp.ID("a-value"), "20 %"))
	own.shotAt("01-new-rule", laptop)
	require.Equal(t, int64(http.StatusOK), own.submit("save the rule", chromedp.Click(chromedp.CSS(`[data-testid="alert-save"]`))))
	require.True(t, strings.HasPrefix(own.path(), "/ui/alerts/"), own.path())
	require.Contains(t, own.text(`[data-testid="flash"]`), `Rule "Technical breaches" saved`)
	require.Equal(t, "ok", own.text(`[data-testid="alert-state"]`))

	// A busy hour: 12 technical investigations completed in the last minutes, 9 past
	// their SLA.
	at := time.Now().UTC()
	for i := range 12 {
		done := at.Add(-time.Duration(i+1) * 10 * time.Second)
		entered := done.Add(-90 * time.Minute)
		due := entered.Add(2 * time.Hour)
		if i < 9 {
			due = entered.Add(time.Hour)
		}
		require.NoError(t, e.st.RecordSpan(t.Context(), store.Span{CaseID: fmt.Sprint("browser-alert-", i), Seq: 1, Flow: "complaint", Version: 1,
			Step: "investigate", Kind: "task", Department: "technical", EnteredAt: entered, CompletedAt: done, SLADue: &due, Breached: i < 9}))
	}
	require.Equal(t, int64(http.StatusOK), own.submit("evaluate now", chromedp.Click(chromedp.CSS(`[data-testid="alert-evaluate"]`))))
	require.Contains(t, own.text(`[data-testid="flash"]`), "Evaluation started")
	here := own.path()
	deadline := time.Now().Add(30 * time.Second)
	for own.text(`[data-testid="alert-state"]`) != "firing" {
		require.True(t, time.Now().Before(deadline), "the rule did not fire: %s", own.text(`[data-testid="alert-last"]`))
		time.Sleep(300 * time.Millisecond)
		require.Equal(t, int64(http.StatusOK), own.open(here))
	}
	// The department's tasks the earlier scenarios completed count too.
	require.Regexp(t, `\d+\.\d % is above 20\.0 % \(n = \d+\)`, own.text(`[data-testid="alert-last"]`))
	require.True(t, own.has(`tr[data-testid="alert-event"][data-to="firing"]`))
	own.shotAt("02-rule-firing", laptop, tabletPortrait)

	tech := e.newSessionWithin(t, techAgent, 2*time.Minute)
	require.Equal(t, int64(http.StatusOK), tech.signIn())
	require.Equal(t, "/ui/inbox", tech.path())
	require.True(t, tech.has(`[data-testid="alert-banner"]`), "the banner on the technical agent's inbox")
	require.Contains(t, tech.text(`[data-testid="alert-firing"]`), "Alert firing: Technical breaches")
	tech.shotAt("03-banner-on-the-inbox", laptop)
	tech.noHorizontalOverflow("03-banner-on-the-inbox")

	// Done with it: the owner acknowledges, the banner goes.
	require.Equal(t, int64(http.StatusOK), own.submit("acknowledge", chromedp.Click(chromedp.CSS(`[data-testid="alert-acknowledge"]`))))
	require.Contains(t, own.text(`[data-testid="flash"]`), "Acknowledged")
	require.Equal(t, int64(http.StatusOK), tech.open("/ui/inbox"))
	require.False(t, tech.has(`[data-testid="alert-banner"]`))
}
