package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
)

// Single sign-on with OpenID Connect (issue 20, decision 0038): the
// authorization code flow with PKCE, through go-oidc (discovery, the
// ID token's signature, issuer, audience and expiry) and x/oauth2 (the
// code exchange). The state, the nonce and the PKCE verifier travel in a
// short-lived cookie sealed with the session key, bound to the browser
// that began the sign-in; the ID token's groups give the role,
// departments and leads (RoleMap) at every sign-in. No token, code or
// claim is logged or put in a URL of ours.

// OIDCCallbackPath is where the identity provider sends the browser back
// (FLOWLAB_OIDC_REDIRECT_URL must end with it).
const OIDCCallbackPath = UIPath + "/signin/callback"

// oidcCookie holds the sign-in in progress, sealed.
const oidcCookie = "flowlab_oidc"

// oidcFlowTTL bounds the time between leaving for the provider and
// coming back.
const oidcFlowTTL = 10 * time.Minute

// OIDCConfig is the single sign-on of the web UI; with it, the UI signs
// in through the identity provider only.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is the callback's absolute URL as registered at the
	// provider (fixed by configuration, never taken from a request).
	RedirectURL string
	// ProviderName names the provider on the sign-in button.
	ProviderName string
	// GroupsClaim is the ID token claim holding the groups or roles
	// (default "groups").
	GroupsClaim string
	// RoleMap gives the role, departments and leads of a person's groups.
	RoleMap RoleMap
	// Register creates, at first sign-in, a person no one has the email
	// of; without it only people already registered with their email may
	// sign in.
	Register bool
	// Scopes asked for; default openid, email, profile, groups.
	Scopes []string
	// HTTPClient reaches the provider (nil: http.DefaultClient).
	HTTPClient *http.Client
}

// RoleRule is one line of the claim mapping: people in Group get Role
// and the departments and leads named.
type RoleRule struct {
	Group       string
	Role        string
	Departments []string
	Leads       []string
}

// RoleMap is the claim mapping, FLOWLAB_OIDC_ROLE_MAP.
type RoleMap []RoleRule

// rolePrecedence orders the roles a person with several groups gets: the
// strongest wins.
var rolePrecedence = []string{apiv1.RoleAdmin, apiv1.RoleOwner, apiv1.RoleImprover, apiv1.RoleStaff}

// ParseRoleMap reads a claim mapping: rules separated by ";", each
// GROUP=ROLE[:DEPARTMENTS[:LEADS]] with DEPARTMENTS and LEADS separated
// by ",", e.g. "support=staff:service; support-leads=staff:service:service;
// process-owners=owner". A lead must be one of the rule's departments.
func ParseRoleMap(s string) (RoleMap, error) {
	var out RoleMap
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		group, rest, ok := strings.Cut(part, "=")
		group = strings.TrimSpace(group)
		if !ok || group == "" {
			return nil, fmt.Errorf("rule %d (%q): write GROUP=ROLE[:DEPARTMENTS[:LEADS]]", i+1, part)
		}
		fields := strings.Split(rest, ":")
		if len(fields) > 3 {
			return nil, fmt.Errorf("rule %d (%q): at most ROLE:DEPARTMENTS:LEADS after =", i+1, part)
		}
		r := RoleRule{Group: group, Role: strings.TrimSpace(fields[0])}
		if !slices.Contains(rolePrecedence, r.Role) {
			return nil, fmt.Errorf("rule %d (%q): role %q is not one of %s", i+1, part, r.Role, strings.Join(rolePrecedence, ", "))
		}
		list := func(s string) []string {
			var xs []string
			for _, x := range strings.Split(s, ",") {
				if x = strings.TrimSpace(x); x != "" {
					xs = append(xs, x)
				}
			}
			return xs
		}
		if len(fields) > 1 {
			r.Departments = list(fields[1])
		}
		if len(fields) > 2 {
			r.Leads = list(fields[2])
		}
		for _, l := range r.Leads {
			if !slices.Contains(r.Departments, l) {
				return nil, fmt.Errorf("rule %d (%q): lead %q is not one of the rule's departments; a lead leads a department they work in", i+1, part, l)
			}
		}
		if r.Role == apiv1.RoleStaff && len(r.Departments) == 0 {
			return nil, fmt.Errorf("rule %d (%q): role staff needs departments (GROUP=staff:DEPARTMENTS)", i+1, part)
		}
		out = append(out, r)
	}
	if len(out) == 0 {
		return nil, errors.New("no rule: write GROUP=ROLE[:DEPARTMENTS[:LEADS]] separated by ;")
	}
	return out, nil
}

// Map is the access of a person in groups: the strongest role of the
// rules their groups match, the departments and leads of all of them;
// ok false when no rule matches (they may not sign in).
func (m RoleMap) Map(groups []string) (role string, departments, leads []string, ok bool) {
	best := len(rolePrecedence)
	for _, r := range m {
		if !slices.Contains(groups, r.Group) {
			continue
		}
		ok = true
		if i := slices.Index(rolePrecedence, r.Role); i < best {
			best = i
		}
		departments = append(departments, r.Departments...)
		leads = append(leads, r.Leads...)
	}
	if !ok {
		return "", nil, nil, false
	}
	slices.Sort(departments)
	slices.Sort(leads)
	return rolePrecedence[best], slices.Compact(departments), slices.Compact(leads), true
}

// oidcClient is the relying party, discovered at first use (so a
// provider down when flowlab starts delays sign-in, not the start).
type oidcClient struct {
	cfg OIDCConfig

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *oidc.IDTokenVerifier
}

func (c *oidcClient) ctx(ctx context.Context) context.Context {
	if c.cfg.HTTPClient != nil {
		return oidc.ClientContext(ctx, c.cfg.HTTPClient)
	}
	return ctx
}

// discover reads the provider's metadata once it answers.
func (c *oidcClient) discover(ctx context.Context) (*oauth2.Config, *oidc.IDTokenVerifier, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.oauth != nil {
		return c.oauth, c.verifier, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(c.ctx(ctx), c.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("identity provider %s: discovery: %w", c.cfg.Issuer, err)
	}
	scopes := c.cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{oidc.ScopeOpenID, "email", "profile", "groups"}
	}
	c.oauth = &oauth2.Config{ClientID: c.cfg.ClientID, ClientSecret: c.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.cfg.RedirectURL, Scopes: scopes}
	c.verifier = p.Verifier(&oidc.Config{ClientID: c.cfg.ClientID})
	return c.oauth, c.verifier, nil
}

// oidcFlow is the sealed content of oidcCookie.
type oidcFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x,omitempty"`
	Expires  int64  `json:"e"`
}

func randomString() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("server: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// oidcStart sends the browser to the identity provider.
func (s *Web) oidcStart(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return httpx.NotFound("single sign-on is not configured")
	}
	oc, _, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "single sign-on unavailable", slog.String("error", err.Error()))
		return s.signInRefused(w, r, http.StatusServiceUnavailable,
			fmt.Sprintf("%s does not answer right now. Try again in a moment; if it lasts, tell your administrator.", s.oidcName()))
	}
	f := oidcFlow{Verifier: oauth2.GenerateVerifier(), Next: safeNext(r.URL.Query().Get("next")),
		Expires: s.now().Add(oidcFlowTTL).Unix()}
	if f.State, err = randomString(); err != nil {
		return httpx.Internal(err)
	}
	if f.Nonce, err = randomString(); err != nil {
		return httpx.Internal(err)
	}
	plain, err := json.Marshal(f)
	if err != nil {
		return httpx.Internal(err)
	}
	sealed, err := s.sessions.seal(oidcCookie, plain)
	if err != nil {
		return httpx.Internal(err)
	}
	// Lax: the provider's redirect back is a top-level navigation from
	// another site, which a Strict cookie would miss.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: sealed, Path: OIDCCallbackPath, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r), MaxAge: int(oidcFlowTTL / time.Second)})
	http.Redirect(w, r, oc.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusSeeOther)
	return nil
}

// oidcClaims are the ID token's claims flowlab reads.
type oidcClaims struct {
	Email         string          `json:"email"`
	EmailVerified json.RawMessage `json:"email_verified"`
	Name          string          `json:"name"`
	PreferredName string          `json:"preferred_username"`
}

// emailVerified reads email_verified, a boolean (or, from some
// providers, the string "true").
func emailVerified(raw json.RawMessage) bool {
	var b bool
	if json.Unmarshal(raw, &b) == nil {
		return b
	}
	var s string
	return json.Unmarshal(raw, &s) == nil && strings.EqualFold(s, "true")
}

// groupsOf reads the groups claim: a list of strings, or one string.
func groupsOf(all map[string]json.RawMessage, claim string) []string {
	raw, ok := all[claim]
	if !ok {
		return nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list
	}
	var one string
	if json.Unmarshal(raw, &one) == nil && one != "" {
		return []string{one}
	}
	return nil
}

// oidcCallback finishes the sign-in: the state against the cookie, the
// code exchanged with the PKCE verifier, the ID token verified (signature,
// issuer, audience, expiry) with its nonce, the email verified, the
// groups mapped; then a session.
func (s *Web) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	if s.oidc == nil {
		return httpx.NotFound("single sign-on is not configured")
	}
	// The flow cookie is single use, whatever happens next.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: OIDCCallbackPath, HttpOnly: true, MaxAge: -1,
		SameSite: http.SameSiteLaxMode, Secure: s.secureCookies(r)})
	name := s.oidcName()
	restart := "Sign in again."
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return s.signInRefused(w, r, http.StatusBadRequest, "This sign-in did not begin in this browser, or took longer than 10 minutes. "+restart)
	}
	plain, err := s.sessions.open(oidcCookie, c.Value)
	var f oidcFlow
	if err != nil || json.Unmarshal(plain, &f) != nil || s.now().Unix() > f.Expires {
		return s.signInRefused(w, r, http.StatusBadRequest, "This sign-in took longer than 10 minutes or was not begun here. "+restart)
	}
	q := r.URL.Query()
	if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1 {
		return s.signInRefused(w, r, http.StatusBadRequest, "This answer from "+name+" is not for the sign-in begun in this browser. "+restart)
	}
	if e := q.Get("error"); e != "" {
		// The provider's own words, shown as text, never logged with a code.
		msg := fmt.Sprintf("%s did not sign you in (%s).", name, e)
		if d := q.Get("error_description"); d != "" && len(d) < 300 {
			msg = fmt.Sprintf("%s did not sign you in: %s (%s).", name, d, e)
		}
		return s.signInRefused(w, r, http.StatusUnauthorized, msg+" "+restart)
	}
	code := q.Get("code")
	if code == "" {
		return s.signInRefused(w, r, http.StatusBadRequest, name+" sent no authorization code. "+restart)
	}
	oc, verifier, err := s.oidc.discover(r.Context())
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "single sign-on unavailable", slog.String("error", err.Error()))
		return s.signInRefused(w, r, http.StatusServiceUnavailable, name+" does not answer right now. "+restart)
	}
	ctx, cancel := context.WithTimeout(s.oidc.ctx(r.Context()), 15*time.Second)
	defer cancel()
	tok, err := oc.Exchange(ctx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "single sign-on: code exchange failed", slog.String("error", redactOAuthError(err)))
		return s.signInRefused(w, r, http.StatusUnauthorized, name+" did not confirm this sign-in. "+restart)
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		return s.signInRefused(w, r, http.StatusUnauthorized, name+" sent no ID token. "+restart)
	}
	idt, err := verifier.Verify(ctx, rawID)
	if err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "single sign-on: ID token refused", slog.String("error", err.Error()))
		return s.signInRefused(w, r, http.StatusUnauthorized, "The ID token from "+name+" could not be verified. "+restart)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return s.signInRefused(w, r, http.StatusUnauthorized, "The ID token from "+name+" is not for this sign-in. "+restart)
	}
	var claims oidcClaims
	var all map[string]json.RawMessage
	if err := idt.Claims(&claims); err != nil {
		return s.signInRefused(w, r, http.StatusUnauthorized, "The ID token from "+name+" could not be read. "+restart)
	}
	if err := idt.Claims(&all); err != nil {
		return s.signInRefused(w, r, http.StatusUnauthorized, "The ID token from "+name+" could not be read. "+restart)
	}
	if claims.Email == "" {
		return s.signInRefused(w, r, http.StatusForbidden, name+" did not tell flowlab your email address; flowlab knows people by it. Ask your administrator.")
	}
	if !emailVerified(claims.EmailVerified) {
		return s.signInRefused(w, r, http.StatusForbidden, fmt.Sprintf("%s has not verified your email address %s. Verify it there, then sign in again.", name, claims.Email))
	}
	groups := groupsOf(all, s.oidc.cfg.GroupsClaim)
	role, deps, leads, ok := s.oidc.cfg.RoleMap.Map(groups)
	if !ok {
		return s.signInRefused(w, r, http.StatusForbidden, fmt.Sprintf(
			"You are signed in at %s as %s, but none of your groups there gives you a role in flowlab. Ask your administrator to add you to a flowlab group.",
			name, claims.Email))
	}
	display := claims.Name
	if display == "" {
		display = claims.PreferredName
	}
	secret, actor, err := s.cfg.Sessions.Start(r.Context(), httpx.SessionStart{
		Identity: &httpx.Identity{Issuer: idt.Issuer, Subject: idt.Subject, Email: claims.Email, Name: display,
			Role: role, Departments: deps, Leads: leads},
		Register: s.oidc.cfg.Register, UserAgent: r.UserAgent()})
	if err != nil {
		if errors.Is(err, httpx.ErrNotRegistered) {
			return s.signInRefused(w, r, http.StatusForbidden, fmt.Sprintf(
				"No person in flowlab has the email address %s. Ask your administrator to register you with it.", claims.Email))
		}
		return err
	}
	s.setSession(w, r, secret)
	next := f.Next
	if next == "" {
		next = homeFor(actor)
	}
	// A page that moves on by itself, not a redirect: the navigation to
	// next then begins on this site, so the session cookie (SameSite
	// Strict) goes with it.
	return s.render(w, r, pageView{Template: "signin_done", Title: "Signed in",
		Data: signInData{Next: next, Provider: actor.Name}})
}

// redactOAuthError keeps an exchange failure's kind, never a body that
// might echo a code or token.
func redactOAuthError(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		return fmt.Sprintf("token endpoint answered %d (%s)", re.Response.StatusCode, re.ErrorCode)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "token endpoint: " + ue.Err.Error()
	}
	return "token exchange failed"
}

// signInRefused is the sign-in page saying why, in words.
func (s *Web) signInRefused(w http.ResponseWriter, r *http.Request, status int, msg string) error {
	return s.render(w, r, pageView{Template: "signin", Title: "Sign in", Status: status,
		Data: s.signInDataOf("", msg)})
}

// oidcName names the identity provider on the page.
func (s *Web) oidcName() string {
	if s.oidc != nil && s.oidc.cfg.ProviderName != "" {
		return s.oidc.cfg.ProviderName
	}
	return "your identity provider"
}
