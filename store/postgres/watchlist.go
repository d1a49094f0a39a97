package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const watchCols = `id, flow, step, note, added_by, added_at`

func scanWatch(r pgx.Row) (store.Watch, error) {
	var w store.Watch
	if err := r.Scan(&w.ID, &w.Flow, &w.Step, &w.Note, &w.AddedBy, &w.AddedAt); err != nil {
		return store.Watch{}, err
	}
	w.AddedAt = w.AddedAt.UTC()
	return w, nil
}

// AddWatch puts a flow or step on the watchlist.
func (s *Store) AddWatch(ctx context.Context, w store.Watch) (store.Watch, error) {
	out, err := scanWatch(s.pool.QueryRow(ctx, `INSERT INTO watchlist (`+watchCols+`) VALUES ($1, $2, $3, $4, $5, $6) RETURNING `+watchCols,
		w.ID, w.Flow, w.Step, w.Note, w.AddedBy, normalize.Time(w.AddedAt)))
	if err != nil {
		return store.Watch{}, mapErr("postgres: add watch", err)
	}
	return out, nil
}

// RemoveWatch takes one off the watchlist and returns it.
func (s *Store) RemoveWatch(ctx context.Context, id string) (store.Watch, error) {
	out, err := scanWatch(s.pool.QueryRow(ctx, `DELETE FROM watchlist WHERE id = $1 RETURNING `+watchCols, id))
	if err != nil {
		return store.Watch{}, mapErr("postgres: remove watch", err)
	}
	return out, nil
}

// ListWatches is the watchlist, oldest first.
func (s *Store) ListWatches(ctx context.Context) ([]store.Watch, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+watchCols+` FROM watchlist ORDER BY added_at, id LIMIT $1`, store.MaxWatches)
	if err != nil {
		return nil, mapErr("postgres: list watches", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Watch, error) { return scanWatch(r) })
	if err != nil {
		return nil, mapErr("postgres: list watches", err)
	}
	return out, nil
}
