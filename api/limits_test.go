package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
)

// TestBodyLimit sends every route that reads a body (JSON or YAML) one
// byte more than the limit: 413 before anything is parsed or stored.
func TestBodyLimit(t *testing.T) {
	t.Parallel()
	tpl := newWorldTemplate(t)
	const limit = 2048
	for _, rt := range bodyRoutes() {
		t.Run(rt.ID, func(t *testing.T) {
			t.Parallel()
			w := tpl.worldWith(t, func(c *Config) { c.MaxBodyBytes, c.MaxLogBytes = limit, limit }, needsOf(rt)...)
			path, _, header := w.request(t, rt)
			var over, at []byte
			if rt.RawBody != nil {
				// A YAML comment pads the example to the size.
				pad := func(n int) []byte {
					b := []byte(rt.RawBody.Example + "\n#")
					return append(b, []byte(strings.Repeat("x", n-len(b)))...)
				}
				over, at = pad(limit+1), pad(limit)
			} else {
				// A JSON string of spaces pads a valid body to the size.
				pad := func(n int) []byte {
					b := []byte(`{"x":""}`)
					return []byte(`{"x":"` + strings.Repeat(" ", n-len(b)) + `"}`)
				}
				over, at = pad(limit+1), pad(limit)
			}
			require.Len(t, over, limit+1)
			res := w.send(t, "admin", rt, path, over, header)
			p := servertest.ProblemOf(t, res, http.StatusRequestEntityTooLarge)
			require.True(t, strings.HasPrefix(p.Detail, fmt.Sprintf("body: larger than %d bytes", limit)), p.Detail)
			// At the limit the body is read (and judged on what it says).
			res = w.send(t, "admin", rt, path, at, header)
			require.NotEqual(t, http.StatusRequestEntityTooLarge, res.Code, res.Body.String())
			require.Less(t, res.Code, 500, res.Body.String())
		})
	}
}

// TestPageLimits asks every list for 500 items (the most), 501 and 0.
func TestPageLimits(t *testing.T) {
	t.Parallel()
	tpl := newWorldTemplate(t)
	w := tpl.world(t, allNeeds...)
	lists := 0
	for _, rt := range apiRoutes {
		if !slices.Contains(httpx.QueryNames(rt.paramsType()), "limit") {
			continue
		}
		lists++
		path, body, header := w.request(t, rt)
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		res := w.send(t, "admin", rt, path+sep+"limit=500", body, header)
		require.Equal(t, http.StatusOK, res.Code, "%s: %s", rt.ID, res.Body.String())
		for _, bad := range []string{"501", "0", "-1", "100000000000000000000"} {
			res := w.send(t, "admin", rt, path+sep+"limit="+bad, body, header)
			p := servertest.ProblemOf(t, res, http.StatusBadRequest)
			require.Equal(t, "limit", p.Errors[0].Field, rt.ID)
		}
	}
	require.GreaterOrEqual(t, lists, 9)
}

func nested(depth int) string {
	return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
}

func TestJSONDepthLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := func(attrDepth int) string {
		return `{"flow":"complaint","customer":"c","attributes":` + nested(attrDepth) + `}`
	}
	// The body is one level, the attributes the rest.
	res := e.Do("admin", http.MethodPost, "/api/v1/cases", body(httpx.MaxJSONDepth-1), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	res = e.Do("admin", http.MethodPost, "/api/v1/cases", body(httpx.MaxJSONDepth), nil)
	p := servertest.ProblemOf(t, res, http.StatusBadRequest)
	require.Contains(t, p.Detail, "body: nested more than 32 levels deep at line 1, column")
	// Brackets inside strings are text.
	res = e.Do("admin", http.MethodPost, "/api/v1/cases",
		`{"flow":"complaint","customer":"c","attributes":{"note":"`+strings.Repeat(`[{\"`, 100)+`"}}`, nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	// A megabyte of brackets is refused at the 33rd.
	res = e.Do("admin", http.MethodPost, "/api/v1/cases", strings.Repeat("[", DefaultMaxBodyBytes-1), nil)
	require.Contains(t, servertest.ProblemOf(t, res, http.StatusBadRequest).Detail, "(byte 32)")
}

// yamlBombs are documents built to cost a parser time or memory.
func yamlBombs() map[string]string {
	var laughs strings.Builder
	laughs.WriteString("key: complaint\nversion: 3\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&laughs, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
	}
	laughs.WriteString("steps: *a9\n")
	var block strings.Builder
	block.WriteString("key: complaint\nversion: 3\nsteps:\n")
	for i := range 1300 {
		block.WriteString(strings.Repeat(" ", 1+i) + "a:\n")
	}
	var chain strings.Builder
	chain.WriteString("key: complaint\nversion: 3\nx0: &x0 {a: 1}\n")
	for i := 1; i < 20000; i++ {
		fmt.Fprintf(&chain, "x%d: &x%d {a: *x%d}\n", i, i, i-1)
	}
	return map[string]string{
		"billion laughs":     laughs.String(),
		"deep flow sequence": "key: complaint\nsteps: " + strings.Repeat("[", 500000) + strings.Repeat("]", 500000) + "\n",
		"deep flow mapping":  "key: complaint\nsteps: " + strings.Repeat("{a: ", 200000) + "1" + strings.Repeat("}", 200000) + "\n",
		"deep block nesting": block.String(),
		"long alias chain":   chain.String(),
		"merge keys":         "key: complaint\nbase: &b {kind: task}\nsteps:\n" + strings.Repeat("  - {<<: *b, id: s}\n", 20000),
	}
}

// TestYAMLBombs sends each bomb to validate (200, not valid, a diagnostic
// naming the problem) and to publish (422), and logs how long each took.
// That they are refused in well under a second is measured by
// BenchmarkYAMLBombs (figures, beside a real flow's validation), not
// asserted here: a loaded machine or the race detector would make such
// an assertion fail for the wrong reason.
func TestYAMLBombs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", "owner")
	// timed sends a request and times the handler alone (the contract
	// check of the answer comes after).
	timed := func(path, doc string) (*httptest.ResponseRecorder, time.Duration) {
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(doc))
		req.Header.Set("Content-Type", "application/yaml")
		req.Header.Set("Authorization", "Bearer "+e.tokens["owner"])
		rec := httptest.NewRecorder()
		start := time.Now()
		e.h.ServeHTTP(rec, req)
		took := time.Since(start)
		e.CheckContract(req, rec)
		return rec, took
	}
	for name, doc := range yamlBombs() {
		require.Less(t, len(doc), DefaultMaxBodyBytes, name)
		res, took := timed("/api/v1/flows/validate", doc)
		v := servertest.ValidationOf(t, res)
		require.False(t, v.Valid, name)
		require.LessOrEqual(t, len(v.Diagnostics), flow.MaxDiagnostics+1, name)
		codes := map[string]bool{}
		for _, d := range v.Diagnostics {
			codes[d.Code] = true
		}
		require.True(t, codes["alias"] || codes["too-deep"] || codes["syntax"], "%s: %s", name, res.Body.String())

		res, publishTook := timed("/api/v1/flows/complaint/versions", doc)
		p := servertest.ProblemOf(t, res, http.StatusUnprocessableEntity)
		require.NotEmpty(t, p.Errors, name)
		require.LessOrEqual(t, len(p.Errors), flow.MaxDiagnostics+1, name)
		t.Logf("%-20s %7d bytes: validate %v, publish %v, %d diagnostics (%s)", name, len(doc), took.Round(time.Millisecond),
			publishTook.Round(time.Millisecond), len(v.Diagnostics), p.Errors[0].Message)
	}
	// Nothing was published.
	res := e.Do("owner", http.MethodGet, "/api/v1/flows/complaint/versions", nil, nil)
	var versions apiv1.FlowVersionList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &versions))
	require.Len(t, versions.Versions, 2)
}

// BenchmarkYAMLBombs times the validation of each bomb through the API
// handler, beside the validation of the built-in complaint flow (the
// baseline: what an ordinary request costs). BENCHMARKS.md has figures:
//
//	go test ./api -run '^$' -bench YAMLBombs -benchtime 5x
func BenchmarkYAMLBombs(b *testing.B) {
	e := newEnv(b)
	e.Actor("owner", "owner")
	docs := yamlBombs()
	for _, f := range flows.All() {
		if f.Key == "complaint" && f.Version == 1 {
			docs["baseline: complaint flow"] = string(f.Source)
		}
	}
	require.Len(b, docs, len(yamlBombs())+1)
	names := make([]string, 0, len(docs))
	for name := range docs {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		doc := docs[name]
		b.Run(strings.ReplaceAll(name, " ", "_"), func(b *testing.B) {
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				req := httptest.NewRequest(http.MethodPost, "/api/v1/flows/validate", strings.NewReader(doc))
				req.Header.Set("Content-Type", "application/yaml")
				req.Header.Set("Authorization", "Bearer "+e.tokens["owner"])
				rec := httptest.NewRecorder()
				e.h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", name, rec.Code, rec.Body.String())
				}
			}
		})
	}
}
