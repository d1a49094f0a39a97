package normalize

import (
	"encoding/json"
	"fmt"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/store"
)

// Alert rules and their events page like cases (decision 0040).
const (
	AlertLimitDefault = 50
	AlertLimitMax     = 500
)

// AlertJSON is the JSON a rule keeps of its definition.
type AlertJSON struct {
	Scope, Condition, Notify []byte
}

// EncodeAlert encodes a rule's scope, condition and notify list.
func EncodeAlert(r store.AlertRule) (AlertJSON, error) {
	scope, err := json.Marshal(r.Scope)
	if err != nil {
		return AlertJSON{}, fmt.Errorf("alert rule %s scope: %w", r.ID, err)
	}
	cond, err := json.Marshal(r.Condition)
	if err != nil {
		return AlertJSON{}, fmt.Errorf("alert rule %s condition: %w", r.ID, err)
	}
	return AlertJSON{Scope: scope, Condition: cond, Notify: Strings(r.Notify)}, nil
}

// DecodeAlert decodes what EncodeAlert encoded into r.
func DecodeAlert(r *store.AlertRule, j AlertJSON) error {
	if err := json.Unmarshal(j.Scope, &r.Scope); err != nil {
		return fmt.Errorf("alert rule %s scope: %w", r.ID, err)
	}
	if err := json.Unmarshal(j.Condition, &r.Condition); err != nil {
		return fmt.Errorf("alert rule %s condition: %w", r.ID, err)
	}
	var err error
	if r.Notify, err = ParseStrings(j.Notify); err != nil {
		return fmt.Errorf("alert rule %s notify: %w", r.ID, err)
	}
	return nil
}

// AlertEvaluation applies one evaluation, later than the rule's last one,
// to a rule: the rule after it (its next state by alert.Next, the
// evaluation as its last, the acknowledgement cleared unless it is still
// firing) and the event of its state change, nil when the state stays.
// The change is Notified when alert.Notifies and the rule is not silenced
// at the evaluation, Silenced when it notifies but the rule is.
func AlertEvaluation(r store.AlertRule, ev store.AlertEvaluation) (store.AlertRule, *store.AlertEvent) {
	next := alert.Next(alert.State{Name: r.State, Since: r.StateSince, PendingSince: r.PendingSince}, ev.Outcome, ev.At, r.Pending)
	out := r
	last := ev
	out.Last = &last
	out.State, out.StateSince, out.PendingSince = next.Name, next.Since, next.PendingSince
	if next.Name != alert.Firing {
		out.AcknowledgedBy, out.AcknowledgedAt = "", nil
	}
	if next.Name == r.State {
		return out, nil
	}
	out.Seq++
	notifies, silenced := alert.Notifies(r.State, next.Name), r.Silenced(ev.At)
	return out, &store.AlertEvent{
		ID: store.AlertEventID(r.ID, out.Seq), RuleID: r.ID, Seq: out.Seq, At: ev.At, From: r.State, To: next.Name,
		Value: ev.Value, N: ev.N, Baseline: ev.Baseline, BaselineN: ev.BaselineN, Message: ev.Message,
		Notified: notifies && !silenced, Silenced: notifies && silenced,
	}
}

// AlertNotifications are the in-app notifications of an event told
// (Notified), one for each of actors: alert.firing or alert.resolved by
// the state entered, with an id of the event and the actor, so a retried
// write inserts each once.
func AlertNotifications(r store.AlertRule, e store.AlertEvent, actors []string) []store.Notification {
	if !e.Notified {
		return nil
	}
	kind := store.NotifyAlertFiring
	if e.To != alert.Firing {
		kind = store.NotifyAlertResolved
	}
	scope := r.Scope
	out := make([]store.Notification, 0, len(actors))
	for _, a := range actors {
		out = append(out, store.Notification{
			ID: store.NotificationID(kind, e.ID, a, 0), ActorID: a, Kind: kind,
			Details: store.NotificationDetails{
				Alert: r.ID, AlertName: r.Name, Metric: r.Metric, Scope: &scope, Value: e.Value, Message: e.Message,
			},
			CreatedAt: e.At, Delivery: store.DeliveryPending,
		})
	}
	return out
}
