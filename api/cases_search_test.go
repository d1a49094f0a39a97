package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/server/servertest"
	"github.com/flowlab/flowlab/store"
)

// TestListCasesSearch: GET /cases finds a customer's cases, cases by
// attribute and by id prefix, combined with the other filters and paged
// (decision 0026). Before, customer= was an unknown parameter (400).
func TestListCasesSearch(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	start := func(customer string, attrs map[string]any) apiv1.Case {
		t.Helper()
		res := e.Do("admin", http.MethodPost, "/api/v1/cases",
			map[string]any{"flow": "complaint", "customer": customer, "channel": "phone", "attributes": attrs}, nil)
		require.Equal(t, http.StatusCreated, res.Code, res.Body.String())
		var c apiv1.Case
		require.NoError(t, json.Unmarshal(res.Body.Bytes(), &c))
		time.Sleep(2 * time.Millisecond) // distinct created_at
		return c
	}
	a1 := start("C-1042", map[string]any{"amount": 12, "severity": "high"})
	b1 := start("C-7", map[string]any{"amount": 12, "severity": "low"})
	a2 := start("C-1042", map[string]any{"amount": 300, "severity": "high", "vip": true})
	a3 := start("C-1042", map[string]any{"amount": 12, "note": "a:b"})
	list := func(query string) []string {
		t.Helper()
		ids, _ := pageAll(t, e, "admin", "/api/v1/cases?limit=1&"+query, caseIDs, func(l apiv1.CaseList) string { return l.NextCursor })
		return ids
	}
	require.Equal(t, []string{a3.ID, a2.ID, a1.ID}, list("customer=C-1042"))
	require.Equal(t, []string{a3.ID, a2.ID, a1.ID}, list("customer="+url.QueryEscape(" C-1042 ")), "trimmed like a new case's customer")
	require.Empty(t, list("customer=c-1042"), "exact match")
	require.Equal(t, []string{a2.ID, a1.ID}, list("attr=severity:high"))
	require.Equal(t, []string{a3.ID, b1.ID, a1.ID}, list("attr=amount:12"))
	require.Equal(t, []string{a2.ID}, list("attr=severity:high&attr=vip:true"))
	require.Equal(t, []string{a3.ID}, list("attr=note:a:b"), "split at the first colon")
	require.Equal(t, []string{a1.ID}, list("customer=C-1042&attr=severity:high&attr=amount:12&status=active&flow=complaint"))
	require.Equal(t, []string{a2.ID}, list("id="+a2.ID))
	require.Equal(t, []string{a2.ID}, list("id="+strings.ToUpper(a2.ID[:8])), "a prefix, any case")
	require.Equal(t, []string{a2.ID}, list("id="+a2.ID[:13]+"&customer=C-1042"))
	require.Empty(t, list("id="+a2.ID+"&customer=C-7"))

	// The store has nothing to search for an empty filter: it is no filter.
	require.Len(t, list("customer=&attr="), 4)
}

// TestListCasesSearchRefusals: a malformed search is a problem+json 400
// naming its parameter, before the store is asked.
func TestListCasesSearchRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, tc := range []struct{ query, param, says string }{
		{"customer=" + strings.Repeat("x", 201), "customer", "at most 200 characters"},
		{"customer=a%00b", "customer", "control characters"},
		{"id=6f1", "id", "first 4 to 36 characters"},
		{"id=not-hex!", "id", "0-9, a-f"},
		{"id=" + strings.Repeat("a", 37), "id", "at most 36 characters"},
		{"attr=severity", "attr", "KEY:VALUE"},
		{"attr=:high", "attr", "key"},
		{"attr=sev%20erity:high", "attr", "letters, digits"},
		{"attr=" + strings.Repeat("k", 65) + ":v", "attr", "1 to 64"},
		{"attr=severity:", "attr", "value after the colon is missing"},
		{"attr=severity:" + strings.Repeat("v", 201), "attr", "at most 200 characters"},
		{"attr=severity:a%0Ab", "attr", "control characters"},
		{"attr=a:1&attr=b:1&attr=c:1&attr=d:1&attr=e:1", "attr", "at most 4"},
		{"customer=a&customer=b", "customer", "more than once"},
	} {
		t.Run(tc.query, func(t *testing.T) {
			p := servertest.ProblemOf(t, e.Do("admin", http.MethodGet, "/api/v1/cases?"+tc.query, nil, nil), http.StatusBadRequest)
			require.Contains(t, p.Detail, `query parameter "`+tc.param+`"`)
			require.Contains(t, p.Detail, tc.says)
			require.Len(t, p.Errors, 1)
			require.Equal(t, tc.param, p.Errors[0].Field)
		})
	}
}

// TestCaseSearchTimeout: an attribute search past its time is stopped and
// answered with a 503 that says how to narrow it.
func TestCaseSearchTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.StartCase()
	p := store.ListCasesParams{Attributes: []store.AttributeFilter{{Key: "amount", Value: "12"}}}
	cs, _, err := e.srv.searchCases(context.Background(), p, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, cs, 1)
	_, _, err = e.srv.searchCases(context.Background(), p, 10, time.Nanosecond)
	var prob *httpx.Problem
	require.ErrorAs(t, err, &prob)
	require.Equal(t, http.StatusServiceUnavailable, prob.Status)
	require.Contains(t, prob.Detail, "narrow it with customer")

	// With every slot taken, another attribute search is refused at once;
	// a search without attribute filters is not held up.
	for range maxAttrSearches {
		e.srv.attrSearches <- struct{}{}
	}
	_, _, err = e.srv.searchCases(context.Background(), p, 10, time.Minute)
	require.ErrorAs(t, err, &prob)
	require.Equal(t, http.StatusServiceUnavailable, prob.Status)
	require.Contains(t, prob.Detail, "attribute searches are under way")
	_, _, err = e.srv.searchCases(context.Background(), store.ListCasesParams{Customer: "c"}, 10, time.Minute)
	require.NoError(t, err)
	for range maxAttrSearches {
		<-e.srv.attrSearches
	}
	_, _, err = e.srv.searchCases(context.Background(), p, 10, time.Minute)
	require.NoError(t, err, "a slot freed is taken again")
}
