package sqlite_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/sqlite"
	"github.com/flowlab/flowlab/storetest"
)

func open(t *testing.T) store.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "flowlab.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, open)
}

func TestReopenKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flowlab.db")
	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	require.NoError(t, s.Migrate(ctx))
	_, err = s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Role: store.RoleStaff})
	require.NoError(t, err)
	require.NoError(t, s.Close())

	s, err = sqlite.Open(ctx, path)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(ctx), "a second migration run on the same file is a no-op")
	a, err := s.GetActor(ctx, "ann")
	require.NoError(t, err)
	require.Equal(t, "ann", a.ID)
}

func TestMemory(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, ":memory:")
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Migrate(ctx))
	_, err = s.CreateActor(ctx, store.CreateActorParams{ID: "ann", Role: store.RoleStaff})
	require.NoError(t, err)
	_, err = s.GetActor(ctx, "ann")
	require.NoError(t, err, "all calls see one in-memory database")
}

func TestOpenUnavailable(t *testing.T) {
	_, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "missing-dir", "x.db"))
	require.Error(t, err)
	require.True(t, errors.Is(err, store.ErrUnavailable), "got %v", err)
}
