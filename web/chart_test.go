package web

import (
	"bytes"
	"encoding/xml"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wellFormed parses an SVG document to its end and returns its text nodes.
func wellFormed(t *testing.T, svg []byte) string {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(svg))
	var text strings.Builder
	root := ""
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch v := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = v.Name.Local
			}
		case xml.CharData:
			text.Write(v)
			text.WriteByte(' ')
		}
	}
	require.Equal(t, "svg", root)
	return text.String()
}

func TestLineChartSVG(t *testing.T) {
	t.Parallel()
	w0 := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC)
	week := func(i int) time.Time { return w0.AddDate(0, 0, 7*i) }
	target := 0.9
	svg, err := lineChartSVG(lineChart{
		Title: "CSAT per week", YLabel: "CSAT", Percent: true, Target: &target, TargetLabel: "target 90 %",
		Series: []chartSeries{
			{Name: "phone", Points: []chartPoint{{X: week(0), Y: 0.82}, {X: week(1), Y: 0.88}, {X: week(2), Missing: true}, {X: week(3), Y: 0.93}}},
			{Name: "chat", Points: []chartPoint{{X: week(0), Y: 0.95}, {X: week(1), Y: 0.91}, {X: week(2), Y: 0.9}, {X: week(3), Y: 0.97}}},
		},
	})
	require.NoError(t, err)
	text := wellFormed(t, svg)
	for _, want := range []string{"CSAT per week", "phone", "chat", "target 90 %", "%"} {
		require.Contains(t, text, want)
	}
	if dir := os.Getenv("FLOWLAB_CHART_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(dir+"/line.svg", svg, 0o644))
	}

	// Durations are drawn in a unit that fits them.
	svg, err = lineChartSVG(lineChart{Title: "Cycle time", YLabel: "median", Duration: true,
		Series: []chartSeries{{Name: "median", Points: []chartPoint{{X: week(0), Y: 5 * 3600}, {X: week(1), Y: 4 * 3600}}}}})
	require.NoError(t, err)
	require.Contains(t, wellFormed(t, svg), "median (hours)")

	// No data at all still draws axes and says so.
	svg, err = lineChartSVG(lineChart{Title: "NPS", YLabel: "NPS", Series: []chartSeries{{Name: "all", Points: []chartPoint{{X: week(0), Missing: true}}}}})
	require.NoError(t, err)
	require.Contains(t, wellFormed(t, svg), "no data in this period")

	// A rate far below 100 % keeps an axis that shows it (not 0–100 %).
	low := 0.02
	svg, err = lineChartSVG(lineChart{Title: "Complaint rate", YLabel: "rate", Percent: true, Target: &low,
		Series: []chartSeries{{Name: "all", Points: []chartPoint{{X: week(0), Y: 0.01}, {X: week(1), Y: 0.03}}}}})
	require.NoError(t, err)
	text = wellFormed(t, svg)
	require.NotContains(t, text, "100 %")
	require.Contains(t, text, "3 %")
}

func TestDistributionChartSVG(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	var control, treatment []float64
	for range 200 {
		control = append(control, 3600*(4+2*r.NormFloat64()*0.5))
		treatment = append(treatment, 3600*(2.5+r.NormFloat64()*0.5))
	}
	svg, err := distributionChartSVG(distChart{Title: "Cycle time by arm", Arms: []distArm{{"control", control}, {"treatment", treatment}}})
	require.NoError(t, err)
	text := wellFormed(t, svg)
	require.Contains(t, text, "control (n = 200, median")
	require.Contains(t, text, "treatment (n = 200, median")
	require.Contains(t, text, "cycle time (hours)")
	if dir := os.Getenv("FLOWLAB_CHART_OUT"); dir != "" {
		require.NoError(t, os.WriteFile(dir+"/dist.svg", svg, 0o644))
	}

	// The legend's medians are the arms' medians.
	require.Equal(t, 2.5, sortedMedian([]float64{1, 2, 3, 4}))
	require.Equal(t, 3.0, sortedMedian([]float64{1, 3, 9}))

	// One empty arm and no data at all.
	svg, err = distributionChartSVG(distChart{Title: "x", Arms: []distArm{{"control", []float64{60, 120}}, {"treatment", nil}}})
	require.NoError(t, err)
	require.Contains(t, wellFormed(t, svg), "treatment (n = 0)")
	svg, err = distributionChartSVG(distChart{Title: "x", Arms: []distArm{{"control", nil}, {"treatment", nil}}})
	require.NoError(t, err)
	require.Contains(t, wellFormed(t, svg), "no closed cases yet")
}
