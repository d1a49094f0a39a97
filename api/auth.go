package api

import (
	"context"
	"errors"
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
	ctx := r.Context()
	caller := httpx.ActorFrom(ctx)
	now := s.now().UTC()
	var errs []apiv1.FieldError
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
	var actor store.Actor
	if person := strings.TrimSpace(req.Person); person != "" {
		// Another token for an existing person: theirs, or an admin's doing.
		if person == "me" {
			person = caller.ID
		}
		if person != caller.ID && caller.Role != store.RoleAdmin {
			return httpx.Forbidden("you may create tokens for yourself only (person: me); admins for anyone")
		}
		for field, given := range map[string]bool{"name": req.Name != "", "role": req.Role != "", "departments": len(req.Departments) > 0, "leads": len(req.Leads) > 0} {
			if given {
				errs = append(errs, apiv1.FieldError{Field: field, Message: "is the person's already; change it with PATCH /api/v1/people/{id}"})
			}
		}
		slices.SortFunc(errs, func(a, b apiv1.FieldError) int { return strings.Compare(a.Field, b.Field) })
		if len(errs) > 0 {
			return httpx.Invalid(errs...)
		}
		a, err := s.store.GetActor(ctx, person)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return httpx.Invalid(apiv1.FieldError{Field: "person", Message: fmt.Sprintf("no person %q", person)})
			}
			return httpx.StoreProblem(fmt.Errorf("get person: %w", err), "person")
		}
		actor = a
	} else {
		if caller.Role != store.RoleAdmin {
			return httpx.Forbidden("only admins create people; to get another token of your own, send person: me")
		}
		req.Name = strings.TrimSpace(req.Name)
		ferrs, err := s.checkPerson(ctx, req.Name, req.Role, req.Departments, req.Leads)
		if err != nil {
			return httpx.StoreProblem(err, "departments")
		}
		if errs = append(errs, ferrs...); len(errs) > 0 {
			return httpx.Invalid(errs...)
		}
		if req.Departments == nil {
			req.Departments = []string{}
		}
		a, err := s.store.CreateActor(ctx, store.CreateActorParams{
			ID: uuid.NewString(), Name: req.Name, Role: req.Role, Departments: req.Departments, Leads: req.Leads, At: now,
		})
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("create actor: %w", err), "actor")
		}
		actor = a
	}
	token, hash, err := httpx.NewToken()
	if err != nil {
		return httpx.Internal(err)
	}
	tok, err := s.store.CreateToken(ctx, store.CreateTokenParams{
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

// checkPerson checks who a person is and where they work: a name, a
// role, departments (required for staff) that a published flow or
// FLOWLAB_DEPARTMENTS names, leads among them.
func (s *API) checkPerson(ctx context.Context, name, role string, departments, leads []string) ([]apiv1.FieldError, error) {
	var errs []apiv1.FieldError
	if name == "" {
		errs = append(errs, apiv1.FieldError{Field: "name", Message: "is required"})
	} else if len(name) > 200 {
		errs = append(errs, apiv1.FieldError{Field: "name", Message: "must be at most 200 characters"})
	}
	if !slices.Contains(authz.Everyone, role) {
		errs = append(errs, apiv1.FieldError{Field: "role", Message: "must be one of " + strings.Join(authz.Everyone, ", ")})
	}
	if role == store.RoleStaff && len(departments) == 0 {
		errs = append(errs, apiv1.FieldError{Field: "departments", Message: "is required for role staff"})
	}
	known, err := s.knownDepartments(ctx)
	if err != nil {
		return nil, err
	}
	for i, d := range departments {
		switch {
		case strings.TrimSpace(d) == "":
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: "must not be empty"})
		case !slices.Contains(known, d):
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("departments[%d]", i), Message: fmt.Sprintf(
				"unknown department %q; the published flows and FLOWLAB_DEPARTMENTS name: %s", d, strings.Join(known, ", "))})
		}
	}
	for i, d := range leads {
		if !slices.Contains(departments, d) {
			errs = append(errs, apiv1.FieldError{Field: fmt.Sprintf("leads[%d]", i), Message: fmt.Sprintf("%q is not one of departments; a lead leads a department it works in", d)})
		}
	}
	return errs, nil
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
