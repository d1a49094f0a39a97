package api

// The graph of a flow version, for people (an SVG laid out by Graphviz) and
// for the UI (graph.json, nodes and edges it lays out itself). The graph is
// built by package flowgraph; the heat overlay and the stats of graph.json
// come from bottleneckReport, the computation of the bottlenecks endpoint.
//
// Graphviz is github.com/goccy/go-graphviz: Graphviz 12 compiled to
// WebAssembly and run by wazero, so no cgo and no system package. The Go
// runtime cannot preempt WebAssembly code, so a layout in this process
// would stall it (a garbage collection waits for the layout to end): the
// server never runs Graphviz itself. A graph beyond Config.GraphLimits is
// refused before its layout (422); the layout runs in a child process
// (dotlayout, bounded by Config.GraphLayout: a deadline, an
// output and a memory bound, a few at once, a cache by the DOT's hash);
// a layout that is stopped answers 422, one that finds no free slot 503
// with Retry-After (decision 0019).

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/dotlayout"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/internal/graphview"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

const mimeSVG = "image/svg+xml"

// graphVersion checks the {v} path parameter.
func graphVersion(raw string) (int, error) {
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 || len(raw) > 9 || raw[0] == '0' {
		msg := fmt.Sprintf("must be a positive integer, got %q", raw)
		return 0, httpx.BadRequest(`path parameter "v": `+msg, apiv1.FieldError{Field: "v", Message: msg})
	}
	return v, nil
}

func compiledDefinition(fv store.FlowVersion) (*flow.Definition, error) {
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return nil, httpx.Internal(fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err))
	}
	return &def, nil
}

// flowGraphSVG draws a flow version with Graphviz, optionally with a heat
// overlay of its bottleneck statistics.
func (s *API) flowGraphSVG(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.GraphSVGParams](r)
	if err != nil {
		return err
	}
	version, err := graphVersion(q.Version)
	if err != nil {
		return err
	}
	heat, err := graphview.Heat(q)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
	if err != nil {
		return err
	}
	fv, err := s.loadFlowVersion(r.Context(), q.Key, version)
	if err != nil {
		return err
	}
	def, err := compiledDefinition(fv)
	if err != nil {
		return err
	}
	if p := s.graphTooLarge(def); p != nil {
		return p
	}
	if heat != nil {
		// A heat map is the version's graph with other labels: one whose
		// plain layout is too much (remembered per DOT, and the plain DOT is
		// the version's) is refused at once, rather than a child spending
		// the whole deadline again for each range, variant or threshold.
		if _, err := s.graphs.SVG(r.Context(), flowgraph.DOT(flowgraph.Build(def), nil)); err != nil {
			return graphLayoutProblem(fv, err)
		}
		rep, d, err := s.bottleneckReport(r.Context(), fv, q.Variant, from, to)
		if err != nil {
			return err
		}
		def, heat.Stats = &d, graphview.StatsByStep(rep)
	}
	svg, err := s.graphs.SVG(r.Context(), flowgraph.DOT(flowgraph.Build(def), heat))
	if err != nil {
		return graphLayoutProblem(fv, err)
	}
	w.Header().Set("Content-Type", mimeSVG)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(svg)
	return nil
}

// flowGraphJSON answers the graph of a flow version with each step's
// bottleneck statistics.
func (s *API) flowGraphJSON(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.GraphJSONParams](r)
	if err != nil {
		return err
	}
	version, err := graphVersion(q.Version)
	if err != nil {
		return err
	}
	from, to, err := httpx.TimeRange(q.From, q.To)
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
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toGraphJSON(flowgraph.Build(&def), graphview.StatsByStep(rep)))
	return nil
}

func toGraphJSON(g flowgraph.Graph, stats map[string]flowgraph.Stats) apiv1.Graph {
	out := apiv1.Graph{Key: g.Key, Version: g.Version, Start: g.Start,
		Nodes: make([]apiv1.GraphNode, len(g.Nodes)), Edges: make([]apiv1.GraphEdge, len(g.Edges)),
		Departments: make([]apiv1.GraphDepartment, len(g.Departments))}
	for i, n := range g.Nodes {
		out.Nodes[i] = apiv1.GraphNode{ID: n.ID, Kind: string(n.Kind), Name: n.Name, Department: n.Department}
		if n.SLA > 0 {
			out.Nodes[i].SLA = n.SLA.String()
		}
		if st, ok := stats[n.ID]; ok {
			out.Nodes[i].Stats = &apiv1.GraphStats{
				Cases:         st.Cases,
				Wait:          apiv1.Quantiles{P50: st.Wait.P50, P90: st.Wait.P90, P95: st.Wait.P95},
				Work:          apiv1.Quantiles{P50: st.Work.P50, P90: st.Work.P90, P95: st.Work.P95},
				BusinessWait:  apiv1.Quantiles{P50: st.BusinessWait.P50, P90: st.BusinessWait.P90, P95: st.BusinessWait.P95},
				BusinessWork:  apiv1.Quantiles{P50: st.BusinessWork.P50, P90: st.BusinessWork.P90, P95: st.BusinessWork.P95},
				SLABreachRate: st.SLABreachRate, Share: st.Share, Bottleneck: st.Bottleneck,
			}
		}
	}
	for i, e := range g.Edges {
		out.Edges[i] = apiv1.GraphEdge{From: e.From, To: e.To, Label: e.Label, Kind: string(e.Kind)}
	}
	for i, d := range g.Departments {
		out.Departments[i] = apiv1.GraphDepartment{Name: d.Name, Colour: d.Colour}
	}
	return out
}

// graphTooLarge is the 422 of a version whose graph exceeds the limits,
// nil when it is within them.
func (s *API) graphTooLarge(def *flow.Definition) *httpx.Problem {
	why := graphview.SizeRefusal(def, s.cfg.GraphLimits)
	if why == "" {
		return nil
	}
	return httpx.NewProblem(http.StatusUnprocessableEntity, apiv1.ProblemGraphTooLarge, "Graph too large to draw",
		why+"; graph.json has its steps and transitions")
}

// graphLayoutProblem answers a layout that failed: 422 when it was
// stopped (too complex), 503 with Retry-After when no slot came free.
func graphLayoutProblem(fv store.FlowVersion, err error) *httpx.Problem {
	switch {
	case errors.Is(err, dotlayout.ErrTooComplex):
		p := httpx.NewProblem(http.StatusUnprocessableEntity, apiv1.ProblemGraphTooLarge, "Graph too large to draw",
			fmt.Sprintf("the graph of %s v%d is not drawn: %s; graph.json has its steps and transitions", fv.Key, fv.Version, layoutReason(err)))
		p.Cause = err
		return p
	case errors.Is(err, dotlayout.ErrBusy):
		p := httpx.NewProblem(http.StatusServiceUnavailable, apiv1.ProblemGraphLayoutBusy, "Too many graphs being drawn",
			fmt.Sprintf("the graph of %s v%d is not drawn: the server is drawing as many graphs as it may at once; retry after the Retry-After seconds", fv.Key, fv.Version))
		p.RetryAfter = 5
		p.Cause = err
		return p
	}
	return httpx.Internal(fmt.Errorf("graph of %s v%d: %w", fv.Key, fv.Version, err))
}

// layoutReason is the reason of a stopped layout without the package's
// prefix ("laying it out took longer than 10s and was stopped").
func layoutReason(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, dotlayout.ErrTooComplex.Error()+": "); i >= 0 {
		return msg[i+len(dotlayout.ErrTooComplex.Error())+2:]
	}
	return msg
}

// Examples of the document.
var (
	exampleGraphSVG  = `<?xml version="1.0" encoding="UTF-8" standalone="no"?>` + "\n" + `<svg width="420pt" height="860pt" viewBox="0.00 0.00 420.00 860.00" xmlns="http://www.w3.org/2000/svg">…</svg>`
	exampleGraphJSON = apiv1.Graph{
		Key: "complaint", Version: 1, Start: "record",
		Nodes: []apiv1.GraphNode{
			{ID: "record", Kind: "task", Name: "Record the complaint", Department: "customer_service", SLA: "30m",
				Stats: &apiv1.GraphStats{Cases: 30, Wait: apiv1.Quantiles{P50: 120, P90: 600, P95: 900},
					Work: apiv1.Quantiles{P50: 300, P90: 720, P95: 800}, SLABreachRate: 0.03, Share: 0.09}},
			{ID: "route", Kind: "decision", Name: "Route by severity"},
			{ID: "investigate", Kind: "task", Name: "Technical investigation", Department: "technical", SLA: "2h",
				Stats: &exampleGraphStats},
		},
		Edges: []apiv1.GraphEdge{
			{From: "record", To: "route", Label: "recorded", Kind: "outcome"},
			{From: "route", To: "crisis_investigate", Label: `attributes.severity == "advanced"`, Kind: "rule"},
			{From: "route", To: "investigate", Label: "default", Kind: "default"},
		},
		Departments: []apiv1.GraphDepartment{{Name: "customer_service", Colour: flowgraph.Palette[0]}, {Name: "technical", Colour: flowgraph.Palette[1]}},
	}
	exampleGraphStats = apiv1.GraphStats{Cases: 29, Wait: apiv1.Quantiles{P50: 2520, P90: 4392, P95: 5100},
		Work: apiv1.Quantiles{P50: 756, P90: 1728, P95: 1900}, SLABreachRate: 0.07, Share: 0.38, Bottleneck: true}
)
