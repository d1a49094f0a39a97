package web

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The log page's "Draft a flow from this log" form: an owner gets the
// flow editor of a new flow with the drafted YAML, which publishes; an
// improver (who may not publish flows) sees it read-only.
func TestUILogDraftFlow(t *testing.T) {
	t.Parallel()
	e := ownerEnv(t)
	loc := e.importLog(t, "olga", "Helpdesk March", helpdeskCSV(30))
	logURL, _, _ := strings.Cut(loc, "?")

	page := requirePage(t, e.page("olga", http.MethodGet, logURL+"?contains=Ask+customer", nil), http.StatusOK)
	require.Contains(t, testids(page), "draft-form")
	require.Contains(t, page, `<input type="hidden" name="contains" value="Ask customer">`, "the draft keeps the filters")

	body := requirePage(t, e.page("olga", http.MethodPost, logURL+"/draft-flow", url.Values{"key": {"helpdesk_march"}, "coverage": {"100"}}), http.StatusOK)
	require.Contains(t, testids(body), "key", "the editor of a new flow")
	y := html.UnescapeString(body)
	for _, s := range []string{"key: helpdesk_march", "- id: register_ticket", "- id: triage", "- id: ask_customer",
		"- id: resolve_ticket", "- id: close_ticket", "department: helpdesk", "# Drafted by flowlab from the event log \"Helpdesk March\""} {
		require.Contains(t, y, s)
	}
	require.Contains(t, body, `value="helpdesk_march"`)

	// It publishes as the editor sends it.
	i := strings.Index(y, "<textarea")
	require.Positive(t, i)
	src := y[strings.Index(y[i:], ">")+i+1:]
	src = strings.TrimPrefix(src[:strings.Index(src, "</textarea>")], "\n")
	res := e.page("olga", http.MethodPost, "/ui/flows/new", url.Values{"new": {"1"}, "key": {"helpdesk_march"}, "yaml": {src}})
	require.Equal(t, http.StatusSeeOther, res.Code, res.Body.String())

	// With the page's filters: only the cases with "Ask customer".
	body = html.UnescapeString(requirePage(t, e.page("olga", http.MethodPost, logURL+"/draft-flow",
		url.Values{"contains": {"Ask customer"}}), http.StatusOK))
	require.Contains(t, body, "of 10 cases")
	require.Contains(t, body, "key: helpdesk-march")

	// The improver sees it read-only.
	body = requirePage(t, e.page("ivan", http.MethodPost, logURL+"/draft-flow", url.Values{"coverage": {"90"}}), http.StatusOK)
	require.Contains(t, testids(body), "draft-yaml")
	require.NotContains(t, testids(body), "key")
	require.Contains(t, html.UnescapeString(body), "- id: resolve_ticket")

	// Refusals come back to the log page; staff may not draft.
	res = e.page("olga", http.MethodPost, logURL+"/draft-flow", url.Values{"coverage": {"150"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "No draft")
	res = e.page("olga", http.MethodPost, logURL+"/draft-flow", url.Values{"key": {"Bad Key"}})
	require.Equal(t, http.StatusSeeOther, res.Code)
	require.Contains(t, e.page("olga", http.MethodGet, res.Header().Get("Location"), nil).Body.String(), "No draft")
	require.Equal(t, http.StatusForbidden, e.page("sam", http.MethodPost, logURL+"/draft-flow", url.Values{}).Code)
}
