package workflows

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Pilot metrics: what a pilot compares between its arms.
const (
	MetricCycleTime     = "cycle_time"      // creation → close of completed cases (lower is better)
	MetricSLABreachRate = "sla_breach_rate" // share of cases with a breached SLA (lower is better)
	MetricFCR           = "fcr"             // first-contact resolution rate (higher is better)
	MetricCSAT          = "csat"            // mean customer satisfaction, 1–5 (higher is better)
)

// PilotMetrics lists the metrics in documentation order.
var PilotMetrics = []string{MetricCycleTime, MetricSLABreachRate, MetricFCR, MetricCSAT}

// Pilot units: what the assignment hashes, so that the unit stays in one arm.
const (
	UnitCustomer = "customer"
	UnitCase     = "case"
)

// Pilot arms, recorded as the case's variant.
const (
	ArmControl   = "control"
	ArmTreatment = "treatment"
)

// Defaults of a PilotSpec.
const (
	DefaultPilotShare         = 50.0
	DefaultPilotMinCases      = 100
	DefaultPilotMaxDuration   = 14 * 24 * time.Hour
	DefaultPilotEvaluateEvery = time.Hour
	// MinPilotEvaluateEvery bounds how often a pilot evaluates on its timer.
	MinPilotEvaluateEvery = time.Second
)

// PilotGuardrail stops the treatment arm when it makes Metric worse by
// more than MaxWorsening (see package experiment for the units).
type PilotGuardrail struct {
	Metric       string  `json:"metric"`
	MaxWorsening float64 `json:"max_worsening"`
}

// PilotSpec is what a pilot compares and how: the API's request and the
// PDCA pilot step's parameters both become one.
type PilotSpec struct {
	Flow           string
	Control        int
	Treatment      int
	Share          float64 // % of new units to treatment, 0 < share < 100
	Unit           string
	PrimaryMetric  string
	Guardrails     []PilotGuardrail
	MinCasesPerArm int
	MaxDuration    time.Duration
	EvaluateEvery  time.Duration
}

// FieldError is one invalid field of a PilotSpec.
type FieldError struct {
	Field   string
	Message string
}

func (e FieldError) Error() string { return e.Field + ": " + e.Message }

// Normalize fills defaults (share 50, unit customer, primary metric
// cycle_time, 100 cases per arm, 14 days, evaluation every hour) and
// returns every invalid field; versions are checked against the store by
// the caller.
func (s *PilotSpec) Normalize() []FieldError {
	var errs []FieldError
	bad := func(field, format string, args ...any) {
		errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if s.Share == 0 {
		s.Share = DefaultPilotShare
	}
	if s.Unit == "" {
		s.Unit = UnitCustomer
	}
	if s.PrimaryMetric == "" {
		s.PrimaryMetric = MetricCycleTime
	}
	if s.MinCasesPerArm == 0 {
		s.MinCasesPerArm = DefaultPilotMinCases
	}
	if s.MaxDuration == 0 {
		s.MaxDuration = DefaultPilotMaxDuration
	}
	if s.EvaluateEvery == 0 {
		s.EvaluateEvery = DefaultPilotEvaluateEvery
	}
	if strings.TrimSpace(s.Flow) == "" {
		bad("flow", "is required")
	}
	if s.Control < 1 {
		bad("control", "must be a version number (1 or more)")
	}
	if s.Treatment < 1 {
		bad("treatment", "must be a version number (1 or more)")
	}
	if s.Control >= 1 && s.Control == s.Treatment {
		bad("treatment", "must differ from control (%d)", s.Control)
	}
	if !(s.Share > 0 && s.Share < 100) {
		bad("share", "must be above 0 and below 100 (percent of new cases to treatment), got %g", s.Share)
	}
	if s.Unit != UnitCustomer && s.Unit != UnitCase {
		bad("unit", "must be %s or %s, got %q", UnitCustomer, UnitCase, s.Unit)
	}
	if !slices.Contains(PilotMetrics, s.PrimaryMetric) {
		bad("primary_metric", "must be one of %s, got %q", strings.Join(PilotMetrics, ", "), s.PrimaryMetric)
	}
	for i, g := range s.Guardrails {
		if !slices.Contains(PilotMetrics, g.Metric) {
			bad(fmt.Sprintf("guardrails[%d].metric", i), "must be one of %s, got %q", strings.Join(PilotMetrics, ", "), g.Metric)
		}
		if !(g.MaxWorsening >= 0) {
			bad(fmt.Sprintf("guardrails[%d].max_worsening", i), "must be 0 or more, got %g", g.MaxWorsening)
		}
	}
	if s.MinCasesPerArm < 2 || s.MinCasesPerArm > 1_000_000 {
		bad("min_cases_per_arm", "must be between 2 and 1000000, got %d", s.MinCasesPerArm)
	}
	if s.MaxDuration < time.Minute || s.MaxDuration > 366*24*time.Hour {
		bad("max_duration", "must be between 1m and 366d, got %s", s.MaxDuration)
	}
	if s.EvaluateEvery < MinPilotEvaluateEvery || s.EvaluateEvery > s.MaxDuration {
		bad("evaluate_every", "must be between 1s and max_duration, got %s", s.EvaluateEvery)
	}
	return errs
}
