package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
)

// testWatchlist: flows and steps go on and off the watchlist, a flow and
// step once, oldest first, at most store.MaxWatches.
func testWatchlist(t *testing.T, s store.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	flowW, err := s.AddWatch(ctx, store.Watch{ID: "w1", Flow: "complaint", Note: "complaints take too long", AddedBy: "olga", AddedAt: t0})
	require.NoError(t, err)
	require.Equal(t, store.Watch{ID: "w1", Flow: "complaint", Note: "complaints take too long", AddedBy: "olga", AddedAt: t0}, flowW)
	_, err = s.AddWatch(ctx, store.Watch{ID: "w2", Flow: "complaint", Step: "investigate", AddedBy: "olga", AddedAt: t0.Add(time.Minute)})
	require.NoError(t, err)
	_, err = s.AddWatch(ctx, store.Watch{ID: "w3", Flow: "complaint", AddedBy: "ivan", AddedAt: t0.Add(2 * time.Minute)})
	require.True(t, errors.Is(err, store.ErrConflict), "the flow is watched already: %v", err)

	ws, err := s.ListWatches(ctx)
	require.NoError(t, err)
	require.Len(t, ws, 2)
	require.Equal(t, []string{"w1", "w2"}, []string{ws[0].ID, ws[1].ID})
	require.Equal(t, "investigate", ws[1].Step)

	gone, err := s.RemoveWatch(ctx, "w1")
	require.NoError(t, err)
	require.Equal(t, "complaint", gone.Flow)
	_, err = s.RemoveWatch(ctx, "w1")
	require.True(t, errors.Is(err, store.ErrNotFound), "%v", err)

	for i := range store.MaxWatches + 5 {
		_, err := s.AddWatch(ctx, store.Watch{ID: fmt.Sprintf("m%03d", i), Flow: fmt.Sprintf("flow-%03d", i), AddedBy: "olga", AddedAt: t0.Add(time.Duration(i+10) * time.Minute)})
		require.NoError(t, err)
	}
	ws, err = s.ListWatches(ctx)
	require.NoError(t, err)
	require.Len(t, ws, store.MaxWatches)
	require.Equal(t, "w2", ws[0].ID)
}
