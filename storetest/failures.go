package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testCompleteTaskAudit: a completion's audit entry is written with it, and
// a retried completion (the activity retried after its commit) adds none.
func testCompleteTaskAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "ca1")
	openTask(t, s, taskParams("ta1", "ca1", 1))
	entry := &store.AuditEntry{At: at(2 * time.Hour), Actor: "ann", Action: "task.complete", Object: "task:ta1",
		CaseID: "ca1", RequestID: "req-1", Key: "task.complete:upd-a"}
	p := store.CompleteTaskParams{ID: "ta1", Outcome: "resolved", Actor: "ann", CompletionID: "upd-a",
		At: at(2 * time.Hour), Span: store.Span{Kind: "task"}, Audit: entry}
	_, err := s.CompleteTask(ctx, p)
	require.NoError(t, err)
	_, err = s.CompleteTask(ctx, p)
	require.NoError(t, err, "a retry of the same completion")
	got, err := s.ListAudit(ctx, store.AuditFilter{Object: "task:ta1"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "ann", got[0].Actor)
	require.Equal(t, "task.complete", got[0].Action)
	require.Equal(t, "ca1", got[0].CaseID)
	require.Equal(t, "req-1", got[0].RequestID)

	// A refused completion (another completion closed the task) writes no
	// entry: the transaction is rolled back.
	other := p
	other.CompletionID, other.Audit = "upd-b", &store.AuditEntry{At: at(3 * time.Hour), Actor: "bob",
		Action: "task.complete", Object: "task:ta1", Key: "task.complete:upd-b"}
	_, err = s.CompleteTask(ctx, other)
	require.ErrorIs(t, err, store.ErrConflict)
	got, err = s.ListAudit(ctx, store.AuditFilter{Object: "task:ta1"})
	require.NoError(t, err)
	require.Len(t, got, 1)
}

// testCaseEventBudget: a case takes events until its count or bytes would
// exceed the limits; concurrent takers never overdraw.
func testCaseEventBudget(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "ce1")
	got, err := s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce1", Bytes: 100, MaxCount: 3, MaxBytes: 250})
	require.NoError(t, err)
	require.Equal(t, store.CaseEvents{Count: 1, Bytes: 100}, got)
	_, err = s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce1", Bytes: 200, MaxCount: 3, MaxBytes: 250})
	require.ErrorIs(t, err, store.ErrLimit, "bytes over the limit")
	got, err = s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce1", Bytes: 150, MaxCount: 3, MaxBytes: 250})
	require.NoError(t, err)
	require.Equal(t, store.CaseEvents{Count: 2, Bytes: 250}, got)
	got, err = s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce1", Bytes: 0, MaxCount: 3, MaxBytes: 250})
	require.NoError(t, err)
	require.Equal(t, 3, got.Count)
	got, err = s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce1", Bytes: 0, MaxCount: 3, MaxBytes: 250})
	require.ErrorIs(t, err, store.ErrLimit, "count over the limit")
	require.Equal(t, store.CaseEvents{Count: 3, Bytes: 250}, got, "the counts so far")
	c, err := s.GetCase(ctx, "ce1")
	require.NoError(t, err)
	require.Equal(t, 3, c.EventCount)
	require.EqualValues(t, 250, c.EventBytes)
	_, err = s.CountCaseEvent(ctx, store.CaseEventParams{ID: "nope", Bytes: 1, MaxCount: 3, MaxBytes: 250})
	require.ErrorIs(t, err, store.ErrNotFound)

	createCase(t, s, "ce2")
	var (
		wg sync.WaitGroup
		mu sync.Mutex
		ok int
	)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.CountCaseEvent(ctx, store.CaseEventParams{ID: "ce2", Bytes: 10, MaxCount: 5, MaxBytes: 1000})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				ok++
			} else if !errors.Is(err, store.ErrLimit) {
				t.Errorf("concurrent event: %v", err)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, 5, ok)
	c, err = s.GetCase(ctx, "ce2")
	require.NoError(t, err)
	require.Equal(t, 5, c.EventCount)
}

// testFailCase: failing a case closes its open tasks and audits, once;
// a failed case can be restarted or closed, nothing else.
func testFailCase(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "cf1")
	active := store.CaseActive
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "cf1", Status: &active, Step: ptr("step1"), At: at(time.Minute)}))
	openTask(t, s, taskParams("tf1", "cf1", 1))
	audit := store.AuditEntry{At: at(time.Hour), Action: "case.fail", Object: "case:cf1", CaseID: "cf1", Key: "case.fail:cf1:run1"}
	c, changed, err := s.FailCase(ctx, store.FailCaseParams{ID: "cf1", Reason: "workflow terminated", At: at(time.Hour), Audit: audit})
	require.NoError(t, err)
	require.True(t, changed)
	require.Equal(t, store.CaseFailed, c.Status)
	require.Equal(t, "workflow terminated", c.Failure)
	require.Equal(t, "step1", c.Step, "the step is kept: a restart resumes there")
	require.NotNil(t, c.ClosedAt)
	task, err := s.GetTask(ctx, "tf1")
	require.NoError(t, err)
	require.Equal(t, store.TaskCancelled, task.Status)
	require.NotNil(t, task.CompletedAt)
	// Closed as a cancelled task is: its span counts in the reports.
	spans, err := s.ListSpans(ctx, store.SpanFilter{CaseID: "cf1"})
	require.NoError(t, err)
	require.Len(t, spans, 1)
	require.Equal(t, store.TaskCancelled, spans[0].Outcome)
	require.Equal(t, 1, spans[0].Seq)

	c, changed, err = s.FailCase(ctx, store.FailCaseParams{ID: "cf1", Reason: "again", At: at(2 * time.Hour), Audit: audit})
	require.NoError(t, err)
	require.False(t, changed, "a failed case is not failed again")
	require.Equal(t, "workflow terminated", c.Failure)
	entries, err := s.ListAudit(ctx, store.AuditFilter{CaseID: "cf1"})
	require.NoError(t, err)
	require.Len(t, entries, 1)
	_, _, err = s.FailCase(ctx, store.FailCaseParams{ID: "nope", Reason: "x", At: at(time.Hour)})
	require.ErrorIs(t, err, store.ErrNotFound)

	// Restart: starting again, closed_at cleared, one more restart.
	c, err = s.SettleFailedCase(ctx, store.SettleFailedCaseParams{ID: "cf1", Status: store.CaseStarting, At: at(3 * time.Hour),
		Audit: store.AuditEntry{At: at(3 * time.Hour), Actor: "olga", Action: "case.restart", Object: "case:cf1", CaseID: "cf1"}})
	require.NoError(t, err)
	require.Equal(t, store.CaseStarting, c.Status)
	require.Nil(t, c.ClosedAt)
	require.Equal(t, 1, c.Restarts)
	_, err = s.SettleFailedCase(ctx, store.SettleFailedCaseParams{ID: "cf1", Status: store.CaseStarting, At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict, "only a failed case")

	// A case being restarted is not failed for its old run's end: only the
	// new run, once active, can fail it again.
	c, changed, err = s.FailCase(ctx, store.FailCaseParams{ID: "cf1", Reason: "the old run", At: at(3 * time.Hour),
		Audit: store.AuditEntry{At: at(3 * time.Hour), Action: "case.fail", Object: "case:cf1", CaseID: "cf1", Key: "case.fail:cf1:run1-late"}})
	require.NoError(t, err)
	require.False(t, changed)
	require.Equal(t, store.CaseStarting, c.Status)
	nowActive := store.CaseActive
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "cf1", Status: &nowActive, At: at(3 * time.Hour)}))

	// Close: cancelled, closed_at kept.
	_, changed, err = s.FailCase(ctx, store.FailCaseParams{ID: "cf1", Reason: "timed out", At: at(4 * time.Hour),
		Audit: store.AuditEntry{At: at(4 * time.Hour), Action: "case.fail", Object: "case:cf1", CaseID: "cf1", Key: "case.fail:cf1:run2"}})
	require.NoError(t, err)
	require.True(t, changed)
	c, err = s.SettleFailedCase(ctx, store.SettleFailedCaseParams{ID: "cf1", Status: store.CaseCancelled, At: at(5 * time.Hour),
		Audit: store.AuditEntry{At: at(5 * time.Hour), Actor: "olga", Action: "case.close", Object: "case:cf1", CaseID: "cf1"}})
	require.NoError(t, err)
	require.Equal(t, store.CaseCancelled, c.Status)
	require.Equal(t, "timed out", c.Failure)
	require.NotNil(t, c.ClosedAt)
	require.True(t, c.ClosedAt.Equal(at(4*time.Hour)))
	entries, err = s.ListAudit(ctx, store.AuditFilter{CaseID: "cf1"})
	require.NoError(t, err)
	require.Len(t, entries, 4)
	_, err = s.SettleFailedCase(ctx, store.SettleFailedCaseParams{ID: "nope", Status: store.CaseCancelled, At: at(time.Hour)})
	require.ErrorIs(t, err, store.ErrNotFound)
}
