package server

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/dotlayout"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/server/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// hugeFlowYAML is a valid flow of n task steps (and an end) whose graph
// takes Graphviz minutes to lay out at n = 300: a chain with rework edges
// back and escalations forward that cross each other.
func hugeFlowYAML(key string, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "key: %s\nname: Huge\ndepartments: [customer_service, technical, supervisor]\nsteps:\n", key)
	depts := []string{"customer_service", "technical", "supervisor"}
	for i := range n {
		next := fmt.Sprintf("s%d", i+1)
		if i == n-1 {
			next = "done"
		}
		fmt.Fprintf(&b, "  - id: s%d\n    kind: task\n    name: Step number %d of the process\n    department: %s\n    sla: 4h\n    outcomes:\n      - name: finished\n        next: %s\n",
			i, i, depts[i%3], next)
		if i >= 3 {
			fmt.Fprintf(&b, "      - name: rework\n        next: s%d\n", i-3)
		}
		if i+7 < n {
			fmt.Fprintf(&b, "      - name: escalate\n        next: s%d\n", i+7)
		}
	}
	b.WriteString("  - id: done\n    kind: end\n")
	return b.String()
}

// drawWhileWatchingHealth requests path (a graph) as as while polling
// /healthz every 20 ms, with a garbage collection every 100 ms as a busy
// server has (a collection is what waits for a layout that runs in the
// process). It returns the graph's answer, how long it took and the
// slowest /healthz answer. It fails the test when the graph takes longer
// than limit.
func drawWhileWatchingHealth(t *testing.T, e *testEnv, as, path string, limit time.Duration) (code int, body string, took, slowestHealth time.Duration) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var mu sync.Mutex
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				runtime.GC()
			}
		}
	})
	wg.Go(func() {
		// A stall while the poller sleeps delays its next answer as much
		// as one during a request: each answer's delay is counted from
		// when the poller meant to ask (the previous answer plus the
		// pause), not from when it could.
		const pause = 20 * time.Millisecond
		last := time.Now()
		for ctx.Err() == nil {
			time.Sleep(pause)
			_, res := e.send("", http.MethodGet, "/healthz", nil, nil)
			now := time.Now()
			d := now.Sub(last) - pause
			last = now
			if res.Code != http.StatusOK {
				t.Errorf("healthz: %d", res.Code)
			}
			mu.Lock()
			slowestHealth = max(slowestHealth, d)
			mu.Unlock()
		}
	})
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		_, res := e.send(as, http.MethodGet, path, nil, nil)
		code, body = res.Code, res.Body.String()
	}()
	select {
	case <-done:
		took = time.Since(start)
	case <-time.After(limit):
		stop()
		t.Fatalf("GET %s took longer than %s", path, limit)
	}
	stop()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	return code, body, took, slowestHealth
}

// TestFlowGraphOfAHugeFlowNeverStallsTheServer: the graph of a 300-step
// flow is refused with a message (beyond the size limits) or drawn or
// stopped within a few seconds (when the limits let it through), and
// /healthz answers promptly throughout. Before layouts ran in a child
// process, the layout ran minutes inside the server and every garbage
// collection, so every request, waited for it.
//
// The bounds are generous for the race detector on a loaded machine
// (healthz within 1 s, the refusal or drawing within 60 s), and still
// far from what a layout in the process does (minutes for both).
func TestFlowGraphOfAHugeFlowNeverStallsTheServer(t *testing.T) {
	t.Parallel()
	const healthBound, graphBound = time.Second, 60 * time.Second
	publish := func(t *testing.T, e *testEnv) {
		t.Helper()
		res := e.sendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(hugeFlowYAML("huge", 300)), nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	}
	const svg = "/api/v1/flows/huge/versions/1/graph.svg"

	t.Run("refused beyond the size limits", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.actor("olga", store.RoleOwner)
		e.actor("sam", store.RoleStaff, "customer_service")
		publish(t, e)
		for _, path := range []string{svg, svg + "?heat=wait_p90"} {
			code, body, took, health := drawWhileWatchingHealth(t, e, "sam", path, graphBound)
			require.Equal(t, http.StatusUnprocessableEntity, code, body)
			require.Contains(t, body, httpx.ProblemBase+problemGraphTooLarge)
			require.Contains(t, body, "the graph of huge v1 is not drawn: it has 301 steps; at most 150 are drawn")
			require.Less(t, health, healthBound, "healthz stalled while the graph was drawn")
			t.Logf("%s refused in %s; slowest healthz %s", path, took, health)
		}
		require.Zero(t, e.srv.graphs.Started(), "no layout was started")
		// The contract: 422 is a documented answer of graph.svg.
		problemOf(t, e.do("sam", http.MethodGet, svg, nil, nil), http.StatusUnprocessableEntity)
		// graph.json still answers.
		require.Equal(t, http.StatusOK, e.do("sam", http.MethodGet, "/api/v1/flows/huge/versions/1/graph.json", nil, nil).Code)
	})

	t.Run("stopped at the layout deadline", func(t *testing.T) {
		t.Parallel()
		e := newEnvWithStore(t, newTestStore(t), func(c *Config) {
			c.GraphLimits = flowgraph.Limits{Steps: 1000, Edges: 5000, LabelBytes: 1 << 20}
			c.GraphLayout = dotlayout.Config{Timeout: 2 * time.Second}
		})
		e.actor("olga", store.RoleOwner)
		publish(t, e)
		code, body, took, health := drawWhileWatchingHealth(t, e, "olga", svg, graphBound)
		t.Logf("answered %d in %s; slowest healthz %s", code, took, health)
		require.Less(t, health, healthBound, "healthz stalled while the graph was laid out")
		if code == http.StatusOK { // a very fast machine drew it in time
			return
		}
		require.Equal(t, http.StatusUnprocessableEntity, code, body)
		require.Contains(t, body, "the graph of huge v1 is not drawn: laying it out took longer than 2s and was stopped")
		// Asking again is refused at once, without a new layout.
		start := time.Now()
		p := problemOf(t, e.do("olga", http.MethodGet, svg, nil, nil), http.StatusUnprocessableEntity)
		require.Contains(t, p.Detail, "took longer than 2s")
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, 1, e.srv.graphs.Started())
		// So are its heat maps, whatever their range or thresholds: each
		// is another DOT, but the version's layout is known to be too much.
		for _, q := range []string{"?heat=wait_p90", "?heat=work_p90&from=2026-01-01T00:00:00Z", "?heat=wait_p90&warn=1m&alert=2m"} {
			p := problemOf(t, e.do("olga", http.MethodGet, svg+q, nil, nil), http.StatusUnprocessableEntity)
			require.Contains(t, p.Detail, "took longer than 2s", q)
		}
		require.Equal(t, 1, e.srv.graphs.Started(), "no heat map started a layout of its own")

		// The UI's image says so in words.
		res := e.page("olga", http.MethodGet, "/ui/flows/huge/versions/1/graph.svg", nil)
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		require.Equal(t, mimeSVG, res.Header().Get("Content-Type"))
		require.Contains(t, svgText(res.Body.String()), "Graph too large to draw the graph of huge v1 is not drawn: laying it out took longer than 2s and was stopped")
	})
}

// newTestStore is newEnv's store: a migrated SQLite database with the
// built-in flows.
func newTestStore(t *testing.T) store.Store {
	t.Helper()
	return newEnv(t).st
}

// TestFlowGraphLayoutIsCached: a version's drawing is laid out once; the
// same request again does not start a layout.
func TestFlowGraphLayoutIsCached(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const p = "/api/v1/flows/complaint/versions/1/graph.svg"
	first := e.do("admin", http.MethodGet, p, nil, nil)
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	require.Equal(t, 1, e.srv.graphs.Started())
	again := e.do("admin", http.MethodGet, p, nil, nil)
	require.Equal(t, first.Body.String(), again.Body.String())
	require.Equal(t, 1, e.srv.graphs.Started())
}

// TestFlowGraphBusy: when every layout slot is taken and the wait for one
// ends, graph.svg answers 503 with Retry-After, and the UI's image says so
// in words.
func TestFlowGraphBusy(t *testing.T) {
	t.Parallel()
	e := newEnvWithStore(t, newTestStore(t), func(c *Config) {
		c.GraphLimits = flowgraph.Limits{Steps: 1000, Edges: 5000, LabelBytes: 1 << 20}
		c.GraphLayout = dotlayout.Config{Concurrency: 1, QueueWait: 300 * time.Millisecond, Timeout: 8 * time.Second}
	})
	e.actor("olga", store.RoleOwner)
	res := e.sendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(hugeFlowYAML("huge", 300)), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	dot := hugeDOT(t, e)
	go func() { _, _ = e.srv.graphs.SVG(context.Background(), dot) }() // takes the one slot to its deadline
	require.Eventually(t, func() bool { return e.srv.graphs.Started() == 1 }, 30*time.Second, 10*time.Millisecond)

	busy := e.do("olga", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg", nil, nil)
	p := problemOf(t, busy, http.StatusServiceUnavailable)
	require.Equal(t, httpx.ProblemBase+problemGraphLayoutBusy, p.Type)
	require.Equal(t, "5", busy.Header().Get("Retry-After"))
	require.Contains(t, p.Detail, "the graph of complaint v1 is not drawn: the server is drawing as many graphs as it may at once")

	img := e.page("olga", http.MethodGet, "/ui/flows/complaint/versions/1/graph.svg", nil)
	require.Equal(t, http.StatusServiceUnavailable, img.Code)
	require.Equal(t, mimeSVG, img.Header().Get("Content-Type"))
	require.Contains(t, svgText(img.Body.String()), "Too many graphs being drawn the graph of complaint v1 is not drawn: the server is drawing as many graphs as it may at once")
}

// hugeDOT is the DOT of the huge flow's graph.
func hugeDOT(t *testing.T, e *testEnv) []byte {
	t.Helper()
	fv, err := e.st.GetFlowVersion(t.Context(), "huge", 1)
	require.NoError(t, err)
	def, err := compiledDefinition(fv)
	require.NoError(t, err)
	return flowgraph.DOT(flowgraph.Build(def), nil)
}

// TestUIFlowPageSaysWhyTheGraphIsNotDrawn: the flow page of a version
// beyond the size limits shows the reason instead of a broken image.
func TestUIFlowPageSaysWhyTheGraphIsNotDrawn(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	res := e.sendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(hugeFlowYAML("huge", 300)), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	body := requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/huge?version=1", nil), http.StatusOK)
	require.Regexp(t, regexp.MustCompile(`data-testid="graph-too-large">the graph of huge v1 is not drawn: it has 301 steps; at most 150 are drawn`), body)
	require.NotContains(t, body, `data-testid="heatmap"`)
	// A flow within the limits has its image.
	body = requirePage(t, e.page("olga", http.MethodGet, "/ui/flows/complaint?version=1", nil), http.StatusOK)
	require.Contains(t, body, `data-testid="heatmap"`)
	require.NotContains(t, body, `graph-too-large`)
}

// TestFlowGraphHeatScaleFromData: without warn and alert, the heat map's
// colour scale comes from the data, so on cases that take seconds the
// slowest step is red and every step with data is coloured (with the
// default thresholds' scale, up to 4h, they were all white), and the
// legends of graph.svg and of the flow page say what the scale is.
func TestFlowGraphHeatScaleFromData(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	at := graphBase
	for i, step := range []string{"record", "investigate", "feedback", "review"} {
		wait := time.Duration(2+5*i) * time.Second // 2s, 7s, 12s, 17s
		claimed := at.Add(wait)
		require.NoError(t, e.st.RecordSpan(t.Context(), store.Span{CaseID: "quick", Seq: i + 1, Flow: "complaint", Version: 1, Step: step,
			Kind: "task", Department: "technical", EnteredAt: at, ClaimedAt: &claimed, CompletedAt: claimed.Add(time.Second), Outcome: "done"}))
		at = claimed.Add(time.Second)
	}
	q := graphWindow()
	q.Set("heat", "wait_p90")
	res := e.do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	svg := res.Body.String()
	fills := regexp.MustCompile(`<g id="step&#45;([a-z_]+)" class="node[^"]*">\s*<title>[^<]*</title>\s*<g id="a_[^"]*"><a xlink:title="[^"]*">\s*<(?:path|polygon|ellipse) fill="(#[0-9a-f]{6})"`).FindAllStringSubmatch(svg, -1)
	byStep := map[string]string{}
	for _, m := range fills {
		byStep[m[1]] = m[2]
	}
	require.Equal(t, "#cb181d", byStep["review"], "the slowest step is red: %v", byStep)
	for _, step := range []string{"record", "investigate", "feedback"} {
		require.NotEqual(t, "#ffffff", byStep[step], "%s has data and is coloured: %v", step, byStep)
	}
	require.Equal(t, "#ffffff", byStep["notify_customer"], "no data: white")
	require.Contains(t, svg, "scale from the data (no threshold set):")
	require.Contains(t, svg, "and the largest wait p90 of the steps (17s)")

	// The page's legend says the same, with units.
	body := requirePage(t, e.page("ivan", http.MethodGet, "/ui/flows/complaint?version=1&heat=wait_p90&from=2025-02-28&to=2025-03-07", nil), http.StatusOK)
	require.Contains(t, body, "Scale from the data (no threshold set): white is 0, then each colour is a quartile of the steps&#39; wait p90; red is the largest.")
	require.Contains(t, body, "17s (largest)")
	require.Contains(t, body, "9.5s (median)")

	// With a threshold set, the scale runs to the alert threshold.
	q.Set("alert", "1h")
	res = e.do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Contains(t, res.Body.String(), "white: 0, red: 1h or more")
	require.NotContains(t, res.Body.String(), "scale from the data")
}

// svgText is the text of an SVG's <text> elements, joined by spaces.
func svgText(svg string) string {
	var parts []string
	for _, m := range regexp.MustCompile(`>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		parts = append(parts, html.UnescapeString(m[1]))
	}
	return strings.Join(parts, " ")
}
