package kpi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flowlab/flowlab/alert"
	"github.com/flowlab/flowlab/analytics"
	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// The metrics alert rules watch (decision 0040), computed from the same
// rows and by the same code as the pages that show them: the service KPIs
// from the cases created in the window (Service, as the KPI page's weeks),
// waiting and SLA breaches from the task spans completed in the window
// (analytics' waiting, as the bottleneck report splits a span), escalations
// from the audit trail, the backlog from the open tasks.

// Bounds of one evaluation: a window with more rows than these is not read
// whole; the evaluation fails with ErrTooMany and says so.
const (
	MaxAlertCases = 200_000
	MaxAlertSpans = 200_000
)

// ErrTooMany: a window holds more rows than an evaluation reads.
var ErrTooMany = errors.New("too many rows in the window")

// window is [from, to).
type window struct{ from, to time.Time }

// Evaluate evaluates a rule at at: its metric over the window ending at
// at, and for a change the baseline (the same hours of the condition's
// baseline weeks before, pooled), judged by alert.Judge. A failure to
// compute (ErrTooMany, a metric unknown) is an evaluation with outcome
// alert.Failed and the reason; a store failure is an error (the caller
// retries).
func Evaluate(ctx context.Context, st store.Store, reopen time.Duration, r store.AlertRule, at time.Time) (store.AlertEvaluation, error) {
	ev := store.AlertEvaluation{At: at}
	m, ok := alert.MetricByName(r.Metric)
	if !ok {
		ev.Outcome, ev.Message = alert.Failed, fmt.Sprintf("metric %q is not known", r.Metric)
		return ev, nil
	}
	cur, err := Observe(ctx, st, reopen, m, r.Scope, []window{{at.Add(-r.Window), at}})
	if errors.Is(err, ErrTooMany) {
		ev.Outcome, ev.Message = alert.Failed, err.Error()
		return ev, nil
	}
	if err != nil {
		return ev, err
	}
	ev.Value, ev.N = cur.Value, cur.N
	var base alert.Observation
	if r.Condition.Change() {
		ws := make([]window, r.Condition.BaselineWeeks)
		for k := range ws {
			end := at.AddDate(0, 0, -7*(k+1))
			ws[k] = window{end.Add(-r.Window), end}
		}
		base, err = Observe(ctx, st, reopen, m, r.Scope, ws)
		if errors.Is(err, ErrTooMany) {
			ev.Outcome, ev.Message = alert.Failed, "baseline: "+err.Error()
			return ev, nil
		}
		if err != nil {
			return ev, err
		}
		ev.Baseline, ev.BaselineN = base.Value, base.N
	}
	j := alert.Judge(m, r.Condition, r.MinSample, cur, base)
	ev.Outcome, ev.Message = j.Outcome, j.Message
	return ev, nil
}

// Observe computes metric m of scope sc over the windows given, pooled: a
// rate or a quantile over every row of every window, a count as the mean
// count of a window. N is the observations it stands on (for a count, the
// rows counted in all windows).
func Observe(ctx context.Context, st store.Store, reopen time.Duration, m alert.Metric, sc alert.Scope, ws []window) (alert.Observation, error) {
	switch m.Source {
	case alert.FromCases:
		return observeCases(ctx, st, reopen, m, sc, ws)
	case alert.FromSpans:
		return observeSpans(ctx, st, m, sc, ws)
	case alert.FromEscalations:
		total := 0
		for _, w := range ws {
			n, err := st.CountEscalations(ctx, taskScope(sc, &w))
			if err != nil {
				return alert.Observation{}, fmt.Errorf("count escalations: %w", err)
			}
			total += n
		}
		return countObservation(total, len(ws)), nil
	case alert.FromOpenTasks:
		n, err := st.CountOpenTasks(ctx, taskScope(sc, nil))
		if err != nil {
			return alert.Observation{}, fmt.Errorf("count open tasks: %w", err)
		}
		return countObservation(n, 1), nil
	}
	return alert.Observation{}, fmt.Errorf("metric %s: source %q: %w", m.Name, m.Source, ErrTooMany)
}

func taskScope(sc alert.Scope, w *window) store.TaskScope {
	ts := store.TaskScope{Flow: sc.Flow, Version: sc.Version, Step: sc.Step, Department: sc.Department}
	if w != nil {
		ts.From, ts.To = &w.from, &w.to
	}
	return ts
}

func countObservation(total, windows int) alert.Observation {
	v := float64(total) / float64(max(windows, 1))
	return alert.Observation{Value: &v, N: total}
}

// observeCases reads the cases created in the windows (improvement cycles
// left out unless the scope is flow pdca, as on the KPI page) into Service
// and takes the metric from its KPI set.
func observeCases(ctx context.Context, st store.Store, reopen time.Duration, m alert.Metric, sc alert.Scope, ws []window) (alert.Observation, error) {
	var acc Service
	for _, w := range ws {
		from, to := w.from, w.to
		p := store.CaseMeasuresParams{Flow: sc.Flow, Version: sc.Version, Channel: sc.Channel, From: &from, To: &to}
		err := Each(ctx, st, reopen, p, func(cm store.CaseMeasure, e experiment.Case) error {
			if sc.Flow == "" && cm.Flow == apiv1.PDCAFlow {
				return nil
			}
			if acc.Cases >= MaxAlertCases {
				return fmt.Errorf("more than %d cases: %w; shorten the window", MaxAlertCases, ErrTooMany)
			}
			acc.Add(cm, e)
			return nil
		})
		if err != nil {
			return alert.Observation{}, err
		}
	}
	set := acc.Set()
	switch m.Name {
	case "csat":
		return alert.Observation{Value: set.CSAT.Value, N: set.CSAT.N}, nil
	case "nps":
		return alert.Observation{Value: set.NPS.Value, N: set.NPS.N}, nil
	case "fcr":
		return alert.Observation{Value: set.FCR.Value, N: set.FCR.N}, nil
	case "first_response":
		return alert.Observation{Value: set.FirstResponse.Value, N: set.FirstResponse.N}, nil
	case "on_time":
		return alert.Observation{Value: set.OnTime.Value, N: set.OnTime.N}, nil
	case "complaint_rate":
		return alert.Observation{Value: set.ComplaintRate.Value, N: set.ComplaintRate.N}, nil
	case "perceived_improvement":
		return alert.Observation{Value: set.PerceivedImprovement.Value, N: set.PerceivedImprovement.N}, nil
	case "cases_started":
		return countObservation(set.Cases, len(ws)), nil
	}
	return alert.Observation{}, fmt.Errorf("metric %s is not a case metric", m.Name)
}

// StepFigures are the waiting and SLA figures of a set of task spans.
type StepFigures struct {
	// Waits are the spans' waiting seconds (analytics.WaitWork).
	Waits []float64
	// SLASpans are the spans with an SLA, Breached those completed after
	// it.
	SLASpans, Breached int
}

// Add counts a span; spans that are not tasks are left out.
func (f *StepFigures) Add(sp store.Span) {
	if sp.Kind != string(flow.KindTask) {
		return
	}
	wait, _ := analytics.WaitWork(sp.Analytics(nil))
	f.Waits = append(f.Waits, wait)
	if sp.SLADue != nil {
		f.SLASpans++
		if sp.Breached {
			f.Breached++
		}
	}
}

// WaitP90 is the 90th percentile of the waits (type 7, nil for none).
func (f *StepFigures) WaitP90() *float64 { return Quantile(f.Waits, 0.9) }

// BreachRate is breached / spans with an SLA (nil for none).
func (f *StepFigures) BreachRate() *float64 { return Ratio(f.Breached, f.SLASpans) }

// observeSpans reads the task spans completed in the windows.
func observeSpans(ctx context.Context, st store.Store, m alert.Metric, sc alert.Scope, ws []window) (alert.Observation, error) {
	var f StepFigures
	read := 0
	for _, w := range ws {
		from, to := w.from, w.to
		spans, err := st.ListSpans(ctx, store.SpanFilter{Flow: sc.Flow, Version: sc.Version, Step: sc.Step, Department: sc.Department,
			CompletedFrom: &from, CompletedTo: &to, Limit: MaxAlertSpans - read + 1})
		if err != nil {
			return alert.Observation{}, fmt.Errorf("list spans: %w", err)
		}
		read += len(spans)
		if read > MaxAlertSpans {
			return alert.Observation{}, fmt.Errorf("more than %d spans: %w; shorten the window or narrow the scope", MaxAlertSpans, ErrTooMany)
		}
		for _, sp := range spans {
			f.Add(sp)
		}
	}
	switch m.Name {
	case "waiting_p90":
		return alert.Observation{Value: f.WaitP90(), N: len(f.Waits)}, nil
	case "sla_breach_rate":
		return alert.Observation{Value: f.BreachRate(), N: f.SLASpans}, nil
	}
	return alert.Observation{}, fmt.Errorf("metric %s is not a span metric", m.Name)
}

// AlertDepartment is the department a rule's scope touches: its
// department, else its step's department in the scope's version (the
// flow's default version when none is named), else "". Its team leads are
// told of the rule's changes and may acknowledge and silence it.
func AlertDepartment(ctx context.Context, st store.Store, sc alert.Scope) (string, error) {
	if sc.Department != "" || sc.Step == "" || sc.Flow == "" {
		return sc.Department, nil
	}
	var (
		fv  store.FlowVersion
		err error
	)
	if sc.Version != 0 {
		fv, err = st.GetFlowVersion(ctx, sc.Flow, sc.Version)
	} else {
		fv, err = st.DefaultFlowVersion(ctx, sc.Flow)
	}
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("flow %s: %w", sc.Flow, err)
	}
	var def flow.Definition
	if err := json.Unmarshal(fv.Compiled, &def); err != nil {
		return "", fmt.Errorf("flow %s v%d: decode: %w", sc.Flow, fv.Version, err)
	}
	if step, ok := def.Step(sc.Step); ok {
		return step.Department, nil
	}
	return "", nil
}
