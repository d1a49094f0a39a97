package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/proto"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/e2e/cluster"
)

// Engine overhead: complaint cases driven through flowlab's HTTP API by
// agents that complete every task the moment it opens, against a bare
// Temporal workflow with the same number of activities and Updates per
// case, on the same Temporal server in the same run: once on the embedded
// server (`flowlab dev`: SQLite) and once on Temporal on PostgreSQL (the
// production topology: `flowlab temporal-server`, `flowlab server`, one
// `flowlab worker`).

func init() {
	register(scenario{
		Name:  "overhead",
		Brief: "complaint cases/s through flowlab vs a bare Temporal workflow with the same activities and Updates (embedded SQLite and PostgreSQL)",
		Run:   runOverhead,
	})
}

// overheadConcurrency is how many cases run at once (each side).
const overheadConcurrency = 16

// ovhHistoryCounts are the events of one case's history that cost the
// engine something.
type ovhHistoryCounts struct {
	Events        int `json:"events"`
	WorkflowTasks int `json:"workflow_tasks"`
	Activities    int `json:"activities"`
	// LocalActivities counts local activities (their markers).
	LocalActivities int `json:"local_activities"`
	Updates         int `json:"updates"`
	Timers          int `json:"timers"`
	SearchAttrs     int `json:"search_attribute_upserts"`
	// Bytes is the history's encoded size (the sum of its events' protobuf
	// sizes), what the server persists and ships to workers.
	Bytes int `json:"history_bytes"`
}

// overheadRun is one side's run at one size.
type overheadRun struct {
	Server  string      `json:"server"`
	Side    string      `json:"side"` // flowlab or bare
	Cases   int         `json:"cases"`
	Wall    float64     `json:"wall_s"`
	PerSec  float64     `json:"cases_per_s"`
	Latency kit.Summary `json:"case_latency"`
	Errors  int         `json:"errors"`
	// CPUms is the CPU time per case by process, in milliseconds.
	CPUms map[string]float64 `json:"cpu_ms_per_case"`
}

type overheadData struct {
	Concurrency int                         `json:"concurrency"`
	Counts      map[string]ovhHistoryCounts `json:"history_counts"` // by "<server>/<side>"
	Plan        barePlan                    `json:"bare_plan"`
	Runs        []overheadRun               `json:"runs"`
}

// overheadTarget is a service under test: the flowlab API and the Temporal
// frontend its worker uses.
type overheadTarget struct {
	name     string
	api      *cluster.API
	admin    string
	temporal client.Client
	// cpu are the processes whose CPU time is charged to a run.
	cpu []ovhCPUGroup
}

func runOverhead(ctx context.Context, e env) (*kit.Result, error) {
	sizes := e.sizes([]int{5}, []int{50, 200})
	res := kit.NewResult("overhead", "server", "cases", "flowlab cases/s", "bare cases/s", "ratio", "flowlab p50 case", "bare p50 case", "flowlab CPU ms/case", "bare CPU ms/case",
		"bare regular cases/s", "ratio to regular", "errors")
	res.Params["concurrency"] = strconv.Itoa(overheadConcurrency)
	res.Params["sizes"] = fmt.Sprint(sizes)
	data := &overheadData{Concurrency: overheadConcurrency, Counts: map[string]ovhHistoryCounts{}}
	res.Data = data
	ratios := map[string]float64{}
	regRatios := map[string]float64{} // against the all-regular bare workflow

	servers := []struct {
		name  string
		start func(t *harnessT) (overheadTarget, error)
	}{
		{"embedded (flowlab dev, SQLite)", func(t *harnessT) (overheadTarget, error) { return startDevTarget(ctx, t, e) }},
		{"PostgreSQL (temporal-server, server, worker)", func(t *harnessT) (overheadTarget, error) { return startClusterTarget(ctx, t, e) }},
	}
	switch os.Getenv("FLOWLAB_BENCH_OVERHEAD_SERVER") {
	case "embedded":
		servers = servers[:1]
	case "postgres":
		servers = servers[1:]
	}
	if e.Quick {
		// The smoke test's budget holds one server; the embedded one needs
		// nothing installed.
		servers = servers[:1]
		res.Note("quick mode runs the embedded server only")
	}
	for _, srv := range servers {
		e.Logf("overhead: starting %s", srv.name)
		err := withHarness("overhead", e.Log, func(t *harnessT) error {
			tg, err := srv.start(t)
			if err != nil {
				return err
			}
			tg.name = srv.name
			defer tg.temporal.Close()
			bw, err := startBareWorker(tg.temporal)
			if err != nil {
				return err
			}
			defer bw.Stop()
			tokens, err := ovhDepartmentTokens(ctx, tg.api, tg.admin)
			if err != nil {
				return err
			}
			// One case of each, unmeasured: it warms both paths up and its
			// history gives the counts the bare plan copies.
			fl := &ovhFlowlabDriver{api: tg.api, admin: tg.admin, tokens: tokens, temporal: tg.temporal, prefix: "warm"}
			wfID, err := fl.run(ctx, 0)
			if err != nil {
				return fmt.Errorf("%s: warm-up case: %w", srv.name, err)
			}
			fc, err := ovhCountHistory(ctx, tg.temporal, wfID)
			if err != nil {
				return err
			}
			plan, err := barePlanFor(fc.Activities+fc.LocalActivities, fc.Updates)
			if err != nil {
				return err
			}
			if plan, err = plan.withLocal(fc.LocalActivities); err != nil {
				return err
			}
			data.Plan = plan
			warmBare := fmt.Sprintf("bench-bare-warm-%d", time.Now().UnixNano())
			if err := runBareCase(ctx, tg.temporal, warmBare, plan); err != nil {
				return fmt.Errorf("%s: warm-up bare case: %w", srv.name, err)
			}
			bc, err := ovhCountHistory(ctx, tg.temporal, warmBare)
			if err != nil {
				return err
			}
			if bc.Activities != fc.Activities || bc.LocalActivities != fc.LocalActivities || bc.Updates != fc.Updates {
				return fmt.Errorf("%s: bare case does %d activities, %d local activities and %d updates, a complaint case %d, %d and %d",
					srv.name, bc.Activities, bc.LocalActivities, bc.Updates, fc.Activities, fc.LocalActivities, fc.Updates)
			}
			data.Counts[srv.name+"/flowlab"] = fc
			data.Counts[srv.name+"/bare"] = bc
			e.Logf("overhead: per case: flowlab %+v; bare %+v", fc, bc)

			for si, n := range sizes {
				bare := func(ctx context.Context, i int) error {
					return runBareCase(ctx, tg.temporal, fmt.Sprintf("bench-bare-%d-%d-%d", time.Now().UnixNano(), si, i), plan)
				}
				fl.prefix = fmt.Sprintf("s%d-%d", si, time.Now().UnixNano())
				flow := func(ctx context.Context, i int) error {
					_, err := fl.run(ctx, i)
					return err
				}
				// Each side has the server to itself, in halves ordered bare,
				// (bare with regular activities,) flowlab, flowlab, (…,)
				// bare, so that a drift in the machine's load (it is shared)
				// falls on every side alike.
				sides := []ovhSide{{"bare", bare}, {"flowlab", flow}}
				if plan.LocalBefore+plan.LocalAfter > 0 {
					// The same bare case with regular activities: what the
					// same workflow costs written the common way.
					regular := plan
					regular.LocalBefore, regular.LocalAfter = 0, 0
					sides = []ovhSide{{"bare", bare}, {"bare regular", func(ctx context.Context, i int) error {
						return runBareCase(ctx, tg.temporal, fmt.Sprintf("bench-bare-reg-%d-%d-%d", time.Now().UnixNano(), si, i), regular)
					}}, {"flowlab", flow}}
				}
				runs, err := ovhMirrored(ctx, e, n, tg.cpu, sides...)
				if err != nil {
					return err
				}
				b, f := runs[0], runs[len(runs)-1]
				regPerSec, regRatio := 0.0, 0.0
				if len(runs) == 3 {
					rg := runs[1]
					rr := overheadRun{Server: srv.name, Side: "bare regular", Cases: n, Wall: rg.wall.Seconds(), PerSec: rg.perSec(), Latency: rg.lat.Summary()}
					rr.Errors, rr.CPUms = rr.Latency.Errors, rg.cpuPerCase(tg.cpu)
					data.Runs = append(data.Runs, rr)
					regPerSec = rr.PerSec
					if regPerSec > 0 {
						regRatio = f.perSec() / regPerSec
					}
					e.Logf("overhead: bare with regular activities %.2f/s (%s), CPU ms per case %v", regPerSec, rr.Latency, rr.CPUms)
				}
				br := overheadRun{Server: srv.name, Side: "bare", Cases: n, Wall: b.wall.Seconds(), PerSec: b.perSec(), Latency: b.lat.Summary()}
				fr := overheadRun{Server: srv.name, Side: "flowlab", Cases: n, Wall: f.wall.Seconds(), PerSec: f.perSec(), Latency: f.lat.Summary()}
				br.Errors, fr.Errors = br.Latency.Errors, fr.Latency.Errors
				br.CPUms, fr.CPUms = b.cpuPerCase(tg.cpu), f.cpuPerCase(tg.cpu)
				e.Logf("overhead: CPU ms per case: flowlab %v; bare %v", fr.CPUms, br.CPUms)
				data.Runs = append(data.Runs, br, fr)
				ratio := 0.0
				if br.PerSec > 0 {
					ratio = fr.PerSec / br.PerSec
				}
				ratios[srv.name] = ratio // the largest size's ratio is the verdict
				if regPerSec > 0 {
					regRatios[srv.name] = regRatio
				}
				e.Logf("overhead: %s, %d cases: flowlab %.2f/s (%s), bare %.2f/s (%s), ratio %.2f",
					srv.name, n, fr.PerSec, fr.Latency, br.PerSec, br.Latency, ratio)
				res.Row(srv.name, n, fr.PerSec, br.PerSec, ratio,
					time.Duration(fr.Latency.P50*float64(time.Millisecond)), time.Duration(br.Latency.P50*float64(time.Millisecond)),
					fr.CPUms["total"], br.CPUms["total"], regPerSec, regRatio,
					fmt.Sprintf("%d/%d", fr.Errors, br.Errors))
				if fr.Errors > 0 || br.Errors > 0 {
					res.Note("%s, %d cases: failures flowlab %v, bare %v", srv.name, n, fr.Latency.Failed, br.Latency.Failed)
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", srv.name, err)
		}
	}
	for _, srv := range servers {
		c := data.Counts[srv.name+"/flowlab"]
		b := data.Counts[srv.name+"/bare"]
		res.Note("%s: per case, flowlab: %d activities, %d local activities, %d Updates, %d timers, %d search attribute upserts, %d workflow tasks, %d events, %d history bytes; bare: %d activities, %d local activities, %d Updates, %d workflow tasks, %d events, %d history bytes",
			srv.name, c.Activities, c.LocalActivities, c.Updates, c.Timers, c.SearchAttrs, c.WorkflowTasks, c.Events, c.Bytes,
			b.Activities, b.LocalActivities, b.Updates, b.WorkflowTasks, b.Events, b.Bytes)
		n := sizes[len(sizes)-1]
		if rr, ok := regRatios[srv.name]; ok {
			// Two baselines: the same workflow written the common way
			// (every activity regular), and one that also runs as local
			// activities what flowlab runs as local activities.
			res.Target("engine overhead, "+srv.name+", vs bare Temporal with the same activities and Updates (regular activities)",
				"flowlab ≥ 0.8 × bare cases/s", fmt.Sprintf("%.2f× at %d cases", rr, n), rr >= 0.8)
			r := ratios[srv.name]
			res.Target("engine overhead, "+srv.name+", vs bare Temporal with the same activity kinds (local where flowlab's are)",
				"flowlab ≥ 0.8 × bare cases/s", fmt.Sprintf("%.2f× at %d cases", r, n), r >= 0.8)
			continue
		}
		r := ratios[srv.name]
		res.Target("engine overhead, "+srv.name, "flowlab ≥ 0.8 × bare Temporal cases/s", fmt.Sprintf("%.2f× at %d cases", r, n), r >= 0.8)
	}
	res.Note("closed loop: %d cases in flight per side; a case is timed from its start to its workflow's close; at each size the sides run in halves ordered bare, (bare regular,) flowlab, flowlab, (bare regular,) bare (each alone on the server), so a drift in the shared machine's load falls on all", overheadConcurrency)
	res.Note("bare runs as many regular and local activities as the complaint case (flowlab's UpdateCase and RecordSpan are local activities since decision 0018), with no-op bodies; bare regular is the same workflow with regular activities, the common way to write it; ratio to regular = flowlab cases/s ÷ bare regular cases/s")
	res.Note("CPU ms/case: user+system CPU time per case of every process of the run (/proc/PID/stat), the benchmark's own process (clients; the bare side's worker) included; per process in the JSON")
	res.Note("flowlab side: POST /api/v1/cases, GET /api/v1/tasks?case_id=…&status=open until the first task is open (from 10 ms doubling to 200 ms), then POST /api/v1/tasks/{id}/complete with the department's staff token and the form filled, the next task taken from the answer; no claim, no think time; FLOWLAB_RATE_LIMIT=off")
	return res, nil
}

// ovhSide is one side of the comparison: its name and how to run case i.
type ovhSide struct {
	name string
	run  func(ctx context.Context, i int) error
}

// ovhMirrored runs n cases of each side in halves, the first halves in
// the sides' order and the second ones in reverse (a, b, c, c, b, a),
// charging each half the CPU time groups used meanwhile.
func ovhMirrored(ctx context.Context, e env, n int, groups []ovhCPUGroup, sides ...ovhSide) ([]ovhLoopResult, error) {
	first := (n + 1) / 2
	res := make([]ovhLoopResult, len(sides))
	type part struct {
		side     int
		from, to int
	}
	var parts []part
	for i := range sides {
		res[i] = ovhLoopResult{lat: &kit.Latencies{}, cpu: make([]float64, len(groups))}
		parts = append(parts, part{i, 0, first})
	}
	for i := len(sides) - 1; i >= 0; i-- {
		parts = append(parts, part{i, first, n})
	}
	for _, p := range parts {
		if p.to <= p.from {
			continue
		}
		sd, into := sides[p.side], &res[p.side]
		e.Logf("overhead: %s cases %d-%d of %d", sd.name, p.from+1, p.to, n)
		from := p.from
		before := ovhCPUSnapshot(groups)
		wall, err := ovhClosedLoop(ctx, p.to-from, overheadConcurrency, into.lat,
			func(ctx context.Context, i int) error { return sd.run(ctx, from+i) })
		after := ovhCPUSnapshot(groups)
		for i := range groups {
			into.cpu[i] += after[i] - before[i]
		}
		into.wall += wall
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// ovhLoopResult is one side's closed-loop runs.
type ovhLoopResult struct {
	wall time.Duration
	lat  *kit.Latencies
	cpu  []float64 // seconds, by cpu group
}

// cpuPerCase is the CPU milliseconds per completed case, by group name.
func (r ovhLoopResult) cpuPerCase(groups []ovhCPUGroup) map[string]float64 {
	n := r.lat.Summary().N
	out := make(map[string]float64, len(groups)+1)
	if n == 0 {
		return out
	}
	total := 0.0
	for i, g := range groups {
		ms := r.cpu[i] * 1000 / float64(n)
		out[g.Name] = math.Round(ms*10) / 10
		total += ms
	}
	out["total"] = math.Round(total*10) / 10
	return out
}

func (r ovhLoopResult) perSec() float64 {
	s := r.lat.Summary()
	if r.wall <= 0 {
		return 0
	}
	return float64(s.N) / r.wall.Seconds()
}

// ovhClosedLoop runs fn for i in [0, n), at most k at a time, records each
// call in lat and returns the wall time of the whole. A call is bounded by
// overheadCaseTimeout.
func ovhClosedLoop(ctx context.Context, n, k int, lat *kit.Latencies, fn func(ctx context.Context, i int) error) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < min(k, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				cctx, cancel := context.WithTimeout(ctx, overheadCaseTimeout)
				t0 := time.Now()
				err := fn(cctx, i)
				cancel()
				if err != nil {
					lat.Fail(err)
					continue
				}
				lat.Add(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	return time.Since(start), ctx.Err()
}

const overheadCaseTimeout = 2 * time.Minute

// ovhFlowlabDriver drives complaint cases through the HTTP API.
type ovhFlowlabDriver struct {
	api      *cluster.API
	admin    string
	tokens   map[string]string // staff token by department
	temporal client.Client
	prefix   string
}

// client is a typed client of the driver's API as token; it waits out
// 429s as long as a case may take, as cluster.API does.
func (d *ovhFlowlabDriver) client(token string) *apiv1.Client {
	return &apiv1.Client{BaseURL: d.api.Base, Token: token, HTTP: d.api.HTTP, RateWait: overheadCaseTimeout}
}

// run creates case i, completes each task the moment it is known, and
// waits for the case's workflow to close; it returns the workflow id.
func (d *ovhFlowlabDriver) run(ctx context.Context, i int) (string, error) {
	rng := rand.New(rand.NewPCG(uint64(i), 7))
	key := fmt.Sprintf("bench-%s-%d", d.prefix, i)
	id, err := cluster.CreateCase(ctx, d.api, d.admin, key, map[string]any{
		"flow": "complaint", "customer": key, "channel": "chat",
		"attributes": map[string]any{"severity": "primary"},
	})
	if err != nil {
		return "", err
	}
	// The first task: polled through the case's open tasks (one indexed
	// query), from 10 ms doubling to 200 ms, as a client waiting for it
	// would. GET /api/v1/cases/{id} would do too, but reads the spans and
	// the definition as well, which is not what an agent waiting costs;
	// polling faster costs flowlab CPU the bare side does not spend (its
	// first Update waits in the workflow), and the more so the longer the
	// first task takes to open on a loaded machine.
	task, err := d.openTask(ctx, id)
	if err != nil {
		return "", err
	}
	// The workflow id is the server's: <flow key>-<case id>.
	workflowID := "complaint-" + id
	for {
		tok, ok := d.tokens[task.Department]
		if !ok {
			return "", fmt.Errorf("case %s: task %s of department %q: no agent", id, task.ID, task.Department)
		}
		ans, err := d.complete(ctx, tok, task, ovhFormData(task, rng))
		if err != nil {
			return "", err
		}
		if ans.CaseStatus != apiv1.CaseActive {
			if ans.CaseStatus != apiv1.CaseCompleted {
				return "", fmt.Errorf("case %s ended %s", id, ans.CaseStatus)
			}
			break
		}
		if len(ans.Next) == 0 {
			// A retried completion (the first answered 503 when the engine
			// took longer than the server's timeout) replays the stored
			// answer, whose next task may not be open yet: poll for it.
			next, err := d.openTask(ctx, id)
			if err != nil {
				return "", fmt.Errorf("after completing %s: %w", task.Step, err)
			}
			ans.Next = []apiv1.Task{next}
		}
		task = ans.Next[0]
	}
	if err := d.temporal.GetWorkflow(ctx, workflowID, "").Get(ctx, nil); err != nil {
		return "", fmt.Errorf("case %s workflow: %w", id, err)
	}
	return workflowID, nil
}

// openTask polls case id's open tasks until there is one.
func (d *ovhFlowlabDriver) openTask(ctx context.Context, id string) (apiv1.Task, error) {
	c := d.client(d.admin)
	wait := 10 * time.Millisecond
	for {
		open, err := c.ListTasks(ctx, apiv1.ListTasksParams{Status: apiv1.TaskOpen, Limit: 1, CaseID: id})
		if err != nil {
			return apiv1.Task{}, fmt.Errorf("case %s: %w", id, err)
		}
		if len(open.Tasks) > 0 {
			return open.Tasks[0], nil
		}
		if err := ovhSleep(ctx, wait); err != nil {
			return apiv1.Task{}, fmt.Errorf("case %s: no task opened: %w", id, err)
		}
		wait = min(2*wait, 200*time.Millisecond)
	}
}

// complete completes t with its first outcome, retrying 5xx and transport
// errors with the same Idempotency-Key.
func (d *ovhFlowlabDriver) complete(ctx context.Context, token string, t apiv1.Task, data map[string]any) (*apiv1.CompleteResponse, error) {
	c := d.client(token)
	params := apiv1.CompleteParams{ID: t.ID, IdempotencyKey: "bench-" + t.ID}
	for {
		ans, err := c.CompleteTask(ctx, params, apiv1.CompleteRequest{Outcome: t.Outcomes[0], Data: data})
		if err == nil {
			return ans, nil
		}
		var p *apiv1.Problem
		if errors.As(err, &p) && p.Status < 500 {
			return nil, fmt.Errorf("complete %s (%s): %w", t.ID, t.Step, err)
		}
		if serr := ovhSleep(ctx, 100*time.Millisecond); serr != nil {
			return nil, fmt.Errorf("complete %s: %v: %w", t.ID, err, serr)
		}
	}
}

// ovhFormData fills a task's form as cluster.FormData does for the
// cluster's agents (the same values for the same rng).
func ovhFormData(t apiv1.Task, rng *rand.Rand) map[string]any {
	d := map[string]any{}
	for _, f := range t.Form {
		switch f.Type {
		case "number":
			d[f.Name] = 10 + rng.IntN(500)
		case "bool":
			d[f.Name] = rng.IntN(2) == 0
		case "enum":
			d[f.Name] = f.Options[rng.IntN(len(f.Options))]
		default:
			d[f.Name] = "crash test " + f.Name
		}
	}
	return d
}

func ovhSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ovhDepartmentTokens creates one staff token per department of the
// complaint flow.
func ovhDepartmentTokens(ctx context.Context, api *cluster.API, admin string) (map[string]string, error) {
	out := map[string]string{}
	for _, d := range cluster.Departments {
		tok, err := api.Token(ctx, admin, "bench "+d, d)
		if err != nil {
			return nil, fmt.Errorf("token for %s: %w", d, err)
		}
		out[d] = tok
	}
	return out, nil
}

// ovhCountHistory counts a workflow's events by what they cost.
func ovhCountHistory(ctx context.Context, c client.Client, wfID string) (ovhHistoryCounts, error) {
	var hc ovhHistoryCounts
	it := c.GetWorkflowHistory(ctx, wfID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			return hc, fmt.Errorf("history of %s: %w", wfID, err)
		}
		hc.Events++
		hc.Bytes += proto.Size(ev)
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
			hc.WorkflowTasks++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
			hc.Activities++
		case enumspb.EVENT_TYPE_MARKER_RECORDED:
			if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == "LocalActivity" {
				hc.LocalActivities++
			}
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
			hc.Updates++
		case enumspb.EVENT_TYPE_TIMER_STARTED:
			hc.Timers++
		case enumspb.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
			hc.SearchAttrs++
		}
	}
	return hc, nil
}

// ovhAPI is an API client whose connection pool keeps enough idle
// connections for the scenario's concurrency (the default keeps two per
// host, so most requests would open a new connection).
func ovhAPI(base string) *cluster.API {
	api := cluster.NewAPI(base)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	api.HTTP = &http.Client{Timeout: 45 * time.Second, Transport: tr}
	return api
}

// ovhDialTemporal connects a client to a frontend, logging warnings only.
func ovhDialTemporal(ctx context.Context, hostPort string, log io.Writer) (client.Client, error) {
	logger := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn})))
	var c client.Client
	var err error
	for range 50 {
		if c, err = client.DialContext(ctx, client.Options{HostPort: hostPort, Namespace: "default", Logger: logger}); err == nil {
			return c, nil
		}
		if serr := ovhSleep(ctx, 200*time.Millisecond); serr != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial Temporal at %s: %w", hostPort, err)
}

// startDevTarget runs `flowlab dev` (embedded Temporal on a SQLite file,
// SQLite store, worker and API in one process) without the rate limit.
func startDevTarget(ctx context.Context, t *harnessT, e env) (overheadTarget, error) {
	bin := cluster.Binary(t)
	dir := t.TempDir()
	addr, err := cluster.FreeAddr()
	if err != nil {
		return overheadTarget{}, err
	}
	taddr, err := cluster.FreeAddr()
	if err != nil {
		return overheadTarget{}, err
	}
	_, tport, _ := net.SplitHostPort(taddr)
	p := &cluster.Process{Name: "dev", Bin: bin, LogPath: filepath.Join(dir, "dev.log"),
		Args: []string{"dev", "--data", filepath.Join(dir, "data"), "--addr", addr, "--temporal-port", tport, "--log-level", "warn"},
		Env:  []string{"FLOWLAB_ADMIN_TOKEN=" + cluster.DefaultAdminToken, "FLOWLAB_RATE_LIMIT=off"}}
	if err := p.Start(); err != nil {
		return overheadTarget{}, err
	}
	t.Cleanup(p.Kill)
	if err := cluster.WaitHealthy("http://"+addr, p, 2*time.Minute); err != nil {
		return overheadTarget{}, err
	}
	tc, err := ovhDialTemporal(ctx, taddr, e.Log)
	if err != nil {
		return overheadTarget{}, err
	}
	return overheadTarget{api: ovhAPI("http://" + addr), admin: cluster.DefaultAdminToken, temporal: tc,
		cpu: []ovhCPUGroup{{Name: "flowlab dev", Pid: p.Pid}, {Name: "bench", Pid: os.Getpid}}}, nil
}

// startClusterTarget runs the production topology with one worker, the
// server restarted without the rate limit.
func startClusterTarget(ctx context.Context, t *harnessT, e env) (overheadTarget, error) {
	c := cluster.Start(t, cluster.Options{Workers: 1})
	if err := ovhUnlimitServer(c); err != nil {
		return overheadTarget{}, err
	}
	tc, err := ovhDialTemporal(ctx, c.TemporalAddr, e.Log)
	if err != nil {
		return overheadTarget{}, err
	}
	return overheadTarget{api: ovhAPI(c.API), admin: c.AdminToken, temporal: tc, cpu: []ovhCPUGroup{
		{Name: "temporal-server", Pid: c.Temporal.Pid},
		{Name: "postgres", Pid: c.PG.Pid, Children: true},
		{Name: "flowlab server", Pid: c.Server.Pid},
		{Name: "flowlab worker", Pid: c.Workers[0].Pid},
		{Name: "bench", Pid: os.Getpid},
	}}, nil
}

// ovhUnlimitServer restarts the cluster's flowlab server with the per-actor
// rate limit off: the benchmarks are one actor sending far more than 50
// requests a second.
func ovhUnlimitServer(c *cluster.Cluster) error {
	c.Server.Kill()
	c.Server.Env = append(c.Server.Env, "FLOWLAB_RATE_LIMIT=off")
	if err := c.Server.Start(); err != nil {
		return err
	}
	return c.WaitHealthy(time.Minute)
}
