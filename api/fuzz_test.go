package api

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"math/rand/v2"
	"net/http/httptest"
	"testing"

	"github.com/flowlab/flowlab/internal/httpx"
)

// bodyRoutes are the routes that read a request body (JSON or YAML).
func bodyRoutes() []route {
	var out []route
	for _, rt := range apiRoutes {
		if rt.Body != nil || rt.RawBody != nil {
			out = append(out, rt)
		}
	}
	return out
}

// bodyExample is a valid body of rt.
func bodyExample(rt route) []byte {
	switch {
	case rt.RawBody != nil:
		return []byte(rt.RawBody.Example)
	case matrixBodies[rt.ID] != nil:
		b, _ := json.Marshal(matrixBodies[rt.ID])
		return b
	default:
		b, _ := json.Marshal(rt.BodyExample)
		return b
	}
}

// bodyChecker sends bodies to the routes that read one, as the admin, in
// a world with a case, a task, a pilot, a proposal and a closed case to
// name, and fails on anything but a 2xx or a 4xx problem document.
type bodyChecker struct {
	w      *world
	routes []route
	byID   map[string]route
}

func newBodyChecker(t testing.TB) *bodyChecker {
	c := &bodyChecker{routes: bodyRoutes(), byID: map[string]route{}}
	for _, rt := range c.routes {
		c.byID[rt.ID] = rt
	}
	c.w = newWorldTemplate(t).world(t, allNeeds...)
	return c
}

// check sends body to the route with operation id id (any other string
// picks a route by its hash).
func (c *bodyChecker) check(t *testing.T, id string, body []byte) {
	t.Helper()
	rt, ok := c.byID[id]
	if !ok {
		h := fnv.New32a()
		_, _ = h.Write([]byte(id))
		rt = c.routes[h.Sum32()%uint32(len(c.routes))]
	}
	path, _, header := c.w.request(t, rt)
	req := httptest.NewRequest(rt.Method, path, bytes.NewReader(body))
	if rt.RawBody != nil {
		req.Header.Set("Content-Type", header.Get("Content-Type"))
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	rec := httptest.NewRecorder()
	c.w.e.h.ServeHTTP(rec, req)
	switch {
	case rec.Code >= 200 && rec.Code < 300:
	case rec.Code >= 400 && rec.Code < 500:
		var p httpx.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Detail == "" {
			t.Fatalf("%s %s with %q: %d without a problem document: %s", rt.Method, path, body, rec.Code, rec.Body.String())
		}
		if rec.Header().Get("Content-Type") != mimeProblem {
			t.Fatalf("%s %s with %q: %d as %q", rt.Method, path, body, rec.Code, rec.Header().Get("Content-Type"))
		}
	default:
		logs := c.w.e.logs.String()
		t.Fatalf("%s %s with %q: %d: %s\nlogs:\n%s", rt.Method, path, body, rec.Code, rec.Body.String(), logs[max(0, len(logs)-4000):])
	}
}

// FuzzRequestBodies sends arbitrary bytes as the body of a route that
// reads one, chosen by operation id, through the real handler (see
// bodyChecker): the server must not panic or fail, whatever the bytes.
// Its seeds run in every test run; the seed corpus is in
// testdata/fuzz/FuzzRequestBodies. To fuzz:
//
//	go test ./api -run '^$' -fuzz '^FuzzRequestBodies$' -fuzztime 10s
func FuzzRequestBodies(f *testing.F) {
	for _, rt := range bodyRoutes() {
		f.Add(rt.ID, bodyExample(rt))
		f.Add(rt.ID, []byte(`{}`))
		f.Add(rt.ID, []byte(`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
		f.Add(rt.ID, []byte(`null`))
	}
	c := newBodyChecker(f)
	f.Fuzz(c.check)
}

// TestRequestBodyMutations is a fixed-seed stand-in for the fuzzer that
// every test run affords: each route's example body, mutated 300 times
// (bytes flipped, cut, repeated, spliced with JSON and YAML tokens, other
// routes' bodies), through the same check.
func TestRequestBodyMutations(t *testing.T) {
	t.Parallel()
	if raceEnabled {
		t.Skip("the plain test run mutates the bodies (see raceEnabled)")
	}
	c := newBodyChecker(t)
	rng := rand.New(rand.NewPCG(5, 11))
	tokens := []string{"{", "}", "[", "]", ",", ":", `"`, `\u0000`, "null", "true", "-1", "1e400", "0.5",
		`"x"`, "\xff", "&a", "*a", "\n  - ", ": ", "\t", "{}", "[]", `"version"`, `"outcome"`, "9223372036854775808"}
	examples := make([][]byte, len(c.routes))
	for i, rt := range c.routes {
		examples[i] = bodyExample(rt)
	}
	mutate := func(b []byte) []byte {
		b = bytes.Clone(b)
		for range 1 + rng.IntN(4) {
			at := 0
			if len(b) > 0 {
				at = rng.IntN(len(b))
			}
			switch rng.IntN(6) {
			case 0: // flip a byte
				if len(b) > 0 {
					b[at] ^= byte(1 + rng.IntN(255))
				}
			case 1: // cut
				b = b[:at]
			case 2: // insert a token
				b = append(b[:at], append([]byte(tokens[rng.IntN(len(tokens))]), b[at:]...)...)
			case 3: // repeat a slice
				end := min(len(b), at+1+rng.IntN(16))
				b = append(b[:end], append(bytes.Repeat(b[at:end], 1+rng.IntN(8)), b[end:]...)...)
			case 4: // splice another route's body
				o := examples[rng.IntN(len(examples))]
				b = append(b[:at], o[rng.IntN(len(o)):]...)
			case 5: // delete a slice
				end := min(len(b), at+1+rng.IntN(16))
				b = append(b[:at], b[end:]...)
			}
		}
		return b
	}
	n := 0
	for i, rt := range c.routes {
		for range 300 {
			c.check(t, rt.ID, mutate(examples[i]))
			n++
		}
	}
	t.Logf("%d mutated bodies on %d routes: no 5xx, every 4xx a problem document", n, len(c.routes))
}
