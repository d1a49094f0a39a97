package browser

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// requestLog records the URL of every request a tab sends.
type requestLog struct {
	mu   sync.Mutex
	urls []string
}

func (l *requestLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.urls
	l.urls = nil
	return out
}

// watchRequests starts recording the tab's requests.
func (s *session) watchRequests() *requestLog {
	l := &requestLog{}
	events := chromedp.Events(s.ctx, network.RequestWillBeSent)
	go func() {
		for ev, err := range events {
			if err != nil {
				return
			}
			l.mu.Lock()
			l.urls = append(l.urls, ev.Request.URL)
			l.mu.Unlock()
		}
	}()
	return l
}

// testReviewPack: the owner asks the web UI for the complaint flow's
// review pack of this month: one document, loaded with no other request
// and no console error, whose numbers are the API's for the same month;
// it prints through Chromium to a PDF of several pages (saved beside the
// screenshots). The public quarterly edition leaves out the internal
// sections.
func (e *env) testReviewPack(t *testing.T) {
	// Complaints of this month, worked to their end (besides the earlier
	// scenarios' cases and alerts, when they ran).
	for i := range 2 {
		c := e.startCase(t, "C-browser-review-"+strconv.Itoa(i))
		e.runCaseToEnd(t, c.ID)
	}
	s := e.newSessionWithin(t, owner, 3*time.Minute)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, int64(http.StatusOK), s.submit("open Reports", chromedp.Click(chromedp.CSS(`header a[href="/ui/reports"]`))))
	require.Equal(t, "/ui/reports", s.path())
	month := time.Now().UTC().Format("2006-01")
	s.do("ask for this month", chromedp.SetValue(chromedp.ID("m-month"), month), chromedp.SetValue(chromedp.ID("m-flow"), "complaint"))
	s.shotAt("01-form", laptop)

	requests := s.watchRequests()
	require.Equal(t, int64(http.StatusOK), s.submit("open the document", chromedp.Click(chromedp.CSS(`[data-testid="monthly-open"]`))))
	require.True(t, strings.HasPrefix(s.path(), "/ui/reports/monthly?"), s.path())
	require.Contains(t, s.path(), "month="+month)
	// Everything has loaded; then no request but the document's went out,
	// and none left the server (a favicon is the browser's own).
	_ = eval[bool](s, `new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`)
	time.Sleep(300 * time.Millisecond)
	for _, u := range requests.take() {
		require.True(t, strings.HasPrefix(u, e.url+"/"), "a request left the server: %s", u)
		path := strings.TrimPrefix(u, e.url)
		require.True(t, strings.HasPrefix(path, "/ui/reports/monthly?") || path == "/favicon.ico", "the document loads nothing: %s", u)
	}
	require.Empty(t, s.consoleProblems(), "no console error, no refused load")
	require.Equal(t, 0, eval[int](s, `document.querySelectorAll("script, link, img, iframe, object, embed").length`))
	require.Equal(t, "internal", eval[string](s, `document.body.dataset.variant`))

	// The numbers are the API's for the same month.
	pack, err := e.client(t, owner).GetMonthlyReview(t.Context(), apiv1.MonthlyReviewParams{Flow: "complaint", Month: month})
	require.NoError(t, err)
	raw := map[string]string{}
	require.NoError(t, json.Unmarshal(eval[[]byte](s, `(() => { const o = {}; for (const el of document.querySelectorAll("[data-testid][data-raw]")) o[el.dataset.testid] = el.dataset.raw; return o; })()`), &raw))
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	k := pack.Figures.KPIs
	require.Positive(t, k.Cases, "the earlier scenarios' complaints")
	for id, want := range map[string]string{
		"kpi-cases": strconv.Itoa(k.Cases), "kpi-csat": f(k.CSAT.Value), "kpi-nps": f(k.NPS.Value), "kpi-fcr": f(k.FCR.Value),
		"kpi-first_response": f(k.FirstResponse.Value), "kpi-first_response-n": strconv.Itoa(k.FirstResponse.N),
		"kpi-on_time": f(k.OnTime.Value), "kpi-on_time-n": strconv.Itoa(k.OnTime.N), "kpi-complaint_rate": f(pack.Figures.ComplaintRate.Value),
		"cycle-n-5": strconv.Itoa(pack.Figures.CycleTime.N), "cycle-median-5": f(pack.Figures.CycleTime.MedianSeconds),
		"cycle-p90-5": f(pack.Figures.CycleTime.P90Seconds),
	} {
		require.Equal(t, want, raw[id], id)
	}
	require.NotEmpty(t, pack.Bottlenecks, "the complaints went through their steps this month")
	for _, b := range pack.Bottlenecks {
		for _, st := range b.Steps {
			id := "-v" + strconv.Itoa(b.Version) + "-" + st.Step
			require.Equal(t, strconv.Itoa(st.Cases), raw["step-cases"+id], id)
			require.Equal(t, strconv.FormatFloat(st.Wait.P90, 'g', -1, 64), raw["step-wait-p90"+id], id)
			require.Equal(t, strconv.FormatFloat(st.Share, 'g', -1, 64), raw["step-share"+id], id)
		}
	}
	require.GreaterOrEqual(t, eval[int](s, `document.querySelectorAll("figure.graph svg").length`), 1, "a heat map, inline")
	require.NotNil(t, pack.Alerts)
	require.Equal(t, len(pack.Alerts.Fired), eval[int](s, `document.querySelectorAll('section#alerts [data-testid="alert"]').length`),
		"every rule that fired this month (the alert scenario's, when it ran)")
	s.shotAt("02-monthly-document", laptop)

	// Printed through Chromium: a PDF of a page per section.
	yes := true
	pdf, err := chromedp.Call(s.ctx, page.PrintToPDF, page.PrintToPDFParams{PrintBackground: &yes, PreferCSSPageSize: &yes})
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(pdf.Data, []byte("%PDF-")), "a PDF")
	require.Greater(t, len(pdf.Data), 20<<10, "a PDF of some size")
	pages := bytes.Count(pdf.Data, []byte("/Type /Page")) - bytes.Count(pdf.Data, []byte("/Type /Pages"))
	require.GreaterOrEqual(t, pages, 6, "a page per section")
	p := s.artifactPath("03-monthly-document", "pdf")
	require.NoError(t, os.WriteFile(p, pdf.Data, 0o644))
	t.Logf("the review pack printed to %s: %d pages, %d KiB", p, pages, len(pdf.Data)>>10)
	require.Empty(t, s.consoleProblems())

	// The public quarterly edition, straight from its address.
	now := time.Now().UTC()
	quarter := now.Format("2006") + "-Q" + strconv.Itoa(int(now.Month()-1)/3+1)
	require.Equal(t, int64(http.StatusOK), s.open("/ui/reports/quarterly?flow=complaint&quarter="+quarter))
	require.Equal(t, "public", eval[string](s, `document.body.dataset.variant`))
	require.Contains(t, strings.ToLower(s.text(`[data-testid="cover"] .kicker`)), "for publication to customers")
	for _, id := range []string{"bottlenecks", "proposals", "alerts"} {
		require.False(t, s.has("section#"+id), id)
	}
	require.True(t, s.has(`[data-testid="omitted"]`))
	require.Empty(t, s.consoleProblems())
	s.shotAt("04-quarterly-public", laptop)
}
