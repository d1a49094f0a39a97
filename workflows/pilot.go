package workflows

import (
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The Pilot workflow's protocol. Like the Case protocol these names are
// part of histories.
const (
	// PilotWorkflow is the workflow type of a pilot.
	PilotWorkflow = "Pilot"
	// UpdateEvaluatePilot evaluates the pilot now (a look like the timer's)
	// and returns the PilotStatus after it.
	UpdateEvaluatePilot = "evaluate"
	// SignalStopPilot stops a running pilot (StopPilotRequest).
	SignalStopPilot = "stop"
	// QueryPilot returns the PilotStatus.
	QueryPilot = "pilot"

	ActivityEvaluatePilot = "EvaluatePilot"
	ActivityEndPilot      = "EndPilot"
	ActivityCreatePilot   = "CreatePilot"
	// ActivityPredictPilot stores the simulation that predicts a pilot
	// (decision 0045) and returns its id.
	ActivityPredictPilot = "PredictPilot"
)

// Decisions of an evaluation.
const (
	DecisionContinue      = "continue"
	DecisionStopTreatment = "stop_treatment" // a guardrail was breached
	DecisionConclude      = "conclude"
)

// PilotWorkflowID is the workflow id of pilot id.
func PilotWorkflowID(id string) string { return "pilot-" + id }

// PilotInput starts the Pilot workflow of a pilot row the API or the
// CreatePilot activity wrote.
type PilotInput struct {
	PilotID       string
	Flow          string
	StartedAt     time.Time
	MaxDuration   time.Duration
	EvaluateEvery time.Duration
	// Looks counts the evaluations made by earlier runs (continue-as-new).
	Looks int `json:",omitempty"`
}

// EvaluatePilotInput asks the activity to evaluate the pilot's data now;
// Final is set when the pilot has reached its maximum duration, so the
// evaluation must conclude.
type EvaluatePilotInput struct {
	PilotID string
	Look    int
	Final   bool
	At      time.Time
}

// PilotEvaluation is the activity's answer; the full results are stored
// on the pilot row by the activity.
type PilotEvaluation struct {
	Decision       string
	Winner         string
	Recommendation string
	// Reason says why the treatment arm was stopped (a guardrail).
	Reason string
	// CasesPerArm: the smaller arm's number of cases.
	CasesPerArm int
}

// EndPilotInput ends the pilot row: status stopped (Reason) or completed
// (Winner, Recommendation). It only applies to a running pilot.
type EndPilotInput struct {
	PilotID        string
	Status         string
	Reason         string
	Winner         string
	Recommendation string
	At             time.Time
}

// StopPilotRequest is the payload of SignalStopPilot.
type StopPilotRequest struct {
	Reason  string
	ActorID string
}

// CreatePilotInput asks the CreatePilot activity to write the pilot row
// of a PDCA cycle's pilot step (idempotently on PilotID). Params are the
// step's params overridden by the case's attributes and the last task's
// data; they become a PilotSpec (the control defaults to the flow's
// default version).
type CreatePilotInput struct {
	PilotID    string
	PDCACaseID string
	Params     map[string]any
	At         time.Time
}

// CreatePilotResult is the Pilot workflow's input, or Refused: why the
// pilot could not start (invalid parameters, another pilot running).
type CreatePilotResult struct {
	Input   PilotInput
	Refused string `json:",omitempty"`
}

// PilotStatus is the Pilot workflow's query answer and result.
type PilotStatus struct {
	PilotID        string
	Status         string // running | stopped | completed (store words)
	Looks          int
	LastDecision   string
	Winner         string
	Recommendation string
	Reason         string
	NextLook       *time.Time `json:",omitempty"`
}

// Pilot statuses as the workflow reports them (the store's words).
const (
	PilotRunning   = "running"
	PilotStopped   = "stopped"
	PilotCompleted = "completed"
)

type pilotRun struct {
	in     PilotInput
	status PilotStatus
	// evaluating: an evaluation is running (timer's or an Update's).
	evaluating bool
	stop       *StopPilotRequest
	// ended wakes the main loop when an Update's look ends the pilot (nil
	// in runs from before pilotWakeOnEnd).
	ended workflow.Channel
}

// pilotWakeOnEnd is the change id of the wake on an on-demand end.
const pilotWakeOnEnd = "pilot-wake-on-end"

// pilotPrediction is the change id of the prediction a pilot's first run
// starts (issue 22): the PredictPilot activity stores a simulation of the
// control version against the treatment, and a Simulation workflow of its
// own (abandoned: it outlives nothing it needs) runs it.
const pilotPrediction = "pilot-prediction"

// PredictPilotInput asks for the prediction of a pilot.
type PredictPilotInput struct {
	PilotID string
}

// PredictPilotResult is the simulation stored ("" when the pilot cannot
// be predicted, e.g. it is gone).
type PredictPilotResult struct {
	SimulationID string `json:",omitempty"`
}

// Pilot evaluates a pilot on a timer (every EvaluateEvery, and at
// StartedAt+MaxDuration for the final look), on demand (the evaluate
// Update) until an evaluation concludes, a guardrail stops the treatment
// arm, or a person stops it (signal). Every end is written to the pilot row
// by the EndPilot activity; the workflow returns the final PilotStatus.
func Pilot(ctx workflow.Context, in PilotInput) (PilotStatus, error) {
	if in.PilotID == "" || in.EvaluateEvery <= 0 || in.MaxDuration <= 0 {
		return PilotStatus{}, temporal.NewNonRetryableApplicationError("pilot input incomplete", "InvalidInput", nil)
	}
	p := &pilotRun{in: in, status: PilotStatus{PilotID: in.PilotID, Status: PilotRunning, Looks: in.Looks}}
	if err := workflow.SetQueryHandler(ctx, QueryPilot, func() (PilotStatus, error) { return p.status, nil }); err != nil {
		return PilotStatus{}, fmt.Errorf("pilot: register query: %w", err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateEvaluatePilot, p.evaluateNow,
		workflow.UpdateHandlerOptions{Validator: func(workflow.Context) error {
			if p.status.Status != PilotRunning {
				return temporal.NewApplicationError("the pilot is "+p.status.Status, "PilotEnded")
			}
			return nil
		}}); err != nil {
		return PilotStatus{}, fmt.Errorf("pilot: register update: %w", err)
	}
	if in.Looks == 0 && workflow.GetVersion(ctx, pilotPrediction, workflow.DefaultVersion, 1) >= 1 {
		p.predict(ctx)
	}
	stops := workflow.GetSignalChannel(ctx, SignalStopPilot)
	// Since version 1 the main loop wakes as soon as an on-demand look
	// (the evaluate Update) ends the pilot, instead of at its next timer:
	// a PDCA cycle waiting on the pilot goes on at once. Runs recorded
	// before it replay without the wake.
	if workflow.GetVersion(ctx, pilotWakeOnEnd, workflow.DefaultVersion, 1) >= 1 {
		p.ended = workflow.NewBufferedChannel(ctx, 1)
	}
	defer func() {
		// Cancelled (its PDCA cycle was cancelled, or by an operator): a
		// pilot row left running would keep routing cases.
		if ctx.Err() != nil && p.status.Status == PilotRunning {
			dctx, _ := workflow.NewDisconnectedContext(ctx)
			if _, err := p.end(dctx, PilotStopped, "the pilot's workflow was cancelled", "", ""); err != nil {
				workflow.GetLogger(ctx).Error("pilot: end after cancellation", "error", err)
			}
		}
	}()
	deadline := in.StartedAt.Add(in.MaxDuration)
	for p.status.Status == PilotRunning {
		now := workflow.Now(ctx)
		wait := in.EvaluateEvery
		if left := deadline.Sub(now); left < wait {
			wait = left
		}
		if wait < 0 {
			wait = 0
		}
		next := now.Add(wait)
		p.status.NextLook = &next
		tctx, cancelTimer := workflow.WithCancel(ctx)
		fired := false
		sel := workflow.NewSelector(ctx)
		sel.AddFuture(workflow.NewTimer(tctx, wait), func(workflow.Future) { fired = true })
		sel.AddReceive(ctx.Done(), func(workflow.ReceiveChannel, bool) {})
		sel.AddReceive(stops, func(c workflow.ReceiveChannel, _ bool) {
			var req StopPilotRequest
			c.Receive(ctx, &req)
			p.stop = &req
		})
		if p.ended != nil {
			sel.AddReceive(p.ended, func(c workflow.ReceiveChannel, _ bool) { c.Receive(ctx, nil) })
		}
		sel.Select(ctx)
		cancelTimer()
		if ctx.Err() != nil {
			return PilotStatus{}, temporal.NewCanceledError()
		}
		if p.stop != nil {
			reason := p.stop.Reason
			if reason == "" {
				reason = "stopped by " + p.stop.ActorID
			}
			return p.end(ctx, PilotStopped, reason, "", "")
		}
		if !fired {
			continue // woken: the loop's condition sees an ended pilot
		}
		// An on-demand evaluation may be running: let it finish first.
		if err := workflow.Await(ctx, func() bool { return !p.evaluating }); err != nil {
			return PilotStatus{}, fmt.Errorf("pilot: %w", err)
		}
		if p.status.Status != PilotRunning {
			break
		}
		final := !workflow.Now(ctx).Before(deadline)
		if err := p.evaluate(ctx, final); err != nil {
			return PilotStatus{}, err
		}
		if p.status.Status == PilotRunning && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return PilotStatus{}, fmt.Errorf("pilot: %w", err)
			}
			next := in
			next.Looks = p.status.Looks
			return PilotStatus{}, workflow.NewContinueAsNewError(ctx, PilotWorkflow, next)
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return PilotStatus{}, fmt.Errorf("pilot: %w", err)
	}
	return p.status, nil
}

// evaluateNow is the evaluate Update's handler: one look now.
func (p *pilotRun) evaluateNow(ctx workflow.Context) (PilotStatus, error) {
	if err := workflow.Await(ctx, func() bool { return !p.evaluating }); err != nil {
		return PilotStatus{}, fmt.Errorf("evaluate: %w", err)
	}
	if p.status.Status != PilotRunning {
		return p.status, nil
	}
	final := !workflow.Now(ctx).Before(p.in.StartedAt.Add(p.in.MaxDuration))
	if err := p.evaluate(ctx, final); err != nil {
		return PilotStatus{}, err
	}
	return p.status, nil
}

// evaluate runs one look and acts on its decision.
func (p *pilotRun) evaluate(ctx workflow.Context, final bool) error {
	p.evaluating = true
	defer func() { p.evaluating = false }()
	p.status.Looks++
	var ev PilotEvaluation
	err := workflow.ExecuteActivity(activityCtx(ctx), ActivityEvaluatePilot, EvaluatePilotInput{
		PilotID: p.in.PilotID, Look: p.status.Looks, Final: final, At: workflow.Now(ctx),
	}).Get(ctx, &ev)
	if err != nil {
		return fmt.Errorf("evaluate pilot: %w", err)
	}
	p.status.LastDecision = ev.Decision
	switch ev.Decision {
	case DecisionStopTreatment:
		_, err = p.end(ctx, PilotStopped, ev.Reason, "", ev.Recommendation)
	case DecisionConclude:
		_, err = p.end(ctx, PilotCompleted, "", ev.Winner, ev.Recommendation)
	default:
		if final {
			// The evaluator must conclude a final look; if it did not,
			// end the pilot anyway: its time is up.
			_, err = p.end(ctx, PilotCompleted, "maximum duration reached", ev.Winner, ev.Recommendation)
		}
	}
	return err
}

// end writes the end of the pilot and records it in the status.
func (p *pilotRun) end(ctx workflow.Context, status, reason, winner, rec string) (PilotStatus, error) {
	err := workflow.ExecuteActivity(activityCtx(ctx), ActivityEndPilot, EndPilotInput{
		PilotID: p.in.PilotID, Status: status, Reason: reason, Winner: winner, Recommendation: rec, At: workflow.Now(ctx),
	}).Get(ctx, nil)
	if err != nil {
		return PilotStatus{}, fmt.Errorf("end pilot: %w", err)
	}
	p.status.Status, p.status.Reason, p.status.Winner, p.status.Recommendation = status, reason, winner, rec
	p.status.NextLook = nil
	if p.ended != nil {
		p.ended.SendAsync(true)
	}
	return p.status, nil
}

// predict stores and starts the pilot's prediction. A failure is logged:
// a pilot runs without its prediction rather than not at all.
func (p *pilotRun) predict(ctx workflow.Context) {
	var res PredictPilotResult
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, MaximumInterval: 30 * time.Second, MaximumAttempts: 10},
	})
	if err := workflow.ExecuteActivity(actx, ActivityPredictPilot, PredictPilotInput{PilotID: p.in.PilotID}).Get(ctx, &res); err != nil {
		workflow.GetLogger(ctx).Error("pilot: store the prediction", "error", err)
		return
	}
	if res.SimulationID == "" {
		return
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            SimulationID(res.SimulationID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	child := workflow.ExecuteChildWorkflow(cctx, SimulationWorkflow, SimulationInput{SimulationID: res.SimulationID})
	if err := child.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		var started *temporal.ChildWorkflowExecutionAlreadyStartedError
		if !errors.As(err, &started) {
			workflow.GetLogger(ctx).Error("pilot: start the prediction", "error", err)
		}
	}
}
