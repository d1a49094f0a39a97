package apiv1

import (
	"context"
	"net/http"
)

// StartPilot starts an A/B pilot of a flow's versions (startPilot).
func (c *Client) StartPilot(ctx context.Context, body StartPilotRequest) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots", nil, body)
}

// ListPilots lists one page of pilots, newest first (listPilots).
func (c *Client) ListPilots(ctx context.Context, params ListPilotsParams) (*PilotList, error) {
	return call[PilotList](ctx, c, http.MethodGet, "/api/v1/pilots", params, nil)
}

// GetPilot gets a pilot with its live counts (getPilot).
func (c *Client) GetPilot(ctx context.Context, params PilotIDParams) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodGet, "/api/v1/pilots/{id}", params, nil)
}

// StopPilot stops a running pilot (stopPilot).
func (c *Client) StopPilot(ctx context.Context, params PilotIDParams, body StopPilotRequest) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/stop", params, body)
}

// EvaluatePilot has a running pilot look at its data now (evaluatePilot).
func (c *Client) EvaluatePilot(ctx context.Context, params EvaluatePilotParams) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/evaluate", params, nil)
}

// PromotePilot makes an arm's version the flow's default (promotePilot).
func (c *Client) PromotePilot(ctx context.Context, params PilotIDParams, body PromotePilotRequest) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/promote", params, body)
}

// GetPilotResults computes a pilot's statistics now (getPilotResults).
func (c *Client) GetPilotResults(ctx context.Context, params PilotIDParams) (*PilotResults, error) {
	return call[PilotResults](ctx, c, http.MethodGet, "/api/v1/pilots/{id}/results", params, nil)
}

// CreateProposal submits an improvement proposal (createProposal).
func (c *Client) CreateProposal(ctx context.Context, body CreateProposalRequest) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodPost, "/api/v1/proposals", nil, body)
}

// ListProposals lists one page of proposals (listProposals).
func (c *Client) ListProposals(ctx context.Context, params ListProposalsParams) (*ProposalList, error) {
	return call[ProposalList](ctx, c, http.MethodGet, "/api/v1/proposals", params, nil)
}

// GetProposal gets a proposal (getProposal).
func (c *Client) GetProposal(ctx context.Context, params ProposalIDParams) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodGet, "/api/v1/proposals/{id}", params, nil)
}

// VoteProposal adds the caller's vote to a proposal (voteProposal).
func (c *Client) VoteProposal(ctx context.Context, params ProposalIDParams) (*Vote, error) {
	return call[Vote](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/vote", params, nil)
}

// AdoptProposal adopts a proposal into a PDCA cycle (adoptProposal).
func (c *Client) AdoptProposal(ctx context.Context, params ProposalIDParams, body AdoptProposalRequest) (*Adoption, error) {
	return call[Adoption](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/adopt", params, body)
}

// DeclineProposal declines a proposal with a reason (declineProposal).
func (c *Client) DeclineProposal(ctx context.Context, params ProposalIDParams, body DeclineProposalRequest) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/decline", params, body)
}

// ListImprovements lists one page of PDCA cycles (listImprovements).
func (c *Client) ListImprovements(ctx context.Context, params ListImprovementsParams) (*ImprovementList, error) {
	return call[ImprovementList](ctx, c, http.MethodGet, "/api/v1/improvements", params, nil)
}

// GetImprovementKPIs gets the improvement KPIs (getImprovementKPIs).
func (c *Client) GetImprovementKPIs(ctx context.Context) (*ImprovementKPIs, error) {
	return call[ImprovementKPIs](ctx, c, http.MethodGet, "/api/v1/kpis/improvement", nil, nil)
}

// GetServiceKPIs gets the service KPIs per week and channel
// (getServiceKPIs).
func (c *Client) GetServiceKPIs(ctx context.Context, params ServiceKPIsParams) (*ServiceKPIs, error) {
	return call[ServiceKPIs](ctx, c, http.MethodGet, "/api/v1/kpis/service", params, nil)
}
