package server

import (
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

const impXSS = `<script>alert(1)</script>`

// impRequireEscaped checks that user content appears on a page escaped and
// never as markup.
func impRequireEscaped(t *testing.T, body string) {
	t.Helper()
	require.Contains(t, body, "&lt;script&gt;alert(1)&lt;/script&gt;")
	require.NotContains(t, body, impXSS)
}

// impRequireErrorPage checks an error page of status whose text says detail.
func impRequireErrorPage(t *testing.T, res *httptest.ResponseRecorder, status int, detail string) {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Contains(t, res.Header().Get("Content-Type"), "text/html")
	require.Contains(t, res.Body.String(), `data-testid="error"`)
	require.Contains(t, html.UnescapeString(res.Body.String()), detail)
}

// impRequireFieldError checks that a re-rendered form marks field (by its
// id) invalid and shows msg next to it.
func impRequireFieldError(t *testing.T, body, id, msg string) {
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

// impCountTestID counts the elements with a data-testid.
func impCountTestID(body, id string) int { return strings.Count(body, `data-testid="`+id+`"`) }

func TestUIImprovementBoard(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.actor("agent", store.RoleStaff, "customer_service")
	e.actor("improver", store.RoleImprover)
	planned := e.adopt(e.propose("agent", "faster refunds "+impXSS, false).ID, "complaint", "cycle_time").Case
	closed := e.adopt(e.propose("agent", "fewer handoffs", false).ID, "complaint", "fcr").Case
	e.setAttrs(closed.ID, map[string]any{"baseline_value": 0.7})
	e.completePlan(closed.ID, "planned", 0.85) // the fake ends the case at the pilot step
	e.setAttrs(closed.ID, map[string]any{"pilot_id": "pilot-x", "pilot_status": "completed", "pilot_winner": "treatment", "promoted_version": 2})
	kpis := e.improvementKPIs()

	for _, who := range []string{"agent", "improver", "admin"} {
		res := e.page(who, http.MethodGet, "/ui/improvements", nil)
		require.Equal(t, http.StatusOK, res.Code, who)
		body := res.Body.String()
		require.Equal(t, 5, impCountTestID(body, "pdca-column"))
		cols := map[string]string{}
		for _, m := range regexp.MustCompile(`(?s)data-testid="pdca-column" data-stage="(\w+)"(.*?)</section>`).FindAllStringSubmatch(body, -1) {
			cols[m[1]] = m[2]
		}
		require.Len(t, cols, 5)
		require.Contains(t, cols["plan"], planned.ID)
		require.Contains(t, cols["plan"], "faster refunds &lt;script&gt;", "the card names the problem (the proposal's title)")
		impRequireEscaped(t, body)
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
	e.actor("agent", store.RoleStaff, "customer_service")
	e.actor("other", store.RoleStaff, "technical")
	e.actor("improver", store.RoleImprover)

	// Anyone proposes; the title and body are user content, escaped.
	path, flash := impFlashOf(t, e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {impXSS}, "body": {"line 1\n" + impXSS}}))
	require.Contains(t, flash, "open for votes")
	id := strings.TrimPrefix(path, "/ui/proposals/")
	for _, p := range []string{"/ui/proposals", path} {
		res := e.page("other", http.MethodGet, p, nil)
		require.Equal(t, http.StatusOK, res.Code)
		impRequireEscaped(t, res.Body.String())
	}
	list := e.page("other", http.MethodGet, "/ui/proposals", nil).Body.String()
	require.Equal(t, 1, impCountTestID(list, "proposal-row"))
	require.Equal(t, 1, impCountTestID(list, "vote"))
	// Anonymous: no name anywhere.
	_, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals", url.Values{"title": {"quiet one"}, "anonymous": {"1"}}))
	require.Contains(t, flash, "without your name")
	list = e.page("agent", http.MethodGet, "/ui/proposals", nil).Body.String()
	require.Contains(t, list, "anonymous")
	require.NotContains(t, list, e.actors["other"].ID)

	// Form errors at their fields, values kept.
	res := e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {"  "}, "body": {"kept body"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	impRequireFieldError(t, res.Body.String(), "title", "is required")
	require.Contains(t, res.Body.String(), "kept body</textarea>")
	res = e.page("agent", http.MethodPost, "/ui/proposals", url.Values{"title": {strings.Repeat("t", 201)}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	impRequireFieldError(t, res.Body.String(), "title", "at most 200 characters")

	// Votes: one per actor; back to where the vote was cast, never elsewhere.
	path, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"/ui/proposals?status=open"}}))
	require.Equal(t, "/ui/proposals", path)
	require.Equal(t, "Your vote counted: 1 votes now.", flash)
	_, flash = impFlashOf(t, e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"https://evil.test/ui/proposals"}}))
	require.Equal(t, "You had already voted for it (1 votes).", flash)
	res = e.page("other", http.MethodPost, "/ui/proposals/"+id+"/vote", url.Values{"back": {"//evil.test/x"}})
	require.Equal(t, "/ui/proposals/"+id+"?flash="+url.QueryEscape("You had already voted for it (1 votes)."), res.Header().Get("Location"))
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
	impRequireFieldError(t, res.Body.String(), "flow", `no flow "nope"`)
	res = e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"complaint"}, "metric": {"speed"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	impRequireFieldError(t, res.Body.String(), "metric", "must be one of")
	require.Contains(t, res.Body.String(), `<option value="complaint" selected>`)
	path, flash = impFlashOf(t, e.page("improver", http.MethodPost, "/ui/proposals/"+id+"/adopt", url.Values{"flow": {"complaint"}, "metric": {"fcr"}}))
	require.Equal(t, "/ui/improvements", path)
	require.Contains(t, flash, "Adopted: a PDCA cycle for")
	board := e.page("agent", http.MethodGet, "/ui/improvements", nil).Body.String()
	require.Equal(t, 1, impCountTestID(board, "pdca-card"))
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
	impRequireFieldError(t, res.Body.String(), "reason", "1000")
	path, flash = impFlashOf(t, e.page("improver", http.MethodPost, "/ui/proposals/"+m[1]+"/decline", url.Values{"reason": {"covered elsewhere"}}))
	require.Equal(t, "/ui/proposals/"+m[1], path)
	require.Contains(t, flash, "Declined")
	res = e.page("agent", http.MethodGet, "/ui/proposals?status=declined", nil)
	require.Equal(t, 1, impCountTestID(res.Body.String(), "proposal-row"))
}
