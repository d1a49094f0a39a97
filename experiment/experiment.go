package experiment

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/flowlab/flowlab/stats"
)

// Metric names a pilot metric.
type Metric string

// The metrics a pilot can compare.
const (
	CycleTime     Metric = "cycle_time"      // seconds from creation to close; lower is better
	SLABreachRate Metric = "sla_breach_rate" // share of closed cases with any SLA breached; lower is better
	FCR           Metric = "fcr"             // first-contact resolution rate; higher is better
	CSAT          Metric = "csat"            // mean satisfaction score 1–5; higher is better
)

// Metrics returns every metric in report order.
func Metrics() []Metric { return []Metric{CycleTime, SLABreachRate, FCR, CSAT} }

// Valid reports whether m is a known metric.
func (m Metric) Valid() bool { return slices.Contains(Metrics(), m) }

// lowerIsBetter reports the metric's good direction.
func (m Metric) lowerIsBetter() bool { return m == CycleTime || m == SLABreachRate }

// Arms.
const (
	ArmControl   = "control"
	ArmTreatment = "treatment"
)

// Decisions.
const (
	DecisionContinue      = "continue"       // keep the pilot running
	DecisionStopTreatment = "stop_treatment" // a guardrail was breached
	DecisionConclude      = "conclude"       // the primary metric crossed its boundary, or the final look was reached
)

// Verdicts of a metric.
const (
	VerdictBetter       = "better"
	VerdictWorse        = "worse"
	VerdictNoDifference = "no difference"
	VerdictInsufficient = "insufficient data"
)

// Tests used per metric (MetricResult.Test).
const (
	TestMannWhitney    = "mann_whitney"
	TestTwoProportions = "two_proportions"
	TestWelch          = "welch"
)

// GuardrailAlpha is the one-sided level at which a guardrail's worsening must
// be significant to stop the treatment.
const GuardrailAlpha = 0.025

// SRMThreshold is the p-value below which a sample ratio mismatch is declared.
const SRMThreshold = 0.001

// Guardrail bounds how much worse the treatment may make a metric.
type Guardrail struct {
	Metric Metric `json:"metric"`
	// MaxWorsening is relative for cycle_time (0.2: the median 20% slower),
	// in proportion points for rates (0.05: 5 points worse) and in points
	// for csat. It must be >= 0.
	MaxWorsening float64 `json:"max_worsening"`
}

// Config describes a pilot.
type Config struct {
	Control   int `json:"control"`   // control flow version (for the report)
	Treatment int `json:"treatment"` // treatment flow version (for the report)
	// Share is the planned percentage of cases sent to the treatment,
	// strictly between 0 and 100. Outside that range the sample ratio is not
	// checked.
	Share float64 `json:"share"`
	// Primary is the metric that decides the pilot. Default cycle_time.
	Primary    Metric      `json:"primary"`
	Guardrails []Guardrail `json:"guardrails,omitempty"`
	// MinCasesPerArm is the planned sample per arm: the information
	// fraction of a look is min(n control, n treatment)/MinCasesPerArm,
	// capped at 1. Default 100.
	MinCasesPerArm int `json:"min_cases_per_arm"`
	// Alpha is the two-sided type I error of the primary metric over all
	// looks, and 1-Alpha the level of the confidence intervals. Default 0.05.
	Alpha float64 `json:"alpha"`
}

// Defaults applied by Evaluate to unset or invalid fields.
const (
	DefaultAlpha          = 0.05
	DefaultMinCasesPerArm = 100
	DefaultPrimary        = CycleTime
)

// Validate reports what is wrong with the configuration, if anything.
// Evaluate does not fail on an invalid configuration: it applies the
// defaults, skips invalid guardrails and says so in its Notes.
func (c Config) Validate() error {
	var errs []error
	if c.Primary != "" && !c.Primary.Valid() {
		errs = append(errs, fmt.Errorf("primary metric %q is not one of %v", c.Primary, Metrics()))
	}
	if !(c.Share > 0 && c.Share < 100) {
		errs = append(errs, fmt.Errorf("share %v must be strictly between 0 and 100", c.Share))
	}
	if c.MinCasesPerArm < 0 {
		errs = append(errs, fmt.Errorf("min cases per arm %d must not be negative", c.MinCasesPerArm))
	}
	if c.Alpha != 0 && !(c.Alpha > 0 && c.Alpha < 1) {
		errs = append(errs, fmt.Errorf("alpha %v must be between 0 and 1", c.Alpha))
	}
	for i, g := range c.Guardrails {
		if err := g.validate(); err != nil {
			errs = append(errs, fmt.Errorf("guardrail %d: %w", i+1, err))
		}
	}
	return errors.Join(errs...)
}

func (g Guardrail) validate() error {
	if !g.Metric.Valid() {
		return fmt.Errorf("metric %q is not one of %v", g.Metric, Metrics())
	}
	if !(g.MaxWorsening >= 0) || math.IsInf(g.MaxWorsening, 0) {
		return fmt.Errorf("max worsening %v must be a number >= 0", g.MaxWorsening)
	}
	return nil
}

// withDefaults returns the configuration Evaluate uses and notes on what it
// changed.
func (c Config) withDefaults() (Config, []string) {
	var notes []string
	if c.Primary == "" {
		c.Primary = DefaultPrimary
	} else if !c.Primary.Valid() {
		notes = append(notes, fmt.Sprintf("unknown primary metric %q: using %s", c.Primary, DefaultPrimary))
		c.Primary = DefaultPrimary
	}
	if c.MinCasesPerArm <= 0 {
		notes = append(notes, fmt.Sprintf("no planned sample per arm: assuming %d", DefaultMinCasesPerArm))
		c.MinCasesPerArm = DefaultMinCasesPerArm
	}
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	} else if !(c.Alpha > 0 && c.Alpha < 1) {
		notes = append(notes, fmt.Sprintf("invalid alpha %v: using %v", c.Alpha, DefaultAlpha))
		c.Alpha = DefaultAlpha
	}
	return c, notes
}

// Case is one case of the pilot.
type Case struct {
	Arm          string  `json:"arm"` // "control" or "treatment"; other cases are ignored
	Closed       bool    `json:"closed"`
	CycleSeconds float64 `json:"cycle_seconds"` // creation to close, when Closed
	SLABreached  bool    `json:"sla_breached"`
	FCR          *bool   `json:"fcr,omitempty"`  // first-contact resolution; nil when unknown
	CSAT         *int    `json:"csat,omitempty"` // 1–5; nil when missing
	// Improvement is the follow-up call's answer to "does the customer
	// perceive the improvement?": ImprovementYes, ImprovementNo or
	// ImprovementNotSure; "" when the case had no answered call
	// (decision 0041).
	Improvement string `json:"improvement,omitempty"`
	// Unit is what the assignment hashed (the customer, or the case for
	// case-level pilots). The sample-ratio check counts distinct units,
	// since a customer who comes back lands in the same arm again; empty:
	// each case is its own unit.
	Unit string `json:"unit,omitempty"`
}

// Look is an earlier look at the primary metric, as the caller persists it.
type Look struct {
	Fraction float64 `json:"fraction"`
}

// ArmStats describes one arm. Outcomes count closed cases only.
type ArmStats struct {
	N                  int     `json:"n"`      // cases assigned
	Closed             int     `json:"closed"` // of which closed
	CycleN             int     `json:"cycle_n"`
	MedianCycleSeconds float64 `json:"median_cycle_seconds"`
	P90CycleSeconds    float64 `json:"p90_cycle_seconds"`
	SLABreached        int     `json:"sla_breached"`    // closed cases with an SLA breached
	SLABreachRate      float64 `json:"sla_breach_rate"` // SLABreached/Closed
	FCRKnown           int     `json:"fcr_n"`           // closed cases with FCR known
	FCRRate            float64 `json:"fcr_rate"`
	CSATN              int     `json:"csat_n"` // closed cases with a CSAT score
	CSATMean           float64 `json:"csat_mean"`
	// The perceived-improvement rate of the follow-up calls (decision
	// 0041): PerceivedYes / PerceivedN, where PerceivedN counts the
	// answers yes and no; "not sure" (PerceivedNotSure) is in neither. 0
	// when PerceivedN is 0. Descriptive: no test compares the arms on it.
	PerceivedN       int     `json:"perceived_n"`
	PerceivedYes     int     `json:"perceived_yes"`
	PerceivedNotSure int     `json:"perceived_not_sure"`
	PerceivedRate    float64 `json:"perceived_rate"`
}

// The answers to the follow-up call's improvement question (the flow
// format's words; package experiment imports no flow).
const (
	ImprovementYes     = "yes"
	ImprovementNo      = "no"
	ImprovementNotSure = "not_sure"
)

// MetricResult compares one metric between the arms.
type MetricResult struct {
	Metric  Metric `json:"metric"`
	Primary bool   `json:"primary"`
	Test    string `json:"test"` // mann_whitney, two_proportions or welch
	// Unit of Effect and the CI: "relative" (cycle_time), "proportion"
	// (rates) or "points" (csat).
	Unit       string `json:"unit"`
	NControl   int    `json:"n_control"`
	NTreatment int    `json:"n_treatment"`
	// Control and Treatment summarise each arm: median seconds, rate or
	// mean score.
	Control   float64 `json:"control"`
	Treatment float64 `json:"treatment"`
	// Effect is treatment versus control (see the package doc) and
	// [CILow, CIHigh] its 1-Alpha confidence interval (fixed-sample, not
	// adjusted for looks).
	Effect float64 `json:"effect"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// Statistic is z (t for Welch), positive when the treatment is larger;
	// P its two-sided p-value.
	Statistic float64 `json:"statistic"`
	P         float64 `json:"p"`
	// Verdict is better, worse, no difference or insufficient data. For
	// the primary metric it is better or worse only when the sequential
	// boundary was crossed ("no difference" at an interim look means "not
	// shown yet"); for the others it is the nominal p < Alpha.
	Verdict string `json:"verdict"`
	// Boundary is the |z| the primary metric must reach at this look, and
	// Crossed whether it did.
	Boundary float64 `json:"boundary,omitempty"`
	Crossed  bool    `json:"crossed"`

	// worse is the worsening in the guardrail's unit; ok is false when the
	// metric could not be compared.
	worse float64
	ok    bool
	logSD float64 // pooled SD of log cycle times (cycle_time only)
	sd    float64 // pooled SD (csat only)
}

// SRM is the sample-ratio-mismatch check of the assignment: distinct
// units (customers, or cases) per arm against the planned share.
type SRM struct {
	ChiSquare float64 `json:"chi_square"`
	P         float64 `json:"p"`
	Mismatch  bool    `json:"mismatch"` // P < 0.001
	Checked   bool    `json:"checked"`  // false when there is nothing to check or no valid Share
}

// GuardrailState is the state of one guardrail.
type GuardrailState struct {
	Metric       Metric  `json:"metric"`
	MaxWorsening float64 `json:"max_worsening"`
	// Worsening is the observed worsening in MaxWorsening's unit (negative
	// when the treatment is better) and P its one-sided p-value.
	Worsening float64 `json:"worsening"`
	P         float64 `json:"p"`
	Breached  bool    `json:"breached"`
	Reason    string  `json:"reason"`
}

// Evaluation is the state of a pilot at one evaluation.
type Evaluation struct {
	Control   int `json:"control"`   // control flow version
	Treatment int `json:"treatment"` // treatment flow version
	// Arms has the keys "control" and "treatment".
	Arms       map[string]ArmStats `json:"arms"`
	Metrics    []MetricResult      `json:"metrics"`
	SRM        SRM                 `json:"srm"`
	Guardrails []GuardrailState    `json:"guardrails"`
	// Fraction is the information fraction of this look, Look its number
	// (1 for the first), NewLook whether it is a new look that the caller
	// must append to the looks it persists, and Final whether it spent all
	// the alpha left.
	Fraction float64 `json:"fraction"`
	Look     int     `json:"look"`
	NewLook  bool    `json:"new_look"`
	Final    bool    `json:"final"`
	// Decision is continue, stop_treatment or conclude; Winner "treatment",
	// "control" or "" (no significant difference).
	Decision       string `json:"decision"`
	Winner         string `json:"winner"`
	Recommendation string `json:"recommendation"`
	// CasesNeededFor80Power is the planned sample per arm (MinCasesPerArm)
	// that would give 80% power to detect the observed effect of the
	// primary metric with the observed variability under the sequential
	// design (five equally spaced looks assumed); 0 when unknowable (no
	// data, no effect, or more than a billion).
	CasesNeededFor80Power int `json:"cases_needed_for_80_power"`
	// CasesStillNeeded is how many more cases the smaller arm needs to
	// reach CasesNeededFor80Power (0 when reached or unknowable).
	CasesStillNeeded int      `json:"cases_still_needed"`
	Notes            []string `json:"notes,omitempty"`
}

// design computes the sequential boundaries; tests substitute a memoising
// one so that simulations compute each schedule once.
type design interface {
	boundaries(fractions []float64, final bool) ([]float64, error)
	// inflation is the ratio of the sequential to the fixed sample size
	// for five equally spaced looks at 80% power.
	inflation() (float64, error)
}

type sequentialDesign struct{ s stats.Sequential }

func (d sequentialDesign) boundaries(fractions []float64, final bool) ([]float64, error) {
	if final {
		return d.s.FinalBoundaries(fractions)
	}
	return d.s.Boundaries(fractions)
}

// planningLooks is the look schedule assumed when planning a sample size.
func planningLooks() []float64 { return []float64{0.2, 0.4, 0.6, 0.8, 1} }

func (d sequentialDesign) inflation() (float64, error) {
	return d.s.Inflation(planningLooks(), 0.8)
}
