package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/internal/authz"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/kpi"
	"github.com/flowlab/flowlab/store"
)

// The review packs (decision 0042): one flow over one calendar month or
// quarter. Every figure is computed by the code of the route that shows it
// elsewhere (kpi.Service and kpi.Trend over kpi.Each, bottleneckReport,
// toPilotJSON, improvementOf and rate, the alert events, the audit
// trail), so the pack cannot disagree with the API; package report renders
// the JSON as one self-contained HTML document.

var reportRoutes = []route{
	{
		Method: http.MethodGet, Pattern: "/api/v1/reports/monthly", ID: "getMonthlyReview", Tag: "reports",
		Summary: "A flow's monthly review pack",
		Description: "Everything a monthly process review of one flow looks at, over one calendar month in UTC (from 00:00 UTC of its " +
			"first day to the next month's), each figure computed by the code of the route that shows it elsewhere (`sources` names it):\n\n" +
			"- `figures` and `trend`: the service KPIs of the flow's cases created in the month against their targets (getServiceKPIs with " +
			"`flow`), the complaint rate of every service case (getServiceKPIs without `flow`), and the cycle time and SLA breach rate of " +
			"the flow's cases completed in the month (getFlowTrend), for the month and the 5 months before it;\n" +
			"- `bottlenecks`: getFlowBottlenecks of each version with spans entered in the month;\n" +
			"- `changes`: versions published or retired, the default chosen by hand, pilot arms promoted and cases migrated " +
			"(the versions and the audit trail);\n" +
			"- `pilots` (getPilot, with their last stored look), `improvements` (the PDCA cycles improving the flow that were open in " +
			"the month, as listImprovements shows them, and improvements landed as getImprovementKPIs computes it), `proposals` (those " +
			"made in the month with their adoption rate, and getImprovementKPIs), `alerts` (the rules scoped to the flow or to no flow " +
			"that fired in the month, each time with how long it lasted, from their state changes) and `follow_ups` (as getServiceKPIs).\n\n" +
			"`variant=public` leaves out people, alert rules, proposals, bottlenecks and migrations (`omitted` says what). A value " +
			"without data is null, never 0. A pack reads at most `bounds` rows of each kind; a month holding more is refused (422, " +
			"type report-too-large). Nothing is stored or audited. `flowlab report monthly` and the web UI's /ui/reports render it " +
			"as one self-contained, printable HTML document.",
		Roles:  authz.FlowViewers,
		Params: apiv1.MonthlyReviewParams{},
		Status: http.StatusOK, Response: apiv1.ReviewPack{}, Example: exampleReviewPack,
		Errors: []int{404, 422},
		Handle: (*API).monthlyReview,
	},
	{
		Method: http.MethodGet, Pattern: "/api/v1/reports/quarterly", ID: "getQuarterlyReview", Tag: "reports",
		Summary: "A flow's quarterly review pack",
		Description: "getMonthlyReview over a calendar quarter (Q1: January to March, in UTC), with the 3 quarters before it as the " +
			"trend. Its default variant is `public`: the quarterly publication of improvement results to customers, without people, " +
			"alert rules, proposals, bottlenecks and migrations; `variant=internal` gives every section.",
		Roles:  authz.FlowViewers,
		Params: apiv1.QuarterlyReviewParams{},
		Status: http.StatusOK, Response: apiv1.ReviewPack{}, Example: exampleQuarterlyReviewPack,
		Errors: []int{404, 422},
		Handle: (*API).quarterlyReview,
	},
}

// Bounds of one review pack: a period holding more rows of a kind is
// refused (422), never read in part.
const (
	ReviewMaxCases     = 1_000_000 // case measures, every flow's (the complaint rate counts them all)
	ReviewMaxCycles    = 5_000     // PDCA cycles of the flow
	ReviewMaxPilots    = 1_000     // pilots of the flow
	ReviewMaxProposals = 10_000    // proposals of the period
	ReviewMaxEntries   = 10_000    // audit entries of each kind, alert state changes of each rule
	// reviewProposalsListed is how many of the period's proposals the
	// pack lists (it counts them all).
	reviewProposalsListed = 200
	// The periods of a trend, the pack's own included.
	reviewTrendMonths   = 6
	reviewTrendQuarters = 4
)

// reviewOmitted is what the public variant leaves out, in words.
var reviewOmitted = []string{
	"people's names and ids (who published, promoted, started or stopped what)",
	"alert rules and when they fired",
	"improvement proposals and their authors",
	"the bottleneck table and heat map (per step and department)",
	"migrations of running cases",
	"improvement cycles not standardised in the period",
}

// reviewBounds are the bounds as the pack states them.
var reviewBounds = apiv1.ReviewBounds{Cases: ReviewMaxCases, Cycles: ReviewMaxCycles, Pilots: ReviewMaxPilots,
	Proposals: ReviewMaxProposals, Entries: ReviewMaxEntries}

// reviewPeriod is one month or quarter: [from, to) in UTC.
type reviewPeriod struct {
	name     string
	from, to time.Time
}

var (
	monthPattern   = regexp.MustCompile(`^([0-9]{4})-(0[1-9]|1[0-2])$`)
	quarterPattern = regexp.MustCompile(`^([0-9]{4})-Q([1-4])$`)
)

// monthOf parses a month, YYYY-MM.
func monthOf(raw string) (reviewPeriod, error) {
	m := monthPattern.FindStringSubmatch(raw)
	if m == nil {
		if raw == "" {
			return reviewPeriod{}, httpx.BadParam("month", "is required: a calendar month like 2026-11")
		}
		return reviewPeriod{}, httpx.BadParam("month", fmt.Sprintf("must be a calendar month like 2026-11 (YYYY-MM), got %q", raw))
	}
	y, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	return monthPeriod(y, time.Month(mo)), nil
}

func monthPeriod(y int, m time.Month) reviewPeriod {
	from := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	return reviewPeriod{name: from.Format("2006-01"), from: from, to: from.AddDate(0, 1, 0)}
}

// quarterOf parses a quarter, YYYY-Qn.
func quarterOf(raw string) (reviewPeriod, error) {
	m := quarterPattern.FindStringSubmatch(raw)
	if m == nil {
		if raw == "" {
			return reviewPeriod{}, httpx.BadParam("quarter", "is required: a calendar quarter like 2026-Q4")
		}
		return reviewPeriod{}, httpx.BadParam("quarter", fmt.Sprintf("must be a calendar quarter like 2026-Q4 (YYYY-Qn, n from 1 to 4), got %q", raw))
	}
	y, _ := strconv.Atoi(m[1])
	q, _ := strconv.Atoi(m[2])
	return quarterPeriod(y, q), nil
}

func quarterPeriod(y, q int) reviewPeriod {
	from := time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return reviewPeriod{name: fmt.Sprintf("%04d-Q%d", y, q), from: from, to: from.AddDate(0, 3, 0)}
}

// trendPeriods are p and the periods of its kind before it, oldest first.
func trendPeriods(kind string, p reviewPeriod) []reviewPeriod {
	n := reviewTrendMonths
	if kind == apiv1.ReviewQuarterly {
		n = reviewTrendQuarters
	}
	out := make([]reviewPeriod, n)
	for i := range n {
		back := n - 1 - i
		if kind == apiv1.ReviewQuarterly {
			from := p.from.AddDate(0, -3*back, 0)
			out[i] = quarterPeriod(from.Year(), int(from.Month()-1)/3+1)
		} else {
			from := p.from.AddDate(0, -back, 0)
			out[i] = monthPeriod(from.Year(), from.Month())
		}
	}
	return out
}

// reportTooLarge is the 422 of a period holding more rows than a pack
// reads.
func reportTooLarge(what string, bound int, p reviewPeriod) *httpx.Problem {
	return httpx.NewProblem(http.StatusUnprocessableEntity, apiv1.ProblemReportTooLarge, "Review pack too large",
		fmt.Sprintf("the review of %s reads more than %d %s, the most a pack reads; the figures of the period are in the API's "+
			"own routes (GET /api/v1/kpis/service, /flows/{key}/trend, /flows/{key}/bottlenecks)", p.name, bound, what))
}

func (s *API) monthlyReview(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.MonthlyReviewParams](r)
	if err != nil {
		return err
	}
	if q.Flow == "" {
		return httpx.BadParam("flow", "is required: the key of a flow")
	}
	p, err := monthOf(q.Month)
	if err != nil {
		return err
	}
	pack, err := s.reviewPack(r.Context(), apiv1.ReviewMonthly, q.Flow, p, q.Variant)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, pack)
	return nil
}

func (s *API) quarterlyReview(w http.ResponseWriter, r *http.Request) error {
	q, err := httpx.ParamsOf[apiv1.QuarterlyReviewParams](r)
	if err != nil {
		return err
	}
	if q.Flow == "" {
		return httpx.BadParam("flow", "is required: the key of a flow")
	}
	p, err := quarterOf(q.Quarter)
	if err != nil {
		return err
	}
	pack, err := s.reviewPack(r.Context(), apiv1.ReviewQuarterly, q.Flow, p, q.Variant)
	if err != nil {
		return err
	}
	httpx.WriteJSON(s.log, w, r, http.StatusOK, pack)
	return nil
}

// reviewPack computes the pack of flow key over period p.
func (s *API) reviewPack(ctx context.Context, kind, key string, p reviewPeriod, variant string) (apiv1.ReviewPack, error) {
	def, err := s.store.DefaultFlowVersion(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return apiv1.ReviewPack{}, s.unknownFlow(ctx, key, "flow")
	}
	if err != nil {
		return apiv1.ReviewPack{}, httpx.StoreProblem(fmt.Errorf("default flow version: %w", err), fmt.Sprintf("flow %q", key))
	}
	public := variant == apiv1.ReviewPublic
	now := s.now().UTC()
	bounds := reviewBounds
	bounds.Cases = s.cfg.ReviewMaxCases
	pack := apiv1.ReviewPack{Kind: kind, Variant: variant, Flow: key, FlowName: def.Name, Period: p.name, From: p.from, To: p.to,
		GeneratedAt: now, Partial: now.Before(p.to), Omitted: []string{}, Bounds: bounds, Notes: []string{}}

	periods := trendPeriods(kind, p)
	if pack.Trend, pack.FollowUps, err = s.reviewFigures(ctx, key, periods, now); err != nil {
		return apiv1.ReviewPack{}, err
	}
	pack.Figures = pack.Trend[len(pack.Trend)-1]

	versions, err := s.store.ListFlowVersions(ctx, key)
	if err != nil {
		return apiv1.ReviewPack{}, httpx.StoreProblem(fmt.Errorf("list flow versions: %w", err), fmt.Sprintf("flow %q", key))
	}
	pack.Bottlenecks = []apiv1.Bottlenecks{}
	if !public {
		for _, v := range versions {
			rep, _, err := s.bottleneckReport(ctx, v, "", &p.from, &p.to)
			if err != nil {
				return apiv1.ReviewPack{}, err
			}
			if rep.Cases > 0 {
				pack.Bottlenecks = append(pack.Bottlenecks, rep)
			}
		}
	}
	if pack.Changes, err = s.reviewChanges(ctx, key, p, versions, public); err != nil {
		return apiv1.ReviewPack{}, err
	}
	if pack.Pilots, err = s.reviewPilots(ctx, key, p, public); err != nil {
		return apiv1.ReviewPack{}, err
	}
	if pack.Improvements, err = s.reviewCycles(ctx, key, p, public); err != nil {
		return apiv1.ReviewPack{}, err
	}
	if !public {
		if pack.Proposals, err = s.reviewProposals(ctx, p); err != nil {
			return apiv1.ReviewPack{}, err
		}
		if pack.Alerts, err = s.reviewAlerts(ctx, key, p, now); err != nil {
			return apiv1.ReviewPack{}, err
		}
	} else {
		pack.Omitted = slices.Clone(reviewOmitted)
	}
	pack.Sources = reviewSources(key, p, pack.Bottlenecks, public)
	if pack.Partial {
		pack.Notes = append(pack.Notes, fmt.Sprintf("The period has not ended: its figures are those up to %s.", now.Format("2 January 2006 15:04 UTC")))
	}
	pack.Notes = append(pack.Notes,
		"A case counts in the period it was created in for the service KPIs, and in the period it was closed in for the cycle time, as on the KPI and trend pages; recent cases fill in as they close and their customers answer.",
		"The KPI and trend routes count whole ISO weeks (Monday to Sunday, UTC): for the same figures from them, ask for the weeks inside the period.")
	return pack, nil
}

// reviewFigures are the KPIs and the cycle time of each period, and the
// follow-ups of the last one's cases. One read of every case created in
// the periods (every flow's: the complaint rate is a share of them all)
// and one of the flow's cases closed in them, through kpi.Each, the KPI
// and trend routes' reader.
func (s *API) reviewFigures(ctx context.Context, key string, periods []reviewPeriod, now time.Time) ([]apiv1.ReviewPeriod, *apiv1.FollowUpShare, error) {
	n := len(periods)
	flowKPIs, all, cycles := make([]kpi.Service, n), make([]kpi.Service, n), make([]kpi.Trend, n)
	followUps := kpi.FollowUps{Now: now}
	from, to := periods[0].from, periods[n-1].to
	index := func(t time.Time) int {
		for i := n - 1; i >= 0; i-- {
			if !t.Before(periods[i].from) {
				if t.Before(periods[i].to) {
					return i
				}
				return -1
			}
		}
		return -1
	}
	read := 0
	count := func() error {
		if read++; read > s.cfg.ReviewMaxCases {
			return reportTooLarge("cases", s.cfg.ReviewMaxCases, periods[n-1])
		}
		return nil
	}
	err := s.eachMeasure(ctx, store.CaseMeasuresParams{From: &from, To: &to}, func(m store.CaseMeasure, e experiment.Case) error {
		if err := count(); err != nil {
			return err
		}
		i := index(m.CreatedAt)
		if i < 0 {
			return nil
		}
		if m.Flow == key {
			flowKPIs[i].Add(m, e)
			if i == n-1 {
				followUps.Add(m)
			}
		}
		if m.Flow != apiv1.PDCAFlow { // improvement cycles are no service cases
			all[i].Add(m, e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	p := store.CaseMeasuresParams{Flow: key, Status: store.CaseCompleted, ByClosedAt: true, From: &from, To: &to}
	err = s.eachMeasure(ctx, p, func(m store.CaseMeasure, e experiment.Case) error {
		if err := count(); err != nil {
			return err
		}
		// As the trend route: closed and cycle time as pilots count them.
		if !e.Closed || e.CycleSeconds < 0 || m.ClosedAt == nil {
			return nil
		}
		if i := index(*m.ClosedAt); i >= 0 {
			cycles[i].Add(m, e)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]apiv1.ReviewPeriod, n)
	for i, pp := range periods {
		out[i] = apiv1.ReviewPeriod{Period: pp.name, From: pp.from, To: pp.to, KPIs: flowKPIs[i].Set(),
			ComplaintRate: all[i].Set().ComplaintRate, CycleTime: cycles[i].Stats()}
	}
	var fu *apiv1.FollowUpShare
	for _, f := range followUps.Flows() {
		if f.Flow == key {
			fu = &f
		}
	}
	return out, fu, nil
}

// has reports whether t is in [p.from, p.to).
func (p reviewPeriod) has(t time.Time) bool { return !t.Before(p.from) && t.Before(p.to) }

// auditEntries reads the entries of f in [p.from, p.to), oldest first, at
// most ReviewMaxEntries.
func (s *API) auditEntries(ctx context.Context, f store.AuditFilter, p reviewPeriod) ([]store.AuditEntry, error) {
	f.From, f.To, f.Limit, f.Descending = &p.from, &p.to, 500, false
	var out []store.AuditEntry
	for {
		page, err := s.store.ListAudit(ctx, f)
		if err != nil {
			return nil, httpx.StoreProblem(fmt.Errorf("list audit: %w", err), "audit trail")
		}
		if len(page) == 0 {
			return out, nil
		}
		out = append(out, page...)
		if len(out) > ReviewMaxEntries {
			return nil, reportTooLarge(f.Action+" audit entries", ReviewMaxEntries, p)
		}
		f.After = page[len(page)-1].ID
	}
}

// reviewChanges are the versions published or retired in the period, the
// defaults chosen, the promotions and the migrations.
func (s *API) reviewChanges(ctx context.Context, key string, p reviewPeriod, versions []store.FlowVersion, public bool) (apiv1.ReviewChanges, error) {
	out := apiv1.ReviewChanges{Versions: []apiv1.ReviewVersion{}, Defaults: []apiv1.ReviewDefault{},
		Promotions: []apiv1.ReviewPromotion{}, Migrations: []apiv1.ReviewMigration{}}
	by := func(actor string) string {
		if public {
			return ""
		}
		return actor
	}
	for i, v := range versions {
		published := p.has(v.CreatedAt)
		retired := v.RetiredAt != nil && p.has(*v.RetiredAt)
		if !published && !retired {
			continue
		}
		rv := apiv1.ReviewVersion{Version: v.Version, Name: v.Name, PublishedAt: v.CreatedAt.UTC(), PublishedBy: by(v.CreatedBy),
			Published: published, RetiredAt: utcPtr(v.RetiredAt), IsDefault: v.IsDefault,
			StepsAdded: []string{}, StepsRemoved: []string{}, StepsChanged: []string{}}
		if i > 0 {
			prev := versions[i-1]
			before, err := compiledDefinition(prev)
			if err != nil {
				return out, err
			}
			after, err := compiledDefinition(v)
			if err != nil {
				return out, err
			}
			d := flow.Diff(before, after)
			rv.ComparedTo = prev.Version
			rv.StepsAdded, rv.StepsRemoved = nonNil(d.Added), nonNil(d.Removed)
			for _, c := range d.Changed {
				rv.StepsChanged = append(rv.StepsChanged, c.Step)
			}
			rv.HandoffsAdded, rv.HandoffsRemoved = len(d.HandoffsAdded), len(d.HandoffsRemoved)
		}
		out.Versions = append(out.Versions, rv)
	}
	// The default chosen by hand and the migrations: the flow's own audit
	// entries (object flow:<key>).
	entries, err := s.auditEntries(ctx, store.AuditFilter{Object: "flow:" + key}, p)
	if err != nil {
		return out, err
	}
	for _, e := range entries {
		switch e.Action {
		case "flow.default":
			var d struct{ From, To int }
			if json.Unmarshal(e.Details, &d) != nil {
				continue
			}
			out.Defaults = append(out.Defaults, apiv1.ReviewDefault{At: e.At.UTC(), From: d.From, To: d.To, By: by(e.Actor)})
		case "flow.migrate":
			if public {
				continue
			}
			var d struct {
				MigrationID                      string `json:"migration_id"`
				From, To                         int
				Cases, Migrated, Refused, Failed int
				Truncated, Aborted               bool
			}
			if json.Unmarshal(e.Details, &d) != nil {
				continue
			}
			out.Migrations = append(out.Migrations, apiv1.ReviewMigration{At: e.At.UTC(), MigrationID: d.MigrationID, From: d.From, To: d.To,
				Cases: d.Cases, Migrated: d.Migrated, Refused: d.Refused, Failed: d.Failed, Truncated: d.Truncated, Aborted: d.Aborted, By: e.Actor})
		}
	}
	// Promotions, by the API or by a cycle's standardise step: both write
	// the flow in the entry's details.
	entries, err = s.auditEntries(ctx, store.AuditFilter{Action: "pilot.promote"}, p)
	if err != nil {
		return out, err
	}
	for _, e := range entries {
		var d struct {
			Flow, Arm string
			Version   int
		}
		if json.Unmarshal(e.Details, &d) != nil || d.Flow != key {
			continue
		}
		out.Promotions = append(out.Promotions, apiv1.ReviewPromotion{At: e.At.UTC(), PilotID: strings.TrimPrefix(e.Object, "pilot:"),
			Arm: d.Arm, Version: d.Version, By: by(e.Actor)})
	}
	return out, nil
}

// reviewPilots are the flow's pilots that ran at some time in the period,
// newest first.
func (s *API) reviewPilots(ctx context.Context, key string, p reviewPeriod, public bool) ([]apiv1.Pilot, error) {
	out := []apiv1.Pilot{}
	// Newest first from the period's end: starting after (to, "") lists
	// created_at < to.
	lp := store.ListPilotsParams{Flow: key, Limit: 500, After: &store.PilotCursor{CreatedAt: p.to}}
	read := 0
	for {
		page, err := s.store.ListPilots(ctx, lp)
		if err != nil {
			return nil, httpx.StoreProblem(fmt.Errorf("list pilots: %w", err), "pilots")
		}
		if len(page) == 0 {
			return out, nil
		}
		for _, pl := range page {
			if read++; read > ReviewMaxPilots {
				return nil, reportTooLarge("pilots", ReviewMaxPilots, p)
			}
			if pl.EndedAt != nil && pl.EndedAt.Before(p.from) {
				continue
			}
			v := s.toPilotJSON(ctx, pl)
			if public {
				v.CreatedBy, v.StopReason, v.WorkflowID = "", "", ""
			}
			out = append(out, v)
		}
		last := page[len(page)-1]
		lp.After = &store.PilotCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
}

// reviewCycles are the PDCA cycles improving the flow (attribute flow)
// that were open at some time in the period, as listImprovements shows
// them, their counts and the improvements landed among those closed in
// it.
func (s *API) reviewCycles(ctx context.Context, key string, p reviewPeriod, public bool) (apiv1.ReviewImprovements, error) {
	out := apiv1.ReviewImprovements{Cycles: []apiv1.Improvement{}}
	lp := store.ListCasesParams{Flow: apiv1.PDCAFlow, Attributes: []store.AttributeFilter{{Key: "flow", Value: key}}, To: &p.to, Limit: storeCaseLimitMax}
	read := 0
	for {
		page, err := s.store.ListCases(ctx, lp)
		if err != nil {
			return out, httpx.StoreProblem(fmt.Errorf("list cycles: %w", err), "cases")
		}
		if len(page) == 0 {
			break
		}
		for _, c := range page {
			if read++; read > ReviewMaxCycles {
				return out, reportTooLarge("improvement cycles", ReviewMaxCycles, p)
			}
			if c.ClosedAt != nil && c.ClosedAt.Before(p.from) {
				continue
			}
			v, err := s.improvementOf(ctx, c)
			if err != nil {
				return out, err
			}
			cc := &out.Counts
			cc.Active++
			if p.has(c.CreatedAt) {
				cc.Started++
			}
			closedIn := c.ClosedAt != nil && p.has(*c.ClosedAt) && caseClosed(c.Status)
			if closedIn {
				cc.Closed++
				if c.Status == store.CaseCompleted {
					cc.Completed++
					if v.PromotedVersion != nil {
						cc.Standardised++
					}
				}
				if v.Outcome == apiv1.OutcomeAbandoned {
					cc.Abandoned++
				}
			}
			if !caseClosed(c.Status) {
				cc.OpenNow++
			}
			if public {
				if !closedIn || v.Outcome != apiv1.OutcomeStandardised {
					continue
				}
				v.ProposalID = ""
			}
			out.Cycles = append(out.Cycles, v)
		}
		last := page[len(page)-1]
		lp.After = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	out.Landed = rate(out.Counts.Standardised, out.Counts.Completed, LandedTarget)
	return out, nil
}

// reviewProposals are the proposals made in the period, newest first,
// their counts by status and adoption rate, and the improvement KPIs now.
func (s *API) reviewProposals(ctx context.Context, p reviewPeriod) (*apiv1.ReviewProposals, error) {
	out := &apiv1.ReviewProposals{Proposals: []apiv1.Proposal{}}
	lp := store.ListProposalsParams{Limit: 500, After: &store.ProposalCursor{CreatedAt: p.to}}
	read := 0
	for done := false; !done; {
		page, err := s.store.ListProposals(ctx, lp)
		if err != nil {
			return nil, httpx.StoreProblem(fmt.Errorf("list proposals: %w", err), "proposals")
		}
		if len(page) == 0 {
			break
		}
		for _, pr := range page {
			if pr.CreatedAt.Before(p.from) {
				done = true
				break
			}
			if read++; read > ReviewMaxProposals {
				return nil, reportTooLarge("proposals", ReviewMaxProposals, p)
			}
			switch pr.Status {
			case store.ProposalOpen:
				out.Counts.Open++
			case store.ProposalAdopted:
				out.Counts.Adopted++
			case store.ProposalDeclined:
				out.Counts.Declined++
			}
			out.Counts.Total++
			if len(out.Proposals) < reviewProposalsListed {
				out.Proposals = append(out.Proposals, toProposalJSON(pr))
			} else {
				out.Truncated = true
			}
		}
		last := page[len(page)-1]
		lp.After = &store.ProposalCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	out.AdoptionRate = rate(out.Counts.Adopted, out.Counts.Adopted+out.Counts.Declined, AdoptionTarget)
	all, err := s.improvementKPISet(ctx)
	if err != nil {
		return nil, err
	}
	out.AllTime = all
	return out, nil
}

// reviewAlerts are the rules that concern the flow (scoped to it, or to
// no flow) and fired in the period: each time they went to firing, until
// their next change, from their state changes (listAlertEvents).
func (s *API) reviewAlerts(ctx context.Context, key string, p reviewPeriod, now time.Time) (*apiv1.ReviewAlerts, error) {
	out := &apiv1.ReviewAlerts{Fired: []apiv1.ReviewAlert{}}
	var failed error
	err := eachAlertRule(ctx, s.store, func(r store.AlertRule) bool {
		if r.Scope.Flow != "" && r.Scope.Flow != key {
			return true
		}
		out.Rules++
		if r.Seq == 0 {
			return true // never changed state
		}
		a, err := s.reviewAlert(ctx, r, p, now)
		if err != nil {
			failed = err
			return false
		}
		if len(a.Episodes) > 0 {
			out.Fired = append(out.Fired, a)
		}
		return true
	})
	if failed != nil {
		return nil, failed
	}
	if err != nil {
		return nil, httpx.StoreProblem(err, "alert rules")
	}
	slices.SortStableFunc(out.Fired, func(a, b apiv1.ReviewAlert) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// reviewAlert is one rule's firing episodes that overlap the period.
func (s *API) reviewAlert(ctx context.Context, r store.AlertRule, p reviewPeriod, now time.Time) (apiv1.ReviewAlert, error) {
	m, _ := alert.MetricByName(r.Metric)
	out := apiv1.ReviewAlert{Rule: r.ID, Name: r.Name, MetricTitle: m.Title, ScopeText: r.Scope.String(),
		ConditionText: conditionText(m, r.Condition, r.Window), Episodes: []apiv1.ReviewAlertEpisode{}}
	// The changes from the period's start on, newest first, then the one
	// before it (the state the period began in).
	var events []store.AlertEvent
	lp := store.ListAlertEventsParams{RuleID: r.ID, From: &p.from, Limit: 500}
	for {
		page, err := s.store.ListAlertEvents(ctx, lp)
		if err != nil {
			return out, httpx.StoreProblem(fmt.Errorf("list alert events: %w", err), "alert events")
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
		if len(events) > ReviewMaxEntries {
			return out, reportTooLarge(fmt.Sprintf("state changes of alert rule %q", r.Name), ReviewMaxEntries, p)
		}
		lp.Before = page[len(page)-1].Seq
	}
	before := r.Seq + 1
	if len(events) > 0 {
		before = events[len(events)-1].Seq
	}
	if before > 1 {
		prev, err := s.store.ListAlertEvents(ctx, store.ListAlertEventsParams{RuleID: r.ID, Before: before, Limit: 1})
		if err != nil {
			return out, httpx.StoreProblem(fmt.Errorf("list alert events: %w", err), "alert events")
		}
		events = append(events, prev...)
	}
	slices.Reverse(events) // oldest first
	var start *store.AlertEvent
	add := func(end *store.AlertEvent) {
		if start == nil || !start.At.Before(p.to) {
			return
		}
		ep := apiv1.ReviewAlertEpisode{FiredAt: start.At.UTC(), ValueText: valueText(m, start.Value)}
		stop := now
		if end != nil {
			at := end.At.UTC()
			ep.EndedAt, ep.EndedAs, stop = &at, end.To, at
		}
		if stop.Before(p.from) {
			return
		}
		ep.Seconds = stop.Sub(start.At).Seconds()
		out.Episodes = append(out.Episodes, ep)
		lo, hi := start.At, stop
		if lo.Before(p.from) {
			lo = p.from
		}
		if hi.After(p.to) {
			hi = p.to
		}
		if hi.After(lo) {
			out.FiringSeconds += hi.Sub(lo).Seconds()
		}
	}
	for i := range events {
		e := &events[i]
		switch {
		case e.To == alert.Firing:
			start = e
		case e.From == alert.Firing && start != nil:
			add(e)
			start = nil
		}
	}
	add(nil)
	return out, nil
}

// reviewSources name, per section, the request that shows the same figures.
func reviewSources(key string, p reviewPeriod, bottlenecks []apiv1.Bottlenecks, public bool) []apiv1.ReviewSource {
	rng := url.Values{"from": {p.from.Format(time.RFC3339)}, "to": {p.to.Format(time.RFC3339)}}
	withFlow := url.Values{"flow": {key}, "from": rng["from"], "to": rng["to"]}
	k := url.PathEscape(key)
	out := []apiv1.ReviewSource{
		{Section: "KPIs", Request: "GET /api/v1/kpis/service?" + withFlow.Encode()},
		{Section: "complaint rate", Request: "GET /api/v1/kpis/service?" + rng.Encode()},
		{Section: "cycle time", Request: "GET /api/v1/flows/" + k + "/trend?" + rng.Encode()},
	}
	for _, b := range bottlenecks {
		q := url.Values{"version": {strconv.Itoa(b.Version)}, "from": rng["from"], "to": rng["to"]}
		out = append(out, apiv1.ReviewSource{Section: fmt.Sprintf("bottlenecks v%d", b.Version), Request: "GET /api/v1/flows/" + k + "/bottlenecks?" + q.Encode()})
	}
	out = append(out,
		apiv1.ReviewSource{Section: "versions", Request: "GET /api/v1/flows/" + k + "/versions"},
		apiv1.ReviewSource{Section: "pilots", Request: "GET /api/v1/pilots?flow=" + url.QueryEscape(key)},
		apiv1.ReviewSource{Section: "improvement cycles", Request: "GET /api/v1/improvements?" + rng.Encode()},
		apiv1.ReviewSource{Section: "follow-up calls", Request: "GET /api/v1/kpis/service?" + withFlow.Encode()})
	if !public {
		out = append(out,
			apiv1.ReviewSource{Section: "changes", Request: "GET /api/v1/audit?" + rng.Encode()},
			apiv1.ReviewSource{Section: "proposals", Request: "GET /api/v1/proposals?" + rng.Encode()},
			apiv1.ReviewSource{Section: "improvement KPIs", Request: "GET /api/v1/kpis/improvement"},
			apiv1.ReviewSource{Section: "alerts", Request: "GET /api/v1/alerts/{id}/events"})
	}
	return out
}
