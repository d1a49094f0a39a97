package browser

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"
)

// logCases is the size of the synthetic helpdesk export (about 1,350
// rows).
const logCases = 300

// writeHelpdeskExport writes a helpdesk's CSV export: every ticket is
// registered, triaged, waits about two days for "Resolve ticket" (the
// bottleneck) and is closed; every fourth is triaged again after asking
// the customer (rework, a second variant).
func writeHelpdeskExport(t *testing.T, path string, cases int) int {
	t.Helper()
	var b strings.Builder
	b.WriteString("Case ID,Activity,Resource,Department,Complete Timestamp\n")
	rows := 0
	t0 := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	for i := range cases {
		at := t0.Add(time.Duration(i) * 23 * time.Minute)
		row := func(act, res, dept string, after time.Duration) {
			at = at.Add(after)
			fmt.Fprintf(&b, "HD-%04d,%s,%s,%s,%s\n", i+1, act, res, dept, at.Format("2006-01-02 15:04:05"))
			rows++
		}
		row("Register ticket", []string{"ann", "ali"}[i%2], "front_office", 0)
		row("Triage", "bob", "front_office", time.Duration(5+i%11)*time.Minute)
		if i%4 == 0 {
			row("Ask customer", "bob", "front_office", 25*time.Minute)
			row("Triage", "bob", "front_office", time.Duration(2+i%3)*time.Hour)
		}
		row("Resolve ticket", []string{"cid", "cat", "cas"}[i%3], "second_line", 40*time.Hour+time.Duration(i%17)*time.Hour)
		row("Close ticket", "ann", "front_office", time.Duration(10+i%20)*time.Minute)
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	return rows
}

// noPageScroll asserts that the page is not wider than the window.
func (s *session) noPageScroll(what string) {
	s.t.Helper()
	require.True(s.t, eval[bool](s, `document.documentElement.scrollWidth <= window.innerWidth`),
		"%s: the page scrolls horizontally at %d px: %s", what, s.size.Width, s.horizontalOverflow())
}

// waitAcrossNavigation waits until a JavaScript expression is truthy in
// the tab, through the navigations the page's script makes meanwhile (an
// evaluation cut off by one is tried again).
func (s *session) waitAcrossNavigation(what, expr string, within time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(within)
	var last error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s (as %s): %s not true within %s (last error: %v)", what, s.who, expr, within, last)
}

// testOwnerImportsLog: a process owner uploads their helpdesk's export,
// previews it (the mapping detected and filled in), imports it with its
// progress shown, and reads the process: the map by frequency and by
// performance, the activities slider, the bottleneck table and the
// variants with their cases. At 1366 px nothing scrolls sideways.
func (e *env) testOwnerImportsLog(t *testing.T) {
	file := filepath.Join(t.TempDir(), "helpdesk-export.csv")
	rows := writeHelpdeskExport(t, file, logCases)
	require.True(t, rows >= 200 && rows <= 2000, "%d rows", rows)

	s := e.newSession(t, owner)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, int64(http.StatusOK), s.open("/ui/logs"))
	require.True(t, s.has(`header nav a[href="/ui/logs"]`), "owners have Logs in the nav")
	s.shot("01-logs")

	status := s.submit("open the upload page", chromedp.Click(chromedp.CSS(`[data-testid="import-log"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, "/ui/logs/new", s.path())
	require.Equal(t, "UTC", eval[string](s, `document.getElementById("f-time_zone").value`), "the time zone defaults to UTC")
	s.do("choose the file", chromedp.SetUploadFiles(chromedp.CSS(`#f-file`), []string{file}))
	s.do("preview", chromedp.Click(chromedp.CSS(`[data-testid="preview-button"]`)))
	s.waitJS("the preview shows", `document.querySelector('#preview [data-testid="preview"]') !== null`, 10*time.Second)
	require.Equal(t, "/ui/logs/new", s.path(), "the script previews in place")
	require.Contains(t, s.text(`[data-testid="preview-format"]`), "CSV")
	mapping := s.text(`[data-testid="preview-mapping"]`)
	for _, want := range []string{"case id: Case ID", "activity: Activity", "time: Complete Timestamp", "resource: Resource", "group: Department"} {
		require.Contains(t, mapping, want)
	}
	require.Contains(t, s.text(`[data-testid="preview-layout"]`), "UTC")
	require.GreaterOrEqual(t, eval[int](s, `document.querySelectorAll('[data-testid="preview-row"]').length`), 5, "the first rows as read")
	// The detected mapping fills the fields.
	for field, want := range map[string]string{"case": "Case ID", "activity": "Activity", "time": "Complete Timestamp", "resource": "Resource", "group": "Department"} {
		require.Equal(t, want, eval[string](s, `document.getElementById("f-`+field+`").value`), "field %s", field)
	}
	s.do("name the log", chromedp.SendKeys(chromedp.CSS(`#f-name`), "Helpdesk March"))
	s.noPageScroll("preview")
	s.shot("02-preview")

	// Import: the page records what its progress display said (in the
	// tab's session storage, which outlives the navigation to the log).
	eval[chromedp.Void](s, `(() => {
		sessionStorage.removeItem("progress");
		const box = document.getElementById("upload-progress");
		const note = () => {
			const seen = JSON.parse(sessionStorage.getItem("progress") || "[]");
			seen.push({shown: !box.hidden, bar: document.getElementById("upload-bar").value, max: document.getElementById("upload-bar").max,
				upload: document.getElementById("upload-status").textContent, import: document.getElementById("import-status").textContent});
			sessionStorage.setItem("progress", JSON.stringify(seen));
		};
		new MutationObserver(note).observe(box, {subtree: true, childList: true, characterData: true, attributes: true});
	})()`)
	s.do("import", chromedp.Click(chromedp.CSS(`[data-testid="import-button"]`)))
	logPage := regexp.MustCompile(`^/ui/logs/[0-9a-f-]{36}\?`)
	s.waitAcrossNavigation("the log's page opens", `/^\/ui\/logs\/[0-9a-f-]{36}$/.test(location.pathname) && document.readyState === "complete"`, 30*time.Second)
	require.Regexp(t, logPage, s.path())
	progress := eval[string](s, `sessionStorage.getItem("progress") || ""`)
	require.Contains(t, progress, `"shown":true`, "the progress display showed")
	require.Regexp(t, `Sent [0-9.]+ KB`, progress, "the bytes sent")
	require.Contains(t, s.text(`.flash`), fmt.Sprintf("Imported Helpdesk March: %d cases, %d events.", logCases, rows))

	// The log: its figures, the map, the bottleneck, the variants.
	require.Equal(t, fmt.Sprint(logCases), s.text(`[data-testid="stat-cases"]`))
	require.Equal(t, fmt.Sprint(rows), s.text(`[data-testid="stat-events"]`))
	require.Equal(t, "2", s.text(`[data-testid="stat-variants"]`))
	require.Regexp(t, `^\d+ d \d+ h$`, s.text(`[data-testid="stat-cycle-p50"]`), "the median cycle time with its units")
	mapLoaded := func(view string) {
		s.waitJS("the "+view+" map loads", `(() => { const i = document.querySelector('[data-testid="log-map"]'); return i && i.dataset.view === "`+view+`" && i.complete && i.naturalWidth > 0; })()`, 15*time.Second)
		svg := eval[string](s, `fetch(document.querySelector('[data-testid="log-map"]').src, {credentials: "same-origin"}).then(r => r.ok && r.headers.get("content-type").startsWith("image/svg+xml") ? r.text() : "HTTP " + r.status)`)
		require.Contains(t, svg, "Resolve ticket", "the %s map names the activities", view)
		require.NotEmpty(t, eval[string](s, `document.querySelector('[data-testid="log-map"]').alt`))
	}
	mapLoaded("frequency")
	require.Equal(t, "5 of 5 activities, 7 of 7 paths shown; activities and paths coloured by how many cases pass.", s.text(`[data-testid="map-counts"]`))
	bottleneck := `[data-testid="activity-row"].bottleneck`
	require.Equal(t, "Resolve ticket", eval[string](s, `document.querySelector('`+bottleneck+`').dataset.activity`))
	require.Contains(t, s.text(bottleneck+` th`), "bottleneck", "the bottleneck in words")
	require.Equal(t, "rgb(253, 232, 230)", eval[string](s, `getComputedStyle(document.querySelector('`+bottleneck+` td')).backgroundColor`), "and in colour")
	require.Contains(t, s.text(`[data-testid="bottleneck-summary"]`), "Resolve ticket")
	require.Equal(t, 2, eval[int](s, `document.querySelectorAll('[data-testid="variant-row"]').length`))
	require.Contains(t, s.text(`[data-testid="variant-row"][data-rank="1"]`), "Register ticket")
	s.noPageScroll("the log")
	s.shot("03-log-frequency")

	// Performance view: the toggle redraws the map.
	status = s.submit("show the performance view", chromedp.Click(chromedp.CSS(`label[for="view-performance"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Contains(t, s.path(), "view=performance")
	mapLoaded("performance")
	require.Contains(t, s.text(`[data-testid="map-counts"]`), "median time")
	s.noPageScroll("the performance map")
	s.shot("04-log-performance")

	// The activities slider, with the keyboard: fewer activities shown.
	status = s.submit("lower the activities slider", chromedp.Focus(chromedp.CSS(`[data-testid="activities-slider"]`)),
		chromedp.KeyEvent(kb.ArrowLeft))
	require.Equal(t, int64(http.StatusOK), status)
	require.Contains(t, s.path(), "activities=95")
	require.Contains(t, s.path(), "view=performance", "the view is kept")
	mapLoaded("performance")
	require.Regexp(t, `^\d of 5 activities`, s.text(`[data-testid="map-counts"]`))

	// A variant's cases.
	status = s.submit("open variant 2's cases", chromedp.Click(chromedp.CSS(`[data-testid="variant-row"][data-rank="2"] [data-testid="variant-cases"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Contains(t, s.path(), "variant=2")
	require.Equal(t, 50, eval[int](s, `document.querySelectorAll('[data-testid="log-case-row"]').length`), "a page of 50 cases")
	require.True(t, s.has(`[data-testid="next-page"]`), "75 cases: a next page")
	s.noPageScroll("the variant's cases")
	s.shot("05-variant-cases")
}
