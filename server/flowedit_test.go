package server

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

// sendRaw sends body with the Content-Type ct (none when empty) as the
// named actor and checks the response against the OpenAPI document.
func (e *testEnv) sendRaw(as, method, path, ct string, body []byte, header http.Header) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if as != "" {
		req.Header.Set("Authorization", "Bearer "+e.tokens[as])
	}
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	e.checkContract(req, rec)
	return rec
}

func validationOf(t *testing.T, res *httptest.ResponseRecorder) validateJSON {
	t.Helper()
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "application/json", res.Header().Get("Content-Type"))
	var v validateJSON
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v))
	require.NotNil(t, v.Diagnostics, "diagnostics is always a list")
	return v
}

func TestValidateFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.actor("agent", "staff", "technical")

	// The example of the document is valid, for any of the YAML types.
	for _, ct := range append([]string{""}, yamlTypes...) {
		v := validationOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate", ct, []byte(exampleFlowYAML), nil))
		require.True(t, v.Valid, "%s: %+v", ct, v.Diagnostics)
		require.Empty(t, v.Diagnostics)
	}

	// Errors and warnings, with positions, as flow.Load reports them.
	src := strings.Replace(exampleFlowYAML, "next: done", "next: dne", 1)
	src = strings.Replace(src, "departments: [customer_service]", "departments: [customer_service, technical]", 1)
	v := validationOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(src), nil))
	require.False(t, v.Valid)
	_, diags := flow.Load([]byte(src), flow.ValidateOptions{})
	require.Equal(t, toDiagnosticsJSON(diags), v.Diagnostics)
	var sev []string
	for _, d := range v.Diagnostics {
		sev = append(sev, d.Severity)
		require.Positive(t, d.Line, "%+v", d)
		require.Positive(t, d.Column, "%+v", d)
		require.NotEmpty(t, d.Code)
	}
	require.Contains(t, sev, "error")
	require.Contains(t, sev, "warning")
	require.True(t, strings.Contains(diagnosticMessages(v), `did you mean "done"`), diagnosticMessages(v))

	// Warnings alone keep it valid.
	warnOnly := strings.Replace(exampleFlowYAML, "departments: [customer_service]", "departments: [customer_service, technical]", 1)
	v = validationOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "text/yaml", []byte(warnOnly), nil))
	require.True(t, v.Valid)
	require.NotEmpty(t, v.Diagnostics)

	// Refusals.
	problemOf(t, e.sendRaw("", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(exampleFlowYAML), nil), http.StatusUnauthorized)
	p := problemOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/json", []byte(`{"key":"x"}`), nil), http.StatusUnsupportedMediaType)
	require.Contains(t, p.Detail, "application/yaml")
	big := append([]byte("key: x\ndescription: "), bytes.Repeat([]byte("a"), DefaultMaxBodyBytes)...)
	problemOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/yaml", big, nil), http.StatusRequestEntityTooLarge)
	problemOf(t, e.sendRaw("agent", http.MethodPost, "/api/v1/flows/validate?strict=1", "application/yaml", []byte(exampleFlowYAML), nil), http.StatusBadRequest)
}

// TestValidateFlowHostileInput sends garbage: every answer is a 200 with
// valid false and well-formed diagnostics, never a 500.
func TestValidateFlowHostileInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	inputs := map[string][]byte{
		"empty":          nil,
		"blank":          []byte("  \n\t\n"),
		"null":           []byte("~"),
		"scalar":         []byte("hello"),
		"list":           []byte("- 1\n- 2\n"),
		"json":           []byte(`{"key": "x", "steps": 3}`),
		"binary":         random(4096),
		"nul bytes":      make([]byte, 100),
		"utf-16 bom":     []byte("\xff\xfek\x00e\x00y\x00"),
		"deep flow seq":  []byte(strings.Repeat("[", 50000) + strings.Repeat("]", 50000)),
		"deep flow map":  []byte(strings.Repeat("{a: ", 20000) + "1" + strings.Repeat("}", 20000)),
		"deep block":     deepBlock(1200),
		"alias bomb":     []byte("a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"),
		"many documents": []byte(strings.Repeat("---\nkey: x\n", 1000)),
		"huge number":    []byte("key: x\nversion: 99999999999999999999999999\n"),
		"tabs":           []byte("key: x\n\tversion: 1\n"),
		"many steps":     manySteps(5000),
	}
	entries, err := os.ReadDir(filepath.Join("..", "flow", "testdata", "invalid"))
	require.NoError(t, err)
	for _, en := range entries {
		b, err := os.ReadFile(filepath.Join("..", "flow", "testdata", "invalid", en.Name()))
		require.NoError(t, err)
		inputs["flow/testdata/invalid/"+en.Name()] = b
	}
	for i := range 20 {
		inputs["random "+string(rune('a'+i))] = random(1 + rng.IntN(2000))
	}
	for name, in := range inputs {
		res := e.sendRaw("admin", http.MethodPost, "/api/v1/flows/validate", "application/yaml", in, nil)
		v := validationOf(t, res)
		require.False(t, v.Valid, name)
		require.NotEmpty(t, v.Diagnostics, name)
		require.LessOrEqual(t, len(v.Diagnostics), flow.MaxDiagnostics+1, name)
		for _, d := range v.Diagnostics {
			require.NotEmpty(t, d.Code, "%s: %+v", name, d)
			require.NotEmpty(t, d.Message, "%s: %+v", name, d)
			require.Contains(t, []string{"error", "warning"}, d.Severity, name)
		}
	}
}

func deepBlock(depth int) []byte {
	var b strings.Builder
	for i := range depth {
		b.WriteString(strings.Repeat(" ", i))
		b.WriteString("a:\n")
	}
	return []byte(b.String())
}

func manySteps(n int) []byte {
	var b strings.Builder
	b.WriteString("key: x\nversion: 1\nsteps:\n")
	for i := range n {
		b.WriteString("  - {id: s")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(", kind: task, next: nowhere}\n")
	}
	return []byte(b.String())
}

func diagnosticMessages(v validateJSON) string {
	var b strings.Builder
	for _, d := range v.Diagnostics {
		b.WriteString(d.Message + "\n")
	}
	return b.String()
}
