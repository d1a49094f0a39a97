package server

import (
	"bytes"
	"encoding/json"
	"hash/fnv"
	"net/http/httptest"
	"testing"
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

// FuzzRequestBodies sends arbitrary bytes as the body of a route that
// reads one, chosen by operation id (any other string picks a route by its
// hash), through the real handler as the admin, in a world with a case, a
// task, a pilot, a proposal and a closed case to name. Whatever the bytes,
// the server must not panic or fail: every answer is a 2xx, or a 4xx
// problem document with that status.
//
// CI runs it for 10 s: go test ./server -run '^$' -fuzz '^FuzzRequestBodies$' -fuzztime 10s
func FuzzRequestBodies(f *testing.F) {
	routes := bodyRoutes()
	for _, rt := range routes {
		var example []byte
		switch {
		case rt.RawBody != nil:
			example = []byte(rt.RawBody.Example)
		case matrixBodies[rt.ID] != nil:
			example, _ = json.Marshal(matrixBodies[rt.ID])
		default:
			example, _ = json.Marshal(rt.BodyExample)
		}
		f.Add(rt.ID, example)
		f.Add(rt.ID, []byte(`{}`))
		f.Add(rt.ID, []byte(`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
		f.Add(rt.ID, []byte(`null`))
	}
	tpl := newWorldTemplate(f)
	w := tpl.world(f, allNeeds...)
	byID := map[string]route{}
	for _, rt := range routes {
		byID[rt.ID] = rt
	}

	f.Fuzz(func(t *testing.T, id string, body []byte) {
		rt, ok := byID[id]
		if !ok {
			h := fnv.New32a()
			_, _ = h.Write([]byte(id))
			rt = routes[h.Sum32()%uint32(len(routes))]
		}
		path, _, header := w.request(t, rt)
		req := httptest.NewRequest(rt.Method, path, bytes.NewReader(body))
		if rt.RawBody != nil {
			req.Header.Set("Content-Type", header.Get("Content-Type"))
		} else {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		rec := httptest.NewRecorder()
		w.e.h.ServeHTTP(rec, req)
		switch {
		case rec.Code >= 200 && rec.Code < 300:
		case rec.Code >= 400 && rec.Code < 500:
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Detail == "" {
				t.Fatalf("%s %s: %d without a problem document: %s", rt.Method, path, rec.Code, rec.Body.String())
			}
			if rec.Header().Get("Content-Type") != mimeProblem {
				t.Fatalf("%s %s: %d as %q", rt.Method, path, rec.Code, rec.Header().Get("Content-Type"))
			}
		default:
			logs := w.e.logs.String()
			t.Fatalf("%s %s with %q: %d: %s\nlogs:\n%s", rt.Method, path, body, rec.Code, rec.Body.String(), logs[max(0, len(logs)-4000):])
		}
	})
}
