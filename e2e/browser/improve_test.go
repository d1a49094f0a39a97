package browser

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// testPromotePilot: an improver opens a running pilot (complaint v1 against
// v2, started through the API), presses Promote treatment, first cancels
// the confirmation (nothing happens), then accepts it: the pilot is
// promoted and v2 is the complaint flow's default version.
func (e *env) testPromotePilot(t *testing.T) {
	complaint := apiv1.FlowParams{Key: "complaint"}
	flow, err := e.client(t, admin).GetFlow(t.Context(), complaint)
	require.NoError(t, err)
	require.Equal(t, 1, flow.DefaultVersion)
	pilots := e.client(t, improver)
	pl, err := pilots.StartPilot(t.Context(), apiv1.StartPilotRequest{
		Flow: "complaint", Treatment: 2, Share: new(50.0), Unit: "case", EvaluateEvery: "1h", MaxDuration: "1d",
	})
	require.NoError(t, err)
	require.Equal(t, 1, pl.Control)
	require.Equal(t, apiv1.PilotRunning, pl.Status)
	// A few complaints through the pilot, so its page has numbers.
	const pilotCases = 4
	for i := range pilotCases {
		c := e.startCase(t, "C-browser-pilot-"+strconv.Itoa(i))
		e.runCaseToEnd(t, c.ID)
	}

	s := e.newSession(t, improver)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, "/ui/pilots", s.path(), "improvers land on the pilots")
	require.True(t, s.has(`a[href="/ui/pilots/`+pl.ID+`"]`), "the pilots list links the pilot")
	s.shot("01-pilots")
	require.Equal(t, int64(http.StatusOK), s.open("/ui/pilots/"+pl.ID))
	require.Equal(t, "running", s.text(`[data-testid="pilot-status"]`))
	arms := eval[[]int](s, `[...document.querySelectorAll('[data-testid="arm-row"]')].map(r => parseInt(r.querySelector("td.num").textContent, 10))`)
	require.Len(t, arms, 2, "a row per arm")
	require.Equal(t, pilotCases, arms[0]+arms[1], "the arms hold the pilot's cases")
	s.waitJS("the distribution chart loads", `(() => { const i = document.querySelector('[data-testid="distribution-chart"]'); return i && i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	s.shot("02-pilot")

	dialogs := s.answerDialogs()
	promote := chromedp.Click(chromedp.CSS(`[data-testid="promote-treatment"]`))

	// Cancel: the form is not sent.
	dialogs.answer(false)
	s.do("press Promote and cancel", promote)
	s.waitFor("the confirmation", func() bool { return len(dialogs.messages()) == 1 }, 5*time.Second)
	require.Contains(t, dialogs.messages()[0], "v2", "the confirmation names the version")
	require.Equal(t, "/ui/pilots/"+pl.ID, s.path())
	pl, err = pilots.GetPilot(t.Context(), apiv1.PilotIDParams{ID: pl.ID})
	require.NoError(t, err)
	require.Equal(t, apiv1.PilotRunning, pl.Status, "a cancelled confirmation changes nothing")

	// Accept: promoted.
	dialogs.answer(true)
	status := s.submit("press Promote and confirm", promote)
	require.Equal(t, int64(http.StatusOK), status)
	require.Len(t, dialogs.messages(), 2)
	require.Equal(t, "/ui/pilots/"+pl.ID, strings.SplitN(s.path(), "?", 2)[0])
	require.Contains(t, s.text(`.flash`), "v2 is now the flow's default version")
	require.Contains(t, s.text(`[data-testid="promoted-arm"]`), "treatment")
	s.shot("03-promoted")

	pl, err = pilots.GetPilot(t.Context(), apiv1.PilotIDParams{ID: pl.ID})
	require.NoError(t, err)
	require.Equal(t, apiv1.PilotPromoted, pl.Status)
	require.Equal(t, apiv1.ArmTreatment, pl.PromotedArm)
	flow, err = e.client(t, admin).GetFlow(t.Context(), complaint)
	require.NoError(t, err)
	require.Equal(t, 2, flow.DefaultVersion, "the treatment's version is the default")
}
