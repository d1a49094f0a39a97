package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The YAML editor of a flow: validation messages at their lines (a full
// page after the Validate button, a fragment while typing) and publishing
// a new version.

// diagnostic is one problem of the YAML, at its line and column (0
// when the problem has no position).
type diagnostic struct {
	Line, Column int
	Severity     string
	Code         string
	Message      string
	Field        string // for a problem without a position: what it is about
}

type editPage struct {
	Key         string // the flow's key; for a new flow, what the form says
	IsNew       bool
	BaseVersion int // the version the YAML was loaded from (0: none)
	NextVersion int // what publishing creates (0: unknown)
	YAML        string
	// Validated: the diagnostics below are the validator's (or the
	// publish attempt's) for this YAML.
	Validated   bool
	Valid       bool
	Diagnostics []diagnostic
	Errors      int
	Warnings    int
	Error       string // a refusal that is not about a line (409, 413...)
	FieldErrors map[string]string
	// VersionLine is the line of the YAML's top-level version: (0: none)
	// and VersionSays its value, so the page can say it must match.
	VersionLine int
	VersionSays string
}

// newFlowYAML is the starting point of a new flow.
const newFlowYAML = `key: my_flow
name: My flow
description: What this service process is for.
departments: [customer_service]
sla: 4h
steps:
  - id: handle
    kind: task
    name: Handle the request
    department: customer_service
    sla: 1h
    outcomes:
      - name: done
        next: closed
  - id: closed
    kind: end
    name: Closed
`

// topLevelLine finds the line of a top-level field of a YAML document
// ("version: 3") and its value; 0 when there is none.
func topLevelLine(src, field string) (line int, value string) {
	for i, l := range strings.Split(src, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimRight(l, "\r"), field+":")
		if !ok {
			continue
		}
		if j := strings.Index(rest, "#"); j >= 0 {
			rest = rest[:j]
		}
		return i + 1, strings.Trim(strings.TrimSpace(rest), `"'`)
	}
	return 0, ""
}

func (p *editPage) finish() {
	p.VersionLine, p.VersionSays = topLevelLine(p.YAML, "version")
	if p.FieldErrors == nil {
		p.FieldErrors = map[string]string{}
	}
	p.Errors, p.Warnings = 0, 0
	for _, d := range p.Diagnostics {
		if d.Severity == string(flow.SeverityError) {
			p.Errors++
		} else {
			p.Warnings++
		}
	}
}

func (s *Web) renderEditor(w http.ResponseWriter, r *http.Request, status int, p editPage) error {
	p.finish()
	title := "New flow"
	if !p.IsNew {
		title = "Edit " + p.Key
	}
	return s.render(w, r, pageView{Template: "flow_edit", Title: title, Active: "flows", Status: status, Data: p})
}

// flowEdit opens the editor on a version's YAML (default: the flow's
// default version).
func (s *Web) flowEdit(w http.ResponseWriter, r *http.Request) error {
	key := chi.URLParam(r, "key")
	path := apiFlowPath(key)
	if v := r.URL.Query().Get("version"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return httpx.BadParam("version", fmt.Sprintf("must be a version number (1 or more), got %q", v))
		}
		path += "?" + url.Values{"version": {v}}.Encode()
	}
	detail, err := apiGet[apiv1.FlowDetail](s, r, path)
	if err != nil {
		return err
	}
	return s.renderEditor(w, r, http.StatusOK, editPage{Key: detail.Key, BaseVersion: detail.Version,
		NextVersion: nextVersion(detail.Versions), YAML: detail.Source})
}

func nextVersion(vs []apiv1.FlowVersion) int {
	n := 0
	for _, v := range vs {
		n = max(n, v.Version)
	}
	return n + 1
}

// flowNew opens the editor on a starting flow.
func (s *Web) flowNew(w http.ResponseWriter, r *http.Request) error {
	return s.renderEditor(w, r, http.StatusOK, editPage{IsNew: true, NextVersion: 1, YAML: newFlowYAML})
}

// editorForm reads the editor's form: the YAML (line endings as the
// browser sends them, CRLF, made LF so lines count as the API counts
// them), the key, whether the flow is new and the base version.
func (s *Web) editorForm(w http.ResponseWriter, r *http.Request) (editPage, error) {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return editPage{}, err
	}
	p := editPage{
		YAML:  strings.ReplaceAll(r.PostFormValue("yaml"), "\r\n", "\n"),
		Key:   strings.TrimSpace(r.PostFormValue("key")),
		IsNew: r.PostFormValue("new") != "",
	}
	p.BaseVersion, _ = strconv.Atoi(r.PostFormValue("base"))
	p.NextVersion, _ = strconv.Atoi(r.PostFormValue("next"))
	if k := chi.URLParam(r, "key"); k != "" {
		p.Key, p.IsNew = k, false
	}
	return p, nil
}

// flowValidate checks the editor's YAML with the API's validator: the
// whole editor again (the Validate button), or only the diagnostics list
// (the script, while the user types).
func (s *Web) flowValidate(w http.ResponseWriter, r *http.Request) error {
	p, err := s.editorForm(w, r)
	if err != nil {
		return err
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/flows/validate", []byte(p.YAML), http.Header{"Content-Type": {"application/yaml"}})
	if err != nil {
		return err
	}
	var v apiv1.Validate
	if err := res.Decode(&v); err != nil {
		if pr, ok := err.(*httpx.Problem); ok && pr.Status < 500 && !isFragmentRequest(r) {
			p.Error = pr.Detail
			return s.renderEditor(w, r, pr.Status, p)
		}
		return err
	}
	p.Validated, p.Valid = true, v.Valid
	for _, d := range v.Diagnostics {
		p.Diagnostics = append(p.Diagnostics, diagnostic{Line: d.Line, Column: d.Column, Severity: d.Severity,
			Code: d.Code, Message: d.Message, Field: d.Path})
	}
	if isFragmentRequest(r) {
		p.finish()
		return s.renderFragment(w, r, "flow_edit", "diagnostics", p)
	}
	return s.renderEditor(w, r, http.StatusOK, p)
}

// flowPublish publishes the editor's YAML as the flow's next version.
func (s *Web) flowPublish(w http.ResponseWriter, r *http.Request) error {
	p, err := s.editorForm(w, r)
	if err != nil {
		return err
	}
	return s.publishFromEditor(w, r, p)
}

// flowPublishNew publishes the first version of a new flow; its key is
// the form's or, when left empty, the YAML's.
func (s *Web) flowPublishNew(w http.ResponseWriter, r *http.Request) error {
	p, err := s.editorForm(w, r)
	if err != nil {
		return err
	}
	p.IsNew, p.NextVersion = true, 1
	if p.Key == "" {
		if def, _ := flow.Parse([]byte(p.YAML)); def != nil {
			p.Key = def.Key
		}
	}
	if p.Key == "" {
		p.FieldErrors = map[string]string{"key": "give the flow a key (the YAML's key: says the same)"}
		return s.renderEditor(w, r, http.StatusUnprocessableEntity, p)
	}
	// A new flow must not take the key of an existing one.
	res, err := s.callAPI(r, http.MethodGet, apiFlowPath(p.Key, "/versions?limit=1"), nil, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		p.FieldErrors = map[string]string{"key": fmt.Sprintf("a flow with the key %q exists; open it and edit it to publish a new version", p.Key)}
		return s.renderEditor(w, r, http.StatusConflict, p)
	}
	return s.publishFromEditor(w, r, p)
}

// publishPositionRe reads the "line:column" field of a publish error.
var (
	publishPositionRe = regexp.MustCompile(`^(\d+):(\d+)$`)
	publishCodeRe     = regexp.MustCompile(`^(.*) \(([a-z0-9]+(?:-[a-z0-9]+)*)\)$`)
)

func (s *Web) publishFromEditor(w http.ResponseWriter, r *http.Request, p editPage) error {
	res, err := s.callAPI(r, http.MethodPost, apiFlowPath(p.Key, "/versions"), []byte(p.YAML), http.Header{"Content-Type": {"application/yaml"}})
	if err != nil {
		return err
	}
	if res.OK() {
		var fv apiv1.FlowVersionDetail
		if err := res.Decode(&fv); err != nil {
			return err
		}
		msg := fmt.Sprintf("Published version %d.", fv.Version)
		switch {
		case res.Status == http.StatusOK:
			msg = fmt.Sprintf("Nothing new: this YAML is version %d already.", fv.Version)
		case !fv.IsDefault:
			msg += " New cases still get the default version: make it the default when you are ready."
		default:
			msg += " It is the default: new cases get it."
		}
		http.Redirect(w, r, withFlash(r, flowPath(fv.Key)+"?version="+strconv.Itoa(fv.Version), msg, ""), http.StatusSeeOther)
		return nil
	}
	pr := res.Problem()
	if pr.Status >= 500 || pr.Status == http.StatusForbidden || pr.Status == http.StatusUnauthorized {
		return pr
	}
	p.Validated = true
	p.FieldErrors = map[string]string{}
	for _, fe := range pr.Errors {
		m := publishPositionRe.FindStringSubmatch(fe.Field)
		d := diagnostic{Severity: string(flow.SeverityError), Message: fe.Message}
		if c := publishCodeRe.FindStringSubmatch(fe.Message); c != nil {
			d.Message, d.Code = c[1], c[2]
		}
		switch {
		case m != nil:
			d.Line, _ = strconv.Atoi(m[1])
			d.Column, _ = strconv.Atoi(m[2])
		case fe.Field == "version" || fe.Field == "key":
			// The YAML's version is not the next one, or its key not the
			// flow's: point at the line that says it.
			if line, _ := topLevelLine(p.YAML, fe.Field); line > 0 {
				d.Line, d.Column = line, 1
			} else {
				d.Field = fe.Field
			}
			if p.IsNew && fe.Field == "key" {
				p.FieldErrors["key"] = fe.Message
			}
		default:
			d.Field = fe.Field
		}
		p.Diagnostics = append(p.Diagnostics, d)
	}
	if len(pr.Errors) == 0 || pr.Status == http.StatusConflict {
		p.Error = pr.Detail
	}
	return s.renderEditor(w, r, pr.Status, p)
}
