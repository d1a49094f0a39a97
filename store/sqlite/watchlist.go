package sqlite

import (
	"context"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const watchCols = `id, flow, step, note, added_by, added_at`

func scanWatch(r scanner) (store.Watch, error) {
	var (
		w     store.Watch
		added int64
	)
	if err := r.Scan(&w.ID, &w.Flow, &w.Step, &w.Note, &w.AddedBy, &added); err != nil {
		return store.Watch{}, err
	}
	w.AddedAt = fromNanos(added)
	return w, nil
}

// AddWatch puts a flow or step on the watchlist.
func (s *Store) AddWatch(ctx context.Context, w store.Watch) (store.Watch, error) {
	out, err := scanWatch(s.db.QueryRowContext(ctx, `INSERT INTO watchlist (`+watchCols+`) VALUES (?, ?, ?, ?, ?, ?) RETURNING `+watchCols,
		w.ID, w.Flow, w.Step, w.Note, w.AddedBy, nanos(normalize.Time(w.AddedAt))))
	if err != nil {
		return store.Watch{}, mapErr("sqlite: add watch", err)
	}
	return out, nil
}

// RemoveWatch takes one off the watchlist and returns it.
func (s *Store) RemoveWatch(ctx context.Context, id string) (store.Watch, error) {
	out, err := scanWatch(s.db.QueryRowContext(ctx, `DELETE FROM watchlist WHERE id = ? RETURNING `+watchCols, id))
	if err != nil {
		return store.Watch{}, mapErr("sqlite: remove watch", err)
	}
	return out, nil
}

// ListWatches is the watchlist, oldest first.
func (s *Store) ListWatches(ctx context.Context) ([]store.Watch, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+watchCols+` FROM watchlist ORDER BY added_at, id LIMIT ?`, store.MaxWatches)
	if err != nil {
		return nil, mapErr("sqlite: list watches", err)
	}
	out, err := collect(rows, scanWatch)
	if err != nil {
		return nil, mapErr("sqlite: list watches", err)
	}
	return out, nil
}
