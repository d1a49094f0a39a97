package sqlite

import (
	"context"
	"database/sql"
	"strings"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// completedTaskSpans joins each completed task of case c to its span; the
// measures count them (tasks and spans are both keyed by case and seq).
// A follow-up call has no span, so it is left out, as it is of the first
// claim (decision 0041).
const completedTaskSpans = `FROM tasks t JOIN spans sp ON sp.case_id = t.case_id AND sp.seq = t.seq
	WHERE t.case_id = c.id AND t.status = 'completed'`

// ListCaseMeasures returns the measures of the cases of p in (created_at,
// id) order; see store.Store.
func (s *Store) ListCaseMeasures(ctx context.Context, p store.CaseMeasuresParams) ([]store.CaseMeasure, error) {
	var (
		where []string
		args  []any
	)
	add := func(cond string, arg ...any) { where, args = append(where, cond), append(args, arg...) }
	if p.Flow != "" {
		add("c.flow = ?", p.Flow)
	}
	if p.Version != 0 {
		add("c.version = ?", p.Version)
	}
	if p.Channel != "" {
		add("c.channel = ?", p.Channel)
	}
	if p.Status != "" {
		add("c.status = ?", p.Status)
	}
	col := "c.created_at"
	if p.ByClosedAt {
		col = "c.closed_at"
		add("c.closed_at IS NOT NULL")
	}
	if p.From != nil {
		add(col+" >= ?", nanos(*p.From))
	}
	if p.To != nil {
		add(col+" < ?", nanos(*p.To))
	}
	if c := p.After; c != nil {
		add("(c.created_at, c.id) > (?, ?)", nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT c.id, c.variant, c.customer, c.status, c.version, c.created_at, c.closed_at,
			EXISTS (SELECT 1 FROM spans sp WHERE sp.case_id = c.id AND sp.breached),
			f.csat, f.nps, f.resolved_first_contact, c.reopened_at, c.flow, c.channel,
			(SELECT MIN(t.claimed_at) FROM tasks t WHERE t.case_id = c.id AND t.step <> '` + flow.FollowUpStep + `'),
			(SELECT COUNT(*) ` + completedTaskSpans + `),
			(SELECT COUNT(*) ` + completedTaskSpans + ` AND sp.sla_due IS NOT NULL),
			(SELECT COUNT(*) ` + completedTaskSpans + ` AND sp.sla_due IS NOT NULL AND sp.breached),
			` + followUpMeasureCols + `
		FROM cases c LEFT JOIN feedback f ON f.case_id = c.id LEFT JOIN follow_ups fu ON fu.case_id = c.id`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY c.created_at, c.id LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.MeasureLimitDefault, normalize.MeasureLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list case measures", err)
	}
	out, err := collect(rows, func(r scanner) (store.CaseMeasure, error) {
		var (
			m                                  store.CaseMeasure
			createdAt                          int64
			closedAt, reopenedAt, firstClaimAt sql.NullInt64
			fu                                 followUpMeasure
		)
		err := r.Scan(append([]any{&m.CaseID, &m.Arm, &m.Customer, &m.Status, &m.Version, &createdAt, &closedAt,
			&m.SLABreached, &m.CSAT, &m.NPS, &m.ResolvedFirstContact, &reopenedAt, &m.Flow, &m.Channel,
			&firstClaimAt, &m.TaskSpans, &m.TaskSpansWithSLA, &m.TaskSpansBreached}, fu.dest()...)...)
		m.CreatedAt, m.ClosedAt, m.ReopenedAt = fromNanos(createdAt), fromNullNanos(closedAt), fromNullNanos(reopenedAt)
		m.FirstClaimedAt = fromNullNanos(firstClaimAt)
		m.FollowUp = fu.measure()
		return m, err
	})
	if err != nil {
		return nil, mapErr("sqlite: list case measures", err)
	}
	return out, nil
}
