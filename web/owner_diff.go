package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The comparison of two versions of a flow: the API's diff as lists and
// tables, and its plain-text report.

// diffStep is a step added or removed, described from the version
// that has it.
type diffStep struct {
	ID, Name, Kind, Department string
}

// diffLine is one line of the text report with its class (add, del,
// chg or none).
type diffLine struct {
	Class, Text string
}

type diffPage struct {
	Key, Name string
	Versions  []apiv1.FlowVersion
	From, To  int
	Diff      flow.DiffResult
	Empty     bool
	Added     []diffStep
	Removed   []diffStep
	Text      []diffLine
	CanManage bool
}

// versionQuery reads a version number from the query; 0 when absent.
func versionQuery(q url.Values, name string) (int, error) {
	raw := q.Get(name)
	if raw == "" {
		return 0, nil
	}
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 {
		return 0, httpx.BadParam(name, fmt.Sprintf("must be a version number (1 or more), got %q", raw))
	}
	return v, nil
}

// definition reads a version's compiled definition through the API.
func (s *Web) definition(r *http.Request, key string, v int) (flow.Definition, error) {
	var def flow.Definition
	fv, err := apiGet[apiv1.FlowVersionDetail](s, r, apiFlowPath(key, "/versions/", strconv.Itoa(v)))
	if err != nil {
		return def, err
	}
	if err := json.Unmarshal(fv.Definition, &def); err != nil {
		return def, httpx.Internal(fmt.Errorf("ui: definition of %s v%d: %w", key, v, err))
	}
	return def, nil
}

func (s *Web) flowDiff(w http.ResponseWriter, r *http.Request) error {
	key := chi.URLParam(r, "key")
	q := r.URL.Query()
	from, err := versionQuery(q, "from")
	if err != nil {
		return err
	}
	to, err := versionQuery(q, "to")
	if err != nil {
		return err
	}
	detail, err := apiGet[apiv1.FlowDetail](s, r, apiFlowPath(key))
	if err != nil {
		return err
	}
	// Default: the default version against the latest (or the one before
	// it when the latest is the default).
	latest := nextVersion(detail.Versions) - 1
	if to == 0 {
		to = latest
	}
	if from == 0 {
		from = detail.DefaultVersion
		if from == to && to > 1 {
			from = to - 1
		}
	}
	page := diffPage{Key: detail.Key, Name: detail.Name, Versions: detail.Versions, From: from, To: to, CanManage: canManageFlows(r)}
	dq := url.Values{"from": {strconv.Itoa(from)}, "to": {strconv.Itoa(to)}}.Encode()
	if page.Diff, err = apiGet[flow.DiffResult](s, r, apiFlowPath(key, "/diff?")+dq); err != nil {
		return err
	}
	page.Empty = page.Diff.Empty()
	res, err := s.callAPI(r, http.MethodGet, apiFlowPath(key, "/diff?")+dq, nil, http.Header{"Accept": {"text/plain"}})
	if err != nil {
		return err
	}
	if p := res.Problem(); p != nil {
		return p
	}
	for _, l := range strings.Split(strings.TrimRight(string(res.Body), "\n"), "\n") {
		page.Text = append(page.Text, diffLine{Class: diffLineClass(l), Text: l})
	}
	if len(page.Diff.Added) > 0 || len(page.Diff.Removed) > 0 {
		fromDef, err := s.definition(r, key, from)
		if err != nil {
			return err
		}
		toDef, err := s.definition(r, key, to)
		if err != nil {
			return err
		}
		page.Added = diffSteps(&toDef, page.Diff.Added)
		page.Removed = diffSteps(&fromDef, page.Diff.Removed)
	}
	return s.render(w, r, pageView{Template: "flow_diff", Title: fmt.Sprintf("%s v%d → v%d", detail.Name, from, to), Active: "flows", Data: page})
}

func diffSteps(def *flow.Definition, ids []string) []diffStep {
	out := make([]diffStep, len(ids))
	for i, id := range ids {
		out[i] = diffStep{ID: id}
		if st, ok := def.Step(id); ok {
			out[i].Name, out[i].Kind, out[i].Department = st.Name, string(st.Kind), st.Department
		}
	}
	return out
}

// diffLineClass classifies a line of flow.DiffResult.Text.
func diffLineClass(l string) string {
	switch {
	case strings.HasPrefix(l, "+ "), strings.HasPrefix(l, "handoff added"):
		return "add"
	case strings.HasPrefix(l, "- "), strings.HasPrefix(l, "handoff removed"):
		return "del"
	case strings.HasPrefix(l, "~ "), strings.HasPrefix(l, "handoffs "):
		return "chg"
	}
	return ""
}
