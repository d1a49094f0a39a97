package api

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/flowlab/flowlab/apiv1"
	"github.com/flowlab/flowlab/internal/httpx"
	"github.com/flowlab/flowlab/store"
)

// Case search (decision 0026): GET /api/v1/cases?customer=&id=&attr=,
// the CLI's `cases list --customer --id --attr` and the search box of
// /ui/cases all end here.

const (
	// searchCustomerMax is the longest customer a case may have (POST
	// /cases), so the longest worth searching.
	searchCustomerMax = 200
	// searchIDMin is the shortest id prefix: 4 hex digits leave one case
	// id in 65,536, so a prefix seeks a few rows of the id index.
	searchIDMin = 4
	// searchIDMax is the length of a case id (a UUID).
	searchIDMax = apiv1.CaseIDLength
	// searchAttrValueMax is the longest attribute value a filter takes.
	searchAttrValueMax = 200
	// caseSearchTimeout bounds one page of an attribute search, the one
	// filter SQLite tests row by row (decision 0026).
	caseSearchTimeout = 5 * time.Second
	// maxAttrSearches is how many attribute searches run at once; one
	// more is a 503 at once, so that searches cannot take every database
	// connection from completions and inboxes.
	maxAttrSearches = 2
)

// searchCases is pageCases with attribute filters bounded in time: past
// timeout the store's query is cancelled and the answer is a 503 that says
// how to narrow the search.
func (s *API) searchCases(ctx context.Context, p store.ListCasesParams, limit int, timeout time.Duration) ([]store.Case, bool, error) {
	if len(p.Attributes) == 0 {
		return s.pageCases(ctx, p, limit)
	}
	select {
	case s.attrSearches <- struct{}{}:
		defer func() { <-s.attrSearches }()
	default:
		return nil, false, httpx.Unavailable(fmt.Sprintf("%d attribute searches are under way, as many as may run at once; "+
			"retry in a moment, or narrow it with customer or id", maxAttrSearches), nil)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cs, more, err := s.pageCases(ctx, p, limit)
	if err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, false, httpx.Unavailable(fmt.Sprintf("the attribute search took longer than %s and was stopped; "+
			"narrow it with customer, id, flow, status or from/to", timeout), err)
	}
	return cs, more, err
}

// descCaseSearch documents the search parameters in the route table.
const descCaseSearch = "Search: `customer` is an exact match; `id` is a case id or its first " +
	"4 or more characters; `attr=KEY:VALUE` keeps cases whose top-level attribute KEY is the string VALUE " +
	"(or the number or boolean written VALUE: `attr=priority:3`, `attr=vip:true`), split at the first colon; " +
	"give `attr` up to 4 times, all must hold. Filters combine with each other, with `flow`, `status`, " +
	"`from`/`to` and with paging. A malformed filter is a 400 naming the parameter."

// caseSearch is the checked search of a case listing.
type caseSearch struct {
	Customer   string
	IDPrefix   string
	Attributes []store.AttributeFilter
}

// apply sets the search on a store listing.
func (cs caseSearch) apply(p *store.ListCasesParams) {
	p.Customer, p.IDPrefix, p.Attributes = cs.Customer, cs.IDPrefix, cs.Attributes
}

// parseCaseSearch checks the search parameters; a malformed one is a 400
// naming it.
func parseCaseSearch(customer, id string, attrs []string) (caseSearch, error) {
	var cs caseSearch
	cs.Customer = strings.TrimSpace(customer)
	if n := utf8.RuneCountInString(cs.Customer); n > searchCustomerMax {
		return cs, httpx.BadParam("customer", fmt.Sprintf("must be at most %d characters, got %d", searchCustomerMax, n))
	}
	if searchHasControl(cs.Customer) {
		return cs, httpx.BadParam("customer", "must not contain control characters")
	}
	if id = strings.ToLower(strings.TrimSpace(id)); id != "" {
		if len(id) < searchIDMin || len(id) > searchIDMax || strings.Trim(id, "0123456789abcdef-") != "" {
			return cs, httpx.BadParam("id", fmt.Sprintf("must be a case id or its first %d to %d characters (0-9, a-f and -), got %q",
				searchIDMin, searchIDMax, searchClip(id, 40)))
		}
		cs.IDPrefix = id
	}
	if len(attrs) > store.MaxAttributeFilters {
		return cs, httpx.BadParam("attr", fmt.Sprintf("given %d times, at most %d", len(attrs), store.MaxAttributeFilters))
	}
	for _, a := range attrs {
		key, value, ok := strings.Cut(a, ":")
		switch {
		case !ok:
			return cs, httpx.BadParam("attr", fmt.Sprintf("must be KEY:VALUE like severity:high, got %q", searchClip(a, 40)))
		case !store.ValidAttributeKey(key):
			return cs, httpx.BadParam("attr", fmt.Sprintf("key %q must be %s", searchClip(key, 40), store.AttributeKeyRule))
		case value == "":
			return cs, httpx.BadParam("attr", fmt.Sprintf("%s: the value after the colon is missing", key))
		case utf8.RuneCountInString(value) > searchAttrValueMax:
			return cs, httpx.BadParam("attr", fmt.Sprintf("%s: the value must be at most %d characters", key, searchAttrValueMax))
		case searchHasControl(value):
			return cs, httpx.BadParam("attr", fmt.Sprintf("%s: the value must not contain control characters", key))
		}
		cs.Attributes = append(cs.Attributes, store.AttributeFilter{Key: key, Value: value})
	}
	return cs, nil
}

func searchHasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl) || !utf8.ValidString(s)
}

// searchClip shortens s to at most n runes for a message.
func searchClip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// withCaseContacts sets the customer and channel of each task's case, read
// with one store query for the page (at most 500 tasks: the list limit),
// so that an inbox shows whom a task serves.
func (s *API) withCaseContacts(ctx context.Context, tasks []apiv1.Task) error {
	if len(tasks) == 0 {
		return nil
	}
	ids := make([]string, 0, len(tasks))
	seen := make(map[string]bool, len(tasks))
	for _, t := range tasks {
		if !seen[t.CaseID] {
			seen[t.CaseID] = true
			ids = append(ids, t.CaseID)
		}
	}
	cases, err := s.store.ListCases(ctx, store.ListCasesParams{IDs: ids, Limit: len(ids)})
	if err != nil {
		return httpx.StoreProblem(fmt.Errorf("list tasks: their cases: %w", err), "cases")
	}
	byID := make(map[string]store.Case, len(cases))
	for _, c := range cases {
		byID[c.ID] = c
	}
	for i := range tasks {
		if c, ok := byID[tasks[i].CaseID]; ok {
			tasks[i].Customer, tasks[i].Channel = c.Customer, c.Channel
		}
	}
	return nil
}
