// Package web is flowlab's web UI (decision 0014): server-rendered pages,
// forms and charts under /ui, with their templates and static files
// embedded. It reads and changes data only through the JSON API, called in
// process as the signed-in actor (Config.API), so a page can show and do
// exactly what the API allows that actor, and every change is validated
// and audited by the API's own code. It never imports the store: the
// layering test (internal/layering) holds it to that.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/httpx"
)

// ErrUnknownToken is what Sessions answer for a token that is unknown,
// expired or revoked, or a session secret that is no session: the person
// signs in again. *httpx.SessionEnded is a session that ended; any other
// error is an outage (an error page).
var ErrUnknownToken = httpx.ErrUnknownToken

// Sessions keep the web UI's sessions on the server (decision 0038; the
// API's WebSessions): Start begins one and returns its secret, for the
// cookie alone; Resolve is the actor of a secret with ctx carrying it for
// API calls (activity: a page load, which moves the idle deadline); End
// ends it.
type Sessions interface {
	Start(ctx context.Context, p httpx.SessionStart) (string, apiv1.Actor, error)
	Resolve(ctx context.Context, secret string, activity bool) (context.Context, apiv1.Actor, error)
	End(ctx context.Context, secret string) error
}

// Config is what the web UI needs from the process that mounts it.
type Config struct {
	// API serves the API's routes in process: it trusts the actor that
	// Resolve put in the request's context (and checks roles, departments
	// and everything else as for any client).
	API http.Handler
	// Sessions keep the sessions; the actor they put in the context is
	// the one API calls act as.
	Sessions Sessions
	// Log receives page failures (with the request id); Now is the clock.
	Log *slog.Logger
	Now func() time.Time
	// Limiter bounds each signed-in actor's page loads (with their API
	// calls' own limit); nil: none.
	Limiter *httpx.RateLimiter
	// MaxBodyBytes bounds form posts.
	MaxBodyBytes int64
	// Channels are the contact channels a new case may have.
	Channels []string
	// BehindTLS marks cookies Secure (a proxy terminates TLS).
	BehindTLS bool
	// SessionKey seals the cookie of a sign-on in progress and signs
	// flash messages (random per process when empty); SessionIdle and
	// SessionMaxAge are the sessions' lifetimes (Sessions keep them; the
	// UI names them).
	SessionKey    string
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// OIDC, when set, signs people in through an identity provider
	// (oidc.go) instead of with a token.
	OIDC *OIDCConfig
	// GraphLimits are the API's graph limits, so that a flow page says why
	// a graph is not drawn instead of showing a broken image.
	GraphLimits flowgraph.Limits
}

// Web serves the web UI's pages.
type Web struct {
	cfg      Config
	log      *slog.Logger
	now      func() time.Time
	ui       *templateSet // the pages
	sessions *sessionKeys // seal the sign-on cookie, sign flash messages
	oidc     *oidcClient  // nil: token sign-in
	// kpiMemo keeps the service KPIs the dashboard page read for its six
	// charts, which ask for the same figures moments later.
	kpiMemo *pageMemo[apiv1.ServiceKPIs]
}

// New returns the web UI of cfg.
func New(cfg Config) (*Web, error) {
	if cfg.API == nil || cfg.Sessions == nil {
		return nil, errors.New("web: config: API and Sessions are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SessionIdle == 0 {
		cfg.SessionIdle = DefaultSessionIdle
	}
	if cfg.SessionMaxAge == 0 {
		cfg.SessionMaxAge = DefaultSessionMaxAge
	}
	s := &Web{cfg: cfg, log: cfg.Log, now: cfg.Now}
	if o := cfg.OIDC; o != nil {
		if o.Issuer == "" || o.ClientID == "" || o.RedirectURL == "" || len(o.RoleMap) == 0 {
			return nil, errors.New("web: config: OIDC needs an issuer, a client id, a redirect URL and a role map")
		}
		if o.GroupsClaim == "" {
			o.GroupsClaim = "groups"
		}
		s.oidc = &oidcClient{cfg: *o}
	}
	var err error
	if s.sessions, err = newSessionKeys(cfg.SessionKey); err != nil {
		return nil, err
	}
	if s.ui, err = loadUITemplates(); err != nil {
		return nil, err
	}
	s.kpiMemo = newUIMemo[apiv1.ServiceKPIs](30*time.Second, 64)
	return s, nil
}

// Mount adds the UI's pages under UIPath, / (a redirect to the UI) and the
// site icon to r.
func (s *Web) Mount(r chi.Router) {
	r.Route(UIPath, s.routes)
	r.Get("/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, UIPath+"/", http.StatusSeeOther)
	})
	// Browsers ask for /favicon.ico on their own, pages or not.
	r.Get(faviconPath, serveFavicon)
}

// Patterns are the UI's route patterns (below UIPath included), the
// metrics' route labels.
func Patterns() []string {
	out := []string{UIPath + "/static/*", "/", faviconPath}
	for _, p := range allPages {
		out = append(out, UIPath+p.Pattern)
	}
	return out
}

type actorKey struct{}

// withActor is ctx carrying the signed-in actor the pages show and act as.
func withActor(ctx context.Context, a apiv1.Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// actorOf is the signed-in actor of ctx (the zero Actor before sign-in).
func actorOf(ctx context.Context) apiv1.Actor {
	a, _ := ctx.Value(actorKey{}).(apiv1.Actor)
	return a
}

// actorName names an actor in a message: "Name (actor id)", the admin as
// such, or the id alone when the API cannot say.
func (s *Web) actorName(r *http.Request, id string) string {
	if id == httpx.AdminActorID {
		return "the admin"
	}
	a, err := apiGet[apiv1.Actor](s, r, "/api/v1/actors/"+url.PathEscape(id))
	if err != nil || a.Name == "" {
		return fmt.Sprintf("actor %q", id)
	}
	return fmt.Sprintf("%s (actor %s)", a.Name, a.ID)
}
