package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/egress"
	"github.com/flowlab/flowlab/store"
)

// WebhookTimeout bounds one webhook post.
const WebhookTimeout = 10 * time.Second

// IdempotencyHeader carries the notification's id on every webhook post:
// a receiver that sees the same key twice (delivery is at least once)
// keeps one.
const IdempotencyHeader = "Idempotency-Key"

// ErrRefused marks a delivery that can never succeed as configured: a
// webhook URL or address the egress rules refuse, or a redirect (never
// followed). The Dispatcher does not retry it.
var ErrRefused = errors.New("refused by the egress rules")

// WebhookPayload is the JSON body posted to a person's webhook: Text for
// chat tools (Slack, Mattermost, Rocket.Chat, Google Chat read it),
// Notification for receivers that want the fields.
type WebhookPayload struct {
	Text         string              `json:"text"`
	Notification WebhookNotification `json:"notification"`
}

// WebhookNotification is the notification as a webhook receives it.
type WebhookNotification struct {
	ID         string     `json:"id"`
	Kind       string     `json:"kind"`
	Actor      string     `json:"actor"`
	Task       string     `json:"task"`
	Case       string     `json:"case"`
	Flow       string     `json:"flow,omitempty"`
	Step       string     `json:"step,omitempty"`
	StepName   string     `json:"step_name,omitempty"`
	Department string     `json:"department,omitempty"`
	SLADue     *time.Time `json:"sla_due"`
	Level      int        `json:"level,omitempty"`
	Target     string     `json:"target,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	Link       string     `json:"link"`
}

// Payload is the webhook body of n rendered as m.
func Payload(n store.Notification, m Message) WebhookPayload {
	d := n.Details
	var due *time.Time
	if d.SLADue != nil {
		t := d.SLADue.UTC()
		due = &t
	}
	return WebhookPayload{Text: m.Summary, Notification: WebhookNotification{
		ID: n.ID, Kind: n.Kind, Actor: n.ActorID, Task: n.TaskID, Case: n.CaseID,
		Flow: d.Flow, Step: d.Step, StepName: d.StepName, Department: d.Department,
		SLADue: due, Level: d.Level, Target: d.Target, CreatedAt: n.CreatedAt.UTC(), Link: m.Link,
	}}
}

// NewWebhookClient is the client webhook posts go through: the egress
// transport over allow (every address dialled is checked), no redirects
// followed, WebhookTimeout.
func NewWebhookClient(allow *flow.WebhookAllow) *http.Client {
	return egress.Client(allow, WebhookTimeout)
}

// postWebhook posts body to rawURL with the idempotency key. A URL the
// static rules refuse, a dial the transport refuses and a redirect are
// ErrRefused; other failures (transport errors, non-2xx answers) may
// succeed later. Errors name the receiver by its scheme and host only: a
// chat tool's webhook URL holds its secret in the path.
func postWebhook(ctx context.Context, c *http.Client, allow *flow.WebhookAllow, rawURL, key string, body any) error {
	if err := flow.CheckWebhookURL(rawURL, allow); err != nil {
		return fmt.Errorf("webhook: %w: %w", ErrRefused, err)
	}
	where := redactURL(rawURL)
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("webhook: encode the body: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("webhook %s: %w: %w", where, ErrRefused, hideURL(err, where))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "flowlab-notify")
	req.Header.Set(IdempotencyHeader, key)
	cc := *c
	cc.CheckRedirect = egress.NoRedirects
	resp, err := cc.Do(req)
	if err != nil {
		var refused *egress.RefusedError
		if errors.As(err, &refused) {
			return fmt.Errorf("webhook %s: %w: %w", where, ErrRefused, hideURL(err, where))
		}
		return fmt.Errorf("webhook %s: %w", where, hideURL(err, where))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		return fmt.Errorf("webhook %s: %w: the receiver answered %s, a redirect; redirects are not followed: use the final URL",
			where, ErrRefused, resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("webhook %s: status %s", where, resp.Status)
	}
	return nil
}

// redactURL is rawURL's scheme and host, the rest elided.
func redactURL(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return "(unparsable URL)"
	}
	return u.Scheme + "://" + u.Host + "/…"
}

// hideURL replaces the full URL a *url.Error quotes with where.
func hideURL(err error, where string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = where
	}
	return err
}
