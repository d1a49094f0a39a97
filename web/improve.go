package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
)

// Improvement teams: pilots, the PDCA board, proposals, and the KPI
// dashboard. Every number comes from the API (pilots, results, spans,
// improvements, proposals, KPIs), called in process as the signed-in actor.

var improvePages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/pilots", Roles: authz.FlowViewers, Handle: (*Web).pilots},
	{Method: http.MethodGet, Pattern: "/pilots/new", Roles: authz.PilotRunners, Handle: (*Web).pilotNew},
	{Method: http.MethodPost, Pattern: "/pilots/new", Roles: authz.PilotRunners, Handle: (*Web).pilotCreate},
	{Method: http.MethodGet, Pattern: "/pilots/{id}", Roles: authz.FlowViewers, Handle: (*Web).pilot},
	{Method: http.MethodGet, Pattern: "/pilots/{id}/cycle-time.svg", Roles: authz.FlowViewers, Handle: (*Web).pilotCycleChart},
	{Method: http.MethodPost, Pattern: "/pilots/{id}/evaluate", Roles: authz.PilotRunners, Handle: (*Web).pilotEvaluate},
	{Method: http.MethodPost, Pattern: "/pilots/{id}/stop", Roles: authz.PilotRunners, Handle: (*Web).pilotStop},
	{Method: http.MethodPost, Pattern: "/pilots/{id}/promote", Roles: authz.PilotRunners, Handle: (*Web).pilotPromote},

	{Method: http.MethodGet, Pattern: "/improvements", Handle: (*Web).improvements},
	{Method: http.MethodGet, Pattern: "/proposals", Handle: (*Web).proposals},
	{Method: http.MethodPost, Pattern: "/proposals", Handle: (*Web).proposalCreate},
	{Method: http.MethodGet, Pattern: "/proposals/{id}", Handle: (*Web).proposal},
	{Method: http.MethodPost, Pattern: "/proposals/{id}/vote", Handle: (*Web).proposalVote},
	{Method: http.MethodPost, Pattern: "/proposals/{id}/adopt", Roles: authz.ProposalDeciders, Handle: (*Web).proposalAdopt},
	{Method: http.MethodPost, Pattern: "/proposals/{id}/decline", Roles: authz.ProposalDeciders, Handle: (*Web).proposalDecline},

	{Method: http.MethodGet, Pattern: "/kpis", Handle: (*Web).kPIs},
	{Method: http.MethodGet, Pattern: "/kpis/{key}.svg", Handle: (*Web).kPIChart},
}

// pathID is the {id} of the page's path, escaped for an API path.
func pathID(r *http.Request) string { return url.PathEscape(chi.URLParam(r, "id")) }

// hasRole reports whether the signed-in actor has one of roles.
func hasRole(r *http.Request, roles []string) bool {
	return authz.Allowed(roles, actorOf(r.Context()).Role)
}

// formProblem decides what a failed API call behind a form means for
// the page: a client error (4xx) is re-rendered at the form with its
// messages (returned as the problem), anything else is the error page
// (returned as err).
func formProblem(res apiResult) (p *httpx.Problem, err error) {
	p = res.Problem()
	if p == nil {
		return nil, nil
	}
	if p.Status >= 500 || p.Status == http.StatusUnauthorized || p.Status == http.StatusForbidden || p.Status == http.StatusTooManyRequests {
		return nil, p
	}
	return p, nil
}

// fieldErrors maps a problem's errors by field (the first message of
// each field).
func fieldErrors(p *httpx.Problem) map[string]string {
	out := map[string]string{}
	if p == nil {
		return out
	}
	for _, fe := range p.Errors {
		if _, ok := out[fe.Field]; !ok {
			out[fe.Field] = fe.Message
		}
	}
	return out
}

// nextPageURL is the URL of the next page of a list (path with its filters
// and the API's cursor); "" on the last page.
func nextPageURL(path string, q url.Values, cursor string) string {
	if cursor == "" {
		return ""
	}
	v := url.Values{}
	for k, vs := range q {
		if k != "cursor" && k != "flash" && len(vs) > 0 && vs[0] != "" {
			v.Set(k, vs[0])
		}
	}
	v.Set("cursor", cursor)
	return path + "?" + v.Encode()
}

// Metric labels and formatting, shared by the pilot, PDCA and KPI pages.

var metricLabels = map[string]string{
	"cycle_time":      "Cycle time",
	"sla_breach_rate": "SLA breach rate",
	"fcr":             "First-contact resolution",
	"csat":            "CSAT",
}

func metricLabel(m string) string {
	if l, ok := metricLabels[m]; ok {
		return l
	}
	return m
}

// pilotMetrics are the metrics a pilot (and a PDCA cycle) can target.
var pilotMetrics = []string{"cycle_time", "sla_breach_rate", "fcr", "csat"}

// selectOption is an option of a select.
type selectOption struct{ Value, Label string }

func metricOptions() []selectOption {
	out := make([]selectOption, len(pilotMetrics))
	for i, m := range pilotMetrics {
		out[i] = selectOption{m, metricLabel(m)}
	}
	return out
}

// metricValue formats a value of a pilot metric: cycle time in seconds
// as a duration, rates as percentages, CSAT as a score.
func metricValue(metric string, v float64) string {
	switch metric {
	case "cycle_time":
		return fmtSeconds(v)
	case "sla_breach_rate", "fcr":
		return fmtPct(v)
	default:
		return fmtNum(v)
	}
}

func metricValuePtr(metric string, v *float64) string {
	if v == nil {
		return "–"
	}
	return metricValue(metric, *v)
}

// signedNumber formats x with an explicit sign (a true minus sign) and
// decimals digits after the point.
func signedNumber(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	s := fmt.Sprintf("%.*f", decimals, math.Abs(x))
	zero := strings.Trim(s, "0.") == ""
	switch {
	case zero:
		return "±" + s
	case x < 0:
		return "−" + s
	default:
		return "+" + s
	}
}

// effectText formats an effect in its unit: relative (a ratio minus one)
// as a signed percentage, proportion differences in percentage points,
// points as a signed score.
func effectText(unit string, x float64) string {
	switch unit {
	case "relative":
		return signedNumber(x*100, 1) + " %"
	case "proportion":
		return signedNumber(x*100, 1) + " pts"
	default:
		return signedNumber(x, 2)
	}
}

// pValueText formats a p-value.
func pValueText(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.001:
		return "< 0.001"
	default:
		return fmt.Sprintf("%.3f", p)
	}
}
