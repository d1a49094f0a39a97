package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/store"
)

// TestFavicon: browsers' own request for /favicon.ico gets an icon, not a
// 404 (issue 15, item 23), and every page links it.
func TestFavicon(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.page("", http.MethodGet, "/favicon.ico", nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "image/x-icon", res.Header().Get("Content-Type"))
	require.True(t, bytes.HasPrefix(res.Body.Bytes(), []byte{0, 0, 1, 0}), "an ICO file")
	signin := e.page("", http.MethodGet, "/ui/signin", nil)
	require.Contains(t, signin.Body.String(), `rel="icon" href="/ui/static/favicon.ico?v=`)
}

// TestUIImprovementCycleCaseIsInternal: an improvement cycle's page asks
// for no customer feedback (a post is refused with a reason), and its
// numbers read as numbers, not as 3.5654345144999997 (issue 15, item 23).
func TestUIImprovementCycleCaseIsInternal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	p := e.Propose("agent", "Fewer handoffs", false)
	ad := e.Adopt(p.ID, "complaint", "csat")
	attrs, err := json.Marshal(map[string]any{"flow": "complaint", "metric": "csat", "baseline_value": 3.5654345144999997, "baseline_cases": 40})
	require.NoError(t, err)
	require.NoError(t, e.st.UpdateCase(t.Context(), store.UpdateCaseParams{ID: ad.Case.ID, Attributes: attrs, At: e.srv.now()}))

	page := e.page("improver", http.MethodGet, "/ui/cases/"+ad.Case.ID, nil)
	require.Equal(t, http.StatusOK, page.Code, page.Body.String())
	body := page.Body.String()
	require.NotContains(t, body, `data-testid="feedback-form"`)
	require.NotContains(t, body, "CSAT")
	require.NotContains(t, body, "3.5654345144999997")
	require.Contains(t, body, "<dd>3.57</dd>")
	require.Contains(t, body, "<dd>40</dd>")

	// A cycle-time cycle shows its metric's values as durations.
	attrs, err = json.Marshal(map[string]any{"flow": "complaint", "metric": "cycle_time", "baseline_value": 17234.56, "target": 3600})
	require.NoError(t, err)
	require.NoError(t, e.st.UpdateCase(t.Context(), store.UpdateCaseParams{ID: ad.Case.ID, Attributes: attrs, At: e.srv.now()}))
	body = e.page("improver", http.MethodGet, "/ui/cases/"+ad.Case.ID, nil).Body.String()
	require.Contains(t, body, "<dt>baseline_value</dt><dd>4 h 47 min</dd>")
	require.Contains(t, body, "<dt>target</dt><dd>1 h 00 min</dd>")

	res := e.page("improver", http.MethodPost, "/ui/cases/"+ad.Case.ID+"/feedback", url.Values{"csat": {"5"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, res.Header().Get("Location"), "/ui/cases/"+ad.Case.ID, "back to the case, with the reason")
	_, err = e.st.GetFeedback(t.Context(), ad.Case.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing recorded")
	// The API refuses it too, with the reason, whoever asks.
	api := e.Do("admin", http.MethodPost, "/api/v1/cases/"+ad.Case.ID+"/feedback", map[string]any{"csat": 5}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, api.Code, api.Body.String())
	require.Contains(t, api.Body.String(), "takes no customer feedback")
	_, err = e.st.GetFeedback(t.Context(), ad.Case.ID)
	require.ErrorIs(t, err, store.ErrNotFound, "nothing recorded through the API")

	// A customer's case still asks for feedback.
	c := e.startCaseAs("agent", "complaint", "C-1", map[string]any{"severity": "primary"})
	require.Contains(t, e.page("agent", http.MethodGet, "/ui/cases/"+c.ID, nil).Body.String(), `data-testid="feedback-form"`)
}

// TestUIAgentsDoNotSeeArms: a case in a pilot shows its arm to owners and
// improvers, never to the agents who work it, on the case, task, cases and
// inbox pages (issue 15, item 20); departments and outcomes read as names
// ("Customer service"), their ids staying in data- attributes.
func TestUIAgentsDoNotSeeArms(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("owner", store.RoleOwner)
	e.Actor("improver", store.RoleImprover)
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 50, "unit": "case"})
	c := e.startCaseAs("agent", "complaint", "C-arm", map[string]any{"severity": "primary"})
	require.Equal(t, pl.ID, c.PilotID)
	require.NotEmpty(t, c.Variant)
	tk := e.OpenTask(c.ID)
	arm := "· arm " + c.Variant
	for _, path := range []string{"/ui/cases/" + c.ID, "/ui/tasks/" + tk.ID} {
		agent := e.page("agent", http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, agent.Code, path)
		require.NotContains(t, agent.Body.String(), arm, "%s as the agent", path)
		owner := e.page("owner", http.MethodGet, path, nil)
		require.Contains(t, owner.Body.String(), arm, "%s as the owner", path)
	}
	for _, path := range []string{"/ui/cases", "/ui/inbox"} {
		agent := e.page("agent", http.MethodGet, path, nil).Body.String()
		require.NotContains(t, agent, "· "+c.Variant+"</td>", "%s as the agent", path)
		require.Contains(t, e.page("owner", http.MethodGet, path, nil).Body.String(), "· "+c.Variant+"</td>", "%s as the owner", path)
	}

	// Names, not ids.
	inbox := e.page("agent", http.MethodGet, "/ui/inbox", nil).Body.String()
	require.Contains(t, inbox, `<td class="clip hide-narrow">Customer service</td>`)
	require.Contains(t, inbox, `data-department="customer_service"`)
	require.Contains(t, inbox, "· Customer service</span>", "the signed-in actor's departments")
	task := e.page("agent", http.MethodGet, "/ui/tasks/"+tk.ID, nil).Body.String()
	require.Contains(t, task, `<dd data-testid="task-department">Customer service</dd>`)
	buttons := regexp.MustCompile(`data-testid="complete-([a-z_]+)">([^<]+)</button>`).FindAllStringSubmatch(task, -1)
	require.NotEmpty(t, buttons)
	for _, b := range buttons {
		require.Equal(t, readable.Name(b[1]), b[2], "outcome %s by name", b[1])
	}
}

// TestPilotPageOneLookNoEarlyPromotion: the pilot page's recommendation is
// the one of the results beside it (not the one stored at an earlier
// look); without a winner no promotion is highlighted, and a guardrail
// whose metric has no data yet is "not evaluated yet", not "holds"
// (issue 15, item 17).
func TestPilotPageOneLookNoEarlyPromotion(t *testing.T) {
	t.Parallel()
	pl := apiv1.Pilot{ID: "p1", Flow: "complaint", Control: 1, Treatment: 2, Status: store.PilotRunning, PrimaryMetric: "cycle_time",
		Recommendation: "look 1: promote the treatment"}
	res := apiv1.PilotResults{PilotID: "p1", Flow: "complaint", Status: store.PilotRunning}
	res.Recommendation = "look 3: continue, not enough data"
	res.Arms = map[string]experiment.ArmStats{experiment.ArmControl: {}, experiment.ArmTreatment: {}}
	res.Metrics = []experiment.MetricResult{
		{Metric: experiment.CycleTime, Primary: true, Verdict: experiment.VerdictInsufficient},
		{Metric: experiment.SLABreachRate, Verdict: experiment.VerdictInsufficient},
	}
	res.Guardrails = []experiment.GuardrailState{{Metric: experiment.SLABreachRate, MaxWorsening: 0.1, P: 1,
		Reason: "not enough data to check the SLA breach rate (0 and 0 cases)"}}

	page := pilotView(pl, res)
	require.Equal(t, res.Recommendation, page.Recommendation, "the recommendation of the look the tables show")
	require.Equal(t, "", page.PromoteArm, "no evidence, no highlighted promotion")
	require.Len(t, page.Guardrails, 1)
	require.False(t, page.Guardrails[0].Evaluated)
	require.Equal(t, "–", page.Guardrails[0].Worsening)

	// An ended pilot never reads "keep the pilot running".
	res.Decision = experiment.DecisionContinue
	pl.Status = store.PilotStopped
	require.Contains(t, pilotView(pl, res).Recommendation, "the pilot ended (stopped) before its data decided it")
	pl.Status = store.PilotRunning

	// With data and a winner: the winner's promotion is highlighted and the
	// guardrail is evaluated.
	res.Winner = experiment.ArmTreatment
	res.Metrics[1].Verdict = experiment.VerdictNoDifference
	page = pilotView(pl, res)
	require.Equal(t, experiment.ArmTreatment, page.PromoteArm)
	require.True(t, page.Guardrails[0].Evaluated)
}

// TestUIPilotPageBeforeEvidence renders the page of a pilot without a
// closed case: no highlighted promotion, guardrails not evaluated yet.
func TestUIPilotPageBeforeEvidence(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("improver", store.RoleImprover)
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 50,
		"guardrails": []map[string]any{{"metric": "sla_breach_rate", "max_worsening": 0.1}}})
	body := e.page("improver", http.MethodGet, "/ui/pilots/"+pl.ID, nil).Body.String()
	require.Contains(t, body, `data-testid="promote-treatment"`)
	require.NotContains(t, body, `class="primary" data-testid="promote-treatment"`)
	require.NotContains(t, body, `class="primary" data-testid="promote-control"`)
	require.Contains(t, body, `data-testid="no-evidence"`)
	require.Contains(t, body, "not evaluated yet")
	require.NotContains(t, body, `<span class="badge ok">holds</span>`)
}
