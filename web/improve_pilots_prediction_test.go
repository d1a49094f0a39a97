package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// predictionText is the pilot page's Prediction section as text: tags
// dropped, entities unescaped, spaces collapsed.
func predictionText(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<section class="card prediction"[^>]*data-testid="pilot-prediction">(.*?)</section>`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has the Prediction section")
	text := html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
	return strings.Join(strings.Fields(text), " ")
}

// testidText is the text of the first element with a data-testid.
func testidText(t *testing.T, body, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)data-testid="` + regexp.QuoteMeta(id) + `"[^>]*>(.*?)</(p|td|span|a)>`).FindStringSubmatch(body)
	require.NotNil(t, m, "the page has %s", id)
	text := html.UnescapeString(regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], " "))
	return strings.Join(strings.Fields(text), " ")
}

// TestUIPilotPrediction: a pilot started through the API on four weeks of
// history shows no prediction until its workflow stored one, then that it
// is being simulated with a link to the simulation, then, once it ran,
// the plan first (cases a day per arm, the days to the minimum sample and
// to 80 % power, as the API computed them), the predicted changes with
// their intervals and units, and a link to the full simulation. Closed
// cases in both arms (control 3 h, treatment 2 h 24 min) add the
// measured change and the prediction error the API reports, "so far"
// while the pilot runs and as the result once it is stopped.
func TestUIPilotPrediction(t *testing.T) {
	t.Parallel()
	clk := servertest.NewClock(simNow)
	e := newEnv(t, func(a *api.Config, c *Config) { a.Now = clk.Now })
	e.Actor("ivy", store.RoleImprover)
	e.Actor("olga", store.RoleOwner)
	seedSimHistory(t, e.st, simNow)
	ctx := context.Background()

	pl := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodPost, "/api/v1/pilots",
		map[string]any{"flow": "complaint", "control": 1, "treatment": 2, "share": 50, "min_cases_per_arm": 40, "max_duration": "14d"}, nil), http.StatusCreated)
	page := "/ui/pilots/" + pl.ID
	body := e.page("olga", http.MethodGet, page, nil).Body.String()
	require.Contains(t, predictionText(t, body), "No prediction yet")
	require.Less(t, strings.Index(body, `data-testid="pilot-prediction"`), strings.Index(body, `data-testid="pilot-summary"`), "the prediction comes first")

	id, err := e.eng.PredictPilot(ctx, pl.ID)
	require.NoError(t, err)
	body = e.page("olga", http.MethodGet, page, nil).Body.String()
	require.Contains(t, predictionText(t, body), "The prediction is being simulated")
	require.Contains(t, body, `<a href="/ui/simulations/`+id+`" data-testid="prediction-link">Follow the simulation</a>`)
	require.NotContains(t, body, `data-testid="prediction-plan"`)

	require.NoError(t, e.eng.RunSimulation(ctx, id))
	got := servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	pr := got.Prediction
	require.Equal(t, "succeeded", pr.Status, pr.Error)
	require.NotNil(t, pr.Plan)
	body = e.page("olga", http.MethodGet, page, nil).Body.String()
	text := predictionText(t, body)
	require.Contains(t, body, `<a href="/ui/simulations/`+id+`" data-testid="prediction-link">The full simulation</a>`)
	require.NotContains(t, body, `data-testid="measured-change"`, "no case closed yet")

	// The plan, first, with the API's figures.
	plan := testidText(t, body, "prediction-plan")
	require.True(t, strings.HasPrefix(text, "Prediction Plan: "), text)
	m := regexp.MustCompile(`^Plan: About ([\d.]+) new cases a day per arm \(control ([\d.]+), treatment ([\d.]+)\); the minimum sample of 40 cases per arm is reached in about ([\d.]+) days?(, beyond the pilot's maximum duration \(14d\))?; (.*)\.$`).FindStringSubmatch(plan)
	require.NotNil(t, m, plan)
	num := func(s string) float64 {
		x, err := strconv.ParseFloat(s, 64)
		require.NoError(t, err)
		return x
	}
	require.InDelta(t, pr.Plan.CasesPerDayControl, num(m[2]), 0.05)
	require.InDelta(t, pr.Plan.CasesPerDayTreatment, num(m[3]), 0.05)
	require.InDelta(t, *pr.Plan.DaysToMinSample, num(m[4]), 0.5)
	require.Equal(t, *pr.Plan.DaysToMinSample > 14, m[5] != "", "past the 14 days the pilot may run: said")
	if pr.Plan.CasesFor80Power != nil {
		p := regexp.MustCompile(`^80 % power to detect the predicted change needs (\d+) cases per arm, about ([\d.]+) days?(, beyond the pilot's maximum duration \(14d\))?$`).FindStringSubmatch(m[6])
		require.NotNil(t, p, m[6])
		require.Equal(t, strconv.Itoa(*pr.Plan.CasesFor80Power), p[1])
		require.InDelta(t, *pr.Plan.DaysTo80Power, num(p[2]), 0.5)
		require.Equal(t, *pr.Plan.DaysTo80Power > 14, p[3] != "")
	} else {
		require.Equal(t, pr.Plan.Note, m[6])
	}

	// The predicted changes in words and in the table, with units and
	// intervals.
	summary := testidText(t, body, "prediction-summary")
	require.Regexp(t, `^The simulation predicts that v2, against v1, (shortens|lengthens|changes) the median cycle time by [−+]?[\d.]+ %? ?\(95 % interval [^)]+ %\)`, summary)
	require.Regexp(t, `the SLA breach rate by [−+]?[\d.]+ points \(95 % interval [−+]?[\d.]+ to [−+]?[\d.]+ points\)\.$`, summary)
	cycle := signedPct(*pr.CycleMedianChange.Mean)
	require.Contains(t, text, "Change of the median cycle time "+cycle+" 95 %: "+signedPct(*pr.CycleMedianChange.Lo)+" to "+signedPct(*pr.CycleMedianChange.Hi))
	require.Contains(t, text, "Change of the SLA breach rate "+signedPoints(*pr.SLABreachRateChange.Mean)+" points 95 %: ")

	// Closed cases: control 3 h, treatment 2 h 24 min (20 % shorter).
	servertest.SeedPilotArms(t, e.st, pl.ID, simNow, 6, 3*time.Hour, 144*time.Minute)
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	ms := got.Prediction.Measured
	require.NotNil(t, ms)
	require.NotNil(t, ms.PredictionError)
	require.False(t, ms.Final)
	body = e.page("olga", http.MethodGet, page, nil).Body.String()
	require.Equal(t, "−20 % closed cases: control 6, treatment 6", testidText(t, body, "measured-change"))
	require.Equal(t, signedPct(*ms.CycleMedianChange), "−20 %")
	require.Equal(t, signedPct(*ms.PredictionError), testidText(t, body, "prediction-error-value"))
	require.Contains(t, body, "<th scope=\"col\" class=\"num\">Measured so far</th>")
	verdict := "outside the target of ±15 % so far"
	if *ms.WithinTarget {
		verdict = "within the target of ±15 % so far"
	}
	require.Equal(t, verdict, testidText(t, body, "prediction-verdict"))
	require.Contains(t, predictionText(t, body), "Prediction error so far: "+signedPct(*ms.PredictionError)+" "+verdict)

	// Stopped: the measure is the pilot's result.
	servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", apiv1.StopPilotRequest{Reason: "enough"}, nil), http.StatusOK)
	got = servertest.DecodeStrict[apiv1.Pilot](t, e.Do("ivy", http.MethodGet, "/api/v1/pilots/"+pl.ID, nil, nil), http.StatusOK)
	require.True(t, got.Prediction.Measured.Final)
	body = e.page("olga", http.MethodGet, page, nil).Body.String()
	require.Contains(t, body, "<th scope=\"col\" class=\"num\">Measured (final)</th>")
	require.Equal(t, strings.TrimSuffix(verdict, " so far"), testidText(t, body, "prediction-verdict"))
	require.Contains(t, predictionText(t, body), "Prediction error: "+signedPct(*got.Prediction.Measured.PredictionError))
	require.NotContains(t, body, "style=", "no inline styles (CSP)")
}

// TestUIPilotPredictionFails: a pilot started from the form says its plan
// comes at the top of its page; a prediction without history fails, and
// the page says why, with a link to the failed simulation.
func TestUIPilotPredictionFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ivy", store.RoleImprover)
	res := e.page("ivy", http.MethodPost, "/ui/pilots/new", url.Values{"flow": {"complaint"}, "treatment": {"2"}, "share": {"50"},
		"min_cases_per_arm": {"50"}, "max_duration": {"7d"}})
	path, flash := impFlashOf(t, res)
	require.Contains(t, flash, "Its plan (how long it takes to reach its sample) appears at the top of this page once the prediction has been simulated.")
	pilotID := strings.TrimPrefix(path, "/ui/pilots/")
	id, err := e.eng.PredictPilot(context.Background(), pilotID)
	require.NoError(t, err)
	require.NoError(t, e.eng.RunSimulation(context.Background(), id))
	body := e.page("ivy", http.MethodGet, path, nil).Body.String()
	require.Contains(t, testidText(t, body, "prediction-error"), "The prediction failed: flow complaint created no case from")
	require.Contains(t, body, `<a href="/ui/simulations/`+id+`" data-testid="prediction-link">The failed simulation</a>`)
	require.NotContains(t, body, `data-testid="prediction-plan"`)
}

// TestPlanWords: the plan's sentence for unequal arms, no arrivals, and a
// note.
func TestPlanWords(t *testing.T) {
	t.Parallel()
	pl := apiv1.Pilot{MinCasesPerArm: 100, MaxDuration: "10d"}
	d, k, e := 12.34, 300, 1.0
	require.Equal(t, "About 2.6 new cases a day in the control arm and 0.3 in the treatment arm; the minimum sample of 100 cases per arm is reached in about 12 days, beyond the pilot's maximum duration (10d); 80 % power to detect the predicted change needs 300 cases per arm, about 1 day.",
		planWords(pl, apiv1.PilotPlan{CasesPerDayControl: 2.571, CasesPerDayTreatment: 0.2857, DaysToMinSample: &d, CasesFor80Power: &k, DaysTo80Power: &e}))
	require.Equal(t, "About 0 new cases a day per arm (control 0, treatment 0); no case arrived in the calibration window, so when the minimum sample of 100 cases per arm is reached is not known; a note.",
		planWords(pl, apiv1.PilotPlan{Note: "a note"}))
	require.Equal(t, "about 3.5 days", aboutDays(3.46))
}
