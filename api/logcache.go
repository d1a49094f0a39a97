package api

import (
	"container/list"
	"context"
	"fmt"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/flowlab/flowlab/discovery"
	"github.com/flowlab/flowlab/logimport"
	"github.com/flowlab/flowlab/store"
)

// loadedLog is an event log read back from the store for its views: the
// indexed log and, computed once, the ranks of its variants (rank 1 has
// the most cases), which the variant filter and the case list name.
type loadedLog struct {
	id  string
	log discovery.Log
	// events is what the log costs the cache.
	events int

	ranksOnce sync.Once
	variants  []discovery.Variant
	rankOf    map[string]int
}

// ranks computes the whole log's variant ranks once.
func (l *loadedLog) ranks() ([]discovery.Variant, map[string]int) {
	l.ranksOnce.Do(func() {
		l.variants = discovery.Variants(l.log)
		l.rankOf = make(map[string]int, len(l.variants))
		for i, v := range l.variants {
			l.rankOf[v.Key] = i + 1
		}
	})
	return l.variants, l.rankOf
}

// logCache keeps the logs read most recently, bounded by their events
// (decision 0030): reading a log back takes a while, its views a fraction
// of that. A log larger than the bound is read for each request and not
// kept. Concurrent requests for a log that is not loaded wait for one
// read (singleflight).
type logCache struct {
	max int // events

	mu      sync.Mutex
	used    int
	lru     *list.List // of *loadedLog, most recent first
	entries map[string]*list.Element
	loads   singleflight.Group
}

func newLogCache(maxEvents int) *logCache {
	return &logCache{max: maxEvents, lru: list.New(), entries: map[string]*list.Element{}}
}

// get returns log id, reading it from st when it is not kept.
func (c *logCache) get(ctx context.Context, st store.Store, id string) (*loadedLog, error) {
	c.mu.Lock()
	if e, ok := c.entries[id]; ok {
		c.lru.MoveToFront(e)
		c.mu.Unlock()
		return e.Value.(*loadedLog), nil
	}
	c.mu.Unlock()
	v, err, _ := c.loads.Do(id, func() (any, error) {
		// The read is shared: it must not end with the first request's
		// context, only with its own bound.
		l, err := logimport.Load(context.WithoutCancel(ctx), st, id)
		if err != nil {
			return nil, fmt.Errorf("load log %s: %w", id, err)
		}
		ll := &loadedLog{id: id, log: l}
		for _, cs := range l.Cases {
			ll.events += len(cs.Events)
		}
		c.put(ll)
		return ll, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*loadedLog), nil
}

// put keeps l, dropping the least recently used logs over the bound.
func (c *logCache) put(l *loadedLog) {
	if l.events > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[l.id]; ok {
		return
	}
	c.entries[l.id] = c.lru.PushFront(l)
	c.used += l.events
	for c.used > c.max {
		last := c.lru.Back()
		old := last.Value.(*loadedLog)
		c.lru.Remove(last)
		delete(c.entries, old.id)
		c.used -= old.events
	}
}

// forget drops log id (renamed logs keep their events; a deleted one must
// go).
func (c *logCache) forget(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[id]; ok {
		c.used -= e.Value.(*loadedLog).events
		c.lru.Remove(e)
		delete(c.entries, id)
	}
}
