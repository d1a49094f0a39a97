package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The crash tests take their sizes from the short form (CI, `go test ./...`)
// or, with FLOWLAB_CRASH_LONG=1, from the long form whose figures the
// README's reliability section quotes. FLOWLAB_CRASH_SEED replaces the
// fixed seed.
func long() bool { return os.Getenv("FLOWLAB_CRASH_LONG") == "1" }

const defaultSeed = 20261123

func crashSeed(t *testing.T) uint64 {
	t.Helper()
	seed := uint64(defaultSeed)
	if s := os.Getenv("FLOWLAB_CRASH_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "FLOWLAB_CRASH_SEED")
		seed = n
	}
	form := "short"
	if long() {
		form = "long"
	}
	t.Logf("%s form, seed %d (FLOWLAB_CRASH_SEED=%d repeats every choice the test makes)", form, seed, seed)
	return seed
}

// tasksPerComplaint: the complaint flow worked with first outcomes has five
// task steps whatever the severity.
const tasksPerComplaint = 5

// waitCompleted polls flowlab's database until every case is completed,
// reconnecting after errors (PostgreSQL may be restarting), until ctx ends.
func waitCompleted(ctx context.Context, c *Cluster, ids []string) (int, error) {
	done := 0
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		db, err := c.PG.Connect(cctx, FlowlabDB)
		if err == nil {
			err = db.QueryRow(cctx, `SELECT count(*) FROM cases WHERE id = ANY($1) AND status = 'completed'`, ids).Scan(&done)
			_ = db.Close(cctx)
		}
		cancel()
		if err == nil && done == len(ids) {
			return done, nil
		}
		select {
		case <-ctx.Done():
			return done, fmt.Errorf("%d of %d cases completed: %w (last error: %v)", done, len(ids), ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// verify runs Verify on a fresh connection and fails the test unless the
// cases are whole.
func verify(t *testing.T, c *Cluster, ids []string, agents *Agents) Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	db, err := c.PG.Connect(ctx, FlowlabDB)
	require.NoError(t, err)
	defer db.Close(ctx)
	rep, err := Verify(ctx, db, ids, agents.Acked(), tasksPerComplaint)
	require.NoError(t, err)
	require.True(t, rep.OK(), "duplicates or losses: %s", rep)
	require.Len(t, agents.Acked(), len(ids)*tasksPerComplaint, "every task completion was acknowledged once")
	require.Empty(t, agents.Failures(), "answers no agent should get; all answers: %s", agents.Statuses())
	return rep
}

// caseDurations are the created → closed times of the cases, sorted.
func caseDurations(t *testing.T, c *Cluster, ids []string) []time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := c.PG.Connect(ctx, FlowlabDB)
	require.NoError(t, err)
	defer db.Close(ctx)
	rows, err := db.Query(ctx, `SELECT extract(epoch FROM closed_at - created_at)::float8 FROM cases WHERE id = ANY($1) AND closed_at IS NOT NULL`, ids)
	require.NoError(t, err)
	var out []time.Duration
	for rows.Next() {
		var s float64
		require.NoError(t, rows.Scan(&s))
		out = append(out, time.Duration(s*float64(time.Second)))
	}
	require.NoError(t, rows.Err())
	slices.Sort(out)
	return out
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[min(len(ds)-1, int(q*float64(len(ds))))].Round(100 * time.Millisecond)
}

func durationFigures(ds []time.Duration) string {
	if len(ds) == 0 {
		return "no closed case"
	}
	return fmt.Sprintf("case duration p50 %s, p95 %s, max %s", quantile(ds, 0.5), quantile(ds, 0.95), ds[len(ds)-1].Round(100*time.Millisecond))
}

// N complaints in flight, worked by simulated agents, while the test kills
// a random worker with SIGKILL at random points of the run (by share of
// the work done, plus a random delay) and restarts it after a random
// pause: every case completes, and no task or span is duplicated or lost.
func TestWorkerKills(t *testing.T) {
	skipShort(t)
	seed := crashSeed(t)
	cases, kills, budget := 40, 3, 150*time.Second
	if long() {
		cases, kills, budget = 200, 10, 15*time.Minute
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	c := Start(t, Options{Workers: 2})
	t.Logf("topology up in %s", c.Startup.Round(time.Millisecond))
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	api := NewAPI(c.API)

	ids, err := CreateCases(ctx, api, c.AdminToken, "kills", cases, rng)
	require.NoError(t, err)
	agents := &Agents{API: api, Admin: c.AdminToken, Seed: seed, Think: 300 * time.Millisecond}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, agents.Run(actx, 2))
	}()
	defer func() { stopAgents(); wg.Wait() }()

	// The kill points: shares of all completions, spread over the first
	// 80% of the work so that the last kill still has work in flight.
	total := cases * tasksPerComplaint
	points := make([]int, kills)
	for i := range points {
		points[i] = int(float64(total) * (0.05 + 0.75*rng.Float64()))
	}
	sort.Ints(points)
	var killLog []string
	for i, at := range points {
		for len(agents.Acked()) < at {
			require.NoError(t, ctx.Err(), "waiting for %d completions before kill %d; %d so far", at, i+1, len(agents.Acked()))
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		w := rng.IntN(len(c.Workers))
		down := time.Duration(200+rng.IntN(1800)) * time.Millisecond
		c.Workers[w].Kill()
		killLog = append(killLog, fmt.Sprintf("kill %d: worker-%d after %d completions, down %s", i+1, w+1, len(agents.Acked()), down))
		time.Sleep(down)
		require.NoError(t, c.RestartWorker(w))
	}
	for _, l := range killLog {
		t.Log(l)
	}
	_, err = waitCompleted(ctx, c, ids)
	require.NoError(t, err, "agents: %s", agents.Statuses())
	elapsed := time.Since(began)
	stopAgents()
	wg.Wait()

	rep := verify(t, c, ids, agents)
	survived := 0
	for _, w := range c.Workers {
		survived += w.Kills()
	}
	require.Equal(t, kills, survived)
	t.Logf("FIGURES worker kills: %d cases, %d worker kills survived, %d duplicates, %d losses, run %s (%s)",
		cases, survived, rep.Duplicates(), rep.Losses(), elapsed.Round(time.Second), durationFigures(caseDurations(t, c, ids)))
	t.Logf("database: %s", rep)
	t.Logf("answers: %s", agents.Statuses())
}
