package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// The follow-up activities (decision 0041) retried after a crash right
// after their write committed leave it once: RecordFollowUp keeps the
// row the first attempt wrote; CloseTask of a call completes the task
// without a span and keeps the first answers, whether the crash came
// after the completion or after the answers.
func TestFollowUpActivitiesRetriedAfterCrash(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	closed := t0.Add(time.Hour)
	due := closed.Add(48 * time.Hour)
	call := workflows.TaskID(caseID, 6)
	for _, method := range []string{"RecordFollowUp", "CompleteTask", "AnswerFollowUp"} {
		t.Run(method, func(t *testing.T) {
			t.Parallel()
			cs := &crashingStore{Store: newStore(t), crash: map[string]int{method: 2}}
			a := &activities.Activities{Store: cs, Logger: quiet()}
			runRetried(t, a, workflows.ActivityRecordFollowUp, workflows.RecordFollowUpInput{
				CaseID: caseID, Share: 0.15, Sampled: true, TaskID: call, DueAt: due, At: closed})

			open := openInput(6)
			open.TaskID, open.Step, open.StepName = call, flow.FollowUpStep, "Follow-up call"
			open.Outcomes, open.Form, open.OpenedAt = []string{flow.FollowUpAnswered, flow.FollowUpUnreachable}, flow.FollowUpForm(), due
			runRetried(t, a, workflows.ActivityOpenTask, open)
			in := closeInput(6, "upd-call")
			in.TaskID, in.Outcome, in.Data = call, flow.FollowUpAnswered, map[string]any{"improvement": "no", "csat": 2.0}
			in.Span.Step, in.Span.Outcome, in.Span.EnteredAt, in.Span.CompletedAt = flow.FollowUpStep, flow.FollowUpAnswered, due, due.Add(time.Hour)
			in.FollowUp = &workflows.FollowUpAnswer{CaseID: caseID, Outcome: flow.FollowUpAnswered, Improvement: flow.ImprovementNo, CSAT: ptr(2)}
			runRetried(t, a, workflows.ActivityCloseTask, in)

			require.Equal(t, []string{method, method}, cs.crashed, "crashed twice after the write")
			f, err := cs.GetFollowUp(ctx, caseID)
			require.NoError(t, err)
			require.Equal(t, store.FollowUp{CaseID: caseID, Share: 0.15, Sampled: true, TaskID: call, DueAt: due, OpenedAt: &due,
				Outcome: flow.FollowUpAnswered, Improvement: flow.ImprovementNo, CSAT: ptr(2), AnsweredBy: "ann",
				AnsweredAt: ptr(due.Add(time.Hour)), CreatedAt: closed}, f)
			task, err := cs.GetTask(ctx, call)
			require.NoError(t, err)
			require.Equal(t, store.TaskCompleted, task.Status)
			spans, err := cs.ListSpans(ctx, store.SpanFilter{CaseID: caseID})
			require.NoError(t, err)
			require.Empty(t, spans, "a follow-up call leaves no span")
		})
	}
}

// A call whose case has no follow-up row (not expected: the workflow
// records it first) still completes: the answers are lost and logged, the
// case is not left waiting on a task the store completed.
func TestFollowUpAnswersWithoutARow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	a := &activities.Activities{Store: s, Logger: quiet()}
	open := openInput(6)
	open.Step = flow.FollowUpStep
	require.NoError(t, a.OpenTask(ctx, open))
	in := closeInput(6, "upd")
	in.Outcome = flow.FollowUpUnreachable
	in.FollowUp = &workflows.FollowUpAnswer{CaseID: caseID, Outcome: flow.FollowUpUnreachable}
	require.NoError(t, a.CloseTask(ctx, in))
	task, err := s.GetTask(ctx, workflows.TaskID(caseID, 6))
	require.NoError(t, err)
	require.Equal(t, store.TaskCompleted, task.Status)
}
