package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/server/apitest"
	"github.com/flowlab/flowlab/server/servertest"
)

func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	raw, err := OpenAPI()
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	return doc
}

// documentedOperations lists "METHOD /path" of every operation of the
// document.
func documentedOperations(doc map[string]any) []string {
	var ops []string
	for path, item := range doc["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			switch method {
			case "get", "put", "post", "delete", "patch", "head", "options", "trace":
				ops = append(ops, strings.ToUpper(method)+" "+path)
			}
		}
	}
	slices.Sort(ops)
	return ops
}

// TestRoutesMatchDocument walks the chi router: a route that is served but
// not documented, or documented but not served, fails.
func TestRoutesMatchDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	routes, ok := e.h.(chi.Routes)
	require.True(t, ok, "New returns a chi router")
	var served []string
	require.NoError(t, chi.Walk(routes, func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if !isUIRoute(route) { // the web UI's pages are not API operations (ADR 0014)
			served = append(served, method+" "+route)
		}
		return nil
	}))
	slices.Sort(served)
	documented := documentedOperations(openAPIDoc(t))
	for _, op := range served {
		require.Contains(t, documented, op, "served but not in the OpenAPI document")
	}
	for _, op := range documented {
		require.Contains(t, served, op, "in the OpenAPI document but not served")
	}
	require.Len(t, served, len(apiRoutes))
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	raw, err := OpenAPI()
	require.NoError(t, err)
	require.NoError(t, apitest.CheckDocument(raw))

	// Deterministic: building it again gives the same bytes.
	again, err := buildOpenAPI(apiRoutes)
	require.NoError(t, err)
	require.True(t, bytes.Equal(raw, again), "the document must be byte-for-byte stable")

	// A dangling reference is caught.
	broken := bytes.Replace(raw, []byte(`"#/components/schemas/Case"`), []byte(`"#/components/schemas/Nope"`), 1)
	require.Error(t, apitest.CheckDocument(broken))
}

func TestOpenAPIServedWithoutAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("", http.MethodGet, OpenAPIPath, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "application/json", res.Header().Get("Content-Type"))
	raw, err := OpenAPI()
	require.NoError(t, err)
	require.Equal(t, string(raw), res.Body.String())
	p := servertest.ProblemOf(t, e.Do("", http.MethodGet, OpenAPIPath+"?format=yaml", nil, nil), http.StatusBadRequest)
	require.Equal(t, "format", p.Errors[0].Field)
}

// TestOpenAPIConventions checks what ADR 0004 asks of every operation.
func TestOpenAPIConventions(t *testing.T) {
	t.Parallel()
	doc := openAPIDoc(t)
	schemes := doc["components"].(map[string]any)["securitySchemes"].(map[string]any)
	require.Equal(t, "bearer", schemes[bearerScheme].(map[string]any)["scheme"])
	problem := doc["components"].(map[string]any)["schemas"].(map[string]any)["Problem"].(map[string]any)
	props := problem["properties"].(map[string]any)
	for _, f := range []string{"type", "title", "status", "detail", "instance", "request_id", "errors"} {
		require.Contains(t, props, f, "Problem schema")
	}
	fieldErr := doc["components"].(map[string]any)["schemas"].(map[string]any)["FieldError"].(map[string]any)
	require.ElementsMatch(t, []any{"field", "message"}, fieldErr["required"])

	ids := map[string]bool{}
	for _, rt := range apiRoutes {
		name := rt.Method + " " + rt.Pattern
		require.False(t, ids[rt.ID], "duplicate operation id %s", rt.ID)
		ids[rt.ID] = true
		op := doc["paths"].(map[string]any)[rt.Pattern].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
		require.Equal(t, rt.ID, op["operationId"], name)
		require.NotEmpty(t, op["summary"], name)
		require.Equal(t, []any{rt.Tag}, op["tags"], name)
		if rt.Public {
			require.NotContains(t, op, "security", name)
		} else {
			require.Equal(t, []any{map[string]any{bearerScheme: []any{}}}, op["security"], name)
		}
		require.Equal(t, true, op["x-forbid-unknown-query"], name)
		responses := op["responses"].(map[string]any)
		require.Contains(t, responses, strconv.Itoa(rt.Status), name)
		success := responses[strconv.Itoa(rt.Status)].(map[string]any)["content"].(map[string]any)[rt.responseType()].(map[string]any)
		if rt.ID != "getOpenAPI" && rt.ID != "getFlowSchema" {
			require.Contains(t, success, "example", "%s: success example", name)
		}
		for _, st := range rt.errorStatuses() {
			resp, ok := responses[strconv.Itoa(st)].(map[string]any)
			require.True(t, ok, "%s: no %d response", name, st)
			pj := resp["content"].(map[string]any)[mimeProblem].(map[string]any)
			require.Equal(t, "#/components/schemas/Problem", pj["schema"].(map[string]any)["$ref"], name)
			require.Contains(t, pj, "example", name)
		}
		if rt.Body != nil {
			body := op["requestBody"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
			require.Contains(t, body, "example", "%s: body example", name)
		}
		if strings.HasPrefix(rt.ID, "list") {
			var names []string
			for _, p := range op["parameters"].([]any) {
				names = append(names, p.(map[string]any)["name"].(string))
			}
			require.Subset(t, names, []string{"limit", "cursor"}, name)
			// Flows, versions and tokens are few and have no time of interest.
			// Event logs are few too; each shows its first and last time.
			// Alert rules are few (at most 500); a rule's state changes
			// are paged newest first.
			if rt.ID != "listFlows" && rt.ID != "listFlowVersions" && rt.ID != "listTokens" && rt.ID != "listLogs" &&
				rt.ID != "listPeople" && rt.ID != "listNotifications" && rt.ID != "listSessions" &&
				rt.ID != "listAlertRules" && rt.ID != "listAlertEvents" {
				require.Subset(t, names, []string{"from", "to"}, name)
			}
			ref := success["schema"].(map[string]any)["$ref"].(string)
			sch, err := apitest.Resolve(doc, ref)
			require.NoError(t, err)
			require.Contains(t, sch.(map[string]any)["properties"], "next_cursor", name)
		}
	}
}

// TestOpenAPIExamplesMatchSchemas validates every example of the document
// against its own schema (JSON Schema 2020-12).
func TestOpenAPIExamplesMatchSchemas(t *testing.T) {
	t.Parallel()
	raw, err := OpenAPI()
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	const base = "mem://flowlab/openapi.json"
	require.NoError(t, c.AddResource(base, inst))
	esc := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1") }
	checked := 0
	var walk func(ptr string, v any)
	walk = func(ptr string, v any) {
		switch x := v.(type) {
		case map[string]any:
			if ex, ok := x["example"]; ok && x["schema"] != nil {
				sch, err := c.Compile(base + "#" + (&url.URL{Fragment: ptr + "/schema"}).EscapedFragment())
				require.NoError(t, err, ptr)
				require.NoError(t, sch.Validate(ex), "example at %s", ptr)
				checked++
			}
			for k, c := range x {
				walk(ptr+"/"+esc(k), c)
			}
		case []any:
			for i, c := range x {
				walk(ptr+"/"+strconv.Itoa(i), c)
			}
		}
	}
	walk("", inst)
	require.Greater(t, checked, 2*len(apiRoutes))

	// A wrong example would be caught.
	sch, err := c.Compile(base + "#" + (&url.URL{Fragment: "/components/schemas/Case"}).EscapedFragment())
	require.NoError(t, err)
	require.Error(t, sch.Validate(map[string]any{"id": "x"}))
}

// The document's schema names are a contract: clients generated from it
// name their types after them. Moving or renaming the Go types behind them
// (issue 16 moved them to apiv1) must not change them; a schema added or
// removed on purpose updates testdata/openapi-schema-names.txt.
func TestSchemaNamesAreKept(t *testing.T) {
	doc, err := OpenAPI()
	require.NoError(t, err)
	var d struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	var got []string
	for name := range d.Components.Schemas {
		got = append(got, name)
	}
	slices.Sort(got)
	if *updateGolden {
		require.NoError(t, os.WriteFile("testdata/openapi-schema-names.txt", []byte(strings.Join(got, "\n")+"\n"), 0o644))
	}
	want, err := os.ReadFile("testdata/openapi-schema-names.txt")
	require.NoError(t, err)
	require.Equal(t, strings.Fields(string(want)), got)
}
