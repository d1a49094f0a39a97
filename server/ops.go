package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	xrate "golang.org/x/time/rate"
)

// Operations: request ids, structured logs that carry them, Prometheus
// metrics, liveness and readiness, and the per-actor rate limit (ADR 0011).

// RequestIDHeader carries a request's id: a client (or a proxy in front of
// flowlab) may send one, the server answers with the id it used. Audit
// entries and log lines carry it.
const RequestIDHeader = "X-Request-Id"

// validRequestID accepts what proxies send (uuids, hex, chi's
// host/random-counter) and nothing that could forge a log line.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

// requestID gives every request an id (the client's X-Request-Id when it
// is well-formed, else a fresh one from chi's middleware.RequestID), puts
// it in the context (middleware.GetReqID) and echoes it in the response.
func requestID(next http.Handler) http.Handler {
	echo := middleware.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(RequestIDHeader, middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(RequestIDHeader); id != "" && !validRequestID.MatchString(id) {
			r.Header.Del(RequestIDHeader)
		}
		echo.ServeHTTP(w, r)
	})
}

// requestIDLogHandler adds the request id of the context to every record,
// so a handler's log line can be found from the id a client quotes.
type requestIDLogHandler struct{ slog.Handler }

func (h requestIDLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := middleware.GetReqID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return requestIDLogHandler{h.Handler.WithAttrs(as)}
}

func (h requestIDLogHandler) WithGroup(name string) slog.Handler {
	return requestIDLogHandler{h.Handler.WithGroup(name)}
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
	s.writeJSON(w, r, http.StatusOK, h)
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
		return unavailable("not ready: "+strings.Join(down, "; "),
			fmt.Errorf("readyz: %w", errors.Join(dbErr, engErr)))
	}
	s.writeJSON(w, r, http.StatusOK, apiv1.Ready{Status: "ready", Database: "ok", Engine: engine})
	return nil
}

// Rate limit defaults (Config.RatePerSecond, Config.RateBurst).
const (
	DefaultRatePerSecond = 50
	DefaultRateBurst     = 100
)

// rateLimiter is a token bucket per actor id. A bucket left alone for
// idle is full again, so forgetting it changes nothing: sweeps drop such
// buckets, which bounds the memory to the actors active in the last idle
// period (and actors need a valid token).
type rateLimiter struct {
	limit xrate.Limit
	burst int
	idle  time.Duration
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *xrate.Limiter
	last time.Time
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &rateLimiter{limit: xrate.Limit(perSecond), burst: burst, idle: max(time.Minute, refill),
		now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from actor's bucket; when there is none it says how
// long until there is one.
func (l *rateLimiter) allow(actor string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	if now.Sub(l.lastSweep) >= l.idle {
		for id, b := range l.buckets {
			if now.Sub(b.last) >= l.idle {
				delete(l.buckets, id)
			}
		}
		l.lastSweep = now
	}
	b, found := l.buckets[actor]
	if !found {
		b = &bucket{lim: xrate.NewLimiter(l.limit, l.burst)}
		l.buckets[actor] = b
	}
	b.last = now
	l.mu.Unlock()
	if b.lim.AllowN(now, 1) {
		return true, 0
	}
	missing := 1 - b.lim.TokensAt(now)
	return false, time.Duration(missing / float64(l.limit) * float64(time.Second))
}

// size is the number of buckets held.
func (l *rateLimiter) size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// rateLimit answers 429 with Retry-After to an actor over its rate. It
// runs after authenticate, so it counts each actor's requests, whatever
// token they come with.
func (s *Server) rateLimit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.limiter == nil {
			next.ServeHTTP(w, r)
			return
		}
		ok, wait := s.limiter.allow(actorFrom(r.Context()).ID)
		if !ok {
			p := newProblem(http.StatusTooManyRequests, "rate-limited", "Too many requests",
				fmt.Sprintf("more than %s requests per second (bursts of %d) from this actor; retry after the Retry-After seconds",
					strconv.FormatFloat(float64(s.limiter.limit), 'f', -1, 64), s.limiter.burst))
			p.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
			s.writeProblem(w, r, p)
			return
		}
		next.ServeHTTP(w, r)
	})
}
