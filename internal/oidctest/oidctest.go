// Package oidctest runs a real OpenID provider in process for tests: the
// certified provider library github.com/zitadel/oidc's op package over an
// in-memory storage (this file), on a loopback listener, with RSA-signed
// ID tokens, discovery, JWKS, PKCE and a login page where a test (or a
// browser) types a user name. Tests of flowlab's sign-in use it instead
// of a mock of the protocol (decision 0038). It is imported by tests only.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is a person the provider knows.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Groups        []string
}

// Provider is the running provider.
type Provider struct {
	// Issuer is its URL (http on loopback).
	Issuer string
	// ClientID and ClientSecret are the one client's.
	ClientID, ClientSecret string

	srv     *http.Server
	storage *storage
}

// Start runs a provider on a loopback port whose client may send people
// back to redirectURI only, knowing users by user name. Stop it with
// Close.
func Start(redirectURI string, users map[string]User) (*Provider, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	issuer := "http://" + ln.Addr().String()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	st := &storage{
		users:    users,
		client:   &client{id: "flowlab", secret: "flowlab-test-secret", redirect: redirectURI},
		key:      key,
		keyID:    "test-key-1",
		requests: map[string]*authRequest{},
		codes:    map[string]string{},
		tokens:   map[string]string{},
	}
	var cryptoKey [32]byte
	if _, err := rand.Read(cryptoKey[:]); err != nil {
		return nil, err
	}
	prov, err := op.NewProvider(&op.Config{CryptoKey: cryptoKey, CodeMethodS256: true, AuthMethodPost: true,
		SupportedScopes: []string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile, "groups"}},
		st, op.StaticIssuer(issuer), op.WithAllowInsecure(), op.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		return nil, err
	}
	st.callback = op.AuthCallbackURL(prov)
	r := chi.NewRouter()
	r.Get("/login", st.loginPage)
	r.Post("/login", st.login)
	r.Mount("/", prov)
	p := &Provider{Issuer: issuer, ClientID: st.client.id, ClientSecret: st.client.secret, storage: st,
		srv: &http.Server{Handler: r, ReadHeaderTimeout: 5 * time.Second}}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() error { return p.srv.Close() }

// SetUser adds or changes a user.
func (p *Provider) SetUser(name string, u User) {
	p.storage.mu.Lock()
	defer p.storage.mu.Unlock()
	p.storage.users[name] = u
}

// LoginPath is the login page's path; the form posts the fields "id"
// (the authorization request) and "username".
const LoginPath = "/login"

// storage is op.Storage in memory.
type storage struct {
	mu       sync.Mutex
	users    map[string]User
	client   *client
	key      *rsa.PrivateKey
	keyID    string
	requests map[string]*authRequest
	codes    map[string]string // code -> request id
	tokens   map[string]string // access token id -> subject
	callback func(context.Context, string) string
}

func (s *storage) loginPage(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("authRequestID")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, `<!doctype html><html><head><title>Test identity provider</title></head><body>
<h1>Test identity provider</h1>
<form method="post" action="/login">
<input type="hidden" name="id" value="%s">
<label for="username">User name</label> <input id="username" name="username" autofocus>
<button type="submit" id="login">Sign in</button>
</form></body></html>`, html.EscapeString(id))
}

func (s *storage) login(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	id, name := r.PostFormValue("id"), r.PostFormValue("username")
	s.mu.Lock()
	req, ok := s.requests[id]
	u, known := s.users[name]
	if ok && known {
		req.subject, req.done, req.authTime = u.Subject, true, time.Now().UTC()
	}
	s.mu.Unlock()
	switch {
	case !ok:
		http.Error(w, "unknown authorization request", http.StatusBadRequest)
	case !known:
		http.Error(w, "unknown user "+name, http.StatusUnauthorized)
	default:
		http.Redirect(w, r, s.callback(r.Context(), id), http.StatusFound)
	}
}

func (s *storage) userBySubject(sub string) (User, bool) {
	for _, u := range s.users {
		if u.Subject == sub {
			return u, true
		}
	}
	return User{}, false
}

type notFound struct{ what string }

func (e notFound) Error() string { return e.what + " not found" }
func (notFound) IsNotFound()     {}

// AuthStorage.

func (s *storage) CreateAuthRequest(_ context.Context, r *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &authRequest{id: uuid.NewString(), req: *r}
	if r.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: r.CodeChallenge, Method: r.CodeChallengeMethod}
	}
	s.requests[a.id] = a
	return a, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return nil, notFound{"auth request"}
	}
	return a, nil
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[s.codes[code]]
	if !ok {
		return nil, notFound{"code"}
	}
	return a, nil
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, rid := range s.codes {
		if rid == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, r op.TokenRequest) (string, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := uuid.NewString()
	s.tokens[id] = r.GetSubject()
	return id, time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("no refresh tokens")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.key }
func (k signingKey) ID() string                                  { return k.id }

type publicKey struct{ signingKey }

func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.key.PublicKey }

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) {
	return signingKey{s.keyID, s.key}, nil
}

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) {
	return []op.Key{publicKey{signingKey{s.keyID, s.key}}}, nil
}

// OPStorage.

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, notFound{"client"}
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	a, b := sha256.Sum256([]byte(secret)), sha256.Sum256([]byte(s.client.secret))
	if id != s.client.id || a != b {
		return errors.New("wrong client id or secret")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, sub, _ string, scopes []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.userBySubject(sub)
	if !ok {
		return notFound{"user"}
	}
	info.Subject = sub
	if slices.Contains(scopes, oidc.ScopeEmail) {
		info.Email, info.EmailVerified = u.Email, oidc.Bool(u.EmailVerified)
	}
	if slices.Contains(scopes, oidc.ScopeProfile) {
		info.Name = u.Name
	}
	if slices.Contains(scopes, "groups") {
		info.AppendClaims("groups", u.Groups)
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(ctx context.Context, info *oidc.UserInfo, _, sub, _ string) error {
	return s.SetUserinfoFromScopes(ctx, info, sub, "", []string{oidc.ScopeEmail, oidc.ScopeProfile, "groups"})
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("no introspection")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("no JWT profile")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("no JWT profile")
}

func (s *storage) Health(context.Context) error { return nil }

// authRequest is op.AuthRequest.
type authRequest struct {
	id        string
	req       oidc.AuthRequest
	challenge *oidc.CodeChallenge
	subject   string
	done      bool
	authTime  time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.req.ClientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.req.ClientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string                { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                   { return a.req.Scopes }
func (a *authRequest) GetState() string                      { return a.req.State }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// client is op.Client: a confidential web client with one redirect URI.
type client struct {
	id, secret, redirect string
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return []string{c.redirect} }
func (c *client) PostLogoutRedirectURIs() []string    { return nil }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType        { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string           { return LoginPath + "?authRequestID=" + id }
func (c *client) AccessTokenType() op.AccessTokenType { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration      { return 5 * time.Minute }
func (c *client) DevMode() bool                       { return true } // http redirect URIs on loopback
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }

// Fingerprint names the provider's signing key (for a test's messages).
func (p *Provider) Fingerprint() string {
	h := sha256.Sum256(p.storage.key.PublicKey.N.Bytes())
	return hex.EncodeToString(h[:4])
}
