package api

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

func (s *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.CreateTokenRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var errs []apiv1.FieldError
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" {
		errs = append(errs, apiv1.FieldError{Field: "name", Message: "is required"})
	} else if len(req.Name) > 200 {
		errs = append(errs, apiv1.FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	if !slices.Contains(authz.Everyone, req.Role) {
		errs = append(errs, apiv1.FieldError{Field: "role", Message: "must be one of " + strings.Join(authz.Everyone, ", ")})
	}
	if req.Role == store.RoleStaff && len(req.Departments) == 0 {
		errs = append(errs, apiv1.FieldError{Field: "departments", Message: "is required for role staff"})
	}
	known, err := s.knownDepartments(r.Context())
	if err != nil {
		return httpx.StoreProblem(err, "departments")
	}
	for i, d := range req.Departments {
		switch {
		case strings.TrimSpace(d) == "":
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: "must not be empty"})
		case !slices.Contains(known, d):
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: fmt.Sprintf(
				"unknown department %q; the published flows and FLOWLAB_DEPARTMENTS name: %s", d, strings.Join(known, ", "))})
		}
	}
	for i, d := range req.Leads {
		if !slices.Contains(req.Departments, d) {
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("leads[%d]", i), Message: fmt.Sprintf("%q is not one of departments; a lead leads a department it works in", d)})
		}
	}
	now := s.now().UTC()
	var expiresAt *time.Time
	if req.ExpiresIn != nil {
		d, err := flow.ParseDuration(*req.ExpiresIn)
		switch {
		case err != nil:
			errs = append(errs, apiv1.FieldError{Field: "expires_in", Message: err.Error()})
		case d.D() <= 0:
			errs = append(errs, apiv1.FieldError{Field: "expires_in", Message: "must be positive"})
		default:
			t := now.Add(d.D())
			expiresAt = &t
		}
	}
	if len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	if req.Departments == nil {
		req.Departments = []string{}
	}

	token, hash, err := httpx.NewToken()
	if err != nil {
		return httpx.Internal(err)
	}
	actor, err := s.store.CreateActor(r.Context(), store.CreateActorParams{
		ID: uuid.NewString(), Name: req.Name, Role: req.Role, Departments: req.Departments, Leads: req.Leads, At: now,
	})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create actor: %w", err), "actor")
	}
	tok, err := s.store.CreateToken(r.Context(), store.CreateTokenParams{
		ID: uuid.NewString(), ActorID: actor.ID, Hash: hash, At: now, ExpiresAt: expiresAt,
	})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create token: %w", err), "token")
	}
	s.audit(r, store.AuditEntry{Action: "token.create", Object: "token:" + tok.ID,
		Details: mustJSON(map[string]any{"actor_id": actor.ID, "role": actor.Role, "departments": actor.Departments, "leads": actor.Leads})})
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, apiv1.TokenResponse{Token: token, Actor: toActorJSON(actor), ExpiresAt: expiresAt})
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
