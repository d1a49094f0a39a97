package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/stats"
)

// handoffCost is the plans' measurement (docs/domain.md#what-the-plans-measured):
// every handoff between departments adds about 40% processing time.
const handoffCost = 1.4

// agents simulates the departments' agents: every open task of a
// department is completed with its first outcome after delay[department],
// multiplied by handoffCost for every handoff the case has had so far (a
// task step in another department than the one before it). It runs until
// the returned stop is called.
func (e *env) agents(delay map[string]time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	seen := sync.Map{}
	for dep, d := range delay {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Requests run to their end (context.Background): stop waits
			// for a completion in flight rather than cutting it off.
			api := e.quietAPI(dep)
			for ctx.Err() == nil {
				page, err := api.ListTasks(context.Background(), apiv1.ListTasksParams{Department: dep, Status: apiv1.TaskOpen, Limit: 200})
				if err == nil {
					for _, tk := range page.Tasks {
						if _, dup := seen.LoadOrStore(tk.ID, true); dup {
							continue
						}
						wg.Add(1)
						go func() {
							defer wg.Done()
							select {
							case <-ctx.Done():
								return
							case <-time.After(e.withHandoffs(tk.CaseID, dep, d)):
							}
							_, err := api.CompleteTask(context.Background(), apiv1.CompleteParams{ID: tk.ID}, complete(tk, tk.Outcomes[0]))
							if err != nil && ctx.Err() == nil {
								// A person whose completion is refused
								// (the case was continuing as new, the
								// engine was briefly unavailable) tries
								// again: the next poll offers the task
								// again while it is open.
								e.noteAgentFailure(err)
								seen.Delete(tk.ID)
							}
						}()
					}
				}
				select {
				case <-ctx.Done():
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
	}
	return func() { cancel(); wg.Wait() }
}

// noteAgentFailure counts a refused completion by its status and title
// (status 0: no answer).
func (e *env) noteAgentFailure(err error) {
	p := &apiv1.Problem{Detail: err.Error()}
	errors.As(err, &p)
	status := p.Status
	key := fmt.Sprintf("%d %s", status, p.Title)
	e.agentMu.Lock()
	defer e.agentMu.Unlock()
	if e.agentFailures == nil {
		e.agentFailures = map[string]int{}
	}
	if e.agentFailures[key] == 0 {
		e.t.Logf("agent: completion refused: %d %s: %s", status, p.Title, p.Detail)
	}
	e.agentFailures[key]++
}

// withHandoffs scales d by handoffCost per handoff the case has had before
// reaching dep: the departments of its task spans, in order, then dep.
func (e *env) withHandoffs(caseID, dep string, d time.Duration) time.Duration {
	c, err := e.quietAPI("admin").GetCase(context.Background(), apiv1.CaseIDParams{ID: caseID})
	if err != nil {
		return d
	}
	handoffs, last := 0, ""
	for _, sp := range c.Spans {
		if sp.Kind != "task" || sp.Department == "" {
			continue
		}
		if last != "" && sp.Department != last {
			handoffs++
		}
		last = sp.Department
	}
	if last != "" && last != dep {
		handoffs++
	}
	return time.Duration(float64(d) * math.Pow(handoffCost, float64(handoffs)))
}

// waitPilotEnd polls the pilot until it is no longer running.
func (e *env) waitPilotEnd(id string, within time.Duration) *apiv1.Pilot {
	e.t.Helper()
	deadline := time.Now().Add(within)
	var pl *apiv1.Pilot
	for time.Now().Before(deadline) {
		var err error
		pl, err = e.api("admin").GetPilot(context.Background(), apiv1.PilotIDParams{ID: id})
		require.NoError(e.t, err)
		if pl.Status != apiv1.PilotRunning {
			return pl
		}
		time.Sleep(200 * time.Millisecond)
	}
	e.agentMu.Lock()
	failures := fmt.Sprint(e.agentFailures)
	e.agentMu.Unlock()
	e.t.Fatalf("pilot %s still running after %s: %+v (refused completions: %s)", id, within, pl, failures)
	return pl
}

// startCases starts n complaint cases, customer prefix-i, one every gap.
func (e *env) startCases(prefix string, n int, gap time.Duration) map[string]int {
	versions := map[string]int{}
	for i := 0; i < n; i++ {
		c := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: fmt.Sprintf("%s-%d", prefix, i), Channel: "chat",
			Attributes: map[string]any{"severity": "primary"}})
		versions[c.ID] = c.Version
		time.Sleep(gap)
	}
	return versions
}

// exportedCycleTimes recomputes each arm's cycle times from the raw span
// export: one value per completed case, creation to close.
func (e *env) exportedCycleTimes(pilotID string) map[string][]float64 {
	e.t.Helper()
	rows, err := e.api("admin").ExportSpans(context.Background(), apiv1.ExportSpansParams{Format: "jsonl", Pilot: pilotID})
	require.NoError(e.t, err)
	defer rows.Close()
	perCase := map[string]float64{}
	armOf := map[string]string{}
	sc := bufio.NewScanner(rows)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row apiv1.ExportedSpan
		require.NoError(e.t, json.Unmarshal(sc.Bytes(), &row), sc.Text())
		if row.CaseStatus != apiv1.CaseCompleted || row.CaseClosedAt == nil {
			continue
		}
		require.NotNil(e.t, row.CaseCreatedAt, sc.Text())
		perCase[row.CaseID] = row.CaseClosedAt.Sub(*row.CaseCreatedAt).Seconds()
		armOf[row.CaseID] = row.Arm
	}
	require.NoError(e.t, sc.Err())
	out := map[string][]float64{}
	for id, v := range perCase {
		out[armOf[id]] = append(out[armOf[id]], v)
	}
	for _, xs := range out {
		slices.Sort(xs)
	}
	return out
}

// The canonical pilot: the one-stop complaint v2 against the 5-step v1,
// with the technical department the slow one (every v1 case crosses it
// twice, v2 cases never). The pilot concludes on its own, its numbers equal
// a recomputation from the exported spans, and promotion makes v2 the
// default for new cases.
func TestPilotV2WinsAndIsPromoted(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.api("admin")
	pl, err := admin.StartPilot(ctx, apiv1.StartPilotRequest{
		Flow: "complaint", Treatment: 2, Share: new(50.0), Unit: "case", PrimaryMetric: "cycle_time",
		MinCasesPerArm: new(12), EvaluateEvery: "1s", MaxDuration: "10m",
		Guardrails: []apiv1.PilotGuardrail{{Metric: "sla_breach_rate", MaxWorsening: 0.2}},
	})
	require.NoError(t, err)
	require.Equal(t, 1, pl.Control, "the control is the default version")
	require.Equal(t, apiv1.PilotRunning, pl.Status)
	// At most one running pilot per flow.
	status, body := e.do("admin", http.MethodPost, "/api/v1/pilots", apiv1.StartPilotRequest{Flow: "complaint", Treatment: 2})
	require.Equal(t, http.StatusConflict, status, string(body))

	stop := e.agents(map[string]time.Duration{
		"customer_service": 50 * time.Millisecond, "technical": 1500 * time.Millisecond,
		"supervisor": 20 * time.Millisecond, "crisis_team": 20 * time.Millisecond,
	})
	defer stop()
	versions := e.startCases("P", 40, 30*time.Millisecond)
	counts := map[int]int{}
	for _, v := range versions {
		counts[v]++
	}
	require.Greater(t, counts[1], 8, "control got cases: %v", counts)
	require.Greater(t, counts[2], 8, "treatment got cases: %v", counts)

	pl = e.waitPilotEnd(pl.ID, 2*time.Minute)
	// The agents stop, so the results and the export see the same data.
	stop()
	require.Equal(t, apiv1.PilotCompleted, pl.Status, "%+v", pl)
	require.Equal(t, apiv1.ArmTreatment, pl.Winner, pl.Recommendation)
	require.Contains(t, pl.Recommendation, "promote v2")

	res, err := admin.GetPilotResults(ctx, apiv1.PilotIDParams{ID: pl.ID})
	require.NoError(t, err)
	exported := e.exportedCycleTimes(pl.ID)
	for _, arm := range []string{apiv1.ArmControl, apiv1.ArmTreatment} {
		got := res.Arms[arm]
		require.Equal(t, len(exported[arm]), got.CycleN, "%s: closed cases in the export", arm)
		require.InDelta(t, stats.Median(exported[arm]), got.MedianCycleSeconds, 1e-6, "%s median", arm)
		require.InDelta(t, stats.Quantile(exported[arm], 0.9), got.P90CycleSeconds, 1e-6, "%s p90", arm)
	}
	require.Less(t, res.Arms[apiv1.ArmTreatment].MedianCycleSeconds, res.Arms[apiv1.ArmControl].MedianCycleSeconds)
	i := slices.IndexFunc(res.Metrics, func(m experiment.MetricResult) bool { return m.Metric == experiment.CycleTime })
	require.GreaterOrEqual(t, i, 0, "cycle_time in the results")
	cycle := res.Metrics[i]
	require.Less(t, cycle.P, 0.05)
	require.Less(t, cycle.Effect, 0.0, "the treatment is faster")

	pl, err = admin.PromotePilot(ctx, apiv1.PilotIDParams{ID: pl.ID}, apiv1.PromotePilotRequest{Arm: apiv1.ArmTreatment})
	require.NoError(t, err)
	require.Equal(t, apiv1.PilotPromoted, pl.Status)
	created := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: "after", Channel: "chat"})
	require.Equal(t, 2, created.Version, "new cases start on the promoted version")
}

// A treatment that breaches its SLAs is stopped by its guardrail without
// anyone acting; each customer stays in one arm while the pilot runs, and
// after the stop every new case goes to the control.
func TestPilotGuardrailStopsTreatment(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.api("admin")
	// v3: the one-stop flow with a handling SLA of one second.
	var v2 []byte
	for _, b := range flows.All() {
		if b.Key == "complaint" && b.Version == 2 {
			v2 = b.Source
		}
	}
	require.NotNil(t, v2)
	src := strings.Replace(strings.Replace(string(v2), "version: 2\n", "", 1),
		"    department: customer_service\n    sla: 1h\n", "    department: customer_service\n    sla: 1s\n", 1)
	require.NotEqual(t, string(v2), src)
	var published int
	_, err := admin.PublishFlowVersion(ctx, apiv1.FlowKeyParams{Key: "complaint"}, []byte(src), apiv1.WithStatus(&published))
	require.NoError(t, err)
	require.Equal(t, http.StatusCreated, published)

	pl, err := admin.StartPilot(ctx, apiv1.StartPilotRequest{
		Flow: "complaint", Treatment: 3, Share: new(50.0), Unit: "customer",
		MinCasesPerArm: new(200), EvaluateEvery: "1s", MaxDuration: "10m",
		Guardrails: []apiv1.PilotGuardrail{{Metric: "sla_breach_rate", MaxWorsening: 0.1}},
	})
	require.NoError(t, err)

	stop := e.agents(map[string]time.Duration{
		"customer_service": 1200 * time.Millisecond, "technical": 20 * time.Millisecond,
		"supervisor": 20 * time.Millisecond, "crisis_team": 20 * time.Millisecond,
	})
	defer stop()
	// Sixteen customers, each calling three times (all in one arm by
	// chance: 2 in 65536).
	armOf := map[string]int{}
	for round := 0; round < 3; round++ {
		for i := 0; i < 16; i++ {
			customer := fmt.Sprintf("G-%d", i)
			c := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: customer, Channel: "phone"})
			if v, ok := armOf[customer]; ok {
				require.Equal(t, v, c.Version, "customer %s changed arm", customer)
			}
			armOf[customer] = c.Version
		}
	}
	seen := map[int]bool{}
	for _, v := range armOf {
		seen[v] = true
	}
	require.True(t, seen[1] && seen[3], "both arms got customers: %v", armOf)

	pl = e.waitPilotEnd(pl.ID, 2*time.Minute)
	require.Equal(t, apiv1.PilotStopped, pl.Status)
	require.Contains(t, pl.StopReason, "SLA breach rate")
	for i := 0; i < 4; i++ {
		c := e.startCase("customer_service", apiv1.CreateCaseRequest{Flow: "complaint", Customer: fmt.Sprintf("G-%d", i), Channel: "phone"})
		require.Equal(t, 1, c.Version, "after the stop every case goes to the control")
	}
}

// A PDCA cycle runs Plan → Do (a pilot of complaint v2, driven by simulated
// agents) → Check → Act, and Act's "standardise" makes v2 the default.
func TestPDCACycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	tok, err := e.api("admin").CreateToken(ctx, apiv1.CreateTokenRequest{Name: "improvement team", Role: apiv1.RoleImprover, Departments: []string{"improvement"}})
	require.NoError(t, err)
	e.tokens["improvement"] = tok.Token
	improver := e.api("improvement")

	cycle := e.startCase("improvement", apiv1.CreateCaseRequest{Flow: apiv1.PDCAFlow, Customer: "improvement-team", Channel: "app",
		Attributes: map[string]any{"flow": "complaint", "metric": "cycle_time"}})
	plan := e.waitOpenTask(cycle.ID)
	require.Equal(t, apiv1.PDCAPlanStep, plan.Step)
	_, err = improver.CompleteTask(ctx, apiv1.CompleteParams{ID: plan.ID}, apiv1.CompleteRequest{Outcome: "planned", Data: map[string]any{
		"problem": "complaints cross three departments", "target": 1.0, "hypothesis": "one-stop handling removes the handoffs",
		"treatment": 2, "share": 50, "min_cases_per_arm": 10, "evaluate_every": "1s", "max_duration": "10m",
	}})
	require.NoError(t, err)

	stop := e.agents(map[string]time.Duration{
		"customer_service": 50 * time.Millisecond, "technical": 1500 * time.Millisecond,
		"supervisor": 20 * time.Millisecond, "crisis_team": 20 * time.Millisecond,
	})
	defer stop()
	e.startCases("D", 40, 30*time.Millisecond)

	// Check: the pilot has ended and its results sit on the cycle.
	deadline := time.Now().Add(2 * time.Minute)
	var check apiv1.Task
	for time.Now().Before(deadline) {
		c := e.getCase(cycle.ID)
		if len(c.Tasks) == 1 && c.Tasks[0].Step == "check" {
			check = c.Tasks[0]
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "check", check.Step, "the cycle reached Check")
	// The case's attributes are the flow's own: free-form JSON.
	var attrs map[string]any
	require.NoError(t, json.Unmarshal(e.getCase(cycle.ID).Attributes, &attrs))
	require.Equal(t, apiv1.PilotCompleted, attrs["pilot_status"], "%v", attrs)
	require.Equal(t, apiv1.ArmTreatment, attrs["pilot_winner"], "%v", attrs)
	require.Less(t, attrs["pilot_treatment_value"], attrs["pilot_control_value"])
	require.IsType(t, true, attrs["target_met"], "the pilot set against the plan's target: %v", attrs)
	pilotID, _ := attrs["pilot_id"].(string)
	require.NotEmpty(t, pilotID)

	_, err = improver.CompleteTask(ctx, apiv1.CompleteParams{ID: check.ID}, apiv1.CompleteRequest{Outcome: "target_met",
		Data: map[string]any{"finding": "v2 is faster"}})
	require.NoError(t, err)
	act := e.waitOpenTask(cycle.ID)
	require.Equal(t, "act", act.Step)
	_, err = improver.CompleteTask(ctx, apiv1.CompleteParams{ID: act.ID}, apiv1.CompleteRequest{Outcome: "standardise",
		Data: map[string]any{"learning": "one-stop handling for all complaints"}})
	require.NoError(t, err)

	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && e.getCase(cycle.ID).Status == apiv1.CaseActive {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, apiv1.CaseCompleted, e.getCase(cycle.ID).Status)
	pl, err := e.api("admin").GetPilot(ctx, apiv1.PilotIDParams{ID: pilotID})
	require.NoError(t, err)
	require.Equal(t, apiv1.PilotPromoted, pl.Status)
	require.Equal(t, apiv1.ArmTreatment, pl.PromotedArm)
	fl, err := e.api("admin").GetFlow(ctx, apiv1.FlowParams{Key: "complaint"})
	require.NoError(t, err)
	require.Equal(t, 2, fl.DefaultVersion)
}
