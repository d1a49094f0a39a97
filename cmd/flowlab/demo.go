package main

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowlab/flowlab/apiv1"
)

// profile is a department's simulated behaviour: mean waiting (queue) and
// working minutes, in simulated time.
type profile struct{ waitMin, workMin float64 }

var demoProfiles = map[string]profile{
	"customer_service": {waitMin: 10, workMin: 8},
	"technical":        {waitMin: 120, workMin: 40},
	"supervisor":       {waitMin: 45, workMin: 10},
	"crisis_team":      {waitMin: 5, workMin: 30},
}

func newDemoCmd() *cobra.Command {
	var (
		cf        clientFlags
		cases     int
		flowKey   string
		scale     time.Duration
		seed      uint64
		timeout   time.Duration
		arrivalMs int
		feedback  int
		notDev    bool
		tokenTTL  time.Duration
		history   string
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Drive cases through the real engine with simulated agents",
		Long: `demo starts --cases cases of a flow through the API and works their tasks with
simulated agents, one pool per department: each task waits in the inbox for a
sampled queue time, is claimed, worked for a sampled time and completed
(mostly with its first outcome). Durations follow each department's profile
(log-normal; technical is the slow one) and are compressed by --time-scale:
the real duration of one simulated hour. The customers of --feedback percent
of the completed cases leave feedback (a CSAT around 4, mostly resolved at
the first contact). Then it prints the bottleneck view.

When the flow has a running pilot, demo says so at the start (new cases are
split between its arms by the API) and, in the table output, prints the
pilot's results after the bottleneck view (flowlab pilot results).

demo only ever works the tasks of the cases it started (its agents leave
every other task alone), and it runs only against a flowlab dev (GET
/healthz says "mode": "dev"): pointed at any other server it refuses, unless
told --i-know-this-is-not-dev. Its people's tokens (one staff token per
department, a process owner, an improver of the improvement department)
expire after --token-ttl (default 2h, at most 24h).

With --history 90d, demo drives no live cases: it asks the flowlab dev to
simulate 90 days (1d to 366d) of operation of all four built-in flows
ending now, on every channel, in working hours (Monday to Friday 08:00 to
18:00 UTC, customer service also on Saturday mornings), with hour-scale work,
the technical department short of people (the slow one), reviews sending
answers back for rework, customer feedback on about a third of the cases,
a finished pilot of complaint v1 against v2, proposals and PDCA cycles. The
server writes them through the same store paths as real cases, so the KPI,
heat map, trend, bottleneck, proposal and pilot pages show the weeks at
once; it shows a progress bar meanwhile. Every case it creates is closed
and marked simulated (attribute simulated, customer sim-…); the same
--seed creates nothing twice, and no other case is touched. It runs only
against a flowlab dev.`,
		Example: `  flowlab demo --cases 30
  flowlab demo --history 90d
  flowlab demo --cases 100 --flow complaint --time-scale 200ms

  # pilot the one-stop complaint flow and drive cases through both arms
  flowlab pilot start --flow complaint --treatment 2 --min-cases 50
  flowlab demo --cases 200 --feedback 70`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if history != "" {
				return runDemoHistory(cmd, cf, history, seed, timeout, notDev, tokenTTL)
			}
			if cases < 1 || cases > 10000 {
				return usageError{errors.New("--cases must be between 1 and 10000")}
			}
			if scale <= 0 {
				return usageError{errors.New("--time-scale must be positive")}
			}
			if feedback < 0 || feedback > 100 {
				return usageError{fmt.Errorf("--feedback must be a percent from 0 to 100, not %d", feedback)}
			}
			if tokenTTL < time.Minute || tokenTTL > maxDemoTokenTTL {
				return usageError{fmt.Errorf("--token-ttl must be between 1m and %s, not %s", maxDemoTokenTTL, tokenTTL)}
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			if err := checkDemoTarget(ctx, c, notDev, cmd.ErrOrStderr()); err != nil {
				return err
			}
			d := &demo{c: c, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), scale: scale, out: cmd.ErrOrStderr(),
				feedback: float64(feedback) / 100, tokenTTL: tokenTTL}
			if err := d.run(ctx, flowKey, cases, time.Duration(arrivalMs)*time.Millisecond); err != nil {
				return err
			}
			if err := d.printSignIns(ctx); err != nil {
				return err
			}
			if err := showBottlenecks(cmd, c, apiv1.BottlenecksParams{Key: flowKey}, cf.output); err != nil {
				return err
			}
			if d.pilot == "" {
				return nil
			}
			if cf.output != "table" {
				fmt.Fprintf(d.out, "demo: the pilot's results: flowlab pilot results %s -o %s\n", d.pilot, cf.output)
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return showPilotResults(cmd, c, d.pilot, cf.output)
		},
	}
	cf.add(cmd)
	cmd.Flags().IntVar(&cases, "cases", 20, "number of cases to drive (1–10000)")
	cmd.Flags().StringVar(&flowKey, "flow", "complaint", "flow key")
	cmd.Flags().DurationVar(&scale, "time-scale", 500*time.Millisecond, "real time of one simulated hour")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "random seed (same seed, same samples)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	cmd.Flags().IntVar(&arrivalMs, "arrival-ms", 100, "milliseconds between case arrivals")
	cmd.Flags().IntVar(&feedback, "feedback", 60, "percent of completed cases whose customer leaves feedback (0: none)")
	cmd.Flags().BoolVar(&notDev, "i-know-this-is-not-dev", false, "run against a server that is not a flowlab dev (demo creates tokens and cases there)")
	cmd.Flags().DurationVar(&tokenTTL, "token-ttl", 2*time.Hour, "lifetime of the tokens demo creates for its people (1m to 24h)")
	cmd.Flags().StringVar(&history, "history", "", "instead of driving live cases, fill the dev with this much simulated past operation of every built-in flow, like 90d (1d to 366d)")
	return cmd
}

// maxDemoTokenTTL bounds --token-ttl.
const maxDemoTokenTTL = 24 * time.Hour

// checkDemoTarget refuses a server that does not say it is a flowlab dev
// (GET /healthz "mode": "dev"), unless notDev: the demo creates tokens and
// cases where it runs.
func checkDemoTarget(ctx context.Context, c *apiv1.Client, notDev bool, out io.Writer) error {
	h, err := c.GetHealth(ctx)
	if err != nil {
		return fmt.Errorf("demo: ask %s whether it is a flowlab dev (GET /healthz): %w", c.BaseURL, err)
	}
	if h.Mode == "dev" {
		return nil
	}
	if notDev {
		fmt.Fprintf(out, "demo: %s is not a flowlab dev; running anyway (--i-know-this-is-not-dev): it creates tokens and cases there, and works only the cases it starts\n", c.BaseURL)
		return nil
	}
	return usageError{fmt.Errorf("demo: %s is not a flowlab dev (its GET /healthz does not say \"mode\": \"dev\"); demo creates tokens and cases on the server it runs against. "+
		"Point it at a flowlab dev with --server or FLOWLAB_SERVER, or pass --i-know-this-is-not-dev to run it there anyway", c.BaseURL)}
}

type demo struct {
	c     *apiv1.Client
	mu    sync.Mutex
	rng   *rand.Rand
	scale time.Duration
	out   interface{ Write([]byte) (int, error) }
	// feedback is the share of completed cases whose customer leaves
	// feedback; pilot the running pilot of the flow, if any.
	feedback float64
	pilot    string
	// signIns are the demo's people and their tokens, printed at the end
	// so each role can sign in to the web UI; they expire after tokenTTL.
	signIns  []demoSignIn
	tokenTTL time.Duration
	// mine holds the ids of the cases this run started: its agents work
	// only their tasks. since is the server's created_at of the first of
	// them (a time.Time, nil before): no task of the demo opened earlier,
	// so the agents' inbox reads start there instead of at every open task.
	mine  sync.Map
	since atomic.Value
}

type demoSignIn struct{ who, token string }

// token creates a token for a demo person, valid for tokenTTL, and keeps
// it for the sign-in list.
func (d *demo) token(ctx context.Context, who string, body apiv1.CreateTokenRequest) (string, error) {
	ttl := fmt.Sprintf("%dm", int(d.tokenTTL.Minutes()))
	body.ExpiresIn = &ttl
	tok, err := d.c.CreateToken(ctx, body)
	if err != nil {
		return "", fmt.Errorf("create demo token for %s: %w", who, err)
	}
	d.signIns = append(d.signIns, demoSignIn{who, tok.Token})
	return tok.Token, nil
}

// printSignIns tells how to open the web UI as each of the demo's people.
func (d *demo) printSignIns(ctx context.Context) error {
	for _, p := range []struct {
		who, role string
		depts     []string
	}{{"process owner", "owner", nil}, {"improvement team", "improver", []string{"improvement"}}} {
		body := apiv1.CreateTokenRequest{Name: "demo " + p.who, Role: p.role, Departments: p.depts}
		if _, err := d.token(ctx, p.who, body); err != nil {
			return err
		}
	}
	fmt.Fprintf(d.out, "\ndemo: open %s/ui/ and sign in with one of these tokens (valid %s, until %s):\n", strings.TrimSuffix(d.c.BaseURL, "/"),
		d.tokenTTL, time.Now().Add(d.tokenTTL).UTC().Format(time.RFC3339))
	for _, p := range d.signIns {
		fmt.Fprintf(d.out, "  %-28s %s\n", p.who, p.token)
	}
	return nil
}

func (d *demo) sample(meanMin float64) time.Duration {
	d.mu.Lock()
	z := d.rng.NormFloat64()
	d.mu.Unlock()
	const sigma = 0.5
	mu := math.Log(meanMin) - sigma*sigma/2
	minutes := math.Exp(mu + sigma*z)
	return time.Duration(minutes / 60 * float64(d.scale))
}

func (d *demo) chance(p float64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.Float64() < p
}

func (d *demo) intn(n int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.rng.IntN(n)
}

func (d *demo) attributes(flowKey string) map[string]any {
	sev := "primary"
	switch r := d.intn(100); {
	case r >= 97:
		sev = "advanced"
	case r >= 85:
		sev = "intermediate"
	}
	return map[string]any{"severity": sev, "amount": 20 + d.intn(480), "category": []string{"billing", "quality", "delivery"}[d.intn(3)]}
}

func (d *demo) run(ctx context.Context, flowKey string, n int, arrival time.Duration) error {
	// Each run brings new customers (a pilot keeps a returning customer in
	// the same arm, so reusing names across runs would skew its sample);
	// the durations still come from --seed.
	var tag [3]byte
	_, _ = crand.Read(tag[:])
	run := hex.EncodeToString(tag[:])
	fl, err := d.c.GetFlow(ctx, apiv1.FlowParams{Key: flowKey})
	if err != nil {
		return err
	}
	depts := departmentsOf(fl)
	if pl := d.runningPilot(ctx, flowKey); pl != nil {
		d.pilot = pl.ID
		fmt.Fprintf(d.out, "demo: pilot %s: %s v%d vs v%d, %s%% to v%d: new cases are split\n", d.pilot, cell(pl.Flow),
			pl.Control, pl.Treatment, number(pl.Share), pl.Treatment)
		// The arms' versions may staff other departments than the default.
		for _, v := range []int{pl.Control, pl.Treatment} {
			fv, err := d.c.GetFlow(ctx, apiv1.FlowParams{Key: flowKey, Version: v})
			if err != nil {
				return err
			}
			for _, dep := range departmentsOf(fv) {
				if !contains(depts, dep) {
					depts = append(depts, dep)
				}
			}
		}
	}
	if len(depts) == 0 {
		return fmt.Errorf("flow %s names no departments", flowKey)
	}
	// One staff token per department, so the demo acts as real agents do.
	agents := map[string]*apiv1.Client{}
	for _, dep := range depts {
		s, err := d.token(ctx, "staff, "+dep, apiv1.CreateTokenRequest{Name: "demo agent " + dep, Role: apiv1.RoleStaff, Departments: []string{dep}})
		if err != nil {
			return err
		}
		ac := *d.c
		ac.Token = s
		agents[dep] = &ac
	}

	ids := make([]string, 0, n)
	var wg sync.WaitGroup
	seen := sync.Map{}
	agentCtx, stopAgents := context.WithCancel(ctx)
	defer stopAgents()
	for _, dep := range depts {
		wg.Add(1)
		go func(dep string, ac *apiv1.Client) {
			defer wg.Done()
			d.agent(agentCtx, dep, ac, &seen, &wg)
		}(dep, agents[dep])
	}
	fmt.Fprintf(d.out, "demo: starting %d %s cases (agents for %v)\n", n, flowKey, depts)
	for i := 0; i < n; i++ {
		body := apiv1.CreateCaseRequest{Flow: flowKey, Customer: fmt.Sprintf("DEMO-%s-%05d", run, i+1), Channel: []string{"phone", "chat", "email", "app"}[i%4], Attributes: d.attributes(flowKey)}
		cs, err := d.c.CreateCase(ctx, apiv1.CreateCaseParams{}, body)
		if err != nil {
			return fmt.Errorf("start case %d: %w", i+1, err)
		}
		ids = append(ids, cs.ID)
		d.mine.Store(cs.ID, true)
		if !cs.CreatedAt.IsZero() {
			d.since.CompareAndSwap(nil, cs.CreatedAt)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(arrival):
		}
	}
	// Wait for every case to close, reporting progress; customers of
	// completed cases leave feedback.
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	answered := map[string]bool{}
	feedbacks := 0
	for {
		done := 0
		for _, id := range ids {
			cs, err := d.c.GetCase(ctx, apiv1.CaseIDParams{ID: id})
			if err != nil {
				return err
			}
			st := cs.Status
			if st == apiv1.CaseCompleted || st == apiv1.CaseCancelled || st == apiv1.CaseFailed {
				done++
			}
			if st == apiv1.CaseCompleted && !answered[id] {
				answered[id] = true
				if d.chance(d.feedback) {
					if _, err := d.c.PutCaseFeedback(ctx, apiv1.CaseIDParams{ID: id}, d.customerFeedback()); err != nil {
						fmt.Fprintf(d.out, "demo: feedback on %s: %s\n", id, errorText(err))
					} else {
						feedbacks++
					}
				}
			}
		}
		fmt.Fprintf(d.out, "demo: %d/%d cases closed, %d with feedback\n", done, len(ids), feedbacks)
		if done == len(ids) {
			stopAgents()
			wg.Wait()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("demo: %d of %d cases still open: %w", len(ids)-done, len(ids), ctx.Err())
		case <-tick.C:
		}
	}
}

// runningPilot is the running pilot of the flow, or nil (also when the
// API cannot say: the demo runs without it).
func (d *demo) runningPilot(ctx context.Context, flowKey string) *apiv1.Pilot {
	out, err := d.c.ListPilots(ctx, apiv1.ListPilotsParams{Flow: flowKey, Status: apiv1.PilotRunning})
	if err != nil {
		fmt.Fprintf(d.out, "demo: cannot tell whether %s has a running pilot: %s\n", flowKey, errorText(err))
		return nil
	}
	for i, p := range out.Pilots {
		if p.ID != "" {
			return &out.Pilots[i]
		}
	}
	return nil
}

// customerFeedback is a simulated customer's answer: a CSAT around 4 and
// mostly resolved at the first contact.
func (d *demo) customerFeedback() apiv1.FeedbackRequest {
	d.mu.Lock()
	csat := max(1, min(5, int(math.Round(4+0.8*d.rng.NormFloat64()))))
	fcr := d.rng.Float64() < 0.85
	d.mu.Unlock()
	return apiv1.FeedbackRequest{CSAT: &csat, ResolvedFirstContact: &fcr}
}

// demoInboxPages bounds the inbox pages (of 500) an agent reads per poll
// looking for the demo's tasks among other cases' tasks.
const demoInboxPages = 10

// agent polls its department's inbox and works each new task of the
// demo's own cases; every other task is left alone.
func (d *demo) agent(ctx context.Context, dep string, ac *apiv1.Client, seen *sync.Map, wg *sync.WaitGroup) {
	p, ok := demoProfiles[dep]
	if !ok {
		p = profile{waitMin: 15, workMin: 10}
	}
	for ctx.Err() == nil {
		var tasks []apiv1.Task
		cursor := ""
		since, _ := d.since.Load().(time.Time)
		for page := 0; !since.IsZero() && page < demoInboxPages; page++ { // no case of ours yet: nothing to read
			out, err := ac.ListTasks(ctx, apiv1.ListTasksParams{Status: apiv1.TaskOpen, Department: dep, Limit: 500, From: since, Cursor: cursor})
			if err != nil {
				break
			}
			tasks = append(tasks, out.Tasks...)
			if cursor = out.NextCursor; cursor == "" {
				break
			}
		}
		for _, task := range tasks {
			id := task.ID
			if id == "" {
				continue
			}
			if !d.isMine(task.CaseID) {
				continue
			}
			if _, dup := seen.LoadOrStore(id, true); dup {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				d.work(ctx, ac, task, p)
			}()
		}
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// isMine tells whether the demo started the case.
func (d *demo) isMine(caseID string) bool {
	_, ok := d.mine.Load(caseID)
	return ok
}

func (d *demo) work(ctx context.Context, ac *apiv1.Client, task apiv1.Task, p profile) {
	id := task.ID
	sleep := func(t time.Duration) bool {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(t):
			return true
		}
	}
	if !sleep(d.sample(p.waitMin)) {
		return
	}
	if _, err := ac.ClaimTask(ctx, apiv1.TaskIDParams{ID: id}); err != nil {
		fmt.Fprintf(d.out, "demo: claim %s: %s\n", id, errorText(err))
		return
	}
	if !sleep(d.sample(p.workMin)) {
		return
	}
	outcomes := task.Outcomes
	outcome := "done"
	if len(outcomes) > 0 {
		outcome = outcomes[0]
		if len(outcomes) > 1 && d.chance(0.1) {
			outcome = outcomes[1+d.intn(len(outcomes)-1)]
		}
	}
	data := map[string]any{}
	for _, f := range task.Form {
		switch f.Type {
		case "number":
			data[f.Name] = 10 + d.intn(400)
		case "bool":
			data[f.Name] = true
		case "enum":
			if len(f.Options) > 0 {
				data[f.Name] = f.Options[0]
			}
		default:
			data[f.Name] = "handled by the demo agent"
		}
	}
	_, err := ac.CompleteTask(ctx, apiv1.CompleteParams{ID: id}, apiv1.CompleteRequest{Outcome: outcome, Data: data})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(d.out, "demo: complete %s: %s\n", id, errorText(err))
	}
}

// departmentsOf is the departments of a flow's compiled definition.
func departmentsOf(fl *apiv1.FlowDetail) []string {
	var def struct {
		Departments []string `json:"departments"`
	}
	_ = json.Unmarshal(fl.Definition, &def) // none: the flow names no departments
	if def.Departments == nil {
		return []string{}
	}
	return def.Departments
}
