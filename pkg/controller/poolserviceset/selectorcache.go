package poolserviceset

import (
	"sync"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/tools/cache"
)

// selectorCache memoizes the parsed pool selector of each Service, so that a
// NodePool event does not parse the selector of every ELB Service again.
// Entries are keyed by Service name and checked against the annotation value,
// so a stale entry is never used; the Service handler drops entries only to
// bound memory. Parsed selectors are only read (Matches, String), which is
// safe from several goroutines.
type selectorCache struct {
	mu      sync.Mutex
	entries map[cache.ObjectName]parsedSelector
}

type parsedSelector struct {
	value string
	sel   labels.Selector
	err   error
}

func newSelectorCache() *selectorCache {
	return &selectorCache{entries: map[cache.ObjectName]parsedSelector{}}
}

// get returns labels.Parse(value) for the Service with this key.
func (c *selectorCache) get(key cache.ObjectName, value string) (labels.Selector, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && e.value == value {
		return e.sel, e.err
	}
	// Parse outside the lock; two goroutines parsing the same value at once
	// store equal results.
	sel, err := labels.Parse(value)
	c.mu.Lock()
	c.entries[key] = parsedSelector{value: value, sel: sel, err: err}
	c.mu.Unlock()
	return sel, err
}

func (c *selectorCache) forget(key cache.ObjectName) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}

func (c *selectorCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
