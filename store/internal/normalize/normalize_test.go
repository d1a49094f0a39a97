package normalize

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStringListsParseEachTextOnce(t *testing.T) {
	lists := StringLists{}
	a, err := lists.Parse([]byte(`["agent", "senior"]`))
	require.NoError(t, err)
	require.Equal(t, []string{"agent", "senior"}, a)
	b, err := lists.Parse([]byte(`["agent", "senior"]`))
	require.NoError(t, err)
	require.Same(t, &a[0], &b[0], "the second row shares the first one's list")
	require.Len(t, lists, 1)

	// An append to a shared list copies it instead of writing into the
	// other rows' list.
	c := append(b, "lead")
	require.Equal(t, []string{"agent", "senior"}, a)
	require.Equal(t, []string{"agent", "senior", "lead"}, c)

	empty, err := lists.Parse([]byte(`[]`))
	require.NoError(t, err)
	require.Nil(t, empty)
	_, err = lists.Parse([]byte(`["open`))
	require.Error(t, err)
	require.Len(t, lists, 2, "a bad list is not kept")

	var none StringLists
	d, err := none.Parse([]byte(`["x"]`))
	require.NoError(t, err)
	require.Equal(t, []string{"x"}, d)
}
