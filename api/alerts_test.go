package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// seedStepSpans records n completed task spans of complaint's step, the
// first breached of them past their SLA, all completed in the minute
// before at (entered an hour and a half before).
func seedStepSpans(t testing.TB, st store.Store, step string, at time.Time, n, breached int) {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		done := at.Add(-time.Duration(i+1) * time.Second)
		entered := done.Add(-90 * time.Minute)
		due := entered.Add(2 * time.Hour)
		if i < breached {
			due = entered.Add(time.Hour)
		}
		claimed := entered.Add(10 * time.Minute)
		sp := store.Span{CaseID: fmt.Sprintf("%s-%s-%d", step, at.Format("0102T1504"), i), Seq: 1, Flow: "complaint", Version: 1, Step: step,
			Kind: "task", Department: "technical", EnteredAt: entered, ClaimedAt: &claimed, CompletedAt: done, Outcome: "done",
			SLADue: &due, Breached: i < breached, Actor: "tess"}
		require.NoError(t, st.RecordSpan(ctx, sp))
	}
}

func createAlert(t testing.TB, e *testEnv, as string, body map[string]any) apiv1.AlertRule {
	t.Helper()
	res := e.Do(as, http.MethodPost, "/api/v1/alerts", body, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var r apiv1.AlertRule
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &r))
	return r
}

func alertEvents(t testing.TB, e *testEnv, id string) []apiv1.AlertEvent {
	t.Helper()
	res := e.Do("olga", http.MethodGet, "/api/v1/alerts/"+id+"/events", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.AlertEventList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	return out.Events
}

func notificationsOf(t testing.TB, st store.Store, actor string) []store.Notification {
	t.Helper()
	ns, err := st.ListNotifications(context.Background(), store.ListNotificationsParams{ActorID: actor})
	require.NoError(t, err)
	return ns
}

// TestAlertRuleFiresResolvesAndTellsOnce: a threshold rule on the breach
// rate of one step, evaluated as its schedule's runs would, fires, tells
// its author and the department's team lead once, is acknowledged,
// resolves and tells once more; an evaluation repeated at the same time
// records nothing.
func TestAlertRuleFiresResolvesAndTellsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	olga := e.actors["olga"].ID
	e.Actor("tess", store.RoleStaff, "technical")
	e.Actor("carl", store.RoleStaff, "customer_service")
	res := e.Do("admin", http.MethodPost, "/api/v1/tokens", map[string]any{"name": "tina", "role": "staff",
		"departments": []string{"technical"}, "leads": []string{"technical"}}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	var tina apiv1.TokenResponse
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &tina))
	e.Tokens["tina"] = tina.Token

	body := map[string]any{"name": "Investigation breaches", "metric": "sla_breach_rate",
		"scope": map[string]any{"flow": "complaint", "step": "investigate"}, "condition": map[string]any{"op": "above", "value": 0.2},
		"window": "1h", "min_sample": 10, "every": "1m"}

	e.step(t, "bad rules are refused with the field", func(t *testing.T, e *testEnv) {
		servertest.ProblemOf(t, e.Do("tess", http.MethodPost, "/api/v1/alerts", body, nil), http.StatusForbidden)
		for field, edit := range map[string]func(map[string]any){
			"metric":          func(b map[string]any) { b["metric"] = "mood" },
			"scope.step":      func(b map[string]any) { b["scope"] = map[string]any{"flow": "complaint", "step": "nap"} },
			"scope.flow":      func(b map[string]any) { b["scope"] = map[string]any{"flow": "nope", "step": "x"} },
			"condition.value": func(b map[string]any) { b["condition"] = map[string]any{"op": "above", "value": 20} },
			"window":          func(b map[string]any) { delete(b, "window") },
			"every":           func(b map[string]any) { b["every"] = "5s" },
			"webhook_url":     func(b map[string]any) { b["webhook_url"] = "http://10.1.2.3/hook" },
			"notify[0]":       func(b map[string]any) { b["notify"] = []string{"nobody"} },
		} {
			b := map[string]any{}
			for k, v := range body {
				b[k] = v
			}
			edit(b)
			p := servertest.ProblemOf(t, e.Do("olga", http.MethodPost, "/api/v1/alerts", b, nil), http.StatusUnprocessableEntity)
			require.NotEmpty(t, p.Errors, field)
			require.Equal(t, field, p.Errors[0].Field, p.Errors[0].Message)
		}
	})

	rule := createAlert(t, e, "olga", body)
	require.Equal(t, alert.OK, rule.State)
	require.Equal(t, "technical", rule.Department, "the step's department")
	require.Equal(t, "SLA breach rate above 20.0 % over 1h", rule.ConditionText)
	require.Equal(t, time.Minute, e.eng.ScheduleIntervals()[rule.ID], "its schedule")

	t0 := time.Now().UTC().Truncate(time.Minute)
	e.step(t, "not enough data is no breach", func(t *testing.T, e *testEnv) {
		seedStepSpans(t, e.st, "investigate", t0, 9, 9)
		_, err := e.eng.EvaluateAlert(ctx, rule.ID, t0)
		require.NoError(t, err)
		r, err := e.st.GetAlertRule(ctx, rule.ID)
		require.NoError(t, err)
		require.Equal(t, alert.OK, r.State)
		require.Equal(t, alert.Insufficient, r.Last.Outcome)
		require.Contains(t, r.Last.Message, "9 completed tasks with an SLA in the window, at least 10 needed")
	})

	t1 := t0.Add(time.Minute)
	e.step(t, "it fires and tells its author and the team lead once", func(t *testing.T, e *testEnv) {
		seedStepSpans(t, e.st, "investigate", t1, 3, 0) // 9 of 12 breached
		res, err := e.eng.EvaluateAlert(ctx, rule.ID, t1)
		require.NoError(t, err)
		require.Equal(t, alert.Firing, res.To)
		again, err := e.eng.EvaluateAlert(ctx, rule.ID, t1)
		require.NoError(t, err)
		require.Equal(t, res.EventID, again.EventID, "the same time again returns the change it made")
		ev := alertEvents(t, e, rule.ID)
		require.Len(t, ev, 1)
		require.Equal(t, []any{alert.OK, alert.Firing, 12, "75.0 %", true}, []any{ev[0].From, ev[0].To, ev[0].N, ev[0].ValueText, ev[0].Notified})
		for _, who := range []string{olga, tina.Actor.ID} {
			ns := notificationsOf(t, e.st, who)
			require.Len(t, ns, 1, who)
			require.Equal(t, store.NotifyAlertFiring, ns[0].Kind)
			require.Equal(t, rule.ID, ns[0].Details.Alert)
		}
		require.Empty(t, notificationsOf(t, e.st, e.actors["carl"].ID))
	})

	e.step(t, "the banner's list: who it concerns; acknowledging", func(t *testing.T, e *testEnv) {
		mine := func(as string) []apiv1.AlertRule {
			res := e.Do(as, http.MethodGet, "/api/v1/alerts?state=firing&concerning=me", nil, nil)
			require.Equal(t, http.StatusOK, res.Code, res.Body.String())
			var out apiv1.AlertRuleList
			require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
			return out.Rules
		}
		require.Len(t, mine("tess"), 1, "technical staff")
		require.Len(t, mine("olga"), 1)
		require.Empty(t, mine("carl"), "another department")
		servertest.ProblemOf(t, e.Do("tess", http.MethodPost, "/api/v1/alerts/"+rule.ID+"/acknowledge", nil, nil), http.StatusForbidden)
		res := e.Do("tina", http.MethodPost, "/api/v1/alerts/"+rule.ID+"/acknowledge", nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var r apiv1.AlertRule
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &r))
		require.Equal(t, tina.Actor.ID, r.AcknowledgedBy)
		require.Empty(t, r.WebhookURL)
	})

	t2 := t1.Add(time.Minute)
	e.step(t, "it resolves when the rate falls and tells once more", func(t *testing.T, e *testEnv) {
		seedStepSpans(t, e.st, "investigate", t2, 40, 0) // 9 of 52
		res, err := e.eng.EvaluateAlert(ctx, rule.ID, t2)
		require.NoError(t, err)
		require.Equal(t, alert.Resolved, res.To)
		r, err := e.st.GetAlertRule(ctx, rule.ID)
		require.NoError(t, err)
		require.Empty(t, r.AcknowledgedBy, "cleared when it resolves")
		require.Len(t, notificationsOf(t, e.st, olga), 2)
		require.Len(t, notificationsOf(t, e.st, tina.Actor.ID), 2)
		// An older time changes nothing.
		_, err = e.eng.EvaluateAlert(ctx, rule.ID, t1)
		require.NoError(t, err)
		require.Len(t, alertEvents(t, e, rule.ID), 2)
	})

	e.step(t, "silenced, a change is recorded and told to nobody", func(t *testing.T, e *testEnv) {
		res := e.Do("olga", http.MethodPost, "/api/v1/alerts/"+rule.ID+"/silence", map[string]any{"for": "2h"}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		t3 := t2.Add(time.Minute)
		seedStepSpans(t, e.st, "investigate", t3, 60, 60)
		out, err := e.eng.EvaluateAlert(ctx, rule.ID, t3)
		require.NoError(t, err)
		require.Equal(t, alert.Firing, out.To)
		require.False(t, out.Deliver)
		ev := alertEvents(t, e, rule.ID)
		require.True(t, ev[0].Silenced)
		require.False(t, ev[0].Notified)
		require.Len(t, notificationsOf(t, e.st, olga), 2)
	})

	e.step(t, "changes at a revision, deletion takes the schedule", func(t *testing.T, e *testEnv) {
		res := e.Do("olga", http.MethodPatch, "/api/v1/alerts/"+rule.ID, map[string]any{"revision": 1, "every": "5m"}, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.Equal(t, 5*time.Minute, e.eng.ScheduleIntervals()[rule.ID])
		servertest.ProblemOf(t, e.Do("olga", http.MethodPatch, "/api/v1/alerts/"+rule.ID, map[string]any{"revision": 1, "every": "2m"}, nil), http.StatusConflict)
		res = e.Do("olga", http.MethodDelete, "/api/v1/alerts/"+rule.ID, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.NotContains(t, e.eng.ScheduleIntervals(), rule.ID)
		entries, err := e.st.ListAudit(ctx, store.AuditFilter{Object: "alert:" + rule.ID})
		require.NoError(t, err)
		var actions []string
		for _, a := range entries {
			actions = append(actions, a.Action)
		}
		require.Equal(t, []string{"alert.create", "alert.firing", "alert.acknowledge", "alert.resolved", "alert.silence", "alert.firing",
			"alert.update", "alert.delete"}, actions)
	})
}

// TestAlertChangeAgainstBaseline: "up 20 % against the same hours of the
// previous 4 weeks" fires on a 20 % rise and not on a 10 % one, on seeded
// spans (a breach rate of 25 % in each of the four weeks before).
func TestAlertChangeAgainstBaseline(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	at := time.Now().UTC().Truncate(time.Minute)
	for _, step := range []string{"investigate", "feedback"} {
		for k := 1; k <= 4; k++ {
			seedStepSpans(t, e.st, step, at.AddDate(0, 0, -7*k), 20, 5) // 25 %
		}
	}
	seedStepSpans(t, e.st, "investigate", at, 20, 6) // 30 %: up 20 %
	seedStepSpans(t, e.st, "feedback", at, 40, 11)   // 27.5 %: up 10 %
	for step, want := range map[string]string{"investigate": alert.Firing, "feedback": alert.OK} {
		r := createAlert(t, e, "olga", map[string]any{"name": "Breaches up at " + step, "metric": "sla_breach_rate",
			"scope": map[string]any{"flow": "complaint", "step": step}, "condition": map[string]any{"op": "rise", "value": 0.2},
			"window": "1h", "min_sample": 10})
		require.Contains(t, r.ConditionText, "up by 20 % or more against the same hours of the previous 4 weeks")
		_, err := e.eng.EvaluateAlert(ctx, r.ID, at)
		require.NoError(t, err)
		got, err := e.st.GetAlertRule(ctx, r.ID)
		require.NoError(t, err)
		require.Equal(t, want, got.State, "%s: %s", step, got.Last.Message)
		require.InDelta(t, 0.25, *got.Last.Baseline, 1e-12)
		require.Equal(t, 80, got.Last.BaselineN)
	}
}

// TestSyncAlertSchedules: a rule whose schedule is missing gets it back,
// and a schedule whose rule is gone is deleted.
func TestSyncAlertSchedules(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	r := createAlert(t, e, "olga", map[string]any{"name": "Backlog", "metric": "open_backlog", "condition": map[string]any{"op": "above", "value": 50},
		"window": "1h", "every": "2m"})
	require.NoError(t, e.eng.DeleteAlertSchedule(ctx, r.ID))
	require.NoError(t, e.eng.PutAlertSchedule(ctx, "gone", time.Minute))
	deleted, err := SyncAlertSchedules(ctx, e.st, e.eng)
	require.NoError(t, err)
	require.Equal(t, 1, deleted)
	require.Equal(t, map[string]time.Duration{r.ID: 2 * time.Minute}, e.eng.ScheduleIntervals())
}

// TestAlertOnCaseMetrics: rules on the service KPIs read the cases created
// in the window as the KPI page counts them: CSAT below 90 % fires on the
// window's answers (and equals the KPI route's CSAT for the same cases);
// cases started up 50 % against the same hours of the 4 weeks before
// fires on 8 cases against a baseline of 4 a window.
func TestAlertOnCaseMetrics(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 18, 12, 0, 0, 0, time.UTC)
	e := newEnvAt(t, at)
	ctx := context.Background()
	e.Actor("olga", store.RoleOwner)
	var seeds []servertest.SeedCase
	answers := []int{5, 5, 4, 3, 2, 5, 4, 1} // top-2 box: 5 of 8
	for i, a := range answers {
		csat := a
		seeds = append(seeds, servertest.SeedCase{ID: fmt.Sprint("now-", i), Flow: "complaint", Channel: "phone",
			Created: at.Add(-time.Duration(i+1) * 10 * time.Minute), Status: store.CaseCompleted, Closed: 5 * time.Minute, CSAT: &csat})
	}
	for k := 1; k <= 4; k++ {
		for i := range 4 + k%2*2 - 1 { // 5, 3, 5, 3 cases: 4 a week
			seeds = append(seeds, servertest.SeedCase{ID: fmt.Sprintf("w%d-%d", k, i), Flow: "complaint", Channel: "phone",
				Created: at.AddDate(0, 0, -7*k).Add(-time.Duration(i+1) * 10 * time.Minute)})
		}
	}
	e.SeedCases(seeds...)

	csat := createAlert(t, e, "olga", map[string]any{"name": "CSAT low", "metric": "csat", "scope": map[string]any{"flow": "complaint"},
		"condition": map[string]any{"op": "below", "value": 0.9}, "window": "2h", "min_sample": 5})
	_, err := e.eng.EvaluateAlert(ctx, csat.ID, at)
	require.NoError(t, err)
	r, err := e.st.GetAlertRule(ctx, csat.ID)
	require.NoError(t, err)
	require.Equal(t, alert.Firing, r.State, r.Last.Message)
	require.Equal(t, 8, r.Last.N)
	require.InDelta(t, 5.0/8, *r.Last.Value, 1e-12)
	// The KPI route's CSAT over the same cases (its week holds only them).
	k := servertest.DecodeStrict[apiv1.ServiceKPIs](t, e.Do("olga", http.MethodGet, "/api/v1/kpis/service?flow=complaint&from="+
		at.Add(-2*time.Hour).Format(time.RFC3339)+"&to="+at.Format(time.RFC3339), nil, nil), http.StatusOK)
	require.Equal(t, *k.Weeks[len(k.Weeks)-1].All.CSAT.Value, *r.Last.Value)

	started := createAlert(t, e, "olga", map[string]any{"name": "More complaints", "metric": "cases_started",
		"scope": map[string]any{"flow": "complaint"}, "condition": map[string]any{"op": "rise", "value": 0.5}, "window": "2h"})
	_, err = e.eng.EvaluateAlert(ctx, started.ID, at)
	require.NoError(t, err)
	r, err = e.st.GetAlertRule(ctx, started.ID)
	require.NoError(t, err)
	require.Equal(t, alert.Firing, r.State, r.Last.Message)
	require.InDelta(t, 8, *r.Last.Value, 1e-12)
	require.InDelta(t, 4, *r.Last.Baseline, 1e-12, "16 cases in 4 windows")
	require.Equal(t, 16, r.Last.BaselineN)
}
