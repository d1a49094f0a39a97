package beforeafter

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/discovery"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func at(m float64) time.Time { return t0.Add(time.Duration(m * float64(time.Minute))) }

// A log of four cases where "Fix it" waits 60 min after "Log call" (one case
// fixes twice) against spans where "fix" waits 10 min: every figure by hand.
func TestCompare(t *testing.T) {
	var l discovery.Log
	for i := range 4 {
		c := discovery.Case{ID: string(rune('a' + i)), Events: []discovery.Event{
			{Activity: "Log call", Time: at(0)},
			{Activity: "Fix it", Time: at(60)},
			{Activity: "Chat", Time: at(61)},
		}}
		if i == 0 {
			c.Events = append(c.Events, discovery.Event{Activity: "Fix it", Time: at(121)})
		}
		l.Cases = append(l.Cases, c)
	}
	var spans []analytics.Span
	var cases []AfterCase
	for i := range 4 {
		id := string(rune('p' + i))
		claimed := at(11)
		spans = append(spans,
			analytics.Span{CaseID: id, Seq: 1, Step: "log_call", Kind: "task", Entered: at(0), Claimed: ptr(at(0)), Completed: at(1)},
			analytics.Span{CaseID: id, Seq: 2, Step: "fix", Kind: "task", Entered: at(1), Claimed: &claimed, Completed: at(21)},
		)
		cases = append(cases, AfterCase{ID: id, CycleSeconds: 21 * 60})
	}
	res := Compare(l, spans, cases, map[string]string{"Log call": "log_call", "Fix it": "fix"})
	require.Len(t, res.Steps, 2)
	fix := res.Steps[1]
	require.Equal(t, "fix", fix.Step)
	require.Equal(t, []string{"Fix it"}, fix.Activities)
	require.Equal(t, Side{Cases: 4, Events: 5, Wait: discovery.Quantiles{N: 5, P50: 3600, P90: 3600, P95: 3600},
		Share: 1, Rework: 0.25, ReworkCases: 1}, fix.Before)
	require.Equal(t, 4, fix.After.Cases)
	require.Equal(t, discovery.Quantiles{N: 4, P50: 600, P90: 600, P95: 600}, fix.After.Wait)
	require.Equal(t, discovery.Quantiles{N: 4, P50: 600, P90: 600, P95: 600}, fix.After.Work)
	// 600 s after against 3,600 s before: a ratio of 1/6.
	require.InDelta(t, 600.0/3600, fix.WaitRatio.Estimate, 1e-9)
	require.LessOrEqual(t, fix.WaitRatio.Low, fix.WaitRatio.Estimate)
	require.GreaterOrEqual(t, fix.WaitRatio.High, fix.WaitRatio.Estimate)
	require.True(t, math.IsNaN(fix.WorkRatio.Estimate), "the log has no working time")
	require.InDelta(t, -0.25, fix.ReworkDiff.Estimate, 1e-9)
	require.Equal(t, []string{"Chat"}, res.UnmappedActivities)
	// Cycle times: 61 min (three cases) and 121 min before, 21 min after.
	require.Equal(t, 4, res.Cycle.Before.N)
	require.InDelta(t, 21.0/61, res.Cycle.Ratio.Estimate, 1e-9)
}

func TestProposeMapping(t *testing.T) {
	got := ProposeMapping([]string{"Resolve ticket", "Take in charge ticket", "Closed", "?"},
		[][2]string{{"resolve_ticket", "Resolve"}, {"close", "Closed"}, {"triage", "Triage"}})
	require.Equal(t, map[string]string{"Resolve ticket": "resolve_ticket", "Closed": "close"}, got)
}

func ptr[T any](v T) *T { return &v }
