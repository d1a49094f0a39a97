package main

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/flowlab/flowlab/flows"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/stretchr/testify/require"
)

// commandsFile lists the commands that run flowlab (the "run" group: the
// ones a deployment starts) with their flags and the environment
// variables their help names. internal/deploy checks the compose file
// against it (that package cannot import this one), so a service's
// command, flags and environment always name what the binary reads.
const commandsFile = "testdata/commands.json"

type commandInfo struct {
	Flags []string `json:"flags"`
	Env   []string `json:"env"`
}

var envName = regexp.MustCompile(`\b(?:FLOWLAB|TEMPORAL)_[A-Z0-9_]*[A-Z0-9]\b`)

func commandTable(root *cobra.Command) map[string]commandInfo {
	out := map[string]commandInfo{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.GroupID == "run" && !c.Hidden {
			info := commandInfo{Flags: []string{}}
			c.Flags().VisitAll(func(f *pflag.Flag) { info.Flags = append(info.Flags, "--"+f.Name) })
			c.InheritedFlags().VisitAll(func(f *pflag.Flag) { info.Flags = append(info.Flags, "--"+f.Name) })
			slices.Sort(info.Flags)
			info.Flags = slices.Compact(info.Flags)
			help := c.Long + "\n" + c.Example + "\n" + c.Flags().FlagUsages() + c.InheritedFlags().FlagUsages()
			info.Env = envName.FindAllString(help, -1)
			slices.Sort(info.Env)
			info.Env = slices.Compact(info.Env)
			if info.Env == nil {
				info.Env = []string{}
			}
			out[strings.TrimPrefix(c.CommandPath(), root.Name()+" ")] = info
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return out
}

func TestCommandsFileIsCurrent(t *testing.T) {
	got, err := json.MarshalIndent(commandTable(newRootCmd(io.Discard, io.Discard)), "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(commandsFile), 0o755))
		require.NoError(t, os.WriteFile(commandsFile, got, 0o644))
	}
	want, err := os.ReadFile(commandsFile)
	require.NoError(t, err, "run go test ./cmd/flowlab -run TestCommandsFileIsCurrent -update")
	require.Equal(t, string(want), string(got), "%s is stale: run go test ./cmd/flowlab -run TestCommandsFileIsCurrent -update", commandsFile)
}

// TestProcessHelpNamesEveryEnvVar: each flag of server, worker and dev
// that has an environment variable names it in its help.
func TestProcessHelpNamesEveryEnvVar(t *testing.T) {
	table := commandTable(newRootCmd(io.Discard, io.Discard))
	for _, cmd := range []string{"server", "worker"} {
		for _, env := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY",
			"TEMPORAL_TLS_SERVER_NAME", "TEMPORAL_API_KEY", "FLOWLAB_DATABASE_URL", "FLOWLAB_PAYLOAD_KEY", "FLOWLAB_PAYLOAD_KEY_FILE",
			"FLOWLAB_LOG_FORMAT", "FLOWLAB_LOG_LEVEL", "FLOWLAB_REOPEN_WINDOW"} {
			require.Contains(t, table[cmd].Env, env, "%s --help", cmd)
		}
	}
	require.Contains(t, table["worker"].Env, "FLOWLAB_METRICS_ADDR")
	require.Contains(t, table["worker"].Env, "FLOWLAB_WORKER_STOP_TIMEOUT")
	require.Contains(t, table["server"].Env, "FLOWLAB_SHUTDOWN_TIMEOUT")
	require.Contains(t, table["server"].Env, "FLOWLAB_ADMIN_TOKEN")
	require.Contains(t, table["dev"].Env, "FLOWLAB_PAYLOAD_KEY")
	require.Contains(t, table["dev"].Env, "FLOWLAB_LOG_FORMAT")
}

// TestHelpNeverShowsSecretsFromTheEnvironment: with every secret a user
// may keep in the environment set, no command's --help prints it (a flag
// whose default comes from the environment shows that default in help).
func TestHelpNeverShowsSecretsFromTheEnvironment(t *testing.T) {
	secrets := map[string]string{
		"FLOWLAB_TOKEN":         "flk_secret_client_token_0123456789",
		"FLOWLAB_ADMIN_TOKEN":   "flk_secret_admin_token_0123456789",
		"TEMPORAL_API_KEY":      "secret-temporal-api-key-0123456789",
		"FLOWLAB_DATABASE_URL":  "postgres://flowlab:secretpw1@127.0.0.1:5432/flowlab",
		"TEMPORAL_DATABASE_URL": "postgres://temporal:secretpw2@127.0.0.1:5432/temporal",
		"FLOWLAB_PAYLOAD_KEY":   "2025-06:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=",
	}
	for k, v := range secrets {
		t.Setenv(k, v)
	}
	var paths [][]string
	var walk func(c *cobra.Command, path []string)
	walk = func(c *cobra.Command, path []string) {
		paths = append(paths, path)
		for _, sub := range c.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	walk(newRootCmd(io.Discard, io.Discard), nil)
	require.Greater(t, len(paths), 20)
	for _, p := range paths {
		var out, errOut strings.Builder
		code := execute(t.Context(), append(slices.Clone(p), "--help"), &out, &errOut)
		require.Equal(t, exitOK, code, "flowlab %s --help: %s", strings.Join(p, " "), errOut.String())
		for k, v := range secrets {
			for _, part := range []string{v, "secretpw"} {
				require.NotContains(t, out.String()+errOut.String(), part, "flowlab %s --help shows %s", strings.Join(p, " "), k)
			}
		}
	}
}

// TestHelpExamplesUseRealOutcomes: every --outcome in a help example is an
// outcome of a task of the complaint flow's default version (v1), which
// the examples work; a new user copies them.
func TestHelpExamplesUseRealOutcomes(t *testing.T) {
	def, err := flows.Definition("complaint", 1)
	require.NoError(t, err)
	var outcomes []string
	for _, st := range def.Steps {
		for _, o := range st.Outcomes {
			outcomes = append(outcomes, o.Name)
		}
	}
	re := regexp.MustCompile(`--outcome[ =](\w+)`)
	var walk func(c *cobra.Command)
	found := 0
	walk = func(c *cobra.Command) {
		for _, m := range re.FindAllStringSubmatch(c.Example+"\n"+c.Long, -1) {
			found++
			require.Contains(t, outcomes, m[1], "flowlab %s --help: --outcome %s is no outcome of complaint v1", c.CommandPath(), m[1])
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(io.Discard, io.Discard))
	require.Greater(t, found, 2)
}
