package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/e2e/cluster"
)

// Memory: the resident memory of one `flowlab worker` process (a separate
// OS process of the production topology, on Temporal on PostgreSQL) with
// N open complaint cases waiting on their first human task, against the
// same process idle before any case.

func init() {
	register(scenario{
		Name:  "memory",
		Brief: "worker RSS with 1,000 / 5,000 / 10,000 open cases waiting on human tasks vs the same worker idle",
		Run:   runMemory,
	})
}

// memoryCreators is how many POST /api/v1/cases run at once.
const memoryCreators = 24

type memoryPoint struct {
	Cases        int     `json:"open_cases"`
	RSSMiB       float64 `json:"rss_mib"`
	PeakMiB      float64 `json:"peak_rss_mib"`
	GrowthPer1k  float64 `json:"growth_mib_per_1000_cases"`
	CreateSec    float64 `json:"create_s"`
	CreatePerSec float64 `json:"created_per_s"`
}

type memoryData struct {
	WorkerArgs []string      `json:"worker_args"`
	WorkerEnv  []string      `json:"worker_env,omitempty"`
	Baseline   kit.RSS       `json:"idle_baseline"`
	Points     []memoryPoint `json:"points"`
}

func runMemory(ctx context.Context, e env) (*kit.Result, error) {
	sizes := e.sizes([]int{50}, []int{1000, 5000, 10000})
	for i := 1; i < len(sizes); i++ {
		if sizes[i] <= sizes[i-1] {
			return nil, fmt.Errorf("memory: sizes %v: each must be larger than the one before (cases accumulate)", sizes)
		}
	}
	res := kit.NewResult("memory", "open cases", "worker RSS MiB", "peak RSS MiB", "idle baseline MiB", "growth MiB/1000 cases", "created/s")
	res.Params["sizes"] = fmt.Sprint(sizes)
	res.Params["creators"] = strconv.Itoa(memoryCreators)
	data := &memoryData{}
	res.Data = data
	err := withHarness("memory", e.Log, func(t *harnessT) error {
		e.Logf("memory: starting PostgreSQL, temporal-server, server and one worker")
		c := cluster.Start(t, cluster.Options{Workers: 1})
		if err := unlimitServer(c); err != nil {
			return err
		}
		w := c.Workers[0]
		data.WorkerArgs, data.WorkerEnv = w.Args, w.Env
		pid := w.Pid()
		if pid == 0 {
			return fmt.Errorf("worker is not running (log: %s)", w.LogPath)
		}
		db, err := pgx.Connect(ctx, c.PG.URL(cluster.FlowlabDB))
		if err != nil {
			return fmt.Errorf("connect to flowlab's database: %w", err)
		}
		defer db.Close(context.Background())
		api := benchAPI(c.API)

		// The idle baseline: the worker polling, no case yet.
		if err := sleepCtx(ctx, 3*time.Second); err != nil {
			return err
		}
		base, err := kit.ReadRSS(pid)
		if err != nil {
			return err
		}
		data.Baseline = base
		e.Logf("memory: idle worker: RSS %.1f MiB (peak %.1f)", base.CurrentMiB, base.PeakMiB)

		created := 0
		for _, n := range sizes {
			t0 := time.Now()
			if err := createOpenCases(ctx, api, c.AdminToken, created, n); err != nil {
				return err
			}
			if err := waitOpenTasks(ctx, db, n, 10*time.Minute); err != nil {
				return err
			}
			took := time.Since(t0)
			rate := float64(n-created) / took.Seconds()
			created = n
			// Let the worker settle (its pollers idle, garbage collected at
			// its own pace) before reading.
			if err := sleepCtx(ctx, 5*time.Second); err != nil {
				return err
			}
			if w.Pid() != pid {
				return fmt.Errorf("worker restarted or exited (log: %s)", w.LogPath)
			}
			m, err := kit.ReadRSS(pid)
			if err != nil {
				return err
			}
			growth := (m.CurrentMiB - base.CurrentMiB) / float64(n) * 1000
			p := memoryPoint{Cases: n, RSSMiB: m.CurrentMiB, PeakMiB: m.PeakMiB, GrowthPer1k: growth, CreateSec: took.Seconds(), CreatePerSec: rate}
			data.Points = append(data.Points, p)
			e.Logf("memory: %d open cases: worker RSS %.1f MiB (peak %.1f), %.1f MiB per 1000 cases over idle; created %.1f/s",
				n, m.CurrentMiB, m.PeakMiB, growth, rate)
			res.Row(n, m.CurrentMiB, m.PeakMiB, base.CurrentMiB, growth, rate)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	last := data.Points[len(data.Points)-1]
	res.Target(fmt.Sprintf("worker RSS with %d open cases", last.Cases), "≤ 300 MB (MiB here)",
		fmt.Sprintf("%.1f MiB (peak %.1f)", last.RSSMiB, last.PeakMiB), last.RSSMiB <= 300 && last.PeakMiB <= 300)
	if len(data.Points) >= 2 {
		a, b := data.Points[0], data.Points[len(data.Points)-1]
		res.Note("marginal growth between %d and %d cases: %.1f MiB per 1000 cases",
			a.Cases, b.Cases, (b.RSSMiB-a.RSSMiB)/float64(b.Cases-a.Cases)*1000)
	}
	res.Note("one flowlab worker process (production topology: PostgreSQL, flowlab temporal-server, flowlab server); cases are complaint cases created through POST /api/v1/cases, %d at a time, each counted once its first task (record, customer service) is open; RSS read from /proc 5 s after the last task opened", memoryCreators)
	res.Note("growth = (RSS − idle RSS) / open cases × 1000; the idle baseline is the same worker process polling before the first case")
	return res, nil
}

// createOpenCases creates complaint cases from+1…to through the API.
func createOpenCases(ctx context.Context, api *cluster.API, admin string, from, to int) error {
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	cctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	for range memoryCreators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cctx.Err() == nil {
				i := int(next.Add(1))
				if i > to {
					return
				}
				key := fmt.Sprintf("bench-memory-%d", i)
				_, err := cluster.CreateCase(cctx, api, admin, key, map[string]any{
					"flow": "complaint", "customer": key, "channel": "chat",
					"attributes": map[string]any{"severity": "primary"},
				})
				if err != nil {
					once.Do(func() { first = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// waitOpenTasks waits until n tasks are open.
func waitOpenTasks(ctx context.Context, db *pgx.Conn, n int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var open int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM tasks WHERE status = 'open'").Scan(&open); err != nil {
			return fmt.Errorf("count open tasks: %w", err)
		}
		if open >= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d of %d tasks open after %s", open, n, timeout)
		}
		if err := sleepCtx(ctx, 500*time.Millisecond); err != nil {
			return err
		}
	}
}
