package apiv1

import (
	"context"
	"encoding/json"
	"net/http"
)

// OpenAPIPath is where the server serves its OpenAPI document.
const OpenAPIPath = "/api/v1/openapi.json"

// GetHealth asks whether the process serves HTTP (getHealth); no token
// needed.
func (c *Client) GetHealth(ctx context.Context, opts ...CallOption) (*Health, error) {
	return call[Health](ctx, c, http.MethodGet, "/healthz", nil, nil, opts...)
}

// GetReadiness asks whether the database and the workflow engine answer
// (getReadiness); no token needed.
func (c *Client) GetReadiness(ctx context.Context, opts ...CallOption) (*Ready, error) {
	return call[Ready](ctx, c, http.MethodGet, "/readyz", nil, nil, opts...)
}

// GetMetrics gets the process's metrics in the Prometheus text format
// (getMetrics); no token needed.
func (c *Client) GetMetrics(ctx context.Context, opts ...CallOption) ([]byte, error) {
	return c.raw(ctx, request{method: http.MethodGet, pattern: "/metrics", accept: mediaText}, opts...)
}

// GetOpenAPI gets the API's OpenAPI 3.1 document as served (getOpenAPI);
// no token needed.
func (c *Client) GetOpenAPI(ctx context.Context, opts ...CallOption) (json.RawMessage, error) {
	return c.rawJSON(ctx, OpenAPIPath, mediaJSON, opts...)
}

// CreateToken creates an actor and its token, shown only in this answer
// (createToken).
func (c *Client) CreateToken(ctx context.Context, body CreateTokenRequest, opts ...CallOption) (*TokenResponse, error) {
	return call[TokenResponse](ctx, c, http.MethodPost, "/api/v1/tokens", nil, body, opts...)
}

// ListTokens lists one page of tokens, newest first (listTokens).
func (c *Client) ListTokens(ctx context.Context, params ListTokensParams, opts ...CallOption) (*TokenList, error) {
	return call[TokenList](ctx, c, http.MethodGet, "/api/v1/tokens", params, nil, opts...)
}

// RevokeToken revokes a token (revokeToken).
func (c *Client) RevokeToken(ctx context.Context, params TokenIDParams, opts ...CallOption) (*Token, error) {
	return call[Token](ctx, c, http.MethodDelete, "/api/v1/tokens/{id}", params, nil, opts...)
}

// GetActor names an actor (getActor).
func (c *Client) GetActor(ctx context.Context, params ActorIDParams, opts ...CallOption) (*Actor, error) {
	return call[Actor](ctx, c, http.MethodGet, "/api/v1/actors/{id}", params, nil, opts...)
}

// ListAudit lists one page of the audit trail, newest first (listAudit).
func (c *Client) ListAudit(ctx context.Context, params ListAuditParams, opts ...CallOption) (*AuditList, error) {
	return call[AuditList](ctx, c, http.MethodGet, "/api/v1/audit", params, nil, opts...)
}

// ListPeople lists one page of people with their availability and load
// (listPeople).
func (c *Client) ListPeople(ctx context.Context, params ListPeopleParams, opts ...CallOption) (*PersonList, error) {
	return call[PersonList](ctx, c, http.MethodGet, "/api/v1/people", params, nil, opts...)
}

// GetPerson gets a person; ID "me" is the caller (getPerson).
func (c *Client) GetPerson(ctx context.Context, params PersonIDParams, opts ...CallOption) (*Person, error) {
	return call[Person](ctx, c, http.MethodGet, "/api/v1/people/{id}", params, nil, opts...)
}

// UpdatePerson changes a person's availability, capacity, skills or
// notification channels (updatePerson).
func (c *Client) UpdatePerson(ctx context.Context, params PersonIDParams, body UpdatePersonRequest, opts ...CallOption) (*UpdatePersonResponse, error) {
	return call[UpdatePersonResponse](ctx, c, http.MethodPatch, "/api/v1/people/{id}", params, body, opts...)
}

// GetWork gets the assignment measures per department and person
// (getWork).
func (c *Client) GetWork(ctx context.Context, params WorkParams, opts ...CallOption) (*Work, error) {
	return call[Work](ctx, c, http.MethodGet, "/api/v1/work", params, nil, opts...)
}

// ListNotifications lists one page of the caller's notifications, newest
// first (listNotifications).
func (c *Client) ListNotifications(ctx context.Context, params ListNotificationsParams, opts ...CallOption) (*NotificationList, error) {
	return call[NotificationList](ctx, c, http.MethodGet, "/api/v1/notifications", params, nil, opts...)
}

// CountUnreadNotifications counts the caller's unread notifications
// (countUnreadNotifications).
func (c *Client) CountUnreadNotifications(ctx context.Context, opts ...CallOption) (*UnreadCount, error) {
	return call[UnreadCount](ctx, c, http.MethodGet, "/api/v1/notifications/unread", nil, nil, opts...)
}

// ReadNotifications marks the caller's notifications read: the ids given,
// or all (readNotifications).
func (c *Client) ReadNotifications(ctx context.Context, body ReadNotificationsRequest, opts ...CallOption) (*ReadNotificationsResponse, error) {
	return call[ReadNotificationsResponse](ctx, c, http.MethodPost, "/api/v1/notifications/read", nil, body, opts...)
}

// ListSessions lists one page of web UI sessions, newest first
// (listSessions).
func (c *Client) ListSessions(ctx context.Context, params ListSessionsParams, opts ...CallOption) (*SessionList, error) {
	return call[SessionList](ctx, c, http.MethodGet, "/api/v1/sessions", params, nil, opts...)
}

// EndSession ends a web UI session (endSession).
func (c *Client) EndSession(ctx context.Context, params SessionIDParams, opts ...CallOption) (*Session, error) {
	return call[Session](ctx, c, http.MethodDelete, "/api/v1/sessions/{id}", params, nil, opts...)
}

// CreatePerson creates a person without a token (createPerson).
func (c *Client) CreatePerson(ctx context.Context, body CreatePersonRequest, opts ...CallOption) (*Person, error) {
	return call[Person](ctx, c, http.MethodPost, "/api/v1/people", nil, body, opts...)
}
