package apiv1

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// KPI alert rules (decision 0040): a metric over a window in a scope,
// evaluated by a Temporal Schedule per rule, moving ok → pending → firing →
// resolved.

// Alert rule states.
const (
	AlertOK       = "ok"
	AlertPending  = "pending"
	AlertFiring   = "firing"
	AlertResolved = "resolved"
)

// AlertScope narrows a rule; empty fields do not narrow.
type AlertScope struct {
	Flow       string `json:"flow,omitempty" description:"A flow key."`
	Version    int    `json:"version,omitempty" description:"A version of the flow (0: every version)."`
	Step       string `json:"step,omitempty" description:"A step of the flow (task metrics)."`
	Department string `json:"department,omitempty" description:"A department (task metrics)."`
	Channel    string `json:"channel,omitempty" description:"A channel (case metrics)."`
}

// AlertCondition is what makes a rule breach.
type AlertCondition struct {
	Op            string  `json:"op" enum:"above,below,rise,fall" description:"above/below: the value against a threshold (strictly); rise/fall: the value's change against the baseline, at least the fraction."`
	Value         float64 `json:"value" description:"A threshold in the metric's unit (a rate from 0 to 1) for above and below; a fraction (0.2 is 20 %) for rise and fall."`
	BaselineWeeks int     `json:"baseline_weeks,omitempty" minimum:"0" maximum:"8" description:"rise/fall: the baseline is the same hours of this many weeks before, pooled (default 4)."`
}

// AlertRuleRequest creates a rule.
type AlertRuleRequest struct {
	Name       string         `json:"name" minLength:"1" maxLength:"200"`
	Metric     string         `json:"metric" description:"One of GET /api/v1/alerts/metrics."`
	Scope      AlertScope     `json:"scope"`
	Condition  AlertCondition `json:"condition"`
	Window     string         `json:"window" description:"The window the metric is computed over, ending at the evaluation, like 1h, 30m or 1d (1m to 31d)."`
	MinSample  int            `json:"min_sample,omitempty" minimum:"0" description:"Fewer observations than this in the window (or the baseline) is \"not enough data\", never a breach."`
	Pending    string         `json:"pending,omitempty" description:"How long the condition must hold before the rule fires, like 5m (default 0: at once; at most 7d)."`
	Every      string         `json:"every,omitempty" description:"How often the rule is evaluated, like 1m (default 1m; at least the deployment's minimum, at most 1d)."`
	WebhookURL string         `json:"webhook_url,omitempty" description:"Receives a JSON POST when the rule fires and when it resolves, with Idempotency-Key flowlab:alert:<event id>."`
	Notify     []string       `json:"notify,omitempty" description:"Actor ids told in the app (and by their own channels) besides the author and the department's team leads."`
}

// UpdateAlertRuleRequest changes the fields given of a rule whose revision
// is Revision.
type UpdateAlertRuleRequest struct {
	Revision   int             `json:"revision" minimum:"1" description:"The rule's revision as read: a rule changed meanwhile is a 409."`
	Name       *string         `json:"name,omitempty"`
	Metric     *string         `json:"metric,omitempty"`
	Scope      *AlertScope     `json:"scope,omitempty"`
	Condition  *AlertCondition `json:"condition,omitempty"`
	Window     *string         `json:"window,omitempty"`
	MinSample  *int            `json:"min_sample,omitempty"`
	Pending    *string         `json:"pending,omitempty"`
	Every      *string         `json:"every,omitempty"`
	WebhookURL *string         `json:"webhook_url,omitempty"`
	Notify     []string        `json:"notify,omitempty"`
}

// AlertEvaluation is one evaluation of a rule.
type AlertEvaluation struct {
	At        time.Time `json:"at"`
	Outcome   string    `json:"outcome" enum:"breach,clear,insufficient,error" description:"insufficient: fewer observations than min_sample (not enough data)."`
	Value     *float64  `json:"value" description:"The metric over the window, in its unit; null when there was no data."`
	ValueText string    `json:"value_text" description:"The value with its unit, as a person reads it."`
	N         int       `json:"n" description:"The observations the value stands on."`
	Baseline  *float64  `json:"baseline,omitempty" description:"rise/fall: the metric over the baseline windows."`
	BaselineN int       `json:"baseline_n,omitempty"`
	Message   string    `json:"message"`
}

// AlertRule is a rule and where it stands.
type AlertRule struct {
	ID             string           `json:"id"`
	Name           string           `json:"name"`
	Metric         string           `json:"metric"`
	MetricTitle    string           `json:"metric_title"`
	Unit           string           `json:"unit" enum:"rate,seconds,count,score"`
	Scope          AlertScope       `json:"scope"`
	ScopeText      string           `json:"scope_text"`
	Department     string           `json:"department,omitempty" description:"The department the scope touches (its own, or its step's); its team leads are told and may acknowledge."`
	Condition      AlertCondition   `json:"condition"`
	ConditionText  string           `json:"condition_text" description:"The condition in words, with units."`
	Window         string           `json:"window"`
	WindowSeconds  float64          `json:"window_seconds"`
	MinSample      int              `json:"min_sample"`
	Pending        string           `json:"pending"`
	PendingSeconds float64          `json:"pending_seconds"`
	Every          string           `json:"every"`
	EverySeconds   float64          `json:"every_seconds"`
	WebhookURL     string           `json:"webhook_url,omitempty" description:"Shown to those who may change the rule."`
	Notify         []string         `json:"notify" nullable:"false"`
	CreatedBy      string           `json:"created_by"`
	CreatedAt      time.Time        `json:"created_at"`
	UpdatedAt      time.Time        `json:"updated_at"`
	Revision       int              `json:"revision"`
	State          string           `json:"state" enum:"ok,pending,firing,resolved"`
	StateSince     time.Time        `json:"state_since"`
	PendingSince   *time.Time       `json:"pending_since" description:"When the condition began to hold (pending and firing)."`
	Last           *AlertEvaluation `json:"last" nullable:"true" description:"The latest evaluation; null before the first."`
	AcknowledgedBy string           `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time       `json:"acknowledged_at,omitempty"`
	SilencedUntil  *time.Time       `json:"silenced_until,omitempty" description:"Until then its changes notify nobody (they are still recorded)."`
	Schedule       string           `json:"schedule" description:"The id of its Temporal Schedule (temporal schedule describe --schedule-id ...)."`
}

// AlertRuleList is the answer of listAlertRules.
type AlertRuleList struct {
	Rules      []AlertRule `json:"rules" nullable:"false"`
	NextCursor string      `json:"next_cursor,omitempty"`
}

// ListAlertRulesParams are the query parameters of listAlertRules.
type ListAlertRulesParams struct {
	State      string `query:"state" enum:"ok,pending,firing,resolved" description:"Only rules in this state."`
	Flow       string `query:"flow" description:"Only rules scoped to this flow."`
	Concerning string `query:"concerning" enum:"me" description:"me: only the rules whose scope touches the caller (every rule for owners, improvers and admins; rules of their departments, or naming them, for staff)."`
	Limit      int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor     string `query:"cursor" description:"next_cursor of the previous page."`
}

// AlertIDParams name a rule.
type AlertIDParams struct {
	ID string `path:"id" description:"Alert rule id."`
}

// AlertEvent is one state change of a rule.
type AlertEvent struct {
	ID        string    `json:"id" description:"The change's id; webhooks carry Idempotency-Key flowlab:alert:<id>."`
	Rule      string    `json:"rule"`
	Seq       int       `json:"seq"`
	At        time.Time `json:"at"`
	From      string    `json:"from" enum:"ok,pending,firing,resolved"`
	To        string    `json:"to" enum:"ok,pending,firing,resolved"`
	Value     *float64  `json:"value"`
	ValueText string    `json:"value_text"`
	N         int       `json:"n"`
	Baseline  *float64  `json:"baseline,omitempty"`
	Message   string    `json:"message"`
	Notified  bool      `json:"notified" description:"The change was told (firing and resolved, when not silenced)."`
	Silenced  bool      `json:"silenced" description:"It would have been told, but the rule was silenced."`
}

// AlertEventList is the answer of listAlertEvents.
type AlertEventList struct {
	Events     []AlertEvent `json:"events" nullable:"false"`
	NextCursor string       `json:"next_cursor,omitempty"`
}

// ListAlertEventsParams are the parameters of listAlertEvents.
type ListAlertEventsParams struct {
	ID     string `path:"id" description:"Alert rule id."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"next_cursor of the previous page."`
}

// SilenceAlertRequest silences a rule until a time, or for a while, or
// (neither) lifts its silence.
type SilenceAlertRequest struct {
	Until *time.Time `json:"until,omitempty" description:"Silenced until then."`
	For   string     `json:"for,omitempty" description:"Silenced for this long from now, like 2h (at most 30d)."`
}

// AlertMetric is a metric a rule may watch.
type AlertMetric struct {
	Name   string   `json:"name"`
	Title  string   `json:"title"`
	Unit   string   `json:"unit" enum:"rate,seconds,count,score"`
	Source string   `json:"source" enum:"cases,spans,escalations,open_tasks" description:"cases: the cases created in the window (as the KPI page); spans: the task spans completed in the window; escalations: raised in the window; open_tasks: open at the evaluation."`
	Scopes []string `json:"scopes" nullable:"false" description:"The scope fields it may be narrowed by."`
	Sample string   `json:"sample" description:"What min_sample counts."`
}

// AlertMetricList is the answer of listAlertMetrics.
type AlertMetricList struct {
	Metrics []AlertMetric `json:"metrics" nullable:"false"`
}

// WatchRequest puts a flow, or one of its steps, on the watchlist.
type WatchRequest struct {
	Flow string `json:"flow" minLength:"1" description:"A flow key."`
	Step string `json:"step,omitempty" description:"One of its task steps; empty watches the flow whole."`
	Note string `json:"note,omitempty" maxLength:"500" description:"Why it is watched."`
}

// WatchIDParams name a watch.
type WatchIDParams struct {
	ID string `path:"id" description:"Watch id."`
}

// WatchWeek is one ISO week of a watched flow or step: for a flow its
// completed cases' cycle time (as GET /api/v1/flows/{key}/trend), for a
// step its completed tasks' waiting (as alert metric waiting_p90), with
// the SLA breach rate of the tasks.
type WatchWeek struct {
	Week          string    `json:"week" description:"ISO week, like 2026-W47."`
	Start         time.Time `json:"start"`
	End           time.Time `json:"end"`
	N             int       `json:"n" description:"Completed cases (a flow) or completed tasks (a step) in the week."`
	MedianSeconds *float64  `json:"median_seconds" description:"Median cycle time (a flow) or waiting time (a step) in seconds; null when n is 0."`
	P90Seconds    *float64  `json:"p90_seconds" description:"90th percentile of the same, in seconds; null when n is 0."`
	SLABreachRate *float64  `json:"sla_breach_rate" description:"Breached / completed task spans with an SLA; null when there are none."`
}

// Watch is a flow or step on the watchlist with its alerts, open PDCA
// cycles and trend.
type Watch struct {
	ID       string    `json:"id"`
	Flow     string    `json:"flow"`
	Step     string    `json:"step,omitempty"`
	StepName string    `json:"step_name,omitempty"`
	Note     string    `json:"note"`
	AddedBy  string    `json:"added_by"`
	AddedAt  time.Time `json:"added_at"`
	Measure  string    `json:"measure" enum:"cycle_time,waiting" description:"What the trend's times are: the flow's cycle time or the step's waiting."`
	// Alerts are the rules scoped to the flow (and, for a step, to it or
	// to the whole flow).
	Alerts     []AlertRule   `json:"alerts" nullable:"false" description:"Alert rules scoped to the flow (for a step: to the step or to the whole flow)."`
	Firing     int           `json:"firing" description:"How many of them fire."`
	OpenCycles []Improvement `json:"open_cycles" nullable:"false" description:"Open PDCA cycles improving the flow."`
	Trend      []WatchWeek   `json:"trend" nullable:"false" description:"The last 8 ISO weeks, oldest first, the current one partial."`
}

// Watchlist is the answer of getWatchlist.
type Watchlist struct {
	Watches []Watch `json:"watches" nullable:"false"`
}

// ParseFraction reads a threshold or change as a person writes it: "20%"
// or "20 %" is 0.2, anything else a plain number ("0.2", "30"). The CLI's
// and the web UI's alert forms read their values with it.
func ParseFraction(raw string) (float64, error) {
	s := strings.TrimSpace(raw)
	if s == "" {
		return 0, errors.New("is required: a threshold like 20 % or 30, or a change like 20 %")
	}
	pct := strings.HasSuffix(s, "%")
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number; write 20 %% or 0.2", raw)
	}
	if pct {
		v /= 100
	}
	return v, nil
}
