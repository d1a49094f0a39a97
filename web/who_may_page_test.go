package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

// Item 12: a flash shows only when the server set it for this actor; the
// cookie is Secure behind TLS; sessions end when idle or too old.
func TestUIFlashAndSessions(t *testing.T) {
	t.Parallel()
	clk := servertest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := newEnv(t, func(a *api.Config, c *Config) {
		a.Now = clk.Now
		c.BehindTLS = true
		c.SessionIdle = 30 * time.Minute
		c.SessionMaxAge = 2 * time.Hour
	})
	tok := e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("bea", store.RoleStaff, "customer_service")

	// An attacker's link shows nothing, signed or not.
	for _, q := range []string{
		"flash=" + url.QueryEscape("Call +1 555 0100 to verify your account"),
		"flash=x&flash_kind=refused",
		"flash=x&flash_sig=AAAAAAAAAAAAAAAAAAAAAAAA",
	} {
		body := e.page("ana", http.MethodGet, "/ui/inbox?"+q, nil).Body.String()
		require.NotContains(t, body, `data-testid="flash"`, q)
	}
	// A message the server set for ana shows to ana, not to bea.
	c := e.CreateCase("C-1")
	task := e.OpenTask(c.ID)
	res := e.page("ana", http.MethodPost, "/ui/tasks/"+task.ID+"/claim", url.Values{"return": {"/ui/inbox"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	loc := res.Header().Get("Location")
	require.Contains(t, e.page("ana", http.MethodGet, loc, nil).Body.String(), `data-testid="flash"`)
	require.NotContains(t, e.page("bea", http.MethodGet, loc, nil).Body.String(), `data-testid="flash"`)

	// Sign in: a sealed, Secure cookie.
	signin := func() *http.Cookie {
		res := e.page("", http.MethodPost, "/ui/signin", url.Values{"token": {tok}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		cs := res.Result().Cookies()
		require.Len(t, cs, 1)
		require.True(t, cs[0].Secure, "behind TLS")
		return cs[0]
	}
	get := func(ck *http.Cookie, fragment bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "/ui/inbox", nil)
		req.AddCookie(ck)
		if fragment {
			req.Header.Set("X-Flowlab-Fragment", "1")
		}
		rec := httptest.NewRecorder()
		e.h.ServeHTTP(rec, req)
		return rec
	}
	renewed := func(res *httptest.ResponseRecorder, ck *http.Cookie) *http.Cookie {
		for _, c := range res.Result().Cookies() {
			if c.Name == sessionCookie {
				return c
			}
		}
		return ck
	}
	ck := signin()
	// Activity every 20 minutes keeps it; background refreshes do not.
	for range 4 {
		clk.Add(20 * time.Minute)
		res := get(ck, false)
		require.Equal(t, http.StatusOK, res.Code)
		ck = renewed(res, ck)
	}
	clk.Add(20 * time.Minute)
	require.Equal(t, http.StatusOK, get(ck, true).Code)
	clk.Add(11 * time.Minute)
	res = get(ck, true)
	require.Equal(t, http.StatusUnauthorized, res.Code, "idle for 31 minutes")

	// Idle: a page load after 30 minutes goes to sign-in, saying why.
	ck = signin()
	clk.Add(30 * time.Minute)
	res = get(ck, false)
	require.Equal(t, http.StatusSeeOther, res.Code)
	page := e.page("", http.MethodGet, res.Header().Get("Location"), nil).Body.String()
	require.Contains(t, page, "without activity")

	// Absolute: active all the time, still over after 2 hours.
	ck = signin()
	for range 7 {
		clk.Add(17 * time.Minute)
		res := get(ck, false)
		require.Equal(t, http.StatusOK, res.Code)
		ck = renewed(res, ck)
	}
	clk.Add(2 * time.Minute) // 121 minutes
	res = get(ck, false)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "maximum length of 2 h")

	// A raw token (the old cookie) or a forged value is no session.
	res = get(&http.Cookie{Name: sessionCookie, Value: tok}, false)
	require.Equal(t, http.StatusSeeOther, res.Code)
}

// Item 9 in the web UI: the task page offers a team lead the release of
// another actor's claim and a reassignment; others see neither.
func TestUITeamLeadTaskPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("bea", store.RoleStaff, "customer_service")
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "lea", "role": "staff",
		"departments": []string{"customer_service"}, "leads": []string{"customer_service"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var lead apiv1.TokenResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &lead))
	e.tokens["lea"] = lead.Token

	task := e.OpenTask(e.CreateCase("C-1").ID)
	require.Equal(t, http.StatusOK, e.Do("ana", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil).Code)
	page := e.page("bea", http.MethodGet, "/ui/tasks/"+task.ID, nil).Body.String()
	require.NotContains(t, page, `data-testid="reassign"`)
	require.NotContains(t, page, `data-testid="unclaim"`)
	page = e.page("lea", http.MethodGet, "/ui/tasks/"+task.ID, nil).Body.String()
	require.Contains(t, page, `data-testid="reassign"`)
	require.Contains(t, page, `data-testid="unclaim">Release`)

	res = e.page("lea", http.MethodPost, "/ui/tasks/"+task.ID+"/assign", url.Values{"actor": {"nobody"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("lea", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), `no actor &#34;nobody&#34;`)
	res = e.page("lea", http.MethodPost, "/ui/tasks/"+task.ID+"/assign", url.Values{"actor": {e.actors["bea"].ID}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("lea", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "Reassigned to bea")
	got, err := e.st.GetTask(context.Background(), task.ID)
	require.NoError(t, err)
	require.Equal(t, e.actors["bea"].ID, got.Assignee)
}
