package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
)

// The PDCA board (improvement cycles by stage, with the improvement KPIs)
// and the staff proposals with votes, adoption and decline.

// pdcaStages are the board's columns and the cycle stages (the pdca flow's
// steps, ADR 0010) each gathers.
var pdcaStages = []struct {
	Key, Title string
	Steps      []string
}{
	{"plan", "Plan", []string{apiv1.StageStarting, "baseline", apiv1.PDCAPlanStep}},
	{"do", "Do", []string{"do"}},
	{"check", "Check", []string{"results", "check"}},
	{"act", "Act", []string{"act", "standardise"}},
	{"done", "Done", []string{apiv1.StageClosed}},
}

// stageColumn is the board column of a cycle's stage ("plan" for a
// stage the board does not know: a newer flow version's step).
func stageColumn(stage string) string {
	for _, st := range pdcaStages {
		for _, s := range st.Steps {
			if s == stage {
				return st.Key
			}
		}
	}
	return "plan"
}

type kpiCard struct {
	apiv1.Improvement
	Problem      string
	MetricLabel  string
	BaselineText string
	TargetText   string
	OutcomeClass string
	PilotLink    bool
}

type boardColumn struct {
	Key, Title string
	Cards      []kpiCard
}

type boardPage struct {
	Columns  []boardColumn
	KPIs     apiv1.ImprovementKPIs
	Adoption string
	Landed   string
	// Each rate's badge: ok/bad class and meets/misses target, or no data.
	AdoptionClass, AdoptionState string
	LandedClass, LandedState     string
	Next                         string
}

// metState is the badge of a KPI's met flag.
func metState(met *bool) (class, state string) {
	switch {
	case met == nil:
		return "", "no data"
	case *met:
		return "ok", "meets target"
	default:
		return "bad", "misses target"
	}
}

func outcomeClass(outcome string) string {
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

// kpiRate formats an improvement KPI: its value against its target.
func kpiRate(k apiv1.KPI) string {
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
	page := boardPage{KPIs: kpis, Adoption: kpiRate(kpis.AdoptionRate), Landed: kpiRate(kpis.ImprovementsLanded),
		Next: nextPageURL("/ui/improvements", in, list.NextCursor)}
	page.AdoptionClass, page.AdoptionState = metState(kpis.AdoptionRate.Met)
	page.LandedClass, page.LandedState = metState(kpis.ImprovementsLanded.Met)
	index := map[string]int{}
	for i, st := range pdcaStages {
		page.Columns = append(page.Columns, boardColumn{Key: st.Key, Title: st.Title})
		index[st.Key] = i
	}
	pilots := hasRole(r, authz.FlowViewers)
	for _, c := range list.Improvements {
		card := kpiCard{Improvement: c, Problem: problems[c.CaseID], MetricLabel: metricLabel(c.Metric), OutcomeClass: outcomeClass(c.Outcome),
			BaselineText: metricValuePtr(c.Metric, c.BaselineValue), TargetText: metricValuePtr(c.Metric, c.Target),
			PilotLink: pilots && c.PilotID != ""}
		col := &page.Columns[index[stageColumn(c.Stage)]]
		col.Cards = append(col.Cards, card)
	}
	return s.render(w, r, pageView{Template: "improvements", Title: "Improvement", Active: "improvements", Data: page})
}

// Proposals.

type proposalRow struct {
	apiv1.Proposal
	AuthorText  string
	StatusClass string
}

type proposalForm struct {
	Title, Body string
	Anonymous   bool
	Errors      map[string]string
	Error       string
}

type proposalsPage struct {
	Proposals []proposalRow
	Status    string
	Statuses  []string
	Next      string
	Form      proposalForm
}

func proposalRowOf(r *http.Request, p apiv1.Proposal) proposalRow {
	row := proposalRow{Proposal: p, AuthorText: "anonymous", StatusClass: "info"}
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
	return s.renderProposals(w, r, http.StatusOK, proposalForm{})
}

func (s *Web) renderProposals(w http.ResponseWriter, r *http.Request, status int, form proposalForm) error {
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
	page := proposalsPage{Status: in.Get("status"), Statuses: []string{"open", "adopted", "declined"}, Next: nextPageURL("/ui/proposals", in, list.NextCursor), Form: form}
	for _, p := range list.Proposals {
		page.Proposals = append(page.Proposals, proposalRowOf(r, p))
	}
	return s.render(w, r, pageView{Template: "proposals", Title: "Proposals", Active: "improvements", Status: status, Data: page})
}

func (s *Web) proposalCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	form := proposalForm{Title: strings.TrimSpace(r.PostFormValue("title")), Body: strings.TrimSpace(r.PostFormValue("body")),
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
	p, err := formProblem(res)
	if err != nil {
		return err
	}
	form.Errors = fieldErrors(p)
	if len(form.Errors) == 0 {
		form.Error = p.Detail
	}
	return s.renderProposals(w, r, p.Status, form)
}

type proposalPage struct {
	P         proposalRow
	Flows     []apiv1.FlowSummary
	Metrics   []selectOption
	CanDecide bool
	Open      bool
	// The adopt and decline forms' values and errors.
	Flow, Metric, Reason string
	Errors               map[string]string
	Error                string
}

func (s *Web) proposal(w http.ResponseWriter, r *http.Request) error {
	return s.renderProposal(w, r, http.StatusOK, proposalPage{})
}

func (s *Web) renderProposal(w http.ResponseWriter, r *http.Request, status int, page proposalPage) error {
	p, err := apiGet[apiv1.Proposal](s, r, "/api/v1/proposals/"+pathID(r))
	if err != nil {
		return err
	}
	page.P = proposalRowOf(r, p)
	page.Open = p.Status == "open"
	page.CanDecide = hasRole(r, authz.ProposalDeciders)
	if page.CanDecide && page.Open {
		if page.Flows, err = s.flowSummaries(r); err != nil {
			return err
		}
		page.Metrics = metricOptions()
	}
	if page.Metric == "" {
		page.Metric = "cycle_time"
	}
	if page.Errors == nil {
		page.Errors = map[string]string{}
	}
	return s.render(w, r, pageView{Template: "proposal", Title: "Proposal: " + p.Title, Active: "improvements", Status: status, Data: page})
}

// proposalBack is where a vote returns to: the proposal list (with its
// filters) or the proposal's page; nothing else.
func proposalBack(r *http.Request, id string) string {
	back := r.PostFormValue("back")
	u, err := url.Parse(back)
	if err == nil && back != "" && u.Host == "" && u.Scheme == "" && !strings.HasPrefix(back, "//") &&
		(u.Path == "/ui/proposals" || u.Path == "/ui/proposals/"+id) {
		return u.Path + "?" + withoutFlash(u.Query())
	}
	return "/ui/proposals/" + id + "?"
}

func withoutFlash(q url.Values) string {
	q.Del("flash")
	return q.Encode()
}

func (s *Web) proposalVote(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	id := pathID(r)
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals/"+id+"/vote", nil, nil)
	if err != nil {
		return err
	}
	if !res.OK() {
		p, err := formProblem(res)
		if err != nil {
			return err
		}
		if p.Status == http.StatusNotFound {
			return p
		}
		return s.renderProposal(w, r, p.Status, proposalPage{Error: p.Detail})
	}
	var v apiv1.Vote
	if err := res.Decode(&v); err != nil {
		return err
	}
	msg := fmt.Sprintf("Your vote counted: %d votes now.", v.Votes)
	if !v.Voted {
		msg = fmt.Sprintf("You had already voted for it (%d votes).", v.Votes)
	}
	return redirectTo(w, r, strings.TrimSuffix(proposalBack(r, id), "?"), msg)
}

func (s *Web) proposalAdopt(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	page := proposalPage{Flow: strings.TrimSpace(r.PostFormValue("flow")), Metric: strings.TrimSpace(r.PostFormValue("metric"))}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/proposals/"+pathID(r)+"/adopt",
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
			fmt.Sprintf("Adopted: a PDCA cycle for %q is in Plan (flow %s, %s).", a.Proposal.Title, page.Flow, metricLabel(page.Metric)))
	}
	return s.proposalActionFailed(w, r, res, page)
}

func (s *Web) proposalDecline(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	page := proposalPage{Reason: strings.TrimSpace(r.PostFormValue("reason"))}
	id := pathID(r)
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
func (s *Web) proposalActionFailed(w http.ResponseWriter, r *http.Request, res apiResult, page proposalPage) error {
	p, err := formProblem(res)
	if err != nil {
		return err
	}
	page.Errors = fieldErrors(p)
	if p.Status == http.StatusNotFound && len(page.Errors) == 0 {
		return p
	}
	if len(page.Errors) == 0 {
		page.Error = p.Detail
	}
	return s.renderProposal(w, r, p.Status, page)
}
