package elb

import (
	"context"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
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

// sweep releases what an ownership record holds for a name no PoolService
// serves any more, once orphaned for the grace period. Only records are
// swept: an ELB or EIP that merely carries our naming pattern is reported,
// never released. An ELB some PoolService names (in its status or its
// ELB-id annotation) stays, and so does the EIP on it.
func (c *Controller) sweep(ctx context.Context) error {
	records, err := c.owned.List(ctx)
	if err != nil {
		return err
	}
	served, inUse, err := c.servedNames()
	if err != nil {
		return err
	}
	now, seen := c.cfg.Clock.Now(), map[string]bool{}
	for _, rec := range records {
		if served[rec.Name] {
			continue
		}
		key := "record/" + rec.Name
		seen[key] = true
		if !c.orphans.due(key, now, c.cfg.OrphanGracePeriod) {
			continue
		}
		if err := c.releaseOrphan(ctx, rec.Name, inUse); err != nil {
			return err
		}
	}
	c.orphans.keepOnly(seen)
	return c.reportUnproven(ctx)
}

func (c *Controller) releaseOrphan(ctx context.Context, name string, inUse map[string]bool) error {
	defer c.names.lock(name)()
	released, err := c.releaseRecorded(ctx, name, func(id string) bool { return inUse[id] })
	if len(released) > 0 {
		klog.FromContext(ctx).Info("Released orphaned resources", "name", name, "released", released)
	}
	if elbmodel.AsNotNow(err) != nil {
		return nil // next sweep
	}
	return err
}

// reportUnproven logs every ELB and EIP named k8s/*/*/*/<our cluster id>
// that no record holds: we did not make it (or cannot prove it), so it is
// left alone, but an operator should know. The records are read after the
// cloud, and a name with a create in flight is skipped, so that what a
// sync is creating right now is not reported.
func (c *Controller) reportUnproven(ctx context.Context) error {
	lbs, err := c.cloud.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{})
	if err != nil {
		return err
	}
	eips, err := c.cloud.ListEIPs(ctx, cloud.EIPFilter{})
	if err != nil {
		return err
	}
	records, err := c.owned.List(ctx)
	if err != nil {
		return err
	}
	known := map[string]bool{} // recorded ids, and names with a pending create
	for _, rec := range records {
		for _, id := range append(rec.IDs(ownership.LoadBalancer), rec.IDs(ownership.EIP)...) {
			known[id] = true
		}
		if hasPending(rec) {
			known[rec.Name] = true
		}
	}
	unproven := func(name, id string) bool {
		_, ours := elbmodel.ParseName(name, c.cfg.ClusterID)
		return ours && !known[id] && !known[name]
	}
	logger := klog.FromContext(ctx)
	for _, lb := range lbs {
		if unproven(lb.Name, lb.ID) {
			logger.Info("ELB named like ours was not created by this controller; left alone", "loadBalancer", lb.ID, "name", lb.Name)
		}
	}
	for _, e := range eips {
		if unproven(e.Name, e.AllocationID) {
			logger.Info("EIP named like ours was not created by this controller; left alone", "eip", e.AllocationID, "name", e.Name)
		}
	}
	return nil
}

// servedNames are the cloud names of every PoolService, and the ELB ids
// any of them names in its status or ELB-id annotation.
func (c *Controller) servedNames() (names, lbIDs map[string]bool, err error) {
	all, err := c.poolServices.List(labels.Everything())
	if err != nil {
		return nil, nil, err
	}
	names, lbIDs = make(map[string]bool, len(all)), map[string]bool{}
	for _, ps := range all {
		names[poolServiceView{ps: ps, served: v1alpha1.ServedBy(ps)}.cloudName(c.cfg.ClusterID)] = true
		for _, id := range []string{ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID], elbmodel.UserLoadBalancerID(ps)} {
			if id != "" {
				lbIDs[id] = true
			}
		}
	}
	return names, lbIDs, nil
}
