package server

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/flowlab/flowlab/flow"
)

// Editing flows: validating a YAML definition, publishing it as a new
// version, choosing the default, retiring versions, comparing two versions
// and the JSON Schema editors complete the YAML with.

// yamlTypes are the media types a flow definition may be sent as.
var yamlTypes = []string{"application/yaml", "text/yaml", "text/plain", "application/x-yaml"}

func unsupportedRaw(types []string) *Problem {
	return newProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		"Content-Type must be one of "+strings.Join(types, ", "))
}

// readRaw reads a non-JSON body of one of types (a missing Content-Type
// is accepted), bounded by the configured limit.
func (s *Server) readRaw(w http.ResponseWriter, r *http.Request, types []string) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !slices.Contains(types, mt) {
			return nil, unsupportedRaw(types)
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, newProblem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
				fmt.Sprintf("body: larger than %d bytes", tooLarge.Limit))
		}
		return nil, badRequest("body: could not be read")
	}
	return body, nil
}

// diagnosticJSON is one problem found in a flow definition.
type diagnosticJSON struct {
	Line     int    `json:"line" minimum:"0" description:"1-based line in the YAML; 0 when unknown."`
	Column   int    `json:"column" minimum:"0" description:"1-based column in the YAML; 0 when unknown."`
	Severity string `json:"severity" enum:"error,warning" description:"error: the definition cannot be published; warning: it can."`
	Code     string `json:"code" description:"Stable identifier of the kind of problem." example:"unknown-target"`
	Message  string `json:"message"`
	Path     string `json:"path" description:"Where in the definition, e.g. steps[2].outcomes[0].next; empty for the whole document."`
}

type validateJSON struct {
	Valid       bool             `json:"valid" description:"No diagnostic is an error: the definition can be published."`
	Diagnostics []diagnosticJSON `json:"diagnostics" nullable:"false" description:"Every error and warning, in source order."`
}

func toDiagnosticsJSON(ds flow.Diagnostics) []diagnosticJSON {
	out := make([]diagnosticJSON, len(ds))
	for i, d := range ds {
		out[i] = diagnosticJSON{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Code: d.Code, Message: d.Message, Path: d.Path}
	}
	return out
}

// loadFlow parses and validates src. flow.Load is fuzzed and bounded; a
// panic in it is still reported as a diagnostic, not a failed request.
// When version > 0 and the definition declares none, it gets version.
func (s *Server) loadFlow(r *http.Request, src []byte, version int) (def *flow.Definition, diags flow.Diagnostics) {
	defer func() {
		if v := recover(); v != nil {
			s.log.ErrorContext(r.Context(), "flow: load panicked", "panic", fmt.Sprint(v))
			def, diags = nil, flow.Diagnostics{{Line: 1, Column: 1, Severity: flow.SeverityError, Code: "internal",
				Message: "the definition could not be checked; please report it"}}
		}
	}()
	if version == 0 {
		return flow.Load(src, flow.ValidateOptions{})
	}
	def, diags = flow.Parse(src)
	if def == nil || diags.HasErrors() {
		return nil, diags
	}
	if def.Version == 0 {
		def.Version = version
	}
	diags = append(diags, flow.Validate(def, flow.ValidateOptions{})...)
	if diags.HasErrors() {
		return nil, diags
	}
	return def, diags
}

// validateFlow checks a YAML flow definition without storing it.
func (s *Server) validateFlow(w http.ResponseWriter, r *http.Request) error {
	src, err := s.readRaw(w, r, yamlTypes)
	if err != nil {
		return err
	}
	def, diags := s.loadFlow(r, src, 0)
	s.writeJSON(w, r, http.StatusOK, validateJSON{Valid: def != nil && !diags.HasErrors(), Diagnostics: toDiagnosticsJSON(diags)})
	return nil
}
