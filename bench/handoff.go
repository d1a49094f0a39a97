package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/e2e/cluster"
)

// The handoff scenario: the time from POST /api/v1/tasks/{id}/complete
// returning to the next task appearing in the next department's inbox
// query, at fixed completion rates, on the production topology on
// PostgreSQL. Beside it, in the same run: the inbox query's own round trip
// on the same server (the floor of any handoff a client can observe) and a
// bare Temporal Update that runs two no-op activities (close, open) on the
// same Temporal server (the floor of the completion itself).
func init() {
	register(scenario{
		Name:  "handoff",
		Brief: "complete → next task in the next department's inbox, p50/p95/p99 at 5, 20, 50 completions/s (PostgreSQL topology)",
		Run:   runHandoff,
	})
}

// handoffPoll is the pause between two inbox queries while the next task
// has not appeared; handoffWait bounds the wait.
const (
	handoffPoll = 2 * time.Millisecond
	handoffWait = 5 * time.Second
)

// handoffRow is one rate's figures.
type handoffRow struct {
	Rate int `json:"rate_per_s"`
	// Handoff: complete returned → the next task is in the inbox query.
	Handoff kit.Summary `json:"handoff"`
	// Polls is the mean number of inbox queries a handoff took.
	Polls float64 `json:"polls_per_handoff"`
	// Complete: the completion's round trip (sent → answered).
	Complete kit.Summary `json:"complete"`
	// Inbox: the inbox query alone at the same rate (baseline).
	Inbox kit.Summary `json:"inbox_query_baseline"`
	// Bare: a Temporal Update running two no-op activities (baseline of
	// Complete).
	Bare kit.Summary `json:"bare_update_baseline"`
}

func runHandoff(ctx context.Context, e env) (*kit.Result, error) {
	rates := e.sizes([]int{20}, []int{5, 20, 50})
	res := kit.NewResult("handoff", "rate/s", "n", "handoff p50 ms", "p95", "p99", "max", "polls",
		"inbox query p50 (baseline)", "p99", "complete p50 ms", "p99", "bare update p50 (baseline)", "p99", "errors")
	res.Params["topology"] = "flowlab server + 2 workers + temporal-server on PostgreSQL 15, separate processes, loopback"
	res.Params["poll"] = handoffPoll.String()
	res.Params["flow"] = "complaint v1: record (customer_service) → investigate (technical)"
	var rows []handoffRow
	err := withHarness("handoff", e.Log, func(t *harnessT) error {
		c := cluster.Start(t, cluster.Options{Workers: 2, ServerEnv: []string{"FLOWLAB_RATE_LIMIT=off"}})
		e.Logf("topology up in %s (API %s, Temporal %s)", c.Startup.Round(time.Millisecond), c.API, c.TemporalAddr)
		hc := loadClient()
		// A completion may take as long as the server's engine timeout
		// (30 s): its answer, not the client's patience, ends it.
		completer := loadClient()
		completer.Timeout = 45 * time.Second
		api := cluster.NewAPI(c.API)
		cs, err := api.Token(ctx, c.AdminToken, "bench customer service", "customer_service")
		if err != nil {
			return err
		}
		tech, err := api.Token(ctx, c.AdminToken, "bench technical", "technical")
		if err != nil {
			return err
		}
		bare, err := startBareUpdates(ctx, c.TemporalAddr, e)
		if err != nil {
			return err
		}
		defer bare.Close()
		rng := rand.New(rand.NewPCG(7, 7))
		for _, rate := range rates {
			d := handoffDuration(e.Quick, rate)
			n := int(float64(rate) * d.Seconds())
			e.Logf("rate %d/s: creating %d complaints and waiting for their first task", rate, n)
			tasks, err := openFirstTasks(ctx, api, hc, c, cs, fmt.Sprintf("handoff-%d", rate), n, rng)
			if err != nil {
				return err
			}
			row, err := measureHandoff(ctx, hc, completer, c.API, cs, tech, tasks, rate, d)
			if err != nil {
				return err
			}
			if row.Handoff.N == 0 {
				// Nothing got through at this rate: the row shows it (n 0,
				// every arrival an error); the higher rates would only
				// pile more on a system that is not keeping up.
				e.Logf("rate %d/s: no handoff measured: %v", rate, row.Handoff.Failed)
				rows = append(rows, row)
				break
			}
			e.Logf("rate %d/s: handoff %s", rate, row.Handoff)
			row.Inbox, err = measureInbox(ctx, hc, c.API, tech, tasks, rate, d)
			if err != nil {
				return err
			}
			e.Logf("rate %d/s: inbox query %s", rate, row.Inbox)
			row.Bare, err = bare.Measure(ctx, rate, d)
			if err != nil {
				return err
			}
			e.Logf("rate %d/s: bare update %s; complete %s", rate, row.Bare, row.Complete)
			rows = append(rows, row)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		res.Row(r.Rate, r.Handoff.N, r.Handoff.P50, r.Handoff.P95, r.Handoff.P99, r.Handoff.Max, r.Polls,
			r.Inbox.P50, r.Inbox.P99, r.Complete.P50, r.Complete.P99, r.Bare.P50, r.Bare.P99,
			r.Handoff.Errors+r.Inbox.Errors+r.Bare.Errors)
		if r.Handoff.N == 0 {
			res.Note("rate %d/s: no completion was answered in time; the rates above it were not run", r.Rate)
		}
		if r.Rate == 20 {
			res.Target("handoff p99 at 20 completions/s on PostgreSQL", "≤ 100 ms",
				fmt.Sprintf("%.1f ms (inbox query alone %.1f ms)", r.Handoff.P99, r.Inbox.P99),
				r.Handoff.N > 0 && r.Handoff.Errors == 0 && r.Handoff.P99 <= 100)
		}
	}
	if len(res.Targets) == 0 {
		res.Target("handoff p99 at 20 completions/s on PostgreSQL", "≤ 100 ms", "not run (rate 20/s not among the sizes)", false)
	}
	res.Note("handoff: from the complete call's answer to the first inbox query (GET /api/v1/tasks?department=technical&status=open&case_id=…) that lists the next task, polled every %s; the complete Update answers once the case is at rest, so the next task is normally written before the answer", handoffPoll)
	res.Note("baselines, same run, same rate: the inbox query alone on the same server (the floor of any handoff a client can see), and a bare Temporal Update whose handler runs two no-op activities on the same Temporal server (the floor of the completion)")
	res.Data = rows
	return res, nil
}

// handoffDuration is how long one rate runs: long enough for a few
// hundred handoffs, bounded.
func handoffDuration(quick bool, rate int) time.Duration {
	if quick {
		return 3 * time.Second
	}
	return time.Duration(max(15, min(40, 300/max(rate, 1)))) * time.Second
}

// firstTask is a case whose first task (record, customer_service) is open.
type firstTask struct {
	CaseID, TaskID string
}

// openFirstTasks creates n complaints through the API (8 at a time) and
// waits until each one's first task is open.
func openFirstTasks(ctx context.Context, api *cluster.API, hc *http.Client, c *cluster.Cluster, token, prefix string, n int, rng *rand.Rand) ([]firstTask, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	out := make([]firstTask, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	seed := rng.Uint64()
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				key := fmt.Sprintf("%s-%d-%d", prefix, seed, i)
				id, err := cluster.CreateCase(ctx, api, c.AdminToken, key, map[string]any{
					"flow": "complaint", "customer": key, "channel": "chat",
					"attributes": map[string]any{"severity": "primary"}})
				if err != nil {
					errs <- err
					cancel()
					return
				}
				task, err := waitOpenTask(ctx, hc, c.API, token, "customer_service", id)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				out[i] = firstTask{CaseID: id, TaskID: task}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return out, ctx.Err()
}

// waitOpenTask polls the department's inbox query for the case until it
// lists an open task, and returns its id.
func waitOpenTask(ctx context.Context, hc *http.Client, base, token, dept, caseID string) (string, error) {
	for {
		id, err := inboxTask(ctx, hc, base, token, dept, caseID)
		if err != nil {
			return "", err
		}
		if id != "" {
			return id, nil
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("case %s: no open %s task: %w", caseID, dept, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// inboxTask runs the department's inbox query narrowed to one case and
// returns the open task it lists ("" none).
func inboxTask(ctx context.Context, hc *http.Client, base, token, dept, caseID string) (string, error) {
	list, err := benchClient(hc, base, token).ListTasks(ctx, apiv1.ListTasksParams{Department: dept, Status: apiv1.TaskOpen, CaseID: caseID})
	if err != nil {
		return "", fmt.Errorf("inbox: %w", err)
	}
	if len(list.Tasks) == 0 {
		return "", nil
	}
	return list.Tasks[0].ID, nil
}

// measureHandoff completes the tasks at rate for d (open loop) and, after
// each answer, polls the technical inbox until the case's next task is in
// it.
func measureHandoff(ctx context.Context, hc, completer *http.Client, base, cs, tech string, tasks []firstTask, rate int, d time.Duration) (handoffRow, error) {
	row := handoffRow{Rate: rate}
	var handoff, complete kit.Latencies
	var polls atomic.Int64
	var calls atomic.Int64
	_, err := kit.Load{Rate: float64(rate), Duration: d}.Run(ctx, func(ctx context.Context, i int) error {
		calls.Add(1)
		t := tasks[i]
		sent := time.Now()
		_, err := benchClient(completer, base, cs).CompleteTask(ctx, apiv1.CompleteParams{ID: t.TaskID, IdempotencyKey: "bench-" + t.TaskID},
			apiv1.CompleteRequest{Outcome: "recorded", Data: map[string]any{"severity": "primary", "summary": "bench handoff"}})
		if err != nil {
			complete.Fail(err)
			handoff.Fail(err)
			return err
		}
		answered := time.Now()
		complete.Add(answered.Sub(sent))
		deadline := answered.Add(handoffWait)
		for {
			polls.Add(1)
			id, err := inboxTask(ctx, hc, base, tech, "technical", t.CaseID)
			if err != nil {
				handoff.Fail(err)
				return err
			}
			if id != "" {
				handoff.Add(time.Since(answered))
				return nil
			}
			if time.Now().After(deadline) {
				err := fmt.Errorf("case %s: next task not in the technical inbox %s after the completion", t.CaseID, handoffWait)
				handoff.Fail(err)
				return err
			}
			time.Sleep(handoffPoll)
		}
	})
	if err != nil {
		return row, err
	}
	// Arrivals the generator could not send (too many in flight) count
	// against both.
	for range int64(len(tasks)) - calls.Load() {
		handoff.Fail(kit.ErrOverloaded)
		complete.Fail(kit.ErrOverloaded)
	}
	row.Handoff, row.Complete = handoff.Summary(), complete.Summary()
	if row.Handoff.N > 0 {
		// Per handoff seen (a completion that failed made no poll).
		row.Polls = float64(polls.Load()) / float64(row.Handoff.N)
	}
	return row, nil
}

// measureInbox runs the same inbox query (technical, one case, the next
// task now in it) at rate for d: the handoff's floor.
func measureInbox(ctx context.Context, hc *http.Client, base, tech string, tasks []firstTask, rate int, d time.Duration) (kit.Summary, error) {
	lat, err := kit.Load{Rate: float64(rate), Duration: d}.Run(ctx, func(ctx context.Context, i int) error {
		id, err := inboxTask(ctx, hc, base, tech, "technical", tasks[i%len(tasks)].CaseID)
		if err == nil && id == "" {
			err = errors.New("inbox query: the next task is missing")
		}
		return err
	})
	if err != nil {
		return kit.Summary{}, err
	}
	return lat.Summary(), nil
}
