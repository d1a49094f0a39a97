package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// Notifications (decision 0036): kept for the app, and an outbox for the
// deliveries beyond it.

const notificationCols = `id, actor_id, kind, task_id, case_id, details, created_at, read_at, delivery, sent, attempts,
	next_attempt_at, last_error`

func scanNotification(r scanner) (store.Notification, error) {
	var (
		n             store.Notification
		details, sent []byte
		created       int64
		read, next    sql.NullInt64
	)
	if err := r.Scan(&n.ID, &n.ActorID, &n.Kind, &n.TaskID, &n.CaseID, &details, &created, &read, &n.Delivery, &sent,
		&n.Attempts, &next, &n.LastError); err != nil {
		return store.Notification{}, err
	}
	if err := json.Unmarshal(details, &n.Details); err != nil {
		return store.Notification{}, fmt.Errorf("notification %s details: %w", n.ID, err)
	}
	var err error
	if n.Sent, err = normalize.ParseStrings(sent); err != nil {
		return store.Notification{}, fmt.Errorf("notification %s: %w", n.ID, err)
	}
	n.CreatedAt, n.ReadAt, n.NextAttemptAt = fromNanos(created), fromNullNanos(read), fromNullNanos(next)
	return n, nil
}

// insertNotifications inserts notifications, each once by id.
func insertNotifications(ctx context.Context, tx querier, ns []store.Notification) error {
	for _, n := range ns {
		details, err := json.Marshal(n.Details)
		if err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
		delivery := n.Delivery
		if delivery == "" {
			delivery = store.DeliveryPending
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, actor_id, kind, task_id, case_id, details, created_at, delivery)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			n.ID, n.ActorID, n.Kind, n.TaskID, n.CaseID, string(details), nanos(normalize.Time(n.CreatedAt)), delivery); err != nil {
			return fmt.Errorf("notification %s: %w", n.ID, err)
		}
	}
	return nil
}

// CreateNotifications inserts notifications, idempotently by id.
func (s *Store) CreateNotifications(ctx context.Context, ns []store.Notification) error {
	err := s.tx(ctx, func(tx *sql.Tx) error { return insertNotifications(ctx, tx, ns) })
	return mapErr("sqlite: create notifications", err)
}

// ListNotifications lists an actor's notifications, newest first.
func (s *Store) ListNotifications(ctx context.Context, p store.ListNotificationsParams) ([]store.Notification, error) {
	q := `SELECT ` + notificationCols + ` FROM notifications WHERE actor_id = ?`
	args := []any{p.ActorID}
	if p.Unread {
		q += ` AND read_at IS NULL`
	}
	if p.Before != nil {
		q += ` AND (created_at < ? OR (created_at = ? AND id < ?))`
		at := nanos(normalize.Time(p.Before.CreatedAt))
		args = append(args, at, at, p.Before.ID)
	}
	rows, err := s.db.QueryContext(ctx, q+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, normalize.Limit(p.Limit, 50, 500))...)
	if err != nil {
		return nil, mapErr("sqlite: list notifications", err)
	}
	out, err := collect(rows, scanNotification)
	return out, mapErr("sqlite: list notifications", err)
}

// UnreadNotifications counts an actor's unread notifications.
func (s *Store) UnreadNotifications(ctx context.Context, actorID string) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE actor_id = ? AND read_at IS NULL`, actorID).Scan(&n)
	return n, mapErr("sqlite: unread notifications", err)
}

// ReadNotifications marks an actor's notifications read.
func (s *Store) ReadNotifications(ctx context.Context, actorID string, ids []string, at time.Time) (int, error) {
	q := `UPDATE notifications SET read_at = ? WHERE actor_id = ? AND read_at IS NULL`
	args := []any{nanos(normalize.Time(at)), actorID}
	if ids != nil {
		if len(ids) == 0 {
			return 0, nil
		}
		q += ` AND id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)`
		for _, id := range ids {
			args = append(args, id)
		}
	}
	var n int64
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), mapErr("sqlite: read notifications", err)
}

// DueNotifications claims the pending deliveries due at at for lease.
func (s *Store) DueNotifications(ctx context.Context, at time.Time, lease time.Duration, limit int) ([]store.Notification, error) {
	var out []store.Notification
	err := s.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE notifications SET next_attempt_at = ?1
			WHERE id IN (SELECT id FROM notifications WHERE delivery = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?2)
				ORDER BY created_at, id LIMIT ?3)
			RETURNING `+notificationCols, nanos(normalize.Time(at).Add(lease)), nanos(normalize.Time(at)), normalize.Limit(limit, 100, 1000))
		if err != nil {
			return err
		}
		out, err = collect(rows, scanNotification)
		return err
	})
	if err != nil {
		return nil, mapErr("sqlite: due notifications", err)
	}
	sortOldestFirst(out)
	return out, nil
}

// sortOldestFirst orders notifications by (created_at, id).
func sortOldestFirst(ns []store.Notification) {
	slices.SortFunc(ns, func(a, b store.Notification) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// SetNotificationDelivery records a delivery attempt.
func (s *Store) SetNotificationDelivery(ctx context.Context, p store.NotificationDelivery) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET delivery = ?, sent = ?, attempts = attempts + 1,
			next_attempt_at = ?, last_error = ? WHERE id = ?`,
			p.Delivery, string(normalize.Strings(p.Sent)), nullNanos(p.NextAttemptAt), p.Error, p.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return sql.ErrNoRows
		}
		return err
	})
	return mapErr("sqlite: set notification delivery", err)
}
