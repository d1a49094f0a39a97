package apiv1

import "time"

// CreateTokenRequest is the body of createToken: the new actor and the
// lifetime of its token.
type CreateTokenRequest struct {
	// Person, when set, gives a new token to an existing person (an actor
	// id, or me): name, role, departments and leads are then not given.
	Person      string   `json:"person,omitempty" description:"An existing person (actor id, or me) who gets another token; without it, a new person is created with the token (admins only)."`
	Name        string   `json:"name,omitempty" maxLength:"200" description:"The new person's display name."`
	Role        string   `json:"role,omitempty" enum:"admin,owner,staff,improver"`
	Departments []string `json:"departments,omitempty" description:"Departments the actor works in; required for staff. Each must be a department a published flow uses, or one of the server's configured departments (FLOWLAB_DEPARTMENTS)."`
	Leads       []string `json:"leads,omitempty" description:"Departments, among departments, the actor is the team lead of: it may release and reassign their claimed tasks."`
	ExpiresIn   *string  `json:"expires_in,omitempty" description:"Lifetime of the token (a flow duration like 720h or 30d); default: no expiry." example:"720h"`
}

// Actor is a person or system that calls the API: its name, role and
// departments (getActor, and inside tokens).
type Actor struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Role        string   `json:"role" enum:"admin,owner,staff,improver"`
	Departments []string `json:"departments" nullable:"false"`
	Leads       []string `json:"leads" nullable:"false" description:"Departments the actor is the team lead of."`
}

// TokenResponse is the answer of createToken: the token, shown only this
// once, and its actor.
type TokenResponse struct {
	Token     string     `json:"token"`
	Actor     Actor      `json:"actor"`
	ExpiresAt *time.Time `json:"expires_at"`
}
