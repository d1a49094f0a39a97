package web

import (
	"sync"
	"time"
)

// pageMemo keeps answers the web UI reads several times in one page view
// (the KPI dashboard and its charts) for ttl, at most max of them; the
// oldest go first when it is full. The charts' Cache-Control allows the
// same age, so nothing a user sees is older than it could be anyway.
type pageMemo[T any] struct {
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[string]pageMemoEntry[T]
	hits    int // answers served from the memo (tests read it)
}

type pageMemoEntry[T any] struct {
	at time.Time
	v  T
}

func newUIMemo[T any](ttl time.Duration, max int) *pageMemo[T] {
	return &pageMemo[T]{ttl: ttl, max: max, entries: map[string]pageMemoEntry[T]{}}
}

// get returns the answer kept for key if it is younger than ttl at now.
func (m *pageMemo[T]) get(key string, now time.Time) (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok || now.Sub(e.at) >= m.ttl || now.Before(e.at) {
		var zero T
		return zero, false
	}
	m.hits++
	return e.v, true
}

// put keeps v for key from now; when full, expired entries go, then the
// oldest.
func (m *pageMemo[T]) put(key string, v T, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[key]; !ok && len(m.entries) >= m.max {
		oldest, first := "", true
		for k, e := range m.entries {
			if now.Sub(e.at) >= m.ttl {
				delete(m.entries, k)
				continue
			}
			if first || e.at.Before(m.entries[oldest].at) {
				oldest, first = k, false
			}
		}
		if len(m.entries) >= m.max {
			delete(m.entries, oldest)
		}
	}
	m.entries[key] = pageMemoEntry[T]{at: now, v: v}
}

func (m *pageMemo[T]) hitCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits
}
