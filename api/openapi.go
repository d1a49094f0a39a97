package api

// The OpenAPI 3.1 document is reflected from the Go request, parameter and
// response types of the route table with github.com/swaggest/openapi-go's
// openapi31 reflector. It was chosen (ADR 0004) because it reflects plain
// structs with their json/query/path/header tags, so the types the handlers
// encode are the types the document describes, produces OpenAPI 3.1 whose
// schemas are JSON Schema 2020-12 (validated by the e2e tests), and needs no
// code generation step or framework around the chi handlers.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/swaggest/jsonschema-go"
	"github.com/swaggest/openapi-go"
	"github.com/swaggest/openapi-go/openapi31"
)

const (
	bearerScheme = "bearerAuth"
	mimeJSON     = "application/json"
	mimeProblem  = "application/problem+json"
)

// problemDescriptions describe the problem responses of the document.
var problemDescriptions = map[int]string{
	400: "Bad request: a malformed body (or one nested more than 32 levels deep), an unknown or invalid query parameter (`errors[].field` names it).",
	401: "Missing, unknown, expired or revoked bearer token.",
	403: "The caller's role or departments do not allow this.",
	404: "No such object.",
	409: "The object is not in a state that allows this (already completed, claimed by someone else, closed).",
	413: "The request body is larger than the limit (1 MiB by default).",
	415: "The request body's Content-Type is not one the route accepts (application/json; YAML for flow definitions).",
	422: "The request is well-formed but invalid (`errors[].field` names each invalid field).",
	429: "The caller sent more requests than its rate allows; retry after `Retry-After` seconds.",
	500: "The server failed; quote `request_id` when reporting it.",
	503: "The database or the workflow engine is unavailable; retry later (`Retry-After`).",
}

// openAPIDocument is the document of apiRoutes, built once per process.
var openAPIDocument = sync.OnceValues(func() ([]byte, error) { return buildOpenAPI(apiRoutes) })

// OpenAPI returns the API's OpenAPI 3.1 document (JSON).
func OpenAPI() ([]byte, error) { return openAPIDocument() }

// errorStatuses are the problem statuses of a route: its own plus those
// every route of its kind can give, ascending.
func (rt route) errorStatuses() []int {
	sts := append([]int{http.StatusBadRequest, http.StatusInternalServerError}, rt.Errors...)
	if !rt.Public {
		sts = append(sts, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusServiceUnavailable)
	}
	if len(rt.Roles) > 0 {
		sts = append(sts, http.StatusForbidden)
	}
	slices.Sort(sts)
	return slices.Compact(sts)
}

func buildOpenAPI(routes []route) ([]byte, error) {
	r := openapi31.NewReflector()
	r.DefaultOptions = append(r.DefaultOptions,
		jsonschema.InterceptDefName(defName),
		jsonschema.InterceptProp(requireJSONFields),
		jsonschema.InterceptProp(nullableRefs),
		jsonschema.InterceptSchema(closeObjects),
	)
	spec := r.SpecEns()
	spec.Info.WithTitle("flowlab API").WithVersion("1.0.0").WithDescription(
		"flowlab runs customer-service cases as Temporal workflows and hands each step to a department as a human task.\n\n" +
			"Every `/api/v1` route except this document needs `Authorization: Bearer <token>`. Errors are RFC 9457 " +
			"`application/problem+json`. Lists are keyset-paginated (`limit`, `cursor`, `next_cursor`); unknown query parameters are a 400. " +
			"Every response carries `X-Request-Id` (the request's own when it sends a well-formed one), which the server's logs and audit " +
			"entries carry too. Each actor may send 50 requests a second with bursts of 100 by default; beyond that the answer is 429 with `Retry-After`.")
	spec.SetHTTPBearerTokenSecurity(bearerScheme, "flk_ token", "An API token (`flk_…`) from POST /api/v1/tokens, or the admin token.")
	for _, t := range apiTags {
		spec.Tags = append(spec.Tags, openapi31.Tag{Name: t.Name, Description: ptr(t.Description)})
	}

	for _, rt := range routes {
		oc, err := r.NewOperationContext(rt.Method, rt.Pattern)
		if err != nil {
			return nil, fmt.Errorf("server: openapi: %s %s: %w", rt.Method, rt.Pattern, err)
		}
		oc.SetID(rt.ID)
		oc.SetSummary(rt.Summary)
		oc.SetTags(rt.Tag)
		desc := rt.Description
		switch {
		case rt.Public:
			desc = strings.TrimSpace(desc + "\n\nNo authentication.")
		case len(rt.Roles) > 0:
			desc = strings.TrimSpace(desc + "\n\nRoles: " + strings.Join(rt.Roles, ", ") + ".")
		default:
			desc = strings.TrimSpace(desc + "\n\nRoles: any authenticated actor.")
		}
		if len(rt.Audit) > 0 {
			desc += "\n\nAudited as `" + strings.Join(rt.Audit, "` or `") + "`."
		}
		oc.SetDescription(desc)
		if !rt.Public {
			oc.AddSecurity(bearerScheme)
		}
		if rt.Params != nil {
			oc.AddReqStructure(rt.Params)
		}
		if rt.Body != nil {
			oc.AddReqStructure(rt.Body, openapi.WithContentType(mimeJSON))
		}
		for _, st := range append([]int{rt.Status}, rt.AltStatuses...) {
			oc.AddRespStructure(rt.Response, openapi.WithHTTPStatus(st), openapi.WithContentType(rt.responseType()))
		}
		for _, st := range rt.errorStatuses() {
			oc.AddRespStructure(apiv1.Problem{}, openapi.WithHTTPStatus(st), openapi.WithContentType(mimeProblem),
				func(cu *openapi.ContentUnit) { cu.Description = problemDescriptions[st] })
		}
		if err := r.AddOperation(oc); err != nil {
			return nil, fmt.Errorf("server: openapi: %s %s: %w", rt.Method, rt.Pattern, err)
		}
		// Every route rejects query parameters it does not declare.
		if pi, ok := spec.Paths.MapOfPathItemValues[rt.Pattern]; ok {
			if op, err := pi.Operation(rt.Method); err == nil && op != nil {
				op.WithMapOfAnythingItem("x-forbid-unknown-query", true)
			}
		}
		if err := addRawContent(spec, rt); err != nil {
			return nil, fmt.Errorf("server: openapi: %s %s: %w", rt.Method, rt.Pattern, err)
		}
		if err := addExamples(spec, rt); err != nil {
			return nil, fmt.Errorf("server: openapi: %s %s: %w", rt.Method, rt.Pattern, err)
		}
	}

	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, fmt.Errorf("server: openapi: marshal: %w", err)
	}
	// Round-trip through generic values: encoding/json sorts map keys, so
	// the output is byte-for-byte stable.
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("server: openapi: normalize: %w", err)
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("server: openapi: normalize: %w", err)
	}
	return append(out, '\n'), nil
}

// responseType is the media type of the route's success response.
func (rt route) responseType() string {
	if rt.ResponseType != "" {
		return rt.ResponseType
	}
	return mimeJSON
}

// addRawContent documents a route's non-JSON request body and the other
// representations of its success response.
func addRawContent(spec *openapi31.Spec, rt route) error {
	pi := spec.Paths.MapOfPathItemValues[rt.Pattern]
	op, err := pi.Operation(rt.Method)
	if err != nil || op == nil {
		return fmt.Errorf("operation not in the document: %v", err)
	}
	if rb := rt.RawBody; rb != nil {
		if rt.Body != nil {
			return fmt.Errorf("both a JSON and a raw body")
		}
		content := map[string]openapi31.MediaType{}
		maxLength := int64(DefaultMaxBodyBytes)
		if rb.MaxLength > 0 {
			maxLength = rb.MaxLength
		}
		for _, t := range rb.Types {
			var ex any = rb.Example
			content[t] = openapi31.MediaType{
				Schema: map[string]any{"type": "string", "contentMediaType": t, "maxLength": maxLength,
					"description": rb.Description},
				Example: &ex,
			}
		}
		op.RequestBody = &openapi31.RequestBodyOrReference{RequestBody: &openapi31.RequestBody{
			Description: ptr(rb.Description), Content: content, Required: ptr(true)}}
	}
	for _, alt := range rt.AltResponses {
		for _, st := range append([]int{rt.Status}, rt.AltStatuses...) {
			ror, ok := op.Responses.MapOfResponseOrReferenceValues[strconv.Itoa(st)]
			if !ok || ror.Response == nil {
				return fmt.Errorf("no %d response", st)
			}
			schema := map[string]any{"description": alt.Description}
			for k, v := range alt.Schema {
				schema[k] = v
			}
			mt := openapi31.MediaType{Schema: schema}
			if alt.Example != nil {
				ex := alt.Example
				mt.Example = &ex
			}
			ror.Response.Content[alt.Type] = mt
		}
	}
	return nil
}

// addExamples sets the examples of a route's request body, success and
// problem responses.
func addExamples(spec *openapi31.Spec, rt route) error {
	pi := spec.Paths.MapOfPathItemValues[rt.Pattern]
	op, err := pi.Operation(rt.Method)
	if err != nil || op == nil {
		return fmt.Errorf("operation not in the document: %v", err)
	}
	if rt.BodyExample != nil {
		if op.RequestBody == nil || op.RequestBody.RequestBody == nil {
			return fmt.Errorf("a body example but no request body")
		}
		if err := setExample(op.RequestBody.RequestBody.Content, mimeJSON, rt.BodyExample); err != nil {
			return err
		}
	}
	setResp := func(status int, mime string, v any) error {
		ror, ok := op.Responses.MapOfResponseOrReferenceValues[strconv.Itoa(status)]
		if !ok || ror.Response == nil {
			return fmt.Errorf("no %d response", status)
		}
		return setExample(ror.Response.Content, mime, v)
	}
	if rt.Example != nil {
		for _, st := range append([]int{rt.Status}, rt.AltStatuses...) {
			if err := setResp(st, rt.responseType(), rt.Example); err != nil {
				return err
			}
		}
	}
	for _, st := range rt.errorStatuses() {
		if err := setResp(st, mimeProblem, exampleProblem(rt, st)); err != nil {
			return err
		}
	}
	return nil
}

func setExample(content map[string]openapi31.MediaType, mime string, v any) error {
	mt, ok := content[mime]
	if !ok {
		return fmt.Errorf("no %s content for the example", mime)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("example: %w", err)
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return fmt.Errorf("example: %w", err)
	}
	mt.Example = &generic
	content[mime] = mt
	return nil
}

// exampleProblem is an example problem document of status for rt.
func exampleProblem(rt route, status int) httpx.Problem {
	var p *httpx.Problem
	switch status {
	case http.StatusBadRequest:
		p = httpx.BadParam("limit", `must be an integer from 1 to 500, got "1000"`)
		if rt.Body != nil {
			p = httpx.BadRequest(`body: unknown field "colour"`, apiv1.FieldError{Field: "body", Message: `unknown field "colour"`})
		}
	case http.StatusUnauthorized:
		p = httpx.Unauthorized("the token is unknown, expired or revoked", "")
	case http.StatusForbidden:
		p = httpx.Forbidden(`role "improver" may not do this; allowed: ` + strings.Join(rt.Roles, ", "))
		if len(rt.Roles) == 0 {
			p = httpx.Forbidden(`task "0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20" belongs to department "technical", which you do not work in`)
		}
	case http.StatusNotFound:
		p = httpx.NotFound(`case "6f1c9a52" not found`)
	case http.StatusConflict:
		p = httpx.Conflict(`task "0b5e3c1a-7d2f-4e8b-a6c9-1f3d5b7e9a20" is already completed`)
	case http.StatusRequestEntityTooLarge:
		p = httpx.NewProblem(status, "too-large", "Request body too large", "body: larger than 1048576 bytes")
	case http.StatusUnsupportedMediaType:
		p = httpx.NewProblem(status, "unsupported-media-type", "Unsupported media type", "Content-Type must be application/json")
		if rt.RawBody != nil {
			p = unsupportedRaw(rt.RawBody.Types)
		}
	case http.StatusUnprocessableEntity:
		p = httpx.Invalid(apiv1.FieldError{Field: "outcome", Message: "is required"})
	case http.StatusTooManyRequests:
		p = httpx.NewProblem(status, "rate-limited", "Too many requests",
			"more than 50 requests per second (bursts of 100) from this actor; retry after the Retry-After seconds")
	case http.StatusServiceUnavailable:
		p = httpx.Unavailable("the database is unavailable; retry later", nil)
	default:
		p = httpx.Internal(nil)
	}
	out := *p
	out.Instance = strings.ReplaceAll(strings.ReplaceAll(rt.Pattern, "{id}", "6f1c9a52-3b7e-4d0a-9b8e-2f4c1d5e7a90"), "{key}", "complaint")
	if status == http.StatusServiceUnavailable && rt.Pattern == "/readyz" {
		out.Detail = "not ready: the database does not answer"
	}
	out.RequestID = "flowlab-host/kC9nPq2xYb-000042"
	return out
}

// defName names a component schema after its Go type without the JSON
// suffix of the view types ("apiv1.Case" → "Case").
// keptSchemaNames are schema names the document had before their Go type
// was renamed (decision 0027): clients generated from the document name
// their types after them, so they do not change with the Go name.
var keptSchemaNames = map[string]string{"KPI": "Kpi"}

func defName(t reflect.Type, def string) string {
	name := t.Name()
	if name == "" || strings.ContainsAny(name, "[]") {
		return def
	}
	if kept, ok := keptSchemaNames[name]; ok {
		return kept
	}
	name = strings.TrimSuffix(name, "JSON")
	rs := []rune(name)
	rs[0] = unicode.ToUpper(rs[0])
	return string(rs)
}

// requireJSONFields marks every JSON property without omitempty required:
// the server always sends it (null when it has no value), and request
// fields that may be left out are tagged omitempty.
func requireJSONFields(p jsonschema.InterceptPropParams) error {
	if !p.Processed || p.ParentSchema == nil {
		return nil
	}
	tag, ok := p.Field.Tag.Lookup("json")
	if !ok || tag == "-" || strings.Contains(tag, ",omitempty") {
		return nil
	}
	for _, other := range []string{"query", "path", "header"} {
		if _, ok := p.Field.Tag.Lookup(other); ok {
			return nil
		}
	}
	if !slices.Contains(p.ParentSchema.Required, p.Name) {
		p.ParentSchema.Required = append(p.ParentSchema.Required, p.Name)
	}
	return nil
}

// nullableRefs lets a property that references a component schema be
// null when its field is tagged nullable:"true" (a pointer to a struct
// the server sends as null): {"anyOf": [{"$ref": ...}, {"type": "null"}]}.
func nullableRefs(p jsonschema.InterceptPropParams) error {
	if !p.Processed || p.PropertySchema == nil || p.PropertySchema.Ref == nil || p.Field.Tag.Get("nullable") != "true" {
		return nil
	}
	ref := (&jsonschema.Schema{}).WithRef(*p.PropertySchema.Ref)
	null := &jsonschema.Schema{}
	null.AddType(jsonschema.Null)
	p.PropertySchema.Ref = nil
	p.PropertySchema.WithAnyOf(ref.ToSchemaOrBool(), null.ToSchemaOrBool())
	return nil
}

// closeObjects forbids properties a struct does not declare: request bodies
// are decoded with unknown fields rejected, and a response field missing
// from the document must fail the contract tests.
func closeObjects(p jsonschema.InterceptSchemaParams) (bool, error) {
	if !p.Processed || !p.Value.IsValid() {
		return false, nil
	}
	t := p.Value.Type()
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() || len(p.Schema.Properties) == 0 || len(httpx.QueryNames(t)) > 0 {
		return false, nil
	}
	for i := range t.NumField() {
		if _, ok := t.Field(i).Tag.Lookup("path"); ok {
			return false, nil
		}
		if _, ok := t.Field(i).Tag.Lookup("header"); ok {
			return false, nil
		}
	}
	p.Schema.AdditionalProperties = (&jsonschema.SchemaOrBool{}).WithTypeBoolean(false)
	return false, nil
}

// openAPI serves the document built at startup.
func (s *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", mimeJSON)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(s.doc)
	return nil
}
