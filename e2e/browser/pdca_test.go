package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flows"
)

// testImprovementCycleWalk: an agent proposes a change in the browser; the
// improver (a token without any department, as flowlab demo creates
// them) adopts it, finds the cycle's Plan task in the inbox, claims and
// completes it, stops the pilot the cycle started, records the check and
// standardises: the cycle closes and the candidate version is the flow's
// default (issue 15, item 8). The case page of the cycle asks for no
// customer feedback.
func (e *env) testImprovementCycleWalk(t *testing.T) {
	// A candidate: appointment v2, so the other scenarios' complaint flow
	// is not changed.
	var src []byte
	for _, b := range flows.All() {
		if b.Key == "appointment" && b.Version == 1 {
			src = b.Source
		}
	}
	require.NotEmpty(t, src)
	v2 := strings.Replace(string(src), "\nversion: 1\n", "\nversion: 2\n", 1)
	require.NotEqual(t, string(src), v2)
	var published int
	_, err := e.client(t, owner).PublishFlowVersion(t.Context(), apiv1.FlowKeyParams{Key: "appointment"}, []byte(v2+"\n# candidate\n"),
		apiv1.WithStatus(&published))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, published)

	agent := e.newSession(t, csAgent)
	require.Equal(t, int64(http.StatusOK), agent.signIn())
	agent.open("/ui/proposals")
	const title = "Confirm appointments by text message"
	status := agent.submit("propose",
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.Click(chromedp.CSS(`[data-testid="propose"]`)))
	require.Equal(t, int64(http.StatusOK), status)

	imp := e.newSessionWithin(t, improver, 3*time.Minute)
	require.Equal(t, int64(http.StatusOK), imp.signIn())
	imp.open("/ui/proposals")
	imp.submit("open the proposal", chromedp.Click(chromedp.CSS(`[data-testid="proposal-link"]`)))
	require.Equal(t, title, imp.text(`[data-testid="heading"]`))
	imp.do("choose the flow", chromedp.SetValue(chromedp.ID("flow"), "appointment"), chromedp.SetValue(chromedp.ID("metric"), "cycle_time"))
	propPath := imp.path()
	imp.submit("adopt", chromedp.Click(chromedp.CSS(`[data-testid="adopt"]`)))
	imp.open(strings.SplitN(propPath, "?", 2)[0])
	caseID := eval[string](imp, `(() => { const a = document.querySelector('[data-testid="adopted-cycle"]'); return a ? a.getAttribute("href").split("/").pop() : ""; })()`)
	require.NotEmpty(t, caseID, "the proposal links its cycle")

	// Plan: in the improver's inbox.
	plan := e.waitOpenTask(t, caseID, "improvement")
	require.Equal(t, int64(http.StatusOK), imp.open("/ui/inbox"))
	require.True(t, imp.has(row(plan.ID)), "the Plan task is in the improver's inbox")
	imp.shot("01-inbox")
	imp.submit("claim", chromedp.Click(chromedp.CSS(row(plan.ID)+` [data-testid="claim"]`)))
	require.Equal(t, "you", imp.text(row(plan.ID)+` [data-testid="assignee"]`))
	imp.open("/ui/tasks/" + plan.ID)
	imp.do("fill in the plan",
		chromedp.SendKeys(chromedp.ID("field-problem"), "Customers miss appointments"),
		chromedp.SendKeys(chromedp.ID("field-target"), "3600"),
		chromedp.SendKeys(chromedp.ID("field-hypothesis"), "A reminder halves the no-shows"),
		chromedp.SendKeys(chromedp.ID("field-treatment"), "2"))
	imp.shot("02-plan")
	imp.submit("planned", chromedp.Click(chromedp.CSS(`[data-testid="complete-planned"]`)))

	// Do: the cycle's pilot runs; the improver stops it from its page.
	pilotID := ""
	imp.waitFor("the cycle's pilot", func() bool {
		list, err := e.client(t, improver).ListPilots(t.Context(), apiv1.ListPilotsParams{Flow: "appointment"})
		require.NoError(t, err)
		for _, p := range list.Pilots {
			if p.PDCACaseID == caseID && p.Status == apiv1.PilotRunning {
				pilotID = p.ID
			}
		}
		return pilotID != ""
	}, pollLimit)
	imp.open("/ui/pilots/" + pilotID)
	dialogs := imp.answerDialogs()
	dialogs.answer(true)
	imp.submit("stop the pilot", chromedp.Click(chromedp.CSS(`[data-testid="stop"]`)))
	require.Equal(t, "stopped", imp.text(`[data-testid="pilot-status"]`))

	// Check, then Act: standardise.
	check := e.waitOpenTask(t, caseID, "improvement")
	imp.open("/ui/tasks/" + check.ID)
	imp.do("record the finding", chromedp.SendKeys(chromedp.ID("field-finding"), "No difference yet; the reminder is cheap"))
	imp.submit("target met", chromedp.Click(chromedp.CSS(`[data-testid="complete-target_met"]`)))
	act := e.waitOpenTask(t, caseID, "improvement")
	imp.open("/ui/tasks/" + act.ID)
	imp.do("record the learning", chromedp.SendKeys(chromedp.ID("field-learning"), "Remind the day before"))
	imp.submit("standardise", chromedp.Click(chromedp.CSS(`[data-testid="complete-standardise"]`)))

	var cs *apiv1.CaseDetail
	deadline := time.Now().Add(pollLimit)
	for {
		cs = e.getCase(t, caseID)
		if cs.Status == apiv1.CaseCompleted || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.Equal(t, apiv1.CaseCompleted, cs.Status, "the cycle closes after standardising")
	fl, err := e.client(t, admin).GetFlow(t.Context(), apiv1.FlowParams{Key: "appointment"})
	require.NoError(t, err)
	require.Equal(t, 2, fl.DefaultVersion, "the candidate is the default")

	// The cycle's page: internal, no customer feedback.
	imp.open("/ui/cases/" + caseID)
	require.False(t, imp.has(`[data-testid="feedback-form"]`), "an improvement cycle asks for no customer feedback")
	imp.shotAt("03-cycle", layoutSizes...)
}
