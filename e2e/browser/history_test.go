package browser

import (
	"context"
	"net/http"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// hourScale matches a duration written in minutes, hours or days (not
// seconds or milliseconds).
var hourScale = regexp.MustCompile(`^\d+ (min|h \d\d min|d \d\d h)$`)

// testDemoHistory: flowlab demo --history's fill (the route it calls)
// gives the KPI page, the complaint flow's heat map and its trend 13
// weeks of data with hour-scale durations; a simulated case says so.
func (e *env) testDemoHistory(t *testing.T) {
	ctx := context.Background()
	c := e.client(t, admin)
	start := time.Now()
	_, err := c.StartDemoHistory(ctx, apiv1.DemoHistoryRequest{Days: 90, Seed: 3})
	require.NoError(t, err)
	var j *apiv1.DemoHistoryJob
	require.Eventually(t, func() bool {
		j, err = c.GetDemoHistory(ctx)
		return err == nil && j.Status != apiv1.HistoryRunning
	}, 10*time.Minute, time.Second)
	require.Equal(t, apiv1.HistoryDone, j.Status, j.Error)
	t.Logf("90 days of history: %d cases, %d tasks, %d with feedback, pilot %s, in %s", j.Cases, j.Tasks, j.Feedback, j.PilotID, time.Since(start).Round(time.Second))
	from, to := j.From.Format(time.DateOnly), j.To.Format(time.DateOnly)

	s := e.newSession(t, owner)
	require.Equal(t, int64(http.StatusOK), s.signIn())

	// The KPI page: a row per ISO week, 13 of them with cases, and
	// the first response time in minutes or hours.
	require.Equal(t, int64(http.StatusOK), s.open("/ui/kpis?from="+from+"&to="+to))
	weeks := eval[int](s, `[...document.querySelectorAll('[data-testid="kpi-week-row"]')].filter(r => +r.querySelector('td').textContent > 0).length`)
	require.GreaterOrEqual(t, weeks, 13, "13 ISO weeks with cases on the KPI page")
	s.waitJS("the KPI charts load", `[...document.querySelectorAll('[data-testid="kpi-chart"]')].every(i => i.complete && i.naturalWidth > 0)`, 20*time.Second)
	s.shot("01-kpis")

	// The complaint flow: the heat map of waiting, the step table in
	// hours, technical's investigation the longest wait, the trend.
	require.Equal(t, int64(http.StatusOK), s.open("/ui/flows/complaint?version=1&heat=wait_p90&from="+from+"&to="+to))
	img := `document.querySelector('[data-testid="heatmap"]') || document.querySelector('figure.chart img')`
	s.waitJS("the heat map loads", `(() => { const i = `+img+`; return i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second)
	require.True(t, s.has(`[data-testid="legend"]`), "the heat map has a legend")
	cell := func(step string, col int) (string, float64) {
		q := `document.querySelectorAll('[data-testid="step-row"][data-step="` + step + `"] td')[` + string(rune('0'+col)) + `]`
		return eval[string](s, q+`.textContent.trim()`), eval[float64](s, `+`+q+`.dataset.value`)
	}
	waitText, wait := cell("investigate", 2)
	workText, work := cell("investigate", 5)
	t.Logf("investigate: waiting p50 %s, working p50 %s", waitText, workText)
	// Investigations wait minutes at the median: those left 4 h are
	// escalated to the supervisor (decision 0044), whose queue is the
	// longest.
	require.Regexp(t, `^\d+ min( \d+ s)?$|`+hourScale.String(), waitText)
	require.Regexp(t, hourScale, workText)
	require.Greater(t, wait, 120.0, "engineers are short: investigations wait")
	require.Greater(t, work, 600.0, "an investigation takes more than minutes")
	_, recordWait := cell("record", 2)
	require.Greater(t, wait, recordWait, "technical waits longer than customer service")
	s.shotAt("02-flow-heatmap", laptop)

	trendWeeks := eval[int](s, `[...document.querySelectorAll('[data-testid="trend-week"]')].filter(r => +r.querySelectorAll('td')[1].dataset.value > 0).length`)
	require.GreaterOrEqual(t, trendWeeks, 13, "13 ISO weeks in the trend")
	medians := eval[[]string](s, `[...document.querySelectorAll('[data-testid="trend-week"]')].filter(r => +r.querySelectorAll('td')[1].dataset.value > 0).map(r => r.querySelectorAll('td')[2].textContent.trim())`)
	for _, m := range medians {
		require.Regexp(t, hourScale, m, "weekly median cycle times are hours")
	}
	s.waitJS("the trend chart loads", `(() => { const i = document.querySelector('[data-testid="trend-chart"]'); return i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second)
	s.do("scroll to the trend", chromedp.ScrollIntoView(chromedp.CSS(`[data-testid="trend"]`)))
	sctx, cancel := s.step()
	png, err := chromedp.Run(sctx, chromedp.Screenshot(chromedp.CSS(`[data-testid="trend"]`)))
	cancel()
	require.NoError(t, err, "screenshot of the trend")
	p := s.artifactPath("03-flow-trend", "png")
	require.NoError(t, os.WriteFile(p, png, 0o644))
	t.Logf("screenshot: %s", p)

	// A simulated case says so.
	cs, err := c.ListCases(ctx, apiv1.ListCasesParams{Flow: "complaint", Customer: "sim-complaint-00001", Limit: 1})
	require.NoError(t, err)
	require.NotEmpty(t, cs.Cases)
	require.Equal(t, int64(http.StatusOK), s.open("/ui/cases/"+cs.Cases[0].ID))
	require.True(t, s.has(`[data-testid="case-simulated"]`), "the case page says the case is simulated")
	s.shot("04-simulated-case")

}
