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

	// 20,000 cases: 2,000 customers, random ids, five severities.
	_, err = s.pool.Exec(ctx, `INSERT INTO cases (id, flow, version, customer, channel, attributes, status, created_at, updated_at)
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
		rows, err := s.pool.Query(ctx, `EXPLAIN `+query, args...)
		require.NoError(t, err, tc.name)
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		require.NoError(t, err, tc.name)
		plan := strings.Join(lines, "\n")
		require.Contains(t, plan, tc.want, "%s:\n%s", tc.name, plan)
		require.NotContains(t, plan, "Seq Scan", "%s:\n%s", tc.name, plan)
	}
}
