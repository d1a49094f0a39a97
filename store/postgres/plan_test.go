package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// TestCaseSearchPlans (decision 0026): on 20,000 analysed cases, a search
// by customer, id prefix or attribute reads the index made for it
// (cases_customer_idx, cases_id_c_idx, cases_attributes_idx) instead of
// walking every case.
func TestCaseSearchPlans(t *testing.T) {
	s := planStore(t)
	ctx := context.Background()

	// 20,000 cases: 2,000 customers, random ids, five severities.
	_, err := s.pool.Exec(ctx, `INSERT INTO cases (id, flow, version, customer, channel, attributes, status, created_at, updated_at)
		SELECT md5(i::text), 'complaint', 1, 'cust-' || (i % 2000), 'web',
			jsonb_build_object('severity', 'level-' || (i % 5), 'order', 'o-' || i, 'priority', i % 7),
			CASE WHEN i % 3 = 0 THEN 'completed' ELSE 'active' END,
			now() - i * interval '1 minute', now()
		FROM generate_series(1, 20000) i`)
	require.NoError(t, err)
	_, err = s.pool.Exec(ctx, `ANALYZE cases`)
	require.NoError(t, err)

	after := &store.CaseCursor{CreatedAt: time.Now(), ID: "x"}
	order := []store.AttributeFilter{{Key: "order", Value: "o-4711"}}
	for _, tc := range []struct {
		name string
		p    store.ListCasesParams
		want string
	}{
		{"customer", store.ListCasesParams{Customer: "cust-42"}, "cases_customer_idx"},
		{"customer, next page, status", store.ListCasesParams{Customer: "cust-42", After: after, Status: "active"}, "cases_customer_idx"},
		{"id prefix", store.ListCasesParams{IDPrefix: "6f1c"}, "cases_id_c_idx"},
		{"id prefix, next page", store.ListCasesParams{IDPrefix: "6f1c", After: after}, "cases_id_c_idx"},
		{"attribute", store.ListCasesParams{Attributes: order}, "cases_attributes_idx"},
		{"attribute, flow, next page", store.ListCasesParams{Attributes: order, Flow: "complaint", After: after}, "cases_attributes_idx"},
		{"number attribute, two filters", store.ListCasesParams{Attributes: append(order, store.AttributeFilter{Key: "priority", Value: "3"})}, "cases_attributes_idx"},
	} {
		query, args, err := listCasesQuery(tc.p)
		require.NoError(t, err, tc.name)
		plan := explain(t, s, query, args)
		require.Contains(t, plan, tc.want, "%s:\n%s", tc.name, plan)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", tc.name, plan)
	}
}

// planStore is a migrated store in a schema of its own, dropped at the
// test's end; it skips the test without TEST_DATABASE_URL.
func planStore(t *testing.T) *Store {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL must be set when CI=true")
		}
		t.Skip("TEST_DATABASE_URL not set")
	}
	ctx := context.Background()
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	schema := "flowlab_plan_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	t.Cleanup(func() {
		_, err := admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		require.NoError(t, err)
		require.NoError(t, admin.Close(context.Background()))
	})
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := Open(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	require.NoError(t, s.Migrate(ctx))
	return s
}

// explain is the plan of query.
func explain(t *testing.T, s *Store, query string, args []any) string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `EXPLAIN `+query, args...)
	require.NoError(t, err)
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	require.NoError(t, err)
	return strings.Join(lines, "\n")
}

// TestAlertQueryPlans (decision 0040): what an alert rule's evaluation
// reads every minute is read through an index made for it, not by walking
// every span, task or audit entry: 40,000 spans and tasks of 20 flows over
// four weeks, 40,000 audit entries over a year, a tenth of them
// escalations (a trail that grows for ever: a week of it is a small part,
// which is when the planner must prefer the escalations' index).
func TestAlertQueryPlans(t *testing.T) {
	s := planStore(t)
	ctx := context.Background()
	for _, q := range []string{
		`INSERT INTO cases (id, flow, version, status, created_at, updated_at)
			SELECT 'c' || i, 'flow-' || (i % 20), 1 + i % 2, 'active', now(), now() FROM generate_series(1, 40000) i`,
		`INSERT INTO tasks (id, case_id, seq, flow, version, step, department, status, opened_at)
			SELECT 't' || i, 'c' || i, 1, 'flow-' || (i % 20), 1 + i % 2, 'step-' || (i % 5), 'dept-' || (i % 4),
				CASE WHEN i % 50 = 0 THEN 'open' ELSE 'completed' END, now() - i * interval '1 minute'
			FROM generate_series(1, 40000) i`,
		`INSERT INTO spans (case_id, seq, flow, version, step, department, entered_at, completed_at)
			SELECT 'c' || i, 1, 'flow-' || (i % 20), 1 + i % 2, 'step-' || (i % 5), 'dept-' || (i % 4),
				now() - i * interval '1 minute' - interval '10 minutes', now() - i * interval '1 minute'
			FROM generate_series(1, 40000) i`,
		`INSERT INTO audit (at, action, object, case_id, details)
			SELECT now() - i * interval '13 minutes', CASE WHEN i % 10 = 0 THEN 'task.escalate' ELSE 'task.claim' END,
				't' || i, 'c' || i, jsonb_build_object('step', 'step-' || (i % 5), 'department', 'dept-' || (i % 4))
			FROM generate_series(1, 40000) i`,
		`ANALYZE`,
	} {
		_, err := s.pool.Exec(ctx, q)
		require.NoError(t, err)
	}
	from, to := time.Now().Add(-2*time.Hour), time.Now().Add(-time.Hour)
	weekAgo := time.Now().Add(-7 * 24 * time.Hour)
	scope := store.TaskScope{Flow: "flow-3", Version: 2, Step: "step-3", Department: "dept-3", From: &weekAgo, To: &to}
	spans := func(f store.SpanFilter) func() (string, []any) {
		return func() (string, []any) { return listSpansQuery(f) }
	}
	for _, tc := range []struct {
		name  string
		query func() (string, []any)
		want  string
	}{
		{"spans completed in a window", spans(store.SpanFilter{CompletedFrom: &from, CompletedTo: &to}), "spans_completed_idx"},
		{"a step's spans completed in a week", spans(store.SpanFilter{Flow: "flow-3", Version: 2, Step: "step-3",
			CompletedFrom: &weekAgo, CompletedTo: &to}), "spans_flow_completed_idx"},
		{"open tasks of a flow", func() (string, []any) { return countOpenTasksQuery(store.TaskScope{Flow: "flow-3"}) }, "tasks_open_by_flow"},
		{"open tasks of a step", func() (string, []any) { return countOpenTasksQuery(scope) }, "tasks_open_by_flow"},
		{"escalations in a week", func() (string, []any) { return countEscalationsQuery(store.TaskScope{From: &weekAgo, To: &to}) }, "audit_escalations"},
		{"escalations of a step", func() (string, []any) { return countEscalationsQuery(scope) }, "audit_escalations"},
	} {
		query, args := tc.query()
		plan := explain(t, s, query, args)
		require.Contains(t, plan, tc.want, "%s:\n%s", tc.name, plan)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", tc.name, plan)
	}
}
