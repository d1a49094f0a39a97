package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/")

// golden compares got with testdata/<name>, rewriting it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./api -run %s -update to create it", t.Name())
	require.Equal(t, string(want), string(got), "%s differs; if the change is intended, run go test ./api -run %s -update", path, t.Name())
}

func TestFlowGraphSVGGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("cs", store.RoleStaff, "customer_service")
	servertest.RecordGraphSpans(t, e.st)

	get := func(path string) []byte {
		t.Helper()
		res := e.Do("cs", http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		require.Equal(t, mimeSVG, res.Header().Get("Content-Type"))
		return res.Body.Bytes()
	}
	const p = "/api/v1/flows/complaint/versions/1/graph.svg"
	plain := get(p)
	require.True(t, bytes.HasPrefix(plain, []byte("<?xml")), string(plain))
	require.Contains(t, string(plain), `<g id="step&#45;record" class="node step kind&#45;task">`)
	require.Contains(t, string(plain), `crisis_team`) // legend
	golden(t, "graph/complaint.v1.svg", plain)
	require.Equal(t, plain, get(p), "the same request gives the same bytes")

	q := servertest.GraphWindow()
	q.Set("heat", "wait_p90")
	heat := get(p + "?" + q.Encode())
	golden(t, "graph/complaint.v1.heat-wait_p90.svg", heat)
	require.Equal(t, heat, get(p+"?"+q.Encode()))

	q.Set("heat", "share")
	q.Set("warn", "15")
	q.Set("alert", "30%")
	golden(t, "graph/complaint.v1.heat-share.svg", get(p+"?"+q.Encode()))
}

// svgTitle matches the tooltips of heat nodes: "<step> (<kind>[, <dept>]):
// <metric> = <exact value>[ s]; cases <n>".
var svgTitle = regexp.MustCompile(`xlink:title="([a-z_]+) \([^)]*\): ([a-z_0-9]+) = ([-+.e0-9]+)(?: s)?; cases (\d+)"`)

// TestFlowGraphNumbersMatchBottlenecks: graph.json's stats and the values
// drawn in graph.svg are those of the bottlenecks endpoint for the same
// spans.
func TestFlowGraphNumbersMatchBottlenecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	servertest.RecordGraphSpans(t, e.st)
	q := servertest.GraphWindow()

	res := e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?version=1&"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var bn apiv1.Bottlenecks
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &bn))
	require.Equal(t, 4, bn.Cases)
	byStep := map[string]apiv1.StepStats{}
	for _, st := range bn.Steps {
		byStep[st.Step] = st
	}
	require.Len(t, byStep, 7) // every step but closed

	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.json?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var g apiv1.Graph
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &g))
	require.Equal(t, "complaint", g.Key)
	require.Equal(t, 1, g.Version)
	require.Equal(t, "record", g.Start)
	require.Len(t, g.Nodes, 8)
	require.Len(t, g.Edges, 9)
	require.Equal(t, []apiv1.GraphDepartment{
		{Name: "customer_service", Colour: flowgraph.Palette[0]}, {Name: "technical", Colour: flowgraph.Palette[1]},
		{Name: "supervisor", Colour: flowgraph.Palette[2]}, {Name: "crisis_team", Colour: flowgraph.Palette[3]},
	}, g.Departments)
	withStats := 0
	for _, n := range g.Nodes {
		want, ok := byStep[n.ID]
		if !ok {
			require.Nil(t, n.Stats, n.ID)
			continue
		}
		withStats++
		require.NotNil(t, n.Stats, n.ID)
		require.Equal(t, apiv1.GraphStats{Cases: want.Cases, Wait: want.Wait, Work: want.Work,
			BusinessWait: want.BusinessWait, BusinessWork: want.BusinessWork, SLABreachRate: want.SLABreachRate, Share: want.Share, Bottleneck: want.Bottleneck}, *n.Stats, n.ID)
	}
	require.Equal(t, 7, withStats)
	require.Equal(t, "investigate", func() string {
		for _, n := range g.Nodes {
			if n.Stats != nil && n.Stats.Bottleneck {
				return n.ID
			}
		}
		return ""
	}())
	require.Equal(t, "customer_service", g.Nodes[0].Department)
	require.Equal(t, "30m", g.Nodes[0].SLA)
	require.Empty(t, g.Nodes[1].Department) // the decision
	require.Equal(t, apiv1.GraphEdge{From: "review", To: "investigate", Label: "rework", Kind: "outcome"}, g.Edges[7])

	metricOf := map[flowgraph.Metric]func(apiv1.StepStats) float64{
		flowgraph.MetricWaitP90:         func(s apiv1.StepStats) float64 { return s.Wait.P90 },
		flowgraph.MetricWorkP90:         func(s apiv1.StepStats) float64 { return s.Work.P90 },
		flowgraph.MetricShare:           func(s apiv1.StepStats) float64 { return s.Share },
		flowgraph.MetricBreach:          func(s apiv1.StepStats) float64 { return s.SLABreachRate },
		flowgraph.MetricBusinessWaitP90: func(s apiv1.StepStats) float64 { return s.BusinessWait.P90 },
		flowgraph.MetricBusinessWorkP90: func(s apiv1.StepStats) float64 { return s.BusinessWork.P90 },
	}
	for _, m := range flowgraph.Metrics {
		hq := servertest.GraphWindow()
		hq.Set("heat", string(m))
		res := e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+hq.Encode(), nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		svg := html.UnescapeString(res.Body.String())
		found := map[string]bool{}
		for _, mt := range svgTitle.FindAllStringSubmatch(svg, -1) {
			step, metric := mt[1], mt[2]
			require.Equal(t, string(m), metric)
			v, err := strconv.ParseFloat(mt[3], 64)
			require.NoError(t, err)
			want := byStep[step]
			require.Equal(t, metricOf[m](want), v, "%s %s", m, step)
			require.Equal(t, strconv.Itoa(want.Cases), mt[4])
			// The label drawn on the node is the endpoint's value, formatted.
			label := m.Title() + " " + m.FormatValue(metricOf[m](want))
			require.Contains(t, svg, ">"+label+"</text>", "%s %s", m, step)
			found[step] = true
		}
		require.Len(t, found, 7, m)
		require.Contains(t, svg, ">no data</text>") // closed
	}

	// Spot checks against values computed by hand: investigate waited
	// 60, 100 and 140 minutes (p90 = 132m), feedback broke no SLA.
	require.InDelta(t, 132*60, byStep["investigate"].Wait.P90, 1e-9)
	require.Equal(t, "2h12m", flowgraph.FormatSeconds(byStep["investigate"].Wait.P90))
	require.InDelta(t, 1.0/3, byStep["investigate"].SLABreachRate, 1e-9)
	require.InDelta(t, 0, byStep["feedback"].SLABreachRate, 0)
}

func TestFlowGraphWindowAndVariant(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	servertest.RecordGraphSpans(t, e.st)
	// Only the first day: one case.
	q := url.Values{"from": {servertest.GraphBase.Format(time.RFC3339)}, "to": {servertest.GraphBase.Add(24 * time.Hour).Format(time.RFC3339)}}
	res := e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.json?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var g apiv1.Graph
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &g))
	require.Equal(t, 1, g.Nodes[0].Stats.Cases)
	require.Nil(t, g.Nodes[3].Stats) // crisis_investigate: case 3 only

	// No spans at all (another variant, another version): no stats, and
	// heat draws every step as "no data".
	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.json?variant=pilot", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	g = apiv1.Graph{}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &g))
	for _, n := range g.Nodes {
		require.Nil(t, n.Stats, n.ID)
	}
	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/2/graph.svg?heat=breach", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Contains(t, res.Body.String(), ">no data</text>")
	require.NotContains(t, res.Body.String(), "; cases")
}

func TestFlowGraphErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const svg = "/api/v1/flows/complaint/versions/1/graph.svg"
	cases := []struct {
		path, field string
	}{
		{svg + "?heat=p99", "heat"},
		{svg + "?heat=", ""}, // empty is absent: the plain graph
		{svg + "?heat=wait_p90&warn=soon", "warn"},
		{svg + "?heat=wait_p90&alert=12", "alert"},
		{svg + "?heat=share&warn=150", "warn"},
		{svg + "?heat=breach&alert=-1", "alert"},
		{svg + "?heat=share&alert=1h", "alert"},
		{svg + "?heat=wait_p90&warn=5h&alert=2h", "warn"},
		{svg + "?warn=1h", "warn"},
		{svg + "?alert=1h", "alert"},
		{svg + "?from=2025-01-01T00:00:00Z", "from"},
		{svg + "?variant=x", "variant"},
		{svg + "?heat=share&from=2025-01-02T00:00:00Z&to=2025-01-01T00:00:00Z", "to"},
		{svg + "?heat=share&from=yesterday", "from"},
		{svg + "?colour=red", "colour"},
		{"/api/v1/flows/complaint/versions/abc/graph.svg", "v"},
		{"/api/v1/flows/complaint/versions/0/graph.json", "v"},
		{"/api/v1/flows/complaint/versions/01/graph.json", "v"},
		{"/api/v1/flows/complaint/versions/1/graph.json?heat=share", "heat"},
		{"/api/v1/flows/complaint/versions/1/graph.json?to=soon", "to"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			res := e.Do("admin", http.MethodGet, c.path, nil, nil)
			if c.field == "" {
				require.Equal(t, http.StatusOK, res.Code, res.Body.String())
				return
			}
			p := servertest.ProblemOf(t, res, http.StatusBadRequest)
			require.Len(t, p.Errors, 1, p.Detail)
			require.Equal(t, c.field, p.Errors[0].Field, p.Detail)
			require.Contains(t, p.Detail, `"`+c.field+`"`)
		})
	}

	// A warn above the default alert raises the alert (and the reverse).
	for _, q := range []string{"heat=wait_p90&warn=5h", "heat=share&alert=10"} {
		res := e.Do("admin", http.MethodGet, svg+"?"+q, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	}
	res := e.Do("admin", http.MethodGet, svg+"?heat=wait_p90&warn=5h", nil, nil)
	require.Contains(t, res.Body.String(), "warn: wait p90 ≥ 5h")
	require.Contains(t, res.Body.String(), "alert: wait p90 ≥ 5h")

	for _, path := range []string{
		"/api/v1/flows/complaint/versions/9/graph.svg", "/api/v1/flows/nope/versions/1/graph.svg",
		"/api/v1/flows/complaint/versions/9/graph.json", "/api/v1/flows/nope/versions/1/graph.json?from=2025-01-01T00:00:00Z",
	} {
		p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, path, nil, nil), http.StatusNotFound)
		require.Contains(t, p.Detail, "not found", path)
	}
	for _, path := range []string{svg, "/api/v1/flows/complaint/versions/1/graph.json"} {
		servertest.ProblemOf(t, e.Do("", http.MethodGet, path, nil, nil), http.StatusUnauthorized)
	}
}

// TestFlowGraphConcurrent renders from several goroutines: each drawing
// is the same bytes however many ask at once (layouts run in child
// processes, a few at a time, and are cached).
func TestFlowGraphConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("owner", store.RoleOwner)
	paths := []string{
		"/api/v1/flows/complaint/versions/1/graph.svg",
		"/api/v1/flows/complaint/versions/2/graph.svg?heat=share",
		"/api/v1/flows/returns-exchange/versions/1/graph.svg",
		"/api/v1/flows/appointment/versions/1/graph.svg?heat=wait_p90",
	}
	want := make([][]byte, len(paths))
	for i, p := range paths {
		res := e.Do("owner", http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		want[i] = res.Body.Bytes()
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4*len(paths))
	for range 4 {
		for i, p := range paths {
			wg.Go(func() {
				_, res := e.Send("owner", http.MethodGet, p, nil, nil)
				if res.Code != http.StatusOK || !bytes.Equal(res.Body.Bytes(), want[i]) {
					errs <- p + ": " + strconv.Itoa(res.Code) + " " + strings.TrimSpace(res.Body.String()[:min(200, res.Body.Len())])
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}
