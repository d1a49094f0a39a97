package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testSearchCases: ListCases by customer, id prefix and attributes
// (decision 0026), alone, together, with the other filters and in pages.
func testSearchCases(t *testing.T, s store.Store) {
	ctx := context.Background()
	mk := func(id, flow, customer, attrs string, created time.Duration) {
		t.Helper()
		p := caseParams(id, "")
		p.Flow, p.Customer, p.Attributes, p.At = flow, customer, json.RawMessage(attrs), at(created)
		_, ok, err := s.CreateCase(ctx, p)
		require.NoError(t, err)
		require.True(t, ok)
	}
	mk("ab10", "complaint", "cust-1", `{"severity":"high","priority":3,"vip":true}`, 0)
	mk("ab20", "complaint", "cust-2", `{"severity":"low","priority":3.5,"vip":false}`, time.Minute)
	mk("ab11", "returns", "cust-1", `{"severity":"high","note":"a \"quoted\" <b>&</b> ü"}`, 2*time.Minute)
	mk("ac10", "complaint", "cust-1", `{"severity":"HIGH","priority":"3","nested":{"severity":"high"}}`, 3*time.Minute)
	mk("ab12", "complaint", "Cust-1", `{"severity":"high","priority":30}`, 4*time.Minute)
	mk("b", "complaint", "cust-1 ", `{}`, 4*time.Minute)
	mk("ab1", "complaint", "cust-3", `{"severity":["high"],"priority":null}`, 5*time.Minute)
	// ids with bytes outside printable ASCII take the row-by-row prefix test
	mk("ä1", "complaint", "cust-3", `{}`, 6*time.Minute)
	mk("ä~2", "complaint", "cust-3", `{}`, 6*time.Minute)
	mk("~x", "complaint", "cust-3", `{}`, 6*time.Minute)

	attr := func(kv ...string) []store.AttributeFilter {
		var out []store.AttributeFilter
		for i := 0; i < len(kv); i += 2 {
			out = append(out, store.AttributeFilter{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	for _, tc := range []struct {
		name string
		p    store.ListCasesParams
		want []string
	}{
		{"customer is exact (case, spaces)", store.ListCasesParams{Customer: "cust-1"}, []string{"ac10", "ab11", "ab10"}},
		{"customer and flow", store.ListCasesParams{Customer: "cust-1", Flow: "complaint"}, []string{"ac10", "ab10"}},
		{"customer and time range", store.ListCasesParams{Customer: "cust-1", From: ptr(at(time.Minute)), To: ptr(at(3 * time.Minute))}, []string{"ab11"}},
		{"unknown customer", store.ListCasesParams{Customer: "nobody"}, []string{}},
		{"id prefix", store.ListCasesParams{IDPrefix: "ab1"}, []string{"ab1", "ab12", "ab11", "ab10"}},
		{"whole id", store.ListCasesParams{IDPrefix: "ab10"}, []string{"ab10"}},
		{"id prefix is case-sensitive", store.ListCasesParams{IDPrefix: "AB1"}, []string{}},
		{"id prefix ending in ~", store.ListCasesParams{IDPrefix: "~"}, []string{"~x"}},
		{"non-ASCII id prefix", store.ListCasesParams{IDPrefix: "ä"}, []string{"ä~2", "ä1"}},
		{"non-ASCII id prefix with ~", store.ListCasesParams{IDPrefix: "ä~"}, []string{"ä~2"}},
		{"id prefix and customer", store.ListCasesParams{IDPrefix: "a", Customer: "cust-2"}, []string{"ab20"}},
		{"string attribute (exact, top level only)", store.ListCasesParams{Attributes: attr("severity", "high")}, []string{"ab12", "ab11", "ab10"}},
		{"number attribute", store.ListCasesParams{Attributes: attr("priority", "3")}, []string{"ac10", "ab10"}},
		{"number attribute written otherwise", store.ListCasesParams{Attributes: attr("priority", "3.0")}, []string{"ab10"}},
		{"fractional number", store.ListCasesParams{Attributes: attr("priority", "3.5")}, []string{"ab20"}},
		{"boolean attribute", store.ListCasesParams{Attributes: attr("vip", "true")}, []string{"ab10"}},
		{"false", store.ListCasesParams{Attributes: attr("vip", "false")}, []string{"ab20"}},
		{"null and arrays match nothing", store.ListCasesParams{Attributes: attr("priority", "null")}, []string{}},
		{"escaped string", store.ListCasesParams{Attributes: attr("note", `a "quoted" <b>&</b> ü`)}, []string{"ab11"}},
		{"missing key", store.ListCasesParams{Attributes: attr("colour", "high")}, []string{}},
		{"every attribute filter holds", store.ListCasesParams{Attributes: attr("severity", "high", "priority", "3")}, []string{"ab10"}},
		{"everything together", store.ListCasesParams{Customer: "cust-1", IDPrefix: "ab", Flow: "complaint",
			Attributes: attr("severity", "high", "vip", "true"), To: ptr(at(time.Hour))}, []string{"ab10"}},
	} {
		got, err := s.ListCases(ctx, tc.p)
		require.NoError(t, err, tc.name)
		require.Equal(t, tc.want, caseIDs(got), tc.name)
		// The filters page like the whole list.
		for size := 1; size <= 2; size++ {
			var ids [][]string
			for _, page := range pages(t, size, func(after *store.CaseCursor, limit int) []store.Case {
				p := tc.p
				p.After, p.Limit = after, limit
				cs, err := s.ListCases(ctx, p)
				require.NoError(t, err, tc.name)
				return cs
			}, caseCursor, nil) {
				ids = append(ids, caseIDs(page))
			}
			require.Equal(t, chunks(tc.want, size), ids, "%s, pages of %d", tc.name, size)
		}
	}

	// A set of ids (a page of tasks' cases); an empty set is no case.
	got, err := s.ListCases(ctx, store.ListCasesParams{IDs: []string{"ab10", "ä1", "nope", "ab10"}, Customer: "cust-1"})
	require.NoError(t, err)
	require.Equal(t, []string{"ab10"}, caseIDs(got))
	got, err = s.ListCases(ctx, store.ListCasesParams{IDs: []string{"ab10", "ä1", "ab20"}})
	require.NoError(t, err)
	require.Equal(t, []string{"ä1", "ab20", "ab10"}, caseIDs(got))
	got, err = s.ListCases(ctx, store.ListCasesParams{IDs: []string{}})
	require.NoError(t, err)
	require.Empty(t, got)
	_, err = s.ListCases(ctx, store.ListCasesParams{IDs: make([]string, 501)})
	require.ErrorContains(t, err, "case ids")

	// Updated attributes are searched as they are now.
	require.NoError(t, s.UpdateCase(ctx, store.UpdateCaseParams{ID: "ab20", Attributes: json.RawMessage(`{"severity":"high"}`), At: at(time.Hour)}))
	got, err = s.ListCases(ctx, store.ListCasesParams{Attributes: attr("severity", "high"), Customer: "cust-2"})
	require.NoError(t, err)
	require.Equal(t, []string{"ab20"}, caseIDs(got))

	// Filters the stores cannot express are errors, not a silent scan.
	tooMany := attr(strings.Split(strings.Repeat("k,v,", store.MaxAttributeFilters+1), ",")[:2*(store.MaxAttributeFilters+1)]...)
	_, err = s.ListCases(ctx, store.ListCasesParams{Attributes: tooMany})
	require.ErrorContains(t, err, "attribute filters")
	for _, key := range []string{"", `a"b`, "a$b", "a b", strings.Repeat("k", 65)} {
		_, err = s.ListCases(ctx, store.ListCasesParams{Attributes: attr(key, "x")})
		require.ErrorContains(t, err, "attribute key", "key %q", key)
	}
}
