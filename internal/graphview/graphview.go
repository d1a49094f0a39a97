// Package graphview is what the API's graph routes and the web UI's flow
// pages share about drawing a flow: the heat-map parameters and their
// check, the bottleneck figures as the drawing's step statistics, and the
// size limits beyond which a graph is not drawn (decision 0019).
package graphview

import (
	"fmt"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/httpx"
)

// Heat checks the heat parameters of graph.svg and of the web UI's flow
// page (one check for both); nil without heat.
func Heat(q apiv1.GraphSVGParams) (*flowgraph.Heat, error) {
	if q.Heat == "" {
		for _, p := range []struct {
			name string
			set  bool
		}{{"alert", q.Alert != ""}, {"from", !q.From.IsZero()}, {"to", !q.To.IsZero()}, {"variant", q.Variant != ""}, {"warn", q.Warn != ""}} {
			if p.set {
				return nil, httpx.BadParam(p.name, "only with heat")
			}
		}
		return nil, nil
	}
	m := flowgraph.Metric(q.Heat)
	if !m.Valid() { // the enum of the parameter already says so
		return nil, httpx.BadParam("heat", fmt.Sprintf("unknown value %q", q.Heat))
	}
	th := m.DefaultThresholds()
	var err error
	if q.Warn != "" {
		if th.Warn, err = m.ParseThreshold(q.Warn); err != nil {
			return nil, httpx.BadParam("warn", err.Error())
		}
	}
	if q.Alert != "" {
		if th.Alert, err = m.ParseThreshold(q.Alert); err != nil {
			return nil, httpx.BadParam("alert", err.Error())
		}
	}
	if th.Warn > th.Alert {
		switch {
		case q.Warn != "" && q.Alert != "":
			return nil, httpx.BadParam("warn", fmt.Sprintf("must not be above alert (%s)", q.Alert))
		case q.Warn != "": // above the default alert: alert with it
			th.Alert = th.Warn
		default: // below the default warn
			th.Warn = th.Alert
		}
	}
	return &flowgraph.Heat{Metric: m, Thresholds: th, FromData: q.Warn == "" && q.Alert == ""}, nil
}

// StatsByStep converts the bottleneck view's steps.
func StatsByStep(rep apiv1.Bottlenecks) map[string]flowgraph.Stats {
	out := make(map[string]flowgraph.Stats, len(rep.Steps))
	for _, st := range rep.Steps {
		out[st.Step] = flowgraph.Stats{
			Cases:         st.Cases,
			Wait:          flowgraph.Quantiles{P50: st.Wait.P50, P90: st.Wait.P90, P95: st.Wait.P95},
			Work:          flowgraph.Quantiles{P50: st.Work.P50, P90: st.Work.P90, P95: st.Work.P95},
			BusinessWait:  flowgraph.Quantiles{P50: st.BusinessWait.P50, P90: st.BusinessWait.P90, P95: st.BusinessWait.P95},
			BusinessWork:  flowgraph.Quantiles{P50: st.BusinessWork.P50, P90: st.BusinessWork.P90, P95: st.BusinessWork.P95},
			SLABreachRate: st.SLABreachRate, Share: st.Share, Bottleneck: st.Bottleneck,
		}
	}
	return out
}

// SizeRefusal says why the graph of def is not drawn ("the graph of
// big v1 is not drawn: it has 300 steps; at most 150 are drawn (limits:
// …)"), "" when it is within limits.
func SizeRefusal(def *flow.Definition, limits flowgraph.Limits) string {
	g := flowgraph.Build(def)
	why := g.TooLarge(limits)
	if why == "" {
		return ""
	}
	l := limits
	return fmt.Sprintf("the graph of %s v%d is not drawn: %s (limits: %d steps, %d transitions, %d bytes of names and labels)",
		def.Key, def.Version, why, l.Steps, l.Edges, l.LabelBytes)
}
