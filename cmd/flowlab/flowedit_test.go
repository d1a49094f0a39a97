package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkGolden compares got with testdata/golden/<name>.golden (rewritten
// with -update).
func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/flowlab -update to create it")
	require.Equal(t, string(want), got)
}

// TestFlowValidate validates files locally: no server is configured or
// called (FLOWLAB_SERVER points nowhere), errors exit 1, warnings alone 0.
func TestFlowValidate(t *testing.T) {
	t.Setenv("FLOWLAB_SERVER", "http://127.0.0.1:1")
	t.Setenv("FLOWLAB_TOKEN", "")
	cli := func(args ...string) result {
		t.Helper()
		for i, a := range args {
			if filepath.Ext(a) == ".yaml" {
				args[i] = filepath.Join("testdata", "flows", a)
			}
		}
		var out, errb bytes.Buffer
		code := execute(context.Background(), args, &out, &errb)
		return result{out.String(), errb.String(), code}
	}
	golden := func(res result) string {
		got := res.stdout
		if res.stderr != "" {
			got += "--- stderr ---\n" + res.stderr
		}
		return got
	}

	res := cli("flow", "validate", "ok.yaml", "warning.yaml", "broken.yaml", "missing.yaml")
	require.Equal(t, exitError, res.code)
	checkGolden(t, "flow-validate.table", golden(res))

	res = cli("flow", "validate", "ok.yaml", "warning.yaml", "broken.yaml", "-o", "json")
	require.Equal(t, exitError, res.code)
	var out struct {
		Files []struct {
			File        string
			Valid       bool
			Diagnostics []map[string]any
		}
	}
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	require.Len(t, out.Files, 3)
	require.True(t, out.Files[0].Valid)
	require.Empty(t, out.Files[0].Diagnostics)
	require.True(t, out.Files[1].Valid, "warnings do not fail")
	require.Len(t, out.Files[1].Diagnostics, 1)
	require.False(t, out.Files[2].Valid)
	checkGolden(t, "flow-validate.json", golden(res))

	res = cli("flow", "validate", "ok.yaml", "warning.yaml")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Equal(t, "testdata/flows/warning.yaml:4:33: warning: department \"billing\" is listed but no step uses it (unused-department)\n", res.stdout)
	require.Empty(t, res.stderr)

	res = cli("flow", "validate", "ok.yaml")
	require.Equal(t, exitOK, res.code, res.stderr)
	require.Empty(t, res.stdout)

	res = cli("flow", "validate")
	require.Equal(t, exitUsage, res.code)
	res = cli("flow", "validate", "ok.yaml", "-o", "xml")
	require.Equal(t, exitUsage, res.code)
}

// TestFlowMigrate: a dry run with a refused case shows the table and exits
// 1 (not every case would migrate); malformed --map is a usage error that
// sends nothing; an API refusal exits 3.
func TestFlowMigrate(t *testing.T) {
	api := &fakeAPI{t: t}
	res := runWith(t, validating(t, api), "flow", "migrate", "complaint", "--from", "1", "--to", "2", "--map", "record=submit", "--map", "investigate=handle", "--dry-run")
	require.Equal(t, exitError, res.code, res.stderr)
	require.Equal(t, []string{`POST /api/v1/flows/complaint/migrations {"dry_run":true,"from":1,"mapping":{"investigate":"handle","record":"submit"},"to":2}`}, api.requests())
	checkGolden(t, "flow-migrate-dry.table", res.stdout+"--- stderr ---\n"+res.stderr)

	res = runWith(t, validating(t, &fakeAPI{t: t}), "flow", "migrate", "complaint", "--from", "1", "--to", "2", "--map", "record=submit", "--dry-run", "-o", "json")
	require.Equal(t, exitError, res.code, "json output exits the same way")
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &out))
	require.Equal(t, true, out["dry_run"])

	for _, c := range []struct {
		name string
		args []string
		msg  string
	}{
		{"no map", []string{"--from", "1", "--to", "2"}, "--map OLD=NEW is required"},
		{"map without =", []string{"--from", "1", "--to", "2", "--map", "record"}, `--map "record": expected OLD=NEW`},
		{"map without new", []string{"--from", "1", "--to", "2", "--map", "record="}, `--map "record=": expected OLD=NEW`},
		{"map without old", []string{"--from", "1", "--to", "2", "--map", "=submit"}, `--map "=submit": expected OLD=NEW`},
		{"map twice", []string{"--from", "1", "--to", "2", "--map", "record=submit", "--map", "record=handle"}, `step "record" is mapped twice`},
		{"no from", []string{"--to", "2", "--map", "record=submit"}, "--from and --to are required"},
		{"same versions", []string{"--from", "2", "--to", "2", "--map", "record=submit"}, "--from and --to must differ"},
		{"no key", []string{}, "accepts 1 arg(s), received 0"},
	} {
		api := &fakeAPI{t: t}
		args := []string{"flow", "migrate"}
		if c.name != "no key" {
			args = append(args, "complaint")
		}
		res := run(t, api, append(args, c.args...)...)
		require.Equal(t, exitUsage, res.code, c.name)
		require.Contains(t, res.stderr, c.msg, c.name)
		require.Empty(t, api.requests(), c.name)
	}

	res = run(t, &fakeAPI{t: t}, "flow", "migrate", "nope", "--from", "1", "--to", "2", "--map", "a=b")
	require.Equal(t, exitAPIClient, res.code)
	require.Contains(t, res.stderr, `404 Not Found: flow "nope" not found`)
}
