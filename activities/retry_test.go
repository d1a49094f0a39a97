package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/flowlab/flowlab/activities"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/workflows"
)

// crashingStore commits every write and then, for the methods named in
// crash, fails the first calls as if the worker had died right after the
// commit, before it reported the activity's result: Temporal runs the
// activity again with the same input and the same activity id. (The e2e
// cluster test does the same with real processes; this one reaches the
// activities the complaint flow does not run.)
type crashingStore struct {
	store.Store
	mu      sync.Mutex
	crash   map[string]int // method -> crashes left
	crashed []string
}

func (s *crashingStore) after(method string, err error) error {
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.crash[method] > 0 {
		s.crash[method]--
		s.crashed = append(s.crashed, method)
		return errors.New("injected crash after " + method + " committed")
	}
	return nil
}

func (s *crashingStore) OpenTask(ctx context.Context, p store.OpenTaskParams) (store.Task, error) {
	t, err := s.Store.OpenTask(ctx, p)
	return t, s.after("OpenTask", err)
}

func (s *crashingStore) CompleteTask(ctx context.Context, p store.CompleteTaskParams) (store.Task, error) {
	t, err := s.Store.CompleteTask(ctx, p)
	return t, s.after("CompleteTask", err)
}

func (s *crashingStore) CancelTask(ctx context.Context, p store.CancelTaskParams) (store.Task, error) {
	t, err := s.Store.CancelTask(ctx, p)
	return t, s.after("CancelTask", err)
}

func (s *crashingStore) EscalateTask(ctx context.Context, p store.EscalateTaskParams) (store.Task, error) {
	t, err := s.Store.EscalateTask(ctx, p)
	return t, s.after("EscalateTask", err)
}

func (s *crashingStore) RecordSpan(ctx context.Context, sp store.Span) error {
	return s.after("RecordSpan", s.Store.RecordSpan(ctx, sp))
}

func (s *crashingStore) UpdateCase(ctx context.Context, p store.UpdateCaseParams) error {
	return s.after("UpdateCase", s.Store.UpdateCase(ctx, p))
}

func (s *crashingStore) RecordFollowUp(ctx context.Context, p store.RecordFollowUpParams) (store.FollowUp, error) {
	f, err := s.Store.RecordFollowUp(ctx, p)
	return f, s.after("RecordFollowUp", err)
}

func (s *crashingStore) AnswerFollowUp(ctx context.Context, p store.AnswerFollowUpParams) (store.FollowUp, error) {
	f, err := s.Store.AnswerFollowUp(ctx, p)
	return f, s.after("AnswerFollowUp", err)
}

func (s *crashingStore) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	return s.after("AppendAudit", s.Store.AppendAudit(ctx, e))
}

func (s *crashingStore) CreatePilot(ctx context.Context, p store.CreatePilotParams) (store.Pilot, bool, error) {
	pl, created, err := s.Store.CreatePilot(ctx, p)
	return pl, created, s.after("CreatePilot", err)
}

func (s *crashingStore) UpdatePilot(ctx context.Context, p store.UpdatePilotParams) (store.Pilot, error) {
	pl, err := s.Store.UpdatePilot(ctx, p)
	return pl, s.after("UpdatePilot", err)
}

func (s *crashingStore) SetDefaultFlowVersion(ctx context.Context, flow string, version int) error {
	return s.after("SetDefaultFlowVersion", s.Store.SetDefaultFlowVersion(ctx, flow, version))
}

// keyedHook is a webhook receiver that records each POST's Idempotency-Key
// and answers 503 to the first fail POSTs after processing them (the
// answer is lost, the effect is not).
type keyedHook struct {
	mu   sync.Mutex
	keys []string
	fail int
}

func newKeyedHook(t *testing.T, fail int) (*keyedHook, string) {
	h := &keyedHook{fail: fail}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		h.keys = append(h.keys, r.Header.Get(activities.WebhookIdempotencyHeader))
		if h.fail > 0 {
			h.fail--
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *keyedHook) received() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.keys...)
}

var runs atomic.Int64

// runRetried runs activity name once inside a workflow of the Temporal
// test suite with a fast retry policy and returns its result (nil for an
// activity without one).
func runRetried(t *testing.T, a *activities.Activities, name string, in any) map[string]any {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in json.RawMessage) (map[string]any, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Millisecond, MaximumAttempts: 5},
		})
		var out map[string]any
		f := workflow.ExecuteActivity(ctx, name, in)
		if err := f.Get(ctx, &out); err != nil {
			return nil, err
		}
		return out, nil
	}, workflow.RegisterOptions{Name: "retried"})
	a.Register(env)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: fmt.Sprintf("retried-%d", runs.Add(1))})
	raw, err := json.Marshal(in)
	require.NoError(t, err)
	env.ExecuteWorkflow("retried", json.RawMessage(raw))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out map[string]any
	_ = env.GetWorkflowResult(&out)
	return out
}

func auditActions(t *testing.T, s store.Store, object string) []string {
	t.Helper()
	entries, err := s.ListAudit(context.Background(), store.AuditFilter{Object: object})
	require.NoError(t, err)
	var out []string
	for _, e := range entries {
		out = append(out, e.Action)
	}
	return out
}

// Each activity that writes is retried after a crash right after each of
// its writes committed: the retry succeeds and leaves every effect once.
func TestActivitiesRetriedAfterCrashHaveOneEffect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("task activities", func(t *testing.T) {
		t.Parallel()
		for _, method := range []string{"OpenTask", "CompleteTask", "CancelTask", "RecordSpan", "UpdateCase"} {
			t.Run(method, func(t *testing.T) {
				t.Parallel()
				cs := &crashingStore{Store: newStore(t), crash: map[string]int{method: 2}}
				a := &activities.Activities{Store: cs, Logger: quiet()}
				runRetried(t, a, workflows.ActivityOpenTask, openInput(1))
				switch method {
				case "CompleteTask":
					runRetried(t, a, workflows.ActivityCloseTask, closeInput(1, "upd-1"))
				case "CancelTask":
					in := closeInput(1, "")
					in.Status, in.Span.Outcome = workflows.StatusCancelled, "cancelled"
					runRetried(t, a, workflows.ActivityCloseTask, in)
				case "RecordSpan":
					runRetried(t, a, workflows.ActivityRecordSpan, workflows.SpanInput{CaseID: caseID, Seq: 2, Flow: "complaint", Version: 1,
						Step: "route", Kind: "decision", EnteredAt: t0, CompletedAt: t0, Outcome: "investigate"})
				case "UpdateCase":
					closed := t0.Add(time.Hour)
					runRetried(t, a, workflows.ActivityUpdateCase, workflows.UpdateCaseInput{CaseID: caseID, Status: store.CaseCompleted,
						ClosedAt: &closed, At: closed, Attributes: map[string]any{"severity": "primary"}})
					c, err := cs.GetCase(ctx, caseID)
					require.NoError(t, err)
					require.Equal(t, store.CaseCompleted, c.Status)
					require.JSONEq(t, `{"severity":"primary"}`, string(c.Attributes))
				}
				require.Equal(t, []string{method, method}, cs.crashed, "crashed twice after the write")
				tasks, err := cs.ListTasks(ctx, store.ListTasksParams{CaseID: caseID})
				require.NoError(t, err)
				require.Len(t, tasks, 1, "one task")
				spans, err := cs.ListSpans(ctx, store.SpanFilter{CaseID: caseID})
				require.NoError(t, err)
				switch method {
				case "CompleteTask", "CancelTask":
					require.Len(t, spans, 1, "one span for the closed task")
					require.NotEqual(t, store.TaskOpen, tasks[0].Status)
				case "RecordSpan":
					require.Len(t, spans, 1)
				}
			})
		}
	})

	t.Run("escalate", func(t *testing.T) {
		t.Parallel()
		for _, c := range []struct {
			crash    string
			hookFail int
		}{{"EscalateTask", 0}, {"AppendAudit", 0}, {"", 1}} {
			name := c.crash
			if name == "" {
				name = "webhook answer lost"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				hook, url := newKeyedHook(t, c.hookFail)
				cs := &crashingStore{Store: newStore(t), crash: map[string]int{c.crash: 1}}
				a := &activities.Activities{Store: cs, Logger: quiet(), WebhookURL: url}
				require.NoError(t, a.OpenTask(ctx, openInput(1)))
				runRetried(t, a, workflows.ActivityEscalate, workflows.EscalateInput{CaseID: caseID, TaskID: workflows.TaskID(caseID, 1),
					Step: "record", Level: 2, Department: "tech", Notify: "tech-lead", At: t0.Add(time.Hour)})
				task, err := cs.GetTask(ctx, workflows.TaskID(caseID, 1))
				require.NoError(t, err)
				require.Equal(t, 2, task.EscalationLevel)
				require.Equal(t, "tech", task.Department)
				require.Equal(t, []string{"task.escalate"}, auditActions(t, cs, "task:"+task.ID), "one audit entry")
				keys := hook.received()
				require.NotEmpty(t, keys)
				require.NotEmpty(t, keys[0], "the webhook POST carries an Idempotency-Key")
				for _, k := range keys {
					require.Equal(t, keys[0], k, "every attempt sends the same key, so the receiver can drop repeats")
				}
				if c.hookFail > 0 {
					require.Len(t, keys, 2, "the POST whose answer was lost is sent again")
				}
			})
		}
	})

	t.Run("auto webhook", func(t *testing.T) {
		t.Parallel()
		hook, url := newKeyedHook(t, 1)
		a := &activities.Activities{Store: newStore(t), Logger: quiet(), WebhookURL: url}
		in := workflows.AutoInput{CaseID: caseID, Flow: "complaint", Step: "crm"}
		runRetried(t, a, workflows.ActivityAutoPrefix+activities.AutoWebhook, in)
		runRetried(t, a, workflows.ActivityAutoPrefix+activities.AutoWebhook, in)
		keys := hook.received()
		require.Len(t, keys, 3)
		require.Equal(t, keys[0], keys[1], "a retry sends the same key")
		require.NotEqual(t, keys[1], keys[2], "another run of the step sends another key")
	})

	t.Run("pilots", func(t *testing.T) {
		t.Parallel()
		for _, crash := range []string{"CreatePilot", "UpdatePilot", "SetDefaultFlowVersion", "AppendAudit"} {
			t.Run(crash, func(t *testing.T) {
				t.Parallel()
				s, _ := pilotStore(t)
				cs := &crashingStore{Store: s, crash: map[string]int{}}
				a := &activities.Activities{Store: cs, Logger: quiet()}
				arm := func(method string) { cs.mu.Lock(); cs.crash = map[string]int{method: 1}; cs.mu.Unlock() }

				arm(crash)
				res := runRetried(t, a, workflows.ActivityCreatePilot, workflows.CreatePilotInput{PilotID: "p-1", PDCACaseID: caseID,
					Params: map[string]any{"flow": "complaint", "treatment": 2.0}, At: t0})
				require.Empty(t, res["Refused"])
				arm(crash)
				runRetried(t, a, workflows.ActivityEndPilot, workflows.EndPilotInput{PilotID: "p-1", Status: workflows.PilotCompleted,
					Winner: workflows.ArmTreatment, Recommendation: "adopt", At: t0.Add(48 * time.Hour)})
				arm(crash)
				res = runRetried(t, a, workflows.ActivityAutoPrefix+activities.AutoPromotePilot, workflows.AutoInput{CaseID: caseID,
					Attributes: map[string]any{"pilot_id": "p-1"}})
				require.Equal(t, map[string]any{"promoted_version": 2.0}, res["Attributes"], "the retry reports the promotion it made")

				pl, err := cs.GetPilot(ctx, "p-1")
				require.NoError(t, err)
				require.Equal(t, store.PilotPromoted, pl.Status)
				require.Equal(t, "adopt", pl.Recommendation)
				def, err := cs.DefaultFlowVersion(ctx, "complaint")
				require.NoError(t, err)
				require.Equal(t, 2, def.Version)
				require.Equal(t, []string{"pilot.start", "pilot.completed", "pilot.promote"}, auditActions(t, cs, "pilot:p-1"),
					"each pilot event audited once")
				require.NotEmpty(t, cs.crashed, "the crash %s was injected", crash)
			})
		}
	})
}

// A pilot ended by someone else before the activity runs gets no second
// end entry from it.
func TestEndPilotAfterAnotherEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, a := pilotStore(t)
	_, err := a.CreatePilot(ctx, workflows.CreatePilotInput{PilotID: "p-1", PDCACaseID: caseID,
		Params: map[string]any{"flow": "complaint", "treatment": 2.0}, At: t0})
	require.NoError(t, err)
	stopped, at := store.PilotStopped, t0.Add(time.Hour)
	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "p-1", FromStatus: store.PilotRunning, Status: &stopped, EndedAt: &at, At: at})
	require.NoError(t, err)
	require.NoError(t, a.EndPilot(ctx, workflows.EndPilotInput{PilotID: "p-1", Status: workflows.PilotStopped, At: t0.Add(2 * time.Hour)}))
	require.Equal(t, []string{"pilot.start"}, auditActions(t, s, "pilot:p-1"), fmt.Sprintf("ended at %s by someone else", at))
}
