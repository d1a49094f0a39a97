package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/notify"
	"github.com/flowlab/flowlab/store"
)

// notificationRoutes are the routes of the caller's notifications
// (decisions 0036, 0037; apiRoutes joins every resource's table).
var notificationRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/notifications", ID: "listNotifications", Tag: "notifications",
		Summary: "List your notifications, newest first",
		Description: "Tasks assigned or reassigned to you and escalations that name you, each with a title, a text naming the case, " +
			"the step, the SLA and who, and the task's link; `unread` is your count of unread ones. " + descPaging,
		Params: apiv1.ListNotificationsParams{},
		Status: http.StatusOK, Response: apiv1.NotificationList{},
		Example: apiv1.NotificationList{Notifications: []apiv1.Notification{exampleNotification}, Unread: 1, NextCursor: exampleCursor},
		Handle:  (*API).listNotifications,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/notifications/unread", ID: "countUnreadNotifications", Tag: "notifications",
		Summary:     "Count your unread notifications",
		Description: "A cheap read for a badge that stays current: poll it.",
		Status:      http.StatusOK, Response: apiv1.UnreadCount{}, Example: apiv1.UnreadCount{Unread: 1},
		Handle: (*API).countUnreadNotifications,
	},
	{
		Method: http.MethodPost, Pattern: "/api/v1/notifications/read", ID: "readNotifications", Tag: "notifications",
		Summary:     "Mark your notifications read",
		Description: "The ids given, or all of yours without `ids`. Ids that are not yours or already read change nothing.",
		Body:        apiv1.ReadNotificationsRequest{}, BodyExample: apiv1.ReadNotificationsRequest{IDs: []string{exampleNotification.ID}},
		Status: http.StatusOK, Response: apiv1.ReadNotificationsResponse{}, Example: apiv1.ReadNotificationsResponse{Read: 1, Unread: 0},
		Errors:  []int{413, 415, 422},
		NoAudit: "it marks the caller's own notifications read: no shared state, nothing anyone else sees changes",
		Handle:  (*API).readNotifications,
	},
}

type notificationCursorJSON struct {
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
}

// ToNotificationJSON is a notification as the API, the web UI and the CLI
// show it: notify.Render's words, with a link relative to the site.
func ToNotificationJSON(n store.Notification, now time.Time, names map[string]string) apiv1.Notification {
	m := notify.Render(n, notify.Info{Now: now, Names: names})
	return apiv1.Notification{
		ID: n.ID, Kind: n.Kind, Title: m.Subject, Text: m.Text, Link: m.Link, TaskID: n.TaskID, CaseID: n.CaseID,
		Step: n.Details.Step, StepName: n.Details.StepName, SLADue: utcPtr(n.Details.SLADue), Level: n.Details.Level,
		From: n.Details.From, By: n.Details.By, CreatedAt: n.CreatedAt.UTC(), ReadAt: utcPtr(n.ReadAt), Delivery: n.Delivery,
	}
}

func (s *API) listNotifications(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListNotificationsParams](r)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = 50
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	p := store.ListNotificationsParams{ActorID: actor.ID, Unread: q.Unread, Limit: q.Limit + 1}
	if q.Cursor != "" {
		var c notificationCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
			return httpx.BadCursor()
		}
		p.Before = &store.NotificationCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}
	}
	ns, err := s.store.ListNotifications(ctx, p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list notifications: %w", err), "notifications")
	}
	out := apiv1.NotificationList{Notifications: []apiv1.Notification{}}
	if len(ns) > q.Limit {
		ns = ns[:q.Limit]
		last := ns[len(ns)-1]
		if out.NextCursor, err = httpx.EncodeCursor(notificationCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	if out.Unread, err = s.store.UnreadNotifications(ctx, actor.ID); err != nil {
		return httpx.StoreProblem(fmt.Errorf("count unread notifications: %w", err), "notifications")
	}
	names := map[string]string{}
	for _, n := range ns {
		for _, id := range []string{n.Details.From, n.Details.By} {
			if _, ok := names[id]; id != "" && !ok {
				names[id] = s.plainName(ctx, id)
			}
		}
	}
	now := s.now()
	for _, n := range ns {
		out.Notifications = append(out.Notifications, ToNotificationJSON(n, now, names))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

func (s *API) countUnreadNotifications(w http.ResponseWriter, r *http.Request) error {
	n, err := s.store.UnreadNotifications(r.Context(), httpx.ActorFrom(r.Context()).ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("count unread notifications: %w", err), "notifications")
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.UnreadCount{Unread: n})
	return nil
}

func (s *API) readNotifications(w http.ResponseWriter, r *http.Request) error {
	var req apiv1.ReadNotificationsRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	if len(req.IDs) > 500 {
		return httpx.Invalid(apiv1.FieldError{Field: "ids", Message: fmt.Sprintf("lists %d ids; at most 500 at once", len(req.IDs))})
	}
	ctx := r.Context()
	actor := httpx.ActorFrom(ctx)
	n, err := s.store.ReadNotifications(ctx, actor.ID, req.IDs, s.now().UTC())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("read notifications: %w", err), "notifications")
	}
	unread, err := s.store.UnreadNotifications(ctx, actor.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("count unread notifications: %w", err), "notifications")
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.ReadNotificationsResponse{Read: n, Unread: unread})
	return nil
}
