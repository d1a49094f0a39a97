// Package server assembles flowlab's HTTP side: the JSON API
// (package api) and the web UI (package web) on one router, with request
// ids, access logs, latency metrics and panic recovery around both. The
// API's route table also serves liveness (/healthz), readiness (/readyz),
// metrics (/metrics) and the OpenAPI document.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/obs"
	"github.com/flowlab/flowlab/web"
)

// Config configures the HTTP side of a flowlab process: the API's
// configuration and the web UI's sessions.
type Config struct {
	// API configures the JSON API (store, engine, tokens, limits...).
	API api.Config
	// BehindTLS (FLOWLAB_BEHIND_TLS) says clients reach the server over
	// TLS (a proxy terminates it): the web UI's cookies are marked Secure.
	// A request that arrives over TLS gets Secure cookies anyway.
	BehindTLS bool
	// SessionKey (FLOWLAB_SESSION_KEY) seals the web UI's session cookies
	// and signs its flash messages; every server process of a deployment
	// needs the same one. Empty: a random key per process (sessions end
	// when it restarts).
	SessionKey string
	// SessionIdle ends a web UI session after this long without a page
	// load; SessionMaxAge ends it this long after sign-in, whatever the
	// activity. Defaults: web.DefaultSessionIdle (1h), web.DefaultSessionMaxAge
	// (12h).
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// OIDC, when set, is the web UI's single sign-on (decision 0038).
	OIDC *web.OIDCConfig
}

func (c Config) validate() error {
	var errs []error
	if c.SessionIdle < 0 || c.SessionMaxAge < 0 {
		errs = append(errs, errors.New("SessionIdle and SessionMaxAge must not be negative"))
	}
	if c.SessionKey != "" && len(c.SessionKey) < 32 {
		errs = append(errs, errors.New("SessionKey must be at least 32 characters"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("server: config: %w", errors.Join(errs...))
	}
	return nil
}

// Server is the assembled HTTP side: its Handler serves the API and the
// web UI.
type Server struct {
	// API and Web are the two rooms the handler serves.
	API *api.API
	Web *web.Web
	// Handler serves every route.
	Handler http.Handler
}

// New returns the handler of the API and the web UI of cfg.
func New(cfg Config) (http.Handler, error) {
	s, err := Assemble(cfg)
	if err != nil {
		return nil, err
	}
	return s.Handler, nil
}

// Assemble builds the API, the web UI and the router that serves both.
func Assemble(cfg Config) (*Server, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a, err := api.New(cfg.API)
	if err != nil {
		return nil, err
	}
	acfg := a.Config()
	w, err := web.New(web.Config{
		API: a.InProcess(), Sessions: a.WebSessions(cfg.SessionIdle, cfg.SessionMaxAge), Log: a.Log(), Now: acfg.Now, Limiter: a.Limiter(),
		MaxBodyBytes: acfg.MaxBodyBytes, Channels: acfg.Channels, BehindTLS: cfg.BehindTLS,
		SessionKey: cfg.SessionKey, SessionIdle: cfg.SessionIdle, SessionMaxAge: cfg.SessionMaxAge,
		GraphLimits: acfg.GraphLimits, OIDC: cfg.OIDC,
	})
	if err != nil {
		return nil, err
	}
	m := &mux{log: a.Log(), metrics: a.Metrics(), patterns: map[string]bool{}}
	for _, p := range api.Patterns() {
		m.patterns[p] = true
	}
	for _, p := range web.Patterns() {
		m.patterns[p] = true
	}
	r := httpx.NewRouter(m.log, m.accessLog)
	a.Mount(r)
	w.Mount(r)
	return &Server{API: a, Web: w, Handler: r}, nil
}

// mux holds what the router's own middleware needs.
type mux struct {
	log      *slog.Logger
	metrics  *obs.Metrics
	patterns map[string]bool // the API's and the UI's route patterns, the metrics' route labels
}

// unmatchedRoute labels the metrics of requests no route matched (404 and
// 405 of the router): raw paths would let any client create series.
const unmatchedRoute = "unmatched"

// knownMethods label the metrics; any other method is "other".
var knownMethods = map[string]bool{
	http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true,
}

// routeLabel is the route pattern chi matched for r, if it is one of the
// table's.
func (s *mux) routeLabel(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); s.patterns[p] {
			return p
		}
	}
	return unmatchedRoute
}

// accessLog logs every request at debug level and observes its latency
// under its route pattern.
func (s *mux) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)
		next.ServeHTTP(ww, r)
		d := time.Since(start)
		status := ww.Status()
		if status == 0 {
			status = http.StatusOK // nothing written: net/http sends 200
		}
		route, method := s.routeLabel(r), r.Method
		if !knownMethods[method] {
			method = "other"
		}
		s.metrics.ObserveHTTP(route, method, status, d)
		s.log.LogAttrs(r.Context(), slog.LevelDebug, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.String("path", r.URL.Path),
			slog.Int("status", status),
			slog.Int("bytes", ww.BytesWritten()),
			slog.Duration("duration", d))
	})
}
