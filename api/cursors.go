package api

import (
	"time"

	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// Cursors are the position of the last item of a page: base64url (no
// padding) of a small JSON object in the list's sort key. They are opaque
// to clients, who copy next_cursor into cursor.

type taskCursorJSON struct {
	SLADue   *time.Time `json:"sla_due"`
	OpenedAt time.Time  `json:"opened_at"`
	ID       string     `json:"id"`
}

type caseCursorJSON struct {
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
}

type flowCursorJSON struct {
	Key string `json:"key"`
}

func taskCursorParam(s string) (*store.TaskCursor, error) {
	if s == "" {
		return nil, nil
	}
	var c taskCursorJSON
	if err := httpx.DecodeCursor(s, &c); err != nil || c.ID == "" || c.OpenedAt.IsZero() {
		return nil, httpx.BadCursor()
	}
	return &store.TaskCursor{SLADue: utcPtr(c.SLADue), OpenedAt: c.OpenedAt.UTC(), ID: c.ID}, nil
}

func caseCursorParam(s string) (*store.CaseCursor, error) {
	if s == "" {
		return nil, nil
	}
	var c caseCursorJSON
	if err := httpx.DecodeCursor(s, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
		return nil, httpx.BadCursor()
	}
	return &store.CaseCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}, nil
}

func flowCursorParam(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	var c flowCursorJSON
	if err := httpx.DecodeCursor(s, &c); err != nil || c.Key == "" {
		return "", httpx.BadCursor()
	}
	return c.Key, nil
}
