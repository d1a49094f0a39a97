package api

import (
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/kpi"
)

// Examples of the service KPI and flow trend routes, computed by the
// routes' own accumulators so they are consistent.

// exampleKPIs is the KPI set of cases with the given counts.
func exampleKPIs(cases, complaints, csatN, csatTop int, csatSum float64, npsN, promoters, detractors, fcrN, fcrYes int,
	responses []float64, slaSpans, breached int) apiv1.ServiceKPISet {
	a := kpi.Service{Cases: cases, Complaints: complaints, CSATN: csatN, CSATTop: csatTop, CSATSum: csatSum, NPSN: npsN,
		Promoters: promoters, Detractors: detractors, FCRN: fcrN, FCRYes: fcrYes, Responses: responses,
		SLASpans: slaSpans, Breached: breached}
	return a.Set()
}

var (
	exampleWeek1 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC) // 2026-W10
	exampleWeek2 = exampleWeek1.Add(week)

	exampleKPIsPhone1 = exampleKPIs(40, 1, 20, 18, 87, 12, 7, 2, 25, 22, []float64{12, 25, 31, 48, 95}, 60, 2)
	exampleKPIsEmail1 = exampleKPIs(10, 0, 4, 3, 16, 3, 1, 1, 6, 5, []float64{310, 1250}, 14, 1)
	exampleKPIsAll1   = exampleKPIs(50, 1, 24, 21, 103, 15, 8, 3, 31, 27, []float64{12, 25, 31, 48, 95, 310, 1250}, 74, 3)
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
		Overall: apiv1.ServiceKPITotal{All: exampleKPIsAll1, Channels: exampleChannels1},
	}

	exampleTrend1    = (&kpi.Trend{Cycles: []float64{4200, 9000, 12600, 18000, 30600}, SLASpans: 15, Breached: 2}).Stats()
	exampleFlowTrend = apiv1.FlowTrend{
		Flow: "complaint", From: exampleWeek1, To: exampleWeek2.Add(week),
		Weeks:   []apiv1.FlowTrendWeek{trendWeek(exampleWeek1, exampleTrend1), trendWeek(exampleWeek2, (&kpi.Trend{}).Stats())},
		Overall: exampleTrend1,
	}
)
