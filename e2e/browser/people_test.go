package browser

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// The person the people scenario adds (a key of env.tokens).
const newcomer = "maria"

// testPeopleAndTokens (issue 20): the admin adds a person from the People
// page, gives her a token (shown once, in a box, never in the address
// bar) and moves her to another department; she signs in with it,
// creates a second token on her settings page and revokes the first,
// the one she signed in with: the confirmation says it signs her out, and
// it does, saying so; the second token signs her in again.
func (e *env) testPeopleAndTokens(t *testing.T) {
	adm := e.newSessionWithin(t, admin, 2*time.Minute)
	require.Equal(t, int64(http.StatusOK), adm.signIn())
	require.Equal(t, int64(http.StatusOK), adm.submit("open People", chromedp.Click(chromedp.CSS(`header a[href="/ui/people"]`))))
	require.Equal(t, "/ui/people", adm.path())
	require.True(t, adm.has(`tr[data-testid="person-row"]`), "the people the harness made")
	adm.shotAt("01-people", laptop, tabletPortrait)

	// Add Maria to customer service.
	require.Equal(t, int64(http.StatusOK), adm.submit("add a person", chromedp.Click(chromedp.CSS(`[data-testid="add-person"]`))))
	require.Equal(t, "/ui/people/new", adm.path())
	adm.do("fill in the person",
		chromedp.SendKeys(chromedp.ID("name"), "Maria Santos"),
		chromedp.SendKeys(chromedp.ID("email"), "maria@example.com"),
		chromedp.Click(chromedp.CSS(`[data-testid="works-customer_service"]`)))
	adm.shot("02-add-a-person")
	require.Equal(t, int64(http.StatusOK), adm.submit("add her", chromedp.Click(chromedp.CSS(`[data-testid="save-person"]`))))
	require.True(t, strings.HasPrefix(adm.path(), "/ui/people/"), adm.path())
	id := strings.TrimPrefix(strings.SplitN(adm.path(), "?", 2)[0], "/ui/people/")
	require.Contains(t, adm.text(`[data-testid="flash"]`), "Added Maria Santos (staff of Customer service)")
	require.True(t, adm.has(`[data-testid="tokens-empty"]`))

	// Her first token: shown once, in the answer of the form post.
	adm.do("a lifetime", chromedp.SendKeys(chromedp.ID("expires_in"), "30d"))
	require.Equal(t, int64(http.StatusOK), adm.submit("create a token for her", chromedp.Click(chromedp.CSS(`[data-testid="create-token"]`))))
	first := eval[string](adm, `document.querySelector('[data-testid="new-token"]').value`)
	require.True(t, strings.HasPrefix(first, apiv1.TokenPrefix), first)
	require.Equal(t, "/ui/people/"+id+"/tokens", adm.path(), "the token is in no address")
	require.Contains(t, adm.text(`[data-testid="token-once"]`), "copy it now")
	require.Contains(t, adm.text(`[data-testid="token-once"]`), "It expires")
	require.Equal(t, 1, eval[int](adm, `document.querySelectorAll('tr[data-testid="token-row"][data-status="active"]').length`))
	adm.shotAt("03-token-shown-once", laptop, tabletPortrait)

	// Move her to the technical department.
	require.Equal(t, int64(http.StatusOK), adm.open("/ui/people/"+id))
	require.False(t, adm.has(`[data-testid="token-once"]`), "shown once")
	adm.do("move her to technical",
		chromedp.Click(chromedp.CSS(`[data-testid="works-customer_service"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="works-technical"]`)))
	require.Equal(t, int64(http.StatusOK), adm.submit("save", chromedp.Click(chromedp.CSS(`[data-testid="save-person"]`))))
	require.Contains(t, adm.text(`[data-testid="flash"]`), "Saved Maria Santos: staff of Technical. Was in Customer service.")
	require.True(t, eval[bool](adm, `document.querySelector('[data-testid="works-technical"]').checked`))
	adm.shot("04-moved-to-technical")

	// She signs in with it and creates a second token for the CLI.
	e.tokens[newcomer], e.names[newcomer] = first, "Maria Santos"
	maria := e.newSessionWithin(t, newcomer, 2*time.Minute)
	require.Equal(t, int64(http.StatusOK), maria.signIn())
	require.Equal(t, "/ui/inbox", maria.path())
	require.Contains(t, maria.text(`[data-testid="actor"]`), "Technical")
	require.Equal(t, int64(http.StatusOK), maria.open("/ui/settings"))
	firstID := eval[string](maria, `document.querySelector('tr[data-testid="token-row"]').dataset.tokenId`)
	require.Equal(t, int64(http.StatusOK), maria.submit("create a token", chromedp.Click(chromedp.CSS(`[data-testid="create-token"]`))))
	second := eval[string](maria, `document.querySelector('[data-testid="new-token"]').value`)
	require.True(t, strings.HasPrefix(second, apiv1.TokenPrefix))
	require.NotEqual(t, first, second)
	require.Equal(t, "/ui/settings/tokens", maria.path())
	require.Contains(t, maria.text(`[data-testid="token-once"]`), "does not expire")
	require.Equal(t, 2, eval[int](maria, `document.querySelectorAll('tr[data-testid="token-row"][data-status="active"]').length`))
	maria.shotAt("05-my-second-token", laptop, tabletPortrait)

	// She revokes the first, the one she signed in with.
	row := `tr[data-testid="token-row"][data-token-id="` + firstID + `"]`
	require.Equal(t, int64(http.StatusOK), maria.submit("revoke the first", chromedp.Click(chromedp.CSS(row+` [data-testid="revoke-token"]`))))
	require.Contains(t, maria.text(`[data-testid="revoke-signs-out"]`), "signs you out")
	maria.shot("06-revoke-confirm")
	require.Equal(t, int64(http.StatusOK), maria.submit("revoke it", chromedp.Click(chromedp.CSS(`[data-testid="confirm-revoke"]`))))
	require.True(t, strings.HasPrefix(maria.path(), "/ui/signin"), maria.path())
	require.Equal(t, "You revoked the token you had signed in with, so you are signed out. Sign in with another of your tokens.",
		maria.text(`[data-testid="flash"]`))
	maria.shot("07-signed-out")

	// The second token signs her in; the first is revoked.
	e.tokens[newcomer] = second
	require.Equal(t, int64(http.StatusOK), maria.signInHere())
	require.Equal(t, int64(http.StatusOK), maria.open("/ui/settings"))
	require.Equal(t, "revoked", eval[string](maria, `document.querySelector('`+row+`').dataset.status`))
	maria.shot("08-settings-first-revoked")
	_, err := e.client(t, newcomer).GetPerson(t.Context(), apiv1.PersonIDParams{ID: "me"})
	require.NoError(t, err)
}
