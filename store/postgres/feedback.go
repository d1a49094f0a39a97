package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const feedbackCols = `case_id, csat, nps, resolved_first_contact, created_by, created_at, updated_at`

// queryFeedback runs a query returning at most one feedback row.
func queryFeedback(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) (store.Feedback, error) {
	var (
		fb                   store.Feedback
		createdAt, updatedAt time.Time
	)
	err := q.QueryRow(ctx, sql, args...).Scan(&fb.CaseID, &fb.CSAT, &fb.NPS, &fb.ResolvedFirstContact, &fb.CreatedBy,
		&createdAt, &updatedAt)
	fb.CreatedAt, fb.UpdatedAt = utc(createdAt), utc(updatedAt)
	return fb, err
}

// PutFeedback stores the feedback on a case, replacing earlier values.
func (s *Store) PutFeedback(ctx context.Context, p store.PutFeedbackParams) (store.Feedback, bool, error) {
	at := normalize.Time(p.At)
	fb, err := queryFeedback(ctx, s.pool, `INSERT INTO feedback (case_id, csat, nps, resolved_first_contact,
			created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (case_id) DO NOTHING RETURNING `+feedbackCols,
		p.CaseID, p.CSAT, p.NPS, p.ResolvedFirstContact, p.Actor, at)
	if err == nil {
		return fb, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.Feedback{}, false, mapErr("postgres: put feedback", err)
	}
	// The case has feedback (rows are never deleted): replace it.
	fb, err = queryFeedback(ctx, s.pool, `UPDATE feedback SET csat = $2, nps = $3, resolved_first_contact = $4,
			updated_at = $5
		WHERE case_id = $1 RETURNING `+feedbackCols,
		p.CaseID, p.CSAT, p.NPS, p.ResolvedFirstContact, at)
	if err != nil {
		return store.Feedback{}, false, mapErr("postgres: put feedback", err)
	}
	return fb, false, nil
}

// GetFeedback returns the feedback on a case.
func (s *Store) GetFeedback(ctx context.Context, caseID string) (store.Feedback, error) {
	fb, err := queryFeedback(ctx, s.pool, `SELECT `+feedbackCols+` FROM feedback WHERE case_id = $1`, caseID)
	if err != nil {
		return store.Feedback{}, mapErr("postgres: get feedback", err)
	}
	return fb, nil
}
