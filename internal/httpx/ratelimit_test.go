package httpx

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRateLimiterForgetsIdleActors(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	l := NewRateLimiter(50, 100)
	l.Now = func() time.Time { return now }
	require.Equal(t, time.Minute, l.idle, "a full refill takes 2s; idle buckets are kept a minute")

	for i := range 10000 {
		ok, _ := l.Allow(fmt.Sprintf("actor-%d", i))
		require.True(t, ok)
	}
	require.Equal(t, 10000, l.Size())
	for range 100 {
		ok, _ := l.Allow("busy")
		require.True(t, ok)
	}
	ok, wait := l.Allow("busy")
	require.False(t, ok)
	require.Equal(t, 20*time.Millisecond, wait, "one token at 50/s")

	// A minute later every idle bucket is full again: forgetting them
	// changes nothing, and the next request sweeps them.
	now = now.Add(time.Minute)
	ok, _ = l.Allow("busy")
	require.True(t, ok)
	require.Equal(t, 1, l.Size())

	// Concurrent actors are safe (run with -race).
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				l.Allow(fmt.Sprintf("c-%d-%d", i, j%3))
			}
		})
	}
	wg.Wait()
	require.Equal(t, 1+8*3, l.Size())
}
