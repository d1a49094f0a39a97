package experiment

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

func metricName(m Metric) string {
	switch m {
	case CycleTime:
		return "median cycle time"
	case SLABreachRate:
		return "SLA breach rate"
	case FCR:
		return "first-contact resolution rate"
	case CSAT:
		return "mean CSAT"
	}
	return string(m)
}

// level is the confidence level in percent, "95".
func level(alpha float64) string {
	return strconv.FormatFloat(math.Round(1000*(1-alpha))/10, 'f', -1, 64)
}

func pValue(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'g', 2, 64)
}

// magnitude formats |x| in the metric's unit: "41%", "6.2 points", "0.31 points".
func magnitude(m Metric, x float64) string {
	x = math.Abs(x)
	switch m {
	case CycleTime:
		if x < 0.095 {
			return fmt.Sprintf("%.1f%%", 100*x)
		}
		return fmt.Sprintf("%.0f%%", 100*x)
	case SLABreachRate, FCR:
		return fmt.Sprintf("%.1f points", 100*x)
	}
	return fmt.Sprintf("%.2f points", x)
}

// signed formats x with its sign in the metric's unit: "-12%", "+3.1 points".
func signed(m Metric, x float64) string {
	s := "+"
	if x < 0 {
		s = "−"
	}
	return s + magnitude(m, x)
}

// levels formats the two arms' summaries: "40.0% vs 10.0%", "4.21 vs 3.90".
func levels(m Metric, r MetricResult) string {
	switch m {
	case CycleTime:
		return fmt.Sprintf("median %s vs %s", duration(r.Treatment), duration(r.Control))
	case SLABreachRate, FCR:
		return fmt.Sprintf("%.1f%% vs %.1f%%", 100*r.Treatment, 100*r.Control)
	}
	return fmt.Sprintf("%.2f vs %.2f", r.Treatment, r.Control)
}

// duration formats seconds the way a team reads them: "45s", "12.5 min", "3.2 h", "2.1 d".
func duration(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.0fs", s)
	case s < 3600:
		return fmt.Sprintf("%.1f min", s/60)
	case s < 86400:
		return fmt.Sprintf("%.1f h", s/3600)
	}
	return fmt.Sprintf("%.1f d", s/86400)
}

// interval formats the CI. When it lies on one side of zero it is given
// as magnitudes in the effect's direction ("33%–48%"), otherwise signed
// ("−30% to +8%").
func interval(m Metric, lo, hi float64) string {
	switch {
	case lo > 0:
		return magnitude(m, lo) + "–" + magnitude(m, hi)
	case hi < 0:
		return magnitude(m, hi) + "–" + magnitude(m, lo)
	}
	return signed(m, lo) + " to " + signed(m, hi)
}

// evidence is the parenthesis that backs a statement about a metric.
func evidence(r MetricResult, alpha float64) string {
	return fmt.Sprintf("%s, %s%% CI %s, %s, %d and %d cases", levels(r.Metric, r), level(alpha),
		interval(r.Metric, r.CILow, r.CIHigh), pValue(r.P), r.NTreatment, r.NControl)
}

// verb says how the treatment moved the metric.
func verb(m Metric, effect float64) string {
	switch {
	case m == CycleTime && effect < 0:
		return "cut the median cycle time by"
	case m == CycleTime:
		return "lengthened the median cycle time by"
	case effect < 0:
		return "lowered the " + metricName(m) + " by"
	}
	return "raised the " + metricName(m) + " by"
}

func version(v int) string { return "v" + strconv.Itoa(v) }

func guardReason(g Guardrail, r MetricResult, p float64, breached bool) string {
	how := "worse"
	if r.worse < 0 {
		how = "better"
	}
	limit := magnitude(g.Metric, g.MaxWorsening)
	obs := fmt.Sprintf("%s is %s %s (%s, %d and %d cases)",
		metricName(g.Metric), magnitude(g.Metric, r.worse), how, levels(g.Metric, r), r.NTreatment, r.NControl)
	switch {
	case breached:
		return fmt.Sprintf("%s, significantly more than the allowed %s (one-sided %s)", obs, limit, pValue(p))
	case r.worse > g.MaxWorsening:
		return fmt.Sprintf("%s, more than the allowed %s but not significantly (one-sided %s)", obs, limit, pValue(p))
	}
	return obs + ", within the allowed " + limit
}

// recommend writes the one sentence for the improvement team.
func recommend(cfg Config, ev *Evaluation, p MetricResult) string {
	ctl, trt := version(cfg.Control), version(cfg.Treatment)
	if ev.Decision == DecisionStopTreatment {
		var reasons []string
		for _, g := range ev.Guardrails {
			if g.Breached {
				reasons = append(reasons, g.Reason)
			}
		}
		return fmt.Sprintf("Stop %s and keep %s: its %s.", trt, ctl, strings.Join(reasons, "; its "))
	}
	if ev.SRM.Mismatch {
		a, b := ev.Arms[ArmControl].N, ev.Arms[ArmTreatment].N
		return fmt.Sprintf("Sample ratio mismatch (%d treatment and %d control cases against a planned %s%% share, %s): the assignment of cases is broken, so fix it before trusting any result of this pilot.",
			b, a, strconv.FormatFloat(cfg.Share, 'f', -1, 64), pValue(ev.SRM.P))
	}
	name := metricName(p.Metric)
	if !p.ok {
		if ev.Decision == DecisionConclude {
			return fmt.Sprintf("The pilot ended without enough data to compare the %s (%d and %d cases): keep %s.", name, p.NTreatment, p.NControl, ctl)
		}
		return fmt.Sprintf("Not enough data yet to compare the %s (%d and %d cases): keep the pilot running.", name, p.NTreatment, p.NControl)
	}
	switch {
	case ev.Winner == ArmTreatment:
		return fmt.Sprintf("%s %s %s (%s): promote %s.", trt, verb(p.Metric, p.Effect), magnitude(p.Metric, p.Effect), evidence(p, cfg.Alpha), trt)
	case ev.Winner == ArmControl:
		return fmt.Sprintf("%s %s %s (%s): keep %s.", trt, verb(p.Metric, p.Effect), magnitude(p.Metric, p.Effect), evidence(p, cfg.Alpha), ctl)
	case ev.Decision == DecisionConclude:
		return fmt.Sprintf("No significant difference in the %s between %s and %s at the final look (change %s, %s): keep %s unless other results favour %s.",
			name, trt, ctl, signed(p.Metric, p.Effect), evidence(p, cfg.Alpha), ctl, trt)
	}
	return fmt.Sprintf("No decision yet at look %d (%.0f%% of the planned %d cases per arm): %s changes the %s by %s so far (%s; %s=%.2f against a boundary of ±%.2f), so keep the pilot running.",
		ev.Look, 100*ev.Fraction, cfg.MinCasesPerArm, trt, name, signed(p.Metric, p.Effect), evidence(p, cfg.Alpha), statName(p), p.Statistic, p.Boundary)
}

func statName(r MetricResult) string {
	if r.Test == TestWelch {
		return "t"
	}
	return "z"
}
