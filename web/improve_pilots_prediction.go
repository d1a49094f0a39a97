package web

import (
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/readable"
)

// A pilot's prediction on its page (decision 0045): the simulation of the
// treatment against the control stored when the pilot started, the plan
// it gives (what the page shows first once it is ready), and, once cases
// of both arms closed, the measured change beside the predicted one.

// predictionView is the pilot page's "Prediction" section.
type predictionView struct {
	// None: no prediction stored (yet): the pilot's workflow stores it
	// on its first run; pilots started before predictions have none.
	None                       bool
	SimURL                     string
	Running, Failed, Succeeded bool
	Error                      string
	// Summary is the predicted changes in a sentence, with their 95 %
	// intervals.
	Summary string
	// Plan is the plan in a sentence, or its note when the sample for
	// 80 % power is unknown.
	Plan string
	// The predicted figures with their units and intervals.
	Cycle, CycleCI string
	SLA, SLACI     string
	Measured       *measuredView
}

// measuredView is what the pilot measured beside the prediction.
type measuredView struct {
	Final                          bool
	ControlClosed, TreatmentClosed int
	Change                         string
	Error                          string
	// Verdict is the prediction error against the target, in words;
	// Class its badge.
	Verdict, Class string
}

// predictionTarget is issue 22's target for the prediction error (±15 %).
const predictionTarget = 0.15

func pilotPredictionView(pl apiv1.Pilot) predictionView {
	pr := pl.Prediction
	if pr == nil {
		return predictionView{None: true}
	}
	v := predictionView{SimURL: "/ui/simulations/" + url.PathEscape(pr.SimulationID), Error: pr.Error}
	switch pr.Status {
	case "succeeded":
		v.Succeeded = true
	case "failed":
		v.Failed = true
	default:
		v.Running = true
	}
	if !v.Succeeded {
		return v
	}
	v.Summary = predictionSummary(pl, pr)
	v.Cycle, v.CycleCI, _, _ = changeRel(pr.CycleMedianChange)
	v.SLA, v.SLACI, _, _ = changePoints(pr.SLABreachRateChange)
	if pr.Plan != nil {
		v.Plan = planWords(pl, *pr.Plan)
	}
	if m := pr.Measured; m != nil {
		mv := &measuredView{Final: m.Final, ControlClosed: m.ControlClosed, TreatmentClosed: m.TreatmentClosed, Change: "–", Error: "–"}
		if m.CycleMedianChange != nil {
			mv.Change = signedPct(*m.CycleMedianChange)
		}
		when := " so far"
		if m.Final {
			when = ""
		}
		switch {
		case m.PredictionError == nil || m.WithinTarget == nil:
			mv.Verdict = "not known: the measured or the predicted median is missing"
		case *m.WithinTarget:
			mv.Error = signedPct(*m.PredictionError)
			mv.Verdict, mv.Class = fmt.Sprintf("within the target of ±%s %%%s", pctNum(predictionTarget), when), "ok"
		default:
			mv.Error = signedPct(*m.PredictionError)
			mv.Verdict, mv.Class = fmt.Sprintf("outside the target of ±%s %%%s", pctNum(predictionTarget), when), "bad"
		}
		v.Measured = mv
	}
	return v
}

// predictionSummary is the predicted changes in words: "v2 against v1
// shortens the median cycle time by 20 % (95 % interval 16–24 %); the SLA
// breach rate falls by 1.5 points (95 % interval …)."
func predictionSummary(pl apiv1.Pilot, pr *apiv1.PilotPrediction) string {
	var b strings.Builder
	fmt.Fprintf(&b, "The simulation predicts that v%d, against v%d, ", pl.Treatment, pl.Control)
	if known(&pr.CycleMedianChange) {
		verb, by, decided := relPhrase(pr.CycleMedianChange)
		fmt.Fprintf(&b, "%s the median cycle time %s", verb, by)
		if !decided {
			b.WriteString(", which the runs cannot tell from no change")
		}
	} else {
		b.WriteString("changes the median cycle time by an unknown amount (the runs closed too few cases on one side)")
	}
	if f := pr.SLABreachRateChange; known(&f) {
		m, lo, hi := *f.Mean, *f.Lo, *f.Hi
		move := "changes"
		switch {
		case hi < 0:
			move = "lowers"
		case lo > 0:
			move = "raises"
		}
		by := signedPoints(m)
		if move != "changes" {
			by = strings.TrimLeft(by, "+−")
		}
		fmt.Fprintf(&b, ", and %s the SLA breach rate by %s points (95 %% interval %s to %s points)", move, by, signedPoints(lo), signedPoints(hi))
	}
	b.WriteString(".")
	return b.String()
}

// casesADay is a rate of new cases, one decimal.
func casesADay(x float64) string { return readable.Number(math.Round(x*10) / 10) }

// aboutDays is "about 3.5 days", "about 29 days", "about 1 day".
func aboutDays(d float64) string {
	n := math.Round(d*10) / 10
	if d >= 10 {
		n = math.Round(d)
	}
	unit := "days"
	if n == 1 {
		unit = "day"
	}
	return "about " + readable.Number(n) + " " + unit
}

// planWords is the plan in a sentence: "About 1.4 new cases a day per arm
// (control 1.4, treatment 1.4); the minimum sample of 40 cases per arm is
// reached in about 29 days; 80 % power to detect the predicted change
// needs 120 cases per arm, about 86 days."
func planWords(pl apiv1.Pilot, p apiv1.PilotPlan) string {
	var b strings.Builder
	// beyond says when a duration is past the pilot's maximum duration.
	beyond := func(days float64) string {
		d, err := flow.ParseDuration(pl.MaxDuration)
		if err != nil || d.D() <= 0 || days*24*float64(time.Hour) <= float64(d.D()) {
			return ""
		}
		return fmt.Sprintf(", beyond the pilot's maximum duration (%s)", pl.MaxDuration)
	}
	c, t := casesADay(p.CasesPerDayControl), casesADay(p.CasesPerDayTreatment)
	if c == t {
		fmt.Fprintf(&b, "About %s new cases a day per arm (control %s, treatment %s)", c, c, t)
	} else {
		fmt.Fprintf(&b, "About %s new cases a day in the control arm and %s in the treatment arm", c, t)
	}
	if p.DaysToMinSample != nil {
		fmt.Fprintf(&b, "; the minimum sample of %d cases per arm is reached in %s%s", pl.MinCasesPerArm, aboutDays(*p.DaysToMinSample), beyond(*p.DaysToMinSample))
	} else {
		fmt.Fprintf(&b, "; no case arrived in the calibration window, so when the minimum sample of %d cases per arm is reached is not known", pl.MinCasesPerArm)
	}
	switch {
	case p.CasesFor80Power != nil && p.DaysTo80Power != nil:
		fmt.Fprintf(&b, "; 80 %% power to detect the predicted change needs %d cases per arm, %s%s", *p.CasesFor80Power, aboutDays(*p.DaysTo80Power), beyond(*p.DaysTo80Power))
	case p.CasesFor80Power != nil:
		fmt.Fprintf(&b, "; 80 %% power to detect the predicted change needs %d cases per arm", *p.CasesFor80Power)
	case p.Note != "":
		b.WriteString("; " + p.Note)
	}
	b.WriteString(".")
	return b.String()
}
