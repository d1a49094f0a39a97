package cluster

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

func TestMain(m *testing.M) {
	flag.Parse()
	// The long form's tests take up to 15 minutes each, two at a time; a
	// go test timeout would panic the binary and skip every cleanup.
	if long() {
		if f := flag.Lookup("test.timeout"); f != nil {
			if d, ok := f.Value.(flag.Getter).Get().(time.Duration); ok && d > 0 && d < 45*time.Minute {
				fmt.Fprintf(os.Stderr, "FLOWLAB_CRASH_LONG=1 needs go test -timeout 45m or more (it is %s)\n", d)
				os.Exit(2)
			}
		}
	}
	code := m.Run()
	RemoveBinary()
	os.Exit(code)
}

// clusterTest skips the test in -short mode and runs it in parallel with
// the other cluster tests: each has its own PostgreSQL, ports, data and
// processes, and most of their time is spent waiting for Temporal's
// timeouts after a crash, so two at once (go test's default -parallel on
// two cores) halve the package's time at little cost in CPU.
func clusterTest(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs PostgreSQL, Temporal and flowlab as separate processes; skipped in -short mode")
	}
	t.Parallel()
}

// The production topology comes up as separate processes and one complaint
// goes through it, worked by an agent of each department it visits.
func TestTopology(t *testing.T) {
	clusterTest(t)
	c := Start(t, Options{})
	t.Logf("topology up in %s: temporal %s, API %s, %d workers", c.Startup.Round(time.Millisecond), c.TemporalAddr, c.API, len(c.Workers))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	api := NewAPI(c.API)
	rng := rand.New(rand.NewPCG(1, 1))
	ids, err := CreateCases(ctx, api, c.AdminToken, "topology", 1, rng)
	require.NoError(t, err)

	agents := &Agents{API: api, Admin: c.AdminToken, Seed: 1}
	actx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- agents.Run(actx, 1) }()
	require.Eventually(t, func() bool {
		resp, err := api.Do(ctx, c.AdminToken, http.MethodGet, "/api/v1/cases/"+ids[0], nil)
		if err != nil || resp.Status != http.StatusOK {
			return false
		}
		var cs apiv1.CaseDetail
		return json.Unmarshal(resp.Body, &cs) == nil && cs.Status == apiv1.CaseCompleted
	}, 90*time.Second, 200*time.Millisecond, "the case did not complete; agents: %s", agents.Statuses())
	require.NoError(t, agents.WaitAcked(ctx, tasksPerComplaint))
	stop()
	require.NoError(t, <-done)
	require.Empty(t, agents.Failures())

	db, err := c.PG.Connect(ctx, FlowlabDB)
	require.NoError(t, err)
	defer db.Close(ctx)
	rep, err := Verify(ctx, db, ids, agents.Acked(), tasksPerComplaint)
	require.NoError(t, err)
	require.True(t, rep.OK(), rep.String())
	require.Len(t, agents.Acked(), tasksPerComplaint)
	t.Logf("one case through the topology: %s; answers: %s", rep, agents.Statuses())
}
