package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/workflows"
)

// testFlowV4 is testFlow revised: record becomes intake in tech (SLA 2h,
// outcomes "triaged" and "rejected"), the reply wait becomes confirm.
func testFlowV4() flow.Definition {
	d := testFlow()
	d.Version = 4
	d.Steps = []flow.Step{
		{
			ID: "intake", Kind: flow.KindTask, Name: "Intake", Department: "tech", SLA: dur(2 * time.Hour),
			Outcomes: []flow.Outcome{{Name: "triaged", Next: "confirm"}, {Name: "rejected", Next: "close"}},
		},
		{ID: "confirm", Kind: flow.KindWait, Event: "customer_ok", Timeout: dur(48 * time.Hour), Next: "close"},
		{ID: "close", Kind: flow.KindEnd},
	}
	return d
}

// migrateResult collects the outcome of one migrate Update.
type migrateResult struct {
	accepted bool
	rejected error
	result   workflows.MigrateResult
	err      error
	done     bool
}

func (u *migrateResult) Accept()        { u.accepted = true }
func (u *migrateResult) Reject(e error) { u.rejected = e; u.done = true }
func (u *migrateResult) Complete(success any, err error) {
	u.done = true
	u.err = err
	if r, ok := success.(workflows.MigrateResult); ok {
		u.result = r
	}
}

func (h *harness) migrate(id string, req workflows.MigrateRequest) *migrateResult {
	u := &migrateResult{}
	if req.MigrationID == "" {
		req.MigrationID = id
	}
	h.env.UpdateWorkflow(workflows.UpdateMigrate, id, u, req)
	return u
}

func migrateReq(mapping map[string]string) workflows.MigrateRequest {
	return workflows.MigrateRequest{From: 3, To: testFlowV4(), Mapping: mapping, ActorID: "owner-1"}
}

func TestMigrateOpenTask(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var mig, stale, done *migrateResult
	var staleComplete *updateResult
	var after workflows.CaseState
	var intake *updateResult
	h.env.RegisterDelayedCallback(func() {
		before := h.state()
		require.True(t, before.AtRest)
		require.Equal(t, "task", before.StepKind)
		mig = h.migrate("m1", migrateReq(map[string]string{"record": "intake"}))
		// Accepted in the same workflow task: a completion of the old task
		// and a second migration are refused.
		staleComplete = h.complete("u1", recordReq)
		stale = h.migrate("m2", migrateReq(map[string]string{"record": "intake"}))
	}, 30*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		after = h.state()
		done = h.migrate("m3", migrateReq(map[string]string{"record": "intake"}))
		intake = h.complete("u2", workflows.CompleteRequest{
			TaskID: workflows.TaskID(caseID, 2), Outcome: "rejected", ActorID: "bob", ActorDepartments: []string{"tech"},
		})
	}, time.Hour)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(nil))
	require.NoError(t, h.env.GetWorkflowError())

	require.True(t, mig.accepted)
	require.NoError(t, mig.err)
	require.Equal(t, workflows.MigrateResult{
		CaseID: caseID, FromVersion: 3, ToVersion: 4, FromStep: "record", ToStep: "intake",
		ClosedTaskID: workflows.TaskID(caseID, 1), CaseStatus: workflows.StatusActive,
		Next: []workflows.TaskRef{{TaskID: workflows.TaskID(caseID, 2), Seq: 2, Step: "intake", StepName: "Intake",
			Department: "tech", SLADue: ptr(t0.Add(30*time.Minute + 2*time.Hour))}},
	}, mig.result)
	require.Equal(t, workflows.ErrStaleTask, errType(t, staleComplete.rejected))
	require.Equal(t, workflows.ErrMigrationRefused, errType(t, stale.rejected))

	require.Equal(t, 4, after.Version)
	require.Equal(t, "intake", after.Step)
	// Already on version 4: a repeat is refused with the reason.
	require.Equal(t, workflows.ErrMigrationRefused, errType(t, done.rejected))
	require.ErrorContains(t, done.rejected, "case runs version 4, not 3")
	require.NoError(t, intake.err)

	// The old task was closed as cancelled with outcome migrated and its
	// span recorded; the new task opened on version 4.
	require.Len(t, h.closed, 2)
	c := h.closed[0]
	require.Equal(t, workflows.StatusCancelled, c.Status)
	require.Equal(t, workflows.OutcomeMigrated, c.Outcome)
	require.Equal(t, "record", c.Span.Step)
	require.Equal(t, 3, c.Span.Version)
	require.Equal(t, workflows.OutcomeMigrated, c.Span.Outcome)
	require.Equal(t, t0.Add(30*time.Minute), c.Span.CompletedAt)
	require.Len(t, h.opened, 2)
	require.Equal(t, 4, h.opened[1].Version)
	require.Equal(t, "intake", h.opened[1].Step)
	require.Equal(t, 4, h.closed[1].Span.Version)

	// The case row moves to version 4 once, at the first step after the swap.
	var versions []int
	for _, u := range h.cases {
		versions = append(versions, u.Version)
	}
	require.Equal(t, []int{0, 4, 0}, versions)

	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, workflows.StatusCompleted, final.Status)
	require.Equal(t, 4, final.Version)
}

func TestMigrateRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	got := map[string]*migrateResult{}
	h.env.RegisterDelayedCallback(func() {
		got["unmapped"] = h.migrate("a", migrateReq(map[string]string{"reply": "confirm"}))
		got["missing"] = h.migrate("b", migrateReq(map[string]string{"record": "nowhere"}))
		wrongFrom := migrateReq(map[string]string{"record": "intake"})
		wrongFrom.From = 2
		got["from"] = h.migrate("c", wrongFrom)
		otherFlow := migrateReq(map[string]string{"record": "intake"})
		otherFlow.To.Key = "other"
		got["flow"] = h.migrate("d", otherFlow)
		empty := migrateReq(map[string]string{"record": "intake"})
		empty.To = flow.Definition{}
		got["empty"] = h.migrate("e", empty)
	}, time.Minute)
	h.env.RegisterDelayedCallback(func() { h.complete("u1", recordReq) }, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "fixed", ActorDepartments: []string{"tech"}})
	}, 3*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_reply"})
	}, 4*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "low"}))
	require.NoError(t, h.env.GetWorkflowError())

	want := map[string]string{
		"unmapped": "step record is not mapped",
		"missing":  "step record is mapped to nowhere, which version 4 does not have",
		"from":     "case runs version 3, not 2",
		"flow":     "case runs flow test, not other",
		"empty":    "the target definition is empty",
	}
	for name, msg := range want {
		u := got[name]
		require.NotNil(t, u.rejected, name)
		require.Equal(t, workflows.ErrMigrationRefused, errType(t, u.rejected), name)
		require.ErrorContains(t, u.rejected, msg, name)
	}
	// Nothing changed: the case finished on version 3.
	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, 3, final.Version)
	for _, c := range h.closed {
		require.NotEqual(t, workflows.OutcomeMigrated, c.Outcome)
	}
}

func TestMigrateWaitStepKeepsPendingEvents(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	var mig *migrateResult
	var st workflows.CaseState
	h.env.RegisterDelayedCallback(func() { h.complete("u1", recordReq) }, time.Minute)
	h.env.RegisterDelayedCallback(func() {
		h.complete("u2", workflows.CompleteRequest{TaskID: workflows.TaskID(caseID, 3), Outcome: "fixed", ActorDepartments: []string{"tech"}})
	}, 2*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		// The customer confirms before the case waits for it.
		h.env.SignalWorkflow(workflows.SignalEvent, workflows.EventRequest{Name: "customer_ok"})
	}, 3*time.Minute)
	h.env.RegisterDelayedCallback(func() {
		st = h.state()
		mig = h.migrate("m1", migrateReq(map[string]string{"reply": "confirm"}))
	}, 4*time.Minute)
	h.env.ExecuteWorkflow(workflows.CaseWorkflow, input(map[string]any{"severity": "low"}))
	require.NoError(t, h.env.GetWorkflowError())

	require.Equal(t, "reply", st.Step)
	require.True(t, st.AtRest)
	require.NoError(t, mig.err)
	require.Equal(t, "confirm", mig.result.ToStep)
	require.Empty(t, mig.result.ClosedTaskID)
	// The kept event satisfied the new wait at once and the case closed.
	var final workflows.CaseState
	require.NoError(t, h.env.GetWorkflowResult(&final))
	require.Equal(t, "customer_ok", final.LastOutcome)
	outcomes := map[string]string{}
	for _, s := range h.spans {
		outcomes[s.Step] = s.Outcome
	}
	require.Equal(t, workflows.OutcomeMigrated, outcomes["reply"])
	require.Equal(t, "customer_ok", outcomes["confirm"])
}

func TestMigrationRefusalBetweenSteps(t *testing.T) {
	t.Parallel()
	st := workflows.CaseState{Flow: "test", Version: 3, Status: workflows.StatusActive, Step: "route", StepKind: "decision"}
	req := migrateReq(map[string]string{"route": "intake"})
	require.Equal(t, "case is between steps (at decision step route); try again", workflows.MigrationRefusal(st, req))
	st.Status = workflows.StatusCompleted
	require.Equal(t, "case is completed", workflows.MigrationRefusal(st, req))
}
