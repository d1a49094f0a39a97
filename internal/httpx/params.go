package httpx

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
)

// The parameters of a route are declared once, as a struct whose fields
// carry `path:"..."`, `query:"..."` or `header:"..."` tags plus the
// constraints of the OpenAPI document (`enum`, `minimum`, `maximum`,
// `maxLength`, `maxItems` of a repeatable []string, `default`,
// `description`). The document is reflected from these structs
// and DecodeParams enforces them, so the two cannot disagree: a query
// parameter the struct does not declare is a 400 naming it.

const paramsKey ctxKey = 2

// PageLimitMax and PageLimitDefault bound `limit` on every list (0004).
const (
	PageLimitDefault = 50
	PageLimitMax     = 500
)

// DecodeParams fills a new value of t (a struct type) from the request's
// path, query and headers. Query parameters are checked against the
// struct: unknown or repeated names, values that are not of the field's
// type, outside [minimum, maximum] or not in enum are a 400 naming the
// parameter. Absent parameters take their `default` tag.
func DecodeParams(r *http.Request, t reflect.Type) (reflect.Value, error) {
	v := reflect.New(t)
	allowed := QueryNames(t)
	q := r.URL.Query()
	names := make([]string, 0, len(q))
	for name := range q {
		names = append(names, name)
	}
	slices.Sort(names) // report the same parameter first every time
	for _, name := range names {
		if !slices.Contains(allowed, name) {
			if len(allowed) == 0 {
				return v, BadParam(name, "unknown parameter; this route takes no query parameters")
			}
			return v, BadParam(name, "unknown parameter; allowed: "+strings.Join(allowed, ", "))
		}
		if len(q[name]) > 1 && !repeatable(t, name) {
			return v, BadParam(name, "given more than once")
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

// QueryNames lists the query parameters a params struct declares.
func QueryNames(t reflect.Type) []string {
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
		return Internal(fmt.Errorf("params: field %s has unsupported type %s", f.Name, f.Type))
	}
	var vals []string
	for _, raw := range raws {
		if raw != "" {
			vals = append(vals, raw)
		}
	}
	if hi, ok := intTag(f, "maxItems"); ok && len(vals) > hi {
		return BadParam(name, fmt.Sprintf("given %d times, at most %d", len(vals), hi))
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
			return BadParam(name, fmt.Sprintf("must be an RFC 3339 time like 2025-01-31T08:00:00Z, got %q", raw))
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
				return BadParam(name, fmt.Sprintf("must be an integer from %d to %d, got %q", lo, hi, raw))
			case hasLo:
				return BadParam(name, fmt.Sprintf("must be an integer of at least %d, got %q", lo, raw))
			default:
				return BadParam(name, fmt.Sprintf("must be an integer, got %q", raw))
			}
		}
		fv.SetInt(int64(n))
	case f.Type.Kind() == reflect.Bool:
		switch raw {
		case "true":
			fv.SetBool(true)
		case "false":
			fv.SetBool(false)
		default:
			return BadParam(name, fmt.Sprintf("must be true or false, got %q", raw))
		}
	case f.Type.Kind() == reflect.String:
		if hi, ok := intTag(f, "maxLength"); ok && utf8.RuneCountInString(raw) > hi {
			return BadParam(name, fmt.Sprintf("must be at most %d characters, got %d", hi, utf8.RuneCountInString(raw)))
		}
		if enum := f.Tag.Get("enum"); enum != "" {
			allowed := strings.Split(enum, ",")
			if !slices.Contains(allowed, raw) {
				return BadParam(name, fmt.Sprintf("unknown value %q; allowed: %s", raw, strings.Join(allowed, ", ")))
			}
		}
		fv.SetString(raw)
	default:
		return Internal(fmt.Errorf("params: field %s has unsupported type %s", f.Name, f.Type))
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

// ParamsOf returns the decoded parameters of the request's route.
func ParamsOf[T any](r *http.Request) (T, error) {
	p, ok := r.Context().Value(paramsKey).(*T)
	if !ok {
		var zero T
		return zero, Internal(fmt.Errorf("route parameters are %T, the handler wants %T", r.Context().Value(paramsKey), &zero))
	}
	return *p, nil
}

func WithParams(ctx context.Context, p any) context.Context {
	return context.WithValue(ctx, paramsKey, p)
}

// TimeRange checks from < to when both are given and returns them as
// store bounds (nil when absent).
func TimeRange(from, to time.Time) (*time.Time, *time.Time, error) {
	var f, t *time.Time
	if !from.IsZero() {
		f = &from
	}
	if !to.IsZero() {
		t = &to
	}
	if f != nil && t != nil && !f.Before(*t) {
		return nil, nil, BadParam("to", "must be after from")
	}
	return f, t, nil
}

// Cursors are the position of the last item of a page: base64url (no
// padding) of a small JSON object in the list's sort key. They are opaque
// to clients, who copy next_cursor into cursor.

func EncodeCursor(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode cursor: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

var ErrBadCursor = errors.New("malformed cursor")

func DecodeCursor(s string, dst any) error {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%w: %w", ErrBadCursor, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: trailing data", ErrBadCursor)
	}
	return nil
}

func BadCursor() *Problem {
	return BadParam("cursor", "malformed; pass the next_cursor of the previous page unchanged")
}
