package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
)

// metaRoutes are the routes of liveness, readiness, metrics and the OpenAPI document (apiRoutes joins every
// resource's table).
var metaRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/healthz", ID: "getHealth", Tag: "meta",
		Summary: "Liveness check",
		Description: "The process serves HTTP. It looks at neither the database nor the workflow engine (GET /readyz does), so an outage " +
			"of either does not get healthy processes restarted. No authentication.",
		Public: true,
		Status: http.StatusOK, Response: apiv1.Health{}, Example: apiv1.Health{Status: "ok"},
		Handle: (*API).healthz,
	},
	{
		Method: http.MethodGet, Pattern: "/readyz", ID: "getReadiness", Tag: "meta",
		Summary: "Readiness check",
		Description: "Ready when the database answers a ping and the workflow engine a health check, each within 2 seconds; otherwise 503 " +
			"with `Retry-After`, the detail naming what does not answer. Route traffic only to ready processes.",
		Public: true,
		Status: http.StatusOK, Response: apiv1.Ready{}, Example: apiv1.Ready{Status: "ready", Database: "ok", Engine: "ok"},
		Errors: []int{503},
		Handle: (*API).readyz,
	},
	{
		Method: http.MethodGet, Pattern: "/metrics", ID: "getMetrics", Tag: "meta",
		Summary: "Prometheus metrics",
		Description: "The process's metrics in the Prometheus text format: request latency by route pattern, method and status " +
			"(`flowlab_http_request_duration_seconds`), the Go runtime and, in a process that runs a worker, tasks opened and closed, " +
			"escalations, SLA breaches and the Temporal SDK's metrics. Served without authentication, as scrapers expect: labels carry route " +
			"patterns, flow keys, steps, departments and outcomes, never ids, customers or case data.",
		Public:       true,
		ResponseType: mimeText,
		Status:       http.StatusOK, Response: "", Example: exampleMetrics,
		Handle: (*API).metricsHandler,
	},
	{
		Method: http.MethodGet, Pattern: OpenAPIPath, ID: "getOpenAPI", Tag: "meta",
		Summary:     "This OpenAPI 3.1 document",
		Description: "The contract of the API, generated from the server's Go types and route table. Served without authentication so client generators can fetch it.",
		Public:      true,
		Status:      http.StatusOK, Response: map[string]any{},
		Handle: (*API).openAPI,
	},
}

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
