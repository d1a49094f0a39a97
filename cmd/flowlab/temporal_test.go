package main

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// temporal-server refuses bad settings before it touches a database.
func TestTemporalServerUsage(t *testing.T) {
	t.Setenv("TEMPORAL_DATABASE_URL", "")
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "a PostgreSQL URL is required"},
		{[]string{"--database-url", "sqlite:/tmp/t.db"}, `want postgres://user:password@host:port/database, got "sqlite:/tmp/t.db"`},
		{[]string{"--database-url", "postgres://u:secret@127.0.0.1/t", "--port", "40000"}, "--port: want 1 to 32767 (0: any free port), got 40000"},
		{[]string{"--database-url", "postgres://u:secret@127.0.0.1/t", "--history-shards", "0"}, "--history-shards: must be at least 1"},
		{[]string{"extra"}, "unknown command"},
	} {
		var stdout, stderr bytes.Buffer
		code := execute(context.Background(), append([]string{"temporal-server"}, c.args...), &stdout, &stderr)
		require.Equal(t, exitUsage, code, "%v: %s", c.args, stderr.String())
		require.Contains(t, stderr.String(), c.want, "%v", c.args)
		require.NotContains(t, stderr.String(), "secret", "no password in messages")
	}
}

func TestRedactURL(t *testing.T) {
	require.Equal(t, "mysql://u:xxxxx@h/db", redactURL("mysql://u:pw@h/db"))
	require.Equal(t, "mysql://u@h/db", redactURL("mysql://u@h/db"))
	require.Equal(t, "not a url", redactURL("not a url"))
}
