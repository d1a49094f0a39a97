package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const feedbackCols = `case_id, csat, nps, resolved_first_contact, created_by, created_at, updated_at`

// queryFeedback runs a query returning at most one feedback row.
func queryFeedback(ctx context.Context, q querier, query string, args ...any) (store.Feedback, error) {
	var (
		fb                   store.Feedback
		createdAt, updatedAt int64
	)
	err := q.QueryRowContext(ctx, query, args...).Scan(&fb.CaseID, &fb.CSAT, &fb.NPS, &fb.ResolvedFirstContact,
		&fb.CreatedBy, &createdAt, &updatedAt)
	fb.CreatedAt, fb.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
	return fb, err
}

// PutFeedback stores the feedback on a case, replacing earlier values.
func (s *Store) PutFeedback(ctx context.Context, p store.PutFeedbackParams) (store.Feedback, bool, error) {
	at := nanos(normalize.Time(p.At))
	var (
		fb      store.Feedback
		created bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		fb, err = queryFeedback(ctx, tx, `INSERT INTO feedback (case_id, csat, nps, resolved_first_contact,
				created_by, created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
			ON CONFLICT (case_id) DO NOTHING RETURNING `+feedbackCols,
			p.CaseID, p.CSAT, p.NPS, p.ResolvedFirstContact, p.Actor, at)
		if err == nil {
			created = true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The case has feedback: replace it.
		fb, err = queryFeedback(ctx, tx, `UPDATE feedback SET csat = ?2, nps = ?3, resolved_first_contact = ?4,
				updated_at = ?5
			WHERE case_id = ?1 RETURNING `+feedbackCols,
			p.CaseID, p.CSAT, p.NPS, p.ResolvedFirstContact, at)
		return err
	})
	if err != nil {
		return store.Feedback{}, false, mapErr("sqlite: put feedback", err)
	}
	return fb, created, nil
}

// GetFeedback returns the feedback on a case.
func (s *Store) GetFeedback(ctx context.Context, caseID string) (store.Feedback, error) {
	fb, err := queryFeedback(ctx, s.db, `SELECT `+feedbackCols+` FROM feedback WHERE case_id = ?`, caseID)
	if err != nil {
		return store.Feedback{}, mapErr("sqlite: get feedback", err)
	}
	return fb, nil
}
