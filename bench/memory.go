package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
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

// memoryBatch is how many cases are created before waiting for their
// first tasks to open.
const memoryBatch = 250

type memoryPoint struct {
	Cases        int             `json:"open_cases"`
	RSSMiB       float64         `json:"rss_mib"`
	PeakMiB      float64         `json:"peak_rss_mib"`
	GrowthPer1k  float64         `json:"growth_mib_per_1000_cases"`
	CreateSec    float64         `json:"create_s"`
	CreatePerSec float64         `json:"created_per_s"`
	Detail       memWorkerMemory `json:"detail"`
}

type memoryData struct {
	WorkerArgs     []string        `json:"worker_args"`
	WorkerEnv      []string        `json:"worker_env,omitempty"`
	Baseline       kit.RSS         `json:"idle_baseline"`
	BaselineDetail memWorkerMemory `json:"idle_detail"`
	Points         []memoryPoint   `json:"points"`
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
		maddr, err := cluster.FreeAddr()
		if err != nil {
			return err
		}
		c := cluster.Start(t, cluster.Options{Workers: 1, WorkerEnv: func(int) []string {
			return append([]string{"FLOWLAB_METRICS_ADDR=" + maddr}, memoryWorkerEnv()...)
		}})
		if err := ovhUnlimitServer(c); err != nil {
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
		api := ovhAPI(c.API)

		// The idle baseline: the worker polling, no case yet.
		if err := ovhSleep(ctx, 3*time.Second); err != nil {
			return err
		}
		base, err := kit.ReadRSS(pid)
		if err != nil {
			return err
		}
		data.Baseline = base
		data.BaselineDetail = memReadWorker(ctx, pid, maddr)
		e.Logf("memory: idle worker: RSS %.1f MiB (peak %.1f); %s", base.CurrentMiB, base.PeakMiB, data.BaselineDetail)

		created := 0
		for _, n := range sizes {
			t0 := time.Now()
			// In batches, each waited for: a burst of thousands of
			// starting cases would measure a backlog (and the worker's
			// cache thrashing through it), not cases at rest.
			for from := created; from < n; from += memoryBatch {
				to := min(from+memoryBatch, n)
				if err := memCreateCases(ctx, api, c.AdminToken, from, to); err != nil {
					return err
				}
				open, err := memWaitOpenTasks(ctx, db, to, 2*time.Minute)
				if errors.Is(err, errStalled) {
					// Measure what is open rather than nothing; the note says so.
					e.Logf("memory: %v", err)
					res.Note("at %d cases: %d first tasks were open when none more opened for 2 min; RSS read then", n, open)
					break
				}
				if err != nil {
					return err
				}
			}
			took := time.Since(t0)
			rate := float64(n-created) / took.Seconds()
			created = n
			// Let the worker settle (its pollers idle, garbage collected at
			// its own pace) before reading.
			if err := ovhSleep(ctx, 5*time.Second); err != nil {
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
			p := memoryPoint{Cases: n, RSSMiB: m.CurrentMiB, PeakMiB: m.PeakMiB, GrowthPer1k: growth, CreateSec: took.Seconds(), CreatePerSec: rate,
				Detail: memReadWorker(ctx, pid, maddr)}
			data.Points = append(data.Points, p)
			if dir := os.Getenv("FLOWLAB_BENCH_HEAP_PROFILE"); dir != "" {
				memSaveHeapProfile(ctx, maddr, filepath.Join(dir, fmt.Sprintf("worker-heap-%d.pb.gz", n)), e)
			}
			e.Logf("memory: %d open cases: worker RSS %.1f MiB (peak %.1f), %.1f MiB per 1000 cases over idle; created %.1f/s; %s",
				n, m.CurrentMiB, m.PeakMiB, growth, rate, p.Detail)
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
	res.Note("one flowlab worker process (production topology: PostgreSQL, flowlab temporal-server, flowlab server); cases are complaint cases created through POST /api/v1/cases, %d at a time in batches of %d, each batch waited for until every case's first task (record, customer service) is open; RSS read from /proc 5 s after the last task opened", memoryCreators, memoryBatch)
	res.Note("growth = (RSS − idle RSS) / open cases × 1000; the idle baseline is the same worker process polling before the first case")
	return res, nil
}

// memCreateCases creates complaint cases from+1…to through the API.
func memCreateCases(ctx context.Context, api *cluster.API, admin string, from, to int) error {
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

// errStalled: the count of open tasks stopped moving.
var errStalled = errors.New("open tasks stalled")

// memWaitOpenTasks waits until n tasks are open and returns the count
// last seen; errStalled when it does not move for stall.
func memWaitOpenTasks(ctx context.Context, db *pgx.Conn, n int, stall time.Duration) (int, error) {
	deadline := time.Now().Add(stall)
	last := -1
	for {
		var open int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM tasks WHERE status = 'open'").Scan(&open); err != nil {
			return last, fmt.Errorf("count open tasks: %w", err)
		}
		if open >= n {
			return open, nil
		}
		if open != last {
			last, deadline = open, time.Now().Add(stall)
		}
		if time.Now().After(deadline) {
			return open, fmt.Errorf("%w: %d of %d tasks open, none more for %s", errStalled, open, n, stall)
		}
		if err := ovhSleep(ctx, 500*time.Millisecond); err != nil {
			return open, err
		}
	}
}

// memoryWorkerEnv is added to the worker's environment: the scenario's
// FLOWLAB_BENCH_WORKER_ENV (KEY=VALUE pairs separated by spaces), for
// comparing worker settings.
func memoryWorkerEnv() []string {
	return strings.Fields(os.Getenv("FLOWLAB_BENCH_WORKER_ENV"))
}

// memWorkerMemory is where a worker's memory goes: anonymous and file-backed
// resident pages (/proc), and the Go runtime's and the Temporal SDK's own
// figures from the worker's /metrics.
type memWorkerMemory struct {
	RssAnonMiB   float64 `json:"rss_anon_mib"`
	RssFileMiB   float64 `json:"rss_file_mib"`
	HeapInuseMiB float64 `json:"go_heap_inuse_mib"`
	StackMiB     float64 `json:"go_stack_inuse_mib"`
	Goroutines   float64 `json:"goroutines"`
	StickyCache  float64 `json:"temporal_sticky_cache_size"`
}

func (m memWorkerMemory) String() string {
	return fmt.Sprintf("anon %.1f MiB, file %.1f MiB, Go heap in use %.1f MiB, stacks %.1f MiB, %.0f goroutines, sticky cache %.0f workflows",
		m.RssAnonMiB, m.RssFileMiB, m.HeapInuseMiB, m.StackMiB, m.Goroutines, m.StickyCache)
}

// memReadWorker reads what it can; a figure it cannot read stays 0.
func memReadWorker(ctx context.Context, pid int, metricsAddr string) memWorkerMemory {
	var m memWorkerMemory
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			k, v, ok := strings.Cut(line, ":")
			if !ok {
				continue
			}
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err != nil {
				continue
			}
			switch k {
			case "RssAnon":
				m.RssAnonMiB = kb / 1024
			case "RssFile":
				m.RssFileMiB = kb / 1024
			}
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metricsAddr+"/metrics", nil)
	if err != nil {
		return m
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return m
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		name, val, ok := strings.Cut(sc.Text(), " ")
		if !ok || strings.HasPrefix(name, "#") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			continue
		}
		switch {
		case name == "go_memstats_heap_inuse_bytes":
			m.HeapInuseMiB = f / (1 << 20)
		case name == "go_memstats_stack_inuse_bytes":
			m.StackMiB = f / (1 << 20)
		case name == "go_goroutines":
			m.Goroutines = f
		case strings.HasPrefix(name, "temporal_sticky_cache_size"):
			m.StickyCache = f
		}
	}
	return m
}

// memSaveHeapProfile saves the worker's heap profile (a worker started with
// FLOWLAB_DEBUG_PPROF=1, through FLOWLAB_BENCH_WORKER_ENV) to path.
func memSaveHeapProfile(ctx context.Context, metricsAddr, path string, e env) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+metricsAddr+"/debug/pprof/heap?gc=1", nil)
	if err == nil {
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			defer resp.Body.Close()
			var b []byte
			if b, err = io.ReadAll(resp.Body); err == nil && resp.StatusCode != http.StatusOK {
				err = fmt.Errorf("%s: %s", resp.Status, b)
			}
			if err == nil {
				err = os.WriteFile(path, b, 0o644)
			}
		}
	}
	if err != nil {
		e.Logf("memory: heap profile: %v", err)
		return
	}
	e.Logf("memory: heap profile in %s", path)
}
