package ens

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"
)

// Backing off from a Throttling answer (AIMD, as TCP does): the action's
// rate halves, at most once per backoffHold (throttles of calls sent before
// the halving say nothing new), never below backoffFloor of its limit, and
// climbs back by recoveryPerSecond of its limit every second: from half to
// the whole limit in 5 s without further throttles.
const (
	backoffHold       = time.Second
	backoffFloor      = 1.0 / 16
	recoveryPerSecond = 0.1
)

// actionLimiters are the client's token buckets, one per action, so that
// every action uses its own budget and a slow one never holds up another.
type actionLimiters struct {
	clock    clock.Clock
	table    map[string]Limit
	fallback Limit
	metrics  *metrics

	mu      sync.Mutex
	buckets map[string]*bucket
}

func newActionLimiters(overrides map[string]Limit, clk clock.Clock, m *metrics) *actionLimiters {
	table, fallback := effectiveLimits(overrides)
	return &actionLimiters{clock: clk, table: table, fallback: fallback, metrics: m, buckets: map[string]*bucket{}}
}

func (l *actionLimiters) limit(action string) Limit {
	if lim, ok := l.table[action]; ok {
		return lim
	}
	return l.fallback
}

func (l *actionLimiters) bucket(action string) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[action]
	if !ok {
		b = newBucket(l.limit(action), l.clock.Now())
		l.buckets[action] = b
	}
	return b
}

// wait returns when action may be called, or with an error when ctx ends
// first or its deadline would pass before the turn comes.
func (l *actionLimiters) wait(ctx context.Context, action string) error {
	b := l.bucket(action)
	start := l.clock.Now()
	d, rate := b.reserve(start)
	l.metrics.rate(action, rate)
	if d > 0 {
		// Context deadlines are wall-clock times, whatever l.clock is.
		if deadline, ok := ctx.Deadline(); ok && d > time.Until(deadline) {
			b.cancel()
			return fmt.Errorf("%s would wait %s for its rate limit (%.3g/s), past the deadline: %w", action, d.Round(time.Millisecond), rate, context.DeadlineExceeded)
		}
		t := l.clock.NewTimer(d)
		select {
		case <-t.C():
		case <-ctx.Done():
			t.Stop()
			b.cancel()
			return ctx.Err()
		}
	}
	l.metrics.waited(action, l.clock.Since(start))
	return nil
}

// throttled slows action down after ENS answered it with a Throttling code.
func (l *actionLimiters) throttled(action string) {
	rate := l.bucket(action).backOff(l.clock.Now())
	l.metrics.throttle(action, rate)
}

// bucket is one action's token bucket. Tokens go negative while calls are
// reserved ahead: each caller waits for its own token.
type bucket struct {
	mu        sync.Mutex
	limit     Limit
	rate      float64 // now: limit.QPS, less while backing off
	tokens    float64
	last      time.Time
	backedOff time.Time
}

func newBucket(l Limit, now time.Time) *bucket {
	return &bucket{limit: l, rate: l.QPS, tokens: float64(l.Burst), last: now}
}

// capacity is the burst, scaled down with the rate while backing off so
// that a throttled action does not send a full burst right after.
func (b *bucket) capacity() float64 {
	return max(1, float64(b.limit.Burst)*b.rate/b.limit.QPS)
}

// advance adds the tokens earned since last and lets a reduced rate
// recover. Callers hold mu.
func (b *bucket) advance(now time.Time) {
	dt := now.Sub(b.last).Seconds()
	if dt <= 0 {
		return
	}
	b.last = now
	if b.rate < b.limit.QPS {
		climb := b.limit.QPS * recoveryPerSecond // per second
		toFull := (b.limit.QPS - b.rate) / climb
		if dt < toFull {
			next := b.rate + climb*dt
			b.tokens += dt * (b.rate + next) / 2
			b.rate = next
		} else {
			b.tokens += toFull*(b.rate+b.limit.QPS)/2 + (dt-toFull)*b.limit.QPS
			b.rate = b.limit.QPS
		}
	} else {
		b.tokens += dt * b.rate
	}
	b.tokens = min(b.tokens, b.capacity())
}

// reserve takes a token and returns how long until it is due, and the
// bucket's rate.
func (b *bucket) reserve(now time.Time) (time.Duration, float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	b.tokens--
	if b.tokens >= 0 {
		return 0, b.rate
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second)), b.rate
}

// cancel gives back the token of a call that did not wait for it.
func (b *bucket) cancel() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.tokens = min(b.tokens+1, b.capacity())
}

// backOff halves the rate (see backoffHold) and empties the bucket, so the
// next call waits for a token at the lower rate; it returns the new rate.
func (b *bucket) backOff(now time.Time) float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(now)
	if !b.backedOff.IsZero() && now.Sub(b.backedOff) < backoffHold {
		return b.rate
	}
	b.backedOff = now
	b.rate = max(b.limit.QPS*backoffFloor, b.rate/2)
	b.tokens = min(b.tokens, 0)
	return b.rate
}
