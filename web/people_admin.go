package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// People, not tokens (issue 20): admins list people, add one, change who
// they are and where they work, and give them tokens or revoke them;
// owners read the list and a person's page. Every change goes through
// the API (POST and PATCH /api/v1/people, POST and DELETE
// /api/v1/tokens), which checks and audits it.
var peoplePages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/people", Roles: authz.Everyone, Handle: (*Web).peopleList},
	{Method: http.MethodGet, Pattern: "/people/new", Roles: authz.Everyone, Handle: (*Web).personNew},
	{Method: http.MethodPost, Pattern: "/people", Roles: authz.Everyone, Handle: (*Web).personCreate},
	{Method: http.MethodGet, Pattern: "/people/{id}", Roles: authz.Everyone, Handle: (*Web).personShow},
	{Method: http.MethodPost, Pattern: "/people/{id}", Roles: authz.Everyone, Handle: (*Web).personSave},
	{Method: http.MethodPost, Pattern: "/people/{id}/tokens", Roles: authz.Everyone, Handle: (*Web).personTokenCreate},
	{Method: http.MethodGet, Pattern: "/people/{id}/tokens/{token}/revoke", Roles: authz.Everyone, Handle: (*Web).personTokenRevokeConfirm},
	{Method: http.MethodPost, Pattern: "/people/{id}/tokens/{token}/revoke", Roles: authz.Everyone, Handle: (*Web).personTokenRevoke},
}

// peopleViewers see the people pages: admins change, owners read.
var peopleViewers = []string{apiv1.RoleAdmin, apiv1.RoleOwner}

// mayViewPeople refuses, in words, whoever the people pages are not for.
func mayViewPeople(a apiv1.Actor) error {
	if authz.Allowed(peopleViewers, a.Role) {
		return nil
	}
	return httpx.Forbidden("the people pages are for admins (owners may read them); you are signed in as " + a.Role +
		". Your own details and tokens are on your settings page (/ui/settings)")
}

// mayChangePeople refuses, in words, whoever may not change people.
func mayChangePeople(a apiv1.Actor) error {
	if a.Role == apiv1.RoleAdmin {
		return nil
	}
	if err := mayViewPeople(a); err != nil {
		return err
	}
	return httpx.Forbidden("only admins add people, change them and manage their tokens; as " + a.Role + " you may read the people pages")
}

// roles are the roles a person may have, in the order the form offers them.
var roles = []string{apiv1.RoleStaff, apiv1.RoleImprover, apiv1.RoleOwner, apiv1.RoleAdmin}

// roleText says what a role does, for the form.
var roleText = map[string]string{
	apiv1.RoleStaff:    "staff: works the tasks of their departments",
	apiv1.RoleImprover: "improver: pilots, proposals and PDCA cycles",
	apiv1.RoleOwner:    "owner: models and publishes flows, reads everything",
	apiv1.RoleAdmin:    "admin: everything, including people and tokens",
}

// personRow is a person as the list shows them.
type personRow struct {
	ID, Name, Email, Role, Availability string
	Departments, Leads                  []string
	Load, Capacity                      int
	ActiveTokens                        int
	TokensKnown, TokensMore             bool
}

type peopleListPage struct {
	Department  string
	Departments []string
	People      []personRow
	Cursor      string
	Next        string
	MayEdit     bool
}

// peopleLimit is how many people the list shows at once.
const peopleLimit = 50

func (s *Web) peopleList(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	if err := mayViewPeople(a); err != nil {
		return err
	}
	q := r.URL.Query()
	page := peopleListPage{Department: strings.TrimSpace(q.Get("department")), Cursor: q.Get("cursor"), MayEdit: a.Role == apiv1.RoleAdmin}
	deps, err := s.inboxDepartments(r)
	if err != nil {
		return err
	}
	page.Departments = deps
	if page.Department != "" && !slices.Contains(deps, page.Department) {
		page.Departments = append(page.Departments, page.Department)
	}
	pq := url.Values{"limit": {fmt.Sprint(peopleLimit)}}
	if page.Department != "" {
		pq.Set("department", page.Department)
	}
	if page.Cursor != "" {
		pq.Set("cursor", page.Cursor)
	}
	list, err := apiGet[apiv1.PersonList](s, r, "/api/v1/people?"+pq.Encode())
	if err != nil {
		return err
	}
	page.Next = list.NextCursor
	for _, p := range list.People {
		row := personRow{ID: p.ID, Name: p.Name, Email: p.Email, Role: p.Role, Availability: p.Availability,
			Departments: p.Departments, Leads: p.Leads, Load: p.Load, Capacity: p.Capacity}
		if row.Name == "" {
			row.Name = shortID(p.ID)
		}
		if page.MayEdit {
			// One page of their tokens: people have few.
			if ts, err := s.tokensOf(r, p.ID, ""); err == nil {
				row.TokensKnown, row.TokensMore = true, ts.NextCursor != ""
				for _, t := range ts.Tokens {
					if t.Status == "active" {
						row.ActiveTokens++
					}
				}
			}
		}
		page.People = append(page.People, row)
	}
	return s.render(w, r, pageView{Template: "people", Title: "People", Active: "people", Data: page})
}

// personForm is who a person is and where they work, as the form has it.
type personForm struct {
	Name, Email, Role  string
	Departments, Leads []string
	Other              string // departments typed (FLOWLAB_DEPARTMENTS a flow does not name yet)
}

// departmentChoice is one department of the form: whether the person
// works there and leads it.
type departmentChoice struct {
	ID          string
	Works, Lead bool
}

// personPage is a person's page, or the form that adds one.
type personPage struct {
	New     bool
	Person  apiv1.Person
	MayEdit bool
	Form    personForm
	Choices []departmentChoice
	Roles   []string
	RoleFor map[string]string
	Error   string            // for the whole form
	Errors  map[string]string // field → the API's message
	// Their tokens (admins), the one just created (shown once) and the
	// form that creates one.
	Tokens     []tokenRow
	TokensNext string
	TokensNote string // why the tokens are not listed
	NewToken   *newToken
	TokenForm  tokenForm
}

// formOfPerson is the form filled with a person as saved.
func formOfPerson(p apiv1.Person) personForm {
	return personForm{Name: p.Name, Email: p.Email, Role: p.Role, Departments: slices.Clone(p.Departments), Leads: slices.Clone(p.Leads)}
}

// personFormOf reads the form posted.
func personFormOf(f url.Values) personForm {
	pf := personForm{Name: strings.TrimSpace(f.Get("name")), Email: strings.TrimSpace(f.Get("email")), Role: f.Get("role"),
		Other: strings.TrimSpace(f.Get("other_departments"))}
	add := func(list []string, d string) []string {
		if d = strings.TrimSpace(d); d != "" && !slices.Contains(list, d) {
			list = append(list, d)
		}
		return list
	}
	pf.Departments = []string{}
	for _, d := range f["departments"] {
		pf.Departments = add(pf.Departments, d)
	}
	for _, d := range strings.Split(pf.Other, ",") {
		pf.Departments = add(pf.Departments, d)
	}
	pf.Leads = []string{}
	for _, d := range f["leads"] {
		pf.Leads = add(pf.Leads, d)
	}
	return pf
}

// fillChoices sets the departments the form offers: the known ones (of
// the published flows) and the person's own.
func (s *Web) fillChoices(r *http.Request, page *personPage) error {
	deps, err := s.inboxDepartments(r)
	if err != nil {
		return err
	}
	for _, d := range append(slices.Clone(page.Person.Departments), page.Form.Departments...) {
		if !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	slices.Sort(deps)
	page.Choices = nil
	for _, d := range deps {
		page.Choices = append(page.Choices, departmentChoice{ID: d, Works: slices.Contains(page.Form.Departments, d),
			Lead: slices.Contains(page.Form.Leads, d)})
	}
	// What was typed and is now a checkbox is not typed again.
	page.Form.Other = ""
	page.Roles, page.RoleFor = roles, roleText
	return nil
}

// formFieldErrors maps the API's field errors to the form's fields
// (departments[2] is the departments' checkboxes).
func formFieldErrors(p *httpx.Problem) map[string]string {
	out := map[string]string{}
	for _, fe := range p.Errors {
		field := fe.Field
		if i := strings.IndexByte(field, '['); i > 0 {
			field = field[:i]
		}
		if _, ok := out[field]; !ok {
			out[field] = fe.Message
		}
	}
	return out
}

func (s *Web) renderPerson(w http.ResponseWriter, r *http.Request, status int, page personPage) error {
	title := "Add a person"
	if !page.New {
		title = page.Person.Name
		if title == "" {
			title = shortID(page.Person.ID)
		}
	}
	return s.render(w, r, pageView{Template: "person", Title: title, Active: "people", Status: status, Data: page})
}

func (s *Web) personNew(w http.ResponseWriter, r *http.Request) error {
	if err := mayChangePeople(actorOf(r.Context())); err != nil {
		return err
	}
	page := personPage{New: true, MayEdit: true, Form: personForm{Role: apiv1.RoleStaff}}
	if err := s.fillChoices(r, &page); err != nil {
		return err
	}
	return s.renderPerson(w, r, http.StatusOK, page)
}

// refusal turns an API refusal of a form into the page's messages: a
// 422 at its fields, anything else in words for the whole form; a
// server failure is returned.
func refusal(res apiResult, what string) (msg string, fields map[string]string, err error) {
	p := res.Problem()
	if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
		return "", nil, p
	}
	if p.Status == http.StatusUnprocessableEntity && len(p.Errors) > 0 {
		return what + ": correct the fields marked below.", formFieldErrors(p), nil
	}
	return what + ": " + problemReason(p) + ".", nil, nil
}

func (s *Web) personCreate(w http.ResponseWriter, r *http.Request) error {
	if err := mayChangePeople(actorOf(r.Context())); err != nil {
		return err
	}
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	form := personFormOf(r.PostForm)
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/people", apiv1.CreatePersonRequest{Name: form.Name, Email: form.Email,
		Role: form.Role, Departments: form.Departments, Leads: form.Leads}, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		page := personPage{New: true, MayEdit: true, Form: form}
		if page.Error, page.Errors, err = refusal(res, "Not added"); err != nil {
			return err
		}
		if err := s.fillChoices(r, &page); err != nil {
			return err
		}
		return s.renderPerson(w, r, res.Status, page)
	}
	var p apiv1.Person
	if err := res.Decode(&p); err != nil {
		return err
	}
	return redirectTo(w, r, UIPath+"/people/"+url.PathEscape(p.ID), fmt.Sprintf(
		"Added %s (%s). They have no token yet: create one below for them to sign in with.", p.Name, whereText(p.Role, p.Departments)))
}

// whereText says a role and its departments: "staff of Customer service".
func whereText(role string, deps []string) string {
	if len(deps) == 0 {
		return role
	}
	return role + " of " + namesText(deps)
}

// personData reads a person and, for admins, a page of their tokens.
func (s *Web) personData(r *http.Request, id string) (personPage, error) {
	a := actorOf(r.Context())
	p, err := apiGet[apiv1.Person](s, r, "/api/v1/people/"+url.PathEscape(id))
	if err != nil {
		return personPage{}, err
	}
	page := personPage{Person: p, MayEdit: a.Role == apiv1.RoleAdmin, Form: formOfPerson(p), TokenForm: tokenForm{Status: http.StatusOK}}
	if err := s.fillChoices(r, &page); err != nil {
		return personPage{}, err
	}
	if !page.MayEdit {
		page.TokensNote = "Only admins see and manage a person's tokens."
		return page, nil
	}
	list, err := s.tokensOf(r, p.ID, r.URL.Query().Get("tokens"))
	if err != nil {
		return personPage{}, err
	}
	page.Tokens, page.TokensNext = tokenRowsOf(list.Tokens), list.NextCursor
	return page, nil
}

func (s *Web) personShow(w http.ResponseWriter, r *http.Request) error {
	if err := mayViewPeople(actorOf(r.Context())); err != nil {
		return err
	}
	page, err := s.personData(r, chi.URLParam(r, "id"))
	if err != nil {
		return err
	}
	return s.renderPerson(w, r, http.StatusOK, page)
}

// personSave changes who a person is and where they work: only the
// fields changed are sent (PATCH /api/v1/people/{id}).
func (s *Web) personSave(w http.ResponseWriter, r *http.Request) error {
	if err := mayChangePeople(actorOf(r.Context())); err != nil {
		return err
	}
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	page, err := s.personData(r, id)
	if err != nil {
		return err
	}
	cur, form := page.Person, personFormOf(r.PostForm)
	back := UIPath + "/people/" + url.PathEscape(cur.ID)
	var req apiv1.UpdatePersonRequest
	changed := false
	if form.Name != cur.Name {
		req.Name, changed = &form.Name, true
	}
	if form.Email != cur.Email {
		req.Email, changed = &form.Email, true
	}
	if form.Role != cur.Role {
		req.Role, changed = &form.Role, true
	}
	if !sameSet(form.Departments, cur.Departments) {
		req.Departments, changed = &form.Departments, true
	}
	if !sameSet(form.Leads, cur.Leads) || req.Departments != nil {
		req.Leads, changed = &form.Leads, true
	}
	if !changed {
		return redirectTo(w, r, back, "Nothing to save: nothing was changed.")
	}
	res, err := s.callAPI(r, http.MethodPatch, "/api/v1/people/"+url.PathEscape(cur.ID), req, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		page.Form = form
		if page.Error, page.Errors, err = refusal(res, "Not saved"); err != nil {
			return err
		}
		if err := s.fillChoices(r, &page); err != nil {
			return err
		}
		return s.renderPerson(w, r, res.Status, page)
	}
	var out apiv1.UpdatePersonResponse
	if err := res.Decode(&out); err != nil {
		return err
	}
	return redirectTo(w, r, back, savedPersonText(s.actorLabels(r), cur, out))
}

// savedPersonText says what a change of a person did: who they are now,
// and the tasks they gave back, with where each went.
func savedPersonText(who *actorLabels, was apiv1.Person, out apiv1.UpdatePersonResponse) string {
	p := out.Person
	var b strings.Builder
	fmt.Fprintf(&b, "Saved %s: %s", p.Name, whereText(p.Role, p.Departments))
	if len(p.Leads) > 0 {
		fmt.Fprintf(&b, ", team lead of %s", namesText(p.Leads))
	}
	b.WriteString(".")
	if !sameSet(was.Departments, p.Departments) {
		fmt.Fprintf(&b, " Was in %s. Their id, tokens and history stay theirs.", namesText(was.Departments))
	}
	if n := len(out.Released); n > 0 {
		went := map[string]apiv1.Task{}
		for _, t := range out.Assigned {
			went[t.ID] = t
		}
		fmt.Fprintf(&b, " %s they held where they no longer work went back: ", countNoun(n, "task", "tasks"))
		var parts []string
		for i, t := range out.Released {
			if i == maxListed {
				parts = append(parts, fmt.Sprintf("and %d more", n-maxListed))
				break
			}
			where := "to the pool"
			if a, ok := went[t.ID]; ok && a.Assignee != "" {
				where = "now with " + who.label(a.Assignee)
			}
			parts = append(parts, fmt.Sprintf("%q of case %s %s", taskName(t), shortID(t.CaseID), where))
		}
		b.WriteString(strings.Join(parts, "; ") + ".")
	}
	return b.String()
}

// sameSet reports whether two lists hold the same values.
func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// personTokenCreate gives a person another token and shows it once, in
// this answer (never in a URL).
func (s *Web) personTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if err := mayChangePeople(actorOf(r.Context())); err != nil {
		return err
	}
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	if _, err := apiGet[apiv1.Person](s, r, "/api/v1/people/"+url.PathEscape(id)); err != nil {
		return err
	}
	tok, form, err := s.createTokenFor(r, id, r.PostFormValue("expires_in"))
	if err != nil {
		return err
	}
	page, err := s.personData(r, id)
	if err != nil {
		return err
	}
	page.NewToken, page.TokenForm = tok, form
	return s.renderPerson(w, r, form.Status, page)
}

func (s *Web) personTokenRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	a := actorOf(r.Context())
	if err := mayChangePeople(a); err != nil {
		return err
	}
	id, tid := chi.URLParam(r, "id"), chi.URLParam(r, "token")
	p, err := apiGet[apiv1.Person](s, r, "/api/v1/people/"+url.PathEscape(id))
	if err != nil {
		return err
	}
	t, only, err := s.findToken(r, p.ID, tid)
	if err != nil {
		return err
	}
	back := UIPath + "/people/" + url.PathEscape(p.ID)
	return s.renderRevoke(w, r, revokePage{Token: tokenRowsOf([]apiv1.Token{t})[0], Whose: possessive(p.Name), Self: p.ID == a.ID,
		OnlyOne: only, Action: back + "/tokens/" + url.PathEscape(tid) + "/revoke", Back: back})
}

// possessive is "Ana's".
func possessive(name string) string {
	if strings.HasSuffix(name, "s") {
		return name + "’"
	}
	return name + "’s"
}

func (s *Web) personTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := mayChangePeople(actorOf(r.Context())); err != nil {
		return err
	}
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id, tid := chi.URLParam(r, "id"), chi.URLParam(r, "token")
	back := UIPath + "/people/" + url.PathEscape(id)
	p, err := apiGet[apiv1.Person](s, r, "/api/v1/people/"+url.PathEscape(id))
	if err != nil {
		return err
	}
	// The token must be this person's: the page names them.
	if _, _, err := s.findToken(r, p.ID, tid); err != nil {
		return refusedTo(w, r, back, fmt.Sprintf("Token not revoked: %s has no token %s.", p.Name, shortID(tid)))
	}
	t, refused, err := s.revokeToken(r, tid)
	if err != nil {
		return err
	}
	if refused != "" {
		return refusedTo(w, r, back, refused)
	}
	if out, err := s.signedOutByRevoke(w, r); out || err != nil {
		return err
	}
	return redirectTo(w, r, back, fmt.Sprintf("%s token %s, created %s, is revoked: it no longer signs anyone in. %s keeps their other tokens, tasks and history.",
		possessive(p.Name), shortID(t.ID), t.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"), p.Name))
}
