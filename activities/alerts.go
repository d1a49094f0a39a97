package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// EvaluateAlert evaluates an alert rule at in.At (decision 0040): the
// metric over its window (and baseline) by package kpi, the same code as
// the KPI pages, then the state change in one store transaction that also
// writes the in-app notifications of a change that notifies. The store
// records an evaluation time once, so a retried attempt returns the change
// the first one recorded. A rule deleted meanwhile is Gone.
func (a *Activities) EvaluateAlert(ctx context.Context, in workflows.EvaluateAlertInput) (workflows.EvaluateAlertResult, error) {
	r, err := a.Store.GetAlertRule(ctx, in.RuleID)
	if errors.Is(err, store.ErrNotFound) {
		return workflows.EvaluateAlertResult{Gone: true}, nil
	}
	if err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: %w", in.RuleID, err)
	}
	ev, err := kpi.Evaluate(ctx, a.Store, a.reopenWindow(), r, in.At)
	if err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: %w", in.RuleID, err)
	}
	recipients, err := AlertRecipients(ctx, a.Store, r)
	if err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: recipients: %w", in.RuleID, err)
	}
	rec, err := a.Store.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: r.ID, Evaluation: ev, Recipients: recipients})
	if errors.Is(err, store.ErrNotFound) {
		return workflows.EvaluateAlertResult{Gone: true}, nil
	}
	if err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: record: %w", in.RuleID, err)
	}
	a.logger().InfoContext(ctx, "alert evaluated", "rule", r.ID, "at", in.At, "outcome", ev.Outcome, "state", rec.Rule.State,
		"duplicate", rec.Duplicate, "message", ev.Message)
	if rec.Event == nil {
		return workflows.EvaluateAlertResult{}, nil
	}
	e := rec.Event
	details, err := json.Marshal(map[string]any{"from": e.From, "to": e.To, "value": e.Value, "n": e.N, "message": e.Message, "event": e.ID})
	if err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: encode audit: %w", in.RuleID, err)
	}
	if err := a.Store.AppendAudit(ctx, store.AuditEntry{
		At: e.At, Actor: "system", Action: "alert." + e.To, Object: "alert:" + r.ID,
		Details: details,
		Key:     "alert.event:" + e.ID,
	}); err != nil {
		return workflows.EvaluateAlertResult{}, fmt.Errorf("evaluate alert %s: audit: %w", in.RuleID, err)
	}
	return workflows.EvaluateAlertResult{EventID: e.ID, From: e.From, To: e.To, Deliver: e.Notified && rec.Rule.WebhookURL != ""}, nil
}

// AlertRecipients are the people a rule's changes are told to in the app
// (and by their own channels): its author, the people it names, and the
// team leads of its department (the scope's department, or its step's in
// the flow's default version). Ids that are no actor are skipped by the
// store when it writes the notifications.
func AlertRecipients(ctx context.Context, st store.Store, r store.AlertRule) ([]string, error) {
	out := append([]string{r.CreatedBy}, r.Notify...)
	dept, err := kpi.AlertDepartment(ctx, st, r.Scope)
	if err != nil {
		return nil, err
	}
	if dept != "" {
		leads, err := EscalationRecipients(ctx, st, flow.EscalateTeamLead, dept, "")
		if err != nil {
			return nil, err
		}
		out = append(out, leads...)
	}
	out = slices.DeleteFunc(out, func(id string) bool { return id == "" })
	slices.Sort(out)
	return slices.Compact(out), nil
}

// AlertWebhookPayload is the JSON an alert rule's webhook receives for one
// state change; the Idempotency-Key header is "flowlab:alert:" + Event.
type AlertWebhookPayload struct {
	Kind      string          `json:"kind"` // alert.firing or alert.resolved
	Event     string          `json:"event"`
	Rule      string          `json:"rule"`
	Name      string          `json:"name"`
	Metric    string          `json:"metric"`
	Scope     alert.Scope     `json:"scope"`
	Condition alert.Condition `json:"condition"`
	From      string          `json:"from"`
	To        string          `json:"to"`
	At        time.Time       `json:"at"`
	Value     *float64        `json:"value"`
	N         int             `json:"n"`
	Baseline  *float64        `json:"baseline,omitempty"`
	Message   string          `json:"message"`
	Text      string          `json:"text"`
}

// AlertIdempotencyKey is the Idempotency-Key of a state change's webhook.
func AlertIdempotencyKey(event string) string { return "flowlab:alert:" + event }

// DeliverAlert posts a state change to its rule's webhook (the rule as it
// is now: a rule deleted or without a webhook is done), under the egress
// rules of a URL a person typed (decision 0021).
func (a *Activities) DeliverAlert(ctx context.Context, in workflows.DeliverAlertInput) error {
	r, err := a.Store.GetAlertRule(ctx, in.RuleID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deliver alert %s: %w", in.EventID, err)
	}
	if r.WebhookURL == "" {
		return nil
	}
	e, err := a.Store.GetAlertEvent(ctx, in.EventID)
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError("deliver alert: no event "+in.EventID, "NotFound", err)
	}
	if err != nil {
		return fmt.Errorf("deliver alert %s: %w", in.EventID, err)
	}
	m, _ := alert.MetricByName(r.Metric)
	kind := store.NotifyAlertFiring
	if e.To == alert.Resolved {
		kind = store.NotifyAlertResolved
	}
	text := fmt.Sprintf("Alert %q %s: %s (%s, %s over %s)", r.Name, e.To, e.Message, m.Title, r.Scope, r.Window)
	body := AlertWebhookPayload{Kind: kind, Event: e.ID, Rule: r.ID, Name: r.Name, Metric: r.Metric, Scope: r.Scope, Condition: r.Condition,
		From: e.From, To: e.To, At: e.At, Value: e.Value, N: e.N, Baseline: e.Baseline, Message: e.Message, Text: text}
	if err := a.postKeyed(ctx, r.WebhookURL, true, AlertIdempotencyKey(e.ID), body); err != nil {
		return fmt.Errorf("deliver alert %s: %w", in.EventID, err)
	}
	return nil
}
