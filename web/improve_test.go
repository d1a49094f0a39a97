package web

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

const xssProbe = `<script>alert(1)</script>`

// requireEscaped checks that user content appears on a page escaped and
// never as markup.
func requireEscaped(t *testing.T, body string) {
	t.Helper()
	require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, body, xssProbe)
}

// impRequireErrorPage checks an error page of status whose text says detail.
func impRequireErrorPage(t *testing.T, res *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Contains(t, res.Header().Get("Content-Type"), "text/html")
	require.Contains(t, res.Body.String(), `data-testid="error"`)
	require.Contains(t, html.UnescapeString(res.Body.String()), detail)
}

// requireFieldError checks that a re-rendered form marks field (by its
// id) invalid and shows msg next to it.
func requireFieldError(t *testing.T, body, id, msg string) {
	t.Helper()
	require.Regexp(t, `id="`+regexp.QuoteMeta(id)+`"[^>]*aria-invalid="true"`, body, "field %s is marked invalid", id)
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(body)
	require.NotNil(t, m, "field %s has its error", id)
	require.Contains(t, html.UnescapeString(m[1]), msg)
}

// impFlashOf is the flash message of a redirect's target.
func impFlashOf(t *testing.T, res *httptest.ResponseRecorder) (string, string) {
	t.Helper()
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	u, err := url.Parse(res.Header().Get("Location"))
	require.NoError(t, err)
	return u.Path, u.Query().Get("flash")
}

// countTestID counts the elements with a data-testid.
func countTestID(body, id string) int { return strings.Count(body, `data-testid="`+id+`"`) }

// pilotEnv has an admin, an improver, an owner and a staff member, and
// a complaint pilot (v2 against v1, by case) with closed cases in both arms.
func pilotEnv(t *testing.T) (*testEnv, apiv1.Pilot) {
	t.Helper()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	e.Actor("owner", store.RoleOwner)
	e.Actor("agent", store.RoleStaff, "customer_service")
	res := e.page("improver", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"complaint"}, "treatment": {"2"}, "share": {"50"},
		"unit": {"case"}, "primary_metric": {"cycle_time"}, "min_cases_per_arm": {"50"}, "max_duration": {"14d"}, "evaluate_every": {"1h"},
		"guard_metric": {"csat", ""}, "guard_max": {"0.5", ""}})
	path, flash := impFlashOf(t, res)
	require.Contains(t, flash, "Pilot started: complaint v2 against v1, 50 % of new cases")
	id := strings.TrimPrefix(path, "/ui/pilots/")
	pl := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("improver", http.MethodGet, "/api/v1/pilots/"+id, nil, nil), http.StatusOK)
	require.Equal(t, []apiv1.PilotGuardrail{{Metric: "csat", MaxWorsening: 0.5}}, pl.Guardrails)
	require.Equal(t, "case", pl.Unit)
	arms := map[string]int{}
	for i := 0; arms["control"] < 3 || arms["treatment"] < 3; i++ {
		require.Less(t, i, 80)
		c := e.CreateCase(fmt.Sprintf("k%d", i))
		arms[c.Variant]++
		if i%5 != 4 {
			e.FinishCase(c.ID)
		}
	}
	return e, pl
}

func TestUIPilotsListAndForm(t *testing.T) {
	t.Parallel()
	e, pl := pilotEnv(t)

	// Improvers, admins and owners see the list; staff get the 403 page.
	for _, who := range []string{"improver", "admin", "owner"} {
		res := e.page(who, http.MethodGet, "/ui/pilots", nil)
		require.Equal(t, http.StatusOK, res.Code, who)
		body := res.Body.String()
		require.Equal(t, 1, countTestID(body, "pilot-row"), who)
		require.Contains(t, body, `href="/ui/pilots/`+pl.ID+`"`)
		require.Contains(t, body, "v1 vs v2")
		require.Equal(t, who != "owner", strings.Contains(body, `data-testid="new-pilot"`), "only those who may start one get the button (%s)", who)
	}
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/pilots", nil), http.StatusForbidden, "you are signed in as staff")
	// The filters reach the API; a bad one is its 400.
	res := e.page("owner", http.MethodGet, "/ui/pilots?status=promoted", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Zero(t, countTestID(res.Body.String(), "pilot-row"))
	impRequireErrorPage(t, e.page("owner", http.MethodGet, "/ui/pilots?status=paused", nil), http.StatusBadRequest, "status")

	// The form: for improvers and admins only.
	res = e.page("improver", http.MethodGet, "/ui/pilots/new?flow=complaint", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), `<option value="complaint" selected>`)
	require.Equal(t, 3, countTestID(res.Body.String(), "guardrail-row"))
	impRequireErrorPage(t, e.page("owner", http.MethodGet, "/ui/pilots/new", nil), http.StatusForbidden, "signed in as owner")
	impRequireErrorPage(t, e.page("owner", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"complaint"}, "treatment": {"2"}}), http.StatusForbidden, "owner")

	// What the API refuses is shown at its field, the values kept.
	res = e.page("improver", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"appointment"}, "treatment": {"1"}, "share": {"100"},
		"max_duration": {"two weeks"}, "guard_metric": {"fcr", "csat"}, "guard_max": {"0.05", "-1"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
	body := res.Body.String()
	requireFieldError(t, body, "share", "below 100")
	requireFieldError(t, body, "max_duration", "like 14d")
	requireFieldError(t, body, "guard_max_1", "must be 0 or more, got -1")
	require.NotContains(t, body, `id="guard_max_0-error"`, "the valid row has no error")
	require.Contains(t, body, `value="two weeks"`)
	require.Contains(t, body, `<option value="appointment" selected>`)
	// Numbers are checked before the API is asked.
	res = e.page("improver", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"complaint"}, "treatment": {"two"}, "guard_max": {"0.1"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "treatment", `must be a whole number, got "two"`)
	requireFieldError(t, res.Body.String(), "guard_metric_0", "choose a metric")
	// An unknown flow is the API's 404, shown at the flow.
	res = e.page("improver", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"nope"}, "treatment": {"2"}})
	require.Equal(t, http.StatusNotFound, res.Code)
	requireFieldError(t, res.Body.String(), "flow", `no flow "nope"`)
	// Another running pilot of the flow: the 409 names it above the form.
	res = e.page("improver", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"complaint"}, "treatment": {"2"}})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), `data-testid="form-error"`)
	require.Contains(t, res.Body.String(), pl.ID)
}

func TestUIPilotPage(t *testing.T) {
	t.Parallel()
	e, pl := pilotEnv(t)
	results := servertest.DecodeStrict[apiv1.PilotResults](t, e.Do("improver", http.MethodGet, "/api/v1/pilots/"+pl.ID+"/results", nil, nil), http.StatusOK)

	for _, who := range []string{"improver", "admin", "owner"} {
		res := e.page(who, http.MethodGet, "/ui/pilots/"+pl.ID, nil)
		require.Equal(t, http.StatusOK, res.Code, who)
		body := res.Body.String()
		require.Contains(t, body, `src="/ui/pilots/`+pl.ID+`/cycle-time.svg"`)
		require.Contains(t, body, `data-testid="distribution-chart"`)
		require.Equal(t, 2, countTestID(body, "arm-row"))
		require.Equal(t, len(results.Metrics), countTestID(body, "metric-row"))
		require.Equal(t, len(results.Steps), countTestID(body, "step-row"))
		require.Equal(t, 1, strings.Count(body, `data-testid="guardrail-row" data-metric="csat"`))
		require.Contains(t, body, `data-testid="cases-needed"`)
		require.NotContains(t, body, `data-testid="srm-warning"`, "a hash split has no mismatch")
		require.NotContains(t, body, "style=", "no inline styles (CSP)")
		actions := who != "owner"
		for _, id := range []string{"evaluate", "stop", "promote-treatment", "promote-control"} {
			require.Equal(t, actions, strings.Contains(body, `data-testid="`+id+`"`), "%s sees %s: %v", who, id, actions)
		}
	}
	// The numbers are the results': the arms' cases and medians.
	body := e.page("owner", http.MethodGet, "/ui/pilots/"+pl.ID, nil).Body.String()
	for _, arm := range []string{"control", "treatment"} {
		st := results.Arms[arm]
		row := regexp.MustCompile(`(?s)data-arm="` + arm + `">(.*?)</tr>`).FindStringSubmatch(body)
		require.NotNil(t, row)
		require.Contains(t, row[1], fmt.Sprintf(`<td class="num">%d</td>`, st.N))
		require.Contains(t, row[1], fmtSeconds(st.MedianCycleSeconds))
	}
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/pilots/"+pl.ID, nil), http.StatusForbidden, "staff")
	impRequireErrorPage(t, e.page("owner", http.MethodGet, "/ui/pilots/nope", nil), http.StatusNotFound, `pilot "nope"`)

	// The chart: one SVG with both arms, from one cycle time per closed case.
	res := e.page("owner", http.MethodGet, "/ui/pilots/"+pl.ID+"/cycle-time.svg", nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "image/svg+xml", res.Header().Get("Content-Type"))
	require.Contains(t, res.Body.String(), "<svg")
	for _, arm := range []string{"control", "treatment"} {
		require.Contains(t, res.Body.String(), fmt.Sprintf("%s v%d (n = %d", arm, apiv1.Pilot{Control: 1, Treatment: 2}.ArmVersion(arm), results.Arms[arm].CycleN))
	}
	impRequireErrorPage(t, e.page("owner", http.MethodGet, "/ui/pilots/nope/cycle-time.svg", nil), http.StatusNotFound, "nope")
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/pilots/"+pl.ID+"/cycle-time.svg", nil), http.StatusForbidden, "staff")
	// The cycle times the chart draws are those the statistics compare.
	req := httptest.NewRequest(http.MethodGet, "/ui/pilots/"+pl.ID, nil)
	req = req.WithContext(httpx.WithActor(req.Context(), e.actors["owner"]))
	times, err := e.srv.cycleTimes(req, pl.ID)
	require.NoError(t, err)
	for _, arm := range []string{"control", "treatment"} {
		require.Len(t, times[arm], results.Arms[arm].CycleN, arm)
	}

	// The arms' perceived improvement (decision 0041): no call answered
	// yet, then one control case called back: yes.
	row := regexp.MustCompile(`(?s)data-arm="control">.*?data-testid="arm-perceived">(.*?)</td>`).FindStringSubmatch(body)
	require.NotNil(t, row)
	require.Contains(t, row[1], "– <span")
	ctx := req.Context()
	cs, err := e.Store.ListPilotCases(ctx, pl.ID)
	require.NoError(t, err)
	var called string
	for _, c := range cs {
		if c.Arm == "control" && c.Status == store.CaseCompleted {
			called = c.CaseID
			break
		}
	}
	require.NotEmpty(t, called)
	_, err = e.Store.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: called, Share: 0.5, Sampled: true, TaskID: "call", DueAt: time.Now(), At: time.Now()})
	require.NoError(t, err)
	_, err = e.Store.AnswerFollowUp(ctx, store.AnswerFollowUpParams{CaseID: called, TaskID: "call", Outcome: store.FollowUpAnswered,
		Improvement: store.ImprovementYes, Actor: "agent", At: time.Now()})
	require.NoError(t, err)
	body = e.page("owner", http.MethodGet, "/ui/pilots/"+pl.ID, nil).Body.String()
	row = regexp.MustCompile(`(?s)data-arm="control">.*?data-testid="arm-perceived">(.*?)</td>`).FindStringSubmatch(body)
	require.NotNil(t, row)
	require.Contains(t, row[1], `100 % <span class="muted small">n 1</span>`)
}

func TestUIPilotActions(t *testing.T) {
	t.Parallel()
	e, pl := pilotEnv(t)
	base := "/ui/pilots/" + pl.ID

	// Only improvers and admins act: the others get the 403 page.
	for _, who := range []string{"agent", "owner"} {
		for _, a := range []struct{ path, form string }{{"/promote", "arm=treatment"}, {"/stop", "reason=x"}, {"/evaluate", ""}} {
			form, _ := url.ParseQuery(a.form)
			impRequireErrorPage(t, e.page(who, http.MethodPost, base+a.path, form), http.StatusForbidden, who)
		}
	}
	for _, a := range []string{"/promote", "/stop", "/evaluate"} {
		impRequireErrorPage(t, e.page("improver", http.MethodPost, "/ui/pilots/nope"+a, url.Values{"arm": {"control"}}), http.StatusNotFound, "nope")
	}

	// Evaluate now: one look, by the form's idempotency key.
	path, flash := impFlashOf(t, e.page("improver", http.MethodPost, base+"/evaluate", url.Values{"idempotency_key": {"look-ui-1"}}))
	require.Equal(t, base, path)
	require.Contains(t, flash, "Evaluated")
	e.eng.Mu.Lock()
	require.Equal(t, []string{"actor:" + e.actors["improver"].ID + ":look-ui-1"}, e.eng.EvalIDs)
	e.eng.Mu.Unlock()

	// A reason the API refuses is shown at the field, kept.
	long := strings.Repeat("x", 501)
	res := e.page("improver", http.MethodPost, base+"/stop", url.Values{"reason": {long}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "reason", "at most 500 characters")
	require.Contains(t, res.Body.String(), `value="`+long+`"`)

	// Stop, with a reason that is markup: shown escaped.
	path, flash = impFlashOf(t, e.page("improver", http.MethodPost, base+"/stop", url.Values{"reason": {xssProbe}}))
	require.Equal(t, base, path)
	require.Contains(t, flash, "Pilot stopped")
	res = e.page("owner", http.MethodGet, base, nil)
	require.Equal(t, http.StatusOK, res.Code)
	requireEscaped(t, res.Body.String())
	require.Contains(t, res.Body.String(), `data-testid="stop-reason"`)
	require.NotContains(t, res.Body.String(), `data-testid="evaluate"`, "a stopped pilot is not evaluated")
	// Stopping again: the API's 409 above the page.
	res = e.page("improver", http.MethodPost, base+"/stop", url.Values{})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), `data-testid="action-error"`)
	require.Contains(t, res.Body.String(), "is not running")

	// Promote the treatment: a redirect with a flash; the page shows it.
	promoted := e.page("improver", http.MethodPost, base+"/promote", url.Values{"arm": {"treatment"}})
	path, flash = impFlashOf(t, promoted)
	require.Equal(t, base, path)
	require.Equal(t, "Promoted the treatment arm: complaint v2 is now the flow's default version.", flash)
	res = e.page("improver", http.MethodGet, promoted.Header().Get("Location"), nil)
	require.Contains(t, res.Body.String(), `data-testid="promoted-arm"`)
	require.Contains(t, html.UnescapeString(res.Body.String()), flash)
	require.NotContains(t, res.Body.String(), `data-testid="promote-control"`)
	flow := servertest.DecodeStrict[apiv1.FlowDetail](t, e.Do("admin", http.MethodGet, "/api/v1/flows/complaint", nil, nil), http.StatusOK)
	require.Equal(t, 2, flow.DefaultVersion)
	// The other arm now: the 409 is shown on the page.
	res = e.page("admin", http.MethodPost, base+"/promote", url.Values{"arm": {"control"}})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, html.UnescapeString(res.Body.String()), "already promoted its treatment arm")
	res = e.page("admin", http.MethodPost, base+"/promote", url.Values{"arm": {"both"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	require.Contains(t, html.UnescapeString(res.Body.String()), `must be control or treatment, got "both"`)
}

// TestUIPilotView checks the page's reading of results the fake engine
// cannot easily produce: a sample ratio mismatch, effects with intervals,
// and steps faster or slower.
func TestUIPilotView(t *testing.T) {
	t.Parallel()
	pl := apiv1.Pilot{ID: "p1", Flow: "complaint", Control: 1, Treatment: 2, Share: 50, Status: store.PilotRunning, PrimaryMetric: "cycle_time"}
	res := apiv1.PilotResults{PilotID: "p1", Evaluation: experiment.Evaluation{
		Arms: map[string]experiment.ArmStats{"control": {N: 90, Closed: 80, CycleN: 80, MedianCycleSeconds: 18000}, "treatment": {N: 10, Closed: 9, CycleN: 9, MedianCycleSeconds: 10800}},
		Metrics: []experiment.MetricResult{
			{Metric: experiment.CycleTime, Primary: true, Test: experiment.TestMannWhitney, Unit: "relative", Control: 18000, Treatment: 10800,
				Effect: -0.4, CILow: -0.52, CIHigh: -0.28, P: 0.0004, Verdict: experiment.VerdictBetter, Boundary: 2.03, Crossed: true},
			{Metric: experiment.FCR, Test: experiment.TestTwoProportions, Unit: "proportion", Control: 0.8, Treatment: 0.75, Effect: -0.05, CILow: -0.2, CIHigh: 0.1, P: 0.41,
				Verdict: experiment.VerdictNoDifference},
			{Metric: experiment.CSAT, Test: experiment.TestWelch, Unit: "points", Verdict: experiment.VerdictInsufficient},
		},
		SRM:                   experiment.SRM{ChiSquare: 64, P: 1e-15, Mismatch: true, Checked: true},
		CasesNeededFor80Power: 120, CasesStillNeeded: 111,
	}, Steps: []apiv1.PilotStep{
		{Step: "record", Control: &apiv1.StepStats{Wait: apiv1.Quantiles{P50: 600}, Work: apiv1.Quantiles{P50: 300}}, Treatment: &apiv1.StepStats{Wait: apiv1.Quantiles{P50: 60}, Work: apiv1.Quantiles{P50: 300}},
			WaitP50Change: fptr(-540), WorkP50Change: fptr(0)},
		{Step: "technical", Control: &apiv1.StepStats{}},
	}}
	v := pilotView(pl, res)
	require.True(t, v.SRMWarning)
	require.Equal(t, "−40.0 %", v.Metrics[0].Effect)
	require.Equal(t, "−52.0 %", v.Metrics[0].CILow)
	require.Equal(t, "< 0.001", v.Metrics[0].P)
	require.Equal(t, "−5.0 pts", v.Metrics[1].Effect)
	require.Equal(t, "+10.0 pts", v.Metrics[1].CIHi)
	require.Equal(t, "0.410", v.Metrics[1].P)
	require.Nil(t, v.Metrics[2].Bar, "no interval without data")
	// The interval bars: zero in the middle, the interval on the better side.
	b := v.Metrics[0].Bar
	require.Equal(t, "100.0", b.Zero)
	low, _ := strconv.ParseFloat(b.Low, 64)
	high, _ := strconv.ParseFloat(b.High, 64)
	point, _ := strconv.ParseFloat(b.Point, 64)
	require.True(t, low < point && point < high && high < 100, "%v", b)
	require.Equal(t, "faster", v.Steps[0].Direction)
	require.Equal(t, "control only", v.Steps[1].Direction)
	require.Contains(t, v.PowerText, "111 more")

	// Rendered: the banner, the bars, and no inline style.
	e := newEnv(t)
	req := httptest.NewRequest(http.MethodGet, "/ui/pilots/p1", nil)
	rec := httptest.NewRecorder()
	require.NoError(t, e.srv.render(rec, req, pageView{Template: "pilot", Data: v}))
	body := rec.Body.String()
	require.Contains(t, body, `data-testid="srm-warning"`)
	require.Contains(t, body, "90 and 10 cases against a planned 50 %")
	require.Equal(t, 2, strings.Count(body, `<svg class="ci-bar`))
	require.Contains(t, body, `<svg class="ci-bar ok"`)
	require.NotContains(t, body, "style=")
}

func TestUIImprovementBoard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	planned := e.Adopt(e.Propose("agent", "faster refunds "+xssProbe, false).ID, "complaint", "cycle_time").Case
	closed := e.Adopt(e.Propose("agent", "fewer handoffs", false).ID, "complaint", "fcr").Case
	e.SetAttrs(closed.ID, map[string]any{"baseline_value": 0.7})
	e.CompletePlan(closed.ID, "planned", 0.85) // the fake ends the case at the pilot step
	e.SetAttrs(closed.ID, map[string]any{"pilot_id": "pilot-x", "pilot_status": "completed", "pilot_winner": "treatment", "promoted_version": 2})
	kpis := e.ImprovementKPIs()

	for _, who := range []string{"agent", "improver", "admin"} {
		res := e.page(who, http.MethodGet, "/ui/improvements", nil)
		require.Equal(t, http.StatusOK, res.Code, who)
		body := res.Body.String()
		require.Equal(t, 5, countTestID(body, "pdca-column"))
		cols := map[string]string{}
		for _, m := range regexp.MustCompile(`(?s)data-testid="pdca-column" data-stage="(\w+)"(.*?)</section>`).FindAllStringSubmatch(body, -1) {
			cols[m[1]] = m[2]
		}
		require.Len(t, cols, 5)
		require.Contains(t, cols["plan"], planned.ID)
		require.Contains(t, cols["plan"], "faster refunds &lt;script&gt;", "the card names the problem (the proposal's title)")
		requireEscaped(t, body)
		require.Contains(t, cols["done"], "fewer handoffs")
		require.Contains(t, cols["done"], closed.ID)
		require.NotContains(t, cols["plan"], closed.ID)
		require.Contains(t, cols["done"], "standardised")
		require.Contains(t, cols["done"], "70 %", "the baseline of a rate")
		require.Contains(t, cols["done"], "85 %", "the plan's target")
		// The pilot link only for those who may open pilots.
		require.Equal(t, who != "agent", strings.Contains(body, `href="/ui/pilots/pilot-x"`), who)
		// The KPIs are the endpoint's.
		require.Contains(t, body, fmt.Sprintf("%s (%d of %d)", fmtPct(*kpis.AdoptionRate.Value), kpis.AdoptionRate.Numerator, kpis.AdoptionRate.Denominator))
		require.Contains(t, body, fmt.Sprintf("%s (%d of %d)", fmtPct(*kpis.ImprovementsLanded.Value), kpis.ImprovementsLanded.Numerator, kpis.ImprovementsLanded.Denominator))
	}
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/improvements?cursor=bogus", nil), http.StatusBadRequest, "cursor")
}

func TestUIProposals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("other", store.RoleStaff, "technical")
	e.Actor("improver", store.RoleImprover)

	// Anyone proposes; the title and body are user content, escaped.
	path, flash := impFlashOf(t, e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {xssProbe}, "body": {"line 1\n" + xssProbe}}))
	require.Contains(t, flash, "open for votes")
	id := strings.TrimPrefix(path, "/ui/proposals/")
	for _, p := range []string{"/ui/proposals", path} {
		res := e.page("other", http.MethodGet, p, nil)
		require.Equal(t, http.StatusOK, res.Code)
		requireEscaped(t, res.Body.String())
	}
	list := e.page("other", http.MethodGet, "/ui/proposals", nil).Body.String()
	require.Equal(t, 1, countTestID(list, "proposal-row"))
	require.Equal(t, 1, countTestID(list, "vote"))
	// Anonymous: no name anywhere.
	_, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals", url.Values{"title": {"quiet one"}, "anonymous": {"1"}}))
	require.Contains(t, flash, "without your name")
	list = e.page("agent", http.MethodGet, "/ui/proposals", nil).Body.String()
	require.Contains(t, list, "anonymous")
	require.NotContains(t, list, e.actors["other"].ID)

	// Form errors at their fields, values kept.
	res := e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {"  "}, "body": {"kept body"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "title", "is required")
	require.Contains(t, res.Body.String(), "kept body</textarea>")
	res = e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {strings.Repeat("t", 201)}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "title", "at most 200 characters")

	// Votes: one per actor; back to where the vote was cast, never elsewhere.
	path, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"/ui/proposals?status=open"}}))
	require.Equal(t, "/ui/proposals", path)
	require.Equal(t, "Your vote counted: 1 votes now.", flash)
	_, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"https://evil.test/ui/proposals"}}))
	require.Equal(t, "You had already voted for it (1 votes).", flash)
	res = e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"//evil.test/x"}})
	require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/proposals/"+id+"?flash="+url.QueryEscape("You had already voted for it (1 votes).")+"&"), res.Header().Get("Location"))
	impRequireErrorPage(t, e.page("other", http.MethodPost, "/ui/proposals/nope/vote", url.Values{}), http.StatusNotFound, "nope")
	impRequireErrorPage(t, e.page("other", http.MethodGet, "/ui/proposals/nope", nil), http.StatusNotFound, "nope")

	// Adopt and decline: improvers and admins only, with forms on the page.
	page := e.page("agent", http.MethodGet, "/ui/proposals/"+id, nil).Body.String()
	require.NotContains(t, page, `data-testid="adopt-form"`)
	page = e.page("improver", http.MethodGet, "/ui/proposals/"+id, nil).Body.String()
	require.Contains(t, page, `data-testid="adopt-form"`)
	require.Contains(t, page, `data-testid="decline-form"`)
	impRequireErrorPage(t, e.page("agent", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"complaint"}, "metric": {"fcr"}}), http.StatusForbidden, "staff")
	impRequireErrorPage(t, e.page("agent", http.MethodPost, "/ui/proposals/"+id+"/decline", url.Values{}), http.StatusForbidden, "staff")
	res = e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"nope"}, "metric": {"fcr"}})
	require.Equal(t, http.StatusNotFound, res.Code)
	requireFieldError(t, res.Body.String(), "flow", `no flow "nope"`)
	res = e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"complaint"}, "metric": {"speed"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "metric", "must be one of")
	require.Contains(t, res.Body.String(), `<option value="complaint" selected>`)
	path, flash = impFlashOf(t, e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"complaint"}, "metric": {"fcr"}}))
	require.Equal(t, "/ui/improvements", path)
	require.Contains(t, flash, "Adopted: a PDCA cycle for")
	board := e.page("agent", http.MethodGet, "/ui/improvements", nil).Body.String()
	require.Equal(t, 1, countTestID(board, "pdca-card"))
	// It is adopted now: no more votes, and declining is a 409 on the page.
	page = e.page("agent", http.MethodGet, "/ui/proposals/"+id, nil).Body.String()
	require.NotContains(t, page, `data-testid="vote"`)
	require.Contains(t, page, `data-testid="adopted-cycle"`)
	res = e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/decline", url.Values{"reason": {"late"}})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), `data-testid="action-error"`)
	res = e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), `data-testid="action-error"`)

	// Declining the other one.
	quiet := e.page("agent", http.MethodGet, "/ui/proposals?status=open", nil).Body.String()
	m := regexp.MustCompile(`data-testid="proposal-row" data-id="([^"]+)"`).FindStringSubmatch(quiet)
	require.NotNil(t, m)
	res = e.page("improver", http.MethodPost, "/ui/proposals/"+m[1]+"/decline", url.Values{"reason": {strings.Repeat("r", 1001)}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	requireFieldError(t, res.Body.String(), "reason", "1000")
	path, flash = impFlashOf(t, e.page("improver", http.MethodPost, "/ui/proposals/"+m[1]+"/decline", url.Values{"reason": {"covered elsewhere"}}))
	require.Equal(t, "/ui/proposals/"+m[1], path)
	require.Contains(t, flash, "Declined")
	res = e.page("agent", http.MethodGet, "/ui/proposals?status=declined", nil)
	require.Equal(t, 1, countTestID(res.Body.String(), "proposal-row"))
}

// kpiCardRaw returns the data-raw of each KPI card by metric.
func kpiCardRaw(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`(?s)data-testid="kpi-card" data-metric="(\w+)".*?data-testid="kpi-value" data-raw="([^"]*)"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

func TestUIKPIs(t *testing.T) {
	t.Parallel()
	// An operator's channel list may hold markup: the page escapes it.
	e := newEnv(t, func(a *api.Config, _ *Config) { a.Channels = append(slices.Clone(api.DefaultChannels), xssProbe) })
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("owner", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	// Cases on several channels, one of them markup; some closed with feedback.
	for i, ch := range []string{"phone", "phone", "email", "chat", xssProbe} {
		res := e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": fmt.Sprintf("c%d", i), "channel": ch}, nil)
		c := servertest.DecodeStrict[apiv1.Case](t, res, http.StatusCreated)
		if i%2 == 0 {
			e.FinishCase(c.ID)
			res := e.Do("agent", http.MethodPost, "/api/v1/cases/"+c.ID+"/feedback", map[string]any{"csat": 3 + i%3, "nps": 6 + i, "resolved_first_contact": i != 2}, nil)
			require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		}
	}
	want := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("agent", http.MethodGet, "/api/v1/kpis/service", nil, nil), http.StatusOK)
	require.Equal(t, 5, want.Overall.All.Cases)

	for _, who := range []string{"agent", "owner", "improver", "admin"} {
		res := e.page(who, http.MethodGet, "/ui/kpis", nil)
		require.Equal(t, http.StatusOK, res.Code, who)
		body := res.Body.String()
		requireEscaped(t, body)
		require.Equal(t, len(kpiList), countTestID(body, "kpi-card"))
		require.Equal(t, 7, len(kpiList), "the plans' six and the perceived improvement")
		require.Equal(t, len(want.Weeks), countTestID(body, "kpi-week-row"))
		require.Equal(t, len(want.Channels), countTestID(body, "kpi-channel-row"))
		require.Equal(t, len(kpiList), countTestID(body, "kpi-chart"))
		require.Equal(t, 1, countTestID(body, "kpi-follow-ups-none"), "no flow asks for calls")
		raw := kpiCardRaw(t, body)
		for _, k := range kpiList {
			v := k.get(want.Overall.All)
			if v.Value == nil {
				require.Equal(t, "", raw[k.Key], k.Key)
				continue
			}
			got, err := strconv.ParseFloat(raw[k.Key], 64)
			require.NoError(t, err, k.Key)
			require.Equal(t, *v.Value, got, "%s: the page shows the endpoint's number", k.Key)
			// Its state follows the endpoint's meets_target.
			state := regexp.MustCompile(`data-metric="` + k.Key + `" data-state="([^"]+)"`).FindStringSubmatch(body)
			require.NotNil(t, state)
			if k.NoTarget {
				require.Equal(t, "no target", state[1], k.Key)
				continue
			}
			require.Equal(t, map[bool]string{true: "meets target", false: "misses target"}[*v.Meets], state[1], k.Key)
		}
	}
	// Per channel: each row's numbers are the endpoint's for that channel.
	body := e.page("agent", http.MethodGet, "/ui/kpis", nil).Body.String()
	for _, c := range want.Overall.Channels {
		row := regexp.MustCompile(`(?s)data-testid="kpi-channel-row" data-channel="` + regexp.QuoteMeta(html.EscapeString(c.Channel)) + `">(.*?)</tr>`).FindStringSubmatch(body)
		require.NotNil(t, row, c.Channel)
		if c.KPIs.CSAT.Value != nil {
			require.Contains(t, row[1], `data-metric="csat" data-raw="`+strconv.FormatFloat(*c.KPIs.CSAT.Value, 'g', -1, 64)+`"`, c.Channel)
		}
	}

	// Filters reach the endpoint: one channel.
	body = e.page("agent", http.MethodGet, "/ui/kpis?channel=phone", nil).Body.String()
	phone := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("agent", http.MethodGet, "/api/v1/kpis/service?channel=phone", nil, nil), http.StatusOK)
	require.Contains(t, body, fmt.Sprintf("%d cases created", phone.Overall.All.Cases))
	require.Equal(t, 2, phone.Overall.All.Cases)
	// A bad date is shown at its field; the API's own refusal too.
	res := e.page("agent", http.MethodGet, "/ui/kpis?from=yesterday", nil)
	require.Equal(t, http.StatusBadRequest, res.Code)
	requireFieldError(t, res.Body.String(), "from", "must be a date")
	res = e.page("agent", http.MethodGet, "/ui/kpis?from=2026-03-10&to=2026-03-01", nil)
	require.Equal(t, http.StatusBadRequest, res.Code)
	requireFieldError(t, res.Body.String(), "to", "after from")

	// The charts: an SVG per KPI, 404 for another name. The page just
	// read channel phone's KPIs, so its charts compute nothing again.
	hits := e.srv.kpiMemo.hitCount()
	for _, k := range kpiList {
		res := e.page("agent", http.MethodGet, "/ui/kpis/"+k.Key+".svg?channel=phone", nil)
		require.Equal(t, http.StatusOK, res.Code, k.Key)
		require.Equal(t, "image/svg+xml", res.Header().Get("Content-Type"))
		require.Contains(t, res.Body.String(), "<svg")
	}
	require.Equal(t, hits+len(kpiList), e.srv.kpiMemo.hitCount())
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/kpis/speed.svg", nil), http.StatusNotFound, `no KPI "speed"`)
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/kpis/csat.svg?to=soon", nil), http.StatusBadRequest, "must be a date")
	// Not signed in: to the sign-in page.
	res = e.page("", http.MethodGet, "/ui/kpis", nil)
	require.Equal(t, http.StatusSeeOther, res.Code)
}

// The follow-up calls on the KPI page (decision 0041): the perceived
// improvement is a card without a target, and each flow with follow-ups
// shows its declared share beside the realised one, in percent, with the
// counts behind it.
func TestUIKPIsFollowUps(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	created := time.Now().UTC().Add(-72 * time.Hour)
	called := func(improvement string) *servertest.SeedFollowUp {
		return &servertest.SeedFollowUp{Share: 0.15, Sampled: true, After: 48 * time.Hour, Opened: true,
			Outcome: store.FollowUpAnswered, Improvement: improvement}
	}
	seed := func(id string, f *servertest.SeedFollowUp) servertest.SeedCase {
		return servertest.SeedCase{ID: id, Flow: "complaint", Channel: "phone", Created: created, Status: store.CaseCompleted,
			Closed: time.Hour, FollowUp: f}
	}
	e.SeedCases(seed("fa", called(store.ImprovementYes)), seed("fb", called(store.ImprovementNo)),
		seed("fc", &servertest.SeedFollowUp{Share: 0.15, After: 48 * time.Hour}))
	want := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("agent", http.MethodGet, "/api/v1/kpis/service", nil, nil), http.StatusOK)
	require.Len(t, want.FollowUps, 1)

	body := e.page("agent", http.MethodGet, "/ui/kpis", nil).Body.String()
	require.Equal(t, "0.5", kpiCardRaw(t, body)["perceived_improvement"])
	require.Regexp(t, `data-metric="perceived_improvement" data-state="no target"`, body)
	require.Contains(t, body, "target none")
	require.Equal(t, 1, countTestID(body, "kpi-follow-up-row"))
	row := regexp.MustCompile(`(?s)data-testid="kpi-follow-up-row" data-flow="complaint">(.*?)</tr>`).FindStringSubmatch(body)
	require.NotNil(t, row)
	require.Contains(t, row[1], `data-testid="declared-share" data-raw="0.15">15 %</td>`)
	require.Contains(t, row[1], `data-testid="realised-share" data-raw="`+strconv.FormatFloat(*want.FollowUps[0].RealisedShare, 'g', -1, 64)+`">66.7 %</td>`)
	require.Zero(t, countTestID(body, "kpi-follow-ups-none"))

	res := e.page("agent", http.MethodGet, "/ui/kpis/perceived_improvement.svg", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.NotContains(t, res.Body.String(), "target", "no target line")
	impRequireErrorPage(t, e.page("agent", http.MethodGet, "/ui/kpis/speed.svg", nil), http.StatusNotFound, "perceived_improvement")
}
