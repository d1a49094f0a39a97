package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// testPilotPrediction: after SimulateAChange (its four weeks of history
// calibrate the prediction), the improver starts a complaint pilot from
// the form (the other version against the default, 7 days); the flash says the
// plan comes at the top of the page, which says the prediction runs
// (linking the simulation) until the real worker's Pilot workflow has
// simulated it; then the plan is the first thing on the page, with the
// predicted changes in words and units. Closed cases of both arms add
// the measured change and the prediction error, as the API reports them.
// The pilot is stopped at the end (the demo history runs its own).
func (e *env) testPilotPrediction(t *testing.T) {
	// The treatment is the version that is not the default (v2 once
	// ImproverPromotesPilot promoted it).
	flow, err := e.client(t, admin).GetFlow(t.Context(), apiv1.FlowParams{Key: "complaint"})
	require.NoError(t, err)
	treatment := 2
	if flow.DefaultVersion == 2 {
		treatment = 1
	}
	s := e.newSessionWithin(t, improver, 4*time.Minute)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, int64(http.StatusOK), s.open("/ui/pilots/new?flow=complaint"))
	s.do("a week's pilot of the other version", chromedp.SetValue(chromedp.ID("treatment"), strconv.Itoa(treatment)), chromedp.SetValue(chromedp.ID("max_duration"), "7d"),
		chromedp.SetValue(chromedp.ID("min_cases_per_arm"), "30"), chromedp.SetValue(chromedp.ID("unit"), "case"))
	require.Equal(t, int64(http.StatusOK), s.submit("start the pilot", chromedp.Click(chromedp.CSS(`[data-testid="start-pilot"]`))))
	here := strings.SplitN(s.path(), "?", 2)[0]
	require.True(t, strings.HasPrefix(here, "/ui/pilots/"), here)
	id := strings.TrimPrefix(here, "/ui/pilots/")
	require.Contains(t, s.text(`[data-testid="flash"]`), "Its plan (how long it takes to reach its sample) appears at the top of this page")
	require.True(t, s.has(`[data-testid="pilot-prediction"]`))
	if s.has(`[data-testid="prediction-running"]`) {
		require.True(t, s.has(`[data-testid="prediction-running"] a[href^="/ui/simulations/"]`), "linking the simulation")
		s.shot("01-prediction-running")
	}

	deadline := time.Now().Add(150 * time.Second)
	for !s.has(`[data-testid="prediction-plan"]`) {
		require.False(t, s.has(`[data-testid="prediction-error"]`), "the prediction failed: %s", s.text(`[data-testid="pilot-prediction"]`))
		require.True(t, time.Now().Before(deadline), "the prediction did not finish: %s", s.text(`[data-testid="pilot-prediction"]`))
		time.Sleep(time.Second)
		require.Equal(t, int64(http.StatusOK), s.open(here))
	}
	pl, err := e.client(t, improver).GetPilot(t.Context(), apiv1.PilotIDParams{ID: id})
	require.NoError(t, err)
	require.Equal(t, "succeeded", pl.Prediction.Status)
	require.Equal(t, treatment, pl.Treatment)
	// The plan is the first thing the page says.
	first := eval[string](s, `document.querySelector("main section.card").getAttribute("data-testid")`)
	require.Equal(t, "pilot-prediction", first)
	plan := s.text(`[data-testid="prediction-plan"]`)
	require.Regexp(t, `^Plan: About [\d.]+ new cases a day per arm \(control [\d.]+, treatment [\d.]+\); the minimum sample of 30 cases per arm is reached in about [\d.]+ days?`, plan)
	require.Regexp(t, `^The simulation predicts that v`+strconv.Itoa(treatment)+`, against v`+strconv.Itoa(flow.DefaultVersion)+`, (shortens|lengthens|changes) the median cycle time by [−+]?[\d.]+ %? ?\(95 % interval `, s.text(`[data-testid="prediction-summary"]`))
	require.Regexp(t, `[−+]?[\d.]+ %\s+95 %: `, s.text(`[data-testid="prediction-cycle"] td`))
	require.Regexp(t, `[−+]?[\d.]+ points\s+95 %: `, s.text(`[data-testid="prediction-sla"] td`))
	require.True(t, s.has(`[data-testid="pilot-prediction"] a[href="/ui/simulations/`+pl.Prediction.SimulationID+`"]`), "a link to the full simulation")
	s.shotAt("02-plan", laptop)

	// Closed cases in both arms: control 3 h, treatment 2 h 24 min.
	ctx := context.Background()
	now := time.Now().UTC()
	for i := range 5 {
		for _, arm := range []struct {
			variant string
			cycle   time.Duration
		}{{store.ArmControl, 3 * time.Hour}, {store.ArmTreatment, 144 * time.Minute}} {
			cid := fmt.Sprintf("10000000-0000-4000-c000-%s%06d", map[string]string{"control": "00000a", "treatment": "00000b"}[arm.variant], i)
			closed := now.Add(-time.Duration(i+1) * time.Minute)
			at := closed.Add(-arm.cycle)
			_, _, err := e.st.CreateCase(ctx, store.CreateCaseParams{ID: cid, Flow: "complaint", Version: pl.ArmVersion(arm.variant), Variant: arm.variant, PilotID: id,
				Customer: "C-prediction-" + cid[len(cid)-4:], Channel: "phone", Attributes: json.RawMessage(`{"severity":"primary"}`), Status: store.CaseActive,
				WorkflowID: "complaint-" + cid, At: at})
			require.NoError(t, err)
			done := store.CaseCompleted
			require.NoError(t, e.st.UpdateCase(ctx, store.UpdateCaseParams{ID: cid, Status: &done, ClosedAt: &closed, At: closed}))
		}
	}
	pl, err = e.client(t, improver).GetPilot(t.Context(), apiv1.PilotIDParams{ID: id})
	require.NoError(t, err)
	m := pl.Prediction.Measured
	require.NotNil(t, m)
	require.NotNil(t, m.PredictionError)
	require.Equal(t, int64(http.StatusOK), s.open(here))
	require.Regexp(t, `^−20 %\s+closed cases: control 5, treatment 5$`, s.text(`[data-testid="measured-change"]`))
	errText := s.text(`[data-testid="prediction-error-value"]`)
	require.Regexp(t, `^[−+]?[\d.]+ %$`, errText)
	var shown float64
	_, err = fmt.Sscanf(strings.NewReplacer("−", "-", "+", "", " %", "").Replace(errText), "%g", &shown)
	require.NoError(t, err)
	require.InDelta(t, *m.PredictionError*100, shown, 0.51, "the API's prediction error")
	require.Regexp(t, `^(within|outside) the target of ±15 % so far$`, s.text(`[data-testid="prediction-verdict"]`))
	require.Equal(t, *m.WithinTarget, strings.HasPrefix(s.text(`[data-testid="prediction-verdict"]`), "within"))
	s.shotAt("03-predicted-and-measured", laptop, desktop)
	require.Empty(t, s.consoleProblems())

	_, err = e.client(t, improver).StopPilot(t.Context(), apiv1.PilotIDParams{ID: id}, apiv1.StopPilotRequest{Reason: "the browser test's pilot"})
	require.NoError(t, err)
}
