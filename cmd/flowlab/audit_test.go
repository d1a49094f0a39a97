package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/server"
)

const auditNext = "eyJpZCI6NDcxMn0"

// auditAPI answers GET /api/v1/audit like the server (pages from
// testdata/api, 403 for a token that is not the admin's) and leaves
// everything else to the fake API.
type auditAPI struct{ *fakeAPI }

func (a auditAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v1/audit" {
		a.fakeAPI.ServeHTTP(w, r)
		return
	}
	a.mu.Lock()
	a.reqs = append(a.reqs, request{Method: r.Method, URI: r.URL.RequestURI(), Auth: r.Header.Get("Authorization")})
	a.mu.Unlock()
	if r.Header.Get("Authorization") == "Bearer flk_staff" {
		writeProblem(w, r, http.StatusForbidden, `role "staff" may not do this; allowed: admin`)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+testToken {
		writeProblem(w, r, http.StatusUnauthorized, "the token is unknown, expired or revoked")
		return
	}
	fixture := "audit-page1.json"
	switch r.URL.Query().Get("cursor") {
	case "":
	case auditNext:
		fixture = "audit-page2.json"
	default:
		writeProblem(w, r, http.StatusBadRequest, `query parameter "cursor": malformed`, fieldError{"cursor", "malformed"})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(a.fixture(fixture))
}

func TestAuditGolden(t *testing.T) {
	cases := []struct {
		name string
		args []string
		reqs []string
	}{
		{"audit", []string{"audit", "--case", caseID, "--from", "2026-11-23T00:00:00Z"},
			[]string{"GET /api/v1/audit?case_id=" + caseID + "&from=2026-11-23T00%3A00%3A00Z"}},
		{"audit-all", []string{"audit", "--actor", "admin", "--action", "task.claim", "--object", "task:x", "--to", "2026-11-24T00:00:00Z", "--all"},
			[]string{"GET /api/v1/audit?action=task.claim&actor=admin&object=task%3Ax&to=2026-11-24T00%3A00%3A00Z",
				"GET /api/v1/audit?action=task.claim&actor=admin&cursor=" + auditNext + "&object=task%3Ax&to=2026-11-24T00%3A00%3A00Z"}},
	}
	for _, c := range cases {
		for _, format := range []string{"table", "json", "yaml"} {
			t.Run(c.name+"."+format, func(t *testing.T) {
				api := auditAPI{&fakeAPI{t: t}}
				args := append([]string(nil), c.args...)
				if format != "table" {
					args = append(args, "-o", format)
				}
				res := runWith(t, validating(t, api), args...)
				require.Equal(t, exitOK, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
				require.Equal(t, c.reqs, api.requests())
				got := res.stdout
				if res.stderr != "" {
					got += "--- stderr ---\n" + res.stderr
				}
				path := filepath.Join("testdata", "golden", c.name+"."+format+".golden")
				if *update {
					require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "run go test ./cmd/flowlab -update to create it")
				require.Equal(t, string(want), got)
			})
		}
	}
}

func TestAuditErrors(t *testing.T) {
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"audit", "--from", "yesterday"}, exitUsage, "--from must be an RFC 3339 time"},
		{[]string{"audit", "--limit", "501"}, exitUsage, "--limit must be from 1 to 500"},
		{[]string{"audit", "extra"}, exitUsage, "unknown command"},
		{[]string{"audit", "--cursor", "nope"}, exitAPIClient, "malformed"},
		{[]string{"audit", "--token", "flk_staff"}, exitAPIClient, `role "staff" may not do this; allowed: admin`},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			api := auditAPI{&fakeAPI{t: t}}
			res := runWith(t, validating(t, api), c.args...)
			require.Equal(t, c.code, res.code, "stdout:\n%s\nstderr:\n%s", res.stdout, res.stderr)
			require.Contains(t, res.stderr, c.stderr)
		})
	}
}

// TestAuditAgainstTheRealAPI reads the trail of changes made with the CLI
// from the real handler.
func TestAuditAgainstTheRealAPI(t *testing.T) {
	ctx := context.Background()
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	defer st.Close()
	require.NoError(t, api.SeedBuiltinFlows(ctx, st))
	const admin = "flk_admin-token-for-the-audit-test"
	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: idleEngine{}, AdminToken: admin, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv("FLOWLAB_SERVER", srv.URL)
	t.Setenv("FLOWLAB_TOKEN", admin)
	cli := func(args ...string) result {
		t.Helper()
		var out, errb strings.Builder
		code := execute(ctx, args, &out, &errb)
		return result{out.String(), errb.String(), code}
	}
	for _, customer := range []string{"C-1", "C-2", "C-3"} {
		res := cli("start", "--customer", customer)
		require.Equal(t, exitOK, res.code, res.stderr)
	}
	res := cli("token", "create", "--name", "Ann", "--role", "staff", "--department", "technical")
	require.Equal(t, exitOK, res.code, res.stderr)
	staff := strings.TrimSpace(res.stdout)

	res = cli("audit", "--action", "case.create", "--limit", "2", "--all", "-o", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var out struct {
		Entries []struct {
			Action    string  `json:"action"`
			Actor     string  `json:"actor"`
			RequestID *string `json:"request_id"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	require.Len(t, out.Entries, 3, "two pages of case.create")
	for _, e := range out.Entries {
		require.Equal(t, "admin", e.Actor)
		require.NotNil(t, e.RequestID)
	}
	res = cli("audit")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Contains(t, strings.Split(res.stdout, "\n")[1], "token.create", "newest first")

	res = cli("audit", "--token", staff)
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "403")
}
