package browser

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

// testHeatMap: after some complaints went through, the process owner's
// flow page shows the graph with its heat map (the image loaded) and a
// legend, and the per-step table has numbers.
func (e *env) testHeatMap(t *testing.T) {
	for i := range 3 {
		c := e.startCase(t, "C-browser-heat-"+strconv.Itoa(i))
		e.runCaseToEnd(t, c.ID)
	}

	s := e.newSession(t, owner)
	require.Equal(t, int64(http.StatusOK), s.signIn())
	require.Equal(t, "/ui/flows", s.path(), "owners land on the flows")
	s.shot("01-flows")
	status := s.submit("open the complaint flow", chromedp.Click(chromedp.CSS(`a[href="/ui/flows/complaint"]`)))
	require.Equal(t, int64(http.StatusOK), status)
	require.Equal(t, "/ui/flows/complaint", s.path())

	img := `document.querySelector('[data-testid="heatmap"]') || document.querySelector('figure.chart img')`
	s.waitJS("the graph image loads", `(() => { const i = `+img+`; return i && i.complete && i.naturalWidth > 0; })()`, 10*time.Second)
	require.NotEmpty(t, eval[string](s, `(`+img+`).alt`), "the graph has a text alternative")
	// The image is the server's SVG, and it has the heat colours.
	svg := eval[string](s, `fetch((`+img+`).src, {credentials: "same-origin"}).then(r => r.ok && r.headers.get("content-type").startsWith("image/svg+xml") ? r.text() : "HTTP " + r.status + " " + r.headers.get("content-type"))`)
	require.True(t, strings.HasPrefix(strings.TrimSpace(svg), "<?xml") || strings.HasPrefix(strings.TrimSpace(svg), "<svg"), "graph: %.200s", svg)
	require.Contains(t, svg, "Record the complaint", "the graph names the steps")

	require.True(t, s.has(`[data-testid="legend"]`), "the heat map has a legend")
	require.GreaterOrEqual(t, eval[int](s, `document.querySelectorAll('[data-testid="legend"] li').length`), 2, "the legend has a scale")
	for _, step := range []string{"record", "investigate", "feedback", "review", "notify_customer"} {
		cases := eval[string](s, `(document.querySelector('[data-testid="step-row"][data-step="`+step+`"] td[data-value]') || {}).dataset?.value || ""`)
		require.NotEmpty(t, cases, "step %s has a row", step)
		require.NotEqual(t, "0", cases, "step %s has cases", step)
	}
	s.shotAt("02-flow-heatmap", laptop, tabletLand, tabletPortrait)
}
