package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/server"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// idleEngine starts, signals and cancels workflows that do nothing: the
// real API answers from its store, which is what the client reads. Its
// state query is unavailable, except for the workflows waitingFor names
// (workflow id → the event their wait step waits for).
type idleEngine struct{ waitingFor *sync.Map }

func (idleEngine) StartSimulation(context.Context, string) error                { return nil }
func (idleEngine) StartCase(context.Context, string, workflows.CaseInput) error { return nil }
func (idleEngine) Complete(context.Context, string, string, workflows.CompleteRequest) (workflows.CompleteResult, error) {
	return workflows.CompleteResult{}, engine.ErrEngineUnavailable
}
func (idleEngine) Describe(context.Context, string) (engine.WorkflowRun, error) {
	return engine.WorkflowRun{Running: true, Status: "running"}, nil
}
func (idleEngine) Cancel(context.Context, string) error                         { return nil }
func (idleEngine) Signal(context.Context, string, workflows.EventRequest) error { return nil }
func (e idleEngine) State(_ context.Context, workflowID string) (workflows.CaseState, error) {
	if e.waitingFor != nil {
		if ev, ok := e.waitingFor.Load(workflowID); ok {
			return workflows.CaseState{Status: workflows.StatusActive, WaitingFor: ev.(string)}, nil
		}
	}
	return workflows.CaseState{}, engine.ErrEngineUnavailable
}
func (idleEngine) Migrate(context.Context, string, string, workflows.MigrateRequest) (workflows.MigrateResult, error) {
	return workflows.MigrateResult{}, engine.ErrEngineUnavailable
}

// The idle engine runs no Pilot workflow: a start succeeds, a stop finds no
// workflow (so the API ends the row itself), and the pilot's live status is
// unavailable (the row still answers).
func (idleEngine) StartPilot(context.Context, string, workflows.PilotInput) error { return nil }
func (idleEngine) StopPilot(context.Context, string, workflows.StopPilotRequest) error {
	return engine.ErrPilotNotRunning
}
func (idleEngine) EvaluatePilot(context.Context, string, string) (workflows.PilotStatus, error) {
	return workflows.PilotStatus{}, engine.ErrEngineUnavailable
}
func (idleEngine) PilotState(context.Context, string) (workflows.PilotStatus, error) {
	return workflows.PilotStatus{}, engine.ErrEngineUnavailable
}

// The idle engine keeps alert schedules that run nothing.
func (idleEngine) PutAlertSchedule(context.Context, string, time.Duration) error { return nil }
func (idleEngine) DeleteAlertSchedule(context.Context, string) error             { return nil }
func (idleEngine) TriggerAlertSchedule(context.Context, string) error            { return nil }
func (idleEngine) AlertSchedules(context.Context, int) ([]string, error)         { return nil, nil }

// realAPI serves the real handler (SQLite store, built-in flows, engine
// eng) for the test and returns the CLI against it: cli runs a command, ok
// runs one that must succeed and returns its output.
func realAPI(t *testing.T, eng engine.Engine) (cli func(args ...string) result, ok func(args ...string) string) {
	t.Helper()
	ctx := context.Background()
	st, err := openStore(ctx, "sqlite:"+filepath.Join(t.TempDir(), "flowlab.db"), true)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, api.SeedBuiltinFlows(ctx, st))
	if s, ok := eng.(interface{ useStore(store.Store) }); ok {
		s.useStore(st)
	}
	const admin = "flk_admin-token-for-the-test"
	h, err := server.New(server.Config{API: api.Config{Store: st, Engine: eng, AdminToken: admin, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}})
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Setenv("FLOWLAB_SERVER", srv.URL)
	t.Setenv("FLOWLAB_TOKEN", admin)
	cli = func(args ...string) result {
		t.Helper()
		var out, errb strings.Builder
		code := execute(ctx, args, &out, &errb)
		return result{out.String(), errb.String(), code}
	}
	ok = func(args ...string) string {
		t.Helper()
		res := cli(args...)
		require.Equal(t, exitOK, res.code, "%v: %s", args, res.stderr)
		return res.stdout
	}
	return cli, ok
}

// TestAgainstTheRealAPI runs the client commands against the real handler
// (SQLite store, built-in flows) to catch drift the fake cannot: query
// parameter names, real cursors, the answers' shapes.
func TestAgainstTheRealAPI(t *testing.T) {
	idle := idleEngine{waitingFor: &sync.Map{}}
	cli, ok := realAPI(t, idle)

	require.Contains(t, ok("flows"), "complaint")
	require.Contains(t, ok("flow", "complaint"), "STEP")
	require.Contains(t, ok("flow", "complaint", "--version", "2", "--source"), "key: complaint\nversion: 2\n")
	// A mistyped flow or channel is refused with what exists.
	res0 := cli("flow", "complaynt")
	require.Equal(t, exitAPIClient, res0.code)
	require.Contains(t, res0.stderr, `flow "complaynt" not found; the flows are appointment, complaint, pdca, returns-exchange`)
	res0 = cli("start", "--flow", "complaint", "--customer", "C-0", "--channel", "fax")
	require.Equal(t, exitAPIClient, res0.code)
	require.Contains(t, res0.stderr, `channel: unknown channel "fax": want one of phone, chat, wechat, app, email, social`)

	var ids []string
	for _, customer := range []string{"C-1", "C-2", "C-3"} {
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(ok("start", "--customer", customer, "--attr", "severity=primary", "-o", "json")), &c))
		ids = append(ids, c["id"].(string))
	}
	// Real cursors: one case per page, every case once.
	res := cli("cases", "--limit", "1", "-o", "json")
	require.Equal(t, exitOK, res.code, res.stderr)
	var page1 struct {
		Cases      []struct{ ID string } `json:"cases"`
		NextCursor string                `json:"next_cursor"`
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &page1))
	require.Len(t, page1.Cases, 1)
	require.NotEmpty(t, page1.NextCursor)
	res = cli("cases", "--limit", "1")
	require.Equal(t, "next: flowlab cases --limit 1 --cursor "+page1.NextCursor+"\n", res.stderr)
	page2 := ok("cases", "--limit", "1", "--cursor", page1.NextCursor)
	require.NotContains(t, page2, page1.Cases[0].ID)
	var all struct {
		Cases []struct{ ID string } `json:"cases"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok("cases", "--all", "--limit", "1", "--flow", "complaint", "--from", "2000-01-01T00:00:00Z", "-o", "json")), &all))
	require.Len(t, all.Cases, 3)
	require.ElementsMatch(t, ids, []string{all.Cases[0].ID, all.Cases[1].ID, all.Cases[2].ID})
	require.Equal(t, page1.Cases[0].ID, all.Cases[0].ID)
	// Searching (decision 0026): by customer, attribute and id prefix.
	found := func(args ...string) []string {
		t.Helper()
		var page struct {
			Cases []struct{ ID string } `json:"cases"`
		}
		require.NoError(t, json.Unmarshal([]byte(ok(append([]string{"cases", "-o", "json"}, args...)...)), &page))
		out := []string{}
		for _, c := range page.Cases {
			out = append(out, c.ID)
		}
		return out
	}
	require.Equal(t, []string{ids[1]}, found("--customer", "C-2"))
	require.Equal(t, []string{ids[2]}, found("--customer", "C-3", "--attr", "severity=primary", "--flow", "complaint"))
	require.Empty(t, found("--customer", "C-3", "--attr", "severity=secondary"))
	require.Equal(t, []string{ids[0]}, found("--id", ids[0][:8], "--customer", "C-1"))
	res = cli("cases", "--attr", "severity")
	require.Equal(t, exitUsage, res.code, res.stderr)
	require.Contains(t, res.stderr, "expected KEY=VALUE")
	res = cli("cases", "--id", "zz")
	require.Equal(t, exitAPIClient, res.code, res.stderr)
	require.Contains(t, res.stderr, `query parameter "id"`)

	require.Contains(t, ok("case", ids[0]), ids[0])
	idle.waitingFor.Store(api.WorkflowID("complaint", ids[0]), "customer_replied")
	require.Contains(t, ok("event", ids[0], "customer_replied", "--data", "ok=true"), "customer_replied")
	idle.waitingFor.Clear()
	require.Contains(t, ok("cancel", ids[0]), "cancelling")
	require.Contains(t, ok("tasks", "--status", "any", "--all"), "(none)")
	require.Contains(t, ok("bottlenecks", "complaint", "--from", "2000-01-01T00:00:00Z"), "flow complaint")
	require.True(t, strings.HasPrefix(ok("token", "create", "--name", "Tech agent", "--department", "technical", "--expires-in", "24h"), "flk_"))
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok("openapi")), &doc))
	require.Equal(t, "3.1.0", doc["openapi"])

	// Editing flows: publish, list, diff, default, retire.
	require.Contains(t, ok("flow", "publish", "complaint", "testdata/flows/complaint.v3.yaml"), "Complaint (call back)")
	res = cli("flow", "publish", "complaint", "testdata/flows/complaint.v3.yaml")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Equal(t, "unchanged: the content is already version 3 of complaint\n", res.stderr)
	versions := ok("flow", "versions", "complaint")
	require.Contains(t, versions, "Complaint (call back)")
	require.Contains(t, ok("flow", "diff", "complaint", "--from", "2", "--to", "3"), "complaint v2 -> v3")
	var diff map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok("flow", "diff", "complaint", "--from", "1", "--to", "2", "-o", "json")), &diff))
	require.NotEmpty(t, diff["handoffs_removed"])
	// Migrating cases: the mapping is checked against both versions; no
	// case runs v2; the idle engine cannot answer for the v1 cases.
	res = cli("flow", "migrate", "complaint", "--from", "1", "--to", "3", "--map", "record=call", "--map", "nope=call")
	require.Equal(t, exitAPIClient, res.code, res.stderr)
	require.Contains(t, res.stderr, "\n  mapping.nope: \"nope\" is not a step of version 1")
	require.Equal(t, "dry run: complaint v2 → v3: no active cases on v2; nothing changed\n",
		ok("flow", "migrate", "complaint", "--from", "2", "--to", "3", "--map", "submit=call", "--dry-run"))
	require.Contains(t, ok("flow", "migrate", "complaint", "--from", "2", "--to", "3", "--map", "submit=call"), "no active cases on v2 (migration ")
	res = cli("flow", "migrate", "complaint", "--from", "1", "--to", "3", "--map", "record=call", "--dry-run")
	require.Equal(t, exitAPIServer, res.code, res.stderr)
	require.Contains(t, res.stderr, "503 Service unavailable")
	require.Contains(t, ok("flow", "default", "complaint", "3"), "true")
	res = cli("flow", "retire", "complaint", "3")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "is the default")
	require.Contains(t, ok("flow", "retire", "complaint", "1"), "true")
	res = cli("flow", "default", "complaint", "1")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "retired")
	res = cli("flow", "publish", "callback", "testdata/flows/broken.yaml")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "\n  12:15: unknown step \"dne\"")
	require.Equal(t, exitUsage, cli("flow", "diff", "complaint", "--from", "1").code)

	// Pilots: start one (complaint v2 against the default), read it, its
	// results and the list, stop it (the idle engine runs no Pilot
	// workflow, so the API ends the row itself), then promote its treatment.
	require.Contains(t, ok("flow", "default", "complaint", "3"), "true")
	res = cli("pilot", "start", "--flow", "complaint", "--treatment", "1", "--guardrail", "sla_breach_rate=0.1", "--share", "30", "--max-duration", "7d")
	require.Equal(t, exitAPIClient, res.code, "version 1 is retired: %s", res.stderr)
	require.Contains(t, res.stderr, "\n  treatment: ")
	var pilot map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok("pilot", "start", "--flow", "complaint", "--control", "3", "--treatment", "2",
		"--guardrail", "sla_breach_rate=0.1", "--share", "30", "--unit", "case", "--metric", "cycle_time", "--min-cases", "20",
		"--max-duration", "7d", "--evaluate-every", "30m", "-o", "json")), &pilot))
	pid := pilot["id"].(string)
	require.Equal(t, "running", pilot["status"])
	require.Equal(t, 30.0, pilot["share"])
	require.Equal(t, "7d", pilot["max_duration"])
	res = cli("pilot", "start", "--flow", "complaint", "--treatment", "2")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "409 ")
	status := ok("pilot", "status", pid)
	require.Contains(t, status, "v3 vs v2")
	require.Contains(t, status, "30% of new cases to v2")
	require.Contains(t, status, "sla_breach_rate at most 10 points worse")
	require.Contains(t, ok("pilot", "list", "--flow", "complaint", "--status", "running"), pid)
	require.Contains(t, ok("start", "--customer", "C-9", "-o", "json"), `"pilot_id": "`+pid+`"`)
	results := ok("pilot", "results", pid)
	require.Contains(t, results, "pilot "+pid+": complaint v3 (control) vs v2 (treatment), running")
	require.Contains(t, results, "cycle_time")
	require.Contains(t, ok("spans", "export", "--pilot", pid, "--format", "csv"), "case_id,seq,flow")
	stopped := ok("pilot", "stop", pid, "--reason", "enough")
	require.Contains(t, stopped, "status:                stopped")
	require.Contains(t, stopped, "stop reason:           enough")
	res = cli("pilot", "stop", pid)
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "is not running")
	require.Contains(t, ok("pilot", "promote", pid, "--arm", "treatment"), "v2 is now the default version of complaint")

	// Feedback and reopening; a PDCA cycle.
	require.Contains(t, ok("feedback", ids[1], "--csat", "4", "--resolved-first-contact=true"), "true")
	res = cli("reopen", ids[1])
	require.Equal(t, exitAPIClient, res.code, "an open case cannot be reopened")
	require.Contains(t, res.stderr, "only a completed or cancelled case can be reopened")
	var cycle map[string]any
	require.NoError(t, json.Unmarshal([]byte(ok("improve", "start", "--flow", "complaint", "--metric", "csat", "-o", "json")), &cycle))
	require.Equal(t, "pdca", cycle["flow"])
	require.Contains(t, ok("improve", "list"), cycle["id"].(string)+"  complaint  csat")

	// The API's refusals map to exit codes with the problem's field errors.
	res = cli("token", "create", "--name", "", "--role", "staff")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, "\n  name: is required")
	require.Contains(t, res.stderr, "\n  departments: is required for role staff")
	require.Equal(t, exitAPIClient, cli("case", "no-such-case").code)
	require.Equal(t, exitAPIClient, cli("cases", "--cursor", "not-a-cursor").code)
	require.Equal(t, exitAPIClient, cli("flows", "--token", "flk_wrong").code)
}
