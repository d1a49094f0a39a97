package experiment

import (
	"fmt"
	"math"

	"github.com/flowlab/flowlab/stats"
)

// Evaluate evaluates a pilot on its cases. earlier are the looks made so far
// (their fractions; see the package doc), final says that this look ends the
// pilot (its maximum duration is reached) and must spend all the alpha
// left. It never fails: see the package doc for degenerate input.
func Evaluate(cfg Config, cases []Case, earlier []Look, final bool) Evaluation {
	c, _ := cfg.withDefaults()
	return evaluate(cfg, cases, earlier, final, sequentialDesign{stats.Sequential{Alpha: c.Alpha}})
}

// armData holds one arm's closed-case outcomes.
type armData struct {
	assigned, closed int
	units            int       // distinct assignment units
	cycles           []float64 // seconds
	logCycles        []float64
	breached         int
	fcrYes, fcrKnown int
	csat             []float64
	// The follow-up calls' answers to "does the customer perceive the
	// improvement?" (decision 0041).
	perceivedYes, perceivedNo, perceivedNotSure int
}

func evaluate(cfg Config, cases []Case, earlier []Look, final bool, d design) Evaluation {
	cfg, notes := cfg.withDefaults()
	ev := Evaluation{Control: cfg.Control, Treatment: cfg.Treatment, Final: final, Notes: notes}

	arms, skipped := collect(cases)
	ev.Notes = append(ev.Notes, skipped...)
	ctl, trt := arms[0], arms[1]
	ev.Arms = map[string]ArmStats{ArmControl: ctl.stats(), ArmTreatment: trt.stats()}
	ev.SRM = srm(ctl.units, trt.units, cfg.Share)

	for _, m := range Metrics() {
		r := compare(m, ctl, trt, cfg.Alpha)
		r.Primary = m == cfg.Primary
		ev.Metrics = append(ev.Metrics, r)
	}
	primary := &ev.Metrics[indexOf(cfg.Primary)]

	// The look.
	fractions := cleanLooks(earlier)
	ev.Fraction = min(float64(min(primary.NControl, primary.NTreatment))/float64(cfg.MinCasesPerArm), 1)
	last := 0.0
	if len(fractions) > 0 {
		last = fractions[len(fractions)-1]
	}
	concluding := final
	var bound float64
	var boundErr error
	switch {
	case ev.Fraction > last:
		ev.NewLook = true
		fractions = append(fractions, ev.Fraction)
		var b []float64
		b, boundErr = d.boundaries(fractions, final)
		if boundErr == nil {
			bound = b[len(b)-1]
		}
		concluding = concluding || ev.Fraction >= 1
	case len(fractions) > 0:
		// No new information: held to the last look's boundary, nothing spent.
		var b []float64
		b, boundErr = d.boundaries(fractions, false)
		if boundErr == nil {
			bound = b[len(b)-1]
		}
		concluding = concluding || last >= 1
	}
	ev.Look = len(fractions)
	if boundErr != nil {
		ev.Notes = append(ev.Notes, "sequential boundary: "+boundErr.Error())
	}
	if primary.ok && bound > 0 {
		primary.Boundary = bound
		primary.Crossed = math.Abs(primary.Statistic) >= bound
		primary.Verdict = VerdictNoDifference
		if primary.Crossed {
			primary.Verdict = direction(cfg.Primary, primary.Statistic)
		}
	} else if primary.ok {
		primary.Verdict = VerdictNoDifference
	}

	// Guardrails.
	for _, g := range cfg.Guardrails {
		ev.Guardrails = append(ev.Guardrails, guard(g, ev.Metrics, ctl, trt))
	}

	// Decision.
	breached := false
	for _, g := range ev.Guardrails {
		breached = breached || g.Breached
	}
	switch {
	case breached:
		ev.Decision, ev.Winner = DecisionStopTreatment, ArmControl
	case ev.SRM.Mismatch:
		ev.Decision = DecisionContinue
		if concluding {
			ev.Decision = DecisionConclude
		}
	case primary.Crossed:
		ev.Decision = DecisionConclude
		ev.Winner = ArmTreatment
		if primary.Verdict == VerdictWorse {
			ev.Winner = ArmControl
		}
	case concluding:
		ev.Decision = DecisionConclude
	default:
		ev.Decision = DecisionContinue
	}

	ev.CasesNeededFor80Power = casesNeeded(*primary, cfg.Alpha, d)
	if have := min(primary.NControl, primary.NTreatment); ev.CasesNeededFor80Power > have {
		ev.CasesStillNeeded = ev.CasesNeededFor80Power - have
	}
	ev.Recommendation = recommend(cfg, &ev, *primary)
	sanitize(&ev)
	return ev
}

func indexOf(m Metric) int {
	for i, x := range Metrics() {
		if x == m {
			return i
		}
	}
	return 0
}

// cleanLooks keeps the earlier fractions that increase strictly within
// (0, 1], in order.
func cleanLooks(earlier []Look) []float64 {
	var out []float64
	prev := 0.0
	for _, l := range earlier {
		if l.Fraction > prev && l.Fraction <= 1 {
			out = append(out, l.Fraction)
			prev = l.Fraction
		}
	}
	return out
}

// collect splits the cases by arm and keeps valid outcomes.
func collect(cases []Case) (arms [2]armData, notes []string) {
	var unknownArm, badCycle, badCSAT int
	seen := map[string]bool{}
	for _, c := range cases {
		var a *armData
		switch c.Arm {
		case ArmControl:
			a = &arms[0]
		case ArmTreatment:
			a = &arms[1]
		default:
			unknownArm++
			continue
		}
		a.assigned++
		if c.Unit == "" {
			a.units++
		} else if key := c.Arm + "\x00" + c.Unit; !seen[key] {
			seen[key] = true
			a.units++
		}
		if !c.Closed {
			continue
		}
		a.closed++
		if c.CycleSeconds >= 0 && !math.IsInf(c.CycleSeconds, 1) {
			a.cycles = append(a.cycles, c.CycleSeconds)
			a.logCycles = append(a.logCycles, math.Log(max(c.CycleSeconds, 1)))
		} else {
			badCycle++
		}
		if c.SLABreached {
			a.breached++
		}
		if c.FCR != nil {
			a.fcrKnown++
			if *c.FCR {
				a.fcrYes++
			}
		}
		switch c.Improvement {
		case ImprovementYes:
			a.perceivedYes++
		case ImprovementNo:
			a.perceivedNo++
		case ImprovementNotSure:
			a.perceivedNotSure++
		}
		if c.CSAT != nil {
			if v := *c.CSAT; v >= 1 && v <= 5 {
				a.csat = append(a.csat, float64(v))
			} else {
				badCSAT++
			}
		}
	}
	if unknownArm > 0 {
		notes = append(notes, fmt.Sprintf("%d cases with an arm other than control or treatment ignored", unknownArm))
	}
	if badCycle > 0 {
		notes = append(notes, fmt.Sprintf("%d closed cases with an invalid cycle time ignored for cycle time", badCycle))
	}
	if badCSAT > 0 {
		notes = append(notes, fmt.Sprintf("%d CSAT scores outside 1–5 ignored", badCSAT))
	}
	return arms, notes
}

func rate(x, n int) float64 {
	if n == 0 {
		return 0
	}
	return float64(x) / float64(n)
}

func (a armData) stats() ArmStats {
	s := ArmStats{
		N: a.assigned, Closed: a.closed, CycleN: len(a.cycles),
		SLABreached: a.breached, SLABreachRate: rate(a.breached, a.closed),
		FCRKnown: a.fcrKnown, FCRRate: rate(a.fcrYes, a.fcrKnown),
		CSATN:      len(a.csat),
		PerceivedN: a.perceivedYes + a.perceivedNo, PerceivedYes: a.perceivedYes, PerceivedNotSure: a.perceivedNotSure,
		PerceivedRate: rate(a.perceivedYes, a.perceivedYes+a.perceivedNo),
	}
	if len(a.cycles) > 0 {
		s.MedianCycleSeconds = stats.Median(a.cycles)
		s.P90CycleSeconds = stats.Quantile(a.cycles, 0.9)
	}
	if len(a.csat) > 0 {
		s.CSATMean = stats.Mean(a.csat)
	}
	return s
}

func srm(control, treatment int, share float64) SRM {
	if !(share > 0 && share < 100) || control+treatment == 0 {
		return SRM{P: 1}
	}
	chi2, p := stats.SampleRatioMismatch([]int{control, treatment}, []float64{100 - share, share})
	return SRM{ChiSquare: chi2, P: p, Mismatch: p < SRMThreshold, Checked: true}
}

// direction is the verdict of a significant difference with statistic z
// (positive: treatment larger).
func direction(m Metric, z float64) string {
	if (z < 0) == m.lowerIsBetter() {
		return VerdictBetter
	}
	return VerdictWorse
}

// minPerArm is the smallest sample per arm that is compared.
const minPerArm = 2

// compare compares one metric between the arms at the nominal level.
func compare(m Metric, ctl, trt armData, alpha float64) MetricResult {
	r := MetricResult{Metric: m, Verdict: VerdictInsufficient}
	var res stats.Result
	switch m {
	case CycleTime:
		r.Test, r.Unit = TestMannWhitney, "relative"
		r.NControl, r.NTreatment = len(ctl.cycles), len(trt.cycles)
		if r.NControl > 0 {
			r.Control = stats.Median(ctl.cycles)
		}
		if r.NTreatment > 0 {
			r.Treatment = stats.Median(trt.cycles)
		}
		if min(r.NControl, r.NTreatment) < minPerArm {
			return r
		}
		res = stats.MannWhitneyAlpha(ctl.logCycles, trt.logCycles, alpha)
		r.logSD = pooledSD(ctl.logCycles, trt.logCycles)
		res.Effect, res.CILow, res.CIHigh = math.Expm1(res.Effect), math.Expm1(res.CILow), math.Expm1(res.CIHigh)
	case SLABreachRate, FCR:
		r.Test, r.Unit = TestTwoProportions, "proportion"
		x1, n1, x2, n2 := ctl.breached, ctl.closed, trt.breached, trt.closed
		if m == FCR {
			x1, n1, x2, n2 = ctl.fcrYes, ctl.fcrKnown, trt.fcrYes, trt.fcrKnown
		}
		r.NControl, r.NTreatment = n1, n2
		r.Control, r.Treatment = rate(x1, n1), rate(x2, n2)
		if min(n1, n2) < minPerArm {
			return r
		}
		res = stats.TwoProportionsAlpha(x1, n1, x2, n2, alpha)
	case CSAT:
		r.Test, r.Unit = TestWelch, "points"
		r.NControl, r.NTreatment = len(ctl.csat), len(trt.csat)
		if r.NControl > 0 {
			r.Control = stats.Mean(ctl.csat)
		}
		if r.NTreatment > 0 {
			r.Treatment = stats.Mean(trt.csat)
		}
		if min(r.NControl, r.NTreatment) < minPerArm {
			return r
		}
		res = stats.WelchAlpha(ctl.csat, trt.csat, alpha)
		r.sd = pooledSD(ctl.csat, trt.csat)
		if math.IsInf(res.Statistic, 0) {
			// Both arms without any variation: no uncertainty to measure.
			r.Effect = res.Effect
			return r
		}
	}
	if !finite(res.Statistic) || !finite(res.P) || !finite(res.Effect) {
		return r
	}
	r.ok = true
	r.Effect, r.CILow, r.CIHigh = res.Effect, res.CILow, res.CIHigh
	r.Statistic, r.P = res.Statistic, res.P
	r.Verdict = VerdictNoDifference
	if r.P < alpha {
		r.Verdict = direction(m, r.Statistic)
	}
	// Worsening in the guardrail's unit.
	r.worse = r.Effect
	if !m.lowerIsBetter() {
		r.worse = -r.Effect
	}
	return r
}

func pooledSD(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	v := ((n1-1)*stats.Variance(a) + (n2-1)*stats.Variance(b)) / (n1 + n2 - 2)
	return math.Sqrt(v)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func guard(g Guardrail, results []MetricResult, ctl, trt armData) GuardrailState {
	s := GuardrailState{Metric: g.Metric, MaxWorsening: g.MaxWorsening, P: 1}
	if err := g.validate(); err != nil {
		s.Reason = "ignored: " + err.Error()
		return s
	}
	r := results[indexOf(g.Metric)]
	if !r.ok {
		s.Reason = fmt.Sprintf("not enough data to check the %s (%d and %d cases)", metricName(g.Metric), r.NTreatment, r.NControl)
		return s
	}
	s.Worsening = r.worse
	s.P = marginP(g, ctl, trt)
	s.Breached = r.worse > g.MaxWorsening && s.P < GuardrailAlpha
	s.Reason = guardReason(g, r, s.P, s.Breached)
	return s
}

// marginP is the one-sided p-value of H0: worsening <= g.MaxWorsening
// against H1: worsening > g.MaxWorsening.
//
//   - cycle_time: the Mann–Whitney test of the log cycle times with the
//     treatment's shifted by -ln(1+MaxWorsening);
//   - rates: the Agresti–Caffo adjusted Wald test (one success and one
//     failure added to each arm, which keeps it sound for small samples
//     and rates of 0 or 1);
//   - csat: Welch's t test with the treatment's scores shifted by
//     +MaxWorsening.
func marginP(g Guardrail, ctl, trt armData) float64 {
	oneSided := func(worseStat, twoSidedP float64) float64 {
		if worseStat > 0 {
			return twoSidedP / 2
		}
		return 1 - twoSidedP/2
	}
	switch g.Metric {
	case CycleTime:
		shift := math.Log1p(g.MaxWorsening)
		y := make([]float64, len(trt.logCycles))
		for i, v := range trt.logCycles {
			y[i] = v - shift
		}
		r := stats.MannWhitney(ctl.logCycles, y)
		return oneSided(r.Statistic, r.P)
	case SLABreachRate, FCR:
		x1, n1, x2, n2 := ctl.breached, ctl.closed, trt.breached, trt.closed
		sign := 1.0
		if g.Metric == FCR {
			x1, n1, x2, n2 = ctl.fcrYes, ctl.fcrKnown, trt.fcrYes, trt.fcrKnown
			sign = -1
		}
		p1 := float64(x1+1) / float64(n1+2)
		p2 := float64(x2+1) / float64(n2+2)
		se := math.Sqrt(p1*(1-p1)/float64(n1+2) + p2*(1-p2)/float64(n2+2))
		z := (sign*(p2-p1) - g.MaxWorsening) / se
		return 0.5 * math.Erfc(z/math.Sqrt2)
	case CSAT:
		y := make([]float64, len(trt.csat))
		for i, v := range trt.csat {
			y[i] = v + g.MaxWorsening
		}
		r := stats.Welch(ctl.csat, y)
		if !finite(r.P) {
			return 1
		}
		return oneSided(-r.Statistic, r.P)
	}
	return 1
}

// casesNeeded is the sequential sample per arm for 80% power at the
// observed effect and variability of the primary metric.
func casesNeeded(r MetricResult, alpha float64, d design) int {
	if !r.ok {
		return 0
	}
	var n int
	switch r.Metric {
	case CycleTime:
		n = stats.SampleSizeCycleTime(r.logSD, 1+r.Effect, alpha, 0.8)
	case SLABreachRate, FCR:
		n = stats.SampleSizeTwoProportions(r.Control, r.Treatment, alpha, 0.8)
	case CSAT:
		n = stats.SampleSizeMeans(r.sd, r.Effect, alpha, 0.8)
	}
	if n == 0 {
		return 0
	}
	inf, err := d.inflation()
	if err != nil {
		return 0
	}
	return sequentialSize(n, inf)
}

// sequentialSize inflates a fixed-sample size for the sequential design.
func sequentialSize(fixed int, inflation float64) int {
	n := math.Ceil(float64(fixed)*inflation - 1e-9)
	if !(n > 0) || n > 1e9 {
		return 0
	}
	return int(n)
}

// sanitize makes every number finite (JSON has no NaN or Inf); the
// computations above avoid them, this is the last line of defence.
func sanitize(ev *Evaluation) {
	fix := func(x *float64) {
		if !finite(*x) {
			*x = 0
		}
	}
	fix(&ev.Fraction)
	fix(&ev.SRM.ChiSquare)
	fix(&ev.SRM.P)
	for k, a := range ev.Arms {
		for _, x := range []*float64{&a.MedianCycleSeconds, &a.P90CycleSeconds, &a.SLABreachRate, &a.FCRRate, &a.CSATMean, &a.PerceivedRate} {
			fix(x)
		}
		ev.Arms[k] = a
	}
	for i := range ev.Metrics {
		m := &ev.Metrics[i]
		for _, x := range []*float64{&m.Control, &m.Treatment, &m.Effect, &m.CILow, &m.CIHigh, &m.Statistic, &m.P, &m.Boundary} {
			fix(x)
		}
	}
	for i := range ev.Guardrails {
		g := &ev.Guardrails[i]
		for _, x := range []*float64{&g.MaxWorsening, &g.Worsening, &g.P} {
			fix(x)
		}
	}
}

// Plan is the sequential sample per arm for 80 % power to detect an
// expected difference of the primary metric (issue 22's pilot planning):
// the computation of an evaluation's CasesNeededFor80Power, with the arms'
// expected values and spread given instead of observed. control and
// treatment are the metric's values (cycle_time: medians; rates:
// proportions; csat: means); spread is the pooled SD of log cycle times
// (cycle_time) or of the scores (csat), unused for rates. 0 when
// unknowable (no difference, bad input, more than a billion).
func Plan(cfg Config, control, treatment, spread float64) int {
	c, _ := cfg.withDefaults()
	r := MetricResult{Metric: c.Primary, Control: control, Treatment: treatment, ok: true}
	switch c.Primary {
	case CycleTime:
		if !(control > 0) {
			return 0
		}
		r.Effect, r.logSD = treatment/control-1, spread
	case CSAT:
		r.Effect, r.sd = treatment-control, spread
	default:
		r.Effect = treatment - control
	}
	return casesNeeded(r, c.Alpha, sequentialDesign{stats.Sequential{Alpha: c.Alpha}})
}
