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

const proposalCols = `id, title, body, author, status, votes, adopted_case_id, created_at, updated_at`

func scanProposal(r scanner) (store.Proposal, error) {
	var (
		p                    store.Proposal
		createdAt, updatedAt int64
	)
	err := r.Scan(&p.ID, &p.Title, &p.Body, &p.Author, &p.Status, &p.Votes, &p.AdoptedCaseID, &createdAt, &updatedAt)
	p.CreatedAt, p.UpdatedAt = fromNanos(createdAt), fromNanos(updatedAt)
	return p, err
}

// CreateProposal inserts an open proposal.
func (s *Store) CreateProposal(ctx context.Context, p store.CreateProposalParams) (store.Proposal, error) {
	var pr store.Proposal
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		pr, err = scanProposal(tx.QueryRowContext(ctx, `INSERT INTO proposals (id, title, body, author, status,
				created_at, updated_at)
			VALUES (?1, ?2, ?3, ?4, 'open', ?5, ?5) RETURNING `+proposalCols,
			normalize.ID(p.ID), p.Title, p.Body, p.Author, nanos(normalize.Time(p.At))))
		return err
	})
	if err != nil {
		return store.Proposal{}, mapErr("sqlite: create proposal", err)
	}
	return pr, nil
}

// GetProposal returns a proposal by id.
func (s *Store) GetProposal(ctx context.Context, id string) (store.Proposal, error) {
	pr, err := scanProposal(s.db.QueryRowContext(ctx, `SELECT `+proposalCols+` FROM proposals WHERE id = ?`, id))
	if err != nil {
		return store.Proposal{}, mapErr("sqlite: get proposal", err)
	}
	return pr, nil
}

// ListProposals lists proposals newest first, from after p.After when it is set.
func (s *Store) ListProposals(ctx context.Context, p store.ListProposalsParams) ([]store.Proposal, error) {
	var (
		where []string
		args  []any
	)
	if p.Status != "" {
		where, args = append(where, "status = ?"), append(args, p.Status)
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		where = append(where, "(created_at, id) < (?, ?)")
		args = append(args, nanos(c.CreatedAt), c.ID)
	}
	query := `SELECT ` + proposalCols + ` FROM proposals`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, " AND ")
	}
	query += ` ORDER BY created_at DESC, id DESC LIMIT ?`
	args = append(args, normalize.Limit(p.Limit, normalize.ProposalLimitDefault, normalize.ProposalLimitMax))
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, mapErr("sqlite: list proposals", err)
	}
	out, err := collect(rows, scanProposal)
	if err != nil {
		return nil, mapErr("sqlite: list proposals", err)
	}
	return out, nil
}

// VoteProposal records actor's vote on an open proposal, once per actor.
func (s *Store) VoteProposal(ctx context.Context, id, actor string, at time.Time) (store.Proposal, bool, error) {
	ns := nanos(normalize.Time(at))
	var (
		pr    store.Proposal
		voted bool
	)
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var status string
		if err := tx.QueryRowContext(ctx, `SELECT status FROM proposals WHERE id = ?`, id).Scan(&status); err != nil {
			return err
		}
		if status != store.ProposalOpen {
			return fmt.Errorf("proposal %s is %s: %w", id, status, store.ErrConflict)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO proposal_votes (proposal_id, actor, at) VALUES (?, ?, ?)
			ON CONFLICT DO NOTHING`, id, actor, ns)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		voted = n == 1
		if voted {
			pr, err = scanProposal(tx.QueryRowContext(ctx, `UPDATE proposals SET votes = votes + 1, updated_at = ?2
				WHERE id = ?1 RETURNING `+proposalCols, id, ns))
		} else {
			pr, err = scanProposal(tx.QueryRowContext(ctx, `SELECT `+proposalCols+` FROM proposals WHERE id = ?`, id))
		}
		return err
	})
	if err != nil {
		return store.Proposal{}, false, mapErr("sqlite: vote proposal", err)
	}
	return pr, voted, nil
}

// AdoptProposal marks an open proposal adopted by the case caseID.
func (s *Store) AdoptProposal(ctx context.Context, id, caseID string, at time.Time) (store.Proposal, error) {
	pr, err := s.closeProposal(ctx, id, store.ProposalAdopted, caseID, at)
	if err != nil {
		return store.Proposal{}, mapErr("sqlite: adopt proposal", err)
	}
	return pr, nil
}

// DeclineProposal marks an open proposal declined.
func (s *Store) DeclineProposal(ctx context.Context, id string, at time.Time) (store.Proposal, error) {
	pr, err := s.closeProposal(ctx, id, store.ProposalDeclined, "", at)
	if err != nil {
		return store.Proposal{}, mapErr("sqlite: decline proposal", err)
	}
	return pr, nil
}

// closeProposal moves an open proposal to status.
func (s *Store) closeProposal(ctx context.Context, id, status, caseID string, at time.Time) (store.Proposal, error) {
	var pr store.Proposal
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		pr, err = scanProposal(tx.QueryRowContext(ctx, `UPDATE proposals SET status = ?2, adopted_case_id = ?3,
				updated_at = ?4
			WHERE id = ?1 AND status = 'open' RETURNING `+proposalCols, id, status, caseID, nanos(normalize.Time(at))))
		if errors.Is(err, sql.ErrNoRows) {
			// Not open (ErrConflict), or missing (no rows: ErrNotFound).
			var cur string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM proposals WHERE id = ?`, id).Scan(&cur); err != nil {
				return err
			}
			return fmt.Errorf("proposal %s is %s: %w", id, cur, store.ErrConflict)
		}
		return err
	})
	return pr, err
}

// ProposalStats counts proposals by status.
func (s *Store) ProposalStats(ctx context.Context) (store.ProposalCounts, error) {
	var c store.ProposalCounts
	err := s.db.QueryRowContext(ctx, `SELECT
			COALESCE(SUM(status = 'open'), 0),
			COALESCE(SUM(status = 'adopted'), 0),
			COALESCE(SUM(status = 'declined'), 0)
		FROM proposals`).Scan(&c.Open, &c.Adopted, &c.Declined)
	if err != nil {
		return store.ProposalCounts{}, mapErr("sqlite: proposal stats", err)
	}
	return c, nil
}
