// Package apitest checks HTTP exchanges against flowlab's OpenAPI document
// (server.OpenAPI, served at /api/v1/openapi.json). The server's tests and
// the end-to-end tests validate every response they receive with it, so a
// response that drifts from the document fails a test. It uses
// github.com/pb33f/libopenapi-validator, which validates OpenAPI 3.1
// schemas as JSON Schema 2020-12.
package apitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	vErrors "github.com/pb33f/libopenapi-validator/errors"
)

// Validator validates responses against one OpenAPI document. It is safe
// for concurrent use.
type Validator struct {
	mu sync.Mutex
	v  validator.Validator
}

// New parses doc (OpenAPI 3.1 JSON) and returns its response validator.
func New(doc []byte) (*Validator, error) {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, fmt.Errorf("apitest: parse document: %w", err)
	}
	v, errs := validator.NewValidator(d)
	if len(errs) > 0 {
		return nil, fmt.Errorf("apitest: validator: %w", errors.Join(errs...))
	}
	return &Validator{v: v}, nil
}

// CheckResponse validates one response (its status, Content-Type and
// body) to req against the document. The error lists every violation.
//
// A JSON Lines body (application/x-ndjson) is validated line by line: the
// document's schema describes one line.
func (v *Validator) CheckResponse(req *http.Request, status int, header http.Header, body []byte) error {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt == "application/x-ndjson" && len(body) > 0 {
		for i, line := range bytes.Split(bytes.TrimSuffix(body, []byte("\n")), []byte("\n")) {
			if err := v.checkOne(req, status, header, line); err != nil {
				return fmt.Errorf("line %d: %w", i+1, err)
			}
		}
		return nil
	}
	return v.checkOne(req, status, header, body)
}

func (v *Validator) checkOne(req *http.Request, status int, header http.Header, body []byte) error {
	resp := &http.Response{
		StatusCode: status, Header: header.Clone(), Request: req,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	v.mu.Lock()
	ok, verrs := v.v.ValidateHttpResponse(req, resp)
	v.mu.Unlock()
	if ok && len(verrs) == 0 {
		return nil
	}
	return fmt.Errorf("%s %s → %d does not match the OpenAPI document:\n%s\nbody: %s",
		req.Method, req.URL.RequestURI(), status, describe(verrs), truncate(body, 2000))
}

func describe(verrs []*vErrors.ValidationError) string {
	var b strings.Builder
	for _, e := range verrs {
		fmt.Fprintf(&b, "  - %s", e.Message)
		if e.Reason != "" {
			fmt.Fprintf(&b, ": %s", e.Reason)
		}
		for _, se := range e.SchemaValidationErrors {
			fmt.Fprintf(&b, "\n      at %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// CheckDocument reports whether doc is a valid OpenAPI 3.1 document:
// libopenapi parses and models it without errors, it validates against
// the OpenAPI 3.1 schema, and every $ref in it resolves.
func CheckDocument(doc []byte) error {
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return fmt.Errorf("apitest: parse: %w", err)
	}
	if v := d.GetVersion(); !strings.HasPrefix(v, "3.1") {
		return fmt.Errorf("apitest: openapi version %q, want 3.1.x", v)
	}
	m, err := d.BuildV3Model()
	if err != nil {
		return fmt.Errorf("apitest: model: %w", err)
	}
	var errs []error
	if idx := m.Index; idx != nil {
		errs = append(errs, idx.GetReferenceIndexErrors()...)
		if r := idx.GetResolver(); r != nil {
			for _, re := range r.GetResolvingErrors() {
				errs = append(errs, re.ErrorRef)
			}
		}
	}
	v, verrs := validator.NewValidator(d)
	errs = append(errs, verrs...)
	if v != nil {
		if ok, dErrs := v.ValidateDocument(); !ok {
			for _, e := range dErrs {
				errs = append(errs, e)
			}
		}
	}
	// Resolve every $ref ourselves too: a dangling one must fail even if a
	// library tolerates it.
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		return fmt.Errorf("apitest: json: %w", err)
	}
	walkRefs(root, func(ref string) {
		if _, err := Resolve(root, ref); err != nil {
			errs = append(errs, err)
		}
	})
	if len(errs) > 0 {
		return fmt.Errorf("apitest: invalid document: %w", errors.Join(errs...))
	}
	return nil
}

func walkRefs(v any, fn func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			fn(ref)
		}
		for _, c := range x {
			walkRefs(c, fn)
		}
	case []any:
		for _, c := range x {
			walkRefs(c, fn)
		}
	}
}

// Resolve follows a local reference ("#/components/schemas/Case") in root.
func Resolve(root any, ref string) (any, error) {
	ptr, ok := strings.CutPrefix(ref, "#")
	if !ok {
		return nil, fmt.Errorf("$ref %q is not local", ref)
	}
	cur := root
	if ptr == "" {
		return cur, nil
	}
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("$ref %q: %q is not in an object", ref, tok)
		}
		if cur, ok = obj[tok]; !ok {
			return nil, fmt.Errorf("$ref %q does not resolve: no %q", ref, tok)
		}
	}
	return cur, nil
}
