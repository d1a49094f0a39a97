package apiv1

import (
	"context"
	"net/http"
)

// ListAlertRules lists alert rules and where they stand (listAlertRules).
func (c *Client) ListAlertRules(ctx context.Context, params ListAlertRulesParams, opts ...CallOption) (*AlertRuleList, error) {
	return call[AlertRuleList](ctx, c, http.MethodGet, "/api/v1/alerts", params, nil, opts...)
}

// CreateAlertRule creates an alert rule and its schedule (createAlertRule).
func (c *Client) CreateAlertRule(ctx context.Context, body AlertRuleRequest, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodPost, "/api/v1/alerts", nil, body, opts...)
}

// GetAlertMetrics lists the metrics a rule may watch (getAlertMetrics).
func (c *Client) GetAlertMetrics(ctx context.Context, opts ...CallOption) (*AlertMetricList, error) {
	return call[AlertMetricList](ctx, c, http.MethodGet, "/api/v1/alerts/metrics", nil, nil, opts...)
}

// GetAlertRule gets an alert rule (getAlertRule).
func (c *Client) GetAlertRule(ctx context.Context, params AlertIDParams, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodGet, "/api/v1/alerts/{id}", params, nil, opts...)
}

// UpdateAlertRule changes an alert rule at its revision (updateAlertRule).
func (c *Client) UpdateAlertRule(ctx context.Context, params AlertIDParams, body UpdateAlertRuleRequest, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodPatch, "/api/v1/alerts/{id}", params, body, opts...)
}

// DeleteAlertRule deletes an alert rule and its schedule (deleteAlertRule).
func (c *Client) DeleteAlertRule(ctx context.Context, params AlertIDParams, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodDelete, "/api/v1/alerts/{id}", params, nil, opts...)
}

// ListAlertEvents lists a rule's state changes, newest first
// (listAlertEvents).
func (c *Client) ListAlertEvents(ctx context.Context, params ListAlertEventsParams, opts ...CallOption) (*AlertEventList, error) {
	return call[AlertEventList](ctx, c, http.MethodGet, "/api/v1/alerts/{id}/events", params, nil, opts...)
}

// AcknowledgeAlert acknowledges a firing rule (acknowledgeAlert).
func (c *Client) AcknowledgeAlert(ctx context.Context, params AlertIDParams, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodPost, "/api/v1/alerts/{id}/acknowledge", params, nil, opts...)
}

// SilenceAlert silences a rule, or lifts its silence (silenceAlert).
func (c *Client) SilenceAlert(ctx context.Context, params AlertIDParams, body SilenceAlertRequest, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodPost, "/api/v1/alerts/{id}/silence", params, body, opts...)
}

// EvaluateAlert triggers a rule's schedule now (evaluateAlert).
func (c *Client) EvaluateAlert(ctx context.Context, params AlertIDParams, opts ...CallOption) (*AlertRule, error) {
	return call[AlertRule](ctx, c, http.MethodPost, "/api/v1/alerts/{id}/evaluate", params, nil, opts...)
}

// GetWatchlist reads the watchlist (getWatchlist).
func (c *Client) GetWatchlist(ctx context.Context, opts ...CallOption) (*Watchlist, error) {
	return call[Watchlist](ctx, c, http.MethodGet, "/api/v1/watchlist", nil, nil, opts...)
}

// AddWatch puts a flow or step on the watchlist (addWatch).
func (c *Client) AddWatch(ctx context.Context, body WatchRequest, opts ...CallOption) (*Watch, error) {
	return call[Watch](ctx, c, http.MethodPost, "/api/v1/watchlist", nil, body, opts...)
}

// RemoveWatch takes one off the watchlist (removeWatch).
func (c *Client) RemoveWatch(ctx context.Context, params WatchIDParams, opts ...CallOption) (*Watch, error) {
	return call[Watch](ctx, c, http.MethodDelete, "/api/v1/watchlist/{id}", params, nil, opts...)
}
