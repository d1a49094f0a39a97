package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/internal/authz"
)

// The PDCA board (improvement cycles by stage, with the improvement KPIs)
// and the staff proposals with votes, adoption and decline.

// impStages are the board's columns and the cycle stages (the pdca flow's
// steps, ADR 0010) each gathers.
var impStages = []struct {
	Key, Title string
	Steps      []string
}{
	{"plan", "Plan", []string{apiv1.StageStarting, "baseline", apiv1.PDCAPlanStep}},
	{"do", "Do", []string{"do"}},
	{"check", "Check", []string{"results", "check"}},
	{"act", "Act", []string{"act", "standardise"}},
	{"done", "Done", []string{apiv1.StageClosed}},
}

// impStageColumn is the board column of a cycle's stage ("plan" for a
// stage the board does not know: a newer flow version's step).
func impStageColumn(stage string) string {
	for _, st := range impStages {
		for _, s := range st.Steps {
			if s == stage {
				return st.Key
			}
		}
	}
	return "plan"
}

type impCard struct {
	apiv1.Improvement
	Problem      string
	MetricLabel  string
	BaselineText string
	TargetText   string
	OutcomeClass string
	PilotLink    bool
}

type impColumn struct {
	Key, Title string
	Cards      []impCard
}

type impBoardPage struct {
	Columns  []impColumn
	KPIs     apiv1.ImprovementKPIs
	Adoption string
	Landed   string
	// Each rate's badge: ok/bad class and meets/misses target, or no data.
	AdoptionClass, AdoptionState string
	LandedClass, LandedState     string
	Next                         string
}

// impMet is the badge of a KPI's met flag.
func impMet(met *bool) (class, state string) {
	switch {
	case met == nil:
		return "", "no data"
	case *met:
		return "ok", "meets target"
	default:
		return "bad", "misses target"
	}
}

func impOutcomeClass(outcome string) string {
	switch outcome {
	case apiv1.OutcomeStandardised:
		return "ok"
	case apiv1.OutcomeAbandoned, apiv1.OutcomeNotStandardised:
		return "bad"
	case apiv1.OutcomeReplanned:
		return "warn"
	}
	return "info"
}

// impKPIRate formats an improvement KPI: its value against its target.
func impKPIRate(k apiv1.KPI) string {
	if k.Value == nil {
		return "no data"
	}
	return fmt.Sprintf("%s (%d of %d)", fmtPct(*k.Value), k.Numerator, k.Denominator)
}

func (s *Web) improvements(w http.ResponseWriter, r *http.Request) error {
	in := r.URL.Query()
	q := url.Values{"limit": {"50"}}
	if c := in.Get("cursor"); c != "" {
		q.Set("cursor", c)
	}
	list, err := apiGet[apiv1.ImprovementList](s, r, "/api/v1/improvements?"+q.Encode())
	if err != nil {
		return err
	}
	// The cycles' problems are case attributes: the same page of the
	// same cases (improvements list them in the case list's order).
	q.Set("flow", apiv1.PDCAFlow)
	cases, err := apiGet[apiv1.CaseList](s, r, "/api/v1/cases?"+q.Encode())
	if err != nil {
		return err
	}
	problems := map[string]string{}
	for _, c := range cases.Cases {
		var attrs struct {
			Problem string `json:"problem"`
		}
		if json.Unmarshal(c.Attributes, &attrs) == nil {
			problems[c.ID] = attrs.Problem
		}
	}
	kpis, err := apiGet[apiv1.ImprovementKPIs](s, r, "/api/v1/kpis/improvement")
	if err != nil {
		return err
	}
	page := impBoardPage{KPIs: kpis, Adoption: impKPIRate(kpis.AdoptionRate), Landed: impKPIRate(kpis.ImprovementsLanded),
		Next: impNextPage("/ui/improvements", in, list.NextCursor)}
	page.AdoptionClass, page.AdoptionState = impMet(kpis.AdoptionRate.Met)
	page.LandedClass, page.LandedState = impMet(kpis.ImprovementsLanded.Met)
	index := map[string]int{}
	for i, st := range impStages {
		page.Columns = append(page.Columns, impColumn{Key: st.Key, Title: st.Title})
		index[st.Key] = i
	}
	pilots := impCan(r, authz.FlowViewers)
	for _, c := range list.Improvements {
		card := impCard{Improvement: c, Problem: problems[c.CaseID], MetricLabel: impMetricLabel(c.Metric), OutcomeClass: impOutcomeClass(c.Outcome),
			BaselineText: impMetricValuePtr(c.Metric, c.BaselineValue), TargetText: impMetricValuePtr(c.Metric, c.Target),
			PilotLink: pilots && c.PilotID != ""}
		col := &page.Columns[index[impStageColumn(c.Stage)]]
		col.Cards = append(col.Cards, card)
	}
	return s.render(w, r, pageView{Template: "improvements", Title: "Improvement", Active: "improvements", Data: page})
}

// Proposals.

type impProposalRow struct {
	apiv1.Proposal
	AuthorText  string
	StatusClass string
}

type impProposalForm struct {
	Title, Body string
	Anonymous   bool
	Errors      map[string]string
	Error       string
}

type impProposalsPage struct {
	Proposals []impProposalRow
	Status    string
	Statuses  []string
	Next      string
	Form      impProposalForm
}

func impProposalRowOf(r *http.Request, p apiv1.Proposal) impProposalRow {
	row := impProposalRow{Proposal: p, AuthorText: "anonymous", StatusClass: "info"}
	if p.Author != nil {
		row.AuthorText = *p.Author
		if *p.Author == actorOf(r.Context()).ID {
			row.AuthorText = "you"
		}
	}
	switch p.Status {
	case "adopted":
		row.StatusClass = "ok"
	case "declined":
		row.StatusClass = "bad"
	}
	return row
}

func (s *Web) proposals(w http.ResponseWriter, r *http.Request) error {
	return s.renderProposals(w, r, http.StatusOK, impProposalForm{})
}

func (s *Web) renderProposals(w http.ResponseWriter, r *http.Request, status int, form impProposalForm) error {
	in := r.URL.Query()
	q := url.Values{"limit": {"50"}}
	for _, k := range []string{"status", "cursor"} {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	list, err := apiGet[apiv1.ProposalList](s, r, "/api/v1/proposals?"+q.Encode())
	if err != nil {
		return err
	}
	if form.Errors == nil {
		form.Errors = map[string]string{}
	}
	page := impProposalsPage{Status: in.Get("status"), Statuses: []string{"open", "adopted", "declined"}, Next: impNextPage("/ui/proposals", in, list.NextCursor), Form: form}
	for _, p := range list.Proposals {
		page.Proposals = append(page.Proposals, impProposalRowOf(r, p))
	}
	return s.render(w, r, pageView{Template: "proposals", Title: "Proposals", Active: "improvements", Status: status, Data: page})
}

func (s *Web) proposalCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	form := impProposalForm{Title: strings.TrimSpace(r.PostFormValue("title")), Body: strings.TrimSpace(r.PostFormValue("body")),
		Anonymous: r.PostFormValue("anonymous") != ""}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals",
		apiv1.CreateProposalRequest{Title: form.Title, Body: form.Body, Anonymous: form.Anonymous}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var p apiv1.Proposal
		if err := res.Decode(&p); err != nil {
			return err
		}
		msg := "Thank you: your proposal is open for votes."
		if form.Anonymous {
			msg = "Thank you: your proposal is open for votes, without your name."
		}
		return redirectTo(w, r, "/ui/proposals/"+url.PathEscape(p.ID), msg)
	}
	p, err := impFormProblem(res)
	if err != nil {
		return err
	}
	form.Errors = impFieldErrors(p)
	if len(form.Errors) == 0 {
		form.Error = p.Detail
	}
	return s.renderProposals(w, r, p.Status, form)
}

type impProposalPage struct {
	P         impProposalRow
	Flows     []apiv1.FlowSummary
	Metrics   []impOption
	CanDecide bool
	Open      bool
	// The adopt and decline forms' values and errors.
	Flow, Metric, Reason string
	Errors               map[string]string
	Error                string
}

func (s *Web) proposal(w http.ResponseWriter, r *http.Request) error {
	return s.renderProposal(w, r, http.StatusOK, impProposalPage{})
}

func (s *Web) renderProposal(w http.ResponseWriter, r *http.Request, status int, page impProposalPage) error {
	p, err := apiGet[apiv1.Proposal](s, r, "/api/v1/proposals/"+impPathID(r))
	if err != nil {
		return err
	}
	page.P = impProposalRowOf(r, p)
	page.Open = p.Status == "open"
	page.CanDecide = impCan(r, authz.ProposalDeciders)
	if page.CanDecide && page.Open {
		if page.Flows, err = s.impFlows(r); err != nil {
			return err
		}
		page.Metrics = impMetricOptions()
	}
	if page.Metric == "" {
		page.Metric = "cycle_time"
	}
	if page.Errors == nil {
		page.Errors = map[string]string{}
	}
	return s.render(w, r, pageView{Template: "proposal", Title: "Proposal: " + p.Title, Active: "improvements", Status: status, Data: page})
}

// impProposalBack is where a vote returns to: the proposal list (with its
// filters) or the proposal's page; nothing else.
func impProposalBack(r *http.Request, id string) string {
	back := r.PostFormValue("back")
	u, err := url.Parse(back)
	if err == nil && back != "" && u.Host == "" && u.Scheme == "" && !strings.HasPrefix(back, "//") &&
		(u.Path == "/ui/proposals" || u.Path == "/ui/proposals/"+id) {
		return u.Path + "?" + impWithoutFlash(u.Query())
	}
	return "/ui/proposals/" + id + "?"
}

func impWithoutFlash(q url.Values) string {
	q.Del("flash")
	return q.Encode()
}

func (s *Web) proposalVote(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := impPathID(r)
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals/"+id+"/vote", nil, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		p, err := impFormProblem(res)
		if err != nil {
			return err
		}
		if p.Status == http.StatusNotFound {
			return p
		}
		return s.renderProposal(w, r, p.Status, impProposalPage{Error: p.Detail})
	}
	var v apiv1.Vote
	if err := res.Decode(&v); err != nil {
		return err
	}
	msg := fmt.Sprintf("Your vote counted: %d votes now.", v.Votes)
	if !v.Voted {
		msg = fmt.Sprintf("You had already voted for it (%d votes).", v.Votes)
	}
	return redirectTo(w, r, strings.TrimSuffix(impProposalBack(r, id), "?"), msg)
}

func (s *Web) proposalAdopt(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	page := impProposalPage{Flow: strings.TrimSpace(r.PostFormValue("flow")), Metric: strings.TrimSpace(r.PostFormValue("metric"))}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals/"+impPathID(r)+"/adopt",
		apiv1.AdoptProposalRequest{Flow: page.Flow, Metric: page.Metric}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var a apiv1.Adoption
		if err := res.Decode(&a); err != nil {
			return err
		}
		return redirectTo(w, r, "/ui/improvements",
			fmt.Sprintf("Adopted: a PDCA cycle for %q is in Plan (flow %s, %s).", a.Proposal.Title, page.Flow, impMetricLabel(page.Metric)))
	}
	return s.proposalActionFailed(w, r, res, page)
}

func (s *Web) proposalDecline(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	page := impProposalPage{Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	id := impPathID(r)
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals/"+id+"/decline", apiv1.DeclineProposalRequest{Reason: page.Reason}, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		return redirectTo(w, r, "/ui/proposals/"+id, "Declined; the reason is kept in the audit trail.")
	}
	return s.proposalActionFailed(w, r, res, page)
}

// proposalActionFailed re-renders the proposal with the API's refusal at
// the fields it names (an unknown proposal is the not-found page; an
// unknown flow, a 404 naming the field, is shown at the flow field).
func (s *Web) proposalActionFailed(w http.ResponseWriter, r *http.Request, res apiResult, page impProposalPage) error {
	p, err := impFormProblem(res)
	if err != nil {
		return err
	}
	page.Errors = impFieldErrors(p)
	if p.Status == http.StatusNotFound && len(page.Errors) == 0 {
		return p
	}
	if len(page.Errors) == 0 {
		page.Error = p.Detail
	}
	return s.renderProposal(w, r, p.Status, page)
}
