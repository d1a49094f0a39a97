package api

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// seedComplaintSpans records the spans of n complaint v1 cases as the case
// workflow would: each step entered a few milliseconds after the one
// before completed, tasks claimed after a wait and worked, the route a
// decision of no time, some reviews sent back for rework, the last case
// still waiting unclaimed at investigate when it was cancelled.
func seedComplaintSpans(t *testing.T, e *testEnv, n int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(17, 4))
	dur := func(min, max time.Duration) time.Duration { return min + time.Duration(rng.Int64N(int64(max-min))) }
	t0 := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	depts := map[string]string{"record": "customer_service", "investigate": "technical", "feedback": "technical",
		"review": "customer_service", "notify_customer": "customer_service"}
	for i := range n {
		id := fmt.Sprintf("case-%03d", i)
		created := t0.Add(time.Duration(i) * 37 * time.Minute)
		_, ok, err := e.st.CreateCase(ctx, store.CreateCaseParams{ID: id, Flow: "complaint", Version: 1, Customer: fmt.Sprintf("C-%d", i%7),
			Channel: []string{"phone", "chat", "email"}[i%3], Status: store.CaseCompleted, WorkflowID: "complaint-" + id, At: created})
		require.NoError(t, err)
		require.True(t, ok)
		steps := []string{"record", "route", "investigate", "feedback", "review"}
		if i%4 == 0 {
			steps = append(steps, "investigate", "feedback", "review") // rework
		}
		steps = append(steps, "notify_customer")
		at := created
		for seq, step := range steps {
			sp := store.Span{CaseID: id, Seq: seq + 1, Flow: "complaint", Version: 1, Variant: "A", Step: step, Kind: "task",
				Department: depts[step], EnteredAt: at, Outcome: "done", Actor: fmt.Sprintf("agent-%d", rng.IntN(4))}
			switch {
			case step == "route":
				sp.Kind, sp.Department, sp.Actor = "decision", "", ""
				sp.CompletedAt = at.Add(dur(time.Millisecond, 5*time.Millisecond))
			case i == n-1 && step == "investigate":
				sp.CompletedAt = at.Add(dur(time.Hour, 3*time.Hour)) // cancelled unclaimed: waited throughout
				sp.Outcome, sp.Actor = "", ""
			default:
				claimed := at.Add(dur(time.Minute, 5*time.Hour))
				sp.ClaimedAt = &claimed
				sp.CompletedAt = claimed.Add(dur(5*time.Minute, 2*time.Hour))
			}
			require.NoError(t, e.st.RecordSpan(ctx, sp))
			at = sp.CompletedAt.Add(dur(time.Millisecond, 40*time.Millisecond))
			if i == n-1 && step == "investigate" {
				break
			}
		}
	}
}

// The XES export read back by the importer gives the flow's own bottleneck
// report: the same steps, case counts, waiting and working percentiles and
// shares (decisions 0029 and 0033).
func TestSpansXESRoundTrip(t *testing.T) {
	e := newEnv(t)
	seedComplaintSpans(t, e, 60)

	res := e.Do("admin", http.MethodGet, "/api/v1/spans?format=xes&flow=complaint&version=1", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, "application/xml; charset=utf-8", res.Header().Get("Content-Type"))
	xesBody := res.Body.Bytes()
	// Well-formed XML with one trace per case.
	dec := xml.NewDecoder(strings.NewReader(string(xesBody)))
	traces := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "trace" {
			traces++
		}
	}
	require.Equal(t, 60, traces)

	l := servertest.DecodeStrict[apiv1.EventLog](t, e.SendRaw("admin", http.MethodPost, "/api/v1/logs?name=spans", "application/xml", xesBody, nil), http.StatusCreated)
	acts := getJSON[apiv1.LogActivities](e, "admin", "/api/v1/logs/"+l.ID+"/activities")
	report := getJSON[apiv1.Bottlenecks](e, "admin", "/api/v1/flows/complaint/bottlenecks?version=1")
	byName := map[string]apiv1.LogActivity{}
	for _, a := range acts.Activities {
		byName[a.Activity] = a
	}
	compared := 0
	for _, st := range report.Steps {
		if st.Cases == 0 {
			continue
		}
		a, ok := byName[st.Step]
		require.True(t, ok, "step %s is an activity of the log", st.Step)
		require.Equal(t, st.Cases, a.Cases, st.Step)
		for _, pair := range [][2]float64{{st.Wait.P50, a.Wait.P50}, {st.Wait.P90, a.Wait.P90}, {st.Wait.P95, a.Wait.P95},
			{st.Work.P50, a.Work.P50}, {st.Work.P90, a.Work.P90}, {st.Work.P95, a.Work.P95}} {
			require.InDelta(t, pair[0], pair[1], 1e-6, "%s: report %v, log %v", st.Step, pair[0], pair[1])
		}
		require.InDelta(t, st.Share, a.Share, 1e-9, st.Step)
		require.Equal(t, st.Bottleneck, a.Bottleneck, st.Step)
		compared++
	}
	require.Equal(t, 6, compared, "record, route, investigate, feedback, review, notify_customer")
	require.Len(t, acts.Activities, compared)
	sum := getJSON[apiv1.LogSummary](e, "admin", "/api/v1/logs/"+l.ID+"/summary")
	require.Equal(t, report.Cases, sum.Cases)
	// The trace attributes came along as case attributes.
	cases := getJSON[apiv1.LogCaseList](e, "admin", "/api/v1/logs/"+l.ID+"/cases?limit=1")
	require.Contains(t, cases.Cases[0].Attrs, apiv1.LogAttr{Name: "flowlab:channel", Value: "phone"})
	require.Contains(t, cases.Cases[0].Attrs, apiv1.LogAttr{Name: "flowlab:flow", Value: "complaint"})
}
