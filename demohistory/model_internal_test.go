package demohistory

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The same seed, days and end give the same simulated cases; another
// seed others.
func TestSimulateIsDeterministic(t *testing.T) {
	o := Options{Days: 60, Seed: 9, Now: time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC), Channels: []string{"phone"}, Pilot: true}
	segs, _ := segments(o)
	a, err := simulate(o, segs)
	require.NoError(t, err)
	b, err := simulate(o, segs)
	require.NoError(t, err)
	require.Equal(t, len(a), len(b))
	for i := range a {
		require.Equal(t, a[i].ref.key, b[i].ref.key)
		require.Equal(t, a[i].variant, b[i].variant)
		require.Equal(t, a[i].visits, b[i].visits)
	}
	o.Seed = 10
	c, err := simulate(o, segs)
	require.NoError(t, err)
	require.NotEqual(t, a[0].arrived, c[0].arrived)
}
