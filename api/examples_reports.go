package api

import (
	"time"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/kpi"
)

// Examples of the review packs, assembled from the other routes' examples
// and the packs' own accumulators.

var (
	exampleReviewMonth = monthPeriod(2026, time.November)

	exampleReviewPeriods = func() []apiv1.ReviewPeriod {
		ps := trendPeriods(apiv1.ReviewMonthly, exampleReviewMonth)
		out := make([]apiv1.ReviewPeriod, len(ps))
		for i, p := range ps {
			set, complaints, cycle := exampleKPIsNone, (&kpi.Service{}).Set().ComplaintRate, (&kpi.Trend{}).Stats()
			if i >= len(ps)-2 { // data in the last two months only
				set = exampleKPIsAll1
				all := kpi.Service{Cases: 420, Complaints: 50 + 10*i}
				complaints = all.Set().ComplaintRate
				cycle = exampleTrend1
			}
			out[i] = apiv1.ReviewPeriod{Period: p.name, From: p.from, To: p.to, KPIs: set, ComplaintRate: complaints, CycleTime: cycle}
		}
		return out
	}()

	exampleReviewBottlenecks = func() apiv1.Bottlenecks {
		b := exampleBottlenecks
		b.From, b.To = &exampleReviewMonth.from, &exampleReviewMonth.to
		return b
	}()

	exampleReviewEnd     = exampleReviewMonth.from.Add(14*24*time.Hour + 3*time.Hour)
	exampleReviewAlert   = exampleAlertStored
	exampleReviewEpisode = apiv1.ReviewAlertEpisode{FiredAt: exampleAlertAt, ValueText: "25.0 %", EndedAt: &exampleReviewEnd,
		EndedAs: alert.Resolved, Seconds: exampleReviewEnd.Sub(exampleAlertAt).Seconds()}

	exampleReviewPack = apiv1.ReviewPack{
		Kind: apiv1.ReviewMonthly, Variant: apiv1.ReviewInternal, Flow: "complaint", FlowName: "Complaint handling",
		Period: exampleReviewMonth.name, From: exampleReviewMonth.from, To: exampleReviewMonth.to,
		GeneratedAt: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		Figures:     exampleReviewPeriods[len(exampleReviewPeriods)-1], Trend: exampleReviewPeriods,
		Bottlenecks: []apiv1.Bottlenecks{exampleReviewBottlenecks},
		Changes: apiv1.ReviewChanges{
			Versions: []apiv1.ReviewVersion{{Version: 2, Name: "Complaint (one-stop)", PublishedAt: exampleReviewMonth.from.Add(50 * time.Hour),
				PublishedBy: "olga", Published: true, IsDefault: true, ComparedTo: 1, StepsAdded: []string{"handle"},
				StepsRemoved: []string{"investigate", "feedback", "review"}, StepsChanged: []string{}, HandoffsRemoved: 3}},
			Defaults: []apiv1.ReviewDefault{},
			Promotions: []apiv1.ReviewPromotion{{At: exampleReviewMonth.from.Add(20 * 24 * time.Hour), PilotID: examplePilotID,
				Arm: "treatment", Version: 2, By: "pdca:" + examplePDCACaseID}},
			Migrations: []apiv1.ReviewMigration{{At: exampleReviewMonth.from.Add(21 * 24 * time.Hour), MigrationID: "m-2026-11-21",
				From: 1, To: 2, Cases: 40, Migrated: 37, Refused: 3, By: "olga"}},
		},
		Pilots:       []apiv1.Pilot{examplePromotedPilot},
		Improvements: apiv1.ReviewImprovements{Cycles: []apiv1.Improvement{exampleImprovement}, Counts: apiv1.ReviewCycleCounts{Active: 2, Started: 1, Closed: 1, Completed: 1, Standardised: 1, OpenNow: 1}, Landed: rate(1, 1, LandedTarget)},
		Proposals: &apiv1.ReviewProposals{Proposals: []apiv1.Proposal{exampleAdoptedProposal}, Counts: apiv1.ProposalCounts{Adopted: 1, Total: 1},
			AdoptionRate: rate(1, 1, AdoptionTarget), AllTime: exampleImprovementKPIs},
		Alerts: &apiv1.ReviewAlerts{Rules: 3, Fired: []apiv1.ReviewAlert{{Rule: exampleReviewAlert.ID, Name: exampleReviewAlert.Name,
			MetricTitle: exampleAlertRule.MetricTitle, ScopeText: exampleAlertRule.ScopeText, ConditionText: exampleAlertRule.ConditionText,
			Episodes: []apiv1.ReviewAlertEpisode{exampleReviewEpisode}, FiringSeconds: exampleReviewEpisode.Seconds}}},
		FollowUps: &exampleServiceKPIs.FollowUps[0],
		Omitted:   []string{},
		Bounds:    reviewBounds,
		Sources:   reviewSources("complaint", exampleReviewMonth, []apiv1.Bottlenecks{exampleReviewBottlenecks}, false),
		Notes:     []string{"A case counts in the period it was created in for the service KPIs, and in the period it was closed in for the cycle time, as on the KPI and trend pages; recent cases fill in as they close and their customers answer."},
	}

	exampleQuarterlyReviewPack = func() apiv1.ReviewPack {
		q := quarterPeriod(2026, 4)
		p := exampleReviewPack
		p.Kind, p.Variant, p.Period, p.From, p.To = apiv1.ReviewQuarterly, apiv1.ReviewPublic, q.name, q.from, q.to
		p.GeneratedAt = time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)
		p.Trend = make([]apiv1.ReviewPeriod, 0, reviewTrendQuarters)
		for i, tp := range trendPeriods(apiv1.ReviewQuarterly, q) {
			set, cycle := exampleKPIsNone, (&kpi.Trend{}).Stats()
			if i == reviewTrendQuarters-1 {
				set, cycle = exampleKPIsAll1, exampleTrend1
			}
			p.Trend = append(p.Trend, apiv1.ReviewPeriod{Period: tp.name, From: tp.from, To: tp.to, KPIs: set,
				ComplaintRate: (&kpi.Service{Cases: 1300, Complaints: 160}).Set().ComplaintRate, CycleTime: cycle})
		}
		p.Figures = p.Trend[len(p.Trend)-1]
		p.Bottlenecks = []apiv1.Bottlenecks{}
		p.Changes.Versions = []apiv1.ReviewVersion{p.Changes.Versions[0]}
		p.Changes.Versions[0].PublishedBy = ""
		p.Changes.Promotions = []apiv1.ReviewPromotion{p.Changes.Promotions[0]}
		p.Changes.Promotions[0].By = ""
		p.Changes.Migrations = []apiv1.ReviewMigration{}
		pl := examplePromotedPilot
		pl.CreatedBy, pl.StopReason, pl.WorkflowID = "", "", ""
		p.Pilots = []apiv1.Pilot{pl}
		c := exampleImprovement
		c.ProposalID = ""
		p.Improvements.Cycles = []apiv1.Improvement{c}
		p.Proposals, p.Alerts = nil, nil
		p.Omitted = reviewOmitted
		p.Sources = reviewSources("complaint", q, nil, true)
		return p
	}()
)
