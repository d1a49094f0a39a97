package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// The crash tests take their sizes from the short form (CI, `go test ./...`)
// or, with FLOWLAB_CRASH_LONG=1, from the long form whose figures the
// README's reliability section quotes. FLOWLAB_CRASH_SEED replaces the
// fixed seed.
func long() bool { return os.Getenv("FLOWLAB_CRASH_LONG") == "1" }

const defaultSeed = 20261123

// shortBudget bounds each short-form test after its topology is up. The
// runs take 25–65 s here; the margin is for a loaded CI machine, and five
// tests two at a time stay within go test's default 10-minute timeout
// even if every one of them ran out its budget.
const shortBudget = 200 * time.Second

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
	// The completions of the test's own cases: a case created by a
	// request whose answer never came (a probe during an outage) may be
	// started later by the reconciler and worked like any other.
	known := map[string]bool{}
	for _, id := range ids {
		known[id] = true
	}
	acked := map[string]Completion{}
	for k, a := range agents.Acked() {
		if known[a.CaseID] {
			acked[k] = a
		}
	}
	rep, err := Verify(ctx, db, ids, acked, tasksPerComplaint)
	require.NoError(t, err)
	require.True(t, rep.OK(), "duplicates or losses: %s", rep)
	require.Len(t, acked, len(ids)*tasksPerComplaint, "every task completion was acknowledged once")
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
	clusterTest(t)
	seed := crashSeed(t)
	cases, kills, budget := 40, 3, shortBudget
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
		require.NoError(t, agents.Run(actx, 4))
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
	require.NoError(t, agents.WaitAcked(ctx, len(ids)*tasksPerComplaint))
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
	t.Logf("answers: %s; 429 answers waited out: %d", agents.Statuses(), api.RateLimited())
}

// probeOutage sends requests that need the database, as fast as it can
// for d, and returns how often each answer came; every answer must be 503
// with Retry-After (the API says the outage is temporary and when to come
// back), never a 500 or a hang.
func probeOutage(ctx context.Context, api *API, admin string, caseID string, d time.Duration) (map[string]int, []string) {
	answers := map[string]int{}
	var bad []string
	probes := []struct {
		method, path string
		body         map[string]any
	}{
		{"GET", "/api/v1/cases?limit=5", nil},
		{"GET", "/api/v1/cases/" + caseID, nil},
		{"GET", "/api/v1/tasks?status=open&department=technical", nil},
		{"POST", "/api/v1/cases", map[string]any{"flow": "complaint", "customer": "probe", "channel": "chat"}},
	}
	end := time.Now().Add(d)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		p := probes[i%len(probes)]
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		resp, err := api.Do(pctx, admin, p.method, p.path, p.body, "Idempotency-Key", fmt.Sprintf("probe-%d", i))
		cancel()
		key := p.method + " " + p.path
		switch {
		case err != nil:
			answers[key+" transport error"]++
			bad = append(bad, fmt.Sprintf("%s: %v", key, err))
		case resp.Status == 503 && resp.RetryAfter() > 0:
			answers[key+" 503"]++
		default:
			answers[fmt.Sprintf("%s %d", key, resp.Status)]++
			bad = append(bad, fmt.Sprintf("%s: %s (Retry-After %q)", key, resp, resp.Header.Get("Retry-After")))
		}
		time.Sleep(50 * time.Millisecond)
	}
	return answers, bad
}

// PostgreSQL (flowlab's store and Temporal's persistence alike) is stopped
// under load and started again a few seconds later: meanwhile the API
// answers 503 with Retry-After; afterwards everything recovers without a
// restart of any flowlab process, and no write the API acknowledged is
// lost — every case created and every task completed with a 2xx answer is
// there, and every case completes.
func TestPostgresRestart(t *testing.T) {
	clusterTest(t)
	seed := crashSeed(t)
	cases, outage, modes, budget := 20, 3*time.Second, []string{"immediate"}, shortBudget
	if long() {
		cases, outage, modes, budget = 60, 5*time.Second, []string{"fast", "immediate", "immediate"}, 15*time.Minute
	}
	rng := rand.New(rand.NewPCG(seed, 2))
	c := Start(t, Options{Workers: 2})
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	api := NewAPI(c.API)
	ids, err := CreateCases(ctx, api, c.AdminToken, "pg", cases, rng)
	require.NoError(t, err)

	agents := &Agents{API: api, Admin: c.AdminToken, Seed: seed, Think: 300 * time.Millisecond}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, agents.Run(actx, 2))
	}()
	// A client keeps creating cases through the outages, retrying each
	// with its Idempotency-Key until it is acknowledged. It is stopped
	// between two cases, never in the middle of one: a request cancelled
	// in flight may create a case whose answer nobody reads (or a row
	// whose workflow never starts), which nothing could then count.
	var (
		liveMu  sync.Mutex
		liveIDs []string
		halt    atomic.Bool
	)
	writerDone := make(chan struct{})
	stopWriter := func() {
		halt.Store(true)
		<-writerDone
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(writerDone)
		for i := 1; !halt.Load() && ctx.Err() == nil; i++ {
			id, err := CreateCase(ctx, api, c.AdminToken, fmt.Sprintf("pg-live-%d", i),
				map[string]any{"flow": "complaint", "customer": fmt.Sprintf("live-%d", i), "channel": "app"})
			if err != nil {
				return // the test's budget ended
			}
			liveMu.Lock()
			liveIDs = append(liveIDs, id)
			liveMu.Unlock()
			pause(ctx, 250*time.Millisecond)
		}
	}()
	stopped := false
	defer func() {
		stopAgents()
		if !stopped {
			stopWriter()
		}
		wg.Wait()
	}()

	total := cases * tasksPerComplaint
	var outages []string
	allBad := []string{}
	for i, mode := range modes {
		at := int(float64(total) * (0.15 + 0.6*float64(i)/float64(len(modes)) + 0.1*rng.Float64()))
		for len(agents.Acked()) < at {
			require.NoError(t, ctx.Err(), "waiting for %d completions before outage %d; %d so far", at, i+1, len(agents.Acked()))
			time.Sleep(20 * time.Millisecond)
		}
		require.NoError(t, c.PG.Stop(mode))
		stopped := time.Now()
		answers, bad := probeOutage(ctx, api, c.AdminToken, ids[0], outage)
		allBad = append(allBad, bad...)
		require.NoError(t, c.PG.Start())
		down := time.Since(stopped)
		// Recovered: the API reads and writes again, by itself.
		var recovered time.Duration
		require.Eventually(t, func() bool {
			resp, err := api.Do(ctx, c.AdminToken, "GET", "/api/v1/cases?limit=1", nil)
			if err == nil && resp.Status == 200 {
				recovered = time.Since(stopped) - down
				return true
			}
			return false
		}, 60*time.Second, 100*time.Millisecond, "the API did not recover after PostgreSQL came back")
		outages = append(outages, fmt.Sprintf("outage %d (postgres stopped -m %s): down %s, API answering again %s after the start; answers meanwhile: %v",
			i+1, mode, down.Round(10*time.Millisecond), recovered.Round(10*time.Millisecond), answers))
	}
	for _, o := range outages {
		t.Log(o)
	}
	require.Empty(t, allBad, "answers during the outage other than 503 with Retry-After")
	require.True(t, c.Temporal.Running() && c.Server.Running(), "temporal-server and flowlab server survive the outage")

	// Let the writer get a few cases through after the last outage, then
	// stop it and wait for everything acknowledged to complete.
	pause(ctx, time.Second)
	stopWriter()
	stopped = true
	// A probe's POST /cases answered 503 may still have created its case
	// (the row and the workflow before the database went, the answer
	// after): the agents work it too, so it counts with the others. One
	// whose workflow never started stays "starting" until the reconciler
	// starts it, a minute or more later: it is left out (verify counts the
	// completions of the test's cases only). The cases are read after a
	// pause, so a workflow that did start has moved its case on.
	pause(ctx, 2*time.Second)
	resp, err := api.Do(ctx, c.AdminToken, "GET", "/api/v1/cases?customer=probe&limit=200", nil)
	require.NoError(t, err)
	require.Equal(t, 200, resp.Status, "%s", resp)
	var probed apiv1.CaseList
	require.NoError(t, json.Unmarshal(resp.Body, &probed))
	liveMu.Lock()
	for _, pc := range probed.Cases {
		if pc.Status == apiv1.CaseStarting {
			t.Logf("probe case %s stayed starting: its workflow never started", pc.ID)
			continue
		}
		liveIDs = append(liveIDs, pc.ID)
	}
	all := append(append([]string(nil), ids...), liveIDs...)
	live := len(liveIDs)
	liveMu.Unlock()
	_, err = waitCompleted(ctx, c, all)
	require.NoError(t, err, "agents: %s", agents.Statuses())
	require.NoError(t, agents.WaitAcked(ctx, len(all)*tasksPerComplaint))
	elapsed := time.Since(began)
	stopAgents()
	wg.Wait()
	for _, w := range c.Workers {
		require.True(t, w.Running(), "%s survives the outage", w.Name)
	}

	rep := verify(t, c, all, agents)
	t.Logf("FIGURES postgres restarts: %d cases (%d created during the run), %d restarts survived, %d duplicates, %d losses, run %s (%s)",
		len(all), live, len(modes), rep.Duplicates(), rep.Losses(), elapsed.Round(time.Second), durationFigures(caseDurations(t, c, all)))
	t.Logf("database: %s", rep)
	t.Logf("answers: %s; 429 answers waited out: %d", agents.Statuses(), api.RateLimited())
}

// failpointExitCode is the exit code of a worker whose test failpoint
// fired (cmd/flowlab/failpoint.go).
const failpointExitCode = 197

// Workers armed with the test failpoint exit right after an activity's
// write committed and before they report it — OpenTask, CloseTask (the
// task's completion and its span in one transaction), RecordSpan and
// UpdateCase — and are restarted: Temporal retries each crashed activity
// on a worker, and the retry leaves no second task, span or completion.
func TestActivityCrashAfterEffect(t *testing.T) {
	clusterTest(t)
	seed := crashSeed(t)
	cases, budget := 12, shortBudget
	crashes := map[string]int{"OpenTask": 1, "CloseTask": 2, "RecordSpan": 1, "UpdateCase": 1}
	if long() {
		cases, budget = 40, 15*time.Minute
		crashes = map[string]int{"OpenTask": 3, "CloseTask": 4, "RecordSpan": 3, "UpdateCase": 3}
	}
	var spec []string
	want := 0
	for _, name := range []string{"OpenTask", "CloseTask", "RecordSpan", "UpdateCase"} {
		spec = append(spec, fmt.Sprintf("%s=%d", name, crashes[name]))
		want += crashes[name]
	}
	crashDir := t.TempDir()
	rng := rand.New(rand.NewPCG(seed, 4))
	// Worker 1 is armed; worker 2 is not. Crashes claimed within 8 s of the
	// first die together: each death stalls the work in flight on its
	// worker for the activities' start-to-close timeout (30 s), so few
	// deaths keep the test short.
	c := Start(t, Options{Workers: 2, WorkerEnv: func(i int) []string {
		if i != 0 {
			return nil
		}
		return []string{"FLOWLAB_TEST_CRASH_AFTER=" + strings.Join(spec, ","), "FLOWLAB_TEST_CRASH_DIR=" + crashDir,
			"FLOWLAB_TEST_CRASH_WINDOW=8s"}
	}})
	began := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()

	// Restart every worker the failpoint takes down; any other exit fails.
	var (
		supMu     sync.Mutex
		exits     int
		otherExit []string
	)
	sctx, stopSup := context.WithCancel(ctx)
	var sup sync.WaitGroup
	for i, w := range c.Workers {
		sup.Add(1)
		go func() {
			defer sup.Done()
			for {
				select {
				case <-sctx.Done():
					return
				case <-w.Exited():
				}
				if sctx.Err() != nil {
					return
				}
				supMu.Lock()
				if code := w.ExitCode(); code == failpointExitCode {
					exits++
				} else {
					otherExit = append(otherExit, fmt.Sprintf("%s exited with %d", w.Name, code))
				}
				supMu.Unlock()
				if err := c.RestartWorker(i); err != nil {
					supMu.Lock()
					otherExit = append(otherExit, err.Error())
					supMu.Unlock()
					return
				}
			}
		}()
	}
	defer func() { stopSup(); sup.Wait() }()

	api := NewAPI(c.API)
	agents := &Agents{API: api, Admin: c.AdminToken, Seed: seed, Think: 200 * time.Millisecond}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, agents.Run(actx, 4))
	}()
	defer func() { stopAgents(); wg.Wait() }()
	// Cases arrive one by one, so that every kind of activity is in
	// flight at once.
	var ids []string
	for i := 1; i <= cases; i++ {
		more, err := CreateCases(ctx, api, c.AdminToken, fmt.Sprintf("failpoint-%d", i), 1, rng)
		require.NoError(t, err)
		ids = append(ids, more...)
		pause(ctx, 400*time.Millisecond)
	}

	_, err := waitCompleted(ctx, c, ids)
	require.NoError(t, err, "agents: %s", agents.Statuses())
	require.NoError(t, agents.WaitAcked(ctx, len(ids)*tasksPerComplaint))
	elapsed := time.Since(began)
	stopAgents()
	wg.Wait()
	stopSup()
	sup.Wait()

	markers, err := os.ReadDir(crashDir)
	require.NoError(t, err)
	var fired []string
	for _, m := range markers {
		fired = append(fired, m.Name())
	}
	require.Len(t, fired, want, "every armed crash fired: %v", fired)
	require.GreaterOrEqual(t, exits, 1, "the fired crashes took their workers down")
	require.Empty(t, otherExit)
	rep := verify(t, c, ids, agents)
	t.Logf("FIGURES crash after effect: %d cases, %d activities whose worker died after their write committed (%s) retried in %d worker deaths, %d duplicates, %d losses, run %s (%s)",
		cases, want, strings.Join(spec, " "), exits, rep.Duplicates(), rep.Losses(), elapsed.Round(time.Second), durationFigures(caseDurations(t, c, ids)))
	t.Logf("database: %s", rep)
	t.Logf("answers: %s; 429 answers waited out: %d", agents.Statuses(), api.RateLimited())
}
