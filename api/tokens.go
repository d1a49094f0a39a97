package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// actorRoutes are the routes of the actors tokens belong to (apiRoutes joins every
// resource's table).
var actorRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/actors/{id}", ID: "getActor", Tag: "tokens",
		Summary: "Name an actor",
		Description: "The actor's name, role and departments, for showing who claimed or completed a task (`assignee`, `completed_by`) " +
			"or who acted on a case. Any authenticated actor may ask; tokens are never shown.",
		Params: apiv1.ActorIDParams{},
		Status: http.StatusOK, Response: apiv1.Actor{}, Example: exampleTokenResponse.Actor,
		Errors: []int{404},
		Handle: (*API).getActor,
	},
}

// tokenRoutes are the routes of API tokens: create, list, revoke (apiRoutes joins every
// resource's table).
var tokenRoutes = []route{
	{
		Method: http.MethodPost, Pattern: "/api/v1/tokens", ID: "createToken", Tag: "tokens",
		Summary: "Create a token: for a new person, or another for an existing one",
		Description: "The token is shown once; only its hash is stored. Without `person`, admins create a person with the token. " +
			"With `person` (an actor id, or `me`), the existing person gets another token: anyone for themselves (for the CLI), " +
			"admins for anyone. A person's tokens are one person: their history, audit and statistics are theirs whichever token acted.",
		Body: apiv1.CreateTokenRequest{}, BodyExample: exampleTokenRequest,
		Status: http.StatusCreated, Response: apiv1.TokenResponse{}, Example: exampleTokenResponse,
		Errors: []int{403, 413, 415, 422},
		Audit:  []string{"token.create"},
		Handle: (*API).createToken,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/tokens", ID: "listTokens", Tag: "tokens",
		Summary: "List tokens, newest first",
		Description: "Tokens (active, expired and revoked) with their person, ordered by created_at, then id, descending. Admins see " +
			"every token; anyone else their own, with `actor=me`. Neither the token nor its hash is ever shown again after " +
			"POST /api/v1/tokens. " + descPaging,
		Errors: []int{403},
		Params: apiv1.ListTokensParams{},
		Status: http.StatusOK, Response: apiv1.TokenList{}, Example: apiv1.TokenList{Tokens: []apiv1.Token{exampleToken}, NextCursor: exampleCursor},
		Handle: (*API).listTokens,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/tokens/{id}", ID: "revokeToken", Tag: "tokens",
		Summary: "Revoke a token",
		Description: "From now on the token gets 401. Revoking a revoked token changes nothing (the first time is kept). The actor stays; " +
			"give it a new token with POST /api/v1/tokens. Admins revoke any token, anyone else their own. The web UI's sessions signed in " +
			"with the token end with it. The admin token (FLOWLAB_ADMIN_TOKEN) is configuration, not a token: change it there.",
		Params: apiv1.TokenIDParams{},
		Status: http.StatusOK, Response: apiv1.Token{}, Example: exampleRevokedToken,
		Errors: []int{403, 404},
		Audit:  []string{"token.revoke"},
		Handle: (*API).revokeToken,
	},
}

// Listing and revoking tokens (admins). A token's secret is shown once,
// by POST /api/v1/tokens; only its sha256 is stored and no answer carries
// either (ADR 0011).

// Token statuses in listings.
const (
	tokenActive  = "active"
	tokenExpired = "expired"
	tokenRevoked = "revoked"
)

type tokenCursorJSON struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

func toTokenJSON(t store.TokenInfo, now time.Time) apiv1.Token {
	status := tokenActive
	switch {
	case t.RevokedAt != nil:
		status = tokenRevoked
	case t.ExpiresAt != nil && !t.ExpiresAt.After(now):
		status = tokenExpired
	}
	return apiv1.Token{ID: t.ID, Actor: toActorJSON(t.Actor), Status: status, CreatedAt: t.CreatedAt.UTC(),
		ExpiresAt: utcPtr(t.ExpiresAt), RevokedAt: utcPtr(t.RevokedAt)}
}

// listTokens lists tokens newest first, a page at a time.
func (s *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListTokensParams](r)
	if err != nil {
		return err
	}
	caller := httpx.ActorFrom(r.Context())
	if q.Actor == "me" {
		q.Actor = caller.ID
	}
	if caller.Role != store.RoleAdmin && q.Actor != caller.ID {
		return httpx.Forbidden("you may list your own tokens only (actor=me); admins every token")
	}
	p := store.ListTokensParams{ActorID: q.Actor, Limit: q.Limit + 1} // one more tells whether a next page exists
	if q.Cursor != "" {
		var c tokenCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
			return httpx.BadCursor()
		}
		p.After = &store.TokenCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}
	}
	tokens, err := s.store.ListTokens(r.Context(), p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list tokens: %w", err), "tokens")
	}
	out := apiv1.TokenList{Tokens: []apiv1.Token{}}
	if len(tokens) > q.Limit {
		tokens = tokens[:q.Limit]
		last := tokens[len(tokens)-1]
		out.NextCursor, err = httpx.EncodeCursor(tokenCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID})
		if err != nil {
			return httpx.Internal(err)
		}
	}
	now := s.now()
	for _, t := range tokens {
		out.Tokens = append(out.Tokens, toTokenJSON(t, now))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// revokeToken revokes a token: from now on it gets 401. Revoking a revoked
// token changes nothing and answers the same.
func (s *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.TokenIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	before, err := s.store.GetToken(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get token: %w", err), fmt.Sprintf("token %q", q.ID))
	}
	if caller := httpx.ActorFrom(ctx); caller.Role != store.RoleAdmin && before.ActorID != caller.ID {
		return httpx.Forbidden(fmt.Sprintf("token %q is not yours; you may revoke your own tokens, admins any", q.ID))
	}
	if err := s.store.RevokeToken(ctx, q.ID, s.now().UTC()); err != nil {
		return httpx.StoreProblem(fmt.Errorf("revoke token: %w", err), fmt.Sprintf("token %q", q.ID))
	}
	t, err := s.store.GetToken(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("reread token: %w", err), fmt.Sprintf("token %q", q.ID))
	}
	if before.RevokedAt == nil {
		s.audit(r, store.AuditEntry{Action: "token.revoke", Object: "token:" + t.ID,
			Details: mustJSON(map[string]any{"actor_id": t.ActorID})})
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toTokenJSON(t, s.now()))
	return nil
}

// getActor names an actor: its name, role and departments, so pages and
// clients can show who claimed or completed a task instead of an id. Any
// authenticated actor may ask (colleagues' names are not secret; tokens
// are never shown).
func (s *API) getActor(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ActorIDParams](r)
	if err != nil {
		return err
	}
	a, err := s.store.GetActor(r.Context(), q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get actor: %w", err), fmt.Sprintf("actor %q", q.ID))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toActorJSON(a))
	return nil
}
