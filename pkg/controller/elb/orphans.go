package elb

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// orphanTracker remembers when each orphan was first seen. It lives in
// memory only: a restart restarts every grace period, which errs on the
// side of keeping resources.
type orphanTracker struct {
	mu        sync.Mutex
	firstSeen map[string]time.Time
}

func newOrphanTracker() *orphanTracker {
	return &orphanTracker{firstSeen: map[string]time.Time{}}
}

// due records key as orphaned at now and reports whether it has been so
// for at least grace.
func (t *orphanTracker) due(key string, now time.Time, grace time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	first, ok := t.firstSeen[key]
	if !ok {
		t.firstSeen[key], first = now, now
	}
	return now.Sub(first) >= grace
}

// keepOnly forgets every key not in seen (no longer orphaned, or gone).
func (t *orphanTracker) keepOnly(seen map[string]bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.firstSeen {
		if !seen[k] {
			delete(t.firstSeen, k)
		}
	}
}

func (c *Controller) sweepOrphans(ctx context.Context) {
	if err := c.sweep(ctx); err != nil {
		klog.FromContext(ctx).Error(err, "Orphan sweep failed")
	}
}

// sweep releases ELBs and EIPs named k8s/<svc>/<ns>/<pool>/<our cluster id>
// that no PoolService owns any more, once orphaned for the grace period.
// The cloud is listed before the PoolServices, so a resource created after
// the listing of its PoolService can never look orphaned.
func (c *Controller) sweep(ctx context.Context) error {
	lbs, err := c.cloud.ListLoadBalancers(ctx, ens.LoadBalancerFilter{})
	if err != nil {
		return err
	}
	eips, err := c.cloud.ListEIPs(ctx, ens.EIPFilter{})
	if err != nil {
		return err
	}
	owned, inUse, err := c.ownedNames()
	if err != nil {
		return err
	}
	orphaned := func(name, lbID string) bool {
		_, ours := elbmodel.ParseName(name, c.cfg.ClusterID)
		return ours && !owned[name] && (lbID == "" || !inUse[lbID])
	}
	now, seen := c.cfg.Clock.Now(), map[string]bool{}
	logger := klog.FromContext(ctx)
	for _, e := range eips { // EIPs first: an ELB goes after its EIP
		if key := "eip/" + e.AllocationID; orphaned(e.Name, e.AssociatedInstanceID) {
			seen[key] = true
			if c.orphans.due(key, now, c.cfg.OrphanGracePeriod) {
				logger.Info("Releasing orphaned EIP", "eip", e.AllocationID, "name", e.Name)
				if _, err := c.releaseEIP(ctx, e); err != nil {
					return err
				}
			}
		}
	}
	for _, lb := range lbs {
		if key := "lb/" + lb.ID; orphaned(lb.Name, lb.ID) {
			seen[key] = true
			if c.orphans.due(key, now, c.cfg.OrphanGracePeriod) {
				logger.Info("Releasing orphaned ELB", "loadBalancer", lb.ID, "name", lb.Name)
				if err := ignoreNotFound(c.cloud.ReleaseLoadBalancer(ctx, lb.ID)); err != nil {
					return err
				}
			}
		}
	}
	c.orphans.keepOnly(seen)
	return nil
}

// ownedNames are the ELB/EIP names of every existing PoolService, and the
// ELB ids any of them names in its status or ELB-id annotation: an ELB in
// use (and the EIP on it) is never an orphan, whatever its name.
func (c *Controller) ownedNames() (names, lbIDs map[string]bool, err error) {
	all, err := c.poolServices.List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	names, lbIDs = make(map[string]bool, len(all)), map[string]bool{}
	for _, ps := range all {
		names[elbmodel.Name(serviceName(ps), ps.Namespace, poolName(ps), c.cfg.ClusterID)] = true
		for _, id := range []string{ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID], elbmodel.UserLoadBalancerID(ps)} {
			if id != "" {
				lbIDs[id] = true
			}
		}
	}
	return names, lbIDs, nil
}
