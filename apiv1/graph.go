package apiv1

import "time"

// GraphSVGParams are the parameters of getFlowGraphSVG: the flow version
// and, with Heat, the statistics overlaid.
type GraphSVGParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version string    `path:"v" pattern:"^[1-9][0-9]{0,8}$" description:"Flow version." example:"1"`
	Heat    string    `query:"heat" enum:"wait_p90,work_p90,share,breach,business_wait_p90,business_work_p90" description:"Overlay this metric of the version's bottleneck statistics: steps filled white to red by it and labelled with its value. wait_p90/work_p90: 90th percentile of waiting (entered → claimed) or working (claimed → completed) time; share: share of the total cycle time; breach: SLA breach rate; business_wait_p90/business_work_p90: the p90s counted in the step's business calendar."`
	Warn    string    `query:"warn" description:"With heat: steps at or above this value get a thick border. A duration (30m, 4h, 1d) for the p90 metrics, a percentage (25, 12.5%) for share and breach. Default: wait p90s 1h, work p90s 30m, share 25%, breach 10%. With warn or alert set, the colour scale runs from 0 to the alert threshold (or the largest value above it); with neither, it comes from the data: 0 and the steps' 25th, 50th, 75th percentile and largest value."`
	Alert   string    `query:"alert" description:"With heat: steps at or above this value get a thick red border; same forms as warn. Default: wait p90s 4h, work p90s 2h, share 40%, breach 25%."`
	Variant string    `query:"variant" description:"With heat: only spans of this variant."`
	From    time.Time `query:"from" description:"With heat: only spans entered at or after this time (RFC 3339)."`
	To      time.Time `query:"to" description:"With heat: only spans entered before this time (RFC 3339)."`
}

// GraphJSONParams are the parameters of getFlowGraph: the flow version
// and the spans its statistics count.
type GraphJSONParams struct {
	Key     string    `path:"key" description:"Flow key." example:"complaint"`
	Version string    `path:"v" pattern:"^[1-9][0-9]{0,8}$" description:"Flow version." example:"1"`
	Variant string    `query:"variant" description:"Only spans of this variant count in stats."`
	From    time.Time `query:"from" description:"Only spans entered at or after this time count in stats (RFC 3339)."`
	To      time.Time `query:"to" description:"Only spans entered before this time count in stats (RFC 3339)."`
}

// GraphStats are a step's bottleneck statistics on the graph.
type GraphStats struct {
	Cases         int       `json:"cases"`
	Wait          Quantiles `json:"wait" description:"Waiting time (entered → claimed) quantiles, seconds."`
	Work          Quantiles `json:"work" description:"Working time (claimed → completed) quantiles, seconds."`
	BusinessWait  Quantiles `json:"business_wait" description:"Waiting time in the step's business calendar, quantiles, seconds (equal to wait without a calendar)."`
	BusinessWork  Quantiles `json:"business_work" description:"Working time in the step's business calendar, quantiles, seconds."`
	SLABreachRate float64   `json:"sla_breach_rate"`
	Share         float64   `json:"share" description:"Share of the total cycle time of all steps."`
	Bottleneck    bool      `json:"bottleneck"`
}

// GraphNode is a step of a flow graph.
type GraphNode struct {
	ID         string      `json:"id"`
	Kind       string      `json:"kind" enum:"task,auto,decision,wait,end,pilot"`
	Name       string      `json:"name"`
	Department string      `json:"department,omitempty" description:"The department of a task step; absent for other kinds."`
	SLA        string      `json:"sla,omitempty" description:"The step's SLA (\"30m\", \"2h\", \"1d\"); absent when it has none."`
	Stats      *GraphStats `json:"stats,omitempty" description:"The step's bottleneck statistics (as GET /api/v1/flows/{key}/bottlenecks); absent when no span of the step matches."`
}

// GraphEdge is a way from one step to another in a flow graph.
type GraphEdge struct {
	From  string `json:"from"`
	To    string `json:"to"`
	Label string `json:"label" description:"The outcome name, the rule's expression, default, timeout or next."`
	Kind  string `json:"kind" enum:"outcome,rule,default,timeout,next"`
}

// GraphDepartment is a department of a flow graph and its colour.
type GraphDepartment struct {
	Name   string `json:"name"`
	Colour string `json:"colour" description:"CSS hex colour of the department's steps in graph.svg."`
}

// Graph is a flow version as nodes, edges and departments, with each
// step's statistics (getFlowGraph).
type Graph struct {
	Key         string            `json:"key"`
	Version     int               `json:"version"`
	Start       string            `json:"start" description:"Id of the first step."`
	Nodes       []GraphNode       `json:"nodes" nullable:"false"`
	Edges       []GraphEdge       `json:"edges" nullable:"false"`
	Departments []GraphDepartment `json:"departments" nullable:"false"`
}
