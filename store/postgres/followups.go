package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// followUpCols are the columns of a follow-up row, with its call task's
// opening time (the row is fu).
const followUpCols = `fu.case_id, fu.share, fu.sampled, fu.task_id, fu.due_at,
	(SELECT t.opened_at FROM tasks t WHERE t.id = fu.task_id AND fu.task_id <> ''),
	fu.outcome, fu.improvement, fu.csat, fu.comment, fu.answered_by, fu.answered_at, fu.created_at`

// queryFollowUp runs a query returning at most one follow-up row.
func queryFollowUp(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) (store.FollowUp, error) {
	var (
		f                    store.FollowUp
		dueAt, createdAt     time.Time
		openedAt, answeredAt *time.Time
	)
	err := q.QueryRow(ctx, sql, args...).Scan(&f.CaseID, &f.Share, &f.Sampled, &f.TaskID, &dueAt, &openedAt,
		&f.Outcome, &f.Improvement, &f.CSAT, &f.Comment, &f.AnsweredBy, &answeredAt, &createdAt)
	f.DueAt, f.OpenedAt, f.AnsweredAt, f.CreatedAt = utc(dueAt), utcPtr(openedAt), utcPtr(answeredAt), utc(createdAt)
	return f, err
}

// RecordFollowUp writes a completed case's follow-up row once.
func (s *Store) RecordFollowUp(ctx context.Context, p store.RecordFollowUpParams) (store.FollowUp, error) {
	if err := normalize.FollowUp(p); err != nil {
		return store.FollowUp{}, err
	}
	var f store.FollowUp
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO follow_ups (case_id, share, sampled, task_id, due_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (case_id) DO NOTHING`,
			p.CaseID, p.Share, p.Sampled, p.TaskID, normalize.Time(p.DueAt), normalize.Time(p.At)); err != nil {
			return err
		}
		var err error
		f, err = queryFollowUp(ctx, tx, `SELECT `+followUpCols+` FROM follow_ups fu WHERE fu.case_id = $1`, p.CaseID)
		return err
	})
	if err != nil {
		return store.FollowUp{}, mapErr("postgres: record follow-up", err)
	}
	return f, nil
}

// AnswerFollowUp keeps the first outcome and answers of a call task.
func (s *Store) AnswerFollowUp(ctx context.Context, p store.AnswerFollowUpParams) (store.FollowUp, error) {
	if err := normalize.FollowUpAnswer(p); err != nil {
		return store.FollowUp{}, err
	}
	var f store.FollowUp
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE follow_ups SET outcome = $1, improvement = $2, csat = $3, comment = $4,
				answered_by = $5, answered_at = $6
			WHERE case_id = $7 AND task_id = $8 AND sampled AND outcome = ''`,
			p.Outcome, p.Improvement, p.CSAT, p.Comment, p.Actor, normalize.Time(p.At), p.CaseID, p.TaskID); err != nil {
			return err
		}
		var err error
		f, err = queryFollowUp(ctx, tx, `SELECT `+followUpCols+` FROM follow_ups fu
			WHERE fu.case_id = $1 AND fu.task_id = $2 AND fu.sampled`, p.CaseID, p.TaskID)
		return err
	})
	if err != nil {
		return store.FollowUp{}, mapErr("postgres: answer follow-up", err)
	}
	return f, nil
}

// GetFollowUp returns a case's follow-up row.
func (s *Store) GetFollowUp(ctx context.Context, caseID string) (store.FollowUp, error) {
	f, err := queryFollowUp(ctx, s.pool, `SELECT `+followUpCols+` FROM follow_ups fu WHERE fu.case_id = $1`, caseID)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.FollowUp{}, mapErr("postgres: get follow-up", store.ErrNotFound)
	}
	if err != nil {
		return store.FollowUp{}, mapErr("postgres: get follow-up", err)
	}
	return f, nil
}

// followUpMeasureCols are the columns ListCaseMeasures and ListPilotCases
// read of a case's follow-up (LEFT JOIN follow_ups fu); followUpMeasure
// scans them.
const followUpMeasureCols = `fu.share, fu.sampled, fu.due_at,
	EXISTS (SELECT 1 FROM tasks t WHERE t.id = fu.task_id AND fu.task_id <> ''),
	fu.outcome, fu.improvement, fu.csat`

// followUpMeasure holds the scanned columns of followUpMeasureCols.
type followUpMeasure struct {
	share                *float64
	sampled              *bool
	dueAt                *time.Time
	opened               bool
	outcome, improvement *string
	csat                 *int
}

func (x *followUpMeasure) dest() []any {
	return []any{&x.share, &x.sampled, &x.dueAt, &x.opened, &x.outcome, &x.improvement, &x.csat}
}

// measure is the case's follow-up, nil when it has none.
func (x *followUpMeasure) measure() *store.FollowUpMeasure {
	if x.share == nil {
		return nil
	}
	m := &store.FollowUpMeasure{Share: *x.share, Sampled: x.sampled != nil && *x.sampled, Opened: x.opened, CSAT: x.csat}
	if x.dueAt != nil {
		m.DueAt = x.dueAt.UTC()
	}
	if x.outcome != nil {
		m.Outcome = *x.outcome
	}
	if x.improvement != nil {
		m.Improvement = *x.improvement
	}
	return m
}
