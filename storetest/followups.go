package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
)

// testFollowUps: a completed case's follow-up row is written once, its
// call task opens and completes without a span (it is no step of the case's
// process) and without counting as the case's first response, the first
// answers stay, and the case measures and a pilot's cases carry it
// (decision 0041).
func testFollowUps(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "fu-sampled")
	createCase(t, s, "fu-not")
	createCase(t, s, "fu-none")
	createCase(t, s, "fu-gone")

	// The case's own task, claimed at 2m and completed; the case closes
	// at 10m.
	p := taskParams("own", "fu-sampled", 1)
	openTask(t, s, p)
	_, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: "own", Actor: "ann", At: at(2 * time.Minute)})
	require.NoError(t, err)
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "own", Outcome: "resolved", Actor: "ann", CompletionID: "c-own",
		At: at(5 * time.Minute), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	closeCase(t, s, "fu-sampled", store.CaseCompleted, 10*time.Minute)
	closeCase(t, s, "fu-not", store.CaseCompleted, 10*time.Minute)
	closeCase(t, s, "fu-none", store.CaseCompleted, 10*time.Minute)

	due := at(10*time.Minute + 48*time.Hour)
	rec := store.RecordFollowUpParams{CaseID: "fu-sampled", Share: 0.15, Sampled: true, TaskID: "call", DueAt: due, At: at(10 * time.Minute)}
	f, err := s.RecordFollowUp(ctx, rec)
	require.NoError(t, err)
	want := store.FollowUp{CaseID: "fu-sampled", Share: 0.15, Sampled: true, TaskID: "call", DueAt: due, CreatedAt: at(10 * time.Minute)}
	require.Equal(t, want, f)
	again := rec
	again.Share, again.Sampled, again.TaskID, again.At = 0.5, false, "", at(time.Hour)
	f, err = s.RecordFollowUp(ctx, again)
	require.NoError(t, err)
	require.Equal(t, want, f, "a repeat (a retried activity) leaves the row as the first call wrote it")
	_, err = s.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: "fu-not", Share: 0.15, DueAt: due, At: at(10 * time.Minute)})
	require.NoError(t, err)

	_, err = s.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: "no-such-case", Share: 0.15, DueAt: due, At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
	for _, bad := range []store.RecordFollowUpParams{
		{CaseID: "fu-gone", Share: 0, DueAt: due, At: t0},
		{CaseID: "fu-gone", Share: 1.5, DueAt: due, At: t0},
		{CaseID: "fu-gone", Share: 0.15, Sampled: true, DueAt: due, At: t0},
	} {
		_, err = s.RecordFollowUp(ctx, bad)
		require.Error(t, err, "%+v", bad)
	}
	_, err = s.GetFollowUp(ctx, "fu-gone")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing was written for the refused parameters")
	_, err = s.GetFollowUp(ctx, "fu-none")
	require.ErrorIs(t, err, store.ErrNotFound)

	// The call task opens after the wait, in the follow-up's department.
	call := taskParams("call", "fu-sampled", 3)
	call.Step, call.StepName, call.Department = flow.FollowUpStep, "Follow-up call", "service"
	call.Outcomes, call.OpenedAt, call.SLADue = []string{flow.FollowUpAnswered, flow.FollowUpUnreachable}, due, ptr(due.Add(4*time.Hour))
	openTask(t, s, call)
	f, err = s.GetFollowUp(ctx, "fu-sampled")
	require.NoError(t, err)
	require.Equal(t, ptr(due), f.OpenedAt)
	require.Equal(t, time.UTC, f.OpenedAt.Location())

	// Its claim is not the case's first response, its completion records
	// no span and no task span of the case.
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "call", Actor: "bob", At: due.Add(time.Minute)})
	require.NoError(t, err)
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "call", Outcome: flow.FollowUpAnswered, Actor: "bob", CompletionID: "c-call",
		At: due.Add(5 * time.Minute), Span: store.Span{Kind: "task", Step: flow.FollowUpStep}})
	require.NoError(t, err)
	spans := spanCount(t, s, "fu-sampled")
	require.Len(t, spans, 1, "only the case's own task has a span")
	require.Equal(t, "step1", spans[0].Step)

	answer := store.AnswerFollowUpParams{CaseID: "fu-sampled", TaskID: "call", Outcome: flow.FollowUpAnswered,
		Improvement: flow.ImprovementYes, CSAT: ptr(4), Comment: "faster than last time", Actor: "bob", At: due.Add(5 * time.Minute)}
	f, err = s.AnswerFollowUp(ctx, answer)
	require.NoError(t, err)
	want.OpenedAt, want.Outcome, want.Improvement, want.CSAT, want.Comment, want.AnsweredBy, want.AnsweredAt =
		ptr(due), flow.FollowUpAnswered, flow.ImprovementYes, ptr(4), "faster than last time", "bob", ptr(due.Add(5*time.Minute))
	require.Equal(t, want, f)
	second := answer
	second.Improvement, second.CSAT, second.Comment, second.At = flow.ImprovementNo, ptr(1), "", due.Add(time.Hour)
	f, err = s.AnswerFollowUp(ctx, second)
	require.NoError(t, err)
	require.Equal(t, want, f, "the first answers stay")
	got, err := s.GetFollowUp(ctx, "fu-sampled")
	require.NoError(t, err)
	require.Equal(t, want, got)

	_, err = s.AnswerFollowUp(ctx, store.AnswerFollowUpParams{CaseID: "fu-sampled", TaskID: "other", Outcome: flow.FollowUpUnreachable, At: due})
	require.ErrorIs(t, err, store.ErrNotFound, "not the case's call task")
	_, err = s.AnswerFollowUp(ctx, store.AnswerFollowUpParams{CaseID: "fu-not", TaskID: "", Outcome: flow.FollowUpUnreachable, At: due})
	require.ErrorIs(t, err, store.ErrNotFound, "a case not sampled has no call")
	for _, bad := range []store.AnswerFollowUpParams{
		{CaseID: "fu-gone", TaskID: "x", Outcome: "maybe", At: due},
		{CaseID: "fu-gone", TaskID: "x", Outcome: flow.FollowUpAnswered, Improvement: "perhaps", At: due},
		{CaseID: "fu-gone", TaskID: "x", Outcome: flow.FollowUpAnswered, Improvement: flow.ImprovementYes, CSAT: ptr(6), At: due},
		{CaseID: "fu-gone", TaskID: "x", Outcome: flow.FollowUpUnreachable, Improvement: flow.ImprovementYes, At: due},
	} {
		_, err = s.AnswerFollowUp(ctx, bad)
		require.Error(t, err, "%+v", bad)
		require.False(t, errors.Is(err, store.ErrNotFound), "refused before the database is asked: %v", err)
	}

	// The span export carries the answered call's CSAT and improvement
	// answer with each span of the case, so a pilot's CSAT can be
	// recomputed from it.
	exp, err := s.ExportSpans(ctx, store.ExportSpansParams{Flow: "complaint"})
	require.NoError(t, err)
	require.Len(t, exp, 1)
	require.Equal(t, "fu-sampled", exp[0].CaseID)
	require.Equal(t, ptr(4), exp[0].FollowUpCSAT)
	require.Equal(t, flow.ImprovementYes, exp[0].Improvement)
	require.Nil(t, exp[0].CSAT)

	// A call cancelled (its case's workflow cancelled during the wait or
	// the call) records no span either.
	createCase(t, s, "fu-cancelled")
	closeCase(t, s, "fu-cancelled", store.CaseCompleted, 10*time.Minute)
	_, err = s.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: "fu-cancelled", Share: 1, Sampled: true, TaskID: "call2", DueAt: due, At: at(10 * time.Minute)})
	require.NoError(t, err)
	call2 := call
	call2.ID, call2.CaseID = "call2", "fu-cancelled"
	openTask(t, s, call2)
	_, err = s.CancelTask(ctx, store.CancelTaskParams{ID: "call2", At: due.Add(time.Hour), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	require.Empty(t, spanCount(t, s, "fu-cancelled"))
	task, err := s.GetTask(ctx, "call2")
	require.NoError(t, err)
	require.Equal(t, store.TaskCancelled, task.Status)

	// The measures: the follow-up of each case that has one; the case's
	// first response and task spans are its own task's.
	ms, err := s.ListCaseMeasures(ctx, store.CaseMeasuresParams{})
	require.NoError(t, err)
	byID := map[string]store.CaseMeasure{}
	for _, m := range ms {
		byID[m.CaseID] = m
	}
	m := byID["fu-sampled"]
	require.Equal(t, &store.FollowUpMeasure{Share: 0.15, Sampled: true, DueAt: due, Opened: true, Outcome: flow.FollowUpAnswered,
		Improvement: flow.ImprovementYes, CSAT: ptr(4)}, m.FollowUp)
	require.Equal(t, ptr(at(2*time.Minute)), m.FirstClaimedAt, "the call's claim is no first response")
	require.Equal(t, 1, m.TaskSpans, "the call is no task span of the case")
	require.Nil(t, m.CSAT, "the feedback's CSAT stays the feedback's: the KPIs decide how the call's counts")
	require.Equal(t, &store.FollowUpMeasure{Share: 0.15, DueAt: due}, byID["fu-not"].FollowUp)
	require.Equal(t, &store.FollowUpMeasure{Share: 1, Sampled: true, DueAt: due, Opened: true}, byID["fu-cancelled"].FollowUp)
	require.Nil(t, byID["fu-none"].FollowUp)
	require.Equal(t, time.UTC, m.FollowUp.DueAt.Location())

	// A pilot's cases carry it too.
	createPilot(t, s, pilotParams("pfu", "complaint", 0))
	pilotCase(t, s, "fu-pilot", "pfu", store.ArmTreatment, "cust-p", 2, time.Minute)
	closeCase(t, s, "fu-pilot", store.CaseCompleted, time.Hour)
	_, err = s.RecordFollowUp(ctx, store.RecordFollowUpParams{CaseID: "fu-pilot", Share: 0.2, Sampled: true, TaskID: "call3", DueAt: due, At: at(time.Hour)})
	require.NoError(t, err)
	call3 := call
	call3.ID, call3.CaseID = "call3", "fu-pilot"
	openTask(t, s, call3)
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "call3", Outcome: flow.FollowUpAnswered, Actor: "bob", CompletionID: "c-call3",
		At: due.Add(time.Minute), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	_, err = s.AnswerFollowUp(ctx, store.AnswerFollowUpParams{CaseID: "fu-pilot", TaskID: "call3", Outcome: flow.FollowUpAnswered,
		Improvement: flow.ImprovementNotSure, Actor: "bob", At: due.Add(time.Minute)})
	require.NoError(t, err)
	pcs, err := s.ListPilotCases(ctx, "pfu")
	require.NoError(t, err)
	require.Len(t, pcs, 1)
	require.Equal(t, &store.FollowUpMeasure{Share: 0.2, Sampled: true, DueAt: due, Opened: true, Outcome: flow.FollowUpAnswered,
		Improvement: flow.ImprovementNotSure}, pcs[0].FollowUp)
}
