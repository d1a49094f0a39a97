package main

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// demoAPI is the fake API as the demo sees it when its cases close at once
// and no task waits in any inbox.
func demoAPI(api *fakeAPI, runningPilot bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/healthz":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"status":"ok","mode":"dev"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/cases/"+caseID:
			api.mu.Lock()
			api.reqs = append(api.reqs, request{Method: r.Method, URI: r.URL.RequestURI()})
			api.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(api.fixture("case-closed.json"))
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/tasks":
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"tasks":[]}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/pilots" && !runningPilot:
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"pilots":[]}`)
		default:
			api.ServeHTTP(w, r)
		}
	})
}

func sent(api *fakeAPI, prefix string) []string {
	var out []string
	for _, r := range api.requests() {
		if strings.HasPrefix(r, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// With a running pilot the demo announces the split, staffs the
// departments of both arms' versions, lets customers leave feedback and
// ends with the pilot's results after the bottleneck view.
func TestDemoWithARunningPilot(t *testing.T) {
	api := &fakeAPI{t: t}
	res := runWith(t, validating(t, demoAPI(api, true)), "demo", "--cases", "3", "--arrival-ms", "1", "--feedback", "100")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, "demo: pilot "+pilotID+": complaint v1 vs v2, 50% to v2: new cases are split\n")
	require.Contains(t, res.stderr, "demo: 3/3 cases closed, 1 with feedback\n")
	require.Equal(t, []string{"GET /api/v1/pilots?flow=complaint&status=running", "GET /api/v1/pilots/" + pilotID + "/results"}, sent(api, "GET /api/v1/pilots"))
	require.Equal(t, []string{"GET /api/v1/flows/complaint", "GET /api/v1/flows/complaint?version=1", "GET /api/v1/flows/complaint?version=2", "GET /api/v1/flows/complaint/bottlenecks"},
		sent(api, "GET /api/v1/flows/complaint"))
	fb := sent(api, "POST /api/v1/cases/"+caseID+"/feedback")
	require.Len(t, fb, 1, "one feedback per closed case")
	var body struct {
		CSAT *int  `json:"csat"`
		FCR  *bool `json:"resolved_first_contact"`
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimPrefix(fb[0], "POST /api/v1/cases/"+caseID+"/feedback ")), &body))
	require.NotNil(t, body.CSAT)
	require.GreaterOrEqual(t, *body.CSAT, 1)
	require.LessOrEqual(t, *body.CSAT, 5)
	require.NotNil(t, body.FCR)

	bottlenecks := strings.Index(res.stdout, "flow complaint v1, 3 cases")
	results := strings.Index(res.stdout, "pilot "+pilotID+": complaint v1 (control) vs v2 (treatment), running")
	require.GreaterOrEqual(t, bottlenecks, 0, res.stdout)
	require.Greater(t, results, bottlenecks, "the pilot's results follow the bottleneck view:\n%s", res.stdout)
	require.Contains(t, res.stdout, "cases per arm for 80% power:")
}

// Without a pilot the demo behaves as before: no pilot line, no results;
// --feedback 0 sends no feedback; json output stays one document.
func TestDemoWithoutAPilot(t *testing.T) {
	api := &fakeAPI{t: t}
	res := runWith(t, validating(t, demoAPI(api, false)), "demo", "--cases", "2", "--arrival-ms", "1", "--feedback", "0", "-o", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.NotContains(t, res.stderr, "pilot")
	require.Empty(t, sent(api, "POST /api/v1/cases/"+caseID+"/feedback"))
	var v map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &v))
	require.Equal(t, "complaint", v["flow"])
	// The demo's people, one per department and role, with the UI to sign in to.
	require.Contains(t, res.stderr, "/ui/ and sign in with one of these tokens")
	for _, who := range []string{"staff, customer_service", "staff, technical", "process owner", "improvement team"} {
		require.Regexp(t, `(?m)^  `+regexp.QuoteMeta(who)+` +\S+$`, res.stderr)
	}

	res = runWith(t, demoAPI(&fakeAPI{t: t}, false), "demo", "--feedback", "101")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "--feedback must be a percent from 0 to 100, not 101")
}

// TestDemoRefusesAServerThatIsNotDev: pointed at a server whose /healthz
// does not say "mode": "dev", the demo creates nothing (no token, no case)
// and says how to proceed; --i-know-this-is-not-dev lets it run.
func TestDemoRefusesAServerThatIsNotDev(t *testing.T) {
	production := func(api *fakeAPI) http.Handler {
		dev := demoAPI(api, false)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/healthz" {
				w.Header().Set("Content-Type", "application/json")
				_, _ = io.WriteString(w, `{"status":"ok"}`)
				return
			}
			dev.ServeHTTP(w, r)
		})
	}
	api := &fakeAPI{t: t}
	res := runWith(t, validating(t, production(api)), "demo", "--cases", "2", "--arrival-ms", "1")
	require.Equal(t, exitUsage, res.code, res.stderr)
	require.Contains(t, res.stderr, `is not a flowlab dev (its GET /healthz does not say "mode": "dev")`)
	require.Contains(t, res.stderr, "--i-know-this-is-not-dev")
	require.Empty(t, sent(api, "POST"), "nothing created on a server that is not a dev")

	api = &fakeAPI{t: t}
	res = runWith(t, validating(t, production(api)), "demo", "--cases", "2", "--arrival-ms", "1", "--i-know-this-is-not-dev")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, res.stderr, "is not a flowlab dev; running anyway (--i-know-this-is-not-dev)")
	require.Len(t, sent(api, "POST /api/v1/cases "), 2)
}

// TestDemoWorksOnlyItsOwnCases: the inbox holds a task of a case the demo
// did not start (a real customer's) and one of its own; the demo claims
// and completes its own and never touches the other. Its tokens expire
// after --token-ttl, and its improver belongs to the improvement
// department.
func TestDemoWorksOnlyItsOwnCases(t *testing.T) {
	api := &fakeAPI{t: t}
	var (
		mu      sync.Mutex
		touched []string
		done    bool
		froms   []string
	)
	const inbox = `{"tasks":[
	  {"id":"t-foreign","case_id":"0b3e9f27-0000-4000-8000-00000000c0de","step":"record","department":"customer_service","status":"open","outcomes":["recorded"]},
	  {"id":"t-mine","case_id":"` + caseID + `","step":"record","department":"customer_service","status":"open","outcomes":["recorded"]}]}`
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == "/healthz":
			_, _ = io.WriteString(w, `{"status":"ok","mode":"dev"}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/tasks":
			mu.Lock()
			d := done
			froms = append(froms, r.URL.Query().Get("from"))
			mu.Unlock()
			if d || !strings.Contains(r.URL.RawQuery, "department=customer_service") {
				_, _ = io.WriteString(w, `{"tasks":[]}`)
				return
			}
			_, _ = io.WriteString(w, inbox)
		case r.Method == http.MethodPost && strings.HasPrefix(r.URL.Path, "/api/v1/tasks/"):
			mu.Lock()
			touched = append(touched, r.URL.Path)
			if strings.HasSuffix(r.URL.Path, "/complete") {
				done = true
			}
			mu.Unlock()
			_, _ = io.WriteString(w, `{}`)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/cases/"+caseID:
			mu.Lock()
			d := done
			mu.Unlock()
			b := api.fixture("case-closed.json")
			if !d {
				b = []byte(strings.Replace(string(b), `"status": "completed"`, `"status": "active"`, 1))
			}
			_, _ = w.Write(b)
		case r.Method == http.MethodGet && r.URL.Path == "/api/v1/pilots":
			_, _ = io.WriteString(w, `{"pilots":[]}`)
		default:
			api.ServeHTTP(w, r)
		}
	})
	res := runWith(t, h, "demo", "--cases", "1", "--arrival-ms", "1", "--feedback", "0", "--time-scale", "1ms", "--token-ttl", "90m")
	require.Equal(t, exitOK, res.code, res.stderr)
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, []string{"/api/v1/tasks/t-mine/claim", "/api/v1/tasks/t-mine/complete"}, touched)
	// The agents read only tasks opened since the demo's first case (the
	// server's created_at), not every open task of the server.
	require.NotEmpty(t, froms)
	for _, f := range froms {
		require.Equal(t, "2026-11-23T08:00:00Z", f)
	}

	tokens := sent(api, "POST /api/v1/tokens ")
	require.NotEmpty(t, tokens)
	for _, tok := range tokens {
		require.Contains(t, tok, `"expires_in":"90m"`)
	}
	require.Contains(t, strings.Join(tokens, "\n"), `"departments":["improvement"],"expires_in":"90m","name":"demo improvement team","role":"improver"`)
	require.Contains(t, res.stderr, "sign in with one of these tokens (valid 1h30m0s, until ")

	res = runWith(t, h, "demo", "--token-ttl", "48h")
	require.Equal(t, exitUsage, res.code)
	require.Contains(t, res.stderr, "--token-ttl must be between 1m and 24h0m0s, not 48h0m0s")
}
