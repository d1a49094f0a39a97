package web

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/flowlab/flowlab/internal/httpx"
)

// Web UI sessions and flash messages (decisions 0023, 0038).
//
// A session is kept on the server (Config.Sessions, the API's session
// keeping, which alone reaches the store): the cookie holds only a random
// secret, the store its sha256 with the actor, how the session began, its
// idle and absolute deadlines and its end. Every request reads the
// session: one idle longer than Config.SessionIdle, older than
// Config.SessionMaxAge, signed out, ended by an admin, or begun with a
// token since revoked or expired, no longer signs anyone in. A page load
// (not a page's background refresh) is activity, recorded at most once a
// minute.
//
// The sealing key (Config.SessionKey) seals the short-lived cookie of a
// single sign-on in progress (state, nonce, PKCE verifier; oidc.go) and
// signs flash messages: a flash message (the banner after a form post)
// travels in the page URL with a MAC over the message, its kind and the
// actor it is for; a page shows a flash only when the MAC is right for the
// signed-in actor, so a crafted link shows nothing, and a link someone
// else was redirected to shows nothing to you.

// Defaults of the session lifetimes.
const (
	DefaultSessionIdle   = httpx.DefaultSessionIdle
	DefaultSessionMaxAge = httpx.DefaultSessionMaxAge
)

type sessionKeys struct {
	aead  cipher.AEAD
	flash []byte // HMAC key of flash messages
}

// newSessionKeys derives the sealing and flash keys from secret (random
// when empty: sessions then end when the process restarts).
func newSessionKeys(secret string) (*sessionKeys, error) {
	master := []byte(secret)
	if secret == "" {
		master = make([]byte, 32)
		if _, err := rand.Read(master); err != nil {
			return nil, fmt.Errorf("server: session key: %w", err)
		}
	}
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, master)
		m.Write([]byte("flowlab " + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("session cookie"))
	if err != nil {
		return nil, fmt.Errorf("server: session cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("server: session cipher: %w", err)
	}
	return &sessionKeys{aead: aead, flash: derive("flash message")}, nil
}

// seal encrypts and authenticates plain for the cookie named name.
func (k *sessionKeys) seal(name string, plain []byte) (string, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("server: seal %s: %w", name, err)
	}
	return base64.RawURLEncoding.EncodeToString(k.aead.Seal(nonce, nonce, plain, []byte(name))), nil
}

var errBadSeal = errors.New("cookie is not one this server sealed")

// open is the plain text of a value seal made for the cookie named name.
func (k *sessionKeys) open(name, v string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < k.aead.NonceSize() {
		return nil, errBadSeal
	}
	plain, err := k.aead.Open(nil, raw[:k.aead.NonceSize()], raw[k.aead.NonceSize():], []byte(name))
	if err != nil {
		return nil, errBadSeal
	}
	return plain, nil
}

// sessionEndedMessage says why a session is over.
func (s *Web) sessionEndedMessage(reason string) string {
	switch reason {
	case httpx.EndedMaxAge:
		return fmt.Sprintf("Your session reached its maximum length of %s. Sign in again.", humanDuration(s.cfg.SessionMaxAge))
	case httpx.EndedIdle:
		return fmt.Sprintf("Your session ended after %s without activity. Sign in again.", humanDuration(s.cfg.SessionIdle))
	case httpx.EndedToken:
		return "Your session ended: the token expired or was revoked. Sign in again."
	}
	return "Your session was ended. Sign in again."
}

func humanDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return fmt.Sprintf("%d h", int(d/time.Hour))
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	}
	return d.String()
}

// secureCookies reports whether cookies get the Secure attribute: the
// request came over TLS, or the server is told it runs behind TLS
// (Config.BehindTLS; a proxy terminates it).
func (s *Web) secureCookies(r *http.Request) bool {
	return s.cfg.BehindTLS || r.TLS != nil
}

// setSession sets the session cookie: the session's secret.
func (s *Web) setSession(w http.ResponseWriter, r *http.Request, secret string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: UIPath, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r), MaxAge: int(s.cfg.SessionMaxAge / time.Second)})
}

func (s *Web) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: UIPath, HttpOnly: true, MaxAge: -1,
		SameSite: http.SameSiteStrictMode, Secure: s.secureCookies(r)})
}

// Flash messages.

const (
	flashParam    = "flash"
	flashKindParm = "flash_kind"
	flashSigParam = "flash_sig"
	flashRefused  = "refused"
)

type flashKeyCtx struct{}

// withFlashKey lets redirectTo and refusedTo, which have the request but
// not the server, sign flash messages.
func withFlashKey(ctx context.Context, key []byte) context.Context {
	return context.WithValue(ctx, flashKeyCtx{}, key)
}

// flashMAC is the MAC of a flash message for actorID ("" before sign-in).
func flashMAC(key []byte, actorID, kind, msg string) string {
	m := hmac.New(sha256.New, key)
	for _, part := range []string{actorID, kind, msg} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// flashQuery is the query string of a flash message for the actor of r.
func flashQuery(r *http.Request, msg, kind string) string {
	key, _ := r.Context().Value(flashKeyCtx{}).([]byte)
	q := "flash=" + url.QueryEscape(msg)
	if kind != "" {
		q += "&" + flashKindParm + "=" + url.QueryEscape(kind)
	}
	return q + "&" + flashSigParam + "=" + flashMAC(key, actorOf(r.Context()).ID, kind, msg)
}

// flashOf is the flash message r's URL carries for its actor, with
// whether it is a refusal; "" when there is none or its MAC is wrong.
func (s *Web) flashOf(r *http.Request) (string, bool) {
	q := r.URL.Query()
	msg, kind, sig := q.Get(flashParam), q.Get(flashKindParm), q.Get(flashSigParam)
	if msg == "" || sig == "" {
		return "", false
	}
	want := flashMAC(s.sessions.flash, actorOf(r.Context()).ID, kind, msg)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", false
	}
	return msg, kind == flashRefused
}
