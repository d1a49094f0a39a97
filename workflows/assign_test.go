package workflows_test

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

// A task whose step has an assignment is assigned as it opens (decision
// 0036, change assign-at-open): the OpenTask input carries the rules in
// order, the skills resolved from the case's attributes and last form
// data, the sticky steps and the customer; the AssignTask activity does
// not run; a step without one (record) carries nothing.
func TestCaseAssignsAtTheOpening(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	def := testFlow()
	def.Steps[3].Assign = &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"record", flow.StickyCustomer},
		Fallback: []string{flow.AssignSkills, flow.AssignPull}, Skills: []string{"attributes.product", "data.summary", "attributes.none"},
		AcceptWithin: dur(10 * time.Minute)}
	assignCalls := 0
	h.env.OnActivity(workflows.ActivityAssignTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in workflows.AssignTaskInput) (workflows.AssignTaskResult, error) {
			h.add(func() { assignCalls++ })
			return workflows.AssignTaskResult{}, nil
		})
	runAssignedCase(t, h, def)
	require.Zero(t, assignCalls, "no AssignTask activity")
	require.Len(t, h.opened, 2)
	require.Nil(t, h.opened[0].Assign, "the record step has no assignment")
	require.Equal(t, workflows.TaskID(caseID, 3), h.opened[1].TaskID)
	require.Equal(t, &workflows.Assignment{Customer: "c-1", Rules: []string{flow.AssignSticky, flow.AssignSkills, flow.AssignPull},
		Skills: []string{"router", "broken"}, StickySteps: []string{"record"}, StickyCustomer: true, AcceptWithin: 10 * time.Minute},
		h.opened[1].Assign)
	raw, err := json.Marshal(h.opened[0])
	require.NoError(t, err)
	require.NotContains(t, string(raw), "Assign", "an opening without one sends the input it always sent")
}

// A run recorded before change assign-at-open keeps assigning after the
// opening (decision 0035): OpenTask carries no assignment, then the
// AssignTask activity asks the store for a person with the same rules,
// skills, sticky steps and customer; a step without one asks nothing; a
// failed assignment leaves the task in the pool and the case goes on.
func TestCaseAssignsAfterTheOpeningInRunsRecordedBefore(t *testing.T) {
	t.Parallel()
	for _, fail := range []bool{false, true} {
		h := newHarness(t)
		h.env.OnGetVersion("assign-at-open", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		def := testFlow()
		def.Steps[3].Assign = &flow.Assign{Rule: flow.AssignSticky, Sticky: []string{"record", flow.StickyCustomer},
			Fallback: []string{flow.AssignSkills, flow.AssignPull}, Skills: []string{"attributes.product", "data.summary", "attributes.none"}}
		var (
			mu   sync.Mutex
			seen []workflows.AssignTaskInput
		)
		h.env.OnActivity(workflows.ActivityAssignTask, mock.Anything, mock.Anything).Return(
			func(_ context.Context, in workflows.AssignTaskInput) (workflows.AssignTaskResult, error) {
				mu.Lock()
				seen = append(seen, in)
				mu.Unlock()
				if fail {
					return workflows.AssignTaskResult{}, errors.New("store down")
				}
				return workflows.AssignTaskResult{Assignee: "tom", Rule: flow.AssignSticky}, nil
			})
		runAssignedCase(t, h, def)
		require.NotEmpty(t, seen, "the normal step asked for a person")
		got := seen[0]
		require.Equal(t, workflows.AssignTaskInput{TaskID: workflows.TaskID(caseID, 3), CaseID: caseID, Assignment: workflows.Assignment{
			Customer: "c-1", Rules: []string{flow.AssignSticky, flow.AssignSkills, flow.AssignPull}, Skills: []string{"router", "broken"},
			StickySteps: []string{"record"}, StickyCustomer: true}, At: got.At}, got)
		for _, s := range seen {
			require.Equal(t, workflows.TaskID(caseID, 3), s.TaskID, "the record step (no assignment) asked nothing")
		}
		for _, o := range h.opened {
			require.Nil(t, o.Assign, "the openings carry no assignment")
		}
		// The input's JSON is the one such runs recorded: flat fields.
		raw, err := json.Marshal(got)
		require.NoError(t, err)
		var flat map[string]any
		require.NoError(t, json.Unmarshal(raw, &flat))
		require.Equal(t, "c-1", flat["Customer"])
		require.Equal(t, []any{"record"}, flat["StickySteps"])
		require.NotContains(t, flat, "Assignment")
	}
}

// runAssignedCase runs testFlow (def) through record and its normal step,
// completed by tom, to the end.
func runAssignedCase(t *testing.T, h *harness, def flow.Definition) {
	t.Helper()
	h.env.RegisterDelayedCallback(func() { h.complete("u1", recordReq) }, 5*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.state().Open, 1, "the normal task is open, assigned or in the pool")
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "fixed", ActorID: "tom", ActorRole: "staff",
			ActorDepartments: []string{"tech"}})
	}, 20*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 40*time.Minute)
	in := input(map[string]any{"severity": "low", "product": "router"})
	in.Definition = def
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
}

// An escalation level's assign: reaches the Escalate activity in the
// flow's words (the activity maps them to the store's), on the levels that
// have it; a level without one sends the input it always sent (no Assign
// in its JSON), so recorded runs replay unchanged.
func TestCaseEscalationPassesAssign(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	in := input(map[string]any{"severity": "high"})
	in.Definition.Steps[0].Escalation = []flow.EscalationLevel{
		{After: dur(time.Hour), Assign: flow.EscalateTeamLead, Notify: "cs_lead"},
		{After: dur(90 * time.Minute), Notify: "assignee"},
		{After: dur(2 * time.Hour), Department: "tech", Assign: flow.EscalatePool},
	}
	h.env.RegisterDelayedCallback(func() {
		req := recordReq
		req.ActorDepartments = []string{"tech"}
		h.complete("tech", req)
	}, 2*time.Hour+time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 3*time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, in)
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	task := workflows.TaskID(caseID, 1)
	require.Equal(t, []workflows.EscalateInput{
		{CaseID: caseID, TaskID: task, Step: "record", Level: 1, Notify: "cs_lead", Assign: flow.EscalateTeamLead, At: t0.Add(time.Hour)},
		{CaseID: caseID, TaskID: task, Step: "record", Level: 2, Notify: "assignee", At: t0.Add(90 * time.Minute)},
		{CaseID: caseID, TaskID: task, Step: "record", Level: 3, Department: "tech", Assign: flow.EscalatePool, At: t0.Add(2 * time.Hour)},
	}, h.escalations)
	require.Len(t, h.closed, 1)
	require.Equal(t, 3, h.closed[0].Span.EscalationLevel)

	without, err := json.Marshal(h.escalations[1])
	require.NoError(t, err)
	require.NotContains(t, string(without), "Assign")
	with, err := json.Marshal(h.escalations[0])
	require.NoError(t, err)
	require.Contains(t, string(with), `"Assign":"team_lead"`)
}
