package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// TestRollupQueriesUseThePrimaryKey: the rollups' look-ups of a span's
// previous spans seek its case on the primary key. Planned on
// spans_flow_idx instead (SQLite's choice without the unary +), every span
// write scanned all earlier spans of its flow version.
func TestRollupQueriesUseThePrimaryKey(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))

	for name, q := range map[string]struct {
		query string
		args  []any
	}{
		"Prev": {prevQuery, []any{"x", "case", "f", 1, "", 0, 1}},
		"prevCols in a report's raw spans": {`SELECT s.case_id, ` + prevCols + ` FROM spans s
			WHERE s.flow = ? AND s.version = ? AND s.entered_at >= ? AND s.entered_at < ?`, []any{"f", 1, 0, 1}},
	} {
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+q.query, q.args...)
		require.NoError(t, err, name)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		all := strings.Join(plan, "\n")
		require.Contains(t, all, "sqlite_autoindex_spans_1 (case_id=?)", "%s:\n%s", name, all)
		require.NotContains(t, all, "spans_flow_idx", "%s:\n%s", name, all)
	}
}

// TestCaseSearchPlans (decision 0026): a customer's cases are read from
// cases_customer_idx in list order and an id prefix seeks the primary key,
// whatever other filters come with them, instead of walking every case.
func TestCaseSearchPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	after := &store.CaseCursor{CreatedAt: time.Unix(1, 0), ID: "x"}
	attrs := []store.AttributeFilter{{Key: "severity", Value: "high"}}

	for _, tc := range []struct {
		name string
		p    store.ListCasesParams
		want string
	}{
		{"customer", store.ListCasesParams{Customer: "c"}, "USING INDEX cases_customer_idx (customer=?"},
		{"customer, next page, attribute", store.ListCasesParams{Customer: "c", After: after, Attributes: attrs}, "USING INDEX cases_customer_idx (customer=?"},
		{"customer and flow", store.ListCasesParams{Customer: "c", Flow: "complaint", Status: "active"}, "USING INDEX cases_customer_idx (customer=?"},
		{"id prefix", store.ListCasesParams{IDPrefix: "6f1c"}, "sqlite_autoindex_cases_1 (id>? AND id<?)"},
		{"id prefix, next page, attribute", store.ListCasesParams{IDPrefix: "6f1c", After: after, Attributes: attrs}, "sqlite_autoindex_cases_1 (id>? AND id<?)"},
	} {
		query, args, err := listCasesQuery(tc.p)
		require.NoError(t, err, tc.name)
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
		require.NoError(t, err, tc.name)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		all := strings.Join(plan, "\n")
		require.Contains(t, all, tc.want, "%s:\n%s", tc.name, all)
		require.NotContains(t, all, "SCAN cases\n", "%s:\n%s", tc.name, all)
	}
}

// TestAlertQueryPlans (decision 0040): what an alert rule's evaluation
// reads every minute seeks an index made for it instead of walking every
// span, open task or escalation: spans by completion (of a flow), open
// tasks by flow, escalations by time.
func TestAlertQueryPlans(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	require.NoError(t, s.Migrate(ctx))
	from, to := time.Unix(0, 0), time.Unix(3600, 0)
	scope := store.TaskScope{Flow: "f", Version: 2, Step: "s", Department: "d", From: &from, To: &to}
	spans := func(f store.SpanFilter) func() (string, []any) {
		return func() (string, []any) { return listSpansQuery(f) }
	}
	for _, tc := range []struct {
		name  string
		query func() (string, []any)
		want  string
	}{
		{"spans completed in a window", spans(store.SpanFilter{CompletedFrom: &from, CompletedTo: &to}),
			"USING INDEX spans_completed_idx (completed_at>? AND completed_at<?)"},
		{"a step's spans completed in a window", spans(store.SpanFilter{Flow: "f", Version: 2, Step: "s", Department: "d",
			CompletedFrom: &from, CompletedTo: &to}), "USING INDEX spans_flow_completed_idx (flow=? AND completed_at>? AND completed_at<?)"},
		{"open tasks of a flow", func() (string, []any) { return countOpenTasksQuery(store.TaskScope{Flow: "f"}) },
			"USING COVERING INDEX tasks_open_by_flow (flow=?)"},
		{"open tasks of a step", func() (string, []any) { return countOpenTasksQuery(scope) },
			"USING INDEX tasks_open_by_flow (flow=? AND version=? AND step=?)"},
		{"escalations in a window", func() (string, []any) { return countEscalationsQuery(store.TaskScope{From: &from, To: &to}) },
			"USING COVERING INDEX audit_escalations (action=? AND at>? AND at<?)"},
		{"escalations of a step", func() (string, []any) { return countEscalationsQuery(scope) },
			"USING INDEX audit_escalations (action=? AND at>? AND at<?)"},
	} {
		query, args := tc.query()
		rows, err := s.db.QueryContext(ctx, `EXPLAIN QUERY PLAN `+query, args...)
		require.NoError(t, err, tc.name)
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			require.NoError(t, rows.Scan(&id, &parent, &unused, &detail))
			plan = append(plan, detail)
		}
		require.NoError(t, rows.Err())
		require.NoError(t, rows.Close())
		all := strings.Join(plan, "\n")
		require.Contains(t, all, tc.want, "%s:\n%s", tc.name, all)
		require.NotRegexp(t, `SCAN (spans|tasks|audit|a)( |$)`, all, "%s:\n%s", tc.name, all)
	}
}
