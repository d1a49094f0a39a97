package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// pageAll follows next_cursor from path until the last page and returns
// the ids in order and the number of pages.
func pageAll[T any](t *testing.T, e *testEnv, as, path string, items func(T) []string, next func(T) string) ([]string, int) {
	t.Helper()
	var ids []string
	pages := 0
	cursor := ""
	for {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		res := e.Do(as, http.MethodGet, p, nil, nil)
		require.Equal(t, http.StatusOK, res.Code, res.Body.String())
		var out T
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
		ids = append(ids, items(out)...)
		pages++
		require.Less(t, pages, 100, "paging does not end")
		if cursor = next(out); cursor == "" {
			var raw map[string]any
			require.NoError(t, json.Unmarshal(res.Body.Bytes(), &raw))
			require.NotContains(t, raw, "next_cursor", "the last page has no next_cursor")
			return ids, pages
		}
	}
}

func taskIDs(l apiv1.TaskList) []string {
	ids := make([]string, len(l.Tasks))
	for i, t := range l.Tasks {
		ids[i] = t.ID
	}
	return ids
}

func caseIDs(l apiv1.CaseList) []string {
	ids := make([]string, len(l.Cases))
	for i, c := range l.Cases {
		ids[i] = c.ID
	}
	return ids
}

func TestListTasksPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ann", store.RoleStaff, "customer_service")
	for range 7 {
		e.StartCase()
		time.Sleep(2 * time.Millisecond) // distinct opened_at and sla_due
	}
	all, err := e.st.ListTasks(context.Background(), store.ListTasksParams{Status: store.TaskOpen})
	require.NoError(t, err)
	require.Len(t, all, 7)
	// The order of 0004: sla_due (none last), opened_at, id.
	require.True(t, slices.IsSortedFunc(all, func(a, b store.Task) int {
		if c := a.SLADue.Compare(*b.SLADue); c != 0 {
			return c
		}
		if c := a.OpenedAt.Compare(b.OpenedAt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	}))
	want := make([]string, len(all))
	for i, tk := range all {
		want[i] = tk.ID
	}

	for _, as := range []string{"admin", "ann"} {
		got, pages := pageAll(t, e, as, "/api/v1/tasks?limit=3", taskIDs, func(l apiv1.TaskList) string { return l.NextCursor })
		require.Equal(t, want, got, "every task once, in order, as %s", as)
		require.Equal(t, 3, pages)
	}
	// Exactly one full page: no next page.
	got, pages := pageAll(t, e, "admin", "/api/v1/tasks?limit=7", taskIDs, func(l apiv1.TaskList) string { return l.NextCursor })
	require.Equal(t, want, got)
	require.Equal(t, 1, pages)
	// The default limit is 50.
	got, pages = pageAll(t, e, "admin", "/api/v1/tasks?status=open", taskIDs, func(l apiv1.TaskList) string { return l.NextCursor })
	require.Equal(t, want, got)
	require.Equal(t, 1, pages)

	// A task opened meanwhile neither shifts nor repeats the pages.
	res := e.Do("admin", http.MethodGet, "/api/v1/tasks?limit=3", nil, nil)
	var first apiv1.TaskList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &first))
	e.StartCase()
	res = e.Do("admin", http.MethodGet, "/api/v1/tasks?limit=3&cursor="+url.QueryEscape(first.NextCursor), nil, nil)
	var second apiv1.TaskList
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &second))
	require.Equal(t, want[3:6], taskIDs(second))

	// from (inclusive) and to (exclusive) bound opened_at.
	from := all[2].OpenedAt.UTC().Format(time.RFC3339Nano)
	to := all[5].OpenedAt.UTC().Format(time.RFC3339Nano)
	got, _ = pageAll(t, e, "admin", "/api/v1/tasks?limit=2&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), taskIDs,
		func(l apiv1.TaskList) string { return l.NextCursor })
	require.Equal(t, want[2:5], got)
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func TestListCasesPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var created []string
	for range 7 {
		created = append(created, e.StartCase().ID)
		time.Sleep(2 * time.Millisecond)
	}
	slices.Reverse(created) // newest first
	got, pages := pageAll(t, e, "admin", "/api/v1/cases?limit=3", caseIDs, func(l apiv1.CaseList) string { return l.NextCursor })
	require.Equal(t, created, got)
	require.Equal(t, 3, pages)
	got, _ = pageAll(t, e, "admin", "/api/v1/cases?flow=complaint&status=active&limit=2", caseIDs, func(l apiv1.CaseList) string { return l.NextCursor })
	require.Equal(t, created, got)

	all, err := e.st.ListCases(context.Background(), store.ListCasesParams{})
	require.NoError(t, err)
	from := all[5].CreatedAt.UTC().Format(time.RFC3339Nano) // the second oldest
	to := all[1].CreatedAt.UTC().Format(time.RFC3339Nano)
	got, _ = pageAll(t, e, "admin", "/api/v1/cases?limit=3&from="+url.QueryEscape(from)+"&to="+url.QueryEscape(to), caseIDs,
		func(l apiv1.CaseList) string { return l.NextCursor })
	require.Equal(t, created[2:6], got)
}

// TestListCasesFullStorePage covers limit=500, where the store cannot
// return the extra row that tells whether a next page exists.
func TestListCasesFullStorePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(i int) {
		id := uuid.NewString()
		_, _, err := e.st.CreateCase(ctx, store.CreateCaseParams{
			ID: id, Flow: "complaint", Version: 1, Customer: "c", Attributes: json.RawMessage("{}"),
			Status: store.CaseActive, WorkflowID: WorkflowID("complaint", id), CreatedBy: "admin", At: t0.Add(time.Duration(i) * time.Second),
		})
		require.NoError(t, err)
	}
	for i := range storeCaseLimitMax {
		add(i)
	}
	var out apiv1.CaseList
	res := e.Do("admin", http.MethodGet, "/api/v1/cases?limit=500", nil, nil)
	require.Equal(t, http.StatusOK, res.Code, res.Body.String())
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Cases, 500)
	require.Empty(t, out.NextCursor, "500 cases fit one page of 500")

	add(-1) // the oldest
	out = apiv1.CaseList{}
	res = e.Do("admin", http.MethodGet, "/api/v1/cases?limit=500", nil, nil)
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Cases, 500)
	require.NotEmpty(t, out.NextCursor)
	res = e.Do("admin", http.MethodGet, "/api/v1/cases?limit=500&cursor="+url.QueryEscape(out.NextCursor), nil, nil)
	out = apiv1.CaseList{}
	require.NoError(t, json.Unmarshal(res.Body.Bytes(), &out))
	require.Len(t, out.Cases, 1)
	require.Empty(t, out.NextCursor)
}

func TestListFlowsPaging(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	flowKeys := func(l apiv1.FlowList) []string {
		keys := make([]string, len(l.Flows))
		for i, f := range l.Flows {
			keys[i] = f.Key
		}
		return keys
	}
	all, pages := pageAll(t, e, "admin", "/api/v1/flows?limit=500", flowKeys, func(l apiv1.FlowList) string { return l.NextCursor })
	require.Equal(t, 1, pages)
	require.GreaterOrEqual(t, len(all), 3)
	require.True(t, slices.IsSorted(all))
	got, pages := pageAll(t, e, "admin", "/api/v1/flows?limit=1", flowKeys, func(l apiv1.FlowList) string { return l.NextCursor })
	require.Equal(t, all, got)
	require.Equal(t, len(all), pages)
}

func TestListParamErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	b64 := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	caseCursor := b64(`{"created_at":"2026-01-01T00:00:00Z","id":"x"}`)
	cases := []struct{ query, param string }{
		{"limit=0", "limit"},
		{"limit=501", "limit"},
		{"limit=-1", "limit"},
		{"limit=ten", "limit"},
		{"limit=1&limit=2", "limit"},
		{"cursor=%21%21%21", "cursor"},
		{"cursor=" + b64("not json"), "cursor"},
		{"cursor=" + b64(`{"id":"x"}`), "cursor"},
		{"cursor=" + b64(`{"key":"complaint","extra":1}`), "cursor"},
		{"cursor=" + b64(`{"created_at":"2026-01-01T00:00:00Z","id":"x"} {}`), "cursor"},
		{"from=yesterday", "from"},
		{"to=2026-13-01T00:00:00Z", "to"},
		{"from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "to"},
		{"sort=id", "sort"},
	}
	for _, list := range []string{"tasks", "cases", "flows"} {
		for _, c := range cases {
			if list == "flows" && (c.param == "from" || c.param == "to") {
				// Not parameters of flows: unknown, the first in name order.
				c.param = c.query[:strings.Index(c.query, "=")]
			}
			path := fmt.Sprintf("/api/v1/%s?%s", list, c.query)
			t.Run(path, func(t *testing.T) {
				p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, path, nil, nil), http.StatusBadRequest)
				require.Contains(t, p.Detail, `query parameter "`+c.param+`"`)
				require.Len(t, p.Errors, 1)
				require.Equal(t, c.param, p.Errors[0].Field)
			})
		}
	}
	// A case cursor is no task cursor, and the other way round.
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/tasks?cursor="+caseCursor, nil, nil), http.StatusBadRequest)
	taskCursor := b64(`{"sla_due":null,"opened_at":"2026-01-01T00:00:00Z","id":"x"}`)
	servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/cases?cursor="+taskCursor, nil, nil), http.StatusBadRequest)
	// Routes without query parameters reject them too.
	c := e.StartCase()
	p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/cases/"+c.ID+"?verbose=1", nil, nil), http.StatusBadRequest)
	require.Equal(t, "verbose", p.Errors[0].Field)
}
