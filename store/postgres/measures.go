package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

// ListCaseMeasures returns the measures of the cases of p in (created_at,
// id) order; see store.Store.
func (s *Store) ListCaseMeasures(ctx context.Context, p store.CaseMeasuresParams) ([]store.CaseMeasure, error) {
	var w where
	if p.Flow != "" {
		w.add("c.flow = ?", p.Flow)
	}
	if p.Version != 0 {
		w.add("c.version = ?", p.Version)
	}
	if p.Channel != "" {
		w.add("c.channel = ?", p.Channel)
	}
	if p.Status != "" {
		w.add("c.status = ?", p.Status)
	}
	col := "c.created_at"
	if p.ByClosedAt {
		col = "c.closed_at"
		w.add("c.closed_at IS NOT NULL")
	}
	if p.From != nil {
		w.add(col+" >= ?", bound(*p.From))
	}
	if p.To != nil {
		w.add(col+" < ?", bound(*p.To))
	}
	if c := p.After; c != nil {
		w.add("(c.created_at, c.id) > (?, ?)", c.CreatedAt.UTC(), c.ID)
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.MeasureLimitDefault, normalize.MeasureLimitMax))
	// The spans of completed tasks (tasks and spans are both keyed by case
	// and seq): cancelled and migrated tasks are left out, and so are
	// follow-up calls, which have no span and do not count as the case's
	// first claim (decision 0041).
	rows, err := s.pool.Query(ctx, `SELECT c.id, c.variant, c.customer, c.status, c.version, c.created_at, c.closed_at,
			EXISTS (SELECT 1 FROM spans sp WHERE sp.case_id = c.id AND sp.breached),
			f.csat, f.nps, f.resolved_first_contact, c.reopened_at, c.flow, c.channel,
			(SELECT MIN(t.claimed_at) FROM tasks t WHERE t.case_id = c.id AND t.step <> '`+flow.FollowUpStep+`'),
			ts.spans, ts.with_sla, ts.breached, `+followUpMeasureCols+`
		FROM cases c
		LEFT JOIN feedback f ON f.case_id = c.id
		LEFT JOIN follow_ups fu ON fu.case_id = c.id
		CROSS JOIN LATERAL (SELECT COUNT(*) AS spans,
				COUNT(*) FILTER (WHERE sp.sla_due IS NOT NULL) AS with_sla,
				COUNT(*) FILTER (WHERE sp.sla_due IS NOT NULL AND sp.breached) AS breached
			FROM tasks t JOIN spans sp ON sp.case_id = t.case_id AND sp.seq = t.seq
			WHERE t.case_id = c.id AND t.status = 'completed') ts`+w.String()+`
		ORDER BY c.created_at, c.id LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list case measures", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.CaseMeasure, error) {
		var (
			m                                  store.CaseMeasure
			createdAt                          time.Time
			closedAt, reopenedAt, firstClaimAt *time.Time
			fu                                 followUpMeasure
		)
		err := r.Scan(append([]any{&m.CaseID, &m.Arm, &m.Customer, &m.Status, &m.Version, &createdAt, &closedAt,
			&m.SLABreached, &m.CSAT, &m.NPS, &m.ResolvedFirstContact, &reopenedAt, &m.Flow, &m.Channel,
			&firstClaimAt, &m.TaskSpans, &m.TaskSpansWithSLA, &m.TaskSpansBreached}, fu.dest()...)...)
		m.CreatedAt, m.ClosedAt, m.ReopenedAt = utc(createdAt), utcPtr(closedAt), utcPtr(reopenedAt)
		m.FirstClaimedAt = utcPtr(firstClaimAt)
		m.FollowUp = fu.measure()
		return m, err
	})
	if err != nil {
		return nil, mapErr("postgres: list case measures", err)
	}
	return out, nil
}
