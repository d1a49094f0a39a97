// Package storetest is the conformance suite every store.Store
// implementation passes. Implementations call Run from their tests.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// Run runs the suite. open must return a new, empty, not yet migrated
// store for each call and close it at the test's cleanup; Run migrates it.
// Subtests run in parallel, each on its own store.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"FlowVersions", testFlowVersions},
		{"Cases", testCases},
		{"CreateCaseConcurrent", testCreateCaseConcurrent},
		{"KeepCreateResponse", testKeepCreateResponse},
		{"ListCasesPaging", testListCasesPaging},
		{"SearchCases", testSearchCases},
		{"OpenTask", testOpenTask},
		{"ListTasks", testListTasks},
		{"ListTasksPaging", testListTasksPaging},
		{"ClaimUnclaim", testClaimUnclaim},
		{"CompleteTask", testCompleteTask},
		{"CompleteTaskConcurrent", testCompleteTaskConcurrent},
		{"CancelTask", testCancelTask},
		{"EscalateTask", testEscalateTask},
		{"Spans", testSpans},
		{"SpanRollups", testSpanRollups},
		{"ActorsTokens", testActorsTokens},
		{"Audit", testAudit},
		{"ListAuditPaging", testListAuditPaging},
		{"AuditKey", testAuditKey},
		{"ListTokens", testListTokens},
		{"Pilots", testPilots},
		{"CreatePilotConcurrent", testCreatePilotConcurrent},
		{"UpdatePilotConcurrent", testUpdatePilotConcurrent},
		{"ListPilotsPaging", testListPilotsPaging},
		{"PilotCases", testPilotCases},
		{"CaseMeasures", testCaseMeasures},
		{"PilotOps", testPilotOps},
		{"MarkCaseReopened", testMarkCaseReopened},
		{"Feedback", testFeedback},
		{"FollowUps", testFollowUps},
		{"ExportSpans", testExportSpans},
		{"Proposals", testProposals},
		{"ListProposalsPaging", testListProposalsPaging},
		{"VoteProposalConcurrent", testVoteProposalConcurrent},
		{"CompleteTaskAudit", testCompleteTaskAudit},
		{"CaseEventBudget", testCaseEventBudget},
		{"FailCase", testFailCase},
		{"EventLogs", testEventLogs},
		{"Assignment", testAssignment},
		{"AssignmentUnderConcurrency", testAssignmentUnderConcurrency},
		{"AssignmentAtOpening", testAssignmentAtOpening},
		{"AssignmentAtOpeningUnderConcurrency", testAssignmentAtOpeningUnderConcurrency},
		{"AssignmentLifecycle", testAssignmentLifecycle},
		{"Notifications", testNotifications},
		{"Sessions", testSessions},
		{"ActorByEmail", testActorByEmail},
		{"PersonWithTwoTokens", testPersonWithTwoTokens},
		{"AlertRules", testAlertRules},
		{"AlertEvaluations", testAlertEvaluations},
		{"AlertEvaluationConcurrent", testAlertEvaluationConcurrent},
		{"AlertCounts", testAlertCounts},
		{"Watchlist", testWatchlist},
		{"Simulations", testSimulations},
		{"SpansByCompletion", testSpansByCompletion},
	}
	t.Run("Migrate", func(t *testing.T) {
		t.Parallel()
		testMigrate(t, open(t))
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			require.NoError(t, s.Migrate(context.Background()))
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's clock, at microsecond precision (PostgreSQL's).
var t0 = time.Date(2026, 3, 2, 9, 30, 0, 123456000, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

func ptr[T any](v T) *T { return &v }

func testMigrate(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.Ping(ctx))
	// Concurrent first migrations must serialise, not fail.
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.NoError(t, s.Migrate(ctx), "migrating again is a no-op")
	// The schema works after the migrations.
	_, err := s.CreateActor(ctx, store.CreateActorParams{ID: "a", Role: store.RoleStaff, At: t0})
	require.NoError(t, err)
}

func putFlow(t *testing.T, s store.Store, key string, version int, hash string) (store.FlowVersion, bool) {
	t.Helper()
	fv, created, err := s.PutFlowVersion(context.Background(), store.PutFlowVersionParams{
		Key: key, Version: version, Name: fmt.Sprintf("%s v%d", key, version),
		Source: "key: " + key + "\n", Compiled: json.RawMessage(`{"key": "` + key + `", "steps": [1, 2]}`),
		Hash: hash, CreatedBy: "owner", At: at(time.Duration(version) * time.Minute),
	})
	require.NoError(t, err)
	return fv, created
}

func testFlowVersions(t *testing.T, s store.Store) {
	ctx := context.Background()

	fv, created := putFlow(t, s, "complaint", 1, "h1")
	require.True(t, created)
	require.Equal(t, "complaint", fv.Key)
	require.Equal(t, 1, fv.Version)
	require.Equal(t, "complaint v1", fv.Name)
	require.Equal(t, "key: complaint\n", fv.Source)
	require.JSONEq(t, `{"key": "complaint", "steps": [1, 2]}`, string(fv.Compiled))
	require.Equal(t, "h1", fv.Hash)
	require.Equal(t, "owner", fv.CreatedBy)
	require.True(t, fv.CreatedAt.Equal(at(time.Minute)))
	require.Equal(t, time.UTC, fv.CreatedAt.Location())
	require.True(t, fv.IsDefault, "the first version of a key is its default")

	again, created := putFlow(t, s, "complaint", 1, "h1")
	require.False(t, created, "same content is idempotent")
	require.Equal(t, fv, again)

	_, _, err := s.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "complaint", Version: 1, Hash: "other", At: t0})
	require.ErrorIs(t, err, store.ErrConflict)

	v2, created := putFlow(t, s, "complaint", 2, "h2")
	require.True(t, created)
	require.False(t, v2.IsDefault, "later versions do not become default")
	putFlow(t, s, "appointment", 1, "a1")

	def, err := s.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, 1, def.Version)

	require.NoError(t, s.SetDefaultFlowVersion(ctx, "complaint", 2))
	def, err = s.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, 2, def.Version)
	require.True(t, def.IsDefault)
	v1, err := s.GetFlowVersion(ctx, "complaint", 1)
	require.NoError(t, err)
	require.False(t, v1.IsDefault)

	versions, err := s.ListFlowVersions(ctx, "complaint")
	require.NoError(t, err)
	require.Len(t, versions, 2)
	require.Equal(t, 1, versions[0].Version)
	require.Equal(t, 2, versions[1].Version)
	require.True(t, versions[1].IsDefault)
	none, err := s.ListFlowVersions(ctx, "nope")
	require.NoError(t, err)
	require.Empty(t, none)

	flows, err := s.ListFlows(ctx)
	require.NoError(t, err)
	require.Equal(t, []store.FlowSummary{
		{Key: "appointment", Name: "appointment v1", DefaultVersion: 1, LatestVersion: 1, Versions: 1},
		{Key: "complaint", Name: "complaint v2", DefaultVersion: 2, LatestVersion: 2, Versions: 2},
	}, flows)

	notFound := []struct {
		name string
		call func() error
	}{
		{"get unknown version", func() error { _, err := s.GetFlowVersion(ctx, "complaint", 9); return err }},
		{"get unknown key", func() error { _, err := s.GetFlowVersion(ctx, "nope", 1); return err }},
		{"default of unknown key", func() error { _, err := s.DefaultFlowVersion(ctx, "nope"); return err }},
		{"set default to unknown version", func() error { return s.SetDefaultFlowVersion(ctx, "complaint", 9) }},
		{"set default of unknown key", func() error { return s.SetDefaultFlowVersion(ctx, "nope", 1) }},
	}
	for _, tc := range notFound {
		require.ErrorIs(t, tc.call(), store.ErrNotFound, tc.name)
	}
	def, err = s.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, 2, def.Version, "a failed SetDefault changes nothing")

	// Retiring.
	require.False(t, def.Retired)
	require.Nil(t, def.RetiredAt)
	require.NoError(t, s.RetireFlowVersion(ctx, "complaint", 1, at(time.Hour)))
	v1, err = s.GetFlowVersion(ctx, "complaint", 1)
	require.NoError(t, err)
	require.True(t, v1.Retired)
	require.NotNil(t, v1.RetiredAt)
	require.True(t, v1.RetiredAt.Equal(at(time.Hour)), "retired at %v", v1.RetiredAt)
	require.Equal(t, time.UTC, v1.RetiredAt.Location())
	require.NoError(t, s.RetireFlowVersion(ctx, "complaint", 1, at(2*time.Hour)), "retiring again is a no-op")
	v1, err = s.GetFlowVersion(ctx, "complaint", 1)
	require.NoError(t, err)
	require.True(t, v1.RetiredAt.Equal(at(time.Hour)), "the first retirement time is kept")
	versions, err = s.ListFlowVersions(ctx, "complaint")
	require.NoError(t, err)
	require.True(t, versions[0].Retired)
	require.False(t, versions[1].Retired, "only the retired version is")
	v2, err = s.GetFlowVersion(ctx, "complaint", 2)
	require.NoError(t, err)
	require.False(t, v2.Retired)
	require.Nil(t, v2.RetiredAt)
	// The store does not guard the default: the API does.
	require.NoError(t, s.RetireFlowVersion(ctx, "complaint", 2, at(3*time.Hour)))
	def, err = s.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.True(t, def.Retired)
	require.ErrorIs(t, s.RetireFlowVersion(ctx, "complaint", 9, t0), store.ErrNotFound)
	require.ErrorIs(t, s.RetireFlowVersion(ctx, "nope", 1, t0), store.ErrNotFound)
	app, err := s.DefaultFlowVersion(ctx, "appointment")
	require.NoError(t, err)
	require.False(t, app.Retired, "other keys are untouched")
}

func caseParams(id, key string) store.CreateCaseParams {
	return store.CreateCaseParams{
		ID: id, Flow: "complaint", Version: 1, Variant: "A", Customer: "cust-1", Channel: "wechat",
		Attributes: json.RawMessage(`{"severity": "primary"}`), Status: store.CaseStarting,
		WorkflowID: "case-" + id, IdempotencyKey: key, RequestHash: "rh-" + id, CreatedBy: "staff-1", At: t0,
	}
}

func createCase(t *testing.T, s store.Store, id string) store.Case {
	t.Helper()
	c, created, err := s.CreateCase(context.Background(), caseParams(id, ""))
	require.NoError(t, err)
	require.True(t, created)
	return c
}

func testCases(t *testing.T, s store.Store) {
	ctx := context.Background()

	c, created, err := s.CreateCase(ctx, caseParams("c1", "key-1"))
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "c1", c.ID)
	require.Equal(t, "complaint", c.Flow)
	require.Equal(t, 1, c.Version)
	require.Equal(t, "A", c.Variant)
	require.Equal(t, "cust-1", c.Customer)
	require.Equal(t, "wechat", c.Channel)
	require.JSONEq(t, `{"severity": "primary"}`, string(c.Attributes))
	require.Equal(t, store.CaseStarting, c.Status)
	require.Equal(t, "", c.Step)
	require.Equal(t, "case-c1", c.WorkflowID)
	require.Equal(t, "key-1", c.IdempotencyKey)
	require.Equal(t, "rh-c1", c.RequestHash)
	require.Equal(t, "staff-1", c.CreatedBy)
	require.True(t, c.CreatedAt.Equal(t0))
	require.True(t, c.UpdatedAt.Equal(t0))
	require.Nil(t, c.ClosedAt)

	got, err := s.GetCase(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, c, got)

	// Same idempotency key: the existing case, whatever the new body says.
	p := caseParams("c1-retry", "key-1")
	p.RequestHash = "different"
	dup, created, err := s.CreateCase(ctx, p)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, c, dup)

	// Same id without a key is a conflict; cases without keys do not collide.
	_, _, err = s.CreateCase(ctx, caseParams("c1", ""))
	require.ErrorIs(t, err, store.ErrConflict)
	p2 := caseParams("c2", "")
	p2.At = at(time.Minute)
	p2.Flow = "returns"
	_, created, err = s.CreateCase(ctx, p2)
	require.NoError(t, err)
	require.True(t, created)
	p3 := caseParams("c3", "")
	p3.At = at(2 * time.Minute)
	p3.Attributes = nil
	c3, created, err := s.CreateCase(ctx, p3)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "", c3.IdempotencyKey)
	require.JSONEq(t, `{}`, string(c3.Attributes), "attributes default to an empty object")

	// UpdateCase changes only what is set.
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "c1", Status: ptr(store.CaseActive), Step: ptr("record"), At: at(time.Hour)}))
	got, err = s.GetCase(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, store.CaseActive, got.Status)
	require.Equal(t, "record", got.Step)
	require.JSONEq(t, `{"severity": "primary"}`, string(got.Attributes))
	require.True(t, got.UpdatedAt.Equal(at(time.Hour)))
	require.Nil(t, got.ClosedAt)
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{
		ID: "c1", Status: ptr(store.CaseCompleted), Step: ptr(""), Attributes: json.RawMessage(`{"severity": "advanced"}`),
		ClosedAt: ptr(at(2 * time.Hour)), At: at(2 * time.Hour),
	}))
	got, err = s.GetCase(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, store.CaseCompleted, got.Status)
	require.Equal(t, "", got.Step)
	require.JSONEq(t, `{"severity": "advanced"}`, string(got.Attributes))
	require.NotNil(t, got.ClosedAt)
	require.True(t, got.ClosedAt.Equal(at(2*time.Hour)))
	require.Equal(t, time.UTC, got.ClosedAt.Location())
	require.True(t, got.CreatedAt.Equal(t0), "created_at never changes")
	require.Equal(t, 1, got.Version, "version unchanged when not set")
	require.Nil(t, got.SLADue, "no case SLA until one is written")

	// A migration moves the case to another version and may set the case
	// SLA; fields left nil stay as they are.
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "c3", Version: ptr(2), SLADue: ptr(at(8 * time.Hour)), At: at(3 * time.Hour)}))
	got, err = s.GetCase(ctx, "c3")
	require.NoError(t, err)
	require.Equal(t, 2, got.Version)
	require.NotNil(t, got.SLADue)
	require.True(t, got.SLADue.Equal(at(8*time.Hour)))
	require.Equal(t, time.UTC, got.SLADue.Location())
	require.Equal(t, store.CaseStarting, got.Status, "status unchanged")
	require.True(t, got.UpdatedAt.Equal(at(3*time.Hour)))
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "c3", Status: ptr(store.CaseActive), Step: ptr("handle"), At: at(4 * time.Hour)}))
	got, err = s.GetCase(ctx, "c3")
	require.NoError(t, err)
	require.Equal(t, 2, got.Version, "version kept when not set")
	require.NotNil(t, got.SLADue, "sla_due kept when not set")
	require.True(t, got.SLADue.Equal(at(8*time.Hour)))
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "c3", SLADue: ptr(at(9 * time.Hour).In(time.FixedZone("CST", 8*3600))), At: at(5 * time.Hour)}))
	got, err = s.GetCase(ctx, "c3")
	require.NoError(t, err)
	require.True(t, got.SLADue.Equal(at(9*time.Hour)), "a pause pushes the SLA back")
	require.Equal(t, time.UTC, got.SLADue.Location())
	listed, err := s.ListCases(ctx, store.ListCasesParams{Flow: "complaint", Version: 2})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, got, listed[0], "list rows carry version and sla_due like GetCase")

	require.ErrorIs(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "nope", Status: ptr(store.CaseActive), At: t0}), store.ErrNotFound)
	require.ErrorIs(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "nope", Version: ptr(2), At: t0}), store.ErrNotFound)
	_, err = s.GetCase(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	list := []struct {
		name string
		p    store.ListCasesParams
		want []string
	}{
		{"all newest first", store.ListCasesParams{}, []string{"c3", "c2", "c1"}},
		{"by flow", store.ListCasesParams{Flow: "complaint"}, []string{"c3", "c1"}},
		{"by status", store.ListCasesParams{Status: store.CaseCompleted}, []string{"c1"}},
		{"by flow and status", store.ListCasesParams{Flow: "returns", Status: store.CaseStarting}, []string{"c2"}},
		{"by version", store.ListCasesParams{Version: 1}, []string{"c2", "c1"}},
		{"by flow and version", store.ListCasesParams{Flow: "complaint", Version: 1}, []string{"c1"}},
		{"by flow, version and status", store.ListCasesParams{Flow: "complaint", Version: 2, Status: store.CaseActive}, []string{"c3"}},
		{"by version, none", store.ListCasesParams{Flow: "complaint", Version: 3}, nil},
		{"limit", store.ListCasesParams{Limit: 2}, []string{"c3", "c2"}},
		{"no match", store.ListCasesParams{Flow: "nope"}, nil},
	}
	for _, tc := range list {
		cases, err := s.ListCases(ctx, tc.p)
		require.NoError(t, err, tc.name)
		var ids []string
		for _, c := range cases {
			ids = append(ids, c.ID)
		}
		require.Equal(t, tc.want, ids, tc.name)
	}
}

func testCreateCaseConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 50
	var (
		wg      sync.WaitGroup
		cases   = make([]store.Case, n)
		created = make([]bool, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cases[i], created[i], errs[i] = s.CreateCase(ctx, caseParams(fmt.Sprintf("race-%d", i), "one-key"))
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, cases[0].ID, cases[i].ID, "every call returns the same case")
		require.Equal(t, "one-key", cases[i].IdempotencyKey)
		if created[i] {
			winners++
		}
	}
	require.Equal(t, 1, winners, "exactly one call creates the case")
	all, err := s.ListCases(ctx, store.ListCasesParams{Limit: 500})
	require.NoError(t, err)
	require.Len(t, all, 1)
}

func testKeepCreateResponse(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, _, err := s.CreateCase(ctx, caseParams("keep-1", "keep-key"))
	require.NoError(t, err)
	const n = 20
	var wg sync.WaitGroup
	kept := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kept[i], errs[i] = s.KeepCreateResponse(ctx, c.ID, []byte(fmt.Sprintf(`{"reply":%d}`, i)))
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, string(kept[0]), string(kept[i]), "every caller gets the first stored body")
	}
	again, err := s.KeepCreateResponse(ctx, c.ID, []byte(`{"late":true}`))
	require.NoError(t, err)
	require.Equal(t, string(kept[0]), string(again))
	_, err = s.KeepCreateResponse(ctx, "no-such-case", []byte(`{}`))
	require.ErrorIs(t, err, store.ErrNotFound)
}

func taskParams(id, caseID string, seq int) store.OpenTaskParams {
	return store.OpenTaskParams{
		ID: id, CaseID: caseID, Seq: seq, Flow: "complaint", Version: 1, Variant: "A",
		Step: fmt.Sprintf("step%d", seq), StepName: fmt.Sprintf("Step %d", seq), Department: "service",
		Roles: []string{"agent", "lead"}, Outcomes: []string{"resolved", "escalate"},
		Form:     json.RawMessage(`[{"name": "note", "type": "text"}]`),
		OpenedAt: at(time.Duration(seq) * time.Minute), SLADue: ptr(at(time.Duration(seq)*time.Minute + time.Hour)),
	}
}

func openTask(t *testing.T, s store.Store, p store.OpenTaskParams) store.Task {
	t.Helper()
	task, err := s.OpenTask(context.Background(), p)
	require.NoError(t, err)
	return task
}

func testOpenTask(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")

	task := openTask(t, s, taskParams("t1", "c1", 1))
	require.Equal(t, "t1", task.ID)
	require.Equal(t, "c1", task.CaseID)
	require.Equal(t, 1, task.Seq)
	require.Equal(t, "complaint", task.Flow)
	require.Equal(t, 1, task.Version)
	require.Equal(t, "A", task.Variant)
	require.Equal(t, "step1", task.Step)
	require.Equal(t, "Step 1", task.StepName)
	require.Equal(t, "service", task.Department)
	require.Equal(t, []string{"agent", "lead"}, task.Roles)
	require.Equal(t, []string{"resolved", "escalate"}, task.Outcomes)
	require.JSONEq(t, `[{"name": "note", "type": "text"}]`, string(task.Form))
	require.Equal(t, store.TaskOpen, task.Status)
	require.Equal(t, "", task.Assignee)
	require.Equal(t, 0, task.EscalationLevel)
	require.True(t, task.OpenedAt.Equal(at(time.Minute)))
	require.Equal(t, time.UTC, task.OpenedAt.Location())
	require.Nil(t, task.ClaimedAt)
	require.Nil(t, task.CompletedAt)
	require.NotNil(t, task.SLADue)
	require.True(t, task.SLADue.Equal(at(time.Minute+time.Hour)))
	require.Equal(t, "", task.Outcome)
	require.Nil(t, task.Data)
	require.Equal(t, "", task.CompletedBy)
	require.Equal(t, "", task.CompletionID)

	// A repeat for the same (case, seq) returns the existing row unchanged.
	p := taskParams("t1-retry", "c1", 1)
	p.Department = "other"
	again := openTask(t, s, p)
	require.Equal(t, task, again)

	got, err := s.GetTask(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, task, got)

	// Minimal task: nil lists, form and SLA.
	bare := openTask(t, s, store.OpenTaskParams{ID: "t2", CaseID: "c1", Seq: 2, Flow: "complaint", Version: 1, Step: "s2", OpenedAt: t0})
	require.Nil(t, bare.Roles)
	require.Nil(t, bare.Outcomes)
	require.Nil(t, bare.Form)
	require.Nil(t, bare.SLADue)

	_, err = s.OpenTask(ctx, taskParams("t9", "no-such-case", 1))
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.OpenTask(ctx, taskParams("t1", "c1", 3))
	require.ErrorIs(t, err, store.ErrConflict, "another task's id")
	_, err = s.GetTask(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testListTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	createCase(t, s, "c2")
	mk := func(id, caseID string, seq int, dept string, opened time.Duration, due *time.Duration) {
		p := taskParams(id, caseID, seq)
		p.Department = dept
		p.OpenedAt = at(opened)
		p.SLADue = nil
		if due != nil {
			p.SLADue = ptr(at(*due))
		}
		openTask(t, s, p)
	}
	d := func(m int) *time.Duration { return ptr(time.Duration(m) * time.Minute) }
	mk("a", "c1", 1, "service", 0, nil)               // no SLA: last
	mk("b", "c1", 2, "service", 1*time.Minute, d(90)) // due latest
	mk("c", "c1", 3, "tech", 2*time.Minute, d(30))    // due first
	mk("d", "c2", 1, "service", 5*time.Minute, d(60)) // due 60, opened later than e
	mk("e", "c2", 2, "service", 4*time.Minute, d(60)) // due 60, opened earlier
	mk("g", "c2", 4, "service", 4*time.Minute, d(60)) // same due and opened as e: id breaks the tie
	mk("f", "c2", 3, "billing", 0, nil)

	_, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: "b", Actor: "ann", At: at(10 * time.Minute)})
	require.NoError(t, err)
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "c", Outcome: "resolved", Actor: "bob", CompletionID: "u1", At: at(20 * time.Minute)})
	require.NoError(t, err)

	tests := []struct {
		name string
		p    store.ListTasksParams
		want []string
	}{
		{"all by sla, opened, id", store.ListTasksParams{}, []string{"c", "e", "g", "d", "b", "a", "f"}},
		{"department", store.ListTasksParams{Department: "service"}, []string{"e", "g", "d", "b", "a"}},
		{"departments", store.ListTasksParams{Departments: []string{"tech", "billing"}}, []string{"c", "f"}},
		{"department wins over departments", store.ListTasksParams{Department: "tech", Departments: []string{"billing"}}, []string{"c"}},
		{"status open", store.ListTasksParams{Status: store.TaskOpen}, []string{"e", "g", "d", "b", "a", "f"}},
		{"status completed", store.ListTasksParams{Status: store.TaskCompleted}, []string{"c"}},
		{"assignee", store.ListTasksParams{Assignee: "ann"}, []string{"b"}},
		{"unclaimed", store.ListTasksParams{Status: store.TaskOpen, Unclaimed: true}, []string{"e", "g", "d", "a", "f"}},
		{"unclaimed wins over assignee", store.ListTasksParams{Status: store.TaskOpen, Unclaimed: true, Assignee: "ann"}, []string{"e", "g", "d", "a", "f"}},
		{"case", store.ListTasksParams{CaseID: "c1"}, []string{"c", "b", "a"}},
		{"combined", store.ListTasksParams{Department: "service", Status: store.TaskOpen, CaseID: "c2"}, []string{"e", "g", "d"}},
		{"limit", store.ListTasksParams{Limit: 2}, []string{"c", "e"}},
		{"no match", store.ListTasksParams{Department: "nope"}, nil},
	}
	for _, tc := range tests {
		tasks, err := s.ListTasks(ctx, tc.p)
		require.NoError(t, err, tc.name)
		var ids []string
		for _, task := range tasks {
			ids = append(ids, task.ID)
		}
		require.Equal(t, tc.want, ids, tc.name)
	}
}

func testClaimUnclaim(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	openTask(t, s, taskParams("t1", "c1", 1))

	claimed, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "ann", At: at(time.Hour)})
	require.NoError(t, err)
	require.Equal(t, "ann", claimed.Assignee)
	require.NotNil(t, claimed.ClaimedAt)
	require.True(t, claimed.ClaimedAt.Equal(at(time.Hour)))
	require.Equal(t, store.TaskOpen, claimed.Status)

	steps := []struct {
		name    string
		call    func() (store.Task, error)
		wantErr error
		want    string // assignee afterwards
	}{
		{"claim own claim again is a no-op", func() (store.Task, error) {
			return s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "ann", At: at(2 * time.Hour)})
		}, nil, "ann"},
		{"claim by another actor", func() (store.Task, error) {
			return s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "bob", At: at(2 * time.Hour)})
		}, store.ErrConflict, "ann"},
		{"unclaim by another actor", func() (store.Task, error) {
			return s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "t1", Actor: "bob"})
		}, store.ErrConflict, "ann"},
		{"unclaim by another actor with force", func() (store.Task, error) {
			return s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "t1", Actor: "admin", Force: true})
		}, nil, ""},
		{"claim after unclaim", func() (store.Task, error) {
			return s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "bob", At: at(3 * time.Hour)})
		}, nil, "bob"},
		{"unclaim own claim", func() (store.Task, error) {
			return s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "t1", Actor: "bob"})
		}, nil, ""},
		{"unclaim unclaimed", func() (store.Task, error) {
			return s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "t1", Actor: "bob"})
		}, nil, ""},
		{"claim unknown", func() (store.Task, error) {
			return s.ClaimTask(ctx, store.ClaimTaskParams{ID: "nope", Actor: "bob", At: t0})
		}, store.ErrNotFound, ""},
		{"unclaim unknown", func() (store.Task, error) {
			return s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "nope", Actor: "bob"})
		}, store.ErrNotFound, ""},
	}
	for _, tc := range steps {
		task, err := tc.call()
		if tc.wantErr != nil {
			require.ErrorIs(t, err, tc.wantErr, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, task.Assignee, tc.name)
		got, err := s.GetTask(ctx, "t1")
		require.NoError(t, err)
		require.Equal(t, tc.want, got.Assignee, tc.name)
		require.NotNil(t, got.ClaimedAt, tc.name)
		require.True(t, got.ClaimedAt.Equal(at(time.Hour)), "%s: claimed_at is the first claim", tc.name)
	}

	// A closed task cannot be claimed or unclaimed.
	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t1", Outcome: "resolved", Actor: "cy", CompletionID: "u", At: at(4 * time.Hour)})
	require.NoError(t, err)
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "cy", At: at(5 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = s.UnclaimTask(ctx, store.UnclaimTaskParams{ID: "t1", Actor: "cy"})
	require.ErrorIs(t, err, store.ErrConflict)
}

func spanCount(t *testing.T, s store.Store, caseID string) []store.Span {
	t.Helper()
	spans, err := s.ListSpans(context.Background(), store.SpanFilter{CaseID: caseID})
	require.NoError(t, err)
	return spans
}

func testCompleteTask(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")

	// Unclaimed: the completer becomes the assignee, claimed_at is At.
	openTask(t, s, taskParams("t1", "c1", 1))
	done, err := s.CompleteTask(ctx, store.CompleteTaskParams{
		ID: "t1", Outcome: "resolved", Data: json.RawMessage(`{"note": "fixed"}`), Actor: "ann",
		CompletionID: "upd-1", At: at(2 * time.Hour),
		Span: store.Span{Kind: "task", Actor: "ann"},
	})
	require.NoError(t, err)
	require.Equal(t, store.TaskCompleted, done.Status)
	require.Equal(t, "resolved", done.Outcome)
	require.JSONEq(t, `{"note": "fixed"}`, string(done.Data))
	require.Equal(t, "ann", done.Assignee)
	require.Equal(t, "ann", done.CompletedBy)
	require.Equal(t, "upd-1", done.CompletionID)
	require.NotNil(t, done.CompletedAt)
	require.True(t, done.CompletedAt.Equal(at(2*time.Hour)))
	require.NotNil(t, done.ClaimedAt)
	require.True(t, done.ClaimedAt.Equal(at(2*time.Hour)))

	spans := spanCount(t, s, "c1")
	require.Len(t, spans, 1)
	sp := spans[0]
	require.Equal(t, "c1", sp.CaseID)
	require.Equal(t, 1, sp.Seq)
	require.Equal(t, "complaint", sp.Flow)
	require.Equal(t, 1, sp.Version)
	require.Equal(t, "A", sp.Variant)
	require.Equal(t, "step1", sp.Step)
	require.Equal(t, "task", sp.Kind)
	require.Equal(t, "service", sp.Department)
	require.True(t, sp.EnteredAt.Equal(at(time.Minute)), "entered defaults to the task's opened time")
	require.NotNil(t, sp.ClaimedAt)
	require.True(t, sp.ClaimedAt.Equal(at(2*time.Hour)), "claimed is taken from the task row")
	require.True(t, sp.CompletedAt.Equal(at(2*time.Hour)))
	require.Equal(t, "resolved", sp.Outcome)
	require.NotNil(t, sp.SLADue)
	require.True(t, sp.SLADue.Equal(at(time.Minute+time.Hour)))
	require.True(t, sp.Breached, "completed after the SLA")
	require.Equal(t, "ann", sp.Actor)

	// A retry with the same completion id returns the task, no second effect.
	again, err := s.CompleteTask(ctx, store.CompleteTaskParams{
		ID: "t1", Outcome: "escalate", Actor: "ann", CompletionID: "upd-1", At: at(3 * time.Hour),
		Span: store.Span{Outcome: "escalate"},
	})
	require.NoError(t, err)
	require.Equal(t, done, again)
	require.Len(t, spanCount(t, s, "c1"), 1)
	require.Equal(t, sp, spanCount(t, s, "c1")[0])

	// Claimed earlier: the span keeps the claim time; the caller's span
	// fields win over the task's.
	openTask(t, s, taskParams("t2", "c1", 2))
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t2", Actor: "bob", At: at(10 * time.Minute)})
	require.NoError(t, err)
	done2, err := s.CompleteTask(ctx, store.CompleteTaskParams{
		ID: "t2", Outcome: "resolved", Actor: "bob", CompletionID: "upd-2", At: at(20 * time.Minute),
		Span: store.Span{EnteredAt: at(90 * time.Second), CompletedAt: at(20 * time.Minute), Department: "front", Actor: "bob"},
	})
	require.NoError(t, err)
	require.True(t, done2.ClaimedAt.Equal(at(10*time.Minute)))
	require.Nil(t, done2.Data)
	spans = spanCount(t, s, "c1")
	require.Len(t, spans, 2)
	require.Equal(t, 2, spans[1].Seq)
	require.True(t, spans[1].ClaimedAt.Equal(at(10*time.Minute)))
	require.True(t, spans[1].EnteredAt.Equal(at(90*time.Second)))
	require.Equal(t, "front", spans[1].Department)
	require.False(t, spans[1].Breached)

	openTask(t, s, taskParams("t3", "c1", 3))
	_, err = s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t3", Actor: "bob", At: at(10 * time.Minute)})
	require.NoError(t, err)

	conflicts := []struct {
		name    string
		p       store.CompleteTaskParams
		wantErr error
	}{
		{"other completion id on a completed task", store.CompleteTaskParams{ID: "t1", Outcome: "resolved", Actor: "ann", CompletionID: "upd-other", At: at(3 * time.Hour)}, store.ErrConflict},
		{"empty completion id on a completed task", store.CompleteTaskParams{ID: "t2", Outcome: "resolved", Actor: "bob", At: at(3 * time.Hour)}, store.ErrConflict},
		{"task claimed by another actor", store.CompleteTaskParams{ID: "t3", Outcome: "resolved", Actor: "ann", CompletionID: "upd-3", At: at(3 * time.Hour)}, store.ErrConflict},
		{"unknown task", store.CompleteTaskParams{ID: "nope", Outcome: "resolved", Actor: "ann", CompletionID: "upd-4", At: at(3 * time.Hour)}, store.ErrNotFound},
	}
	for _, tc := range conflicts {
		_, err := s.CompleteTask(ctx, tc.p)
		require.ErrorIs(t, err, tc.wantErr, tc.name)
	}
	require.Len(t, spanCount(t, s, "c1"), 2, "failed completions record nothing")
	t3, err := s.GetTask(ctx, "t3")
	require.NoError(t, err)
	require.Equal(t, store.TaskOpen, t3.Status)
	require.Equal(t, "bob", t3.Assignee)
}

func testCompleteTaskConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	openTask(t, s, taskParams("t1", "c1", 1))
	const n = 20
	var (
		wg    sync.WaitGroup
		tasks = make([]store.Task, n)
		errs  = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tasks[i], errs[i] = s.CompleteTask(ctx, store.CompleteTaskParams{
				ID: "t1", Outcome: "resolved", Actor: "ann", CompletionID: fmt.Sprintf("upd-%d", i),
				At: at(time.Hour + time.Duration(i)*time.Second),
			})
		}()
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			require.Equal(t, -1, winner, "only one completion succeeds")
			winner = i
			continue
		}
		require.ErrorIs(t, err, store.ErrConflict)
	}
	require.NotEqual(t, -1, winner, "one completion succeeds")
	got, err := s.GetTask(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, tasks[winner], got)
	require.Equal(t, fmt.Sprintf("upd-%d", winner), got.CompletionID)
	spans := spanCount(t, s, "c1")
	require.Len(t, spans, 1)
	require.True(t, spans[0].CompletedAt.Equal(*got.CompletedAt))
}

func testCancelTask(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	openTask(t, s, taskParams("t1", "c1", 1))
	_, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "ann", At: at(5 * time.Minute)})
	require.NoError(t, err)

	cancelled, err := s.CancelTask(ctx, store.CancelTaskParams{ID: "t1", At: at(time.Hour), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	require.Equal(t, store.TaskCancelled, cancelled.Status)
	require.NotNil(t, cancelled.CompletedAt)
	require.True(t, cancelled.CompletedAt.Equal(at(time.Hour)))

	spans := spanCount(t, s, "c1")
	require.Len(t, spans, 1)
	require.Equal(t, 1, spans[0].Seq)
	require.Equal(t, store.TaskCancelled, spans[0].Outcome)
	require.True(t, spans[0].ClaimedAt.Equal(at(5*time.Minute)))
	require.True(t, spans[0].CompletedAt.Equal(at(time.Hour)))

	again, err := s.CancelTask(ctx, store.CancelTaskParams{ID: "t1", At: at(2 * time.Hour)})
	require.NoError(t, err, "cancelling a closed task is a no-op")
	require.Equal(t, cancelled, again)
	require.Len(t, spanCount(t, s, "c1"), 1)

	_, err = s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t1", Outcome: "resolved", Actor: "ann", CompletionID: "u", At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)

	// Cancelling a completed task keeps it completed.
	openTask(t, s, taskParams("t2", "c1", 2))
	done, err := s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t2", Outcome: "resolved", Actor: "ann", CompletionID: "u2", At: at(3 * time.Hour)})
	require.NoError(t, err)
	after, err := s.CancelTask(ctx, store.CancelTaskParams{ID: "t2", At: at(4 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, done, after)

	_, err = s.CancelTask(ctx, store.CancelTaskParams{ID: "nope", At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testEscalateTask(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	openTask(t, s, taskParams("t1", "c1", 1))
	_, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: "t1", Actor: "ann", At: at(5 * time.Minute)})
	require.NoError(t, err)

	steps := []struct {
		name      string
		p         store.EscalateTaskParams
		wantLevel int
		wantDept  string
		wantAssn  string
	}{
		{"raise level", store.EscalateTaskParams{ID: "t1", Level: 1, At: at(time.Hour)}, 1, "service", "ann"},
		{"same level again", store.EscalateTaskParams{ID: "t1", Level: 1, At: at(time.Hour)}, 1, "service", "ann"},
		{"same department keeps the claim", store.EscalateTaskParams{ID: "t1", Level: 1, Department: "service", At: at(time.Hour)}, 1, "service", "ann"},
		{"raise and move", store.EscalateTaskParams{ID: "t1", Level: 2, Department: "supervisors", At: at(2 * time.Hour)}, 2, "supervisors", ""},
		{"never lowers", store.EscalateTaskParams{ID: "t1", Level: 1, At: at(3 * time.Hour)}, 2, "supervisors", ""},
		{"lower level still moves", store.EscalateTaskParams{ID: "t1", Level: 0, Department: "crisis", At: at(3 * time.Hour)}, 2, "crisis", ""},
	}
	for _, tc := range steps {
		task, err := s.EscalateTask(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.wantLevel, task.EscalationLevel, tc.name)
		require.Equal(t, tc.wantDept, task.Department, tc.name)
		require.Equal(t, tc.wantAssn, task.Assignee, tc.name)
		got, err := s.GetTask(ctx, "t1")
		require.NoError(t, err)
		require.Equal(t, task, got, tc.name)
	}

	done, err := s.CompleteTask(ctx, store.CompleteTaskParams{ID: "t1", Outcome: "resolved", Actor: "cy", CompletionID: "u", At: at(4 * time.Hour)})
	require.NoError(t, err)
	require.Equal(t, 2, spanCount(t, s, "c1")[0].EscalationLevel, "the span carries the task's level")
	_, err = s.EscalateTask(ctx, store.EscalateTaskParams{ID: "t1", Level: 3, At: at(5 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)
	got, err := s.GetTask(ctx, "t1")
	require.NoError(t, err)
	require.Equal(t, done, got)
	_, err = s.EscalateTask(ctx, store.EscalateTaskParams{ID: "nope", Level: 1, At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
}

func testSpans(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(caseID string, seq int, flow string, version int, variant string, entered time.Duration) store.Span {
		return store.Span{
			CaseID: caseID, Seq: seq, Flow: flow, Version: version, Variant: variant, Step: fmt.Sprintf("s%d", seq),
			Kind: "auto", Department: "service", EnteredAt: at(entered), CompletedAt: at(entered + time.Minute),
			Outcome: "ok", Actor: "system",
		}
	}
	full := mk("c1", 1, "complaint", 1, "A", 0)
	full.Kind = "task"
	full.ClaimedAt = ptr(at(10 * time.Second))
	full.SLADue = ptr(at(30 * time.Second))
	full.Breached = true
	full.EscalationLevel = 2
	spans := []store.Span{
		full,
		mk("c1", 2, "complaint", 1, "A", 2*time.Minute),
		mk("c2", 1, "complaint", 2, "B", time.Minute),
		mk("c3", 1, "complaint", 2, "B", time.Minute), // same entered as c2: case id orders
		mk("c4", 1, "returns", 1, "", 3*time.Minute),
	}
	for _, sp := range spans {
		require.NoError(t, s.RecordSpan(ctx, sp))
	}
	// Idempotent: a second record of (case, seq) changes nothing.
	changed := full
	changed.Outcome = "other"
	require.NoError(t, s.RecordSpan(ctx, changed))

	all, err := s.ListSpans(ctx, store.SpanFilter{})
	require.NoError(t, err)
	require.Len(t, all, 5)
	require.Equal(t, full, all[0])
	require.Equal(t, time.UTC, all[0].EnteredAt.Location())
	require.Nil(t, all[1].ClaimedAt)
	require.Nil(t, all[1].SLADue)

	key := func(sp store.Span) string { return fmt.Sprintf("%s/%d", sp.CaseID, sp.Seq) }
	tests := []struct {
		name string
		f    store.SpanFilter
		want []string
	}{
		{"all in entered, case, seq order", store.SpanFilter{}, []string{"c1/1", "c2/1", "c3/1", "c1/2", "c4/1"}},
		{"case", store.SpanFilter{CaseID: "c1"}, []string{"c1/1", "c1/2"}},
		{"flow", store.SpanFilter{Flow: "complaint"}, []string{"c1/1", "c2/1", "c3/1", "c1/2"}},
		{"flow and version", store.SpanFilter{Flow: "complaint", Version: 2}, []string{"c2/1", "c3/1"}},
		{"variant", store.SpanFilter{Variant: "A"}, []string{"c1/1", "c1/2"}},
		{"from inclusive", store.SpanFilter{From: ptr(at(time.Minute))}, []string{"c2/1", "c3/1", "c1/2", "c4/1"}},
		{"to exclusive", store.SpanFilter{To: ptr(at(2 * time.Minute))}, []string{"c1/1", "c2/1", "c3/1"}},
		{"window", store.SpanFilter{From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))}, []string{"c2/1", "c3/1", "c1/2"}},
		{"limit", store.SpanFilter{Limit: 2}, []string{"c1/1", "c2/1"}},
		{"no match", store.SpanFilter{Flow: "nope"}, nil},
	}
	for _, tc := range tests {
		got, err := s.ListSpans(ctx, tc.f)
		require.NoError(t, err, tc.name)
		var keys []string
		for _, sp := range got {
			keys = append(keys, key(sp))
		}
		require.Equal(t, tc.want, keys, tc.name)
	}
}

func testActorsTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, err := s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Name: "Ann", Role: store.RoleStaff, Departments: []string{"service", "tech"}, Leads: []string{"tech"}, At: t0})
	require.NoError(t, err)
	require.Equal(t, store.Actor{ID: "ann", Name: "Ann", Role: store.RoleStaff, Departments: []string{"service", "tech"}, Leads: []string{"tech"}, CreatedAt: t0}, ann)
	got, err := s.GetActor(ctx, "ann")
	require.NoError(t, err)
	require.Equal(t, ann, got)
	bot, err := s.CreateActor(ctx, store.CreateActorParams{ID: "bot", Name: "Bot", Role: store.RoleAdmin, At: t0})
	require.NoError(t, err)
	require.Nil(t, bot.Departments)
	require.Nil(t, bot.Leads)

	_, err = s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Role: store.RoleOwner, At: t0})
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = s.GetActor(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	tok, err := s.CreateToken(ctx, store.CreateTokenParams{ID: "tok1", ActorID: "ann", Hash: []byte("hash-1"), At: t0, ExpiresAt: ptr(at(time.Hour))})
	require.NoError(t, err)
	require.Equal(t, store.Token{ID: "tok1", ActorID: "ann", CreatedAt: t0, ExpiresAt: ptr(at(time.Hour))}, tok)
	_, err = s.CreateToken(ctx, store.CreateTokenParams{ID: "tok2", ActorID: "bot", Hash: []byte("hash-2"), At: t0})
	require.NoError(t, err)
	_, err = s.CreateToken(ctx, store.CreateTokenParams{ID: "tok3", ActorID: "bot", Hash: []byte("hash-3"), At: t0})
	require.NoError(t, err)

	_, err = s.CreateToken(ctx, store.CreateTokenParams{ID: "tok4", ActorID: "bot", Hash: []byte("hash-1"), At: t0})
	require.ErrorIs(t, err, store.ErrConflict, "duplicate hash")
	_, err = s.CreateToken(ctx, store.CreateTokenParams{ID: "tok5", ActorID: "nope", Hash: []byte("hash-5"), At: t0})
	require.ErrorIs(t, err, store.ErrNotFound, "unknown actor")

	require.NoError(t, s.RevokeToken(ctx, "tok3", at(time.Minute)))
	require.NoError(t, s.RevokeToken(ctx, "tok3", at(2*time.Minute)), "revoking twice is fine")
	require.ErrorIs(t, s.RevokeToken(ctx, "nope", t0), store.ErrNotFound)

	tests := []struct {
		name    string
		hash    string
		now     time.Time
		want    string
		wantErr error
	}{
		{"valid before expiry", "hash-1", at(59 * time.Minute), "ann", nil},
		{"expired at expiry", "hash-1", at(time.Hour), "", store.ErrNotFound},
		{"expired after expiry", "hash-1", at(2 * time.Hour), "", store.ErrNotFound},
		{"no expiry", "hash-2", at(1000 * time.Hour), "bot", nil},
		{"revoked", "hash-3", t0, "", store.ErrNotFound},
		{"unknown hash", "hash-x", t0, "", store.ErrNotFound},
	}
	for _, tc := range tests {
		a, err := s.ActorByTokenHash(ctx, []byte(tc.hash), tc.now)
		if tc.wantErr != nil {
			require.ErrorIs(t, err, tc.wantErr, tc.name)
			continue
		}
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, a.ID, tc.name)
	}
	a, err := s.ActorByTokenHash(ctx, []byte("hash-1"), t0)
	require.NoError(t, err)
	require.Equal(t, ann, a)
}

// An entry with a Key is appended once however often it is appended (a
// retried activity); entries without one are appended every time.
func testAuditKey(t *testing.T, s store.Store) {
	ctx := context.Background()
	first := store.AuditEntry{At: t0, Actor: "system", Action: "task.escalate", Object: "task:t1", CaseID: "c1",
		Details: json.RawMessage(`{"level":1}`), Key: "task.escalate:t1:1"}
	retry := first
	retry.At, retry.Details = at(time.Second), json.RawMessage(`{"level":1,"retry":true}`)
	require.NoError(t, s.AppendAudit(ctx, first))
	require.NoError(t, s.AppendAudit(ctx, retry))
	next := first
	next.Key, next.Details = "task.escalate:t1:2", json.RawMessage(`{"level":2}`)
	require.NoError(t, s.AppendAudit(ctx, next))
	plain := store.AuditEntry{At: t0, Actor: "ann", Action: "task.claim", Object: "task:t1", CaseID: "c1"}
	require.NoError(t, s.AppendAudit(ctx, plain))
	require.NoError(t, s.AppendAudit(ctx, plain))

	got, err := s.ListAudit(ctx, store.AuditFilter{Object: "task:t1"})
	require.NoError(t, err)
	var keys, actions []string
	for _, e := range got {
		keys, actions = append(keys, e.Key), append(actions, e.Action)
	}
	require.Equal(t, []string{"task.escalate:t1:1", "task.escalate:t1:2", "", ""}, keys)
	require.Equal(t, []string{"task.escalate", "task.escalate", "task.claim", "task.claim"}, actions)
	require.JSONEq(t, `{"level":1}`, string(got[0].Details), "the first entry stays")
	require.Equal(t, t0, got[0].At)
}

func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	entries := []store.AuditEntry{
		{At: t0, Actor: "ann", Action: "case.create", Object: "case:c1", CaseID: "c1", Details: json.RawMessage(`{"flow": "complaint"}`), RequestID: "req-1"},
		{At: at(time.Minute), Actor: "ann", Action: "task.claim", Object: "task:t1", CaseID: "c1", RequestID: "req-2"},
		{At: at(2 * time.Minute), Actor: "admin", Action: "token.create", Object: "token:x", RequestID: "req-3"},
		{At: at(3 * time.Minute), Actor: "bob", Action: "task.complete", Object: "task:t1", CaseID: "c1"},
	}
	for _, e := range entries {
		require.NoError(t, s.AppendAudit(ctx, e))
	}
	all, err := s.ListAudit(ctx, store.AuditFilter{})
	require.NoError(t, err)
	require.Len(t, all, 4)
	for i, e := range all {
		if i > 0 {
			require.Greater(t, e.ID, all[i-1].ID, "ids increase")
		}
		want := entries[i]
		want.ID = e.ID
		if want.Details != nil {
			require.JSONEq(t, string(want.Details), string(e.Details))
			want.Details = e.Details
		}
		require.Equal(t, want, e)
	}
	require.Equal(t, time.UTC, all[0].At.Location())

	tests := []struct {
		name string
		f    store.AuditFilter
		want []string
	}{
		{"case", store.AuditFilter{CaseID: "c1"}, []string{"case.create", "task.claim", "task.complete"}},
		{"object", store.AuditFilter{Object: "task:t1"}, []string{"task.claim", "task.complete"}},
		{"case and object", store.AuditFilter{CaseID: "c1", Object: "case:c1"}, []string{"case.create"}},
		{"limit", store.AuditFilter{Limit: 2}, []string{"case.create", "task.claim"}},
		{"no match", store.AuditFilter{CaseID: "nope"}, nil},
		{"actor", store.AuditFilter{Actor: "ann"}, []string{"case.create", "task.claim"}},
		{"action", store.AuditFilter{Action: "task.complete"}, []string{"task.complete"}},
		{"from inclusive", store.AuditFilter{From: ptr(at(time.Minute))}, []string{"task.claim", "token.create", "task.complete"}},
		{"to exclusive", store.AuditFilter{To: ptr(at(2 * time.Minute))}, []string{"case.create", "task.claim"}},
		{"from and to", store.AuditFilter{From: ptr(at(30 * time.Second)), To: ptr(at(150 * time.Second))}, []string{"task.claim", "token.create"}},
		{"from a fraction of a microsecond after", store.AuditFilter{From: ptr(at(time.Minute + 1))}, []string{"token.create", "task.complete"}},
		{"descending", store.AuditFilter{Descending: true}, []string{"task.complete", "token.create", "task.claim", "case.create"}},
		{"descending limit", store.AuditFilter{Descending: true, Limit: 1, Actor: "ann"}, []string{"task.claim"}},
		{"after ascending", store.AuditFilter{After: all[1].ID}, []string{"token.create", "task.complete"}},
		{"after descending", store.AuditFilter{Descending: true, After: all[2].ID}, []string{"task.claim", "case.create"}},
		{"after the last", store.AuditFilter{Descending: true, After: all[0].ID}, nil},
		{"all filters", store.AuditFilter{Actor: "ann", Action: "task.claim", CaseID: "c1", Object: "task:t1",
			From: ptr(t0), To: ptr(at(time.Hour)), Descending: true, After: all[3].ID, Limit: 5}, []string{"task.claim"}},
	}
	for _, tc := range tests {
		got, err := s.ListAudit(ctx, tc.f)
		require.NoError(t, err, tc.name)
		var actions []string
		for _, e := range got {
			actions = append(actions, e.Action)
		}
		require.Equal(t, tc.want, actions, tc.name)
	}
}

func testListAuditPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	var want []string
	for i := range 23 {
		actor := "ann"
		if i%3 == 0 {
			actor = "bob"
		}
		// Several entries share a time: paging must follow ids, not times.
		e := store.AuditEntry{At: at(time.Duration(i/4) * time.Second), Actor: actor, Action: "task.claim",
			Object: "task:" + strconv.Itoa(i), RequestID: "req-" + strconv.Itoa(i)}
		require.NoError(t, s.AppendAudit(ctx, e))
		if actor == "ann" {
			want = append([]string{e.Object}, want...) // newest first
		}
	}
	// A new entry between pages is not seen by a listing that started
	// before it (it is newer than the cursor), and nothing repeats.
	extra := 0
	got := pages(t, 4, func(after *int64, limit int) []store.AuditEntry {
		f := store.AuditFilter{Actor: "ann", Descending: true, Limit: limit}
		if after != nil {
			f.After = *after
		}
		es, err := s.ListAudit(ctx, f)
		require.NoError(t, err)
		return es
	}, func(e store.AuditEntry) *int64 { return &e.ID }, func(store.AuditEntry) {
		extra++
		require.NoError(t, s.AppendAudit(ctx, store.AuditEntry{At: at(time.Hour), Actor: "ann", Action: "task.claim", Object: "late:" + strconv.Itoa(extra)}))
	})
	var objects []string
	for _, p := range got {
		for _, e := range p {
			objects = append(objects, e.Object)
		}
	}
	require.Equal(t, want, objects)
	require.Equal(t, chunks(want, 4), func() [][]string {
		var out [][]string
		for _, p := range got {
			ids := []string{}
			for _, e := range p {
				ids = append(ids, e.Object)
			}
			out = append(out, ids)
		}
		return out
	}())
}

func testListTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ann, err := s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Name: "Ann", Role: store.RoleStaff, Departments: []string{"service"}, At: t0})
	require.NoError(t, err)
	bot, err := s.CreateActor(ctx, store.CreateActorParams{ID: "bot", Name: "Bot", Role: store.RoleAdmin, At: t0})
	require.NoError(t, err)
	var wantAll, wantAnn []string
	for i := range 11 {
		actor := ann
		if i%2 == 1 {
			actor = bot
		}
		id := fmt.Sprintf("tok%02d", i)
		// Pairs of tokens share a creation time: ids break the tie.
		_, err := s.CreateToken(ctx, store.CreateTokenParams{ID: id, ActorID: actor.ID, Hash: []byte("hash-" + id),
			At: at(time.Duration(i/2) * time.Minute), ExpiresAt: ptr(at(time.Hour))})
		require.NoError(t, err)
		wantAll = append([]string{id}, wantAll...)
		if actor.ID == "ann" {
			wantAnn = append([]string{id}, wantAnn...)
		}
	}
	require.NoError(t, s.RevokeToken(ctx, "tok04", at(10*time.Minute)))

	ti, err := s.GetToken(ctx, "tok04")
	require.NoError(t, err)
	require.Equal(t, store.TokenInfo{
		Token: store.Token{ID: "tok04", ActorID: "ann", CreatedAt: at(2 * time.Minute), ExpiresAt: ptr(at(time.Hour)), RevokedAt: ptr(at(10 * time.Minute))},
		Actor: ann,
	}, ti)
	_, err = s.GetToken(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	list := func(actor string) func(after *store.TokenCursor, limit int) []store.TokenInfo {
		return func(after *store.TokenCursor, limit int) []store.TokenInfo {
			ts, err := s.ListTokens(ctx, store.ListTokensParams{ActorID: actor, Limit: limit, After: after})
			require.NoError(t, err)
			return ts
		}
	}
	cursor := func(ti store.TokenInfo) *store.TokenCursor {
		return &store.TokenCursor{CreatedAt: ti.CreatedAt, ID: ti.ID}
	}
	ids := func(ps [][]store.TokenInfo) [][]string {
		var out [][]string
		for _, p := range ps {
			page := []string{}
			for _, ti := range p {
				page = append(page, ti.ID)
			}
			out = append(out, page)
		}
		return out
	}
	require.Equal(t, chunks(wantAll, 3), ids(pages(t, 3, list(""), cursor, nil)))
	require.Equal(t, chunks(wantAnn, 2), ids(pages(t, 2, list("ann"), cursor, nil)))

	first, err := s.ListTokens(ctx, store.ListTokensParams{})
	require.NoError(t, err)
	require.Len(t, first, 11)
	for _, ti := range first {
		if ti.ID == "tok04" {
			require.Equal(t, ptr(at(10*time.Minute)), ti.RevokedAt, "revoked tokens are listed")
		}
		if ti.ActorID == "bot" {
			require.Equal(t, bot, ti.Actor)
		}
	}
	none, err := s.ListTokens(ctx, store.ListTokensParams{ActorID: "nobody"})
	require.NoError(t, err)
	require.Empty(t, none)
}

// pages lists everything through list in pages of size, continuing each
// page from the cursor of its last row, and returns the pages. between, when
// set, runs after each non-final page with that page's last row.
func pages[T, C any](t *testing.T, size int, list func(after *C, limit int) []T, cursor func(T) *C, between func(last T)) [][]T {
	t.Helper()
	var (
		out   [][]T
		after *C
	)
	for range 100 {
		page := list(after, size)
		require.LessOrEqual(t, len(page), size, "a page holds at most limit rows")
		out = append(out, page)
		if len(page) < size {
			return out
		}
		last := page[len(page)-1]
		after = cursor(last)
		if between != nil {
			between(last)
		}
	}
	t.Fatal("paging does not end")
	return nil
}

// chunks splits ids into pages of size as paging them should produce: full
// pages, then a short (maybe empty) last one.
func chunks(ids []string, size int) [][]string {
	var out [][]string
	for len(ids) >= size {
		out = append(out, ids[:size])
		ids = ids[size:]
	}
	return append(out, ids)
}

func taskIDs(tasks []store.Task) []string {
	ids := []string{}
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	return ids
}

func caseIDs(cases []store.Case) []string {
	ids := []string{}
	for _, c := range cases {
		ids = append(ids, c.ID)
	}
	return ids
}

func taskCursor(task store.Task) *store.TaskCursor {
	return &store.TaskCursor{SLADue: task.SLADue, OpenedAt: task.OpenedAt, ID: task.ID}
}

func caseCursor(c store.Case) *store.CaseCursor {
	return &store.CaseCursor{CreatedAt: c.CreatedAt, ID: c.ID}
}

func testListTasksPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")
	seq := 0
	mk := func(id, dept, status string, opened time.Duration, due *time.Time) {
		t.Helper()
		seq++
		p := taskParams(id, "c1", seq)
		p.Department = dept
		p.OpenedAt = at(opened)
		p.SLADue = due
		openTask(t, s, p)
		if status == store.TaskCompleted {
			_, err := s.CompleteTask(ctx, store.CompleteTaskParams{ID: id, Outcome: "resolved", Actor: "bob", CompletionID: id, At: at(time.Hour)})
			require.NoError(t, err)
		}
	}
	due := func(m int) *time.Time { return ptr(at(time.Duration(m) * time.Minute)) }
	// Ids are multiples of 10, so that a task sorting just before another
	// on the id can be added later (id - 1). Opened in neither id nor
	// list order.
	mk("t070", "service", store.TaskOpen, 2*time.Minute, nil)
	mk("t010", "service", store.TaskOpen, 0, due(60))
	mk("t110", "service", store.TaskOpen, 4*time.Minute, due(90))
	mk("t090", "service", store.TaskOpen, 1*time.Minute, due(30)) // same SLA and opened as t020
	mk("t060", "service", store.TaskOpen, 0, nil)
	mk("t030", "service", store.TaskOpen, 1*time.Minute, due(60))
	mk("t100", "service", store.TaskOpen, 0, nil) // same opened as t060, no SLA either
	mk("t020", "service", store.TaskOpen, 1*time.Minute, due(30))
	mk("t080", "service", store.TaskOpen, 3*time.Minute, due(30))
	mk("t050", "service", store.TaskOpen, 2*time.Minute, nil)      // same opened as t070
	mk("t040", "service", store.TaskOpen, 0, due(60))              // same SLA and opened as t010
	mk("t015", "tech", store.TaskOpen, 0, due(10))                 // another inbox
	mk("t025", "service", store.TaskCompleted, 2*time.Minute, nil) // closed
	inbox := []string{"t020", "t090", "t080", "t010", "t040", "t030", "t110", "t060", "t100", "t050", "t070"}
	all := []string{"t015", "t020", "t090", "t080", "t010", "t040", "t030", "t110", "t060", "t100", "t025", "t050", "t070"}

	list := func(p store.ListTasksParams) func(after *store.TaskCursor, limit int) []store.Task {
		return func(after *store.TaskCursor, limit int) []store.Task {
			p := p
			p.After, p.Limit = after, limit
			tasks, err := s.ListTasks(ctx, p)
			require.NoError(t, err)
			return tasks
		}
	}
	inboxP := store.ListTasksParams{Department: "service", Status: store.TaskOpen}
	whole, err := s.ListTasks(ctx, inboxP)
	require.NoError(t, err)
	require.Equal(t, inbox, taskIDs(whole))
	whole, err = s.ListTasks(ctx, store.ListTasksParams{})
	require.NoError(t, err)
	require.Equal(t, all, taskIDs(whole))

	// Pages in every size concatenate to the whole list: nothing skipped or
	// repeated at SLA ties, opened ties, or the step from tasks with an SLA
	// to tasks without.
	for _, tc := range []struct {
		name string
		p    store.ListTasksParams
		want []string
	}{
		{"inbox", inboxP, inbox},
		{"all", store.ListTasksParams{}, all},
		{"departments", store.ListTasksParams{Departments: []string{"tech", "service"}, Status: store.TaskOpen},
			append([]string{"t015"}, inbox...)},
		{"from to", store.ListTasksParams{Department: "service", From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))},
			[]string{"t020", "t090", "t030", "t025", "t050", "t070"}},
	} {
		for size := 1; size <= 4; size++ {
			got := pages(t, size, list(tc.p), taskCursor, nil)
			var ids [][]string
			for _, page := range got {
				ids = append(ids, taskIDs(page))
			}
			require.Equal(t, chunks(tc.want, size), ids, "%s, pages of %d", tc.name, size)
		}
	}

	// A cursor taken from each position continues right after it.
	for i, id := range inbox {
		task, err := s.GetTask(ctx, id)
		require.NoError(t, err)
		p := inboxP
		p.After = taskCursor(task)
		rest, err := s.ListTasks(ctx, p)
		require.NoError(t, err)
		require.Equal(t, inbox[i+1:], taskIDs(rest), "after %s", id)
	}

	// From is inclusive, To exclusive.
	for _, tc := range []struct {
		name     string
		from, to *time.Time
		want     []string
	}{
		{"from and to", ptr(at(time.Minute)), ptr(at(3 * time.Minute)), []string{"t020", "t090", "t030", "t050", "t070"}},
		{"from", ptr(at(3 * time.Minute)), nil, []string{"t080", "t110"}},
		{"to", nil, ptr(at(time.Minute)), []string{"t010", "t040", "t060", "t100"}},
		{"to excludes its instant", nil, ptr(at(0)), []string{}},
		{"from includes its instant", ptr(at(4 * time.Minute)), nil, []string{"t110"}},
		{"empty range", ptr(at(time.Minute)), ptr(at(time.Minute)), []string{}},
		{"just past opened", ptr(at(4*time.Minute + time.Microsecond)), nil, []string{}},
		{"from a nanosecond past opened", ptr(at(4*time.Minute + time.Nanosecond)), nil, []string{}},
		{"to a nanosecond past opened", nil, ptr(at(time.Nanosecond)), []string{"t010", "t040", "t060", "t100"}},
	} {
		p := inboxP
		p.From, p.To = tc.from, tc.to
		tasks, err := s.ListTasks(ctx, p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, taskIDs(tasks), tc.name)
	}

	// Tasks added between pages at positions already passed neither appear
	// nor shift the following pages.
	n := 0
	between := func(last store.Task) {
		n++
		lastNum, err := strconv.Atoi(last.ID[1:])
		require.NoError(t, err)
		// Equal SLA and opened time, id just before.
		seq++
		p := taskParams(fmt.Sprintf("t%03d", lastNum-1), "c1", seq)
		p.OpenedAt, p.SLADue = last.OpenedAt, last.SLADue
		openTask(t, s, p)
		// Equal SLA, opened earlier.
		seq++
		p = taskParams(fmt.Sprintf("t%03d", lastNum-2), "c1", seq)
		p.OpenedAt, p.SLADue = last.OpenedAt.Add(-time.Minute), last.SLADue
		openTask(t, s, p)
		// Due earlier (any SLA sorts before none), opened later.
		seq++
		p = taskParams(fmt.Sprintf("u%03d", n), "c1", seq)
		p.OpenedAt, p.SLADue = last.OpenedAt.Add(time.Hour), due(0)
		if last.SLADue != nil {
			p.SLADue = ptr(last.SLADue.Add(-time.Microsecond))
		}
		openTask(t, s, p)
	}
	got := pages(t, 3, list(inboxP), taskCursor, between)
	var ids [][]string
	for _, page := range got {
		ids = append(ids, taskIDs(page))
	}
	require.Equal(t, chunks(inbox, 3), ids, "pages after inserts at passed positions")
	require.Equal(t, 3, n)
	whole, err = s.ListTasks(ctx, inboxP)
	require.NoError(t, err)
	require.Len(t, whole, len(inbox)+3*n, "the added tasks are in the inbox")
}

func testListCasesPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id, flow string, created time.Duration) {
		t.Helper()
		p := caseParams(id, "")
		p.Flow = flow
		p.At = at(created)
		_, ok, err := s.CreateCase(ctx, p)
		require.NoError(t, err)
		require.True(t, ok)
	}
	// Created in neither id nor list order, with ties on created_at.
	mk("k5", "complaint", 2*time.Minute)
	mk("k1", "complaint", 0)
	mk("k7", "complaint", 3*time.Minute)
	mk("k3", "complaint", time.Minute)
	mk("k8", "complaint", 0)
	mk("k6", "complaint", 2*time.Minute)
	mk("k2", "complaint", time.Minute)
	mk("k4", "complaint", 2*time.Minute)
	mk("r1", "returns", 2*time.Minute)
	complaints := []string{"k7", "k6", "k5", "k4", "k3", "k2", "k8", "k1"}
	all := []string{"k7", "r1", "k6", "k5", "k4", "k3", "k2", "k8", "k1"}

	list := func(p store.ListCasesParams) func(after *store.CaseCursor, limit int) []store.Case {
		return func(after *store.CaseCursor, limit int) []store.Case {
			p := p
			p.After, p.Limit = after, limit
			cases, err := s.ListCases(ctx, p)
			require.NoError(t, err)
			return cases
		}
	}
	byFlow := store.ListCasesParams{Flow: "complaint"}
	whole, err := s.ListCases(ctx, byFlow)
	require.NoError(t, err)
	require.Equal(t, complaints, caseIDs(whole))

	for _, tc := range []struct {
		name string
		p    store.ListCasesParams
		want []string
	}{
		{"flow", byFlow, complaints},
		{"all", store.ListCasesParams{}, all},
		{"from to", store.ListCasesParams{From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))},
			[]string{"r1", "k6", "k5", "k4", "k3", "k2"}},
	} {
		for size := 1; size <= 4; size++ {
			got := pages(t, size, list(tc.p), caseCursor, nil)
			var ids [][]string
			for _, page := range got {
				ids = append(ids, caseIDs(page))
			}
			require.Equal(t, chunks(tc.want, size), ids, "%s, pages of %d", tc.name, size)
		}
	}

	for i, id := range complaints {
		c, err := s.GetCase(ctx, id)
		require.NoError(t, err)
		p := byFlow
		p.After = caseCursor(c)
		rest, err := s.ListCases(ctx, p)
		require.NoError(t, err)
		require.Equal(t, complaints[i+1:], caseIDs(rest), "after %s", id)
	}

	// From is inclusive, To exclusive.
	for _, tc := range []struct {
		name     string
		from, to *time.Time
		want     []string
	}{
		{"from and to", ptr(at(time.Minute)), ptr(at(3 * time.Minute)), []string{"k6", "k5", "k4", "k3", "k2"}},
		{"from", ptr(at(2 * time.Minute)), nil, []string{"k7", "k6", "k5", "k4"}},
		{"to", nil, ptr(at(time.Minute)), []string{"k8", "k1"}},
		{"to excludes its instant", nil, ptr(at(0)), []string{}},
		{"from includes its instant", ptr(at(3 * time.Minute)), nil, []string{"k7"}},
		{"empty range", ptr(at(time.Minute)), ptr(at(time.Minute)), []string{}},
		{"just past created", ptr(at(3*time.Minute + time.Microsecond)), nil, []string{}},
		{"from a nanosecond past created", ptr(at(3*time.Minute + time.Nanosecond)), nil, []string{}},
		{"to a nanosecond past created", nil, ptr(at(time.Nanosecond)), []string{"k8", "k1"}},
	} {
		p := byFlow
		p.From, p.To = tc.from, tc.to
		cases, err := s.ListCases(ctx, p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, caseIDs(cases), tc.name)
	}

	// The version filter pages like the others (a migration pages through
	// the active cases of one version while it moves them to another).
	for _, id := range []string{"k6", "k3", "k1"} {
		require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: id, Version: ptr(2), Status: ptr(store.CaseActive), At: at(time.Hour)}))
	}
	v2 := store.ListCasesParams{Flow: "complaint", Version: 2, Status: store.CaseActive}
	for size := 1; size <= 3; size++ {
		got := pages(t, size, list(v2), caseCursor, nil)
		var ids [][]string
		for _, page := range got {
			ids = append(ids, caseIDs(page))
		}
		require.Equal(t, chunks([]string{"k6", "k3", "k1"}, size), ids, "version 2, pages of %d", size)
	}
	v1 := store.ListCasesParams{Flow: "complaint", Version: 1}
	whole, err = s.ListCases(ctx, v1)
	require.NoError(t, err)
	require.Equal(t, []string{"k7", "k5", "k4", "k2", "k8"}, caseIDs(whole))
	// Moving a case off the version between pages does not shift them.
	moved := 0
	got := pages(t, 2, list(v1), caseCursor, func(last store.Case) {
		moved++
		require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: last.ID, Version: ptr(2), At: at(time.Hour)}))
	})
	var v1ids [][]string
	for _, page := range got {
		v1ids = append(v1ids, caseIDs(page))
	}
	require.Equal(t, [][]string{{"k7", "k5"}, {"k4", "k2"}, {"k8"}}, v1ids)
	require.Positive(t, moved)
	for _, id := range []string{"k7", "k5", "k4", "k2", "k8"} {
		require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: id, Version: ptr(1), At: at(time.Hour)}))
	}

	// Cases added between pages at positions already passed (newer, or as
	// new with a greater id) neither appear nor shift the following pages.
	n := 0
	between := func(last store.Case) {
		n++
		mk(last.ID+"z", "complaint", last.CreatedAt.Sub(t0))
		mk(fmt.Sprintf("n%d", n), "complaint", last.CreatedAt.Sub(t0)+time.Microsecond)
	}
	got = pages(t, 3, list(byFlow), caseCursor, between)
	var ids [][]string
	for _, page := range got {
		ids = append(ids, caseIDs(page))
	}
	require.Equal(t, chunks(complaints, 3), ids, "pages after inserts at passed positions")
	require.Equal(t, 2, n)
	whole, err = s.ListCases(ctx, byFlow)
	require.NoError(t, err)
	require.Len(t, whole, len(complaints)+2*n, "the added cases are listed")
}
