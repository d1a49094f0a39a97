package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

const (
	scriptText    = `<script>alert(1)</script>`
	scriptEscaped = `&lt;script&gt;alert(1)&lt;/script&gt;`
	zeroID        = "00000000-0000-0000-0000-000000000000"
)

// fragment requests a page's fragment as the page's script does.
func (e *testEnv) fragment(as, path string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("X-Flowlab-Fragment", "1")
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.tokens[as]})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// startCaseAs starts a case through the API and returns it.
func (e *testEnv) startCaseAs(as, flowKey, customer string, attrs map[string]any) caseJSON {
	e.t.Helper()
	res := e.do(as, http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": flowKey, "customer": customer, "channel": "chat", "attributes": attrs}, nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	var c caseJSON
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &c))
	return c
}

// completeAs completes a task through the API.
func (e *testEnv) completeAs(as, taskID, outcome string, data map[string]any) completeResponse {
	e.t.Helper()
	res := e.do(as, http.MethodPost, "/api/v1/tasks/"+taskID+"/complete", map[string]any{"outcome": outcome, "data": data}, nil)
	require.Equal(e.t, http.StatusOK, res.Code, res.Body.String())
	var out completeResponse
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &out))
	return out
}

// rowIDs are the task ids of an inbox page's rows, in order.
func rowIDs(body string) []string {
	var ids []string
	for _, m := range regexp.MustCompile(`data-testid="inbox-row" data-task-id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// nextLink is the href of a page's "Next page" link ("" when none).
func nextLink(body string) string {
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next" data-testid="next-page">`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func requireErrorPage(t *testing.T, res *httptest.ResponseRecorder, status int, contains string) {
	t.Helper()
	require.Equal(t, status, res.Code, res.Body.String())
	require.Contains(t, res.Header().Get("Content-Type"), "text/html")
	require.Contains(t, res.Body.String(), `data-testid="error"`)
	require.Contains(t, res.Body.String(), contains)
}

func TestUIInbox(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.actor("ana", store.RoleStaff, "customer_service")
	e.actor("tom", store.RoleStaff, "technical")
	e.actor("olga", store.RoleOwner)
	e.actor("ivy", store.RoleImprover)
	c := e.startCaseAs("admin", "complaint", "c-1", nil)
	task := e.openTask(c.ID)

	// Staff see their department's tasks with the countdown, the
	// escalation level and a claim button; every role of the page may
	// open it.
	for _, as := range []string{"ana", "olga", "admin"} {
		res := e.page(as, http.MethodGet, "/ui/inbox", nil)
		require.Equal(t, http.StatusOK, res.Code, as)
		body := res.Body.String()
		require.Equal(t, []string{task.ID}, rowIDs(body), as)
		require.Contains(t, body, `class="countdown" data-due="`+task.SLADue.UTC().Format("2006-01-02T15:04:05Z")+`"`)
		require.Contains(t, body, `data-testid="escalation" data-level="0"`)
		require.Contains(t, body, `data-testid="claim"`)
		require.Contains(t, body, `data-refresh="/ui/inbox"`)
		require.Contains(t, body, `data-testid="inbox-status"`)
	}
	// The selector: staff their departments, others every department of
	// the flows.
	body := e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String()
	require.Contains(t, body, `<option value="customer_service">`)
	require.NotContains(t, body, `<option value="technical">`)
	body = e.page("admin", http.MethodGet, "/ui/inbox?department=technical", nil).Body.String()
	require.Contains(t, body, `<option value="technical" selected>`)
	require.Contains(t, body, `<option value="crisis_team">`)
	require.Empty(t, rowIDs(body))

	// Staff of another department neither see the task nor may ask for
	// that department's inbox (the API's 403, as a page and as a fragment).
	require.Empty(t, rowIDs(e.page("tom", http.MethodGet, "/ui/inbox", nil).Body.String()))
	requireErrorPage(t, e.page("tom", http.MethodGet, "/ui/inbox?department=customer_service", nil), http.StatusForbidden, "customer_service")
	require.Equal(t, http.StatusForbidden, e.fragment("tom", "/ui/inbox?department=customer_service").Code)
	// Improvers have no inbox.
	requireErrorPage(t, e.page("ivy", http.MethodGet, "/ui/inbox", nil), http.StatusForbidden, "staff")
	requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/inbox?assignee=nobody", nil), http.StatusBadRequest, "assignee")

	// The fragment is the rows alone.
	res := e.fragment("ana", "/ui/inbox")
	require.Equal(t, http.StatusOK, res.Code)
	frag := strings.TrimSpace(res.Body.String())
	require.True(t, strings.HasPrefix(frag, `<tr data-testid="inbox-row"`), frag)
	require.True(t, strings.HasSuffix(frag, `</tr>`), frag)
	for _, s := range []string{"<html", "<table", "<tbody", "<nav", "<form method=\"get\"", "Inbox"} {
		require.NotContains(t, frag, s)
	}
	require.Equal(t, []string{task.ID}, rowIDs(frag))

	// Mine and unclaimed filter by assignee.
	e.do("ana", http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", nil, nil)
	body = e.page("ana", http.MethodGet, "/ui/inbox?assignee=mine", nil).Body.String()
	require.Equal(t, []string{task.ID}, rowIDs(body))
	require.Contains(t, body, `<span title="`+e.actors["ana"].ID+`" data-testid="assignee">you</span>`)
	require.Empty(t, rowIDs(e.page("ana", http.MethodGet, "/ui/inbox?assignee=unclaimed", nil).Body.String()))
}

func TestUIInboxPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.actor("ana", store.RoleStaff, "customer_service")
	var all []string
	for range 54 {
		c := e.startCaseAs("admin", "complaint", "c", nil)
		all = append(all, e.openTask(c.ID).ID)
	}
	// The API's order (SLA due time) page by page, 50 rows a page.
	var order []string
	link := "/ui/inbox"
	for link != "" {
		body := e.page("ana", http.MethodGet, link, nil).Body.String()
		ids := rowIDs(body)
		require.LessOrEqual(t, len(ids), 50)
		order = append(order, ids...)
		link = nextLink(body)
		require.Less(t, len(order), 200, "paging does not end")
	}
	require.ElementsMatch(t, all, order)
	api := e.do("ana", http.MethodGet, "/api/v1/tasks?limit=100", nil, nil)
	var list taskListJSON
	require.NoError(t, json.Unmarshal(api.Body.Bytes(), &list))
	want := make([]string, len(list.Tasks))
	for i, tk := range list.Tasks {
		want[i] = tk.ID
	}
	require.Equal(t, want, order)

	// Unclaimed only: claimed tasks are skipped and the pages still hold
	// 50 rows, in the same order.
	for _, id := range []string{want[0], want[10], want[51]} {
		e.do("ana", http.MethodPost, "/api/v1/tasks/"+id+"/claim", nil, nil)
	}
	body := e.page("ana", http.MethodGet, "/ui/inbox?assignee=unclaimed", nil).Body.String()
	first := rowIDs(body)
	require.Len(t, first, 50)
	link = nextLink(body)
	require.NotEmpty(t, link)
	require.Contains(t, link, "assignee=unclaimed")
	second := rowIDs(e.page("ana", http.MethodGet, link, nil).Body.String())
	var unclaimed []string
	for i, id := range want {
		if i != 0 && i != 10 && i != 51 {
			unclaimed = append(unclaimed, id)
		}
	}
	require.Equal(t, unclaimed, append(first, second...))
}
