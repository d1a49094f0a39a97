package browser

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// TestBrowser runs every browser scenario against one flowlab and one
// Chromium (starting them costs most of the time); each scenario signs in
// its users in browser contexts of their own.
func TestBrowser(t *testing.T) {
	chromium := requireChromium(t)
	start := time.Now()
	e := newEnv(t, chromium)
	t.Logf("flowlab and %s started in %s; screenshots in %s", chromium, time.Since(start).Round(time.Millisecond), e.artifacts)

	t.Run("OnlyLoopback", e.testOnlyLoopback)
	t.Run("ChecksCanFail", e.testChecksCanFail)
	t.Run("SignIn", e.testSignIn)
	t.Run("StaffCompletesAndHandsOff", e.testStaffHandoff)
	t.Run("StaffSeesOnlyOwnDepartment", e.testDepartmentIsolation)
	t.Run("CompleteWithKeyboardOnly", e.testKeyboardCompletion)
	t.Run("InboxRefreshesInPlace", e.testInboxRefresh)
	t.Run("FindACustomersCase", e.testCaseSearch)
	t.Run("OwnerSeesHeatMap", e.testHeatMap)
	t.Run("OwnerImportsALog", e.testOwnerImportsLog)
	t.Run("OwnerComparesBeforeAndAfter", e.testOwnerComparesBeforeAndAfter)
	t.Run("ImproversWorkTheirCycle", e.testImprovementCycleWalk)
	// Last: promoting v2 changes the complaint flow's default version.
	t.Run("ImproverPromotesPilot", e.testPromotePilot)
	t.Run("AssignedWorkAndTheTeamLead", e.testAssignment)
	t.Run("PeopleAndTokens", e.testPeopleAndTokens)
	t.Run("AlertFiresAndTheBanner", e.testAlerts)
	t.Run("MonthlyReviewPackPrints", e.testReviewPack)
	t.Run("SimulateAChange", e.testSimulateAChange)
	// After SimulateAChange: its history calibrates the pilot's prediction.
	t.Run("PilotPrediction", e.testPilotPrediction)
	// After the pilot scenarios: every page with their data on it.
	t.Run("EveryPageAtCommonWidths", e.testEveryPageAtCommonWidths)
	// Last: 90 days of simulated history fill every page after it.
	t.Run("DemoHistory", e.testDemoHistory)
}

// testOnlyLoopback: the browser reaches the server on loopback and nothing
// else.
func (e *env) testOnlyLoopback(t *testing.T) {
	s := e.newSession(t, csAgent)
	require.Equal(t, int64(http.StatusOK), s.open("/ui/signin"))
	for _, u := range []string{"http://example.com/", "http://93.184.215.14/"} {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		_, err := chromedp.Run(ctx, chromedp.NavigateResponse(u))
		cancel()
		require.Error(t, err, "the browser must not reach %s", u)
		require.NotErrorIs(t, err, context.DeadlineExceeded, "%s should fail at once, not hang", u)
	}
}

// testChecksCanFail: the checks every page gets find what they look for:
// a page wider than the window, an uncaught exception, a script the
// Content-Security-Policy blocks.
func (e *env) testChecksCanFail(t *testing.T) {
	s := e.newSession(t, csAgent)
	s.open("/ui/signin")
	require.Empty(t, s.horizontalOverflow())
	require.Empty(t, s.consoleProblems())

	// DevTools' own evaluation is exempt from the page's CSP.
	eval[chromedp.Void](s, `(() => { const d = document.createElement("div"); d.id = "too-wide"; d.style.width = "3000px"; d.style.height = "1px"; document.body.appendChild(d); })()`)
	require.Contains(t, s.horizontalOverflow(), "div#too-wide")
	// A cell whose text does not fit, and a table wider than its box.
	// (Styles set through the DOM: the page's CSP refuses style attributes.)
	eval[chromedp.Void](s, `(() => {
		document.getElementById("too-wide").remove();
		const w = document.createElement("div"); w.style.width = "200px"; w.style.overflow = "hidden";
		const t = document.createElement("table"); t.dataset.testid = "narrow"; t.style.tableLayout = "fixed"; t.style.width = "400px";
		const tr = t.insertRow(), a = tr.insertCell(), b = tr.insertCell();
		a.textContent = "a text far too long for its cell"; a.style.width = "50px"; a.style.whiteSpace = "nowrap"; a.style.overflow = "hidden";
		b.textContent = "x";
		w.appendChild(t); document.body.appendChild(w);
	})()`)
	cells := strings.Join(s.cellOverflows(), "\n")
	require.Contains(t, cells, `cell narrow td "a text far too long for its cell"`)
	require.Contains(t, cells, "table narrow is 400 px wide in a box of 200 px")

	eval[chromedp.Void](s, `(() => {
		const sc = document.createElement("script"); sc.textContent = "window.inlineRan = true"; document.body.appendChild(sc);
		setTimeout(() => { throw new Error("uncaught in the page") }, 0);
	})()`)
	require.False(t, eval[bool](s, `window.inlineRan === true`), "the CSP blocks inline script")
	var problems []string
	s.waitFor("the console reports both", func() bool {
		problems = append(problems, s.consoleProblems()...)
		joined := strings.Join(problems, "\n")
		return strings.Contains(joined, "uncaught in the page") && strings.Contains(joined, "Content Security Policy")
	}, 5*time.Second)
}

// testSignIn: without a session a page leads to the sign-in form; a wrong
// token is refused at the field; the right one sets an HttpOnly,
// SameSite=Strict session cookie and lands on the role's home page with
// the actor in the header; signing out ends the session, and signing in
// again returns to the page asked for.
func (e *env) testSignIn(t *testing.T) {
	s := e.newSession(t, csAgent)
	s.open("/ui/")
	require.Equal(t, "/ui/signin", s.path(), "a page without a session goes to the sign-in form")
	s.waitJS("the token field has the focus", `document.activeElement && document.activeElement.id === "token"`, 5*time.Second)
	s.shot("01-signin")

	status := s.submit("sign in with a wrong token",
		chromedp.SendKeys(chromedp.ID("token"), "flk_not-a-token"),
		chromedp.Click(chromedp.CSS(`form[action="/ui/signin"] button[type=submit]`)),
	)
	require.Equal(t, int64(http.StatusUnauthorized), status)
	require.Contains(t, s.text("#signin-error"), "unknown, expired or revoked")
	require.Equal(t, "true", eval[string](s, `document.getElementById("token").getAttribute("aria-invalid")`))
	s.shot("02-wrong-token")

	status = s.signIn()
	require.Equal(t, "/ui/inbox", s.path(), "staff land on their inbox")
	require.Equal(t, int64(http.StatusOK), status)
	cookies, err := chromedp.Call(s.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.url + "/ui/"}})
	require.NoError(t, err)
	var session *network.Cookie
	for _, c := range cookies.Cookies {
		if c.Name == "flowlab_session" {
			session = c
		}
	}
	require.NotNil(t, session, "the session cookie is set: %+v", cookies.Cookies)
	require.True(t, session.HTTPOnly, "the session cookie is HttpOnly")
	require.Equal(t, network.CookieSameSiteStrict, session.SameSite)
	require.Equal(t, "/ui", session.Path)
	require.False(t, eval[bool](s, `document.cookie.includes("flowlab_session")`), "scripts cannot read the session")
	actor := s.text(`[data-testid="actor"]`)
	require.Contains(t, actor, e.names[csAgent])
	require.Contains(t, actor, "Customer service")
	s.shot("03-signed-in")

	// Signing out ends the session: a page leads to the sign-in form again
	// and comes back after it.
	status = s.submit("sign out", chromedp.Click(chromedp.CSS(`form[action="/ui/signout"] button`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.True(t, strings.HasPrefix(s.path(), "/ui/signin"), s.path())
	require.Contains(t, s.text(`.flash`), "Signed out")
	s.open("/ui/inbox?assignee=mine")
	require.True(t, strings.HasPrefix(s.path(), "/ui/signin?next="), "signed out: %s", s.path())
	s.signInHere()
	require.Equal(t, "/ui/inbox?assignee=mine", s.path(), "back to the page asked for")
}
