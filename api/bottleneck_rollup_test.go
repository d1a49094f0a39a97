package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/store"
)

// TestBottlenecksFromRollups: above Config.ExactSpans the report merges the
// store's rollups; every figure equals the exact report's but the
// quantiles, which are within the sketch's bound; the graph overlay shows
// the endpoint's numbers.
func TestBottlenecksFromRollups(t *testing.T) {
	t.Parallel()
	exact := newEnv(t)
	rolled := newEnvWithStore(t, exact.st, func(c *Config) { c.ExactSpans = -1 })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(1, 9))
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	sec := func(mean float64) time.Duration { return time.Duration(rng.ExpFloat64()*mean) * time.Second }
	for c := range 120 {
		id := fmt.Sprintf("c%03d", c)
		at := base.Add(time.Duration(rng.IntN(20*24*60)) * time.Minute)
		for i, st := range []struct{ step, dept string }{{"record", "customer_service"}, {"investigate", "technical"}, {"record", "customer_service"}} {
			claimed := at.Add(sec(3600))
			done := claimed.Add(sec(900))
			due := at.Add(time.Hour)
			require.NoError(t, exact.st.RecordSpan(ctx, store.Span{CaseID: id, Seq: i + 1, Flow: "complaint", Version: 1,
				Step: st.step, Kind: "task", Department: st.dept, EnteredAt: at, ClaimedAt: &claimed, CompletedAt: done,
				SLADue: &due, Breached: done.After(due), EscalationLevel: rng.IntN(2), Outcome: "done"}))
			at = done.Add(sec(7200))
		}
	}
	for _, q := range []url.Values{
		{},
		{"from": {base.Add(50 * time.Hour).Format(time.RFC3339)}, "to": {base.Add(300 * time.Hour).Format(time.RFC3339)}},
	} {
		get := func(e *testEnv, path string) apiv1.Bottlenecks {
			res := e.Do("admin", http.MethodGet, path+"?"+q.Encode(), nil, nil)
			require.Equal(t, http.StatusOK, res.Code, res.Body.String())
			var out apiv1.Bottlenecks
			require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
			return out
		}
		want := get(exact, "/api/v1/flows/complaint/bottlenecks")
		got := get(rolled, "/api/v1/flows/complaint/bottlenecks")
		require.Equal(t, want.Cases, got.Cases)
		require.Len(t, got.Steps, len(want.Steps))
		require.NotEmpty(t, got.Steps)
		for i, w := range want.Steps {
			g := got.Steps[i]
			require.Equal(t, w.Step, g.Step)
			require.Equal(t, w.Cases, g.Cases, w.Step)
			require.Equal(t, w.Breaches, g.Breaches)
			require.Equal(t, w.Escalations, g.Escalations)
			require.Equal(t, w.Bottleneck, g.Bottleneck)
			require.InDelta(t, w.Share, g.Share, 1e-9)
			require.InDelta(t, w.SLABreachRate, g.SLABreachRate, 1e-12)
			for _, p := range [][2]float64{{w.Wait.P50, g.Wait.P50}, {w.Wait.P90, g.Wait.P90}, {w.Wait.P95, g.Wait.P95},
				{w.Work.P50, g.Work.P50}, {w.Work.P95, g.Work.P95}, {w.BusinessWait.P90, g.BusinessWait.P90}} {
				require.LessOrEqual(t, math.Abs(p[1]-p[0]), analytics.SketchRelativeAccuracy*p[0]+1e-9, "%s: %v vs exact %v", w.Step, p[1], p[0])
			}
		}
		// The overlay is the endpoint's report.
		res := rolled.Do("admin", http.MethodGet, "/api/v1/flows/complaint/versions/1/graph.json?"+q.Encode(), nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var g apiv1.Graph
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &g))
		byStep := map[string]apiv1.StepStats{}
		for _, st := range got.Steps {
			byStep[st.Step] = st
		}
		for _, n := range g.Nodes {
			if want, ok := byStep[n.ID]; ok {
				require.NotNil(t, n.Stats)
				require.Equal(t, want.Wait, n.Stats.Wait, n.ID)
				require.Equal(t, want.Cases, n.Stats.Cases, n.ID)
			}
		}
	}
}
