package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/stats"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// AutoBaseline fills in the current value of the cycle's metric for the
// flow to improve, from the cases of the last 30 days: baseline_value,
// baseline_cases, baseline_since and control (the flow's default version).
// Missing or unknown inputs are reported in baseline_error rather than
// failing the cycle: the Plan task shows it.
func (a *Activities) AutoBaseline(ctx context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	flowKey, _ := in.Attributes["flow"].(string)
	metric, _ := in.Attributes["metric"].(string)
	if metric == "" {
		metric = workflows.MetricCycleTime
	}
	fail := func(msg string) (workflows.AutoResult, error) {
		return workflows.AutoResult{Attributes: map[string]any{"baseline_error": msg}}, nil
	}
	if flowKey == "" {
		return fail("the cycle has no flow attribute: start it with attributes {\"flow\": \"complaint\", \"metric\": \"cycle_time\"}")
	}
	def, err := a.Store.DefaultFlowVersion(ctx, flowKey)
	if errors.Is(err, store.ErrNotFound) {
		return fail(fmt.Sprintf("unknown flow %q", flowKey))
	}
	if err != nil {
		return workflows.AutoResult{}, fmt.Errorf("baseline: default version: %w", err)
	}
	now := activityNow(ctx)
	since := now.Add(-baselineWindow)
	var measured []experiment.Case
	var after *store.CaseCursor
	for len(measured) < baselineMaxCases {
		page, err := a.Store.ListCases(ctx, store.ListCasesParams{Flow: flowKey, Version: def.Version, Status: store.CaseCompleted, From: &since, Limit: 500, After: after})
		if err != nil {
			return workflows.AutoResult{}, fmt.Errorf("baseline: cases: %w", err)
		}
		for _, c := range page {
			m, err := a.caseMeasures(ctx, c, metric)
			if err != nil {
				return workflows.AutoResult{}, err
			}
			measured = append(measured, m)
		}
		if len(page) < 500 {
			break
		}
		last := page[len(page)-1]
		after = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	value, n, err := metricValue(measured, metric)
	if err != nil {
		return fail(err.Error())
	}
	return workflows.AutoResult{Attributes: map[string]any{
		"control": def.Version, "metric": metric, "baseline_value": value, "baseline_cases": n,
		"baseline_since": since.UTC().Format(time.RFC3339),
	}}, nil
}

// caseMeasures reads what a metric needs of one closed case.
func (a *Activities) caseMeasures(ctx context.Context, c store.Case, metric string) (experiment.Case, error) {
	m := experiment.Case{Arm: workflows.ArmControl, Closed: c.ClosedAt != nil}
	if c.ClosedAt != nil {
		m.CycleSeconds = c.ClosedAt.Sub(c.CreatedAt).Seconds()
	}
	switch metric {
	case workflows.MetricSLABreachRate:
		spans, err := a.Store.ListSpans(ctx, store.SpanFilter{CaseID: c.ID})
		if err != nil {
			return m, fmt.Errorf("baseline: spans: %w", err)
		}
		for _, s := range spans {
			m.SLABreached = m.SLABreached || s.Breached
		}
	case workflows.MetricFCR, workflows.MetricCSAT:
		fb, err := a.Store.GetFeedback(ctx, c.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return m, fmt.Errorf("baseline: feedback: %w", err)
		}
		m.CSAT, m.FCR = fb.CSAT, fb.ResolvedFirstContact
		if metric == workflows.MetricCSAT && fb.CSAT == nil {
			// Without a feedback answer, the follow-up call's counts, as
			// in the KPIs and pilots (pilotdata.CSAT, decision 0041).
			fu, err := a.Store.GetFollowUp(ctx, c.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return m, fmt.Errorf("baseline: follow-up: %w", err)
			}
			if err == nil {
				m.CSAT = pilotdata.CSAT(store.PilotCase{FollowUp: &store.FollowUpMeasure{Outcome: fu.Outcome, CSAT: fu.CSAT}})
			}
		}
		if c.ReopenedAt != nil && c.ClosedAt != nil && c.ReopenedAt.Sub(*c.ClosedAt) <= a.reopenWindow() {
			f := false
			m.FCR = &f
		}
	}
	return m, nil
}

// metricValue is a metric over cases: the median cycle time (seconds),
// the breach rate, the FCR rate (0–1) or the mean CSAT, and how many cases
// it counts.
func metricValue(cs []experiment.Case, metric string) (float64, int, error) {
	var xs []float64
	for _, c := range cs {
		switch metric {
		case workflows.MetricCycleTime:
			if c.Closed {
				xs = append(xs, c.CycleSeconds)
			}
		case workflows.MetricSLABreachRate:
			xs = append(xs, b2f(c.SLABreached))
		case workflows.MetricFCR:
			if c.FCR != nil {
				xs = append(xs, b2f(*c.FCR))
			}
		case workflows.MetricCSAT:
			if c.CSAT != nil {
				xs = append(xs, float64(*c.CSAT))
			}
		default:
			return 0, 0, fmt.Errorf("unknown metric %q: use cycle_time, sla_breach_rate, fcr or csat", metric)
		}
	}
	if len(xs) == 0 {
		return 0, 0, fmt.Errorf("no closed case of the last 30 days has a value for %s", metric)
	}
	if metric == workflows.MetricCycleTime {
		return stats.Median(xs), len(xs), nil
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs)), len(xs), nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// lowerIsBetter reports the direction of a metric.
func lowerIsBetter(metric string) bool {
	return metric == workflows.MetricCycleTime || metric == workflows.MetricSLABreachRate
}

// AutoPilotResults puts the pilot's outcome next to the cycle's target:
// pilot_control_value and pilot_treatment_value of the primary metric (as
// metricValue measures it), and target_met when the cycle has a target.
func (a *Activities) AutoPilotResults(ctx context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	id, _ := in.Attributes["pilot_id"].(string)
	if id == "" {
		return workflows.AutoResult{Attributes: map[string]any{"pilot_results_error": "the cycle ran no pilot"}}, nil
	}
	pl, err := a.Store.GetPilot(ctx, id)
	if err != nil {
		return workflows.AutoResult{}, fmt.Errorf("pilot results: %w", err)
	}
	cases, err := a.Store.ListPilotCases(ctx, pl.ID)
	if err != nil {
		return workflows.AutoResult{}, fmt.Errorf("pilot results: cases: %w", err)
	}
	byArm := map[string][]experiment.Case{}
	for _, c := range pilotdata.Cases(cases, a.reopenWindow()) {
		byArm[c.Arm] = append(byArm[c.Arm], c)
	}
	out := map[string]any{"pilot_metric": pl.PrimaryMetric}
	for _, arm := range []string{workflows.ArmControl, workflows.ArmTreatment} {
		v, n, err := metricValue(byArm[arm], pl.PrimaryMetric)
		out["pilot_"+arm+"_cases"] = n
		if err == nil {
			out["pilot_"+arm+"_value"] = v
		}
	}
	if target, ok := number(in.Attributes["target"]); ok {
		if tv, ok := out["pilot_treatment_value"].(float64); ok {
			met := tv >= target
			if lowerIsBetter(pl.PrimaryMetric) {
				met = tv <= target
			}
			out["target_met"] = met
		}
	}
	if pl.Recommendation != "" {
		out["pilot_recommendation"] = pl.Recommendation
	}
	return workflows.AutoResult{Attributes: out}, nil
}

// AutoPromotePilot makes the cycle's pilot's treatment version the flow's
// default (the Act step's "standardise"), with an audit entry.
func (a *Activities) AutoPromotePilot(ctx context.Context, in workflows.AutoInput) (workflows.AutoResult, error) {
	id, _ := in.Attributes["pilot_id"].(string)
	if id == "" {
		return workflows.AutoResult{Attributes: map[string]any{"promote_error": "the cycle ran no pilot"}}, nil
	}
	pl, err := store.PromotePilot(ctx, a.Store, id, workflows.ArmTreatment, activityNow(ctx))
	if errors.Is(err, store.ErrConflict) {
		return workflows.AutoResult{Attributes: map[string]any{"promote_error": err.Error()}}, nil
	}
	if err != nil {
		return workflows.AutoResult{}, fmt.Errorf("promote pilot: %w", err)
	}
	details, _ := json.Marshal(map[string]any{"arm": workflows.ArmTreatment, "version": pl.Treatment, "flow": pl.Flow})
	// A retry after the promotion (PromotePilot returns the promoted pilot
	// again) writes the entry once: it is keyed by the pilot.
	if err := a.audit(ctx, store.AuditEntry{At: activityNow(ctx), Actor: "pdca:" + in.CaseID, Action: "pilot.promote",
		Object: "pilot:" + pl.ID, CaseID: in.CaseID, Details: details, Key: "pilot.promote:" + pl.ID}); err != nil {
		return workflows.AutoResult{}, fmt.Errorf("promote pilot: %w", err)
	}
	return workflows.AutoResult{Attributes: map[string]any{"promoted_version": pl.Treatment}}, nil
}

// number reads a JSON number (or a numeric string) from an attribute.
func number(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// activityNow is the time an activity acts at: the start of its current
// attempt as Temporal recorded it, so retries agree; outside an activity
// (tests calling it directly), the wall clock.
func activityNow(ctx context.Context) time.Time {
	if activity.IsActivity(ctx) {
		return activity.GetInfo(ctx).StartedTime.UTC()
	}
	return time.Now().UTC()
}
