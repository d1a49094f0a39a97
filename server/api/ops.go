package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/api/engine"
	"github.com/flowlab/flowlab/server/internal/httpx"
)

// Operations: request ids, structured logs that carry them, Prometheus
// metrics, liveness and readiness, and the per-actor rate limit (ADR 0011).

// metricsHandler serves the Prometheus registry (GET /metrics).
func (s *API) metricsHandler(w http.ResponseWriter, r *http.Request) error {
	s.metrics.Handler().ServeHTTP(w, r)
	return nil
}

// healthz is liveness: the process serves HTTP. It looks at neither the
// database nor the engine, so an orchestrator does not restart healthy
// processes during a database outage (readyz says whether to route to it).
func (s *API) healthz(w http.ResponseWriter, r *http.Request) error {
	h := apiv1.Health{Status: "ok"}
	if s.cfg.Dev {
		h.Mode = "dev"
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, h)
	return nil
}

// readyTimeout bounds each readiness check.
const readyTimeout = 2 * time.Second

// readyz is readiness: the database answers a ping and the workflow
// engine a health check, each within 2 seconds (checked concurrently);
// otherwise 503 with Retry-After naming what does not answer.
func (s *API) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	var dbErr, engErr error
	engineState := "unchecked"
	var wg sync.WaitGroup
	wg.Go(func() { dbErr = s.store.Ping(ctx) })
	if ec, ok := s.eng.(engine.Checker); ok {
		engineState = "ok"
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
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.Ready{Status: "ready", Database: "ok", Engine: engineState})
	return nil
}
