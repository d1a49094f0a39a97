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

const pilotCols = `id, flow, control_version, treatment_version, share, unit, primary_metric, guardrails,
	min_cases_per_arm, max_duration, evaluate_every, status, stop_reason, winner, recommendation, promoted_arm,
	results, looks, workflow_id, pdca_case_id, created_by, created_at, updated_at, ended_at`

// pilotRow is a scanned pilots row.
type pilotRow struct {
	id, flow, unit, primaryMetric, status, stopReason, winner, recommendation, promotedArm string
	workflowID, pdcaCaseID, createdBy                                                      string
	control, treatment, minCasesPerArm                                                     int
	share                                                                                  float64
	maxDuration, evaluateEvery                                                             int64
	guardrails, results, looks                                                             []byte
	createdAt, updatedAt                                                                   int64
	endedAt                                                                                sql.NullInt64
}

func scanPilot(r scanner) (pilotRow, error) {
	var x pilotRow
	err := r.Scan(&x.id, &x.flow, &x.control, &x.treatment, &x.share, &x.unit, &x.primaryMetric, &x.guardrails,
		&x.minCasesPerArm, &x.maxDuration, &x.evaluateEvery, &x.status, &x.stopReason, &x.winner, &x.recommendation,
		&x.promotedArm, &x.results, &x.looks, &x.workflowID, &x.pdcaCaseID, &x.createdBy, &x.createdAt, &x.updatedAt,
		&x.endedAt)
	return x, err
}

func pilotFromInternal(x pilotRow) store.Pilot {
	return store.Pilot{
		ID: x.id, Flow: x.flow, Control: x.control, Treatment: x.treatment, Share: x.share, Unit: x.unit,
		PrimaryMetric: x.primaryMetric, Guardrails: normalize.Raw(x.guardrails), MinCasesPerArm: x.minCasesPerArm,
		MaxDuration: time.Duration(x.maxDuration), EvaluateEvery: time.Duration(x.evaluateEvery), Status: x.status,
		StopReason: x.stopReason, Winner: x.winner, Recommendation: x.recommendation, PromotedArm: x.promotedArm,
		Results: normalize.Raw(x.results), Looks: normalize.Raw(x.looks), WorkflowID: x.workflowID,
		PDCACaseID: x.pdcaCaseID, CreatedBy: x.createdBy, CreatedAt: fromNanos(x.createdAt),
		UpdatedAt: fromNanos(x.updatedAt), EndedAt: fromNullNanos(x.endedAt),
	}
}

// queryPilot runs a query returning at most one pilot row.
func queryPilot(ctx context.Context, q querier, query string, args ...any) (store.Pilot, error) {
	x, err := scanPilot(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return store.Pilot{}, err
	}
	return pilotFromInternal(x), nil
}

// CreatePilot inserts a running pilot, idempotently on ID; see store.Store.
func (s *Store) CreatePilot(ctx context.Context, p store.CreatePilotParams) (store.Pilot, bool, error) {
	guardrails, err := normalize.StoredJSON("guardrails", p.Guardrails)
	if err != nil {
		return store.Pilot{}, false, fmt.Errorf("sqlite: create pilot: %w", err)
	}
	id := normalize.ID(p.ID)
	at := nanos(normalize.Time(p.At))
	var (
		pl      store.Pilot
		created bool
	)
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		pl, err = queryPilot(ctx, tx, `SELECT `+pilotCols+` FROM pilots WHERE id = ?`, id)
		if !errors.Is(err, sql.ErrNoRows) {
			return err // a repeat (or a failure)
		}
		pl, err = queryPilot(ctx, tx, `INSERT INTO pilots (id, flow, control_version, treatment_version, share, unit,
				primary_metric, guardrails, min_cases_per_arm, max_duration, evaluate_every, status, workflow_id,
				pdca_case_id, created_by, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'running', ?12, ?13, ?14, ?15, ?15)
			RETURNING `+pilotCols,
			id, p.Flow, p.Control, p.Treatment, p.Share, p.Unit, p.PrimaryMetric, nullJSON(guardrails), p.MinCasesPerArm,
			int64(p.MaxDuration), int64(p.EvaluateEvery), p.WorkflowID, p.PDCACaseID, p.CreatedBy, at)
		if err != nil {
			// A unique violation here is the running index (mapped to
			// ErrConflict).
			return fmt.Errorf("insert (at most one pilot of flow %q runs): %w", p.Flow, err)
		}
		created = true
		return nil
	})
	if err != nil {
		return store.Pilot{}, false, mapErr("sqlite: create pilot", err)
	}
	return pl, created, nil
}

// GetPilot returns a pilot by id.
func (s *Store) GetPilot(ctx context.Context, id string) (store.Pilot, error) {
	pl, err := queryPilot(ctx, s.db, `SELECT `+pilotCols+` FROM pilots WHERE id = ?`, id)
	if err != nil {
		return store.Pilot{}, mapErr("sqlite: get pilot", err)
	}
	return pl, nil
}

// RunningPilot returns the running pilot of flow.
func (s *Store) RunningPilot(ctx context.Context, flow string) (store.Pilot, error) {
	pl, err := queryPilot(ctx, s.db, `SELECT `+pilotCols+` FROM pilots WHERE flow = ? AND status = 'running'`, flow)
	if err != nil {
		return store.Pilot{}, mapErr("sqlite: running pilot", err)
	}
	return pl, nil
}

// ListPilots lists pilots newest first, from after p.After when it is set.
func (s *Store) ListPilots(ctx context.Context, p store.ListPilotsParams) ([]store.Pilot, error) {
	var (
		where []string
		args  []any
	)
	if p.Flow != "" {
		where, args = append(where, "flow = ?"), append(args, p.Flow)
	}
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + pilotCols + ` FROM pilots`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.PilotLimitDefault, normalize.PilotLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list pilots", err)
	}
	out, err := collect(rows, func(r scanner) (store.Pilot, error) {
		x, err := scanPilot(r)
		return pilotFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("sqlite: list pilots", err)
	}
	return out, nil
}

// UpdatePilot changes the fields of p that are set; see store.Store.
func (s *Store) UpdatePilot(ctx context.Context, p store.UpdatePilotParams) (store.Pilot, error) {
	results, err := normalize.StoredJSON("results", p.Results)
	if err != nil {
		return store.Pilot{}, fmt.Errorf("sqlite: update pilot: %w", err)
	}
	looks, err := normalize.StoredJSON("looks", p.Looks)
	if err != nil {
		return store.Pilot{}, fmt.Errorf("sqlite: update pilot: %w", err)
	}
	var pl store.Pilot
	err = s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		pl, err = queryPilot(ctx, tx, `UPDATE pilots SET
				status = COALESCE(?3, status),
				stop_reason = COALESCE(?4, stop_reason),
				winner = COALESCE(?5, winner),
				recommendation = COALESCE(?6, recommendation),
				promoted_arm = COALESCE(?7, promoted_arm),
				results = COALESCE(?8, results),
				looks = COALESCE(?9, looks),
				ended_at = COALESCE(?10, ended_at),
				updated_at = ?11
			WHERE id = ?1 AND (?2 = '' OR status = ?2)
			RETURNING `+pilotCols,
			p.ID, p.FromStatus, p.Status, p.StopReason, p.Winner, p.Recommendation, p.PromotedArm,
			nullJSON(results), nullJSON(looks), nullNanos(p.EndedAt), nanos(normalize.Time(p.At)))
		if errors.Is(err, sql.ErrNoRows) {
			// The status differs from FromStatus (ErrConflict), or the
			// pilot is missing (no rows: ErrNotFound).
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM pilots WHERE id = ?`, p.ID).Scan(&status); err != nil {
				return err
			}
			return fmt.Errorf("pilot %s is %s, not %s: %w", p.ID, status, p.FromStatus, store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.Pilot{}, mapErr("sqlite: update pilot", err)
	}
	return pl, nil
}

// ListPilotCases returns the measures of the cases of a pilot in one query.
func (s *Store) ListPilotCases(ctx context.Context, pilotID string) ([]store.PilotCase, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.variant, c.customer, c.status, c.version, c.created_at, c.closed_at,
			EXISTS (SELECT 1 FROM spans sp WHERE sp.case_id = c.id AND sp.breached),
			f.csat, f.nps, f.resolved_first_contact, c.reopened_at, `+followUpMeasureCols+`
		FROM cases c LEFT JOIN feedback f ON f.case_id = c.id LEFT JOIN follow_ups fu ON fu.case_id = c.id
		WHERE c.pilot_id = ?
		ORDER BY c.created_at, c.id`, pilotID)
	if err != nil {
		return nil, mapErr("sqlite: list pilot cases", err)
	}
	out, err := collect(rows, func(r scanner) (store.PilotCase, error) {
		var (
			pc                   store.PilotCase
			createdAt            int64
			closedAt, reopenedAt sql.NullInt64
			fu                   followUpMeasure
		)
		err := r.Scan(append([]any{&pc.CaseID, &pc.Arm, &pc.Customer, &pc.Status, &pc.Version, &createdAt, &closedAt,
			&pc.SLABreached, &pc.CSAT, &pc.NPS, &pc.ResolvedFirstContact, &reopenedAt}, fu.dest()...)...)
		pc.CreatedAt, pc.ClosedAt, pc.ReopenedAt = fromNanos(createdAt), fromNullNanos(closedAt), fromNullNanos(reopenedAt)
		pc.FollowUp = fu.measure()
		return pc, err
	})
	if err != nil {
		return nil, mapErr("sqlite: list pilot cases", err)
	}
	return out, nil
}
