package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// TestReportCommands: report monthly and quarterly against the real API:
// the document is written whole to --file and holds the API's numbers,
// -o json is the API's answer and its figures are the KPI route's, the
// quarterly pack is public unless asked otherwise, and the refusals say
// what to do.
func TestReportCommands(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	var ids []string
	for _, cust := range []string{"C-1", "C-2", "C-3"} {
		var c apiv1.Case
		require.NoError(t, json.Unmarshal([]byte(ok("start", "--flow", "complaint", "--customer", cust, "--channel", "phone", "-o", "json")), &c))
		ids = append(ids, c.ID)
	}
	ok("feedback", ids[0], "--csat", "5")
	ok("feedback", ids[1], "--csat", "2")
	c := apiv1.NewClient(os.Getenv("FLOWLAB_SERVER"), os.Getenv("FLOWLAB_TOKEN"))
	ctx := context.Background()
	first, err := c.GetCase(ctx, apiv1.CaseIDParams{ID: ids[0]})
	require.NoError(t, err)
	month := first.CreatedAt.UTC().Format("2006-01")

	var pack apiv1.ReviewPack
	require.NoError(t, json.Unmarshal([]byte(ok("report", "monthly", "--flow", "complaint", "--month", month, "-o", "json")), &pack))
	require.Equal(t, []any{"monthly", "internal", month, "complaint"}, []any{pack.Kind, pack.Variant, pack.Period, pack.Flow})
	if last, err := c.GetCase(ctx, apiv1.CaseIDParams{ID: ids[2]}); err == nil && last.CreatedAt.UTC().Format("2006-01") == month {
		// Every case of the store is in this month and in the KPI route's
		// default weeks: the two must say the same.
		kpis, err := c.GetServiceKPIs(ctx, apiv1.ServiceKPIsParams{Flow: "complaint"})
		require.NoError(t, err)
		require.Equal(t, kpis.Overall.All, pack.Figures.KPIs)
		require.Equal(t, 3, pack.Figures.KPIs.Cases)
		require.Equal(t, 2, pack.Figures.KPIs.CSAT.N)
	}

	file := filepath.Join(t.TempDir(), "complaint-review.html")
	res := cli("report", "monthly", "--flow", "complaint", "--month", month, "--file", file)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Empty(t, res.stdout)
	require.Contains(t, res.stderr, "wrote "+file)
	require.Contains(t, res.stderr, month+" monthly review of complaint, internal")
	doc, err := os.ReadFile(file)
	require.NoError(t, err)
	html := string(doc)
	require.True(t, strings.HasPrefix(html, "<!DOCTYPE html>"))
	require.True(t, strings.HasSuffix(strings.TrimSpace(html), "</html>"), "the whole document")
	require.Contains(t, html, `data-testid="kpi-cases" data-raw="3"`)
	require.Contains(t, html, `data-testid="kpi-csat" data-raw="0.5">50 %<`)
	require.Contains(t, html, `<section id="alerts"`)
	for _, bad := range []string{"<script", "<link", "<img", `src="http`, `href="http`, "url(", "@import"} {
		require.NotContains(t, strings.ToLower(html), bad)
	}
	entries, err := os.ReadDir(filepath.Dir(file))
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file is left")

	// The document on standard output, public.
	pub := ok("report", "monthly", "--flow", "complaint", "--month", month, "--public")
	require.Contains(t, pub, "For publication to customers")
	require.NotContains(t, pub, `<section id="alerts"`)

	var q apiv1.ReviewPack
	quarter := first.CreatedAt.UTC()
	qname := quarter.Format("2006") + "-Q" + string(rune('1'+int(quarter.Month()-1)/3))
	require.NoError(t, json.Unmarshal([]byte(ok("report", "quarterly", "--flow", "complaint", "--quarter", qname, "-o", "json")), &q))
	require.Equal(t, []any{"quarterly", "public", qname}, []any{q.Kind, q.Variant, q.Period})
	require.Nil(t, q.Proposals)
	require.Contains(t, ok("report", "quarterly", "--flow", "complaint", "--quarter", qname, "--variant", "internal", "-o", "yaml"), "variant: internal")

	for _, u := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"report", "monthly", "--flow", "complaint"}, exitUsage, "--month is required: the calendar month, like 2026-11"},
		{[]string{"report", "monthly", "--month", month}, exitUsage, "--flow is required"},
		{[]string{"report", "monthly", "--flow", "complaint", "--month", month, "-o", "review.html"}, exitUsage,
			`--output must be html, json or yaml, not "review.html" (to write the document to a file: --file review.html)`},
		{[]string{"report", "monthly", "--flow", "complaint", "--month", month, "--public", "--variant", "internal"}, exitUsage, "contradict"},
		{[]string{"report", "monthly", "--flow", "complaint", "--month", "2026-13"}, exitAPIClient, `month: must be a calendar month like 2026-11 (YYYY-MM), got "2026-13"`},
		{[]string{"report", "quarterly", "--flow", "complaynt", "--quarter", "2026-Q4"}, exitAPIClient, `flow "complaynt" not found`},
		{[]string{"report"}, exitUsage, "report needs a subcommand: monthly or quarterly"},
	} {
		res := cli(u.args...)
		require.Equal(t, u.code, res.code, "%v: %s", u.args, res.stderr)
		require.Contains(t, res.stderr, u.msg, u.args)
	}

	// Staff may not read review packs.
	staff := strings.TrimSpace(ok("token", "create", "--name", "Sam", "--role", "staff", "--department", "customer_service"))
	res = cli("report", "monthly", "--token", staff, "--flow", "complaint", "--month", month)
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "403")
}
