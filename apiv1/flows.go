package apiv1

import (
	"encoding/json"
	"time"
)

// FlowSummary is a flow in the list of flows (listFlows).
type FlowSummary struct {
	Key            string `json:"key"`
	Name           string `json:"name"`
	DefaultVersion int    `json:"default_version"`
	LatestVersion  int    `json:"latest_version"`
	Versions       int    `json:"versions"`
}

// FlowVersion is one version of a flow, without its definition.
type FlowVersion struct {
	Version   int        `json:"version"`
	Name      string     `json:"name"`
	Hash      string     `json:"hash"`
	IsDefault bool       `json:"is_default"`
	Retired   bool       `json:"retired" description:"A retired version receives no new cases; cases running on it finish on it."`
	RetiredAt *time.Time `json:"retired_at"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
}

// FlowDetail is a version of a flow with its compiled definition, its
// source and the flow's versions (getFlow).
type FlowDetail struct {
	Key            string          `json:"key"`
	Name           string          `json:"name"`
	Version        int             `json:"version"`
	DefaultVersion int             `json:"default_version"`
	Definition     json.RawMessage `json:"definition"`
	Source         string          `json:"source"`
	Versions       []FlowVersion   `json:"versions" nullable:"false"`
}

// Quantiles are the 50th, 90th and 95th percentiles of a duration, in
// seconds.
type Quantiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P95 float64 `json:"p95"`
}

// StepStats are one step's bottleneck statistics: how long cases waited
// and were worked on there, its SLA breaches, escalations and share of the
// total time.
type StepStats struct {
	Step          string    `json:"step"`
	Department    string    `json:"department"`
	Kind          string    `json:"kind"`
	Cases         int       `json:"cases"`
	Wait          Quantiles `json:"wait"`
	Work          Quantiles `json:"work"`
	BusinessWait  Quantiles `json:"business_wait" description:"wait counted in the step's business calendar (working hours, holidays); equal to wait without a calendar."`
	BusinessWork  Quantiles `json:"business_work" description:"work counted in the step's business calendar."`
	WaitAssign    Quantiles `json:"wait_for_assignment" description:"Tasks: the wait split at the assignment (ADR 0036), entered → assigned by a rule or a lead (the whole wait of a task pulled from the pool)."`
	WaitStart     Quantiles `json:"wait_to_start" description:"Tasks: assigned → started (claimed); 0 for a task pulled from the pool."`
	Assigned      int       `json:"assigned" description:"Spans whose task a rule or a lead assigned."`
	SLABreachRate float64   `json:"sla_breach_rate"`
	Breaches      int       `json:"breaches"`
	Escalations   int       `json:"escalations"`
	Share         float64   `json:"share"`
	Bottleneck    bool      `json:"bottleneck"`
}

// Bottlenecks is where the cases of a flow version wait, step by step
// (getFlowBottlenecks).
type Bottlenecks struct {
	Flow    string      `json:"flow"`
	Version int         `json:"version"`
	Variant string      `json:"variant"`
	From    *time.Time  `json:"from"`
	To      *time.Time  `json:"to"`
	Cases   int         `json:"cases"`
	Steps   []StepStats `json:"steps" nullable:"false"`
}
