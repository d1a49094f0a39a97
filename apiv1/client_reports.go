package apiv1

import (
	"context"
	"net/http"
)

// GetMonthlyReview gets a flow's review pack of a calendar month
// (getMonthlyReview).
func (c *Client) GetMonthlyReview(ctx context.Context, params MonthlyReviewParams, opts ...CallOption) (*ReviewPack, error) {
	return call[ReviewPack](ctx, c, http.MethodGet, "/api/v1/reports/monthly", params, nil, opts...)
}

// GetQuarterlyReview gets a flow's review pack of a calendar quarter
// (getQuarterlyReview).
func (c *Client) GetQuarterlyReview(ctx context.Context, params QuarterlyReviewParams, opts ...CallOption) (*ReviewPack, error) {
	return call[ReviewPack](ctx, c, http.MethodGet, "/api/v1/reports/quarterly", params, nil, opts...)
}
