package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/pilotdata"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

func TestFeedback(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	c := e.StartCase()
	path := "/api/v1/cases/" + c.ID + "/feedback"

	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, path, nil, nil), http.StatusNotFound)
	fb := servertest.DecodeStrict[apiv1.Feedback](t, e.Do("agent", http.MethodPost, path, map[string]any{"csat": 4, "resolved_first_contact": true}, nil), http.StatusCreated)
	require.Equal(t, c.ID, fb.CaseID)
	require.Equal(t, 4, *fb.CSAT)
	require.Nil(t, fb.NPS)
	require.True(t, *fb.ResolvedFirstContact)
	require.Equal(t, e.actors["agent"].ID, fb.CreatedBy)

	// A later edit replaces every value and is audited with old and new.
	fb = servertest.DecodeStrict[apiv1.Feedback](t, e.Do("admin", http.MethodPost, path, map[string]any{"csat": 2, "nps": 3}, nil), http.StatusOK)
	require.Equal(t, 2, *fb.CSAT)
	require.Equal(t, 3, *fb.NPS)
	require.Nil(t, fb.ResolvedFirstContact)
	require.Equal(t, e.actors["agent"].ID, fb.CreatedBy, "the first author stays")
	got := servertest.DecodeStrict[apiv1.Feedback](t, e.Do("agent", http.MethodGet, path, nil, nil), http.StatusOK)
	require.Equal(t, fb, got)

	created := e.auditsOf("case:"+c.ID, "feedback.create")
	require.Len(t, created, 1)
	require.Equal(t, map[string]any{"csat": 4.0, "nps": nil, "resolved_first_contact": true}, detailsOf(t, created[0]))
	edits := e.auditsOf("case:"+c.ID, "feedback.edit")
	require.Len(t, edits, 1)
	require.Equal(t, map[string]any{
		"old": map[string]any{"csat": 4.0, "nps": nil, "resolved_first_contact": true},
		"new": map[string]any{"csat": 2.0, "nps": 3.0, "resolved_first_contact": nil},
	}, detailsOf(t, edits[0]))

	for _, tc := range []struct {
		body   any
		status int
		fields []string
	}{
		{map[string]any{}, 422, []string{"body"}},
		{map[string]any{"csat": 6}, 422, []string{"csat"}},
		{map[string]any{"csat": 0, "nps": 11}, 422, []string{"csat", "nps"}},
		{map[string]any{"nps": -1}, 422, []string{"nps"}},
		{`{"csat": 3, "comment": "ok"}`, 400, []string{"body"}},
		{`{"csat": "five"}`, 400, []string{"body.csat"}},
		{`{"csat": 4.5}`, 400, []string{"body.csat"}},
	} {
		p := servertest.ProblemOf(t, e.Do("agent", http.MethodPost, path, tc.body, nil), tc.status)
		require.Equal(t, tc.fields, fieldsOf(p), "%v", tc.body)
	}
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/cases/nope/feedback", map[string]any{"csat": 3}, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/cases/nope/feedback", nil, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("", http.MethodPost, path, map[string]any{"csat": 3}, nil), http.StatusUnauthorized)
	servertest.ProblemOf(t, e.Do("", http.MethodGet, path, nil, nil), http.StatusUnauthorized)
}

func TestReopenCase(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("agent", store.RoleStaff, "customer_service")
	e.Actor("improver", store.RoleImprover)
	ctx := context.Background()

	open := e.StartCase()
	p := servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/cases/"+open.ID+"/reopen", map[string]any{}, nil), http.StatusConflict)
	require.Contains(t, p.Detail, "only a completed or cancelled case")

	// A pilot case, reopened after the pilot stopped, stays in its arm.
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 99})
	orig := e.CreateCase("C-7")
	require.Equal(t, pl.ID, orig.PilotID)
	e.FinishCase(orig.ID)
	res := e.Do("improver", http.MethodPost, "/api/v1/pilots/"+pl.ID+"/stop", map[string]any{}, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())

	re := servertest.DecodeStrict[apiv1.Case](t, e.Do("agent", http.MethodPost, "/api/v1/cases/"+orig.ID+"/reopen", map[string]any{"reason": "again"}, nil), http.StatusCreated)
	require.NotEqual(t, orig.ID, re.ID)
	require.Equal(t, orig.ID, re.ReopenedFrom)
	require.Equal(t, orig.Version, re.Version)
	require.Equal(t, orig.Variant, re.Variant)
	require.Equal(t, pl.ID, re.PilotID)
	require.Equal(t, orig.Customer, re.Customer)
	require.Equal(t, orig.Channel, re.Channel)
	require.JSONEq(t, string(orig.Attributes), string(re.Attributes))
	require.Equal(t, store.CaseActive, re.Status)
	require.Equal(t, 1, len(e.auditsOf("case:"+orig.ID, "case.reopen")))

	var detail apiv1.CaseDetail
	res = e.Do("agent", http.MethodGet, "/api/v1/cases/"+orig.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &detail))
	require.NotNil(t, detail.ReopenedAt)

	// The reopened case counts as not resolved at first contact.
	cs, err := e.st.ListPilotCases(ctx, pl.ID)
	require.NoError(t, err)
	require.Len(t, cs, 2)
	yes := true
	for i := range cs {
		cs[i].ResolvedFirstContact = &yes
	}
	for i, ec := range pilotdata.Cases(cs, ReopenWindow) {
		if cs[i].CaseID == orig.ID {
			require.True(t, ec.Closed)
			require.False(t, *ec.FCR)
		} else {
			require.False(t, ec.Closed, "the new case runs")
			require.True(t, *ec.FCR)
		}
	}

	servertest.ProblemOf(t, e.Do("improver", http.MethodPost, "/api/v1/cases/"+orig.ID+"/reopen", map[string]any{}, nil), http.StatusForbidden)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/cases/nope/reopen", map[string]any{}, nil), http.StatusNotFound)
	servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/cases/"+orig.ID+"/reopen", `{"why": "x"}`, nil), http.StatusBadRequest)
	p = servertest.ProblemOf(t, e.Do("agent", http.MethodPost, "/api/v1/cases/"+orig.ID+"/reopen", map[string]any{"reason": strings.Repeat("x", 501)}, nil), http.StatusUnprocessableEntity)
	require.Equal(t, []string{"reason"}, fieldsOf(p))
	servertest.ProblemOf(t, e.Do("", http.MethodPost, "/api/v1/cases/"+orig.ID+"/reopen", map[string]any{}, nil), http.StatusUnauthorized)
}

func TestExperimentCases(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	closed := t0.Add(2 * time.Hour)
	yes, csat := true, 4
	soon, late := closed.Add(6*24*time.Hour), closed.Add(8*24*time.Hour)
	in := []store.PilotCase{
		{Arm: "control", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed, ResolvedFirstContact: &yes, CSAT: &csat, SLABreached: true},
		{Arm: "treatment", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed, ResolvedFirstContact: &yes, ReopenedAt: &soon},
		{Arm: "treatment", Status: store.CaseCompleted, CreatedAt: t0, ClosedAt: &closed, ResolvedFirstContact: &yes, ReopenedAt: &late},
		{Arm: "control", Status: store.CaseCancelled, CreatedAt: t0, ClosedAt: &closed},
		{Arm: "control", Status: store.CaseActive, CreatedAt: t0},
	}
	out := pilotdata.Cases(in, ReopenWindow)
	require.True(t, out[0].Closed)
	require.Equal(t, 7200.0, out[0].CycleSeconds)
	require.True(t, out[0].SLABreached)
	require.Equal(t, 4, *out[0].CSAT)
	require.True(t, *out[0].FCR)
	require.False(t, *out[1].FCR, "reopened within 7 days")
	require.True(t, *out[2].FCR, "reopened after the window")
	require.False(t, out[3].Closed, "a cancelled case has no cycle time")
	require.False(t, out[4].Closed)
}

// smallPages makes ExportSpans return at most 3 spans per call, so the
// export pages through the store.
type smallPages struct{ store.Store }

func (s smallPages) ExportSpans(ctx context.Context, p store.ExportSpansParams) ([]store.ExportedSpan, error) {
	p.Limit = min(p.Limit, 3)
	return s.Store.ExportSpans(ctx, p)
}

func TestExportSpans(t *testing.T) {
	t.Parallel()
	base := newEnv(t)
	e := newEnvWithStore(t, smallPages{base.st})
	e.Actor("improver", store.RoleImprover)
	e.Actor("agent", store.RoleStaff, "customer_service")
	ctx := context.Background()

	outside := e.CreateCase("before")
	e.FinishCase(outside.ID)
	pl := e.StartPilot(map[string]any{"flow": "complaint", "treatment": 2, "share": 50})
	for i := range 6 {
		c := e.CreateCase(fmt.Sprintf("c%d", i))
		e.FinishCase(c.ID)
		if i%2 == 0 {
			res := e.Do("agent", http.MethodPost, "/api/v1/cases/"+c.ID+"/feedback", map[string]any{"csat": 5, "nps": 10, "resolved_first_contact": true}, nil)
			require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		}
	}
	want, err := base.st.ExportSpans(ctx, store.ExportSpansParams{PilotID: pl.ID, Limit: 10000})
	require.NoError(t, err)
	require.Greater(t, len(want), 6, "more spans than a store page")
	all, err := base.st.ExportSpans(ctx, store.ExportSpansParams{Limit: 10000})
	require.NoError(t, err)
	require.Greater(t, len(all), len(want))

	// JSON lines: one object per span, in order, every column.
	res := e.Do("agent", http.MethodGet, "/api/v1/spans?pilot="+pl.ID, nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.Equal(t, mimeNDJSON, res.Header().Get("Content-Type"))
	sc := bufio.NewScanner(bytes.NewReader(res.Body.Bytes()))
	var rows []map[string]any
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m))
		rows = append(rows, m)
	}
	require.Len(t, rows, len(want))
	for i, m := range rows {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		require.ElementsMatch(t, exportColumns, keys)
		require.Equal(t, want[i].CaseID, m["case_id"])
		require.Equal(t, float64(want[i].Seq), m["seq"])
		require.Equal(t, pl.ID, m["pilot_id"])
		require.Contains(t, []any{"control", "treatment"}, m["arm"])
		require.Equal(t, "completed", m["case_status"])
		_, err := time.Parse(time.RFC3339Nano, m["entered_at"].(string))
		require.NoError(t, err)
	}

	// CSV: a header row, then one row per span; nulls are empty.
	res = e.Do("agent", http.MethodGet, "/api/v1/spans?format=csv&flow=complaint", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.True(t, strings.HasPrefix(res.Header().Get("Content-Type"), mimeCSV))
	recs, err := csv.NewReader(bytes.NewReader(res.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, exportColumns, recs[0])
	require.Len(t, recs, len(all)+1)
	col := func(name string) int {
		for i, c := range exportColumns {
			if c == name {
				return i
			}
		}
		t.Fatalf("no column %s", name)
		return -1
	}
	sawFeedback, sawEmpty := false, false
	for _, r := range recs[1:] {
		switch r[col("csat")] {
		case "5":
			sawFeedback = true
			require.Equal(t, "true", r[col("resolved_first_contact")])
		case "":
			sawEmpty = true
			require.Equal(t, "", r[col("resolved_first_contact")])
		}
		if r[col("case_id")] == outside.ID {
			require.Equal(t, "", r[col("pilot_id")])
			require.Equal(t, "", r[col("arm")])
		}
	}
	require.True(t, sawFeedback)
	require.True(t, sawEmpty)

	// Filters: version, time window.
	res = e.Do("agent", http.MethodGet, "/api/v1/spans?flow=complaint&version=2&to=2000-01-01T00:00:00Z", nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Empty(t, res.Body.Bytes())

	// Bad parameters: 400 before anything is streamed.
	for _, q := range []string{"format=xml", "from=yesterday", "version=0", "colour=red", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"} {
		servertest.ProblemOf(t, e.Do("agent", http.MethodGet, "/api/v1/spans?"+q, nil, nil), http.StatusBadRequest)
	}
	servertest.ProblemOf(t, e.Do("", http.MethodGet, "/api/v1/spans", nil, nil), http.StatusUnauthorized)
}
