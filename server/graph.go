package server

// The graph of a flow version, for people (an SVG laid out by Graphviz) and
// for the UI (graph.json, nodes and edges it lays out itself). The graph is
// built by package flowgraph; the heat overlay and the stats of graph.json
// come from bottleneckReport, the computation of the bottlenecks endpoint.
//
// Graphviz is github.com/goccy/go-graphviz: Graphviz 12 compiled to
// WebAssembly and run by wazero, so no cgo and no system package. Its one
// WebAssembly instance is not safe for concurrent use; renderSVG
// serialises the calls.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/goccy/go-graphviz"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/store"
)

const mimeSVG = "image/svg+xml"

type graphSVGParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version string    `path:"v" pattern:"^[1-9][0-9]{0,8}$" description:"Flow version." example:"1"`
	Heat    string    `query:"heat" enum:"wait_p90,work_p90,share,breach,business_wait_p90,business_work_p90" description:"Overlay this metric of the version's bottleneck statistics: steps filled white to red by it and labelled with its value. wait_p90/work_p90: 90th percentile of waiting (entered → claimed) or working (claimed → completed) time; share: share of the total cycle time; breach: SLA breach rate; business_wait_p90/business_work_p90: the p90s counted in the step's business calendar."`
	Warn    string    `query:"warn" description:"With heat: steps at or above this value get a thick border. A duration (30m, 4h, 1d) for the p90 metrics, a percentage (25, 12.5%) for share and breach. Default: wait p90s 1h, work p90s 30m, share 25%, breach 10%."`
	Alert   string    `query:"alert" description:"With heat: steps at or above this value get a thick red border; same forms as warn. Default: wait p90s 4h, work p90s 2h, share 40%, breach 25%."`
	Variant string    `query:"variant" description:"With heat: only spans of this variant."`
	From    time.Time `query:"from" description:"With heat: only spans entered at or after this time (RFC 3339)."`
	To      time.Time `query:"to" description:"With heat: only spans entered before this time (RFC 3339)."`
}

type graphJSONParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version string    `path:"v" pattern:"^[1-9][0-9]{0,8}$" description:"Flow version." example:"1"`
	Variant string    `query:"variant" description:"Only spans of this variant count in stats."`
	From    time.Time `query:"from" description:"Only spans entered at or after this time count in stats (RFC 3339)."`
	To      time.Time `query:"to" description:"Only spans entered before this time count in stats (RFC 3339)."`
}

type graphStatsJSON struct {
	Cases         int           `json:"cases"`
	Wait          quantilesJSON `json:"wait" description:"Waiting time (entered → claimed) quantiles, seconds."`
	Work          quantilesJSON `json:"work" description:"Working time (claimed → completed) quantiles, seconds."`
	BusinessWait  quantilesJSON `json:"business_wait" description:"Waiting time in the step's business calendar, quantiles, seconds (equal to wait without a calendar)."`
	BusinessWork  quantilesJSON `json:"business_work" description:"Working time in the step's business calendar, quantiles, seconds."`
	SLABreachRate float64       `json:"sla_breach_rate"`
	Share         float64       `json:"share" description:"Share of the total cycle time of all steps."`
	Bottleneck    bool          `json:"bottleneck"`
}

type graphNodeJSON struct {
	ID         string          `json:"id"`
	Kind       string          `json:"kind" enum:"task,auto,decision,wait,end,pilot"`
	Name       string          `json:"name"`
	Department string          `json:"department,omitempty" description:"The department of a task step; absent for other kinds."`
	SLA        string          `json:"sla,omitempty" description:"The step's SLA (\"30m\", \"2h\", \"1d\"); absent when it has none."`
	Stats      *graphStatsJSON `json:"stats,omitempty" description:"The step's bottleneck statistics (as GET /api/v1/flows/{key}/bottlenecks); absent when no span of the step matches."`
}

type graphEdgeJSON struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label" description:"The outcome name, the rule's expression, default, timeout or next."`
	Kind  string `json:"kind" enum:"outcome,rule,default,timeout,next"`
}

type graphDepartmentJSON struct {
	Name   string `json:"name"`
	Colour string `json:"colour" description:"CSS hex colour of the department's steps in graph.svg."`
}

type graphJSON struct {
	Key         string                `json:"key"`
	Version     int                   `json:"version"`
	Start       string                `json:"start" description:"Id of the first step."`
	Nodes       []graphNodeJSON       `json:"nodes" nullable:"false"`
	Edges       []graphEdgeJSON       `json:"edges" nullable:"false"`
	Departments []graphDepartmentJSON `json:"departments" nullable:"false"`
}

// graphVersion checks the {v} path parameter.
func graphVersion(raw string) (int, error) {
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 || len(raw) > 9 || raw[0] == '0' {
		msg := fmt.Sprintf("must be a positive integer, got %q", raw)
		return 0, badRequest(`path parameter "v": `+msg, FieldError{Field: "v", Message: msg})
	}
	return v, nil
}

// graphHeat checks the heat parameters; nil without heat.
func graphHeat(q graphSVGParams) (*flowgraph.Heat, error) {
	if q.Heat == "" {
		for _, p := range []struct {
			name string
			set  bool
		}{{"alert", q.Alert != ""}, {"from", !q.From.IsZero()}, {"to", !q.To.IsZero()}, {"variant", q.Variant != ""}, {"warn", q.Warn != ""}} {
			if p.set {
				return nil, badParam(p.name, "only with heat")
			}
		}
		return nil, nil
	}
	m := flowgraph.Metric(q.Heat)
	if !m.Valid() { // the enum of the parameter already says so
		return nil, badParam("heat", fmt.Sprintf("unknown value %q", q.Heat))
	}
	th := m.DefaultThresholds()
	var err error
	if q.Warn != "" {
		if th.Warn, err = m.ParseThreshold(q.Warn); err != nil {
			return nil, badParam("warn", err.Error())
		}
	}
	if q.Alert != "" {
		if th.Alert, err = m.ParseThreshold(q.Alert); err != nil {
			return nil, badParam("alert", err.Error())
		}
	}
	if th.Warn > th.Alert {
		switch {
		case q.Warn != "" && q.Alert != "":
			return nil, badParam("warn", fmt.Sprintf("must not be above alert (%s)", q.Alert))
		case q.Warn != "": // above the default alert: alert with it
			th.Alert = th.Warn
		default: // below the default warn
			th.Warn = th.Alert
		}
	}
	return &flowgraph.Heat{Metric: m, Thresholds: th}, nil
}

// statsByStep converts the bottleneck view's steps.
func statsByStep(rep bottlenecksJSON) map[string]flowgraph.Stats {
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

func compiledDefinition(fv store.FlowVersion) (*flow.Definition, error) {
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return nil, internal(fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err))
	}
	return &def, nil
}

// flowGraphSVG draws a flow version with Graphviz, optionally with a heat
// overlay of its bottleneck statistics.
func (s *Server) flowGraphSVG(w http.ResponseWriter, r *http.Request) error {
	q, err := paramsOf[graphSVGParams](r)
	if err != nil {
		return err
	}
	version, err := graphVersion(q.Version)
	if err != nil {
		return err
	}
	heat, err := graphHeat(q)
	if err != nil {
		return err
	}
	from, to, err := timeRange(q.From, q.To)
	if err != nil {
		return err
	}
	fv, err := s.loadFlowVersion(r.Context(), q.Key, version)
	if err != nil {
		return err
	}
	var def *flow.Definition
	if heat != nil {
		rep, d, err := s.bottleneckReport(r.Context(), fv, q.Variant, from, to)
		if err != nil {
			return err
		}
		def, heat.Stats = &d, statsByStep(rep)
	} else if def, err = compiledDefinition(fv); err != nil {
		return err
	}
	svg, err := renderSVG(r.Context(), flowgraph.DOT(flowgraph.Build(def), heat))
	if err != nil {
		return internal(fmt.Errorf("graph of %s v%d: %w", fv.Key, fv.Version, err))
	}
	w.Header().Set("Content-Type", mimeSVG)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(svg)
	return nil
}

// flowGraphJSON answers the graph of a flow version with each step's
// bottleneck statistics.
func (s *Server) flowGraphJSON(w http.ResponseWriter, r *http.Request) error {
	q, err := paramsOf[graphJSONParams](r)
	if err != nil {
		return err
	}
	version, err := graphVersion(q.Version)
	if err != nil {
		return err
	}
	from, to, err := timeRange(q.From, q.To)
	if err != nil {
		return err
	}
	fv, err := s.loadFlowVersion(r.Context(), q.Key, version)
	if err != nil {
		return err
	}
	rep, def, err := s.bottleneckReport(r.Context(), fv, q.Variant, from, to)
	if err != nil {
		return err
	}
	s.writeJSON(w, r, http.StatusOK, toGraphJSON(flowgraph.Build(&def), statsByStep(rep)))
	return nil
}

func toGraphJSON(g flowgraph.Graph, stats map[string]flowgraph.Stats) graphJSON {
	out := graphJSON{Key: g.Key, Version: g.Version, Start: g.Start,
		Nodes: make([]graphNodeJSON, len(g.Nodes)), Edges: make([]graphEdgeJSON, len(g.Edges)),
		Departments: make([]graphDepartmentJSON, len(g.Departments))}
	for i, n := range g.Nodes {
		out.Nodes[i] = graphNodeJSON{ID: n.ID, Kind: string(n.Kind), Name: n.Name, Department: n.Department}
		if n.SLA > 0 {
			out.Nodes[i].SLA = n.SLA.String()
		}
		if st, ok := stats[n.ID]; ok {
			out.Nodes[i].Stats = &graphStatsJSON{
				Cases:         st.Cases,
				Wait:          quantilesJSON{P50: st.Wait.P50, P90: st.Wait.P90, P95: st.Wait.P95},
				Work:          quantilesJSON{P50: st.Work.P50, P90: st.Work.P90, P95: st.Work.P95},
				BusinessWait:  quantilesJSON{P50: st.BusinessWait.P50, P90: st.BusinessWait.P90, P95: st.BusinessWait.P95},
				BusinessWork:  quantilesJSON{P50: st.BusinessWork.P50, P90: st.BusinessWork.P90, P95: st.BusinessWork.P95},
				SLABreachRate: st.SLABreachRate, Share: st.Share, Bottleneck: st.Bottleneck,
			}
		}
	}
	for i, e := range g.Edges {
		out.Edges[i] = graphEdgeJSON{From: e.From, To: e.To, Label: e.Label, Kind: string(e.Kind)}
	}
	for i, d := range g.Departments {
		out.Departments[i] = graphDepartmentJSON{Name: d.Name, Colour: d.Colour}
	}
	return out
}

// graphvizMu serialises Graphviz: go-graphviz runs one WebAssembly
// instance for the process.
var graphvizMu sync.Mutex

// renderSVG lays out a DOT graph with Graphviz's dot and renders it as
// SVG.
func renderSVG(ctx context.Context, dot []byte) ([]byte, error) {
	graphvizMu.Lock()
	defer graphvizMu.Unlock()
	ctx = context.WithoutCancel(ctx) // a half-done call would leave the instance in an unknown state
	gv, err := graphviz.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("graphviz: %w", err)
	}
	defer func() { _ = gv.Close() }()
	g, err := graphviz.ParseBytes(dot)
	if err != nil {
		return nil, fmt.Errorf("graphviz: parse: %w", err)
	}
	defer func() { _ = g.Close() }()
	var buf bytes.Buffer
	if err := gv.Render(ctx, g, graphviz.SVG, &buf); err != nil {
		return nil, fmt.Errorf("graphviz: render: %w", err)
	}
	return buf.Bytes(), nil
}

// Examples of the document.
var (
	exampleGraphSVG  = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" + `<svg width="420pt" height="860pt" viewBox="0.00 0.00 420.00 860.00" xmlns="http://www.w3.org/2000/svg">…</svg>`
	exampleGraphJSON = graphJSON{
		Key: "complaint", Version: 1, Start: "record",
		Nodes: []graphNodeJSON{
			{ID: "record", Kind: "task", Name: "Record the complaint", Department: "customer_service", SLA: "30m",
				Stats: &graphStatsJSON{Cases: 30, Wait: quantilesJSON{P50: 120, P90: 600, P95: 900},
					Work: quantilesJSON{P50: 300, P90: 720, P95: 800}, SLABreachRate: 0.03, Share: 0.09}},
			{ID: "route", Kind: "decision", Name: "Route by severity"},
			{ID: "investigate", Kind: "task", Name: "Technical investigation", Department: "technical", SLA: "2h",
				Stats: &exampleGraphStats},
		},
		Edges: []graphEdgeJSON{
			{From: "record", To: "route", Label: "recorded", Kind: "outcome"},
			{From: "route", To: "crisis_investigate", Label: `attributes.severity == "advanced"`, Kind: "rule"},
			{From: "route", To: "investigate", Label: "default", Kind: "default"},
		},
		Departments: []graphDepartmentJSON{{Name: "customer_service", Colour: flowgraph.Palette[0]}, {Name: "technical", Colour: flowgraph.Palette[1]}},
	}
	exampleGraphStats = graphStatsJSON{Cases: 29, Wait: quantilesJSON{P50: 2520, P90: 4392, P95: 5100},
		Work: quantilesJSON{P50: 756, P90: 1728, P95: 1900}, SLABreachRate: 0.07, Share: 0.38, Bottleneck: true}
)
