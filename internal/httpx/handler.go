package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
)

// HandlerFunc is an http handler that may fail: a *Problem is sent as is,
// any other error as a generic 500 whose cause is logged.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handle turns fn into an http.HandlerFunc that answers its error.
func Handle(log *slog.Logger, fn HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				p = Internal(err)
			}
			WriteProblem(log, w, r, p)
		}
	}
}

// Recoverer turns a panic into a logged 500 problem. It is a last resort:
// handlers do not panic by design.
func Recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					WriteProblem(log, w, r, Internal(fmt.Errorf("panic: %v", v)))
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}

// NewRouter is a router with what every flowlab router has: request ids,
// mw (an access log, say), panic recovery, and problem documents for
// requests no route matches (404) or whose method it does not take (405).
func NewRouter(log *slog.Logger, mw ...func(http.Handler) http.Handler) chi.Router {
	r := chi.NewRouter()
	r.Use(RequestID)
	r.Use(mw...)
	r.Use(Recoverer(log))
	r.NotFound(Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		return NotFound("no route for " + r.URL.Path)
	}))
	r.MethodNotAllowed(Handle(log, func(w http.ResponseWriter, r *http.Request) error {
		return NewProblem(http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed",
			r.Method+" is not allowed on "+r.URL.Path)
	}))
	return r
}
