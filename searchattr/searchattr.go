// Package searchattr registers flowlab's custom search attributes on a
// Temporal namespace, idempotently.
package searchattr

import (
	"context"
	"errors"
	"fmt"
	"sort"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// Ensure adds the attributes that the namespace lacks. An attribute that
// exists with another type is an error: changing it would break queries.
func Ensure(ctx context.Context, c client.Client, namespace string, want map[string]enumspb.IndexedValueType) error {
	op := c.OperatorService()
	have, err := op.ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("searchattr: list on %q: %w", namespace, err)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	missing := map[string]enumspb.IndexedValueType{}
	for _, n := range names {
		t, ok := have.GetCustomAttributes()[n]
		if !ok {
			missing[n] = want[n]
			continue
		}
		if t != want[n] {
			return fmt.Errorf("searchattr: %s exists on %q as %s, flowlab needs %s", n, namespace, t, want[n])
		}
	}
	if len(missing) == 0 {
		return nil
	}
	_, err = op.AddSearchAttributes(ctx, &operatorservice.AddSearchAttributesRequest{Namespace: namespace, SearchAttributes: missing})
	var exists *serviceerror.AlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("searchattr: add on %q: %w", namespace, err)
	}
	return nil
}

// Types maps typed keys (as workflows.SearchAttributes lists them) to the
// name → type form the operator API and the dev server take.
func Types(keys []temporal.SearchAttributeKey) map[string]enumspb.IndexedValueType {
	m := make(map[string]enumspb.IndexedValueType, len(keys))
	for _, k := range keys {
		m[k.GetName()] = k.GetValueType()
	}
	return m
}
