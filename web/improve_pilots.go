package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// The pilots pages: the list, the start form, and a pilot's statistics
// with its actions (evaluate, stop, promote).

// pilotRow is one row of the pilots list.
type pilotRow struct {
	apiv1.Pilot
	MetricLabel string
	StatusClass string
}

type pilotsPage struct {
	Pilots   []pilotRow
	Flow     string
	Status   string
	Statuses []string
	Next     string
	CanStart bool
}

func pilotStatusClass(status string) string {
	switch status {
	case apiv1.PilotRunning:
		return "info"
	case apiv1.PilotCompleted, apiv1.PilotPromoted:
		return "ok"
	default:
		return "warn"
	}
}

func (s *Web) pilots(w http.ResponseWriter, r *http.Request) error {
	in := r.URL.Query()
	q := url.Values{"limit": {"50"}}
	for _, k := range []string{"flow", "status", "cursor"} {
		if v := strings.TrimSpace(in.Get(k)); v != "" {
			q.Set(k, v)
		}
	}
	list, err := apiGet[apiv1.PilotList](s, r, "/api/v1/pilots?"+q.Encode())
	if err != nil {
		return err
	}
	page := pilotsPage{Flow: in.Get("flow"), Status: in.Get("status"), CanStart: hasRole(r, authz.PilotRunners),
		Statuses: []string{apiv1.PilotRunning, apiv1.PilotStopped, apiv1.PilotCompleted, apiv1.PilotPromoted},
		Next:     nextPageURL("/ui/pilots", in, list.NextCursor)}
	for _, p := range list.Pilots {
		page.Pilots = append(page.Pilots, pilotRow{Pilot: p, MetricLabel: metricLabel(p.PrimaryMetric), StatusClass: pilotStatusClass(p.Status)})
	}
	return s.render(w, r, pageView{Template: "pilots", Title: "Pilots", Active: "pilots", Data: page})
}

// The start form.

type pilotValues struct {
	Flow, Control, Treatment, Share, Unit, PrimaryMetric, MinCasesPerArm, MaxDuration, EvaluateEvery string
}

type guardRow struct {
	Index                    int
	Metric, MaxWorsening     string
	MetricError, MaxWorError string
}

type pilotFormPage struct {
	Flows      []apiv1.FlowSummary
	Metrics    []selectOption
	V          pilotValues
	Guardrails []guardRow
	Errors     map[string]string
	FormError  string
}

// guardRows is how many guardrail rows the form offers.
const guardRows = 3

func (s *Web) renderPilotForm(w http.ResponseWriter, r *http.Request, status int, page pilotFormPage) error {
	flows, err := s.flowSummaries(r)
	if err != nil {
		return err
	}
	page.Flows, page.Metrics = flows, metricOptions()
	if page.Errors == nil {
		page.Errors = map[string]string{}
	}
	for len(page.Guardrails) < guardRows {
		page.Guardrails = append(page.Guardrails, guardRow{})
	}
	for i := range page.Guardrails {
		page.Guardrails[i].Index = i
	}
	return s.render(w, r, pageView{Template: "pilot_new", Title: "New pilot", Active: "pilots", Status: status, Data: page})
}

func (s *Web) pilotNew(w http.ResponseWriter, r *http.Request) error {
	v := pilotValues{Flow: r.URL.Query().Get("flow"), Share: "50", Unit: "customer", PrimaryMetric: "cycle_time",
		MinCasesPerArm: "100", MaxDuration: "14d", EvaluateEvery: "1h"}
	return s.renderPilotForm(w, r, http.StatusOK, pilotFormPage{V: v})
}

// pilotCreate starts a pilot through POST /api/v1/pilots; what the API
// refuses is shown at the fields it names, with the values kept.
func (s *Web) pilotCreate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	f := r.PostForm
	get := func(k string) string { return strings.TrimSpace(f.Get(k)) }
	page := pilotFormPage{Errors: map[string]string{}, V: pilotValues{
		Flow: get("flow"), Control: get("control"), Treatment: get("treatment"), Share: get("share"), Unit: get("unit"),
		PrimaryMetric: get("primary_metric"), MinCasesPerArm: get("min_cases_per_arm"), MaxDuration: get("max_duration"),
		EvaluateEvery: get("evaluate_every"),
	}}
	body := map[string]any{"flow": page.V.Flow}
	whole := func(field, raw string) {
		if raw == "" {
			return
		}
		n, err := strconv.Atoi(raw)
		if err != nil {
			page.Errors[field] = "must be a whole number, got " + strconv.Quote(raw)
			return
		}
		body[field] = n
	}
	number := func(raw string) (float64, bool) {
		x, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(raw), "%"), 64)
		return x, err == nil && !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	whole("control", page.V.Control)
	whole("treatment", page.V.Treatment)
	whole("min_cases_per_arm", page.V.MinCasesPerArm)
	if page.V.Share != "" {
		if x, ok := number(page.V.Share); ok {
			body["share"] = x
		} else {
			page.Errors["share"] = "must be a number (percent), got " + strconv.Quote(page.V.Share)
		}
	}
	for k, v := range map[string]string{"unit": page.V.Unit, "primary_metric": page.V.PrimaryMetric,
		"max_duration": page.V.MaxDuration, "evaluate_every": page.V.EvaluateEvery} {
		if v != "" {
			body[k] = v
		}
	}
	// Guardrail rows: empty rows are left out; rowOf maps the API's
	// guardrails[i] back to the form's row.
	metrics, maxes := f["guard_metric"], f["guard_max"]
	var guards []map[string]any
	var rowOf []int
	for i := range max(len(metrics), len(maxes), guardRows) {
		row := guardRow{}
		if i < len(metrics) {
			row.Metric = strings.TrimSpace(metrics[i])
		}
		if i < len(maxes) {
			row.MaxWorsening = strings.TrimSpace(maxes[i])
		}
		page.Guardrails = append(page.Guardrails, row)
		if row.Metric == "" && row.MaxWorsening == "" {
			continue
		}
		g := map[string]any{"metric": row.Metric, "max_worsening": 0.0}
		if row.Metric == "" {
			page.Guardrails[i].MetricError = "choose a metric, or clear the row"
		}
		if row.MaxWorsening != "" {
			if x, ok := number(row.MaxWorsening); ok {
				g["max_worsening"] = x
			} else {
				page.Guardrails[i].MaxWorError = "must be a number, got " + strconv.Quote(row.MaxWorsening)
			}
		}
		guards = append(guards, g)
		rowOf = append(rowOf, i)
	}
	if len(guards) > 0 {
		body["guardrails"] = guards
	}
	for _, g := range page.Guardrails {
		if g.MetricError != "" || g.MaxWorError != "" {
			page.Errors["guardrails"] = "check the guardrail rows"
		}
	}
	if len(page.Errors) > 0 {
		return s.renderPilotForm(w, r, http.StatusUnprocessableEntity, page)
	}
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/pilots", body, nil)
	if err != nil {
		return err
	}
	if res.OK() {
		var pl apiv1.Pilot
		if err := res.Decode(&pl); err != nil {
			return err
		}
		return redirectTo(w, r, "/ui/pilots/"+url.PathEscape(pl.ID),
			fmt.Sprintf("Pilot started: %s v%d against v%d, %s %% of new cases to the treatment. Its plan (how long it takes to reach its sample) appears at the top of this page once the prediction has been simulated.", pl.Flow, pl.Treatment, pl.Control, fmtNum(pl.Share)))
	}
	p, err := formProblem(res)
	if err != nil {
		return err
	}
	for field, msg := range fieldErrors(p) {
		var i int
		var sub string
		if n, _ := fmt.Sscanf(field, "guardrails[%d].%s", &i, &sub); n == 2 && i >= 0 && i < len(rowOf) {
			row := &page.Guardrails[rowOf[i]]
			if sub == "metric" {
				row.MetricError = msg
			} else {
				row.MaxWorError = msg
			}
			page.Errors["guardrails"] = "check the guardrail rows"
			continue
		}
		page.Errors[strings.TrimPrefix(field, "body.")] = msg
	}
	if len(p.Errors) == 0 || p.Status == http.StatusConflict {
		page.FormError = p.Detail
	}
	return s.renderPilotForm(w, r, p.Status, page)
}

// The pilot page.

type armRow struct {
	Arm     string
	Version int
	Stats   experiment.ArmStats
	Median  string
	P90     string
	SLA     string
	FCR     string
	CSAT    string
	// Perceived is the perceived-improvement rate of the arm's follow-up
	// calls (decision 0041).
	Perceived string
}

// intervalBar is a confidence interval drawn in a 200×20 box: x positions of
// the interval's ends, the estimate and zero.
type intervalBar struct {
	Low, High, Point, Zero string
	Class                  string
}

type metricRow struct {
	Metric, Label        string
	Primary              bool
	Test                 string
	NControl, NTreatment int
	Control, Treatment   string
	Effect, CILow, CIHi  string
	P                    string
	Verdict, Class       string
	Bar                  *intervalBar
	Boundary             string
	Crossed              bool
}

type guardState struct {
	Metric, Label string
	MaxWorsening  string
	Worsening     string
	P             string
	Breached      bool
	Reason        string
	// Evaluated is false until the guardrail's metric has the data for a
	// comparison: the page then says "not evaluated yet", never "holds".
	Evaluated bool
}

type stepRow struct {
	Step                         string
	ControlWait, ControlWork     string
	TreatmentWait, TreatmentWork string
	Change                       string
	Direction, Class             string
	WaitChange, WorkChange       string
	ControlCases, TreatmentCases int
}

type pilotPage struct {
	Pilot          apiv1.Pilot
	Results        apiv1.PilotResults
	MetricLabel    string
	StatusClass    string
	Recommendation string
	Arms           []armRow
	Metrics        []metricRow
	Guardrails     []guardState
	SRMWarning     bool
	SRMThreshold   string
	SRMP           string
	PowerText      string
	Steps          []stepRow
	ChartURL       string
	ChartAlt       string
	Prediction     predictionView

	CanAct, Running, CanPromote bool
	// PromoteArm is the arm whose promotion the page highlights: the
	// winner of the primary metric, "" until there is one (no evidence,
	// no highlighted promotion).
	PromoteArm  string
	EvalKey     string
	ActionError string
	Errors      map[string]string
	StopReason  string
}

// pilotActionData is what a failed action leaves for the re-rendered page.
type pilotActionData struct {
	Status     int
	Error      string
	Errors     map[string]string
	StopReason string
}

func (s *Web) pilot(w http.ResponseWriter, r *http.Request) error {
	return s.renderPilot(w, r, pilotActionData{})
}

func (s *Web) renderPilot(w http.ResponseWriter, r *http.Request, act pilotActionData) error {
	id := pathID(r)
	pl, err := apiGet[apiv1.Pilot](s, r, "/api/v1/pilots/"+id)
	if err != nil {
		return err
	}
	res, err := apiGet[apiv1.PilotResults](s, r, "/api/v1/pilots/"+id+"/results")
	if err != nil {
		return err
	}
	page := pilotView(pl, res)
	page.CanAct = hasRole(r, authz.PilotRunners)
	page.EvalKey = uuid.NewString()
	page.ActionError, page.Errors, page.StopReason = act.Error, act.Errors, act.StopReason
	if page.Errors == nil {
		page.Errors = map[string]string{}
	}
	return s.render(w, r, pageView{Template: "pilot", Title: fmt.Sprintf("Pilot of %s v%d vs v%d", pl.Flow, pl.Treatment, pl.Control),
		Active: "pilots", Status: act.Status, Data: page})
}

// pilotView turns a pilot and its results into the page's rows.
func pilotView(pl apiv1.Pilot, res apiv1.PilotResults) pilotPage {
	page := pilotPage{Pilot: pl, Results: res, MetricLabel: metricLabel(pl.PrimaryMetric), StatusClass: pilotStatusClass(pl.Status),
		Running: pl.Status == apiv1.PilotRunning, CanPromote: pl.Status != apiv1.PilotPromoted,
		ChartURL: "/ui/pilots/" + url.PathEscape(pl.ID) + "/cycle-time.svg",
		ChartAlt: fmt.Sprintf("Cycle-time distributions of the control arm (v%d) and the treatment arm (v%d) of the %s pilot", pl.Control, pl.Treatment, pl.Flow)}
	// One look's figures everywhere: the recommendation, the winner, the
	// tables and the guardrails all come from the same evaluation (the
	// results computed for this page), never the recommendation stored
	// at an earlier look beside tables of a later one.
	page.Recommendation = res.Recommendation
	page.Prediction = pilotPredictionView(pl)
	if !page.Running && res.Decision == experiment.DecisionContinue {
		// "Keep the pilot running" makes no sense beside an ended pilot.
		page.Recommendation = fmt.Sprintf("none: the pilot ended (%s) before its data decided it. At this look: %s", pl.Status, res.Recommendation)
	}
	if res.Winner == experiment.ArmControl || res.Winner == experiment.ArmTreatment {
		page.PromoteArm = res.Winner
	}
	for _, arm := range []string{experiment.ArmControl, experiment.ArmTreatment} {
		st := res.Arms[arm]
		row := armRow{Arm: arm, Version: pl.Control, Stats: st, Median: "–", P90: "–", SLA: "–", FCR: "–", CSAT: "–", Perceived: "–"}
		if arm == experiment.ArmTreatment {
			row.Version = pl.Treatment
		}
		if st.CycleN > 0 {
			row.Median, row.P90 = fmtSeconds(st.MedianCycleSeconds), fmtSeconds(st.P90CycleSeconds)
		}
		if st.Closed > 0 {
			row.SLA = fmtPct(st.SLABreachRate)
		}
		if st.FCRKnown > 0 {
			row.FCR = fmtPct(st.FCRRate)
		}
		if st.CSATN > 0 {
			row.CSAT = fmtNum(st.CSATMean)
		}
		if st.PerceivedN > 0 {
			row.Perceived = fmtPct(st.PerceivedRate)
		}
		page.Arms = append(page.Arms, row)
	}
	for _, m := range res.Metrics {
		row := metricRow{Metric: string(m.Metric), Label: metricLabel(string(m.Metric)), Primary: m.Primary, Test: testLabel(m.Test),
			NControl: m.NControl, NTreatment: m.NTreatment, Verdict: m.Verdict, Class: verdictClass(m.Verdict), Crossed: m.Crossed,
			Control: "–", Treatment: "–", Effect: "–", CILow: "–", CIHi: "–", P: "–"}
		if m.Verdict != experiment.VerdictInsufficient {
			row.Control, row.Treatment = metricValue(string(m.Metric), m.Control), metricValue(string(m.Metric), m.Treatment)
			row.Effect, row.CILow, row.CIHi = effectText(m.Unit, m.Effect), effectText(m.Unit, m.CILow), effectText(m.Unit, m.CIHigh)
			row.P = pValueText(m.P)
			row.Bar = ciBar(m.Effect, m.CILow, m.CIHigh, row.Class)
		}
		if m.Boundary > 0 {
			row.Boundary = fmtNum(m.Boundary)
		}
		page.Metrics = append(page.Metrics, row)
	}
	for _, g := range res.Guardrails {
		unit := guardUnit(string(g.Metric))
		st := guardState{Metric: string(g.Metric), Label: metricLabel(string(g.Metric)),
			MaxWorsening: strings.TrimPrefix(effectText(unit, g.MaxWorsening), "+"), Worsening: "–", P: "–", Breached: g.Breached, Reason: g.Reason}
		// Evaluated when its metric could be compared at this look.
		for _, m := range res.Metrics {
			if m.Metric == g.Metric && m.Verdict != experiment.VerdictInsufficient {
				st.Evaluated = true
			}
		}
		if st.Evaluated || g.Breached {
			st.Worsening, st.P = effectText(unit, g.Worsening), pValueText(g.P)
		}
		page.Guardrails = append(page.Guardrails, st)
	}
	page.SRMThreshold = strconv.FormatFloat(experiment.SRMThreshold, 'g', -1, 64)
	page.SRMP = pValueText(res.SRM.P)
	page.SRMWarning = res.SRM.Checked && (res.SRM.Mismatch || res.SRM.P < experiment.SRMThreshold)
	switch {
	case res.CasesNeededFor80Power == 0:
		page.PowerText = "not known yet: no effect or not enough data to estimate it"
	case res.CasesStillNeeded == 0:
		page.PowerText = fmt.Sprintf("none: each arm has the %d cases needed for 80 %% power at the observed effect", res.CasesNeededFor80Power)
	default:
		page.PowerText = fmt.Sprintf("%d more in the smaller arm (%d per arm for 80 %% power at the observed effect)", res.CasesStillNeeded, res.CasesNeededFor80Power)
	}
	for _, st := range res.Steps {
		row := stepRow{Step: st.Step, ControlWait: "–", ControlWork: "–", TreatmentWait: "–", TreatmentWork: "–", Change: "–", WaitChange: "–", WorkChange: "–"}
		if st.Control != nil {
			row.ControlWait, row.ControlWork, row.ControlCases = fmtSeconds(st.Control.Wait.P50), fmtSeconds(st.Control.Work.P50), st.Control.Cases
		}
		if st.Treatment != nil {
			row.TreatmentWait, row.TreatmentWork, row.TreatmentCases = fmtSeconds(st.Treatment.Wait.P50), fmtSeconds(st.Treatment.Work.P50), st.Treatment.Cases
		}
		switch {
		case st.Control == nil:
			row.Direction, row.Class = "treatment only", "info"
		case st.Treatment == nil:
			row.Direction, row.Class = "control only", "info"
		case st.WaitP50Change != nil && st.WorkP50Change != nil:
			d := *st.WaitP50Change + *st.WorkP50Change
			row.WaitChange, row.WorkChange = signedDuration(*st.WaitP50Change), signedDuration(*st.WorkP50Change)
			row.Change = signedDuration(d)
			switch {
			case math.Abs(d) < 0.5: // below what the page shows
				row.Direction, row.Class = "same", ""
			case d < 0:
				row.Direction, row.Class = "faster", "ok"
			case d > 0:
				row.Direction, row.Class = "slower", "bad"
			default:
				row.Direction, row.Class = "same", ""
			}
		}
		page.Steps = append(page.Steps, row)
	}
	return page
}

func signedDuration(sec float64) string {
	switch {
	case math.Abs(sec) < 0.5:
		return "±0 s"
	case sec > 0:
		return "+" + fmtSeconds(sec)
	default:
		return fmtSeconds(sec)
	}
}

func testLabel(t string) string {
	switch t {
	case experiment.TestMannWhitney:
		return "Mann–Whitney U"
	case experiment.TestTwoProportions:
		return "two-proportion z"
	case experiment.TestWelch:
		return "Welch t"
	}
	return t
}

func verdictClass(v string) string {
	switch v {
	case experiment.VerdictBetter:
		return "ok"
	case experiment.VerdictWorse:
		return "bad"
	case experiment.VerdictNoDifference:
		return "info"
	}
	return ""
}

// guardUnit is the unit of a guardrail's max_worsening: relative for
// cycle time, proportion points for rates, points for CSAT.
func guardUnit(metric string) string {
	switch metric {
	case "cycle_time":
		return "relative"
	case "sla_breach_rate", "fcr":
		return "proportion"
	}
	return "points"
}

// ciBar places an interval and its estimate on a scale symmetric about
// zero, wide enough for both ends: zero is the middle of the 200-unit box.
func ciBar(effect, lo, hi float64, class string) *intervalBar {
	m := math.Max(math.Max(math.Abs(lo), math.Abs(hi)), math.Abs(effect))
	if math.IsNaN(m) || math.IsInf(m, 0) {
		return nil
	}
	if m == 0 {
		m = 1
	}
	x := func(v float64) string { return strconv.FormatFloat(100+v/m*92, 'f', 1, 64) }
	return &intervalBar{Low: x(lo), High: x(hi), Point: x(effect), Zero: x(0), Class: class}
}

// Actions.

func (s *Web) pilotEvaluate(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	h := http.Header{}
	if k := strings.TrimSpace(r.PostFormValue("idempotency_key")); k != "" {
		h.Set(apiv1.IdempotencyKeyHeader, k)
	}
	return s.pilotAction(w, r, "evaluate", nil, h, "", func(_ int, pl apiv1.Pilot) string {
		msg := "Evaluated: the pilot continues."
		if pl.Status != apiv1.PilotRunning {
			msg = "Evaluated: the pilot is " + pl.Status + "."
		}
		if pl.Results != nil && pl.Results.Recommendation != "" {
			msg += " " + pl.Results.Recommendation
		}
		return msg
	})
}

func (s *Web) pilotStop(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	return s.pilotAction(w, r, "stop", apiv1.StopPilotRequest{Reason: reason}, nil, reason, func(status int, pl apiv1.Pilot) string {
		if status == http.StatusAccepted {
			return "Stop requested: the pilot's workflow ends it in a moment."
		}
		return "Pilot stopped: new cases of " + pl.Flow + " get its default version again."
	})
}

func (s *Web) pilotPromote(w http.ResponseWriter, r *http.Request) error {
	if err := parseUIForm(w, r, s.cfg.MaxBodyBytes); err != nil {
		return err
	}
	arm := strings.TrimSpace(r.PostFormValue("arm"))
	return s.pilotAction(w, r, "promote", apiv1.PromotePilotRequest{Arm: arm}, nil, "", func(_ int, pl apiv1.Pilot) string {
		return fmt.Sprintf("Promoted the %s arm: %s v%d is now the flow's default version.", pl.PromotedArm, pl.Flow,
			pl.ArmVersion(pl.PromotedArm))
	})
}

// pilotAction posts one of a pilot's actions to the API as the signed-in
// actor; a refusal re-renders the pilot page (with reason kept in its
// field), success goes back to the pilot page with flash's message.
func (s *Web) pilotAction(w http.ResponseWriter, r *http.Request, action string, body any, h http.Header, reason string,
	flash func(status int, pl apiv1.Pilot) string) error {
	res, err := s.callAPI(r, http.MethodPost, "/api/v1/pilots/"+pathID(r)+"/"+action, body, h)
	if err != nil {
		return err
	}
	if !res.OK() {
		return s.pilotActionFailed(w, r, res, reason)
	}
	var pl apiv1.Pilot
	if err := res.Decode(&pl); err != nil {
		return err
	}
	return redirectTo(w, r, "/ui/pilots/"+url.PathEscape(pl.ID), flash(res.Status, pl))
}

// pilotActionFailed re-renders the pilot page with the API's refusal
// (a 404 is the not-found page).
func (s *Web) pilotActionFailed(w http.ResponseWriter, r *http.Request, res apiResult, reason string) error {
	p, err := formProblem(res)
	if err != nil {
		return err
	}
	if p.Status == http.StatusNotFound {
		return p
	}
	return s.renderPilot(w, r, pilotActionData{Status: p.Status, Error: p.Detail, Errors: fieldErrors(p), StopReason: reason})
}

// The cycle-time chart.

// cycleTimes reads the pilot's spans export (GET /api/v1/spans?pilot=)
// and returns one cycle time in seconds, creation to close, per completed
// case, by arm: the data the cycle-time test compares.
func (s *Web) cycleTimes(r *http.Request, pilotID string) (map[string][]float64, error) {
	q := url.Values{"pilot": {pilotID}, "format": {"jsonl"}}
	res, err := s.callAPI(r, http.MethodGet, "/api/v1/spans?"+q.Encode(), nil, nil)
	if err != nil {
		return nil, err
	}
	if p := res.Problem(); p != nil {
		return nil, p
	}
	out := map[string][]float64{}
	seen := map[string]bool{}
	dec := json.NewDecoder(bytes.NewReader(res.Body))
	for {
		var row apiv1.ExportedSpan
		err := dec.Decode(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, httpx.Internal(fmt.Errorf("ui: read spans export: %w", err))
		}
		if seen[row.CaseID] {
			continue
		}
		seen[row.CaseID] = true
		if row.CaseStatus != apiv1.CaseCompleted || row.CaseCreatedAt == nil || row.CaseClosedAt == nil || row.Arm == "" {
			continue
		}
		out[row.Arm] = append(out[row.Arm], row.CaseClosedAt.Sub(*row.CaseCreatedAt).Seconds())
	}
	return out, nil
}

// pilotCycleChart draws the cycle-time distributions of both arms on
// one chart, from the cycle times of the arms' completed cases.
func (s *Web) pilotCycleChart(w http.ResponseWriter, r *http.Request) error {
	pl, err := apiGet[apiv1.Pilot](s, r, "/api/v1/pilots/"+pathID(r))
	if err != nil {
		return err
	}
	times, err := s.cycleTimes(r, pl.ID)
	if err != nil {
		return err
	}
	svg, err := distributionChartSVG(distChart{
		Title: fmt.Sprintf("Cycle time of %s: control v%d vs treatment v%d", pl.Flow, pl.Control, pl.Treatment),
		Arms: []distArm{
			{Name: fmt.Sprintf("control v%d", pl.Control), Values: times[experiment.ArmControl]},
			{Name: fmt.Sprintf("treatment v%d", pl.Treatment), Values: times[experiment.ArmTreatment]},
		},
	})
	if err != nil {
		return httpx.Internal(err)
	}
	writeChartSVG(w, svg)
	return nil
}
