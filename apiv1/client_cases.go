package apiv1

import (
	"context"
	"io"
	"net/http"
)

// CreateCase starts a case of a flow's default version (createCase); with
// params.IdempotencyKey a retry returns the same case.
func (c *Client) CreateCase(ctx context.Context, params CreateCaseParams, body CreateCaseRequest, opts ...CallOption) (*Case, error) {
	return call[Case](ctx, c, http.MethodPost, "/api/v1/cases", params, body, opts...)
}

// ListCases lists one page of cases, newest first (listCases).
func (c *Client) ListCases(ctx context.Context, params ListCasesParams, opts ...CallOption) (*CaseList, error) {
	return call[CaseList](ctx, c, http.MethodGet, "/api/v1/cases", params, nil, opts...)
}

// GetCase gets a case with its tasks and spans (getCase).
func (c *Client) GetCase(ctx context.Context, params CaseIDParams, opts ...CallOption) (*CaseDetail, error) {
	return call[CaseDetail](ctx, c, http.MethodGet, "/api/v1/cases/{id}", params, nil, opts...)
}

// CancelCase asks a case's workflow to stop (cancelCase).
func (c *Client) CancelCase(ctx context.Context, params CaseIDParams, opts ...CallOption) (*CancelResponse, error) {
	return call[CancelResponse](ctx, c, http.MethodPost, "/api/v1/cases/{id}/cancel", params, nil, opts...)
}

// RestartCase runs a failed case again from the step it was at
// (restartCase).
func (c *Client) RestartCase(ctx context.Context, params CaseIDParams, opts ...CallOption) (*Case, error) {
	return call[Case](ctx, c, http.MethodPost, "/api/v1/cases/{id}/restart", params, nil, opts...)
}

// CloseFailedCase ends a failed case without running it again
// (closeFailedCase).
func (c *Client) CloseFailedCase(ctx context.Context, params CaseIDParams, opts ...CallOption) (*Case, error) {
	return call[Case](ctx, c, http.MethodPost, "/api/v1/cases/{id}/close", params, nil, opts...)
}

// SendCaseEvent delivers a named event to a case's workflow
// (sendCaseEvent).
func (c *Client) SendCaseEvent(ctx context.Context, params CaseIDParams, body EventRequest, opts ...CallOption) (*EventResponse, error) {
	return call[EventResponse](ctx, c, http.MethodPost, "/api/v1/cases/{id}/events", params, body, opts...)
}

// PutCaseFeedback records the customer's feedback on a case
// (putCaseFeedback).
func (c *Client) PutCaseFeedback(ctx context.Context, params CaseIDParams, body FeedbackRequest, opts ...CallOption) (*Feedback, error) {
	return call[Feedback](ctx, c, http.MethodPost, "/api/v1/cases/{id}/feedback", params, body, opts...)
}

// GetCaseFeedback gets a case's feedback (getCaseFeedback).
func (c *Client) GetCaseFeedback(ctx context.Context, params CaseIDParams, opts ...CallOption) (*Feedback, error) {
	return call[Feedback](ctx, c, http.MethodGet, "/api/v1/cases/{id}/feedback", params, nil, opts...)
}

// ReopenCase opens a follow-up case of a completed one (reopenCase).
func (c *Client) ReopenCase(ctx context.Context, params CaseIDParams, body ReopenRequest, opts ...CallOption) (*Case, error) {
	return call[Case](ctx, c, http.MethodPost, "/api/v1/cases/{id}/reopen", params, body, opts...)
}

// ExportSpans streams the spans export (exportSpans): JSON lines, CSV with
// params.Format csv, or XES with xes. The caller reads the body as it arrives and
// closes it; no overall timeout applies, ctx bounds it.
func (c *Client) ExportSpans(ctx context.Context, params ExportSpansParams, opts ...CallOption) (io.ReadCloser, error) {
	accept := mediaNDJSON
	switch params.Format {
	case "csv":
		accept = mediaCSV
	case "xes":
		accept = mediaXML
	}
	a, err := c.send(ctx, request{method: http.MethodGet, pattern: "/api/v1/spans", params: params, accept: accept, stream: true}, opts...)
	if err != nil {
		return nil, err
	}
	return a.body, nil
}

// ListTasks lists one page of tasks, by SLA due time (listTasks).
func (c *Client) ListTasks(ctx context.Context, params ListTasksParams, opts ...CallOption) (*TaskList, error) {
	return call[TaskList](ctx, c, http.MethodGet, "/api/v1/tasks", params, nil, opts...)
}

// GetTask gets a task with its outcomes and form (getTask).
func (c *Client) GetTask(ctx context.Context, params TaskIDParams, opts ...CallOption) (*Task, error) {
	return call[Task](ctx, c, http.MethodGet, "/api/v1/tasks/{id}", params, nil, opts...)
}

// ClaimTask assigns an open task to the caller (claimTask).
func (c *Client) ClaimTask(ctx context.Context, params TaskIDParams, opts ...CallOption) (*Task, error) {
	return call[Task](ctx, c, http.MethodPost, "/api/v1/tasks/{id}/claim", params, nil, opts...)
}

// UnclaimTask gives a claimed task back to its inbox (unclaimTask).
func (c *Client) UnclaimTask(ctx context.Context, params TaskIDParams, opts ...CallOption) (*Task, error) {
	return call[Task](ctx, c, http.MethodPost, "/api/v1/tasks/{id}/unclaim", params, nil, opts...)
}

// AssignTask gives a task to an actor of its department (assignTask).
func (c *Client) AssignTask(ctx context.Context, params TaskIDParams, body AssignRequest, opts ...CallOption) (*Task, error) {
	return call[Task](ctx, c, http.MethodPost, "/api/v1/tasks/{id}/assign", params, body, opts...)
}

// CompleteTask completes a task with an outcome (completeTask); with
// params.IdempotencyKey a retry replays the result.
func (c *Client) CompleteTask(ctx context.Context, params CompleteParams, body CompleteRequest, opts ...CallOption) (*CompleteResponse, error) {
	return call[CompleteResponse](ctx, c, http.MethodPost, "/api/v1/tasks/{id}/complete", params, body, opts...)
}
