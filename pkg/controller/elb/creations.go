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
// look) nor above maxCreateEstimate.
type creations struct {
	floor time.Duration

	mu       sync.Mutex
	estimate time.Duration
	pending  map[string]creation // ELB id → its create
}

type creation struct {
	at     time.Time
	missed bool // a look found it not Active yet
}

const (
	maxCreateEstimate = time.Minute
	forgetCreation    = 10 * time.Minute
)

func newCreations(floor time.Duration) *creations {
	return &creations{floor: floor, estimate: floor, pending: map[string]creation{}}
}

// created notes a create and returns when to look at the ELB first.
func (c *creations) created(id string, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for other, cr := range c.pending { // a PoolService deleted before its ELB was Active
		if now.Sub(cr.at) > forgetCreation {
			delete(c.pending, other)
		}
	}
	c.pending[id] = creation{at: now}
	return c.estimate
}

// seen learns from a look at an ELB: whether it is Active yet. For one
// this process created that the first look finds Creating, it returns
// when to look again: when the lengthened estimate says it will be (at
// least a quarter of the floor), in place of the backoff; else 0 (later
// looks back off as any wait does).
func (c *creations) seen(id string, active bool, now time.Time) time.Duration {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	cr, ok := c.pending[id]
	switch {
	case !ok:
	case !active && cr.missed: // late beyond the estimate: the usual backoff
	case !active:
		c.estimate = min(maxCreateEstimate, max(c.estimate, now.Sub(cr.at)*5/4))
		cr.missed = true
		c.pending[id] = cr
		return max(c.floor/4, cr.at.Add(c.estimate).Sub(now))
	default:
		if !cr.missed {
			c.estimate = max(c.floor, c.estimate*19/20)
		}
		delete(c.pending, id)
	}
	return 0
}
