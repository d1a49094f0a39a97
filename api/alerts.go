package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// alertRoutes are the routes of KPI alert rules (decision 0040; apiRoutes
// joins every resource's table).
var alertRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/alerts", ID: "listAlertRules", Tag: "alerts",
		Summary: "List alert rules and where they stand",
		Description: "Every actor reads the rules; `concerning=me` keeps those whose scope touches the caller (the web UI's banner). " +
			"Rules by id. " + descPaging,
		Params: apiv1.ListAlertRulesParams{},
		Status: http.StatusOK, Response: apiv1.AlertRuleList{}, Example: apiv1.AlertRuleList{Rules: []apiv1.AlertRule{exampleAlertRule}},
		Errors: []int{400},
		Handle: (*API).listAlertRules,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/alerts", ID: "createAlertRule", Tag: "alerts",
		Summary: "Create an alert rule",
		Description: "A metric (GET /api/v1/alerts/metrics) over a window ending at each evaluation, in a scope, against a threshold " +
			"or a change against the same hours of the previous weeks; a minimum sample below which the rule says \"not enough data\"; " +
			"a pending time before it fires. A Temporal Schedule `alert-<id>` evaluates it every `every` (decision 0040). " +
			"Owners, improvers and admins. Audited as `alert.create`.",
		Roles: authz.AlertEditors,
		Body:  apiv1.AlertRuleRequest{}, BodyExample: exampleAlertRequest,
		Status: http.StatusCreated, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{413, 415, 422, 503},
		Audit:  []string{"alert.create"},
		Handle: (*API).createAlertRule,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/alerts/metrics", ID: "getAlertMetrics", Tag: "alerts",
		Summary:     "The metrics an alert rule may watch",
		Description: "Each with its unit, the rows it is computed from, the scope fields it takes and what its minimum sample counts.",
		Status:      http.StatusOK, Response: apiv1.AlertMetricList{}, Example: alertMetricsJSON(),
		Handle: (*API).getAlertMetrics,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/alerts/{id}", ID: "getAlertRule", Tag: "alerts",
		Summary: "Get an alert rule",
		Params:  apiv1.AlertIDParams{},
		Status:  http.StatusOK, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{404},
		Handle: (*API).getAlertRule,
	},
	{
		Method: http.MethodPatch, Pattern: "/api/v1/alerts/{id}", ID: "updateAlertRule", Tag: "alerts",
		Summary: "Change an alert rule",
		Description: "The fields given change, when `revision` is the rule's (else 409); its state stays and the next evaluation " +
			"judges the new condition. Owners, improvers and admins. Audited as `alert.update`.",
		Roles:  authz.AlertEditors,
		Params: apiv1.AlertIDParams{},
		Body:   apiv1.UpdateAlertRuleRequest{}, BodyExample: apiv1.UpdateAlertRuleRequest{Revision: 1, Window: ptr("2h")},
		Status: http.StatusOK, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{404, 409, 413, 415, 422, 503},
		Audit:  []string{"alert.update"},
		Handle: (*API).updateAlertRule,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/alerts/{id}", ID: "deleteAlertRule", Tag: "alerts",
		Summary:     "Delete an alert rule",
		Description: "Its history goes with it (the audit trail keeps its changes); its schedule is deleted. Answers the rule as it was. Audited as `alert.delete`.",
		Roles:       authz.AlertEditors,
		Params:      apiv1.AlertIDParams{},
		Status:      http.StatusOK, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{404},
		Audit:  []string{"alert.delete"},
		Handle: (*API).deleteAlertRule,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/alerts/{id}/events", ID: "listAlertEvents", Tag: "alerts",
		Summary:     "A rule's state changes, newest first",
		Description: "Each with the evaluation that made it and whether it was told. " + descPaging,
		Params:      apiv1.ListAlertEventsParams{},
		Status:      http.StatusOK, Response: apiv1.AlertEventList{}, Example: apiv1.AlertEventList{Events: []apiv1.AlertEvent{exampleAlertEvent}},
		Errors: []int{400, 404},
		Handle: (*API).listAlertEvents,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/alerts/{id}/acknowledge", ID: "acknowledgeAlert", Tag: "alerts",
		Summary: "Acknowledge a firing rule",
		Description: "Says someone is on it: the banner no longer asks. Cleared when the rule resolves. Owners, improvers, admins and " +
			"the team leads of the rule's department; 409 when it is not firing. Audited as `alert.acknowledge`.",
		Params: apiv1.AlertIDParams{},
		Status: http.StatusOK, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{403, 404, 409},
		Audit:  []string{"alert.acknowledge"},
		Handle: (*API).acknowledgeAlert,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/alerts/{id}/evaluate", ID: "evaluateAlert", Tag: "alerts",
		Summary: "Evaluate a rule now",
		Description: "Triggers the rule's Temporal Schedule beside its interval: the evaluation runs on a worker within moments " +
			"(read the rule again for its outcome), exactly like a scheduled one; a run still open makes it a no-op. Owners, improvers " +
			"and admins. Audited as `alert.evaluate`.",
		Roles:  authz.AlertEditors,
		Params: apiv1.AlertIDParams{},
		Status: http.StatusAccepted, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{404, 503},
		Audit:  []string{"alert.evaluate"},
		Handle: (*API).evaluateAlert,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/alerts/{id}/silence", ID: "silenceAlert", Tag: "alerts",
		Summary: "Silence a rule until a time, or lift its silence",
		Description: "While silenced its changes are recorded but told to nobody. `until` or `for` (at most 30 days); neither lifts " +
			"the silence. Who may acknowledge may silence. Audited as `alert.silence`.",
		Params: apiv1.AlertIDParams{},
		Body:   apiv1.SilenceAlertRequest{}, BodyExample: apiv1.SilenceAlertRequest{For: "2h"},
		Status: http.StatusOK, Response: apiv1.AlertRule{}, Example: exampleAlertRule,
		Errors: []int{403, 404, 413, 415, 422},
		Audit:  []string{"alert.silence"},
		Handle: (*API).silenceAlert,
	},
}

// Bounds of alert rules.
const (
	// MaxAlertRules bounds the rules of a deployment: each is evaluated
	// every minute or so.
	MaxAlertRules = 500
	maxSilence    = 30 * 24 * time.Hour
)

// DefaultAlertMinEvery is the default of Config.AlertMinEvery.
const DefaultAlertMinEvery = time.Minute

func (s *API) alertMinEvery() time.Duration {
	if s.cfg.AlertMinEvery > 0 {
		return s.cfg.AlertMinEvery
	}
	return DefaultAlertMinEvery
}

func fromAlertScope(sc apiv1.AlertScope) alert.Scope {
	return alert.Scope{Flow: strings.TrimSpace(sc.Flow), Version: sc.Version, Step: strings.TrimSpace(sc.Step),
		Department: strings.TrimSpace(sc.Department), Channel: strings.TrimSpace(sc.Channel)}
}

func toAlertScope(sc alert.Scope) apiv1.AlertScope {
	return apiv1.AlertScope{Flow: sc.Flow, Version: sc.Version, Step: sc.Step, Department: sc.Department, Channel: sc.Channel}
}

// conditionText is the condition in words, with the metric's unit.
func conditionText(m alert.Metric, c alert.Condition, window time.Duration) string {
	over := " over " + flow.Duration(window).String()
	switch c.Op {
	case alert.Above, alert.Below:
		return fmt.Sprintf("%s %s %s%s", m.Title, c.Op, alert.Format(m, c.Value), over)
	}
	return fmt.Sprintf("%s %s by %.0f %% or more against the same hours of the previous %d weeks%s", m.Title,
		map[string]string{alert.Rise: "up", alert.Fall: "down"}[c.Op], 100*c.Value, c.BaselineWeeks, over)
}

func toAlertEvaluationJSON(m alert.Metric, e *store.AlertEvaluation) *apiv1.AlertEvaluation {
	if e == nil {
		return nil
	}
	return &apiv1.AlertEvaluation{At: e.At.UTC(), Outcome: e.Outcome, Value: e.Value, ValueText: valueText(m, e.Value), N: e.N,
		Baseline: e.Baseline, BaselineN: e.BaselineN, Message: e.Message}
}

func valueText(m alert.Metric, v *float64) string {
	if v == nil {
		return "no data"
	}
	return alert.Format(m, *v)
}

// toAlertJSON converts a rule for viewer; department is the one its scope
// touches.
func toAlertJSON(r store.AlertRule, department string, viewer store.Actor) apiv1.AlertRule {
	m, _ := alert.MetricByName(r.Metric)
	out := apiv1.AlertRule{
		ID: r.ID, Name: r.Name, Metric: r.Metric, MetricTitle: m.Title, Unit: m.Unit,
		Scope: toAlertScope(r.Scope), ScopeText: r.Scope.String(), Department: department,
		Condition:     apiv1.AlertCondition{Op: r.Condition.Op, Value: r.Condition.Value, BaselineWeeks: r.Condition.BaselineWeeks},
		ConditionText: conditionText(m, r.Condition, r.Window),
		Window:        flow.Duration(r.Window).String(), WindowSeconds: r.Window.Seconds(), MinSample: r.MinSample,
		Pending: flow.Duration(r.Pending).String(), PendingSeconds: r.Pending.Seconds(),
		Every: flow.Duration(r.Every).String(), EverySeconds: r.Every.Seconds(),
		Notify: nonNil(r.Notify), CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Revision: r.Revision, State: r.State, StateSince: r.StateSince.UTC(), PendingSince: utcPtr(r.PendingSince),
		Last: toAlertEvaluationJSON(m, r.Last), AcknowledgedBy: r.AcknowledgedBy, AcknowledgedAt: utcPtr(r.AcknowledgedAt),
		SilencedUntil: utcPtr(r.SilencedUntil), Schedule: workflows.AlertScheduleID(r.ID),
	}
	if authz.Allowed(authz.AlertEditors, viewer.Role) {
		out.WebhookURL = r.WebhookURL
	}
	return out
}

func toAlertEventJSON(r store.AlertRule, e store.AlertEvent) apiv1.AlertEvent {
	m, _ := alert.MetricByName(r.Metric)
	return apiv1.AlertEvent{ID: e.ID, Rule: e.RuleID, Seq: e.Seq, At: e.At.UTC(), From: e.From, To: e.To, Value: e.Value,
		ValueText: valueText(m, e.Value), N: e.N, Baseline: e.Baseline, Message: e.Message, Notified: e.Notified, Silenced: e.Silenced}
}

func alertMetricsJSON() apiv1.AlertMetricList {
	out := apiv1.AlertMetricList{Metrics: make([]apiv1.AlertMetric, len(alert.Metrics))}
	for i, m := range alert.Metrics {
		out.Metrics[i] = apiv1.AlertMetric{Name: m.Name, Title: m.Title, Unit: m.Unit, Source: m.Source, Scopes: slices.Clone(m.Scopes), Sample: m.Sample}
	}
	return out
}

func (s *API) getAlertMetrics(w http.ResponseWriter, r *http.Request) error {
	httpx.WriteJSON(s.log, w, r, http.StatusOK, alertMetricsJSON())
	return nil
}

// alertDepartments is alertDepartment remembered by scope for one request
// that converts many rules (a listing, the watchlist): rules of one step
// read its flow version once.
func (s *API) alertDepartments(ctx context.Context) func(store.AlertRule) string {
	seen := map[alert.Scope]string{}
	return func(r store.AlertRule) string {
		if d, ok := seen[r.Scope]; ok {
			return d
		}
		d := s.alertDepartment(ctx, r)
		seen[r.Scope] = d
		return d
	}
}

// alertDepartment is the department a rule's scope touches ("" when the
// store cannot tell: logged).
func (s *API) alertDepartment(ctx context.Context, r store.AlertRule) string {
	d, err := kpi.AlertDepartment(ctx, s.store, r.Scope)
	if err != nil {
		s.log.WarnContext(ctx, "department of an alert rule", "rule", r.ID, "error", err)
	}
	return d
}

// concerns reports whether a rule's scope touches actor: every rule
// touches those who edit rules; a staff member the rules of the
// departments they work in or lead, and those that name them.
func concerns(r store.AlertRule, department string, actor store.Actor) bool {
	if authz.Allowed(authz.AlertEditors, actor.Role) || r.CreatedBy == actor.ID || slices.Contains(r.Notify, actor.ID) {
		return true
	}
	return department != "" && (slices.Contains(actor.Departments, department) || slices.Contains(actor.Leads, department))
}

// mayAcknowledge: editors, and the team leads of the rule's department.
func mayAcknowledge(department string, actor store.Actor) bool {
	return authz.Allowed(authz.AlertEditors, actor.Role) ||
		(department != "" && authz.Leads(actor.Role, actor.Departments, actor.Leads, department))
}

type alertCursorJSON struct {
	ID string `json:"id"`
}

func (s *API) listAlertRules(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListAlertRulesParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	p := store.ListAlertRulesParams{State: q.State, Flow: q.Flow, Limit: q.Limit + 1}
	if q.Cursor != "" {
		var c alertCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" {
			return httpx.BadCursor()
		}
		p.After = c.ID
	}
	out := apiv1.AlertRuleList{Rules: []apiv1.AlertRule{}}
	departmentOf := s.alertDepartments(ctx)
	// With concerning=me, rules that do not concern the caller are
	// skipped; pages are read until one is full or the rules end (at most
	// MaxAlertRules rules in all).
	for {
		rules, err := s.store.ListAlertRules(ctx, p)
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("list alert rules: %w", err), "alert rules")
		}
		more := len(rules) > q.Limit
		if more {
			rules = rules[:q.Limit]
		}
		for _, rule := range rules {
			dept := departmentOf(rule)
			if q.Concerning != "" && !concerns(rule, dept, actor) {
				continue
			}
			out.Rules = append(out.Rules, toAlertJSON(rule, dept, actor))
			if len(out.Rules) == q.Limit {
				break
			}
		}
		last := ""
		if len(rules) > 0 {
			last = rules[len(rules)-1].ID
		}
		if len(out.Rules) == q.Limit && (more || out.Rules[len(out.Rules)-1].ID != last) {
			if out.NextCursor, err = httpx.EncodeCursor(alertCursorJSON{ID: out.Rules[len(out.Rules)-1].ID}); err != nil {
				return httpx.Internal(err)
			}
			break
		}
		if !more {
			break
		}
		p.After = last
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) alertOf(r *http.Request) (store.AlertRule, error) {
	q, err := httpx.ParamsOf[apiv1.AlertIDParams](r)
	if err != nil {
		return store.AlertRule{}, err
	}
	return s.alertByID(r.Context(), q.ID)
}

func (s *API) alertByID(ctx context.Context, id string) (store.AlertRule, error) {
	rule, err := s.store.GetAlertRule(ctx, id)
	if err != nil {
		return rule, httpx.StoreProblem(fmt.Errorf("get alert rule: %w", err), fmt.Sprintf("alert rule %q", id))
	}
	return rule, nil
}

func (s *API) getAlertRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.alertOf(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toAlertJSON(rule, s.alertDepartment(r.Context(), rule), httpx.ActorFrom(r.Context())))
	return nil
}

// alertDefinition builds and checks a rule's definition from the request's
// fields: alert.Normalize's checks, then the flow, version and step
// against the published flows, the webhook against the egress rules and
// the people named.
func (s *API) alertDefinition(ctx context.Context, d alert.Definition, window, pending, every string) (alert.Definition, []apiv1.FieldError, error) {
	var errs []apiv1.FieldError
	d.Window = durationField("window", window, &errs)
	if strings.TrimSpace(window) == "" {
		errs = append(errs, apiv1.FieldError{Field: "window", Message: "is required, like 1h"})
	}
	d.Pending = optionalDuration("pending", pending, &errs)
	d.Every = durationField("every", every, &errs)
	if len(errs) > 0 {
		return d, errs, nil
	}
	if err := alert.Normalize(&d, s.alertMinEvery()); err != nil {
		var fe *alert.FieldError
		if errors.As(err, &fe) {
			return d, []apiv1.FieldError{{Field: fe.Field, Message: fe.Reason}}, nil
		}
		return d, nil, err
	}
	if d.Scope.Flow != "" {
		fv, err := s.loadFlowVersion(ctx, d.Scope.Flow, d.Scope.Version)
		if err != nil {
			var p *httpx.Problem
			if errors.As(err, &p) && p.Status == http.StatusNotFound {
				field := "scope.flow"
				if d.Scope.Version != 0 && s.flowExists(ctx, d.Scope.Flow) {
					field = "scope.version"
				}
				return d, []apiv1.FieldError{{Field: field, Message: p.Detail}}, nil
			}
			return d, nil, err
		}
		if d.Scope.Step != "" {
			def := s.definitionOf(ctx, fv.Key, fv.Version)
			if def == nil {
				return d, nil, fmt.Errorf("flow %s v%d: the definition cannot be read", fv.Key, fv.Version)
			}
			step, ok := def.Step(d.Scope.Step)
			switch {
			case !ok:
				return d, []apiv1.FieldError{{Field: "scope.step", Message: fmt.Sprintf("flow %s v%d has no step %q; its steps are %s",
					fv.Key, fv.Version, d.Scope.Step, stepIDs(def))}}, nil
			case step.Kind != flow.KindTask:
				return d, []apiv1.FieldError{{Field: "scope.step", Message: fmt.Sprintf("step %q is a %s step: task metrics count human tasks",
					d.Scope.Step, step.Kind)}}, nil
			}
		}
	}
	d.WebhookURL = strings.TrimSpace(d.WebhookURL)
	if d.WebhookURL != "" {
		if len(d.WebhookURL) > maxURLLength {
			return d, []apiv1.FieldError{{Field: "webhook_url", Message: fmt.Sprintf("is longer than %d characters", maxURLLength)}}, nil
		}
		if err := flow.CheckWebhookURL(d.WebhookURL, flow.DefaultWebhookAllow()); err != nil {
			return d, []apiv1.FieldError{{Field: "webhook_url", Message: err.Error()}}, nil
		}
	}
	for i, id := range d.Notify {
		if _, err := s.store.GetActor(ctx, id); err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return d, []apiv1.FieldError{{Field: fmt.Sprintf("notify[%d]", i), Message: fmt.Sprintf("no person %q", id)}}, nil
			}
			return d, nil, err
		}
	}
	slices.Sort(d.Notify)
	d.Notify = slices.Compact(d.Notify)
	return d, nil, nil
}

// optionalDuration parses a duration that may be 0 ("" is 0).
func optionalDuration(field, raw string, errs *[]apiv1.FieldError) time.Duration {
	raw = strings.TrimSpace(raw)
	if raw == "" || raw == "0" {
		return 0
	}
	d, err := flow.ParseDuration(raw)
	if err != nil {
		*errs = append(*errs, apiv1.FieldError{Field: field, Message: err.Error() + " (like 5m or 1h)"})
	}
	return time.Duration(d)
}

// eachAlertRule calls fn for every rule by id, a store page at a time,
// until fn says stop; the rules are at most MaxAlertRules, so this is
// bounded.
func eachAlertRule(ctx context.Context, st store.Store, fn func(store.AlertRule) (more bool)) error {
	const page = 500
	for after := ""; ; {
		rules, err := st.ListAlertRules(ctx, store.ListAlertRulesParams{After: after, Limit: page})
		if err != nil {
			return fmt.Errorf("list alert rules: %w", err)
		}
		for _, r := range rules {
			if !fn(r) {
				return nil
			}
		}
		if len(rules) < page {
			return nil
		}
		after = rules[len(rules)-1].ID
	}
}

func (s *API) createAlertRule(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.AlertRuleRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	ctx := r.Context()
	d, ferrs, err := s.alertDefinition(ctx, alert.Definition{Name: req.Name, Metric: strings.TrimSpace(req.Metric), Scope: fromAlertScope(req.Scope),
		Condition: alert.Condition{Op: req.Condition.Op, Value: req.Condition.Value, BaselineWeeks: req.Condition.BaselineWeeks},
		MinSample: req.MinSample, WebhookURL: req.WebhookURL, Notify: req.Notify}, req.Window, req.Pending, req.Every)
	if err != nil {
		return httpx.StoreProblem(err, "flows")
	}
	if len(ferrs) > 0 {
		return httpx.Invalid(ferrs...)
	}
	n := 0
	if err := eachAlertRule(ctx, s.store, func(store.AlertRule) bool { n++; return n < MaxAlertRules }); err != nil {
		return httpx.StoreProblem(fmt.Errorf("count alert rules: %w", err), "alert rules")
	}
	if n >= MaxAlertRules {
		return httpx.Invalid(apiv1.FieldError{Field: "name", Message: fmt.Sprintf("there are %d alert rules, the most a deployment keeps; delete one first", n)})
	}
	actor := httpx.ActorFrom(ctx)
	now := s.now().UTC()
	rule := store.AlertRule{ID: uuid.NewString(), Name: d.Name, Metric: d.Metric, Scope: d.Scope, Condition: d.Condition, Window: d.Window,
		MinSample: d.MinSample, Pending: d.Pending, Every: d.Every, WebhookURL: d.WebhookURL, Notify: d.Notify,
		CreatedBy: actor.ID, CreatedAt: now, UpdatedAt: now}
	rule, err = s.store.CreateAlertRule(ctx, rule)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("create alert rule: %w", err), "alert rule")
	}
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	if err := s.eng.PutAlertSchedule(ectx, rule.ID, rule.Every); err != nil {
		// Without its schedule the rule would never be evaluated: take it
		// back, so the client's retry starts clean.
		if derr := s.store.DeleteAlertRule(context.WithoutCancel(ctx), rule.ID); derr != nil {
			s.log.ErrorContext(ctx, "alert rule without a schedule left for the reconciler", "rule", rule.ID, "error", derr)
		}
		return engineProblem(err)
	}
	s.audit(r, store.AuditEntry{Action: "alert.create", Object: "alert:" + rule.ID, Details: mustJSON(alertAuditJSON(rule))})
	httpx.WriteJSON(s.log, w, r, http.StatusCreated, toAlertJSON(rule, s.alertDepartment(ctx, rule), actor))
	return nil
}

// alertAuditJSON is what the audit trail keeps of a rule's definition (a
// webhook only as set or not: its URL may hold a secret).
func alertAuditJSON(r store.AlertRule) map[string]any {
	return map[string]any{"name": r.Name, "metric": r.Metric, "scope": r.Scope, "condition": r.Condition,
		"window": flow.Duration(r.Window).String(), "min_sample": r.MinSample, "pending": flow.Duration(r.Pending).String(),
		"every": flow.Duration(r.Every).String(), "webhook": r.WebhookURL != "", "notify": r.Notify, "revision": r.Revision}
}

func (s *API) updateAlertRule(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.UpdateAlertRuleRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	rule, err := s.alertOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if req.Revision != rule.Revision {
		return httpx.Conflict(fmt.Sprintf("alert rule %s is at revision %d, not %d: someone changed it; read it again", rule.ID, rule.Revision, req.Revision))
	}
	d := rule.Definition()
	window, pending, every := flow.Duration(rule.Window).String(), flow.Duration(rule.Pending).String(), flow.Duration(rule.Every).String()
	if req.Name != nil {
		d.Name = *req.Name
	}
	if req.Metric != nil {
		d.Metric = strings.TrimSpace(*req.Metric)
	}
	if req.Scope != nil {
		d.Scope = fromAlertScope(*req.Scope)
	}
	if req.Condition != nil {
		d.Condition = alert.Condition{Op: req.Condition.Op, Value: req.Condition.Value, BaselineWeeks: req.Condition.BaselineWeeks}
	}
	if req.Window != nil {
		window = *req.Window
	}
	if req.MinSample != nil {
		d.MinSample = *req.MinSample
	}
	if req.Pending != nil {
		pending = *req.Pending
	}
	if req.Every != nil {
		every = *req.Every
	}
	if req.WebhookURL != nil {
		d.WebhookURL = *req.WebhookURL
	}
	if req.Notify != nil {
		d.Notify = req.Notify
	}
	d, ferrs, err := s.alertDefinition(ctx, d, window, pending, every)
	if err != nil {
		return httpx.StoreProblem(err, "flows")
	}
	if len(ferrs) > 0 {
		return httpx.Invalid(ferrs...)
	}
	next := rule
	next.Name, next.Metric, next.Scope, next.Condition, next.Window = d.Name, d.Metric, d.Scope, d.Condition, d.Window
	next.MinSample, next.Pending, next.Every, next.WebhookURL, next.Notify = d.MinSample, d.Pending, d.Every, d.WebhookURL, d.Notify
	if next.Every != rule.Every {
		ectx, cancel := s.engineCtx(ctx)
		defer cancel()
		if err := s.eng.PutAlertSchedule(ectx, rule.ID, next.Every); err != nil {
			return engineProblem(err)
		}
	}
	updated, err := s.store.UpdateAlertRule(ctx, store.UpdateAlertRuleParams{Rule: next, Revision: req.Revision, At: s.now().UTC()})
	if err != nil {
		// The schedule, if changed, is put back to the rule's interval by
		// the reconciler.
		return httpx.StoreProblem(fmt.Errorf("update alert rule: %w", err), fmt.Sprintf("alert rule %q", rule.ID))
	}
	s.audit(r, store.AuditEntry{Action: "alert.update", Object: "alert:" + rule.ID,
		Details: mustJSON(map[string]any{"was": alertAuditJSON(rule), "now": alertAuditJSON(updated)})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toAlertJSON(updated, s.alertDepartment(ctx, updated), httpx.ActorFrom(ctx)))
	return nil
}

func (s *API) deleteAlertRule(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.alertOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	if err := s.store.DeleteAlertRule(ctx, rule.ID); err != nil {
		return httpx.StoreProblem(fmt.Errorf("delete alert rule: %w", err), fmt.Sprintf("alert rule %q", rule.ID))
	}
	s.audit(r, store.AuditEntry{Action: "alert.delete", Object: "alert:" + rule.ID, Details: mustJSON(alertAuditJSON(rule))})
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	if err := s.eng.DeleteAlertSchedule(ectx, rule.ID); err != nil {
		// Its runs find the rule gone and do nothing; the reconciler
		// deletes the schedule.
		s.log.LogAttrs(ctx, slog.LevelWarn, "alert schedule left for the reconciler", slog.String("rule", rule.ID), slog.String("error", err.Error()))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toAlertJSON(rule, s.alertDepartment(ctx, rule), httpx.ActorFrom(ctx)))
	return nil
}

func (s *API) listAlertEvents(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListAlertEventsParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rule, err := s.alertByID(ctx, q.ID)
	if err != nil {
		return err
	}
	p := store.ListAlertEventsParams{RuleID: rule.ID, Limit: q.Limit + 1}
	if q.Cursor != "" {
		var c struct {
			Seq int `json:"seq"`
		}
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.Seq <= 0 {
			return httpx.BadCursor()
		}
		p.Before = c.Seq
	}
	events, err := s.store.ListAlertEvents(ctx, p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list alert events: %w", err), "alert events")
	}
	out := apiv1.AlertEventList{Events: []apiv1.AlertEvent{}}
	if len(events) > q.Limit {
		events = events[:q.Limit]
		if out.NextCursor, err = httpx.EncodeCursor(struct {
			Seq int `json:"seq"`
		}{events[len(events)-1].Seq}); err != nil {
			return httpx.Internal(err)
		}
	}
	for _, e := range events {
		out.Events = append(out.Events, toAlertEventJSON(rule, e))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// ackRule reads the rule and checks that the caller may acknowledge and
// silence it.
func (s *API) ackRule(r *http.Request) (store.AlertRule, string, error) {
	rule, err := s.alertOf(r)
	if err != nil {
		return rule, "", err
	}
	dept := s.alertDepartment(r.Context(), rule)
	if !mayAcknowledge(dept, httpx.ActorFrom(r.Context())) {
		who := "owners, improvers and admins"
		if dept != "" {
			who += " and the team leads of " + dept
		}
		return rule, dept, httpx.Forbidden(fmt.Sprintf("only %s may acknowledge or silence alert rule %q", who, rule.Name))
	}
	return rule, dept, nil
}

func (s *API) acknowledgeAlert(w http.ResponseWriter, r *http.Request) error {
	rule, dept, err := s.ackRule(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	next, err := s.store.AcknowledgeAlert(ctx, rule.ID, actor.ID, s.now().UTC())
	if errors.Is(err, store.ErrConflict) {
		return httpx.Conflict(fmt.Sprintf("alert rule %q is %s, not firing: only a firing rule is acknowledged", rule.Name, rule.State))
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("acknowledge alert: %w", err), fmt.Sprintf("alert rule %q", rule.ID))
	}
	s.audit(r, store.AuditEntry{Action: "alert.acknowledge", Object: "alert:" + rule.ID, Details: mustJSON(map[string]any{"state_since": rule.StateSince})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toAlertJSON(next, dept, actor))
	return nil
}

func (s *API) evaluateAlert(w http.ResponseWriter, r *http.Request) error {
	rule, err := s.alertOf(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	ectx, cancel := s.engineCtx(ctx)
	defer cancel()
	if err := s.eng.TriggerAlertSchedule(ectx, rule.ID); err != nil {
		if errors.Is(err, engine.ErrNoSchedule) {
			// The reconciler puts it back within the hour; do it now.
			if perr := s.eng.PutAlertSchedule(ectx, rule.ID, rule.Every); perr != nil {
				return engineProblem(perr)
			}
			err = s.eng.TriggerAlertSchedule(ectx, rule.ID)
		}
		if err != nil {
			return engineProblem(err)
		}
	}
	s.audit(r, store.AuditEntry{Action: "alert.evaluate", Object: "alert:" + rule.ID})
	if next, err := s.store.GetAlertRule(ctx, rule.ID); err == nil {
		rule = next
	}
	httpx.WriteJSON(s.log, w, r, http.StatusAccepted, toAlertJSON(rule, s.alertDepartment(ctx, rule), httpx.ActorFrom(ctx)))
	return nil
}

func (s *API) silenceAlert(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.SilenceAlertRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	rule, dept, err := s.ackRule(r)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	var until *time.Time
	switch {
	case req.Until != nil && req.For != "":
		return httpx.Invalid(apiv1.FieldError{Field: "for", Message: "give until or for, not both"})
	case req.Until != nil:
		u := req.Until.UTC()
		until = &u
	case req.For != "":
		var errs []apiv1.FieldError
		d := durationField("for", req.For, &errs)
		if len(errs) > 0 {
			return httpx.Invalid(errs...)
		}
		u := now.Add(d)
		until = &u
	}
	if until != nil {
		field := map[bool]string{true: "until", false: "for"}[req.Until != nil]
		if !until.After(now) {
			return httpx.Invalid(apiv1.FieldError{Field: field, Message: "must be in the future"})
		}
		if until.Sub(now) > maxSilence {
			return httpx.Invalid(apiv1.FieldError{Field: field, Message: "at most 30 days from now"})
		}
	}
	ctx := r.Context()
	next, err := s.store.SilenceAlert(ctx, rule.ID, until)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("silence alert: %w", err), fmt.Sprintf("alert rule %q", rule.ID))
	}
	s.audit(r, store.AuditEntry{Action: "alert.silence", Object: "alert:" + rule.ID, Details: mustJSON(map[string]any{"until": until})})
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toAlertJSON(next, dept, httpx.ActorFrom(ctx)))
	return nil
}

// AlertScheduleSync is how often the reconciler makes the engine's alert
// schedules match the rules (and at start).
const AlertScheduleSync = time.Hour

// SyncAlertSchedules makes every rule's schedule exist with the rule's
// interval and deletes the schedules of rules that are gone: after a crash
// between the store and the engine, or a Temporal database reset. It
// returns how many schedules it deleted.
func SyncAlertSchedules(ctx context.Context, st store.Store, eng engine.Engine) (deleted int, err error) {
	rules := map[string]bool{}
	var putErr error
	err = eachAlertRule(ctx, st, func(r store.AlertRule) bool {
		rules[r.ID] = true
		putErr = eng.PutAlertSchedule(ctx, r.ID, r.Every)
		return putErr == nil
	})
	if err == nil {
		err = putErr
	}
	if err != nil {
		return deleted, fmt.Errorf("sync alert schedules: %w", err)
	}
	ids, err := eng.AlertSchedules(ctx, 10*MaxAlertRules)
	if err != nil {
		return deleted, fmt.Errorf("sync alert schedules: %w", err)
	}
	for _, id := range ids {
		if rules[id] {
			continue
		}
		if err := eng.DeleteAlertSchedule(ctx, id); err != nil {
			return deleted, fmt.Errorf("sync alert schedules: %w", err)
		}
		deleted++
	}
	return deleted, nil
}

// RunAlertScheduleSync runs SyncAlertSchedules at once and then every
// interval until ctx ends.
func RunAlertScheduleSync(ctx context.Context, st store.Store, eng engine.Engine, logger *slog.Logger, interval time.Duration) {
	pass := func(pctx context.Context) {
		deleted, err := SyncAlertSchedules(pctx, st, eng)
		if err != nil && ctx.Err() == nil {
			logger.Warn("alert schedules", "error", err)
		}
		if deleted > 0 {
			logger.Info("deleted the schedules of alert rules that are gone", "schedules", deleted)
		}
	}
	first, cancel := context.WithTimeout(ctx, interval)
	pass(first)
	cancel()
	runEvery(ctx, interval, pass)
}
