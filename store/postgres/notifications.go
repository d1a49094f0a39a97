package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// Notifications (decision 0036): kept for the app, and an outbox for the
// deliveries beyond it.

const notificationCols = `id, actor_id, kind, task_id, case_id, details, created_at, read_at, delivery, sent, attempts,
	next_attempt_at, last_error`

func scanNotification(r pgx.Row) (store.Notification, error) {
	var (
		n             store.Notification
		details, sent []byte
	)
	if err := r.Scan(&n.ID, &n.ActorID, &n.Kind, &n.TaskID, &n.CaseID, &details, &n.CreatedAt, &n.ReadAt, &n.Delivery, &sent,
		&n.Attempts, &n.NextAttemptAt, &n.LastError); err != nil {
		return store.Notification{}, err
	}
	if err := json.Unmarshal(details, &n.Details); err != nil {
		return store.Notification{}, fmt.Errorf("notification %s details: %w", n.ID, err)
	}
	var err error
	if n.Sent, err = normalize.ParseStrings(sent); err != nil {
		return store.Notification{}, fmt.Errorf("notification %s: %w", n.ID, err)
	}
	n.CreatedAt, n.ReadAt, n.NextAttemptAt = utc(n.CreatedAt), utcPtr(n.ReadAt), utcPtr(n.NextAttemptAt)
	return n, nil
}

func queryNotifications(ctx context.Context, s *Store, sql string, args ...any) ([]store.Notification, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Notification, error) { return scanNotification(r) })
}

// insertNotifications inserts notifications, each once by id.
func insertNotifications(ctx context.Context, tx pgx.Tx, ns []store.Notification) error {
	for _, n := range ns {
		details, err := json.Marshal(n.Details)
		if err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
		delivery := n.Delivery
		if delivery == "" {
			delivery = store.DeliveryPending
		}
		if _, err := tx.Exec(ctx, `INSERT INTO notifications (id, actor_id, kind, task_id, case_id, details, created_at, delivery)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.ActorID, n.Kind, n.TaskID, n.CaseID, string(details), normalize.Time(n.CreatedAt), delivery); err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
	}
	return nil
}

// CreateNotifications inserts notifications, idempotently by id.
func (s *Store) CreateNotifications(ctx context.Context, ns []store.Notification) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return insertNotifications(ctx, tx, ns) })
	return mapErr("postgres: create notifications", err)
}

// ListNotifications lists an actor's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, p store.ListNotificationsParams) ([]store.Notification, error) {
	q := `SELECT ` + notificationCols + ` FROM notifications WHERE actor_id = $1`
	args := []any{p.ActorID}
	if p.Unread {
		q += ` AND read_at IS NULL`
	}
	if p.Before != nil {
		q += ` AND (created_at, id) < ($2, $3)`
		args = append(args, normalize.Time(p.Before.CreatedAt), p.Before.ID)
	}
	q += fmt.Sprintf(` ORDER BY created_at DESC, id DESC LIMIT %d`, normalize.Limit(p.Limit, 50, 500))
	out, err := queryNotifications(ctx, s, q, args...)
	if err != nil {
		return nil, mapErr("postgres: list notifications", err)
	}
	return out, nil
}

// UnreadNotifications counts an actor's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, actorID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM notifications WHERE actor_id = $1 AND read_at IS NULL`, actorID).Scan(&n)
	return n, mapErr("postgres: unread notifications", err)
}

// ReadNotifications marks an actor's notifications read.
func (s *Store) ReadNotifications(ctx context.Context, actorID string, ids []string, at time.Time) (int, error) {
	q := `UPDATE notifications SET read_at = $1 WHERE actor_id = $2 AND read_at IS NULL`
	args := []any{normalize.Time(at), actorID}
	if ids != nil {
		if len(ids) == 0 {
			return 0, nil
		}
		q, args = q+` AND id = ANY($3)`, append(args, ids)
	}
	tag, err := s.pool.Exec(ctx, q, args...)
	if err != nil {
		return 0, mapErr("postgres: read notifications", err)
	}
	return int(tag.RowsAffected()), nil
}

// DueNotifications claims the pending deliveries due at at for lease.
func (s *Store) DueNotifications(ctx context.Context, at time.Time, lease time.Duration, limit int) ([]store.Notification, error) {
	out, err := queryNotifications(ctx, s, `UPDATE notifications SET next_attempt_at = $1
		WHERE id IN (SELECT id FROM notifications WHERE delivery = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= $2)
			ORDER BY created_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
		RETURNING `+notificationCols, normalize.Time(at).Add(lease), normalize.Time(at), normalize.Limit(limit, 100, 1000))
	if err != nil {
		return nil, mapErr("postgres: due notifications", err)
	}
	slices.SortFunc(out, func(a, b store.Notification) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, nil
}

// SetNotificationDelivery records a delivery attempt.
func (s *Store) SetNotificationDelivery(ctx context.Context, p store.NotificationDelivery) error {
	tag, err := s.pool.Exec(ctx, `UPDATE notifications SET delivery = $1, sent = $2, attempts = attempts + 1,
		next_attempt_at = $3, last_error = $4 WHERE id = $5`,
		p.Delivery, string(normalize.Strings(p.Sent)), normalize.TimePtr(p.NextAttemptAt), p.Error, p.ID)
	if err == nil && tag.RowsAffected() == 0 {
		err = fmt.Errorf("notification %s: %w", p.ID, store.ErrNotFound)
	}
	return mapErr("postgres: set notification delivery", err)
}
