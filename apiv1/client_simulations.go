package apiv1

import (
	"context"
	"net/http"
)

// CreateSimulation asks for a what-if simulation (createSimulation).
func (c *Client) CreateSimulation(ctx context.Context, body CreateSimulationRequest, opts ...CallOption) (*Simulation, error) {
	return call[Simulation](ctx, c, http.MethodPost, "/api/v1/simulations", nil, body, opts...)
}

// ListSimulations lists simulations newest first (listSimulations).
func (c *Client) ListSimulations(ctx context.Context, params ListSimulationsParams, opts ...CallOption) (*SimulationList, error) {
	return call[SimulationList](ctx, c, http.MethodGet, "/api/v1/simulations", params, nil, opts...)
}

// GetSimulation gets a simulation: its progress, then its result
// (getSimulation).
func (c *Client) GetSimulation(ctx context.Context, params SimulationIDParams, opts ...CallOption) (*Simulation, error) {
	return call[Simulation](ctx, c, http.MethodGet, "/api/v1/simulations/{id}", params, nil, opts...)
}
