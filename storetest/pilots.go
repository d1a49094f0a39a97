package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// guardrails is deliberately not in canonical form (spacing, key order): it
// must come back byte for byte.
const guardrails = `[{"metric": "sla_breach_rate",  "max_worsening": 0.05}, {"max_worsening":0.1,"metric":"csat"}]`

func pilotParams(id, flow string, created time.Duration) store.CreatePilotParams {
	return store.CreatePilotParams{
		ID: id, Flow: flow, Control: 1, Treatment: 2, Share: 12.5, Unit: "customer", PrimaryMetric: "cycle_time",
		Guardrails: json.RawMessage(guardrails), MinCasesPerArm: 200, MaxDuration: 14 * 24 * time.Hour,
		EvaluateEvery: 6 * time.Hour, WorkflowID: "pilot-" + id, PDCACaseID: "pdca-1", CreatedBy: "imp-1",
		At: at(created),
	}
}

func createPilot(t *testing.T, s store.Store, p store.CreatePilotParams) store.Pilot {
	t.Helper()
	pl, created, err := s.CreatePilot(context.Background(), p)
	require.NoError(t, err)
	require.True(t, created)
	return pl
}

// endPilot moves a running pilot to status.
func endPilot(t *testing.T, s store.Store, id, status string, ended time.Duration) store.Pilot {
	t.Helper()
	pl, err := s.UpdatePilot(context.Background(), store.UpdatePilotParams{
		ID: id, FromStatus: store.PilotRunning, Status: ptr(status), EndedAt: ptr(at(ended)), At: at(ended),
	})
	require.NoError(t, err)
	return pl
}

func testPilots(t *testing.T, s store.Store) {
	ctx := context.Background()

	pl, created, err := s.CreatePilot(ctx, pilotParams("p1", "complaint", time.Minute))
	require.NoError(t, err)
	require.True(t, created)
	want := store.Pilot{
		ID: "p1", Flow: "complaint", Control: 1, Treatment: 2, Share: 12.5, Unit: "customer",
		PrimaryMetric: "cycle_time", Guardrails: json.RawMessage(guardrails), MinCasesPerArm: 200,
		MaxDuration: 14 * 24 * time.Hour, EvaluateEvery: 6 * time.Hour, Status: store.PilotRunning,
		WorkflowID: "pilot-p1", PDCACaseID: "pdca-1", CreatedBy: "imp-1",
		CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute),
	}
	require.Equal(t, want, pl)
	require.Equal(t, time.UTC, pl.CreatedAt.Location())
	require.Nil(t, pl.Results, "no evaluation yet")
	require.Nil(t, pl.Looks)
	require.Nil(t, pl.EndedAt)

	got, err := s.GetPilot(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, pl, got)
	running, err := s.RunningPilot(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, pl, running)

	// Idempotent on the id, whatever the rest says.
	again := pilotParams("p1", "complaint", time.Hour)
	again.Share = 50
	dup, created, err := s.CreatePilot(ctx, again)
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, pl, dup)

	// One running pilot per flow; other flows are independent.
	_, _, err = s.CreatePilot(ctx, pilotParams("p2", "complaint", 2*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = s.GetPilot(ctx, "p2")
	require.ErrorIs(t, err, store.ErrNotFound, "the refused pilot is not stored")
	bare := createPilot(t, s, store.CreatePilotParams{ID: "r1", Flow: "returns", Control: 3, Treatment: 4, Share: 50, At: at(3 * time.Minute)})
	require.Nil(t, bare.Guardrails, "no guardrails given, none stored")
	require.Equal(t, "", bare.PDCACaseID)
	require.Equal(t, time.Duration(0), bare.MaxDuration)
	_, err = s.RunningPilot(ctx, "appointment")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetPilot(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
	_, _, err = s.CreatePilot(ctx, store.CreatePilotParams{ID: "bad", Flow: "appointment", Guardrails: json.RawMessage(`[{`), At: t0})
	require.Error(t, err, "guardrails must be JSON")
	_, err = s.GetPilot(ctx, "bad")
	require.ErrorIs(t, err, store.ErrNotFound)

	// The evaluator writes results and looks as they are; nothing else moves.
	results := `{"arms": {"control": {"n": 210}, "treatment": {"n": 31}},  "p": 0.0412}`
	upd, err := s.UpdatePilot(ctx, store.UpdatePilotParams{
		ID: "p1", FromStatus: store.PilotRunning, Results: json.RawMessage(results), At: at(time.Hour),
	})
	require.NoError(t, err)
	want.Results, want.UpdatedAt = json.RawMessage(results), at(time.Hour)
	require.Equal(t, want, upd)
	looks := `[{"at": "2026-03-02T15:30:00Z", "decisive": true}]`
	upd, err = s.UpdatePilot(ctx, store.UpdatePilotParams{
		ID: "p1", Looks: json.RawMessage(looks), Recommendation: ptr("keep running"), At: at(2 * time.Hour),
	})
	require.NoError(t, err)
	want.Looks, want.Recommendation, want.UpdatedAt = json.RawMessage(looks), "keep running", at(2*time.Hour)
	require.Equal(t, want, upd, "results kept when not set")
	got, err = s.GetPilot(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, want, got)

	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "p1", Results: json.RawMessage(`{"p": `), At: at(2 * time.Hour)})
	require.Error(t, err, "results must be JSON")
	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "p1", FromStatus: store.PilotStopped, Status: ptr(store.PilotCompleted), At: at(3 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict, "FromStatus differs")
	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "nope", Status: ptr(store.PilotStopped), At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "nope", FromStatus: store.PilotRunning, Status: ptr(store.PilotStopped), At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
	got, err = s.GetPilot(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, want, got, "failed updates change nothing")

	// A guardrail stops it (times in any zone are stored in UTC).
	cst := time.FixedZone("CST", 8*3600)
	stopped, err := s.UpdatePilot(ctx, store.UpdatePilotParams{
		ID: "p1", FromStatus: store.PilotRunning, Status: ptr(store.PilotStopped),
		StopReason: ptr("guardrail sla_breach_rate worsened by 0.08"), Winner: ptr(store.ArmControl),
		EndedAt: ptr(at(3 * time.Hour).In(cst)), At: at(3 * time.Hour).In(cst),
	})
	require.NoError(t, err)
	require.Equal(t, store.PilotStopped, stopped.Status)
	require.Equal(t, "guardrail sla_breach_rate worsened by 0.08", stopped.StopReason)
	require.Equal(t, store.ArmControl, stopped.Winner)
	require.NotNil(t, stopped.EndedAt)
	require.True(t, stopped.EndedAt.Equal(at(3*time.Hour)))
	require.Equal(t, time.UTC, stopped.EndedAt.Location())
	require.Equal(t, time.UTC, stopped.UpdatedAt.Location())
	require.JSONEq(t, results, string(stopped.Results))
	_, err = s.RunningPilot(ctx, "complaint")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing runs after the stop")

	// The flow is free for the next pilot; the stopped one cannot run again
	// beside it.
	p3 := createPilot(t, s, pilotParams("p3", "complaint", 4*time.Hour))
	_, err = s.UpdatePilot(ctx, store.UpdatePilotParams{ID: "p1", Status: ptr(store.PilotRunning), At: at(5 * time.Hour)})
	require.ErrorIs(t, err, store.ErrConflict)
	running, err = s.RunningPilot(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, p3, running)

	// Completed, then promoted.
	endPilot(t, s, "p3", store.PilotCompleted, 5*time.Hour)
	promoted, err := s.UpdatePilot(ctx, store.UpdatePilotParams{
		ID: "p3", FromStatus: store.PilotCompleted, Status: ptr(store.PilotPromoted), PromotedArm: ptr(store.ArmTreatment),
		At: at(6 * time.Hour),
	})
	require.NoError(t, err)
	require.Equal(t, store.PilotPromoted, promoted.Status)
	require.Equal(t, store.ArmTreatment, promoted.PromotedArm)
	require.True(t, promoted.EndedAt.Equal(at(5*time.Hour)), "ended_at kept when not set")
	require.True(t, promoted.CreatedAt.Equal(at(4*time.Hour)), "created_at never changes")
}

func testCreatePilotConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	const n = 20

	// Different ids, one flow: exactly one runs.
	var (
		wg      sync.WaitGroup
		pilots  = make([]store.Pilot, n)
		created = make([]bool, n)
		errs    = make([]error, n)
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pilots[i], created[i], errs[i] = s.CreatePilot(ctx, pilotParams(fmt.Sprintf("race-%d", i), "complaint", 0))
		}()
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] == nil {
			require.Equal(t, -1, winner, "two pilots of one flow created")
			require.True(t, created[i])
			winner = i
			continue
		}
		require.ErrorIs(t, errs[i], store.ErrConflict)
	}
	require.NotEqual(t, -1, winner, "one creation wins")
	running, err := s.RunningPilot(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, pilots[winner], running)
	all, err := s.ListPilots(ctx, store.ListPilotsParams{Limit: 500})
	require.NoError(t, err)
	require.Len(t, all, 1)

	// One id repeated: every call returns it, one creates it.
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pilots[i], created[i], errs[i] = s.CreatePilot(ctx, pilotParams("same", "returns", 0))
		}()
	}
	wg.Wait()
	winners := 0
	for i := range n {
		require.NoError(t, errs[i])
		require.Equal(t, "same", pilots[i].ID)
		require.Equal(t, store.PilotRunning, pilots[i].Status)
		if created[i] {
			winners++
		}
	}
	require.Equal(t, 1, winners, "exactly one call creates the pilot")
}

func testUpdatePilotConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	createPilot(t, s, pilotParams("p1", "complaint", 0))
	const n = 20
	var (
		wg     sync.WaitGroup
		pilots = make([]store.Pilot, n)
		errs   = make([]error, n)
	)
	status := func(i int) string {
		if i%2 == 0 {
			return store.PilotStopped
		}
		return store.PilotCompleted
	}
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pilots[i], errs[i] = s.UpdatePilot(ctx, store.UpdatePilotParams{
				ID: "p1", FromStatus: store.PilotRunning, Status: ptr(status(i)),
				Recommendation: ptr(fmt.Sprintf("by %d", i)), EndedAt: ptr(at(time.Duration(i) * time.Minute)),
				At: at(time.Duration(i) * time.Minute),
			})
		}()
	}
	wg.Wait()
	winner := -1
	for i := range n {
		if errs[i] == nil {
			require.Equal(t, -1, winner, "two transitions from running won")
			winner = i
			continue
		}
		require.ErrorIs(t, errs[i], store.ErrConflict)
	}
	require.NotEqual(t, -1, winner, "one transition wins")
	got, err := s.GetPilot(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, pilots[winner], got)
	require.Equal(t, status(winner), got.Status)
	require.Equal(t, fmt.Sprintf("by %d", winner), got.Recommendation, "the loser wrote nothing")
}

func pilotIDs(pilots []store.Pilot) []string {
	ids := []string{}
	for _, pl := range pilots {
		ids = append(ids, pl.ID)
	}
	return ids
}

func pilotCursor(pl store.Pilot) *store.PilotCursor {
	return &store.PilotCursor{CreatedAt: pl.CreatedAt, ID: pl.ID}
}

func testListPilotsPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	// Created in neither id nor list order, with ties on created_at; all
	// complaint pilots end (so that more can be created between pages).
	mk := func(id, flow string, created time.Duration, end string) {
		t.Helper()
		createPilot(t, s, pilotParams(id, flow, created))
		if end != "" {
			endPilot(t, s, id, end, created+time.Second)
		}
	}
	mk("k5", "complaint", 2*time.Minute, store.PilotStopped)
	mk("k1", "complaint", 0, store.PilotCompleted)
	mk("r1", "returns", 2*time.Minute, "")
	mk("k3", "complaint", time.Minute, store.PilotStopped)
	mk("k8", "complaint", 0, store.PilotCompleted)
	mk("k6", "complaint", 2*time.Minute, store.PilotStopped)
	mk("k2", "complaint", time.Minute, store.PilotCompleted)
	mk("k4", "complaint", 2*time.Minute, store.PilotStopped)
	mk("k7", "complaint", 3*time.Minute, store.PilotPromoted)
	complaints := []string{"k7", "k6", "k5", "k4", "k3", "k2", "k8", "k1"}

	list := func(p store.ListPilotsParams) func(after *store.PilotCursor, limit int) []store.Pilot {
		return func(after *store.PilotCursor, limit int) []store.Pilot {
			p := p
			p.After, p.Limit = after, limit
			pilots, err := s.ListPilots(ctx, p)
			require.NoError(t, err)
			return pilots
		}
	}
	for _, tc := range []struct {
		name string
		p    store.ListPilotsParams
		want []string
	}{
		{"flow", store.ListPilotsParams{Flow: "complaint"}, complaints},
		{"all", store.ListPilotsParams{}, []string{"k7", "r1", "k6", "k5", "k4", "k3", "k2", "k8", "k1"}},
		{"status", store.ListPilotsParams{Status: store.PilotStopped}, []string{"k6", "k5", "k4", "k3"}},
		{"flow and status", store.ListPilotsParams{Flow: "complaint", Status: store.PilotCompleted}, []string{"k2", "k8", "k1"}},
		{"running", store.ListPilotsParams{Status: store.PilotRunning}, []string{"r1"}},
		{"no match", store.ListPilotsParams{Flow: "nope"}, []string{}},
	} {
		whole, err := s.ListPilots(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, pilotIDs(whole), tc.name)
		for size := 1; size <= 4; size++ {
			got := pages(t, size, list(tc.p), pilotCursor, nil)
			var ids [][]string
			for _, page := range got {
				ids = append(ids, pilotIDs(page))
			}
			require.Equal(t, chunks(tc.want, size), ids, "%s, pages of %d", tc.name, size)
		}
	}

	// Pilots added between pages at positions already passed neither
	// appear nor shift the following pages.
	n := 0
	between := func(last store.Pilot) {
		n++
		mk(last.ID+"z", "complaint", last.CreatedAt.Sub(t0), store.PilotStopped)
		mk(fmt.Sprintf("n%d", n), "complaint", last.CreatedAt.Sub(t0)+time.Microsecond, store.PilotStopped)
	}
	got := pages(t, 3, list(store.ListPilotsParams{Flow: "complaint"}), pilotCursor, between)
	var ids [][]string
	for _, page := range got {
		ids = append(ids, pilotIDs(page))
	}
	require.Equal(t, chunks(complaints, 3), ids, "pages after inserts at passed positions")
	require.Equal(t, 2, n)

	limited, err := s.ListPilots(ctx, store.ListPilotsParams{Limit: 2})
	require.NoError(t, err)
	require.Len(t, limited, 2)
}

// pilotCase creates a case of a pilot.
func pilotCase(t *testing.T, s store.Store, id, pilot, arm, customer string, version int, created time.Duration) store.Case {
	t.Helper()
	p := caseParams(id, "")
	p.PilotID, p.Variant, p.Customer, p.Version, p.At = pilot, arm, customer, version, at(created)
	c, ok, err := s.CreateCase(context.Background(), p)
	require.NoError(t, err)
	require.True(t, ok)
	return c
}

// closeCase closes a case with status at closed.
func closeCase(t *testing.T, s store.Store, id, status string, closed time.Duration) {
	t.Helper()
	require.NoError(t, s.UpdateCase(context.Background(), store.UpdateCaseParams{
		ID: id, Status: ptr(status), Step: ptr(""), ClosedAt: ptr(at(closed)), At: at(closed),
	}))
}

func testPilotCases(t *testing.T, s store.Store) {
	ctx := context.Background()
	createPilot(t, s, pilotParams("p1", "complaint", 0))
	createPilot(t, s, pilotParams("p2", "returns", 0))

	a := pilotCase(t, s, "a", "p1", store.ArmControl, "cust-a", 1, time.Minute)
	require.Equal(t, "p1", a.PilotID)
	require.Equal(t, "", a.ReopenedFrom)
	require.Nil(t, a.ReopenedAt)
	got, err := s.GetCase(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, a, got, "GetCase carries the pilot")
	pilotCase(t, s, "c", "p1", store.ArmTreatment, "cust-c", 2, 2*time.Minute)
	pilotCase(t, s, "b", "p1", store.ArmTreatment, "cust-b", 2, 2*time.Minute) // tie on created: id orders
	pilotCase(t, s, "d", "p1", store.ArmControl, "cust-d", 1, 3*time.Minute)
	pilotCase(t, s, "x", "p2", store.ArmControl, "cust-x", 1, 0) // another pilot
	createCase(t, s, "plain")                                    // no pilot

	// a: closed, one of its spans breached, full feedback.
	closeCase(t, s, "a", store.CaseCompleted, time.Hour)
	span := func(caseID string, seq int, breached bool) store.Span {
		return store.Span{
			CaseID: caseID, Seq: seq, Flow: "complaint", Version: 1, Variant: store.ArmControl, Step: fmt.Sprintf("s%d", seq),
			Kind: "task", EnteredAt: at(time.Duration(seq) * time.Minute), CompletedAt: at(time.Duration(seq+1) * time.Minute),
			Breached: breached,
		}
	}
	for _, sp := range []store.Span{span("a", 1, false), span("a", 2, true), span("a", 3, false),
		span("b", 1, false), span("b", 2, false), span("x", 1, true)} {
		require.NoError(t, s.RecordSpan(ctx, sp))
	}
	_, _, err = s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "a", CSAT: ptr(4), NPS: ptr(9), ResolvedFirstContact: ptr(true), Actor: "staff-1", At: at(2 * time.Hour)})
	require.NoError(t, err)
	// b: cancelled, no breach, partial feedback, reopened later.
	closeCase(t, s, "b", store.CaseCancelled, 90*time.Minute)
	_, _, err = s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "b", ResolvedFirstContact: ptr(false), At: at(2 * time.Hour)})
	require.NoError(t, err)
	_, err = s.MarkCaseReopened(ctx, "b", at(5*time.Hour))
	require.NoError(t, err)
	// c: active; d: still starting. Neither has spans or feedback.
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "c", Status: ptr(store.CaseActive), Step: ptr("handle"), At: at(time.Hour)}))
	_, _, err = s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "x", CSAT: ptr(1), At: at(time.Hour)})
	require.NoError(t, err)

	pcs, err := s.ListPilotCases(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, []store.PilotCase{
		{CaseID: "a", Arm: store.ArmControl, Customer: "cust-a", Status: store.CaseCompleted, Version: 1,
			CreatedAt: at(time.Minute), ClosedAt: ptr(at(time.Hour)), SLABreached: true,
			CSAT: ptr(4), NPS: ptr(9), ResolvedFirstContact: ptr(true)},
		{CaseID: "b", Arm: store.ArmTreatment, Customer: "cust-b", Status: store.CaseCancelled, Version: 2,
			CreatedAt: at(2 * time.Minute), ClosedAt: ptr(at(90 * time.Minute)),
			ResolvedFirstContact: ptr(false), ReopenedAt: ptr(at(5 * time.Hour))},
		{CaseID: "c", Arm: store.ArmTreatment, Customer: "cust-c", Status: store.CaseActive, Version: 2,
			CreatedAt: at(2 * time.Minute)},
		{CaseID: "d", Arm: store.ArmControl, Customer: "cust-d", Status: store.CaseStarting, Version: 1,
			CreatedAt: at(3 * time.Minute)},
	}, pcs)
	for _, pc := range pcs {
		require.Equal(t, time.UTC, pc.CreatedAt.Location())
		if pc.ClosedAt != nil {
			require.Equal(t, time.UTC, pc.ClosedAt.Location())
		}
	}
	require.Equal(t, time.UTC, pcs[1].ReopenedAt.Location())

	other, err := s.ListPilotCases(ctx, "p2")
	require.NoError(t, err)
	require.Len(t, other, 1)
	require.Equal(t, "x", other[0].CaseID)
	require.True(t, other[0].SLABreached)
	require.Equal(t, ptr(1), other[0].CSAT)
	none, err := s.ListPilotCases(ctx, "nope")
	require.NoError(t, err)
	require.Empty(t, none)
	none, err = s.ListPilotCases(ctx, "")
	require.NoError(t, err)
	require.Empty(t, none, "cases outside pilots are no pilot's")
}

func testMarkCaseReopened(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"done", "cancelled", "active", "starting", "failed"} {
		createCase(t, s, id)
	}
	closeCase(t, s, "done", store.CaseCompleted, time.Hour)
	closeCase(t, s, "cancelled", store.CaseCancelled, time.Hour)
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "active", Status: ptr(store.CaseActive), At: at(time.Hour)}))
	closeCase(t, s, "failed", store.CaseFailed, time.Hour)

	// The new case names the one it reopens.
	p := caseParams("again", "")
	p.ReopenedFrom, p.At = "done", at(3*time.Hour)
	again, created, err := s.CreateCase(ctx, p)
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, "done", again.ReopenedFrom)
	require.Equal(t, "", again.PilotID)
	require.Nil(t, again.ReopenedAt)

	c, err := s.MarkCaseReopened(ctx, "done", at(3*time.Hour).In(time.FixedZone("CST", 8*3600)))
	require.NoError(t, err)
	require.NotNil(t, c.ReopenedAt)
	require.True(t, c.ReopenedAt.Equal(at(3*time.Hour)))
	require.Equal(t, time.UTC, c.ReopenedAt.Location())
	require.Equal(t, store.CaseCompleted, c.Status, "status unchanged")
	require.True(t, c.ClosedAt.Equal(at(time.Hour)), "closed_at unchanged")
	require.True(t, c.UpdatedAt.Equal(at(3*time.Hour)))
	got, err := s.GetCase(ctx, "done")
	require.NoError(t, err)
	require.Equal(t, c, got)

	// The first time wins.
	c2, err := s.MarkCaseReopened(ctx, "done", at(4*time.Hour))
	require.NoError(t, err)
	require.Equal(t, c, c2)

	c, err = s.MarkCaseReopened(ctx, "cancelled", at(5*time.Hour))
	require.NoError(t, err)
	require.True(t, c.ReopenedAt.Equal(at(5*time.Hour)))

	for _, id := range []string{"active", "starting", "failed"} {
		_, err := s.MarkCaseReopened(ctx, id, at(5*time.Hour))
		require.ErrorIs(t, err, store.ErrConflict, id)
		got, err := s.GetCase(ctx, id)
		require.NoError(t, err)
		require.Nil(t, got.ReopenedAt, id)
	}
	_, err = s.MarkCaseReopened(ctx, "nope", at(5*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)

	listed, err := s.ListCases(ctx, store.ListCasesParams{Status: store.CaseCompleted})
	require.NoError(t, err)
	require.Len(t, listed, 1)
	require.Equal(t, "done", listed[0].ID)
	require.NotNil(t, listed[0].ReopenedAt, "list rows carry reopened_at like GetCase")
}

func testFeedback(t *testing.T, s store.Store) {
	ctx := context.Background()
	createCase(t, s, "c1")

	_, err := s.GetFeedback(ctx, "c1")
	require.ErrorIs(t, err, store.ErrNotFound, "no feedback yet")

	fb, created, err := s.PutFeedback(ctx, store.PutFeedbackParams{
		CaseID: "c1", CSAT: ptr(5), NPS: ptr(10), ResolvedFirstContact: ptr(true), Actor: "staff-1", At: at(time.Hour),
	})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, store.Feedback{
		CaseID: "c1", CSAT: ptr(5), NPS: ptr(10), ResolvedFirstContact: ptr(true), CreatedBy: "staff-1",
		CreatedAt: at(time.Hour), UpdatedAt: at(time.Hour),
	}, fb)
	require.Equal(t, time.UTC, fb.CreatedAt.Location())
	got, err := s.GetFeedback(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, fb, got)

	// A second put replaces every value, unset ones included; who created
	// it and when stay.
	fb2, created, err := s.PutFeedback(ctx, store.PutFeedbackParams{
		CaseID: "c1", CSAT: ptr(2), ResolvedFirstContact: ptr(false), Actor: "staff-2", At: at(2 * time.Hour),
	})
	require.NoError(t, err)
	require.False(t, created)
	require.Equal(t, store.Feedback{
		CaseID: "c1", CSAT: ptr(2), ResolvedFirstContact: ptr(false), CreatedBy: "staff-1",
		CreatedAt: at(time.Hour), UpdatedAt: at(2 * time.Hour),
	}, fb2)
	got, err = s.GetFeedback(ctx, "c1")
	require.NoError(t, err)
	require.Equal(t, fb2, got)

	// Zero values are values, not absences.
	createCase(t, s, "c2")
	zero, created, err := s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "c2", CSAT: ptr(0), NPS: ptr(0), ResolvedFirstContact: ptr(false), At: at(time.Hour)})
	require.NoError(t, err)
	require.True(t, created)
	require.Equal(t, ptr(0), zero.CSAT)
	require.Equal(t, ptr(0), zero.NPS)
	require.Equal(t, ptr(false), zero.ResolvedFirstContact)
	require.Equal(t, "", zero.CreatedBy)

	_, _, err = s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "nope", CSAT: ptr(3), At: t0})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetFeedback(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func exportKeys(spans []store.ExportedSpan) []string {
	keys := []string{}
	for _, sp := range spans {
		keys = append(keys, fmt.Sprintf("%s/%d", sp.CaseID, sp.Seq))
	}
	return keys
}

func spanCursor(sp store.ExportedSpan) *store.SpanCursor {
	return &store.SpanCursor{EnteredAt: sp.EnteredAt, CaseID: sp.CaseID, Seq: sp.Seq}
}

func testExportSpans(t *testing.T, s store.Store) {
	ctx := context.Background()
	createPilot(t, s, pilotParams("p1", "complaint", 0))
	pilotCase(t, s, "a", "p1", store.ArmControl, "cust-a", 1, 0)
	pilotCase(t, s, "b", "p1", store.ArmTreatment, "cust-b", 2, time.Minute)
	createCase(t, s, "plain") // complaint v1, variant A, no pilot
	closeCase(t, s, "a", store.CaseCompleted, time.Hour)
	_, _, err := s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "a", CSAT: ptr(4), NPS: ptr(8), ResolvedFirstContact: ptr(true), At: at(2 * time.Hour)})
	require.NoError(t, err)

	mk := func(caseID string, seq int, flow string, version int, variant string, entered time.Duration) store.Span {
		return store.Span{
			CaseID: caseID, Seq: seq, Flow: flow, Version: version, Variant: variant, Step: fmt.Sprintf("s%d", seq),
			Kind: "task", Department: "service", EnteredAt: at(entered), CompletedAt: at(entered + time.Minute),
			Outcome: "ok", Actor: "ann",
		}
	}
	full := mk("a", 1, "complaint", 1, store.ArmControl, 0)
	full.ClaimedAt = ptr(at(10 * time.Second))
	full.SLADue = ptr(at(30 * time.Second))
	full.Breached = true
	full.EscalationLevel = 1
	spans := []store.Span{
		full,
		mk("a", 2, "complaint", 1, store.ArmControl, 2*time.Minute),
		mk("b", 1, "complaint", 2, store.ArmTreatment, time.Minute),
		mk("plain", 1, "complaint", 1, "A", time.Minute), // same entered as b/1: case id orders
		mk("b", 2, "complaint", 2, store.ArmTreatment, 3*time.Minute),
		mk("orphan", 1, "complaint", 1, "", 3*time.Minute), // its case is not stored
		mk("r", 1, "returns", 1, "", 4*time.Minute),
	}
	for _, sp := range spans {
		require.NoError(t, s.RecordSpan(ctx, sp))
	}

	all, err := s.ExportSpans(ctx, store.ExportSpansParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"a/1", "b/1", "plain/1", "a/2", "b/2", "orphan/1", "r/1"}, exportKeys(all))
	require.Equal(t, store.ExportedSpan{
		Span: full, PilotID: "p1", Arm: store.ArmControl, Customer: "cust-a", Channel: "wechat", CaseStatus: store.CaseCompleted,
		CaseCreatedAt: t0, CaseClosedAt: ptr(at(time.Hour)), CSAT: ptr(4), NPS: ptr(8), ResolvedFirstContact: ptr(true),
	}, all[0])
	require.Equal(t, time.UTC, all[0].EnteredAt.Location())
	require.Equal(t, time.UTC, all[0].CaseCreatedAt.Location())
	require.Equal(t, time.UTC, all[0].CaseClosedAt.Location())
	b1 := all[1]
	require.Equal(t, "p1", b1.PilotID)
	require.Equal(t, store.ArmTreatment, b1.Arm)
	require.Equal(t, "cust-b", b1.Customer)
	require.Equal(t, store.CaseStarting, b1.CaseStatus)
	require.True(t, b1.CaseCreatedAt.Equal(at(time.Minute)))
	require.Nil(t, b1.CaseClosedAt, "open case")
	require.Nil(t, b1.CSAT, "no feedback")
	require.Nil(t, b1.NPS)
	require.Nil(t, b1.ResolvedFirstContact)
	plain := all[2]
	require.Equal(t, "", plain.PilotID)
	require.Equal(t, "", plain.Arm, "no arm outside a pilot")
	require.Equal(t, "A", plain.Variant, "the span keeps its variant")
	require.Equal(t, "cust-1", plain.Customer)
	orphan := all[5]
	require.Equal(t, spans[5], orphan.Span)
	require.Equal(t, "", orphan.CaseStatus)
	require.Equal(t, "", orphan.Channel)
	require.True(t, orphan.CaseCreatedAt.IsZero())
	require.Nil(t, orphan.CaseClosedAt)

	list := func(p store.ExportSpansParams) func(after *store.SpanCursor, limit int) []store.ExportedSpan {
		return func(after *store.SpanCursor, limit int) []store.ExportedSpan {
			p := p
			p.After, p.Limit = after, limit
			out, err := s.ExportSpans(ctx, p)
			require.NoError(t, err)
			return out
		}
	}
	for _, tc := range []struct {
		name string
		p    store.ExportSpansParams
		want []string
	}{
		{"all", store.ExportSpansParams{}, []string{"a/1", "b/1", "plain/1", "a/2", "b/2", "orphan/1", "r/1"}},
		{"flow", store.ExportSpansParams{Flow: "returns"}, []string{"r/1"}},
		{"flow and version", store.ExportSpansParams{Flow: "complaint", Version: 2}, []string{"b/1", "b/2"}},
		{"pilot", store.ExportSpansParams{PilotID: "p1"}, []string{"a/1", "b/1", "a/2", "b/2"}},
		{"pilot and version", store.ExportSpansParams{PilotID: "p1", Version: 1}, []string{"a/1", "a/2"}},
		{"from inclusive", store.ExportSpansParams{From: ptr(at(time.Minute))}, []string{"b/1", "plain/1", "a/2", "b/2", "orphan/1", "r/1"}},
		{"to exclusive", store.ExportSpansParams{To: ptr(at(3 * time.Minute))}, []string{"a/1", "b/1", "plain/1", "a/2"}},
		{"window", store.ExportSpansParams{From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))}, []string{"b/1", "plain/1", "a/2"}},
		{"from a nanosecond past", store.ExportSpansParams{From: ptr(at(4*time.Minute + time.Nanosecond))}, []string{}},
		{"to a nanosecond past", store.ExportSpansParams{To: ptr(at(time.Nanosecond))}, []string{"a/1"}},
		{"no match", store.ExportSpansParams{PilotID: "nope"}, []string{}},
		// By case: each case's spans together, in seq order, the cases by id.
		{"by case", store.ExportSpansParams{ByCase: true}, []string{"a/1", "a/2", "b/1", "b/2", "orphan/1", "plain/1", "r/1"}},
		{"by case in a window", store.ExportSpansParams{ByCase: true, From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))}, []string{"a/2", "b/1", "plain/1"}},
		{"by case of a pilot", store.ExportSpansParams{ByCase: true, PilotID: "p1"}, []string{"a/1", "a/2", "b/1", "b/2"}},
	} {
		whole, err := s.ExportSpans(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, exportKeys(whole), tc.name)
		for size := 1; size <= 4; size++ {
			got := pages(t, size, list(tc.p), spanCursor, nil)
			var keys [][]string
			for _, page := range got {
				keys = append(keys, exportKeys(page))
			}
			require.Equal(t, chunks(tc.want, size), keys, "%s, pages of %d", tc.name, size)
		}
	}
	limited, err := s.ExportSpans(ctx, store.ExportSpansParams{Limit: 2})
	require.NoError(t, err)
	require.Equal(t, []string{"a/1", "b/1"}, exportKeys(limited))
}

func testProposals(t *testing.T, s store.Store) {
	ctx := context.Background()

	counts, err := s.ProposalStats(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ProposalCounts{}, counts)

	pr, err := s.CreateProposal(ctx, store.CreateProposalParams{
		ID: "p1", Title: "Merge returns and exchanges", Body: "One form, one queue.", Author: "staff-1", At: at(time.Minute),
	})
	require.NoError(t, err)
	require.Equal(t, store.Proposal{
		ID: "p1", Title: "Merge returns and exchanges", Body: "One form, one queue.", Author: "staff-1",
		Status: store.ProposalOpen, CreatedAt: at(time.Minute), UpdatedAt: at(time.Minute),
	}, pr)
	require.Equal(t, time.UTC, pr.CreatedAt.Location())
	got, err := s.GetProposal(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, pr, got)
	_, err = s.CreateProposal(ctx, store.CreateProposalParams{ID: "p1", Title: "again", At: t0})
	require.ErrorIs(t, err, store.ErrConflict)
	anon, err := s.CreateProposal(ctx, store.CreateProposalParams{ID: "p2", Title: "Chat before phone", At: at(2 * time.Minute)})
	require.NoError(t, err)
	require.Equal(t, "", anon.Author, "anonymous")
	_, err = s.CreateProposal(ctx, store.CreateProposalParams{ID: "p3", Title: "Remind a day before", At: at(2 * time.Minute)})
	require.NoError(t, err)
	generated, err := s.CreateProposal(ctx, store.CreateProposalParams{Title: "no id given", At: t0})
	require.NoError(t, err)
	require.NotEmpty(t, generated.ID)

	// Votes, one per actor.
	v, voted, err := s.VoteProposal(ctx, "p1", "ann", at(time.Hour))
	require.NoError(t, err)
	require.True(t, voted)
	require.Equal(t, 1, v.Votes)
	require.True(t, v.UpdatedAt.Equal(at(time.Hour)))
	v, voted, err = s.VoteProposal(ctx, "p1", "ann", at(2*time.Hour))
	require.NoError(t, err)
	require.False(t, voted, "a second vote by the same actor")
	require.Equal(t, 1, v.Votes)
	require.True(t, v.UpdatedAt.Equal(at(time.Hour)), "a repeated vote changes nothing")
	v, voted, err = s.VoteProposal(ctx, "p1", "bob", at(3*time.Hour))
	require.NoError(t, err)
	require.True(t, voted)
	require.Equal(t, 2, v.Votes)
	_, voted, err = s.VoteProposal(ctx, "p2", "ann", at(3*time.Hour))
	require.NoError(t, err)
	require.True(t, voted, "votes are per proposal")
	_, _, err = s.VoteProposal(ctx, "nope", "ann", at(3*time.Hour))
	require.ErrorIs(t, err, store.ErrNotFound)

	// Adopt and decline only open proposals.
	adopted, err := s.AdoptProposal(ctx, "p1", "pdca-7", at(4*time.Hour))
	require.NoError(t, err)
	require.Equal(t, store.ProposalAdopted, adopted.Status)
	require.Equal(t, "pdca-7", adopted.AdoptedCaseID)
	require.Equal(t, 2, adopted.Votes)
	require.True(t, adopted.UpdatedAt.Equal(at(4*time.Hour)))
	require.True(t, adopted.CreatedAt.Equal(at(time.Minute)))
	declined, err := s.DeclineProposal(ctx, "p2", at(5*time.Hour))
	require.NoError(t, err)
	require.Equal(t, store.ProposalDeclined, declined.Status)
	require.Equal(t, "", declined.AdoptedCaseID)
	require.Equal(t, 1, declined.Votes)

	conflicts := []struct {
		name string
		call func() error
		want error
	}{
		{"adopt adopted", func() error { _, err := s.AdoptProposal(ctx, "p1", "pdca-8", at(6*time.Hour)); return err }, store.ErrConflict},
		{"decline adopted", func() error { _, err := s.DeclineProposal(ctx, "p1", at(6*time.Hour)); return err }, store.ErrConflict},
		{"adopt declined", func() error { _, err := s.AdoptProposal(ctx, "p2", "pdca-8", at(6*time.Hour)); return err }, store.ErrConflict},
		{"decline declined", func() error { _, err := s.DeclineProposal(ctx, "p2", at(6*time.Hour)); return err }, store.ErrConflict},
		{"vote adopted", func() error { _, _, err := s.VoteProposal(ctx, "p1", "cy", at(6*time.Hour)); return err }, store.ErrConflict},
		{"vote declined", func() error { _, _, err := s.VoteProposal(ctx, "p2", "cy", at(6*time.Hour)); return err }, store.ErrConflict},
		{"adopt unknown", func() error { _, err := s.AdoptProposal(ctx, "nope", "pdca-8", at(6*time.Hour)); return err }, store.ErrNotFound},
		{"decline unknown", func() error { _, err := s.DeclineProposal(ctx, "nope", at(6*time.Hour)); return err }, store.ErrNotFound},
	}
	for _, tc := range conflicts {
		require.ErrorIs(t, tc.call(), tc.want, tc.name)
	}
	got, err = s.GetProposal(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, adopted, got, "refused changes change nothing")
	_, err = s.GetProposal(ctx, "nope")
	require.ErrorIs(t, err, store.ErrNotFound)

	counts, err = s.ProposalStats(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ProposalCounts{Open: 2, Adopted: 1, Declined: 1}, counts)

	open, err := s.ListProposals(ctx, store.ListProposalsParams{Status: store.ProposalOpen})
	require.NoError(t, err)
	require.Len(t, open, 2)
	require.Equal(t, "p3", open[0].ID)
}

func proposalIDs(prs []store.Proposal) []string {
	ids := []string{}
	for _, pr := range prs {
		ids = append(ids, pr.ID)
	}
	return ids
}

func proposalCursor(pr store.Proposal) *store.ProposalCursor {
	return &store.ProposalCursor{CreatedAt: pr.CreatedAt, ID: pr.ID}
}

func testListProposalsPaging(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id string, created time.Duration, status string) {
		t.Helper()
		_, err := s.CreateProposal(ctx, store.CreateProposalParams{ID: id, Title: "t " + id, At: at(created)})
		require.NoError(t, err)
		switch status {
		case store.ProposalAdopted:
			_, err = s.AdoptProposal(ctx, id, "pdca-"+id, at(time.Hour))
		case store.ProposalDeclined:
			_, err = s.DeclineProposal(ctx, id, at(time.Hour))
		}
		require.NoError(t, err)
	}
	mk("k5", 2*time.Minute, store.ProposalOpen)
	mk("k1", 0, store.ProposalAdopted)
	mk("k7", 3*time.Minute, store.ProposalOpen)
	mk("k3", time.Minute, store.ProposalDeclined)
	mk("k8", 0, store.ProposalOpen)
	mk("k6", 2*time.Minute, store.ProposalAdopted)
	mk("k2", time.Minute, store.ProposalOpen)
	mk("k4", 2*time.Minute, store.ProposalOpen)

	list := func(p store.ListProposalsParams) func(after *store.ProposalCursor, limit int) []store.Proposal {
		return func(after *store.ProposalCursor, limit int) []store.Proposal {
			p := p
			p.After, p.Limit = after, limit
			prs, err := s.ListProposals(ctx, p)
			require.NoError(t, err)
			return prs
		}
	}
	for _, tc := range []struct {
		name string
		p    store.ListProposalsParams
		want []string
	}{
		{"all", store.ListProposalsParams{}, []string{"k7", "k6", "k5", "k4", "k3", "k2", "k8", "k1"}},
		{"open", store.ListProposalsParams{Status: store.ProposalOpen}, []string{"k7", "k5", "k4", "k2", "k8"}},
		{"adopted", store.ListProposalsParams{Status: store.ProposalAdopted}, []string{"k6", "k1"}},
		{"none", store.ListProposalsParams{Status: "nope"}, []string{}},
	} {
		whole, err := s.ListProposals(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, proposalIDs(whole), tc.name)
		for size := 1; size <= 4; size++ {
			got := pages(t, size, list(tc.p), proposalCursor, nil)
			var ids [][]string
			for _, page := range got {
				ids = append(ids, proposalIDs(page))
			}
			require.Equal(t, chunks(tc.want, size), ids, "%s, pages of %d", tc.name, size)
		}
	}
	counts, err := s.ProposalStats(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ProposalCounts{Open: 5, Adopted: 2, Declined: 1}, counts)
}

func testVoteProposalConcurrent(t *testing.T, s store.Store) {
	ctx := context.Background()
	_, err := s.CreateProposal(ctx, store.CreateProposalParams{ID: "p1", Title: "t", At: t0})
	require.NoError(t, err)
	const actors, repeats = 15, 3
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		votes = map[string]int{}
		errs  []error
	)
	for i := range actors * repeats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			actor := fmt.Sprintf("actor-%d", i%actors)
			_, voted, err := s.VoteProposal(ctx, "p1", actor, at(time.Duration(i)*time.Second))
			mu.Lock()
			defer mu.Unlock()
			errs = append(errs, err)
			if voted {
				votes[actor]++
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, votes, actors, "every actor's vote counted")
	for actor, n := range votes {
		require.Equal(t, 1, n, "%s voted once", actor)
	}
	pr, err := s.GetProposal(ctx, "p1")
	require.NoError(t, err)
	require.Equal(t, actors, pr.Votes)

	// Votes racing an adoption: each is counted or refused, never lost.
	_, err = s.CreateProposal(ctx, store.CreateProposalParams{ID: "p2", Title: "t", At: t0})
	require.NoError(t, err)
	var counted int
	errs = errs[:0]
	for i := range actors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, voted, err := s.VoteProposal(ctx, "p2", fmt.Sprintf("actor-%d", i), at(time.Minute))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			}
			if voted {
				counted++
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, err := s.AdoptProposal(ctx, "p2", "pdca-1", at(time.Minute))
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			errs = append(errs, err)
		}
	}()
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, store.ErrConflict, "only votes after the adoption are refused")
	}
	require.Equal(t, actors, counted+len(errs))
	pr, err = s.GetProposal(ctx, "p2")
	require.NoError(t, err)
	require.Equal(t, store.ProposalAdopted, pr.Status)
	require.Equal(t, counted, pr.Votes)
}

// testPilotOps covers the helpers over the interface: PilotVersions and
// PromotePilot.
func testPilotOps(t *testing.T, s store.Store) {
	ctx := context.Background()
	putFlow(t, s, "promo", 1, "h1")
	putFlow(t, s, "promo", 2, "h2")
	putFlow(t, s, "promo", 3, "h3")
	require.NoError(t, s.RetireFlowVersion(ctx, "promo", 3, at(time.Minute)))

	for _, c := range []struct {
		control, treatment int
		want               string
	}{
		{1, 2, ""},
		{1, 9, "treatment: flow promo has no version 9"},
		{7, 2, "control: flow promo has no version 7"},
		{1, 3, "treatment: version 3 of promo is retired"},
		{3, 1, ""}, // a retired control may still be compared against
	} {
		msg, err := store.PilotVersions(ctx, s, "promo", c.control, c.treatment)
		require.NoError(t, err)
		require.Equal(t, c.want, msg, "%d vs %d", c.control, c.treatment)
	}

	p := pilotParams("promo-p", "promo", 2*time.Minute)
	createPilot(t, s, p)
	_, err := store.PromotePilot(ctx, s, "promo-p", store.ArmTreatment, at(3*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict, "a running pilot is stopped first")
	endPilot(t, s, "promo-p", store.PilotCompleted, 4*time.Minute)
	_, err = store.PromotePilot(ctx, s, "promo-p", "both", at(5*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict)

	pl, err := store.PromotePilot(ctx, s, "promo-p", store.ArmTreatment, at(5*time.Minute))
	require.NoError(t, err)
	require.Equal(t, store.PilotPromoted, pl.Status)
	require.Equal(t, store.ArmTreatment, pl.PromotedArm)
	require.Equal(t, at(4*time.Minute), *pl.EndedAt, "the end time stays when the pilot had ended")
	def, err := s.DefaultFlowVersion(ctx, "promo")
	require.NoError(t, err)
	require.Equal(t, 2, def.Version)

	again, err := store.PromotePilot(ctx, s, "promo-p", store.ArmTreatment, at(6*time.Minute))
	require.NoError(t, err, "promoting the same arm again is a no-op")
	require.Equal(t, pl.UpdatedAt, again.UpdatedAt)
	_, err = store.PromotePilot(ctx, s, "promo-p", store.ArmControl, at(6*time.Minute))
	require.ErrorIs(t, err, store.ErrConflict)
	_, err = store.PromotePilot(ctx, s, "nope", store.ArmControl, at(6*time.Minute))
	require.ErrorIs(t, err, store.ErrNotFound)
}
