package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// TokenPrefix starts every API token.
const TokenPrefix = "flk_"

// AdminActorID is the id of the built-in actor FLOWLAB_ADMIN_TOKEN
// authenticates as.
const AdminActorID = "admin"

// NewToken returns a fresh API token (TokenPrefix + 32 random bytes in
// base64url) and the hash the store keeps.
func NewToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, fmt.Errorf("server: token: %w", err)
	}
	token = TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashToken(token), nil
}

// HashToken is the stored form of a token: sha256 of the whole string.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

type ctxKey int

const actorKey ctxKey = 1

func withActor(ctx context.Context, a store.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

func actorFrom(ctx context.Context) store.Actor {
	a, _ := ctx.Value(actorKey).(store.Actor)
	return a
}

const authChallenge = `Bearer realm="flowlab"`

// authenticate resolves the bearer token to an actor.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authz := r.Header.Get("Authorization")
		scheme, token, ok := strings.Cut(authz, " ")
		token = strings.TrimSpace(token)
		if authz == "" {
			s.writeProblem(w, r, unauthorized("missing Authorization header; send \"Authorization: Bearer <token>\"", authChallenge))
			return
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			s.writeProblem(w, r, unauthorized("Authorization header must be \"Bearer <token>\"",
				authChallenge+`, error="invalid_request"`))
			return
		}
		actor, err := s.actorForToken(r.Context(), token)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				s.writeProblem(w, r, unauthorized("the token is unknown, expired or revoked",
					authChallenge+`, error="invalid_token"`))
				return
			}
			s.writeProblem(w, r, storeProblem(fmt.Errorf("authenticate: %w", err), "token"))
			return
		}
		next.ServeHTTP(w, r.WithContext(withActor(r.Context(), actor)))
	})
}

func (s *Server) actorForToken(ctx context.Context, token string) (store.Actor, error) {
	if s.cfg.AdminToken != "" {
		// Compare fixed-length digests so the comparison time depends on
		// neither the length nor the content of the secret.
		want := sha256.Sum256([]byte(s.cfg.AdminToken))
		got := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(want[:], got[:]) == 1 {
			return store.Actor{ID: AdminActorID, Name: "admin", Role: store.RoleAdmin}, nil
		}
	}
	if !strings.HasPrefix(token, TokenPrefix) {
		return store.Actor{}, store.ErrNotFound
	}
	a, err := s.store.ActorByTokenHash(ctx, HashToken(token), s.now())
	if err != nil {
		return store.Actor{}, fmt.Errorf("actor by token: %w", err)
	}
	return withRoleDepartments(a), nil
}

// ImprovementDepartment is the department the improvement cycles' tasks go
// to (the built-in PDCA flow's only department).
const ImprovementDepartment = "improvement"

// roleDepartments are the departments a role works in by being that role,
// on top of the ones its token names: the improvement team works the PDCA
// cycles' tasks (decision 0024). Admins work everywhere anyway.
var roleDepartments = map[string][]string{
	store.RoleImprover: {ImprovementDepartment},
}

// withRoleDepartments adds the departments the actor's role implies. Every
// request's actor comes through here (API tokens, UI sessions, the admin
// token), so every check that reads Departments (inboxes, claim, release,
// complete, the workflow's own check) follows from this one place.
func withRoleDepartments(a store.Actor) store.Actor {
	implied := roleDepartments[a.Role]
	if len(implied) == 0 {
		return a
	}
	deps := slices.Clone(a.Departments)
	for _, d := range implied {
		if !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	a.Departments = deps
	return a
}

// departmentBound reports whether the actor's inbox is limited to their
// departments: staff and improvers list only their departments' tasks
// (they read any case's tasks through the case); owners and admins see
// every department's.
func departmentBound(a store.Actor) bool {
	return a.Role == store.RoleStaff || a.Role == store.RoleImprover
}

// requireRole lets only actors with one of roles through.
func (s *Server) requireRole(roles ...string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			a := actorFrom(r.Context())
			if !slices.Contains(roles, a.Role) {
				s.writeProblem(w, r, forbidden(fmt.Sprintf("role %q may not do this; allowed: %s", a.Role, strings.Join(roles, ", "))))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// inDepartment reports whether a may act in department: admins everywhere,
// everyone else only in their own departments.
func inDepartment(a store.Actor, department string) bool {
	return a.Role == store.RoleAdmin || slices.Contains(a.Departments, department)
}

var validRoles = []string{store.RoleAdmin, store.RoleOwner, store.RoleStaff, store.RoleImprover}

// createToken creates an actor and its token; the token is shown once.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.CreateTokenRequest
	if _, err := s.decodeJSON(w, r, &req); err != nil {
		return err
	}
	var errs []FieldError
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		errs = append(errs, FieldError{Field: "name", Message: "is required"})
	} else if len(req.Name) > 200 {
		errs = append(errs, FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	if !slices.Contains(validRoles, req.Role) {
		errs = append(errs, FieldError{Field: "role", Message: "must be one of " + strings.Join(validRoles, ", ")})
	}
	if req.Role == store.RoleStaff && len(req.Departments) == 0 {
		errs = append(errs, FieldError{Field: "departments", Message: "is required for role staff"})
	}
	known, err := s.knownDepartments(r.Context())
	if err != nil {
		return storeProblem(err, "departments")
	}
	for i, d := range req.Departments {
		switch {
		case strings.TrimSpace(d) == "":
			errs = append(errs, FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: "must not be empty"})
		case !slices.Contains(known, d):
			errs = append(errs, FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: fmt.Sprintf(
				"unknown department %q; the published flows and FLOWLAB_DEPARTMENTS name: %s", d, strings.Join(known, ", "))})
		}
	}
	for i, d := range req.Leads {
		if !slices.Contains(req.Departments, d) {
			errs = append(errs, FieldError{Field: fmt.Sprintf("leads[%d]", i), Message: fmt.Sprintf("%q is not one of departments; a lead leads a department it works in", d)})
		}
	}
	now := s.now().UTC()
	var expiresAt *time.Time
	if req.ExpiresIn != nil {
		d, err := flow.ParseDuration(*req.ExpiresIn)
		switch {
		case err != nil:
			errs = append(errs, FieldError{Field: "expires_in", Message: err.Error()})
		case d.D() <= 0:
			errs = append(errs, FieldError{Field: "expires_in", Message: "must be positive"})
		default:
			t := now.Add(d.D())
			expiresAt = &t
		}
	}
	if len(errs) > 0 {
		return invalid(errs...)
	}
	if req.Departments == nil {
		req.Departments = []string{}
	}

	token, hash, err := NewToken()
	if err != nil {
		return internal(err)
	}
	actor, err := s.store.CreateActor(r.Context(), store.CreateActorParams{
		ID: uuid.NewString(), Name: req.Name, Role: req.Role, Departments: req.Departments, Leads: req.Leads, At: now,
	})
	if err != nil {
		return storeProblem(fmt.Errorf("create actor: %w", err), "actor")
	}
	tok, err := s.store.CreateToken(r.Context(), store.CreateTokenParams{
		ID: uuid.NewString(), ActorID: actor.ID, Hash: hash, At: now, ExpiresAt: expiresAt,
	})
	if err != nil {
		return storeProblem(fmt.Errorf("create token: %w", err), "token")
	}
	s.audit(r, store.AuditEntry{Action: "token.create", Object: "token:" + tok.ID,
		Details: mustJSON(map[string]any{"actor_id": actor.ID, "role": actor.Role, "departments": actor.Departments, "leads": actor.Leads})})
	s.writeJSON(w, r, http.StatusCreated, apiv1.TokenResponse{Token: token, Actor: toActorJSON(actor), ExpiresAt: expiresAt})
	return nil
}

func toActorJSON(a store.Actor) apiv1.Actor {
	deps, leads := a.Departments, a.Leads
	if deps == nil {
		deps = []string{}
	}
	if leads == nil {
		leads = []string{}
	}
	return apiv1.Actor{ID: a.ID, Name: a.Name, Role: a.Role, Departments: deps, Leads: leads}
}
