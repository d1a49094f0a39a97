package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func tokenListOf(t *testing.T, e *testEnv, query string) apiv1.TokenList {
	t.Helper()
	res := e.Do("admin", http.MethodGet, "/api/v1/tokens"+query, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.TokenList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	return out
}

func TestTokensListRevokeExpire(t *testing.T) {
	t.Parallel()
	clk := servertest.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	base := newEnv(t)
	e := newEnvWithStore(t, base.st, func(c *Config) { c.Now = clk.Now })
	secrets := map[string]string{}
	mk := func(name, role string, body map[string]any) apiv1.TokenResponse {
		t.Helper()
		body["name"], body["role"] = name, role
		res := e.Do("admin", http.MethodPost, "/api/v1/tokens", body, nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		var out apiv1.TokenResponse
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		e.tokens[name] = out.Token
		secrets[name] = out.Token
		clk.Add(time.Second)
		return out
	}
	ann := mk("ann", store.RoleStaff, map[string]any{"departments": []string{"technical"}})
	mk("short", store.RoleOwner, map[string]any{"expires_in": "1h"})
	mk("bob", store.RoleImprover, map[string]any{})

	list := tokenListOf(t, e, "")
	require.Len(t, list.Tokens, 3)
	require.Equal(t, []string{"bob", "short", "ann"}, []string{list.Tokens[0].Actor.Name, list.Tokens[1].Actor.Name, list.Tokens[2].Actor.Name}, "newest first")
	for _, tk := range list.Tokens {
		require.Equal(t, tokenActive, tk.Status)
	}
	// Neither the secret nor its hash is ever shown again.
	raw := e.Do("admin", http.MethodGet, "/api/v1/tokens", nil, nil).Body.String()
	for name, secret := range secrets {
		require.NotContains(t, raw, secret, name)
		require.NotContains(t, raw, strings.TrimPrefix(secret, apiv1.TokenPrefix), name)
		h := httpx.HashToken(secret)
		require.NotContains(t, raw, string(h), name)
	}
	require.NotContains(t, raw, "hash")

	// Paging and the actor filter.
	page := tokenListOf(t, e, "?limit=2")
	require.Len(t, page.Tokens, 2)
	require.NotEmpty(t, page.NextCursor)
	rest := tokenListOf(t, e, "?limit=2&cursor="+url.QueryEscape(page.NextCursor))
	require.Len(t, rest.Tokens, 1)
	require.Empty(t, rest.NextCursor)
	require.Equal(t, "ann", rest.Tokens[0].Actor.Name)
	only := tokenListOf(t, e, "?actor="+ann.Actor.ID)
	require.Len(t, only.Tokens, 1)
	require.Equal(t, []string{"technical"}, only.Tokens[0].Actor.Departments)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/tokens?cursor=nope", nil, nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/tokens?limit=501", nil, nil), http.StatusBadRequest)

	// Admins list and revoke every token; anyone else only their own.
	for _, as := range []string{"ann", "bob", "short"} {
		servertest.ProblemOf(t, e.Do(as, http.MethodGet, "/api/v1/tokens", nil, nil), http.StatusForbidden)
		someoneElses := list.Tokens[0].ID // bob's
		if as == "bob" {
			someoneElses = list.Tokens[2].ID // ann's
		}
		servertest.ProblemOf(t, e.Do(as, http.MethodDelete, "/api/v1/tokens/"+someoneElses, nil, nil), http.StatusForbidden)
		servertest.ProblemOf(t, e.Do(as, http.MethodPost, "/api/v1/tokens", map[string]any{"name": "x", "role": "staff",
			"departments": []string{"technical"}}, nil), http.StatusForbidden)
	}
	res0 := e.Do("bob", http.MethodGet, "/api/v1/tokens?actor=me", nil, nil)
	require.Equal(t, http.StatusOK, res0.Code, res0.Body.String())
	var mine apiv1.TokenList
	require.NoError(t, json.Unmarshal(res0.Body.Bytes(), &mine))
	require.Len(t, mine.Tokens, 1)
	require.Equal(t, "bob", mine.Tokens[0].Actor.Name)

	// A revoked token gets 401 at once; revoking again changes nothing.
	require.Equal(t, http.StatusOK, e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	annToken := only.Tokens[0].ID
	res := e.Do("admin", http.MethodDelete, "/api/v1/tokens/"+annToken, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var revoked apiv1.Token
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &revoked))
	require.Equal(t, tokenRevoked, revoked.Status)
	require.NotNil(t, revoked.RevokedAt)
	p := servertest.ProblemOf(t, e.Do("ann", http.MethodGet, "/api/v1/flows", nil, nil), http.StatusUnauthorized)
	require.Equal(t, "the token is unknown, expired or revoked", p.Detail)
	clk.Add(time.Minute)
	res = e.Do("admin", http.MethodDelete, "/api/v1/tokens/"+annToken, nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	var again apiv1.Token
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &again))
	require.Equal(t, revoked.RevokedAt, again.RevokedAt, "the first revocation time is kept")
	entries, err := e.st.ListAudit(t.Context(), store.AuditFilter{Action: "token.revoke"})
	require.NoError(t, err)
	require.Len(t, entries, 1, "one revocation, one entry")
	require.Equal(t, "token:"+annToken, entries[0].Object)
	require.Equal(t, httpx.AdminActorID, entries[0].Actor)
	servertest.ProblemOf(t, e.Do("admin", http.MethodDelete, "/api/v1/tokens/nope", nil, nil), http.StatusNotFound)

	// An expired token gets 401 from its expiry on and is listed expired.
	require.Equal(t, http.StatusOK, e.Do("short", http.MethodGet, "/api/v1/flows", nil, nil).Code)
	clk.Add(time.Hour)
	servertest.ProblemOf(t, e.Do("short", http.MethodGet, "/api/v1/flows", nil, nil), http.StatusUnauthorized)
	byName := map[string]string{}
	for _, tk := range tokenListOf(t, e, "").Tokens {
		byName[tk.Actor.Name] = tk.Status
	}
	require.Equal(t, map[string]string{"ann": tokenRevoked, "short": tokenExpired, "bob": tokenActive}, byName)
	require.Equal(t, http.StatusOK, e.Do("bob", http.MethodGet, "/api/v1/flows", nil, nil).Code)
}

func TestTokensNearTheAdminTokenAreRefused(t *testing.T) {
	t.Parallel()
	// The admin token is compared as fixed-length digests with
	// crypto/subtle, and API tokens are looked up by their sha256: neither
	// path compares the secret byte by byte. A prefix of the admin token,
	// the token with one more byte, and the token itself differing in the
	// last byte are all refused the same way.
	e := newEnv(t)
	for _, tok := range []string{testAdminToken[:len(testAdminToken)-1], testAdminToken + "x",
		testAdminToken[:len(testAdminToken)-1] + "Z", apiv1.TokenPrefix + testAdminToken} {
		e.tokens["try"] = tok
		p := servertest.ProblemOf(t, e.Do("try", http.MethodGet, "/api/v1/flows", nil, nil), http.StatusUnauthorized)
		require.Equal(t, "the token is unknown, expired or revoked", p.Detail)
	}
}
