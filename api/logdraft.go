package api

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flowdraft"
	"github.com/flowlab/flowlab/internal/httpx"
)

// draftFlowFromLog drafts a flow from a (filtered) log (issue 18, decision
// 0032). It stores nothing.
func (s *API) draftFlowFromLog(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.DraftFlowFromLogParams](r)
	if err != nil {
		return err
	}
	var req apiv1.DraftFlowRequest
	if _, err := httpx.DecodeJSON(w, r, s.cfg.MaxBodyBytes, &req); err != nil {
		return err
	}
	var bad []apiv1.FieldError
	if req.Coverage < 0 || req.Coverage > 1 {
		bad = append(bad, apiv1.FieldError{Field: "coverage", Message: "must be a share from 0 to 1 (0 or left out: 0.9)"})
	}
	if req.Key != "" && !validKey(req.Key) {
		bad = append(bad, apiv1.FieldError{Field: "key", Message: "must start with a lowercase letter and use only a-z, 0-9, _ and -"})
	}
	if len(req.DepartmentOf) > 500 {
		bad = append(bad, apiv1.FieldError{Field: "department_of", Message: "at most 500 values may be mapped"})
	}
	if len(bad) > 0 {
		return httpx.Invalid(bad...)
	}
	row, err := s.store.GetEventLog(r.Context(), q.ID)
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("get log: %w", err), fmt.Sprintf("event log %q", q.ID))
	}
	v, err := s.openLogView(r.Context(), logQuery{ID: q.ID, From: q.From, To: q.To, Variant: q.Variant, Attr: q.Attr, Value: q.Value,
		Contains: q.Contains, Excludes: q.Excludes})
	if err != nil {
		return err
	}
	d, err := flowdraft.Draft(v.log, flowdraft.Options{LogName: row.Name, Key: req.Key, Name: strings.TrimSpace(req.Name),
		Coverage: req.Coverage, DepartmentOf: req.DepartmentOf, DefaultDepartment: req.DefaultDepartment})
	v.release()
	switch {
	case errors.Is(err, flowdraft.ErrEmptyLog):
		return httpx.Invalid(apiv1.FieldError{Field: "id", Message: "the log (with these filters) has no cases to draft a flow from"})
	case errors.Is(err, flowdraft.ErrBadOptions):
		return httpx.Invalid(apiv1.FieldError{Message: err.Error()})
	case err != nil:
		return httpx.Internal(err)
	}
	out := apiv1.DraftFlow{YAML: string(d.YAML), Key: d.Key, Variants: d.Variants, VariantsTotal: d.VariantsTotal, Cases: d.Cases,
		CoveredCases: d.CoveredCases, Coverage: d.Coverage, Activities: d.Activities, ActivitiesTotal: d.ActivitiesTotal,
		Capped: d.Capped, Steps: d.Steps, Diagnostics: toDiagnosticsJSON(d.Diagnostics)}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}

// validKey reports whether s is a flow key.
func validKey(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, c := range []byte(s) {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
