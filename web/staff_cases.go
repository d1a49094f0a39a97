package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// Cases: the list with its filters, the form that starts a case, and a
// case's page with its timeline (every span, the handoffs between
// departments, the open tasks), the customer's feedback and reopening.

// caseStatuses are the case statuses the list filters by (the API's
// enum).
var caseStatuses = []string{apiv1.CaseStarting, apiv1.CaseActive, apiv1.CaseCompleted, apiv1.CaseCancelled, apiv1.CaseFailed}

// statusClass is the badge class of a case status.
func statusClass(status string) string {
	switch status {
	case apiv1.CaseActive:
		return "info"
	case apiv1.CaseCompleted:
		return "ok"
	case apiv1.CaseStarting:
		return "warn"
	default:
		return "bad"
	}
}

// ---- /ui/cases ----

type caseRow struct {
	apiv1.Case
	StatusClass string
}

type casesPage struct {
	Flow, Status, Cursor, Next string
	// Search is the search box's text (decision 0026); SearchError says
	// in words why it was refused.
	Search, SearchError, SearchHelp string
	Flows                           []apiv1.FlowSummary
	Statuses                        []string
	Rows                            []caseRow
}

func (s *Web) cases(w http.ResponseWriter, r *http.Request) error {
	in := r.URL.Query()
	page := casesPage{Flow: in.Get("flow"), Status: in.Get("status"), Cursor: in.Get("cursor"), Statuses: caseStatuses,
		Search: strings.TrimSpace(in.Get("q")), SearchHelp: searchBoxHelp}
	if page.Status != "" && !slices.Contains(caseStatuses, page.Status) {
		return httpx.BadParam("status", fmt.Sprintf("must be one of %s, got %q", strings.Join(caseStatuses, ", "), page.Status))
	}
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	for k, v := range map[string]string{"flow": page.Flow, "status": page.Status, "cursor": page.Cursor} {
		if v != "" {
			q.Set(k, v)
		}
	}
	search, err := parseSearchBox(page.Search)
	if err == nil {
		for k, vs := range search {
			q[k] = vs
		}
		var list apiv1.CaseList
		list, err = apiGet[apiv1.CaseList](s, r, "/api/v1/cases?"+q.Encode())
		page.Next = list.NextCursor
		for _, c := range list.Cases {
			page.Rows = append(page.Rows, caseRow{Case: c, StatusClass: statusClass(c.Status)})
		}
	}
	status := http.StatusOK
	if err != nil {
		// A refused search is shown beside the box, in words.
		var p *httpx.Problem
		if !errors.As(err, &p) || p.Status != http.StatusBadRequest || searchBoxMessage(p) == "" {
			return err
		}
		page.SearchError, status = searchBoxMessage(p), http.StatusBadRequest
	}
	if page.Flows, err = s.flowSummaries(r); err != nil {
		return err
	}
	return s.render(w, r, pageView{Template: "cases", Title: "Cases", Active: "cases", Data: page, Status: status})
}

// ---- /ui/cases/new ----

type caseNewPage struct {
	Flows                               []apiv1.FlowSummary
	Channels                            []string
	Flow, Customer, Channel, Attributes string
	Key                                 string
	Errors                              map[string]string
	Error                               string
}

func (s *Web) caseNew(w http.ResponseWriter, r *http.Request) error {
	page := caseNewPage{Flow: r.URL.Query().Get("flow"), Channel: "phone", Key: uuid.NewString(), Errors: map[string]string{}}
	return s.renderCaseNew(w, r, http.StatusOK, page)
}

func (s *Web) renderCaseNew(w http.ResponseWriter, r *http.Request, status int, page caseNewPage) error {
	flows, err := s.flowSummaries(r)
	if err != nil {
		return err
	}
	page.Flows, page.Channels = flows, s.cfg.Channels
	return s.render(w, r, pageView{Template: "case_new", Title: "New case", Active: "cases", Status: status, Data: page})
}

// caseCreate starts a case through POST /api/v1/cases with the form's
// idempotency key (a double click starts one case) and shows it.
func (s *Web) caseCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	f := r.PostForm
	page := caseNewPage{Flow: strings.TrimSpace(f.Get("flow")), Customer: f.Get("customer"), Channel: strings.TrimSpace(f.Get("channel")),
		Attributes: f.Get("attributes"), Key: f.Get("idempotency_key"), Errors: map[string]string{}}
	attrs, msg := parseAttributeLines(page.Attributes)
	if msg != "" {
		page.Errors["attributes"] = msg
		page.Key = uuid.NewString()
		return s.renderCaseNew(w, r, http.StatusUnprocessableEntity, page)
	}
	h := http.Header{}
	if page.Key != "" {
		h.Set(apiv1.IdempotencyKeyHeader, page.Key)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/cases",
		apiv1.CreateCaseRequest{Flow: page.Flow, Customer: page.Customer, Channel: page.Channel, Attributes: attrs}, h)
	if err != nil {
		return err
	}
	if res.OK() {
		var c apiv1.Case
		if err := res.Decode(&c); err != nil {
			return err
		}
		return redirectTo(w, r, casePath(c.ID), fmt.Sprintf("Case started: %s, flow %s v%d.", c.Customer, c.Flow, c.Version))
	}
	p := res.Problem()
	switch p.Status {
	case http.StatusUnprocessableEntity, http.StatusNotFound, http.StatusConflict, http.StatusServiceUnavailable:
		for _, fe := range p.Errors {
			switch fe.Field {
			case "flow", "customer", "channel", "attributes":
				if _, seen := page.Errors[fe.Field]; !seen {
					page.Errors[fe.Field] = fe.Message
				}
			default:
				page.Error = strings.TrimSpace(page.Error + " " + fe.Field + ": " + fe.Message)
			}
		}
		if len(p.Errors) == 0 {
			page.Error = p.Detail
		}
		if p.Status != http.StatusServiceUnavailable {
			// Refused before anything was stored: a new request next.
			page.Key = uuid.NewString()
		}
		return s.renderCaseNew(w, r, p.Status, page)
	}
	return p
}

// parseAttributeLines reads the form's attributes: one key=value a line;
// blank lines and lines starting with # are skipped. true and false are
// booleans, numbers are numbers, a value in double quotes is text as
// written; anything else is text. The message names the bad line.
func parseAttributeLines(text string) (map[string]any, string) {
	attrs := map[string]any{}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch {
		case !ok:
			return nil, fmt.Sprintf("line %d: write key=value", i+1)
		case k == "":
			return nil, fmt.Sprintf("line %d: the key before = is empty", i+1)
		}
		if _, dup := attrs[k]; dup {
			return nil, fmt.Sprintf("line %d: %q is given twice", i+1, k)
		}
		attrs[k] = attributeValue(v)
	}
	return attrs, ""
}

// jsonNumber is JSON's number syntax: "0123" (a phone number, a postal
// code) stays text.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func attributeValue(v string) any {
	switch v {
	case "true":
		return true
	case "false":
		return false
	}
	if len(v) >= 2 && strings.HasPrefix(v, `"`) && strings.HasSuffix(v, `"`) {
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
	}
	if jsonNumber.MatchString(v) {
		if n, err := strconv.ParseFloat(v, 64); err == nil && !math.IsInf(n, 0) {
			return n
		}
	}
	return v
}

// ---- /ui/cases/{id} ----

// timelineItem is one span of a case's timeline.
type timelineItem struct {
	apiv1.Span
	StepName   string
	ActorLabel string
	// HandoffFrom is the department the case came from when this span's
	// department differs from the one before it ("" otherwise).
	HandoffFrom string
}

// openItem is an open task at the end of the timeline.
type openItem struct {
	apiv1.Task
	Link          bool
	AssigneeLabel string
	HandoffFrom   string
}

// feedbackForm is the feedback form's values and messages.
type feedbackForm struct {
	CSAT, NPS, RFC string
	Errors         map[string]string
	Error          string
}

type casePage struct {
	Case        apiv1.CaseDetail
	StatusClass string
	Attributes  []keyValue
	Timeline    []timelineItem
	Open        []openItem
	Feedback    *apiv1.Feedback
	FeedbackBy  string
	Form        feedbackForm
	CSATs, NPSs []int
	Closed      bool
	CanReopen   bool
	// CanSettle: the case failed and the actor may restart or close it.
	CanSettle   bool
	SettleError string
	Reason      string
	ReopenError string
	Cycle       string // waiting + working time so far, or the case's cycle time
	// Internal marks a case no customer is party to (an improvement
	// cycle): no customer feedback is asked for or shown.
	Internal bool
	// Simulated marks a case flowlab demo --history wrote (attribute
	// simulated: true, decision 0044): no workflow ever ran it.
	Simulated bool
}

// simulated reports whether a case's attributes mark it simulated.
func simulated(raw json.RawMessage) bool {
	var a struct {
		Simulated bool `json:"simulated"`
	}
	return json.Unmarshal(raw, &a) == nil && a.Simulated
}

// pdcaMetricKeys are the attributes of an improvement cycle that hold a
// value of the cycle's metric (in its unit: seconds, a 0–1 rate, points).
var pdcaMetricKeys = []string{"baseline_value", "target", "pilot_control_value", "pilot_treatment_value"}

// pdcaMetricValues shows an improvement cycle's metric values in the
// metric's unit, as the improvement pages do: a cycle time as a duration,
// a rate in percent.
func pdcaMetricValues(raw json.RawMessage, kv []keyValue) {
	var attrs map[string]any
	if json.Unmarshal(raw, &attrs) != nil {
		return
	}
	metric, _ := attrs["metric"].(string)
	for i := range kv {
		if v, ok := attrs[kv[i].Key].(float64); ok && slices.Contains(pdcaMetricKeys, kv[i].Key) {
			kv[i].Value = metricValue(metric, v)
		}
	}
}

func (s *Web) showCase(w http.ResponseWriter, r *http.Request) error {
	page, err := s.loadCase(r)
	if err != nil {
		return err
	}
	return s.renderCase(w, r, http.StatusOK, page)
}

func (s *Web) renderCase(w http.ResponseWriter, r *http.Request, status int, page casePage) error {
	return s.render(w, r, pageView{Template: "case", Title: "Case " + page.Case.Customer, Active: "cases", Status: status, Data: page})
}

// loadCase reads a case (GET /api/v1/cases/{id}), its feedback and
// its version's step names, and builds the timeline.
func (s *Web) loadCase(r *http.Request) (casePage, error) {
	who := s.actorLabels(r)
	a := actorOf(r.Context())
	id := chi.URLParam(r, "id")
	var page casePage
	c, err := apiGet[apiv1.CaseDetail](s, r, "/api/v1/cases/"+url.PathEscape(id))
	if err != nil {
		return page, err
	}
	page.Case = c
	page.StatusClass = statusClass(c.Status)
	page.Attributes = jsonPairs(c.Attributes, nil)
	page.Closed = c.Status == apiv1.CaseCompleted || c.Status == apiv1.CaseCancelled
	page.CanReopen = page.Closed && authz.Allowed(authz.CaseReopeners, a.Role)
	page.CanSettle = c.Status == apiv1.CaseFailed && authz.Allowed(authz.CaseSettlers, a.Role)
	page.CSATs, page.NPSs = []int{1, 2, 3, 4, 5}, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	end := s.now().UTC()
	if c.ClosedAt != nil {
		end = *c.ClosedAt
	}
	page.Cycle = fmtSeconds(end.Sub(c.CreatedAt).Seconds())
	page.Internal = (c.Flow == apiv1.PDCAFlow)
	page.Simulated = simulated(c.Attributes)
	if page.Internal {
		pdcaMetricValues(c.Attributes, page.Attributes)
	}

	// Step names of the case's version (a migrated case's older spans may
	// name steps of another version: those keep their ids).
	names := map[string]string{}
	if def, err := s.flowDefinition(r, c.Flow, c.Version); err == nil {
		for _, st := range def.Steps {
			names[st.ID] = st.Name
		}
	} else if p := (*httpx.Problem)(nil); !errors.As(err, &p) || p.Status >= 500 {
		return page, err // (a version that cannot be read just leaves the step ids)
	}
	last := ""
	for _, sp := range c.Spans {
		it := timelineItem{Span: sp, StepName: names[sp.Step], ActorLabel: who.label(sp.Actor)}
		if it.StepName == "" {
			it.StepName = sp.Step
		}
		if sp.Department != "" {
			if last != "" && last != sp.Department {
				it.HandoffFrom = last
			}
			last = sp.Department
		}
		page.Timeline = append(page.Timeline, it)
	}
	for _, t := range c.Tasks {
		it := openItem{Task: t, Link: maySeeTask(a, t.Department) && authz.Allowed(authz.Everyone, a.Role),
			AssigneeLabel: who.label(t.Assignee)}
		if last != "" && last != t.Department {
			it.HandoffFrom = last
		}
		page.Open = append(page.Open, it)
	}

	page.Form.Errors = map[string]string{}
	if page.Internal {
		return page, nil
	}
	fbRes, err := s.callAPI(r, http.MethodGet, "/api/v1/cases/"+url.PathEscape(c.ID)+"/feedback", nil, nil)
	if err != nil {
		return page, err
	}
	switch {
	case fbRes.OK():
		var fb apiv1.Feedback
		if err := fbRes.Decode(&fb); err != nil {
			return page, err
		}
		page.Feedback = &fb
		page.FeedbackBy = who.label(fb.CreatedBy)
		if fb.CSAT != nil {
			page.Form.CSAT = strconv.Itoa(*fb.CSAT)
		}
		if fb.NPS != nil {
			page.Form.NPS = strconv.Itoa(*fb.NPS)
		}
		if fb.ResolvedFirstContact != nil {
			page.Form.RFC = strconv.FormatBool(*fb.ResolvedFirstContact)
		}
	case fbRes.Status == http.StatusNotFound:
	default:
		return page, fbRes.Problem()
	}
	return page, nil
}

// caseFeedback records the customer's feedback (POST .../feedback); a
// refusal shows the case page with the messages at the fields.
func (s *Web) caseFeedback(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	c, err := apiGet[apiv1.CaseDetail](s, r, "/api/v1/cases/"+url.PathEscape(chi.URLParam(r, "id")))
	if err != nil {
		return err
	}
	if c.Flow == apiv1.PDCAFlow {
		return refusedTo(w, r, casePath(c.ID), "An improvement cycle is the team's own work: it takes no customer feedback.")
	}
	form := feedbackForm{CSAT: strings.TrimSpace(r.PostFormValue("csat")), NPS: strings.TrimSpace(r.PostFormValue("nps")),
		RFC: strings.TrimSpace(r.PostFormValue("resolved_first_contact")), Errors: map[string]string{}}
	var req apiv1.FeedbackRequest
	intField := func(name, raw string) *int {
		if raw == "" {
			return nil
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			form.Errors[name] = fmt.Sprintf("must be a whole number, got %q", raw)
			return nil
		}
		return &n
	}
	req.CSAT = intField("csat", form.CSAT)
	req.NPS = intField("nps", form.NPS)
	switch form.RFC {
	case "":
	case "true", "false":
		b := form.RFC == "true"
		req.ResolvedFirstContact = &b
	default:
		form.Errors["resolved_first_contact"] = "must be yes or no"
	}
	id := chi.URLParam(r, "id")
	fail := func(status int) error {
		page, err := s.loadCase(r)
		if err != nil {
			return err
		}
		page.Form = form
		return s.renderCase(w, r, status, page)
	}
	if len(form.Errors) > 0 {
		return fail(http.StatusUnprocessableEntity)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/cases/"+url.PathEscape(id)+"/feedback", req, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		return redirectTo(w, r, casePath(id), "Feedback recorded.")
	}
	p := res.Problem()
	if p.Status != http.StatusUnprocessableEntity {
		return p
	}
	for _, fe := range p.Errors {
		switch fe.Field {
		case "csat", "nps", "resolved_first_contact":
			form.Errors[fe.Field] = fe.Message
		case "body":
			form.Error = "Give at least one of CSAT, NPS or first-contact resolution."
		default:
			form.Error = strings.TrimSpace(form.Error + " " + fe.Field + ": " + fe.Message)
		}
	}
	if len(p.Errors) == 0 {
		form.Error = p.Detail
	}
	return fail(p.Status)
}

// caseReopen reopens a closed case (POST .../reopen) and shows the new
// case; a refusal shows the case page with the API's message.
func (s *Web) caseReopen(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/cases/"+url.PathEscape(id)+"/reopen", apiv1.ReopenRequest{Reason: reason}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var c apiv1.Case
		if err := res.Decode(&c); err != nil {
			return err
		}
		return redirectTo(w, r, casePath(c.ID), fmt.Sprintf("Case reopened: this new case continues case %s.", id))
	}
	p := res.Problem()
	if p.Status != http.StatusConflict && p.Status != http.StatusUnprocessableEntity {
		return p
	}
	page, err := s.loadCase(r)
	if err != nil {
		return err
	}
	page.Reason, page.ReopenError = reason, p.Detail
	for _, fe := range p.Errors {
		page.ReopenError = fe.Field + ": " + fe.Message
	}
	return s.renderCase(w, r, p.Status, page)
}

// caseRestart restarts a failed case (POST .../restart).
func (s *Web) caseRestart(w http.ResponseWriter, r *http.Request) error {
	return s.settleFailed(w, r, "restart", "Case restarted: a new run continues at the step it was at.")
}

// caseClose closes a failed case (POST .../close).
func (s *Web) caseClose(w http.ResponseWriter, r *http.Request) error {
	return s.settleFailed(w, r, "close", "Failed case closed.")
}

// settleFailed posts to the failed case's restart or close endpoint; a
// refusal shows the case page with the API's message.
func (s *Web) settleFailed(w http.ResponseWriter, r *http.Request, action, done string) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/cases/"+url.PathEscape(id)+"/"+action, nil, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		return redirectTo(w, r, casePath(id), done)
	}
	p := res.Problem()
	if p.Status != http.StatusConflict {
		return p
	}
	page, err := s.loadCase(r)
	if err != nil {
		return err
	}
	page.SettleError = p.Detail
	return s.renderCase(w, r, p.Status, page)
}
