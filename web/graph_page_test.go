package web

import (
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
	"github.com/stretchr/testify/require"
)

// TestUIFlowPageSaysWhyTheGraphIsNotDrawn: the flow page of a version
// beyond the size limits shows the reason instead of a broken image.
func TestUIFlowPageSaysWhyTheGraphIsNotDrawn(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	res := e.SendRaw("olga", http.MethodPost, "/api/v1/flows/huge/versions", "application/yaml", []byte(servertest.HugeFlowYAML("huge", 300)), nil)
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
	at := servertest.GraphBase
	for i, step := range []string{"record", "investigate", "feedback", "review"} {
		wait := time.Duration(2+5*i) * time.Second // 2s, 7s, 12s, 17s
		claimed := at.Add(wait)
		require.NoError(t, e.st.RecordSpan(t.Context(), store.Span{CaseID: "quick", Seq: i + 1, Flow: "complaint", Version: 1, Step: step,
			Kind: "task", Department: "technical", EnteredAt: at, ClaimedAt: &claimed, CompletedAt: claimed.Add(time.Second), Outcome: "done"}))
		at = claimed.Add(time.Second)
	}
	q := servertest.GraphWindow()
	q.Set("heat", "wait_p90")
	res := e.Do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil, nil)
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
	res = e.Do("ivan", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.svg?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Contains(t, res.Body.String(), "white: 0, red: 1h or more")
	require.NotContains(t, res.Body.String(), "scale from the data")
}
