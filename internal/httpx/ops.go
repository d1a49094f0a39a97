package httpx

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/go-chi/chi/v5/middleware"
	xrate "golang.org/x/time/rate"
)

// Request ids, log records that carry them, and the per-actor rate limit
// (ADR 0011).

// validRequestID accepts what proxies send (uuids, hex, chi's
// host/random-counter) and nothing that could forge a log line.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:/+=-]{1,128}$`)

// RequestID gives every request an id (the client's X-Request-Id when it
// is well-formed, else a fresh one from chi's middleware.RequestID), puts
// it in the context (middleware.GetReqID) and echoes it in the response.
func RequestID(next http.Handler) http.Handler {
	echo := middleware.RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(apiv1.RequestIDHeader, middleware.GetReqID(r.Context()))
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if id := r.Header.Get(apiv1.RequestIDHeader); id != "" && !validRequestID.MatchString(id) {
			r.Header.Del(apiv1.RequestIDHeader)
		}
		echo.ServeHTTP(w, r)
	})
}

// RequestIDLogHandler adds the request id of the context to every record,
// so a handler's log line can be found from the id a client quotes.
type RequestIDLogHandler struct{ slog.Handler }

func (h RequestIDLogHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := middleware.GetReqID(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h RequestIDLogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return RequestIDLogHandler{h.Handler.WithAttrs(as)}
}

func (h RequestIDLogHandler) WithGroup(name string) slog.Handler {
	return RequestIDLogHandler{h.Handler.WithGroup(name)}
}

// Rate limit defaults (Config.RatePerSecond, Config.RateBurst).
const (
	DefaultRatePerSecond = 50
	DefaultRateBurst     = 100
)

// RateLimiter is a token bucket per actor id. A bucket left alone for
// idle is full again, so forgetting it changes nothing: sweeps drop such
// buckets, which bounds the memory to the actors active in the last idle
// period (and actors need a valid token).
type RateLimiter struct {
	limit xrate.Limit
	burst int
	idle  time.Duration
	// Now is the limiter's clock (time.Now); tests move it.
	Now func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *xrate.Limiter
	last time.Time
}

func NewRateLimiter(perSecond float64, burst int) *RateLimiter {
	refill := time.Duration(float64(burst) / perSecond * float64(time.Second))
	return &RateLimiter{limit: xrate.Limit(perSecond), burst: burst, idle: max(time.Minute, refill),
		Now: time.Now, buckets: map[string]*bucket{}}
}

// Allow takes a token from actor's bucket; when there is none it says how
// long until there is one.
func (l *RateLimiter) Allow(actor string) (ok bool, retryAfter time.Duration) {
	now := l.Now()
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

// Size is the number of buckets held.
func (l *RateLimiter) Size() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// Middleware answers 429 with Retry-After to an actor over its rate. It
// runs after authentication, so it counts each actor's requests, whatever
// token they come with. A nil limiter lets everything through.
func (l *RateLimiter) Middleware(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if l == nil {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ok, wait := l.Allow(ActorFrom(r.Context()).ID)
			if !ok {
				p := NewProblem(http.StatusTooManyRequests, "rate-limited", "Too many requests",
					fmt.Sprintf("more than %s requests per second (bursts of %d) from this actor; retry after the Retry-After seconds",
						strconv.FormatFloat(float64(l.limit), 'f', -1, 64), l.burst))
				p.RetryAfter = max(1, int(math.Ceil(wait.Seconds())))
				WriteProblem(log, w, r, p)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
