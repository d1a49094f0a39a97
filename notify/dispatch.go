package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// Defaults of a Dispatcher.
const (
	// DefaultBatch is how many due notifications one pass reads.
	DefaultBatch = 100
	// DefaultPassBudget is how long one pass starts new deliveries for;
	// what is left is the next pass's.
	DefaultPassBudget = 2 * time.Minute
	// MaxAttempts is how many attempts a notification gets before its
	// delivery fails.
	MaxAttempts = 8
	// FirstBackoff is the wait after the first failed attempt, doubled
	// after each further one up to MaxBackoff.
	FirstBackoff = 30 * time.Second
	MaxBackoff   = time.Hour
	// Lease is how long a pass holds the notifications it read: no other
	// dispatcher (another server process) gets them meanwhile, and those
	// a pass did not reach, or whose dispatcher died, are due again after
	// it. It outlasts a pass's budget and one delivery's timeouts.
	Lease = DefaultPassBudget + 3*time.Minute
)

// Dispatcher delivers the store's due notifications by the channels each
// person chose (decision 0037). Delivery is at least once: a send that
// succeeds but is not recorded (a crash, the database away) is sent
// again, so webhook posts carry the notification's id as Idempotency-Key
// and emails a Message-ID made from it.
type Dispatcher struct {
	Store store.Store
	// Mailer sends email; nil: email is not sent, and a person's email
	// channel is skipped (noted in the log once).
	Mailer Mailer
	// HTTPClient posts to webhooks. nil: NewWebhookClient(WebhookAllow).
	// Set it only to a client with the egress transport: a person's
	// webhook URL is untrusted input.
	HTTPClient *http.Client
	// WebhookAllow lists the internal receivers a webhook may reach
	// (nil: flow.DefaultWebhookAllow(), FLOWLAB_WEBHOOK_ALLOW).
	WebhookAllow *flow.WebhookAllow
	// BaseURL is the public URL of the web UI, the base of links.
	BaseURL string
	Logger  *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Batch bounds the notifications of one pass (0: DefaultBatch);
	// PassBudget the time one pass starts deliveries for (0:
	// DefaultPassBudget).
	Batch      int
	PassBudget time.Duration

	clientOnce sync.Once
	client     *http.Client
	noMailOnce sync.Once
}

// Backoff is the wait after the attempt-th failed attempt (from 1):
// FirstBackoff doubled for each attempt after the first, at most
// MaxBackoff.
func Backoff(attempt int) time.Duration {
	d := FirstBackoff
	for i := 1; i < attempt && d < MaxBackoff; i++ {
		d *= 2
	}
	return min(d, MaxBackoff)
}

// Run delivers due notifications every interval until ctx ends; a value on
// kick (which may be nil) starts a pass at once. A full pass (as many as
// Batch) is followed by another without waiting.
func (d *Dispatcher) Run(ctx context.Context, interval time.Duration, kick <-chan struct{}) {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	t := time.NewTimer(0)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
		n, err := d.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil && !failing:
			d.logger().Warn("notification delivery: a pass failed; retrying", "err", err)
			failing = true
		case err == nil && failing:
			d.logger().Info("notification delivery works again")
			failing = false
		}
		wait := interval
		if err == nil && n >= d.batch() {
			wait = 0 // more are due
		}
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(wait)
	}
}

// RunOnce delivers the notifications due now, at most Batch of them, and
// returns how many it settled or retried. It stops at the first error of
// the store, or when ctx ends.
func (d *Dispatcher) RunOnce(ctx context.Context) (int, error) {
	start := time.Now()
	due, err := d.Store.DueNotifications(ctx, d.now(), Lease, d.batch())
	if err != nil {
		return 0, fmt.Errorf("notify: due notifications: %w", err)
	}
	budget := d.PassBudget
	if budget <= 0 {
		budget = DefaultPassBudget
	}
	done := 0
	for _, n := range due {
		if err := ctx.Err(); err != nil {
			return done, fmt.Errorf("notify: %w", err)
		}
		if time.Since(start) > budget {
			break // the rest are the next pass's
		}
		if err := d.deliver(ctx, n); err != nil {
			return done, err
		}
		done++
	}
	return done, nil
}

// deliver sends n by the channels its person wants and has not been sent
// by yet, and records the outcome. Its error is the store's only:
// failures to send are recorded in n.
func (d *Dispatcher) deliver(ctx context.Context, n store.Notification) error {
	p, err := d.Store.GetPerson(ctx, n.ActorID)
	if errors.Is(err, store.ErrNotFound) {
		return d.record(ctx, n, store.DeliveryFailed, n.Sent, nil, "no such person: "+n.ActorID)
	}
	if err != nil {
		return fmt.Errorf("notify: person %s: %w", n.ActorID, err)
	}
	channels := d.channels(p, n.Sent)
	if len(channels) == 0 {
		return d.record(ctx, n, store.DeliveryDone, n.Sent, nil, "")
	}
	// An alert's notification is about no task (decision 0040).
	var task store.Task
	err = nil
	if n.TaskID != "" {
		task, err = d.Store.GetTask(ctx, n.TaskID)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		task = store.Task{}
	case err != nil:
		return fmt.Errorf("notify: task %s: %w", n.TaskID, err)
	case stale(n, task) != "":
		// Telling of a task that is closed, or that someone else holds
		// now, would mislead: the app keeps the notification.
		return d.record(ctx, n, store.DeliveryDone, n.Sent, nil, "not sent: "+stale(n, task))
	}
	info := Info{BaseURL: d.BaseURL, Now: d.now(), Recipient: p.Name, Version: task.Version, Names: map[string]string{}}
	for _, id := range []string{n.Details.From, n.Details.By} {
		if id == "" {
			continue
		}
		a, err := d.Store.GetActor(ctx, id)
		switch {
		case err == nil:
			info.Names[id] = a.Name
		case !errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("notify: actor %s: %w", id, err)
		}
	}
	m := Render(n, info)

	sent := slices.Clone(n.Sent)
	var failures []string
	refused, retry := false, false
	for _, ch := range channels {
		var err error
		switch ch {
		case store.ChannelEmail:
			err = d.Mailer.Send(ctx, Email{To: p.Email, ToName: p.Name, MessageID: n.ID,
				Subject: m.Subject, Text: m.Text, HTML: m.HTML})
		case store.ChannelWebhook:
			err = postWebhook(ctx, d.httpClient(), d.allow(), p.WebhookURL, n.ID, Payload(n, m))
		}
		if err == nil {
			sent = append(sent, ch)
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("notify: %s: %w", ch, ctx.Err()) // stopping: the attempt does not count
		}
		failures = append(failures, ch+": "+err.Error())
		if errors.Is(err, ErrRefused) {
			refused = true
		} else {
			retry = true
		}
	}
	slices.Sort(sent)
	if len(failures) == 0 {
		d.logger().Debug("notification delivered", "notification", n.ID, "actor", n.ActorID, "kind", n.Kind, "channels", channels)
		return d.record(ctx, n, store.DeliveryDone, sent, nil, "")
	}
	msg := strings.Join(failures, "; ")
	attempt := n.Attempts + 1
	if !retry || attempt >= MaxAttempts {
		if !refused {
			msg = fmt.Sprintf("%s (gave up after %d attempts)", msg, attempt)
		}
		d.logger().Warn("notification not delivered", "notification", n.ID, "actor", n.ActorID, "attempts", attempt, "err", msg)
		return d.record(ctx, n, store.DeliveryFailed, sent, nil, msg)
	}
	next := d.now().Add(Backoff(attempt))
	d.logger().Info("notification delivery will be retried", "notification", n.ID, "actor", n.ActorID,
		"attempt", attempt, "next", next.UTC().Format(time.RFC3339), "err", msg)
	return d.record(ctx, n, store.DeliveryPending, sent, &next, msg)
}

// channels are the channels of p's preference n is still to be sent by:
// email when p has an address and email is configured, webhook when p has
// a URL; not those in sent.
func (d *Dispatcher) channels(p store.Person, sent []string) []string {
	var out []string
	for _, ch := range p.NotifyBy {
		if slices.Contains(sent, ch) || slices.Contains(out, ch) {
			continue
		}
		switch {
		case ch == store.ChannelEmail && p.Email != "" && d.Mailer == nil:
			d.noMailOnce.Do(func() {
				d.logger().Info("notifications: email is not configured (FLOWLAB_SMTP_URL); people's email channel is skipped")
			})
		case ch == store.ChannelEmail && p.Email != "", ch == store.ChannelWebhook && p.WebhookURL != "":
			out = append(out, ch)
		}
	}
	return out
}

// stale says why n no longer tells the truth about task ("" when it
// does): the task is closed, or, for an assignment, someone else holds it.
func stale(n store.Notification, t store.Task) string {
	switch {
	case t.Status != "" && t.Status != store.TaskOpen:
		return fmt.Sprintf("the task is %s", t.Status)
	case (n.Kind == store.NotifyAssigned || n.Kind == store.NotifyReassigned) && t.Assignee != n.ActorID:
		if t.Assignee == "" {
			return "the task went back to the pool"
		}
		return "the task is assigned to someone else now"
	}
	return ""
}

func (d *Dispatcher) record(ctx context.Context, n store.Notification, state string, sent []string, next *time.Time, msg string) error {
	if err := d.Store.SetNotificationDelivery(ctx, store.NotificationDelivery{
		ID: n.ID, Delivery: state, Sent: sent, NextAttemptAt: next, Error: msg,
	}); err != nil {
		return fmt.Errorf("notify: record the delivery of %s: %w", n.ID, err)
	}
	return nil
}

func (d *Dispatcher) batch() int {
	if d.Batch > 0 {
		return d.Batch
	}
	return DefaultBatch
}

func (d *Dispatcher) now() time.Time {
	if d.Now != nil {
		return d.Now()
	}
	return time.Now()
}

func (d *Dispatcher) allow() *flow.WebhookAllow {
	if d.WebhookAllow != nil {
		return d.WebhookAllow
	}
	return flow.DefaultWebhookAllow()
}

func (d *Dispatcher) httpClient() *http.Client {
	d.clientOnce.Do(func() {
		d.client = d.HTTPClient
		if d.client == nil {
			d.client = NewWebhookClient(d.allow())
		}
	})
	return d.client
}

func (d *Dispatcher) logger() *slog.Logger {
	if d.Logger != nil {
		return d.Logger
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
