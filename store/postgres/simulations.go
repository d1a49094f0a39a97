package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const simulationCols = `id, flow, pilot_id, status, progress, stage, request, result, error, created_by, created_at, updated_at, finished_at`

func scanSimulation(r pgx.Row) (store.Simulation, error) {
	var (
		x               store.Simulation
		request, result []byte
	)
	if err := r.Scan(&x.ID, &x.Flow, &x.PilotID, &x.Status, &x.Progress, &x.Stage, &request, &result, &x.Error,
		&x.CreatedBy, &x.CreatedAt, &x.UpdatedAt, &x.FinishedAt); err != nil {
		return store.Simulation{}, err
	}
	x.Request, x.Result = request, result
	x.CreatedAt, x.UpdatedAt = x.CreatedAt.UTC(), x.UpdatedAt.UTC()
	if x.FinishedAt != nil {
		t := x.FinishedAt.UTC()
		x.FinishedAt = &t
	}
	return x, nil
}

// CreateSimulation stores a running simulation, idempotently on ID.
func (s *Store) CreateSimulation(ctx context.Context, p store.Simulation) (store.Simulation, bool, error) {
	req, err := normalize.StoredJSON("request", p.Request)
	if err != nil || req == nil {
		return store.Simulation{}, false, fmt.Errorf("postgres: create simulation: a request is required and JSON: %w", err)
	}
	x, err := scanSimulation(s.pool.QueryRow(ctx, `INSERT INTO simulations (`+simulationCols+`)
		VALUES ($1, $2, $3, 'running', 0, $4, $5, NULL, '', $6, $7, $7, NULL)
		ON CONFLICT (id) DO NOTHING RETURNING `+simulationCols,
		p.ID, p.Flow, p.PilotID, p.Stage, req, p.CreatedBy, normalize.Time(p.CreatedAt)))
	if errors.Is(err, pgx.ErrNoRows) {
		x, err = s.GetSimulation(ctx, p.ID)
		return x, false, err
	}
	if err != nil {
		return store.Simulation{}, false, mapErr("postgres: create simulation", err)
	}
	return x, true, nil
}

// GetSimulation returns a simulation by id.
func (s *Store) GetSimulation(ctx context.Context, id string) (store.Simulation, error) {
	x, err := scanSimulation(s.pool.QueryRow(ctx, `SELECT `+simulationCols+` FROM simulations WHERE id = $1`, id))
	if err != nil {
		return store.Simulation{}, mapErr("postgres: get simulation", err)
	}
	return x, nil
}

// SetSimulationProgress records the progress of a running simulation.
func (s *Store) SetSimulationProgress(ctx context.Context, id string, progress float64, stage string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, `UPDATE simulations SET progress = $1, stage = $2, updated_at = $3 WHERE id = $4 AND status = 'running'`,
		progress, stage, normalize.Time(at), id)
	if err != nil {
		return mapErr("postgres: simulation progress", err)
	}
	if tag.RowsAffected() == 0 {
		if _, err := s.GetSimulation(ctx, id); err != nil {
			return err
		}
		return fmt.Errorf("postgres: simulation progress: %s has finished: %w", id, store.ErrConflict)
	}
	return nil
}

// FinishSimulation records a simulation's end once.
func (s *Store) FinishSimulation(ctx context.Context, p store.FinishSimulationParams) (store.Simulation, error) {
	result, err := normalize.StoredJSON("result", p.Result)
	if err != nil {
		return store.Simulation{}, fmt.Errorf("postgres: finish simulation: %w", err)
	}
	if p.Status != store.SimulationSucceeded && p.Status != store.SimulationFailed {
		return store.Simulation{}, fmt.Errorf("postgres: finish simulation: status %q: %w", p.Status, store.ErrConflict)
	}
	x, err := scanSimulation(s.pool.QueryRow(ctx, `UPDATE simulations SET status = $1,
		progress = CASE WHEN $1 = 'succeeded' THEN 1 ELSE progress END,
		stage = '', result = $2, error = $3, updated_at = $4, finished_at = $4 WHERE id = $5 AND status = 'running' RETURNING `+simulationCols,
		p.Status, nullJSON(result), p.Error, normalize.Time(p.At), p.ID))
	if errors.Is(err, pgx.ErrNoRows) {
		x, err = s.GetSimulation(ctx, p.ID)
		if err != nil {
			return store.Simulation{}, err
		}
		if x.Status != p.Status {
			return store.Simulation{}, fmt.Errorf("postgres: finish simulation: %s is %s already: %w", p.ID, x.Status, store.ErrConflict)
		}
		return x, nil
	}
	if err != nil {
		return store.Simulation{}, mapErr("postgres: finish simulation", err)
	}
	return x, nil
}

// ListSimulations lists simulations newest first.
func (s *Store) ListSimulations(ctx context.Context, p store.ListSimulationsParams) ([]store.Simulation, error) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if p.Flow != "" {
		where = append(where, "flow = "+arg(p.Flow))
	}
	if p.PilotID != "" {
		where = append(where, "pilot_id = "+arg(p.PilotID))
	}
	if p.Status != "" {
		where = append(where, "status = "+arg(p.Status))
	}
	if p.From != nil {
		where = append(where, "created_at >= "+arg(*p.From))
	}
	if p.To != nil {
		where = append(where, "created_at < "+arg(*p.To))
	}
	if c := p.After; c != nil {
		where = append(where, "(created_at, id) < ("+arg(c.CreatedAt)+", "+arg(c.ID)+")")
	}
	query := `SELECT ` + simulationCols + ` FROM simulations`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(normalize.Limit(p.Limit, normalize.PilotLimitDefault, normalize.PilotLimitMax))
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("postgres: list simulations", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Simulation, error) { return scanSimulation(r) })
	if err != nil {
		return nil, mapErr("postgres: list simulations", err)
	}
	return out, nil
}
