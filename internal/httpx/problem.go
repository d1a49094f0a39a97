package httpx

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

// ProblemBase prefixes the type URI of every problem document.
const ProblemBase = apiv1.ProblemBase

// Problem is the API's problem document (apiv1.Problem, which carries the
// Retry-After seconds too) with what only the server needs: the
// WWW-Authenticate scheme of a 401 and the cause it logs, never sends.
type Problem struct {
	apiv1.Problem
	authScheme string // sets WWW-Authenticate when non-empty
	// Cause is logged with the request id, never sent.
	Cause error `json:"-"`
}

// NewProblem is a problem of status whose type ends in slug.
func NewProblem(status int, slug, title, detail string) *Problem {
	return &Problem{Problem: apiv1.Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail}}
}

func BadRequest(detail string, errs ...apiv1.FieldError) *Problem {
	p := NewProblem(http.StatusBadRequest, "bad-request", "Bad request", detail)
	p.Errors = errs
	return p
}

// BadParam is a 400 for one query or path parameter.
func BadParam(name, message string) *Problem {
	return BadRequest("query parameter \""+name+"\": "+message, apiv1.FieldError{Field: name, Message: message})
}

func Invalid(errs ...apiv1.FieldError) *Problem {
	detail := "the request is Invalid"
	if len(errs) == 1 {
		detail = errs[0].Field + ": " + errs[0].Message
	} else if len(errs) > 1 {
		detail = errs[0].Field + ": " + errs[0].Message + " (and " + strconv.Itoa(len(errs)-1) + " more)"
	}
	p := NewProblem(http.StatusUnprocessableEntity, "validation", "Invalid request", detail)
	p.Errors = errs
	return p
}

func NotFound(detail string) *Problem {
	return NewProblem(http.StatusNotFound, "not-found", "Not found", detail)
}

func Conflict(detail string) *Problem {
	return NewProblem(http.StatusConflict, "conflict", "Conflict", detail)
}

func Forbidden(detail string) *Problem {
	return NewProblem(http.StatusForbidden, "forbidden", "Forbidden", detail)
}

func Unauthorized(detail, authenticate string) *Problem {
	p := NewProblem(http.StatusUnauthorized, "unauthorized", "Unauthorized", detail)
	p.authScheme = authenticate
	return p
}

// StatusClientClosedRequest is nginx's 499: the client closed the
// connection before the server answered.
const StatusClientClosedRequest = 499

func Unavailable(detail string, cause error) *Problem {
	p := NewProblem(http.StatusServiceUnavailable, "unavailable", "Service unavailable", detail)
	p.RetryAfter = 5
	p.Cause = cause
	return p
}

func Internal(cause error) *Problem {
	p := NewProblem(http.StatusInternalServerError, "internal", "Internal server error",
		"the server failed to handle the request; quote the request_id when reporting it")
	p.Cause = cause
	return p
}

// StoreProblem maps a store error. what names the object for 404 and 409
// details ("case \"abc\"").
func StoreProblem(err error, what string) *Problem {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return NotFound(what + " not found")
	case errors.Is(err, store.ErrConflict):
		p := Conflict(what + " is not in a state that allows this change")
		p.Cause = err
		return p
	case errors.Is(err, store.ErrUnavailable):
		return Unavailable("the database is Unavailable; retry later", err)
	default:
		return Internal(err)
	}
}

// WriteProblem sends p as application/problem+json. Server-side causes are
// logged with the request id; the client sees only the problem's own text.
func WriteProblem(log *slog.Logger, w http.ResponseWriter, r *http.Request, p *Problem) {
	out := SettleProblem(log, r, p)
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

// SettleProblem is the problem as the client sees it (with the request id;
// a 5xx caused by the client going away becomes a 499) and logs its
// server-side cause: a warning for 4xx, an error for 5xx.
func SettleProblem(log *slog.Logger, r *http.Request, p *Problem) Problem {
	out := *p
	out.RequestID = middleware.GetReqID(r.Context())
	out.Cause = nil
	if out.Instance == "" {
		out.Instance = r.URL.Path
	}
	if out.Status >= 500 && errors.Is(r.Context().Err(), context.Canceled) {
		// The client went away before the answer (the cancelled context
		// is what failed): nobody reads it and the server is not at
		// fault. nginx's 499 keeps it out of the 5xx counts and alerts.
		out.Status, out.Title, out.Type = StatusClientClosedRequest, "Client closed request", ProblemBase+"client-closed-request"
		out.Detail = "the client closed the request before the answer"
		out.Errors, out.RetryAfter, out.authScheme = nil, 0, ""
	}
	if p.Cause != nil {
		level := slog.LevelWarn
		switch {
		case out.Status == StatusClientClosedRequest:
			level = slog.LevelInfo
		case out.Status >= 500:
			level = slog.LevelError
		}
		log.LogAttrs(r.Context(), level, "request failed",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", out.Status),
			slog.String("error", p.Cause.Error()))
	}
	return out
}

// WriteJSON sends v with status.
func WriteJSON(log *slog.Logger, w http.ResponseWriter, r *http.Request, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		WriteProblem(log, w, r, Internal(err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
