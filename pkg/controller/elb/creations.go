package elb

import (
	"sync"
	"time"
)

// creations learns how long a new ELB takes to become Active, so that the
// first look after a create is not spent (an attribute read, an instance
// read, an EIP read) on an ELB still Creating: under ENS's per-action
// limits every early look delays other PoolServices' work. The estimate
// moves like a congestion window: an ELB found Active at the first look
// shortens it by 5%, one found still Creating lengthens it to 1.25 times
// that ELB's age. It never goes below the requeue delay (the old fixed
// look) nor above maxCreateEstimate. Until that first look is due, a sync
// of the PoolService (an event) waits for it (due): nothing can be done to
// an ELB still Creating, and a look before the estimate teaches nothing.
// Its times are the wall clock's (time.Now), as the cloud's own are, not
// the controller's Clock, which tests may stop.
type creations struct {
	floor time.Duration

	mu       sync.Mutex
	estimate time.Duration
	pending  map[string]creation // ELB id → its create
	byKey    map[string]string   // PoolService key → the ELB id it created
}

type creation struct {
	at     time.Time
	key    string
	missed bool // a look found it not Active yet
}

const (
	maxCreateEstimate = time.Minute
	forgetCreation    = 10 * time.Minute
)

func newCreations(floor time.Duration) *creations {
	return &creations{floor: floor, estimate: floor, pending: map[string]creation{}, byKey: map[string]string{}}
}

// created notes key's create of ELB id and returns when to look at it first.
func (c *creations) created(key, id string, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for other, cr := range c.pending { // a PoolService deleted before its ELB was Active
		if now.Sub(cr.at) > forgetCreation {
			c.forget(other)
		}
	}
	c.pending[id] = creation{at: now, key: key}
	c.byKey[key] = id
	return c.estimate
}

// due is how long key's new ELB has yet to go before its first look is
// due; 0 when it has none pending or the look is due.
func (c *creations) due(key string, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.pending[c.byKey[key]]
	if !ok || cr.missed || cr.key != key {
		return 0
	}
	return max(0, cr.at.Add(c.estimate).Sub(now))
}

func (c *creations) forget(id string) {
	if cr, ok := c.pending[id]; ok && c.byKey[cr.key] == id {
		delete(c.byKey, cr.key)
	}
	delete(c.pending, id)
}

// seen learns from a look at an ELB: whether it is Active yet. For one
// this process created that the first look finds Creating, it returns
// when to look again: when the lengthened estimate says it will be (at
// least a quarter of the floor), in place of the backoff; else 0 (later
// looks back off as any wait does). A look before the first look is due
// (one no sync held back, e.g. of another PoolService sharing the name
// lock) learns nothing and returns the rest of the wait.
func (c *creations) seen(id string, active bool, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.pending[id]
	due := cr.at.Add(c.estimate)
	switch {
	case !ok:
	case !active && cr.missed: // late beyond the estimate: the usual backoff
	case !active && now.Before(due):
		return due.Sub(now)
	case !active:
		c.estimate = min(maxCreateEstimate, max(c.estimate, now.Sub(cr.at)*5/4))
		cr.missed = true
		c.pending[id] = cr
		return max(c.floor/4, cr.at.Add(c.estimate).Sub(now))
	default:
		if !cr.missed {
			c.estimate = max(c.floor, c.estimate*19/20)
		}
		c.forget(id)
	}
	return 0
}
