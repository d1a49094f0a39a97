package api

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/dotlayout"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

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
			_, res := e.Send("", http.MethodGet, "/healthz", nil, nil)
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
		_, res := e.Send(as, http.MethodGet, path, nil, nil)
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
		res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(servertest.HugeFlowYAML("huge", 300)), nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	}
	const svg = "/api/v1/flows/huge/versions/1/graph.svg"

	t.Run("refused beyond the size limits", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.Actor("olga", store.RoleOwner)
		e.Actor("sam", store.RoleStaff, "customer_service")
		publish(t, e)
		for _, path := range []string{svg, svg + "?heat=wait_p90"} {
			code, body, took, health := drawWhileWatchingHealth(t, e, "sam", path, graphBound)
			require.Equal(t, http.StatusUnprocessableEntity, code, body)
			require.Contains(t, body, httpx.ProblemBase+apiv1.ProblemGraphTooLarge)
			require.Contains(t, body, "the graph of huge v1 is not drawn: it has 301 steps; at most 150 are drawn")
			require.Less(t, health, healthBound, "healthz stalled while the graph was drawn")
			t.Logf("%s refused in %s; slowest healthz %s", path, took, health)
		}
		require.Zero(t, e.srv.graphs.Started(), "no layout was started")
		// The contract: 422 is a documented answer of graph.svg.
		servertest.ProblemOf(t, e.Do("sam", http.MethodGet, svg, nil, nil), http.StatusUnprocessableEntity)
		// graph.json still answers.
		require.Equal(t, http.StatusOK, e.Do("sam", http.MethodGet, "/api/v1/flows/huge/versions/1/graph.json", nil, nil).Code)
	})

	t.Run("stopped at the layout deadline", func(t *testing.T) {
		t.Parallel()
		e := newEnvWithStore(t, newTestStore(t), func(c *Config) {
			c.GraphLimits = flowgraph.Limits{Steps: 1000, Edges: 5000, LabelBytes: 1 << 20}
			c.GraphLayout = dotlayout.Config{Timeout: 2 * time.Second}
		})
		e.Actor("olga", store.RoleOwner)
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
		p := servertest.ProblemOf(t, e.Do("olga", http.MethodGet, svg, nil, nil), http.StatusUnprocessableEntity)
		require.Contains(t, p.Detail, "took longer than 2s")
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, 1, e.srv.graphs.Started())
		// So are its heat maps, whatever their range or thresholds: each
		// is another DOT, but the version's layout is known to be too much.
		for _, q := range []string{"?heat=wait_p90", "?heat=work_p90&from=2026-01-01T00:00:00Z", "?heat=wait_p90&warn=1m&alert=2m"} {
			p := servertest.ProblemOf(t, e.Do("olga", http.MethodGet, svg+q, nil, nil), http.StatusUnprocessableEntity)
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
	first := e.Do("admin", http.MethodGet, p, nil, nil)
	require.Equal(t, http.StatusOK, first.Code, first.Body.String())
	require.Equal(t, 1, e.srv.graphs.Started())
	again := e.Do("admin", http.MethodGet, p, nil, nil)
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
	e.Actor("olga", store.RoleOwner)
	res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(servertest.HugeFlowYAML("huge", 300)), nil)
	require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
	dot := hugeDOT(t, e)
	go func() { _, _ = e.srv.graphs.SVG(context.Background(), dot) }() // takes the one slot to its deadline
	require.Eventually(t, func() bool { return e.srv.graphs.Started() == 1 }, 30*time.Second, 10*time.Millisecond)

	busy := e.Do("olga", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg", nil, nil)
	p := servertest.ProblemOf(t, busy, http.StatusServiceUnavailable)
	require.Equal(t, httpx.ProblemBase+apiv1.ProblemGraphLayoutBusy, p.Type)
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

// svgText is the text of an SVG's <text> elements, joined by spaces.
func svgText(svg string) string {
	var parts []string
	for _, m := range regexp.MustCompile(`>([^<]*)</text>`).FindAllStringSubmatch(svg, -1) {
		parts = append(parts, html.UnescapeString(m[1]))
	}
	return strings.Join(parts, " ")
}
