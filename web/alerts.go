package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
)

// KPI alerts in the web UI (decision 0040): the rules and where they
// stand, a form to write one, a rule's page with its history, and the
// banner every page shows while a rule that concerns the viewer fires
// unacknowledged. Every change goes through the API.
var alertPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/alerts", Roles: authz.Everyone, Handle: (*Web).alerts},
	{Method: http.MethodPost, Pattern: "/alerts", Roles: authz.AlertEditors, Handle: (*Web).alertCreate},
	{Method: http.MethodGet, Pattern: "/alerts/{id}", Roles: authz.Everyone, Handle: (*Web).alertPage},
	{Method: http.MethodPost, Pattern: "/alerts/{id}/acknowledge", Roles: authz.Everyone, Handle: (*Web).alertAcknowledge},
	{Method: http.MethodPost, Pattern: "/alerts/{id}/silence", Roles: authz.Everyone, Handle: (*Web).alertSilence},
	{Method: http.MethodPost, Pattern: "/alerts/{id}/delete", Roles: authz.AlertEditors, Handle: (*Web).alertDelete},
	{Method: http.MethodPost, Pattern: "/alerts/{id}/evaluate", Roles: authz.AlertEditors, Handle: (*Web).alertEvaluate},
}

// alertForm is what the new-rule form holds.
type alertForm struct {
	Name, Metric, Flow, Step, Department, Channel, Op, Value, Window, MinSample, Pending, Every, WebhookURL string
}

type alertsPage struct {
	Rules   []apiv1.AlertRule
	Metrics []apiv1.AlertMetric
	MayEdit bool
	Form    alertForm
	Error   string
	Errors  map[string]string
	Next    string
}

// alerts lists the rules, firing first as the API orders them by id; the
// form for a new one for those who may write rules.
func (s *Web) alerts(w http.ResponseWriter, r *http.Request) error {
	return s.renderAlerts(w, r, http.StatusOK, alertsPage{Form: alertForm{Op: "above", Window: "1h", Every: "1m", MinSample: "10"}})
}

func (s *Web) renderAlerts(w http.ResponseWriter, r *http.Request, status int, page alertsPage) error {
	q := url.Values{"limit": {strconv.Itoa(pageSize)}}
	if c := r.URL.Query().Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	list, err := apiGet[apiv1.AlertRuleList](s, r, "/api/v1/alerts?"+q.Encode())
	if err != nil {
		return err
	}
	metrics, err := apiGet[apiv1.AlertMetricList](s, r, "/api/v1/alerts/metrics")
	if err != nil {
		return err
	}
	page.Rules, page.Next, page.Metrics = list.Rules, list.NextCursor, metrics.Metrics
	page.MayEdit = authz.Allowed(authz.AlertEditors, actorOf(r.Context()).Role)
	return s.render(w, r, pageView{Template: "alerts", Title: "Alerts", Active: "alerts", Status: status, Data: page})
}

func (s *Web) alertCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	f := r.PostForm
	form := alertForm{Name: f.Get("name"), Metric: f.Get("metric"), Flow: f.Get("flow"), Step: f.Get("step"), Department: f.Get("department"),
		Channel: f.Get("channel"), Op: f.Get("op"), Value: f.Get("value"), Window: f.Get("window"), MinSample: f.Get("min_sample"),
		Pending: f.Get("pending"), Every: f.Get("every"), WebhookURL: f.Get("webhook_url")}
	page := alertsPage{Form: form, Errors: map[string]string{}}
	req := apiv1.AlertRuleRequest{Name: form.Name, Metric: form.Metric, Window: form.Window, Pending: form.Pending, Every: form.Every,
		WebhookURL: strings.TrimSpace(form.WebhookURL),
		Scope: apiv1.AlertScope{Flow: strings.TrimSpace(form.Flow), Step: strings.TrimSpace(form.Step), Department: strings.TrimSpace(form.Department),
			Channel: strings.TrimSpace(form.Channel)},
		Condition: apiv1.AlertCondition{Op: form.Op}}
	// A value is written as a person reads it: "20 %" or "0.2" for a
	// rate, a number otherwise.
	if v, err := apiv1.ParseFraction(form.Value); err != nil {
		page.Errors["condition.value"] = err.Error()
	} else {
		req.Condition.Value = v
	}
	if strings.TrimSpace(form.MinSample) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(form.MinSample))
		if err != nil {
			page.Errors["min_sample"] = "a whole number of observations, like 10"
		}
		req.MinSample = n
	}
	if len(page.Errors) > 0 {
		page.Error = "Not saved: correct the fields marked below."
		return s.renderAlerts(w, r, http.StatusUnprocessableEntity, page)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/alerts", req, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		if page.Error, page.Errors, err = refusal(res, "Not saved"); err != nil {
			return err
		}
		return s.renderAlerts(w, r, res.Status, page)
	}
	var rule apiv1.AlertRule
	if err := res.Decode(&rule); err != nil {
		return err
	}
	return redirectTo(w, r, UIPath+"/alerts/"+url.PathEscape(rule.ID), fmt.Sprintf("Rule %q saved: it is evaluated every %s.", rule.Name, rule.Every))
}

type alertPage struct {
	Rule           apiv1.AlertRule
	Events         []apiv1.AlertEvent
	MayAcknowledge bool
	MayEdit        bool
}

// alertPage shows a rule, its last evaluation and its state changes.
func (s *Web) alertPage(w http.ResponseWriter, r *http.Request) error {
	id := chi.URLParam(r, "id")
	rule, err := apiGet[apiv1.AlertRule](s, r, "/api/v1/alerts/"+url.PathEscape(id))
	if err != nil {
		return err
	}
	events, err := apiGet[apiv1.AlertEventList](s, r, "/api/v1/alerts/"+url.PathEscape(id)+"/events?limit=100")
	if err != nil {
		return err
	}
	a := actorOf(r.Context())
	page := alertPage{Rule: rule, Events: events.Events, MayEdit: authz.Allowed(authz.AlertEditors, a.Role)}
	page.MayAcknowledge = page.MayEdit || (rule.Department != "" && authz.Leads(a.Role, a.Departments, a.Leads, rule.Department))
	return s.render(w, r, pageView{Template: "alert", Title: "Alert: " + rule.Name, Active: "alerts", Data: page})
}

func (s *Web) alertAction(w http.ResponseWriter, r *http.Request, action string, body any, done string) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	back := UIPath + "/alerts/" + url.PathEscape(id)
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/alerts/"+url.PathEscape(id)+"/"+action, body, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		msg, _, err := refusal(res, "Not done")
		if err != nil {
			return err
		}
		return refusedTo(w, r, back, msg)
	}
	return redirectTo(w, r, back, done)
}

func (s *Web) alertAcknowledge(w http.ResponseWriter, r *http.Request) error {
	return s.alertAction(w, r, "acknowledge", nil, "Acknowledged: the banner no longer asks anyone.")
}

func (s *Web) alertEvaluate(w http.ResponseWriter, r *http.Request) error {
	return s.alertAction(w, r, "evaluate", nil, "Evaluation started: it runs on a worker within moments; reload for its outcome.")
}

func (s *Web) alertSilence(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	d := strings.TrimSpace(r.PostFormValue("for"))
	done := "Silence lifted: its changes are told again."
	if d != "" {
		done = "Silenced for " + d + ": its changes are recorded and told to nobody."
	}
	return s.alertAction(w, r, "silence", apiv1.SilenceAlertRequest{For: d}, done)
}

func (s *Web) alertDelete(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := chi.URLParam(r, "id")
	res, err := s.callAPI(r, http.MethodDelete, "/api/v1/alerts/"+url.PathEscape(id), nil, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		msg, _, err := refusal(res, "Not deleted")
		if err != nil {
			return err
		}
		return refusedTo(w, r, UIPath+"/alerts/"+url.PathEscape(id), msg)
	}
	return redirectTo(w, r, UIPath+"/alerts", "Rule deleted, with its schedule.")
}

// firingBanner lists the rules that concern the viewer, fire, and nobody
// acknowledged (at most five): the layout's banner. The page renders
// without it when the API cannot say.
func (s *Web) firingBanner(r *http.Request) []apiv1.AlertRule {
	list, err := apiGet[apiv1.AlertRuleList](s, r, "/api/v1/alerts?state=firing&concerning=me&limit=20")
	if err != nil {
		return nil
	}
	var out []apiv1.AlertRule
	for _, rule := range list.Rules {
		if rule.AcknowledgedBy == "" && len(out) < 5 {
			out = append(out, rule)
		}
	}
	return out
}
