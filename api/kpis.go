package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/readable"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
)

// kpiRoutes are the routes of the improvement and service KPIs (apiRoutes joins every
// resource's table).
var kpiRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/kpis/improvement", ID: "getImprovementKPIs", Tag: "improvement",
		Summary: "Improvement KPIs",
		Description: "Proposals by status; the adoption rate, adopted / (adopted + declined), against its target 0.7; the PDCA cycles " +
			"(total, open, completed, standardised, abandoned); improvements landed, standardised / completed cycles, against its target 0.9. " +
			"A rate with a zero denominator is null, and so is whether it meets its target. Computed from every proposal and cycle at each request.",
		Status: http.StatusOK, Response: apiv1.ImprovementKPIs{}, Example: exampleImprovementKPIs,
		Handle: (*API).improvementKPIs,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/kpis/service", ID: "getServiceKPIs", Tag: "kpis",
		Summary: "Service KPIs per week and channel",
		Description: "The service KPIs of the plans for the cases created in each ISO week (Monday 00:00 UTC to the next; `from` and `to` " +
			"are widened to whole weeks, default the 12 weeks up to now, at most 106 weeks), for every channel together (`all`) and per " +
			"channel (`channels`, in the order of the top-level `channels`), and over the whole range (`overall`). Every week is listed, " +
			"oldest first, weeks without cases included. Each KPI has `value`, `n` (its denominator), `target`, `direction` and " +
			"`meets_target`; `value` and `meets_target` are null when `n` is 0.\n\n" +
			"- `csat`: answers of 4 or 5 / cases with a CSAT answer (top-2-box), at least 0.9; `mean` is the mean answer.\n" +
			"- `nps`: 100 × (promoters (9–10) − detractors (0–6)) / cases with an NPS answer, at least 50.\n" +
			"- `fcr`: first-contact resolution as pilots count it: of the completed cases whose resolution is known, those the customer " +
			"said were resolved at first contact and that were not reopened within the reopen window (`reopen_window_seconds`; a case " +
			"reopened within it counts as not resolved even without an answer); at least 0.85.\n" +
			"- `first_response`: seconds from the case's creation to the first claim of any of its tasks (a task completed without a " +
			"claim counts as claimed when completed); `value` is the median, `p90` the 90th percentile; cases without a claim yet are " +
			"not counted; the median at most 30 s.\n" +
			"- `on_time`: spans of completed tasks that had an SLA and were completed by their due time / those spans; at least 0.95.\n" +
			"- `complaint_rate`: cases of flow `complaint` or a key starting with `complaint-` / all cases; at most 0.02.\n\n" +
			"Cases of the improvement flow `pdca` are left out unless `flow=pdca`. Computed from the cases at each request (ADR 0015).",
		Params: apiv1.ServiceKPIsParams{},
		Status: http.StatusOK, Response: apiv1.ServiceKPIs{}, Example: exampleServiceKPIs,
		Handle: (*API).serviceKPIs,
	},
}

// The service KPIs of the plans (docs/domain.md#kpis) per ISO week and channel, each
// against its target (ADR 0015). Every number is computed at each request
// from store.ListCaseMeasures; a case counts in the week it was created.

// Targets of the service KPIs.
const (
	CSATTarget          = 0.9  // share of CSAT answers of 4 or 5, at least
	NPSTarget           = 50.0 // % promoters - % detractors, at least
	FCRTarget           = 0.85 // first-contact resolution, at least
	FirstResponseTarget = 30.0 // median seconds from creation to the first claim, at most
	OnTimeTarget        = 0.95 // completed task spans within their SLA, at least
	ComplaintRateTarget = 0.02 // complaint cases / all cases, at most
)

// The week ranges of the KPI and trend routes.
const (
	weeksDefault = 12  // weeks up to now when from is not given
	weeksMax     = 106 // two years and a little
	week         = 7 * 24 * time.Hour
	// measurePage is how many cases one store call reads.
	measurePage = 10000
)

// ComplaintFlow is the flow key of complaints; keys starting with it and a
// hyphen (complaint-onestop) are complaint flows too.
const ComplaintFlow = "complaint"

// IsComplaintFlow reports whether cases of a flow are complaints, for the
// complaint rate.
func IsComplaintFlow(key string) bool {
	return key == ComplaintFlow || strings.HasPrefix(key, ComplaintFlow+"-")
}

// kpiAcc accumulates the service KPIs of a set of cases.
type kpiAcc struct {
	cases, complaints           int
	csatN, csatTop              int
	csatSum                     float64
	npsN, promoters, detractors int
	fcrN, fcrYes                int
	responses                   []float64
	slaSpans, breached          int
}

// add counts a case; closed and fcr are what pilotdata.Cases says of it
// (completed, and first-contact resolution with reopenings applied).
func (a *kpiAcc) add(m store.CaseMeasure, closed bool, fcr *bool) {
	a.cases++
	if IsComplaintFlow(m.Flow) {
		a.complaints++
	}
	if m.CSAT != nil {
		a.csatN++
		a.csatSum += float64(*m.CSAT)
		if *m.CSAT >= 4 {
			a.csatTop++
		}
	}
	if m.NPS != nil {
		a.npsN++
		switch {
		case *m.NPS >= 9:
			a.promoters++
		case *m.NPS <= 6:
			a.detractors++
		}
	}
	if closed && fcr != nil {
		a.fcrN++
		if *fcr {
			a.fcrYes++
		}
	}
	if m.FirstClaimedAt != nil {
		a.responses = append(a.responses, max(0, m.FirstClaimedAt.Sub(m.CreatedAt).Seconds()))
	}
	a.slaSpans += m.TaskSpansWithSLA
	a.breached += m.TaskSpansBreached
}

// meets compares a value with its target in a direction (nil for nil).
func meets(v *float64, target float64, direction string) *bool {
	if v == nil {
		return nil
	}
	ok := *v >= target
	if direction == apiv1.AtMost {
		ok = *v <= target
	}
	return &ok
}

// ratio is num/den, nil when den is 0.
func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

func serviceRate(count, n int, target float64, direction string) apiv1.ServiceRate {
	v := ratio(count, n)
	return apiv1.ServiceRate{Value: v, Count: count, N: n, Target: target, Direction: direction, MeetsTarget: meets(v, target, direction)}
}

// quantile is stats.Quantile (type 7, as pilot results use), nil for no
// values.
func quantile(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	v := stats.Quantile(xs, q)
	return &v
}

func (a *kpiAcc) json() apiv1.ServiceKPISet {
	out := apiv1.ServiceKPISet{
		Cases:         a.cases,
		FCR:           serviceRate(a.fcrYes, a.fcrN, FCRTarget, apiv1.AtLeast),
		OnTime:        serviceRate(a.slaSpans-a.breached, a.slaSpans, OnTimeTarget, apiv1.AtLeast),
		ComplaintRate: serviceRate(a.complaints, a.cases, ComplaintRateTarget, apiv1.AtMost),
	}
	csat := ratio(a.csatTop, a.csatN)
	out.CSAT = apiv1.ServiceCSAT{Value: csat, Count: a.csatTop, N: a.csatN, Target: CSATTarget, Direction: apiv1.AtLeast,
		MeetsTarget: meets(csat, CSATTarget, apiv1.AtLeast)}
	if a.csatN > 0 {
		mean := a.csatSum / float64(a.csatN)
		out.CSAT.Mean = &mean
	}
	var nps *float64
	if a.npsN > 0 {
		v := 100 * float64(a.promoters-a.detractors) / float64(a.npsN)
		nps = &v
	}
	out.NPS = apiv1.ServiceNPS{Value: nps, N: a.npsN, Promoters: a.promoters, Detractors: a.detractors, Target: NPSTarget,
		Direction: apiv1.AtLeast, MeetsTarget: meets(nps, NPSTarget, apiv1.AtLeast)}
	median := quantile(a.responses, 0.5)
	out.FirstResponse = apiv1.ServiceResponseTime{Value: median, P90: quantile(a.responses, 0.9), N: len(a.responses),
		Target: FirstResponseTarget, Direction: apiv1.AtMost, MeetsTarget: meets(median, FirstResponseTarget, apiv1.AtMost)}
	return out
}

// weekStart is the Monday 00:00 UTC of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// weekRange widens [from, to) to whole ISO weeks: to (default now) up to
// the next Monday unless it is one, from (default weeksDefault weeks
// before) down to its Monday. It returns the range and its number of weeks;
// an empty range or more than weeksMax weeks is a 400.
func weekRange(from, to, now time.Time) (time.Time, time.Time, int, error) {
	toGiven := !to.IsZero()
	if !toGiven {
		to = now.UTC()
	}
	if !from.IsZero() && !from.Before(to) {
		if !toGiven {
			return time.Time{}, time.Time{}, 0, httpx.BadParam("from", "must be before to (default: now)")
		}
		return time.Time{}, time.Time{}, 0, httpx.BadParam("to", "must be after from")
	}
	end := weekStart(to)
	if end.Before(to) {
		end = end.AddDate(0, 0, 7)
	}
	start := end.AddDate(0, 0, -7*weeksDefault)
	if !from.IsZero() {
		start = weekStart(from)
	}
	// Weeks are 7 days of UTC: no daylight saving changes their length.
	n := int(end.Sub(start) / week)
	if n > weeksMax {
		return time.Time{}, time.Time{}, 0, httpx.BadParam("from", fmt.Sprintf("the range from %s to %s spans %d ISO weeks; at most %d",
			start.Format(time.DateOnly), end.Format(time.DateOnly), n, weeksMax))
	}
	return start, end, n, nil
}

// eachMeasure calls fn for every case of p a page at a time, with what
// pilotdata.Cases makes of it (the pilots' definitions of closed, cycle
// time and first-contact resolution).
func (s *API) eachMeasure(ctx context.Context, p store.CaseMeasuresParams, fn func(store.CaseMeasure, experiment.Case) error) error {
	p.Limit = measurePage
	for {
		page, err := s.store.ListCaseMeasures(ctx, p)
		if err != nil {
			return httpx.StoreProblem(fmt.Errorf("list case measures: %w", err), "cases")
		}
		if len(page) == 0 {
			// An empty page ends the listing, whatever page size the
			// store keeps to.
			return nil
		}
		pcs := make([]store.PilotCase, len(page))
		for i, m := range page {
			pcs[i] = m.PilotCase
		}
		for i, e := range pilotdata.Cases(pcs, s.cfg.ReopenWindow) {
			if err := fn(page[i], e); err != nil {
				return err
			}
		}
		last := page[len(page)-1]
		p.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.CaseID}
	}
}

// serviceKPIs computes the service KPIs per week and channel.
func (s *API) serviceKPIs(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.ServiceKPIsParams](r)
	if err != nil {
		return err
	}
	start, end, n, err := weekRange(q.From, q.To, s.now())
	if err != nil {
		return err
	}
	type bucket struct {
		all       kpiAcc
		byChannel map[string]*kpiAcc
	}
	newBucket := func() *bucket { return &bucket{byChannel: map[string]*kpiAcc{}} }
	weeks := make([]*bucket, n)
	for i := range weeks {
		weeks[i] = newBucket()
	}
	total := newBucket()
	channels := map[string]bool{}
	if q.Channel != "" {
		channels[q.Channel] = true
	}
	add := func(b *bucket, m store.CaseMeasure, pc experiment.Case) {
		b.all.add(m, pc.Closed, pc.FCR)
		acc := b.byChannel[m.Channel]
		if acc == nil {
			acc = &kpiAcc{}
			b.byChannel[m.Channel] = acc
		}
		acc.add(m, pc.Closed, pc.FCR)
	}
	p := store.CaseMeasuresParams{Flow: q.Flow, Channel: q.Channel, From: &start, To: &end}
	err = s.eachMeasure(r.Context(), p, func(m store.CaseMeasure, pc experiment.Case) error {
		if q.Flow == "" && m.Flow == apiv1.PDCAFlow {
			return nil // improvement cycles are no service cases
		}
		i := int(m.CreatedAt.Sub(start) / week)
		if i < 0 || i >= n {
			return nil
		}
		channels[m.Channel] = true
		add(weeks[i], m, pc)
		add(total, m, pc)
		return nil
	})
	if err != nil {
		return err
	}
	names := make([]string, 0, len(channels))
	for c := range channels {
		names = append(names, c)
	}
	slices.Sort(names)
	perChannel := func(b *bucket) []apiv1.ChannelKPIs {
		out := make([]apiv1.ChannelKPIs, len(names))
		for i, c := range names {
			acc := b.byChannel[c]
			if acc == nil {
				acc = &kpiAcc{}
			}
			out[i] = apiv1.ChannelKPIs{Channel: c, KPIs: acc.json()}
		}
		return out
	}
	out := apiv1.ServiceKPIs{From: start, To: end, Channel: q.Channel, Flow: q.Flow,
		ReopenWindowSeconds: s.cfg.ReopenWindow.Seconds(), Channels: names,
		Weeks:   make([]apiv1.ServiceKPIWeek, n),
		Overall: apiv1.ServiceKPITotal{All: total.all.json(), Channels: perChannel(total)}}
	for i, b := range weeks {
		ws := start.Add(time.Duration(i) * week)
		out.Weeks[i] = apiv1.ServiceKPIWeek{Week: readable.ISOWeek(ws), Start: ws, End: ws.Add(week), All: b.all.json(), Channels: perChannel(b)}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}
