package web

import (
	"encoding/json"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// newTokenOf is the token a page shows once ("" when none).
func newTokenOf(body string) string {
	m := regexp.MustCompile(`data-testid="new-token"`).FindStringIndex(body)
	if m == nil {
		return ""
	}
	v := regexp.MustCompile(`value="([^"]*)"`).FindStringSubmatch(body[strings.LastIndex(body[:m[0]], "<input"):])
	if v == nil {
		return ""
	}
	return html.UnescapeString(v[1])
}

// requireNoSecret fails when a response carries token in a header (a
// redirect's Location, a cookie) or, unless body is allowed, its body.
func requireNoSecret(t *testing.T, res *httptest.ResponseRecorder, token string) {
	t.Helper()
	for k, vs := range res.Header() {
		for _, v := range vs {
			require.NotContains(t, v, token, "header %s", k)
			if u, err := url.QueryUnescape(v); err == nil {
				require.NotContains(t, u, token, "header %s", k)
			}
		}
	}
}

// tokenRows are the token ids of a page's token table with their status.
func tokenRows(body string) map[string]string {
	out := map[string]string{}
	for _, m := range regexp.MustCompile(`data-testid="token-row" data-token-id="([^"]+)" data-status="([a-z]+)"`).FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestPeoplePages (issue 20): admins list people, add one (the API's
// messages at the fields), give her a token shown once in the answer of
// the post (never in a URL, a redirect or a flash) and move her to another
// department; owners read; staff are refused in words. She then creates
// a token of her own on her settings page and revokes the first; revoking
// the one she signed in with signs her out, saying so.
func TestPeoplePages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("olive", store.RoleOwner)
	e.Actor("ada", store.RoleAdmin)
	var mariaID, firstToken, secondToken string

	e.step(t, "staff see no People menu and are refused in words", func(t *testing.T, e *testEnv) {
		body := e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String()
		require.NotContains(t, body, `href="/ui/people"`)
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/people", nil), http.StatusForbidden,
			"the people pages are for admins (owners may read them); you are signed in as staff")
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/people/new", nil), http.StatusForbidden, "your settings page")
		requireErrorPage(t, e.page("ana", http.MethodPost, "/ui/people", url.Values{"name": {"x"}, "role": {"staff"}}),
			http.StatusForbidden, "the people pages are for admins")
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/people/"+e.actors["olive"].ID, nil), http.StatusForbidden, "the people pages are for admins")
	})

	e.step(t, "the admin adds a person: the API's messages at the fields, then the person", func(t *testing.T, e *testEnv) {
		body := e.page("ada", http.MethodGet, "/ui/people", nil).Body.String()
		require.Contains(t, body, `href="/ui/people"`)
		require.Contains(t, body, `data-testid="add-person"`)
		require.Contains(t, body, `data-person-id="`+e.actors["ana"].ID+`"`)

		form := e.page("ada", http.MethodGet, "/ui/people/new", nil)
		require.Equal(t, http.StatusOK, form.Code, form.Body.String())
		require.Contains(t, form.Body.String(), `data-testid="works-customer_service"`)
		require.Contains(t, form.Body.String(), `data-testid="works-technical"`)

		res := e.page("ada", http.MethodPost, "/ui/people", url.Values{"name": {" "}, "role": {"staff"}, "email": {"not mail"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
		body = res.Body.String()
		require.Contains(t, body, "Not added: correct the fields marked below.")
		require.Regexp(t, `data-field="name">is required<`, body)
		require.Contains(t, body, `data-field="departments">is required for role staff<`)
		require.Contains(t, body, `value="not mail"`, "what was typed stays")

		res = e.page("ada", http.MethodPost, "/ui/people", url.Values{"name": {"Maria"}, "role": {"staff"}, "departments": {"customer_service"},
			"leads": {"technical"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
		require.Contains(t, res.Body.String(), `data-field="leads">`)

		res = e.page("ada", http.MethodPost, "/ui/people", url.Values{"name": {"Maria"}, "email": {"maria@example.com"}, "role": {"staff"},
			"departments": {"customer_service"}})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		loc := res.Header().Get("Location")
		require.True(t, strings.HasPrefix(loc, "/ui/people/"), loc)
		mariaID = strings.TrimPrefix(strings.SplitN(loc, "?", 2)[0], "/ui/people/")
		body = e.follow("ada", res)
		require.Equal(t, "Added Maria (staff of Customer service). They have no token yet: create one below for them to sign in with.", flashText(body))
		require.Contains(t, body, `data-testid="tokens-empty"`)
		require.Contains(t, body, `value="customer_service" checked`)
	})

	e.step(t, "the admin gives her a token: shown once in the answer, never in a URL, a redirect or a flash", func(t *testing.T, e *testEnv) {
		res := e.page("ada", http.MethodPost, "/ui/people/"+mariaID+"/tokens", url.Values{"expires_in": {"soon"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
		require.Contains(t, res.Body.String(), `data-field="expires_in">`)
		require.Contains(t, res.Body.String(), `value="soon"`)
		require.Empty(t, newTokenOf(res.Body.String()))

		res = e.page("ada", http.MethodPost, "/ui/people/"+mariaID+"/tokens", url.Values{"expires_in": {""}})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.Empty(t, res.Header().Get("Location"))
		firstToken = newTokenOf(res.Body.String())
		require.True(t, strings.HasPrefix(firstToken, apiv1.TokenPrefix), res.Body.String())
		requireNoSecret(t, res, firstToken)
		require.Contains(t, res.Body.String(), "Maria’s new token: copy it now")
		require.Contains(t, res.Body.String(), "It does not expire")
		require.Len(t, tokenRows(res.Body.String()), 1)

		// The token is Maria's: the API knows her by it.
		e.tokens["maria"] = firstToken
		me := e.Do("maria", http.MethodGet, "/api/v1/people/me", nil, nil)
		require.Equal(t, http.StatusOK, me.Code, me.Body.String())
		require.Contains(t, me.Body.String(), mariaID)

		// Her page again: the token's row, never the token.
		page := e.page("ada", http.MethodGet, "/ui/people/"+mariaID, nil).Body.String()
		require.NotContains(t, page, firstToken)
		require.Empty(t, newTokenOf(page))
		for _, st := range tokenRows(page) {
			require.Equal(t, "active", st)
		}
		// The list counts her tokens.
		list := e.page("ada", http.MethodGet, "/ui/people", nil).Body.String()
		require.Regexp(t, `data-person-id="`+mariaID+`"(?s:.*?)data-testid="person-tokens">1<`, list)
	})

	e.step(t, "the admin moves her to another department: she keeps her id and tokens", func(t *testing.T, e *testEnv) {
		res := e.page("ada", http.MethodPost, "/ui/people/"+mariaID, url.Values{"name": {"Maria"}, "email": {"maria@example.com"},
			"role": {"staff"}, "departments": {"technical"}})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		body := e.follow("ada", res)
		require.Equal(t, "Saved Maria: staff of Technical. Was in Customer service. Their id, tokens and history stay theirs.", flashText(body))
		p := e.Do("maria", http.MethodGet, "/api/v1/people/me", nil, nil)
		require.Equal(t, http.StatusOK, p.Code)
		var person apiv1.Person
		require.NoError(t, json.Unmarshal(p.Body.Bytes(), &person))
		require.Equal(t, []string{"technical"}, person.Departments)

		// Nothing changed: nothing sent.
		res = e.page("ada", http.MethodPost, "/ui/people/"+mariaID, url.Values{"name": {"Maria"}, "email": {"maria@example.com"},
			"role": {"staff"}, "departments": {"technical"}})
		require.Equal(t, "Nothing to save: nothing was changed.", flashText(e.follow("ada", res)))

		// An unknown department: the API's message at the departments.
		res = e.page("ada", http.MethodPost, "/ui/people/"+mariaID, url.Values{"name": {"Maria"}, "role": {"staff"},
			"departments": {"technical"}, "other_departments": {"marketing"}, "email": {"maria@example.com"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
		require.Contains(t, res.Body.String(), `data-field="departments">unknown department &#34;marketing&#34;`)

		// Every change was the API's, audited.
		audit := e.Do("admin", http.MethodGet, "/api/v1/audit?object=actor:"+mariaID, nil, nil)
		require.Equal(t, http.StatusOK, audit.Code)
		require.Contains(t, audit.Body.String(), `"action":"person.create"`)
		require.Contains(t, audit.Body.String(), `"action":"person.update"`)
	})

	e.step(t, "owners read people; they change nothing and see no tokens", func(t *testing.T, e *testEnv) {
		body := e.page("olive", http.MethodGet, "/ui/people", nil).Body.String()
		require.Contains(t, body, `data-person-id="`+mariaID+`"`)
		require.NotContains(t, body, `data-testid="add-person"`)
		require.NotContains(t, body, `data-testid="person-tokens"`)
		page := e.page("olive", http.MethodGet, "/ui/people/"+mariaID, nil)
		require.Equal(t, http.StatusOK, page.Code, page.Body.String())
		require.Contains(t, page.Body.String(), `data-testid="person-facts"`)
		require.NotContains(t, page.Body.String(), `data-testid="person-form"`)
		require.Contains(t, page.Body.String(), "Only admins see and manage a person")
		requireErrorPage(t, e.page("olive", http.MethodPost, "/ui/people/"+mariaID, url.Values{"name": {"M"}}), http.StatusForbidden,
			"only admins add people, change them and manage their tokens")
		requireErrorPage(t, e.page("olive", http.MethodPost, "/ui/people/"+mariaID+"/tokens", url.Values{}), http.StatusForbidden,
			"only admins add people")
	})

	e.step(t, "she creates a token of her own on her settings page and revokes the first", func(t *testing.T, e *testEnv) {
		body := e.page("maria", http.MethodGet, "/ui/settings", nil).Body.String()
		require.Contains(t, body, `data-testid="my-tokens"`)
		require.Len(t, tokenRows(body), 1)
		var firstID string
		for id := range tokenRows(body) {
			firstID = id
		}
		// Her only active token: revoking it would sign her out.
		confirm := e.page("maria", http.MethodGet, "/ui/settings/tokens/"+firstID+"/revoke", nil)
		require.Equal(t, http.StatusOK, confirm.Code, confirm.Body.String())
		require.Contains(t, confirm.Body.String(), "This is your only active token, so it is the one you signed in with here: revoking it signs you out at once.")

		res := e.page("maria", http.MethodPost, "/ui/settings/tokens", url.Values{"expires_in": {"30d"}})
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		secondToken = newTokenOf(res.Body.String())
		require.True(t, strings.HasPrefix(secondToken, apiv1.TokenPrefix))
		require.NotEqual(t, firstToken, secondToken)
		requireNoSecret(t, res, secondToken)
		require.Contains(t, res.Body.String(), "Your new token: copy it now")
		require.Contains(t, res.Body.String(), "It expires")
		require.Len(t, tokenRows(res.Body.String()), 2)

		// She signs in with the second; revoking the first is confirmed,
		// saying it may sign her out, and does not.
		e.tokens["maria"] = secondToken
		confirm = e.page("maria", http.MethodGet, "/ui/settings/tokens/"+firstID+"/revoke", nil)
		require.Contains(t, confirm.Body.String(), "If this is the token you signed in with in this browser, revoking it signs you out at once")
		res = e.page("maria", http.MethodPost, "/ui/settings/tokens/"+firstID+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/settings?"), res.Header().Get("Location"))
		body = e.follow("maria", res)
		require.Contains(t, flashText(body), "is revoked: it no longer signs anyone in.")
		require.Equal(t, "revoked", tokenRows(body)[firstID])
		require.Equal(t, http.StatusUnauthorized, e.Do("", http.MethodGet, "/api/v1/people/me", nil,
			http.Header{"Authorization": {"Bearer " + firstToken}}).Code)
	})

	e.step(t, "nobody revokes a token that is not theirs from the settings page", func(t *testing.T, e *testEnv) {
		theirs := tokenRows(e.page("maria", http.MethodGet, "/ui/settings", nil).Body.String())
		var second string
		for id, st := range theirs {
			if st == "active" {
				second = id
			}
		}
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/settings/tokens/"+second+"/revoke", nil), http.StatusNotFound, "no token")
		res := e.page("ana", http.MethodPost, "/ui/settings/tokens/"+second+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Contains(t, flashText(e.follow("ana", res)), "Token not revoked: token")
		require.Equal(t, "active", tokenRows(e.page("maria", http.MethodGet, "/ui/settings", nil).Body.String())[second])
	})

	e.step(t, "revoking the token she signed in with signs her out, saying so", func(t *testing.T, e *testEnv) {
		var second string
		for id, st := range tokenRows(e.page("maria", http.MethodGet, "/ui/settings", nil).Body.String()) {
			if st == "active" {
				second = id
			}
		}
		res := e.page("maria", http.MethodPost, "/ui/settings/tokens/"+second+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		loc := res.Header().Get("Location")
		require.True(t, strings.HasPrefix(loc, "/ui/signin?"), loc)
		cookies := res.Header().Values("Set-Cookie")
		require.Len(t, cookies, 1)
		require.Contains(t, cookies[0], "flowlab_session=;")
		require.Contains(t, cookies[0], "Max-Age=0")
		body := e.page("", http.MethodGet, loc, nil).Body.String()
		require.Equal(t, "You revoked the token you had signed in with, so you are signed out. Sign in with another of your tokens.", flashText(body))
	})

	e.step(t, "the admin revokes a token of hers from her page, after a confirmation", func(t *testing.T, e *testEnv) {
		res := e.page("ada", http.MethodPost, "/ui/people/"+mariaID+"/tokens", url.Values{})
		require.Equal(t, http.StatusOK, res.Code)
		var active string
		for id, st := range tokenRows(res.Body.String()) {
			if st == "active" {
				active = id
			}
		}
		require.NotEmpty(t, active)
		confirm := e.page("ada", http.MethodGet, "/ui/people/"+mariaID+"/tokens/"+active+"/revoke", nil)
		require.Equal(t, http.StatusOK, confirm.Code, confirm.Body.String())
		require.Contains(t, confirm.Body.String(), "Revoke Maria’s token")
		require.NotContains(t, confirm.Body.String(), `data-testid="revoke-signs-out"`)
		res = e.page("ada", http.MethodPost, "/ui/people/"+mariaID+"/tokens/"+active+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, res.Code)
		body := e.follow("ada", res)
		require.Contains(t, flashText(body), "Maria’s token "+shortID(active))
		require.Equal(t, "revoked", tokenRows(body)[active])
		// A token of someone else named on her page is refused.
		other := e.page("ada", http.MethodPost, "/ui/people/"+e.actors["ana"].ID+"/tokens/"+active+"/revoke", url.Values{})
		require.Equal(t, http.StatusSeeOther, other.Code)
		require.Contains(t, flashText(e.follow("ada", other)), "Token not revoked: ana has no token")
	})
}
