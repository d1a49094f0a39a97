// Package kpi computes every service and flow number flowlab reports from
// the store's case measures and spans: the service KPIs of the plans
// (decision 0015), a flow's trend, and the metrics alert rules watch
// (decision 0040). The API's pages, the alert evaluator and the reports
// all call it, so each number has one definition.
package kpi

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
)

// Targets of the service KPIs (docs/domain.md#kpis).
const (
	CSATTarget          = 0.9  // share of CSAT answers of 4 or 5, at least
	NPSTarget           = 50.0 // % promoters - % detractors, at least
	FCRTarget           = 0.85 // first-contact resolution, at least
	FirstResponseTarget = 30.0 // median seconds from creation to the first claim, at most
	OnTimeTarget        = 0.95 // completed task spans within their SLA, at least
	ComplaintRateTarget = 0.02 // complaint cases / all cases, at most
)

// ComplaintFlow is the flow key of complaints; keys starting with it and a
// hyphen (complaint-onestop) are complaint flows too.
const ComplaintFlow = "complaint"

// IsComplaintFlow reports whether cases of a flow are complaints, for the
// complaint rate.
func IsComplaintFlow(key string) bool {
	return key == ComplaintFlow || strings.HasPrefix(key, ComplaintFlow+"-")
}

// MeasurePage is how many cases one store call of Each reads.
const MeasurePage = 10000

// Service accumulates the service KPIs of a set of cases. Its fields are
// the counts the KPIs are ratios of.
type Service struct {
	Cases, Complaints           int
	CSATN, CSATTop              int
	CSATSum                     float64
	NPSN, Promoters, Detractors int
	FCRN, FCRYes                int
	// Responses are the first-response times in seconds.
	Responses          []float64
	SLASpans, Breached int
	// The follow-up calls' answers to the improvement question (decision
	// 0041).
	ImprovementYes, ImprovementNo, ImprovementNotSure int
}

// Add counts a case; e is what pilotdata.Cases makes of it (completed,
// first-contact resolution with reopenings applied, the CSAT answer of
// its feedback or else of its follow-up call, the call's improvement
// answer).
func (a *Service) Add(m store.CaseMeasure, e experiment.Case) {
	a.Cases++
	if IsComplaintFlow(m.Flow) {
		a.Complaints++
	}
	if e.CSAT != nil {
		a.CSATN++
		a.CSATSum += float64(*e.CSAT)
		if *e.CSAT >= 4 {
			a.CSATTop++
		}
	}
	switch e.Improvement {
	case experiment.ImprovementYes:
		a.ImprovementYes++
	case experiment.ImprovementNo:
		a.ImprovementNo++
	case experiment.ImprovementNotSure:
		a.ImprovementNotSure++
	}
	if m.NPS != nil {
		a.NPSN++
		switch {
		case *m.NPS >= 9:
			a.Promoters++
		case *m.NPS <= 6:
			a.Detractors++
		}
	}
	if e.Closed && e.FCR != nil {
		a.FCRN++
		if *e.FCR {
			a.FCRYes++
		}
	}
	if m.FirstClaimedAt != nil {
		a.Responses = append(a.Responses, max(0, m.FirstClaimedAt.Sub(m.CreatedAt).Seconds()))
	}
	a.SLASpans += m.TaskSpansWithSLA
	a.Breached += m.TaskSpansBreached
}

// Meets compares a value with its target in a direction (nil for nil).
func Meets(v *float64, target float64, direction string) *bool {
	if v == nil {
		return nil
	}
	ok := *v >= target
	if direction == apiv1.AtMost {
		ok = *v <= target
	}
	return &ok
}

// Ratio is num/den, nil when den is 0.
func Ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	v := float64(num) / float64(den)
	return &v
}

func serviceRate(count, n int, target float64, direction string) apiv1.ServiceRate {
	v := Ratio(count, n)
	return apiv1.ServiceRate{Value: v, Count: count, N: n, Target: target, Direction: direction, MeetsTarget: Meets(v, target, direction)}
}

// Quantile is stats.Quantile (type 7, as pilot results use), nil for no
// values.
func Quantile(xs []float64, q float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	v := stats.Quantile(xs, q)
	return &v
}

// Set is the KPI set of the cases counted.
func (a *Service) Set() apiv1.ServiceKPISet {
	out := apiv1.ServiceKPISet{
		Cases:         a.Cases,
		FCR:           serviceRate(a.FCRYes, a.FCRN, FCRTarget, apiv1.AtLeast),
		OnTime:        serviceRate(a.SLASpans-a.Breached, a.SLASpans, OnTimeTarget, apiv1.AtLeast),
		ComplaintRate: serviceRate(a.Complaints, a.Cases, ComplaintRateTarget, apiv1.AtMost),
	}
	csat := Ratio(a.CSATTop, a.CSATN)
	out.CSAT = apiv1.ServiceCSAT{Value: csat, Count: a.CSATTop, N: a.CSATN, Target: CSATTarget, Direction: apiv1.AtLeast,
		MeetsTarget: Meets(csat, CSATTarget, apiv1.AtLeast)}
	if a.CSATN > 0 {
		mean := a.CSATSum / float64(a.CSATN)
		out.CSAT.Mean = &mean
	}
	var nps *float64
	if a.NPSN > 0 {
		v := 100 * float64(a.Promoters-a.Detractors) / float64(a.NPSN)
		nps = &v
	}
	out.NPS = apiv1.ServiceNPS{Value: nps, N: a.NPSN, Promoters: a.Promoters, Detractors: a.Detractors, Target: NPSTarget,
		Direction: apiv1.AtLeast, MeetsTarget: Meets(nps, NPSTarget, apiv1.AtLeast)}
	median := Quantile(a.Responses, 0.5)
	out.FirstResponse = apiv1.ServiceResponseTime{Value: median, P90: Quantile(a.Responses, 0.9), N: len(a.Responses),
		Target: FirstResponseTarget, Direction: apiv1.AtMost, MeetsTarget: Meets(median, FirstResponseTarget, apiv1.AtMost)}
	n := a.ImprovementYes + a.ImprovementNo
	out.PerceivedImprovement = apiv1.ServicePerceived{Value: Ratio(a.ImprovementYes, n), Count: a.ImprovementYes, N: n,
		NotSure: a.ImprovementNotSure}
	return out
}

// FollowUps accumulates, per flow, the follow-ups of a set of cases
// (decision 0041): the cases whose version asks for one (eligible), those
// the sample picked, those whose call was due by Now, and the calls opened
// and completed. The realised share is the calls opened of the due cases
// over the due cases: a case closed less than the follow-up's after ago
// is left out of both, so a recent range does not look short of calls.
type FollowUps struct {
	// Now is the moment "due" is measured at.
	Now    time.Time
	byFlow map[string]*followUpCounts
}

type followUpCounts struct {
	shares                                                float64
	eligible, sampled, due, opened, answered, unreachable int
}

// Add counts a case (nothing for a case without a follow-up).
func (a *FollowUps) Add(m store.CaseMeasure) {
	f := m.FollowUp
	if f == nil {
		return
	}
	if a.byFlow == nil {
		a.byFlow = map[string]*followUpCounts{}
	}
	c := a.byFlow[m.Flow]
	if c == nil {
		c = &followUpCounts{}
		a.byFlow[m.Flow] = c
	}
	c.eligible++
	c.shares += f.Share
	if f.Sampled {
		c.sampled++
	}
	if !f.DueAt.After(a.Now) {
		c.due++
		if f.Opened {
			c.opened++
		}
	}
	switch f.Outcome {
	case store.FollowUpAnswered:
		c.answered++
	case store.FollowUpUnreachable:
		c.unreachable++
	}
}

// Flows are the shares per flow, by flow key; never nil.
func (a *FollowUps) Flows() []apiv1.FollowUpShare {
	keys := make([]string, 0, len(a.byFlow))
	for k := range a.byFlow {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]apiv1.FollowUpShare, len(keys))
	for i, k := range keys {
		c := a.byFlow[k]
		// Rounded to a millionth, so that one declared share reads as
		// written (0.15, not a sum's 0.15000000000000002).
		declared := math.Round(c.shares/float64(c.eligible)*1e6) / 1e6
		out[i] = apiv1.FollowUpShare{Flow: k, DeclaredShare: declared, Eligible: c.eligible, Sampled: c.sampled,
			Due: c.due, Opened: c.opened, Answered: c.answered, Unreachable: c.unreachable, RealisedShare: Ratio(c.opened, c.due)}
	}
	return out
}

// Trend accumulates the cycle times and span breaches of completed cases,
// for a flow's trend.
type Trend struct {
	Cycles             []float64
	SLASpans, Breached int
}

// Add counts a case.
func (a *Trend) Add(m store.CaseMeasure, e experiment.Case) {
	a.Cycles = append(a.Cycles, e.CycleSeconds)
	a.SLASpans += m.TaskSpansWithSLA
	a.Breached += m.TaskSpansBreached
}

// Stats are the trend figures of the cases counted.
func (a *Trend) Stats() apiv1.FlowTrendStats {
	return apiv1.FlowTrendStats{N: len(a.Cycles), MedianSeconds: Quantile(a.Cycles, 0.5), P90Seconds: Quantile(a.Cycles, 0.9),
		TaskSpans: a.SLASpans, BreachedSpans: a.Breached, SLABreachRate: Ratio(a.Breached, a.SLASpans)}
}

// Each calls fn for every case of p, a page at a time, with what
// pilotdata.Cases makes of it (the pilots' definitions of closed, cycle
// time and first-contact resolution, reopenings within reopen counting as
// not resolved).
func Each(ctx context.Context, st store.Store, reopen time.Duration, p store.CaseMeasuresParams, fn func(store.CaseMeasure, experiment.Case) error) error {
	p.Limit = MeasurePage
	for {
		page, err := st.ListCaseMeasures(ctx, p)
		if err != nil {
			return fmt.Errorf("list case measures: %w", err)
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
		for i, e := range pilotdata.Cases(pcs, reopen) {
			if err := fn(page[i], e); err != nil {
				return err
			}
		}
		last := page[len(page)-1]
		p.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.CaseID}
	}
}
