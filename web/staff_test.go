package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/api"
	"github.com/flowlab/flowlab/apiv1"
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
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: e.sessionFor(e.tokens[as])})
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	return rec
}

// startCaseAs starts a case through the API and returns it.
func (e *testEnv) startCaseAs(as, flowKey, customer string, attrs map[string]any) apiv1.Case {
	e.t.Helper()
	res := e.Do(as, http.MethodPost, "/api/v1/cases",
		map[string]any{"flow": flowKey, "customer": customer, "channel": "chat", "attributes": attrs}, nil)
	require.Equal(e.t, http.StatusCreated, res.Code, res.Body.String())
	var c apiv1.Case
	require.NoError(e.t, json.Unmarshal(res.Body.Bytes(), &c))
	return c
}

// completeAs completes a task through the API.
func (e *testEnv) completeAs(as, taskID, outcome string, data map[string]any) apiv1.CompleteResponse {
	e.t.Helper()
	res := e.Do(as, http.MethodPost, "/api/v1/tasks/"+taskID+"/complete", map[string]any{"outcome": outcome, "data": data}, nil)
	require.Equal(e.t, http.StatusOK, res.Code, res.Body.String())
	var out apiv1.CompleteResponse
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
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	e.Actor("olga", store.RoleOwner)
	e.Actor("ivy", store.RoleImprover)
	c := e.startCaseAs("admin", "complaint", "c-1", nil)
	task := e.OpenTask(c.ID)

	var (
		res     *httptest.ResponseRecorder
		body    string
		frag    string
		refused string
	)

	e.step(t, "staff see their department's tasks with countdown, level and claim; every role opens the page", func(t *testing.T, e *testEnv) {
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
			require.Contains(t, body, `<a href="/ui/tasks/`+task.ID+`" title="Record the complaint" data-testid="open-task">Record the complaint</a>`)
			require.Contains(t, body, `data-refresh="/ui/inbox"`)
			require.Contains(t, body, `data-testid="inbox-status"`)
		}
	})

	e.step(t, "the department selector: staff their departments, others every department", func(t *testing.T, e *testEnv) {
		// The selector: staff their departments, others every department of
		// the flows.
		body = e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String()
		require.Contains(t, body, `<option value="customer_service">`)
		require.NotContains(t, body, `<option value="technical">`)
		body = e.page("admin", http.MethodGet, "/ui/inbox?department=technical", nil).Body.String()
		require.Contains(t, body, `<option value="technical" selected>`)
		require.Contains(t, body, `<option value="crisis_team">`)
		require.Empty(t, rowIDs(body))
	})

	e.step(t, "another department's staff neither see the task nor may ask for the inbox", func(t *testing.T, e *testEnv) {
		// Staff of another department neither see the task nor may ask for
		// that department's inbox (the API's 403, as a page and as a fragment).
		require.Empty(t, rowIDs(e.page("tom", http.MethodGet, "/ui/inbox", nil).Body.String()))
		requireErrorPage(t, e.page("tom", http.MethodGet, "/ui/inbox?department=customer_service", nil), http.StatusForbidden, "customer_service")
		require.Equal(t, http.StatusForbidden, e.fragment("tom", "/ui/inbox?department=customer_service").Code)
	})

	e.step(t, "improvers have the improvement department's inbox only", func(t *testing.T, e *testEnv) {
		// Improvers have the improvement department's inbox only (decision
		// 0024).
		ivy := e.page("ivy", http.MethodGet, "/ui/inbox", nil)
		require.Equal(t, http.StatusOK, ivy.Code)
		require.Empty(t, rowIDs(ivy.Body.String()))
		requireErrorPage(t, e.page("ivy", http.MethodGet, "/ui/inbox?department=customer_service", nil), http.StatusForbidden, "customer_service")
		requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/inbox?assignee=nobody", nil), http.StatusBadRequest, "assignee")
	})

	e.step(t, "the fragment is the rows alone", func(t *testing.T, e *testEnv) {
		// The fragment is the rows alone.
		res = e.fragment("ana", "/ui/inbox")
		require.Equal(t, http.StatusOK, res.Code)
		frag = strings.TrimSpace(res.Body.String())
		require.True(t, strings.HasPrefix(frag, `<tr data-testid="inbox-row"`), frag)
		require.True(t, strings.HasSuffix(frag, `</tr>`), frag)
		for _, s := range []string{"<html", "<table", "<tbody", "<nav", "<form method=\"get\"", "Inbox"} {
			require.NotContains(t, frag, s)
		}
		require.Equal(t, []string{task.ID}, rowIDs(frag))
	})

	e.step(t, "the page's rows are the fragment byte for byte", func(t *testing.T, e *testEnv) {
		// The page's rows are the fragment byte for byte, so app.js swaps rows
		// only when the server's content changed.
		served := regexp.MustCompile(`(?s)<tbody id="inbox-rows"[^>]*>(.*?)</tbody>`).FindStringSubmatch(e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String())
		require.Len(t, served, 2)
		require.Equal(t, frag, strings.TrimSpace(served[1]))
	})

	e.step(t, "claim from the inbox returns with its filters; mine and unclaimed", func(t *testing.T, e *testEnv) {
		// Claim from the inbox comes back to it with its filters; mine and
		// unclaimed filter by assignee.
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+task.ID+"/claim", url.Values{"return": {"/ui/inbox?assignee=mine"}})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/inbox?assignee=mine&flash="), res.Header().Get("Location"))
		body = e.page("ana", http.MethodGet, "/ui/inbox?assignee=mine", nil).Body.String()
		require.Equal(t, []string{task.ID}, rowIDs(body))
		require.Contains(t, body, `data-testid="unclaim"`)
		require.Contains(t, body, `<span title="`+e.actors["ana"].ID+`" data-testid="assignee">you</span>`)
		require.Empty(t, rowIDs(e.page("ana", http.MethodGet, "/ui/inbox?assignee=unclaimed", nil).Body.String()))
	})

	e.step(t, "a claim someone else holds: not claimed, said where the button was", func(t *testing.T, e *testEnv) {
		// A claim someone else holds: not claimed, said where the button was.
		e.Actor("bea", store.RoleStaff, "customer_service")
		res = e.page("bea", http.MethodPost, "/ui/tasks/"+task.ID+"/claim", url.Values{"return": {"/ui/inbox"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.Contains(t, res.Header().Get("Location"), "flash=Not+claimed")
		require.Contains(t, res.Header().Get("Location"), "flash_kind=refused")
		refused = e.page("bea", http.MethodGet, res.Header().Get("Location"), nil).Body.String()
		require.Contains(t, refused, `<p class="flash error" role="alert" data-testid="flash" data-kind="refused">Not claimed: `)
	})

	e.step(t, "bea's refusal, signed for bea, shows nothing to ana", func(t *testing.T, e *testEnv) {
		// bea's refusal, signed for bea, shows nothing to ana.
		require.NotContains(t, e.page("ana", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), `data-testid="flash"`)
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+task.ID+"/unclaim", url.Values{"return": {"/ui/inbox"}})
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+task.ID+"/claim", url.Values{"return": {"/ui/inbox"}})
		done := e.page("ana", http.MethodGet, res.Header().Get("Location"), nil).Body.String()
		require.Contains(t, done, `<p class="flash" role="status" data-testid="flash" data-kind="done">Claimed`)
	})

	e.step(t, "a return address outside the UI is not followed", func(t *testing.T, e *testEnv) {
		// A return address outside the UI is not followed.
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+task.ID+"/unclaim", url.Values{"return": {"https://evil.test/"}})
		require.Equal(t, http.StatusSeeOther, res.Code)
		require.True(t, strings.HasPrefix(res.Header().Get("Location"), "/ui/tasks/"+task.ID+"?flash="), res.Header().Get("Location"))
		require.Equal(t, []string{task.ID}, rowIDs(e.page("ana", http.MethodGet, "/ui/inbox?assignee=unclaimed", nil).Body.String()))
	})
}

func TestUIInboxPages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	var all []string
	for range 54 {
		c := e.startCaseAs("admin", "complaint", "c", nil)
		all = append(all, e.OpenTask(c.ID).ID)
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
	api := e.Do("ana", http.MethodGet, "/api/v1/tasks?limit=100", nil, nil)
	var list apiv1.TaskList
	require.NoError(t, json.Unmarshal(api.Body.Bytes(), &list))
	want := make([]string, len(list.Tasks))
	for i, tk := range list.Tasks {
		want[i] = tk.ID
	}
	require.Equal(t, want, order)

	// Unclaimed only: claimed tasks are skipped and the pages still hold
	// 50 rows, in the same order.
	for _, id := range []string{want[0], want[10], want[51]} {
		e.Do("ana", http.MethodPost, "/api/v1/tasks/"+id+"/claim", nil, nil)
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

func TestUITaskPage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	e.Actor("olga", store.RoleOwner)
	e.Actor("ivy", store.RoleImprover)
	c := e.startCaseAs("admin", "complaint", scriptText, map[string]any{"note": scriptText})
	task := e.OpenTask(c.ID)
	path := "/ui/tasks/" + task.ID

	res := e.page("ana", http.MethodGet, path, nil)
	require.Equal(t, http.StatusOK, res.Code)
	body := res.Body.String()
	// The form from the step's fields and one button per outcome.
	require.Regexp(t, `<select id="field-severity" name="data.severity" required>`, body)
	require.Contains(t, body, `<option value="advanced">advanced</option>`)
	require.Regexp(t, `<textarea id="field-summary" name="data.summary" required>`, body)
	require.Contains(t, body, `data-testid="complete-recorded"`)
	require.Regexp(t, `<input type="hidden" name="idempotency_key" value="[0-9a-f-]{36}">`, body)
	require.Contains(t, body, `data-testid="claim"`)
	require.Contains(t, body, `class="countdown"`)
	// User content is escaped.
	require.Contains(t, body, scriptEscaped)
	require.NotContains(t, body, scriptText)

	// Owners and admins may look; improvers have no task pages.
	require.Equal(t, http.StatusOK, e.page("olga", http.MethodGet, path, nil).Code)
	require.Equal(t, http.StatusOK, e.page("admin", http.MethodGet, path, nil).Code)
	requireErrorPage(t, e.page("ivy", http.MethodGet, path, nil), http.StatusForbidden, "improver")
	// An owner outside the department sees it without the form.
	require.NotContains(t, e.page("olga", http.MethodGet, path, nil).Body.String(), `data-testid="complete-form"`)

	// Staff of another department: 403 for the page and every action,
	// and nothing changes.
	requireErrorPage(t, e.page("tom", http.MethodGet, path, nil), http.StatusForbidden, "customer_service")
	for _, action := range []string{"claim", "unclaim", "complete"} {
		res := e.page("tom", http.MethodPost, path+"/"+action, url.Values{"outcome": {"recorded"}, "data.severity": {"primary"}, "data.summary": {"x"}})
		requireErrorPage(t, res, http.StatusForbidden, "customer_service")
	}
	got, err := e.st.GetTask(context.Background(), task.ID)
	require.NoError(t, err)
	require.Equal(t, store.TaskOpen, got.Status)
	require.Empty(t, got.Assignee)

	// Unknown tasks are 404 pages.
	requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/tasks/"+zeroID, nil), http.StatusNotFound, zeroID)
	for _, action := range []string{"claim", "unclaim", "complete"} {
		res := e.page("ana", http.MethodPost, "/ui/tasks/"+zeroID+"/"+action, url.Values{"outcome": {"recorded"}})
		requireErrorPage(t, res, http.StatusNotFound, zeroID)
	}

	// Claim and unclaim on the task page come back to it.
	res = e.page("ana", http.MethodPost, path+"/claim", url.Values{})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.True(t, strings.HasPrefix(res.Header().Get("Location"), path+"?flash="))
	body = e.page("ana", http.MethodGet, path, nil).Body.String()
	require.Contains(t, body, `data-testid="unclaim"`)
	require.NotContains(t, body, `data-testid="claim"`)
	// Someone else's claim: the page says so and offers no form.
	e.Actor("bea", store.RoleStaff, "customer_service")
	body = e.page("bea", http.MethodGet, path, nil).Body.String()
	require.Contains(t, body, `data-testid="cannot-complete"`)
	require.NotContains(t, body, `data-testid="complete-form"`)
}

func TestUITaskComplete(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	c := e.startCaseAs("admin", "complaint", "c-7", nil)
	task := e.OpenTask(c.ID)
	path := "/ui/tasks/" + task.ID + "/complete"
	engineCalls := func() int {
		e.eng.Mu.Lock()
		defer e.eng.Mu.Unlock()
		return len(e.eng.Completions)
	}

	var (
		res    *httptest.ResponseRecorder
		body   string
		loc    *url.URL
		next   store.Task
		form   url.Values
		before int
	)

	e.step(t, "a required field left empty: the workflow's message at the field, values kept, nothing completed", func(t *testing.T, e *testEnv) {
		// A required field left empty: the server's (the workflow's) message
		// at the field, the values kept (escaped), nothing completed.
		res = e.page("ana", http.MethodPost, path, url.Values{"idempotency_key": {"k-1"}, "outcome": {"recorded"},
			"data.severity": {"intermediate"}, "data.summary": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code, res.Body.String())
		body = res.Body.String()
		require.Regexp(t, `(?s)<textarea id="field-summary" name="data.summary" required aria-invalid="true" aria-describedby="field-summary-error"></textarea>\s*<p class="field-error" id="field-summary-error" data-testid="field-error">field &#34;summary&#34; is required</p>`, body)
		require.Contains(t, body, `<option value="intermediate" selected>`)
		require.NotRegexp(t, `name="idempotency_key" value="k-1"`, body, "a refused completion gets a new key")
		res = e.page("ana", http.MethodPost, path, url.Values{"idempotency_key": {"k-2"}, "outcome": {"recorded"}, "data.summary": {scriptText}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		body = res.Body.String()
		require.Contains(t, body, `field &#34;severity&#34; is required`)
		require.Contains(t, body, `name="data.summary" required>`+scriptEscaped+`</textarea>`)
		require.NotContains(t, body, scriptText)
	})

	e.step(t, "no outcome: said at the buttons", func(t *testing.T, e *testEnv) {
		// No outcome (the form was posted without a button): said at the buttons.
		res = e.page("ana", http.MethodPost, path, url.Values{"idempotency_key": {"k-3"}, "data.severity": {"primary"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		require.Contains(t, res.Body.String(), `data-testid="outcome-error"`)
	})

	e.step(t, "an outcome the step does not have: the API's message at the buttons", func(t *testing.T, e *testEnv) {
		// An outcome the step does not have: the API's message at the buttons.
		res = e.page("ana", http.MethodPost, path, url.Values{"idempotency_key": {"k-4"}, "outcome": {"nope"}, "data.severity": {"primary"}, "data.summary": {"s"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		require.Contains(t, res.Body.String(), `data-testid="outcome-error">outcome &#34;nope&#34; is not allowed`)
		got, err := e.st.GetTask(context.Background(), task.ID)
		require.NoError(t, err)
		require.Equal(t, store.TaskOpen, got.Status)
	})

	e.step(t, "success: to the inbox with the handoff, in the flash and listed", func(t *testing.T, e *testEnv) {
		// Success: to the inbox with the handoff, named in the flash and
		// listed with the next task's department.
		form = url.Values{"idempotency_key": {"click-1"}, "outcome": {"recorded"}, "data.severity": {"primary"}, "data.summary": {"line drops"}}
		before = engineCalls()
		res = e.page("ana", http.MethodPost, path, form)
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		var err error
		loc, err = url.Parse(res.Header().Get("Location"))
		require.NoError(t, err)
		require.Equal(t, "/ui/inbox", loc.Path)
		next = e.OpenTask(c.ID)
		require.Equal(t, "technical", next.Department)
		require.Equal(t, []string{next.ID}, loc.Query()["next"])
		require.Equal(t, "customer_service", loc.Query().Get("department"))
		require.Equal(t, `Completed "Record the complaint" with outcome Recorded. Next: "Technical investigation" in Technical.`, loc.Query().Get("flash"))
		body = e.page("ana", http.MethodGet, loc.RequestURI(), nil).Body.String()
		require.Contains(t, body, `<li data-testid="next-task" data-task-id="`+next.ID+`" data-department="technical">`)
		require.Contains(t, body, `Next: &#34;Technical investigation&#34; in Technical.`)
		got, err := e.st.GetTask(context.Background(), task.ID)
		require.NoError(t, err)
		require.Equal(t, store.TaskCompleted, got.Status)
		require.Equal(t, map[string]any{"severity": "primary", "summary": "line drops"}, jsonObject(t, got.Data))
	})

	e.step(t, "a double click completes nothing twice and answers the same handoff", func(t *testing.T, e *testEnv) {
		// A double click (the same key again) completes nothing twice and
		// answers with the same handoff.
		res = e.page("ana", http.MethodPost, path, form)
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		require.Equal(t, loc.String(), res.Header().Get("Location"))
		require.Equal(t, before+1, engineCalls())
		spans, err := e.st.ListSpans(context.Background(), store.SpanFilter{CaseID: c.ID})
		require.NoError(t, err)
		require.Len(t, spans, 1)
	})

	e.step(t, "another key on the completed task: refused on the task page", func(t *testing.T, e *testEnv) {
		// Another key on the completed task: refused, shown on the task page.
		form.Set("idempotency_key", "click-2")
		res = e.page("ana", http.MethodPost, path, form)
		require.Equal(t, http.StatusConflict, res.Code)
		require.Contains(t, res.Body.String(), "already completed")
		require.Contains(t, res.Body.String(), `data-testid="task-result"`)
	})

	e.step(t, "the next department's inbox shows the handed-on task", func(t *testing.T, e *testEnv) {
		// The next department's inbox shows the handed-on task.
		require.Equal(t, []string{next.ID}, rowIDs(e.page("tom", http.MethodGet, "/ui/inbox", nil).Body.String()))
	})

	e.step(t, "the next task's page shows what customer service recorded, without a link", func(t *testing.T, e *testEnv) {
		// tom's task page shows what customer service recorded, without a
		// link into that department's task.
		nextPage := e.page("tom", http.MethodGet, "/ui/tasks/"+next.ID, nil)
		require.Equal(t, http.StatusOK, nextPage.Code)
		require.Regexp(t, `(?s)<li data-testid="earlier-step" data-step="record">.*Record the complaint.*Customer service · Recorded.*<dt>severity</dt><dd>primary</dd><dt>summary</dt><dd>line drops</dd>`, nextPage.Body.String())
		require.NotContains(t, nextPage.Body.String(), `<a href="/ui/tasks/`+task.ID+`">`)
		require.Contains(t, e.page("admin", http.MethodGet, "/ui/tasks/"+next.ID, nil).Body.String(), `<a href="/ui/tasks/`+task.ID+`">Record the complaint</a>`)
	})

	e.step(t, "the handoff without a link into another department's task", func(t *testing.T, e *testEnv) {
		// ana sees the handoff but no link into another department's task.
		require.NotContains(t, body, `<a href="/ui/tasks/`+next.ID+`">`)
		adminBody := e.page("admin", http.MethodGet, loc.RequestURI(), nil).Body.String()
		require.Contains(t, adminBody, `<a href="/ui/tasks/`+next.ID+`">Technical investigation</a>`)
	})

	e.step(t, "a number field that is not a number is refused before the API", func(t *testing.T, e *testEnv) {
		// A number field that is not a number is refused before the API.
		rc := e.startCaseAs("admin", "returns-exchange", "c-8", nil)
		rt := e.OpenTask(rc.ID)
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+rt.ID+"/complete", url.Values{"outcome": {"complete"}, "data.type": {"return"}, "data.amount": {"12,5"}})
		require.Equal(t, http.StatusUnprocessableEntity, res.Code)
		require.Contains(t, res.Body.String(), `must be a number, got &#34;12,5&#34;`)
		require.Contains(t, res.Body.String(), `<input type="number" step="any" id="field-amount" name="data.amount" value="12,5" required aria-invalid="true"`)
		res = e.page("ana", http.MethodPost, "/ui/tasks/"+rt.ID+"/complete", url.Values{"idempotency_key": {"r-1"}, "outcome": {"complete"}, "data.type": {"return"}, "data.amount": {"12.5"}})
		require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
		got, err := e.st.GetTask(context.Background(), rt.ID)
		require.NoError(t, err)
		require.Equal(t, map[string]any{"type": "return", "amount": 12.5}, jsonObject(t, got.Data))
	})
}

func jsonObject(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	return m
}

func TestUICases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("olga", store.RoleOwner)
	e.Actor("ivy", store.RoleImprover)
	c1 := e.startCaseAs("admin", "complaint", scriptText, nil)
	c2 := e.startCaseAs("admin", "returns-exchange", "c-2", nil)

	for _, as := range []string{"ana", "olga", "ivy", "admin"} {
		res := e.page(as, http.MethodGet, "/ui/cases", nil)
		require.Equal(t, http.StatusOK, res.Code, as)
		body := res.Body.String()
		require.Contains(t, body, `data-testid="case-row" data-case-id="`+c1.ID+`"`)
		require.Contains(t, body, `data-testid="case-row" data-case-id="`+c2.ID+`"`)
		require.Contains(t, body, scriptEscaped)
		require.NotContains(t, body, scriptText)
	}
	body := e.page("ana", http.MethodGet, "/ui/cases?flow=returns-exchange&status=active", nil).Body.String()
	require.NotContains(t, body, c1.ID)
	require.Contains(t, body, c2.ID)
	require.Contains(t, body, `<option value="returns-exchange" selected>`)
	require.Contains(t, body, `<option value="active" selected>`)
	requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/cases?status=nope", nil), http.StatusBadRequest, "status")

	// Paging: 50 a page, the next link carries the filters and the cursor.
	for range 50 {
		e.startCaseAs("admin", "appointment", "p", nil)
	}
	body = e.page("ana", http.MethodGet, "/ui/cases?flow=appointment", nil).Body.String()
	require.Equal(t, 50, strings.Count(body, `data-testid="case-row"`))
	require.Empty(t, nextLink(body), "exactly one page")
	body = e.page("ana", http.MethodGet, "/ui/cases", nil).Body.String()
	require.Equal(t, 50, strings.Count(body, `data-testid="case-row"`))
	link := nextLink(body)
	require.Contains(t, link, "cursor=")
	body = e.page("ana", http.MethodGet, link, nil).Body.String()
	require.Equal(t, 2, strings.Count(body, `data-testid="case-row"`))
	require.Contains(t, body, c1.ID)
}

func TestUICaseNew(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("ivy", store.RoleImprover)

	res := e.page("ivy", http.MethodGet, "/ui/cases/new?flow=complaint", nil)
	require.Equal(t, http.StatusOK, res.Code)
	body := res.Body.String()
	require.Contains(t, body, `<option value="complaint" selected>`)
	for _, ch := range api.DefaultChannels {
		require.Contains(t, body, `<option value="`+ch+`"`)
	}
	key := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f-]{36})"`).FindStringSubmatch(body)
	require.NotNil(t, key)

	// The API's messages at their fields, the values kept and escaped.
	res = e.page("ana", http.MethodPost, "/ui/cases/new", url.Values{"idempotency_key": {key[1]}, "flow": {"complaint"},
		"customer": {"  "}, "channel": {"wechat"}, "attributes": {"note=" + scriptText}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	body = res.Body.String()
	require.Contains(t, body, `<p class="field-error" id="case-customer-error" data-testid="field-error">is required</p>`)
	require.Contains(t, body, `<option value="wechat" selected>`)
	require.Contains(t, body, `note=`+scriptEscaped+`</textarea>`)
	require.NotContains(t, body, scriptText)
	res = e.page("ana", http.MethodPost, "/ui/cases/new", url.Values{"flow": {"nope"}, "customer": {"x"}})
	require.Equal(t, http.StatusNotFound, res.Code)
	require.Contains(t, res.Body.String(), `id="case-flow-error" data-testid="field-error">no flow &#34;nope&#34;</p>`)
	res = e.page("ana", http.MethodPost, "/ui/cases/new", url.Values{"flow": {"complaint"}, "customer": {"x"}, "attributes": {"severity=advanced\nno equals sign"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	require.Contains(t, res.Body.String(), `line 2: write key=value`)
	c, err := e.st.ListCases(context.Background(), store.ListCasesParams{Limit: 10})
	require.NoError(t, err)
	require.Empty(t, c)

	// Created once with typed attributes, however often the form is sent.
	form := url.Values{"idempotency_key": {"new-1"}, "flow": {"complaint"}, "customer": {"Li Wei"}, "channel": {"wechat"},
		"attributes": {"# comment\nseverity = advanced\namount=350\nvip=true\nphone=0123\nref=\"42\""}}
	res = e.page("ana", http.MethodPost, "/ui/cases/new", form)
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	loc := res.Header().Get("Location")
	require.Regexp(t, `^/ui/cases/[0-9a-f-]{36}\?flash=`, loc)
	res = e.page("ana", http.MethodPost, "/ui/cases/new", form)
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Equal(t, loc, res.Header().Get("Location"))
	c, err = e.st.ListCases(context.Background(), store.ListCasesParams{Limit: 10})
	require.NoError(t, err)
	require.Len(t, c, 1)
	require.Equal(t, "wechat", c[0].Channel)
	require.Equal(t, map[string]any{"severity": "advanced", "amount": 350.0, "vip": true, "phone": "0123", "ref": "42"}, jsonObject(t, c[0].Attributes))
}

func TestUICasePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	e.Actor("tom", store.RoleStaff, "technical")
	e.Actor("ivy", store.RoleImprover)
	c := e.startCaseAs("admin", "complaint", scriptText, map[string]any{"note": scriptText})
	path := "/ui/cases/" + c.ID

	for _, as := range []string{"ana", "tom", "ivy", "admin"} {
		res := e.page(as, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, res.Code, as)
		require.Contains(t, res.Body.String(), scriptEscaped)
		require.NotContains(t, res.Body.String(), scriptText)
	}
	requireErrorPage(t, e.page("ana", http.MethodGet, "/ui/cases/"+zeroID, nil), http.StatusNotFound, zeroID)
	requireErrorPage(t, e.page("ana", http.MethodPost, "/ui/cases/"+zeroID+"/feedback", url.Values{"csat": {"5"}}), http.StatusNotFound, zeroID)
	requireErrorPage(t, e.page("ana", http.MethodPost, "/ui/cases/"+zeroID+"/reopen", url.Values{}), http.StatusNotFound, zeroID)

	// The timeline: done spans with who did them, the handoff to the next
	// department, the open task (linked for those who may open it).
	record := e.OpenTask(c.ID)
	e.Do("ana", http.MethodPost, "/api/v1/tasks/"+record.ID+"/claim", nil, nil)
	e.completeAs("ana", record.ID, "recorded", map[string]any{"severity": "primary", "summary": "s"})
	investigate := e.OpenTask(c.ID)
	body := e.page("ana", http.MethodGet, path, nil).Body.String()
	require.Regexp(t, `<li class="" data-testid="timeline-item" data-seq="1" data-step="record" data-kind="task" data-department="customer_service" data-outcome="recorded" data-breached="false">`, body)
	require.Contains(t, body, `<strong>Record the complaint</strong>`)
	require.Contains(t, body, `data-testid="timeline-actor">you</span>`)
	require.Contains(t, body, `data-testid="wait">`)
	require.Contains(t, body, `<li class="handoff" data-testid="timeline-handoff" data-from="customer_service" data-to="technical">`)
	require.Contains(t, body, `data-open="true" data-task-id="`+investigate.ID+`"`)
	require.NotContains(t, body, `<a href="/ui/tasks/`+investigate.ID+`">`, "staff of another department get no link")
	require.Contains(t, e.page("tom", http.MethodGet, path, nil).Body.String(), `<a href="/ui/tasks/`+investigate.ID+`">Technical investigation</a>`)
	require.NotContains(t, body, `data-testid="reopen"`, "an open case cannot be reopened")

	// Feedback: recorded, shown, refused values at their fields.
	res := e.page("ana", http.MethodPost, path+"/feedback", url.Values{"csat": {"5"}, "nps": {"9"}, "resolved_first_contact": {"true"}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	body = e.page("ana", http.MethodGet, path, nil).Body.String()
	require.Contains(t, body, `data-testid="feedback-recorded"`)
	require.Contains(t, body, `<option value="5" selected>`)
	require.Contains(t, body, `<option value="true" selected>yes</option>`)
	res = e.page("ivy", http.MethodPost, path+"/feedback", url.Values{"csat": {"9"}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	require.Contains(t, res.Body.String(), `id="fb-csat-error" data-testid="field-error">must be from 1 to 5, got 9</p>`)
	res = e.page("ana", http.MethodPost, path+"/feedback", url.Values{"csat": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, res.Code)
	require.Contains(t, res.Body.String(), `Give at least one of CSAT`)
	fb, err := e.st.GetFeedback(context.Background(), c.ID)
	require.NoError(t, err)
	require.Equal(t, 5, *fb.CSAT)

	// Reopen: refused while the case runs; offered and done once closed.
	res = e.page("ana", http.MethodPost, path+"/reopen", url.Values{"reason": {"again"}})
	require.Equal(t, http.StatusConflict, res.Code)
	require.Contains(t, res.Body.String(), "only a completed or cancelled case can be reopened")
	e.completeAs("admin", investigate.ID, "diagnosed", nil)
	e.completeAs("admin", e.OpenTask(c.ID).ID, "written", map[string]any{"answer": "a"})
	e.completeAs("admin", e.OpenTask(c.ID).ID, "approved", nil)
	e.completeAs("admin", e.OpenTask(c.ID).ID, "notified", nil)
	body = e.page("ana", http.MethodGet, path, nil).Body.String()
	require.Contains(t, body, `data-testid="case-status">completed</span>`)
	require.Contains(t, body, `data-testid="reopen"`)
	require.Equal(t, 5, strings.Count(body, `data-testid="timeline-item"`))
	require.NotContains(t, e.page("ivy", http.MethodGet, path, nil).Body.String(), `data-testid="reopen"`)
	requireErrorPage(t, e.page("ivy", http.MethodPost, path+"/reopen", url.Values{}), http.StatusForbidden, "improver")
	res = e.page("ana", http.MethodPost, path+"/reopen", url.Values{"reason": {"the line drops again"}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())
	loc := res.Header().Get("Location")
	require.Regexp(t, `^/ui/cases/[0-9a-f-]{36}\?flash=`, loc)
	require.NotContains(t, loc, c.ID+"?")
	body = e.page("ana", http.MethodGet, loc, nil).Body.String()
	require.Contains(t, body, `<a href="/ui/cases/`+c.ID+`" data-testid="reopened-from">`)
}

// A case flowlab demo --history wrote says it is simulated and links to
// no workflow.
func TestUICaseSimulated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.startCaseAs("admin", "complaint", "sim-complaint-00001", map[string]any{"simulated": true})
	body := e.page("admin", http.MethodGet, "/ui/cases/"+c.ID, nil).Body.String()
	require.Contains(t, body, `data-testid="case-simulated"`)
	require.NotContains(t, body, `data-testid="temporal-link"`)
	other := e.startCaseAs("admin", "complaint", "C-1", map[string]any{"simulated": false})
	require.NotContains(t, e.page("admin", http.MethodGet, "/ui/cases/"+other.ID, nil).Body.String(), `data-testid="case-simulated"`)
}
