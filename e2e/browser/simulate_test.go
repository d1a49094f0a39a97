package browser

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// seedSimulationHistory writes four weeks of complaint v1 before today
// (servertest.SeedSimHistory).
func seedSimulationHistory(t *testing.T, st store.Store) {
	servertest.SeedSimHistory(t, st, time.Now().UTC().Truncate(24*time.Hour), "b000", "Simulation history")
}

// durationText is a duration as the pages write it ("2 h 36 min", "45 s").
var durationText = regexp.MustCompile(`\d+(\.\d+)? (ms|s|min|h|d)\b`)

// testSimulateAChange: the improver goes from the complaint flow's page to
// "Simulate a change", adds a staffing row, is refused at the field for
// too few days, asks for one more technical engineer 09–17 on weekdays,
// and the simulation runs on the real worker (the Simulation workflow)
// until the page shows the comparison: the summary in words, both sides
// in every chart, and the table with units and intervals; at 1366 px
// nothing overflows.
func (e *env) testSimulateAChange(t *testing.T) {
	seedSimulationHistory(t, e.st)
	s := e.newSessionWithin(t, improver, 3*time.Minute)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.True(t, s.has(`header nav a[href="/ui/simulations"]`), "improvers have Simulations in the nav")
	require.Equal(t, int64(http.StatusOK), s.open("/ui/flows/complaint"))
	require.Equal(t, int64(http.StatusOK), s.submit("simulate a change", chromedp.Click(chromedp.CSS(`[data-testid="simulate-link"]`))))
	require.Equal(t, "/ui/simulations?flow=complaint", s.path())
	require.Equal(t, "complaint", eval[string](s, `document.getElementById("sim-flow").value`))

	s.do("one more engineer", chromedp.SetValue(chromedp.ID("staff_department_0"), "technical"))
	require.Equal(t, int64(http.StatusOK), s.submit("add a row", chromedp.Click(chromedp.CSS(`[data-testid="sim-add-row"]`))))
	require.Equal(t, 2, eval[int](s, `document.querySelectorAll('[data-testid="sim-staff-row"]').length`))
	require.Equal(t, "technical", eval[string](s, `document.getElementById("staff_department_0").value`), "the first row is kept")
	require.Equal(t, "", eval[string](s, `document.getElementById("staff_department_1").value`), "a new row chooses no department")

	s.do("too few days", chromedp.SetValue(chromedp.ID("sim-days"), "3"), chromedp.SetValue(chromedp.ID("sim-replications"), "6"))
	require.Equal(t, int64(http.StatusUnprocessableEntity), s.submit("simulate", chromedp.Click(chromedp.CSS(`[data-testid="sim-start"]`))))
	require.Equal(t, "3: simulate 7 to 366 days.", s.text("#days-error"))
	require.Equal(t, "true", eval[string](s, `document.getElementById("sim-days").getAttribute("aria-invalid")`))
	require.Equal(t, "technical", eval[string](s, `document.getElementById("staff_department_0").value`), "what was chosen is kept")
	s.shotAt("01-refused-at-the-field", laptop)

	s.do("two weeks", chromedp.SetValue(chromedp.ID("sim-days"), "14"))
	require.Equal(t, int64(http.StatusOK), s.submit("simulate", chromedp.Click(chromedp.CSS(`[data-testid="sim-start"]`))))
	here := s.path()
	require.True(t, strings.HasPrefix(here, "/ui/simulations/"), here)
	require.Contains(t, s.text(`[data-testid="flash"]`), "Simulation started: ")
	if s.text(`[data-testid="sim-status"]`) == "running" {
		require.True(t, s.has(`meta[http-equiv="refresh"]`), "a running simulation's page reloads itself")
		require.True(t, s.has(`[data-testid="sim-progress-bar"]`))
		s.shotAt("02-running", laptop)
	}
	deadline := time.Now().Add(60 * time.Second)
	for s.text(`[data-testid="sim-status"]`) == "running" {
		require.True(t, time.Now().Before(deadline), "the simulation did not finish: %s", s.text(`[data-testid="sim-progress"]`))
		time.Sleep(500 * time.Millisecond)
		require.Equal(t, int64(http.StatusOK), s.open(here))
	}
	require.Equal(t, "succeeded", s.text(`[data-testid="sim-status"]`))
	require.False(t, s.has(`meta[http-equiv="refresh"]`), "done: the page stays")

	summary := s.text(`[data-testid="sim-summary-text"]`)
	require.Regexp(t, `^One more person in Technical 09–17 on weekdays (shortens|lengthens|changes) the median cycle time by [−+]?[\d.]+ %? ?\(95 % interval `, summary)
	require.Regexp(t, durationText, summary, "with the cycle times of both sides")
	require.Regexp(t, `^complaint v\d+, staffing as observed$`, s.text(`[data-testid="sim-current-label"]`))
	require.Regexp(t, `^complaint v\d+, \+1 in technical 09–17`, s.text(`[data-testid="sim-proposed-label"]`))
	require.Regexp(t, `^\d+ cases \([\d.]+ a day\), \d+ step visits$`, s.text(`[data-testid="sim-history"]`))
	for _, chart := range []string{"sim-cycle", "sim-waits", "sim-util"} {
		for _, side := range []string{"cur", "prop"} {
			require.True(t, s.has(`[data-testid="`+chart+`"] svg .`+side), "%s draws the %s side", chart, side)
		}
		require.Contains(t, s.text(`[data-testid="`+chart+`"] ul.legend`), "Current: complaint v")
		require.Contains(t, s.text(`[data-testid="`+chart+`"] ul.legend`), "Proposed: complaint v")
	}
	require.True(t, s.has(`[data-testid="sim-backlog"] svg path.cur`) && s.has(`[data-testid="sim-backlog"] svg path.prop`), "two backlog lines")
	require.Contains(t, eval[string](s, `document.querySelector('[data-testid="sim-cycle"] svg text.axis-title').textContent`), "cycle time (")
	// The table: both sides with numbers, units and intervals.
	median := eval[[]string](s, `Array.from(Array.from(document.querySelectorAll('[data-testid="sim-figure"]')).find(r => r.querySelector("th").textContent.trim() === "Median").querySelectorAll("td"), td => td.innerText)`)
	require.Len(t, median, 3)
	for i, side := range []string{"current", "proposed"} {
		require.Regexp(t, durationText, median[i], "the %s median has its unit", side)
		require.Contains(t, median[i], "95 %: ", "and its interval")
	}
	require.Regexp(t, `[−+]?[\d.]+ %`, median[2], "the change")
	util := eval[[]string](s, `Array.from(Array.from(document.querySelectorAll('[data-testid="sim-figure"]')).find(r => r.querySelector("th").textContent.trim() === "Utilisation of Technical").querySelectorAll("td"), td => td.innerText)`)
	require.Regexp(t, `^[\d.]+ %\n95 %: [\d.]+ %–[\d.]+ %$`, util[0])
	require.Regexp(t, `^[\d.]+ %\n95 %: [\d.]+ %–[\d.]+ %$`, util[1])
	require.True(t, s.has(`[data-testid="sim-note"]`), "the assumptions")
	s.shotAt("03-comparison", laptop, desktop)
	require.Empty(t, s.consoleProblems())

	require.Equal(t, int64(http.StatusOK), s.submit("back to the list", chromedp.Click(chromedp.CSS(`.crumbs a[href="/ui/simulations"]`))))
	id, _, _ := strings.Cut(strings.TrimPrefix(here, "/ui/simulations/"), "?")
	require.True(t, s.has(`tr[data-testid="sim-row"][data-id="`+id+`"][data-status="succeeded"]`))
	s.shotAt("04-list", laptop)
}
