package api

import (
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/store"
)

// Examples of the service KPI and flow trend routes, computed by the
// routes' own accumulators so they are consistent.

// exampleKPIs is the KPI set of cases with the given counts; perceived
// are the follow-up calls answered yes, no and not sure.
func exampleKPIs(cases, complaints, csatN, csatTop int, csatSum float64, npsN, promoters, detractors, fcrN, fcrYes int,
	responses []float64, slaSpans, breached int, perceived [3]int) apiv1.ServiceKPISet {
	a := kpi.Service{Cases: cases, Complaints: complaints, CSATN: csatN, CSATTop: csatTop, CSATSum: csatSum, NPSN: npsN,
		Promoters: promoters, Detractors: detractors, FCRN: fcrN, FCRYes: fcrYes, Responses: responses,
		SLASpans: slaSpans, Breached: breached,
		ImprovementYes: perceived[0], ImprovementNo: perceived[1], ImprovementNotSure: perceived[2]}
	return a.Set()
}

// exampleFollowUps are the follow-up shares of 48 completed complaint
// cases of a version declaring 15 %: 8 sampled, 40 of the 48 due, the 7
// sampled among those called (4 answered, 1 unreachable, 2 still open).
func exampleFollowUps(now time.Time) []apiv1.FollowUpShare {
	a := kpi.FollowUps{Now: now}
	for i := range 48 {
		due := now.Add(-time.Hour)
		if i >= 40 {
			due = now.Add(time.Hour)
		}
		f := &store.FollowUpMeasure{Share: 0.15, Sampled: i%6 == 0, DueAt: due}
		if f.Sampled && i < 40 {
			f.Opened = true
			switch {
			case i < 24:
				f.Outcome = store.FollowUpAnswered
			case i == 24:
				f.Outcome = store.FollowUpUnreachable
			}
		}
		a.Add(store.CaseMeasure{Flow: "complaint", PilotCase: store.PilotCase{FollowUp: f}})
	}
	return a.Flows()
}

var (
	exampleWeek1 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // 2026-W10
	exampleWeek2 = exampleWeek1.Add(week)

	exampleKPIsPhone1 = exampleKPIs(40, 1, 20, 18, 87, 12, 7, 2, 25, 22, []float64{12, 25, 31, 48, 95}, 60, 2, [3]int{3, 0, 1})
	exampleKPIsEmail1 = exampleKPIs(10, 0, 4, 3, 16, 3, 1, 1, 6, 5, []float64{310, 1250}, 14, 1, [3]int{0, 1, 0})
	exampleKPIsAll1   = exampleKPIs(50, 1, 24, 21, 103, 15, 8, 3, 31, 27, []float64{12, 25, 31, 48, 95, 310, 1250}, 74, 3, [3]int{3, 1, 1})
	exampleKPIsNone   = (&kpi.Service{}).Set()
	exampleChannels1  = []apiv1.ChannelKPIs{{Channel: "email", KPIs: exampleKPIsEmail1}, {Channel: "phone", KPIs: exampleKPIsPhone1}}

	exampleServiceKPIs = apiv1.ServiceKPIs{
		From: exampleWeek1, To: exampleWeek2.Add(week), ReopenWindowSeconds: ReopenWindow.Seconds(),
		Channels: []string{"email", "phone"},
		Weeks: []apiv1.ServiceKPIWeek{
			{Week: "2026-W10", Start: exampleWeek1, End: exampleWeek2, All: exampleKPIsAll1, Channels: exampleChannels1},
			{Week: "2026-W11", Start: exampleWeek2, End: exampleWeek2.Add(week), All: exampleKPIsNone,
				Channels: []apiv1.ChannelKPIs{{Channel: "email", KPIs: exampleKPIsNone}, {Channel: "phone", KPIs: exampleKPIsNone}}},
		},
		Overall:   apiv1.ServiceKPITotal{All: exampleKPIsAll1, Channels: exampleChannels1},
		FollowUps: exampleFollowUps(exampleWeek2.Add(week)),
	}

	exampleTrend1    = (&kpi.Trend{Cycles: []float64{4200, 9000, 12600, 18000, 30600}, SLASpans: 15, Breached: 2}).Stats()
	exampleFlowTrend = apiv1.FlowTrend{
		Flow: "complaint", From: exampleWeek1, To: exampleWeek2.Add(week),
		Weeks:   []apiv1.FlowTrendWeek{trendWeek(exampleWeek1, exampleTrend1), trendWeek(exampleWeek2, (&kpi.Trend{}).Stats())},
		Overall: exampleTrend1,
	}
)
