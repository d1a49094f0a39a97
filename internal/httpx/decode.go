package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
)

// DecodeJSON reads exactly one JSON value from the body into dst, rejecting
// unknown fields, field names in another case than the struct's json tags
// and fields given twice (strictKeys), and bodies larger than the
// limit. It returns
// the raw body (for idempotency hashes) or a *Problem that names the field
// and the position of what is wrong.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, dst any) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, NewProblem(http.StatusUnsupportedMediaType, "unsupported-media-type",
				"Unsupported media type", "Content-Type must be application/json")
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, NewProblem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
				fmt.Sprintf("body: larger than %d bytes", tooLarge.Limit))
		}
		return nil, BadRequest("body: could not be read")
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, BadRequest("body: empty; expected a JSON object", apiv1.FieldError{Field: "body", Message: "empty; expected a JSON object"})
	}
	if off := tooDeep(body, MaxJSONDepth); off >= 0 {
		msg := fmt.Sprintf("nested more than %d levels deep at %s", MaxJSONDepth, position(body, off))
		return nil, BadRequest("body: "+msg, apiv1.FieldError{Field: "body", Message: msg})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return nil, decodeProblem(body, err)
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		off := dec.InputOffset()
		return nil, BadRequest(fmt.Sprintf("body: unexpected data after the JSON value at %s", position(body, off)),
			apiv1.FieldError{Field: "body", Message: "must contain a single JSON value"})
	}
	if p := strictKeys(body, reflect.TypeOf(dst)); p != nil {
		return nil, p
	}
	return body, nil
}

// strictKeys checks what encoding/json lets through: it matches object keys
// to struct fields without regard to case ("FLOW" fills Flow, and a later
// "FLOW" overrides an earlier "flow") and takes the last of duplicate keys.
// It walks body (already decoded without error into a value of type t)
// beside t and refuses, at its position, a key that names a field only in
// another case and a key that appears twice in one object, wherever the
// object is nested. Values decoded by their own UnmarshalJSON and free-form
// values (maps of any, interfaces) are not struct fields and are left as
// they are, except for duplicate keys in a struct.
func strictKeys(body []byte, t reflect.Type) *Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := walkKeys(dec, body, t, "body"); err != nil {
		var p *Problem
		if errors.As(err, &p) {
			return p
		}
		// The body decoded already: a token error here is not expected.
		return decodeProblem(body, err)
	}
	return nil
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// jsonFields maps the JSON names of a struct's fields (json tags, else the
// Go name; embedded structs without a tag promote theirs) to their types.
func jsonFields(t reflect.Type, into map[string]reflect.Type) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && tag == "-" {
			continue
		}
		ft := f.Type
		if f.Anonymous && name == "" {
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				jsonFields(ft, into)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := into[name]; !ok {
			into[name] = f.Type
		}
	}
}

// walkKeys reads one JSON value from dec, checking the keys of the objects
// that decode into structs of t.
func walkKeys(dec *json.Decoder, body []byte, t reflect.Type, path string) error {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler)) {
		t = nil // decoded by its own rules
	}
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("strict keys: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil // a scalar
	}
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for i := 0; dec.More(); i++ {
			if err := walkKeys(dec, body, elem, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case '{':
		var (
			fields map[string]reflect.Type
			elem   reflect.Type
			seen   = map[string]bool{}
		)
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = map[string]reflect.Type{}
			jsonFields(t, fields)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		for dec.More() {
			tok, err := dec.Token()
			if err != nil {
				return fmt.Errorf("strict keys: %w", err)
			}
			key, _ := tok.(string)
			end := dec.InputOffset()
			// Where the key stands, for a refusal only: position scans the
			// body from its start, so computing it for every key would make
			// a body of many keys cost the square of its size.
			at := func() string { return position(body, end-int64(len(strconv.Quote(key)))) }
			if fields != nil {
				if seen[key] {
					msg := fmt.Sprintf("field %q appears twice in the object at %s; give each field once", key, at())
					return BadRequest(path+": "+msg, apiv1.FieldError{Field: path + "." + key, Message: msg})
				}
				seen[key] = true
				ft, ok := fields[key]
				if !ok {
					msg := fmt.Sprintf("unknown field %q at %s", key, at())
					for name := range fields {
						if strings.EqualFold(name, key) {
							msg += fmt.Sprintf("; field names are case-sensitive: did you mean %q?", name)
							break
						}
					}
					return BadRequest(path+": "+msg, apiv1.FieldError{Field: path + "." + key, Message: msg})
				}
				if err := walkKeys(dec, body, ft, path+"."+key); err != nil {
					return err
				}
				continue
			}
			if err := walkKeys(dec, body, elem, path+"."+key); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing delimiter
		return fmt.Errorf("strict keys: %w", err)
	}
	return nil
}

// MaxJSONDepth bounds the nesting of JSON request bodies. Bodies carry
// case attributes and form data that workflows, rules and the databases
// (PostgreSQL's jsonb has a stack depth limit) handle later; no request
// needs more than a few levels.
const MaxJSONDepth = 32

// tooDeep returns the offset of the first [ or { in body that opens a
// level deeper than max, or -1. It follows JSON strings (escapes included)
// so brackets inside them do not count; malformed JSON is left to the
// decoder.
func tooDeep(body []byte, max int) int64 {
	depth, inString, escaped := 0, false, false
	for i, b := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
		case b == '"':
			inString = true
		case b == '[' || b == '{':
			depth++
			if depth > max {
				return int64(i)
			}
		case b == ']' || b == '}':
			depth--
		}
	}
	return -1
}

// decodeProblem turns a json decoding error into a 400 that names the
// field and where it is.
func decodeProblem(body []byte, err error) *Problem {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		// Offset counts the bytes read, the offending one included.
		msg := fmt.Sprintf("malformed JSON at %s: %s", position(body, syntax.Offset-1), syntax.Error())
		return BadRequest("body: "+msg, apiv1.FieldError{Field: "body", Message: msg})
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg := fmt.Sprintf("truncated JSON at %s", position(body, int64(len(body))))
		return BadRequest("body: "+msg, apiv1.FieldError{Field: "body", Message: msg})
	case errors.As(err, &typeErr):
		field := "body"
		if typeErr.Field != "" {
			field = "body." + typeErr.Field
		}
		msg := fmt.Sprintf("expected %s, got %s at %s", jsonKind(typeErr.Type), typeErr.Value, position(body, typeErr.Offset))
		return BadRequest(field+": "+msg, apiv1.FieldError{Field: field, Message: msg})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		msg := "unknown field " + name
		return BadRequest("body: "+msg, apiv1.FieldError{Field: "body", Message: msg})
	default:
		// Errors of custom UnmarshalJSON methods (durations, ...).
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return BadRequest("body: "+msg, apiv1.FieldError{Field: "body", Message: msg})
	}
}

// position renders a byte offset as "line L, column C (byte N)".
func position(body []byte, off int64) string {
	if off < 0 {
		off = 0
	}
	if off > int64(len(body)) {
		off = int64(len(body))
	}
	line, col := 1, 1
	for _, b := range body[:off] {
		if b == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return "line " + strconv.Itoa(line) + ", column " + strconv.Itoa(col) + " (byte " + strconv.FormatInt(off, 10) + ")"
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && t.Kind() == reflect.Slice {
			return "string"
		}
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	default:
		return "a " + t.Kind().String()
	}
}
