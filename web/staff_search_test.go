package web

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// caseRowIDs are the case ids of a cases page's rows, in order.
func caseRowIDs(body string) []string {
	ids := []string{}
	for _, m := range regexp.MustCompile(`data-testid="case-row" data-case-id="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// TestUICasesSearch: the search box of /ui/cases finds cases by customer,
// id and attribute; a search it cannot run is said beside the box, in
// words, with a 400 (decision 0026).
func TestUICasesSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	jane := e.startCaseAs("admin", "complaint", "Jane Doe", map[string]any{"severity": "high", "order": "A 17"})
	other := e.startCaseAs("admin", "complaint", "C-7", map[string]any{"severity": "high"})
	jane2 := e.startCaseAs("admin", "returns-exchange", "Jane Doe", map[string]any{"severity": "low"})

	search := func(q string, extra ...string) (int, string) {
		t.Helper()
		v := url.Values{"q": {q}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		res := e.page("ana", http.MethodGet, "/ui/cases?"+v.Encode(), nil)
		return res.Code, res.Body.String()
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"Jane Doe", []string{jane2.ID, jane.ID}},
		{`customer:"Jane Doe"`, []string{jane2.ID, jane.ID}},
		{"  C-7 ", []string{other.ID}},
		{"severity:high", []string{other.ID, jane.ID}},
		{`Jane Doe severity:high order:"A 17"`, []string{jane.ID}},
		{"id:" + jane2.ID[:8], []string{jane2.ID}},
		{jane.ID, []string{jane.ID}},
		{"nobody", []string{}},
	} {
		code, body := search(tc.q)
		require.Equal(t, http.StatusOK, code, tc.q)
		require.Equal(t, tc.want, caseRowIDs(body), tc.q)
		require.Contains(t, body, `name="q" value="`+html.EscapeString(strings.TrimSpace(tc.q)), tc.q)
	}
	// With the other filters.
	_, body := search("Jane Doe", "flow", "complaint")
	require.Equal(t, []string{jane.ID}, caseRowIDs(body))

	// Refusals: beside the box, in words, naming what to fix.
	for _, tc := range []struct{ q, says string }{
		{`customer:"Jane`, "no closing quote"},
		{"id:6f", "Case id: must be a case id or its first 4 to 36 characters"},
		{"sev$rity:high", "Attribute (key:value): key"},
		{"a:1 b:1 c:1 d:1 e:1", "Attribute (key:value): given 5 times, at most 4"},
		{"customer:a customer:b", "customer: is given twice"},
		{strings.Repeat("x", 1001), "at most 1000"},
	} {
		code, body := search(tc.q)
		require.Equal(t, http.StatusBadRequest, code, tc.q)
		require.Contains(t, body, `data-testid="search-error">`, tc.q)
		require.Contains(t, html.UnescapeString(body), tc.says, tc.q)
		require.Contains(t, body, `aria-invalid="true"`, tc.q)
		require.Empty(t, caseRowIDs(body), tc.q)
	}
	// A script in the search is text.
	_, body = search(scriptText)
	require.Contains(t, body, scriptEscaped)
	require.NotContains(t, body, scriptText)

	// Paging keeps the search.
	for range 51 {
		e.startCaseAs("admin", "appointment", "Many", nil)
	}
	_, body = search("Many")
	require.Len(t, caseRowIDs(body), 50)
	link := nextLink(body)
	require.Contains(t, link, "q=Many")
	body = e.page("ana", http.MethodGet, link, nil).Body.String()
	require.Len(t, caseRowIDs(body), 1)
}

// TestUIInboxShowsCustomerAndChannel: each inbox row names the case's
// customer (linked to their cases, the whole name in its title) and
// channel, from the tasks list (decision 0026).
func TestUIInboxShowsCustomerAndChannel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.Actor("ana", store.RoleStaff, "customer_service")
	c := e.startCaseAs("admin", "complaint", `Jane "JD" Doe`, nil)
	task := e.OpenTask(c.ID)

	body := e.page("ana", http.MethodGet, "/ui/inbox", nil).Body.String()
	require.Equal(t, []string{task.ID}, rowIDs(body))
	row := regexp.MustCompile(`(?s)<tr data-testid="inbox-row".*?</tr>`).FindString(body)
	require.Contains(t, row, `<td class="customer" title="Jane &#34;JD&#34; Doe · chat"><a href="/ui/cases?q=customer%3A%22Jane&#43;%5C%22JD%5C%22&#43;Doe%22" data-testid="customer">Jane &#34;JD&#34; Doe</a><span class="channel" data-testid="channel">chat</span></td>`)
	// The link finds the customer's case.
	link := html.UnescapeString(regexp.MustCompile(`<a href="([^"]+)" data-testid="customer">`).FindStringSubmatch(row)[1])
	require.Equal(t, []string{c.ID}, caseRowIDs(e.page("ana", http.MethodGet, link, nil).Body.String()))

	// The API's task list carries them.
	res := e.Do("ana", http.MethodGet, "/api/v1/tasks", nil, nil)
	require.Equal(t, http.StatusOK, res.Code)
	require.Contains(t, res.Body.String(), `"customer":"Jane \"JD\" Doe","channel":"chat"`)
}
