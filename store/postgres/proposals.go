package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/internal/normalize"
)

const proposalCols = `id, title, body, author, status, votes, adopted_case_id, created_at, updated_at`

func scanProposal(r pgx.Row) (store.Proposal, error) {
	var (
		p                    store.Proposal
		createdAt, updatedAt time.Time
	)
	err := r.Scan(&p.ID, &p.Title, &p.Body, &p.Author, &p.Status, &p.Votes, &p.AdoptedCaseID, &createdAt, &updatedAt)
	p.CreatedAt, p.UpdatedAt = utc(createdAt), utc(updatedAt)
	return p, err
}

// CreateProposal inserts an open proposal.
func (s *Store) CreateProposal(ctx context.Context, p store.CreateProposalParams) (store.Proposal, error) {
	pr, err := scanProposal(s.pool.QueryRow(ctx, `INSERT INTO proposals (id, title, body, author, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'open', $5, $5) RETURNING `+proposalCols,
		normalize.ID(p.ID), p.Title, p.Body, p.Author, normalize.Time(p.At)))
	if err != nil {
		return store.Proposal{}, mapErr("postgres: create proposal", err)
	}
	return pr, nil
}

// GetProposal returns a proposal by id.
func (s *Store) GetProposal(ctx context.Context, id string) (store.Proposal, error) {
	pr, err := scanProposal(s.pool.QueryRow(ctx, `SELECT `+proposalCols+` FROM proposals WHERE id = $1`, id))
	if err != nil {
		return store.Proposal{}, mapErr("postgres: get proposal", err)
	}
	return pr, nil
}

// ListProposals lists proposals newest first, from after p.After when it is set.
func (s *Store) ListProposals(ctx context.Context, p store.ListProposalsParams) ([]store.Proposal, error) {
	var w where
	if p.Status != "" {
		w.add("status = ?", p.Status)
	}
	if c := p.After; c != nil {
		// Rows strictly after c in (created_at DESC, id DESC) order.
		w.add("(created_at, id) < (?, ?)", c.CreatedAt.UTC(), c.ID)
	}
	limit := w.arg(normalize.Limit(p.Limit, normalize.ProposalLimitDefault, normalize.ProposalLimitMax))
	rows, err := s.pool.Query(ctx, `SELECT `+proposalCols+` FROM proposals`+w.String()+`
		ORDER BY created_at DESC, id DESC LIMIT `+limit, w.args...)
	if err != nil {
		return nil, mapErr("postgres: list proposals", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Proposal, error) { return scanProposal(r) })
	if err != nil {
		return nil, mapErr("postgres: list proposals", err)
	}
	return out, nil
}

// VoteProposal records actor's vote on an open proposal, once per actor.
func (s *Store) VoteProposal(ctx context.Context, id, actor string, at time.Time) (store.Proposal, bool, error) {
	at = normalize.Time(at)
	var (
		pr    store.Proposal
		voted bool
	)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// The row lock orders votes against adoption and each other.
		var status string
		if err := tx.QueryRow(ctx, `SELECT status FROM proposals WHERE id = $1 FOR UPDATE`, id).Scan(&status); err != nil {
			return err
		}
		if status != store.ProposalOpen {
			return fmt.Errorf("proposal %s is %s: %w", id, status, store.ErrConflict)
		}
		tag, err := tx.Exec(ctx, `INSERT INTO proposal_votes (proposal_id, actor, at) VALUES ($1, $2, $3)
			ON CONFLICT DO NOTHING`, id, actor, at)
		if err != nil {
			return err
		}
		voted = tag.RowsAffected() == 1
		if voted {
			pr, err = scanProposal(tx.QueryRow(ctx, `UPDATE proposals SET votes = votes + 1, updated_at = $2
				WHERE id = $1 RETURNING `+proposalCols, id, at))
		} else {
			pr, err = scanProposal(tx.QueryRow(ctx, `SELECT `+proposalCols+` FROM proposals WHERE id = $1`, id))
		}
		return err
	})
	if err != nil {
		return store.Proposal{}, false, mapErr("postgres: vote proposal", err)
	}
	return pr, voted, nil
}

// AdoptProposal marks an open proposal adopted by the case caseID.
func (s *Store) AdoptProposal(ctx context.Context, id, caseID string, at time.Time) (store.Proposal, error) {
	pr, err := s.closeProposal(ctx, id, store.ProposalAdopted, caseID, at)
	if err != nil {
		return store.Proposal{}, mapErr("postgres: adopt proposal", err)
	}
	return pr, nil
}

// DeclineProposal marks an open proposal declined.
func (s *Store) DeclineProposal(ctx context.Context, id string, at time.Time) (store.Proposal, error) {
	pr, err := s.closeProposal(ctx, id, store.ProposalDeclined, "", at)
	if err != nil {
		return store.Proposal{}, mapErr("postgres: decline proposal", err)
	}
	return pr, nil
}

// closeProposal moves an open proposal to status.
func (s *Store) closeProposal(ctx context.Context, id, status, caseID string, at time.Time) (store.Proposal, error) {
	pr, err := scanProposal(s.pool.QueryRow(ctx, `UPDATE proposals SET status = $2, adopted_case_id = $3, updated_at = $4
		WHERE id = $1 AND status = 'open' RETURNING `+proposalCols, id, status, caseID, normalize.Time(at)))
	if errors.Is(err, pgx.ErrNoRows) {
		// Not open (ErrConflict), or missing (no rows: ErrNotFound).
		var cur string
		if err = s.pool.QueryRow(ctx, `SELECT status FROM proposals WHERE id = $1`, id).Scan(&cur); err == nil {
			err = fmt.Errorf("proposal %s is %s: %w", id, cur, store.ErrConflict)
		}
	}
	return pr, err
}

// ProposalStats counts proposals by status.
func (s *Store) ProposalStats(ctx context.Context) (store.ProposalCounts, error) {
	var c store.ProposalCounts
	err := s.pool.QueryRow(ctx, `SELECT
			count(*) FILTER (WHERE status = 'open'),
			count(*) FILTER (WHERE status = 'adopted'),
			count(*) FILTER (WHERE status = 'declined')
		FROM proposals`).Scan(&c.Open, &c.Adopted, &c.Declined)
	if err != nil {
		return store.ProposalCounts{}, mapErr("postgres: proposal stats", err)
	}
	return c, nil
}
