package eval

import (
	"sync"
	"sync/atomic"
)

// cache is a concurrent string-keyed cache that stops growing at max
// entries: playbooks hold a bounded number of distinct expressions, but
// strings built from data (e.g. command output run through Render) must not
// make the cache grow without end. Past the limit values are still computed,
// just not kept.
type cache[V any] struct {
	m   sync.Map
	n   atomic.Int64
	max int64
}

func newCache[V any](max int64) *cache[V] {
	return &cache[V]{max: max}
}

// get returns the value stored for key.
func (c *cache[V]) get(key string) (V, bool) {
	v, ok := c.m.Load(key)
	if !ok {
		var zero V
		return zero, false
	}
	return v.(V), true
}

// put stores v for key unless the cache is full, and returns the value now
// held for key (the first one stored wins when goroutines race).
func (c *cache[V]) put(key string, v V) V {
	if c.n.Load() >= c.max {
		if existing, ok := c.m.Load(key); ok {
			return existing.(V)
		}
		return v
	}
	actual, loaded := c.m.LoadOrStore(key, v)
	if !loaded {
		c.n.Add(1)
	}
	return actual.(V)
}
