package web

import (
	"fmt"
	"math"
	"strings"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/readable"
)

// The simulation's page in words and figures: the request said in a
// phrase, the summary sentence, the table of every figure with its
// interval and unit, and the four charts (simulations_chart.go).

type simulationPageData struct {
	Sim      apiv1.Simulation
	What, By string
	// LogID and LogName are the event log it was calibrated from (none:
	// the flow's own history).
	LogID, LogName              string
	Running, Failed, Succeeded  bool
	Percent                     int
	RefreshSeconds              int
	Summary                     string
	CurrentLabel, ProposedLabel string
	Groups                      []simGroup
	Cycle, Waits, Util, Backlog *svgChart
	Notes                       []simNoteRow
	Res                         *apiv1.SimulationResult
}

// simGroup is a part of the table of figures.
type simGroup struct {
	Title string
	Rows  []simRow
}

// simRow is one figure of both sides and their change, each with its 95 %
// interval, all with units.
type simRow struct {
	Label string
	// Note is said under the label (the work time seen in the history).
	Note                 string
	Current, CurrentCI   string
	Proposed, ProposedCI string
	Change, ChangeCI     string
	// Better or Worse when the change's whole interval says so.
	Better, Worse bool
}

type simNoteRow struct {
	Where, Text string
}

func simulationView(x apiv1.Simulation) simulationPageData {
	p := simulationPageData{Sim: x, What: requestWords(x.Request), Percent: percentOf(x.Progress), RefreshSeconds: simRefreshSeconds}
	switch x.Status {
	case "succeeded":
		p.Succeeded = x.Result != nil
		p.Failed = x.Result == nil
	case "failed":
		p.Failed = true
	default:
		p.Running = true
	}
	if !p.Succeeded {
		return p
	}
	r := x.Result
	p.Res = r
	p.CurrentLabel, p.ProposedLabel = r.Current.Label, r.Proposed.Label
	p.Summary = simSummary(x.Request, r)
	p.Groups = simGroups(r)
	p.Cycle = simCycleChart(r)
	p.Waits = simWaitChart(r)
	p.Util = simUtilChart(r)
	p.Backlog = simBacklogChart(r)
	for _, n := range r.Notes {
		where := ""
		switch {
		case n.Step != "":
			where = "Step " + n.Step
		case n.Department != "":
			where = readable.Name(n.Department)
		}
		p.Notes = append(p.Notes, simNoteRow{Where: where, Text: n.Text})
	}
	return p
}

// hours is "09–17".
func hours(from, to int) string { return fmt.Sprintf("%02d–%02d", from, to) }

// daysWords is when a staffing change applies: "on weekdays" (also for
// none: the API's default), "every day", or the days.
func daysWords(days []string) string {
	set := map[string]bool{}
	for _, d := range days {
		set[strings.ToLower(d)] = true
	}
	week := []string{"mon", "tue", "wed", "thu", "fri"}
	isWeek := len(set) == 5
	for _, d := range week {
		isWeek = isWeek && set[d]
	}
	switch {
	case len(set) == 0 || isWeek:
		return "on weekdays"
	case len(set) == 7:
		return "every day"
	}
	var out []string
	for _, o := range simWeekdays {
		if set[o.Value] {
			out = append(out, o.Label)
		}
	}
	return "on " + strings.Join(out, ", ")
}

var numberWords = []string{"", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten"}

// staffWords says a staffing change: "one more person in Technical
// 09–17 on weekdays", "3 fewer people in …".
func staffWords(c apiv1.StaffChange) string {
	n := c.Delta
	if n < 0 {
		n = -n
	}
	count := fmt.Sprint(n)
	if n < len(numberWords) {
		count = strings.ToLower(numberWords[n])
	}
	more := "more"
	if c.Delta < 0 {
		more = "fewer"
	}
	who := "people"
	if n == 1 {
		who = "person"
	}
	return fmt.Sprintf("%s %s %s in %s %s %s", count, more, who, readable.Name(c.Department), hours(c.FromHour, c.ToHour), daysWords(c.Days))
}

// requestWords is the proposal in a short phrase for lists and titles:
// "v2, +1 in Technical 09–17 on weekdays, 120 % volume".
func requestWords(q apiv1.CreateSimulationRequest) string {
	var parts []string
	switch {
	case q.Definition != nil:
		parts = append(parts, "a draft")
	case q.Version != nil:
		parts = append(parts, fmt.Sprintf("v%d", *q.Version))
	}
	for _, c := range q.Staff {
		parts = append(parts, fmt.Sprintf("%+d in %s %s %s", c.Delta, readable.Name(c.Department), hours(c.FromHour, c.ToHour), daysWords(c.Days)))
	}
	if q.Volume != nil && *q.Volume != 1 {
		parts = append(parts, fmtNum(*q.Volume*100)+" % volume")
	}
	if len(parts) == 0 {
		return "the default version as it runs"
	}
	return strings.Join(parts, ", ")
}

// proposalSubject is the proposal as the subject of the summary: "One
// more person in Technical 09–17 on weekdays", "Version 2 with …".
func proposalSubject(q apiv1.CreateSimulationRequest, r *apiv1.SimulationResult) string {
	var staff []string
	for _, c := range q.Staff {
		staff = append(staff, staffWords(c))
	}
	staffText := joinAnd(staff)
	var s string
	switch {
	case q.Definition != nil:
		s = "The draft"
	case r.Proposed.Version != r.Current.Version:
		s = fmt.Sprintf("Version %d", r.Proposed.Version)
	}
	switch {
	case s != "" && staffText != "":
		s += " with " + staffText
	case staffText != "":
		s = upperFirst(staffText)
	}
	if q.Volume != nil && *q.Volume != 1 {
		vol := fmtNum(*q.Volume*100) + " % of the cases seen"
		if s == "" {
			s = "The volume at " + vol
		} else {
			s += ", at " + vol + ","
		}
	}
	if s == "" {
		s = "The same flow and staffing (a check of the model)"
	}
	return s
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " and " + xs[len(xs)-1]
}

// pctNum is a fraction as a percentage number without the sign: "20",
// "2.5" (a decimal below 10 %, none from 10 % on: the runs' intervals are
// wider than that).
func pctNum(v float64) string { return roundPct(math.Abs(v) * 100) }

func roundPct(p float64) string {
	if math.Abs(p) >= 10 {
		return readable.Number(math.Round(p))
	}
	return readable.Number(math.Round(p*10) / 10)
}

// relPhrase is a relative change as the summary says it, e.g.
// ("shortens", "by 20 % (95 % interval 16–24 %)"); decided only when
// the whole interval is on one side of no change.
func relPhrase(f apiv1.SimFigure) (verb, by string, decided bool) {
	m, lo, hi := *f.Mean, *f.Lo, *f.Hi
	switch {
	case hi < 0:
		return "shortens", fmt.Sprintf("by %s %% (95 %% interval %s–%s %%)", pctNum(m), pctNum(hi), pctNum(lo)), true
	case lo > 0:
		return "lengthens", fmt.Sprintf("by %s %% (95 %% interval %s–%s %%)", pctNum(m), pctNum(lo), pctNum(hi)), true
	}
	return "changes", fmt.Sprintf("by %s (95 %% interval %s to %s)", signedPct(m), signedPct(lo), signedPct(hi)), false
}

func signedPct(v float64) string {
	s := roundPct(v * 100)
	if v > 0 {
		s = "+" + s
	}
	return strings.Replace(s, "-", "−", 1) + " %"
}

func signedPoints(v float64) string {
	s := readable.Number(math.Round(v*1000) / 10)
	if v > 0 {
		s = "+" + s
	}
	return strings.Replace(s, "-", "−", 1)
}

// cycleAt is a side's cycle-time quantile q (nil when absent).
func cycleAt(sc apiv1.SimScenario, q float64) *apiv1.SimFigure {
	for i := range sc.Cycle {
		if sc.Cycle[i].Q == q {
			return &sc.Cycle[i].Seconds
		}
	}
	return nil
}

func known(f *apiv1.SimFigure) bool { return f != nil && f.Mean != nil && f.Lo != nil && f.Hi != nil }

// simSummary is the result in two sentences: what the proposal does to
// the median and the 90th percentile of the cycle time, and to the SLA
// breach rate, each with its interval.
func simSummary(q apiv1.CreateSimulationRequest, r *apiv1.SimulationResult) string {
	subject := proposalSubject(q, r)
	c := r.Change
	if !known(&c.CycleMedian) {
		return subject + ": the runs closed too few cases on one side to compare the cycle times."
	}
	var b strings.Builder
	verb, by, decided := relPhrase(c.CycleMedian)
	fmt.Fprintf(&b, "%s %s the median cycle time %s", subject, verb, by)
	if cm, pm := cycleAt(r.Current, 0.5), cycleAt(r.Proposed, 0.5); known(cm) && known(pm) {
		fmt.Fprintf(&b, ", from %s to %s", fmtSeconds(*cm.Mean), fmtSeconds(*pm.Mean))
	}
	if !decided {
		b.WriteString(": the runs cannot tell it from no change")
	}
	if known(&c.CycleP90) {
		v, by, decided := relPhrase(c.CycleP90)
		fmt.Fprintf(&b, "; it %s the 90th percentile %s", v, by)
		if !decided {
			b.WriteString(", not clearly either way")
		}
	}
	b.WriteString(".")
	cb, pb := r.Current.SLABreachRate, r.Proposed.SLABreachRate
	if known(&c.SLABreachRate) && known(&cb) && known(&pb) {
		m, lo, hi := *c.SLABreachRate.Mean, *c.SLABreachRate.Lo, *c.SLABreachRate.Hi
		move := "changes"
		switch {
		case hi < 0:
			move = "falls"
		case lo > 0:
			move = "rises"
		}
		fmt.Fprintf(&b, " The SLA breach rate %s from %s to %s (%s points, 95 %% interval %s to %s points).", move, fmtPct(*cb.Mean), fmtPct(*pb.Mean),
			signedPoints(m), signedPoints(lo), signedPoints(hi))
	}
	return b.String()
}

// Figures with their intervals, in words and units.

func figDur(f *apiv1.SimFigure) (string, string) {
	if !known(f) {
		return "–", ""
	}
	return fmtSeconds(*f.Mean), fmt.Sprintf("95 %%: %s–%s", fmtSeconds(*f.Lo), fmtSeconds(*f.Hi))
}

func figPct(f *apiv1.SimFigure) (string, string) {
	if !known(f) {
		return "–", ""
	}
	return fmtPct(*f.Mean), fmt.Sprintf("95 %%: %s–%s", fmtPct(*f.Lo), fmtPct(*f.Hi))
}

func figCount(f *apiv1.SimFigure, unit string) (string, string) {
	if !known(f) {
		return "–", ""
	}
	r := func(v float64) string { return readable.Number(math.Round(v*10) / 10) }
	return r(*f.Mean) + " " + unit, fmt.Sprintf("95 %%: %s–%s %s", r(*f.Lo), r(*f.Hi), unit)
}

func changeRel(f apiv1.SimFigure) (string, string, bool, bool) {
	if !known(&f) {
		return "–", "", false, false
	}
	return signedPct(*f.Mean), fmt.Sprintf("95 %%: %s to %s", signedPct(*f.Lo), signedPct(*f.Hi)), *f.Hi < 0, *f.Lo > 0
}

func changePoints(f apiv1.SimFigure) (string, string, bool, bool) {
	if !known(&f) {
		return "–", "", false, false
	}
	return signedPoints(*f.Mean) + " points", fmt.Sprintf("95 %%: %s to %s points", signedPoints(*f.Lo), signedPoints(*f.Hi)), *f.Hi < 0, *f.Lo > 0
}

// notInVersion is what a side shows for a step or department its version
// does not have.
const notInVersion = "(not in this version)"

func quantileName(q float64) string {
	switch q {
	case 0.5:
		return "median"
	case 0.25:
		return "25th percentile"
	case 0.75:
		return "75th percentile"
	}
	return fmt.Sprintf("%.0fth percentile", q*100)
}

func simGroups(r *apiv1.SimulationResult) []simGroup {
	cur, prop := r.Current, r.Proposed
	pair := func(label string, fn func(*apiv1.SimFigure) (string, string), a, b *apiv1.SimFigure) simRow {
		row := simRow{Label: label}
		row.Current, row.CurrentCI = fn(a)
		row.Proposed, row.ProposedCI = fn(b)
		return row
	}
	cycle := simGroup{Title: "Cycle time, arrival to close"}
	for _, q := range cur.Cycle {
		row := pair(upperFirst(quantileName(q.Q)), figDur, cycleAt(cur, q.Q), cycleAt(prop, q.Q))
		switch q.Q {
		case 0.5:
			row.Change, row.ChangeCI, row.Better, row.Worse = changeRel(r.Change.CycleMedian)
		case 0.9:
			row.Change, row.ChangeCI, row.Better, row.Worse = changeRel(r.Change.CycleP90)
		}
		cycle.Rows = append(cycle.Rows, row)
	}
	service := simGroup{Title: "Service level"}
	breach := pair("SLA breach rate (task visits over their SLA)", figPct, &cur.SLABreachRate, &prop.SLABreachRate)
	breach.Change, breach.ChangeCI, breach.Better, breach.Worse = changePoints(r.Change.SLABreachRate)
	service.Rows = append(service.Rows, breach,
		pair("On time (task visits within their SLA)", figPct, &cur.OnTime, &prop.OnTime),
		pair("Cases closed within the case SLA", figPct, &cur.CaseOnTime, &prop.CaseOnTime),
		pair("Task visits escalated", figPct, &cur.Escalated, &prop.Escalated))
	volume := simGroup{Title: "Volume, per run"}
	perDay := simRow{Label: "Expected arrivals a day", Current: readable.Number(cur.CasesPerDay) + " cases", Proposed: readable.Number(prop.CasesPerDay) + " cases"}
	volume.Rows = append(volume.Rows, perDay,
		pair("Cases arrived after the warm-up", func(f *apiv1.SimFigure) (string, string) { return figCount(f, "cases") }, &cur.Arrived, &prop.Arrived),
		pair("Of them closed within the run", func(f *apiv1.SimFigure) (string, string) { return figCount(f, "cases") }, &cur.Done, &prop.Done))
	depts := simGroup{Title: "Departments"}
	for _, d := range apiv1.PairSimDepartments(cur.Departments, prop.Departments) {
		u := simRow{Label: "Utilisation of " + readable.Name(d.Name)}
		h := simRow{Label: "Staffed hours of " + readable.Name(d.Name)}
		u.Current, u.Proposed, h.Current, h.Proposed = notInVersion, notInVersion, notInVersion, notInVersion
		if d.Current != nil {
			u.Current, u.CurrentCI = figPct(&d.Current.Utilisation)
			h.Current = readable.Number(d.Current.PersonHoursWeek) + " person-hours a week"
		}
		if d.Proposed != nil {
			u.Proposed, u.ProposedCI = figPct(&d.Proposed.Utilisation)
			h.Proposed = readable.Number(d.Proposed.PersonHoursWeek) + " person-hours a week"
		}
		depts.Rows = append(depts.Rows, u, h)
	}
	steps := simGroup{Title: "Steps"}
	for _, st := range apiv1.PairSimSteps(cur.Steps, prop.Steps) {
		name := st.Name
		if st.Department != "" {
			name += " (" + readable.Name(st.Department) + ")"
		}
		type part struct {
			label string
			fig   func(*apiv1.SimStep) *apiv1.SimFigure
			fmt   func(*apiv1.SimFigure) (string, string)
		}
		parts := []part{
			{"visits", func(s *apiv1.SimStep) *apiv1.SimFigure { return &s.Visits }, func(f *apiv1.SimFigure) (string, string) { return figCount(f, "visits") }},
		}
		if st.Department != "" {
			parts = append(parts,
				part{"median wait", func(s *apiv1.SimStep) *apiv1.SimFigure { return &s.WaitMedian }, figDur},
				part{"90th percentile of wait", func(s *apiv1.SimStep) *apiv1.SimFigure { return &s.WaitP90 }, figDur})
		}
		parts = append(parts, part{"median work", func(s *apiv1.SimStep) *apiv1.SimFigure { return &s.WorkMedian }, figDur})
		for _, pt := range parts {
			row := simRow{Label: upperFirst(pt.label) + " at " + name, Current: notInVersion, Proposed: notInVersion}
			if st.Current != nil {
				row.Current, row.CurrentCI = pt.fmt(pt.fig(st.Current))
			}
			if st.Proposed != nil {
				row.Proposed, row.ProposedCI = pt.fmt(pt.fig(st.Proposed))
			}
			if pt.label == "median work" {
				for _, side := range []*apiv1.SimStep{st.Current, st.Proposed} {
					if side != nil && side.ObservedWorkMedian != nil {
						row.Note = "seen in the history: " + fmtSeconds(*side.ObservedWorkMedian)
						break
					}
				}
			}
			steps.Rows = append(steps.Rows, row)
		}
	}
	return []simGroup{cycle, service, volume, depts, steps}
}
