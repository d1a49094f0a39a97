package httpx

import (
	"errors"
	"time"
)

// Web UI sessions (decision 0038): what the web UI asks of the API's
// session keeping, which alone reaches the store.

// Defaults of the session lifetimes.
const (
	DefaultSessionIdle   = time.Hour
	DefaultSessionMaxAge = 12 * time.Hour
)

// Identity is a person an identity provider signed in, with the access
// the claim mapping gives them.
type Identity struct {
	Issuer, Subject string
	Email           string // verified by the provider
	Name            string
	Role            string
	Departments     []string
	Leads           []string
}

// SessionStart begins a session: with an API token, or with an identity
// (then Register creates a person unknown by their email).
type SessionStart struct {
	Token     string
	Identity  *Identity
	Register  bool
	UserAgent string
}

// Reasons a session ends (SessionEnded.Reason).
const (
	EndedIdle   = "idle"
	EndedMaxAge = "max_age"
	EndedByUser = "ended" // signed out, or ended by an admin
	EndedToken  = "token" // its token expired or was revoked
)

// SessionEnded is a session that no longer signs anyone in, and why.
type SessionEnded struct{ Reason string }

func (e *SessionEnded) Error() string { return "session ended: " + e.Reason }

// ErrNotRegistered is an identity whose email no person has, where only
// registered people may sign in.
var ErrNotRegistered = errors.New("no person has this email address")
