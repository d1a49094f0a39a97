package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
	"github.com/go-chi/chi/v5"
)

// inprocRoutes is the API router the UI calls in process: the same route
// table and handlers, the actor already authenticated by the UI's session.
func (s *API) inprocRoutes() http.Handler {
	r := chi.NewRouter()
	r.Use(httpx.Recoverer(s.log))
	r.NotFound(httpx.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		return httpx.NotFound("no route for " + r.URL.Path)
	}))
	for _, rt := range apiRoutes {
		mw := []func(http.Handler) http.Handler{s.requireActor}
		if len(rt.Roles) > 0 {
			mw = append(mw, httpx.RequireRole(s.log, rt.Roles...))
		}
		r.With(mw...).Method(rt.Method, rt.Pattern, httpx.Handle(s.log, s.withRouteParams(rt)))
	}
	return r
}

// requireActor guards the in-process router: only a request whose context
// carries an authenticated actor gets through.
func (s *API) requireActor(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.ActorFrom(r.Context()).ID == "" {
			httpx.WriteProblem(s.log, w, r, httpx.Unauthorized("no signed-in actor", ""))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// ResolveSession resolves an API token for in-process calls: the actor
// as the API sees it goes into the context, the actor as the UI shows it
// comes back. The web UI's sessions go through WebSessions (decision
// 0038); tests use this to act as a token's actor.
func (s *API) ResolveSession(ctx context.Context, token string) (context.Context, apiv1.Actor, error) {
	a, err := s.auth.ActorForToken(ctx, token)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return ctx, apiv1.Actor{}, httpx.ErrUnknownToken
		}
		return ctx, apiv1.Actor{}, httpx.StoreProblem(fmt.Errorf("web UI session: %w", err), "token")
	}
	return httpx.WithActor(ctx, a), toActorJSON(a), nil
}
