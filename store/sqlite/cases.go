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
	createdAt, updatedAt                                                                            int64
	closedAt, slaDue, reopenedAt                                                                    sql.NullInt64
	failure                                                                                         string
	restarts, eventCount                                                                            int
	eventBytes                                                                                      int64
}

func scanCase(r scanner) (caseRow, error) {
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
		CreatedBy: x.createdBy, CreatedAt: fromNanos(x.createdAt), UpdatedAt: fromNanos(x.updatedAt),
		ClosedAt: fromNullNanos(x.closedAt), SLADue: fromNullNanos(x.slaDue),
		PilotID: x.pilotID, ReopenedFrom: x.reopenedFrom, ReopenedAt: fromNullNanos(x.reopenedAt),
		Failure: x.failure, Restarts: x.restarts, EventCount: x.eventCount, EventBytes: x.eventBytes,
	}
}

// CreateCase inserts a case, idempotently on IdempotencyKey.
func (s *Store) CreateCase(ctx context.Context, p store.CreateCaseParams) (store.Case, bool, error) {
	at := nanos(normalize.Time(p.At))
	status := p.Status
	if status == "" {
		status = store.CaseStarting
	}
	var (
		c       store.Case
		created bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := scanCase(tx.QueryRowContext(ctx, `INSERT INTO cases (id, flow, version, variant, customer, channel,
				attributes, status, workflow_id, idempotency_key, request_hash, created_by, created_at, updated_at,
				pilot_id, reopened_from)
			VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15)
			ON CONFLICT DO NOTHING RETURNING `+caseCols,
			normalize.ID(p.ID), p.Flow, p.Version, p.Variant, p.Customer, p.Channel, string(normalize.Object(p.Attributes)),
			status, p.WorkflowID, nullString(p.IdempotencyKey), p.RequestHash, p.CreatedBy, at,
			nullString(p.PilotID), nullString(p.ReopenedFrom)))
		if err == nil {
			c, created = caseFromInternal(x), true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Nothing inserted: the idempotency key (or the id) exists.
		conflict := fmt.Errorf("id %q exists: %w", p.ID, store.ErrConflict)
		if p.IdempotencyKey == "" {
			return conflict
		}
		x, err = scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE idempotency_key = ?`, p.IdempotencyKey))
		if errors.Is(err, sql.ErrNoRows) {
			return conflict
		}
		c = caseFromInternal(x)
		return err
	})
	if err != nil {
		return store.Case{}, false, mapErr("sqlite: create case", err)
	}
	return c, created, nil
}

// GetCase returns a case by id.
func (s *Store) GetCase(ctx context.Context, id string) (store.Case, error) {
	x, err := scanCase(s.db.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, id))
	if err != nil {
		return store.Case{}, mapErr("sqlite: get case", err)
	}
	return caseFromInternal(x), nil
}

// UpdateCase changes the fields of p that are set.
func (s *Store) UpdateCase(ctx context.Context, p store.UpdateCaseParams) error {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE cases SET
				status = COALESCE(?2, status),
				step = COALESCE(?3, step),
				attributes = COALESCE(?4, attributes),
				closed_at = COALESCE(?5, closed_at),
				version = COALESCE(?7, version),
				sla_due = COALESCE(?8, sla_due),
				updated_at = ?6
			WHERE id = ?1`,
			p.ID, p.Status, p.Step, nullJSON(normalize.JSON(p.Attributes)), nullNanos(p.ClosedAt), nanos(normalize.Time(p.At)),
			p.Version, nullNanos(p.SLADue))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return noRows(err)
		}
		return nil
	})
	if err != nil {
		return mapErr("sqlite: update case", err)
	}
	return nil
}

// ListCases lists cases newest first, from after p.After when it is set.
func (s *Store) ListCases(ctx context.Context, p store.ListCasesParams) ([]store.Case, error) {
	query, args, err := listCasesQuery(p)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list cases: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list cases", err)
	}
	out, err := collect(rows, func(r scanner) (store.Case, error) {
		x, err := scanCase(r)
		return caseFromInternal(x), err
	})
	if err != nil {
		return nil, mapErr("sqlite: list cases", err)
	}
	return out, nil
}

// listCasesQuery is ListCases' query and its arguments.
func listCasesQuery(p store.ListCasesParams) (string, []any, error) {
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
	if p.Version != 0 {
		where, args = append(where, "version = ?"), append(args, p.Version)
	}
	if p.From != nil {
		where, args = append(where, "created_at >= ?"), append(args, nanos(*p.From))
	}
	if p.To != nil {
		where, args = append(where, "created_at < ?"), append(args, nanos(*p.To))
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	if err := normalize.CheckCaseSearch(p); err != nil {
		return "", nil, err
	}
	where, args = caseSearch(where, args, p)
	query := `SELECT ` + caseCols + ` FROM cases`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.CaseLimitDefault, normalize.CaseLimitMax))
	return query, args, nil
}

// MarkCaseReopened records when a later case reopened the closed case id;
// the first time wins.
func (s *Store) MarkCaseReopened(ctx context.Context, id string, at time.Time) (store.Case, error) {
	var c store.Case
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := scanCase(tx.QueryRowContext(ctx, `UPDATE cases SET
				updated_at = CASE WHEN reopened_at IS NULL THEN ?2 ELSE updated_at END,
				reopened_at = COALESCE(reopened_at, ?2)
			WHERE id = ?1 AND status IN ('completed', 'cancelled')
			RETURNING `+caseCols, id, nanos(normalize.Time(at))))
		if errors.Is(err, sql.ErrNoRows) {
			// Not closed (ErrConflict), or missing (no rows: ErrNotFound).
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM cases WHERE id = ?`, id).Scan(&status); err != nil {
				return err
			}
			return fmt.Errorf("case %s is %s, not closed: %w", id, status, store.ErrConflict)
		}
		c = caseFromInternal(x)
		return err
	})
	if err != nil {
		return store.Case{}, mapErr("sqlite: mark case reopened", err)
	}
	return c, nil
}

// KeepCreateResponse stores body unless a response is stored already and
// returns the stored one.
func (s *Store) KeepCreateResponse(ctx context.Context, id string, body []byte) ([]byte, error) {
	var kept string
	err := s.db.QueryRowContext(ctx, `UPDATE cases SET create_response = COALESCE(create_response, ?)
		WHERE id = ? RETURNING create_response`, string(body), id).Scan(&kept)
	if err != nil {
		return nil, mapErr("sqlite: keep create response", err)
	}
	return []byte(kept), nil
}

// caseSearch adds the search filters of p (decision 0026), checked by
// normalize.CheckCaseSearch: customer on cases_customer_idx, the id prefix
// as a range of the primary key, each attribute filter by the type and
// value of its key. SQLite has no index over every key of a JSON object:
// attribute filters are tested on the rows the other conditions leave, in
// list order, until the page is full.
func caseSearch(where []string, args []any, p store.ListCasesParams) ([]string, []any) {
	if p.IDs != nil {
		where, args = append(where, "id IN (SELECT value FROM json_each(?))"), append(args, string(normalize.Strings(p.IDs)))
	}
	if p.Customer != "" {
		where, args = append(where, "customer = ?"), append(args, p.Customer)
	}
	if p.IDPrefix != "" {
		if lo, hi, ok := normalize.IDPrefixRange(p.IDPrefix); ok {
			where, args = append(where, "id >= ? AND id < ?"), append(args, lo, hi)
		} else {
			where, args = append(where, "substr(id, 1, length(?)) = ?"), append(args, p.IDPrefix, p.IDPrefix)
		}
	}
	for _, f := range p.Attributes {
		// The key is ValidAttributeKey: quoting it makes it one label.
		path := `$."` + f.Key + `"`
		var num any // NULL: the value is not a number, no number matches
		if n, ok := normalize.AttributeNumber(f.Value); ok {
			num = n
		}
		where = append(where, `(CASE json_type(attributes, ?)
			WHEN 'text' THEN json_extract(attributes, ?) = ?
			WHEN 'integer' THEN json_extract(attributes, ?) = ?
			WHEN 'real' THEN json_extract(attributes, ?) = ?
			WHEN 'true' THEN ?
			WHEN 'false' THEN ?
			ELSE 0 END)`)
		args = append(args, path, path, f.Value, path, num, path, num, f.Value == "true", f.Value == "false")
	}
	return where, args
}

// CountCaseEvent takes one event from the case's event budget.
func (s *Store) CountCaseEvent(ctx context.Context, p store.CaseEventParams) (store.CaseEvents, error) {
	var got store.CaseEvents
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `UPDATE cases SET event_count = event_count + 1, event_bytes = event_bytes + ?2
			WHERE id = ?1 AND event_count + 1 <= ?3 AND event_bytes + ?2 <= ?4
			RETURNING event_count, event_bytes`, p.ID, p.Bytes, p.MaxCount, p.MaxBytes).Scan(&got.Count, &got.Bytes)
		if errors.Is(err, sql.ErrNoRows) {
			err = tx.QueryRowContext(ctx, `SELECT event_count, event_bytes FROM cases WHERE id = ?`, p.ID).Scan(&got.Count, &got.Bytes)
			if err == nil {
				err = fmt.Errorf("case %s has taken %d events of %d bytes: %w", p.ID, got.Count, got.Bytes, store.ErrLimit)
			}
		}
		return err
	})
	if err != nil {
		return got, mapErr("sqlite: count case event", err)
	}
	return got, nil
}

// FailCase marks an active case failed, closes its open tasks
// and appends the audit entry, in one transaction.
func (s *Store) FailCase(ctx context.Context, p store.FailCaseParams) (store.Case, bool, error) {
	at := nanos(normalize.Time(p.At))
	var (
		c       store.Case
		changed bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := scanCase(tx.QueryRowContext(ctx, `UPDATE cases SET status = 'failed', failure_reason = ?2,
				closed_at = ?3, updated_at = ?3
			WHERE id = ?1 AND status = 'active' RETURNING `+caseCols, p.ID, p.Reason, at))
		if errors.Is(err, sql.ErrNoRows) {
			x, err = scanCase(tx.QueryRowContext(ctx, `SELECT `+caseCols+` FROM cases WHERE id = ?`, p.ID))
			c = caseFromInternal(x)
			return err
		}
		if err != nil {
			return err
		}
		c, changed = caseFromInternal(x), true
		// Each open task closes as a cancelled one does, span included.
		rows, err := tx.QueryContext(ctx, `SELECT id FROM tasks WHERE case_id = ? AND status = 'open' ORDER BY seq`, p.ID)
		if err != nil {
			return err
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
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
		return store.Case{}, false, mapErr("sqlite: fail case", err)
	}
	return c, changed, nil
}

// SettleFailedCase restarts or closes a failed case.
func (s *Store) SettleFailedCase(ctx context.Context, p store.SettleFailedCaseParams) (store.Case, error) {
	if p.Status != store.CaseStarting && p.Status != store.CaseCancelled {
		return store.Case{}, fmt.Errorf("sqlite: settle failed case: status %q: %w", p.Status, store.ErrConflict)
	}
	at := nanos(normalize.Time(p.At))
	var c store.Case
	err := s.tx(ctx, func(tx *sql.Tx) error {
		x, err := scanCase(tx.QueryRowContext(ctx, `UPDATE cases SET status = ?2,
				closed_at = CASE WHEN ?2 = 'starting' THEN NULL ELSE closed_at END,
				restarts = restarts + CASE WHEN ?2 = 'starting' THEN 1 ELSE 0 END,
				updated_at = ?3
			WHERE id = ?1 AND status = 'failed' RETURNING `+caseCols, p.ID, p.Status, at))
		if errors.Is(err, sql.ErrNoRows) {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM cases WHERE id = ?`, p.ID).Scan(&status); err != nil {
				return err
			}
			return fmt.Errorf("case %s is %s, not failed: %w", p.ID, status, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		c = caseFromInternal(x)
		return appendAudit(ctx, tx, p.Audit)
	})
	if err != nil {
		return store.Case{}, mapErr("sqlite: settle failed case", err)
	}
	return c, nil
}
