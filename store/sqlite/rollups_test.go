package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
)

// TestMigrateBackfillsRollups: spans stored before the rollups existed
// (migration 0011 asks for a backfill) are rolled up by Migrate, once.
func TestMigrateBackfillsRollups(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flowlab.db")
	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	base := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b", "c"} {
		entered := base.Add(time.Duration(i) * 26 * time.Hour)
		claimed := entered.Add(time.Duration(i+1) * time.Hour)
		require.NoError(t, s.RecordSpan(ctx, store.Span{CaseID: id, Seq: 1, Flow: "f", Version: 1, Step: "x", Kind: "task",
			EnteredAt: entered, ClaimedAt: &claimed, CompletedAt: claimed.Add(time.Hour)}))
	}
	want, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "f", Version: 1})
	require.NoError(t, err)
	require.Equal(t, 3, want.Spans)
	require.NoError(t, s.Close())

	// As if the spans predated migration 0011.
	db, err := sql.Open("sqlite", "file:"+path)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `DELETE FROM span_rollups; INSERT INTO span_rollups_backfill VALUES (1)`)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	s, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	empty, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "f", Version: 1})
	require.NoError(t, err)
	require.Zero(t, empty.Spans, "no rollups before the backfill")
	require.NoError(t, s.Migrate(ctx))
	got, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "f", Version: 1})
	require.NoError(t, err)
	require.Equal(t, want.Spans, got.Spans)
	require.Equal(t, want.Cases, got.Cases)
	require.Equal(t, want.StepCases, got.StepCases)
	require.Equal(t, want.Steps["x"].Wait.Quantiles(), got.Steps["x"].Wait.Quantiles())
	require.NoError(t, s.Migrate(ctx), "the backfill runs once")
	again, err := s.SpanStats(ctx, store.SpanStatsFilter{Flow: "f", Version: 1})
	require.NoError(t, err)
	require.Equal(t, want.Spans, again.Spans)
}
