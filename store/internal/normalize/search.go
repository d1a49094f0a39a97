package normalize

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/flowlab/flowlab/store"
)

// Case search (decision 0026): the checks and encodings of
// store.ListCasesParams' Customer, IDPrefix and Attributes that both
// implementations share.

// CheckCaseSearch refuses attribute filters the stores cannot express:
// more than store.MaxAttributeFilters, or a key that is not
// store.ValidAttributeKey (SQLite names it in a JSON path); and more than
// CaseLimitMax IDs.
func CheckCaseSearch(p store.ListCasesParams) error {
	if len(p.IDs) > CaseLimitMax {
		return fmt.Errorf("%d case ids, at most %d", len(p.IDs), CaseLimitMax)
	}
	if len(p.Attributes) > store.MaxAttributeFilters {
		return fmt.Errorf("%d attribute filters, at most %d", len(p.Attributes), store.MaxAttributeFilters)
	}
	for _, f := range p.Attributes {
		if !store.ValidAttributeKey(f.Key) {
			return fmt.Errorf("attribute key %q: %s", f.Key, store.AttributeKeyRule)
		}
	}
	return nil
}

// AttributeNumber is the filter value as a number when it is written as a
// JSON number (ok false otherwise, or when it overflows a float64).
func AttributeNumber(v string) (float64, bool) {
	if v == "" || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) || !json.Valid([]byte(v)) {
		return 0, false
	}
	n, err := strconv.ParseFloat(v, 64)
	return n, err == nil
}

// AttributeContainments are the JSON objects one of which a case's
// attributes contain (PostgreSQL's @>) when they match f: {key: "value"},
// and {key: value} when the value is a JSON number, true or false.
func AttributeContainments(f store.AttributeFilter) []string {
	obj := func(v any) string {
		b, _ := json.Marshal(map[string]any{f.Key: v}) // strings, float64 and bool always marshal
		return string(b)
	}
	out := []string{obj(f.Value)}
	if n, ok := AttributeNumber(f.Value); ok {
		out = append(out, obj(n))
	}
	if f.Value == "true" || f.Value == "false" {
		out = append(out, obj(f.Value == "true"))
	}
	return out
}

// IDPrefixRange is the half-open byte range [lo, hi) of the ids that start
// with prefix, so that a primary-key index can seek it; ok is false when
// the prefix is not printable ASCII (no such range is cheap to state; the
// stores then test the prefix row by row).
func IDPrefixRange(prefix string) (lo, hi string, ok bool) {
	if prefix == "" {
		return "", "", false
	}
	for i := range len(prefix) {
		if prefix[i] < 0x20 || prefix[i] >= 0x7e {
			return "", "", false
		}
	}
	last := len(prefix) - 1
	return prefix, prefix[:last] + string(prefix[last]+1), true
}
