package apiv1

import (
	"time"

	"github.com/flowlab/flowlab/experiment"
)

// PilotGuardrail is a metric a pilot's treatment must not make worse by
// more than MaxWorsening.
type PilotGuardrail struct {
	Metric       string  `json:"metric" enum:"cycle_time,sla_breach_rate,fcr,csat"`
	MaxWorsening float64 `json:"max_worsening" minimum:"0" description:"How much worse the treatment may make the metric before it is stopped: relative for cycle_time (0.2: the median 20% slower), in proportion points for rates (0.05: 5 points), in points for csat."`
}

// StartPilotRequest is the body of startPilot; the fields left out get
// the defaults their descriptions name.
type StartPilotRequest struct {
	Flow           string           `json:"flow" minLength:"1" description:"Flow key."`
	Control        int              `json:"control,omitempty" minimum:"1" description:"Control version; default: the flow's default version."`
	Treatment      int              `json:"treatment" minimum:"1" description:"Treatment version (must exist and not be retired)."`
	Share          *float64         `json:"share,omitempty" exclusiveMinimum:"0" exclusiveMaximum:"100" description:"Percent of new units assigned to the treatment. Default 50."`
	Unit           string           `json:"unit,omitempty" enum:"customer,case" description:"What the assignment hashes: customer (default: a customer stays in one arm) or case."`
	PrimaryMetric  string           `json:"primary_metric,omitempty" enum:"cycle_time,sla_breach_rate,fcr,csat" description:"The metric that decides the pilot. Default cycle_time."`
	Guardrails     []PilotGuardrail `json:"guardrails,omitempty" description:"Metrics the treatment must not make worse by more than max_worsening; a breach stops the treatment."`
	MinCasesPerArm *int             `json:"min_cases_per_arm,omitempty" minimum:"2" maximum:"1000000" description:"Planned cases per arm (the information fraction's denominator). Default 100."`
	MaxDuration    string           `json:"max_duration,omitempty" description:"Longest run, like 14d, 36h or 90m (1m to 366d). Default 14d; the last look concludes either way."`
	EvaluateEvery  string           `json:"evaluate_every,omitempty" description:"Evaluation period, like 1h (1s to max_duration). Default 1h."`
}

// StopPilotRequest is the body of stopPilot.
type StopPilotRequest struct {
	Reason string `json:"reason,omitempty" maxLength:"500" description:"Why; default: stopped by <actor id>."`
}

// PromotePilotRequest is the body of promotePilot.
type PromotePilotRequest struct {
	Arm string `json:"arm" enum:"control,treatment" description:"The arm whose version becomes the flow's default."`
}

// PilotLive is the Pilot workflow's own status (its query).
type PilotLive struct {
	Status         string     `json:"status" enum:"running,stopped,completed"`
	Looks          int        `json:"looks" description:"Evaluations made so far."`
	LastDecision   string     `json:"last_decision"`
	Winner         string     `json:"winner"`
	Recommendation string     `json:"recommendation"`
	Reason         string     `json:"reason"`
	NextLook       *time.Time `json:"next_look" description:"When the timer evaluates next; null once the pilot has ended."`
}

// Pilot is an A/B pilot of two versions of a flow (startPilot, getPilot,
// listPilots...; ADR 0008).
type Pilot struct {
	ID             string                 `json:"id"`
	Flow           string                 `json:"flow"`
	Control        int                    `json:"control" description:"Control version."`
	Treatment      int                    `json:"treatment" description:"Treatment version."`
	Share          float64                `json:"share" description:"Percent of new units assigned to the treatment."`
	Unit           string                 `json:"unit" enum:"customer,case"`
	PrimaryMetric  string                 `json:"primary_metric" enum:"cycle_time,sla_breach_rate,fcr,csat"`
	Guardrails     []PilotGuardrail       `json:"guardrails" nullable:"false"`
	MinCasesPerArm int                    `json:"min_cases_per_arm"`
	MaxDuration    string                 `json:"max_duration" description:"Like 14d or 36h."`
	EvaluateEvery  string                 `json:"evaluate_every" description:"Like 1h."`
	Status         string                 `json:"status" enum:"running,stopped,completed,promoted"`
	StopReason     string                 `json:"stop_reason" description:"Why it stopped (a person or a guardrail)."`
	Winner         string                 `json:"winner" description:"control, treatment, or empty (no significant difference, or not concluded)."`
	Recommendation string                 `json:"recommendation"`
	PromotedArm    string                 `json:"promoted_arm" description:"The arm whose version was made the flow's default; empty until promoted."`
	Results        *experiment.Evaluation `json:"results" nullable:"true" description:"The last evaluation the Pilot workflow stored (null before the first); GET /api/v1/pilots/{id}/results computes a fresh one."`
	Looks          []experiment.Look      `json:"looks" nullable:"false" description:"The information fractions of the decisive looks so far."`
	WorkflowID     string                 `json:"workflow_id" description:"Temporal workflow id: pilot-<id>."`
	PDCACaseID     string                 `json:"pdca_case_id" description:"The improvement cycle that started the pilot; empty when started through the API."`
	CreatedBy      string                 `json:"created_by"`
	CreatedAt      time.Time              `json:"created_at"`
	UpdatedAt      time.Time              `json:"updated_at"`
	EndedAt        *time.Time             `json:"ended_at"`
	Live           *PilotLive             `json:"live,omitempty" description:"The Pilot workflow's status, on a single pilot while it runs and the engine answers."`
	Prediction     *PilotPrediction       `json:"prediction,omitempty" description:"On a single pilot: the simulation that predicted it when it started, its plan, and, once cases closed, the prediction beside what was measured (decision 0045)."`
}

// PilotList is one page of pilots, newest first (listPilots).
type PilotList struct {
	Pilots     []Pilot `json:"pilots" nullable:"false"`
	NextCursor string  `json:"next_cursor,omitempty" description:"Pass as cursor to get the next page; absent on the last page."`
}

// PilotStep compares one step between the arms.
type PilotStep struct {
	Step      string     `json:"step"`
	Control   *StepStats `json:"control" nullable:"true" description:"The step's statistics in the control arm; null when no control case passed it."`
	Treatment *StepStats `json:"treatment" nullable:"true" description:"The step's statistics in the treatment arm; null when no treatment case passed it."`
	// Changes are treatment - control in seconds, null when a side is
	// missing.
	WaitP50Change *float64 `json:"wait_p50_change" description:"Treatment minus control median waiting time in seconds (negative: faster); null when the step is in one arm only."`
	WorkP50Change *float64 `json:"work_p50_change" description:"Treatment minus control median working time in seconds (negative: faster); null when the step is in one arm only."`
}

// PilotResults are a pilot's statistics computed now (getPilotResults):
// the evaluation, the last stored look and the per-step comparison.
type PilotResults struct {
	PilotID    string    `json:"pilot_id"`
	Flow       string    `json:"flow"`
	Status     string    `json:"status" enum:"running,stopped,completed,promoted"`
	ComputedAt time.Time `json:"computed_at"`
	experiment.Evaluation
	LastLook *experiment.Evaluation `json:"last_look" nullable:"true" description:"The evaluation the Pilot workflow stored at its last look (the one its decision was made on); null before the first."`
	Steps    []PilotStep            `json:"steps" nullable:"false" description:"Per step, the bottleneck statistics of each arm (from the spans of the pilot's cases) and the change in median wait and work."`
}

// ArmVersion is the flow version of the pilot's arm (ArmControl or
// ArmTreatment).
func (p Pilot) ArmVersion(arm string) int {
	if arm == ArmTreatment {
		return p.Treatment
	}
	return p.Control
}
