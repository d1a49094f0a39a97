package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestValidateFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", "staff", "technical")

	// The example of the document is valid, for any of the YAML types.
	for _, ct := range append([]string{""}, yamlTypes...) {
		v := servertest.ValidationOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate", ct, []byte(exampleFlowYAML), nil))
		require.True(t, v.Valid, "%s: %+v", ct, v.Diagnostics)
		require.Empty(t, v.Diagnostics)
	}

	// Errors and warnings, with positions, as flow.Load reports them.
	src := strings.Replace(exampleFlowYAML, "next: done", "next: dne", 1)
	src = strings.Replace(src, "departments: [customer_service]", "departments: [customer_service, technical]", 1)
	v := servertest.ValidationOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(src), nil))
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
	v = servertest.ValidationOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "text/yaml", []byte(warnOnly), nil))
	require.True(t, v.Valid)
	require.NotEmpty(t, v.Diagnostics)

	// Refusals.
	servertest.ProblemOf(t, e.SendRaw("", http.MethodPost, "/api/v1/flows/validate", "application/yaml", []byte(exampleFlowYAML), nil), http.StatusUnauthorized)
	p := servertest.ProblemOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/json", []byte(`{"key":"x"}`), nil), http.StatusUnsupportedMediaType)
	require.Contains(t, p.Detail, "application/yaml")
	big := append([]byte("key: x\ndescription: "), bytes.Repeat([]byte("a"), DefaultMaxBodyBytes)...)
	servertest.ProblemOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate", "application/yaml", big, nil), http.StatusRequestEntityTooLarge)
	servertest.ProblemOf(t, e.SendRaw("agent", http.MethodPost, "/api/v1/flows/validate?strict=1", "application/yaml", []byte(exampleFlowYAML), nil), http.StatusBadRequest)
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
		res := e.SendRaw("admin", http.MethodPost, "/api/v1/flows/validate", "application/yaml", in, nil)
		v := servertest.ValidationOf(t, res)
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

func diagnosticMessages(v apiv1.Validate) string {
	var b strings.Builder
	for _, d := range v.Diagnostics {
		b.WriteString(d.Message + "\n")
	}
	return b.String()
}

func detailOf(t *testing.T, res *httptest.ResponseRecorder, status int) apiv1.FlowVersionDetail {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	var v apiv1.FlowVersionDetail
	dec := json.NewDecoder(bytes.NewReader(res.Body.Bytes()))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&v))
	return v
}

func TestPublishFlow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", "owner")
	e.Actor("agent", "staff", "technical")
	publish := func(as, key, src string) *httptest.ResponseRecorder {
		return e.SendRaw(as, http.MethodPost, "/api/v1/flows/"+key+"/versions", "application/yaml", []byte(src), nil)
	}
	noVersion := strings.Replace(exampleFlowYAML, "version: 3\n", "", 1)

	// complaint has v1 and v2: the next is 3, with or without version.
	v3 := detailOf(t, publish("owner", "complaint", noVersion), http.StatusCreated)
	require.Equal(t, 3, v3.Version)
	require.Equal(t, "complaint", v3.Key)
	require.Equal(t, noVersion, v3.Source)
	require.False(t, v3.IsDefault, "a new version of a known key is not the default")
	require.False(t, v3.Retired)
	require.Equal(t, e.actors["owner"].ID, v3.CreatedBy)
	sum := sha256.Sum256([]byte(noVersion))
	require.Equal(t, hex.EncodeToString(sum[:]), v3.Hash)
	var def flow.Definition
	require.NoError(t, json.Unmarshal(v3.Definition, &def))
	require.Equal(t, 3, def.Version, "the compiled definition carries the assigned version")

	// The same content again is a no-op returning it.
	again := detailOf(t, publish("owner", "complaint", noVersion), http.StatusOK)
	require.Equal(t, v3, again)
	// So is the content of a built-in version.
	src2, err := e.st.GetFlowVersion(t.Context(), "complaint", 2)
	require.NoError(t, err)
	require.Equal(t, 2, detailOf(t, publish("admin", "complaint", src2.Source), http.StatusOK).Version)

	// A version that is not the next one is a conflict naming it.
	p := servertest.ProblemOf(t, publish("owner", "complaint", exampleFlowYAML), http.StatusConflict)
	require.Contains(t, p.Detail, "the next version is 4")
	p = servertest.ProblemOf(t, publish("owner", "complaint", strings.Replace(exampleFlowYAML, "version: 3", "version: 9", 1)), http.StatusConflict)
	require.Contains(t, p.Detail, "version 9")
	v4 := detailOf(t, publish("owner", "complaint", strings.Replace(exampleFlowYAML, "version: 3", "version: 4", 1)), http.StatusCreated)
	require.Equal(t, 4, v4.Version)

	// Invalid definitions: 422 with the diagnostics as line:col fields.
	p = servertest.ProblemOf(t, publish("owner", "complaint", strings.Replace(noVersion, "next: done", "next: dne", 1)), http.StatusUnprocessableEntity)
	require.NotEmpty(t, p.Errors)
	fields := map[string]string{}
	for _, fe := range p.Errors {
		fields[fe.Field] = fe.Message
	}
	require.Contains(t, fields["11:15"], "(unknown-target)")
	p = servertest.ProblemOf(t, publish("owner", "complaint", "\x00\x01garbage"), http.StatusUnprocessableEntity)
	require.NotEmpty(t, p.Errors)
	// The key of the definition must be the path's.
	p = servertest.ProblemOf(t, publish("owner", "returns-exchange", noVersion), http.StatusUnprocessableEntity)
	require.Equal(t, "key", p.Errors[0].Field)

	// A new key: version 1, its own default, usable for cases at once.
	cb := strings.Replace(noVersion, "key: complaint", "key: callback", 1)
	v1 := detailOf(t, publish("owner", "callback", cb), http.StatusCreated)
	require.Equal(t, 1, v1.Version)
	require.True(t, v1.IsDefault)
	res := e.Do("owner", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "callback", "customer": "c-9"}, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

	// Roles, auth, media types.
	servertest.ProblemOf(t, publish("agent", "complaint", noVersion), http.StatusForbidden)
	servertest.ProblemOf(t, publish("", "complaint", noVersion), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.SendRaw("owner", http.MethodPost, "/api/v1/flows/complaint/versions", "application/json", []byte(`{}`), nil), http.StatusUnsupportedMediaType)

	// Audit.
	entries, err := e.st.ListAudit(t.Context(), store.AuditFilter{Object: "flow:callback@1"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "flow.publish", entries[0].Action)
	require.Equal(t, e.actors["owner"].ID, entries[0].Actor)
}

func TestFlowVersionsDefaultRetire(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", "owner")
	e.Actor("agent", "staff", "technical")
	res := e.SendRaw("owner", http.MethodPost, "/api/v1/flows/complaint/versions", "application/yaml",
		[]byte(strings.Replace(exampleFlowYAML, "version: 3\n", "", 1)), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())

	// List, paged.
	var page apiv1.FlowVersionList
	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions?limit=2", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &page))
	require.Equal(t, []int{1, 2}, []int{page.Versions[0].Version, page.Versions[1].Version})
	require.True(t, page.Versions[0].IsDefault)
	require.NotEmpty(t, page.NextCursor)
	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions?limit=2&cursor="+page.NextCursor, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	page = apiv1.FlowVersionList{}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &page))
	require.Len(t, page.Versions, 1)
	require.Equal(t, 3, page.Versions[0].Version)
	require.Empty(t, page.NextCursor)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/nope/versions", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions?cursor=xx", nil, nil), http.StatusBadRequest)

	// One version, JSON or YAML.
	v3 := detailOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/3", nil, nil), http.StatusOK)
	require.Equal(t, 3, v3.Version)
	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/3", nil, http.Header{"Accept": {"application/yaml"}})
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "application/yaml; charset=utf-8", res.Header().Get("Content-Type"))
	require.Equal(t, v3.Source, res.Body.String())
	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/3", nil, http.Header{"Accept": {"application/yaml;q=0.5, application/json"}})
	require.Equal(t, "application/json", res.Header().Get("Content-Type"))
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/9", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/x", nil, nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/versions/0", nil, nil), http.StatusBadRequest)

	// Retiring the default is refused; another version can be retired.
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/flows/complaint/versions/1/retire", nil, nil), http.StatusConflict)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/flows/complaint/versions/2/retire", nil, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("owner", http.MethodPost, "/api/v1/flows/complaint/versions/9/retire", nil, nil), http.StatusNotFound)
	v2 := detailOf(t, e.Do("owner", http.MethodPost, "/api/v1/flows/complaint/versions/2/retire", nil, nil), http.StatusOK)
	require.True(t, v2.Retired)
	require.NotNil(t, v2.RetiredAt)
	again := detailOf(t, e.Do("owner", http.MethodPost, "/api/v1/flows/complaint/versions/2/retire", nil, nil), http.StatusOK)
	require.Equal(t, v2, again, "retiring twice changes nothing")

	// A retired version cannot become the default; another can.
	servertest.ProblemOf(t, e.Do("owner", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 2}, nil), http.StatusConflict)
	servertest.ProblemOf(t, e.Do("owner", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 9}, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("owner", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 0}, nil), http.StatusUnprocessableEntity)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 3}, nil), http.StatusForbidden)
	d := detailOf(t, e.Do("owner", http.MethodPut, "/api/v1/flows/complaint/default", map[string]any{"version": 3}, nil), http.StatusOK)
	require.True(t, d.IsDefault)
	c := e.StartCase()
	require.Equal(t, 3, c.Version, "new cases get the new default")

	// Now v1 can be retired; the case of v1 started before is untouched.
	require.True(t, detailOf(t, e.Do("owner", http.MethodPost, "/api/v1/flows/complaint/versions/1/retire", nil, nil), http.StatusOK).Retired)

	// A retired default (only the store can make one) refuses new cases.
	require.NoError(t, e.st.RetireFlowVersion(t.Context(), "complaint", 3, time.Now()))
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "c-1"}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "retired")

	actions := map[string]int{}
	for _, obj := range []string{"flow:complaint", "flow:complaint@1", "flow:complaint@2", "flow:complaint@3"} {
		entries, err := e.st.ListAudit(t.Context(), store.AuditFilter{Object: obj})
		require.NoError(t, err)
		for _, en := range entries {
			actions[en.Action]++
		}
	}
	require.Equal(t, map[string]int{"flow.publish": 1, "flow.retire": 2, "flow.default": 1}, actions)
}

func TestDiffAndSchema(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", "staff", "technical")
	res := e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/diff?from=1&to=2", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var d flow.DiffResult
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.Equal(t, "complaint", d.Key)
	require.Equal(t, 1, d.From)
	require.Equal(t, 2, d.To)
	require.False(t, d.Empty())
	want, err := json.Marshal(exampleDiff)
	require.NoError(t, err)
	require.JSONEq(t, string(want), res.Body.String(), "the stored versions are the built-in ones")

	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/diff?from=1&to=2", nil, http.Header{"Accept": {"text/plain"}})
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "text/plain; charset=utf-8", res.Header().Get("Content-Type"))
	require.Equal(t, exampleDiff.Text(), res.Body.String())

	res = e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/diff?from=2&to=2", nil, nil)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.True(t, d.Empty())
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/diff?from=1", nil, nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/complaint/diff?from=1&to=7", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/flows/nope/diff?from=1&to=2", nil, nil), http.StatusNotFound)

	// The schema needs no token.
	res = e.Do("", http.MethodGet, FlowSchemaPath, nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Equal(t, "application/schema+json", res.Header().Get("Content-Type"))
	require.Equal(t, flow.JSONSchema(), res.Body.Bytes())
}
