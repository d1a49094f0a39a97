package web

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestUIMemo(t *testing.T) {
	t0 := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m := newUIMemo[int](30*time.Second, 2)
	_, ok := m.get("a", t0)
	require.False(t, ok)
	m.put("a", 1, t0)
	v, ok := m.get("a", t0.Add(29*time.Second))
	require.True(t, ok)
	require.Equal(t, 1, v)
	_, ok = m.get("a", t0.Add(30*time.Second))
	require.False(t, ok, "expired")
	_, ok = m.get("a", t0.Add(-time.Second))
	require.False(t, ok, "a clock that went back")

	// Full: the oldest goes; expired ones go first.
	m.put("b", 2, t0.Add(10*time.Second))
	m.put("c", 3, t0.Add(20*time.Second))
	_, ok = m.get("a", t0.Add(20*time.Second))
	require.False(t, ok, "a, the oldest, was evicted")
	for k, want := range map[string]int{"b": 2, "c": 3} {
		v, ok := m.get(k, t0.Add(21*time.Second))
		require.True(t, ok, k)
		require.Equal(t, want, v)
	}
	m.put("d", 4, t0.Add(45*time.Second)) // b expired at 40 s
	_, ok = m.get("c", t0.Add(45*time.Second))
	require.True(t, ok, "c is still young")
	require.Len(t, m.entries, 2)
	require.Equal(t, 4, m.hitCount())
}
