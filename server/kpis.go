package server

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
)

// The service KPIs of the plans (DESIGN.md) per ISO week and channel, each
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

// Directions of a KPI's target.
const (
	atLeast = "at_least"
	atMost  = "at_most"
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

type serviceKPIsParams struct {
	From    time.Time `query:"from" description:"Start of the range (RFC 3339), moved back to the Monday 00:00 UTC of its ISO week; default: 12 weeks before the end."`
	To      time.Time `query:"to" description:"End of the range (RFC 3339, exclusive), moved forward to the next Monday 00:00 UTC unless it is one; default: now."`
	Channel string    `query:"channel" description:"Only cases of this channel." example:"phone"`
	Flow    string    `query:"flow" description:"Only cases of this flow key (improvement cycles, flow pdca, count only when asked for)." example:"complaint"`
}

// serviceRateJSON is a KPI that is a share of a count.
type serviceRateJSON struct {
	Value       *float64 `json:"value" description:"count / n (0–1); null when n is 0."`
	Count       int      `json:"count" description:"The numerator."`
	N           int      `json:"n" description:"The denominator."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most" description:"Whether the target is a minimum (at_least) or a maximum (at_most)."`
	MeetsTarget *bool    `json:"meets_target" description:"value against target in the direction; null when value is null."`
}

// serviceCSATJSON is the CSAT KPI: the top-2-box share and the mean.
type serviceCSATJSON struct {
	Value       *float64 `json:"value" description:"Answers of 4 or 5 / answers (0–1); null when n is 0."`
	Count       int      `json:"count" description:"Answers of 4 or 5."`
	N           int      `json:"n" description:"Cases with a CSAT answer."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target"`
	Mean        *float64 `json:"mean" description:"Mean CSAT (1–5); null when n is 0."`
}

// serviceNPSJSON is the net promoter score.
type serviceNPSJSON struct {
	Value       *float64 `json:"value" description:"100 × (promoters − detractors) / n, from −100 to 100; null when n is 0."`
	N           int      `json:"n" description:"Cases with an NPS answer."`
	Promoters   int      `json:"promoters" description:"Answers of 9 or 10."`
	Detractors  int      `json:"detractors" description:"Answers of 0 to 6."`
	Target      float64  `json:"target"`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target"`
}

// serviceResponseTimeJSON is the first response time.
type serviceResponseTimeJSON struct {
	Value       *float64 `json:"value" description:"Median seconds from the case's creation to the first claim of one of its tasks; null when n is 0."`
	P90         *float64 `json:"p90" description:"90th percentile of the same seconds; null when n is 0."`
	N           int      `json:"n" description:"Cases with a claimed task."`
	Target      float64  `json:"target" description:"Seconds."`
	Direction   string   `json:"direction" enum:"at_least,at_most"`
	MeetsTarget *bool    `json:"meets_target" description:"The median is at most the target; null when n is 0."`
}

// serviceKPISetJSON is the KPIs of a set of cases.
type serviceKPISetJSON struct {
	Cases         int                     `json:"cases" description:"Cases created in the period."`
	CSAT          serviceCSATJSON         `json:"csat" description:"Target: at least 0.9 answers of 4 or 5."`
	NPS           serviceNPSJSON          `json:"nps" description:"Target: at least 50."`
	FCR           serviceRateJSON         `json:"fcr" description:"First-contact resolution as pilots count it: completed cases whose resolved_first_contact is known, false when reopened within the reopen window. Target: at least 0.85."`
	FirstResponse serviceResponseTimeJSON `json:"first_response" description:"Target: a median of at most 30 s."`
	OnTime        serviceRateJSON         `json:"on_time" description:"Spans of completed tasks with an SLA that were completed by their due time. Target: at least 0.95."`
	ComplaintRate serviceRateJSON         `json:"complaint_rate" description:"Cases of flow complaint or complaint-* / all cases. Target: at most 0.02."`
}

// channelKPIsJSON is the KPIs of one channel's cases.
type channelKPIsJSON struct {
	Channel string            `json:"channel" description:"The channel; empty for cases recorded without one."`
	KPIs    serviceKPISetJSON `json:"kpis"`
}

// serviceKPIWeekJSON is one ISO week.
type serviceKPIWeekJSON struct {
	Week     string            `json:"week" description:"ISO 8601 week, e.g. 2026-W10."`
	Start    time.Time         `json:"start" description:"Monday 00:00 UTC."`
	End      time.Time         `json:"end" description:"The next Monday 00:00 UTC (exclusive)."`
	All      serviceKPISetJSON `json:"all" description:"Every channel."`
	Channels []channelKPIsJSON `json:"channels" nullable:"false" description:"One entry per channel of the response's channels, in that order."`
}

// serviceKPITotalJSON is the whole range.
type serviceKPITotalJSON struct {
	All      serviceKPISetJSON `json:"all"`
	Channels []channelKPIsJSON `json:"channels" nullable:"false"`
}

type serviceKPIsJSON struct {
	From                time.Time            `json:"from" description:"Start of the first week (Monday 00:00 UTC)."`
	To                  time.Time            `json:"to" description:"End of the last week (exclusive)."`
	Channel             string               `json:"channel" description:"The channel filter; empty: every channel."`
	Flow                string               `json:"flow" description:"The flow filter; empty: every flow but pdca."`
	ReopenWindowSeconds float64              `json:"reopen_window_seconds" description:"A case reopened within this time of its close was not resolved at first contact."`
	Channels            []string             `json:"channels" nullable:"false" description:"The channels of the cases in the range (or the channel filter), sorted: the order of every channels list."`
	Weeks               []serviceKPIWeekJSON `json:"weeks" nullable:"false" description:"Every week of the range, oldest first, weeks without cases included (their values null)."`
	Overall             serviceKPITotalJSON  `json:"overall" description:"The whole range."`
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
	if direction == atMost {
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

func serviceRate(count, n int, target float64, direction string) serviceRateJSON {
	v := ratio(count, n)
	return serviceRateJSON{Value: v, Count: count, N: n, Target: target, Direction: direction, MeetsTarget: meets(v, target, direction)}
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

func (a *kpiAcc) json() serviceKPISetJSON {
	out := serviceKPISetJSON{
		Cases:         a.cases,
		FCR:           serviceRate(a.fcrYes, a.fcrN, FCRTarget, atLeast),
		OnTime:        serviceRate(a.slaSpans-a.breached, a.slaSpans, OnTimeTarget, atLeast),
		ComplaintRate: serviceRate(a.complaints, a.cases, ComplaintRateTarget, atMost),
	}
	csat := ratio(a.csatTop, a.csatN)
	out.CSAT = serviceCSATJSON{Value: csat, Count: a.csatTop, N: a.csatN, Target: CSATTarget, Direction: atLeast,
		MeetsTarget: meets(csat, CSATTarget, atLeast)}
	if a.csatN > 0 {
		mean := a.csatSum / float64(a.csatN)
		out.CSAT.Mean = &mean
	}
	var nps *float64
	if a.npsN > 0 {
		v := 100 * float64(a.promoters-a.detractors) / float64(a.npsN)
		nps = &v
	}
	out.NPS = serviceNPSJSON{Value: nps, N: a.npsN, Promoters: a.promoters, Detractors: a.detractors, Target: NPSTarget,
		Direction: atLeast, MeetsTarget: meets(nps, NPSTarget, atLeast)}
	median := quantile(a.responses, 0.5)
	out.FirstResponse = serviceResponseTimeJSON{Value: median, P90: quantile(a.responses, 0.9), N: len(a.responses),
		Target: FirstResponseTarget, Direction: atMost, MeetsTarget: meets(median, FirstResponseTarget, atMost)}
	return out
}

// weekStart is the Monday 00:00 UTC of t's ISO week.
func weekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// isoWeek names the ISO week of t, e.g. 2026-W10.
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
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
			return time.Time{}, time.Time{}, 0, badParam("from", "must be before to (default: now)")
		}
		return time.Time{}, time.Time{}, 0, badParam("to", "must be after from")
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
		return time.Time{}, time.Time{}, 0, badParam("from", fmt.Sprintf("the range from %s to %s spans %d ISO weeks; at most %d",
			start.Format(time.DateOnly), end.Format(time.DateOnly), n, weeksMax))
	}
	return start, end, n, nil
}

// eachMeasure calls fn for every case of p a page at a time, with what
// pilotdata.Cases makes of it (the pilots' definitions of closed, cycle
// time and first-contact resolution).
func (s *Server) eachMeasure(ctx context.Context, p store.CaseMeasuresParams, fn func(store.CaseMeasure, experiment.Case) error) error {
	p.Limit = measurePage
	for {
		page, err := s.store.ListCaseMeasures(ctx, p)
		if err != nil {
			return storeProblem(fmt.Errorf("list case measures: %w", err), "cases")
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
func (s *Server) serviceKPIs(w http.ResponseWriter, r *http.Request) error {
	q, err := paramsOf[serviceKPIsParams](r)
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
		if q.Flow == "" && m.Flow == PDCAFlow {
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
	perChannel := func(b *bucket) []channelKPIsJSON {
		out := make([]channelKPIsJSON, len(names))
		for i, c := range names {
			acc := b.byChannel[c]
			if acc == nil {
				acc = &kpiAcc{}
			}
			out[i] = channelKPIsJSON{Channel: c, KPIs: acc.json()}
		}
		return out
	}
	out := serviceKPIsJSON{From: start, To: end, Channel: q.Channel, Flow: q.Flow,
		ReopenWindowSeconds: s.cfg.ReopenWindow.Seconds(), Channels: names,
		Weeks:   make([]serviceKPIWeekJSON, n),
		Overall: serviceKPITotalJSON{All: total.all.json(), Channels: perChannel(total)}}
	for i, b := range weeks {
		ws := start.Add(time.Duration(i) * week)
		out.Weeks[i] = serviceKPIWeekJSON{Week: isoWeek(ws), Start: ws, End: ws.Add(week), All: b.all.json(), Channels: perChannel(b)}
	}
	s.writeJSON(w, r, http.StatusOK, out)
	return nil
}
