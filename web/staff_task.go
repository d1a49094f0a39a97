package web

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/readable"
)

// A task's page: its case, SLA and escalation, claim and unclaim, and the
// completion form generated from the step's form fields, with one submit
// button per outcome. The form carries an idempotency key, so a double
// click completes the task once.

// formOption is one option of a select.
type formOption struct {
	Value    string
	Selected bool
}

// formField is one form field of a task with what the user typed and
// the server's message about it.
type formField struct {
	flow.Field
	ID      string // the input's id
	Input   string // the input's name
	Label   string
	Value   string
	Checked bool
	Options []formOption
	Error   string
}

// keyValue is one key and value to list.
type keyValue struct {
	Key, Value string
}

type taskPage struct {
	Task          apiv1.Task
	Case          apiv1.Case
	Attributes    []keyValue
	AssigneeLabel string
	CompletedBy   string
	Data          []keyValue // a closed task's data
	// Earlier lists the case's steps completed before this task opened,
	// with what their departments recorded: the handoff's content.
	Earlier []earlierStep
	// What the actor may do: claim or unclaim, and complete (open tasks of
	// the actor's department not claimed by someone else).
	CanClaim, CanUnclaim, CanComplete bool
	ClaimedByOther                    bool
	// CanStart: a rule or a lead gave the actor the task, not started.
	CanStart bool
	// CanReassign: the actor leads the task's department (or is an
	// admin): it may give the task to someone else of the department,
	// chosen from People (an actor id typed when the API lists nobody).
	CanReassign bool
	People      []personOption
	// How the task reached its holder: "assigned by least loaded",
	// "moved to you by Lea"; the offer's deadline while not started.
	AssignHow, RuleTitle string
	OfferDue             *time.Time
	Fields               []formField
	Key                  string // the completion's idempotency key
	Error                string // a message for the whole form
	OutcomeError         string
	Outcome              string // the outcome last chosen
}

// earlierStep is one completed step of the case before the task's.
type earlierStep struct {
	Task        apiv1.Task
	CompletedBy string
	Data        []keyValue
	Link        bool // the actor may open its page
}

// fieldInputPrefix prefixes the form fields' input names, so they never
// collide with the form's own (outcome, idempotency_key).
const fieldInputPrefix = "data."

func (s *Web) task(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadTask(r)
	if err != nil {
		return err
	}
	page.Fields = formFields(page.Task.Form, nil, nil)
	page.Key = uuid.NewString()
	return s.renderTask(w, r, http.StatusOK, page)
}

// loadTask reads the task of the page's {id} and its case and works
// out what the actor may do. Staff of another department get a 403, as
// their inbox would.
func (s *Web) loadTask(r *http.Request) (taskPage, error) {
	who := s.actorLabels(r)
	a := actorOf(r.Context())
	var page taskPage
	t, err := apiGet[apiv1.Task](s, r, "/api/v1/tasks/"+url.PathEscape(chi.URLParam(r, "id")))
	if err != nil {
		return page, err
	}
	if !maySeeTask(a, t.Department) {
		return page, httpx.Forbidden(fmt.Sprintf("task %q belongs to department %q, which you do not work in", t.ID, t.Department))
	}
	c, err := apiGet[apiv1.CaseDetail](s, r, "/api/v1/cases/"+url.PathEscape(t.CaseID))
	if err != nil {
		return page, err
	}
	page.Task, page.Case = t, c.Case
	page.Attributes = jsonPairs(c.Attributes, nil)
	page.AssigneeLabel = who.label(t.Assignee)
	page.CompletedBy = who.label(t.CompletedBy)
	if t.Status == apiv1.TaskOpen && authz.InDepartment(a.Role, a.Departments, t.Department) {
		page.CanClaim = t.Assignee == ""
		page.CanStart = t.Assignee == a.ID && t.ClaimedAt == nil
		page.CanUnclaim = t.Assignee != "" && (t.Assignee == a.ID || authz.Leads(a.Role, a.Departments, a.Leads, t.Department))
		page.ClaimedByOther = t.Assignee != "" && t.Assignee != a.ID
		page.CanReassign = authz.Leads(a.Role, a.Departments, a.Leads, t.Department)
		page.CanComplete = !page.ClaimedByOther || a.Role == apiv1.RoleAdmin
	}
	if page.CanReassign {
		// The lead chooses among the department's people; without the
		// list (the API refuses it) they type an actor id.
		if people, err := s.departmentPeople(r, t.Department); err == nil {
			slices.SortFunc(people, func(x, y apiv1.Person) int { return strings.Compare(x.Name+x.ID, y.Name+y.ID) })
			page.People = reassignOptions(people, t.Assignee, a.ID)
		}
	}
	if t.Status == apiv1.TaskOpen {
		page.AssignHow = assignHow(t, t.Assignee == a.ID, s.movedBy(r, who, []apiv1.Task{t})[t.ID])
		page.RuleTitle = ruleExplained[t.AssignRule]
		if offerOpen(t) {
			page.OfferDue = t.OfferDue
		}
	}
	if t.Status != apiv1.TaskOpen {
		page.Data = taskData(t)
	}
	earlier, err := apiGet[apiv1.TaskList](s, r, "/api/v1/tasks?"+url.Values{
		"case_id": {t.CaseID}, "status": {apiv1.TaskCompleted}, "limit": {"500"}}.Encode())
	if err != nil {
		return page, err
	}
	for _, e := range earlier.Tasks {
		if e.ID == t.ID || e.Seq >= t.Seq {
			continue
		}
		page.Earlier = append(page.Earlier, earlierStep{Task: e, CompletedBy: who.label(e.CompletedBy),
			Data: taskData(e), Link: maySeeTask(a, e.Department)})
	}
	slices.SortFunc(page.Earlier, func(x, y earlierStep) int { return x.Task.Seq - y.Task.Seq })
	return page, nil
}

// taskData lists a closed task's form data, the form's fields first
// in their order.
func taskData(t apiv1.Task) []keyValue {
	order := make([]string, len(t.Form))
	for i, f := range t.Form {
		order[i] = f.Name
	}
	return jsonPairs(t.Data, order)
}

func (s *Web) renderTask(w http.ResponseWriter, r *http.Request, status int, page taskPage) error {
	title := page.Task.StepName
	if title == "" {
		title = page.Task.Step
	}
	return s.render(w, r, pageView{Template: "task", Title: title, Active: "inbox", Status: status, Data: page})
}

// formFields builds the form's fields from the step's definition, with
// the values typed (nil: none yet) and the messages by field name.
func formFields(form []flow.Field, values url.Values, errs map[string]string) []formField {
	out := make([]formField, len(form))
	for i, f := range form {
		sf := formField{Field: f, ID: "field-" + f.Name, Input: fieldInputPrefix + f.Name, Label: f.Label, Error: errs[f.Name]}
		if sf.Label == "" {
			sf.Label = f.Name
		}
		if values != nil {
			sf.Value = values.Get(sf.Input)
			sf.Checked = f.Type == "bool" && sf.Value == "true"
		}
		for _, o := range f.Options {
			sf.Options = append(sf.Options, formOption{Value: o, Selected: o == sf.Value})
		}
		out[i] = sf
	}
	return out
}

// formData converts the posted fields to the completion's data by
// their types: numbers as numbers, a checkbox as true or false; empty
// fields are left out (the API says which are required). A number that
// does not parse is a message at its field.
func formData(form []flow.Field, values url.Values) (map[string]any, map[string]string) {
	data := map[string]any{}
	errs := map[string]string{}
	for _, f := range form {
		raw := values.Get(fieldInputPrefix + f.Name)
		switch f.Type {
		case "bool":
			data[f.Name] = raw == "true"
			continue
		case "text":
			if strings.TrimSpace(raw) == "" {
				continue
			}
			data[f.Name] = raw
		case "number":
			raw = strings.TrimSpace(raw)
			if raw == "" {
				continue
			}
			n, err := strconv.ParseFloat(raw, 64)
			if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
				errs[f.Name] = fmt.Sprintf("must be a number, got %q", raw)
				continue
			}
			data[f.Name] = n
		default: // string, enum
			raw = strings.TrimSpace(raw)
			if raw == "" {
				continue
			}
			data[f.Name] = raw
		}
	}
	return data, errs
}

// fieldMessage finds the form field a completion's error names: the
// workflow's validator says `field "name" ...`.
var fieldMessage = regexp.MustCompile(`^field "([^"]+)"`)

// completionErrors sorts a 422's messages: at the form field they
// name, at the outcome buttons, or for the whole form.
func completionErrors(p *httpx.Problem, form []flow.Field) (fields map[string]string, outcome, general string) {
	fields = map[string]string{}
	known := func(name string) bool {
		return slices.ContainsFunc(form, func(f flow.Field) bool { return f.Name == name })
	}
	var rest []string
	for _, fe := range p.Errors {
		name := ""
		switch {
		case fe.Field == "outcome":
			outcome = fe.Message
			continue
		case strings.HasPrefix(fe.Field, "data."):
			name = strings.TrimPrefix(fe.Field, "data.")
		case fe.Field == "data":
			if m := fieldMessage.FindStringSubmatch(fe.Message); m != nil {
				name = m[1]
			}
		}
		if name != "" && known(name) {
			if _, seen := fields[name]; !seen {
				fields[name] = fe.Message
			}
			continue
		}
		rest = append(rest, fe.Field+": "+fe.Message)
	}
	if len(p.Errors) == 0 {
		rest = append(rest, p.Detail)
	}
	return fields, outcome, strings.Join(rest, "; ")
}

// taskComplete completes a task through the API (which asks the case
// workflow's Update to validate it again) with the form's idempotency
// key, then goes to the inbox naming the task(s) the case was handed to.
// A refusal re-renders the form with the messages at their fields and the
// values kept.
func (s *Web) taskComplete(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	page, err := s.loadTask(r)
	if err != nil {
		return err
	}
	form := r.PostForm
	page.Outcome = strings.TrimSpace(form.Get("outcome"))
	page.Key = form.Get("idempotency_key")
	rerender := func(status int, fieldErrs map[string]string) error {
		page.Fields = formFields(page.Task.Form, form, fieldErrs)
		return s.renderTask(w, r, status, page)
	}
	data, localErrs := formData(page.Task.Form, form)
	if len(localErrs) > 0 {
		page.Error = "Correct the fields marked below."
		return rerender(http.StatusUnprocessableEntity, localErrs)
	}
	if page.Outcome == "" {
		page.OutcomeError = "choose an outcome: press one of the buttons"
		return rerender(http.StatusUnprocessableEntity, nil)
	}
	h := http.Header{}
	if page.Key != "" {
		h.Set(apiv1.IdempotencyKeyHeader, page.Key)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(page.Task.ID)+"/complete",
		apiv1.CompleteRequest{Outcome: page.Outcome, Data: data}, h)
	if err != nil {
		return err
	}
	if res.OK() {
		var done apiv1.CompleteResponse
		if err := res.Decode(&done); err != nil {
			return err
		}
		q := url.Values{}
		q.Set("department", page.Task.Department)
		for _, n := range done.Next {
			q.Add("next", n.ID)
		}
		http.Redirect(w, r, withFlash(r, UIPath+"/inbox?"+q.Encode(), handoffMessage(done), ""), http.StatusSeeOther)
		return nil
	}
	p := res.Problem()
	switch p.Status {
	case http.StatusUnprocessableEntity:
		// Nothing was completed: the next try is a new request.
		fields, outcome, general := completionErrors(p, page.Task.Form)
		page.OutcomeError, page.Error = outcome, general
		if page.Error == "" && page.OutcomeError == "" {
			page.Error = "Correct the fields marked below."
		}
		page.Key = uuid.NewString()
		return rerender(p.Status, fields)
	case http.StatusConflict, http.StatusServiceUnavailable, http.StatusTooManyRequests:
		// The task moved on (re-read it), or try again with the same key.
		fresh, err := s.loadTask(r)
		if err != nil {
			return err
		}
		fresh.Outcome, fresh.Key, fresh.Error = page.Outcome, page.Key, p.Detail
		page = fresh
		return rerender(p.Status, nil)
	}
	return p
}

// handoffMessage says what a completion did and where the case went.
func handoffMessage(done apiv1.CompleteResponse) string {
	name := done.Task.StepName
	if name == "" {
		name = done.Task.Step
	}
	msg := fmt.Sprintf("Completed %q with outcome %s.", name, readable.Name(done.Task.Outcome))
	if len(done.Next) == 0 {
		if done.CaseStatus == apiv1.CaseCompleted {
			return msg + " The case is completed."
		}
		return msg + " No task is open on the case now (case " + done.CaseStatus + ")."
	}
	parts := make([]string, len(done.Next))
	for i, n := range done.Next {
		step := n.StepName
		if step == "" {
			step = n.Step
		}
		parts[i] = fmt.Sprintf("%q in %s", step, readable.Name(n.Department))
	}
	return msg + " Next: " + strings.Join(parts, ", ") + "."
}

func (s *Web) taskClaim(w http.ResponseWriter, r *http.Request) error {
	return s.claimAction(w, r, "claim")
}

func (s *Web) taskUnclaim(w http.ResponseWriter, r *http.Request) error {
	return s.claimAction(w, r, "unclaim")
}

// taskAssign is a team lead's reassignment from the task page: the API
// decides; a refusal comes back to the page as its reason.
func (s *Web) taskAssign(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	back := safeNext(r.PostFormValue("return"))
	if back == "" {
		back = taskPath(id)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(id)+"/assign",
		apiv1.AssignRequest{Actor: strings.TrimSpace(r.PostFormValue("actor"))}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var t apiv1.Task
		if err := res.Decode(&t); err != nil {
			return err
		}
		return redirectTo(w, r, back, fmt.Sprintf("Reassigned to %s: %q of case %s. They are told in the app.",
			s.actorName(r, t.Assignee), taskName(t), shortID(t.CaseID)))
	}
	p := res.Problem()
	reason := p.Detail
	for _, fe := range p.Errors {
		reason = fe.Message
	}
	if p.Status >= 500 {
		return p
	}
	return refusedTo(w, r, back, "Not reassigned: "+reason+".")
}

// claimAction claims or unclaims a task through the API and goes
// back where the button was (the inbox with its filters, or the task).
func (s *Web) claimAction(w http.ResponseWriter, r *http.Request, action string) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	back := safeNext(r.PostFormValue("return"))
	if back == "" {
		back = taskPath(id)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(id)+"/"+action, nil, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var t apiv1.Task
		if err := res.Decode(&t); err != nil {
			return err
		}
		return redirectTo(w, r, back, claimMessage(t, action, actorOf(r.Context()).ID, s.actorLabels(r)))
	}
	p := res.Problem()
	if p.Status == http.StatusConflict {
		// Someone was quicker, or the task closed: say so where the
		// button was.
		return refusedTo(w, r, back, "Not "+action+"ed: "+p.Detail+".")
	}
	return p
}

// claimMessage says what a claim or an unclaim did: "Started" a task a
// rule or a lead gave me, "Claimed" one from the pool; an unclaim gives
// the task back to the pool, unless a rule gave it to someone at once.
func claimMessage(t apiv1.Task, action, me string, who *actorLabels) string {
	name := taskName(t)
	if action == "claim" {
		if t.AssignRule != "" {
			return fmt.Sprintf("Started %q: it is yours to finish.", name)
		}
		return fmt.Sprintf("Claimed %q.", name)
	}
	switch {
	case t.Assignee == "":
		return fmt.Sprintf("Unclaimed %q: it is back in the pool.", name)
	case t.Assignee != me:
		return fmt.Sprintf("Unclaimed %q: the rules gave it to %s at once.", name, who.label(t.Assignee))
	}
	return fmt.Sprintf("Unclaimed %q.", name)
}

// jsonPairs lists a JSON object's members as text, those named in
// order first, the others by name; scalars as they are, other values as
// JSON.
func jsonPairs(raw json.RawMessage, order []string) []keyValue {
	var m map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ia, ib := slices.Index(order, a), slices.Index(order, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	out := make([]keyValue, len(keys))
	for i, k := range keys {
		out[i] = keyValue{Key: k, Value: valueText(m[k])}
	}
	return out
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "–"
	case string:
		return x
	case bool:
		if x {
			return "yes"
		}
		return "no"
	case float64:
		return readable.Number(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		return string(b)
	}
}
