package apiv1

import (
	"context"
	"net/http"
)

// StartPilot starts an A/B pilot of a flow's versions (startPilot).
func (c *Client) StartPilot(ctx context.Context, body StartPilotRequest, opts ...CallOption) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots", nil, body, opts...)
}

// ListPilots lists one page of pilots, newest first (listPilots).
func (c *Client) ListPilots(ctx context.Context, params ListPilotsParams, opts ...CallOption) (*PilotList, error) {
	return call[PilotList](ctx, c, http.MethodGet, "/api/v1/pilots", params, nil, opts...)
}

// GetPilot gets a pilot with its live counts (getPilot).
func (c *Client) GetPilot(ctx context.Context, params PilotIDParams, opts ...CallOption) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodGet, "/api/v1/pilots/{id}", params, nil, opts...)
}

// StopPilot stops a running pilot (stopPilot).
func (c *Client) StopPilot(ctx context.Context, params PilotIDParams, body StopPilotRequest, opts ...CallOption) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/stop", params, body, opts...)
}

// EvaluatePilot has a running pilot look at its data now (evaluatePilot).
func (c *Client) EvaluatePilot(ctx context.Context, params EvaluatePilotParams, opts ...CallOption) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/evaluate", params, nil, opts...)
}

// PromotePilot makes an arm's version the flow's default (promotePilot).
func (c *Client) PromotePilot(ctx context.Context, params PilotIDParams, body PromotePilotRequest, opts ...CallOption) (*Pilot, error) {
	return call[Pilot](ctx, c, http.MethodPost, "/api/v1/pilots/{id}/promote", params, body, opts...)
}

// GetPilotResults computes a pilot's statistics now (getPilotResults).
func (c *Client) GetPilotResults(ctx context.Context, params PilotIDParams, opts ...CallOption) (*PilotResults, error) {
	return call[PilotResults](ctx, c, http.MethodGet, "/api/v1/pilots/{id}/results", params, nil, opts...)
}

// CreateProposal submits an improvement proposal (createProposal).
func (c *Client) CreateProposal(ctx context.Context, body CreateProposalRequest, opts ...CallOption) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodPost, "/api/v1/proposals", nil, body, opts...)
}

// ListProposals lists one page of proposals (listProposals).
func (c *Client) ListProposals(ctx context.Context, params ListProposalsParams, opts ...CallOption) (*ProposalList, error) {
	return call[ProposalList](ctx, c, http.MethodGet, "/api/v1/proposals", params, nil, opts...)
}

// GetProposal gets a proposal (getProposal).
func (c *Client) GetProposal(ctx context.Context, params ProposalIDParams, opts ...CallOption) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodGet, "/api/v1/proposals/{id}", params, nil, opts...)
}

// VoteProposal adds the caller's vote to a proposal (voteProposal).
func (c *Client) VoteProposal(ctx context.Context, params ProposalIDParams, opts ...CallOption) (*Vote, error) {
	return call[Vote](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/vote", params, nil, opts...)
}

// AdoptProposal adopts a proposal into a PDCA cycle (adoptProposal).
func (c *Client) AdoptProposal(ctx context.Context, params ProposalIDParams, body AdoptProposalRequest, opts ...CallOption) (*Adoption, error) {
	return call[Adoption](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/adopt", params, body, opts...)
}

// DeclineProposal declines a proposal with a reason (declineProposal).
func (c *Client) DeclineProposal(ctx context.Context, params ProposalIDParams, body DeclineProposalRequest, opts ...CallOption) (*Proposal, error) {
	return call[Proposal](ctx, c, http.MethodPost, "/api/v1/proposals/{id}/decline", params, body, opts...)
}

// ListImprovements lists one page of PDCA cycles (listImprovements).
func (c *Client) ListImprovements(ctx context.Context, params ListImprovementsParams, opts ...CallOption) (*ImprovementList, error) {
	return call[ImprovementList](ctx, c, http.MethodGet, "/api/v1/improvements", params, nil, opts...)
}

// GetImprovementKPIs gets the improvement KPIs (getImprovementKPIs).
func (c *Client) GetImprovementKPIs(ctx context.Context, opts ...CallOption) (*ImprovementKPIs, error) {
	return call[ImprovementKPIs](ctx, c, http.MethodGet, "/api/v1/kpis/improvement", nil, nil, opts...)
}

// GetServiceKPIs gets the service KPIs per week and channel
// (getServiceKPIs).
func (c *Client) GetServiceKPIs(ctx context.Context, params ServiceKPIsParams, opts ...CallOption) (*ServiceKPIs, error) {
	return call[ServiceKPIs](ctx, c, http.MethodGet, "/api/v1/kpis/service", params, nil, opts...)
}
