package ens

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"k8s.io/utils/clock"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
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
	clock    clock.WithDelayedExecution
	table    map[string]Limit
	fallback Limit
	metrics  *metrics

	mu      sync.Mutex
	buckets map[string]*bucket
}

func newActionLimiters(overrides map[string]Limit, clk clock.WithDelayedExecution, m *metrics) *actionLimiters {
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
		b = newBucket(l.limit(action), l.clock)
		l.buckets[action] = b
	}
	return b
}

// wait returns when action may be called, or with an error when ctx ends
// first or its deadline would pass before the turn comes. Calls waiting
// for one action go by ctx's priority (cloud.PriorityOf), in turn within
// one priority.
func (l *actionLimiters) wait(ctx context.Context, action string) error {
	b := l.bucket(action)
	start := l.clock.Now()
	w, d, rate := b.enter(cloud.PriorityOf(ctx))
	l.metrics.rate(action, rate)
	if w != nil {
		// Context deadlines are wall-clock times, whatever l.clock is.
		if deadline, ok := ctx.Deadline(); ok && d > time.Until(deadline) {
			b.leave(w)
			return fmt.Errorf("%s would wait %s for its rate limit (%.3g/s), past the deadline: %w", action, d.Round(time.Millisecond), rate, context.DeadlineExceeded)
		}
		select {
		case <-w.granted:
		case <-ctx.Done():
			b.leave(w)
			return ctx.Err()
		}
	}
	l.metrics.waited(action, l.clock.Since(start))
	return nil
}

// throttled slows action down after ENS answered it with a Throttling code.
func (l *actionLimiters) throttled(action string) {
	rate := l.bucket(action).backOff()
	l.metrics.throttle(action, rate)
}

// bucket is one action's token bucket. A call that finds no token waits in
// the line of its priority; each token earned goes to the head of the most
// urgent line, so an urgent call waits for at most the next token, however
// many others wait.
type bucket struct {
	clock     clock.WithDelayedExecution
	mu        sync.Mutex
	limit     Limit
	rate      float64 // now: limit.QPS, less while backing off
	tokens    float64
	last      time.Time
	backedOff time.Time
	lines     [cloud.NumPriorities][]*waiter
	waiting   int
	timer     clock.Timer // due when the next token is earned; nil when nobody waits
}

// waiter is one call waiting for a token; granted is closed when it has one.
type waiter struct {
	granted chan struct{}
	done    bool // granted (or left); guarded by the bucket's mu
}

func newBucket(l Limit, clk clock.WithDelayedExecution) *bucket {
	return &bucket{clock: clk, limit: l, rate: l.QPS, tokens: float64(l.Burst), last: clk.Now()}
}

// enter takes a token for a call of priority p. Without one at hand it
// returns the call's waiter, queued, and an estimate of its wait; the
// bucket's rate either way.
func (b *bucket) enter(p cloud.Priority) (*waiter, time.Duration, float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.advance(b.clock.Now())
	if b.waiting == 0 && b.tokens >= 1 {
		b.tokens--
		return nil, 0, b.rate
	}
	ahead := 0
	for q := range int(p) + 1 {
		ahead += len(b.lines[q])
	}
	w := &waiter{granted: make(chan struct{})}
	b.lines[p] = append(b.lines[p], w)
	b.waiting++
	b.arm()
	return w, b.untilTokens(float64(ahead) + 1), b.rate
}

// leave takes a waiter that gives up out of its line; a token it was
// granted meanwhile goes to the next in line.
func (b *bucket) leave(w *waiter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if w.done {
		b.tokens++
		b.dispatch()
		return
	}
	w.done = true
	for p := range b.lines {
		if i := slices.Index(b.lines[p], w); i >= 0 {
			b.lines[p] = slices.Delete(b.lines[p], i, i+1)
			b.waiting--
			return
		}
	}
}

// dispatch hands the tokens earned to the waiters, most urgent first, and
// sets the timer for the next. Callers hold mu.
func (b *bucket) dispatch() {
	b.advance(b.clock.Now())
	for p := 0; p < len(b.lines) && b.tokens >= 1; {
		if len(b.lines[p]) == 0 {
			p++
			continue
		}
		w := b.lines[p][0]
		b.lines[p] = b.lines[p][1:]
		b.waiting--
		b.tokens--
		w.done = true
		close(w.granted)
	}
	b.arm()
}

// arm sets the timer for the next token while calls wait. Callers hold mu.
func (b *bucket) arm() {
	if b.waiting == 0 || b.timer != nil {
		return
	}
	// The fake clock runs AfterFunc's function under its own lock, which
	// Now takes: dispatch in a goroutine of its own.
	b.timer = b.clock.AfterFunc(b.untilTokens(1), func() { go b.onTimer() })
}

func (b *bucket) onTimer() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.timer = nil
	b.dispatch()
}

// untilTokens is how long until the bucket holds n tokens at its rate.
// Callers hold mu.
func (b *bucket) untilTokens(n float64) time.Duration {
	if b.tokens >= n {
		return 0
	}
	return time.Duration((n - b.tokens) / b.rate * float64(time.Second))
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

// backOff halves the rate (see backoffHold) and empties the bucket, so the
// next call waits for a token at the lower rate; it returns the new rate.
func (b *bucket) backOff() float64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock.Now()
	b.advance(now)
	if !b.backedOff.IsZero() && now.Sub(b.backedOff) < backoffHold {
		return b.rate
	}
	b.backedOff = now
	b.rate = max(b.limit.QPS*backoffFloor, b.rate/2)
	b.tokens = min(b.tokens, 0)
	return b.rate
}
