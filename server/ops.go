package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/internal/httpx"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Operations: request ids, structured logs that carry them, Prometheus
// metrics, liveness and readiness, and the per-actor rate limit (ADR 0011).

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
func (s *Server) routeLabel(r *http.Request) string {
	if rctx := chi.RouteContext(r.Context()); rctx != nil {
		if p := rctx.RoutePattern(); s.patterns[p] {
			return p
		}
	}
	return unmatchedRoute
}

// accessLog logs every request at debug level and observes its latency
// under its route pattern.
func (s *Server) accessLog(next http.Handler) http.Handler {
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

// metricsHandler serves the Prometheus registry (GET /metrics).
func (s *Server) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	s.metrics.Handler().ServeHTTP(w, r)
	return nil
}

// healthz is liveness: the process serves HTTP. It looks at neither the
// database nor the engine, so an orchestrator does not restart healthy
// processes during a database outage (readyz says whether to route to it).
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	h := apiv1.Health{Status: "ok"}
	if s.cfg.Dev {
		h.Mode = "dev"
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, h)
	return nil
}

// EngineChecker is implemented by Engines that can tell whether the
// workflow engine answers; GET /readyz asks it. An Engine without it is
// taken as reachable.
type EngineChecker interface {
	CheckEngine(ctx context.Context) error
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// readyz is readiness: the database answers a ping and the workflow
// engine a health check, each within 2 seconds (checked concurrently);
// otherwise 503 with Retry-After naming what does not answer.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var dbErr, engErr error
	engine := "unchecked"
	var wg sync.WaitGroup
	wg.Go(func() { dbErr = s.store.Ping(ctx) })
	if ec, ok := s.eng.(EngineChecker); ok {
		engine = "ok"
		wg.Go(func() { engErr = ec.CheckEngine(ctx) })
	}
	wg.Wait()
	var down []string
	if dbErr != nil {
		down = append(down, "the database does not answer")
	}
	if engErr != nil {
		down = append(down, "the workflow engine does not answer")
	}
	if len(down) > 0 {
		return httpx.Unavailable("not ready: "+strings.Join(down, "; "),
			fmt.Errorf("readyz: %w", errors.Join(dbErr, engErr)))
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.Ready{Status: "ready", Database: "ok", Engine: engine})
	return nil
}
