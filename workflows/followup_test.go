package workflows_test

import (
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

// followUpCaseIDs are a case id the 15 % sample picks and one it does not
// (found in a fixed sequence of ids, so the tests do not depend on luck).
func followUpCaseIDs(t *testing.T) (sampled, not string) {
	t.Helper()
	ns := uuid.MustParse("5b7e1a52-3f61-4c1d-9d2e-7a4b8c6d0e1f")
	for i := 0; sampled == "" || not == ""; i++ {
		id := uuid.NewSHA1(ns, []byte(strconv.Itoa(i))).String()
		if flow.Sampled(id, 0.15) {
			sampled = id
		} else {
			not = id
		}
	}
	return sampled, not
}

// followUpInput is testFlow with a follow-up (15 %, 2 days after, in cs,
// 4 h SLA) on the high-severity path for case id: record (completed at
// 10m) -> route -> urgent -> reply (the reply at 30m) -> close.
func followUpInput(id string) workflows.CaseInput {
	in := input(map[string]any{"severity": "high"})
	in.CaseID = id
	in.Definition.FollowUp = &flow.FollowUp{Share: 0.15, After: dur(48 * time.Hour), Department: "cs", SLA: dur(4 * time.Hour)}
	return in
}

// runToClose schedules the record completion (10m) and the reply (30m):
// the case closes at 30m.
func (h *harness) runToClose(id string) {
	req := recordReq
	req.TaskID = workflows.TaskID(id, 1)
	h.env.RegisterDelayedCallback(func() { h.complete("u1", req) }, 10*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 30*time.Minute)
}

var closedAt = t0.Add(30 * time.Minute)

// A sampled case: when it completes the follow-up is recorded (sampled,
// the call task it will open, due two days after the close); the case is
// completed at its close and stays so; nothing opens before the two days;
// then the call task opens in cs with the follow-up's form and SLA, like
// any task (OpenTask), the validator refuses answers that miss the
// improvement or a CSAT outside 1–5, and the completion keeps the answers
// (CloseTask's FollowUp) and returns no next task. The run ends then.
func TestFollowUpSampledCaseGetsTheCallAfterTheDelay(t *testing.T) {
	t.Parallel()
	id, _ := followUpCaseIDs(t)
	h := newHarness(t)
	h.runToClose(id)
	call := workflows.TaskID(id, 6) // record, route, urgent, reply, close, the call
	due := closedAt.Add(48 * time.Hour)
	var (
		before, during     workflows.CaseState
		noImprovement, bad *updateResult
		answered           *updateResult
	)
	h.env.RegisterDelayedCallback(func() { before = h.state() }, 30*time.Minute+48*time.Hour-time.Minute)
	h.env.RegisterDelayedCallback(func() {
		during = h.state()
		req := workflows.CompleteRequest{TaskID: call, Outcome: flow.FollowUpAnswered, ActorID: "cara", ActorRole: "staff", ActorDepartments: []string{"cs"}}
		req.Data = map[string]any{"csat": 4.0}
		noImprovement = h.complete("f1", req)
		req.Data = map[string]any{"improvement": "yes", "csat": 7.0}
		bad = h.complete("f2", req)
		req.Data = map[string]any{"improvement": "yes", "csat": 4.0, "comment": "much quicker this time"}
		answered = h.complete("f3", req)
	}, 30*time.Minute+48*time.Hour+20*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, followUpInput(id))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	require.Equal(t, []workflows.RecordFollowUpInput{{CaseID: id, Share: 0.15, Sampled: true, TaskID: call, DueAt: due, At: closedAt}}, h.followUps)
	// The case closed at the close, once.
	last := h.cases[len(h.cases)-1]
	require.Equal(t, workflows.StatusCompleted, last.Status)
	require.Equal(t, &closedAt, last.ClosedAt)
	for _, c := range h.cases {
		require.False(t, c.At.After(closedAt), "the case row is not touched after the close: %+v", c)
	}

	require.Equal(t, workflows.StatusCompleted, before.Status)
	require.Empty(t, before.Open, "no call before the two days")
	require.Equal(t, workflows.StatusCompleted, during.Status, "the case stays completed during its follow-up")
	require.Equal(t, []workflows.TaskRef{{TaskID: call, Seq: 6, Step: flow.FollowUpStep, StepName: "Follow-up call", Department: "cs",
		SLADue: ptr(due.Add(4 * time.Hour))}}, during.Open)

	require.Len(t, h.opened, 2)
	require.Equal(t, workflows.OpenTaskInput{
		TaskID: call, CaseID: id, Seq: 6, Flow: "test", Version: 3, Variant: "A",
		Step: flow.FollowUpStep, StepName: "Follow-up call", Department: "cs",
		Outcomes: []string{flow.FollowUpAnswered, flow.FollowUpUnreachable}, Form: flow.FollowUpForm(),
		OpenedAt: due, SLADue: ptr(due.Add(4 * time.Hour)),
	}, h.opened[1])

	require.Equal(t, workflows.ErrInvalidData, errType(t, noImprovement.rejected))
	require.Contains(t, noImprovement.rejected.Error(), `field "improvement" is required when the customer answered`)
	require.Equal(t, workflows.ErrInvalidData, errType(t, bad.rejected))
	require.Contains(t, bad.rejected.Error(), `field "csat" must be a whole number from 1 to 5`)
	require.True(t, answered.accepted)
	require.NoError(t, answered.err)
	require.Equal(t, workflows.CompleteResult{CaseID: id, TaskID: call, CaseStatus: workflows.StatusCompleted}, answered.result,
		"the call leads nowhere: no next task")

	require.Len(t, h.closed, 2)
	c := h.closed[1]
	require.Equal(t, call, c.TaskID)
	require.Equal(t, workflows.StatusCompleted, c.Status)
	require.Equal(t, &workflows.FollowUpAnswer{CaseID: id, Outcome: flow.FollowUpAnswered, Improvement: flow.ImprovementYes,
		CSAT: ptr(4), Comment: "much quicker this time"}, c.FollowUp)
	require.Equal(t, due.Add(20*time.Minute), c.Span.CompletedAt)
	require.Nil(t, h.closed[0].FollowUp, "the case's own task keeps the input it had")
	raw, err := json.Marshal(h.closed[0])
	require.NoError(t, err)
	require.NotContains(t, string(raw), "FollowUp")

	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StatusCompleted, final.Status)
	require.Empty(t, final.Open)
	require.Equal(t, "close", final.Step)
	require.Equal(t, "customer_reply", final.LastOutcome, "the call does not change the case's last outcome")
}

// A customer who cannot be reached: the outcome is kept without answers
// (whatever the form says).
func TestFollowUpUnreachable(t *testing.T) {
	t.Parallel()
	id, _ := followUpCaseIDs(t)
	h := newHarness(t)
	h.runToClose(id)
	var res *updateResult
	h.env.RegisterDelayedCallback(func() {
		res = h.complete("f1", workflows.CompleteRequest{TaskID: workflows.TaskID(id, 6), Outcome: flow.FollowUpUnreachable,
			Data: map[string]any{"comment": "no answer twice"}, ActorID: "cara", ActorDepartments: []string{"cs"}})
	}, 30*time.Minute+49*time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, followUpInput(id))
	require.NoError(t, h.env.GetWorkflowError())
	require.NoError(t, res.err)
	require.Len(t, h.closed, 2)
	require.Equal(t, &workflows.FollowUpAnswer{CaseID: id, Outcome: flow.FollowUpUnreachable}, h.closed[1].FollowUp)
}

// A case the sample does not pick: its follow-up is recorded (not sampled,
// no call task, due when the call would have been) and the run ends at the
// close; no task opens.
func TestFollowUpUnsampledCaseGetsNoCall(t *testing.T) {
	t.Parallel()
	_, id := followUpCaseIDs(t)
	h := newHarness(t)
	h.runToClose(id)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, followUpInput(id))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	require.Equal(t, []workflows.RecordFollowUpInput{{CaseID: id, Share: 0.15, DueAt: closedAt.Add(48 * time.Hour), At: closedAt}}, h.followUps)
	require.Len(t, h.opened, 1, "only the case's own task")
	require.Equal(t, closedAt, h.env.Now().UTC(), "the run ended at the close, without waiting")
}

// A flow without a follow-up runs as before: nothing is recorded, no call,
// the run ends at the close; so does a run recorded before the change
// (GetVersion answers the default version).
func TestFollowUpNoneWithoutTheBlockOrBeforeTheChange(t *testing.T) {
	t.Parallel()
	id, _ := followUpCaseIDs(t)
	for _, tc := range []struct {
		name   string
		before bool
	}{{"no follow_up", false}, {"recorded before", true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.runToClose(id)
			in := followUpInput(id)
			if tc.before {
				h.env.OnGetVersion("follow-up", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
			} else {
				in.Definition.FollowUp = nil
			}
			h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
			require.True(t, h.env.IsWorkflowCompleted())
			require.NoError(t, h.env.GetWorkflowError())
			require.Empty(t, h.followUps)
			require.Len(t, h.opened, 1)
			require.Equal(t, closedAt, h.env.Now().UTC())
		})
	}
}

// Cancelled while waiting for the call, or while the call is open: an
// open call task is closed as cancelled, the run ends Canceled, and the
// case row stays completed (no cancelled update).
func TestFollowUpCancelled(t *testing.T) {
	t.Parallel()
	id, _ := followUpCaseIDs(t)
	for _, tc := range []struct {
		name  string
		after time.Duration
		open  bool
	}{{"during the wait", 30*time.Minute + 24*time.Hour, false}, {"during the call", 30*time.Minute + 49*time.Hour, true}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.runToClose(id)
			h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, tc.after)
			h.env.ExecuteWorkflow(workflows.CaseWorkflow, followUpInput(id))
			require.True(t, h.env.IsWorkflowCompleted())
			var ce *temporal.CanceledError
			require.True(t, errors.As(h.env.GetWorkflowError(), &ce), "want canceled, got %v", h.env.GetWorkflowError())
			for _, c := range h.cases {
				require.NotEqual(t, workflows.StatusCancelled, c.Status, "the completed case stays completed")
			}
			if !tc.open {
				require.Len(t, h.opened, 1)
				require.Len(t, h.closed, 1)
				return
			}
			require.Len(t, h.opened, 2)
			require.Len(t, h.closed, 2)
			require.Equal(t, workflows.TaskID(id, 6), h.closed[1].TaskID)
			require.Equal(t, workflows.StatusCancelled, h.closed[1].Status)
			require.Nil(t, h.closed[1].FollowUp)
		})
	}
}

// The call task is assigned as it opens when the follow-up says how
// (decision 0036's path, the rules in the OpenTask input).
func TestFollowUpCallIsAssignedByItsRules(t *testing.T) {
	t.Parallel()
	id, _ := followUpCaseIDs(t)
	h := newHarness(t)
	h.runToClose(id)
	in := followUpInput(id)
	in.Definition.FollowUp.Assign = &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"record"}, Fallback: []string{flow.AssignLeastLoaded}}
	h.env.RegisterDelayedCallback(func() { h.env.CancelWorkflow() }, 30*time.Minute+49*time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.Len(t, h.opened, 2)
	require.Equal(t, &workflows.Assignment{Customer: "c-1", Rules: []string{flow.AssignSticky, flow.AssignLeastLoaded}, StickySteps: []string{"record"}},
		h.opened[1].Assign)
}
