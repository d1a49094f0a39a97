package apiv1

import "time"

// CreateProposalRequest is the body of createProposal.
type CreateProposalRequest struct {
	Title     string `json:"title" minLength:"1" maxLength:"200" description:"What should change, in a line."`
	Body      string `json:"body,omitempty" maxLength:"5000" description:"Why and how; default empty."`
	Anonymous bool   `json:"anonymous,omitempty" description:"Store no author: the proposal shows author null and its audit entry names the actor anonymous."`
}

// Proposal is an improvement proposal from staff (ADR 0010).
type Proposal struct {
	ID            string    `json:"id"`
	Title         string    `json:"title"`
	Body          string    `json:"body"`
	Author        *string   `json:"author" description:"Actor id of the author; null for an anonymous proposal."`
	Status        string    `json:"status" enum:"open,adopted,declined"`
	Votes         int       `json:"votes" description:"Actors who voted for it (one vote each)."`
	AdoptedCaseID string    `json:"adopted_case_id" description:"The PDCA cycle (a case of flow pdca) that adopted it; empty unless adopted."`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// ProposalList is one page of proposals (listProposals).
type ProposalList struct {
	Proposals  []Proposal `json:"proposals" nullable:"false"`
	NextCursor string     `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// Vote is the answer of voteProposal.
type Vote struct {
	ProposalID string `json:"proposal_id"`
	Voted      bool   `json:"voted" description:"true: this vote counted; false: the caller had already voted (nothing changed)."`
	Votes      int    `json:"votes" description:"The proposal's votes now."`
}

// AdoptProposalRequest is the body of adoptProposal: the flow and the
// metric of the PDCA cycle started for the proposal.
type AdoptProposalRequest struct {
	Flow   string `json:"flow" minLength:"1" description:"Key of the flow to improve."`
	Metric string `json:"metric" enum:"cycle_time,sla_breach_rate,fcr,csat" description:"The metric the cycle should improve."`
}

// Adoption is the answer of adoptProposal: the proposal and its cycle.
type Adoption struct {
	Proposal Proposal `json:"proposal"`
	Case     Case     `json:"case" description:"The PDCA cycle started for the proposal."`
}

// DeclineProposalRequest is the body of declineProposal.
type DeclineProposalRequest struct {
	Reason string `json:"reason,omitempty" maxLength:"1000" description:"Why; kept in the audit trail (proposal.decline)."`
}

// ProposalIDParams are the path parameters of the operations on one
// proposal.
type ProposalIDParams struct {
	ID string `path:"id" description:"Proposal id." example:"3c5e7a9b-1d2f-4a6c-8e0b-2d4f6a8c0e1b"`
}

// ListProposalsParams are the query parameters of listProposals.
type ListProposalsParams struct {
	Status string    `query:"status" enum:"open,adopted,declined" description:"Only proposals in this status."`
	From   time.Time `query:"from" description:"Only proposals created at or after this time (RFC 3339)."`
	To     time.Time `query:"to" description:"Only proposals created before this time (RFC 3339)."`
	Limit  int       `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string    `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}
