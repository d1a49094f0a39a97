package apiv1

import (
	"context"
	"io"
	"net/http"
)

// mediaOctets is the media type an event log is uploaded as: the server
// reads the format (CSV or XES, gzipped or not) from the bytes.
const mediaOctets = "application/octet-stream"

// upload sends file as the body of an event log operation, as it is read.
func upload[T any](ctx context.Context, c *Client, pattern string, params any, file io.Reader, opts ...CallOption) (*T, error) {
	data, err := c.raw(ctx, request{method: http.MethodPost, pattern: pattern, params: params, accept: mediaJSON,
		body: file, ctype: mediaOctets, upload: true}, opts...)
	if err != nil {
		return nil, err
	}
	return decode[T](data)
}

// PreviewLog shows how an event log file would import (previewLog):
// mapping, layout, first events, counts and problems; nothing is stored.
// file is sent as it is read.
func (c *Client) PreviewLog(ctx context.Context, params PreviewLogParams, file io.Reader, opts ...CallOption) (*LogPreview, error) {
	return upload[LogPreview](ctx, c, "/api/v1/logs/preview", params, file, opts...)
}

// ImportLog imports an event log file (importLog), sent as it is read: an
// *os.File (any io.Seeker) is sent again after a 429, another reader not.
func (c *Client) ImportLog(ctx context.Context, params ImportLogParams, file io.Reader, opts ...CallOption) (*EventLog, error) {
	return upload[EventLog](ctx, c, "/api/v1/logs", params, file, opts...)
}

// ListLogs lists one page of the imported logs, newest first (listLogs).
func (c *Client) ListLogs(ctx context.Context, params ListLogsParams, opts ...CallOption) (*EventLogList, error) {
	return call[EventLogList](ctx, c, http.MethodGet, "/api/v1/logs", params, nil, opts...)
}

// GetLog gets a log, with its import's progress while it imports (getLog).
func (c *Client) GetLog(ctx context.Context, params LogIDParams, opts ...CallOption) (*EventLog, error) {
	return call[EventLog](ctx, c, http.MethodGet, "/api/v1/logs/{id}", params, nil, opts...)
}

// RenameLog renames a log (renameLog).
func (c *Client) RenameLog(ctx context.Context, params LogIDParams, body RenameLogRequest, opts ...CallOption) (*EventLog, error) {
	return call[EventLog](ctx, c, http.MethodPatch, "/api/v1/logs/{id}", params, body, opts...)
}

// DeleteLog deletes a log and its events and answers it as it was
// (deleteLog).
func (c *Client) DeleteLog(ctx context.Context, params LogIDParams, opts ...CallOption) (*EventLog, error) {
	return call[EventLog](ctx, c, http.MethodDelete, "/api/v1/logs/{id}", params, nil, opts...)
}

// GetLogSummary gets a (filtered) log at a glance (getLogSummary).
func (c *Client) GetLogSummary(ctx context.Context, params LogViewParams, opts ...CallOption) (*LogSummary, error) {
	return call[LogSummary](ctx, c, http.MethodGet, "/api/v1/logs/{id}/summary", params, nil, opts...)
}

// ListLogVariants lists one page of a log's variants by count
// (listLogVariants).
func (c *Client) ListLogVariants(ctx context.Context, params LogPageParams, opts ...CallOption) (*LogVariantList, error) {
	return call[LogVariantList](ctx, c, http.MethodGet, "/api/v1/logs/{id}/variants", params, nil, opts...)
}

// ListLogCases lists one page of a log's cases (listLogCases).
func (c *Client) ListLogCases(ctx context.Context, params LogPageParams, opts ...CallOption) (*LogCaseList, error) {
	return call[LogCaseList](ctx, c, http.MethodGet, "/api/v1/logs/{id}/cases", params, nil, opts...)
}

// GetLogMap gets a log's process map (getLogMap).
func (c *Client) GetLogMap(ctx context.Context, params LogMapParams, opts ...CallOption) (*LogMap, error) {
	return call[LogMap](ctx, c, http.MethodGet, "/api/v1/logs/{id}/map", params, nil, opts...)
}

// GetLogActivities gets a log's per-activity table (getLogActivities).
func (c *Client) GetLogActivities(ctx context.Context, params LogViewParams, opts ...CallOption) (*LogActivities, error) {
	return call[LogActivities](ctx, c, http.MethodGet, "/api/v1/logs/{id}/activities", params, nil, opts...)
}

// GetLogHandoffs gets a log's handoffs (getLogHandoffs).
func (c *Client) GetLogHandoffs(ctx context.Context, params LogViewParams, opts ...CallOption) (*LogHandoffs, error) {
	return call[LogHandoffs](ctx, c, http.MethodGet, "/api/v1/logs/{id}/handoffs", params, nil, opts...)
}

// RenderLogMap draws a log's process map as SVG (renderLogMap).
func (c *Client) RenderLogMap(ctx context.Context, params LogMapParams, opts ...CallOption) ([]byte, error) {
	return c.raw(ctx, request{method: http.MethodGet, pattern: "/api/v1/logs/{id}/map.svg", params: params, accept: mediaSVG}, opts...)
}

// DraftFlowFromLog drafts a flow from a (filtered) log (draftFlowFromLog);
// nothing is stored.
func (c *Client) DraftFlowFromLog(ctx context.Context, params DraftFlowFromLogParams, body DraftFlowRequest, opts ...CallOption) (*DraftFlow, error) {
	return call[DraftFlow](ctx, c, http.MethodPost, "/api/v1/logs/{id}/draft-flow", params, body, opts...)
}
