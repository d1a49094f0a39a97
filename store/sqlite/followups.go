package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// followUpCols are the columns of a follow-up row, with its call task's
// opening time (the row is fu).
const followUpCols = `fu.case_id, fu.share, fu.sampled, fu.task_id, fu.due_at,
	(SELECT t.opened_at FROM tasks t WHERE t.id = fu.task_id AND fu.task_id <> ''),
	fu.outcome, fu.improvement, fu.csat, fu.comment, fu.answered_by, fu.answered_at, fu.created_at`

// queryFollowUp runs a query returning at most one follow-up row.
func queryFollowUp(ctx context.Context, q querier, query string, args ...any) (store.FollowUp, error) {
	var (
		f                         store.FollowUp
		dueAt, createdAt          int64
		openedAt, answeredAt, cst sql.NullInt64
	)
	err := q.QueryRowContext(ctx, query, args...).Scan(&f.CaseID, &f.Share, &f.Sampled, &f.TaskID, &dueAt, &openedAt,
		&f.Outcome, &f.Improvement, &cst, &f.Comment, &f.AnsweredBy, &answeredAt, &createdAt)
	f.DueAt, f.OpenedAt, f.AnsweredAt, f.CreatedAt = fromNanos(dueAt), fromNullNanos(openedAt), fromNullNanos(answeredAt), fromNanos(createdAt)
	if cst.Valid {
		v := int(cst.Int64)
		f.CSAT = &v
	}
	return f, err
}

// RecordFollowUp writes a completed case's follow-up row once.
func (s *Store) RecordFollowUp(ctx context.Context, p store.RecordFollowUpParams) (store.FollowUp, error) {
	if err := normalize.FollowUp(p); err != nil {
		return store.FollowUp{}, err
	}
	var f store.FollowUp
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO follow_ups (case_id, share, sampled, task_id, due_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (case_id) DO NOTHING`,
			p.CaseID, p.Share, p.Sampled, p.TaskID, nanos(normalize.Time(p.DueAt)), nanos(normalize.Time(p.At))); err != nil {
			return err
		}
		var err error
		f, err = queryFollowUp(ctx, tx, `SELECT `+followUpCols+` FROM follow_ups fu WHERE fu.case_id = ?`, p.CaseID)
		return err
	})
	if err != nil {
		return store.FollowUp{}, mapErr("sqlite: record follow-up", err)
	}
	return f, nil
}

// AnswerFollowUp keeps the first outcome and answers of a call task.
func (s *Store) AnswerFollowUp(ctx context.Context, p store.AnswerFollowUpParams) (store.FollowUp, error) {
	if err := normalize.FollowUpAnswer(p); err != nil {
		return store.FollowUp{}, err
	}
	var f store.FollowUp
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE follow_ups SET outcome = ?, improvement = ?, csat = ?, comment = ?,
				answered_by = ?, answered_at = ?
			WHERE case_id = ? AND task_id = ? AND sampled AND outcome = ''`,
			p.Outcome, p.Improvement, p.CSAT, p.Comment, p.Actor, nanos(normalize.Time(p.At)), p.CaseID, p.TaskID); err != nil {
			return err
		}
		var err error
		f, err = queryFollowUp(ctx, tx, `SELECT `+followUpCols+` FROM follow_ups fu
			WHERE fu.case_id = ? AND fu.task_id = ? AND fu.sampled`, p.CaseID, p.TaskID)
		return err
	})
	if err != nil {
		return store.FollowUp{}, mapErr("sqlite: answer follow-up", err)
	}
	return f, nil
}

// GetFollowUp returns a case's follow-up row.
func (s *Store) GetFollowUp(ctx context.Context, caseID string) (store.FollowUp, error) {
	f, err := queryFollowUp(ctx, s.db, `SELECT `+followUpCols+` FROM follow_ups fu WHERE fu.case_id = ?`, caseID)
	if errors.Is(err, sql.ErrNoRows) {
		return store.FollowUp{}, mapErr("sqlite: get follow-up", store.ErrNotFound)
	}
	if err != nil {
		return store.FollowUp{}, mapErr("sqlite: get follow-up", err)
	}
	return f, nil
}

// followUpMeasureCols are the columns ListCaseMeasures and ListPilotCases
// read of a case's follow-up (LEFT JOIN follow_ups fu); scanFollowUpMeasure
// reads them.
const followUpMeasureCols = `fu.share, fu.sampled, fu.due_at,
	EXISTS (SELECT 1 FROM tasks t WHERE t.id = fu.task_id AND fu.task_id <> ''),
	fu.outcome, fu.improvement, fu.csat`

// followUpMeasure holds the scanned columns of followUpMeasureCols.
type followUpMeasure struct {
	share                sql.NullFloat64
	sampled, opened      sql.NullBool
	dueAt, csat          sql.NullInt64
	outcome, improvement sql.NullString
}

func (x *followUpMeasure) dest() []any {
	return []any{&x.share, &x.sampled, &x.dueAt, &x.opened, &x.outcome, &x.improvement, &x.csat}
}

// measure is the case's follow-up, nil when it has none.
func (x *followUpMeasure) measure() *store.FollowUpMeasure {
	if !x.share.Valid {
		return nil
	}
	m := &store.FollowUpMeasure{Share: x.share.Float64, Sampled: x.sampled.Bool, DueAt: fromNanos(x.dueAt.Int64),
		Opened: x.opened.Bool, Outcome: x.outcome.String, Improvement: x.improvement.String}
	if x.csat.Valid {
		v := int(x.csat.Int64)
		m.CSAT = &v
	}
	return m
}
