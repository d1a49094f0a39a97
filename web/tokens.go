package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// API tokens in the web UI (issue 20): my tokens on the settings page
// (create one for the CLI, revoke one) and a person's tokens on their
// page (people.go, admins). Every change is POST or DELETE
// /api/v1/tokens, which decides who may and audits it. A new token is
// shown once, in the answer of the form post that created it: never in a
// URL, a redirect or a flash message.
var tokenPages = []pageRoute{
	{Method: http.MethodPost, Pattern: "/settings/tokens", Roles: authz.Everyone, Handle: (*Web).myTokenCreate},
	{Method: http.MethodGet, Pattern: "/settings/tokens/{token}/revoke", Roles: authz.Everyone, Handle: (*Web).myTokenRevokeConfirm},
	{Method: http.MethodPost, Pattern: "/settings/tokens/{token}/revoke", Roles: authz.Everyone, Handle: (*Web).myTokenRevoke},
}

// tokenListLimit is how many tokens a page lists at once.
const tokenListLimit = 50

// tokenRow is a token as the pages list it: never its secret.
type tokenRow struct {
	ID                   string
	Status               string
	CreatedAt            time.Time
	ExpiresAt, RevokedAt *time.Time
}

// tokenRowsOf lists tokens as rows.
func tokenRowsOf(ts []apiv1.Token) []tokenRow {
	out := make([]tokenRow, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenRow{ID: t.ID, Status: t.Status, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt})
	}
	return out
}

// newToken is a token just created, shown once.
type newToken struct {
	Token     string
	ExpiresAt *time.Time
	For       string // whose it is, in words
}

// tokenForm is the form that creates a token: the lifetime typed, and the
// API's messages.
type tokenForm struct {
	Status    int // of the answer that shows the form
	ExpiresIn string
	Error     string
	Errors    map[string]string
}

// expiresInHint explains the lifetime field.
const expiresInHint = "a number and a unit: 12h, 30d; empty: it never expires"

// createTokenFor asks the API for another token of person (an actor id or
// me) with the lifetime typed; it returns the token, or the form with the
// API's refusal in words (a 422 at its field).
func (s *Web) createTokenFor(r *http.Request, person, expiresIn string) (*newToken, tokenForm, error) {
	f := tokenForm{Status: http.StatusOK, ExpiresIn: strings.TrimSpace(expiresIn)}
	req := apiv1.CreateTokenRequest{Person: person}
	if f.ExpiresIn != "" {
		req.ExpiresIn = &f.ExpiresIn
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/tokens", req, nil)
	if err != nil {
		return nil, f, err
	}
	if !res.OK() {
		p := res.Problem()
		if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
			return nil, f, p
		}
		f.Status = p.Status
		if p.Status == http.StatusUnprocessableEntity {
			f.Errors = res.FieldErrors()
			if m, ok := f.Errors["expires_in"]; ok {
				f.Errors["expires_in"] = m + " (" + expiresInHint + ")"
				f.Error = "No token created: correct the field marked below."
				return nil, f, nil
			}
		}
		f.Error = "No token created: " + problemReason(p) + "."
		return nil, f, nil
	}
	var out apiv1.TokenResponse
	if err := res.Decode(&out); err != nil {
		return nil, f, err
	}
	return &newToken{Token: out.Token, ExpiresAt: out.ExpiresAt, For: out.Actor.Name}, tokenForm{Status: http.StatusOK}, nil
}

// tokensOf is a page of a person's tokens (actor: an id or me).
func (s *Web) tokensOf(r *http.Request, actor, cursor string) (apiv1.TokenList, error) {
	q := url.Values{"actor": {actor}, "limit": {fmt.Sprint(tokenListLimit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	return apiGet[apiv1.TokenList](s, r, "/api/v1/tokens?"+q.Encode())
}

// findToken is one of a person's tokens, for the page that confirms its
// revocation; it reports whether it is their only active one.
func (s *Web) findToken(r *http.Request, actor, id string) (apiv1.Token, bool, error) {
	var (
		found  apiv1.Token
		ok     bool
		active int
		cursor string
	)
	for {
		list, err := s.tokensOf(r, actor, cursor)
		if err != nil {
			return found, false, err
		}
		for _, t := range list.Tokens {
			if t.Status == "active" {
				active++
			}
			if t.ID == id {
				found, ok = t, true
			}
		}
		if list.NextCursor == "" {
			break
		}
		cursor = list.NextCursor
	}
	if !ok {
		return found, false, httpx.NotFound(fmt.Sprintf("no token %q among these tokens", id))
	}
	return found, found.Status == "active" && active == 1, nil
}

// revokePage confirms the revocation of a token.
type revokePage struct {
	Token   tokenRow
	Whose   string // "your" or "Ana's"
	Action  string // where the form posts
	Back    string // the page to go back to
	Self    bool   // the signed-in person's own token
	OnlyOne bool   // their only active token: this session's, surely
}

func (s *Web) renderRevoke(w http.ResponseWriter, r *http.Request, page revokePage) error {
	return s.render(w, r, pageView{Template: "token_revoke", Title: "Revoke a token", Active: "settings", Data: page})
}

func (s *Web) myTokenRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "token")
	t, only, err := s.findToken(r, "me", id)
	if err != nil {
		return err
	}
	return s.renderRevoke(w, r, revokePage{Token: tokenRowsOf([]apiv1.Token{t})[0], Whose: "your", Self: true, OnlyOne: only,
		Action: UIPath + "/settings/tokens/" + url.PathEscape(id) + "/revoke", Back: UIPath + "/settings"})
}

// revokeToken revokes a token through the API; refused is the API's
// reason in words when it refused.
func (s *Web) revokeToken(r *http.Request, id string) (t apiv1.Token, refused string, err error) {
	res, err := s.callAPI(r, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return t, "", err
	}
	if !res.OK() {
		p := res.Problem()
		if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
			return t, "", p
		}
		return t, "Token not revoked: " + problemReason(p) + ".", nil
	}
	return t, "", res.Decode(&t)
}

// signedOutByRevoke reports whether the token this browser's session
// signed in with no longer signs anyone in (it was just revoked): the
// session is then cleared and the answer goes to the sign-in page, with
// a message that says why.
func (s *Web) signedOutByRevoke(w http.ResponseWriter, r *http.Request) (bool, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return false, nil
	}
	// The session ended with its token (decision 0038).
	var ended *httpx.SessionEnded
	if _, _, err := s.cfg.Sessions.Resolve(r.Context(), c.Value, false); !errors.As(err, &ended) || ended.Reason != httpx.EndedToken {
		return false, nil
	}
	w.Header().Del("Set-Cookie")
	s.clearSession(w, r)
	anon := r.WithContext(withActor(r.Context(), apiv1.Actor{}))
	http.Redirect(w, r, withFlash(anon, UIPath+"/signin",
		"You revoked the token you had signed in with, so you are signed out. Sign in with another of your tokens.", ""), http.StatusSeeOther)
	return true, nil
}

func (s *Web) myTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "token")
	t, refused, err := s.revokeToken(r, id)
	if err != nil {
		return err
	}
	if refused != "" {
		return refusedTo(w, r, UIPath+"/settings", refused)
	}
	if out, err := s.signedOutByRevoke(w, r); out || err != nil {
		return err
	}
	return redirectTo(w, r, UIPath+"/settings", fmt.Sprintf("Token %s, created %s, is revoked: it no longer signs anyone in.",
		shortID(t.ID), t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC")))
}

// myTokenCreate creates another token of mine (for the CLI) and shows it
// once, in this answer.
func (s *Web) myTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	tok, form, err := s.createTokenFor(r, "me", r.PostFormValue("expires_in"))
	if err != nil {
		return err
	}
	page, err := s.settingsData(r)
	if err != nil {
		return err
	}
	if tok != nil {
		tok.For = "" // yours
	}
	page.NewToken, page.TokenForm = tok, form
	return s.renderSettings(w, r, form.Status, page)
}
