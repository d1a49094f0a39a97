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

const caseCols = `id, flow, version, variant, customer, channel, attributes, status, step, workflow_id,
	COALESCE(idempotency_key, ''), request_hash, created_by, created_at, updated_at, closed_at, sla_due,
	COALESCE(pilot_id, ''), COALESCE(reopened_from, ''), reopened_at,
	COALESCE(failure_reason, ''), restarts, event_count, event_bytes`

// caseRow is a scanned cases row.
type caseRow struct {
	id, flow, variant, customer, channel, status, step, workflowID, idemKey, requestHash, createdBy string
	pilotID, reopenedFrom                                                                           string
	version                                                                                         int
	attributes                                                                                      []byte
	createdAt, updatedAt                                                                            time.Time
	closedAt, slaDue, reopenedAt                                                                    *time.Time
	failure                                                                                         string
	restarts, eventCount                                                                            int
	eventBytes                                                                                      int64
}

func scanCase(r pgx.Row) (caseRow, error) {
	var x caseRow
	err := r.Scan(&x.id, &x.flow, &x.version, &x.variant, &x.customer, &x.channel, &x.attributes, &x.status,
		&x.step, &x.workflowID, &x.idemKey, &x.requestHash, &x.createdBy, &x.createdAt, &x.updatedAt, &x.closedAt, &x.slaDue,
		&x.pilotID, &x.reopenedFrom, &x.reopenedAt, &x.failure, &x.restarts, &x.eventCount, &x.eventBytes)
	return x, err
}

func caseFromInternal(x caseRow) store.Case {
	return store.Case{
		ID: x.id, Flow: x.flow, Version: x.version, Variant: x.variant, Customer: x.customer,
		Channel: x.channel, Attributes: normalize.Raw(x.attributes), Status: x.status, Step: x.step,
		WorkflowID: x.workflowID, IdempotencyKey: x.idemKey, RequestHash: x.requestHash,
		CreatedBy: x.createdBy, CreatedAt: utc(x.createdAt), UpdatedAt: utc(x.updatedAt), ClosedAt: utcPtr(x.closedAt),
		SLADue: utcPtr(x.slaDue), PilotID: x.pilotID, ReopenedFrom: x.reopenedFrom, ReopenedAt: utcPtr(x.reopenedAt),
		Failure: x.failure, Restarts: x.restarts, EventCount: x.eventCount, EventBytes: x.eventBytes,
	}
}

// CreateCase inserts a case, idempotently on IdempotencyKey.
func (s *Store) CreateCase(ctx context.Context, p store.CreateCaseParams) (store.Case, bool, error) {
	at := normalize.Time(p.At)
	status := p.Status
	if status == "" {
		status = store.CaseStarting
	}
	x, err := scanCase(s.pool.QueryRow(ctx, `INSERT INTO cases (id, flow, version, variant, customer, channel,
			attributes, status, workflow_id, idempotency_key, request_hash, created_by, created_at, updated_at,
			pilot_id, reopened_from)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $15)
		ON CONFLICT DO NOTHING RETURNING `+caseCols,
		normalize.ID(p.ID), p.Flow, p.Version, p.Variant, p.Customer, p.Channel, string(normalize.Object(p.Attributes)),
		status, p.WorkflowID, nullString(p.IdempotencyKey), p.RequestHash, p.CreatedBy, at,
		nullString(p.PilotID), nullString(p.ReopenedFrom)))
	if err == nil {
		return caseFromInternal(x), true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return store.Case{}, false, mapErr("postgres: create case", err)
	}
	// Nothing inserted: the idempotency key (or the id) exists.
	if p.IdempotencyKey == "" {
		return store.Case{}, false, fmt.Errorf("postgres: create case: id %q exists: %w", p.ID, store.ErrConflict)
	}
	x, err = scanCase(s.pool.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE idempotency_key = $1`, p.IdempotencyKey))
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Case{}, false, fmt.Errorf("postgres: create case: id %q exists: %w", p.ID, store.ErrConflict)
	}
	if err != nil {
		return store.Case{}, false, mapErr("postgres: create case", err)
	}
	return caseFromInternal(x), false, nil
}

// GetCase returns a case by id.
func (s *Store) GetCase(ctx context.Context, id string) (store.Case, error) {
	x, err := scanCase(s.pool.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, id))
	if err != nil {
		return store.Case{}, mapErr("postgres: get case", err)
	}
	return caseFromInternal(x), nil
}

// UpdateCase changes the fields of p that are set.
func (s *Store) UpdateCase(ctx context.Context, p store.UpdateCaseParams) error {
	tag, err := s.pool.Exec(ctx, `UPDATE cases SET
			status = COALESCE($2, status),
			step = COALESCE($3, step),
			attributes = COALESCE($4::jsonb, attributes),
			closed_at = COALESCE($5, closed_at),
			version = COALESCE($7, version),
			sla_due = COALESCE($8, sla_due),
			updated_at = $6
		WHERE id = $1`,
		p.ID, p.Status, p.Step, nullJSON(normalize.JSON(p.Attributes)), normalize.TimePtr(p.ClosedAt), normalize.Time(p.At),
		p.Version, normalize.TimePtr(p.SLADue))
	if err != nil {
		return mapErr("postgres: update case", err)
	}
	if tag.RowsAffected() == 0 {
		return mapErr("postgres: update case", pgx.ErrNoRows)
	}
	return nil
}

// ListCases lists cases newest first, from after p.After when it is set.
func (s *Store) ListCases(ctx context.Context, p store.ListCasesParams) ([]store.Case, error) {
	query, args, err := listCasesQuery(p)
	if err != nil {
		return nil, fmt.Errorf("postgres: list cases: %w", err)
	}
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, mapErr("postgres: list cases", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Case, error) {
		x, err := scanCase(r)
		return caseFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("postgres: list cases", err)
	}
	return out, nil
}

// MarkCaseReopened records when a later case reopened the closed case id;
// the first time wins.
func (s *Store) MarkCaseReopened(ctx context.Context, id string, at time.Time) (store.Case, error) {
	x, err := scanCase(s.pool.QueryRow(ctx, `UPDATE cases SET
			updated_at = CASE WHEN reopened_at IS NULL THEN $2 ELSE updated_at END,
			reopened_at = COALESCE(reopened_at, $2)
		WHERE id = $1 AND status IN ('completed', 'cancelled')
		RETURNING `+caseCols, id, normalize.Time(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		// Not closed (ErrConflict), or missing (no rows: ErrNotFound).
		var status string
		if err = s.pool.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1`, id).Scan(&status); err == nil {
			err = fmt.Errorf("case %s is %s, not closed: %w", id, status, store.ErrConflict)
		}
	}
	if err != nil {
		return store.Case{}, mapErr("postgres: mark case reopened", err)
	}
	return caseFromInternal(x), nil
}

// KeepCreateResponse stores body unless a response is stored already and
// returns the stored one.
func (s *Store) KeepCreateResponse(ctx context.Context, id string, body []byte) ([]byte, error) {
	var kept string
	err := s.pool.QueryRow(ctx, `UPDATE cases SET create_response = COALESCE(create_response, $2)
		WHERE id = $1 RETURNING create_response`, id, string(body)).Scan(&kept)
	if err != nil {
		return nil, mapErr("postgres: keep create response", err)
	}
	return []byte(kept), nil
}

// caseSearch adds the search filters of p (decision 0026): customer on
// cases_customer_idx, the id prefix as a range of cases_id_c_idx (ids in
// byte order, whatever the database's collation), each attribute filter as
// containments cases_attributes_idx (GIN, jsonb_path_ops) answers.
func caseSearch(w *where, p store.ListCasesParams) error {
	if err := normalize.CheckCaseSearch(p); err != nil {
		return err
	}
	if p.IDs != nil {
		w.add("id = ANY(?)", p.IDs)
	}
	if p.Customer != "" {
		w.add("customer = ?", p.Customer)
	}
	if p.IDPrefix != "" {
		if lo, hi, ok := normalize.IDPrefixRange(p.IDPrefix); ok {
			w.add(`id COLLATE "C" >= ? AND id COLLATE "C" < ?`, lo, hi)
		} else {
			w.add("starts_with(id, ?)", p.IDPrefix)
		}
	}
	for _, f := range p.Attributes {
		objs := normalize.AttributeContainments(f)
		conds := make([]string, len(objs))
		args := make([]any, len(objs))
		for i, o := range objs {
			conds[i], args[i] = "attributes @> ?::jsonb", o
		}
		w.add("("+strings.Join(conds, " OR ")+")", args...)
	}
	return nil
}

// listCasesQuery is ListCases' query and its arguments.
func listCasesQuery(p store.ListCasesParams) (string, []any, error) {
	var w where
	if p.Flow != "" {
		w.add("flow = ?", p.Flow)
	}
	if p.Status != "" {
		w.add("status = ?", p.Status)
	}
	if p.Version != 0 {
		w.add("version = ?", p.Version)
	}
	if p.From != nil {
		w.add("created_at >= ?", bound(*p.From))
	}
	if p.To != nil {
		w.add("created_at < ?", bound(*p.To))
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		w.add("(created_at, id) < (?, ?)", c.CreatedAt.UTC(), c.ID)
	}
	if err := caseSearch(&w, p); err != nil {
		return "", nil, err
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.CaseLimitDefault, normalize.CaseLimitMax))
	return `SELECT ` + caseCols + ` FROM cases` + w.String() + `
		ORDER BY created_at DESC, id DESC LIMIT ` + limit, w.args, nil
}

// CountCaseEvent takes one event from the case's event budget.
func (s *Store) CountCaseEvent(ctx context.Context, p store.CaseEventParams) (store.CaseEvents, error) {
	var got store.CaseEvents
	err := s.pool.QueryRow(ctx, `UPDATE cases SET event_count = event_count + 1, event_bytes = event_bytes + $2
		WHERE id = $1 AND event_count + 1 <= $3 AND event_bytes + $2 <= $4
		RETURNING event_count, event_bytes`, p.ID, p.Bytes, p.MaxCount, p.MaxBytes).Scan(&got.Count, &got.Bytes)
	if errors.Is(err, pgx.ErrNoRows) {
		err = s.pool.QueryRow(ctx, `SELECT event_count, event_bytes FROM cases WHERE id = $1`, p.ID).Scan(&got.Count, &got.Bytes)
		if err == nil {
			err = fmt.Errorf("case %s has taken %d events of %d bytes: %w", p.ID, got.Count, got.Bytes, store.ErrLimit)
		}
	}
	if err != nil {
		return got, mapErr("postgres: count case event", err)
	}
	return got, nil
}

// FailCase marks an active case failed, closes its open tasks
// and appends the audit entry, in one transaction.
func (s *Store) FailCase(ctx context.Context, p store.FailCaseParams) (store.Case, bool, error) {
	at := normalize.Time(p.At)
	var (
		c       store.Case
		changed bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		x, err := scanCase(tx.QueryRow(ctx, `UPDATE cases SET status = 'failed', failure_reason = $2,
				closed_at = $3, updated_at = $3
			WHERE id = $1 AND status = 'active' RETURNING `+caseCols, p.ID, p.Reason, at))
		if errors.Is(err, pgx.ErrNoRows) {
			x, err = scanCase(tx.QueryRow(ctx, `SELECT `+caseCols+` FROM cases WHERE id = $1`, p.ID))
			c = caseFromInternal(x)
			return err
		}
		if err != nil {
			return err
		}
		c, changed = caseFromInternal(x), true
		// Each open task closes as a cancelled one does, span included.
		rows, err := tx.Query(ctx, `SELECT id FROM tasks WHERE case_id = $1 AND status = 'open' ORDER BY seq`, p.ID)
		if err != nil {
			return err
		}
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, id := range ids {
			if _, err := s.cancelTask(ctx, tx, id, at, store.Span{}); err != nil {
				return err
			}
		}
		return appendAudit(ctx, tx, p.Audit)
	})
	if err != nil {
		return store.Case{}, false, mapErr("postgres: fail case", err)
	}
	return c, changed, nil
}

// SettleFailedCase restarts or closes a failed case.
func (s *Store) SettleFailedCase(ctx context.Context, p store.SettleFailedCaseParams) (store.Case, error) {
	if p.Status != store.CaseStarting && p.Status != store.CaseCancelled {
		return store.Case{}, fmt.Errorf("postgres: settle failed case: status %q: %w", p.Status, store.ErrConflict)
	}
	at := normalize.Time(p.At)
	var c store.Case
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		x, err := scanCase(tx.QueryRow(ctx, `UPDATE cases SET status = $2,
				closed_at = CASE WHEN $2 = 'starting' THEN NULL ELSE closed_at END,
				restarts = restarts + CASE WHEN $2 = 'starting' THEN 1 ELSE 0 END,
				updated_at = $3
			WHERE id = $1 AND status = 'failed' RETURNING `+caseCols, p.ID, p.Status, at))
		if errors.Is(err, pgx.ErrNoRows) {
			return s.explainCase(ctx, tx, p.ID)
		}
		if err != nil {
			return err
		}
		c = caseFromInternal(x)
		return appendAudit(ctx, tx, p.Audit)
	})
	if err != nil {
		return store.Case{}, mapErr("postgres: settle failed case", err)
	}
	return c, nil
}

// explainCase is the error of a change that found case id not failed:
// ErrNotFound when it does not exist, else ErrConflict naming its status.
func (s *Store) explainCase(ctx context.Context, tx pgx.Tx, id string) error {
	var status string
	if err := tx.QueryRow(ctx, `SELECT status FROM cases WHERE id = $1`, id).Scan(&status); err != nil {
		return err
	}
	return fmt.Errorf("case %s is %s, not failed: %w", id, status, store.ErrConflict)
}
