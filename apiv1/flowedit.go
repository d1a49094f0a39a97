package apiv1

import (
	"encoding/json"
	"time"
)

// Diagnostic is one problem found in a flow definition.
type Diagnostic struct {
	Line     int    `json:"line" minimum:"0" description:"1-based line in the YAML; 0 when unknown."`
	Column   int    `json:"column" minimum:"0" description:"1-based column in the YAML; 0 when unknown."`
	Severity string `json:"severity" enum:"error,warning" description:"error: the definition cannot be published; warning: it can."`
	Code     string `json:"code" description:"Stable identifier of the kind of problem." example:"unknown-target"`
	Message  string `json:"message"`
	Path     string `json:"path" description:"Where in the definition, e.g. steps[2].outcomes[0].next; empty for the whole document."`
}

// Validate is the answer of validateFlow: whether the definition can be
// published, and its diagnostics.
type Validate struct {
	Valid       bool         `json:"valid" description:"No diagnostic is an error: the definition can be published."`
	Diagnostics []Diagnostic `json:"diagnostics" nullable:"false" description:"Every error and warning, in source order."`
}

// FlowKeyParams are the path parameters of the operations on a flow by key.
type FlowKeyParams struct {
	Key string `path:"key" description:"Flow key." example:"complaint"`
}

// FlowVersionsParams are the parameters of listFlowVersions: the flow
// and the page.
type FlowVersionsParams struct {
	Key    string `path:"key" description:"Flow key." example:"complaint"`
	Limit  int    `query:"limit" minimum:"1" maximum:"500" default:"50" description:"Items per page."`
	Cursor string `query:"cursor" description:"The next_cursor of the previous page, unchanged (opaque)."`
}

// FlowVersionParams are the path parameters of the operations on one
// version of a flow; V is the version number as text.
type FlowVersionParams struct {
	Key string `path:"key" description:"Flow key." example:"complaint"`
	V   string `path:"v" pattern:"^[1-9][0-9]{0,8}$" description:"Flow version." example:"2"`
}

// SetDefaultRequest is the body of setFlowDefault.
type SetDefaultRequest struct {
	Version int `json:"version" minimum:"1" description:"The version new cases of the flow get; it must exist and not be retired."`
}

// FlowVersionDetail is one stored version with its definition.
type FlowVersionDetail struct {
	Key        string          `json:"key"`
	Version    int             `json:"version"`
	Name       string          `json:"name"`
	Hash       string          `json:"hash" description:"sha256 (hex) of the YAML source."`
	IsDefault  bool            `json:"is_default"`
	Retired    bool            `json:"retired" description:"A retired version receives no new cases; cases running on it finish on it."`
	RetiredAt  *time.Time      `json:"retired_at"`
	CreatedAt  time.Time       `json:"created_at"`
	CreatedBy  string          `json:"created_by"`
	Definition json.RawMessage `json:"definition" description:"The compiled definition (JSON)."`
	Source     string          `json:"source" description:"The YAML as published."`
}

// FlowVersionList is one page of a flow's versions, oldest first
// (listFlowVersions).
type FlowVersionList struct {
	Versions   []FlowVersion `json:"versions" nullable:"false"`
	NextCursor string        `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// FlowDiffParams are the parameters of diffFlowVersions: the flow and
// the two versions compared.
type FlowDiffParams struct {
	Key  string `path:"key" description:"Flow key." example:"complaint"`
	From int    `query:"from" minimum:"1" required:"true" description:"The version compared from." example:"1"`
	To   int    `query:"to" minimum:"1" required:"true" description:"The version compared to." example:"2"`
}
