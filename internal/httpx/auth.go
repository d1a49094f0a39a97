package httpx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/store"
)

// AdminActorID is the id of the built-in actor FLOWLAB_ADMIN_TOKEN
// authenticates as.
const AdminActorID = "admin"

// NewToken returns a fresh API token (apiv1.TokenPrefix + 32 random bytes in
// base64url) and the hash the store keeps.
func NewToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("server: token: %w", err)
	}
	token = apiv1.TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token: sha256 of the whole string.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// ErrUnknownToken is a token that signs nobody in: unknown, expired or
// revoked.
var ErrUnknownToken = errors.New("unknown, expired or revoked token")

type ctxKey int

const actorKey ctxKey = 1

// WithActor is ctx carrying the authenticated actor a.

func WithActor(ctx context.Context, a store.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFrom is the authenticated actor of ctx (the zero Actor when none).
func ActorFrom(ctx context.Context) store.Actor {
	a, _ := ctx.Value(actorKey).(store.Actor)
	return a
}

const AuthChallenge = `Bearer realm="flowlab"`

// Authenticator resolves API tokens to actors: the admin token of the
// configuration, or a token the store knows that is neither expired nor
// revoked.
type Authenticator struct {
	Store      store.Store
	AdminToken string
	Now        func() time.Time
	Log        *slog.Logger
}

// Middleware resolves the request's bearer token to an actor (ActorFrom)
// or answers 401 with a WWW-Authenticate challenge.
func (au *Authenticator) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(authz, " ")
		token = strings.TrimSpace(token)
		if authz == "" {
			WriteProblem(au.Log, w, r, Unauthorized("missing Authorization header; send \"Authorization: Bearer <token>\"", AuthChallenge))
			return
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			WriteProblem(au.Log, w, r, Unauthorized("Authorization header must be \"Bearer <token>\"",
				AuthChallenge+`, error="invalid_request"`))
			return
		}
		actor, err := au.ActorForToken(r.Context(), token)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				WriteProblem(au.Log, w, r, Unauthorized("the token is unknown, expired or revoked",
					AuthChallenge+`, error="invalid_token"`))
				return
			}
			WriteProblem(au.Log, w, r, StoreProblem(fmt.Errorf("authenticate: %w", err), "token"))
			return
		}
		next.ServeHTTP(w, r.WithContext(WithActor(r.Context(), actor)))
	})
}

// ActorForToken is the actor token authenticates as, with the departments
// its role implies; store.ErrNotFound when there is none.
func (au *Authenticator) ActorForToken(ctx context.Context, token string) (store.Actor, error) {
	if au.IsAdminToken(token) {
		return AdminActor(), nil
	}
	if !strings.HasPrefix(token, apiv1.TokenPrefix) {
		return store.Actor{}, store.ErrNotFound
	}
	a, err := au.Store.ActorByTokenHash(ctx, HashToken(token), au.Now())
	if err != nil {
		return store.Actor{}, fmt.Errorf("actor by token: %w", err)
	}
	a.Departments = authz.WithRoleDepartments(a.Role, a.Departments)
	return a, nil
}

// IsAdminToken reports whether token is the configured admin token.
func (au *Authenticator) IsAdminToken(token string) bool {
	if au.AdminToken == "" {
		return false
	}
	// Compare fixed-length digests so the comparison time depends on
	// neither the length nor the content of the secret.
	want := sha256.Sum256([]byte(au.AdminToken))
	got := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(want[:], got[:]) == 1
}

// AdminActor is the built-in actor of the admin token.
func AdminActor() store.Actor {
	return store.Actor{ID: AdminActorID, Name: "admin", Role: store.RoleAdmin}
}

// RequireRole lets only actors with one of roles through.
func RequireRole(log *slog.Logger, roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := ActorFrom(r.Context())
			if !authz.Allowed(roles, a.Role) {
				WriteProblem(log, w, r, Forbidden(fmt.Sprintf("role %q may not do this; allowed: %s", a.Role, strings.Join(roles, ", "))))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
