package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// Alert rules (decision 0040): a rule's definition and where it stands in
// alert_rules, its state changes in alert_events. An evaluation is
// recorded in a write transaction, which SQLite runs one at a time, so
// evaluations of a rule, even the same one twice from two workers, are
// recorded one after the other.

const alertRuleCols = `id, name, metric, scope, condition, window_ns, min_sample, pending_ns, every_ns, webhook_url, notify,
	created_by, created_at, updated_at, revision, state, state_since, pending_since, seq,
	last_at, last_outcome, last_value, last_n, last_baseline, last_baseline_n, last_message,
	acknowledged_by, acknowledged_at, silenced_until`

func scanAlertRule(r scanner) (store.AlertRule, error) {
	var (
		x                                   store.AlertRule
		j                                   normalize.AlertJSON
		window, pending, every              int64
		created, updated, since             int64
		pendingSince, lastAt, ackAt, silent sql.NullInt64
		lastValue, lastBaseline             sql.NullFloat64
		last                                store.AlertEvaluation
	)
	if err := r.Scan(&x.ID, &x.Name, &x.Metric, &j.Scope, &j.Condition, &window, &x.MinSample, &pending, &every, &x.WebhookURL,
		&j.Notify, &x.CreatedBy, &created, &updated, &x.Revision, &x.State, &since, &pendingSince, &x.Seq,
		&lastAt, &last.Outcome, &lastValue, &last.N, &lastBaseline, &last.BaselineN, &last.Message,
		&x.AcknowledgedBy, &ackAt, &silent); err != nil {
		return store.AlertRule{}, err
	}
	if err := normalize.DecodeAlert(&x, j); err != nil {
		return store.AlertRule{}, err
	}
	x.Window, x.Pending, x.Every = time.Duration(window), time.Duration(pending), time.Duration(every)
	x.CreatedAt, x.UpdatedAt, x.StateSince = fromNanos(created), fromNanos(updated), fromNanos(since)
	x.PendingSince, x.AcknowledgedAt, x.SilencedUntil = fromNullNanos(pendingSince), fromNullNanos(ackAt), fromNullNanos(silent)
	if lastAt.Valid {
		last.At = fromNanos(lastAt.Int64)
		last.Value, last.Baseline = nullFloat(lastValue), nullFloat(lastBaseline)
		x.Last = &last
	}
	return x, nil
}

// nullFloat decodes a nullable number.
func nullFloat(f sql.NullFloat64) *float64 {
	if !f.Valid {
		return nil
	}
	return &f.Float64
}

// floatArg encodes a nullable number.
func floatArg(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

const alertEventCols = `id, rule_id, seq, at, from_state, to_state, value, n, baseline, baseline_n, message, notified, silenced`

func scanAlertEvent(r scanner) (store.AlertEvent, error) {
	var (
		e               store.AlertEvent
		at              int64
		value, baseline sql.NullFloat64
	)
	if err := r.Scan(&e.ID, &e.RuleID, &e.Seq, &at, &e.From, &e.To, &value, &e.N, &baseline, &e.BaselineN, &e.Message,
		&e.Notified, &e.Silenced); err != nil {
		return store.AlertEvent{}, err
	}
	e.At, e.Value, e.Baseline = fromNanos(at), nullFloat(value), nullFloat(baseline)
	return e, nil
}

// getAlertRule reads a rule on q.
func getAlertRule(ctx context.Context, q querier, id string) (store.AlertRule, error) {
	return scanAlertRule(q.QueryRowContext(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE id = ?`, id))
}

// CreateAlertRule inserts a rule in state ok; see store.Store.
func (s *Store) CreateAlertRule(ctx context.Context, r store.AlertRule) (store.AlertRule, error) {
	j, err := normalize.EncodeAlert(r)
	if err != nil {
		return store.AlertRule{}, fmt.Errorf("sqlite: create alert rule: %w", err)
	}
	var out store.AlertRule
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanAlertRule(tx.QueryRowContext(ctx, `INSERT INTO alert_rules (id, name, metric, scope, flow, condition,
				window_ns, min_sample, pending_ns, every_ns, webhook_url, notify, created_by, created_at, updated_at, state,
				state_since)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14, ?15, ?14)
			RETURNING `+alertRuleCols,
			normalize.ID(r.ID), r.Name, r.Metric, string(j.Scope), r.Scope.Flow, string(j.Condition), int64(r.Window), r.MinSample,
			int64(r.Pending), int64(r.Every), r.WebhookURL, string(j.Notify), r.CreatedBy, nanos(normalize.Time(r.CreatedAt)), alert.OK))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("sqlite: create alert rule", err)
	}
	return out, nil
}

// GetAlertRule returns a rule by id.
func (s *Store) GetAlertRule(ctx context.Context, id string) (store.AlertRule, error) {
	r, err := getAlertRule(ctx, s.db, id)
	if err != nil {
		return store.AlertRule{}, mapErr("sqlite: get alert rule", err)
	}
	return r, nil
}

// ListAlertRules lists rules by id after p.After.
func (s *Store) ListAlertRules(ctx context.Context, p store.ListAlertRulesParams) ([]store.AlertRule, error) {
	where, args := []string{"id > ?"}, []any{p.After}
	if p.State != "" {
		where, args = append(where, "state = ?"), append(args, p.State)
	}
	if p.Flow != "" {
		where, args = append(where, "flow = ?"), append(args, p.Flow)
	}
	args = append(args, normalize.Limit(p.Limit, normalize.AlertLimitDefault, normalize.AlertLimitMax))
	rows, err := s.db.QueryContext(ctx, `SELECT `+alertRuleCols+` FROM alert_rules WHERE `+strings.Join(where, " AND ")+
		` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, mapErr("sqlite: list alert rules", err)
	}
	out, err := collect(rows, scanAlertRule)
	if err != nil {
		return nil, mapErr("sqlite: list alert rules", err)
	}
	return out, nil
}

// UpdateAlertRule writes a rule's definition at p.Revision; see
// store.Store.
func (s *Store) UpdateAlertRule(ctx context.Context, p store.UpdateAlertRuleParams) (store.AlertRule, error) {
	r := p.Rule
	j, err := normalize.EncodeAlert(r)
	if err != nil {
		return store.AlertRule{}, fmt.Errorf("sqlite: update alert rule: %w", err)
	}
	var out store.AlertRule
	err = s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getAlertRule(ctx, tx, r.ID)
		if err != nil {
			return err
		}
		if cur.Revision != p.Revision {
			return fmt.Errorf("alert rule %s is at revision %d, not %d: %w", r.ID, cur.Revision, p.Revision, store.ErrConflict)
		}
		out, err = scanAlertRule(tx.QueryRowContext(ctx, `UPDATE alert_rules SET name = ?2, metric = ?3, scope = ?4, flow = ?5,
				condition = ?6, window_ns = ?7, min_sample = ?8, pending_ns = ?9, every_ns = ?10, webhook_url = ?11, notify = ?12,
				updated_at = ?13, revision = revision + 1
			WHERE id = ?1 RETURNING `+alertRuleCols,
			r.ID, r.Name, r.Metric, string(j.Scope), r.Scope.Flow, string(j.Condition), int64(r.Window), r.MinSample,
			int64(r.Pending), int64(r.Every), r.WebhookURL, string(j.Notify), nanos(normalize.Time(p.At))))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("sqlite: update alert rule", err)
	}
	return out, nil
}

// DeleteAlertRule deletes a rule and (by cascade) its events.
func (s *Store) DeleteAlertRule(ctx context.Context, id string) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM alert_rules WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return fmt.Errorf("alert rule %s: %w", id, store.ErrNotFound)
		}
		return err
	})
	return mapErr("sqlite: delete alert rule", err)
}

// AcknowledgeAlert records who acknowledged a firing rule.
func (s *Store) AcknowledgeAlert(ctx context.Context, id, actor string, at time.Time) (store.AlertRule, error) {
	var out store.AlertRule
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getAlertRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State != alert.Firing {
			return fmt.Errorf("alert rule %s is %s, not firing: %w", id, cur.State, store.ErrConflict)
		}
		out, err = scanAlertRule(tx.QueryRowContext(ctx, `UPDATE alert_rules SET acknowledged_by = ?2, acknowledged_at = ?3
			WHERE id = ?1 RETURNING `+alertRuleCols, id, actor, nanos(normalize.Time(at))))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("sqlite: acknowledge alert", err)
	}
	return out, nil
}

// SilenceAlert sets or lifts a rule's silence.
func (s *Store) SilenceAlert(ctx context.Context, id string, until *time.Time) (store.AlertRule, error) {
	var out store.AlertRule
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanAlertRule(tx.QueryRowContext(ctx, `UPDATE alert_rules SET silenced_until = ?2 WHERE id = ?1 RETURNING `+alertRuleCols,
			id, nullNanos(until)))
		return err
	})
	if err != nil {
		return store.AlertRule{}, mapErr("sqlite: silence alert", err)
	}
	return out, nil
}

// RecordAlertEvaluation records one evaluation of a rule in one write
// transaction; see store.Store.
func (s *Store) RecordAlertEvaluation(ctx context.Context, p store.RecordAlertParams) (store.AlertRecorded, error) {
	ev := p.Evaluation
	ev.At = normalize.Time(ev.At)
	var out store.AlertRecorded
	err := s.tx(ctx, func(tx *sql.Tx) error {
		cur, err := getAlertRule(ctx, tx, p.RuleID)
		if err != nil {
			return err
		}
		if cur.Last != nil && !ev.At.After(cur.Last.At) {
			out = store.AlertRecorded{Rule: cur, Duplicate: true}
			e, err := scanAlertEvent(tx.QueryRowContext(ctx, `SELECT `+alertEventCols+` FROM alert_events
				WHERE rule_id = ? AND at = ? ORDER BY seq DESC LIMIT 1`, cur.ID, nanos(ev.At)))
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			out.Event = &e
			return err
		}
		next, e := normalize.AlertEvaluation(cur, ev)
		l := next.Last
		if out.Rule, err = scanAlertRule(tx.QueryRowContext(ctx, `UPDATE alert_rules SET state = ?2, state_since = ?3,
				pending_since = ?4, seq = ?5, last_at = ?6, last_outcome = ?7, last_value = ?8, last_n = ?9, last_baseline = ?10,
				last_baseline_n = ?11, last_message = ?12, acknowledged_by = ?13, acknowledged_at = ?14
			WHERE id = ?1 RETURNING `+alertRuleCols,
			cur.ID, next.State, nanos(next.StateSince), nullNanos(next.PendingSince), next.Seq, nanos(l.At), l.Outcome,
			floatArg(l.Value), l.N, floatArg(l.Baseline), l.BaselineN, l.Message, next.AcknowledgedBy,
			nullNanos(next.AcknowledgedAt))); err != nil {
			return err
		}
		if e == nil {
			return nil
		}
		stored, err := scanAlertEvent(tx.QueryRowContext(ctx, `INSERT INTO alert_events (id, rule_id, seq, at, from_state, to_state,
				value, n, baseline, baseline_n, message, notified, silenced)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+alertEventCols,
			e.ID, e.RuleID, e.Seq, nanos(e.At), e.From, e.To, floatArg(e.Value), e.N, floatArg(e.Baseline), e.BaselineN, e.Message,
			e.Notified, e.Silenced))
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
		args := make([]any, len(p.Recipients))
		for i, r := range p.Recipients {
			args[i] = r
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM actors WHERE id IN (?`+strings.Repeat(", ?", len(args)-1)+`) ORDER BY id`, args...)
		if err != nil {
			return err
		}
		actors, err := collect(rows, func(r scanner) (string, error) {
			var id string
			return id, r.Scan(&id)
		})
		if err != nil {
			return err
		}
		return insertNotifications(ctx, tx, normalize.AlertNotifications(out.Rule, stored, actors))
	})
	if err != nil {
		return store.AlertRecorded{}, mapErr("sqlite: record alert evaluation", err)
	}
	return out, nil
}

// ListAlertEvents lists a rule's events newest first by seq, or every
// rule's since p.From newest first by (at, rule, seq).
func (s *Store) ListAlertEvents(ctx context.Context, p store.ListAlertEventsParams) ([]store.AlertEvent, error) {
	var (
		where []string
		args  []any
	)
	order := "at DESC, rule_id, seq DESC"
	if p.RuleID != "" {
		where, args = append(where, "rule_id = ?"), append(args, p.RuleID)
		if p.Before > 0 {
			where, args = append(where, "seq < ?"), append(args, p.Before)
		}
		order = "seq DESC"
	}
	if p.From != nil {
		where, args = append(where, "at >= ?"), append(args, nanos(*p.From))
	}
	query := `SELECT ` + alertEventCols + ` FROM alert_events`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	args = append(args, normalize.Limit(p.Limit, normalize.AlertLimitDefault, normalize.AlertLimitMax))
	rows, err := s.db.QueryContext(ctx, query+` ORDER BY `+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, mapErr("sqlite: list alert events", err)
	}
	out, err := collect(rows, scanAlertEvent)
	if err != nil {
		return nil, mapErr("sqlite: list alert events", err)
	}
	return out, nil
}

// GetAlertEvent returns an event by id.
func (s *Store) GetAlertEvent(ctx context.Context, id string) (store.AlertEvent, error) {
	e, err := scanAlertEvent(s.db.QueryRowContext(ctx, `SELECT `+alertEventCols+` FROM alert_events WHERE id = ?`, id))
	if err != nil {
		return store.AlertEvent{}, mapErr("sqlite: get alert event", err)
	}
	return e, nil
}

// countOpenTasksQuery counts the open tasks of a scope: a task keeps the
// flow version it was opened in (a migration closes it and opens another).
// The status is a literal, so the planner sees tasks_open_by_flow's
// predicate.
func countOpenTasksQuery(p store.TaskScope) (string, []any) {
	where := []string{"status = 'open'"}
	var args []any
	for _, f := range []struct {
		col string
		set bool
		v   any
	}{{"flow", p.Flow != "", p.Flow}, {"version", p.Version != 0, p.Version}, {"step", p.Step != "", p.Step},
		{"department", p.Department != "", p.Department}} {
		if f.set {
			where, args = append(where, f.col+" = ?"), append(args, f.v)
		}
	}
	return `SELECT COUNT(*) FROM tasks WHERE ` + strings.Join(where, " AND "), args
}

// CountOpenTasks counts the open tasks of a scope now.
func (s *Store) CountOpenTasks(ctx context.Context, p store.TaskScope) (int, error) {
	q, args := countOpenTasksQuery(p)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr("sqlite: count open tasks", err)
	}
	return n, nil
}

// countEscalationsQuery counts the task.escalate entries of a scope in
// [From, To): the flow and version are the case's, the step and the
// department (the task's after the escalation) the entry's details. The
// action is a literal, so the planner sees audit_escalations' predicate.
func countEscalationsQuery(p store.TaskScope) (string, []any) {
	where := []string{"a.action = 'task.escalate'"}
	var args []any
	add := func(cond string, arg any) { where, args = append(where, cond), append(args, arg) }
	from := ` FROM audit a`
	if p.Flow != "" || p.Version != 0 {
		from += ` JOIN cases c ON c.id = a.case_id`
		if p.Flow != "" {
			add("c.flow = ?", p.Flow)
		}
		if p.Version != 0 {
			add("c.version = ?", p.Version)
		}
	}
	if p.Step != "" {
		add("json_extract(a.details, '$.step') = ?", p.Step)
	}
	if p.Department != "" {
		add("json_extract(a.details, '$.department') = ?", p.Department)
	}
	if p.From != nil {
		add("a.at >= ?", nanos(*p.From))
	}
	if p.To != nil {
		add("a.at < ?", nanos(*p.To))
	}
	return `SELECT COUNT(*)` + from + ` WHERE ` + strings.Join(where, " AND "), args
}

// CountEscalations counts the escalations of a scope in [From, To).
func (s *Store) CountEscalations(ctx context.Context, p store.TaskScope) (int, error) {
	q, args := countEscalationsQuery(p)
	var n int
	if err := s.db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, mapErr("sqlite: count escalations", err)
	}
	return n, nil
}
