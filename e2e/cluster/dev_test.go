package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
)

// openTask waits until case id has exactly one open task and returns it.
func openTask(ctx context.Context, api *API, admin, id string) (apiv1.Task, error) {
	var last string
	for {
		resp, err := api.Do(ctx, admin, "GET", "/api/v1/cases/"+id, nil)
		if err == nil && resp.Status == 200 {
			var c apiv1.CaseDetail
			if err := json.Unmarshal(resp.Body, &c); err == nil && len(c.Tasks) == 1 {
				return c.Tasks[0], nil
			}
			last = resp.String()
		} else if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return apiv1.Task{}, fmt.Errorf("case %s has no single open task: %w (last answer: %s)", id, ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// advance completes the next steps open tasks of case id as the admin,
// with each task's first outcome.
func advance(ctx context.Context, api *API, admin, id string, steps int, rng *rand.Rand) ([]Completion, error) {
	var done []Completion
	for i := 0; i < steps; i++ {
		t, err := openTask(ctx, api, admin, id)
		if err != nil {
			return done, err
		}
		key := "admin-" + t.ID
		resp, err := api.Do(ctx, admin, "POST", "/api/v1/tasks/"+t.ID+"/complete",
			apiv1.CompleteRequest{Outcome: t.Outcomes[0], Data: FormData(t, rng)}, apiv1.IdempotencyKeyHeader, key)
		if err != nil {
			return done, err
		}
		if resp.Status != 200 {
			return done, fmt.Errorf("complete %s of case %s: %s", t.ID, id, resp)
		}
		done = append(done, Completion{TaskID: t.ID, CaseID: id, Step: t.Step, Outcome: t.Outcomes[0], Agent: "admin", Key: key})
	}
	return done, nil
}

// flowlab dev is killed with SIGKILL while agents work, with open cases
// waiting at every step of the complaint flow, and started again on the
// same data dir: every open case waits at the same task as before, and
// every case then finishes with no task or span duplicated or lost.
func TestDevKillWithOpenCases(t *testing.T) {
	clusterTest(t)
	seed := crashSeed(t)
	parked, worked, budget := 10, 10, shortBudget
	if long() {
		parked, worked, budget = 30, 40, 10*time.Minute
	}
	rng := rand.New(rand.NewPCG(seed, 3))
	bin := Binary(t)
	dir := ArtifactDir(t)
	addr, err := FreeAddr()
	require.NoError(t, err)
	dev := &Process{Name: "dev", Bin: bin, LogPath: filepath.Join(dir, "dev.log"),
		Args: []string{"dev", "--data", filepath.Join(dir, "data"), "--addr", addr, "--temporal-port", "0", "--log-level", "warn"},
		Env:  []string{"FLOWLAB_ADMIN_TOKEN=" + DefaultAdminToken}}
	base := "http://" + addr
	require.NoError(t, dev.Start())
	t.Cleanup(dev.Kill)
	require.NoError(t, WaitHealthy(base, dev, 90*time.Second))

	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	began := time.Now()
	api := NewAPI(base)
	admin := DefaultAdminToken

	// Parked cases wait at every step of the flow (0 to 4 tasks done);
	// worked cases are worked by agents when the kill comes.
	parkedIDs, err := CreateCases(ctx, api, admin, "devkill-parked", parked, rng)
	require.NoError(t, err)
	workedIDs, err := CreateCases(ctx, api, admin, "devkill-worked", worked, rng)
	require.NoError(t, err)
	acked := map[string]Completion{}
	for i, id := range parkedIDs {
		done, err := advance(ctx, api, admin, id, i%tasksPerComplaint, rng)
		require.NoError(t, err)
		for _, c := range done {
			acked[c.TaskID] = c
		}
	}
	before := map[string]apiv1.Task{}
	for _, id := range parkedIDs {
		task, err := openTask(ctx, api, admin, id)
		require.NoError(t, err)
		before[id] = task
	}

	isWorked := map[string]bool{}
	for _, id := range workedIDs {
		isWorked[id] = true
	}
	var all atomic.Bool // false: agents work the worked cases only
	agents := &Agents{API: api, Admin: admin, Seed: seed, Think: 200 * time.Millisecond,
		Only: func(t apiv1.Task) bool { return all.Load() || isWorked[t.CaseID] }}
	actx, stopAgents := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		require.NoError(t, agents.Run(actx, 1))
	}()
	defer func() { stopAgents(); wg.Wait() }()

	at := int(float64(worked*tasksPerComplaint) * (0.2 + 0.4*rng.Float64()))
	for len(agents.Acked()) < at {
		require.NoError(t, ctx.Err(), "waiting for %d completions before the kill; %d so far", at, len(agents.Acked()))
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
	dev.Kill()
	ackedAtKill := len(agents.Acked())
	killed := time.Now()
	require.NoError(t, dev.Start())
	require.NoError(t, WaitHealthy(base, dev, 90*time.Second))
	restart := time.Since(killed)

	// Every parked case continues where it was.
	for _, id := range parkedIDs {
		task, err := openTask(ctx, api, admin, id)
		require.NoError(t, err)
		require.Equal(t, before[id].ID, task.ID, "case %s waits at the same task", id)
		require.Equal(t, before[id].Step, task.Step, "case %s waits at the same step", id)
	}
	all.Store(true)
	ids := append(append([]string(nil), parkedIDs...), workedIDs...)
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	require.Eventually(t, func() bool {
		resp, err := api.Do(ctx, admin, "GET", "/api/v1/cases?status=completed&limit=500", nil)
		var page apiv1.CaseList
		if err != nil || resp.Status != 200 || json.Unmarshal(resp.Body, &page) != nil {
			return false
		}
		done := 0
		for _, c := range page.Cases {
			if want[c.ID] {
				done++
			}
		}
		return done == len(ids)
	}, time.Until(deadlineOf(ctx)), 500*time.Millisecond, "not every case completed; agents: %s", agents.Statuses())
	require.NoError(t, agents.WaitAcked(ctx, len(ids)*tasksPerComplaint-len(acked)))
	elapsed := time.Since(began)
	stopAgents()
	wg.Wait()

	for k, v := range agents.Acked() {
		acked[k] = v
	}
	rep, err := VerifyAPI(ctx, api, admin, ids, acked, tasksPerComplaint)
	require.NoError(t, err)
	require.True(t, rep.OK(), "duplicates or losses: %s", rep)
	require.Len(t, acked, len(ids)*tasksPerComplaint, "every task completion was acknowledged once")
	require.Empty(t, agents.Failures(), "answers no agent should get; all answers: %s", agents.Statuses())
	t.Logf("FIGURES dev kill: %d cases (%d parked at steps 1-5, %d worked; %d completions acknowledged before the kill), 1 kill survived, restart to healthy %s, %d duplicates, %d losses, run %s",
		len(ids), parked, worked, ackedAtKill, restart.Round(10*time.Millisecond), rep.Duplicates(), rep.Losses(), elapsed.Round(time.Second))
	t.Logf("state: %s", rep)
	t.Logf("answers: %s; 429 answers waited out: %d", agents.Statuses(), api.RateLimited())
}

func deadlineOf(ctx context.Context) time.Time {
	d, ok := ctx.Deadline()
	if !ok {
		return time.Now().Add(time.Minute)
	}
	return d
}
