package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/flow"
	"github.com/flowlab/flowlab/flows"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestSeedBuiltinFlows(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // seeded once
	ctx := context.Background()
	require.NoError(t, SeedBuiltinFlows(ctx, e.st)) // and again: idempotent

	for _, b := range flows.All() {
		fv, err := e.st.GetFlowVersion(ctx, b.Key, b.Version)
		require.NoError(t, err, "%s v%d", b.Key, b.Version)
		require.Equal(t, string(b.Source), fv.Source)
		require.Len(t, fv.Hash, 64)
		var def flow.Definition
		require.NoError(t, json.Unmarshal(fv.Compiled, &def))
		require.Equal(t, b.Key, def.Key)
		require.Equal(t, b.Version, def.Version)
		require.Equal(t, b.Default, fv.IsDefault, "%s v%d", b.Key, b.Version)
	}

	// A default chosen later survives another seed.
	require.NoError(t, e.st.SetDefaultFlowVersion(ctx, "complaint", 2))
	require.NoError(t, SeedBuiltinFlows(ctx, e.st))
	fv, err := e.st.DefaultFlowVersion(ctx, "complaint")
	require.NoError(t, err)
	require.Equal(t, 2, fv.Version)

	// New cases get the default version.
	c := e.StartCase()
	require.Equal(t, 2, c.Version)
}

func TestFlowsRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	res := e.Do("admin", http.MethodGet, "/api/v1/flows", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var list struct {
		Flows []apiv1.FlowSummary `json:"flows"`
	}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &list))
	keys := map[string]apiv1.FlowSummary{}
	for _, f := range list.Flows {
		keys[f.Key] = f
	}
	require.Contains(t, keys, "complaint")
	require.Equal(t, 1, keys["complaint"].DefaultVersion)
	require.Equal(t, 2, keys["complaint"].LatestVersion)
	require.Equal(t, 2, keys["complaint"].Versions)

	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var d apiv1.FlowDetail
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.Equal(t, 1, d.Version)
	require.Equal(t, 1, d.DefaultVersion)
	require.Contains(t, d.Source, "key: complaint")
	require.Len(t, d.Versions, 2)
	var def flow.Definition
	require.NoError(t, json.Unmarshal(d.Definition, &def))
	require.Equal(t, "record", def.StartStep())

	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint?version=2", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &d))
	require.Equal(t, 2, d.Version)
	require.Equal(t, 1, d.DefaultVersion)
}

func TestBottlenecks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return base.Add(time.Duration(m) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	// Two cases: record is quick, investigate waits long.
	for i, id := range []string{"c1", "c2"} {
		off := i * 60
		for _, sp := range []store.Span{
			{CaseID: id, Seq: 1, Step: "record", Kind: "task", Department: "customer_service",
				EnteredAt: at(off), ClaimedAt: ptr(at(off + 1)), CompletedAt: at(off + 5), SLADue: ptr(at(off + 30))},
			{CaseID: id, Seq: 3, Step: "investigate", Kind: "task", Department: "technical",
				EnteredAt: at(off + 5), ClaimedAt: ptr(at(off + 125)), CompletedAt: at(off + 135), SLADue: ptr(at(off + 125)), Breached: true, EscalationLevel: 1},
		} {
			sp.Flow, sp.Version, sp.Outcome = "complaint", 1, "done"
			require.NoError(t, e.st.RecordSpan(ctx, sp))
		}
	}
	q := url.Values{"from": {base.Add(-time.Hour).Format(time.RFC3339)}, "to": {base.Add(24 * time.Hour).Format(time.RFC3339)}}
	res := e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.Bottlenecks
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Equal(t, "complaint", out.Flow)
	require.Equal(t, 1, out.Version)
	require.Equal(t, 2, out.Cases)
	require.Len(t, out.Steps, 2)
	require.Equal(t, "record", out.Steps[0].Step) // flow order
	inv := out.Steps[1]
	require.Equal(t, "investigate", inv.Step)
	require.True(t, inv.Bottleneck)
	require.False(t, out.Steps[0].Bottleneck)
	require.Equal(t, 2, inv.Cases)
	require.InDelta(t, 7200, inv.Wait.P50, 0.001)
	require.InDelta(t, 600, inv.Work.P95, 0.001)
	// Version 1 has no calendar: business time is elapsed time.
	require.Equal(t, inv.Wait, inv.BusinessWait)
	require.Equal(t, inv.Work, inv.BusinessWork)
	require.InDelta(t, 1.0, inv.SLABreachRate, 1e-9)
	require.Equal(t, 2, inv.Escalations)

	// A window without spans, and another version.
	q = url.Values{"from": {base.Add(48 * time.Hour).Format(time.RFC3339)}}
	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?"+q.Encode(), nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Equal(t, 0, out.Cases)
	require.Empty(t, out.Steps)
	res = e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?version=2", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Equal(t, 2, out.Version)
	require.Equal(t, 0, out.Cases)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?version=9", nil, nil), http.StatusNotFound)
}

// TestBusinessTimeInStatistics: a version with an office calendar reports
// a weekend wait in elapsed and in business time, in the bottleneck view
// and in the case's spans.
func TestBusinessTimeInStatistics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	def, err := flows.Definition("complaint", 1)
	require.NoError(t, err)
	day := "09:00-17:00"
	def.Version = 3
	def.Calendars = []flow.Calendar{{ID: "office", TimeZone: "Europe/London",
		Hours: flow.WeekHours{Mon: day, Tue: day, Wed: day, Thu: day, Fri: day}}}
	def.Calendar = "office"
	compiled, err := json.Marshal(def)
	require.NoError(t, err)
	_, _, err = e.st.PutFlowVersion(ctx, store.PutFlowVersionParams{Key: "complaint", Version: 3, Name: def.Name,
		Source: "# test\n", Compiled: compiled, Hash: "test-v3", CreatedBy: "test", At: time.Now()})
	require.NoError(t, err)

	caseID := uuid.NewString()
	_, _, err = e.st.CreateCase(ctx, store.CreateCaseParams{ID: caseID, Flow: "complaint", Version: 3, Status: store.CaseActive,
		WorkflowID: "complaint-" + caseID, Attributes: json.RawMessage(`{}`), At: time.Now()})
	require.NoError(t, err)
	// Entered Friday 16:00 in London (UTC in March), claimed Monday 10:00,
	// completed Monday 11:00: 66h elapsed wait, 2h business wait.
	fri := time.Date(2025, 3, 7, 16, 0, 0, 0, time.UTC)
	claimed := time.Date(2025, 3, 10, 10, 0, 0, 0, time.UTC)
	require.NoError(t, e.st.RecordSpan(ctx, store.Span{CaseID: caseID, Seq: 3, Flow: "complaint", Version: 3,
		Step: "investigate", Kind: "task", Department: "technical", EnteredAt: fri, ClaimedAt: &claimed,
		CompletedAt: claimed.Add(time.Hour), Outcome: "done"}))

	res := e.Do("admin", http.MethodGet, "/api/v1/flows/complaint/bottlenecks?version=3", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.Bottlenecks
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Steps, 1)
	st := out.Steps[0]
	require.InDelta(t, 66*3600, st.Wait.P50, 0.001)
	require.InDelta(t, 2*3600, st.BusinessWait.P50, 0.001)
	require.InDelta(t, 3600, st.Work.P50, 0.001)
	require.InDelta(t, 3600, st.BusinessWork.P50, 0.001)

	res = e.Do("admin", http.MethodGet, "/api/v1/cases/"+caseID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	var c apiv1.CaseDetail
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &c))
	require.Len(t, c.Spans, 1)
	require.InDelta(t, 66*3600, c.Spans[0].WaitSeconds, 0.001)
	require.InDelta(t, 2*3600, c.Spans[0].BusinessWaitSeconds, 0.001)

}
