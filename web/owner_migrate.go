package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
)

// Moving running cases from one version of a flow to another: a mapping
// of the old version's steps to the new one's, a dry run that reports
// each case, then the migration itself.

// migrateRow is one step of version from where cases may wait, the
// step of version to it maps to, and the cases waiting there now.
type migrateRow struct {
	Step, Name, Kind, Department string
	Selected                     string
	Waiting                      int
	Error                        string
}

type migratePage struct {
	Key, Name   string
	Versions    []apiv1.FlowVersion
	From, To    int
	Rows        []migrateRow
	Options     []diffStep
	OpenFrom    int  // active cases of version from (up to one page)
	OpenMore    bool // more than that
	Report      *apiv1.Migration
	Error       string
	FieldErrors map[string]string
	// CanRun: the report is a dry run with cases a real run would move.
	CanRun bool
}

// mapField is the form field of a step's mapping.
const mapField = "map."

// waitingSteps are the kinds a case may rest at, so the ones a migration
// maps.
var waitingSteps = []flow.Kind{flow.KindTask, flow.KindWait}

// buildMigratePage loads versions from and to, the mapping rows (mapping,
// or steps of the same id) and the active cases of version from; zero
// from/to pick the default version as to and the version with the most
// open cases (else the newest other one) as from.
func (s *Web) buildMigratePage(r *http.Request, key string, from, to int, mapping map[string]string) (migratePage, error) {
	detail, err := apiGet[apiv1.FlowDetail](s, r, apiFlowPath(key))
	if err != nil {
		return migratePage{}, err
	}
	page := migratePage{Key: detail.Key, Name: detail.Name, Versions: detail.Versions, FieldErrors: map[string]string{}}
	cq := url.Values{"flow": {key}, "status": {"active"}, "limit": {"500"}}
	cases, err := apiGet[apiv1.CaseList](s, r, "/api/v1/cases?"+cq.Encode())
	if err != nil {
		return page, err
	}
	perVersion := map[int]int{}
	for _, c := range cases.Cases {
		perVersion[c.Version]++
	}
	if to == 0 {
		to = detail.DefaultVersion
	}
	if from == 0 {
		for _, v := range slices.Backward(detail.Versions) {
			if v.Version != to && (from == 0 || perVersion[v.Version] > perVersion[from]) {
				from = v.Version
			}
		}
	}
	page.From, page.To = from, to
	if from == 0 { // a flow of one version
		return page, nil
	}
	fromDef, err := s.definition(r, key, from)
	if err != nil {
		return page, err
	}
	toDef, err := s.definition(r, key, to)
	if err != nil {
		return page, err
	}
	waiting := map[string]int{}
	for _, c := range cases.Cases {
		if c.Version == from {
			page.OpenFrom++
			waiting[c.Step]++
		}
	}
	page.OpenMore = cases.NextCursor != ""
	for _, st := range toDef.Steps {
		page.Options = append(page.Options, diffStep{ID: st.ID, Name: st.Name, Kind: string(st.Kind), Department: st.Department})
	}
	for _, st := range fromDef.Steps {
		if !slices.Contains(waitingSteps, st.Kind) {
			continue
		}
		row := migrateRow{Step: st.ID, Name: st.Name, Kind: string(st.Kind), Department: st.Department, Waiting: waiting[st.ID]}
		if mapping != nil {
			row.Selected = mapping[st.ID]
		} else if _, ok := toDef.Step(st.ID); ok {
			row.Selected = st.ID
		}
		page.Rows = append(page.Rows, row)
	}
	return page, nil
}

func (s *Web) flowMigrate(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	from, err := versionQuery(q, "from")
	if err != nil {
		return err
	}
	to, err := versionQuery(q, "to")
	if err != nil {
		return err
	}
	page, err := s.buildMigratePage(r, chi.URLParam(r, "key"), from, to, nil)
	if err != nil {
		return err
	}
	return s.render(w, r, pageView{Template: "flow_migrate", Title: "Migrate cases of " + page.Name, Active: "flows", Data: page})
}

// flowMigrateRun previews (action=preview: a dry run) or runs
// (action=migrate) the migration the form describes.
func (s *Web) flowMigrateRun(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	key := chi.URLParam(r, "key")
	from, err := versionQuery(r.PostForm, "from")
	if err != nil {
		return err
	}
	to, err := versionQuery(r.PostForm, "to")
	if err != nil {
		return err
	}
	mapping := map[string]string{}
	for name, vals := range r.PostForm {
		step, ok := strings.CutPrefix(name, mapField)
		if ok && len(vals) > 0 && vals[0] != "" {
			mapping[step] = vals[0]
		}
	}
	run := r.PostFormValue("action") == "migrate"
	page, err := s.buildMigratePage(r, key, from, to, mapping)
	if err != nil {
		return err
	}
	req := apiv1.MigrateRequest{From: from, To: to, Mapping: mapping, DryRun: !run}
	res, err := s.callAPI(r, http.MethodPost, apiFlowPath(key, "/migrations"), req, nil)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.OK() {
		var rep apiv1.Migration
		if err := res.Decode(&rep); err != nil {
			return err
		}
		page.Report = &rep
		page.CanRun = rep.DryRun && rep.WouldMigrate > 0
		if !rep.DryRun {
			// The counts of waiting cases changed: show them as they are now.
			fresh, err := s.buildMigratePage(r, key, from, to, mapping)
			if err != nil {
				return err
			}
			fresh.Report = &rep
			page = fresh
		}
	} else {
		p := res.Problem()
		if p.Status >= 500 || p.Status == http.StatusForbidden || p.Status == http.StatusUnauthorized {
			return p
		}
		status = p.Status
		page.Error = p.Detail
		for _, fe := range p.Errors {
			if step, ok := strings.CutPrefix(fe.Field, "mapping."); ok {
				for i := range page.Rows {
					if page.Rows[i].Step == step {
						page.Rows[i].Error = fe.Message
					}
				}
				continue
			}
			if _, ok := page.FieldErrors[fe.Field]; !ok {
				page.FieldErrors[fe.Field] = fe.Message
			}
		}
	}
	title := fmt.Sprintf("Migrate cases of %s v%s → v%s", page.Name, strconv.Itoa(from), strconv.Itoa(to))
	return s.render(w, r, pageView{Template: "flow_migrate", Title: title, Active: "flows", Status: status, Data: page})
}
