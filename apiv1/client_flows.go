package apiv1

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/flowlab/flowlab/flow"
)

// ListFlows lists one page of flows, by key (listFlows).
func (c *Client) ListFlows(ctx context.Context, params ListFlowsParams, opts ...CallOption) (*FlowList, error) {
	return call[FlowList](ctx, c, http.MethodGet, "/api/v1/flows", params, nil, opts...)
}

// ValidateFlow checks a flow definition in YAML without publishing it
// (validateFlow).
func (c *Client) ValidateFlow(ctx context.Context, yamlSource []byte, opts ...CallOption) (*Validate, error) {
	return callYAML[Validate](ctx, c, http.MethodPost, "/api/v1/flows/validate", nil, yamlSource, opts...)
}

// GetFlow gets a flow's default version, or params.Version (getFlow).
func (c *Client) GetFlow(ctx context.Context, params FlowParams, opts ...CallOption) (*FlowDetail, error) {
	return call[FlowDetail](ctx, c, http.MethodGet, "/api/v1/flows/{key}", params, nil, opts...)
}

// GetFlowBottlenecks gets where a flow version's cases wait
// (getFlowBottlenecks).
func (c *Client) GetFlowBottlenecks(ctx context.Context, params BottlenecksParams, opts ...CallOption) (*Bottlenecks, error) {
	return call[Bottlenecks](ctx, c, http.MethodGet, "/api/v1/flows/{key}/bottlenecks", params, nil, opts...)
}

// GetFlowTrend gets a flow's weekly trend (getFlowTrend).
func (c *Client) GetFlowTrend(ctx context.Context, params FlowTrendParams, opts ...CallOption) (*FlowTrend, error) {
	return call[FlowTrend](ctx, c, http.MethodGet, "/api/v1/flows/{key}/trend", params, nil, opts...)
}

// PublishFlowVersion publishes a flow definition in YAML as the flow's
// next version (publishFlowVersion); publishing the latest version's
// source again answers that version.
func (c *Client) PublishFlowVersion(ctx context.Context, params FlowKeyParams, yamlSource []byte, opts ...CallOption) (*FlowVersionDetail, error) {
	return callYAML[FlowVersionDetail](ctx, c, http.MethodPost, "/api/v1/flows/{key}/versions", params, yamlSource, opts...)
}

// ListFlowVersions lists a flow's versions (listFlowVersions).
func (c *Client) ListFlowVersions(ctx context.Context, params FlowVersionsParams, opts ...CallOption) (*FlowVersionList, error) {
	return call[FlowVersionList](ctx, c, http.MethodGet, "/api/v1/flows/{key}/versions", params, nil, opts...)
}

// GetFlowVersion gets a flow version with its definition and source
// (getFlowVersion).
func (c *Client) GetFlowVersion(ctx context.Context, params FlowVersionParams, opts ...CallOption) (*FlowVersionDetail, error) {
	return call[FlowVersionDetail](ctx, c, http.MethodGet, "/api/v1/flows/{key}/versions/{v}", params, nil, opts...)
}

// GetFlowVersionYAML gets a flow version's YAML source as published
// (getFlowVersion with Accept: application/yaml).
func (c *Client) GetFlowVersionYAML(ctx context.Context, params FlowVersionParams, opts ...CallOption) ([]byte, error) {
	return c.raw(ctx, request{method: http.MethodGet, pattern: "/api/v1/flows/{key}/versions/{v}", params: params, accept: mediaYAML}, opts...)
}

// SetFlowDefault makes a version the flow's default (setFlowDefault).
func (c *Client) SetFlowDefault(ctx context.Context, params FlowKeyParams, body SetDefaultRequest, opts ...CallOption) (*FlowVersionDetail, error) {
	return call[FlowVersionDetail](ctx, c, http.MethodPut, "/api/v1/flows/{key}/default", params, body, opts...)
}

// RetireFlowVersion stops a version from getting new cases
// (retireFlowVersion).
func (c *Client) RetireFlowVersion(ctx context.Context, params FlowVersionParams, opts ...CallOption) (*FlowVersionDetail, error) {
	return call[FlowVersionDetail](ctx, c, http.MethodPost, "/api/v1/flows/{key}/versions/{v}/retire", params, nil, opts...)
}

// MigrateFlowCases moves a flow's open cases from one version to another,
// or with DryRun says what would happen (migrateFlowCases).
func (c *Client) MigrateFlowCases(ctx context.Context, params FlowKeyParams, body MigrateRequest, opts ...CallOption) (*Migration, error) {
	return call[Migration](ctx, c, http.MethodPost, "/api/v1/flows/{key}/migrations", params, body, opts...)
}

// DiffFlowVersions compares two versions of a flow (diffFlowVersions).
func (c *Client) DiffFlowVersions(ctx context.Context, params FlowDiffParams, opts ...CallOption) (*flow.DiffResult, error) {
	return call[flow.DiffResult](ctx, c, http.MethodGet, "/api/v1/flows/{key}/diff", params, nil, opts...)
}

// DiffFlowVersionsText is the comparison as a readable report
// (diffFlowVersions with Accept: text/plain).
func (c *Client) DiffFlowVersionsText(ctx context.Context, params FlowDiffParams, opts ...CallOption) ([]byte, error) {
	return c.raw(ctx, request{method: http.MethodGet, pattern: "/api/v1/flows/{key}/diff", params: params, accept: mediaText}, opts...)
}

// GetFlowSchema gets the JSON Schema of flow definitions (getFlowSchema).
func (c *Client) GetFlowSchema(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.rawJSON(ctx, "/api/v1/schema/flow.json", mediaSchema, opts...)
}

// GetFlowGraphSVG draws a flow version as SVG, with params.Heat its
// bottleneck statistics overlaid (getFlowGraphSVG).
func (c *Client) GetFlowGraphSVG(ctx context.Context, params GraphSVGParams, opts ...CallOption) ([]byte, error) {
	return c.raw(ctx, request{method: http.MethodGet, pattern: "/api/v1/flows/{key}/versions/{v}/graph.svg", params: params, accept: mediaSVG}, opts...)
}

// GetFlowGraph gets a flow version's graph with its statistics
// (getFlowGraph).
func (c *Client) GetFlowGraph(ctx context.Context, params GraphJSONParams, opts ...CallOption) (*Graph, error) {
	return call[Graph](ctx, c, http.MethodGet, "/api/v1/flows/{key}/versions/{v}/graph.json", params, nil, opts...)
}

// callYAML is call for an operation whose request body is a YAML
// document.
func callYAML[T any](ctx context.Context, c *Client, method, pattern string, params any, yamlSource []byte, opts ...CallOption) (*T, error) {
	data, err := c.raw(ctx, request{method: method, pattern: pattern, params: params, accept: mediaJSON,
		body: bytes.NewReader(yamlSource), ctype: mediaYAML}, opts...)
	if err != nil {
		return nil, err
	}
	return decode[T](data)
}

// rawJSON gets a JSON document that has no Go type (a schema, the OpenAPI
// document) as it was sent; it must be JSON.
func (c *Client) rawJSON(ctx context.Context, pattern, accept string, opts ...CallOption) (json.RawMessage, error) {
	data, err := c.raw(ctx, request{method: http.MethodGet, pattern: pattern, accept: accept}, opts...)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		var v any
		return nil, badAnswer(json.Unmarshal(data, &v))
	}
	return json.RawMessage(data), nil
}
