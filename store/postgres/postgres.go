// Package postgres implements store.Store on PostgreSQL through pgx.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/rollup"
	"github.com/flowlab/flowlab/store/migrations"
)

// Store is the PostgreSQL store. Create it with Open.
type Store struct {
	pool *pgxpool.Pool
	cals rollup.Calendars // the flows' calendars, for span rollups
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (a PostgreSQL URL or keyword/value
// string; extra parameters such as search_path become run-time parameters)
// and checks that it answers. It does not migrate; call Migrate.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse url: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w: %w", store.ErrUnavailable, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w: %w", store.ErrUnavailable, err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("postgres: ping: %w: %w", store.ErrUnavailable, err)
	}
	return nil
}

// migrationLock is the pg_advisory_xact_lock key serialising migrators.
const migrationLock = 7_246_601_113

// Migrate applies the embedded migrations not yet recorded in
// schema_migrations, each in its own transaction holding an advisory lock,
// so that concurrent migrators wait for each other.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations.Load(migrations.Postgres)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
				version    integer     PRIMARY KEY,
				name       text        NOT NULL,
				applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
				return err
			}
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, m.Version).Scan(&applied); err != nil {
				return err
			}
			if applied {
				return nil
			}
			if _, err := tx.Exec(ctx, m.SQL); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name)
			return err
		})
		if err != nil {
			return mapErr("postgres: migrate "+m.Name, err)
		}
	}
	return s.backfillRollups(ctx)
}

// backfillRollups builds the span rollups when migration 0011 asked for
// it, under the migration lock, and clears the request in the same
// transaction.
func (s *Store) backfillRollups(ctx context.Context) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM span_rollups_backfill`)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		_, err = s.rebuildRollups(ctx, tx)
		return err
	})
	if err != nil {
		return mapErr("postgres: migrate: backfill span rollups", err)
	}
	return nil
}

// mapErr is the one place that maps driver errors to the store errors: no
// rows to ErrNotFound, unique violations to ErrConflict, foreign-key
// violations to ErrNotFound (the referenced row is missing), connection
// failures to ErrUnavailable. Other errors are wrapped as they are.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrUnavailable) {
		return fmt.Errorf("%s: %w", op, err)
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", op, store.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23505": // unique_violation
			return fmt.Errorf("%s: %w: %w", op, store.ErrConflict, err)
		case pgErr.Code == "23503": // foreign_key_violation
			return fmt.Errorf("%s: %w: %w", op, store.ErrNotFound, err)
		case strings.HasPrefix(pgErr.Code, "08"), // connection exception
			pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03", // shutdown, cannot connect now
			pgErr.Code == "53300": // too many connections
			return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
		}
		return fmt.Errorf("%s: %w", op, err)
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %w: %w", op, store.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// utc converts a scanned timestamptz to UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr converts a scanned nullable timestamptz to UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// nullString maps "" to SQL NULL.
func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// nullJSON maps an empty JSON value to SQL NULL.
func nullJSON(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}
