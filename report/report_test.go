package report

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
)

func fptr(v float64) *float64 { return &v }
func bptr(v bool) *bool       { return &v }

var (
	nov  = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	dec  = nov.AddDate(0, 1, 0)
	olga = "0c3e5a7b-9d1f-4a3c-8e5b-7d9f1a3c5e7b"
)

// kpiSet is a KPI set with data: CSAT 80 % of 10 answers (misses 90 %),
// NPS 40, FCR 90 % (meets), first response 25 s (meets), on-time 93.75 %,
// perceived improvement 2 of 3.
func kpiSet() apiv1.ServiceKPISet {
	return apiv1.ServiceKPISet{Cases: 12,
		CSAT: apiv1.ServiceCSAT{Value: fptr(0.8), Count: 8, N: 10, Target: 0.9, Direction: apiv1.AtLeast, MeetsTarget: bptr(false), Mean: fptr(4.1)},
		NPS:  apiv1.ServiceNPS{Value: fptr(40), N: 10, Promoters: 6, Detractors: 2, Target: 50, Direction: apiv1.AtLeast, MeetsTarget: bptr(false)},
		FCR:  apiv1.ServiceRate{Value: fptr(0.9), Count: 9, N: 10, Target: 0.85, Direction: apiv1.AtLeast, MeetsTarget: bptr(true)},
		FirstResponse: apiv1.ServiceResponseTime{Value: fptr(25), P90: fptr(95), N: 11, Target: 30, Direction: apiv1.AtMost,
			MeetsTarget: bptr(true)},
		OnTime:               apiv1.ServiceRate{Value: fptr(0.9375), Count: 15, N: 16, Target: 0.95, Direction: apiv1.AtLeast, MeetsTarget: bptr(false)},
		ComplaintRate:        apiv1.ServiceRate{Value: fptr(1), Count: 12, N: 12, Target: 0.02, Direction: apiv1.AtMost, MeetsTarget: bptr(false)},
		PerceivedImprovement: apiv1.ServicePerceived{Value: fptr(2.0 / 3), Count: 2, N: 3, NotSure: 1},
	}
}

// emptySet is the KPI set of no cases: every value null.
func emptySet() apiv1.ServiceKPISet {
	return apiv1.ServiceKPISet{
		CSAT:          apiv1.ServiceCSAT{Target: 0.9, Direction: apiv1.AtLeast},
		NPS:           apiv1.ServiceNPS{Target: 50, Direction: apiv1.AtLeast},
		FCR:           apiv1.ServiceRate{Target: 0.85, Direction: apiv1.AtLeast},
		FirstResponse: apiv1.ServiceResponseTime{Target: 30, Direction: apiv1.AtMost},
		OnTime:        apiv1.ServiceRate{Target: 0.95, Direction: apiv1.AtLeast},
		ComplaintRate: apiv1.ServiceRate{Target: 0.02, Direction: apiv1.AtMost},
	}
}

// pack is a monthly internal pack of November 2026 with data in October
// and November.
func pack() apiv1.ReviewPack {
	var trend []apiv1.ReviewPeriod
	for i := range 6 {
		from := nov.AddDate(0, i-5, 0)
		p := apiv1.ReviewPeriod{Period: from.Format("2006-01"), From: from, To: from.AddDate(0, 1, 0), KPIs: emptySet(),
			ComplaintRate: apiv1.ServiceRate{Target: 0.02, Direction: apiv1.AtMost}}
		if i >= 4 {
			p.KPIs = kpiSet()
			p.ComplaintRate = apiv1.ServiceRate{Value: fptr(0.125), Count: 12, N: 96, Target: 0.02, Direction: apiv1.AtMost, MeetsTarget: bptr(false)}
			p.CycleTime = apiv1.FlowTrendStats{N: 9, MedianSeconds: fptr(5400), P90Seconds: fptr(30600), TaskSpans: 20, BreachedSpans: 3, SLABreachRate: fptr(0.15)}
		}
		trend = append(trend, p)
	}
	ended := nov.Add(20 * 24 * time.Hour)
	fired := nov.Add(3*24*time.Hour + 10*time.Hour)
	resolved := fired.Add(2 * time.Hour)
	return apiv1.ReviewPack{Kind: apiv1.ReviewMonthly, Variant: apiv1.ReviewInternal, Flow: "complaint", FlowName: "Complaint handling",
		Period: "2026-11", From: nov, To: dec, GeneratedAt: dec.Add(8 * time.Hour), Figures: trend[5], Trend: trend,
		Bottlenecks: []apiv1.Bottlenecks{{Flow: "complaint", Version: 1, From: &nov, To: &dec, Cases: 9, Steps: []apiv1.StepStats{
			{Step: "record", Department: "customer_service", Kind: "task", Cases: 9, Wait: apiv1.Quantiles{P50: 200, P90: 320}, Work: apiv1.Quantiles{P50: 60, P90: 100}, Share: 0.1},
			{Step: "investigate", Department: "technical", Kind: "task", Cases: 8, Wait: apiv1.Quantiles{P50: 2520, P90: 4392}, Work: apiv1.Quantiles{P50: 756, P90: 1728},
				SLABreachRate: 0.125, Breaches: 1, Escalations: 1, Share: 0.7, Bottleneck: true},
			{Step: "notify_customer", Department: "customer_service", Kind: "task", Cases: 9, Wait: apiv1.Quantiles{P50: 30, P90: 90}, Work: apiv1.Quantiles{P50: 20, P90: 40}, Share: 0.2},
		}}},
		Changes: apiv1.ReviewChanges{
			Versions: []apiv1.ReviewVersion{{Version: 2, Name: "Complaint (one-stop)", PublishedAt: nov.Add(50 * time.Hour), PublishedBy: olga, Published: true,
				ComparedTo: 1, StepsAdded: []string{"handle"}, StepsRemoved: []string{"investigate"}, StepsChanged: []string{}, HandoffsRemoved: 2}},
			Defaults:   []apiv1.ReviewDefault{},
			Promotions: []apiv1.ReviewPromotion{{At: ended, PilotID: "a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a", Arm: "treatment", Version: 2, By: olga}},
			Migrations: []apiv1.ReviewMigration{{At: ended.Add(time.Hour), MigrationID: "m1", From: 1, To: 2, Cases: 10, Migrated: 9, Refused: 1, By: olga}},
		},
		Pilots: []apiv1.Pilot{{ID: "a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a", Flow: "complaint", Control: 1, Treatment: 2, Share: 30, Unit: "customer",
			PrimaryMetric: "cycle_time", MinCasesPerArm: 200, Status: "promoted", Winner: "treatment", PromotedArm: "treatment",
			Recommendation: "adopt the treatment", CreatedBy: olga, CreatedAt: nov.Add(-10 * 24 * time.Hour), EndedAt: &ended,
			Results: &experiment.Evaluation{Control: 1, Treatment: 2,
				Arms: map[string]experiment.ArmStats{"control": {N: 140, Closed: 130}, "treatment": {N: 60, Closed: 58}},
				Metrics: []experiment.MetricResult{{Metric: experiment.CycleTime, Primary: true, Unit: "relative", NControl: 130, NTreatment: 58,
					Control: 14400, Treatment: 9000, Effect: -0.375, CILow: -0.45, CIHigh: -0.3, P: 0.0004, Verdict: "better"}},
				Guardrails: []experiment.GuardrailState{{Metric: experiment.CSAT, MaxWorsening: 0.3, Worsening: -0.1}}}}},
		Improvements: apiv1.ReviewImprovements{Cycles: []apiv1.Improvement{{CaseID: "5b7d9f1a-3c5e-4b7d-9f1a-3c5e7b9d1f3a", Status: "completed",
			Stage: "closed", Flow: "complaint", Metric: "cycle_time", BaselineValue: fptr(14400), Target: fptr(7200), PilotID: "a7e3c9d1",
			PilotStatus: "completed", PilotWinner: "treatment", PromotedVersion: ptr(2), Outcome: apiv1.OutcomeStandardised, CreatedAt: nov.Add(-12 * 24 * time.Hour),
			ClosedAt: &ended}}, Counts: apiv1.ReviewCycleCounts{Active: 1, Closed: 1, Completed: 1, Standardised: 1},
			Landed: apiv1.KPI{Value: fptr(1), Numerator: 1, Denominator: 1, Target: 0.9, Met: bptr(true)}},
		Proposals: &apiv1.ReviewProposals{Proposals: []apiv1.Proposal{{ID: "p1", Title: "Fewer handoffs <script>alert(1)</script>", Author: &olga,
			Status: "adopted", Votes: 7, CreatedAt: nov.Add(time.Hour)}}, Counts: apiv1.ProposalCounts{Adopted: 1, Total: 1},
			AdoptionRate: apiv1.KPI{Value: fptr(1), Numerator: 1, Denominator: 1, Target: 0.7, Met: bptr(true)},
			AllTime: apiv1.ImprovementKPIs{AdoptionRate: apiv1.KPI{Value: fptr(0.75), Numerator: 3, Denominator: 4, Target: 0.7},
				ImprovementsLanded: apiv1.KPI{Value: fptr(0.5), Numerator: 1, Denominator: 2, Target: 0.9}}},
		Alerts: &apiv1.ReviewAlerts{Rules: 2, Fired: []apiv1.ReviewAlert{{Rule: "r1", Name: "Investigation breaches", MetricTitle: "SLA breach rate",
			ScopeText: "flow complaint", ConditionText: "SLA breach rate above 20.0 % over 1h", FiringSeconds: 7200,
			Episodes: []apiv1.ReviewAlertEpisode{{FiredAt: fired, ValueText: "25.0 %", EndedAt: &resolved, EndedAs: "resolved", Seconds: 7200}}}}},
		FollowUps: &apiv1.FollowUpShare{Flow: "complaint", DeclaredShare: 0.15, Eligible: 40, Sampled: 6, Due: 30, Opened: 4, Answered: 3,
			RealisedShare: fptr(4.0 / 30)},
		Omitted: []string{},
		Bounds:  apiv1.ReviewBounds{Cases: 1000000, Cycles: 5000, Pilots: 1000, Proposals: 10000, Entries: 10000},
		Sources: []apiv1.ReviewSource{{Section: "KPIs", Request: "GET /api/v1/kpis/service?flow=complaint&from=2026-11-01T00%3A00%3A00Z&to=2026-12-01T00%3A00%3A00Z"}},
		Notes:   []string{"A note."},
	}
}

func ptr[T any](v T) *T { return &v }

// heatSVG is graph.svg's heat map of complaint v1 as the API draws it.
func heatSVG(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../api/testdata/graph/complaint.v1.heat-share.svg")
	require.NoError(t, err)
	return b
}

func render(t *testing.T, p apiv1.ReviewPack, opt Options) string {
	t.Helper()
	b, err := HTML(p, opt)
	require.NoError(t, err)
	return string(b)
}

var (
	attrURL  = regexp.MustCompile(`(?i)\s(src|href|xlink:href|action|formaction|srcset|poster|background|data)\s*=\s*"([^"]*)"`)
	styleTag = regexp.MustCompile(`(?s)<style>(.*?)</style>`)
)

// requireSelfContained fails when the document could load or run
// anything: a script, a link to a style sheet or font, an image or frame,
// an address outside it.
func requireSelfContained(t *testing.T, doc string) {
	t.Helper()
	require.True(t, strings.HasPrefix(doc, "<!DOCTYPE html>"), doc[:min(len(doc), 80)])
	low := strings.ToLower(doc)
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "<object", "<embed", "<video", "<audio", "<source", "@import",
		"url(", "@font-face", "javascript:", `src="http`, `href="http`, `href="//`, " style=", "<base"} {
		require.NotContains(t, low, bad)
	}
	for _, m := range attrURL.FindAllStringSubmatch(doc, -1) {
		require.Equal(t, "href", strings.ToLower(m[1]), "only links within the document: %s", m[0])
		require.True(t, strings.HasPrefix(m[2], "#"), "a link within the document: %s", m[0])
	}
	// The served policy allows exactly the document's one style sheet.
	styles := styleTag.FindAllStringSubmatch(doc, -1)
	require.Len(t, styles, 1)
	sum := sha256.Sum256([]byte(styles[0][1]))
	require.Contains(t, ContentSecurityPolicy(), "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
	require.Contains(t, ContentSecurityPolicy(), "default-src 'none'")
}

// TestTheDocumentIsSelfContainedAndPrints: one HTML document with its
// style, charts and heat map inline and nothing to load; print rules for
// A4 with a page per section.
func TestTheDocumentIsSelfContainedAndPrints(t *testing.T) {
	doc := render(t, pack(), Options{Graphs: map[int]Graph{1: {SVG: heatSVG(t)}}})
	requireSelfContained(t, doc)
	require.Contains(t, doc, "@page { size: A4;")
	require.Contains(t, doc, "break-before: page")
	require.Contains(t, doc, `data-testid="heat-map-v1"`)
	require.Contains(t, doc, `<svg width="329pt" height="971pt"`, "the flow page's drawing, inline")
	require.NotContains(t, doc, "<?xml")
	require.NotContains(t, doc, "<!DOCTYPE svg")
	require.Contains(t, doc, `id="v1-graph0"`, "its ids are the version's")
	require.Equal(t, 8, strings.Count(doc, `<svg class="chart"`), "a chart per KPI and the cycle time")
	for _, id := range []string{"kpis", "trend", "cycle-time", "bottlenecks", "changes", "pilots", "improvements", "proposals", "alerts", "follow-ups", "sources"} {
		require.Contains(t, doc, `<section id="`+id+`"`)
		require.Contains(t, doc, `<a href="#`+id+`">`)
	}
	require.Contains(t, doc, "<title>Complaint handling — monthly review, November 2026</title>")
	require.Contains(t, doc, "1 – 30 November 2026 (UTC)")
}

// cellOf is the data-raw and text of the number named testID.
func cellOf(t *testing.T, doc, testID string) (raw, text string) {
	t.Helper()
	m := regexp.MustCompile(`data-testid="` + regexp.QuoteMeta(testID) + `" data-raw="([^"]*)">([^<]*)<`).FindStringSubmatch(doc)
	require.NotNil(t, m, "no number %s", testID)
	return m[1], m[2]
}

// TestEveryNumberHasItsUnitAndThePacksValue: the numbers read with their
// units, carry the pack's value, and say whether they meet their target.
func TestEveryNumberHasItsUnitAndThePacksValue(t *testing.T) {
	doc := render(t, pack(), Options{})
	for _, c := range []struct{ id, raw, text string }{
		{"kpi-cases", "12", "12"},
		{"kpi-csat", "0.8", "80 %"}, {"kpi-csat-n", "10", "10"},
		{"kpi-nps", "40", "40 points"},
		{"kpi-fcr", "0.9", "90 %"},
		{"kpi-first_response", "25", "25 s"},
		{"kpi-on_time", "0.9375", "93.8 %"},
		{"kpi-complaint_rate", "0.125", "12.5 %"}, {"kpi-complaint_rate-n", "96", "96"},
		{"kpi-perceived_improvement", "0.6666666666666666", "66.7 %"},
		{"trend-csat-0", "", "no data"}, {"trend-csat-5", "0.8", "80 %"},
		{"cycle-median-5", "5400", "1 h 30 min"}, {"cycle-p90-5", "30600", "8 h 30 min"}, {"cycle-breach-5", "0.15", "15 %"},
		{"cycle-median-0", "", "no data"}, {"cycle-n-0", "0", "0"},
		{"step-wait-p90-v1-investigate", "4392", "1 h 13 min"}, {"step-share-v1-investigate", "0.7", "70 %"},
		{"step-escalations-v1-investigate", "1", "1"},
		{"followup-declared", "0.15", "15 %"}, {"followup-realised", "0.13333333333333333", "13.3 %"},
		{"followup-perceived", "0.6666666666666666", "66.7 %"},
		{"cycles-landed", "1", "100 %"}, {"proposals-adoption", "1", "100 %"}, {"proposals-adoption-all", "0.75", "75 %"},
		{"alert-firing-seconds", "7200", "2 h 00 min"}, {"alerts-rules", "2", "2"},
	} {
		raw, text := cellOf(t, doc, c.id)
		require.Equal(t, c.raw, raw, c.id)
		require.Equal(t, c.text, text, c.id)
	}
	require.Contains(t, doc, `data-testid="kpi-csat-state">misses target<`)
	require.Contains(t, doc, `data-testid="kpi-fcr-state">meets target<`)
	require.Contains(t, doc, `data-testid="kpi-perceived_improvement-state">no target<`)
	require.Contains(t, doc, "at least 90 %")
	require.Contains(t, doc, "at most 30 s")
	require.Contains(t, doc, "p90 1 min 35 s")
	require.Contains(t, doc, "−37.5 %", "the pilot's effect on the cycle time")
	require.Contains(t, doc, "v2 “Complaint (one-stop)” published (against v1: steps added: handle; steps removed: investigate; department handoffs: 0 added, 2 removed)")
	require.Contains(t, doc, "v1 → v2: 9 migrated, 1 refused, 0 failed, of 10 cases")
	require.Contains(t, doc, `<span class="mark">bottleneck</span>`)
}

// TestAPeriodWithoutDataSaysSo: no cases, no changes, no pilots: every
// section says what is missing instead of showing zeros as if measured.
func TestAPeriodWithoutDataSaysSo(t *testing.T) {
	p := pack()
	for i := range p.Trend {
		p.Trend[i].KPIs, p.Trend[i].CycleTime = emptySet(), apiv1.FlowTrendStats{}
		p.Trend[i].ComplaintRate = apiv1.ServiceRate{Target: 0.02, Direction: apiv1.AtMost}
	}
	p.Figures = p.Trend[5]
	p.Bottlenecks, p.Pilots, p.FollowUps = []apiv1.Bottlenecks{}, []apiv1.Pilot{}, nil
	p.Changes = apiv1.ReviewChanges{Versions: []apiv1.ReviewVersion{}, Defaults: []apiv1.ReviewDefault{}, Promotions: []apiv1.ReviewPromotion{}, Migrations: []apiv1.ReviewMigration{}}
	p.Improvements = apiv1.ReviewImprovements{Cycles: []apiv1.Improvement{}, Landed: apiv1.KPI{Target: 0.9}}
	p.Proposals = &apiv1.ReviewProposals{Proposals: []apiv1.Proposal{}, AdoptionRate: apiv1.KPI{Target: 0.7}}
	p.Alerts = &apiv1.ReviewAlerts{Fired: []apiv1.ReviewAlert{}}
	doc := render(t, p, Options{})
	requireSelfContained(t, doc)
	for id, say := range map[string]string{
		"kpis-empty":        "No case of the flow was created in November 2026: its KPIs have no data",
		"cycle-empty":       "No case of the flow was completed in November 2026",
		"bottlenecks-empty": "No step of the flow was entered in November 2026",
		"changes-empty":     "Nothing changed in November 2026",
		"pilots-empty":      "No pilot of the flow ran in November 2026.",
		"cycles-empty":      "No improvement cycle of the flow was open in November 2026.",
		"proposals-empty":   "No proposal was made in November 2026.",
		"alerts-empty":      "No alert rule that concerns the flow fired in November 2026.",
		"followups-empty":   "None of the flow&#39;s cases created in November 2026 asks for a follow-up call",
	} {
		require.Regexp(t, `data-testid="`+id+`">[^<]*`+regexp.QuoteMeta(say), doc, id)
	}
	for _, k := range kpiDefs {
		raw, text := cellOf(t, doc, "kpi-"+k.Key)
		require.Equal(t, []string{"", "no data"}, []string{raw, text}, k.Key)
		require.Contains(t, doc, `data-testid="kpi-`+k.Key+`-state">no data<`)
	}
	require.NotRegexp(t, `class="num[^"]*"[^>]*>0 %<`, doc, "no rate reads 0 without data")
	require.Contains(t, doc, "No case of the flow was created in November 2026.", "the summary")
}

// TestThePublicEditionLeavesOutInternalDetail: no people, no alert rules,
// proposals, bottlenecks or migrations; what it leaves out is listed.
func TestThePublicEditionLeavesOutInternalDetail(t *testing.T) {
	p := pack()
	p.Variant = apiv1.ReviewPublic
	p.Proposals, p.Alerts, p.Bottlenecks = nil, nil, []apiv1.Bottlenecks{}
	p.Changes.Migrations = []apiv1.ReviewMigration{}
	p.Changes.Versions[0].PublishedBy, p.Changes.Promotions[0].By = "", ""
	p.Pilots[0].CreatedBy = ""
	p.Omitted = []string{"people's names and ids", "alert rules and when they fired"}
	doc := render(t, p, Options{Graphs: map[int]Graph{1: {SVG: heatSVG(t)}}})
	requireSelfContained(t, doc)
	require.NotContains(t, doc, olga)
	for _, id := range []string{"bottlenecks", "proposals", "alerts"} {
		require.NotContains(t, doc, `<section id="`+id+`"`)
	}
	require.NotContains(t, doc, "<th scope=\"col\">By</th>")
	require.NotContains(t, doc, "migrated")
	require.Contains(t, doc, "For publication to customers")
	require.Contains(t, doc, `<ul data-testid="omitted"><li>people&#39;s names and ids</li>`)
	require.Contains(t, doc, `data-testid="kpi-csat" data-raw="0.8"`, "the same figures")
}

// TestUserTextIsEscaped: names and titles people wrote are text.
func TestUserTextIsEscaped(t *testing.T) {
	p := pack()
	p.FlowName = `Complaints <b onmouseover="x()">`
	doc := render(t, p, Options{})
	requireSelfContained(t, doc)
	require.Contains(t, doc, "Fewer handoffs &lt;script&gt;alert(1)&lt;/script&gt;")
	require.Contains(t, doc, "Complaints &lt;b onmouseover=&#34;x()&#34;&gt;")
}

// TestAHeatMapThatCouldLoadOrRunIsNotEmbedded: a drawing holding a script,
// a link or a style is refused (the table stays); a drawing the server
// did not draw says why.
func TestAHeatMapThatCouldLoadOrRunIsNotEmbedded(t *testing.T) {
	for name, svg := range map[string]string{
		"script": `<svg><script>alert(1)</script></svg>`,
		"link":   `<svg><a xlink:href="https://example.com/"><text>x</text></a></svg>`,
		"image":  `<svg><image href="http://example.com/x.png"/></svg>`,
		"style":  `<svg><rect style="fill:url(https://example.com/x)"/></svg>`,
		"event":  `<svg><rect onload="alert(1)"/></svg>`,
	} {
		doc := render(t, pack(), Options{Graphs: map[int]Graph{1: {SVG: []byte(svg)}}})
		requireSelfContained(t, doc)
		require.Contains(t, doc, `data-testid="heat-map-missing-v1">The heat map is not shown: the drawing holds`, name)
	}
	doc := render(t, pack(), Options{Graphs: map[int]Graph{1: {Missing: "the graph of complaint v1 is not drawn: it has 300 steps"}}})
	require.Contains(t, doc, "The heat map is not drawn: the graph of complaint v1 is not drawn: it has 300 steps. The table has its figures.")
	require.Contains(t, render(t, pack(), Options{}), "The heat map was not drawn for this document")
}

// TestFetchGraphs: the API's refusal is the reason shown; the end of the
// context is an error.
func TestFetchGraphs(t *testing.T) {
	p := pack()
	p.Bottlenecks = append(p.Bottlenecks, apiv1.Bottlenecks{Flow: "complaint", Version: 2, Cases: 1})
	var asked []apiv1.GraphSVGParams
	got, err := FetchGraphs(context.Background(), p, func(_ context.Context, q apiv1.GraphSVGParams) ([]byte, error) {
		asked = append(asked, q)
		if q.Version == "2" {
			return nil, &apiv1.Problem{Status: 503, Title: "Too many graphs being drawn", Detail: "the server is drawing as many graphs as it may at once"}
		}
		return []byte("<svg></svg>"), nil
	})
	require.NoError(t, err)
	require.Equal(t, map[int]Graph{1: {SVG: []byte("<svg></svg>")}, 2: {Missing: "the server is drawing as many graphs as it may at once"}}, got)
	require.Equal(t, apiv1.GraphSVGParams{Key: "complaint", Version: "1", Heat: "share", From: nov, To: dec}, asked[0])

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = FetchGraphs(ctx, p, func(ctx context.Context, _ apiv1.GraphSVGParams) ([]byte, error) { return nil, ctx.Err() })
	require.True(t, errors.Is(err, context.Canceled), "%v", err)
}

func TestFilename(t *testing.T) {
	p := pack()
	require.Equal(t, "complaint-2026-11-review.html", Filename(p))
	p.Variant, p.Period, p.Flow = apiv1.ReviewPublic, "2026-Q4", "we/ird"
	require.Equal(t, "we-ird-2026-Q4-public-review.html", Filename(p))
}
