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

// Assignment in the web UI (issue 19): my availability (the header's
// control), my notification channels (the settings page), my
// notifications (the bell and its page, notifications.go) and a team
// lead's page of the department (team.go). Every change is a PATCH of
// /api/v1/people/{id}: the API decides who may change what and gives the
// tasks a person going away had not started to others.
var assignPages = []pageRoute{
	{Method: http.MethodPost, Pattern: "/people/{id}/availability", Roles: authz.Everyone, Handle: (*Web).personAvailability},
	{Method: http.MethodGet, Pattern: "/settings", Roles: authz.Everyone, Handle: (*Web).settings},
	{Method: http.MethodPost, Pattern: "/settings", Roles: authz.Everyone, Handle: (*Web).settingsSave},
	{Method: http.MethodGet, Pattern: "/notifications", Roles: authz.Everyone, Handle: (*Web).notifications},
	{Method: http.MethodGet, Pattern: "/notifications/unread", Roles: authz.Everyone, Handle: (*Web).notificationsUnread},
	{Method: http.MethodPost, Pattern: "/notifications/read", Roles: authz.Everyone, Handle: (*Web).notificationsRead},
	{Method: http.MethodPost, Pattern: "/notifications/{id}/open", Roles: authz.Everyone, Handle: (*Web).notificationOpen},
	{Method: http.MethodGet, Pattern: "/team", Roles: authz.Everyone, Handle: (*Web).team},
}

// headerData fills the header of a signed-in page: the unread count of
// the bell, and the availability of someone rules give work to (staff
// and improvers). Either is left out when the API cannot say: the page
// itself still renders.
func (s *Web) headerData(r *http.Request, d *pageData) {
	if c, err := apiGet[apiv1.UnreadCount](s, r, "/api/v1/notifications/unread"); err == nil {
		d.Unread, d.UnreadKnown = c.Unread, true
	}
	if authz.DepartmentBound(d.Actor.Role) {
		if p, err := apiGet[apiv1.Person](s, r, "/api/v1/people/me"); err == nil {
			d.Availability = p.Availability
		}
	}
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		d.Here = hereOf(r)
	}
	d.Firing = s.firingBanner(r)
}

// hereOf is the page's URL without its flash message: where a form in
// the header comes back to.
func hereOf(r *http.Request) string {
	u := *r.URL
	q := u.Query()
	for _, k := range []string{flashParam, flashKindParm, flashSigParam} {
		q.Del(k)
	}
	u.RawQuery = q.Encode()
	return safeNext(u.RequestURI())
}

// availabilities are the states a person may be in, in the order the
// controls offer them.
var availabilities = []string{apiv1.Available, apiv1.Away, apiv1.Offline}

// personAvailability sets a person's availability ({id} is me or an
// actor id, a team lead's change) and comes back to the page the button
// was on, saying what the change gave back and to whom it went.
func (s *Web) personAvailability(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	a := actorOf(r.Context())
	id := chi.URLParam(r, "id")
	back := safeNext(r.PostFormValue("return"))
	if back == "" {
		back = homeFor(a)
	}
	avail := strings.TrimSpace(r.PostFormValue("availability"))
	res, err := s.callAPI(r, http.MethodPatch, "/api/v1/people/"+url.PathEscape(id), apiv1.UpdatePersonRequest{Availability: &avail}, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		p := res.Problem()
		if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
			return p
		}
		return refusedTo(w, r, back, "Availability not changed: "+problemReason(p)+".")
	}
	var out apiv1.UpdatePersonResponse
	if err := res.Decode(&out); err != nil {
		return err
	}
	return redirectTo(w, r, back, availabilityMessage(s.actorLabels(r), out, out.Person.ID == a.ID))
}

// problemReason is what a refusal says: its field messages, or its
// detail.
func problemReason(p *httpx.Problem) string {
	if len(p.Errors) == 0 {
		if p.Detail != "" {
			return p.Detail
		}
		return strings.ToLower(p.Title)
	}
	parts := make([]string, len(p.Errors))
	for i, fe := range p.Errors {
		parts[i] = fe.Field + " " + fe.Message
	}
	return strings.Join(parts, "; ")
}

// maxListed bounds the tasks a flash message names one by one.
const maxListed = 5

// availabilityMessage says what a change of availability did: the new
// state, the tasks not started that went back and where each went (to
// whom the rules gave it, or the pool), what the rules gave the person,
// and what they still hold. self: the person changed themselves (else a
// team lead changed them).
func availabilityMessage(who *actorLabels, out apiv1.UpdatePersonResponse, self bool) string {
	p := out.Person
	name := p.Name
	if name == "" {
		name = shortID(p.ID)
	}
	subject, them := name+" is", name
	if self {
		subject, them = "You are", "you"
	}
	var b strings.Builder
	switch p.Availability {
	case apiv1.Available:
		fmt.Fprintf(&b, "%s available: rules may give %s tasks again, up to %s at once.", subject, them, countNoun(p.Capacity, "task", "tasks"))
	default:
		fmt.Fprintf(&b, "%s %s: rules give %s no new tasks.", subject, p.Availability, them)
	}
	went := map[string]apiv1.Task{} // task id → as the rules assigned it
	for _, t := range out.Assigned {
		went[t.ID] = t
	}
	if n := len(out.Released); n > 0 {
		fmt.Fprintf(&b, " %s %s had not started went back: ", countNoun(n, "task", "tasks"), them)
		var parts []string
		for i, t := range out.Released {
			if i == maxListed {
				parts = append(parts, fmt.Sprintf("and %d more", n-maxListed))
				break
			}
			where := "in the pool (nobody available had room)"
			if a, ok := went[t.ID]; ok && a.Assignee != "" {
				where = "now with " + who.label(a.Assignee)
			}
			parts = append(parts, fmt.Sprintf("%q of case %s %s", taskName(t), shortID(t.CaseID), where))
		}
		b.WriteString(strings.Join(parts, "; ") + ".")
	}
	// What the change let the rules give to this person (they became
	// available or gained room).
	var given []string
	for _, t := range out.Assigned {
		if t.Assignee == p.ID && !slices.ContainsFunc(out.Released, func(r apiv1.Task) bool { return r.ID == t.ID }) {
			given = append(given, fmt.Sprintf("%q of case %s", taskName(t), shortID(t.CaseID)))
		}
	}
	if len(given) > maxListed {
		given = append(given[:maxListed], fmt.Sprintf("and %d more", len(given)-maxListed))
	}
	if len(given) > 0 {
		fmt.Fprintf(&b, " Waiting work given to %s: %s.", them, strings.Join(given, "; "))
	}
	if p.Availability != apiv1.Available && p.Load > 0 {
		if self {
			fmt.Fprintf(&b, " You still hold %s you started: give back from My tasks what someone else should finish.",
				countNoun(p.Load, "task", "tasks"))
		} else {
			fmt.Fprintf(&b, " %s still holds %s already started: release what someone else should finish.",
				name, countNoun(p.Load, "task", "tasks"))
		}
	}
	return b.String()
}

// settingsPage is my settings: availability, and where my notifications
// go besides the app.
type settingsPage struct {
	Person     apiv1.Person
	Email      string
	WebhookURL string
	ByEmail    bool
	ByWebhook  bool
	Errors     map[string]string // field → the API's message
	Error      string            // for the whole form
	Assignable bool              // rules give them work (staff, improvers)
	// My tokens: a page of them, the token just created (shown once, in
	// the answer of the post that created it) and the form that creates
	// one.
	Tokens     []tokenRow
	TokensNext string
	NewToken   *newToken
	TokenForm  tokenForm
}

func (s *Web) settings(w http.ResponseWriter, r *http.Request) error {
	page, err := s.settingsData(r)
	if err != nil {
		return err
	}
	return s.renderSettings(w, r, http.StatusOK, page)
}

// settingsData is my settings as saved, with a page of my tokens
// (?tokens= the cursor of the page).
func (s *Web) settingsData(r *http.Request) (settingsPage, error) {
	p, err := apiGet[apiv1.Person](s, r, "/api/v1/people/me")
	if err != nil {
		return settingsPage{}, err
	}
	page := settingsPage{Person: p, Email: p.Email, WebhookURL: p.WebhookURL,
		ByEmail: slices.Contains(p.NotifyBy, "email"), ByWebhook: slices.Contains(p.NotifyBy, "webhook"),
		Assignable: authz.DepartmentBound(actorOf(r.Context()).Role)}
	if err := s.myTokens(r, &page); err != nil {
		return settingsPage{}, err
	}
	return page, nil
}

// myTokens fills the page's list of my tokens.
func (s *Web) myTokens(r *http.Request, page *settingsPage) error {
	list, err := s.tokensOf(r, "me", r.URL.Query().Get("tokens"))
	if err != nil {
		return err
	}
	page.Tokens, page.TokensNext = tokenRowsOf(list.Tokens), list.NextCursor
	return nil
}

func (s *Web) renderSettings(w http.ResponseWriter, r *http.Request, status int, page settingsPage) error {
	return s.render(w, r, pageView{Template: "settings", Title: "Your settings", Active: "settings", Status: status, Data: page})
}

// settingsSave changes my notification channels (PATCH /people/me); the
// API's messages show at the fields they name, with what was typed kept.
func (s *Web) settingsSave(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	f := r.PostForm
	page := settingsPage{Email: strings.TrimSpace(f.Get("email")), WebhookURL: strings.TrimSpace(f.Get("webhook_url")),
		Assignable: authz.DepartmentBound(actorOf(r.Context()).Role)}
	by := []string{}
	for _, c := range f["notify_by"] {
		switch c {
		case "email":
			page.ByEmail = true
		case "webhook":
			page.ByWebhook = true
		}
		if !slices.Contains(by, c) {
			by = append(by, c)
		}
	}
	res, err := s.callAPI(r, http.MethodPatch, "/api/v1/people/me",
		apiv1.UpdatePersonRequest{Email: &page.Email, WebhookURL: &page.WebhookURL, NotifyBy: &by}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var out apiv1.UpdatePersonResponse
		if err := res.Decode(&out); err != nil {
			return err
		}
		return redirectTo(w, r, UIPath+"/settings", "Saved. "+channelsText(out.Person))
	}
	p := res.Problem()
	if p.Status != http.StatusUnprocessableEntity {
		if p.Status >= 500 || p.Status == http.StatusTooManyRequests {
			return p
		}
		page.Error = "Not saved: " + problemReason(p) + "."
	} else {
		page.Errors = map[string]string{}
		for _, fe := range p.Errors {
			// notify_by[1] is the channels' checkboxes.
			field := fe.Field
			if i := strings.IndexByte(field, '['); i > 0 {
				field = field[:i]
			}
			if _, ok := page.Errors[field]; !ok {
				page.Errors[field] = fe.Message
			}
		}
		page.Error = "Not saved: correct the fields marked below."
	}
	cur, err := apiGet[apiv1.Person](s, r, "/api/v1/people/me")
	if err != nil {
		return err
	}
	page.Person = cur
	if err := s.myTokens(r, &page); err != nil {
		return err
	}
	return s.renderSettings(w, r, p.Status, page)
}

// channelsText says where a person's notifications go.
func channelsText(p apiv1.Person) string {
	var where []string
	for _, c := range p.NotifyBy {
		switch c {
		case "email":
			where = append(where, "by email to "+p.Email)
		case "webhook":
			where = append(where, "to your chat webhook")
		}
	}
	if len(where) == 0 {
		return "Your notifications are in the app only (the bell)."
	}
	return "Your notifications are in the app and go " + strings.Join(where, " and ") + "."
}
