package httpx

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
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
