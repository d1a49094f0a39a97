package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/report"
)

// The review packs in the web UI (decision 0042): a form that asks for a
// flow, a month or quarter and a variant, and the document itself, which
// is the API's pack (GET /api/v1/reports/monthly or /quarterly, called in
// process as the signed-in person) rendered by package report: the same
// document flowlab report writes, served on its own, outside the layout,
// with a policy that lets it load nothing.
var reportPages = []pageRoute{
	{Method: http.MethodGet, Pattern: "/reports", Roles: authz.FlowViewers, Handle: (*Web).reportsPage},
	{Method: http.MethodGet, Pattern: "/reports/monthly", Roles: authz.FlowViewers, Handle: (*Web).reviewMonthly},
	{Method: http.MethodGet, Pattern: "/reports/quarterly", Roles: authz.FlowViewers, Handle: (*Web).reviewQuarterly},
}

// reportsForm is what the forms hold and the refusal of the last one
// sent (Kind says which).
type reportsForm struct {
	Flows                []apiv1.FlowSummary
	Flow, Month, Quarter string
	Variant, Kind        string
	Quarters             []string
	Error                string
	Errors               map[string]string
	// Monthly and Quarterly are each form's flow and variant fields.
	Monthly, Quarterly reportFields
}

// reportFields are the flow and variant fields of one of the forms.
type reportFields struct {
	Prefix                string
	Flows                 []apiv1.FlowSummary
	Flow, FlowError       string
	Variant, VariantError string
}

// fields are the flow and variant fields of the form of kind: the
// variant as sent when that form was sent, else the kind's default.
func (f reportsForm) fields(kind, prefix, defaultVariant string) reportFields {
	out := reportFields{Prefix: prefix, Flows: f.Flows, Flow: f.Flow, Variant: defaultVariant}
	if f.Kind == kind {
		if f.Variant != "" {
			out.Variant = f.Variant
		}
		out.FlowError, out.VariantError = f.Errors["flow"], f.Errors["variant"]
	}
	return out
}

// lastMonth is the month before t's, the one a monthly review is about.
func lastMonth(t time.Time) string {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0).Format("2006-01")
}

// quartersUpTo are the eight quarters up to t's, newest first.
func quartersUpTo(t time.Time) []string {
	t = t.UTC()
	y, q := t.Year(), int(t.Month()-1)/3+1
	out := make([]string, 0, 8)
	for range 8 {
		out = append(out, fmt.Sprintf("%04d-Q%d", y, q))
		if q--; q == 0 {
			y, q = y-1, 4
		}
	}
	return out
}

func (s *Web) reportsPage(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := reportsForm{Flow: q.Get("flow"), Month: q.Get("month"), Quarter: q.Get("quarter"), Variant: q.Get("variant"), Kind: apiv1.ReviewMonthly}
	return s.renderReportsForm(w, r, http.StatusOK, f)
}

func (s *Web) renderReportsForm(w http.ResponseWriter, r *http.Request, status int, f reportsForm) error {
	flows, err := apiGet[apiv1.FlowList](s, r, "/api/v1/flows?limit=500")
	if err != nil {
		return err
	}
	f.Flows = flows.Flows
	now := s.now()
	if f.Flow == "" {
		f.Flow = "complaint"
	}
	if f.Month == "" {
		f.Month = lastMonth(now)
	}
	f.Quarters = quartersUpTo(now)
	if f.Quarter == "" {
		f.Quarter = f.Quarters[1] // the last whole quarter
	}
	f.Monthly = f.fields(apiv1.ReviewMonthly, "m", apiv1.ReviewInternal)
	f.Quarterly = f.fields(apiv1.ReviewQuarterly, "q", apiv1.ReviewPublic)
	return s.render(w, r, pageView{Template: "reports", Title: "Review packs", Active: "reports", Status: status, Data: f})
}

func (s *Web) reviewMonthly(w http.ResponseWriter, r *http.Request) error {
	return s.review(w, r, apiv1.ReviewMonthly)
}

func (s *Web) reviewQuarterly(w http.ResponseWriter, r *http.Request) error {
	return s.review(w, r, apiv1.ReviewQuarterly)
}

// review serves the document of the pack the query asks for; a pack the
// API refuses shows the form again with the reason at its field.
func (s *Web) review(w http.ResponseWriter, r *http.Request, kind string) error {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"flow", "month", "quarter", "variant"} {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	res, err := s.callAPI(r, http.MethodGet, "/api/v1/reports/"+kind+"?"+q.Encode(), nil, nil)
	if err != nil {
		return err
	}
	var pack apiv1.ReviewPack
	if err := res.Decode(&pack); err != nil {
		p := res.Problem()
		if p == nil || p.Status >= http.StatusInternalServerError || p.Status == http.StatusForbidden || p.Status == http.StatusTooManyRequests {
			return err
		}
		f := reportsForm{Flow: in.Get("flow"), Month: in.Get("month"), Quarter: in.Get("quarter"), Variant: in.Get("variant"), Kind: kind,
			Error: p.Detail, Errors: res.FieldErrors()}
		return s.renderReportsForm(w, r, p.Status, f)
	}
	graphs, err := report.FetchGraphs(r.Context(), pack, func(_ context.Context, g apiv1.GraphSVGParams) ([]byte, error) {
		gq := url.Values{"heat": {g.Heat}, "from": {g.From.Format(time.RFC3339)}, "to": {g.To.Format(time.RFC3339)}}
		res, err := s.callAPI(r, http.MethodGet, "/api/v1/flows/"+url.PathEscape(g.Key)+"/versions/"+url.PathEscape(g.Version)+"/graph.svg?"+gq.Encode(), nil, nil)
		if err != nil {
			return nil, err
		}
		if p := res.Problem(); p != nil {
			return nil, &p.Problem
		}
		return res.Body, nil
	})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, pack, report.Options{Graphs: graphs}); err != nil {
		return httpx.Internal(err)
	}
	h := w.Header()
	// The document carries its own style and nothing else: the policy
	// allows exactly that.
	h.Set("Content-Security-Policy", report.ContentSecurityPolicy())
	h.Set("Content-Type", "text/html; charset=utf-8")
	if in.Get("download") != "" {
		h.Set("Content-Disposition", `attachment; filename="`+report.Filename(pack)+`"`)
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}
