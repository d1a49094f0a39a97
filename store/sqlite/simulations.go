package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const simulationCols = `id, flow, pilot_id, status, progress, stage, request, result, error, created_by, created_at, updated_at, finished_at`

func scanSimulation(r scanner) (store.Simulation, error) {
	var (
		x                store.Simulation
		request          string
		result           sql.NullString
		created, updated int64
		finished         sql.NullInt64
	)
	if err := r.Scan(&x.ID, &x.Flow, &x.PilotID, &x.Status, &x.Progress, &x.Stage, &request, &result, &x.Error,
		&x.CreatedBy, &created, &updated, &finished); err != nil {
		return store.Simulation{}, err
	}
	x.Request = []byte(request)
	if result.Valid {
		x.Result = []byte(result.String)
	}
	x.CreatedAt, x.UpdatedAt, x.FinishedAt = fromNanos(created), fromNanos(updated), fromNullNanos(finished)
	return x, nil
}

// CreateSimulation stores a running simulation, idempotently on ID.
func (s *Store) CreateSimulation(ctx context.Context, p store.Simulation) (store.Simulation, bool, error) {
	req, err := normalize.StoredJSON("request", p.Request)
	if err != nil || req == nil {
		return store.Simulation{}, false, fmt.Errorf("sqlite: create simulation: a request is required and JSON: %w", err)
	}
	at := nanos(normalize.Time(p.CreatedAt))
	x, err := scanSimulation(s.db.QueryRowContext(ctx, `INSERT INTO simulations (`+simulationCols+`)
		VALUES (?1, ?2, ?3, 'running', 0, ?4, ?5, NULL, '', ?6, ?7, ?7, NULL)
		ON CONFLICT (id) DO NOTHING RETURNING `+simulationCols,
		p.ID, p.Flow, p.PilotID, p.Stage, string(req), p.CreatedBy, at))
	if errors.Is(err, sql.ErrNoRows) {
		x, err = s.GetSimulation(ctx, p.ID)
		return x, false, err
	}
	if err != nil {
		return store.Simulation{}, false, mapErr("sqlite: create simulation", err)
	}
	return x, true, nil
}

// GetSimulation returns a simulation by id.
func (s *Store) GetSimulation(ctx context.Context, id string) (store.Simulation, error) {
	x, err := scanSimulation(s.db.QueryRowContext(ctx, `SELECT `+simulationCols+` FROM simulations WHERE id = ?`, id))
	if err != nil {
		return store.Simulation{}, mapErr("sqlite: get simulation", err)
	}
	return x, nil
}

// SetSimulationProgress records the progress of a running simulation.
func (s *Store) SetSimulationProgress(ctx context.Context, id string, progress float64, stage string, at time.Time) error {
	res, err := s.db.ExecContext(ctx, `UPDATE simulations SET progress = ?, stage = ?, updated_at = ? WHERE id = ? AND status = 'running'`,
		progress, stage, nanos(normalize.Time(at)), id)
	if err != nil {
		return mapErr("sqlite: simulation progress", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.GetSimulation(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("sqlite: simulation progress: %s has finished: %w", id, store.ErrConflict)
	}
	return nil
}

// FinishSimulation records a simulation's end once.
func (s *Store) FinishSimulation(ctx context.Context, p store.FinishSimulationParams) (store.Simulation, error) {
	result, err := normalize.StoredJSON("result", p.Result)
	if err != nil {
		return store.Simulation{}, fmt.Errorf("sqlite: finish simulation: %w", err)
	}
	if p.Status != store.SimulationSucceeded && p.Status != store.SimulationFailed {
		return store.Simulation{}, fmt.Errorf("sqlite: finish simulation: status %q: %w", p.Status, store.ErrConflict)
	}
	at := nanos(normalize.Time(p.At))
	x, err := scanSimulation(s.db.QueryRowContext(ctx, `UPDATE simulations SET status = ?, progress = CASE WHEN ? = 'succeeded' THEN 1 ELSE progress END,
		stage = '', result = ?, error = ?, updated_at = ?, finished_at = ? WHERE id = ? AND status = 'running' RETURNING `+simulationCols,
		p.Status, p.Status, nullText(result), p.Error, at, at, p.ID))
	if errors.Is(err, sql.ErrNoRows) {
		x, err = s.GetSimulation(ctx, p.ID)
		if err != nil {
			return store.Simulation{}, err
		}
		if x.Status != p.Status {
			return store.Simulation{}, fmt.Errorf("sqlite: finish simulation: %s is %s already: %w", p.ID, x.Status, store.ErrConflict)
		}
		return x, nil
	}
	if err != nil {
		return store.Simulation{}, mapErr("sqlite: finish simulation", err)
	}
	return x, nil
}

func nullText(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// ListSimulations lists simulations newest first.
func (s *Store) ListSimulations(ctx context.Context, p store.ListSimulationsParams) ([]store.Simulation, error) {
	var (
		where []string
		args  []any
	)
	if p.Flow != "" {
		where, args = append(where, "flow = ?"), append(args, p.Flow)
	}
	if p.PilotID != "" {
		where, args = append(where, "pilot_id = ?"), append(args, p.PilotID)
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	if p.From != nil {
		where, args = append(where, "created_at >= ?"), append(args, nanos(*p.From))
	}
	if p.To != nil {
		where, args = append(where, "created_at < ?"), append(args, nanos(*p.To))
	}
	if c := p.After; c != nil {
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + simulationCols + ` FROM simulations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.PilotLimitDefault, normalize.PilotLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list simulations", err)
	}
	out, err := collect(rows, scanSimulation)
	if err != nil {
		return nil, mapErr("sqlite: list simulations", err)
	}
	return out, nil
}
