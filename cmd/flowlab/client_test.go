package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flowlab/flowlab/api"
	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/flowlab/flowlab/apiv1"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.golden from the current output")

const (
	testToken = "flk_test"
	caseID    = "6f1c2b9e-4d0a-4c55-9a51-2f7e0c1d8a33"
	taskID    = "b3e1a7c4-0f5d-4e8b-9c2a-7d1e6f3a9b10"
	formTask  = "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
	tasksNext = "eyJkdWUiOiIyMDI2LTExLTIzVDA4OjU1OjAwWiIsImlkIjoiNzFjMmQzZTQifQ"
	casesNext = "eyJ0IjoiMjAyNi0xMS0yM1QwNzo0MToxMFoiLCJpZCI6IjBjN2U5ZjJhIn0"
	pilotID   = "a7e3c9d1-4b2f-4e6a-8c0d-1f2e3d4c5b6a"
)

// fieldError is one entry of a problem's errors list.
type fieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// request is what the fake API received.
type request struct {
	Method, URI, Body, Auth, IdempotencyKey string
}

func (r request) String() string {
	s := r.Method + " " + r.URI
	if r.Body != "" {
		s += " " + r.Body
	}
	return s
}

// fakeAPI answers like the flowlab API (the answers in testdata/api are
// copies of the server's JSON shapes) and records the requests.
type fakeAPI struct {
	t    *testing.T
	mu   sync.Mutex
	reqs []request
}

func (f *fakeAPI) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.reqs))
	for i, r := range f.reqs {
		out[i] = r.String()
	}
	return out
}

func (f *fakeAPI) fixture(name string) []byte {
	b, err := os.ReadFile(filepath.Join("testdata", "api", name))
	require.NoError(f.t, err)
	return b
}

func writeProblem(w http.ResponseWriter, r *http.Request, status int, detail string, errs ...fieldError) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	p := map[string]any{"type": "https://flowlab.dev/problems/x", "title": http.StatusText(status), "status": status,
		"detail": detail, "instance": r.URL.Path, "request_id": "req-0001"}
	if len(errs) > 0 {
		p["errors"] = errs
	}
	_ = json.NewEncoder(w).Encode(p)
}

// canonicalJSON is a JSON request body with its object keys sorted, so
// that the requests compare as JSON, whatever order the client's types
// encode their fields in; other bodies are kept as sent.
func canonicalJSON(r *http.Request, body string) string {
	if r.Header.Get("Content-Type") != "application/json" {
		return body
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		return body
	}
	b, err := json.Marshal(v)
	if err != nil {
		return body
	}
	return string(b)
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, request{Method: r.Method, URI: r.URL.RequestURI(), Body: canonicalJSON(r, strings.TrimSpace(string(body))),
		Auth: r.Header.Get("Authorization"), IdempotencyKey: r.Header.Get("Idempotency-Key")})
	f.mu.Unlock()
	if r.URL.Path != "/api/v1/openapi.json" && r.Header.Get("Authorization") != "Bearer "+testToken {
		writeProblem(w, r, http.StatusUnauthorized, "the token is unknown, expired or revoked")
		return
	}
	answer := func(status int, fixture string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(f.fixture(fixture))
	}
	q := r.URL.Query()
	switch r.Method + " " + r.URL.Path {
	case "POST /api/v1/cases":
		var req struct{ Flow string }
		_ = json.Unmarshal(body, &req)
		if req.Flow == "pdca" {
			answer(http.StatusCreated, "pdca-case-created.json")
			return
		}
		answer(http.StatusCreated, "case-created.json")
	case "GET /api/v1/improvements":
		answer(http.StatusOK, "improvements.json")
	case "GET /api/v1/cases":
		switch q.Get("cursor") {
		case "":
			answer(http.StatusOK, "cases-page1.json")
		case casesNext:
			answer(http.StatusOK, "cases-page2.json")
		default:
			writeProblem(w, r, http.StatusBadRequest, `query parameter "cursor": malformed`, fieldError{"cursor", "malformed"})
		}
	case "GET /api/v1/cases/" + caseID:
		answer(http.StatusOK, "case-detail.json")
	case "POST /api/v1/cases/" + caseID + "/cancel":
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"id":"`+caseID+`","status":"cancelling"}`+"\n")
	case "POST /api/v1/cases/" + caseID + "/restart":
		answer(http.StatusOK, "case-restarted.json")
	case "POST /api/v1/cases/" + caseID + "/close":
		answer(http.StatusOK, "case-closed-failed.json")
	case "POST /api/v1/cases/" + caseID + "/events":
		var ev struct{ Name string }
		_ = json.Unmarshal(body, &ev)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"event":"`+ev.Name+`","id":"`+caseID+`"}`+"\n")
	case "POST /api/v1/cases/" + caseID + "/feedback":
		answer(http.StatusCreated, "feedback.json")
	case "POST /api/v1/cases/" + caseID + "/reopen":
		answer(http.StatusCreated, "case-reopened.json")
	case "GET /api/v1/spans":
		w.Header().Set("Cache-Control", "no-store")
		if q.Get("format") == "csv" {
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			_, _ = w.Write(f.fixture("spans.csv"))
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = w.Write(f.fixture("spans.jsonl"))
	case "POST /api/v1/pilots":
		answer(http.StatusCreated, "pilot-started.json")
	case "GET /api/v1/pilots":
		if q.Get("status") == "running" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"pilots":[`+strings.TrimSpace(string(f.fixture("pilot-started.json")))+`]}`)
			return
		}
		answer(http.StatusOK, "pilots.json")
	case "GET /api/v1/pilots/" + pilotID:
		answer(http.StatusOK, "pilot-live.json")
	case "GET /api/v1/pilots/" + pilotID + "/results":
		answer(http.StatusOK, "pilot-results.json")
	case "POST /api/v1/pilots/" + pilotID + "/evaluate":
		answer(http.StatusOK, "pilot-live.json")
	case "POST /api/v1/pilots/" + pilotID + "/stop":
		answer(http.StatusOK, "pilot-stopped.json")
	case "POST /api/v1/pilots/" + pilotID + "/promote":
		answer(http.StatusOK, "pilot-promoted.json")
	case "GET /api/v1/tasks":
		switch q.Get("cursor") {
		case "":
			answer(http.StatusOK, "tasks-page1.json")
		case tasksNext:
			answer(http.StatusOK, "tasks-page2.json")
		default:
			writeProblem(w, r, http.StatusBadRequest, `query parameter "cursor": malformed`, fieldError{"cursor", "malformed"})
		}
	case "GET /api/v1/tasks/" + formTask:
		answer(http.StatusOK, "task.json")
	case "POST /api/v1/tasks/" + taskID + "/claim":
		answer(http.StatusOK, "task-claimed.json")
	case "POST /api/v1/tasks/" + taskID + "/unclaim":
		answer(http.StatusOK, "task-unclaimed.json")
	case "POST /api/v1/tasks/" + taskID + "/assign":
		answer(http.StatusOK, "task-claimed.json")
	case "POST /api/v1/tasks/" + taskID + "/complete":
		answer(http.StatusOK, "complete.json")
	case "POST /api/v1/tasks/gone/complete":
		writeProblem(w, r, http.StatusConflict, `task "gone" is already completed`)
	case "GET /api/v1/flows":
		answer(http.StatusOK, "flows.json")
	case "GET /api/v1/flows/complaint":
		answer(http.StatusOK, "flow-complaint-v2.json")
	case "GET /api/v1/flows/complaint/bottlenecks":
		answer(http.StatusOK, "bottlenecks.json")
	case "POST /api/v1/flows/complaint/versions":
		if r.Header.Get("Content-Type") != "application/yaml" {
			writeProblem(w, r, http.StatusUnsupportedMediaType, "Content-Type must be one of application/yaml, text/yaml, text/plain, application/x-yaml")
			return
		}
		answer(http.StatusCreated, "flow-version-published.json")
	case "POST /api/v1/flows/complaint/versions/4/retire":
		writeProblem(w, r, http.StatusConflict, `flow "complaint" version 4 is the default; make another version the default first`)
	case "GET /api/v1/flows/complaint/versions":
		answer(http.StatusOK, "flow-versions.json")
	case "PUT /api/v1/flows/complaint/default":
		answer(http.StatusOK, "flow-version-default.json")
	case "POST /api/v1/flows/complaint/versions/1/retire":
		answer(http.StatusOK, "flow-version-retired.json")
	case "POST /api/v1/flows/complaint/migrations":
		var req struct {
			DryRun bool `json:"dry_run"`
		}
		_ = json.Unmarshal(body, &req)
		if req.DryRun {
			answer(http.StatusOK, "migration-dry.json")
			return
		}
		answer(http.StatusOK, "migration.json")
	case "POST /api/v1/flows/nope/migrations":
		writeProblem(w, r, http.StatusNotFound, `flow "nope" not found`)
	case "GET /api/v1/flows/complaint/diff":
		if r.Header.Get("Accept") == "text/plain, application/problem+json" {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(f.fixture("diff.txt"))
			return
		}
		answer(http.StatusOK, "diff.json")
	case "POST /api/v1/tokens":
		answer(http.StatusCreated, "token.json")
	case "GET /api/v1/openapi.json":
		answer(http.StatusOK, "openapi.json")
	default:
		writeProblem(w, r, http.StatusNotFound, "no route "+r.Method+" "+r.URL.Path)
	}
}

var (
	contractOnce sync.Once
	contractMu   sync.Mutex
	contract     validator.Validator
	contractErr  error
)

// validating checks every answer of h against the server's OpenAPI
// document, so the fake's answers cannot drift from the real API's shapes.
func validating(t *testing.T, h http.Handler) http.Handler {
	contractOnce.Do(func() {
		doc, err := api.OpenAPI()
		if err != nil {
			contractErr = err
			return
		}
		d, err := libopenapi.NewDocument(doc)
		if err != nil {
			contractErr = err
			return
		}
		var errs []error
		contract, errs = validator.NewValidator(d)
		contractErr = errors.Join(errs...)
	})
	require.NoError(t, contractErr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		// The document's schema of JSON lines describes one line: each
		// line is checked as an answer of its own.
		bodies := [][]byte{rec.Body.Bytes()}
		if rec.Code < 300 && strings.HasPrefix(rec.Header().Get("Content-Type"), "application/x-ndjson") {
			bodies = bytes.SplitAfter(bytes.TrimRight(rec.Body.Bytes(), "\n"), []byte("\n"))
		}
		for _, b := range bodies {
			check := r.Clone(r.Context())
			check.Body = io.NopCloser(bytes.NewReader(body))
			resp := &http.Response{StatusCode: rec.Code, Header: rec.Header().Clone(), Request: check,
				Body: io.NopCloser(bytes.NewReader(b)), ContentLength: int64(len(b))}
			contractMu.Lock()
			ok, verrs := contract.ValidateHttpResponse(check, resp)
			contractMu.Unlock()
			if !ok || len(verrs) > 0 {
				var b strings.Builder
				for _, e := range verrs {
					fmt.Fprintf(&b, "\n  - %s: %s", e.Message, e.Reason)
					for _, se := range e.SchemaValidationErrors {
						fmt.Fprintf(&b, "\n      %s", se.Reason)
					}
				}
				t.Errorf("the fake's answer to %s %s (%d) breaks the OpenAPI document:%s", r.Method, r.URL.RequestURI(), rec.Code, b.String())
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

// result is one run of the command line.
type result struct {
	stdout, stderr string
	code           int
}

// runWith runs args against the handler; the server and token come from
// the environment, as a user would set them, so flags stay as given.
func runWith(t *testing.T, h http.Handler, args ...string) result {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv("FLOWLAB_SERVER", srv.URL)
	t.Setenv("FLOWLAB_TOKEN", testToken)
	var out, errb bytes.Buffer
	code := execute(context.Background(), args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

func run(t *testing.T, api *fakeAPI, args ...string) result {
	t.Helper()
	return runWith(t, api, args...)
}

// goldenCases are the client commands with their arguments and the exact
// requests each sends (the same for every output format).
var goldenCases = []struct {
	name    string
	args    []string
	formats []string // default table and json
	reqs    []string
}{
	{"start", []string{"start", "--flow", "complaint", "--customer", "C-1001", "--channel", "phone", "--attr", "severity=primary", "--attr", "amount=120"}, nil,
		[]string{`POST /api/v1/cases {"attributes":{"amount":120,"severity":"primary"},"channel":"phone","customer":"C-1001","flow":"complaint"}`}},
	{"cases", []string{"cases", "--flow", "complaint", "--status", "active", "--from", "2026-11-01T00:00:00Z", "--to", "2026-12-01T00:00:00Z", "--limit", "2"}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/cases?flow=complaint&from=2026-11-01T00%3A00%3A00Z&limit=2&status=active&to=2026-12-01T00%3A00%3A00Z"}},
	{"cases-all", []string{"cases", "--all", "--limit", "2"}, nil,
		[]string{"GET /api/v1/cases?limit=2", "GET /api/v1/cases?cursor=" + casesNext + "&limit=2"}},
	{"cases-cursor", []string{"cases", "--cursor", casesNext}, nil,
		[]string{"GET /api/v1/cases?cursor=" + casesNext}},
	{"case", []string{"case", caseID}, nil,
		[]string{"GET /api/v1/cases/" + caseID}},
	{"event", []string{"event", caseID, "customer_replied", "--data", "accepted=true", "--data", "note=call back Monday"}, nil,
		[]string{`POST /api/v1/cases/` + caseID + `/events {"data":{"accepted":true,"note":"call back Monday"},"name":"customer_replied"}`}},
	{"cancel", []string{"cancel", caseID}, nil,
		[]string{"POST /api/v1/cases/" + caseID + "/cancel"}},
	{"restart", []string{"restart", caseID}, nil,
		[]string{"POST /api/v1/cases/" + caseID + "/restart"}},
	{"close", []string{"close", caseID}, nil,
		[]string{"POST /api/v1/cases/" + caseID + "/close"}},
	{"tasks", []string{"tasks", "--limit", "2"}, nil,
		[]string{"GET /api/v1/tasks?limit=2"}},
	{"tasks-filters", []string{"tasks", "--department", "customer_service", "--assignee", "me", "--case", caseID, "--status", "any", "--to", "2026-11-24T00:00:00Z"}, []string{"json"},
		[]string{"GET /api/v1/tasks?assignee=me&case_id=" + caseID + "&department=customer_service&status=any&to=2026-11-24T00%3A00%3A00Z"}},
	{"tasks-all", []string{"tasks", "--all", "--status", "open", "--from", "2026-11-23T00:00:00Z"}, nil,
		[]string{"GET /api/v1/tasks?from=2026-11-23T00%3A00%3A00Z&status=open", "GET /api/v1/tasks?cursor=" + tasksNext + "&from=2026-11-23T00%3A00%3A00Z&status=open"}},
	{"task", []string{"task", formTask}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/tasks/" + formTask}},
	{"claim", []string{"claim", taskID}, nil,
		[]string{"POST /api/v1/tasks/" + taskID + "/claim"}},
	{"unclaim", []string{"unclaim", taskID}, nil,
		[]string{"POST /api/v1/tasks/" + taskID + "/unclaim"}},
	{"assign", []string{"assign", taskID, "--to", "actor-2"}, nil,
		[]string{"POST /api/v1/tasks/" + taskID + `/assign {"actor":"actor-2"}`}},
	{"complete", []string{"complete", taskID, "--outcome", "resolved", "--data", "answer=firmware 2.1", "--data", "amount=120"}, nil,
		[]string{`POST /api/v1/tasks/` + taskID + `/complete {"data":{"amount":120,"answer":"firmware 2.1"},"outcome":"resolved"}`}},
	{"flows", []string{"flows"}, nil, []string{"GET /api/v1/flows"}},
	{"flow", []string{"flow", "complaint", "--version", "2"}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/flows/complaint?version=2"}},
	{"flow-source", []string{"flow", "complaint", "--version", "2", "--source"}, []string{"table"},
		[]string{"GET /api/v1/flows/complaint?version=2"}},
	{"bottlenecks", []string{"bottlenecks", "complaint", "--version", "1", "--from", "2026-11-01T00:00:00Z"}, nil,
		[]string{"GET /api/v1/flows/complaint/bottlenecks?from=2026-11-01T00%3A00%3A00Z&version=1"}},
	{"flow-publish", []string{"flow", "publish", "complaint", "testdata/flows/complaint.v3.yaml"}, nil,
		[]string{"POST /api/v1/flows/complaint/versions " + strings.TrimSpace(mustRead("testdata/flows/complaint.v3.yaml"))}},
	{"flow-versions", []string{"flow", "versions", "complaint"}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/flows/complaint/versions"}},
	{"flow-default", []string{"flow", "default", "complaint", "3"}, nil,
		[]string{`PUT /api/v1/flows/complaint/default {"version":3}`}},
	{"flow-retire", []string{"flow", "retire", "complaint", "1"}, nil,
		[]string{"POST /api/v1/flows/complaint/versions/1/retire"}},
	{"flow-diff", []string{"flow", "diff", "complaint", "--from", "1", "--to", "2"}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/flows/complaint/diff?from=1&to=2"}},
	{"flow-migrate", []string{"flow", "migrate", "complaint", "--from", "1", "--to", "2", "--map", "record=submit", "--map", "investigate=handle"}, []string{"table", "json", "yaml"},
		[]string{`POST /api/v1/flows/complaint/migrations {"from":1,"mapping":{"investigate":"handle","record":"submit"},"to":2}`}},
	{"token-create", []string{"token", "create", "--name", "Tech agent", "--role", "staff", "--department", "technical", "--expires-in", "720h"}, nil,
		[]string{`POST /api/v1/tokens {"departments":["technical"],"expires_in":"720h","name":"Tech agent","role":"staff"}`}},
	{"openapi", []string{"openapi"}, []string{"table", "json", "yaml"}, []string{"GET /api/v1/openapi.json"}},
	{"feedback", []string{"feedback", caseID, "--csat", "4", "--resolved-first-contact=true"}, nil,
		[]string{`POST /api/v1/cases/` + caseID + `/feedback {"csat":4,"resolved_first_contact":true}`}},
	{"reopen", []string{"reopen", caseID, "--reason", "the router drops the line again"}, nil,
		[]string{`POST /api/v1/cases/` + caseID + `/reopen {"reason":"the router drops the line again"}`}},
	{"spans-export", []string{"spans", "export", "--pilot", pilotID, "--from", "2026-03-01T00:00:00Z"}, []string{"table"},
		[]string{"GET /api/v1/spans?format=jsonl&from=2026-03-01T00%3A00%3A00Z&pilot=" + pilotID}},
	{"spans-export-csv", []string{"spans", "export", "--flow", "complaint", "--version", "2", "--format", "csv"}, []string{"table"},
		[]string{"GET /api/v1/spans?flow=complaint&format=csv&version=2"}},
	{"pilot-start", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--share", "50", "--unit", "customer", "--metric", "cycle_time",
		"--guardrail", "sla_breach_rate=0.1", "--guardrail", "csat=0.3", "--min-cases", "100", "--max-duration", "14d", "--evaluate-every", "1h"}, nil,
		[]string{`POST /api/v1/pilots {"evaluate_every":"1h","flow":"complaint","guardrails":[{"max_worsening":0.1,"metric":"sla_breach_rate"},{"max_worsening":0.3,"metric":"csat"}],"max_duration":"14d","min_cases_per_arm":100,"primary_metric":"cycle_time","share":50,"treatment":2,"unit":"customer"}`}},
	{"pilot-list", []string{"pilot", "list", "--flow", "complaint"}, nil,
		[]string{"GET /api/v1/pilots?flow=complaint"}},
	{"pilot-status", []string{"pilot", "status", pilotID}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/pilots/" + pilotID}},
	{"pilot-results", []string{"pilot", "results", pilotID}, []string{"table", "json", "yaml"},
		[]string{"GET /api/v1/pilots/" + pilotID + "/results"}},
	{"pilot-evaluate", []string{"pilot", "evaluate", pilotID}, []string{"table"},
		[]string{"POST /api/v1/pilots/" + pilotID + "/evaluate"}},
	{"pilot-stop", []string{"pilot", "stop", pilotID, "--reason", "customers complain about the new form"}, nil,
		[]string{`POST /api/v1/pilots/` + pilotID + `/stop {"reason":"customers complain about the new form"}`}},
	{"pilot-promote", []string{"pilot", "promote", pilotID, "--arm", "treatment"}, nil,
		[]string{`POST /api/v1/pilots/` + pilotID + `/promote {"arm":"treatment"}`}},
	{"improve-start", []string{"improve", "start", "--flow", "complaint", "--metric", "cycle_time"}, nil,
		[]string{`POST /api/v1/cases {"attributes":{"flow":"complaint","metric":"cycle_time"},"channel":"app","customer":"improvement-team","flow":"pdca"}`}},
	{"improve-list", []string{"improve", "list"}, nil,
		[]string{"GET /api/v1/improvements"}},
}

// TestGolden runs every client command in each output format against the
// fake API, compares stdout (and stderr, when not empty) with
// testdata/golden/<name>.<format>.golden and checks the requests sent.
func TestGolden(t *testing.T) {
	for _, gc := range goldenCases {
		formats := gc.formats
		if formats == nil {
			formats = []string{"table", "json"}
		}
		for _, format := range formats {
			t.Run(gc.name+"."+format, func(t *testing.T) {
				api := &fakeAPI{t: t}
				args := append([]string(nil), gc.args...)
				if format != "table" {
					args = append(args, "-o", format)
				} else if gc.name == "openapi" {
					args = append(args, "-o", "table") // its default is json
				}
				res := runWith(t, validating(t, api), args...)
				require.Equal(t, exitOK, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
				require.Equal(t, gc.reqs, api.requests())
				got := res.stdout
				if res.stderr != "" {
					got += "--- stderr ---\n" + res.stderr
				}
				path := filepath.Join("testdata", "golden", gc.name+"."+format+".golden")
				if *update {
					require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
					require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./cmd/flowlab -update to create it")
				require.Equal(t, string(want), got)
				switch format {
				case "json":
					var v any
					require.NoError(t, json.Unmarshal([]byte(res.stdout), &v), "json output must be JSON")
				case "yaml":
					var v any
					require.NoError(t, yaml.Unmarshal([]byte(res.stdout), &v), "yaml output must be YAML")
				}
			})
		}
	}
}

// The JSON and YAML outputs are the API's answer: decoding them gives the
// fixture back.
func TestJSONAndYAMLAreTheAPIAnswer(t *testing.T) {
	for _, c := range []struct {
		args    []string
		fixture string
	}{
		{[]string{"case", caseID}, "case-detail.json"},
		{[]string{"flow", "complaint", "--version", "2"}, "flow-complaint-v2.json"},
		{[]string{"task", formTask}, "task.json"},
		{[]string{"cases"}, "cases-page1.json"},
		{[]string{"pilot", "results", pilotID}, "pilot-results.json"},
		{[]string{"pilot", "status", pilotID}, "pilot-live.json"},
		{[]string{"improve", "list"}, "improvements.json"},
	} {
		api := &fakeAPI{t: t}
		var want any
		require.NoError(t, json.Unmarshal(api.fixture(c.fixture), &want))
		res := run(t, api, append(c.args, "-o", "json")...)
		require.Equal(t, exitOK, res.code, res.stderr)
		var got any
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &got))
		require.Equal(t, want, got, c.args)

		res = run(t, api, append(c.args, "-o", "yaml")...)
		require.Equal(t, exitOK, res.code, res.stderr)
		var y any
		require.NoError(t, yaml.Unmarshal([]byte(res.stdout), &y))
		// YAML integers come back as int, JSON numbers as float64: compare
		// through JSON.
		yj, err := json.Marshal(y)
		require.NoError(t, err)
		var yv any
		require.NoError(t, json.Unmarshal(yj, &yv))
		require.Equal(t, want, yv, c.args)
	}
}

func TestRequestHeaders(t *testing.T) {
	api := &fakeAPI{t: t}
	res := run(t, api, "complete", taskID, "--outcome", "resolved", "--idempotency-key", "ui-991")
	require.Equal(t, exitOK, res.code, res.stderr)
	res = run(t, api, "start", "--customer", "C-1", "--idempotency-key", "crm-4711")
	require.Equal(t, exitOK, res.code, res.stderr)
	res = run(t, api, "tasks")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Len(t, api.reqs, 3)
	require.Equal(t, "ui-991", api.reqs[0].IdempotencyKey)
	require.Equal(t, "crm-4711", api.reqs[1].IdempotencyKey)
	require.Equal(t, "", api.reqs[2].IdempotencyKey)
	for _, r := range api.reqs {
		require.Equal(t, "Bearer "+testToken, r.Auth)
	}
}

// --all stops after 100 pages and says how to go on.
func TestAllIsBoundedTo100Pages(t *testing.T) {
	var n int
	var mu sync.Mutex
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		n++
		page := n
		mu.Unlock()
		fmt.Fprintf(w, `{"flows":[{"key":"f%d","name":"Flow %d","default_version":1,"latest_version":1,"versions":1}],"next_cursor":"c%d"}`, page, page, page)
	})
	res := runWith(t, h, "flows", "--all", "--limit", "1")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Equal(t, maxPages, n)
	require.Equal(t, maxPages+1, strings.Count(res.stdout, "\n"), "header and one row per page")
	require.Equal(t, "stopped after 100 pages; more remain\nnext: flowlab flows --all=true --limit 1 --cursor c100\n", res.stderr)

	n = 0
	res = runWith(t, h, "flows", "--all", "-o", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var v struct {
		Flows      []any   `json:"flows"`
		NextCursor *string `json:"next_cursor"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &v))
	require.Len(t, v.Flows, maxPages)
	require.NotNil(t, v.NextCursor)
	require.Equal(t, "c100", *v.NextCursor)
	require.Empty(t, res.stderr, "no hint in json mode")
}

func TestAllStopsOnARepeatedCursor(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"tasks":[],"next_cursor":"same"}`)
	})
	res := runWith(t, h, "tasks", "--all")
	require.Equal(t, exitError, res.code)
	require.Contains(t, res.stderr, `same next_cursor "same" twice`)
}

func TestNextCommandQuotesAndOmitsTheToken(t *testing.T) {
	api := &fakeAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	var out, errb bytes.Buffer
	code := execute(context.Background(), []string{"tasks", "--server", srv.URL, "--token", testToken, "--department", "customer service"}, &out, &errb)
	require.Equal(t, exitOK, code, errb.String())
	require.Equal(t, "next: flowlab tasks --department 'customer service' --server "+srv.URL+" --cursor "+tasksNext+"\n", errb.String())
}

// Each class of API error exits with its code and shows the problem's
// detail and field errors on stderr.
func TestAPIErrorExitCodes(t *testing.T) {
	cases := []struct {
		status int
		detail string
		errs   []fieldError
		want   int
	}{
		{400, `query parameter "limit": must be an integer from 1 to 500, got "0"`, []fieldError{{"limit", `must be an integer from 1 to 500, got "0"`}}, exitAPIClient},
		{401, "the token is unknown, expired or revoked", nil, exitAPIClient},
		{403, `role "improver" may not do this; allowed: admin, owner`, nil, exitAPIClient},
		{404, `task "nope" not found`, nil, exitAPIClient},
		{409, `task "nope" is claimed by "someone"`, nil, exitAPIClient},
		{413, "the request body is larger than 1048576 bytes", nil, exitAPIClient},
		{422, "outcome: is required (and 1 more)", []fieldError{{"outcome", "is required"}, {"data.summary", "is required"}}, exitAPIClient},
		{500, "the server failed to handle the request; quote the request_id when reporting it", nil, exitAPIServer},
		{503, "the workflow engine is unavailable; retry later", nil, exitAPIServer},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				writeProblem(w, r, c.status, c.detail, c.errs...)
			})
			res := runWith(t, h, "complete", "nope", "--outcome", "x")
			require.Equal(t, c.want, res.code, res.stderr)
			require.Empty(t, res.stdout)
			require.True(t, strings.HasPrefix(res.stderr, fmt.Sprintf("flowlab: %d %s: %s\n", c.status, http.StatusText(c.status), c.detail)), res.stderr)
			for _, fe := range c.errs {
				require.Contains(t, res.stderr, "\n  "+fe.Field+": "+fe.Message+"\n")
			}
			require.Contains(t, res.stderr, "request id: req-0001")
		})
	}
	t.Run("502 without problem+json", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = io.WriteString(w, "<html>bad gateway</html>")
		})
		res := runWith(t, h, "flows")
		require.Equal(t, exitAPIServer, res.code)
		require.Equal(t, "flowlab: 502 Bad Gateway\n", res.stderr)
	})
	t.Run("answer is not JSON", func(t *testing.T) {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "<html>") })
		res := runWith(t, h, "flows")
		require.Equal(t, exitAPIServer, res.code)
		require.Contains(t, res.stderr, "not JSON")
	})
	t.Run("connection refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		require.NoError(t, ln.Close())
		var out, errb bytes.Buffer
		code := execute(context.Background(), []string{"tasks", "--server", "http://" + addr, "--token", "x"}, &out, &errb)
		require.Equal(t, exitAPIServer, code)
		require.Contains(t, errb.String(), "cannot reach http://"+addr)
	})
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		msg  string
	}{
		{"missing outcome", []string{"complete", taskID}, "--outcome is required"},
		{"missing task id", []string{"complete", "--outcome", "x"}, "accepts 1 arg(s), received 0"},
		{"too many args", []string{"case", "a", "b"}, "accepts 1 arg(s), received 2"},
		{"event without name", []string{"event", caseID}, "accepts 2 arg(s), received 1"},
		{"bad flag", []string{"tasks", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{"bad output", []string{"tasks", "-o", "xml"}, `--output must be table, json or yaml, not "xml"`},
		{"bad key=value", []string{"start", "--attr", "novalue"}, `"novalue": expected key=value`},
		{"bad limit", []string{"cases", "--limit", "501"}, "--limit must be from 1 to 500, not 501"},
		{"bad from", []string{"cases", "--from", "yesterday"}, `--from must be an RFC 3339 time`},
		{"to before from", []string{"tasks", "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-01T00:00:00Z"}, "--to (2026-11-01T00:00:00Z) must be after --from"},
		{"bad role", []string{"token", "create", "--name", "x", "--role", "boss"}, `--role must be one of admin, owner, staff, improver, not "boss"`},
		{"token without subcommand", []string{"token"}, "token needs a subcommand: create"},
		{"old token form", []string{"token", "--name", "x"}, "unknown flag: --name"},
		{"unknown command", []string{"taks"}, `unknown command "taks" for "flowlab"; did you mean task or tasks?`},
		{"unknown token subcommand", []string{"token", "delete"}, `unknown command "delete" for "flowlab token"`},
		{"bad server", []string{"flows", "--server", "localhost:8080"}, `--server must be an http:// or https:// URL`},
		{"negative version", []string{"flow", "complaint", "--version", "-1"}, "--version must be positive"},
		{"pilot without subcommand", []string{"pilot"}, "pilot needs a subcommand: start, list, status, results, evaluate, stop or promote"},
		{"unknown pilot subcommand", []string{"pilot", "begin"}, `unknown command "begin" for "flowlab pilot"`},
		{"pilot start without flow", []string{"pilot", "start", "--treatment", "2"}, "--flow is required"},
		{"pilot start without treatment", []string{"pilot", "start", "--flow", "complaint"}, "--treatment is required"},
		{"malformed guardrail", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--guardrail", "sla_breach_rate"}, `--guardrail "sla_breach_rate": expected metric=max_worsening`},
		{"guardrail without value", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--guardrail", "csat="}, `--guardrail "csat=": expected metric=max_worsening`},
		{"guardrail of unknown metric", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--guardrail", "nps=1"}, `--guardrail "nps=1": the metric must be one of cycle_time, sla_breach_rate, fcr, csat`},
		{"negative guardrail", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--guardrail", "csat=-0.5"}, "the maximum worsening must be a number >= 0"},
		{"share out of range", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--share", "100"}, "--share must be above 0 and below 100"},
		{"bad unit", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--unit", "household"}, `--unit must be customer or case, not "household"`},
		{"bad metric", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--metric", "speed"}, `--metric must be one of cycle_time, sla_breach_rate, fcr, csat, not "speed"`},
		{"bad min cases", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--min-cases", "1"}, "--min-cases must be from 2 to 1000000, not 1"},
		{"bad max duration", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--max-duration", "two weeks"}, `--max-duration must be a duration like 14d, 36h or 90m, not "two weeks"`},
		{"bad evaluate every", []string{"pilot", "start", "--flow", "complaint", "--treatment", "2", "--evaluate-every", "0h"}, `--evaluate-every must be a duration like 14d, 36h or 90m`},
		{"bad pilot status", []string{"pilot", "list", "--status", "paused"}, `--status must be one of running, stopped, completed, promoted, not "paused"`},
		{"pilot status without id", []string{"pilot", "status"}, "accepts 1 arg(s), received 0"},
		{"promote without arm", []string{"pilot", "promote", pilotID}, "--arm is required: treatment or control"},
		{"promote bad arm", []string{"pilot", "promote", pilotID, "--arm", "both"}, `--arm must be treatment or control, not "both"`},
		{"feedback without values", []string{"feedback", caseID}, "give at least one of --csat, --nps, --resolved-first-contact"},
		{"csat out of range", []string{"feedback", caseID, "--csat", "6"}, "--csat must be from 1 to 5, not 6"},
		{"nps out of range", []string{"feedback", caseID, "--nps", "11"}, "--nps must be from 0 to 10, not 11"},
		{"bad first contact", []string{"feedback", caseID, "--resolved-first-contact=maybe"}, `invalid argument "maybe" for "--resolved-first-contact"`},
		{"reopen without case", []string{"reopen"}, "accepts 1 arg(s), received 0"},
		{"spans without subcommand", []string{"spans"}, "spans needs a subcommand: export"},
		{"bad export format", []string{"spans", "export", "--format", "xlsx"}, `--format must be jsonl, csv or xes, not "xlsx"`},
		{"bad export from", []string{"spans", "export", "--from", "monday"}, "--from must be an RFC 3339 time"},
		{"export has no output flag", []string{"spans", "export", "-o", "json"}, "unknown shorthand flag: 'o'"},
		{"improve without subcommand", []string{"improve"}, "improve needs a subcommand: start or list"},
		{"improve without flow", []string{"improve", "start"}, "--flow is required: the flow to improve"},
		{"improve bad metric", []string{"improve", "start", "--flow", "complaint", "--metric", "nps"}, `--metric must be one of cycle_time, sla_breach_rate, fcr, csat, not "nps"`},
		{"improve list bad status", []string{"improve", "list", "--status", "open"}, `--status must be one of starting, active, completed, cancelled, failed, not "open"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			api := &fakeAPI{t: t}
			res := run(t, api, c.args...)
			require.Equal(t, exitUsage, res.code, res.stderr)
			require.Contains(t, res.stderr, c.msg)
			require.Empty(t, api.requests(), "a usage error sends nothing")
		})
	}
	t.Run("no token", func(t *testing.T) {
		t.Setenv("FLOWLAB_TOKEN", "")
		t.Setenv("FLOWLAB_DATA", t.TempDir())
		var out, errb bytes.Buffer
		code := execute(context.Background(), []string{"flows"}, &out, &errb)
		require.Equal(t, exitUsage, code)
		require.Contains(t, errb.String(), "no token")
	})
}

func TestDevAdminTokenFromDataDir(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, adminTokenFile), []byte(testToken+"\n"), 0o600))
	api := &fakeAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("FLOWLAB_TOKEN", "")
	t.Setenv("FLOWLAB_DATA", dir)
	t.Setenv("FLOWLAB_SERVER", srv.URL)
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, execute(context.Background(), []string{"flows"}, &out, &errb), errb.String())
	require.Equal(t, "Bearer "+testToken, api.reqs[0].Auth)
}

func TestOpenAPIWorksWithoutAToken(t *testing.T) {
	api := &fakeAPI{t: t}
	srv := httptest.NewServer(api)
	defer srv.Close()
	t.Setenv("FLOWLAB_TOKEN", "")
	t.Setenv("FLOWLAB_DATA", t.TempDir())
	var out, errb bytes.Buffer
	require.Equal(t, exitOK, execute(context.Background(), []string{"openapi", "--server", srv.URL}, &out, &errb), errb.String())
	require.Equal(t, "", api.reqs[0].Auth)
	require.Contains(t, out.String(), `"openapi": "3.1.0"`)
}

func TestBottlenecksTableMarksTheBottleneck(t *testing.T) {
	res := run(t, &fakeAPI{t: t}, "bottlenecks", "complaint")
	require.Equal(t, exitOK, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Equal(t, "flow complaint v1, 3 cases", lines[0])
	require.Len(t, lines, 4)
	require.NotContains(t, lines[2], "<== bottleneck")
	require.True(t, strings.HasPrefix(lines[3], "investigate"), lines[3])
	require.Contains(t, lines[3], "<== bottleneck")
	// Every duration and rate has its unit (decision 0024): wait p50 7200 s,
	// work p90 3000 s, breach rate 1/3, share 0.75.
	require.Contains(t, lines[3], "2 h 00 min")
	require.Contains(t, lines[3], "50 min")
	require.Contains(t, lines[3], "33.3%")
	require.Contains(t, lines[3], "75.0%")
	require.Contains(t, lines[2], "10 min", "record's wait p50 600 s")
}

func TestTokenCreateTablePrintsOnlyTheToken(t *testing.T) {
	res := run(t, &fakeAPI{t: t}, "token", "create", "--name", "Ops", "--role", "owner")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Equal(t, "flk_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8\n", res.stdout)
}

func TestHelpIsAManual(t *testing.T) {
	res := run(t, &fakeAPI{t: t}, "--help")
	require.Equal(t, exitOK, res.code)
	for _, want := range []string{
		"flowlab dev", "flowlab server", "flowlab worker",
		"FLOWLAB_SERVER", "FLOWLAB_TOKEN", "FLOWLAB_DATA", "FLOWLAB_DATABASE_URL", "FLOWLAB_ADMIN_TOKEN", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"EXIT CODES", "  0  success", "  2  usage", "  3  the API refused", "  4  the API failed",
		"Examples:", "completion",
	} {
		require.Contains(t, res.stdout, want)
	}
	// Every command a user can reach has examples.
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden {
			require.NotEmpty(t, c.Example, "%s has no Example", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(io.Discard, io.Discard))
	// The client commands the README uses keep their names.
	for _, name := range []string{"start", "tasks", "claim", "unclaim", "complete", "bottlenecks", "case", "cancel", "demo",
		"cases", "task", "event", "flows", "flow", "token", "openapi", "dev", "server", "worker", "migrate",
		"pilot", "feedback", "reopen", "spans", "improve"} {
		c, _, err := newRootCmd(io.Discard, io.Discard).Find([]string{name})
		require.NoError(t, err, name)
		require.Equal(t, name, c.Name())
	}
}

func TestCompletionScripts(t *testing.T) {
	for sh, marker := range map[string]string{
		"bash":       "__start_flowlab",
		"zsh":        "#compdef flowlab",
		"fish":       "complete -c flowlab",
		"powershell": "Register-ArgumentCompleter",
	} {
		res := run(t, &fakeAPI{t: t}, "completion", sh)
		require.Equal(t, exitOK, res.code, res.stderr)
		require.Contains(t, res.stdout, marker, sh)
	}
}

// complete asks cobra's completion protocol for the candidates of args.
func complete(t *testing.T, api *fakeAPI, args ...string) []string {
	t.Helper()
	res := run(t, api, append([]string{cobra.ShellCompRequestCmd}, args...)...)
	require.Equal(t, exitOK, res.code, res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.NotEmpty(t, lines)
	require.True(t, strings.HasPrefix(lines[len(lines)-1], ":"), "directive last: %q", res.stdout)
	var out []string
	for _, l := range lines[:len(lines)-1] {
		v, _, _ := strings.Cut(l, "\t")
		out = append(out, v)
	}
	return out
}

func TestFlagAndArgCompletion(t *testing.T) {
	api := &fakeAPI{t: t}
	require.Equal(t, []string{"table", "json", "yaml"}, complete(t, api, "tasks", "-o", ""))
	require.Equal(t, []string{"table", "json", "yaml"}, complete(t, api, "token", "create", "--output", ""))
	require.Equal(t, []string{"admin", "owner", "staff", "improver"}, complete(t, api, "token", "create", "--role", ""))
	require.Equal(t, []string{"open", "completed", "cancelled", "any"}, complete(t, api, "tasks", "--status", ""))
	require.Equal(t, []string{"appointment"}, complete(t, api, "flow", "a"))
	require.Subset(t, complete(t, api, "flow", ""), []string{"validate", "appointment", "complaint", "returns-exchange"}, "subcommands and flow keys")
	require.Equal(t, []string{"complaint"}, complete(t, api, "bottlenecks", "com"))
	require.Equal(t, []string{"appointment", "complaint", "returns-exchange"}, complete(t, api, "start", "--flow", ""))
	require.Equal(t, []string{"submitted"}, complete(t, api, "complete", formTask, "--outcome", ""))
	require.Equal(t, []string{taskID, "71c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e"}, complete(t, api, "claim", ""))
	require.Equal(t, []string{"crisis_team", "customer_service", "supervisor", "technical"}, complete(t, api, "token", "create", "--department", ""))
	require.Empty(t, complete(t, api, "flow", "complaint", ""), "flow takes one key")
}

func TestCompletionWithoutAServerOffersNothing(t *testing.T) {
	var out, errb bytes.Buffer
	t.Setenv("FLOWLAB_SERVER", "http://127.0.0.1:1")
	t.Setenv("FLOWLAB_TOKEN", "x")
	code := execute(context.Background(), []string{cobra.ShellCompRequestCmd, "flow", ""}, &out, &errb)
	require.Equal(t, exitOK, code)
	require.Equal(t, ":4\n", out.String()[strings.LastIndex(strings.TrimSuffix(out.String(), "\n"), "\n")+1:])
}

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// spans export --out writes the stream to the file (under a temporary name
// until it is complete) and says so on stderr; stdout stays empty.
func TestSpansExportToAFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "pilot.csv")
	api := &fakeAPI{t: t}
	res := runWith(t, validating(t, api), "spans", "export", "--pilot", pilotID, "--format", "csv", "--out", out)
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Empty(t, res.stdout)
	got, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, string(api.fixture("spans.csv")), string(got))
	require.Equal(t, fmt.Sprintf("wrote %d bytes of CSV to %s\n", len(got), out), res.stderr)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1, "no temporary file left")

	// A refused export leaves no file behind.
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, r, http.StatusBadRequest, `query parameter "version": must be at least 1`)
	})
	res = runWith(t, h, "spans", "export", "--out", filepath.Join(dir, "x.jsonl"))
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, `400 Bad Request: query parameter "version"`)
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

// The export is copied as it arrives: the first rows reach stdout before
// the server has finished sending.
func TestSpansExportStreams(t *testing.T) {
	first := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = io.WriteString(w, `{"seq":1}`+"\n")
		w.(http.Flusher).Flush()
		close(first)
		<-release
		_, _ = io.WriteString(w, `{"seq":2}`+"\n")
	})
	pr, pw := io.Pipe()
	srv := httptest.NewServer(h)
	defer srv.Close()
	done := make(chan int, 1)
	go func() {
		var errb bytes.Buffer
		done <- execute(context.Background(), []string{"spans", "export", "--server", srv.URL, "--token", testToken}, pw, &errb)
		pw.Close()
	}()
	<-first
	line := make([]byte, len(`{"seq":1}`+"\n"))
	_, err := io.ReadFull(pr, line)
	require.NoError(t, err)
	require.Equal(t, `{"seq":1}`+"\n", string(line), "the first row arrives while the server still sends")
	close(release)
	rest, err := io.ReadAll(pr)
	require.NoError(t, err)
	require.Equal(t, `{"seq":2}`+"\n", string(rest))
	require.Equal(t, exitOK, <-done)
}

func TestPilotCompletion(t *testing.T) {
	api := &fakeAPI{t: t}
	require.Equal(t, []string{pilotID, "0b9d8c7e-6f5a-4b3c-9d2e-1f0a9b8c7d6e"}, complete(t, api, "pilot", "status", ""))
	require.Equal(t, []string{"treatment", "control"}, complete(t, api, "pilot", "promote", pilotID, "--arm", ""))
	require.Equal(t, []string{"customer", "case"}, complete(t, api, "pilot", "start", "--unit", ""))
	require.Equal(t, []string{"cycle_time", "sla_breach_rate", "fcr", "csat"}, complete(t, api, "improve", "start", "--metric", ""))
	require.Equal(t, []string{"jsonl", "csv", "xes"}, complete(t, api, "spans", "export", "--format", ""))
}

// TestHumanSeconds: the CLI's durations are readable.Duration, the web
// UI's definition (decision 0024), sub-second values included.
func TestHumanSeconds(t *testing.T) {
	for s, want := range map[float64]string{0: "0 s", 0.4: "400 ms", 3.5: "3.5 s", 45: "45 s", 90: "1 min 30 s", 1200: "20 min",
		5400: "1 h 30 min", 14402.5: "4 h 00 min", 48 * 3600: "2 d 00 h", -2400: "−40 min"} {
		require.Equal(t, want, humanSeconds(s), s)
	}
	require.Equal(t, "+10 min", change(600.0))
	require.Equal(t, "0 s", change(0.0))
	require.Equal(t, "-", change(nil))
}

// A command waits out a 429 (the client's bounded wait) and then succeeds.
func TestCommandsWaitOutTheRateLimit(t *testing.T) {
	api := &fakeAPI{t: t}
	var mu sync.Mutex
	limited := 0
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := limited == 0
		limited++
		mu.Unlock()
		if first {
			w.Header().Set("Retry-After", "1")
			writeProblem(w, r, http.StatusTooManyRequests, "slow down")
			return
		}
		api.ServeHTTP(w, r)
	})
	res := runWith(t, h, "tasks", "--limit", "2")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Equal(t, 2, limited, "the refused request is sent again")
	require.Equal(t, []string{"GET /api/v1/tasks?limit=2"}, api.requests())
}

// An API problem wrapped by a command reads as one that is not: with its
// status, and the exit code of its class.
func TestWrappedProblemsKeepTheirStatus(t *testing.T) {
	p := &apiv1.Problem{Status: http.StatusConflict, Title: "Conflict", Detail: `task "x" is claimed by "y"`, RequestID: "req-1"}
	err := fmt.Errorf("start case 3: %w", p)
	require.Equal(t, `start case 3: 409 Conflict: task "x" is claimed by "y"`+"\n  request id: req-1", describeError(err))
	require.Equal(t, exitAPIClient, exitCode(err))
	require.Equal(t, "404 Not Found", errorText(&apiv1.Problem{Status: 404, Title: "Not Found"}))
	te := &apiv1.TransportError{BaseURL: "http://127.0.0.1:1", Err: errors.New("connection refused")}
	require.Equal(t, exitAPIServer, exitCode(fmt.Errorf("demo: %w", te)))
}
