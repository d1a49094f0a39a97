package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/store"
)

// The parameters of a route are declared once, as a struct whose fields
// carry `path:"..."`, `query:"..."` or `header:"..."` tags plus the
// constraints of the OpenAPI document (`enum`, `minimum`, `maximum`,
// `maxLength`, `maxItems` of a repeatable []string, `default`,
// `description`). The document is reflected from these structs
// and decodeParams enforces them, so the two cannot disagree: a query
// parameter the struct does not declare is a 400 naming it.

const paramsKey ctxKey = 2

// pageLimitMax and pageLimitDefault bound `limit` on every list (0004).
const (
	pageLimitDefault = 50
	pageLimitMax     = 500
)

// decodeParams fills a new value of t (a struct type) from the request's
// path, query and headers. Query parameters are checked against the
// struct: unknown or repeated names, values that are not of the field's
// type, outside [minimum, maximum] or not in enum are a 400 naming the
// parameter. Absent parameters take their `default` tag.
func decodeParams(r *http.Request, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t)
	allowed := queryNames(t)
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // report the same parameter first every time
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return v, badParam(name, "unknown parameter; this route takes no query parameters")
			}
			return v, badParam(name, "unknown parameter; allowed: "+strings.Join(allowed, ", "))
		}
		if len(q[name]) > 1 && !repeatable(t, name) {
			return v, badParam(name, "given more than once")
		}
	}
	for i := range t.NumField() {
		f := t.Field(i)
		fv := v.Elem().Field(i)
		if name := f.Tag.Get("path"); name != "" {
			fv.SetString(chi.URLParam(r, name))
			continue
		}
		if name := f.Tag.Get("header"); name != "" {
			fv.SetString(r.Header.Get(name))
			continue
		}
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		if f.Type.Kind() == reflect.Slice {
			if err := setListParam(fv, f, name, q[name]); err != nil {
				return v, err
			}
			continue
		}
		raw, given := q.Get(name), q.Has(name)
		if !given || raw == "" {
			raw = f.Tag.Get("default")
			if raw == "" {
				continue
			}
		}
		if err := setParam(fv, f, name, raw); err != nil {
			return v, err
		}
	}
	return v, nil
}

// queryNames lists the query parameters a params struct declares.
func queryNames(t reflect.Type) []string {
	var names []string
	if t == nil {
		return names
	}
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("query"); name != "" {
			names = append(names, name)
		}
	}
	return names
}

// repeatable reports whether the query parameter name of t is a list
// ([]string), which may be given more than once (?attr=a&attr=b).
func repeatable(t reflect.Type, name string) bool {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("query") == name {
			return t.Field(i).Type.Kind() == reflect.Slice
		}
	}
	return false
}

// setListParam sets a []string parameter from its values, refusing more
// than its `maxItems`; empty values are left out.
func setListParam(fv reflect.Value, f reflect.StructField, name string, raws []string) error {
	if f.Type.Elem().Kind() != reflect.String {
		return internal(fmt.Errorf("params: field %s has unsupported type %s", f.Name, f.Type))
	}
	var vals []string
	for _, raw := range raws {
		if raw != "" {
			vals = append(vals, raw)
		}
	}
	if hi, ok := intTag(f, "maxItems"); ok && len(vals) > hi {
		return badParam(name, fmt.Sprintf("given %d times, at most %d", len(vals), hi))
	}
	fv.Set(reflect.ValueOf(vals))
	return nil
}

var timeType = reflect.TypeFor[time.Time]()

func setParam(fv reflect.Value, f reflect.StructField, name, raw string) error {
	switch {
	case f.Type == timeType:
		t, err := time.Parse(time.RFC3339, raw)
		if err != nil {
			return badParam(name, fmt.Sprintf("must be an RFC 3339 time like 2025-01-31T08:00:00Z, got %q", raw))
		}
		fv.Set(reflect.ValueOf(t.UTC()))
	case f.Type.Kind() == reflect.Int:
		n, err := strconv.Atoi(raw)
		lo, hasLo := intTag(f, "minimum")
		hi, hasHi := intTag(f, "maximum")
		bad := err != nil || (hasLo && n < lo) || (hasHi && n > hi)
		if bad {
			switch {
			case hasLo && hasHi:
				return badParam(name, fmt.Sprintf("must be an integer from %d to %d, got %q", lo, hi, raw))
			case hasLo:
				return badParam(name, fmt.Sprintf("must be an integer of at least %d, got %q", lo, raw))
			default:
				return badParam(name, fmt.Sprintf("must be an integer, got %q", raw))
			}
		}
		fv.SetInt(int64(n))
	case f.Type.Kind() == reflect.String:
		if hi, ok := intTag(f, "maxLength"); ok && utf8.RuneCountInString(raw) > hi {
			return badParam(name, fmt.Sprintf("must be at most %d characters, got %d", hi, utf8.RuneCountInString(raw)))
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			allowed := strings.Split(enum, ",")
			if !slices.Contains(allowed, raw) {
				return badParam(name, fmt.Sprintf("unknown value %q; allowed: %s", raw, strings.Join(allowed, ", ")))
			}
		}
		fv.SetString(raw)
	default:
		return internal(fmt.Errorf("params: field %s has unsupported type %s", f.Name, f.Type))
	}
	return nil
}

func intTag(f reflect.StructField, tag string) (int, bool) {
	v, ok := f.Tag.Lookup(tag)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// paramsOf returns the decoded parameters of the request's route.
func paramsOf[T any](r *http.Request) (T, error) {
	p, ok := r.Context().Value(paramsKey).(*T)
	if !ok {
		var zero T
		return zero, internal(fmt.Errorf("route parameters are %T, the handler wants %T", r.Context().Value(paramsKey), &zero))
	}
	return *p, nil
}

func withParams(ctx context.Context, p any) context.Context {
	return context.WithValue(ctx, paramsKey, p)
}

// timeRange checks from < to when both are given and returns them as
// store bounds (nil when absent).
func timeRange(from, to time.Time) (*time.Time, *time.Time, error) {
	var f, t *time.Time
	if !from.IsZero() {
		f = &from
	}
	if !to.IsZero() {
		t = &to
	}
	if f != nil && t != nil && !f.Before(*t) {
		return nil, nil, badParam("to", "must be after from")
	}
	return f, t, nil
}

// Cursors are the position of the last item of a page: base64url (no
// padding) of a small JSON object in the list's sort key. They are opaque
// to clients, who copy next_cursor into cursor.

type taskCursorJSON struct {
	SLADue   *time.Time `json:"sla_due"`
	OpenedAt time.Time  `json:"opened_at"`
	ID       string     `json:"id"`
}

type caseCursorJSON struct {
	CreatedAt time.Time `json:"created_at"`
	ID        string    `json:"id"`
}

type flowCursorJSON struct {
	Key string `json:"key"`
}

func encodeCursor(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var errBadCursor = errors.New("malformed cursor")

func decodeCursor(s string, dst any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: %w", errBadCursor, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %w", errBadCursor, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data", errBadCursor)
	}
	return nil
}

func badCursor() *Problem {
	return badParam("cursor", "malformed; pass the next_cursor of the previous page unchanged")
}

func taskCursorParam(s string) (*store.TaskCursor, error) {
	if s == "" {
		return nil, nil
	}
	var c taskCursorJSON
	if err := decodeCursor(s, &c); err != nil || c.ID == "" || c.OpenedAt.IsZero() {
		return nil, badCursor()
	}
	return &store.TaskCursor{SLADue: utcPtr(c.SLADue), OpenedAt: c.OpenedAt.UTC(), ID: c.ID}, nil
}

func caseCursorParam(s string) (*store.CaseCursor, error) {
	if s == "" {
		return nil, nil
	}
	var c caseCursorJSON
	if err := decodeCursor(s, &c); err != nil || c.ID == "" || c.CreatedAt.IsZero() {
		return nil, badCursor()
	}
	return &store.CaseCursor{CreatedAt: c.CreatedAt.UTC(), ID: c.ID}, nil
}

func flowCursorParam(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	var c flowCursorJSON
	if err := decodeCursor(s, &c); err != nil || c.Key == "" {
		return "", badCursor()
	}
	return c.Key, nil
}
