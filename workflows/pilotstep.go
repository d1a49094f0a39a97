package workflows

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
)

// Outcomes of a pilot step (flow.PilotOutcomes).
const (
	PilotStepCompleted = "completed"
	PilotStepStopped   = "stopped"
	PilotStepRefused   = "refused"
)

// PilotID returns the id of the pilot a case's pilot step starts at step
// sequence seq (UUIDv5 of the case id and "pilot:<seq>"), so a retried
// activity or a replay never starts a second pilot.
func PilotID(caseID string, seq int) string {
	return uuid.NewSHA1(uuid.MustParse(caseID), []byte("pilot:"+strconv.Itoa(seq))).String()
}

// planAttributes are the fields of the task before a pilot step (the
// PDCA Plan) that the step keeps as case attributes.
var planAttributes = []string{"problem", "target", "hypothesis"}

// pilotAttributes are the attributes a pilot step sets on the case.
var pilotAttributes = []string{"pilot_id", "pilot_status", "pilot_winner", "pilot_recommendation", "pilot_reason"}

// pilotParams merges the step's params, the case's attributes (but the
// pilot_* ones of an earlier pilot) and the last task's data (later ones
// win), in sorted key order.
func pilotParams(step *flow.Step, attrs, last map[string]any) map[string]any {
	out := map[string]any{}
	for _, src := range []map[string]any{step.Params, attrs, last} {
		for _, k := range slices.Sorted(maps.Keys(src)) {
			if !slices.Contains(pilotAttributes, k) {
				out[k] = src[k]
			}
		}
	}
	return out
}

// runPilot runs a pilot step: the CreatePilot activity writes the pilot
// row from the merged parameters (or refuses them), then the Pilot
// workflow runs as a child until it ends. The case continues through the
// outcome named after how the pilot ended, with pilot_* attributes set.
func (r *caseRun) runPilot(ctx workflow.Context, step *flow.Step, entered time.Time) (string, error) {
	id := PilotID(r.in.CaseID, r.seq)
	var created CreatePilotResult
	err := workflow.ExecuteActivity(activityCtx(ctx), ActivityCreatePilot, CreatePilotInput{
		PilotID: id, PDCACaseID: r.in.CaseID, Params: pilotParams(step, r.attrs, r.lastData), At: workflow.Now(ctx),
	}).Get(ctx, &created)
	if err != nil {
		return "", fmt.Errorf("create pilot: %w", err)
	}
	for _, k := range pilotAttributes {
		delete(r.attrs, k)
	}
	// The plan the pilot tests stays on the case: a later step compares the
	// pilot with its target.
	for _, k := range planAttributes {
		if v, ok := r.lastData[k]; ok {
			r.attrs[k] = v
		}
	}
	outcome := PilotStepRefused
	r.attrs["pilot_id"] = id
	if created.Refused != "" {
		r.attrs["pilot_status"] = PilotStepRefused
		r.attrs["pilot_reason"] = created.Refused
	} else {
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:        PilotWorkflowID(id),
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		})
		child := workflow.ExecuteChildWorkflow(cctx, PilotWorkflow, created.Input)
		if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
			return "", fmt.Errorf("start pilot %s: %w", id, err)
		}
		// The case rests while its pilot runs (days): a completion of the
		// task before it returns now.
		r.atRest()
		var st PilotStatus
		if err := child.Get(ctx, &st); err != nil {
			return "", fmt.Errorf("pilot %s: %w", id, err)
		}
		outcome = PilotStepCompleted
		if st.Status == PilotStopped {
			outcome = PilotStepStopped
		}
		r.attrs["pilot_status"] = st.Status
		r.attrs["pilot_winner"] = st.Winner
		r.attrs["pilot_recommendation"] = st.Recommendation
		r.attrs["pilot_reason"] = st.Reason
	}
	r.lastOutcome = outcome
	r.lastData = nil
	if err := r.recordSpan(ctx, step, entered, outcome); err != nil {
		return "", err
	}
	o, ok := step.Outcome(outcome)
	if !ok {
		return "", fmt.Errorf("pilot step %s has no outcome %q", step.ID, outcome)
	}
	return o.Next, nil
}
