package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/readable"
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
			"- `complaint_rate`: cases of flow `complaint` or a key starting with `complaint-` / all cases; at most 0.02.\n" +
			"- `perceived_improvement`: of the follow-up calls answered (decision 0041), those whose customer perceives the improvement " +
			"(yes) / those answered yes or no; `not_sure` is counted apart, in neither; no target.\n\n" +
			"`csat` counts one answer per case: the feedback's, or else the follow-up call's. `follow_ups` lists, per flow with a " +
			"`follow_up` among the range's cases, the completed cases whose version asks for calls (`eligible`), those the sample picked, " +
			"those whose call is due by now (`due`, sampled or not), the calls opened of those and the calls completed; `realised_share` " +
			"(opened / due) is to be read beside `declared_share`.\n\n" +
			"Cases of the improvement flow `pdca` are left out unless `flow=pdca`. Computed from the cases at each request (ADR 0015).",
		Params: apiv1.ServiceKPIsParams{},
		Status: http.StatusOK, Response: apiv1.ServiceKPIs{}, Example: exampleServiceKPIs,
		Handle: (*API).serviceKPIs,
	},
}

// The service KPIs of the plans (docs/domain.md#kpis) per ISO week and
// channel, each against its target (ADR 0015), computed by package kpi at
// each request from store.ListCaseMeasures; a case counts in the week it
// was created.

// The week ranges of the KPI and trend routes.
const (
	weeksDefault = 12  // weeks up to now when from is not given
	weeksMax     = 106 // two years and a little
	week         = 7 * 24 * time.Hour
)

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
// pilotdata.Cases makes of it (kpi.Each).
func (s *API) eachMeasure(ctx context.Context, p store.CaseMeasuresParams, fn func(store.CaseMeasure, experiment.Case) error) error {
	var fnErr error
	err := kpi.Each(ctx, s.store, s.cfg.ReopenWindow, p, func(m store.CaseMeasure, e experiment.Case) error {
		fnErr = fn(m, e)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return httpx.StoreProblem(err, "cases")
	}
	return nil
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
		all       kpi.Service
		byChannel map[string]*kpi.Service
	}
	newBucket := func() *bucket { return &bucket{byChannel: map[string]*kpi.Service{}} }
	weeks := make([]*bucket, n)
	for i := range weeks {
		weeks[i] = newBucket()
	}
	total := newBucket()
	followUps := kpi.FollowUps{Now: s.now()}
	channels := map[string]bool{}
	if q.Channel != "" {
		channels[q.Channel] = true
	}
	add := func(b *bucket, m store.CaseMeasure, pc experiment.Case) {
		b.all.Add(m, pc)
		acc := b.byChannel[m.Channel]
		if acc == nil {
			acc = &kpi.Service{}
			b.byChannel[m.Channel] = acc
		}
		acc.Add(m, pc)
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
		followUps.Add(m)
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
				acc = &kpi.Service{}
			}
			out[i] = apiv1.ChannelKPIs{Channel: c, KPIs: acc.Set()}
		}
		return out
	}
	out := apiv1.ServiceKPIs{From: start, To: end, Channel: q.Channel, Flow: q.Flow,
		ReopenWindowSeconds: s.cfg.ReopenWindow.Seconds(), Channels: names,
		Weeks:     make([]apiv1.ServiceKPIWeek, n),
		Overall:   apiv1.ServiceKPITotal{All: total.all.Set(), Channels: perChannel(total)},
		FollowUps: followUps.Flows()}
	for i, b := range weeks {
		ws := start.Add(time.Duration(i) * week)
		out.Weeks[i] = apiv1.ServiceKPIWeek{Week: readable.ISOWeek(ws), Start: ws, End: ws.Add(week), All: b.all.Set(), Channels: perChannel(b)}
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, out)
	return nil
}
