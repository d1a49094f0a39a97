package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
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
