package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fakeAPI answers like the flowlab API for the routes the tests use and
// records the requests.
type fakeAPI struct {
	t    *testing.T
	reqs []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.reqs = append(f.reqs, r.Method+" "+r.URL.RequestURI()+" "+strings.TrimSpace(string(body))+" auth="+r.Header.Get("Authorization")+" key="+r.Header.Get("Idempotency-Key"))
	problem := func(status int, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"title": http.StatusText(status), "status": status, "detail": detail})
	}
	switch {
	case r.URL.Path == "/api/v1/tasks":
		_, _ = io.WriteString(w, `{"tasks":[{"id":"t1","case_id":"c1","step":"investigate","department":"technical","status":"open","assignee":null,"escalation_level":0,"sla_due":"2026-11-23T05:00:00Z"}]}`)
	case r.URL.Path == "/api/v1/tasks/t1/complete":
		_, _ = io.WriteString(w, `{"task":{"id":"t1"},"case_status":"active","next":[{"id":"t2","step":"feedback","department":"technical","sla_due":"2026-11-23T06:00:00Z"}]}`)
	case r.URL.Path == "/api/v1/tasks/gone/complete":
		problem(http.StatusConflict, `task "gone" is already completed`)
	case r.URL.Path == "/api/v1/flows/complaint/bottlenecks":
		_, _ = io.WriteString(w, `{"flow":"complaint","cases":3,"steps":[{"step":"record","department":"customer_service","cases":3,"wait":{"p50":10,"p90":20,"p95":21},"work":{"p50":5,"p90":6,"p95":7},"sla_breach_rate":0,"escalations":0,"share":0.25,"bottleneck":false},{"step":"investigate","department":"technical","cases":3,"wait":{"p50":100,"p90":200,"p95":210},"work":{"p50":50,"p90":60,"p95":70},"sla_breach_rate":0.333,"escalations":1,"share":0.75,"bottleneck":true}]}`)
	case r.URL.Path == "/api/v1/cases":
		problem(http.StatusServiceUnavailable, "the workflow engine is unavailable")
	default:
		problem(http.StatusNotFound, "no route")
	}
}

func run(t *testing.T, api *fakeAPI, args ...string) (string, int) {
	t.Helper()
	srv := httptest.NewServer(api)
	defer srv.Close()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(append(args, "--server", srv.URL, "--token", "flk_test"))
	err := root.ExecuteContext(context.Background())
	return out.String(), exitCode(err)
}

func TestTasksTable(t *testing.T) {
	api := &fakeAPI{t: t}
	out, code := run(t, api, "tasks", "--department", "technical")
	require.Equal(t, exitOK, code, out)
	require.Equal(t, "ID  CASE_ID  STEP         DEPARTMENT  STATUS  ASSIGNEE  ESCALATION_LEVEL  SLA_DUE\n"+
		"t1  c1       investigate  technical   open    -         0                 2026-11-23T05:00:00Z\n", out)
	require.Equal(t, []string{"GET /api/v1/tasks?department=technical  auth=Bearer flk_test key="}, api.reqs)
}

func TestCompleteSendsOutcomeDataAndKey(t *testing.T) {
	api := &fakeAPI{t: t}
	out, code := run(t, api, "complete", "t1", "--outcome", "diagnosed", "--data", "answer=firmware 2.1", "--data", "amount=120", "--idempotency-key", "k-1")
	require.Equal(t, exitOK, code, out)
	require.Equal(t, "completed; case status: active\nnext:\n"+
		"ID  STEP      DEPARTMENT  SLA_DUE\n"+
		"t2  feedback  technical   2026-11-23T06:00:00Z\n", out)
	require.Equal(t, []string{`POST /api/v1/tasks/t1/complete {"data":{"amount":120,"answer":"firmware 2.1"},"outcome":"diagnosed"} auth=Bearer flk_test key=k-1`}, api.reqs)
}

func TestBottlenecksTableMarksTheBottleneck(t *testing.T) {
	out, code := run(t, &fakeAPI{t: t}, "bottlenecks", "complaint")
	require.Equal(t, exitOK, code, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Equal(t, "flow complaint, 3 cases", lines[0])
	require.Len(t, lines, 4)
	require.NotContains(t, lines[2], "<== bottleneck")
	require.True(t, strings.HasPrefix(lines[3], "investigate"), lines[3])
	require.Contains(t, lines[3], "<== bottleneck")
	require.Contains(t, lines[3], "0.33")
}

func TestBottlenecksJSONIsTheAPIAnswer(t *testing.T) {
	out, code := run(t, &fakeAPI{t: t}, "bottlenecks", "complaint", "-o", "json")
	require.Equal(t, exitOK, code, out)
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &v))
	require.Equal(t, "complaint", v["flow"])
}

func TestExitCodes(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"api 4xx", []string{"complete", "gone", "--outcome", "x"}, exitAPIClient},
		{"api 5xx", []string{"start", "--customer", "c"}, exitAPIServer},
		{"missing outcome", []string{"complete", "t1"}, exitUsage},
		{"missing task id", []string{"complete", "--outcome", "x"}, exitUsage},
		{"bad flag", []string{"tasks", "--no-such-flag"}, exitUsage},
		{"bad output", []string{"tasks", "-o", "xml"}, exitUsage},
		{"bad key=value", []string{"start", "--attr", "novalue"}, exitUsage},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := run(t, &fakeAPI{t: t}, c.args...)
			require.Equal(t, c.want, code, out)
		})
	}
	// A server that is not there.
	root := newRootCmd()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"tasks", "--server", "http://127.0.0.1:1", "--token", "x"})
	require.Equal(t, exitAPIServer, exitCode(root.Execute()))
}
