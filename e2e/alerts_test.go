package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// hookReceiver is a webhook receiver that keeps every POST's
// Idempotency-Key and kind.
type hookReceiver struct {
	mu    sync.Mutex
	posts []hookPost
}

type hookPost struct {
	Key  string
	Body activities.AlertWebhookPayload
}

func (h *hookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var p activities.AlertWebhookPayload
	b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err := json.Unmarshal(b, &p); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.posts = append(h.posts, hookPost{Key: r.Header.Get("Idempotency-Key"), Body: p})
	h.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (h *hookReceiver) all() []hookPost {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]hookPost(nil), h.posts...)
}

// seedInvestigateSpans records n completed task spans of complaint's
// investigate step completed just before at, the first breached of them
// past their SLA: the rows the Case workflow writes when a task closes.
func seedInvestigateSpans(t *testing.T, st store.Store, tag string, at time.Time, n, breached int) {
	t.Helper()
	for i := range n {
		done := at.Add(-time.Duration(i+1) * time.Millisecond)
		entered := done.Add(-3 * time.Hour)
		due := entered.Add(2 * time.Hour)
		if i >= breached {
			due = entered.Add(4 * time.Hour)
		}
		claimed := entered.Add(20 * time.Minute)
		require.NoError(t, st.RecordSpan(context.Background(), store.Span{CaseID: fmt.Sprintf("%s-%d", tag, i), Seq: 3, Flow: "complaint",
			Version: 1, Step: "investigate", Kind: "task", Department: "technical", EnteredAt: entered, ClaimedAt: &claimed,
			CompletedAt: done, Outcome: "resolved", SLADue: &due, Breached: i < breached, Actor: "tech-agent"}))
	}
}

// TestAlertRuleOnTheRealEngine: a rule "task SLA breach rate of
// complaint/investigate > 20 % over 1 h, at least 10 tasks", evaluated by
// its Temporal Schedule, fires within one interval after breaches are
// produced and tells its webhook once; the worker is stopped and another
// started while it fires; it resolves when the rate falls and tells once
// more. No change is recorded or told twice, none is missed.
func TestAlertRuleOnTheRealEngine(t *testing.T) {
	// Not parallel: it allows webhooks to loopback for the process.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	hooks := &hookReceiver{}
	hs := httptest.NewServer(hooks)
	defer hs.Close()
	allow, err := flow.ParseWebhookAllow("127.0.0.1")
	require.NoError(t, err)
	flow.SetDefaultWebhookAllow(allow)
	t.Cleanup(func() { flow.SetDefaultWebhookAllow(nil) })

	const every = 2 * time.Second
	e := newEnvWith(t, envOptions{
		api:        func(c *api.Config) { c.AlertMinEvery = time.Second },
		activities: func(a *activities.Activities) { a.WebhookAllow = allow },
	})
	c, st := e.tc, e.st
	owner, err := e.api("admin").CreateToken(ctx, apiv1.CreateTokenRequest{Name: "Olga Owner", Role: apiv1.RoleOwner})
	require.NoError(t, err)
	olga := e.contract.Client(owner.Token, func(err error) { t.Errorf("%v", err) })

	rule, err := olga.CreateAlertRule(ctx, apiv1.AlertRuleRequest{Name: "Investigation breaches", Metric: "sla_breach_rate",
		Scope: apiv1.AlertScope{Flow: "complaint", Step: "investigate"}, Condition: apiv1.AlertCondition{Op: alert.Above, Value: 0.2},
		Window: "1h", MinSample: 10, Every: "2s", WebhookURL: hs.URL + "/hooks/alerts"})
	require.NoError(t, err)
	// The schedule is Temporal's own, as its CLI and UI show it.
	desc, err := c.ScheduleClient().GetHandle(ctx, rule.Schedule).Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, every, desc.Schedule.Spec.Intervals[0].Every)

	waitState := func(want string, within time.Duration) apiv1.AlertRule {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			r, err := olga.GetAlertRule(ctx, apiv1.AlertIDParams{ID: rule.ID})
			require.NoError(t, err)
			if r.State == want {
				return *r
			}
			require.True(t, time.Now().Before(deadline), "rule still %s (last: %+v), want %s", r.State, r.Last, want)
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitPosts := func(n int) []hookPost {
		t.Helper()
		require.Eventually(t, func() bool { return len(hooks.all()) >= n }, 30*time.Second, 50*time.Millisecond)
		return hooks.all()
	}

	// Evaluations with no data say so and fire nothing.
	r := waitState(alert.OK, 10*time.Second)
	require.Eventually(t, func() bool {
		r, err := olga.GetAlertRule(ctx, apiv1.AlertIDParams{ID: rule.ID})
		require.NoError(t, err)
		return r.Last != nil && r.Last.Outcome == alert.Insufficient
	}, 15*time.Second, 100*time.Millisecond, "an evaluation: %+v", r.Last)

	// 12 investigations, 4 past their SLA: 33 %.
	produced := time.Now().UTC()
	seedInvestigateSpans(t, st, "burst", produced, 12, 4)
	r = waitState(alert.Firing, 3*every+10*time.Second)
	events, err := olga.ListAlertEvents(ctx, apiv1.ListAlertEventsParams{ID: rule.ID})
	require.NoError(t, err)
	require.Len(t, events.Events, 1)
	fired := events.Events[0]
	require.Equal(t, []any{alert.OK, alert.Firing, 12, "33.3 %"}, []any{fired.From, fired.To, fired.N, fired.ValueText})
	// The evaluation that fired is the first one planned after the
	// breaches were there: within one interval of them.
	require.LessOrEqual(t, fired.At.Sub(produced), every+time.Second, "fired at %s, breaches at %s", fired.At, produced)
	posts := waitPosts(1)
	require.Equal(t, store.NotifyAlertFiring, posts[0].Body.Kind)
	require.Equal(t, activities.AlertIdempotencyKey(fired.ID), posts[0].Key)

	// The worker goes away while the rule fires; the schedule's runs wait
	// (or are skipped while one waits). Meanwhile the rate falls: 40 more
	// on time, 4 of 52 is 7.7 %. Another worker takes over.
	e.restartWorker(func() {
		seedInvestigateSpans(t, st, "calm", time.Now().UTC(), 40, 0)
		time.Sleep(2 * every)
	})
	waitState(alert.Resolved, 3*every+20*time.Second)
	posts = waitPosts(2)
	// Let any repeat arrive before counting.
	time.Sleep(2 * every)
	posts = hooks.all()
	require.Len(t, posts, 2, "one POST per change: %+v", posts)
	require.Equal(t, store.NotifyAlertResolved, posts[1].Body.Kind)
	require.NotEqual(t, posts[0].Key, posts[1].Key)
	events, err = olga.ListAlertEvents(ctx, apiv1.ListAlertEventsParams{ID: rule.ID})
	require.NoError(t, err)
	require.Len(t, events.Events, 2, "ok → firing → resolved, nothing twice")
	require.Equal(t, []any{alert.Firing, alert.Resolved}, []any{events.Events[0].From, events.Events[0].To})
	require.Equal(t, activities.AlertIdempotencyKey(events.Events[0].ID), posts[1].Key)
	// Its author was told in the app once per change.
	ns, err := st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: owner.Actor.ID})
	require.NoError(t, err)
	require.Len(t, ns, 2)

	// Deleting the rule deletes its schedule.
	_, err = olga.DeleteAlertRule(ctx, apiv1.AlertIDParams{ID: rule.ID})
	require.NoError(t, err)
	_, err = c.ScheduleClient().GetHandle(ctx, rule.Schedule).Describe(ctx)
	require.Error(t, err)
}
