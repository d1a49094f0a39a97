package api

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-chi/chi/v5/middleware"
	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// Web UI sessions kept on the server (decision 0038). The browser's
// cookie holds a random secret; the store keeps its sha256 as the
// session's id with the actor, how the session began, its deadlines and
// its end. Every page load reads the row (one indexed query that also
// reads the token it began with), so ending the session, revoking its
// token or changing the actor's role takes effect at the next request.

// sessionRoutes are the admins' routes of web UI sessions.
var sessionRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/sessions", ID: "listSessions", Tag: "tokens",
		Summary: "List web UI sessions, newest first",
		Description: "Sessions of the web UI (every one, or an actor's; `live=true`: only those that still sign someone in), ordered by " +
			"created_at, then id, descending. A session's secret is never shown; its id is the secret's sha256. " + descPaging,
		Roles:  authz.Admins,
		Params: apiv1.ListSessionsParams{},
		Status: http.StatusOK, Response: apiv1.SessionList{}, Example: apiv1.SessionList{Sessions: []apiv1.Session{exampleSession}, NextCursor: exampleCursor},
		Handle: (*API).listSessions,
	},
	{
		Method: http.MethodDelete, Pattern: "/api/v1/sessions/{id}", ID: "endSession", Tag: "tokens",
		Summary: "End a web UI session",
		Description: "The browser holding it is signed out at its next request. Ending an ended session changes nothing (the first " +
			"time is kept, no second audit entry). To end every session of an API token, revoke the token.",
		Roles:  authz.Admins,
		Params: apiv1.SessionIDParams{},
		Status: http.StatusOK, Response: apiv1.Session{}, Example: exampleEndedSession,
		Errors: []int{404},
		Audit:  []string{"session.end"},
		Handle: (*API).endSession,
	},
}

var (
	exampleSession = apiv1.Session{ID: "5f2b8c1e9d3a4b6c7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d",
		ActorID: "3d4f0c2e-8a1b-4c6d-9e7f-5a2b1c3d4e5f", Via: store.SessionViaOIDC, Status: "live",
		CreatedAt: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), LastSeenAt: time.Date(2026, 3, 2, 9, 12, 0, 0, time.UTC),
		IdleUntil: time.Date(2026, 3, 2, 10, 12, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 3, 2, 20, 0, 0, 0, time.UTC),
		UserAgent: "Firefox on Linux"}
	exampleEndedSession = func() apiv1.Session {
		s := exampleSession
		s.Status = "ended"
		t := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
		s.EndedAt = &t
		return s
	}()
)

// Session statuses in listings.
const (
	sessionLive       = "live"
	sessionIdle       = "idle"
	sessionExpired    = "expired"
	sessionEnded      = "ended"
	sessionTokenEnded = "token_ended"
)

// touchEvery bounds the writes of activity: at most one a minute per
// session (the idle deadline is then up to a minute early).
const touchEvery = time.Minute

// WebSessions keeps the web UI's sessions (web.Config.Sessions).
type WebSessions struct {
	api          *API
	idle, maxAge time.Duration
}

// WebSessions returns the session keeping of the web UI with these
// lifetimes (zero: the defaults).
func (s *API) WebSessions(idle, maxAge time.Duration) *WebSessions {
	if idle <= 0 {
		idle = httpx.DefaultSessionIdle
	}
	if maxAge <= 0 {
		maxAge = httpx.DefaultSessionMaxAge
	}
	return &WebSessions{api: s, idle: idle, maxAge: maxAge}
}

// sessionIDOf is the stored id of a session secret: its sha256 in hex.
func sessionIDOf(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// adminBinding ties a session begun with the admin token to that token:
// an HMAC of the token under the session's secret, which the store never
// sees, so the row helps no one guess the token, and a changed admin
// token ends the session.
func adminBinding(secret, adminToken string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("flowlab admin token\x00" + adminToken))
	return "admin:" + hex.EncodeToString(m.Sum(nil))
}

// Start begins a session and returns its secret, for the cookie alone.
func (ws *WebSessions) Start(ctx context.Context, p httpx.SessionStart) (string, apiv1.Actor, error) {
	s := ws.api
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", apiv1.Actor{}, httpx.Internal(fmt.Errorf("session secret: %w", err))
	}
	secret := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now().UTC()
	sess := store.Session{ID: sessionIDOf(secret), CreatedAt: now, IdleUntil: now.Add(ws.idle), ExpiresAt: now.Add(ws.maxAge),
		UserAgent: summarizeUserAgent(p.UserAgent)}
	var actor store.Actor
	switch {
	case p.Token != "" && s.auth.IsAdminToken(p.Token):
		actor = httpx.AdminActor()
		sess.Via, sess.TokenID = store.SessionViaAdminToken, adminBinding(secret, p.Token)
	case p.Token != "":
		if !strings.HasPrefix(p.Token, apiv1.TokenPrefix) {
			return "", apiv1.Actor{}, httpx.ErrUnknownToken
		}
		ti, err := s.store.TokenByHash(ctx, httpx.HashToken(p.Token), now)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return "", apiv1.Actor{}, httpx.ErrUnknownToken
			}
			return "", apiv1.Actor{}, httpx.StoreProblem(fmt.Errorf("web UI sign-in: %w", err), "token")
		}
		actor = ti.Actor
		sess.Via, sess.TokenID = store.SessionViaToken, ti.ID
	case p.Identity != nil:
		var err error
		if actor, err = ws.identityActor(ctx, *p.Identity, p.Register); err != nil {
			return "", apiv1.Actor{}, err
		}
		sess.Via = store.SessionViaOIDC
	default:
		return "", apiv1.Actor{}, httpx.ErrUnknownToken
	}
	sess.ActorID = actor.ID
	if _, err := s.store.CreateSession(ctx, sess); err != nil {
		return "", apiv1.Actor{}, httpx.StoreProblem(fmt.Errorf("start session: %w", err), "session")
	}
	s.auditCtx(ctx, store.AuditEntry{At: now, Actor: actor.ID, Action: "session.start", Object: "session:" + sess.ID,
		Details: mustJSON(map[string]any{"via": sess.Via, "token_id": strings.TrimPrefix(sess.TokenID, adminBindingPrefix(sess)), "user_agent": sess.UserAgent})})
	actor.Departments = authz.WithRoleDepartments(actor.Role, actor.Departments)
	return secret, toActorJSON(actor), nil
}

// adminBindingPrefix hides the admin binding from the audit trail.
func adminBindingPrefix(sess store.Session) string {
	if sess.Via == store.SessionViaAdminToken {
		return sess.TokenID
	}
	return ""
}

// identityActor is the person an identity provider signed in, found by
// their verified email and given the access the claim mapping gives them
// (changed and audited when it differs), or created when register says
// so.
func (ws *WebSessions) identityActor(ctx context.Context, id httpx.Identity, register bool) (store.Actor, error) {
	s := ws.api
	now := s.now().UTC()
	email := strings.TrimSpace(id.Email)
	if email == "" {
		return store.Actor{}, httpx.ErrNotRegistered
	}
	deps, leads := normStrings(id.Departments), normStrings(id.Leads)
	a, err := s.store.ActorByEmail(ctx, email)
	switch {
	case errors.Is(err, store.ErrNotFound):
		if !register {
			return store.Actor{}, httpx.ErrNotRegistered
		}
		name := strings.TrimSpace(id.Name)
		if name == "" {
			name = email
		}
		a, err = s.store.CreateActor(ctx, store.CreateActorParams{ID: uuid.NewString(), Name: name, Role: id.Role,
			Departments: deps, Leads: leads, At: now})
		if err != nil {
			return store.Actor{}, httpx.StoreProblem(fmt.Errorf("create person at sign-in: %w", err), "actor")
		}
		if _, _, err := s.store.SetPerson(ctx, store.SetPersonParams{ActorID: a.ID, Email: &email, At: now}); err != nil {
			return store.Actor{}, httpx.StoreProblem(fmt.Errorf("set the email of a person created at sign-in: %w", err), "person")
		}
		s.auditCtx(ctx, store.AuditEntry{At: now, Actor: a.ID, Action: "actor.create", Object: "actor:" + a.ID,
			Details: mustJSON(map[string]any{"via": "oidc", "issuer": id.Issuer, "subject": id.Subject, "email": email,
				"role": a.Role, "departments": deps, "leads": leads})})
		return a, nil
	case errors.Is(err, store.ErrConflict):
		return store.Actor{}, fmt.Errorf("%w: more than one person has the email address %s; an admin must keep it to one", httpx.ErrNotRegistered, email)
	case err != nil:
		return store.Actor{}, httpx.StoreProblem(fmt.Errorf("person by email: %w", err), "actor")
	}
	if a.Role == id.Role && slices.Equal(normStrings(a.Departments), deps) && slices.Equal(normStrings(a.Leads), leads) {
		return a, nil
	}
	before := a
	role := id.Role
	a, released, err := s.store.UpdateActor(ctx, store.UpdateActorParams{ID: a.ID, Role: &role, Departments: &deps, Leads: &leads})
	if err != nil {
		return store.Actor{}, httpx.StoreProblem(fmt.Errorf("apply the claim mapping: %w", err), "actor")
	}
	details := map[string]any{"via": "oidc", "issuer": id.Issuer, "subject": id.Subject,
		"before": map[string]any{"role": before.Role, "departments": normStrings(before.Departments), "leads": normStrings(before.Leads)},
		"after":  map[string]any{"role": a.Role, "departments": deps, "leads": leads}}
	// What they held where they no longer work went back to its pool, as
	// when an admin moves them (decision 0039).
	var pools []string
	if len(released) > 0 {
		ids := make([]string, len(released))
		for i, t := range released {
			ids[i] = t.ID
			if !slices.Contains(pools, t.Department) {
				pools = append(pools, t.Department)
			}
		}
		details["released"] = ids
	}
	s.auditCtx(ctx, store.AuditEntry{At: now, Actor: a.ID, Action: "actor.access", Object: "actor:" + a.ID, Details: mustJSON(details)})
	if len(pools) > 0 {
		s.assignWaiting(ctx, pools...)
	}
	return a, nil
}

// normStrings is a set of strings sorted, never nil.
func normStrings(xs []string) []string {
	out := slices.Clone(xs)
	slices.Sort(out)
	out = slices.Compact(out)
	if out == nil {
		out = []string{}
	}
	return out
}

// Resolve is the actor of a session secret, with ctx carrying it for the
// in-process API; *httpx.SessionEnded when the session no longer signs
// anyone in, httpx.ErrUnknownToken when there is no such session.
// Activity (a page load, not a background refresh) moves the idle
// deadline, written at most once a minute.
func (ws *WebSessions) Resolve(ctx context.Context, secret string, activity bool) (context.Context, apiv1.Actor, error) {
	s := ws.api
	info, err := s.store.GetSession(ctx, sessionIDOf(secret))
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ctx, apiv1.Actor{}, httpx.ErrUnknownToken
		}
		return ctx, apiv1.Actor{}, httpx.StoreProblem(fmt.Errorf("web UI session: %w", err), "session")
	}
	now := s.now()
	if st := ws.status(info, secret, now); st != sessionLive {
		reason := map[string]string{sessionIdle: httpx.EndedIdle, sessionExpired: httpx.EndedMaxAge,
			sessionEnded: httpx.EndedByUser, sessionTokenEnded: httpx.EndedToken}[st]
		return ctx, apiv1.Actor{}, &httpx.SessionEnded{Reason: reason}
	}
	var a store.Actor
	if info.Via == store.SessionViaAdminToken {
		a = httpx.AdminActor()
	} else {
		a = *info.Actor
	}
	if activity && now.Sub(info.LastSeenAt) >= touchEvery {
		if err := s.store.TouchSession(ctx, info.ID, now.UTC(), now.UTC().Add(ws.idle)); err != nil {
			// The session lasts; only its idle deadline is not moved.
			s.log.LogAttrs(ctx, slog.LevelWarn, "session activity not recorded", slog.String("error", err.Error()))
		}
	}
	a.Departments = authz.WithRoleDepartments(a.Role, a.Departments)
	return httpx.WithActor(ctx, a), toActorJSON(a), nil
}

// status is a session's status at now; with the secret (the browser's),
// an admin-token session is checked against the admin token too.
func (ws *WebSessions) status(info store.SessionInfo, secret string, now time.Time) string {
	s := ws.api
	switch {
	case info.EndedAt != nil:
		return sessionEnded
	case !now.Before(info.ExpiresAt):
		return sessionExpired
	case !now.Before(info.IdleUntil):
		return sessionIdle
	}
	switch info.Via {
	case store.SessionViaToken:
		if t := info.Token; t == nil || t.RevokedAt != nil || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) || info.Actor == nil {
			return sessionTokenEnded
		}
	case store.SessionViaAdminToken:
		if s.auth.AdminToken == "" || (secret != "" && !hmac.Equal([]byte(info.TokenID), []byte(adminBinding(secret, s.auth.AdminToken)))) {
			return sessionTokenEnded
		}
	default:
		if info.Actor == nil {
			return sessionEnded
		}
	}
	return sessionLive
}

// End ends the session of a secret (signing out).
func (ws *WebSessions) End(ctx context.Context, secret string) error {
	s := ws.api
	id := sessionIDOf(secret)
	info, err := s.store.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("sign out: %w", err), "session")
	}
	live, err := s.store.EndSession(ctx, id, s.now().UTC())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("sign out: %w", err), "session")
	}
	if live {
		s.auditCtx(ctx, store.AuditEntry{Actor: info.ActorID, Action: "session.end", Object: "session:" + id,
			Details: mustJSON(map[string]any{"by": "sign-out"})})
	}
	return nil
}

// auditCtx appends an audit entry for a change outside an API request
// (a web UI sign-in), with the request id of ctx.
func (s *API) auditCtx(ctx context.Context, e store.AuditEntry) {
	if e.At.IsZero() {
		e.At = s.now().UTC()
	}
	e.RequestID = middleware.GetReqID(ctx)
	if err := s.store.AppendAudit(ctx, e); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "audit append failed",
			slog.String("action", e.Action), slog.String("object", e.Object), slog.String("error", err.Error()))
	}
}

// summarizeUserAgent is the browser and system of a User-Agent header,
// in a few words ("Firefox on Linux"), never the whole header.
func summarizeUserAgent(ua string) string {
	browser := ""
	for _, b := range []struct{ key, name string }{
		{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"HeadlessChrome/", "Headless Chrome"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.key) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, o := range []struct{ key, name string }{
		{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iOS"}, {"Windows", "Windows"}, {"Mac OS X", "macOS"},
		{"CrOS", "ChromeOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, o.key) {
			system = o.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " on " + system
	case browser != "":
		return browser
	case system != "":
		return "a browser on " + system
	case ua != "":
		return "another client"
	}
	return ""
}

type sessionCursorJSON struct {
	CreatedAt time.Time `json:"t"`
	ID        string    `json:"id"`
}

func (s *API) toSessionJSON(ctx context.Context, x store.Session, now time.Time) (apiv1.Session, error) {
	ws := &WebSessions{api: s}
	var info store.SessionInfo
	if x.Via == store.SessionViaToken {
		// The listing reads no tokens: the few token sessions look theirs up.
		var err error
		if info, err = s.store.GetSession(ctx, x.ID); err != nil {
			return apiv1.Session{}, err
		}
	} else {
		a := store.Actor{ID: x.ActorID}
		info = store.SessionInfo{Session: x, Actor: &a}
	}
	tokenID := x.TokenID
	if x.Via != store.SessionViaToken {
		tokenID = ""
	}
	return apiv1.Session{ID: x.ID, ActorID: x.ActorID, Via: x.Via, TokenID: tokenID, Status: ws.status(info, "", now),
		CreatedAt: x.CreatedAt.UTC(), LastSeenAt: x.LastSeenAt.UTC(), IdleUntil: x.IdleUntil.UTC(), ExpiresAt: x.ExpiresAt.UTC(),
		EndedAt: utcPtr(x.EndedAt), UserAgent: x.UserAgent}, nil
}

// listSessions lists web UI sessions newest first, a page at a time.
func (s *API) listSessions(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ListSessionsParams](r)
	if err != nil {
		return err
	}
	now := s.now()
	p := store.ListSessionsParams{ActorID: q.Actor, Limit: q.Limit + 1}
	if q.Live {
		p.LiveAt = now
	}
	if q.Cursor != "" {
		var c sessionCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
			return httpx.BadCursor()
		}
		p.After = &store.SessionCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}
	}
	list, err := s.store.ListSessions(r.Context(), p)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list sessions: %w", err), "sessions")
	}
	out := apiv1.SessionList{Sessions: []apiv1.Session{}}
	if len(list) > q.Limit {
		list = list[:q.Limit]
		last := list[len(list)-1]
		if out.NextCursor, err = httpx.EncodeCursor(sessionCursorJSON{CreatedAt: last.CreatedAt.UTC(), ID: last.ID}); err != nil {
			return httpx.Internal(err)
		}
	}
	for _, x := range list {
		j, err := s.toSessionJSON(r.Context(), x, now)
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("list sessions: %w", err), "sessions")
		}
		if q.Live && j.Status != sessionLive {
			continue // its token ended it
		}
		out.Sessions = append(out.Sessions, j)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// endSession ends a session: its browser is signed out at its next
// request.
func (s *API) endSession(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.SessionIDParams](r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	live, err := s.store.EndSession(ctx, q.ID, s.now().UTC())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("end session: %w", err), fmt.Sprintf("session %q", q.ID))
	}
	info, err := s.store.GetSession(ctx, q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("reread session: %w", err), fmt.Sprintf("session %q", q.ID))
	}
	if live {
		s.audit(r, store.AuditEntry{Action: "session.end", Object: "session:" + q.ID,
			Details: mustJSON(map[string]any{"actor_id": info.ActorID, "by": "admin"})})
	}
	j, err := s.toSessionJSON(ctx, info.Session, s.now())
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("reread session: %w", err), fmt.Sprintf("session %q", q.ID))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, j)
	return nil
}
