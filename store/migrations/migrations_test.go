package migrations

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoad(t *testing.T) {
	versions := map[string][]int{}
	for _, dialect := range []string{Postgres, SQLite} {
		ms, err := Load(dialect)
		require.NoError(t, err, dialect)
		require.NotEmpty(t, ms, dialect)
		for i, m := range ms {
			require.Equal(t, i+1, m.Version, "%s: versions are 1..n without gaps", dialect)
			require.Regexp(t, `^[0-9]{4}_`, m.Name, "%s: names are NNNN_description", dialect)
			require.NotEmpty(t, strings.TrimSpace(m.SQL), "%s: %s", dialect, m.Name)
			versions[dialect] = append(versions[dialect], m.Version)
		}
	}
	require.Equal(t, versions[Postgres], versions[SQLite], "both dialects have the same migrations")

	_, err := Load("mysql")
	require.Error(t, err)
}
