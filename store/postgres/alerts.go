package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// Alert rules (decision 0040): a rule's definition and where it stands in
// alert_rules, its state changes in alert_events. An evaluation is
// recorded with the rule's row locked (FOR UPDATE), so evaluations of a
// rule, even the same one twice from two workers, are recorded one after
// the other.

const alertRuleCols = `id, name, metric, scope, condition, window_ns, min_sample, pending_ns, every_ns, webhook_url, notify,
	created_by, created_at, updated_at, revision, state, state_since, pending_since, seq,
	last_at, last_outcome, last_value, last_n, last_baseline, last_baseline_n, last_message,
	acknowledged_by, acknowledged_at, silenced_until`

func scanAlertRule(r pgx.Row) (store.AlertRule, error) {
	var (
		x                      store.AlertRule
		j                      normalize.AlertJSON
		window, pending, every int64
		last                   store.AlertEvaluation
		lastAt                 *time.Time
	)
	if err := r.Scan(&x.ID, &x.Name, &x.Metric, &j.Scope, &j.Condition, &window, &x.MinSample, &pending, &every, &x.WebhookURL,
		&j.Notify, &x.CreatedBy, &x.CreatedAt, &x.UpdatedAt, &x.Revision, &x.State, &x.StateSince, &x.PendingSince, &x.Seq,
		&lastAt, &last.Outcome, &last.Value, &last.N, &last.Baseline, &last.BaselineN, &last.Message,
		&x.AcknowledgedBy, &x.AcknowledgedAt, &x.SilencedUntil); err != nil {
		return store.AlertRule{}, err
	}
	if err := normalize.DecodeAlert(&x, j); err != nil {
		return store.AlertRule{}, err
	}
	x.Window, x.Pending, x.Every = time.Duration(window), time.Duration(pending), time.Duration(every)
	x.CreatedAt, x.UpdatedAt, x.StateSince = utc(x.CreatedAt), utc(x.UpdatedAt), utc(x.StateSince)
	x.PendingSince, x.AcknowledgedAt, x.SilencedUntil = utcPtr(x.PendingSince), utcPtr(x.AcknowledgedAt), utcPtr(x.SilencedUntil)
	if lastAt != nil {
		last.At = utc(*lastAt)
		x.Last = &last
	}
	return x, nil
}

const alertEventCols = `id, rule_id, seq, at, from_state, to_state, value, n, baseline, baseline_n, message, notified, silenced`

func scanAlertEvent(r pgx.Row) (store.AlertEvent, error) {
	var e store.AlertEvent
	if err := r.Scan(&e.ID, &e.RuleID, &e.Seq, &e.At, &e.From, &e.To, &e.Value, &e.N, &e.Baseline, &e.BaselineN, &e.Message,
		&e.Notified, &e.Silenced); err != nil {
		return store.AlertEvent{}, err
	}
	e.At = utc(e.At)
	return e, nil
}

// micros is a time as timestamptz keeps it.
func micros(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// CreateAlertRule inserts a rule in state ok; see store.Store.
func (s *Store) CreateAlertRule(ctx context.Context, r store.AlertRule) (store.AlertRule, error) {
	j, err := normalize.EncodeAlert(r)
	if err != nil {
		return store.AlertRule{}, fmt.Errorf("postgres: create alert rule: %w", err)
	}
	out, err := scanAlertRule(s.pool.QueryRow(ctx, `INSERT INTO alert_rules (id, name, metric, scope, flow, condition, window_ns,
			min_sample, pending_ns, every_ns, webhook_url, notify, created_by, created_at, updated_at, state, state_since)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14, $15, $14)
		RETURNING `+alertRuleCols,
		normalize.ID(r.ID), r.Name, r.Metric, string(j.Scope), r.Scope.Flow, string(j.Condition), int64(r.Window), r.MinSample,
		int64(r.Pending), int64(r.Every), r.WebhookURL, string(j.Notify), r.CreatedBy, normalize.Time(r.CreatedAt), alert.OK))
	if err != nil {
		return store.AlertRule{}, mapErr("postgres: create alert rule", err)
	}
	return out, nil
}

// GetAlertRule returns a rule by id.
func (s *Store) GetAlertRule(ctx context.Context, id string) (store.AlertRule, error) {
	r, err := scanAlertRule(s.pool.QueryRow(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1`, id))
	if err != nil {
		return store.AlertRule{}, mapErr("postgres: get alert rule", err)
	}
	return r, nil
}

// ListAlertRules lists rules by id after p.After.
func (s *Store) ListAlertRules(ctx context.Context, p store.ListAlertRulesParams) ([]store.AlertRule, error) {
	var w where
	w.add("id > ?", p.After)
	if p.State != "" {
		w.add("state = ?", p.State)
	}
	if p.Flow != "" {
		w.add("flow = ?", p.Flow)
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.AlertLimitDefault, normalize.AlertLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+alertRuleCols+` FROM alert_rules`+w.String()+` ORDER BY id LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list alert rules", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AlertRule, error) { return scanAlertRule(r) })
	if err != nil {
		return nil, mapErr("postgres: list alert rules", err)
	}
	return out, nil
}

// UpdateAlertRule writes a rule's definition at p.Revision; see
// store.Store.
func (s *Store) UpdateAlertRule(ctx context.Context, p store.UpdateAlertRuleParams) (store.AlertRule, error) {
	r := p.Rule
	j, err := normalize.EncodeAlert(r)
	if err != nil {
		return store.AlertRule{}, fmt.Errorf("postgres: update alert rule: %w", err)
	}
	var out store.AlertRule
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanAlertRule(tx.QueryRow(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1 FOR UPDATE`, r.ID))
		if err != nil {
			return err
		}
		if cur.Revision != p.Revision {
			return fmt.Errorf("alert rule %s is at revision %d, not %d: %w", r.ID, cur.Revision, p.Revision, store.ErrConflict)
		}
		out, err = scanAlertRule(tx.QueryRow(ctx, `UPDATE alert_rules SET name = $2, metric = $3, scope = $4, flow = $5,
				condition = $6, window_ns = $7, min_sample = $8, pending_ns = $9, every_ns = $10, webhook_url = $11, notify = $12,
				updated_at = $13, revision = revision + 1
			WHERE id = $1 RETURNING `+alertRuleCols,
			r.ID, r.Name, r.Metric, string(j.Scope), r.Scope.Flow, string(j.Condition), int64(r.Window), r.MinSample,
			int64(r.Pending), int64(r.Every), r.WebhookURL, string(j.Notify), normalize.Time(p.At)))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("postgres: update alert rule", err)
	}
	return out, nil
}

// DeleteAlertRule deletes a rule and (by cascade) its events.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM alert_rules WHERE id = $1`, id)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("alert rule %s: %w", id, store.ErrNotFound)
	}
	return mapErr("postgres: delete alert rule", err)
}

// AcknowledgeAlert records who acknowledged a firing rule.
func (s *Store) AcknowledgeAlert(ctx context.Context, id, actor string, at time.Time) (store.AlertRule, error) {
	var out store.AlertRule
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanAlertRule(tx.QueryRow(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1 FOR UPDATE`, id))
		if err != nil {
			return err
		}
		if cur.State != alert.Firing {
			return fmt.Errorf("alert rule %s is %s, not firing: %w", id, cur.State, store.ErrConflict)
		}
		out, err = scanAlertRule(tx.QueryRow(ctx, `UPDATE alert_rules SET acknowledged_by = $2, acknowledged_at = $3
			WHERE id = $1 RETURNING `+alertRuleCols, id, actor, normalize.Time(at)))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("postgres: acknowledge alert", err)
	}
	return out, nil
}

// SilenceAlert sets or lifts a rule's silence.
func (s *Store) SilenceAlert(ctx context.Context, id string, until *time.Time) (store.AlertRule, error) {
	out, err := scanAlertRule(s.pool.QueryRow(ctx, `UPDATE alert_rules SET silenced_until = $2 WHERE id = $1 RETURNING `+alertRuleCols,
		id, normalize.TimePtr(until)))
	if err != nil {
		return store.AlertRule{}, mapErr("postgres: silence alert", err)
	}
	return out, nil
}

// RecordAlertEvaluation records one evaluation of a rule with its row
// locked; see store.Store.
func (s *Store) RecordAlertEvaluation(ctx context.Context, p store.RecordAlertParams) (store.AlertRecorded, error) {
	ev := p.Evaluation
	ev.At = micros(normalize.Time(ev.At))
	var out store.AlertRecorded
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanAlertRule(tx.QueryRow(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = $1 FOR UPDATE`, p.RuleID))
		if err != nil {
			return err
		}
		if cur.Last != nil && !ev.At.After(cur.Last.At) {
			out = store.AlertRecorded{Rule: cur, Duplicate: true}
			e, err := scanAlertEvent(tx.QueryRow(ctx, `SELECT `+alertEventCols+` FROM alert_events
				WHERE rule_id = $1 AND at = $2 ORDER BY seq DESC LIMIT 1`, cur.ID, ev.At))
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			out.Event = &e
			return err
		}
		next, e := normalize.AlertEvaluation(cur, ev)
		l := next.Last
		if out.Rule, err = scanAlertRule(tx.QueryRow(ctx, `UPDATE alert_rules SET state = $2, state_since = $3, pending_since = $4,
				seq = $5, last_at = $6, last_outcome = $7, last_value = $8, last_n = $9, last_baseline = $10, last_baseline_n = $11,
				last_message = $12, acknowledged_by = $13, acknowledged_at = $14
			WHERE id = $1 RETURNING `+alertRuleCols,
			cur.ID, next.State, next.StateSince, next.PendingSince, next.Seq, l.At, l.Outcome, l.Value, l.N, l.Baseline,
			l.BaselineN, l.Message, next.AcknowledgedBy, next.AcknowledgedAt)); err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		stored, err := scanAlertEvent(tx.QueryRow(ctx, `INSERT INTO alert_events (id, rule_id, seq, at, from_state, to_state,
				value, n, baseline, baseline_n, message, notified, silenced)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING `+alertEventCols,
			e.ID, e.RuleID, e.Seq, e.At, e.From, e.To, e.Value, e.N, e.Baseline, e.BaselineN, e.Message, e.Notified, e.Silenced))
		if err != nil {
			return err
		}
		out.Event = &stored
		if !e.Notified || len(p.Recipients) == 0 {
			return nil
		}
		// Only people who are actors are told: a rule may name someone
		// who is not (any more), and one such name must not stop the
		// others' notifications nor the evaluation.
		rows, err := tx.Query(ctx, `SELECT id FROM actors WHERE id = ANY($1) ORDER BY id`, p.Recipients)
		if err != nil {
			return err
		}
		actors, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		return insertNotifications(ctx, tx, normalize.AlertNotifications(out.Rule, stored, actors))
	})
	if err != nil {
		return store.AlertRecorded{}, mapErr("postgres: record alert evaluation", err)
	}
	return out, nil
}

// ListAlertEvents lists a rule's events newest first by seq, or every
// rule's since p.From newest first by (at, rule, seq).
func (s *Store) ListAlertEvents(ctx context.Context, p store.ListAlertEventsParams) ([]store.AlertEvent, error) {
	var w where
	order := "at DESC, rule_id, seq DESC"
	if p.RuleID != "" {
		w.add("rule_id = ?", p.RuleID)
		if p.Before > 0 {
			w.add("seq < ?", p.Before)
		}
		order = "seq DESC"
	}
	if p.From != nil {
		w.add("at >= ?", bound(*p.From))
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.AlertLimitDefault, normalize.AlertLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+alertEventCols+` FROM alert_events`+w.String()+` ORDER BY `+order+` LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list alert events", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AlertEvent, error) { return scanAlertEvent(r) })
	if err != nil {
		return nil, mapErr("postgres: list alert events", err)
	}
	return out, nil
}

// GetAlertEvent returns an event by id.
func (s *Store) GetAlertEvent(ctx context.Context, id string) (store.AlertEvent, error) {
	e, err := scanAlertEvent(s.pool.QueryRow(ctx, `SELECT `+alertEventCols+` FROM alert_events WHERE id = $1`, id))
	if err != nil {
		return store.AlertEvent{}, mapErr("postgres: get alert event", err)
	}
	return e, nil
}

// countOpenTasksQuery counts the open tasks of a scope: a task keeps the
// flow version it was opened in (a migration closes it and opens another).
func countOpenTasksQuery(p store.TaskScope) (string, []any) {
	// Literals, not arguments, so the planner sees the partial indexes'
	// predicates (tasks_open_by_flow, audit_escalations).
	w := where{conds: []string{"status = 'open'"}}
	if p.Flow != "" {
		w.add("flow = ?", p.Flow)
	}
	if p.Version != 0 {
		w.add("version = ?", p.Version)
	}
	if p.Step != "" {
		w.add("step = ?", p.Step)
	}
	if p.Department != "" {
		w.add("department = ?", p.Department)
	}
	return `SELECT COUNT(*) FROM tasks` + w.String(), w.args
}

// CountOpenTasks counts the open tasks of a scope now.
func (s *Store) CountOpenTasks(ctx context.Context, p store.TaskScope) (int, error) {
	q, args := countOpenTasksQuery(p)
	var n int
	if err := s.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr("postgres: count open tasks", err)
	}
	return n, nil
}

// countEscalationsQuery counts the task.escalate entries of a scope in
// [From, To): the flow and version are the case's, the step and the
// department (the task's after the escalation) the entry's details.
func countEscalationsQuery(p store.TaskScope) (string, []any) {
	w := where{conds: []string{"a.action = 'task.escalate'"}}
	from := ` FROM audit a`
	if p.Flow != "" || p.Version != 0 {
		from += ` JOIN cases c ON c.id = a.case_id`
		if p.Flow != "" {
			w.add("c.flow = ?", p.Flow)
		}
		if p.Version != 0 {
			w.add("c.version = ?", p.Version)
		}
	}
	if p.Step != "" {
		w.add("a.details->>'step' = ?", p.Step)
	}
	if p.Department != "" {
		w.add("a.details->>'department' = ?", p.Department)
	}
	if p.From != nil {
		w.add("a.at >= ?", bound(*p.From))
	}
	if p.To != nil {
		w.add("a.at < ?", bound(*p.To))
	}
	return `SELECT COUNT(*)` + from + w.String(), w.args
}

// CountEscalations counts the escalations of a scope in [From, To).
func (s *Store) CountEscalations(ctx context.Context, p store.TaskScope) (int, error) {
	q, args := countEscalationsQuery(p)
	var n int
	if err := s.pool.QueryRow(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr("postgres: count escalations", err)
	}
	return n, nil
}
