package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// peopleRoutes are the routes of people: their availability, capacity,
// skills and notification preferences, and the assignment measures
// (decisions 0035 and 0036; apiRoutes joins every resource's table).
var peopleRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/people", ID: "listPeople", Tag: "people",
		Summary: "List people with their availability and load",
		Description: "Owners and admins see everyone (or one department's people); a team lead sees the people of a department " +
			"they lead (`department` required). Staff and improvers are refused: they see themselves at /api/v1/people/me. " + descPaging,
		Params: apiv1.ListPeopleParams{},
		Status: http.StatusOK, Response: apiv1.PersonList{}, Example: apiv1.PersonList{People: []apiv1.Person{examplePerson}},
		Errors: []int{403, 422},
		Handle: (*API).listPeople,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/people", ID: "createPerson", Tag: "people",
		Summary: "Create a person (admins)",
		Description: "A person without a token yet: give them tokens with POST /api/v1/tokens (`person`), or let them sign in " +
			"through the identity provider by their email. Audited as `person.create`.",
		Roles: authz.Admins,
		Body:  apiv1.CreatePersonRequest{}, BodyExample: apiv1.CreatePersonRequest{Name: "Ana Agent", Email: "ana@example.com", Role: "staff",
			Departments: []string{"customer_service"}},
		Status: http.StatusCreated, Response: apiv1.Person{}, Example: examplePerson,
		Errors: []int{413, 415, 422},
		Audit:  []string{"person.create"},
		Handle: (*API).createPerson,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/people/{id}", ID: "getPerson", Tag: "people",
		Summary:     "Get a person",
		Description: "`me` is the caller. Anyone may read themselves; team leads the people of the departments they lead; owners and admins everyone.",
		Params:      apiv1.PersonIDParams{},
		Status:      http.StatusOK, Response: apiv1.Person{}, Example: examplePerson,
		Errors: []int{403, 404},
		Handle: (*API).getPerson,
	},
	{
		Method: http.MethodPatch, Pattern: "/api/v1/people/{id}", ID: "updatePerson", Tag: "people",
		Summary: "Change a person: who they are, where they work, availability, capacity, skills, notifications",
		Description: "The fields given change. A person sets their own availability, email, webhook and channels; a team lead of a " +
			"department they work in sets their availability, capacity and skills; owners too, for anyone; admins everything, " +
			"including name, role, departments and leads: the person keeps their id, tokens, history and statistics, and gives back " +
			"the open tasks they held in departments they leave. " +
			"Becoming away or offline gives back the tasks assigned and not started (`released`), which rules then offer to others; " +
			"any change lets the waiting tasks of their departments be assigned (`assigned`). Audited as `person.update`.",
		Params: apiv1.PersonIDParams{},
		Body:   apiv1.UpdatePersonRequest{}, BodyExample: apiv1.UpdatePersonRequest{Availability: ptr(apiv1.Away)},
		Status: http.StatusOK, Response: apiv1.UpdatePersonResponse{},
		Example: apiv1.UpdatePersonResponse{Person: examplePerson, Released: []apiv1.Task{}, Assigned: []apiv1.Task{}},
		Errors:  []int{403, 404, 413, 415, 422},
		Audit:   []string{"person.update"},
		Handle:  (*API).updatePerson,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/work", ID: "getWork", Tag: "people",
		Summary: "Assignment measures per department and person",
		Description: "For the tasks opened in [from, to): waiting for assignment (opened → assigned or pulled), assigned and waiting " +
			"to start (assigned → claimed), handle time (claimed → completed), tasks completed per hour of the window, " +
			"reassignments; per department (its total first) and per person (decision 0036). Team leads see the departments " +
			"they lead, owners and admins every department.",
		Params: apiv1.WorkParams{},
		Status: http.StatusOK, Response: apiv1.Work{}, Example: exampleWork,
		Errors: []int{403, 422},
		Handle: (*API).getWork,
	},
}

// Bounds of a person's settings.
const (
	maxCapacity    = 1000
	maxSkills      = 50
	maxSkillLength = 64
	maxEmailLength = 254
	maxURLLength   = 2048
	maxWorkWindow  = 92 * 24 * time.Hour
)

// maxWorkTasks bounds the tasks one GET /work reads (about 50 bytes each
// in memory); a variable so that a test can lower it.
var maxWorkTasks = 200_000

// toPersonJSON converts a person; the webhook URL (a secret of the chat
// tool) only for themselves and admins.
func toPersonJSON(p store.Person, viewer store.Actor) apiv1.Person {
	out := apiv1.Person{
		ID: p.ActorID, Name: p.Name, Role: p.Role, Departments: nonNil(p.Departments), Leads: nonNil(p.Leads),
		Availability: p.Availability, Capacity: p.Capacity, Load: p.Load, Skills: nonNil(p.Skills),
		Email: p.Email, NotifyBy: nonNil(p.NotifyBy), LastAssignedAt: utcPtr(p.LastAssignedAt),
	}
	if !p.AvailabilityAt.IsZero() {
		at := p.AvailabilityAt.UTC()
		out.AvailabilitySince = &at
	}
	if viewer.ID == p.ActorID || viewer.Role == store.RoleAdmin {
		out.WebhookURL = p.WebhookURL
	}
	return out
}

// leadsAny reports whether actor leads a department the person works in.
func leadsAny(actor store.Actor, p store.Person) bool {
	return slices.ContainsFunc(p.Departments, func(d string) bool {
		return authz.Leads(actor.Role, actor.Departments, actor.Leads, d)
	})
}

// personOf reads the person a request names (me: the caller) and checks
// that the caller may see them.
func (s *API) personOf(r *http.Request) (store.Person, error) {
	q, err := httpx.ParamsOf[apiv1.PersonIDParams](r)
	if err != nil {
		return store.Person{}, err
	}
	actor := httpx.ActorFrom(r.Context())
	id := q.ID
	if id == "me" {
		id = actor.ID
	}
	p, err := s.store.GetPerson(r.Context(), id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) && id == httpx.AdminActorID {
			return store.Person{}, httpx.NotFound("the admin token is configuration, not a person: it is never assigned tasks")
		}
		return store.Person{}, httpx.StoreProblem(fmt.Errorf("get person: %w", err), fmt.Sprintf("person %q", id))
	}
	if p.ActorID != actor.ID && !authz.ServesEveryCase(actor.Role) && !leadsAny(actor, p) {
		return store.Person{}, httpx.Forbidden(fmt.Sprintf("only %s themselves, a team lead of their departments (%s), owners and admins may see them",
			p.ActorID, departmentsText(p.Departments)))
	}
	return p, nil
}

type personCursorJSON struct {
	ID string `json:"id"`
}

func (s *API) listPeople(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListPeopleParams](r)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(r.Context())
	switch {
	case authz.ServesEveryCase(actor.Role):
	case q.Department == "" && len(actor.Leads) > 0:
		return httpx.Invalid(apiv1.FieldError{Field: "department", Message: fmt.Sprintf("is required: name a department you lead (%s)",
			departmentsText(actor.Leads))})
	case q.Department == "" || !authz.Leads(actor.Role, actor.Departments, actor.Leads, q.Department):
		return httpx.Forbidden(fmt.Sprintf("only team leads (of the department), owners and admins list people; you lead %s; "+
			"see yourself at /api/v1/people/me", departmentsText(actor.Leads)))
	}
	p := store.ListPeopleParams{Department: q.Department, Limit: q.Limit + 1}
	if q.Cursor != "" {
		var c personCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" {
			return httpx.BadCursor()
		}
		p.After = c.ID
	}
	people, err := s.store.ListPeople(r.Context(), p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list people: %w", err), "people")
	}
	out := apiv1.PersonList{People: []apiv1.Person{}}
	if len(people) > q.Limit {
		people = people[:q.Limit]
		if out.NextCursor, err = httpx.EncodeCursor(personCursorJSON{ID: people[len(people)-1].ActorID}); err != nil {
			return httpx.Internal(err)
		}
	}
	for _, p := range people {
		out.People = append(out.People, toPersonJSON(p, actor))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) getPerson(w http.ResponseWriter, r *http.Request) error {
	p, err := s.personOf(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toPersonJSON(p, httpx.ActorFrom(r.Context())))
	return nil
}

func (s *API) updatePerson(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.UpdatePersonRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	p, err := s.personOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	self := actor.ID == p.ActorID
	lead := leadsAny(actor, p) || actor.Role == store.RoleOwner
	admin := actor.Role == store.RoleAdmin
	// Who may change what.
	var refused []string
	may := func(field string, given, ok bool) {
		if given && !ok {
			refused = append(refused, field)
		}
	}
	may("name", req.Name != nil, admin)
	may("role", req.Role != nil, admin)
	may("departments", req.Departments != nil, admin)
	may("leads", req.Leads != nil, admin)
	may("availability", req.Availability != nil, self || lead || admin)
	may("capacity", req.Capacity != nil, lead || admin)
	may("skills", req.Skills != nil, lead || admin)
	may("email", req.Email != nil, self || admin)
	may("webhook_url", req.WebhookURL != nil, self || admin)
	may("notify_by", req.NotifyBy != nil, self || admin)
	if len(refused) > 0 {
		return httpx.Forbidden(fmt.Sprintf("you may not change %s of %s: a person sets their own availability and notifications, "+
			"a team lead of their department their availability, capacity and skills", strings.Join(refused, ", "), p.ActorID))
	}
	sp, ferrs := personChange(req, p, flow.DefaultWebhookAllow())
	if len(ferrs) > 0 {
		return httpx.Invalid(ferrs...)
	}
	var moved []store.Task
	if req.Name != nil || req.Role != nil || req.Departments != nil || req.Leads != nil {
		up := store.UpdateActorParams{ID: p.ActorID, Name: trimmed(req.Name), Role: req.Role, Departments: req.Departments, Leads: req.Leads}
		want := store.Actor{Name: p.Name, Role: p.Role, Departments: p.Departments, Leads: p.Leads}.Apply(up)
		ferrs, err := s.checkPerson(ctx, want.Name, want.Role, want.Departments, want.Leads)
		if err != nil {
			return httpx.StoreProblem(err, "departments")
		}
		if len(ferrs) > 0 {
			return httpx.Invalid(ferrs...)
		}
		if _, moved, err = s.store.UpdateActor(ctx, up); err != nil {
			return httpx.StoreProblem(fmt.Errorf("update person: %w", err), fmt.Sprintf("person %q", p.ActorID))
		}
	}
	sp.ActorID, sp.At = p.ActorID, s.now().UTC()
	next, released, err := s.store.SetPerson(ctx, sp)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("set person: %w", err), fmt.Sprintf("person %q", p.ActorID))
	}
	released = append(moved, released...)
	details := map[string]any{"person": p.ActorID}
	if req.Name != nil || req.Role != nil || req.Departments != nil || req.Leads != nil {
		details["was"] = map[string]any{"name": p.Name, "role": p.Role, "departments": p.Departments, "leads": p.Leads}
		details["now"] = map[string]any{"name": next.Name, "role": next.Role, "departments": next.Departments, "leads": next.Leads}
	}
	if req.Availability != nil {
		details["availability"] = map[string]string{"from": p.Availability, "to": next.Availability}
	}
	if req.Capacity != nil {
		details["capacity"] = map[string]int{"from": p.Capacity, "to": next.Capacity}
	}
	if req.Skills != nil {
		details["skills"] = next.Skills
	}
	if req.Email != nil {
		details["email"] = next.Email
	}
	if req.WebhookURL != nil {
		details["webhook_url"] = map[bool]string{true: "set", false: "cleared"}[next.WebhookURL != ""]
	}
	if req.NotifyBy != nil {
		details["notify_by"] = next.NotifyBy
	}
	if len(released) > 0 {
		ids := make([]string, len(released))
		for i, t := range released {
			ids[i] = t.ID
		}
		details["released"] = ids
	}
	s.audit(r, store.AuditEntry{Action: "person.update", Object: "actor:" + p.ActorID, Details: mustJSON(details)})
	deps := slices.Clone(next.Departments)
	for _, t := range released {
		if !slices.Contains(deps, t.Department) {
			deps = append(deps, t.Department)
		}
	}
	assigned := s.assignWaiting(ctx, deps...)
	if next, err = s.store.GetPerson(ctx, p.ActorID); err != nil {
		return httpx.StoreProblem(fmt.Errorf("get person: %w", err), fmt.Sprintf("person %q", p.ActorID))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.UpdatePersonResponse{Person: toPersonJSON(next, actor),
		Released: toTasksJSON(released), Assigned: toTasksJSON(assigned)})
	return nil
}

func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	return &t
}

func (s *API) createPerson(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.CreatePersonRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	ctx := r.Context()
	req.Name = strings.TrimSpace(req.Name)
	errs, err := s.checkPerson(ctx, req.Name, req.Role, req.Departments, req.Leads)
	if err != nil {
		return httpx.StoreProblem(err, "departments")
	}
	sp, ferrs := personChange(apiv1.UpdatePersonRequest{Email: &req.Email}, store.Person{}, flow.DefaultWebhookAllow())
	if errs = append(errs, ferrs...); len(errs) > 0 {
		return httpx.Invalid(errs...)
	}
	if req.Departments == nil {
		req.Departments = []string{}
	}
	now := s.now().UTC()
	a, err := s.store.CreateActor(ctx, store.CreateActorParams{ID: uuid.NewString(), Name: req.Name, Role: req.Role,
		Departments: req.Departments, Leads: req.Leads, At: now})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create person: %w", err), "person")
	}
	sp.ActorID, sp.At = a.ID, now
	p, _, err := s.store.SetPerson(ctx, sp)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("set person: %w", err), "person")
	}
	s.audit(r, store.AuditEntry{Action: "person.create", Object: "actor:" + a.ID,
		Details: mustJSON(map[string]any{"name": a.Name, "email": p.Email, "role": a.Role, "departments": a.Departments, "leads": a.Leads})})
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, toPersonJSON(p, httpx.ActorFrom(ctx)))
	return nil
}

// personChange checks a change of p and returns it as store parameters,
// or the fields in error.
func personChange(req apiv1.UpdatePersonRequest, p store.Person, allow *flow.WebhookAllow) (store.SetPersonParams, []apiv1.FieldError) {
	var (
		sp   store.SetPersonParams
		errs []apiv1.FieldError
	)
	bad := func(field, format string, args ...any) {
		errs = append(errs, apiv1.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if v := req.Availability; v != nil {
		switch *v {
		case store.Available, store.Away, store.Offline:
			sp.Availability = v
		default:
			bad("availability", "must be available, away or offline, not %q", *v)
		}
	}
	if v := req.Capacity; v != nil {
		if *v < 0 || *v > maxCapacity {
			bad("capacity", "must be between 0 and %d open tasks, not %d", maxCapacity, *v)
		}
		sp.Capacity = v
	}
	if v := req.Skills; v != nil {
		skills := []string{}
		for i, sk := range *v {
			sk = strings.TrimSpace(sk)
			switch {
			case sk == "":
				bad(fmt.Sprintf("skills[%d]", i), "is empty")
			case len(sk) > maxSkillLength:
				bad(fmt.Sprintf("skills[%d]", i), "is longer than %d characters", maxSkillLength)
			case !slices.Contains(skills, sk):
				skills = append(skills, sk)
			}
		}
		if len(skills) > maxSkills {
			bad("skills", "lists %d skills; at most %d", len(skills), maxSkills)
		}
		slices.Sort(skills)
		sp.Skills = &skills
	}
	email := p.Email
	if v := req.Email; v != nil {
		email = strings.TrimSpace(*v)
		if email != "" {
			a, err := mail.ParseAddress(email)
			switch {
			case len(email) > maxEmailLength:
				bad("email", "is longer than %d characters", maxEmailLength)
			case err != nil || a.Address != email:
				bad("email", "%q is not an email address like name@example.com", email)
			}
		}
		sp.Email = &email
	}
	hook := p.WebhookURL
	if v := req.WebhookURL; v != nil {
		hook = strings.TrimSpace(*v)
		if hook != "" {
			if len(hook) > maxURLLength {
				bad("webhook_url", "is longer than %d characters", maxURLLength)
			} else if err := flow.CheckWebhookURL(hook, allow); err != nil {
				bad("webhook_url", "is refused: %s", strings.TrimPrefix(err.Error(), flow.ErrWebhookURL.Error()+": "))
			}
		}
		sp.WebhookURL = &hook
	}
	by := p.NotifyBy
	if v := req.NotifyBy; v != nil {
		by = []string{}
		for i, c := range *v {
			switch c {
			case store.ChannelEmail, store.ChannelWebhook:
				if !slices.Contains(by, c) {
					by = append(by, c)
				}
			default:
				bad(fmt.Sprintf("notify_by[%d]", i), "must be email or webhook (the app always shows notifications), not %q", c)
			}
		}
		slices.Sort(by)
		sp.NotifyBy = &by
	}
	if slices.Contains(by, store.ChannelEmail) && email == "" {
		bad("notify_by", "email needs an email address: set email too")
	}
	if slices.Contains(by, store.ChannelWebhook) && hook == "" {
		bad("notify_by", "webhook needs a webhook_url: set it too")
	}
	return sp, errs
}

// assignWaiting lets the rules assign the waiting tasks of departments
// (someone became free) and returns what they assigned. A failure is
// logged: the assigner's next pass retries.
func (s *API) assignWaiting(ctx context.Context, departments ...string) []store.Task {
	var out []store.Task
	seen := map[string]bool{}
	for _, d := range departments {
		if d == "" || seen[d] {
			continue
		}
		seen[d] = true
		ts, err := s.store.AssignWaiting(ctx, store.AssignWaitingParams{Department: d, At: s.now().UTC()})
		if err != nil {
			s.log.WarnContext(ctx, "assign waiting tasks; the assigner retries", "department", d, "error", err)
			continue
		}
		out = append(out, ts...)
	}
	return out
}

func (s *API) getWork(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.WorkParams](r)
	if err != nil {
		return err
	}
	actor := httpx.ActorFrom(r.Context())
	switch {
	case authz.ServesEveryCase(actor.Role):
	case q.Department == "":
		return httpx.Invalid(apiv1.FieldError{Field: "department", Message: "is required: name a department you lead"})
	case !authz.Leads(actor.Role, actor.Departments, actor.Leads, q.Department):
		return httpx.Forbidden(fmt.Sprintf("only a team lead of %s, owners and admins see its measures; you lead %s",
			q.Department, departmentsText(actor.Leads)))
	}
	to := q.To
	if to.IsZero() {
		to = s.now().UTC()
	}
	from := q.From
	if from.IsZero() {
		from = to.Add(-7 * 24 * time.Hour)
	}
	if !from.Before(to) {
		return httpx.Invalid(apiv1.FieldError{Field: "from", Message: "must be before to"})
	}
	if to.Sub(from) > maxWorkWindow {
		return httpx.Invalid(apiv1.FieldError{Field: "to", Message: fmt.Sprintf("the window is %s; at most 92 days", to.Sub(from).Round(time.Hour))})
	}
	stats, err := s.store.WorkStats(r.Context(), store.WorkStatsParams{Department: q.Department, From: from, To: to, MaxTasks: maxWorkTasks})
	if errors.Is(err, store.ErrLimit) {
		return httpx.Invalid(apiv1.FieldError{Field: "from", Message: fmt.Sprintf(
			"more than %d tasks were opened in the window; narrow from and to, or name a department", maxWorkTasks)})
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("work stats: %w", err), "work")
	}
	out := apiv1.Work{From: from.UTC(), To: to.UTC(), Rows: []apiv1.WorkRow{}}
	names := map[string]string{}
	for _, st := range stats {
		row := WorkRowOf(st, to.Sub(from))
		if st.ActorID != "" {
			if _, ok := names[st.ActorID]; !ok {
				names[st.ActorID] = s.plainName(r.Context(), st.ActorID)
			}
			row.Name = names[st.ActorID]
		}
		out.Rows = append(out.Rows, row)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// WorkRowOf is the one computation of the assignment measures (decision
// 0036): the API, the web UI and the CLI show what it gives.
func WorkRowOf(st store.WorkStat, window time.Duration) apiv1.WorkRow {
	ds := func(xs []float64) apiv1.DurationStats {
		if len(xs) == 0 {
			return apiv1.DurationStats{}
		}
		q := analytics.QuantilesOf(xs)
		return apiv1.DurationStats{N: len(xs), P50: q.P50, P90: q.P90}
	}
	row := apiv1.WorkRow{Department: st.Department, Actor: st.ActorID, Opened: st.Opened, Completed: st.Completed,
		Open: st.Open, Reassignments: st.Reassignments, WaitAssign: ds(st.WaitAssign), WaitStart: ds(st.WaitStart), Handle: ds(st.Handle)}
	if h := window.Hours(); h > 0 {
		row.TasksPerHour = float64(st.Completed) / h
	}
	return row
}

// plainName is an actor's name, or their id when they have none.
func (s *API) plainName(ctx context.Context, id string) string {
	a, err := s.store.GetActor(ctx, id)
	if err != nil || a.Name == "" {
		return id
	}
	return a.Name
}

// AssignInterval is the pause between two assigner passes.
const AssignInterval = 5 * time.Second

// AssignPass is one pass of the assigner: offers not started within
// their accept_within go back to the pool, and every department with
// tasks waiting for a rule has them assigned while anyone has room. The
// API does the same at once when a task is completed or given back or a
// person changes; the pass catches what a crash or another process (a
// case cancelled, a timer) left. It returns the tasks given back and
// assigned.
func AssignPass(ctx context.Context, st store.Store, now time.Time) (released, assigned []store.Task, err error) {
	released, err = st.ExpireOffers(ctx, now, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("assigner: expire offers: %w", err)
	}
	deps, err := st.WaitingDepartments(ctx)
	if err != nil {
		return released, nil, fmt.Errorf("assigner: departments: %w", err)
	}
	var errs []error
	for _, d := range deps {
		ts, err := st.AssignWaiting(ctx, store.AssignWaitingParams{Department: d, At: now})
		if err != nil {
			errs = append(errs, fmt.Errorf("assigner: department %s: %w", d, err))
			continue
		}
		assigned = append(assigned, ts...)
	}
	return released, assigned, errors.Join(errs...)
}

// RunAssigner runs AssignPass every interval until ctx ends.
func RunAssigner(ctx context.Context, st store.Store, logger *slog.Logger, interval time.Duration) {
	runEvery(ctx, interval, func(pctx context.Context) {
		released, assigned, err := AssignPass(pctx, st, time.Now().UTC())
		if len(released) > 0 {
			logger.Info("offers not started in time went back to the pool", "tasks", len(released))
		}
		if len(assigned) > 0 {
			logger.Info("waiting tasks assigned", "tasks", len(assigned))
		}
		if err != nil && ctx.Err() == nil {
			logger.Warn("assigner", "error", err)
		}
	})
}
