package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/flowlab/flowlab/experiment"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// Auto-step activities of the PDCA flow.
const (
	AutoBaseline     = "baseline"      // the metric's current value from the data
	AutoPilotResults = "pilot_results" // the pilot's outcome against the target
	AutoPromotePilot = "promote_pilot" // make the pilot's treatment the flow's default
)

// DefaultReopenWindow: a case reopened within this time of its close did
// not resolve the customer's problem at first contact.
const DefaultReopenWindow = pilotdata.DefaultReopenWindow

// baselineWindow is how far back the baseline looks.
const baselineWindow = 30 * 24 * time.Hour

// baselineMaxCases bounds the cases a baseline reads.
const baselineMaxCases = 5000

func (a *Activities) reopenWindow() time.Duration {
	if a.ReopenWindow > 0 {
		return a.ReopenWindow
	}
	return DefaultReopenWindow
}

// CreatePilot writes the pilot row of a PDCA pilot step (idempotent on
// the pilot id) and returns the Pilot workflow's input, or why the pilot
// cannot start: invalid parameters, unknown or retired versions, another
// pilot of the flow running.
func (a *Activities) CreatePilot(ctx context.Context, in workflows.CreatePilotInput) (workflows.CreatePilotResult, error) {
	if existing, err := a.Store.GetPilot(ctx, in.PilotID); err == nil {
		// A retry after the row was written: write the audit entry the
		// first attempt may not have reached (keyed, so once).
		if existing.PDCACaseID == in.PDCACaseID {
			if err := a.audit(ctx, pilotStartAudit(existing, in)); err != nil {
				return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: %w", err)
			}
		}
		return workflows.CreatePilotResult{Input: PilotInputOf(existing)}, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: %w", err)
	}
	spec, refused := specFromParams(in.Params)
	if refused != "" {
		return workflows.CreatePilotResult{Refused: refused}, nil
	}
	if spec.Control == 0 && spec.Flow != "" {
		def, err := a.Store.DefaultFlowVersion(ctx, spec.Flow)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return workflows.CreatePilotResult{Refused: fmt.Sprintf("flow: unknown flow %q", spec.Flow)}, nil
		case err != nil:
			return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: default version: %w", err)
		}
		spec.Control = def.Version
	}
	if errs := spec.Normalize(); len(errs) > 0 {
		return workflows.CreatePilotResult{Refused: joinFieldErrors(errs)}, nil
	}
	if msg, err := store.PilotVersions(ctx, a.Store, spec.Flow, spec.Control, spec.Treatment); err != nil {
		return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: %w", err)
	} else if msg != "" {
		return workflows.CreatePilotResult{Refused: msg}, nil
	}
	guards, err := json.Marshal(spec.Guardrails)
	if err != nil {
		return workflows.CreatePilotResult{}, temporal.NewNonRetryableApplicationError("create pilot: encode guardrails", "InvalidInput", err)
	}
	pl, _, err := a.Store.CreatePilot(ctx, store.CreatePilotParams{
		ID: in.PilotID, Flow: spec.Flow, Control: spec.Control, Treatment: spec.Treatment, Share: spec.Share,
		Unit: spec.Unit, PrimaryMetric: spec.PrimaryMetric, Guardrails: guards, MinCasesPerArm: spec.MinCasesPerArm,
		MaxDuration: spec.MaxDuration, EvaluateEvery: spec.EvaluateEvery, WorkflowID: workflows.PilotWorkflowID(in.PilotID),
		PDCACaseID: in.PDCACaseID, CreatedBy: "pdca:" + in.PDCACaseID, At: in.At,
	})
	switch {
	case errors.Is(err, store.ErrConflict):
		running, rerr := a.Store.RunningPilot(ctx, spec.Flow)
		if rerr != nil {
			return workflows.CreatePilotResult{Refused: fmt.Sprintf("another pilot of flow %s is running", spec.Flow)}, nil
		}
		return workflows.CreatePilotResult{Refused: fmt.Sprintf("pilot %s of flow %s is running; stop it or wait for it to end", running.ID, spec.Flow)}, nil
	case err != nil:
		return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: %w", err)
	}
	if err := a.audit(ctx, pilotStartAudit(pl, in)); err != nil {
		return workflows.CreatePilotResult{}, fmt.Errorf("create pilot: %w", err)
	}
	return workflows.CreatePilotResult{Input: PilotInputOf(pl)}, nil
}

func pilotStartAudit(pl store.Pilot, in workflows.CreatePilotInput) store.AuditEntry {
	return store.AuditEntry{At: in.At, Actor: "pdca:" + in.PDCACaseID, Action: "pilot.start", Object: "pilot:" + pl.ID,
		CaseID: in.PDCACaseID, Key: "pilot.start:" + pl.ID}
}

// PilotInputOf is the Pilot workflow's input for a pilot row.
func PilotInputOf(pl store.Pilot) workflows.PilotInput {
	return workflows.PilotInput{PilotID: pl.ID, Flow: pl.Flow, StartedAt: pl.CreatedAt, MaxDuration: pl.MaxDuration, EvaluateEvery: pl.EvaluateEvery}
}

func joinFieldErrors(errs []workflows.FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// specFromParams reads a PilotSpec from a pilot step's merged parameters
// (numbers may arrive as JSON numbers or strings from a form; durations
// as strings like "14d").
func specFromParams(p map[string]any) (workflows.PilotSpec, string) {
	var spec workflows.PilotSpec
	var bad []string
	str := func(k string) string {
		switch v := p[k].(type) {
		case string:
			return strings.TrimSpace(v)
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	num := func(k string) float64 {
		switch v := p[k].(type) {
		case nil:
			return 0
		case float64:
			return v
		case int:
			return float64(v)
		case int64:
			return float64(v)
		case string:
			if strings.TrimSpace(v) == "" {
				return 0
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s: %q is not a number", k, v))
			}
			return f
		default:
			bad = append(bad, fmt.Sprintf("%s: must be a number", k))
			return 0
		}
	}
	whole := func(k string) int {
		f := num(k)
		if f != math.Trunc(f) || math.Abs(f) > 1e9 {
			bad = append(bad, fmt.Sprintf("%s: must be a whole number, got %g", k, f))
			return 0
		}
		return int(f)
	}
	dur := func(k string) time.Duration {
		s := str(k)
		if s == "" {
			return 0
		}
		d, err := parseDays(s)
		if err != nil {
			bad = append(bad, fmt.Sprintf("%s: %v", k, err))
		}
		return d
	}
	spec.Flow = str("flow")
	spec.Control = whole("control")
	spec.Treatment = whole("treatment")
	spec.Share = num("share")
	spec.Unit = str("unit")
	spec.PrimaryMetric = str("primary_metric")
	if spec.PrimaryMetric == "" {
		spec.PrimaryMetric = str("metric")
	}
	spec.MinCasesPerArm = whole("min_cases_per_arm")
	spec.MaxDuration = dur("max_duration")
	spec.EvaluateEvery = dur("evaluate_every")
	if g, ok := p["guardrails"]; ok && g != nil {
		b, err := json.Marshal(g)
		if err == nil {
			err = json.Unmarshal(b, &spec.Guardrails)
		}
		if err != nil {
			bad = append(bad, "guardrails: must be a list of {metric, max_worsening}")
		}
	}
	return spec, strings.Join(bad, "; ")
}

// parseDays parses a Go duration with a "d" (24h) unit allowed first
// ("14d", "1d12h", "90m").
func parseDays(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 || n > 3650 {
			return 0, fmt.Errorf("%q is not a duration like 14d, 36h or 90m", s)
		}
		days, rest = n, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not a duration like 14d, 36h or 90m", s)
		}
	}
	return time.Duration(days)*24*time.Hour + d, nil
}

// EvaluatePilot evaluates a running pilot on its cases now, stores the
// evaluation (results and looks) on the pilot row and returns the
// decision. A pilot that is no longer running is reported as concluded
// with its stored outcome, so the workflow ends.
func (a *Activities) EvaluatePilot(ctx context.Context, in workflows.EvaluatePilotInput) (workflows.PilotEvaluation, error) {
	pl, err := a.Store.GetPilot(ctx, in.PilotID)
	if err != nil {
		return workflows.PilotEvaluation{}, fmt.Errorf("evaluate pilot: %w", err)
	}
	if pl.Status != store.PilotRunning {
		return workflows.PilotEvaluation{Decision: workflows.DecisionConclude, Winner: pl.Winner, Recommendation: pl.Recommendation}, nil
	}
	ev, looks, err := pilotdata.Evaluate(ctx, a.Store, pl, a.reopenWindow(), in.Final)
	if err != nil {
		return workflows.PilotEvaluation{}, fmt.Errorf("evaluate pilot: %w", err)
	}
	results, err := json.Marshal(ev)
	if err != nil {
		return workflows.PilotEvaluation{}, temporal.NewNonRetryableApplicationError("evaluate pilot: encode results", "InvalidInput", err)
	}
	lb, err := json.Marshal(looks)
	if err != nil {
		return workflows.PilotEvaluation{}, temporal.NewNonRetryableApplicationError("evaluate pilot: encode looks", "InvalidInput", err)
	}
	_, err = a.Store.UpdatePilot(ctx, store.UpdatePilotParams{ID: pl.ID, FromStatus: store.PilotRunning, Results: results, Looks: lb, At: in.At})
	if errors.Is(err, store.ErrConflict) {
		// Ended meanwhile (stopped through the API): nothing to decide.
		return workflows.PilotEvaluation{Decision: workflows.DecisionConclude}, nil
	}
	if err != nil {
		return workflows.PilotEvaluation{}, fmt.Errorf("evaluate pilot: store results: %w", err)
	}
	out := workflows.PilotEvaluation{Decision: ev.Decision, Winner: ev.Winner, Recommendation: ev.Recommendation, CasesPerArm: minArm(ev)}
	var reasons []string
	for _, g := range ev.Guardrails {
		if g.Breached {
			reasons = append(reasons, g.Reason)
		}
	}
	out.Reason = strings.Join(reasons, "; ")
	return out, nil
}

func minArm(ev experiment.Evaluation) int {
	c, t := ev.Arms[workflows.ArmControl].N, ev.Arms[workflows.ArmTreatment].N
	if c < t {
		return c
	}
	return t
}

// EndPilot ends a running pilot row (stopped or completed) and audits it;
// a pilot already ended is left as it is.
func (a *Activities) EndPilot(ctx context.Context, in workflows.EndPilotInput) error {
	status := in.Status
	p := store.UpdatePilotParams{ID: in.PilotID, FromStatus: store.PilotRunning, Status: &status, EndedAt: &in.At, At: in.At}
	if in.Reason != "" {
		p.StopReason = &in.Reason
	}
	if in.Winner != "" {
		p.Winner = &in.Winner
	}
	if in.Recommendation != "" {
		p.Recommendation = &in.Recommendation
	}
	pl, err := a.Store.UpdatePilot(ctx, p)
	if errors.Is(err, store.ErrConflict) {
		// Not running: ended by someone else (nothing to do), or by an
		// earlier attempt of this activity that died before its audit
		// entry — its row carries this end's status and time.
		pl, err = a.Store.GetPilot(ctx, in.PilotID)
		if err != nil {
			return fmt.Errorf("end pilot: %w", err)
		}
		if pl.Status != status || pl.EndedAt == nil || !pl.EndedAt.Truncate(time.Microsecond).Equal(in.At.Truncate(time.Microsecond)) {
			return nil
		}
	} else if err != nil {
		return fmt.Errorf("end pilot: %w", err)
	}
	details, _ := json.Marshal(map[string]any{"status": status, "reason": in.Reason, "winner": in.Winner, "recommendation": in.Recommendation})
	if err := a.audit(ctx, store.AuditEntry{At: in.At, Actor: "system", Action: "pilot." + status, Object: "pilot:" + pl.ID,
		CaseID: pl.PDCACaseID, Details: details, Key: "pilot.end:" + pl.ID}); err != nil {
		return fmt.Errorf("end pilot: %w", err)
	}
	return nil
}

// audit appends an audit entry. Entries written by activities carry a Key,
// so the retry a failure causes (or a crash after the entry was written)
// leaves exactly one.
func (a *Activities) audit(ctx context.Context, e store.AuditEntry) error {
	if err := a.Store.AppendAudit(ctx, e); err != nil {
		return fmt.Errorf("audit %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}
