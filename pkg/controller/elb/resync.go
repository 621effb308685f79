package elb

import (
	"context"
	"math"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// The periodic resync (drift repair) is paced: its PoolServices are spread
// over the period, never faster than ResyncRate. It goes last: its keys
// wait at the queue's background level and its calls behind every other
// sync's for each action's budget (queue.go), so work an event caused
// never waits behind it, and under a steady load of events drift repair
// still goes on with what they leave. A period the rate cannot fill is
// stretched, with a log line and a metric.

// resync runs resync passes until ctx is done.
func (c *Controller) resync(ctx context.Context) {
	for {
		start := c.cfg.Clock.Now()
		c.resyncPass(ctx)
		took := c.cfg.Clock.Since(start)
		if took > c.cfg.ResyncPeriod && ctx.Err() == nil { // its syncs waited behind other work
			klog.FromContext(ctx).Info("Resync pass took longer than its period: other work held the ENS budget",
				"period", c.cfg.ResyncPeriod, "took", took)
			resyncStretch.Set(took.Seconds())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(max(c.cfg.ResyncPeriod-took, 0)):
		}
	}
}

// resyncPass enqueues every PoolService of the ELB class once.
func (c *Controller) resyncPass(ctx context.Context) {
	all, err := c.poolServices.List(labels.Everything())
	if err != nil {
		return
	}
	var keys []string
	for _, ps := range all {
		if isELBClass(ps) {
			keys = append(keys, keyOf(ps))
		}
	}
	gap := resyncGap(len(keys), c.cfg.ResyncPeriod, c.cfg.ResyncRate)
	if stretched := time.Duration(len(keys)) * gap; stretched > c.cfg.ResyncPeriod {
		klog.FromContext(ctx).Info("Resync period stretched: the ENS read budget cannot look at every PoolService within it",
			"poolServices", len(keys), "period", c.cfg.ResyncPeriod, "takes", stretched, "rate", c.cfg.ResyncRate)
		resyncStretch.Set(stretched.Seconds())
	} else {
		resyncStretch.Set(0)
	}
	for _, key := range keys {
		for c.resyncing.open() >= c.resyncInFlight() { // its syncs wait for budget: hold them back
			if !sleep(ctx, gap) {
				return
			}
		}
		c.resyncing.add(key)
		c.enqueueAt(key, cloud.PriorityBackground)
		resyncEnqueued.Inc()
		if !sleep(ctx, gap) {
			return
		}
	}
}

// resyncInFlight is how many resync keys may be queued or syncing at
// once: a sync waiting for budget at background priority holds its
// worker, and under bulk work (a cold converge) it waits long, so the
// pacer holds the next key back rather than let resync syncs take the
// workers other work needs. No limit before Run (tests drive syncs
// themselves).
func (c *Controller) resyncInFlight() int {
	if w := int(c.workers.Load()); w > 0 {
		return max(1, w/4)
	}
	return math.MaxInt
}

// keySet is the keys the resync enqueued and no sync has taken yet: their
// sync may use the reads shared with other PoolServices (shared_reads.go),
// where a sync an event caused reads what it needs itself, fresh. It also
// counts the syncs that took one and have not finished.
type keySet struct {
	mu      sync.Mutex
	keys    map[string]bool
	running int
}

// open counts the keys not taken yet and the syncs running on one.
func (s *keySet) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys) + s.running
}

// start is take for the sync of key: a sync that took the key counts as
// running until it calls finish.
func (s *keySet) start(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	had := s.keys[key]
	delete(s.keys, key)
	if had {
		s.running++
	}
	return had
}

func (s *keySet) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.running--
}

func (s *keySet) add(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.keys == nil {
		s.keys = map[string]bool{}
	}
	s.keys[key] = true
}

// take reports whether key was in the set, and removes it.
func (s *keySet) take(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	had := s.keys[key]
	delete(s.keys, key)
	return had
}

// resyncGap spaces n keys over period, at most rate per second.
func resyncGap(n int, period time.Duration, rate float64) time.Duration {
	if n == 0 {
		return 0
	}
	gap := period / time.Duration(n)
	if minGap := time.Duration(float64(time.Second) / rate); gap < minGap {
		gap = minGap
	}
	return gap
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// regionUsers counts this controller's PoolServices per region (their
// pool's region annotation), recounted at most every few seconds: a
// shared region read pays for itself only where there are many.
type regionUsers struct {
	mu      sync.Mutex
	counts  map[string]int
	countAt time.Time
}

const regionUsersRecount = 10 * time.Second

func (c *Controller) regionUsers(region string) int {
	u := c.users
	u.mu.Lock()
	defer u.mu.Unlock()
	if now := c.cfg.Clock.Now(); u.counts == nil || now.Sub(u.countAt) >= regionUsersRecount {
		u.counts, u.countAt = c.countRegionUsers(), now
	}
	return u.counts[region]
}

func (c *Controller) countRegionUsers() map[string]int {
	counts := map[string]int{}
	all, _ := c.poolServices.List(labels.Everything())
	for _, ps := range all {
		if !isELBClass(ps) {
			continue
		}
		if pool, err := c.pools.Get(v1alpha1.ServedBy(ps).Pool); err == nil {
			counts[pool.Annotations[apis.AnnotationPoolRegionID]]++
		}
	}
	return counts
}
