package api

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
)

// The as-is log beside complaint v1's spans: the mapping proposed by name,
// the after side equal to the flow's own bottleneck report, the before side
// the log's figures, and the change with its interval.
func TestCompareLogWithFlow(t *testing.T) {
	e := newEnv(t)
	seedComplaintSpans(t, e, 40)
	// The as-is log: "Investigate" waits 6 h after "Record" in every case,
	// a quarter of the cases investigate twice.
	var b strings.Builder
	b.WriteString("case,activity,timestamp\n")
	for i := range 20 {
		day := fmt.Sprintf("2025-06-%02d", i%28+1)
		fmt.Fprintf(&b, "old-%d,Record,%sT08:00:00Z\nold-%d,Investigate,%sT14:00:00Z\n", i, day, i, day)
		if i%4 == 0 {
			fmt.Fprintf(&b, "old-%d,Investigate,%sT20:00:00Z\n", i, day)
		}
		fmt.Fprintf(&b, "old-%d,Call back,%sT21:00:00Z\n", i, day)
	}
	l := e.importLog("admin", "name=as-is", []byte(b.String()))
	base := "/api/v1/logs/" + l.ID + "/compare?flow=complaint&version=1"

	cmp := getJSON[apiv1.LogComparison](e, "admin", base)
	require.Equal(t, []apiv1.MappedActivity{{Activity: "Investigate", Step: "investigate", Proposed: true},
		{Activity: "Record", Step: "record", Proposed: true}}, cmp.Mapping)
	require.Equal(t, []string{"Call back"}, cmp.UnmappedActivities)
	report := getJSON[apiv1.Bottlenecks](e, "admin", "/api/v1/flows/complaint/bottlenecks?version=1")
	byStep := map[string]apiv1.CompareStep{}
	for _, st := range cmp.Steps {
		byStep[st.Step] = st
	}
	for _, rs := range report.Steps {
		if rs.Cases == 0 {
			continue
		}
		st, ok := byStep[rs.Step]
		require.True(t, ok, rs.Step)
		require.Equal(t, rs.Cases, st.After.Cases, rs.Step)
		require.InDelta(t, rs.Wait.P90, st.After.Wait.P90, 1e-6, rs.Step)
		require.InDelta(t, rs.Work.P50, st.After.Work.P50, 1e-6, rs.Step)
	}
	inv := byStep["investigate"]
	require.Equal(t, []string{"Investigate"}, inv.Activities)
	require.Equal(t, []int{20, 25, 5}, []int{inv.Before.Cases, inv.Before.Events, inv.Before.ReworkCases})
	// Waits before: 20 of 6 h and 5 of 6 h (the second investigation): 6 h.
	require.Equal(t, 6*3600.0, inv.Before.Wait.P50)
	require.InDelta(t, 0.25, inv.Before.Rework, 1e-9)
	require.NotNil(t, inv.WaitRatio.Estimate)
	require.Less(t, *inv.WaitRatio.Estimate, 1.0, "the flow waits less than six hours")
	require.LessOrEqual(t, *inv.WaitRatio.Low, *inv.WaitRatio.Estimate)
	require.Nil(t, inv.WorkRatio.Estimate, "the log has no working time")
	require.NotNil(t, inv.ReworkDiff.Estimate)
	require.Equal(t, 20, cmp.Cycle.Before.N)
	require.Equal(t, 10*9+29*6+3, cmp.Spans, "spans read: ten reworked cases of 9, 29 of 6, the cancelled one's 3")
	require.False(t, cmp.SpansTruncated)

	// An explicit mapping replaces the proposal.
	q := url.Values{"map": {"Call back=notify_customer", "Record=record"}}
	cmp = getJSON[apiv1.LogComparison](e, "admin", base+"&"+q.Encode())
	require.Len(t, cmp.Mapping, 2)
	require.False(t, cmp.Mapping[0].Proposed)
	require.Equal(t, []string{"Investigate"}, cmp.UnmappedActivities)

	p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, base+"&map=Record%3Dnope", nil, nil), http.StatusUnprocessableEntity)
	require.Contains(t, p.Detail, `complaint v1 has no step "nope"`)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/logs/"+l.ID+"/compare", nil, nil), http.StatusBadRequest)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, base+"&map=Record", nil, nil), http.StatusBadRequest)
}
