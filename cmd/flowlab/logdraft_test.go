package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
)

// flowlab log draft-flow prints YAML that validates and publishes, or the
// whole answer with -o json; bad flags are usage errors.
func TestLogDraftFlowCommand(t *testing.T) {
	cli, ok := realAPI(t, idleEngine{waitingFor: &sync.Map{}})
	path := filepath.Join(t.TempDir(), "small.csv")
	require.NoError(t, os.WriteFile(path, []byte(`case,activity,timestamp,resource,dept
c1,submit,2026-03-02T09:00:00Z,ann,front
c1,review,2026-03-02T13:00:00Z,bob,back
c1,close,2026-03-02T14:00:00Z,ann,front
c2,submit,2026-03-03T09:00:00Z,ann,front
c2,review,2026-03-03T11:00:00Z,bob,back
c2,ask,2026-03-03T11:30:00Z,bob,back
c2,review,2026-03-03T15:30:00Z,bob,back
c2,close,2026-03-03T16:00:00Z,ann,front
`), 0o644))
	var l struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(ok("log", "import", path, "--name", "Small desk", "--group", "dept", "-o", "json")), &l))

	y := ok("log", "draft-flow", l.ID, "--key", "small", "--coverage", "100", "--department-of", "front=Front office")
	def, diags := flow.Load([]byte(y), flow.ValidateOptions{})
	require.False(t, diags.HasErrors(), "%s\n%s", diags, y)
	require.Equal(t, "small", def.Key)
	require.Equal(t, []string{"front_office", "back"}, def.Departments)
	require.True(t, strings.HasPrefix(y, "# Drafted by flowlab from the event log \"Small desk\""))

	var answer struct {
		YAML         string `json:"yaml"`
		Variants     int    `json:"variants"`
		CoveredCases int    `json:"covered_cases"`
		Steps        int    `json:"steps"`
	}
	require.NoError(t, json.Unmarshal([]byte(ok("log", "draft-flow", l.ID, "--coverage", "50", "-o", "json")), &answer))
	// Tied variants rank by key: the one through "ask" first.
	require.Equal(t, []int{1, 1, 5}, []int{answer.Variants, answer.CoveredCases, answer.Steps})
	require.Contains(t, answer.YAML, "key: small-desk\n")

	for _, args := range [][]string{
		{"log", "draft-flow", l.ID, "--coverage", "0"},
		{"log", "draft-flow", l.ID, "--coverage", "101"},
		{"log", "draft-flow", l.ID, "--department-of", "nodept"},
	} {
		res := cli(args...)
		require.Equal(t, exitUsage, res.code, "%v: %s", args, res.stderr)
	}
}
