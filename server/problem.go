package server

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// problemBase prefixes the type URI of every problem document.
const problemBase = apiv1.ProblemBase

// Problem is the API's problem document (apiv1.Problem, which carries the
// Retry-After seconds too) with what only the server needs: the
// WWW-Authenticate scheme of a 401 and the cause it logs, never sends.
type Problem struct {
	apiv1.Problem
	authScheme string // sets WWW-Authenticate when non-empty
	cause      error  // logged, never sent
}

// FieldError names one invalid input and why.
type FieldError = apiv1.FieldError

func newProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Problem: apiv1.Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail}}
}

func badRequest(detail string, errs ...FieldError) *Problem {
	p := newProblem(http.StatusBadRequest, "bad-request", "Bad request", detail)
	p.Errors = errs
	return p
}

// badParam is a 400 for one query or path parameter.
func badParam(name, message string) *Problem {
	return badRequest("query parameter \""+name+"\": "+message, FieldError{Field: name, Message: message})
}

func invalid(errs ...FieldError) *Problem {
	detail := "the request is invalid"
	if len(errs) == 1 {
		detail = errs[0].Field + ": " + errs[0].Message
	} else if len(errs) > 1 {
		detail = errs[0].Field + ": " + errs[0].Message + " (and " + strconv.Itoa(len(errs)-1) + " more)"
	}
	p := newProblem(http.StatusUnprocessableEntity, "validation", "Invalid request", detail)
	p.Errors = errs
	return p
}

func notFound(detail string) *Problem {
	return newProblem(http.StatusNotFound, "not-found", "Not found", detail)
}

func conflict(detail string) *Problem {
	return newProblem(http.StatusConflict, "conflict", "Conflict", detail)
}

func forbidden(detail string) *Problem {
	return newProblem(http.StatusForbidden, "forbidden", "Forbidden", detail)
}

func unauthorized(detail, authenticate string) *Problem {
	p := newProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized", detail)
	p.authScheme = authenticate
	return p
}

// StatusClientClosedRequest is nginx's 499: the client closed the
// connection before the server answered.
const StatusClientClosedRequest = 499

func unavailable(detail string, cause error) *Problem {
	p := newProblem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", detail)
	p.RetryAfter = 5
	p.cause = cause
	return p
}

func internal(cause error) *Problem {
	p := newProblem(http.StatusInternalServerError, "internal", "Internal server error",
		"the server failed to handle the request; quote the request_id when reporting it")
	p.cause = cause
	return p
}

// storeProblem maps a store error. what names the object for 404 and 409
// details ("case \"abc\"").
func storeProblem(err error, what string) *Problem {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return notFound(what + " not found")
	case errors.Is(err, store.ErrConflict):
		p := conflict(what + " is not in a state that allows this change")
		p.cause = err
		return p
	case errors.Is(err, store.ErrUnavailable):
		return unavailable("the database is unavailable; retry later", err)
	default:
		return internal(err)
	}
}

// writeProblem sends p as application/problem+json. Server-side causes are
// logged with the request id; the client sees only the problem's own text.
func (s *Server) writeProblem(w http.ResponseWriter, r *http.Request, p *Problem) {
	out := s.settleProblem(r, p)
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if out.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(out.RetryAfter))
	}
	if out.authScheme != "" {
		h.Set("WWW-Authenticate", out.authScheme)
	}
	w.WriteHeader(out.Status)
	_ = json.NewEncoder(w).Encode(out)
}

// settleProblem is the problem as the client sees it (with the request id;
// a 5xx caused by the client going away becomes a 499) and logs its
// server-side cause: a warning for 4xx, an error for 5xx.
func (s *Server) settleProblem(r *http.Request, p *Problem) Problem {
	out := *p
	out.RequestID = middleware.GetReqID(r.Context())
	out.cause = nil
	if out.Instance == "" {
		out.Instance = r.URL.Path
	}
	if out.Status >= 500 && errors.Is(r.Context().Err(), context.Canceled) {
		// The client went away before the answer (the cancelled context
		// is what failed): nobody reads it and the server is not at
		// fault. nginx's 499 keeps it out of the 5xx counts and alerts.
		out.Status, out.Title, out.Type = StatusClientClosedRequest, "Client closed request", problemBase+"client-closed-request"
		out.Detail = "the client closed the request before the answer"
		out.Errors, out.RetryAfter, out.authScheme = nil, 0, ""
	}
	if p.cause != nil {
		level := slog.LevelWarn
		switch {
		case out.Status == StatusClientClosedRequest:
			level = slog.LevelInfo
		case out.Status >= 500:
			level = slog.LevelError
		}
		s.log.LogAttrs(r.Context(), level, "request failed",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", out.Status),
			slog.String("error", p.cause.Error()))
	}
	return out
}

// writeJSON sends v with status.
func (s *Server) writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.writeProblem(w, r, internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
