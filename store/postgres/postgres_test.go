package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/flowlab/flowlab/store"
	"github.com/flowlab/flowlab/store/postgres"
	"github.com/flowlab/flowlab/storetest"
)

// databaseURL returns TEST_DATABASE_URL, skipping the test when it is unset
// (failing it when CI=true).
func databaseURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("TEST_DATABASE_URL")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("TEST_DATABASE_URL must be set when CI=true")
		}
		t.Skip("TEST_DATABASE_URL not set")
	}
	return u
}

// open creates a fresh schema, opens a store whose connections use it, and
// drops the schema at cleanup.
func open(t *testing.T) store.Store {
	t.Helper()
	ctx := context.Background()
	base := databaseURL(t)
	b := make([]byte, 6)
	_, err := rand.Read(b)
	require.NoError(t, err)
	schema := "flowlab_test_" + hex.EncodeToString(b)

	admin, err := pgx.Connect(ctx, base)
	require.NoError(t, err)
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "CREATE SCHEMA "+schema)
	require.NoError(t, err)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})

	u, err := url.Parse(base)
	require.NoError(t, err)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func TestConformance(t *testing.T) {
	databaseURL(t)
	storetest.Run(t, open)
}

func TestOpenUnavailable(t *testing.T) {
	// Nothing listens on port 1.
	_, err := postgres.Open(context.Background(), "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	require.Error(t, err)
	require.True(t, errors.Is(err, store.ErrUnavailable), "got %v", err)
}
