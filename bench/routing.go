package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/api/engine"
	"github.com/flowlab/flowlab/bench/kit"
	"github.com/flowlab/flowlab/devserver"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/searchattr"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/postgres"
	"github.com/flowlab/flowlab/worker"
	"github.com/flowlab/flowlab/workflows"
)

// The routing scenario (issue 19): how long a task its step assigns waits
// for its person, at a fixed rate of openings, beside the same openings
// with pull (nobody assigned) in the same run: start → assigned against
// pull's start → opened, and the store call that opens (and assigns) the
// task. Since change assign-at-open the task is assigned in the store
// transaction that opens it, so opened → assigned (the task row visible →
// the task held) is 0 by construction: both are that transaction's
// commit; it is still measured, from the store calls, as the check that
// no task was seen unassigned. The real Case workflow and activities run
// in this process (flowlab's worker.New) on an in-process Temporal server
// on PostgreSQL (devserver: what `flowlab temporal-server` runs), with the
// PostgreSQL store, in scratch databases on the PostgreSQL server
// FLOWLAB_BENCH_DATABASE_URL names (dropped afterwards). The worker's
// store is wrapped to take the wall-clock time when a write returns: the
// store's own assigned_at is the workflow's time of the opening, not the
// time the assignment was made.
func init() {
	register(scenario{
		Name:  "routing",
		Brief: "task start → assigned (least_loaded, assigned as it opens) p50/p90/p99 at 20 openings/s beside start → opened of the same openings with pull (PostgreSQL store, in-process worker and Temporal)",
		Run:   runRouting,
	})
}

const (
	// routingURLEnv names the PostgreSQL server the scenario makes its
	// scratch databases on; the database the URL names is only used to
	// create and drop them.
	routingURLEnv     = "FLOWLAB_BENCH_DATABASE_URL"
	routingDefaultURL = "postgres://postgres:flowlab-ci@127.0.0.1:5432/postgres?sslmode=disable"
	// routingDurationEnv overrides how long each arm starts cases (a Go
	// duration: 30s, 2m).
	routingDurationEnv = "FLOWLAB_BENCH_ROUTING_DURATION"

	routingFlow       = "routing"
	routingDepartment = "support"
	routingPeople     = 10
	// routingWait bounds the wait, after an arm's last start, for its
	// tasks to open and be assigned; one still missing then is an error.
	routingWait = time.Minute
	// routingWarmRate and routingWarm: each arm's warm-up, not measured.
	routingWarmRate = 10
	routingWarm     = 2 * time.Second
)

// routingArm is one side of the comparison: a version of the routing flow
// whose only difference from the other is its task step's assign line.
type routingArm struct {
	Name    string
	Version int
	Assign  string
}

var (
	routingPull     = routingArm{Name: "pull", Version: 1}
	routingAssigned = routingArm{Name: store.AssignLeastLoaded, Version: 2,
		Assign: "assign: {rule: least_loaded, fallback: [pull], accept_within: 10m}"}
)

// routingSource is the flow of an arm: one task step, then the end.
func routingSource(a routingArm) string {
	assign := ""
	if a.Assign != "" {
		assign = "    " + a.Assign + "\n"
	}
	return fmt.Sprintf(`key: %s
version: %d
name: Routing benchmark (%s)
departments: [%s]
steps:
  - id: handle
    kind: task
    name: Handle the request
    department: %s
    sla: 1h
%s    outcomes:
      - name: done
        next: closed
  - id: closed
    kind: end
    name: Closed
`, routingFlow, a.Version, a.Name, routingDepartment, routingDepartment, assign)
}

// routingArmRow is one arm's figures at one rate, in milliseconds.
type routingArmRow struct {
	Arm     string `json:"arm"`
	Version int    `json:"flow_version"`
	Cases   int    `json:"cases"`
	// StartCall: the start itself (the case row and StartWorkflow, as
	// the API does), from its scheduled arrival.
	StartCall kit.Summary `json:"start_call"`
	// StartOpened: scheduled arrival → the worker's store.OpenTask
	// returned (the task row committed, visible).
	StartOpened kit.Summary `json:"start_to_opened"`
	// OpenedAssigned and StartAssigned: → the first store call that
	// returned the task held (the assigned arm only): its OpenTask since
	// change assign-at-open, so OpenedAssigned is 0 (the same commit);
	// an AssignTask after the opening (runs recorded before) would show
	// here as the hop it was.
	OpenedAssigned *kit.Summary `json:"opened_to_assigned,omitempty"`
	StartAssigned  *kit.Summary `json:"start_to_assigned,omitempty"`
	// OpenCall: the store.OpenTask call alone (part of StartOpened), its
	// assignment included for the assigned arm: what assigning adds to
	// the store's work is the difference between the arms.
	OpenCall kit.Summary `json:"open_task_call"`
	// HeldAtOpening: the tasks whose OpenTask returned them held.
	HeldAtOpening int `json:"held_at_opening"`
	// OpenedPerSec: tasks opened over first arrival → last opening (of
	// each half, added).
	OpenedPerSec float64 `json:"opened_per_s"`
	// CPU of this process (the Temporal server, the worker, the load)
	// and of the PostgreSQL backends of the scratch databases, over the
	// arm's halves (first arrival → last task opened, or assigned).
	CPUSeconds           float64 `json:"cpu_s"`
	PostgresCPUSeconds   float64 `json:"postgres_cpu_s"`
	CPUMsPerCase         float64 `json:"cpu_ms_per_case"`
	PostgresCPUMsPerCase float64 `json:"postgres_cpu_ms_per_case"`
}

// routingRow is one rate: both arms, pull first.
type routingRow struct {
	Rate     int           `json:"rate_per_s"`
	Seconds  float64       `json:"seconds_per_arm"`
	Pull     routingArmRow `json:"pull"`
	Assigned routingArmRow `json:"least_loaded"`
	// Ratio: the assigned arm's start → assigned p99 over the pull arm's
	// start → opened p99, what assignment adds to an opening as its user
	// sees it.
	Ratio float64 `json:"start_to_assigned_p99_over_pull_start_to_opened_p99"`
	// Halves in the order they ran.
	Halves []routingHalfFigures `json:"halves"`
}

// routingHalfFigures are one half's own figures (the table's merge both
// halves of an arm).
type routingHalfFigures struct {
	Arm                  string  `json:"arm"`
	StartOpenedP99       float64 `json:"start_to_opened_p99_ms"`
	StartAssignedP99     float64 `json:"start_to_assigned_p99_ms,omitempty"`
	OpenCallP99          float64 `json:"open_task_call_p99_ms"`
	CPUMsPerCase         float64 `json:"cpu_ms_per_case"`
	PostgresCPUMsPerCase float64 `json:"postgres_cpu_ms_per_case"`
	OtherCores           float64 `json:"other_processes_cores"`
}

// routingCheck is what was read back from the store after the run.
type routingCheck struct {
	AssignedTasks int `json:"assigned_tasks"`
	// HeldAtOpening: assigned tasks whose OpenTask returned them held.
	HeldAtOpening int `json:"held_at_opening"`
	// AssignTaskCalls: store.AssignTask calls (0 since assign-at-open).
	AssignTaskCalls int `json:"assign_task_calls"`
	PullTasks       int `json:"pull_tasks_unassigned"`
	Notifications   int `json:"assigned_notifications"`
	LoadMin         int `json:"load_min"`
	LoadMax         int `json:"load_max"`
	Capacity        int `json:"capacity"`
}

type routingData struct {
	People     int          `json:"people"`
	Capacity   int          `json:"capacity"`
	Department string       `json:"department"`
	Rows       []routingRow `json:"rows"`
	Check      routingCheck `json:"check"`
}

func runRouting(ctx context.Context, e env) (*kit.Result, error) {
	rates := e.sizes([]int{20}, []int{20})
	d, err := routingDuration(e.Quick)
	if err != nil {
		return nil, err
	}
	admin, err := routingServerURL()
	if err != nil {
		return nil, err
	}
	warm := routingWarm
	if e.Quick {
		warm = time.Second
	}
	// Tasks stay open: capacity is twice an even share of every
	// assigned task of the run, so nobody fills up.
	total := routingWarmRate * int(warm.Seconds())
	for _, r := range rates {
		total += int(float64(r) * d.Seconds())
	}
	capacity := max(store.DefaultCapacity, 2*((total+routingPeople-1)/routingPeople))

	res := kit.NewResult("routing", "rate/s", "arm", "latency", "n", "p50 ms", "p90", "p99", "max", "errors", "opened/s")
	res.Params["rates"] = fmt.Sprint(rates)
	res.Params["seconds_per_arm"] = fmt.Sprintf("%g, in two halves (pull, least_loaded, least_loaded, pull)", d.Seconds())
	res.Params["warm_up"] = fmt.Sprintf("%d cases per arm at %d/s, not measured", routingWarmRate*int(warm.Seconds()), routingWarmRate)
	res.Params["flow"] = "routing: one task step (support), then the end; v1 pull, v2 " + routingAssigned.Assign
	res.Params["people"] = fmt.Sprintf("%d staff of %s, available, capacity %d", routingPeople, routingDepartment, capacity)
	res.Params["engine"] = "flowlab's worker (worker.New, default options) and a Temporal server (devserver on PostgreSQL, as flowlab temporal-server) in the benchmark process"

	b, err := startRouting(ctx, e, admin, capacity)
	if b != nil {
		defer b.Close()
	}
	if err != nil {
		return nil, err
	}
	res.Params["postgres"] = b.server

	e.Logf("routing: warming up (%d cases per arm)", routingWarmRate*int(warm.Seconds()))
	if err := b.warmUp(ctx, warm); err != nil {
		return nil, err
	}
	var rows []routingRow
	for _, rate := range rates {
		row := routingRow{Rate: rate, Seconds: d.Seconds()}
		// In halves ordered pull, least_loaded, least_loaded, pull, so
		// that drift in the machine's load (and the tasks piling up)
		// falls on both arms.
		halves := map[string][]routingHalf{}
		calls := map[string]*kit.Latencies{routingPull.Name: {}, routingAssigned.Name: {}}
		for _, arm := range []routingArm{routingPull, routingAssigned, routingAssigned, routingPull} {
			e.Logf("routing: %s at %d/s for %s", arm.Name, rate, d/2)
			h, err := b.runHalf(ctx, arm, rate, d/2, calls[arm.Name])
			if err != nil {
				return nil, err
			}
			halves[arm.Name] = append(halves[arm.Name], h)
			r := b.summarize(arm, []routingHalf{h}, &kit.Latencies{})
			hf := routingHalfFigures{Arm: arm.Name, StartOpenedP99: r.StartOpened.P99, OpenCallP99: r.OpenCall.P99,
				CPUMsPerCase: r.CPUMsPerCase, PostgresCPUMsPerCase: r.PostgresCPUMsPerCase, OtherCores: h.others}
			e.Logf("routing: %s start → opened %s (store.OpenTask %s); %.1f opened/s; CPU %.0f ms/case (PostgreSQL %.0f); rest of the machine %.2f cores",
				arm.Name, r.StartOpened, r.OpenCall, r.OpenedPerSec, r.CPUMsPerCase, r.PostgresCPUMsPerCase, h.others)
			if r.StartAssigned != nil {
				hf.StartAssignedP99 = r.StartAssigned.P99
				e.Logf("routing: %s start → assigned %s (opened → assigned %s)", arm.Name, *r.StartAssigned, *r.OpenedAssigned)
			}
			row.Halves = append(row.Halves, hf)
		}
		row.Pull = b.summarize(routingPull, halves[routingPull.Name], calls[routingPull.Name])
		row.Assigned = b.summarize(routingAssigned, halves[routingAssigned.Name], calls[routingAssigned.Name])
		if p := row.Pull.StartOpened.P99; p > 0 && row.Assigned.StartAssigned != nil {
			row.Ratio = row.Assigned.StartAssigned.P99 / p
		}
		rows = append(rows, row)
	}

	// Every assigned task held once, nobody beyond capacity, no pull task
	// held: read back from the store. Anything else fails the run.
	check, err := b.check(ctx)
	if err != nil {
		return nil, err
	}
	check.Capacity = capacity

	for _, r := range rows {
		p := r.Pull
		for _, m := range []struct {
			name string
			s    kit.Summary
		}{{"start → opened", p.StartOpened}, {"of which store.OpenTask", p.OpenCall}} {
			res.Row(r.Rate, p.Arm, m.name, m.s.N, m.s.P50, m.s.P90, m.s.P99, m.s.Max, m.s.Errors, p.OpenedPerSec)
		}
		a := r.Assigned
		for _, m := range []struct {
			name string
			s    kit.Summary
		}{{"start → opened", a.StartOpened}, {"of which store.OpenTask (assigning)", a.OpenCall},
			{"opened → assigned", *a.OpenedAssigned}, {"start → assigned", *a.StartAssigned}} {
			res.Row(r.Rate, a.Arm, m.name, m.s.N, m.s.P50, m.s.P90, m.s.P99, m.s.Max, m.s.Errors, a.OpenedPerSec)
		}
	}
	for _, r := range rows {
		if r.Rate != 20 {
			continue
		}
		oa, sa := *r.Assigned.OpenedAssigned, *r.Assigned.StartAssigned
		res.Target(routingTargetWhat, "≤ 50 ms",
			fmt.Sprintf("%.1f ms (%d of %d held at the commit that opened them, %.1f openings/s); start → assigned p99 %.1f ms against pull's start → opened p99 %.1f ms",
				oa.P99, r.Assigned.HeldAtOpening, r.Assigned.Cases, r.Assigned.OpenedPerSec, sa.P99, r.Pull.StartOpened.P99),
			oa.N == r.Assigned.Cases && oa.Errors == 0 && oa.P99 <= 50 && r.Assigned.OpenedPerSec >= 0.95*float64(r.Rate))
	}
	if len(res.Targets) == 0 {
		res.Target(routingTargetWhat, "≤ 50 ms", "not run (rate 20/s not among the sizes)", false)
	}
	for _, r := range rows {
		res.Note("%d/s: what assignment adds to an opening: least_loaded start → assigned p99 %.1f ms / pull start → opened p99 %.1f ms = %.2f× (p50 %.1f / %.1f ms)",
			r.Rate, r.Assigned.StartAssigned.P99, r.Pull.StartOpened.P99, r.Ratio, r.Assigned.StartAssigned.P50, r.Pull.StartOpened.P50)
		res.Note("%d/s: the store call that opens the task: least_loaded (assigning in its transaction) p50 %.2f / p99 %.1f ms, pull p50 %.2f / p99 %.1f ms",
			r.Rate, r.Assigned.OpenCall.P50, r.Assigned.OpenCall.P99, r.Pull.OpenCall.P50, r.Pull.OpenCall.P99)
		res.Note("%d/s: CPU per case, this process (Temporal server, worker, load) + the PostgreSQL backends of the scratch databases: pull %.0f + %.0f ms, least_loaded %.0f + %.0f ms",
			r.Rate, r.Pull.CPUMsPerCase, r.Pull.PostgresCPUMsPerCase, r.Assigned.CPUMsPerCase, r.Assigned.PostgresCPUMsPerCase)
		var hs []string
		for _, h := range r.Halves {
			f := fmt.Sprintf("%s start → opened p99 %.1f ms", h.Arm, h.StartOpenedP99)
			if h.StartAssignedP99 > 0 {
				f += fmt.Sprintf(", start → assigned p99 %.1f ms", h.StartAssignedP99)
			}
			f += fmt.Sprintf(", store.OpenTask p99 %.1f ms", h.OpenCallP99)
			hs = append(hs, f+fmt.Sprintf(" (rest of the machine busy %.2f cores)", h.OtherCores))
		}
		res.Note("%d/s: the halves in order: %s", r.Rate, strings.Join(hs, "; "))
	}
	res.Note("start: the case's scheduled arrival (open loop at the fixed rate: the case row, then StartWorkflow, as POST /api/v1/cases does); opened: the worker's store.OpenTask returned (the task row committed: visible); assigned: the first store call that returned the task held (wall clock, in the worker; the store's assigned_at is the workflow's time of the opening)")
	res.Note("since change assign-at-open the least_loaded task is assigned in the transaction of store.OpenTask: it is visible only once held, so opened → assigned is 0 by construction (one commit) and the target is met by the design; what the user waits for is start → assigned, against pull's start → opened; of which store.OpenTask: the store call alone (for least_loaded its transaction takes the assignment lock and assigns)")
	res.Note("baseline, same run, same rate, same department and people: the same flow with pull (version 1); each arm in two halves ordered pull, least_loaded, least_loaded, pull, so drift in the machine's load falls on both; opened/s: tasks opened over first arrival → last opening of each half")
	res.Note("read back: %d tasks held by least_loaded once each (%d held when their OpenTask returned, %d AssignTask calls, one task.assigned notification each, no reassignment), loads %d–%d of capacity %d across %d people; %d pull tasks in the pool, none held",
		check.AssignedTasks, check.HeldAtOpening, check.AssignTaskCalls, check.LoadMin, check.LoadMax, capacity, routingPeople, check.PullTasks)
	res.Data = routingData{People: routingPeople, Capacity: capacity, Department: routingDepartment, Rows: rows, Check: check}
	return res, nil
}

// routingTargetWhat is the target, with how it is measured since change
// assign-at-open.
const routingTargetWhat = "task opened → assigned p99 at 20 openings/s on PostgreSQL (least_loaded), from the task row visible to the task held: one commit since assign-at-open (OpenTask assigns in its transaction)"

// routingDuration is how long each arm starts cases.
func routingDuration(quick bool) (time.Duration, error) {
	if s := strings.TrimSpace(os.Getenv(routingDurationEnv)); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d < time.Second || d > 30*time.Minute {
			return 0, fmt.Errorf("%s=%q: want a duration from 1s to 30m", routingDurationEnv, s)
		}
		return d, nil
	}
	if quick {
		return 3 * time.Second, nil
	}
	return 30 * time.Second, nil
}

// routingServerURL is the PostgreSQL server's URL (FLOWLAB_BENCH_DATABASE_URL,
// else the local default); the scenario runs on loopback only.
func routingServerURL() (*url.URL, error) {
	raw := strings.TrimSpace(os.Getenv(routingURLEnv))
	if raw == "" {
		raw = routingDefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, fmt.Errorf("%s: want postgres://user:password@127.0.0.1:5432/postgres?sslmode=disable", routingURLEnv)
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return nil, fmt.Errorf("%s: host %q is not a loopback address (the benchmarks run on loopback only)", routingURLEnv, host)
	}
	return u, nil
}

// routingDatabaseURL is u with database db.
func routingDatabaseURL(u *url.URL, db string) string {
	c := *u
	c.Path = "/" + db
	c.RawPath = ""
	return c.String()
}

// routingReachable says whether the scenario's PostgreSQL server answers
// (nil) or why not.
func routingReachable(ctx context.Context) error {
	u, err := routingServerURL()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return fmt.Errorf("PostgreSQL at %s (%s) does not answer: %w", u.Redacted(), routingURLEnv, err)
	}
	return conn.Close(ctx)
}

// routingBench is the running scenario: scratch databases, store, Temporal
// server, worker, and what the worker's store saw.
type routingBench struct {
	e      env
	admin  *url.URL
	server string // what Params say of the PostgreSQL server
	dbs    []string
	pgStat *pgx.Conn // to the admin database: pg_stat_activity
	st     *postgres.Store
	ts     *devserver.Server
	c      client.Client
	w      sdkworker.Worker
	eng    engine.Engine
	rec    *routingRecorder
	defs   map[int]flow.Definition
	cases  map[string][]string // arm → its cases, warm-up included
}

// startRouting creates the scratch databases and starts everything. A
// non-nil bench is returned with an error too: Close it.
func startRouting(ctx context.Context, e env, admin *url.URL, capacity int) (*routingBench, error) {
	if err := routingReachable(ctx); err != nil {
		return nil, fmt.Errorf("cannot run: %w", err)
	}
	b := &routingBench{e: e, admin: admin, rec: newRoutingRecorder(), defs: map[int]flow.Definition{}, cases: map[string][]string{}}
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", admin.Redacted(), err)
	}
	var version, fsync string
	err = conn.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('fsync')`).Scan(&version, &fsync)
	if err == nil {
		b.server = fmt.Sprintf("PostgreSQL %s at %s (fsync %s), scratch databases dropped afterwards; Temporal's on the same server",
			version, admin.Host, fsync)
		name := fmt.Sprintf("bench_routing_%d_%s", os.Getpid(), strings.ReplaceAll(uuid.NewString()[:8], "-", ""))
		_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
		if err == nil {
			// devserver creates Temporal's two (main, main_visibility).
			b.dbs = []string{name, name + "_temporal", name + "_temporal_visibility"}
		}
	}
	if err != nil {
		_ = conn.Close(ctx)
		return nil, fmt.Errorf("scratch database on %s: %w", admin.Redacted(), err)
	}
	b.pgStat = conn
	flowlabDB, temporalDB := b.dbs[0], b.dbs[1]

	if b.st, err = postgres.Open(ctx, routingDatabaseURL(admin, flowlabDB)); err != nil {
		return b, err
	}
	if err := b.st.Migrate(ctx); err != nil {
		return b, err
	}
	now := time.Now().UTC()
	for _, a := range []routingArm{routingPull, routingAssigned} {
		src := routingSource(a)
		def, diags := flow.Load([]byte(src), flow.ValidateOptions{})
		if def == nil || diags.HasErrors() {
			return b, fmt.Errorf("routing flow v%d: %w", a.Version, diags.Errors())
		}
		compiled, err := json.Marshal(def)
		if err != nil {
			return b, err
		}
		if _, _, err := b.st.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: routingFlow, Version: a.Version, Name: def.Name,
			Source: src, Compiled: compiled, Hash: fmt.Sprintf("%s-%d", routingFlow, a.Version), CreatedBy: "bench", At: now}); err != nil {
			return b, err
		}
		b.defs[a.Version] = *def
	}
	available := store.Available
	for i := 1; i <= routingPeople; i++ {
		a, err := b.st.CreateActor(ctx, store.CreateActorParams{ID: fmt.Sprintf("bench-agent-%02d", i), Name: fmt.Sprintf("Agent %02d", i),
			Role: store.RoleStaff, Departments: []string{routingDepartment}, At: now})
		if err != nil {
			return b, err
		}
		if _, _, err := b.st.SetPerson(ctx, store.SetPersonParams{ActorID: a.ID, Availability: &available, Capacity: &capacity, At: now}); err != nil {
			return b, err
		}
	}

	b.ts, err = devserver.Start(devserver.Config{
		PostgresURL:      routingDatabaseURL(admin, temporalDB),
		LogFile:          filepath.Join(e.Work, "temporal.log"),
		SearchAttributes: searchattr.Types(workflows.SearchAttributes()),
		// A shared server: fewer connections than temporal-server's 20
		// per store.
		MaxConns: 10,
	})
	if err != nil {
		return b, err
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	quiet := sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if b.c, err = b.ts.Dial(dctx, client.Options{Logger: quiet}); err != nil {
		return b, err
	}
	if err := searchattr.Ensure(dctx, b.c, b.ts.Namespace(), searchattr.Types(workflows.SearchAttributes())); err != nil {
		return b, err
	}
	worker.SetWorkflowCacheSize(0)
	b.w = worker.New(b.c, &activities.Activities{Store: &routingStore{Store: b.st, rec: b.rec},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPClient: &http.Client{Timeout: 10 * time.Second}}, worker.Options{})
	if err := b.w.Start(); err != nil {
		return b, fmt.Errorf("start worker: %w", err)
	}
	b.eng = engine.NewTemporal(b.c)
	e.Logf("routing: %s; Temporal on %s", b.server, b.ts.FrontendHostPort())
	return b, nil
}

// Close stops everything and drops the scratch databases.
func (b *routingBench) Close() {
	if b.w != nil {
		b.w.Stop()
	}
	if b.c != nil {
		b.c.Close()
	}
	if b.ts != nil {
		_ = b.ts.Stop()
	}
	if b.st != nil {
		_ = b.st.Close()
	}
	if b.pgStat != nil {
		_ = b.pgStat.Close(context.Background())
	}
	if len(b.dbs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, b.admin.String())
	if err != nil {
		b.e.Logf("routing: cannot drop the scratch databases %v: %v", b.dbs, err)
		return
	}
	defer conn.Close(ctx)
	for _, db := range b.dbs {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{db}.Sanitize()+" WITH (FORCE)"); err != nil {
			b.e.Logf("routing: drop database %s: %v", db, err)
		}
	}
}

// startCase starts one case of arm's version as the API does: the case
// row (starting), then its workflow. due is its scheduled arrival.
func (b *routingBench) startCase(ctx context.Context, arm routingArm, due time.Time) (string, error) {
	id := uuid.NewString()
	customer := "bench-" + id[:8]
	c, _, err := b.st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: routingFlow, Version: arm.Version, Customer: customer,
		Channel: "chat", Attributes: json.RawMessage(`{}`), Status: store.CaseStarting, WorkflowID: api.WorkflowID(routingFlow, id),
		CreatedBy: "bench", At: time.Now().UTC()})
	if err != nil {
		return "", fmt.Errorf("create case: %w", err)
	}
	b.rec.started(id, due)
	in := workflows.CaseInput{CaseID: id, Definition: b.defs[arm.Version], Customer: customer, Channel: "chat", Attributes: map[string]any{}}
	if err := b.eng.StartCase(ctx, c.WorkflowID, in); err != nil {
		return "", err
	}
	return id, nil
}

// warmUp runs a few cases of each arm, not measured: the first cases pay
// for connections, caches and the namespace coming up. The first start is
// retried while the fresh server does not take it yet.
func (b *routingBench) warmUp(ctx context.Context, d time.Duration) error {
	deadline := time.Now().Add(time.Minute)
	for {
		id, err := b.startCase(ctx, routingPull, time.Now())
		if err == nil {
			b.cases[routingPull.Name] = append(b.cases[routingPull.Name], id)
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
	for _, arm := range []routingArm{routingPull, routingAssigned} {
		var calls kit.Latencies
		h, err := b.runHalf(ctx, arm, routingWarmRate, d, &calls)
		if err != nil {
			return err
		}
		if r := b.summarize(arm, []routingHalf{h}, &calls); r.StartOpened.Errors > 0 {
			return fmt.Errorf("warm-up: %s: %d of %d tasks did not open: %v", arm.Name, r.StartOpened.Errors, r.Cases, r.StartOpened.Failed)
		}
	}
	return nil
}

var (
	errNotStarted = errors.New("case not started (start failed or the arrival was not sent)")
	errNotOpened  = fmt.Errorf("task not opened within %s of the arm's last start", routingWait)
	errNotHeld    = fmt.Errorf("task not assigned within %s of the arm's last start", routingWait)
)

// routingHalf is one run of an arm's cases: the cases started ("" for an
// arrival not started) and the CPU the run cost.
type routingHalf struct {
	ids []string
	// others: the cores the rest of the machine kept busy meanwhile
	// (every CPU's busy time from /proc/stat, less cpu and pgCPU, over
	// the wall time): other builds and tests on a shared machine.
	others float64
	// cpu: seconds of user+system CPU of this process and of the
	// PostgreSQL backends of the scratch databases, from the first
	// arrival to the last task opened (and assigned).
	cpu, pgCPU float64
}

// runHalf starts rate×d cases of arm at the fixed rate (open loop) and
// waits until their tasks are open (and assigned), for at most
// routingWait after the last start. The start calls go to calls.
func (b *routingBench) runHalf(ctx context.Context, arm routingArm, rate int, d time.Duration, calls *kit.Latencies) (routingHalf, error) {
	n := int(float64(rate) * d.Seconds())
	h := routingHalf{ids: make([]string, n)}
	cpu0, pg0 := b.cpu(ctx)
	busy0, wall0 := machineBusy(), time.Now()
	// The start call measured from its scheduled arrival, as kit.Load
	// measures it; arrivals not sent (too many in flight) count against it.
	var sent atomic.Int64
	_, err := kit.Load{Rate: float64(rate), Duration: d}.RunScheduled(ctx, func(ctx context.Context, i int, due time.Time) error {
		sent.Add(1)
		id, err := b.startCase(ctx, arm, due)
		if err != nil {
			calls.Fail(err)
			return err
		}
		calls.Add(time.Since(due))
		h.ids[i] = id
		return nil
	})
	if err != nil {
		return h, err
	}
	for range int64(n) - sent.Load() {
		calls.Fail(kit.ErrOverloaded)
	}
	b.cases[arm.Name] = append(b.cases[arm.Name], slices.DeleteFunc(slices.Clone(h.ids), func(s string) bool { return s == "" })...)
	if err := b.rec.await(ctx, h.ids, arm.Assign != "", routingWait); err != nil {
		return h, err
	}
	cpu1, pg1 := b.cpu(ctx)
	h.cpu, h.pgCPU = cpu1-cpu0, pg1-pg0
	if wall := time.Since(wall0).Seconds(); wall > 0 {
		h.others = max(0, (machineBusy()-busy0-h.cpu-h.pgCPU)/wall)
	}
	return h, nil
}

// summarize measures an arm's cases over its halves; calls are their
// start calls.
func (b *routingBench) summarize(arm routingArm, halves []routingHalf, calls *kit.Latencies) routingArmRow {
	row := routingArmRow{Arm: arm.Name, Version: arm.Version}
	assigned := arm.Assign != ""
	var so, oa, sa, open kit.Latencies
	var span time.Duration
	opened := 0
	for _, h := range halves {
		row.Cases += len(h.ids)
		row.CPUSeconds += h.cpu
		row.PostgresCPUSeconds += h.pgCPU
		var first, last time.Time
		for _, id := range h.ids {
			if id == "" {
				so.Fail(errNotStarted)
				if assigned {
					oa.Fail(errNotStarted)
					sa.Fail(errNotStarted)
				}
				continue
			}
			m := b.rec.get(id)
			if first.IsZero() || m.start.Before(first) {
				first = m.start
			}
			if m.opened.IsZero() {
				so.Fail(errNotOpened)
				if assigned {
					oa.Fail(errNotOpened)
					sa.Fail(errNotOpened)
				}
				continue
			}
			opened++
			last = later(last, m.opened)
			so.Add(m.opened.Sub(m.start))
			open.Add(m.call)
			if m.heldAtOpen {
				row.HeldAtOpening++
			}
			if !assigned {
				continue
			}
			if m.assigned.IsZero() {
				oa.Fail(errNotHeld)
				sa.Fail(errNotHeld)
				continue
			}
			oa.Add(m.assigned.Sub(m.opened))
			sa.Add(m.assigned.Sub(m.start))
		}
		if last.After(first) {
			span += last.Sub(first)
		}
	}
	row.StartCall = calls.Summary()
	row.StartOpened = so.Summary()
	row.OpenCall = open.Summary()
	if assigned {
		o, s := oa.Summary(), sa.Summary()
		row.OpenedAssigned, row.StartAssigned = &o, &s
	}
	if span > 0 {
		row.OpenedPerSec = float64(opened) / span.Seconds()
	}
	if row.Cases > 0 {
		row.CPUMsPerCase = 1000 * row.CPUSeconds / float64(row.Cases)
		row.PostgresCPUMsPerCase = 1000 * row.PostgresCPUSeconds / float64(row.Cases)
	}
	return row
}

// machineBusy is the CPU seconds every core of the machine has been busy
// since boot (/proc/stat: user, nice, system, irq, softirq; not idle,
// iowait nor steal; 0 where it cannot tell).
func machineBusy() float64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 5 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:] {
		n, _ := strconv.ParseFloat(v, 64)
		if i != 3 && i != 4 && i < 7 { // guest time is in user already
			busy += n
		}
	}
	return busy / ovhClockTicks
}

// cpu reads the user+system CPU seconds of this process (the Temporal
// server, the worker, the load) and of the PostgreSQL backends serving
// the scratch databases (0 where /proc cannot tell: another host's
// server, another user's processes).
func (b *routingBench) cpu(ctx context.Context) (self, pg float64) {
	self, _ = ovhProcCPU(os.Getpid(), false)
	rows, err := b.pgStat.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = ANY($1)`, b.dbs)
	if err != nil {
		return self, 0
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return self, 0
	}
	for _, pid := range pids {
		t, _ := ovhProcCPU(int(pid), false)
		pg += t
	}
	return self, pg
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// check reads back every task of the run from the store: each assigned
// arm's task open and held by least_loaded, assigned once (held when its
// OpenTask returned, no AssignTask call, one task.assigned notification,
// no reassignment), no person beyond capacity, every pull task in the
// pool.
func (b *routingBench) check(ctx context.Context) (routingCheck, error) {
	var out routingCheck
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	held := map[string]bool{} // task → assigned
	for _, arm := range []routingArm{routingPull, routingAssigned} {
		for _, id := range b.cases[arm.Name] {
			m := b.rec.get(id)
			if m.task == "" {
				bad("%s case %s: no task opened", arm.Name, id)
				continue
			}
			t, err := b.st.GetTask(ctx, m.task)
			if err != nil {
				return out, fmt.Errorf("read back task %s: %w", m.task, err)
			}
			if t.Status != store.TaskOpen {
				bad("task %s is %s, not open", t.ID, t.Status)
			}
			if arm == routingPull {
				if t.Assignee != "" || t.AssignRule != "" || m.assignCalls > 0 {
					bad("pull task %s: held by %q (rule %q) after %d AssignTask calls", t.ID, t.Assignee, t.AssignRule, m.assignCalls)
				}
				out.PullTasks++
				continue
			}
			switch {
			case t.Assignee == "" || t.AssignedAt == nil:
				bad("task %s: not assigned", t.ID)
			case t.AssignRule != store.AssignLeastLoaded:
				bad("task %s: assigned by %q, not least_loaded", t.ID, t.AssignRule)
			case t.Reassignments != 0:
				bad("task %s: reassigned %d times", t.ID, t.Reassignments)
			case !m.heldAtOpen:
				bad("task %s: not held when its OpenTask returned", t.ID)
			case m.assignCalls != 0:
				bad("task %s: %d AssignTask calls (assigned at the opening since assign-at-open)", t.ID, m.assignCalls)
			default:
				out.AssignedTasks++
				out.HeldAtOpening++
			}
			out.AssignTaskCalls += m.assignCalls
			held[t.ID] = true
		}
	}
	people, err := b.st.ListPeople(ctx, store.ListPeopleParams{Department: routingDepartment, Limit: 1000})
	if err != nil {
		return out, err
	}
	if len(people) != routingPeople {
		bad("%d people in %s, want %d", len(people), routingDepartment, routingPeople)
	}
	load := 0
	notified := map[string]int{}
	for i, p := range people {
		if p.Load > p.Capacity {
			bad("%s holds %d open tasks, beyond capacity %d", p.ActorID, p.Load, p.Capacity)
		}
		if i == 0 || p.Load < out.LoadMin {
			out.LoadMin = p.Load
		}
		out.LoadMax = max(out.LoadMax, p.Load)
		load += p.Load
		var before *store.NotificationCursor
		for {
			ns, err := b.st.ListNotifications(ctx, store.ListNotificationsParams{ActorID: p.ActorID, Limit: 500, Before: before})
			if err != nil {
				return out, err
			}
			for _, n := range ns {
				if n.Kind == store.NotifyAssigned {
					notified[n.TaskID]++
					out.Notifications++
				}
			}
			if len(ns) < 500 {
				break
			}
			before = &store.NotificationCursor{CreatedAt: ns[len(ns)-1].CreatedAt, ID: ns[len(ns)-1].ID}
		}
	}
	if load != len(held) {
		bad("the people hold %d open tasks, the run assigned %d", load, len(held))
	}
	for task := range held {
		if notified[task] != 1 {
			bad("task %s: %d task.assigned notifications", task, notified[task])
		}
	}
	if out.Notifications != len(held) {
		bad("%d task.assigned notifications for %d assigned tasks", out.Notifications, len(held))
	}
	if len(problems) > 0 {
		list := slices.Clone(problems)
		slices.Sort(list)
		if len(list) > 10 {
			list = append(list[:10], fmt.Sprintf("… and %d more", len(problems)-10))
		}
		return out, fmt.Errorf("ASSIGNMENT CHECK FAILED (%d problems):\n  %s", len(problems), strings.Join(list, "\n  "))
	}
	return out, nil
}

// routingStore is the worker's store: the real one, with the wall-clock
// time each OpenTask and AssignTask returned and whether the task was
// held then.
type routingStore struct {
	store.Store
	rec *routingRecorder
}

func (s *routingStore) OpenTask(ctx context.Context, p store.OpenTaskParams) (store.Task, error) {
	called := time.Now()
	t, err := s.Store.OpenTask(ctx, p)
	if err == nil {
		at := time.Now()
		s.rec.opened(p.CaseID, p.ID, t.Assignee != "", at, at.Sub(called))
	}
	return t, err
}

func (s *routingStore) AssignTask(ctx context.Context, p store.AssignTaskParams) (store.Task, bool, error) {
	t, ok, err := s.Store.AssignTask(ctx, p)
	s.rec.assign(p.TaskID, err == nil && t.Assignee != "", time.Now())
	return t, ok, err
}

// routingMark is what happened to one case.
type routingMark struct {
	start, opened, assigned time.Time
	// call is how long the OpenTask call that opened it took (the
	// store's transaction and its round trips, the assignment included
	// when the step assigns).
	call time.Duration
	task string
	// heldAtOpen: that OpenTask call returned the task held.
	heldAtOpen  bool
	assignCalls int // AssignTask calls for its task (runs recorded before assign-at-open)
}

type routingRecorder struct {
	mu     sync.Mutex
	marks  map[string]*routingMark // case id →
	byTask map[string]string       // task id → case id
}

func newRoutingRecorder() *routingRecorder {
	return &routingRecorder{marks: map[string]*routingMark{}, byTask: map[string]string{}}
}

func (r *routingRecorder) mark(caseID string) *routingMark {
	m := r.marks[caseID]
	if m == nil {
		m = &routingMark{}
		r.marks[caseID] = m
	}
	return m
}

func (r *routingRecorder) started(caseID string, at time.Time) {
	r.mu.Lock()
	r.mark(caseID).start = at
	r.mu.Unlock()
}

// opened records the first time the case's task was written (a retried
// activity writes it again), returned at after d: held says it was
// returned held (assigned in the same transaction).
func (r *routingRecorder) opened(caseID, taskID string, held bool, at time.Time, d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.mark(caseID)
	if m.opened.IsZero() {
		m.opened, m.task, m.call, m.heldAtOpen = at, taskID, d, held
		r.byTask[taskID] = caseID
		if held {
			m.assigned = at
		}
	}
}

// assign records an AssignTask call that returned at: held says the task
// is held after it.
func (r *routingRecorder) assign(taskID string, held bool, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	caseID, ok := r.byTask[taskID]
	if !ok {
		return
	}
	m := r.marks[caseID]
	m.assignCalls++
	if held && m.assigned.IsZero() {
		m.assigned = at
	}
}

func (r *routingRecorder) get(caseID string) routingMark {
	r.mu.Lock()
	defer r.mu.Unlock()
	if m := r.marks[caseID]; m != nil {
		return *m
	}
	return routingMark{}
}

// await waits until every case of ids has its task open (and assigned),
// for at most limit.
func (r *routingRecorder) await(ctx context.Context, ids []string, assigned bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		done := true
		r.mu.Lock()
		for _, id := range ids {
			m := r.marks[id]
			if id != "" && (m == nil || m.opened.IsZero() || (assigned && m.assigned.IsZero())) {
				done = false
				break
			}
		}
		r.mu.Unlock()
		if done || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
