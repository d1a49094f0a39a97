package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
)

// My notifications (decisions 0036, 0037): the header's bell with the
// unread count, kept current by app.js from notificationsUnread; the page
// that lists them newest first; opening one marks it read. The words are
// the API's (notify.Render, the one wording of notifications).

// bellEvery is how often, in seconds, the bell asks for the unread count.
const bellEvery = 12

// noteItem is one notification of the page.
type noteItem struct {
	ID, Kind, Title, TaskID, CaseID string
	// AlertID is the rule an alert's notification tells of.
	AlertID   string
	CreatedAt time.Time
	Unread    bool
	// The text laid out: its first sentence, its "Key: value" lines, and
	// the text as is when it has neither.
	Lead  string
	Facts []keyValue
	Text  string
}

type notificationsPage struct {
	Items      []noteItem
	Unread     int
	OnlyUnread bool
	Cursor     string // this page's cursor ("" the first page)
	Next       string // the next page's cursor
}

// notifications lists my notifications, newest first, 50 a page.
func (s *Web) notifications(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page := notificationsPage{OnlyUnread: q.Get("unread") == "1", Cursor: q.Get("cursor")}
	aq := url.Values{"limit": {strconv.Itoa(pageSize)}}
	if page.OnlyUnread {
		aq.Set("unread", "true")
	}
	if page.Cursor != "" {
		aq.Set("cursor", page.Cursor)
	}
	list, err := apiGet[apiv1.NotificationList](s, r, "/api/v1/notifications?"+aq.Encode())
	if err != nil {
		return err
	}
	page.Unread, page.Next = list.Unread, list.NextCursor
	for _, n := range list.Notifications {
		it := noteItem{ID: n.ID, Kind: n.Kind, Title: n.Title, TaskID: n.TaskID, CaseID: n.CaseID,
			CreatedAt: n.CreatedAt, Unread: n.ReadAt == nil}
		if i := strings.LastIndex(n.Link, "/ui/alerts/"); i >= 0 && strings.HasPrefix(n.Kind, "alert.") {
			it.AlertID, _ = url.PathUnescape(n.Link[i+len("/ui/alerts/"):])
		}
		it.Lead, it.Facts, it.Text = noteLayout(n.Text)
		page.Items = append(page.Items, it)
	}
	return s.render(w, r, pageView{Template: "notifications", Title: "Notifications", Active: "notifications", Data: page})
}

// noteLayout lays out a notification's text (notify.Render's: a lead
// sentence, "  Key: value" lines, then the link and a signature, which
// the page has as a button and needs not repeat). A text of another
// shape comes back whole as text.
func noteLayout(text string) (lead string, facts []keyValue, rest string) {
	body := text
	if i := strings.Index(body, "\nOpen the "); i >= 0 {
		body = body[:i]
	}
	var leads []string
	for _, line := range strings.Split(body, "\n") {
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "" || strings.HasPrefix(trimmed, "Hello "):
		case strings.HasPrefix(line, "  ") && strings.Contains(trimmed, ":"):
			k, v, _ := strings.Cut(trimmed, ":")
			facts = append(facts, keyValue{Key: k, Value: strings.TrimSpace(v)})
		default:
			leads = append(leads, trimmed)
		}
	}
	if len(facts) == 0 {
		return "", nil, strings.TrimSpace(text)
	}
	return strings.Join(leads, " "), facts, ""
}

// notificationsUnread answers the bell's script: {"unread": n}, JSON.
func (s *Web) notificationsUnread(w http.ResponseWriter, r *http.Request) error {
	c, err := apiGet[apiv1.UnreadCount](s, r, "/api/v1/notifications/unread")
	if err != nil {
		return err
	}
	b, err := json.Marshal(c)
	if err != nil {
		return httpx.Internal(fmt.Errorf("ui: unread count: %w", err))
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	return nil
}

// notificationsRead marks all my notifications read.
func (s *Web) notificationsRead(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	back := safeNext(r.PostFormValue("return"))
	if back == "" {
		back = UIPath + "/notifications"
	}
	out, err := s.readNotifications(r, nil)
	if err != nil {
		return err
	}
	msg := "Nothing was unread."
	if out.Read > 0 {
		msg = "Marked " + countNoun(out.Read, "notification", "notifications") + " read."
	}
	return redirectTo(w, r, back, msg)
}

// notificationOpen marks one notification read and opens its task.
func (s *Web) notificationOpen(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	if _, err := s.readNotifications(r, []string{chi.URLParam(r, "id")}); err != nil {
		return err
	}
	target := UIPath + "/notifications"
	if task := strings.TrimSpace(r.PostFormValue("task")); task != "" {
		target = taskPath(task)
	} else if rule := strings.TrimSpace(r.PostFormValue("alert")); rule != "" {
		target = UIPath + "/alerts/" + url.PathEscape(rule)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}

// readNotifications marks the ids given (all without) read through the
// API.
func (s *Web) readNotifications(r *http.Request, ids []string) (apiv1.ReadNotificationsResponse, error) {
	var out apiv1.ReadNotificationsResponse
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/notifications/read", apiv1.ReadNotificationsRequest{IDs: ids}, nil)
	if err != nil {
		return out, err
	}
	return out, res.Decode(&out)
}
