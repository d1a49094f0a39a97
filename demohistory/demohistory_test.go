package demohistory_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/demohistory"
	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return s[len(s)/2]
}

// allCases reads every case measure of a flow.
func allCases(t *testing.T, st store.Store) []store.CaseMeasure {
	ctx := context.Background()
	var out []store.CaseMeasure
	var after *store.CaseCursor
	for {
		page, err := st.ListCaseMeasures(ctx, store.CaseMeasuresParams{Limit: 10000, After: after})
		require.NoError(t, err)
		out = append(out, page...)
		if len(page) < 10000 {
			return out
		}
		last := page[len(page)-1]
		after = &store.CaseCursor{CreatedAt: last.CreatedAt, ID: last.CaseID}
	}
}

// 90 days of history: 13 ISO weeks of cases of the four flows on every
// channel, hour-scale work, technical the slowest department, rework,
// feedback, a finished pilot with cases in both arms; a rerun writes
// nothing, and a case someone else created is left as it was.
func TestFill90Days(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 90 days of history")
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	require.NoError(t, st.Migrate(ctx))
	require.NoError(t, api.SeedBuiltinFlows(ctx, st))

	now := time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)
	// Someone else's cases: one holding the key of the history's first
	// complaint, one ordinary.
	key := "demo-history:7:complaint:1"
	foreign, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: "0b9c1c55-0000-4000-8000-000000000001", Flow: "complaint", Version: 1,
		Customer: "C-1", Channel: "phone", Attributes: json.RawMessage(`{}`), Status: store.CaseActive, IdempotencyKey: key, CreatedBy: "admin", At: now.Add(-time.Hour)})
	require.NoError(t, err)
	other, _, err := st.CreateCase(ctx, store.CreateCaseParams{ID: "0b9c1c55-0000-4000-8000-000000000002", Flow: "complaint", Version: 1,
		Customer: "C-2", Channel: "email", Attributes: json.RawMessage(`{"severity":"primary"}`), Status: store.CaseActive, CreatedBy: "admin", At: now.Add(-time.Hour)})
	require.NoError(t, err)

	opts := demohistory.Options{Days: 90, Seed: 7, Now: now, Channels: api.DefaultChannels, Pilot: true}
	start := time.Now()
	var last demohistory.Progress
	sum, err := demohistory.Fill(ctx, st, opts, func(p demohistory.Progress) { last = p })
	require.NoError(t, err)
	t.Logf("90 days: %d cases (%d created), %d tasks, %d feedback in %s; %+v", sum.Cases, sum.Created, sum.Tasks, sum.Feedback, time.Since(start), sum.PerFlow)
	require.Equal(t, sum.Cases, last.Done)
	require.Equal(t, 1, sum.Foreign, "the case holding the history's key is someone else's")
	require.Equal(t, sum.Cases-1, sum.Created)

	cases := allCases(t, st)
	weeks := map[string]bool{}
	flowsSeen := map[string]bool{}
	channels := map[string]bool{}
	var cycle []float64
	withFeedback := 0
	for _, c := range cases {
		if c.CaseID == foreign.ID || c.CaseID == other.ID {
			continue
		}
		require.Equal(t, store.CaseCompleted, c.Status, "every historical case is closed")
		require.True(t, c.ClosedAt.Before(now))
		y, w := c.CreatedAt.ISOWeek()
		weeks[time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")+"-"+string(rune('A'+w))] = true
		flowsSeen[c.Flow] = true
		channels[c.Channel] = true
		cycle = append(cycle, c.ClosedAt.Sub(c.CreatedAt).Hours())
		if c.CSAT != nil {
			withFeedback++
		}
	}
	require.GreaterOrEqual(t, len(weeks), 13, "13 ISO weeks of cases")
	for _, f := range []string{"complaint", "returns-exchange", "appointment", "pdca"} {
		require.True(t, flowsSeen[f], "cases of %s", f)
	}
	for _, ch := range api.DefaultChannels {
		require.True(t, channels[ch], "cases on %s", ch)
	}
	require.Greater(t, withFeedback, sum.Cases/5, "feedback on a share of the cases")
	t.Logf("median cycle time %.1f h", median(cycle))
	require.Greater(t, median(cycle), 1.0, "cycle times are hours")

	// Tasks: hour-scale work, technical waits longest, rework.
	waits := map[string][]float64{}
	var work []float64
	visits := map[string]int{}
	rework := 0
	for _, f := range []string{"complaint", "returns-exchange", "appointment"} {
		spans, err := st.ListSpans(ctx, store.SpanFilter{Flow: f})
		require.NoError(t, err)
		for _, s := range spans {
			if s.Kind != "task" || s.ClaimedAt == nil {
				continue
			}
			waits[s.Department] = append(waits[s.Department], s.ClaimedAt.Sub(s.EnteredAt).Minutes())
			work = append(work, s.CompletedAt.Sub(*s.ClaimedAt).Minutes())
			k := s.CaseID + "/" + s.Step
			visits[k]++
			if visits[k] == 2 {
				rework++
			}
		}
	}
	for _, d := range []string{"customer_service", "technical", "supervisor", "crisis_team"} {
		t.Logf("%s: %d tasks, median wait %.0f min", d, len(waits[d]), median(waits[d]))
	}
	t.Logf("median work %.0f min, %d reworked steps", median(work), rework)
	require.Greater(t, median(work), 5.0, "work takes minutes to hours")
	require.Less(t, median(work), 120.0)
	// The supervisor's tasks are escalations: they waited an hour or more
	// elsewhere first, so they are not compared.
	for _, d := range []string{"customer_service", "crisis_team"} {
		require.Greater(t, median(waits["technical"]), median(waits[d]), "technical waits longer than %s", d)
	}
	require.Greater(t, rework, 50, "reviews send answers back to investigation")

	// The pilot: completed, cases in both arms, evaluated.
	require.NotEmpty(t, sum.PilotID)
	pl, err := st.GetPilot(ctx, sum.PilotID)
	require.NoError(t, err)
	require.Equal(t, store.PilotCompleted, pl.Status)
	require.NotEmpty(t, pl.Results)
	require.NotEmpty(t, pl.Recommendation)
	pcs, err := st.ListPilotCases(ctx, pl.ID)
	require.NoError(t, err)
	arms := map[string]int{}
	for _, c := range pcs {
		arms[c.Arm]++
	}
	require.Greater(t, arms[store.ArmControl], 100)
	require.Greater(t, arms[store.ArmTreatment], 100)
	props, err := st.ListProposals(ctx, store.ListProposalsParams{})
	require.NoError(t, err)
	require.NotEmpty(t, props)

	// A rerun writes nothing new; the other cases are as they were.
	again, err := demohistory.Fill(ctx, st, opts, nil)
	require.NoError(t, err)
	require.Zero(t, again.Created)
	require.Zero(t, again.Proposals)
	require.Equal(t, sum.Cases-1, again.Existing)
	require.Len(t, allCases(t, st), len(cases))
	for _, c := range []store.Case{foreign, other} {
		got, err := st.GetCase(ctx, c.ID)
		require.NoError(t, err)
		require.Equal(t, c.Status, got.Status)
		require.Equal(t, c.UpdatedAt, got.UpdatedAt)
		require.JSONEq(t, string(c.Attributes), string(got.Attributes))
		tasks, err := st.ListTasks(ctx, store.ListTasksParams{CaseID: c.ID})
		require.NoError(t, err)
		require.Empty(t, tasks)
	}
}

func TestOptionsBounds(t *testing.T) {
	ctx := context.Background()
	for _, days := range []int{0, 367} {
		_, err := demohistory.Fill(ctx, nil, demohistory.Options{Days: days, Now: time.Now(), Channels: []string{"phone"}}, nil)
		require.ErrorContains(t, err, "a history has 1 to 366 days")
	}
}
