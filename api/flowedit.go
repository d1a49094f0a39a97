package api

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// Editing flows: validating a YAML definition, publishing it as a new
// version, choosing the default, retiring versions, comparing two versions
// and the JSON Schema editors complete the YAML with.

// yamlTypes are the media types a flow definition may be sent as.
var yamlTypes = []string{"application/yaml", "text/yaml", "text/plain", "application/x-yaml"}

func unsupportedRaw(types []string) *httpx.Problem {
	return httpx.NewProblem(http.StatusUnsupportedMediaType, "unsupported-media-type", "Unsupported media type",
		"Content-Type must be one of "+strings.Join(types, ", "))
}

// readRaw reads a non-JSON body of one of types (a missing Content-Type
// is accepted), bounded by the configured limit.
func (s *API) readRaw(w http.ResponseWriter, r *http.Request, types []string) ([]byte, error) {
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
			return nil, httpx.NewProblem(http.StatusRequestEntityTooLarge, "too-large", "Request body too large",
				fmt.Sprintf("body: larger than %d bytes", tooLarge.Limit))
		}
		return nil, httpx.BadRequest("body: could not be read")
	}
	return body, nil
}

func toDiagnosticsJSON(ds flow.Diagnostics) []apiv1.Diagnostic {
	out := make([]apiv1.Diagnostic, len(ds))
	for i, d := range ds {
		out[i] = apiv1.Diagnostic{Line: d.Line, Column: d.Column, Severity: string(d.Severity), Code: d.Code, Message: d.Message, Path: d.Path}
	}
	return out
}

// loadFlow parses and validates src. flow.Load is fuzzed and bounded; a
// panic in it is still reported as a diagnostic, not a failed request.
// When version > 0 and the definition declares none, it gets version.
func (s *API) loadFlow(r *http.Request, src []byte, version int) (def *flow.Definition, diags flow.Diagnostics) {
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
func (s *API) validateFlow(w http.ResponseWriter, r *http.Request) error {
	src, err := s.readRaw(w, r, yamlTypes)
	if err != nil {
		return err
	}
	def, diags := s.loadFlow(r, src, 0)
	httpx.WriteJSON(s.log, w, r, http.StatusOK, apiv1.Validate{Valid: def != nil && !diags.HasErrors(), Diagnostics: toDiagnosticsJSON(diags)})
	return nil
}

// Parameters of the flow editing routes.

// versionParam parses the {v} path parameter.
func versionParam(raw string) (int, error) {
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 || len(raw) > 9 {
		return 0, httpx.BadParam("v", fmt.Sprintf("must be a version number (1 or more), got %q", raw))
	}
	return v, nil
}

type versionCursorJSON struct {
	Version int `json:"v"`
}

func toFlowVersionJSON(v store.FlowVersion) apiv1.FlowVersion {
	return apiv1.FlowVersion{Version: v.Version, Name: v.Name, Hash: v.Hash, IsDefault: v.IsDefault, Retired: v.Retired,
		RetiredAt: utcPtr(v.RetiredAt), CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy}
}

func toFlowVersionDetailJSON(v store.FlowVersion) apiv1.FlowVersionDetail {
	return apiv1.FlowVersionDetail{Key: v.Key, Version: v.Version, Name: v.Name, Hash: v.Hash, IsDefault: v.IsDefault,
		Retired: v.Retired, RetiredAt: utcPtr(v.RetiredAt), CreatedAt: v.CreatedAt.UTC(), CreatedBy: v.CreatedBy,
		Definition: v.Compiled, Source: v.Source}
}

// diagnosticErrors renders the errors of diags as problem field errors
// named "line:col" (or the definition path when there is no position).
func diagnosticErrors(diags flow.Diagnostics) []apiv1.FieldError {
	var out []apiv1.FieldError
	for _, d := range diags.Errors() {
		field := "body"
		switch {
		case d.Line > 0:
			field = fmt.Sprintf("%d:%d", d.Line, d.Column)
		case d.Path != "":
			field = d.Path
		}
		out = append(out, apiv1.FieldError{Field: field, Message: d.Message + " (" + d.Code + ")"})
	}
	return out
}

// publishFlow stores a YAML definition as the next version of its key.
func (s *API) publishFlow(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowKeyParams](r)
	if err != nil {
		return err
	}
	src, err := s.readRaw(w, r, yamlTypes)
	if err != nil {
		return err
	}
	ctx := r.Context()
	what := fmt.Sprintf("flow %q", q.Key)
	versions, err := s.store.ListFlowVersions(ctx, q.Key)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list flow versions: %w", err), what)
	}
	sum := sha256.Sum256(src)
	hash := hex.EncodeToString(sum[:])
	next := 1
	for _, v := range versions {
		next = max(next, v.Version+1)
	}
	def, diags := s.loadFlow(r, src, next)
	if def == nil || diags.HasErrors() {
		p := httpx.Invalid(diagnosticErrors(diags)...)
		p.Detail = fmt.Sprintf("the flow definition has %d %s: %s", len(p.Errors), pluralWord(len(p.Errors), "error", "errors"), p.Detail)
		return p
	}
	if def.Key != q.Key {
		return httpx.Invalid(apiv1.FieldError{Field: "key", Message: fmt.Sprintf("the definition's key is %q but it is published to %q", def.Key, q.Key)})
	}
	for _, v := range versions {
		if v.Hash == hash {
			// The same content again: nothing new to publish.
			httpx.WriteJSON(s.log, w, r, http.StatusOK, toFlowVersionDetailJSON(v))
			return nil
		}
	}
	if def.Version != next {
		p := httpx.Conflict(fmt.Sprintf("%s: the next version is %d, but the definition says version %d; change it to %d or leave it out", what, next, def.Version, next))
		p.Errors = []apiv1.FieldError{{Field: "version", Message: fmt.Sprintf("must be %d (or absent), got %d", next, def.Version)}}
		return p
	}
	compiled, err := json.Marshal(def)
	if err != nil {
		return httpx.Internal(fmt.Errorf("compile %s v%d: %w", q.Key, next, err))
	}
	actor := httpx.ActorFrom(ctx)
	fv, created, err := s.store.PutFlowVersion(ctx, store.PutFlowVersionParams{
		Key: q.Key, Version: next, Name: def.Name, Source: string(src), Compiled: compiled, Hash: hash,
		CreatedBy: actor.ID, At: s.now().UTC(),
	})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return httpx.Conflict(fmt.Sprintf("%s: version %d was published by someone else meanwhile; publish again", what, next))
		}
		return httpx.StoreProblem(fmt.Errorf("put flow version: %w", err), what)
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		s.audit(r, store.AuditEntry{Action: "flow.publish", Object: fmt.Sprintf("flow:%s@%d", fv.Key, fv.Version),
			Details: mustJSON(map[string]any{"key": fv.Key, "version": fv.Version, "hash": fv.Hash, "is_default": fv.IsDefault})})
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/flows/%s/versions/%d", fv.Key, fv.Version))
	httpx.WriteJSON(s.log, w, r, status, toFlowVersionDetailJSON(fv))
	return nil
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// listFlowVersions lists the versions of a flow, oldest first.
func (s *API) listFlowVersions(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowVersionsParams](r)
	if err != nil {
		return err
	}
	after := 0
	if q.Cursor != "" {
		var c versionCursorJSON
		if err := httpx.DecodeCursor(q.Cursor, &c); err != nil || c.Version < 1 {
			return httpx.BadCursor()
		}
		after = c.Version
	}
	what := fmt.Sprintf("flow %q", q.Key)
	versions, err := s.store.ListFlowVersions(r.Context(), q.Key)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list flow versions: %w", err), what)
	}
	if len(versions) == 0 {
		return s.unknownFlow(r.Context(), q.Key, "")
	}
	i := 0
	for i < len(versions) && versions[i].Version <= after {
		i++
	}
	versions = versions[i:]
	out := apiv1.FlowVersionList{}
	if len(versions) > q.Limit {
		versions = versions[:q.Limit]
		if out.NextCursor, err = httpx.EncodeCursor(versionCursorJSON{Version: versions[len(versions)-1].Version}); err != nil {
			return httpx.Internal(err)
		}
	}
	out.Versions = make([]apiv1.FlowVersion, len(versions))
	for i, v := range versions {
		out.Versions[i] = toFlowVersionJSON(v)
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// getFlowVersion returns one version as JSON, or its YAML source when the
// client asks for YAML.
func (s *API) getFlowVersion(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowVersionParams](r)
	if err != nil {
		return err
	}
	v, err := versionParam(q.V)
	if err != nil {
		return err
	}
	fv, err := s.loadFlowVersion(r.Context(), q.Key, v)
	if err != nil {
		return err
	}
	if mt := negotiate(r, mimeJSON, "application/yaml", "text/yaml", "application/x-yaml"); mt != mimeJSON {
		w.Header().Set("Content-Type", mt+"; charset=utf-8")
		w.Header().Set("ETag", `"`+fv.Hash+`"`)
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, fv.Source)
		return nil
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toFlowVersionDetailJSON(fv))
	return nil
}

// negotiate picks the offer the Accept header prefers (by q value, then
// by the header's order); the first offer when there is no usable header.
func negotiate(r *http.Request, offers ...string) string {
	best, bestQ := offers[0], -1.0
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if raw, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(raw, 64); err == nil {
				q = f
			}
		}
		if q <= 0 || q <= bestQ {
			continue
		}
		for _, o := range offers {
			if mt == o {
				best, bestQ = o, q
				break
			}
		}
	}
	return best
}

// setFlowDefault makes a version the one new cases get.
func (s *API) setFlowDefault(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowKeyParams](r)
	if err != nil {
		return err
	}
	var req apiv1.SetDefaultRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return httpx.Invalid(apiv1.FieldError{Field: "version", Message: "must be a version number (1 or more)"})
	}
	ctx := r.Context()
	fv, err := s.loadFlowVersion(ctx, q.Key, req.Version)
	if err != nil {
		return err
	}
	if fv.Retired {
		return httpx.Conflict(fmt.Sprintf("flow %q version %d is retired and cannot become the default", q.Key, req.Version))
	}
	prev, err := s.store.DefaultFlowVersion(ctx, q.Key)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("default flow version: %w", err), fmt.Sprintf("flow %q", q.Key))
	}
	if prev.Version != fv.Version {
		if err := s.store.SetDefaultFlowVersion(ctx, q.Key, fv.Version); err != nil {
			return httpx.StoreProblem(fmt.Errorf("set default flow version: %w", err), fmt.Sprintf("flow %q version %d", q.Key, fv.Version))
		}
		s.audit(r, store.AuditEntry{Action: "flow.default", Object: "flow:" + q.Key,
			Details: mustJSON(map[string]any{"key": q.Key, "from": prev.Version, "to": fv.Version})})
	}
	if fv, err = s.loadFlowVersion(ctx, q.Key, fv.Version); err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toFlowVersionDetailJSON(fv))
	return nil
}

// retireFlowVersion stops a version from receiving new cases.
func (s *API) retireFlowVersion(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowVersionParams](r)
	if err != nil {
		return err
	}
	v, err := versionParam(q.V)
	if err != nil {
		return err
	}
	ctx := r.Context()
	fv, err := s.loadFlowVersion(ctx, q.Key, v)
	if err != nil {
		return err
	}
	if fv.IsDefault {
		return httpx.Conflict(fmt.Sprintf("flow %q version %d is the default; make another version the default first", q.Key, v))
	}
	if !fv.Retired {
		if err := s.store.RetireFlowVersion(ctx, q.Key, v, s.now().UTC()); err != nil {
			return httpx.StoreProblem(fmt.Errorf("retire flow version: %w", err), fmt.Sprintf("flow %q version %d", q.Key, v))
		}
		s.audit(r, store.AuditEntry{Action: "flow.retire", Object: fmt.Sprintf("flow:%s@%d", q.Key, v),
			Details: mustJSON(map[string]any{"key": q.Key, "version": v})})
		if fv, err = s.loadFlowVersion(ctx, q.Key, v); err != nil {
			return err
		}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, toFlowVersionDetailJSON(fv))
	return nil
}

// diffFlow compares two versions of a flow: JSON, or with
// Accept: text/plain the report flow.DiffResult.Text renders.
func (s *API) diffFlow(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.FlowDiffParams](r)
	if err != nil {
		return err
	}
	if q.From == 0 {
		return httpx.BadParam("from", "is required (a version number)")
	}
	if q.To == 0 {
		return httpx.BadParam("to", "is required (a version number)")
	}
	defs := make([]*flow.Definition, 2)
	for i, v := range []int{q.From, q.To} {
		fv, err := s.loadFlowVersion(r.Context(), q.Key, v)
		if err != nil {
			return err
		}
		var def flow.Definition
		if err := json.Unmarshal(fv.Compiled, &def); err != nil {
			return httpx.Internal(fmt.Errorf("compiled definition of %s v%d: %w", fv.Key, fv.Version, err))
		}
		defs[i] = &def
	}
	d := flow.Diff(defs[0], defs[1])
	if negotiate(r, mimeJSON, mimeText) == mimeText {
		w.Header().Set("Content-Type", mimeText+"; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, d.Text())
		return nil
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, d)
	return nil
}

const (
	mimeText   = "text/plain"
	mimeSchema = "application/schema+json"
)

// FlowSchemaPath serves the JSON Schema of the flow YAML format.
const FlowSchemaPath = "/api/v1/schema/flow.json"

// flowSchema serves flow.JSONSchema for editors (no authentication).
func (s *API) flowSchema(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", mimeSchema)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(flow.JSONSchema())
	return nil
}
