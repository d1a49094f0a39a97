package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/report"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// TestUIReviewPacks: owners open the review form and the document of a
// month: the pack the API answers, rendered by package report with the heat
// map inline, served on its own under a policy that lets it load nothing,
// its numbers the API's; a refused month comes back to the form at its
// field; staff may not; the quarterly document is public by default.
func TestUIReviewPacks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("olga", store.RoleOwner)
	e.Actor("carl", store.RoleStaff, "customer_service")
	servertest.RecordGraphSpans(t, e.st) // complaint v1, March 2025
	march := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	e.SeedCases(
		servertest.SeedCase{ID: "m1", Flow: "complaint", Channel: "phone", Created: march.Add(30 * time.Hour),
			Tasks:  []servertest.SeedTask{{Claim: 40 * time.Second, Done: time.Hour, SLA: 2 * time.Hour}},
			Status: store.CaseCompleted, Closed: 2 * time.Hour, CSAT: ptr(5), RFC: ptr(true)},
		servertest.SeedCase{ID: "m2", Flow: "complaint", Channel: "chat", Created: march.Add(80 * time.Hour), CSAT: ptr(3)},
	)

	form := e.page("olga", http.MethodGet, "/ui/reports", nil)
	require.Equal(t, http.StatusOK, form.Code, form.Body.String())
	body := form.Body.String()
	require.Contains(t, body, `data-testid="monthly-form"`)
	require.Contains(t, body, `<a href="/ui/reports"`, "in the navigation")
	require.Contains(t, body, `<option value="complaint" selected>`)
	require.Equal(t, http.StatusForbidden, e.page("carl", http.MethodGet, "/ui/reports", nil).Code)
	require.Equal(t, http.StatusForbidden, e.page("carl", http.MethodGet, "/ui/reports/monthly?flow=complaint&month=2025-03", nil).Code)
	require.NotContains(t, e.page("carl", http.MethodGet, "/ui/inbox", nil).Body.String(), `href="/ui/reports"`)

	res := e.page("olga", http.MethodGet, "/ui/reports/monthly?flow=complaint&month=2025-03&variant=internal", nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, report.ContentSecurityPolicy(), res.Header().Get("Content-Security-Policy"))
	require.Equal(t, "no-store", res.Header().Get("Cache-Control"))
	doc := res.Body.String()
	require.True(t, strings.HasPrefix(doc, "<!DOCTYPE html>"))
	require.NotContains(t, doc, `data-testid="actor"`, "the document, not a page of the UI")
	require.Contains(t, doc, `data-testid="heat-map-v1"`, "the heat map, drawn by the API")
	for _, bad := range []string{"<script", "<link", "<img", `src="`, `href="/`, `href="http`, "url(", "@import"} {
		require.NotContains(t, strings.ToLower(doc), bad)
	}

	// Its numbers are the API's, for the same month.
	pack := servertest.DecodeStrict[apiv1.ReviewPack](t, e.Do("olga", http.MethodGet, "/api/v1/reports/monthly?flow=complaint&month=2025-03", nil, nil), http.StatusOK)
	rawOf := func(id string) string {
		t.Helper()
		m := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(id) + `" data-raw="([^"]*)"`).FindStringSubmatch(doc)
		require.NotNil(t, m, id)
		return m[1]
	}
	f := func(v *float64) string {
		if v == nil {
			return ""
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	k := pack.Figures.KPIs
	require.Equal(t, strconv.Itoa(k.Cases), rawOf("kpi-cases"))
	require.Equal(t, 2, k.Cases)
	require.Equal(t, f(k.CSAT.Value), rawOf("kpi-csat"))
	require.Equal(t, f(k.FirstResponse.Value), rawOf("kpi-first_response"))
	require.Equal(t, f(k.FCR.Value), rawOf("kpi-fcr"))
	require.Equal(t, f(pack.Figures.ComplaintRate.Value), rawOf("kpi-complaint_rate"))
	require.Equal(t, "", rawOf("kpi-nps"), "no NPS answer: no data")
	require.Len(t, pack.Bottlenecks, 1)
	for _, st := range pack.Bottlenecks[0].Steps {
		require.Equal(t, strconv.FormatFloat(st.Wait.P90, 'g', -1, 64), rawOf("step-wait-p90-v1-"+st.Step), st.Step)
		require.Equal(t, strconv.FormatFloat(st.Share, 'g', -1, 64), rawOf("step-share-v1-"+st.Step), st.Step)
	}

	dl := e.page("olga", http.MethodGet, "/ui/reports/monthly?flow=complaint&month=2025-03&download=1", nil)
	require.Equal(t, http.StatusOK, dl.Code)
	require.Equal(t, `attachment; filename="complaint-2025-03-review.html"`, dl.Header().Get("Content-Disposition"))

	bad := e.page("olga", http.MethodGet, "/ui/reports/monthly?"+url.Values{"flow": {"complaint"}, "month": {"2025-13"}}.Encode(), nil)
	require.Equal(t, http.StatusBadRequest, bad.Code)
	require.Contains(t, bad.Body.String(), `data-field="month"`)
	require.Contains(t, bad.Body.String(), `must be a calendar month like 2026-11 (YYYY-MM), got &#34;2025-13&#34;`)
	require.Contains(t, bad.Body.String(), `value="2025-13"`, "the form keeps what was sent")
	missing := e.page("olga", http.MethodGet, "/ui/reports/monthly?flow=complaynt&month=2025-03", nil)
	require.Equal(t, http.StatusNotFound, missing.Code)
	require.Contains(t, missing.Body.String(), `data-field="flow"`)

	pub := e.page("olga", http.MethodGet, "/ui/reports/quarterly?flow=complaint&quarter=2025-Q1", nil)
	require.Equal(t, http.StatusOK, pub.Code, pub.Body.String())
	require.Contains(t, pub.Body.String(), "For publication to customers")
	require.NotContains(t, pub.Body.String(), `<section id="bottlenecks"`)
}

func TestReportFormDefaults(t *testing.T) {
	now := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	require.Equal(t, "2025-12", lastMonth(now))
	require.Equal(t, []string{"2026-Q1", "2025-Q4", "2025-Q3", "2025-Q2", "2025-Q1", "2024-Q4", "2024-Q3", "2024-Q2"}, quartersUpTo(now))
}

func ptr[T any](v T) *T { return &v }
