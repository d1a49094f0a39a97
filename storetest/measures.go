package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

func measureIDs(ms []store.CaseMeasure) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.CaseID
	}
	return out
}

func measureCursor(m store.CaseMeasure) *store.CaseCursor {
	return &store.CaseCursor{CreatedAt: m.CreatedAt, ID: m.CaseID}
}

func testCaseMeasures(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id, flow, channel string, version int, created time.Duration) {
		t.Helper()
		p := caseParams(id, "")
		p.Flow, p.Channel, p.Version, p.At = flow, channel, version, at(created)
		_, ok, err := s.CreateCase(ctx, p)
		require.NoError(t, err)
		require.True(t, ok)
	}
	task := func(id, caseID string, seq int, opened time.Duration, sla *time.Duration) {
		t.Helper()
		p := taskParams(id, caseID, seq)
		p.OpenedAt, p.SLADue = at(opened), nil
		if sla != nil {
			p.SLADue = ptr(at(*sla))
		}
		openTask(t, s, p)
	}
	claim := func(id string, when time.Duration) {
		t.Helper()
		_, err := s.ClaimTask(ctx, store.ClaimTaskParams{ID: id, Actor: "ann", At: at(when)})
		require.NoError(t, err)
	}
	complete := func(id string, when time.Duration) {
		t.Helper()
		_, err := s.CompleteTask(ctx, store.CompleteTaskParams{ID: id, Outcome: "resolved", Actor: "ann",
			CompletionID: "u-" + id, At: at(when), Span: store.Span{Kind: "task"}})
		require.NoError(t, err)
	}
	hour := func(h int) *time.Duration { d := time.Duration(h) * time.Hour; return &d }

	// m1: a complaint on the phone, three tasks: claimed at 1h10s and
	// completed in time; completed late (breached) without a claim (its
	// claim is its completion); completed without an SLA. Closed at 5h,
	// full feedback.
	mk("m1", "complaint", "phone", 1, time.Hour)
	task("m1-t1", "m1", 1, time.Hour, hour(2))
	claim("m1-t1", time.Hour+10*time.Second)
	complete("m1-t1", 90*time.Minute)
	task("m1-t2", "m1", 2, 90*time.Minute, hour(2))
	complete("m1-t2", 3*time.Hour)
	task("m1-t3", "m1", 3, 3*time.Hour, nil)
	complete("m1-t3", 4*time.Hour)
	closeCase(t, s, "m1", store.CaseCompleted, 5*time.Hour)
	_, _, err := s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "m1", CSAT: ptr(5), NPS: ptr(10), ResolvedFirstContact: ptr(true), At: at(6 * time.Hour)})
	require.NoError(t, err)

	// m2: returns by email, active: its first task was claimed and then
	// cancelled late (not counted as a completed span, but its claim is
	// the first response); its second is open and claimed. A breached end
	// span marks the case breached but is no task span.
	mk("m2", "returns", "email", 2, 2*time.Hour)
	task("m2-t1", "m2", 1, 2*time.Hour, hour(3))
	claim("m2-t1", 2*time.Hour+time.Minute)
	_, err = s.CancelTask(ctx, store.CancelTaskParams{ID: "m2-t1", At: at(4 * time.Hour), Span: store.Span{Kind: "task"}})
	require.NoError(t, err)
	task("m2-t2", "m2", 2, 4*time.Hour, hour(9))
	claim("m2-t2", 5*time.Hour)
	require.NoError(t, s.RecordSpan(ctx, store.Span{CaseID: "m2", Seq: 3, Flow: "returns", Version: 2, Step: "end", Kind: "end",
		EnteredAt: at(5 * time.Hour), CompletedAt: at(5 * time.Hour), Breached: true}))
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "m2", Status: ptr(store.CaseActive), Step: ptr("t2"), At: at(4 * time.Hour)}))

	// m3: a complaint on the phone with no task, cancelled at 4h and
	// reopened at 10h; only an NPS answer.
	mk("m3", "complaint", "phone", 2, 3*time.Hour)
	closeCase(t, s, "m3", store.CaseCancelled, 4*time.Hour)
	_, _, err = s.PutFeedback(ctx, store.PutFeedbackParams{CaseID: "m3", NPS: ptr(3), At: at(7 * time.Hour)})
	require.NoError(t, err)
	_, err = s.MarkCaseReopened(ctx, "m3", at(10*time.Hour))
	require.NoError(t, err)

	// m0 before the others and m4, m5 tied on created_at (id orders), all
	// untouched.
	mk("m0", "complaint", "chat", 1, 0)
	mk("m5", "complaint", "chat", 1, 8*time.Hour)
	mk("m4", "complaint", "", 1, 8*time.Hour)

	all, err := s.ListCaseMeasures(ctx, store.CaseMeasuresParams{})
	require.NoError(t, err)
	require.Equal(t, []string{"m0", "m1", "m2", "m3", "m4", "m5"}, measureIDs(all))
	base := func(id, flow, channel, status string, version int, created time.Duration) store.CaseMeasure {
		return store.CaseMeasure{PilotCase: store.PilotCase{CaseID: id, Arm: "A", Customer: "cust-1", Status: status,
			Version: version, CreatedAt: at(created)}, Flow: flow, Channel: channel}
	}
	m1 := base("m1", "complaint", "phone", store.CaseCompleted, 1, time.Hour)
	m1.ClosedAt, m1.SLABreached = ptr(at(5*time.Hour)), true
	m1.CSAT, m1.NPS, m1.ResolvedFirstContact = ptr(5), ptr(10), ptr(true)
	m1.FirstClaimedAt = ptr(at(time.Hour + 10*time.Second))
	m1.TaskSpans, m1.TaskSpansWithSLA, m1.TaskSpansBreached = 3, 2, 1
	m2 := base("m2", "returns", "email", store.CaseActive, 2, 2*time.Hour)
	m2.SLABreached = true
	m2.FirstClaimedAt = ptr(at(2*time.Hour + time.Minute))
	m3 := base("m3", "complaint", "phone", store.CaseCancelled, 2, 3*time.Hour)
	m3.ClosedAt, m3.NPS, m3.ReopenedAt = ptr(at(4*time.Hour)), ptr(3), ptr(at(10*time.Hour))
	require.Equal(t, []store.CaseMeasure{
		base("m0", "complaint", "chat", store.CaseStarting, 1, 0),
		m1, m2, m3,
		base("m4", "complaint", "", store.CaseStarting, 1, 8*time.Hour),
		base("m5", "complaint", "chat", store.CaseStarting, 1, 8*time.Hour),
	}, all)
	for _, m := range all {
		require.Equal(t, time.UTC, m.CreatedAt.Location())
		for _, p := range []*time.Time{m.ClosedAt, m.ReopenedAt, m.FirstClaimedAt} {
			if p != nil {
				require.Equal(t, time.UTC, p.Location())
			}
		}
	}

	for _, tc := range []struct {
		name string
		p    store.CaseMeasuresParams
		want []string
	}{
		{"flow", store.CaseMeasuresParams{Flow: "complaint"}, []string{"m0", "m1", "m3", "m4", "m5"}},
		{"version", store.CaseMeasuresParams{Version: 2}, []string{"m2", "m3"}},
		{"channel", store.CaseMeasuresParams{Channel: "phone"}, []string{"m1", "m3"}},
		{"status", store.CaseMeasuresParams{Status: store.CaseStarting}, []string{"m0", "m4", "m5"}},
		{"created from to", store.CaseMeasuresParams{From: ptr(at(time.Hour)), To: ptr(at(3 * time.Hour))}, []string{"m1", "m2"}},
		{"closed", store.CaseMeasuresParams{ByClosedAt: true}, []string{"m1", "m3"}},
		{"closed from to", store.CaseMeasuresParams{ByClosedAt: true, From: ptr(at(4 * time.Hour)), To: ptr(at(5 * time.Hour))}, []string{"m3"}},
		{"closed completed", store.CaseMeasuresParams{ByClosedAt: true, Status: store.CaseCompleted, Flow: "complaint"}, []string{"m1"}},
		{"none", store.CaseMeasuresParams{Flow: "nope"}, []string{}},
	} {
		got, err := s.ListCaseMeasures(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, measureIDs(got), tc.name)
	}

	// Paging in (created_at, id) order, ties included.
	ids := measureIDs(all)
	for size := 1; size <= 4; size++ {
		got := pages(t, size, func(after *store.CaseCursor, limit int) []store.CaseMeasure {
			ms, err := s.ListCaseMeasures(ctx, store.CaseMeasuresParams{After: after, Limit: limit})
			require.NoError(t, err)
			return ms
		}, measureCursor, nil)
		var pageIDs [][]string
		for _, page := range got {
			pageIDs = append(pageIDs, measureIDs(page))
		}
		require.Equal(t, chunks(ids, size), pageIDs, "size %d", size)
	}
}
