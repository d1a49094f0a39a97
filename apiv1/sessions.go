package apiv1

import "time"

// SessionIDParams are the path parameters of endSession.
type SessionIDParams struct {
	ID string `path:"id" description:"Session id (the sha256 of the secret only the browser's cookie holds)." example:"5f2b8c1e9d3a4b6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d"`
}

// ListSessionsParams are the query parameters of listSessions.
type ListSessionsParams struct {
	Actor  string `query:"actor" description:"Only the sessions of this actor id."`
	Live   bool   `query:"live" description:"Only the sessions that still sign someone in."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// Session is a web UI session as listSessions and endSession show it
// (decision 0038): never its secret.
type Session struct {
	ID         string     `json:"id"`
	ActorID    string     `json:"actor_id"`
	Via        string     `json:"via" enum:"token,admin-token,oidc" description:"How it began: an API token, the admin token, single sign-on."`
	TokenID    string     `json:"token_id,omitempty" description:"The token it began with (via token); revoking the token ends the session."`
	Status     string     `json:"status" enum:"live,idle,expired,ended,token_ended" description:"live: it signs its person in; idle: unused past its idle lifetime; expired: past its absolute lifetime; ended: signed out or ended by an admin; token_ended: its token was revoked or expired."`
	CreatedAt  time.Time  `json:"created_at"`
	LastSeenAt time.Time  `json:"last_seen_at" description:"Recorded at most once a minute."`
	IdleUntil  time.Time  `json:"idle_until"`
	ExpiresAt  time.Time  `json:"expires_at"`
	EndedAt    *time.Time `json:"ended_at"`
	UserAgent  string     `json:"user_agent,omitempty" description:"The browser, summarised."`
}

// SessionList is one page of sessions, newest first (listSessions).
type SessionList struct {
	Sessions   []Session `json:"sessions" nullable:"false"`
	NextCursor string    `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}
