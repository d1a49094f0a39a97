package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/store"
)

// Alert rules (decision 0040).

func alertRule(id string, pending time.Duration) store.AlertRule {
	return store.AlertRule{
		ID: id, Name: "Breaches of " + id, Metric: "sla_breach_rate",
		Scope:     alert.Scope{Flow: "complaint", Version: 1, Step: "investigate"},
		Condition: alert.Condition{Op: alert.Above, Value: 0.2}, Window: time.Hour, MinSample: 10, Pending: pending,
		Every: time.Minute, WebhookURL: "https://hooks.example/alerts", Notify: []string{"ann"}, CreatedBy: "owner", CreatedAt: t0,
	}
}

func createAlertRule(t *testing.T, s store.Store, r store.AlertRule) store.AlertRule {
	t.Helper()
	out, err := s.CreateAlertRule(context.Background(), r)
	require.NoError(t, err)
	return out
}

func ruleIDs(rs []store.AlertRule) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func eventKeys(es []store.AlertEvent) []string {
	var out []string
	for _, e := range es {
		out = append(out, fmt.Sprintf("%s/%d", e.RuleID, e.Seq))
	}
	return out
}

// evaluation is one evaluation at t0+d.
func evaluation(d time.Duration, outcome string, v float64) store.AlertEvaluation {
	return store.AlertEvaluation{At: at(d), Outcome: outcome, Value: ptr(v), N: 20, Baseline: ptr(v / 2), BaselineN: 40,
		Message: fmt.Sprintf("%s at %s", outcome, d)}
}

// testAlertRules: a rule is created in state ok at revision 1, read,
// listed by id with its filters, changed at its revision only (its state
// kept), acknowledged only when firing, silenced and deleted.
func testAlertRules(t *testing.T, s store.Store) {
	ctx := context.Background()
	r1 := alertRule("r1", 5*time.Minute)
	got, err := s.CreateAlertRule(ctx, r1)
	require.NoError(t, err)
	want := r1
	want.UpdatedAt, want.Revision, want.State, want.StateSince = t0, 1, alert.OK, t0
	require.Equal(t, want, got)
	require.Equal(t, time.UTC, got.CreatedAt.Location())
	_, err = s.CreateAlertRule(ctx, r1)
	require.ErrorIs(t, err, store.ErrConflict, "duplicate id")
	read, err := s.GetAlertRule(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, want, read)
	_, err = s.GetAlertRule(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	// What a rule stands at is not taken from the caller: a new rule is ok.
	r2 := alertRule("r2", 0)
	r2.Scope = alert.Scope{Flow: "returns", Department: "service"}
	r2.Condition = alert.Condition{Op: alert.Rise, Value: 0.2, BaselineWeeks: 4}
	r2.Notify, r2.WebhookURL = nil, ""
	r2.State, r2.Seq, r2.Revision = alert.Firing, 7, 9
	r2.Last = &store.AlertEvaluation{At: at(time.Hour), Outcome: alert.Breach}
	got2 := createAlertRule(t, s, r2)
	require.Equal(t, alert.OK, got2.State)
	require.Equal(t, 0, got2.Seq)
	require.Equal(t, 1, got2.Revision)
	require.Nil(t, got2.Last)
	require.Equal(t, r2.Scope, got2.Scope)
	require.Equal(t, r2.Condition, got2.Condition)
	require.Nil(t, got2.Notify)
	r3 := alertRule("r3", 0)
	r3.Metric, r3.Scope = "csat", alert.Scope{}
	createAlertRule(t, s, r3)

	for _, tc := range []struct {
		name string
		p    store.ListAlertRulesParams
		want []string
	}{
		{"all by id", store.ListAlertRulesParams{}, []string{"r1", "r2", "r3"}},
		{"flow", store.ListAlertRulesParams{Flow: "complaint"}, []string{"r1"}},
		{"state", store.ListAlertRulesParams{State: alert.OK}, []string{"r1", "r2", "r3"}},
		{"no firing", store.ListAlertRulesParams{State: alert.Firing}, nil},
		{"after", store.ListAlertRulesParams{After: "r1"}, []string{"r2", "r3"}},
		{"limit", store.ListAlertRulesParams{Limit: 2}, []string{"r1", "r2"}},
		{"after and limit", store.ListAlertRulesParams{After: "r1", Limit: 1}, []string{"r2"}},
	} {
		rs, err := s.ListAlertRules(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, ruleIDs(rs), tc.name)
	}

	// r2 fires (pending 0): listed as firing; an update keeps its state.
	rec, err := s.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: "r2", Evaluation: evaluation(time.Minute, alert.Breach, 0.5)})
	require.NoError(t, err)
	require.Equal(t, alert.Firing, rec.Rule.State)
	rs, err := s.ListAlertRules(ctx, store.ListAlertRulesParams{State: alert.Firing})
	require.NoError(t, err)
	require.Equal(t, []string{"r2"}, ruleIDs(rs))

	changed := rec.Rule
	changed.Name, changed.Metric = "Waiting at returns", "waiting_p90"
	changed.Scope = alert.Scope{Flow: "complaint", Version: 2, Step: "triage", Department: "legal"}
	changed.Condition = alert.Condition{Op: alert.Fall, Value: 0.5, BaselineWeeks: 2}
	changed.Window, changed.MinSample, changed.Pending, changed.Every = 2*time.Hour, 3, time.Minute, 5*time.Minute
	changed.WebhookURL, changed.Notify = "https://hooks.example/other", []string{"bob", "cy"}
	// Where the rule stands is not the caller's to write.
	changed.State, changed.Seq, changed.CreatedBy, changed.CreatedAt = alert.OK, 0, "someone", at(time.Hour)
	updated, err := s.UpdateAlertRule(ctx, store.UpdateAlertRuleParams{Rule: changed, Revision: 1, At: at(2 * time.Minute)})
	require.NoError(t, err)
	want2 := rec.Rule
	want2.Name, want2.Metric, want2.Scope, want2.Condition = changed.Name, changed.Metric, changed.Scope, changed.Condition
	want2.Window, want2.MinSample, want2.Pending, want2.Every = changed.Window, changed.MinSample, changed.Pending, changed.Every
	want2.WebhookURL, want2.Notify = changed.WebhookURL, changed.Notify
	want2.UpdatedAt, want2.Revision = at(2*time.Minute), 2
	require.Equal(t, want2, updated)
	read, err = s.GetAlertRule(ctx, "r2")
	require.NoError(t, err)
	require.Equal(t, want2, read)
	rs, err = s.ListAlertRules(ctx, store.ListAlertRulesParams{Flow: "complaint"})
	require.NoError(t, err)
	require.Equal(t, []string{"r1", "r2"}, ruleIDs(rs), "listed by its new flow")

	_, err = s.UpdateAlertRule(ctx, store.UpdateAlertRuleParams{Rule: changed, Revision: 1, At: at(3 * time.Minute)})
	require.ErrorIs(t, err, store.ErrConflict, "a stale revision")
	read, err = s.GetAlertRule(ctx, "r2")
	require.NoError(t, err)
	require.Equal(t, want2, read, "a conflict changes nothing")
	ghost := changed
	ghost.ID = "nope"
	_, err = s.UpdateAlertRule(ctx, store.UpdateAlertRuleParams{Rule: ghost, Revision: 1, At: at(3 * time.Minute)})
	require.ErrorIs(t, err, store.ErrNotFound)

	// Acknowledge: a firing rule only.
	_, err = s.AcknowledgeAlert(ctx, "r1", "ann", at(3*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict, "r1 is ok")
	_, err = s.AcknowledgeAlert(ctx, "nope", "ann", at(3*time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
	acked, err := s.AcknowledgeAlert(ctx, "r2", "ann", at(3*time.Minute))
	require.NoError(t, err)
	require.Equal(t, "ann", acked.AcknowledgedBy)
	require.Equal(t, ptr(at(3*time.Minute)), acked.AcknowledgedAt)
	require.Equal(t, alert.Firing, acked.State)

	// Silence until a time, then lift it.
	silenced, err := s.SilenceAlert(ctx, "r1", ptr(at(time.Hour)))
	require.NoError(t, err)
	require.Equal(t, ptr(at(time.Hour)), silenced.SilencedUntil)
	require.True(t, silenced.Silenced(at(59*time.Minute)))
	require.False(t, silenced.Silenced(at(time.Hour)))
	read, err = s.GetAlertRule(ctx, "r1")
	require.NoError(t, err)
	require.Equal(t, silenced, read)
	lifted, err := s.SilenceAlert(ctx, "r1", nil)
	require.NoError(t, err)
	require.Nil(t, lifted.SilencedUntil)
	_, err = s.SilenceAlert(ctx, "nope", nil)
	require.ErrorIs(t, err, store.ErrNotFound)

	require.NoError(t, s.DeleteAlertRule(ctx, "r3"))
	_, err = s.GetAlertRule(ctx, "r3")
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorIs(t, s.DeleteAlertRule(ctx, "r3"), store.ErrNotFound)
	_, err = s.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: "r3", Evaluation: evaluation(time.Hour, alert.Breach, 1)})
	require.ErrorIs(t, err, store.ErrNotFound, "the rule is gone")
}

// alertNotices are an actor's alert notifications, oldest first.
func alertNotices(t *testing.T, s store.Store, actor string) []store.Notification {
	t.Helper()
	ns, err := s.ListNotifications(context.Background(), store.ListNotificationsParams{ActorID: actor, Limit: 500})
	require.NoError(t, err)
	var out []store.Notification
	for i := len(ns) - 1; i >= 0; i-- {
		if k := ns[i].Kind; k == store.NotifyAlertFiring || k == store.NotifyAlertResolved {
			out = append(out, ns[i])
		}
	}
	return out
}

// testAlertEvaluations: a rule's evaluations move it ok → pending →
// firing → resolved → pending → ok (pending time 10 minutes) and ok →
// firing → resolved (none), with an event per change; a change that fires
// or resolves notifies each recipient who is an actor once, unless the
// rule is silenced; an evaluation at or before the last one is a
// duplicate that changes nothing; the acknowledgement goes when the rule
// stops firing; deleting a rule deletes its events.
func testAlertEvaluations(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"ann", "bob"} {
		_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, At: t0})
		require.NoError(t, err)
	}
	// ghost is no actor: told nobody; ann named twice: told once.
	recipients := []string{"ann", "bob", "ghost", "ann"}
	rule := createAlertRule(t, s, alertRule("r1", 10*time.Minute))
	record := func(rule string, ev store.AlertEvaluation) store.AlertRecorded {
		t.Helper()
		out, err := s.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: rule, Evaluation: ev, Recipients: recipients})
		require.NoError(t, err)
		got, err := s.GetAlertRule(ctx, rule)
		require.NoError(t, err)
		require.Equal(t, got, out.Rule, "the rule returned is the rule stored")
		return out
	}
	event := func(seq int, ev store.AlertEvaluation, from, to string, notified, silenced bool) *store.AlertEvent {
		return &store.AlertEvent{ID: store.AlertEventID("r1", seq), RuleID: "r1", Seq: seq, At: ev.At, From: from, To: to,
			Value: ev.Value, N: ev.N, Baseline: ev.Baseline, BaselineN: ev.BaselineN, Message: ev.Message,
			Notified: notified, Silenced: silenced}
	}

	// ok, clear: nothing changes but the last evaluation.
	ev := evaluation(time.Minute, alert.Clear, 0.1)
	rec := record("r1", ev)
	require.False(t, rec.Duplicate)
	require.Nil(t, rec.Event)
	want := rule
	want.Last = &ev
	require.Equal(t, want, rec.Rule)

	// A breach: pending since then.
	ev = evaluation(2*time.Minute, alert.Breach, 0.3)
	rec = record("r1", ev)
	require.Equal(t, event(1, ev, alert.OK, alert.Pending, false, false), rec.Event)
	want.State, want.StateSince, want.PendingSince, want.Seq, want.Last = alert.Pending, at(2*time.Minute), ptr(at(2*time.Minute)), 1, &ev
	require.Equal(t, want, rec.Rule)
	ev1 := rec.Event

	// Still pending 5 minutes in.
	ev = evaluation(7*time.Minute, alert.Breach, 0.3)
	rec = record("r1", ev)
	require.Nil(t, rec.Event)
	want.Last = &ev
	require.Equal(t, want, rec.Rule)
	require.Empty(t, alertNotices(t, s, "ann"), "pending notifies nobody")

	// Firing once it has held 10 minutes: told to ann and bob.
	ev = evaluation(12*time.Minute, alert.Breach, 0.4)
	rec = record("r1", ev)
	require.Equal(t, event(2, ev, alert.Pending, alert.Firing, true, false), rec.Event)
	want.State, want.StateSince, want.Seq, want.Last = alert.Firing, at(12*time.Minute), 2, &ev
	require.Equal(t, want, rec.Rule, "pending since the first breach")
	firing, ev2 := rec.Rule, rec.Event
	for _, actor := range []string{"ann", "bob"} {
		ns := alertNotices(t, s, actor)
		require.Len(t, ns, 1, actor)
		n := ns[0]
		require.Equal(t, store.NotificationID(store.NotifyAlertFiring, ev2.ID, actor, 0), n.ID)
		require.Equal(t, store.NotifyAlertFiring, n.Kind)
		require.Equal(t, actor, n.ActorID)
		require.Equal(t, at(12*time.Minute), n.CreatedAt)
		require.Equal(t, store.DeliveryPending, n.Delivery)
		require.Equal(t, store.NotificationDetails{Alert: "r1", AlertName: "Breaches of r1", Metric: "sla_breach_rate",
			Scope: &alert.Scope{Flow: "complaint", Version: 1, Step: "investigate"}, Value: ptr(0.4), Message: ev.Message}, n.Details)
	}
	_, err := s.ListNotifications(ctx, store.ListNotificationsParams{ActorID: "ghost"})
	require.NoError(t, err)

	// The same evaluation again, and older ones: duplicates with the
	// event of their time, if any; nothing written.
	for _, tc := range []struct {
		name  string
		ev    store.AlertEvaluation
		event *store.AlertEvent
	}{
		{"the same time", evaluation(12*time.Minute, alert.Breach, 0.4), ev2},
		{"the same time, another outcome", evaluation(12*time.Minute, alert.Clear, 0.1), ev2},
		{"older, no change then", evaluation(7*time.Minute, alert.Clear, 0.1), nil},
		{"older, a change then", evaluation(2*time.Minute, alert.Breach, 0.3), ev1},
	} {
		out, err := s.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: "r1", Evaluation: tc.ev, Recipients: recipients})
		require.NoError(t, err, tc.name)
		require.True(t, out.Duplicate, tc.name)
		require.Equal(t, tc.event, out.Event, tc.name)
		require.Equal(t, firing, out.Rule, tc.name)
	}
	require.Len(t, alertNotices(t, s, "ann"), 1, "a duplicate notifies nobody again")
	require.Len(t, alertNotices(t, s, "bob"), 1)

	// Acknowledged; not enough data and an error leave it firing.
	acked, err := s.AcknowledgeAlert(ctx, "r1", "bob", at(13*time.Minute))
	require.NoError(t, err)
	want.AcknowledgedBy, want.AcknowledgedAt = "bob", ptr(at(13*time.Minute))
	require.Equal(t, want, acked)
	for i, outcome := range []string{alert.Insufficient, alert.Failed} {
		ev = evaluation(time.Duration(14+i)*time.Minute, outcome, 0)
		ev.Value = nil
		rec = record("r1", ev)
		require.Nil(t, rec.Event, outcome)
		want.Last = &ev
		require.Equal(t, want, rec.Rule, outcome)
	}

	// Clear: resolved, told, the acknowledgement gone.
	ev = evaluation(16*time.Minute, alert.Clear, 0.1)
	rec = record("r1", ev)
	require.Equal(t, event(3, ev, alert.Firing, alert.Resolved, true, false), rec.Event)
	want.State, want.StateSince, want.PendingSince, want.Seq, want.Last = alert.Resolved, at(16*time.Minute), nil, 3, &ev
	want.AcknowledgedBy, want.AcknowledgedAt = "", nil
	require.Equal(t, want, rec.Rule)
	ev3 := rec.Event
	for _, actor := range []string{"ann", "bob"} {
		ns := alertNotices(t, s, actor)
		require.Len(t, ns, 2, actor)
		require.Equal(t, store.NotifyAlertResolved, ns[1].Kind)
		require.Equal(t, store.NotificationID(store.NotifyAlertResolved, ev3.ID, actor, 0), ns[1].ID)
		require.Equal(t, ptr(0.1), ns[1].Details.Value)
	}
	_, err = s.AcknowledgeAlert(ctx, "r1", "bob", at(16*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict, "resolved is not firing")

	// Breach again: pending; then not enough data: back to ok. Neither
	// notifies.
	ev = evaluation(17*time.Minute, alert.Breach, 0.3)
	rec = record("r1", ev)
	require.Equal(t, event(4, ev, alert.Resolved, alert.Pending, false, false), rec.Event)
	require.Equal(t, ptr(at(17*time.Minute)), rec.Rule.PendingSince)
	ev = evaluation(20*time.Minute, alert.Insufficient, 0)
	rec = record("r1", ev)
	require.Equal(t, event(5, ev, alert.Pending, alert.OK, false, false), rec.Event)
	require.Equal(t, alert.OK, rec.Rule.State)
	require.Nil(t, rec.Rule.PendingSince)
	require.Len(t, alertNotices(t, s, "ann"), 2)

	// Pending 0 and silenced until 30m: ok → firing → resolved untold
	// (Silenced), firing again after the silence told.
	createAlertRule(t, s, alertRule("r0", 0))
	_, err = s.SilenceAlert(ctx, "r0", ptr(at(30*time.Minute)))
	require.NoError(t, err)
	rec = record("r0", evaluation(20*time.Minute, alert.Breach, 0.5))
	require.Equal(t, alert.Firing, rec.Rule.State)
	require.Equal(t, ptr(at(20*time.Minute)), rec.Rule.PendingSince)
	require.Equal(t, at(20*time.Minute), rec.Rule.StateSince)
	require.Equal(t, alert.OK, rec.Event.From)
	require.Equal(t, alert.Firing, rec.Event.To)
	require.False(t, rec.Event.Notified)
	require.True(t, rec.Event.Silenced)
	rec = record("r0", evaluation(25*time.Minute, alert.Clear, 0.1))
	require.Equal(t, alert.Resolved, rec.Event.To)
	require.False(t, rec.Event.Notified)
	require.True(t, rec.Event.Silenced)
	require.Len(t, alertNotices(t, s, "ann"), 2, "a silenced rule tells nobody")
	rec = record("r0", evaluation(31*time.Minute, alert.Breach, 0.6))
	require.Equal(t, 3, rec.Event.Seq)
	require.True(t, rec.Event.Notified)
	require.False(t, rec.Event.Silenced)
	ns := alertNotices(t, s, "ann")
	require.Len(t, ns, 3)
	require.Equal(t, "r0", ns[2].Details.Alert)

	// The events: a rule's newest first by seq; every rule's since a time
	// newest first by (at, rule, seq).
	for _, tc := range []struct {
		name string
		p    store.ListAlertEventsParams
		want []string
	}{
		{"a rule's", store.ListAlertEventsParams{RuleID: "r1"}, []string{"r1/5", "r1/4", "r1/3", "r1/2", "r1/1"}},
		{"before", store.ListAlertEventsParams{RuleID: "r1", Before: 3}, []string{"r1/2", "r1/1"}},
		{"limit", store.ListAlertEventsParams{RuleID: "r1", Limit: 2}, []string{"r1/5", "r1/4"}},
		{"before and limit", store.ListAlertEventsParams{RuleID: "r1", Before: 5, Limit: 1}, []string{"r1/4"}},
		{"none", store.ListAlertEventsParams{RuleID: "nope"}, nil},
		{"every rule's since", store.ListAlertEventsParams{From: ptr(at(17 * time.Minute))},
			[]string{"r0/3", "r0/2", "r0/1", "r1/5", "r1/4"}},
		{"every rule's since, limit", store.ListAlertEventsParams{From: ptr(at(17 * time.Minute)), Limit: 3},
			[]string{"r0/3", "r0/2", "r0/1"}},
		{"every rule's", store.ListAlertEventsParams{},
			[]string{"r0/3", "r0/2", "r0/1", "r1/5", "r1/4", "r1/3", "r1/2", "r1/1"}},
	} {
		es, err := s.ListAlertEvents(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, eventKeys(es), tc.name)
	}
	es, err := s.ListAlertEvents(ctx, store.ListAlertEventsParams{RuleID: "r1", Before: 3, Limit: 1})
	require.NoError(t, err)
	require.Equal(t, []store.AlertEvent{*ev2}, es)
	got, err := s.GetAlertEvent(ctx, ev3.ID)
	require.NoError(t, err)
	require.Equal(t, *ev3, got)
	require.Equal(t, time.UTC, got.At.Location())
	_, err = s.GetAlertEvent(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	// Deleting a rule deletes its events (its notifications stay).
	require.NoError(t, s.DeleteAlertRule(ctx, "r1"))
	es, err = s.ListAlertEvents(ctx, store.ListAlertEventsParams{RuleID: "r1"})
	require.NoError(t, err)
	require.Empty(t, es)
	_, err = s.GetAlertEvent(ctx, ev2.ID)
	require.ErrorIs(t, err, store.ErrNotFound)
	es, err = s.ListAlertEvents(ctx, store.ListAlertEventsParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"r0/3", "r0/2", "r0/1"}, eventKeys(es))
	require.Len(t, alertNotices(t, s, "ann"), 3)
}

// testAlertEvaluationConcurrent: the same evaluation recorded by several
// workers at once is recorded once: one event, one notification per
// recipient; the others are duplicates returning that event.
func testAlertEvaluationConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"ann", "bob"} {
		_, err := s.CreateActor(ctx, store.CreateActorParams{ID: id, Role: store.RoleStaff, At: t0})
		require.NoError(t, err)
	}
	createAlertRule(t, s, alertRule("rc", 0))
	const workers = 8
	for round, ev := range []store.AlertEvaluation{
		evaluation(time.Minute, alert.Breach, 0.5),
		evaluation(2*time.Minute, alert.Clear, 0.1),
	} {
		var wg sync.WaitGroup
		outs := make([]store.AlertRecorded, workers)
		errs := make([]error, workers)
		for i := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outs[i], errs[i] = s.RecordAlertEvaluation(ctx, store.RecordAlertParams{RuleID: "rc", Evaluation: ev,
					Recipients: []string{"ann", "bob"}})
			}()
		}
		wg.Wait()
		first := 0
		for i := range workers {
			require.NoError(t, errs[i], "round %d worker %d", round, i)
			if !outs[i].Duplicate {
				first++
			}
			require.NotNil(t, outs[i].Event, "round %d worker %d", round, i)
			require.Equal(t, store.AlertEventID("rc", round+1), outs[i].Event.ID, "round %d worker %d", round, i)
			require.Equal(t, round+1, outs[i].Rule.Seq, "round %d worker %d", round, i)
		}
		require.Equal(t, 1, first, "round %d: recorded once", round)
		es, err := s.ListAlertEvents(ctx, store.ListAlertEventsParams{RuleID: "rc"})
		require.NoError(t, err)
		require.Len(t, es, round+1)
		for _, actor := range []string{"ann", "bob"} {
			require.Len(t, alertNotices(t, s, actor), round+1, "round %d: %s told once", round, actor)
		}
	}
	r, err := s.GetAlertRule(ctx, "rc")
	require.NoError(t, err)
	require.Equal(t, alert.Resolved, r.State)
}

// testAlertCounts: the open tasks of a scope now, and the escalations
// (task.escalate audit entries) of a scope in [From, To): flow and version
// the case's, step and department the entry's.
func testAlertCounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	c2 := caseParams("c2", "")
	c2.Version = 2
	c3 := caseParams("c3", "")
	c3.Flow = "returns"
	createCase(t, s, "c1")
	for _, p := range []store.CreateCaseParams{c2, c3} {
		_, _, err := s.CreateCase(ctx, p)
		require.NoError(t, err)
	}
	task := func(id, caseID string, seq int, flow string, version int, step, dept string) {
		p := taskParams(id, caseID, seq)
		p.Flow, p.Version, p.Step, p.Department = flow, version, step, dept
		openTask(t, s, p)
	}
	task("t1", "c1", 1, "complaint", 1, "investigate", "service")
	task("t2", "c1", 2, "complaint", 1, "investigate", "legal")
	task("t3", "c2", 1, "complaint", 2, "investigate", "service")
	task("t4", "c3", 1, "returns", 1, "refund", "service")
	task("t5", "c1", 3, "complaint", 1, "investigate", "service")
	_, err := s.CancelTask(ctx, store.CancelTaskParams{ID: "t5", At: at(time.Hour)})
	require.NoError(t, err)

	for _, tc := range []struct {
		name string
		p    store.TaskScope
		want int
	}{
		{"all open", store.TaskScope{}, 4},
		{"flow", store.TaskScope{Flow: "complaint"}, 3},
		{"flow and version", store.TaskScope{Flow: "complaint", Version: 1}, 2},
		{"step and department", store.TaskScope{Flow: "complaint", Version: 1, Step: "investigate", Department: "service"}, 1},
		{"department", store.TaskScope{Department: "service"}, 3},
		{"step", store.TaskScope{Flow: "returns", Step: "refund"}, 1},
		{"times do not bound it", store.TaskScope{Flow: "complaint", From: ptr(at(48 * time.Hour)), To: ptr(at(49 * time.Hour))}, 3},
		{"no match", store.TaskScope{Flow: "nope"}, 0},
	} {
		n, err := s.CountOpenTasks(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, n, tc.name)
	}

	escalate := func(d time.Duration, caseID, action, step, dept string) {
		details, err := json.Marshal(map[string]any{"level": 1, "step": step, "department": dept, "notify": ""})
		require.NoError(t, err)
		require.NoError(t, s.AppendAudit(ctx, store.AuditEntry{At: at(d), Actor: "system", Action: action,
			Object: "task:x", CaseID: caseID, Details: details}))
	}
	escalate(10*time.Minute, "c1", "task.escalate", "investigate", "service")
	escalate(20*time.Minute, "c1", "task.escalate", "investigate", "legal")
	escalate(30*time.Minute, "c2", "task.escalate", "investigate", "service")
	escalate(40*time.Minute, "c3", "task.escalate", "refund", "service")
	escalate(15*time.Minute, "c1", "task.complete", "investigate", "service")
	escalate(time.Hour, "c1", "task.escalate", "investigate", "service")
	from, to := ptr(t0), ptr(at(time.Hour))
	for _, tc := range []struct {
		name string
		p    store.TaskScope
		want int
	}{
		{"all in the window", store.TaskScope{From: from, To: to}, 4},
		{"no bounds", store.TaskScope{}, 5},
		{"flow", store.TaskScope{Flow: "complaint", From: from, To: to}, 3},
		{"flow and version", store.TaskScope{Flow: "complaint", Version: 1, From: from, To: to}, 2},
		{"step and department", store.TaskScope{Flow: "complaint", Step: "investigate", Department: "service", From: from, To: to}, 2},
		{"department", store.TaskScope{Department: "legal", From: from, To: to}, 1},
		{"step", store.TaskScope{Step: "refund", From: from, To: to}, 1},
		{"from inclusive, to exclusive", store.TaskScope{From: ptr(at(10 * time.Minute)), To: ptr(at(20 * time.Minute))}, 1},
		{"no match", store.TaskScope{Flow: "nope", From: from, To: to}, 0},
	} {
		n, err := s.CountEscalations(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, n, tc.name)
	}
}

// testSpansByCompletion: ListSpans narrows to a step, a department and a
// completion window ([CompletedFrom, CompletedTo)), as the alert rules'
// evaluations read them.
func testSpansByCompletion(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(caseID string, seq int, flow string, version int, step, dept string, entered, completed time.Duration) store.Span {
		return store.Span{CaseID: caseID, Seq: seq, Flow: flow, Version: version, Step: step, Kind: "task", Department: dept,
			EnteredAt: at(entered), CompletedAt: at(completed), Outcome: "ok", Actor: "ann"}
	}
	for _, sp := range []store.Span{
		mk("c1", 1, "complaint", 1, "investigate", "service", 0, 10*time.Minute),
		mk("c1", 2, "complaint", 1, "investigate", "legal", 5*time.Minute, 20*time.Minute),
		mk("c2", 1, "complaint", 2, "investigate", "service", time.Minute, 30*time.Minute),
		mk("c3", 1, "returns", 1, "refund", "service", 2*time.Minute, 40*time.Minute),
	} {
		require.NoError(t, s.RecordSpan(ctx, sp))
	}
	for _, tc := range []struct {
		name string
		f    store.SpanFilter
		want []string
	}{
		{"completed from, inclusive", store.SpanFilter{CompletedFrom: ptr(at(10 * time.Minute))}, []string{"c1/1", "c2/1", "c3/1", "c1/2"}},
		{"completed from a nanosecond later", store.SpanFilter{CompletedFrom: ptr(at(10*time.Minute + 1))}, []string{"c2/1", "c3/1", "c1/2"}},
		{"completed to, exclusive", store.SpanFilter{CompletedTo: ptr(at(20 * time.Minute))}, []string{"c1/1"}},
		{"completed to a nanosecond later", store.SpanFilter{CompletedTo: ptr(at(20*time.Minute + 1))}, []string{"c1/1", "c1/2"}},
		{"completion window", store.SpanFilter{CompletedFrom: ptr(at(10 * time.Minute)), CompletedTo: ptr(at(30 * time.Minute))}, []string{"c1/1", "c1/2"}},
		{"step", store.SpanFilter{Step: "investigate"}, []string{"c1/1", "c2/1", "c1/2"}},
		{"department", store.SpanFilter{Department: "legal"}, []string{"c1/2"}},
		{"a rule's scope", store.SpanFilter{Flow: "complaint", Step: "investigate", Department: "service",
			CompletedFrom: ptr(t0), CompletedTo: ptr(at(time.Hour))}, []string{"c1/1", "c2/1"}},
		{"a rule's scope and version", store.SpanFilter{Flow: "complaint", Version: 1, Step: "investigate",
			CompletedFrom: ptr(t0), CompletedTo: ptr(at(time.Hour))}, []string{"c1/1", "c1/2"}},
		{"entered and completed", store.SpanFilter{From: ptr(at(time.Minute)), CompletedTo: ptr(at(40 * time.Minute))}, []string{"c2/1", "c1/2"}},
	} {
		got, err := s.ListSpans(ctx, tc.f)
		require.NoError(t, err, tc.name)
		var keys []string
		for _, sp := range got {
			keys = append(keys, fmt.Sprintf("%s/%d", sp.CaseID, sp.Seq))
		}
		require.Equal(t, tc.want, keys, tc.name)
	}
}
