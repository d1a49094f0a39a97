package apiv1

import (
	"context"
	"net/http"
)

// StartDemoHistory starts filling a flowlab dev with simulated history
// (startDemoHistory).
func (c *Client) StartDemoHistory(ctx context.Context, body DemoHistoryRequest, opts ...CallOption) (*DemoHistoryJob, error) {
	return call[DemoHistoryJob](ctx, c, http.MethodPost, "/api/v1/dev/history", nil, body, opts...)
}

// GetDemoHistory reads the running or last history fill (getDemoHistory).
func (c *Client) GetDemoHistory(ctx context.Context, opts ...CallOption) (*DemoHistoryJob, error) {
	return call[DemoHistoryJob](ctx, c, http.MethodGet, "/api/v1/dev/history", nil, nil, opts...)
}
