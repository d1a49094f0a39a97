package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
			for ctx.Err() == nil {
				status, body := e.doQuiet(dep, http.MethodGet, "/api/v1/tasks?department="+dep+"&status=open&limit=200", nil)
				if status == http.StatusOK {
					var page struct {
						Tasks []taskJSON `json:"tasks"`
					}
					if json.Unmarshal(body, &page) == nil {
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
								status, body := e.doQuiet(dep, http.MethodPost, "/api/v1/tasks/"+tk.ID+"/complete",
									map[string]any{"outcome": tk.Outcomes[0], "data": formData(tk)})
								if status != http.StatusOK && ctx.Err() == nil {
									// A person whose completion is refused
									// (the case was continuing as new, the
									// engine was briefly unavailable) tries
									// again: the next poll offers the task
									// again while it is open.
									e.noteAgentFailure(status, body)
									seen.Delete(tk.ID)
								}
							}()
						}
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

// noteAgentFailure counts a refused completion by its status and title.
func (e *env) noteAgentFailure(status int, body []byte) {
	var p struct {
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	_ = json.Unmarshal(body, &p)
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
	status, body := e.doQuiet("admin", http.MethodGet, "/api/v1/cases/"+caseID, nil)
	if status != http.StatusOK {
		return d
	}
	var c caseJSON
	if json.Unmarshal(body, &c) != nil {
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

// doQuiet is do for background goroutines: it reports nothing, so a
// request racing the end of a test cannot fail it.
func (e *env) doQuiet(who, method, path string, body any) (int, []byte) {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		return 0, nil
	}
	req.Header.Set("Authorization", "Bearer "+e.tokens[who])
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

type metricJSON struct {
	Metric string  `json:"metric"`
	P      float64 `json:"p"`
	Effect float64 `json:"effect"`
}

type pilotJSON struct {
	ID             string `json:"id"`
	Flow           string `json:"flow"`
	Control        int    `json:"control"`
	Treatment      int    `json:"treatment"`
	Status         string `json:"status"`
	StopReason     string `json:"stop_reason"`
	Winner         string `json:"winner"`
	Recommendation string `json:"recommendation"`
	PromotedArm    string `json:"promoted_arm"`
}

// waitPilotEnd polls the pilot until it is no longer running.
func (e *env) waitPilotEnd(id string, within time.Duration) pilotJSON {
	deadline := time.Now().Add(within)
	var pl pilotJSON
	for time.Now().Before(deadline) {
		e.mustDo("admin", http.MethodGet, "/api/v1/pilots/"+id, nil, http.StatusOK, &pl)
		if pl.Status != "running" {
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
		var c struct {
			ID      string `json:"id"`
			Version int    `json:"version"`
		}
		e.mustDo("customer_service", http.MethodPost, "/api/v1/cases",
			map[string]any{"flow": "complaint", "customer": fmt.Sprintf("%s-%d", prefix, i), "channel": "chat",
				"attributes": map[string]any{"severity": "primary"}}, http.StatusCreated, &c)
		versions[c.ID] = c.Version
		time.Sleep(gap)
	}
	return versions
}

// exportedCycleTimes recomputes each arm's cycle times from the raw span
// export: one value per completed case, creation to close.
func (e *env) exportedCycleTimes(pilotID string) map[string][]float64 {
	status, body := e.do("admin", http.MethodGet, "/api/v1/spans?format=jsonl&pilot="+pilotID, nil)
	require.Equal(e.t, http.StatusOK, status, string(body))
	perCase := map[string]float64{}
	armOf := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var row struct {
			CaseID        string `json:"case_id"`
			Arm           string `json:"arm"`
			CaseStatus    string `json:"case_status"`
			CaseCreatedAt string `json:"case_created_at"`
			CaseClosedAt  string `json:"case_closed_at"`
		}
		require.NoError(e.t, json.Unmarshal(sc.Bytes(), &row), sc.Text())
		if row.CaseStatus != "completed" || row.CaseClosedAt == "" {
			continue
		}
		created, err := time.Parse(time.RFC3339Nano, row.CaseCreatedAt)
		require.NoError(e.t, err)
		closed, err := time.Parse(time.RFC3339Nano, row.CaseClosedAt)
		require.NoError(e.t, err)
		perCase[row.CaseID] = closed.Sub(created).Seconds()
		armOf[row.CaseID] = row.Arm
	}
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
	var pl pilotJSON
	e.mustDo("admin", http.MethodPost, "/api/v1/pilots", map[string]any{
		"flow": "complaint", "treatment": 2, "share": 50, "unit": "case", "primary_metric": "cycle_time",
		"min_cases_per_arm": 12, "evaluate_every": "1s", "max_duration": "10m",
		"guardrails": []map[string]any{{"metric": "sla_breach_rate", "max_worsening": 0.2}},
	}, http.StatusCreated, &pl)
	require.Equal(t, 1, pl.Control, "the control is the default version")
	require.Equal(t, "running", pl.Status)
	// At most one running pilot per flow.
	status, body := e.do("admin", http.MethodPost, "/api/v1/pilots", map[string]any{"flow": "complaint", "treatment": 2})
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
	require.Equal(t, "completed", pl.Status, "%+v", pl)
	require.Equal(t, "treatment", pl.Winner, pl.Recommendation)
	require.Contains(t, pl.Recommendation, "promote v2")

	var res struct {
		Arms map[string]struct {
			N                  int     `json:"n"`
			CycleN             int     `json:"cycle_n"`
			MedianCycleSeconds float64 `json:"median_cycle_seconds"`
			P90CycleSeconds    float64 `json:"p90_cycle_seconds"`
		} `json:"arms"`
		Metrics []metricJSON `json:"metrics"`
	}
	e.mustDo("admin", http.MethodGet, "/api/v1/pilots/"+pl.ID+"/results", nil, http.StatusOK, &res)
	exported := e.exportedCycleTimes(pl.ID)
	for _, arm := range []string{"control", "treatment"} {
		got := res.Arms[arm]
		require.Equal(t, len(exported[arm]), got.CycleN, "%s: closed cases in the export", arm)
		require.InDelta(t, stats.Median(exported[arm]), got.MedianCycleSeconds, 1e-6, "%s median", arm)
		require.InDelta(t, stats.Quantile(exported[arm], 0.9), got.P90CycleSeconds, 1e-6, "%s p90", arm)
	}
	require.Less(t, res.Arms["treatment"].MedianCycleSeconds, res.Arms["control"].MedianCycleSeconds)
	i := slices.IndexFunc(res.Metrics, func(m metricJSON) bool { return m.Metric == "cycle_time" })
	require.GreaterOrEqual(t, i, 0, "cycle_time in the results")
	cycle := res.Metrics[i]
	require.Less(t, cycle.P, 0.05)
	require.Less(t, cycle.Effect, 0.0, "the treatment is faster")

	e.mustDo("admin", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/promote", map[string]any{"arm": "treatment"}, http.StatusOK, &pl)
	require.Equal(t, "promoted", pl.Status)
	var created struct {
		Version int `json:"version"`
	}
	e.mustDo("customer_service", http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": "complaint", "customer": "after", "channel": "chat"}, http.StatusCreated, &created)
	require.Equal(t, 2, created.Version, "new cases start on the promoted version")
}

// A treatment that breaches its SLAs is stopped by its guardrail without
// anyone acting; each customer stays in one arm while the pilot runs, and
// after the stop every new case goes to the control.
func TestPilotGuardrailStopsTreatment(t *testing.T) {
	e := newEnv(t)
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
	req, err := http.NewRequest(http.MethodPost, e.url+"/api/v1/flows/complaint/versions", strings.NewReader(src))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/yaml")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))

	var pl pilotJSON
	e.mustDo("admin", http.MethodPost, "/api/v1/pilots", map[string]any{
		"flow": "complaint", "treatment": 3, "share": 50, "unit": "customer",
		"min_cases_per_arm": 200, "evaluate_every": "1s", "max_duration": "10m",
		"guardrails": []map[string]any{{"metric": "sla_breach_rate", "max_worsening": 0.1}},
	}, http.StatusCreated, &pl)

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
			var c struct {
				Version int `json:"version"`
			}
			customer := fmt.Sprintf("G-%d", i)
			e.mustDo("customer_service", http.MethodPost, "/api/v1/cases",
				map[string]any{"flow": "complaint", "customer": customer, "channel": "phone"}, http.StatusCreated, &c)
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
	require.Equal(t, "stopped", pl.Status)
	require.Contains(t, pl.StopReason, "SLA breach rate")
	for i := 0; i < 4; i++ {
		var c struct {
			Version int `json:"version"`
		}
		e.mustDo("customer_service", http.MethodPost, "/api/v1/cases",
			map[string]any{"flow": "complaint", "customer": fmt.Sprintf("G-%d", i), "channel": "phone"}, http.StatusCreated, &c)
		require.Equal(t, 1, c.Version, "after the stop every case goes to the control")
	}
}

// A PDCA cycle runs Plan → Do (a pilot of complaint v2, driven by simulated
// agents) → Check → Act, and Act's "standardise" makes v2 the default.
func TestPDCACycle(t *testing.T) {
	e := newEnv(t)
	var tok struct {
		Token string `json:"token"`
	}
	e.mustDo("admin", http.MethodPost, "/api/v1/tokens",
		map[string]any{"name": "improvement team", "role": "improver", "departments": []string{"improvement"}}, http.StatusCreated, &tok)
	e.tokens["improvement"] = tok.Token

	var cycle struct {
		ID string `json:"id"`
	}
	e.mustDo("improvement", http.MethodPost, "/api/v1/cases", map[string]any{"flow": "pdca", "customer": "improvement-team", "channel": "app",
		"attributes": map[string]any{"flow": "complaint", "metric": "cycle_time"}}, http.StatusCreated, &cycle)
	plan := e.waitOpenTask(cycle.ID)
	require.Equal(t, "plan", plan.Step)
	e.mustDo("improvement", http.MethodPost, "/api/v1/tasks/"+plan.ID+"/complete", map[string]any{"outcome": "planned", "data": map[string]any{
		"problem": "complaints cross three departments", "target": 1.0, "hypothesis": "one-stop handling removes the handoffs",
		"treatment": 2, "share": 50, "min_cases_per_arm": 10, "evaluate_every": "1s", "max_duration": "10m",
	}}, http.StatusOK, nil)

	stop := e.agents(map[string]time.Duration{
		"customer_service": 50 * time.Millisecond, "technical": 1500 * time.Millisecond,
		"supervisor": 20 * time.Millisecond, "crisis_team": 20 * time.Millisecond,
	})
	defer stop()
	e.startCases("D", 40, 30*time.Millisecond)

	// Check: the pilot has ended and its results sit on the cycle.
	deadline := time.Now().Add(2 * time.Minute)
	var check taskJSON
	for time.Now().Before(deadline) {
		c := e.getCase(cycle.ID)
		if len(c.Tasks) == 1 && c.Tasks[0].Step == "check" {
			check = c.Tasks[0]
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	require.Equal(t, "check", check.Step, "the cycle reached Check")
	var detail struct {
		Attributes map[string]any `json:"attributes"`
	}
	e.mustDo("admin", http.MethodGet, "/api/v1/cases/"+cycle.ID, nil, http.StatusOK, &detail)
	require.Equal(t, "completed", detail.Attributes["pilot_status"], "%v", detail.Attributes)
	require.Equal(t, "treatment", detail.Attributes["pilot_winner"], "%v", detail.Attributes)
	require.Less(t, detail.Attributes["pilot_treatment_value"], detail.Attributes["pilot_control_value"])
	require.IsType(t, true, detail.Attributes["target_met"], "the pilot set against the plan's target: %v", detail.Attributes)
	pilotID, _ := detail.Attributes["pilot_id"].(string)
	require.NotEmpty(t, pilotID)

	e.mustDo("improvement", http.MethodPost, "/api/v1/tasks/"+check.ID+"/complete", map[string]any{"outcome": "target_met",
		"data": map[string]any{"finding": "v2 is faster"}}, http.StatusOK, nil)
	act := e.waitOpenTask(cycle.ID)
	require.Equal(t, "act", act.Step)
	e.mustDo("improvement", http.MethodPost, "/api/v1/tasks/"+act.ID+"/complete", map[string]any{"outcome": "standardise",
		"data": map[string]any{"learning": "one-stop handling for all complaints"}}, http.StatusOK, nil)

	deadline = time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) && e.getCase(cycle.ID).Status == "active" {
		time.Sleep(100 * time.Millisecond)
	}
	require.Equal(t, "completed", e.getCase(cycle.ID).Status)
	var pl pilotJSON
	e.mustDo("admin", http.MethodGet, "/api/v1/pilots/"+pilotID, nil, http.StatusOK, &pl)
	require.Equal(t, "promoted", pl.Status)
	require.Equal(t, "treatment", pl.PromotedArm)
	var fl struct {
		DefaultVersion int `json:"default_version"`
	}
	e.mustDo("admin", http.MethodGet, "/api/v1/flows/complaint", nil, http.StatusOK, &fl)
	require.Equal(t, 2, fl.DefaultVersion)
}
