package report

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flowgraph"
	"github.com/flowlab/flowlab/readable"
)

// view is what the template shows: every text written here, with its
// unit, so that the template only lays it out.
type view struct {
	CSS                                   template.CSS
	Title, FlowName, Flow                 string
	KindTitle, PeriodTitle, PeriodRange   string
	Variant, VariantTitle, Generated      string
	Public, Partial                       bool
	Notes, Omitted                        []string
	Sources                               []apiv1.ReviewSource
	Bounds                                string
	Contents                              []link
	Summary                               []string
	KPIs                                  kpiSection
	Cycle                                 cycleSection
	Bottlenecks                           []bottleneckView
	BottlenecksEmpty                      string
	Changes                               changesView
	Pilots                                []pilotView
	PilotsEmpty                           string
	Cycles                                cyclesView
	Proposals                             *proposalsView
	Alerts                                *alertsView
	FollowUps                             followUpView
	PeriodName, PeriodWord, PeriodInWords string
}

type link struct{ ID, Title string }

// cell is a number as the document shows it: its text with its unit, the
// JSON's value (data-raw, empty for null) and a name for tests.
type cell struct {
	Text, Raw, TestID, Class string
}

func nullable(v *float64, format func(float64) string, testID string) cell {
	if v == nil {
		return cell{Text: noData, TestID: testID, Class: "none"}
	}
	return cell{Text: format(*v), Raw: raw(v), TestID: testID}
}

func number(v float64, format func(float64) string, testID string) cell {
	return cell{Text: format(v), Raw: rawF(v), TestID: testID}
}

func integer(n int, testID string) cell {
	return cell{Text: count(n), Raw: strconv.Itoa(n), TestID: testID}
}

// build makes the view of a pack.
func build(p apiv1.ReviewPack, opt Options) view {
	v := view{CSS: template.CSS(css), Flow: p.Flow, FlowName: p.FlowName, Variant: p.Variant, Public: p.Variant == apiv1.ReviewPublic,
		Partial: p.Partial, Notes: p.Notes, Omitted: p.Omitted, Sources: p.Sources, Generated: when(p.GeneratedAt),
		PeriodTitle: periodTitle(p.Kind, p.From), PeriodRange: periodRange(p.From, p.To), PeriodName: p.Period}
	if v.FlowName == "" {
		v.FlowName = readable.Name(p.Flow)
	}
	v.KindTitle, v.PeriodWord = "Monthly review", "month"
	if p.Kind == apiv1.ReviewQuarterly {
		v.KindTitle, v.PeriodWord = "Quarterly review", "quarter"
	}
	v.PeriodInWords = "in " + v.PeriodTitle
	v.VariantTitle = "Internal: for the process review meeting"
	if v.Public {
		v.VariantTitle = "For publication to customers"
	}
	v.Title = fmt.Sprintf("%s — %s, %s", v.FlowName, strings.ToLower(v.KindTitle[:1])+v.KindTitle[1:], v.PeriodTitle)
	v.Bounds = fmt.Sprintf("A pack reads at most %s case rows, %s improvement cycles, %s pilots, %s proposals and %s audit entries or alert state changes of each kind; a period holding more is refused rather than read in part.",
		count(p.Bounds.Cases), count(p.Bounds.Cycles), count(p.Bounds.Pilots), count(p.Bounds.Proposals), count(p.Bounds.Entries))

	v.KPIs = kpisOf(p)
	v.Cycle = cycleOf(p)
	v.Contents = []link{{"kpis", "Service KPIs against their targets"}, {"trend", "Trend"}, {"cycle-time", "Cycle time"}}
	if !v.Public {
		v.Bottlenecks = bottlenecksOf(p, opt)
		v.BottlenecksEmpty = fmt.Sprintf("No step of the flow was entered %s: there is no bottleneck to show.", v.PeriodInWords)
		v.Contents = append(v.Contents, link{"bottlenecks", "Bottlenecks and heat map"})
	}
	v.Changes = changesOf(p, v.PeriodInWords)
	v.Pilots = pilotsOf(p)
	v.PilotsEmpty = fmt.Sprintf("No pilot of the flow ran %s.", v.PeriodInWords)
	v.Cycles = cyclesOf(p, v.PeriodInWords)
	v.Contents = append(v.Contents, link{"changes", "What changed"}, link{"pilots", "Pilots and their results"}, link{"improvements", "Improvement cycles (PDCA)"})
	if p.Proposals != nil {
		pv := proposalsOf(*p.Proposals, v.PeriodInWords)
		v.Proposals = &pv
		v.Contents = append(v.Contents, link{"proposals", "Proposals"})
	}
	if p.Alerts != nil {
		av := alertsOf(*p.Alerts, v.PeriodInWords)
		v.Alerts = &av
		v.Contents = append(v.Contents, link{"alerts", "Alerts"})
	}
	v.FollowUps = followUpsOf(p, v.PeriodInWords)
	v.Contents = append(v.Contents, link{"follow-ups", "Follow-up calls"}, link{"sources", "Where the figures come from"})
	v.Summary = summaryOf(p, v)
	return v
}

// summaryOf is the first page's few sentences: what the period looked
// like in figures the sections show in detail.
func summaryOf(p apiv1.ReviewPack, v view) []string {
	k := p.Figures.KPIs
	var out []string
	if k.Cases == 0 {
		out = append(out, fmt.Sprintf("No case of the flow was created %s.", v.PeriodInWords))
	} else {
		met, measured := 0, 0
		for _, r := range v.KPIs.Rows {
			if r.State == "meets target" || r.State == "misses target" {
				measured++
				if r.State == "meets target" {
					met++
				}
			}
		}
		out = append(out, fmt.Sprintf("%s created %s; %d of the %d KPIs with data meet their target.", plural(k.Cases, "case was", "cases were"), v.PeriodInWords, met, measured))
	}
	if ct := p.Figures.CycleTime; ct.N > 0 && ct.MedianSeconds != nil {
		out = append(out, fmt.Sprintf("%s completed, in a median of %s from creation to close.", plural(ct.N, "case", "cases"), dur(*ct.MedianSeconds)))
	}
	if n := len(p.Changes.Promotions) + len(p.Changes.Defaults); n > 0 {
		out = append(out, fmt.Sprintf("The flow's default version changed %s.", plural(n, "time", "times")))
	}
	if c := p.Improvements.Counts; c.Standardised > 0 {
		out = append(out, fmt.Sprintf("%s standardised: an improvement landed.", plural(c.Standardised, "improvement cycle was", "improvement cycles were")))
	}
	if p.Alerts != nil && len(p.Alerts.Fired) > 0 {
		out = append(out, fmt.Sprintf("%s fired.", plural(len(p.Alerts.Fired), "alert rule", "alert rules")))
	}
	return out
}

// KPIs.

type kpiDef struct {
	Key, Label, Hint, NLabel string
	Format                   func(float64) string
	NoTarget                 bool
	get                      func(apiv1.ReviewPeriod) kpiValue
}

type kpiValue struct {
	V      *float64
	N      int
	Target float64
	Dir    string
	Meets  *bool
	Extra  string
	NLabel string
}

var kpiDefs = []kpiDef{
	{Key: "csat", Label: "CSAT", Hint: "answers of 4 or 5 (top-2-box)", Format: pct, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.KPIs.CSAT
		v := kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "answers"}
		if c.Mean != nil {
			v.Extra = "mean " + num(*c.Mean) + " of 5"
		}
		return v
	}},
	{Key: "nps", Label: "NPS", Hint: "% promoters − % detractors", Format: func(x float64) string { return num(x) + " points" }, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.KPIs.NPS
		v := kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "answers"}
		if c.N > 0 {
			v.Extra = fmt.Sprintf("%s, %s", plural(c.Promoters, "promoter", "promoters"), plural(c.Detractors, "detractor", "detractors"))
		}
		return v
	}},
	{Key: "fcr", Label: "First-contact resolution", Hint: "resolved at first contact and not reopened", Format: pct, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.KPIs.FCR
		return kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "completed cases with a known resolution"}
	}},
	{Key: "first_response", Label: "First response time", Hint: "median, creation to the first claim", Format: dur, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.KPIs.FirstResponse
		v := kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "cases claimed"}
		if c.P90 != nil {
			v.Extra = "p90 " + dur(*c.P90)
		}
		return v
	}},
	{Key: "on_time", Label: "On-time rate", Hint: "tasks completed within their SLA", Format: pct, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.KPIs.OnTime
		return kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "task spans with an SLA"}
	}},
	{Key: "complaint_rate", Label: "Complaint rate", Hint: "complaint cases of all service cases, every flow", Format: pct, get: func(p apiv1.ReviewPeriod) kpiValue {
		c := p.ComplaintRate
		return kpiValue{V: c.Value, N: c.N, Target: c.Target, Dir: c.Direction, Meets: c.MeetsTarget, NLabel: "service cases of every flow"}
	}},
	{Key: "perceived_improvement", Label: "Perceived improvement", Hint: "follow-up calls answered yes, of yes and no", Format: pct, NoTarget: true,
		get: func(p apiv1.ReviewPeriod) kpiValue {
			c := p.KPIs.PerceivedImprovement
			v := kpiValue{V: c.Value, N: c.N, NLabel: "calls answered yes or no"}
			if c.NotSure > 0 {
				v.Extra = plural(c.NotSure, "not sure", "not sure")
			}
			return v
		}},
}

type kpiRow struct {
	Key, Label, Hint string
	Value            cell
	Target, State    string
	Class            string // ok, bad, none
	N                cell
	NLabel, Extra    string
	Trend            []cell
}

type kpiSection struct {
	Cases   cell
	Empty   string
	Rows    []kpiRow
	Periods []string
	Charts  []template.HTML
}

func targetText(d kpiDef, v kpiValue) string {
	if d.NoTarget {
		return "none set"
	}
	op := "at least"
	if v.Dir == apiv1.AtMost {
		op = "at most"
	}
	return op + " " + d.Format(v.Target)
}

func kpisOf(p apiv1.ReviewPack) kpiSection {
	s := kpiSection{Cases: integer(p.Figures.KPIs.Cases, "kpi-cases")}
	if p.Figures.KPIs.Cases == 0 {
		s.Empty = fmt.Sprintf("No case of the flow was created in %s: its KPIs have no data (the complaint rate counts every flow).", periodTitle(p.Kind, p.From))
	}
	for _, t := range p.Trend {
		s.Periods = append(s.Periods, periodShort(p.Kind, t.From))
	}
	for _, d := range kpiDefs {
		v := d.get(p.Figures)
		r := kpiRow{Key: d.Key, Label: d.Label, Hint: d.Hint, Value: nullable(v.V, d.Format, "kpi-"+d.Key), Target: targetText(d, v),
			N: integer(v.N, "kpi-"+d.Key+"-n"), NLabel: v.NLabel, Extra: v.Extra, State: noData, Class: "none"}
		switch {
		case d.NoTarget && v.V != nil:
			r.State, r.Class = "no target", ""
		case v.Meets != nil && *v.Meets:
			r.State, r.Class = "meets target", "ok"
		case v.Meets != nil:
			r.State, r.Class = "misses target", "bad"
		}
		series := chartSeries{Name: d.Label, Colour: colourMain}
		for i, t := range p.Trend {
			tv := d.get(t)
			r.Trend = append(r.Trend, nullable(tv.V, d.Format, fmt.Sprintf("trend-%s-%d", d.Key, i)))
			series.Values = append(series.Values, tv.V)
		}
		s.Rows = append(s.Rows, r)
		c := lineChart{Title: d.Label, Labels: s.Periods, Series: []chartSeries{series}, Format: d.Format, TestID: "chart-" + d.Key,
			Rate: d.Key != "nps" && d.Key != "first_response", Duration: d.Key == "first_response"}
		if !d.NoTarget {
			tg := v.Target
			c.Target, c.TargetLabel = &tg, "target "+targetText(d, v)
		}
		s.Charts = append(s.Charts, c.svg())
	}
	return s
}

// Cycle time.

type cycleRow struct {
	Period                           string
	N, Median, P90, Breach, Breached cell
}

type cycleSection struct {
	Rows  []cycleRow
	Chart template.HTML
	Empty string
}

func cycleOf(p apiv1.ReviewPack) cycleSection {
	var s cycleSection
	med := chartSeries{Name: "median", Colour: colourMain}
	p90 := chartSeries{Name: "90th percentile", Colour: colourSecond}
	var labels []string
	for i, t := range p.Trend {
		ct := t.CycleTime
		id := func(what string) string { return fmt.Sprintf("cycle-%s-%d", what, i) }
		s.Rows = append(s.Rows, cycleRow{Period: periodTitle(p.Kind, t.From), N: integer(ct.N, id("n")), Median: nullable(ct.MedianSeconds, dur, id("median")),
			P90: nullable(ct.P90Seconds, dur, id("p90")), Breach: nullable(ct.SLABreachRate, pct, id("breach")),
			Breached: cell{Text: fmt.Sprintf("%s of %s", count(ct.BreachedSpans), plural(ct.TaskSpans, "task span", "task spans")), Raw: strconv.Itoa(ct.BreachedSpans), TestID: id("breached")}})
		med.Values = append(med.Values, ct.MedianSeconds)
		p90.Values = append(p90.Values, ct.P90Seconds)
		labels = append(labels, periodShort(p.Kind, t.From))
	}
	if p.Figures.CycleTime.N == 0 {
		s.Empty = fmt.Sprintf("No case of the flow was completed in %s: its cycle time has no data.", periodTitle(p.Kind, p.From))
	}
	s.Chart = lineChart{Title: "Cycle time, creation to close", Labels: labels, Series: []chartSeries{med, p90}, Format: dur, TestID: "chart-cycle-time",
		Width: 640, Duration: true}.svg()
	return s
}

// Bottlenecks.

type stepRow struct {
	Step, Department, Kind string
	Cases                  cell
	WaitP50, WaitP90       cell
	WorkP50, WorkP90       cell
	Breach, Escalations    cell
	Share                  cell
	Swatch, Bar            template.HTML
	Bottleneck             bool
	HeatColour             string
}

type bottleneckView struct {
	Version      int
	Cases        cell
	Steps        []stepRow
	Graph        template.HTML
	GraphMissing string
	Scale        []string
}

func bottlenecksOf(p apiv1.ReviewPack, opt Options) []bottleneckView {
	var out []bottleneckView
	for _, b := range p.Bottlenecks {
		heat := flowgraph.Heat{Metric: flowgraph.MetricShare, Thresholds: flowgraph.MetricShare.DefaultThresholds(), FromData: true,
			Stats: map[string]flowgraph.Stats{}}
		for _, st := range b.Steps {
			heat.Stats[st.Step] = flowgraph.Stats{Cases: st.Cases, Share: st.Share, SLABreachRate: st.SLABreachRate}
		}
		scale := heat.Scale()
		bv := bottleneckView{Version: b.Version, Cases: integer(b.Cases, fmt.Sprintf("bottleneck-v%d-cases", b.Version)), Scale: scale.Caption(flowgraph.MetricShare)}
		for _, st := range b.Steps {
			id := func(what string) string { return fmt.Sprintf("step-%s-v%d-%s", what, b.Version, st.Step) }
			colour := scale.Colour(st.Share)
			bv.Steps = append(bv.Steps, stepRow{Step: st.Step, Department: readable.Name(st.Department), Kind: st.Kind,
				Cases: integer(st.Cases, id("cases")), WaitP50: number(st.Wait.P50, dur, id("wait-p50")), WaitP90: number(st.Wait.P90, dur, id("wait-p90")),
				WorkP50: number(st.Work.P50, dur, id("work-p50")), WorkP90: number(st.Work.P90, dur, id("work-p90")),
				Breach: number(st.SLABreachRate, pct, id("breach")), Escalations: integer(st.Escalations, id("escalations")),
				Share: number(st.Share, pct, id("share")), Swatch: swatch(colour), Bar: bar(st.Share, colour), Bottleneck: st.Bottleneck,
				HeatColour: colour})
		}
		g, ok := opt.Graphs[b.Version]
		switch {
		case !ok:
			bv.GraphMissing = "The heat map was not drawn for this document; the table has its figures."
		case g.Missing != "":
			bv.GraphMissing = "The heat map is not drawn: " + g.Missing + ". The table has its figures."
		default:
			svg, err := inlineSVG(g.SVG, fmt.Sprintf("v%d-", b.Version))
			if err != nil {
				bv.GraphMissing = "The heat map is not shown: " + err.Error() + ". The table has its figures."
			} else {
				bv.Graph = svg
			}
		}
		out = append(out, bv)
	}
	return out
}

// What changed.

type changeRow struct {
	When, What, By string
}

type changesView struct {
	Versions, Defaults, Promotions, Migrations []changeRow
	Empty                                      string
}

func changesOf(p apiv1.ReviewPack, in string) changesView {
	var v changesView
	c := p.Changes
	for _, ver := range c.Versions {
		what := fmt.Sprintf("v%d “%s”", ver.Version, ver.Name)
		var parts []string
		if ver.Published {
			what += " published"
			if ver.ComparedTo > 0 {
				if len(ver.StepsAdded) > 0 {
					parts = append(parts, "steps added: "+strings.Join(ver.StepsAdded, ", "))
				}
				if len(ver.StepsRemoved) > 0 {
					parts = append(parts, "steps removed: "+strings.Join(ver.StepsRemoved, ", "))
				}
				if len(ver.StepsChanged) > 0 {
					parts = append(parts, "steps changed: "+strings.Join(ver.StepsChanged, ", "))
				}
				if ver.HandoffsAdded > 0 || ver.HandoffsRemoved > 0 {
					parts = append(parts, fmt.Sprintf("department handoffs: %d added, %d removed", ver.HandoffsAdded, ver.HandoffsRemoved))
				}
				if len(parts) == 0 {
					parts = append(parts, "the same steps")
				}
				what += fmt.Sprintf(" (against v%d: %s)", ver.ComparedTo, strings.Join(parts, "; "))
			}
		}
		if ver.RetiredAt != nil {
			what += "; retired " + when(*ver.RetiredAt)
		}
		v.Versions = append(v.Versions, changeRow{When: when(ver.PublishedAt), What: what, By: ver.PublishedBy})
	}
	for _, d := range c.Defaults {
		v.Defaults = append(v.Defaults, changeRow{When: when(d.At), What: fmt.Sprintf("new cases get v%d (was v%d)", d.To, d.From), By: d.By})
	}
	for _, pr := range c.Promotions {
		v.Promotions = append(v.Promotions, changeRow{When: when(pr.At), What: fmt.Sprintf("the %s arm of pilot %s promoted: v%d is the default", pr.Arm, shortID(pr.PilotID), pr.Version), By: pr.By})
	}
	for _, m := range c.Migrations {
		what := fmt.Sprintf("v%d → v%d: %s migrated, %s refused, %s failed, of %s", m.From, m.To, count(m.Migrated), count(m.Refused), count(m.Failed), plural(m.Cases, "case", "cases"))
		if m.Truncated {
			what += " (more remained)"
		}
		if m.Aborted {
			what += " (stopped: the engine was unavailable)"
		}
		v.Migrations = append(v.Migrations, changeRow{When: when(m.At), What: what, By: m.By})
	}
	if len(v.Versions)+len(v.Defaults)+len(v.Promotions)+len(v.Migrations) == 0 {
		v.Empty = fmt.Sprintf("Nothing changed %s: no version was published or retired, no default was chosen, no pilot arm was promoted%s.", in,
			map[bool]string{true: "", false: " and no case was migrated"}[p.Variant == apiv1.ReviewPublic])
	}
	return v
}

func shortID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// Pilots.

type metricRow struct {
	Metric, Primary, Control, Treatment, Effect, CI, P, Verdict string
}

type pilotView struct {
	ID, Title, Status, Winner, Recommendation, Stop, Ran string
	Arms                                                 string
	Metrics                                              []metricRow
	NoResults                                            string
	Guardrails                                           []string
}

func metricValue(m experiment.MetricResult, v float64) string {
	switch m.Unit {
	case "relative":
		return dur(v) + " median"
	case "proportion":
		return pct(v)
	default:
		return num(v) + " of 5"
	}
}

func metricEffect(m experiment.MetricResult, v float64) string {
	switch m.Unit {
	case "relative":
		return signedPct(v)
	case "proportion":
		return points(v)
	default:
		return strings.Replace(fmt.Sprintf("%+.2f points", v), "-", "−", 1)
	}
}

// metricName names a pilot's metric.
func metricName(m experiment.Metric) string {
	switch m {
	case experiment.CycleTime:
		return "Cycle time"
	case experiment.SLABreachRate:
		return "SLA breach rate"
	case experiment.FCR:
		return "First-contact resolution"
	case experiment.CSAT:
		return "CSAT"
	}
	return readable.Name(string(m))
}

// worsening writes a guardrail's margin in its unit: relative for the
// cycle time, proportion points for rates, points of 5 for CSAT.
func worsening(m experiment.Metric, v float64) string {
	switch m {
	case experiment.CycleTime:
		return pct(v)
	case experiment.CSAT:
		return num(v) + " points"
	}
	return strings.TrimPrefix(points(v), "+")
}

func pilotsOf(p apiv1.ReviewPack) []pilotView {
	var out []pilotView
	for _, pl := range p.Pilots {
		pv := pilotView{ID: pl.ID, Title: fmt.Sprintf("v%d (control) against v%d (treatment)", pl.Control, pl.Treatment),
			Status: pl.Status, Winner: pl.Winner, Recommendation: pl.Recommendation, Stop: pl.StopReason,
			Ran: "from " + when(pl.CreatedAt)}
		if pl.EndedAt != nil {
			pv.Ran += " to " + when(*pl.EndedAt)
		} else {
			pv.Ran += ", still running"
		}
		pv.Arms = fmt.Sprintf("%s of new %ss to the treatment; primary metric %s; planned %s per arm", pct(pl.Share/100), pl.Unit,
			metricName(experiment.Metric(pl.PrimaryMetric)), plural(pl.MinCasesPerArm, "case", "cases"))
		if pl.PromotedArm != "" {
			pv.Status += ": the " + pl.PromotedArm + " arm is the flow's default"
		}
		if pv.Winner == "" {
			pv.Winner = "none (no significant difference, or not concluded)"
		}
		ev := pl.Results
		if ev == nil {
			pv.NoResults = "No evaluation stored yet."
		} else {
			for _, arm := range []string{"control", "treatment"} {
				if a, ok := ev.Arms[arm]; ok {
					pv.Arms += fmt.Sprintf("; %s: %s, %s closed", arm, plural(a.N, "case", "cases"), count(a.Closed))
				}
			}
			for _, m := range ev.Metrics {
				row := metricRow{Metric: metricName(m.Metric), Verdict: m.Verdict,
					Control: metricValue(m, m.Control) + " (n " + count(m.NControl) + ")", Treatment: metricValue(m, m.Treatment) + " (n " + count(m.NTreatment) + ")",
					Effect: metricEffect(m, m.Effect), CI: metricEffect(m, m.CILow) + " to " + metricEffect(m, m.CIHigh),
					P: strconv.FormatFloat(m.P, 'g', 3, 64)}
				if m.Primary {
					row.Primary = "primary"
				}
				if m.NControl == 0 || m.NTreatment == 0 {
					row.Control, row.Treatment, row.Effect, row.CI, row.P = noData, noData, readable.Dash, readable.Dash, readable.Dash
				}
				pv.Metrics = append(pv.Metrics, row)
			}
			for _, g := range ev.Guardrails {
				state := "held"
				if g.Breached {
					state = "breached"
				}
				pv.Guardrails = append(pv.Guardrails, fmt.Sprintf("%s may not worsen by more than %s: %s", metricName(g.Metric), worsening(g.Metric, g.MaxWorsening), state))
			}
		}
		out = append(out, pv)
	}
	return out
}

// Improvement cycles.

type cycleView struct {
	Metric, Stage, Outcome, Baseline, Target, Pilot, Promoted, Created, Closed, ID string
}

type cyclesView struct {
	Rows   []cycleView
	Counts []cell
	Labels []string
	Landed cell
	Target string
	Empty  string
	Public bool
}

func cycleMetric(metric string, v *float64) string {
	if v == nil {
		return readable.Dash
	}
	switch metric {
	case "cycle_time":
		return dur(*v)
	case "sla_breach_rate", "fcr":
		return pct(*v)
	}
	return num(*v)
}

func cyclesOf(p apiv1.ReviewPack, in string) cyclesView {
	im := p.Improvements
	c := im.Counts
	v := cyclesView{Public: p.Variant == apiv1.ReviewPublic, Landed: nullable(im.Landed.Value, pct, "cycles-landed"),
		Target: "at least " + pct(im.Landed.Target)}
	v.Labels = []string{"open in the period", "started", "closed", "completed", "standardised", "abandoned", "still open"}
	for i, n := range []int{c.Active, c.Started, c.Closed, c.Completed, c.Standardised, c.Abandoned, c.OpenNow} {
		v.Counts = append(v.Counts, integer(n, "cycles-"+strings.ReplaceAll(v.Labels[i], " ", "-")))
	}
	for _, cy := range im.Cycles {
		r := cycleView{Metric: readable.Name(cy.Metric), Stage: cy.Stage, Outcome: cy.Outcome, Baseline: cycleMetric(cy.Metric, cy.BaselineValue),
			Target: cycleMetric(cy.Metric, cy.Target), Created: day(cy.CreatedAt), Closed: readable.Dash, ID: shortID(cy.CaseID), Promoted: readable.Dash}
		if cy.ClosedAt != nil {
			r.Closed = day(*cy.ClosedAt)
		}
		if cy.PromotedVersion != nil {
			r.Promoted = fmt.Sprintf("v%d", *cy.PromotedVersion)
		}
		r.Pilot = readable.Dash
		if cy.PilotID != "" {
			r.Pilot = cy.PilotStatus
			if r.Pilot == "" {
				r.Pilot = "running"
			}
			if cy.PilotWinner != "" {
				r.Pilot += ", " + cy.PilotWinner + " won"
			}
		}
		v.Rows = append(v.Rows, r)
	}
	if len(im.Cycles) == 0 {
		v.Empty = fmt.Sprintf("No improvement cycle of the flow was open %s.", in)
		if v.Public {
			v.Empty = fmt.Sprintf("No improvement of the flow was standardised %s.", in)
		}
	}
	return v
}

// Proposals.

type proposalRow struct {
	Title, Status, Author, Created string
	Votes                          cell
}

type proposalsView struct {
	Rows                                   []proposalRow
	Counts                                 []cell
	Labels                                 []string
	Rate, AllRate, AllLanded               cell
	RateTarget, AllRateNote, AllLandedNote string
	Empty                                  string
	Truncated                              bool
	Listed                                 int
}

func proposalsOf(p apiv1.ReviewProposals, in string) proposalsView {
	v := proposalsView{Truncated: p.Truncated, Listed: len(p.Proposals), Rate: nullable(p.AdoptionRate.Value, pct, "proposals-adoption"),
		RateTarget: "at least " + pct(p.AdoptionRate.Target), AllRate: nullable(p.AllTime.AdoptionRate.Value, pct, "proposals-adoption-all"),
		AllLanded: nullable(p.AllTime.ImprovementsLanded.Value, pct, "improvements-landed-all")}
	v.AllRateNote = fmt.Sprintf("%d adopted of %d decided", p.AllTime.AdoptionRate.Numerator, p.AllTime.AdoptionRate.Denominator)
	v.AllLandedNote = fmt.Sprintf("%d standardised of %d completed cycles", p.AllTime.ImprovementsLanded.Numerator, p.AllTime.ImprovementsLanded.Denominator)
	v.Labels = []string{"made", "open", "adopted", "declined"}
	for i, n := range []int{p.Counts.Total, p.Counts.Open, p.Counts.Adopted, p.Counts.Declined} {
		v.Counts = append(v.Counts, integer(n, "proposals-"+v.Labels[i]))
	}
	for _, pr := range p.Proposals {
		author := "anonymous"
		if pr.Author != nil {
			author = *pr.Author
		}
		v.Rows = append(v.Rows, proposalRow{Title: pr.Title, Status: pr.Status, Author: author, Created: day(pr.CreatedAt), Votes: integer(pr.Votes, "")})
	}
	if p.Counts.Total == 0 {
		v.Empty = fmt.Sprintf("No proposal was made %s.", in)
	}
	return v
}

// Alerts.

type episodeRow struct {
	Fired, Value, Ended, Lasted string
	LastedRaw                   string
}

type alertView struct {
	Name, Condition, Scope string
	Fired                  cell
	Firing                 cell
	Episodes               []episodeRow
}

type alertsView struct {
	Rules cell
	Rows  []alertView
	Empty string
}

func alertsOf(a apiv1.ReviewAlerts, in string) alertsView {
	v := alertsView{Rules: integer(a.Rules, "alerts-rules")}
	for _, r := range a.Fired {
		av := alertView{Name: r.Name, Condition: r.ConditionText, Scope: r.ScopeText, Fired: cell{Text: plural(len(r.Episodes), "time", "times"), Raw: strconv.Itoa(len(r.Episodes)), TestID: "alert-fired"},
			Firing: number(r.FiringSeconds, dur, "alert-firing-seconds")}
		for _, e := range r.Episodes {
			row := episodeRow{Fired: when(e.FiredAt), Value: e.ValueText, Lasted: dur(e.Seconds), LastedRaw: rawF(e.Seconds), Ended: "still firing"}
			if e.EndedAt != nil {
				row.Ended = e.EndedAs + " " + when(*e.EndedAt)
			} else {
				row.Lasted += " so far"
			}
			av.Episodes = append(av.Episodes, row)
		}
		v.Rows = append(v.Rows, av)
	}
	if len(a.Fired) == 0 {
		v.Empty = fmt.Sprintf("No alert rule that concerns the flow fired %s.", in)
	}
	return v
}

// Follow-up calls.

type followUpView struct {
	Declared, Realised                                  cell
	Eligible, Sampled, Due, Opened, Answered, Unreached cell
	Perceived                                           cell
	PerceivedN                                          string
	Empty                                               string
	Low                                                 bool
}

func followUpsOf(p apiv1.ReviewPack, in string) followUpView {
	pi := p.Figures.KPIs.PerceivedImprovement
	v := followUpView{Perceived: nullable(pi.Value, pct, "followup-perceived"),
		PerceivedN: fmt.Sprintf("%s yes of %s answered yes or no; %s not sure", count(pi.Count), count(pi.N), count(pi.NotSure))}
	f := p.FollowUps
	if f == nil {
		v.Empty = fmt.Sprintf("None of the flow's cases created %s asks for a follow-up call (its versions declare no follow_up, or no case completed).", in)
		return v
	}
	v.Declared = number(f.DeclaredShare, pct, "followup-declared")
	v.Realised = nullable(f.RealisedShare, pct, "followup-realised")
	v.Eligible, v.Sampled, v.Due = integer(f.Eligible, "followup-eligible"), integer(f.Sampled, "followup-sampled"), integer(f.Due, "followup-due")
	v.Opened, v.Answered, v.Unreached = integer(f.Opened, "followup-opened"), integer(f.Answered, "followup-answered"), integer(f.Unreachable, "followup-unreachable")
	// As the KPI page marks it: more than three standard errors of a
	// share of f.Due below the declared share (decision 0041).
	if f.RealisedShare != nil && f.Due > 0 {
		se := math.Sqrt(f.DeclaredShare * (1 - f.DeclaredShare) / float64(f.Due))
		v.Low = *f.RealisedShare < f.DeclaredShare-3*se
	}
	return v
}
