//go:build benchscale

package benchscale

import (
	"context"
	"sync"
	"time"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// resyncEnqueued is the manager's counter of keys its resync enqueued.
const resyncEnqueued = "edge_controller_manager_elb_resync_enqueued_total"

// counterPoll polls a manager's resync counter (windows.go) until stopped.
type counterPoll struct {
	mu      sync.Mutex
	samples []CounterSample
	err     error
	cancel  context.CancelFunc
	done    chan struct{}
}

func pollCounter(m *framework.Manager, every time.Duration) *counterPoll {
	ctx, cancel := context.WithCancel(context.Background())
	c := &counterPoll{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			v, err := m.Metric(resyncEnqueued, nil)
			now := time.Now()
			c.mu.Lock()
			if err != nil {
				c.err = err
			} else if n := len(c.samples); n < 2 || c.samples[n-1].Value != int(v) || c.samples[n-2].Value != int(v) {
				c.samples = append(c.samples, CounterSample{At: now, Value: int(v)})
			} else {
				// The same value again: keep only its first and latest poll.
				c.samples[n-1].At = now
			}
			c.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return c
}

func (c *counterPoll) stop() {
	c.cancel()
	<-c.done
}

func (c *counterPoll) snapshot() []CounterSample {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]CounterSample(nil), c.samples...)
}

// last is the latest value polled (-1 before the first poll).
func (c *counterPoll) last() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.samples) == 0 {
		return -1
	}
	return c.samples[len(c.samples)-1].Value
}

// waitFor waits until the counter reached v.
func (c *counterPoll) waitFor(ctx context.Context, v int, timeout time.Duration) error {
	return framework.WaitFor(ctx, timeout, 50*time.Millisecond, func() (bool, string) {
		c.mu.Lock()
		err := c.err
		c.mu.Unlock()
		got := c.last()
		return got >= v, "resync counter at " + itoa(got) + ", want " + itoa(v) + errText(err)
	})
}

// boundary is the moment between the enqueues number last and last+1: from
// the polls around both, or, when polling began after last, half a resync
// gap before last+1.
func (c *counterPoll) boundary(last int, gap time.Duration) time.Time {
	s := c.snapshot()
	if t, ok := PassBoundary(s, last); ok {
		return t
	}
	if t, ok := Reached(s, last+1); ok {
		return t.Add(-gap / 2)
	}
	return time.Time{}
}

// valueAt is the counter's value at t (the last poll at or before it).
func (c *counterPoll) valueAt(t time.Time) int {
	v := 0
	for _, s := range c.snapshot() {
		if s.At.After(t) {
			break
		}
		v = s.Value
	}
	return v
}
