package apiv1

import "time"

// TokenIDParams are the path parameters of revokeToken.
type TokenIDParams struct {
	ID string `path:"id" description:"Token id (not the secret)." example:"9c8b7a6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"`
}

// ActorIDParams are the path parameters of getActor.
type ActorIDParams struct {
	ID string `path:"id" description:"Actor id (as in a task's assignee or completed_by)." example:"3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f"`
}

// ListTokensParams are the query parameters of listTokens.
type ListTokensParams struct {
	Actor  string `query:"actor" description:"Only the tokens of this actor id (me: yours; required unless you are an admin)."`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// Token is an API token as listTokens and revokeToken show it: its actor
// and status, never the secret.
type Token struct {
	ID        string     `json:"id"`
	Actor     Actor      `json:"actor"`
	Status    string     `json:"status" enum:"active,expired,revoked" description:"revoked wins over expired."`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at" description:"Null: the token does not expire."`
	RevokedAt *time.Time `json:"revoked_at"`
}

// TokenList is one page of tokens, newest first (listTokens).
type TokenList struct {
	Tokens     []Token `json:"tokens" nullable:"false"`
	NextCursor string  `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}
