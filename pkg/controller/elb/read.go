package elb

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// read reads what the plan is made from: the instances the backends need,
// and what the cloud holds for the desired ELB.
func (c *Controller) read(ctx context.Context, v poolServiceView, w wanted) (elbmodel.Observed, error) {
	instances, err := c.instances(ctx, slices.Sorted(maps.Keys(w.needs)), v.resync)
	if err != nil {
		return elbmodel.Observed{}, err
	}
	actual, err := c.readActual(ctx, v, w.desired)
	o := elbmodel.Observed{Needs: w.needs, Instances: instances, Actual: actual, Now: c.cfg.Clock.Now()}
	if actual.LoadBalancer != nil {
		o.Draining = c.drains.of(actual.LoadBalancer.ID)
	}
	return o, err
}

// readActual reads what the cloud holds for d. For a managed ELB only what
// the ownership record proves ours is actual; a resource merely named like
// ours is never used, changed or released. Its only writes settle the
// record: a create whose answer was lost is repeated (liveRecord), and a
// recorded resource that is gone is forgotten.
func (c *Controller) readActual(ctx context.Context, v poolServiceView, d elbmodel.Desired) (elbmodel.Actual, error) {
	var a elbmodel.Actual
	var err error
	if !d.Managed {
		if a.LoadBalancer, err = c.describeLB(ctx, d.LoadBalancerID); err != nil {
			return a, err
		}
		if a.LoadBalancer != nil {
			if err := c.fillListeners(ctx, a.LoadBalancer, d.Name, v.resync); err != nil {
				return a, err
			}
			a.EIPs, err = c.eipsOn(ctx, a.LoadBalancer, v.resync)
		}
		return a, err
	}
	rec := c.owned.Cached(d.Name)
	if a.LoadBalancer, rec, err = c.findManagedLB(ctx, v, d, rec); err != nil {
		return a, err
	}
	if a.LoadBalancer != nil {
		if err := c.fillListeners(ctx, a.LoadBalancer, d.Name, v.resync); err != nil {
			return a, err
		}
	}
	a.EIPs, err = c.ourEIPs(ctx, v, d, a.LoadBalancer, rec)
	return a, err
}

// findManagedLB finds our ELB: the recorded id in status first, then the
// recorded ELBs named exactly ours in any region (the pool's region
// annotation may have changed since). An unrecorded ELB of our name is
// reported and nothing is created beside it, unless a fresh pending create
// (settled here, or repeated by the plan) may have made it.
func (c *Controller) findManagedLB(ctx context.Context, v poolServiceView, d elbmodel.Desired, rec ownership.Record) (*cloud.LoadBalancer, ownership.Record, error) {
	ps, name := v.ps, d.Name
	if id := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; id != "" && rec.Owns(ownership.LoadBalancer, id) {
		lb, err := c.describeLB(ctx, id)
		if err != nil || (lb != nil && lb.Name == name) {
			return lb, rec, err
		}
	}
	ids, err := c.lbIDsByName(ctx, name, "")
	if err != nil {
		return nil, rec, err
	}
	if needsLiveRecord(rec, ownership.LoadBalancer, ids) {
		if rec, err = c.liveRecord(ctx, name); err != nil {
			return nil, rec, err
		}
	}
	ours, unproven := splitOwned(rec, ownership.LoadBalancer, ids)
	for _, id := range missingOwned(rec, ownership.LoadBalancer, ids) {
		lb, err := c.recordedButUnlisted(ctx, name, id)
		if err != nil || lb != nil {
			return lb, rec, err
		}
	}
	if len(ours) > 0 {
		lb, err := c.describeLB(ctx, ours[0])
		return lb, rec, err
	}
	if len(unproven) > 0 {
		if e, ok := rec.PendingEntry(ownership.LoadBalancer); ok && c.freshPending(e) {
			return nil, rec, nil // perhaps our own lost create: settled by the plan
		}
		if !c.adopting(d) {
			return nil, rec, nameTaken("ELB", name, unproven)
		}
		id, err := c.adopt(ctx, v, name, ownership.LoadBalancer, unproven)
		if err != nil {
			return nil, rec, err
		}
		lb, err := c.describeLB(ctx, id)
		return lb, c.owned.Cached(name), err
	}
	return nil, rec, nil
}

// recordedButUnlisted looks up a recorded ELB the name listing did not
// show: not visible yet (look again soon), or gone (forgotten once old
// enough that it cannot be a new one still becoming visible).
func (c *Controller) recordedButUnlisted(ctx context.Context, name, id string) (*cloud.LoadBalancer, error) {
	lb, err := c.describeLB(ctx, id)
	if err != nil || lb != nil {
		return lb, err
	}
	return nil, c.forgetIfGone(ctx, name, ownership.LoadBalancer, id)
}

// forgetIfGone forgets a recorded id ENS does not know, unless it was
// created so recently that ENS may not show it yet.
func (c *Controller) forgetIfGone(ctx context.Context, name string, kind ownership.Kind, id string) error {
	if c.cfg.DryRun {
		return nil
	}
	rec, err := c.owned.Get(ctx, name)
	if err != nil {
		return err
	}
	for _, e := range rec.Entries(kind) {
		if e.ID == id && !e.Releasing && c.cfg.Clock.Since(e.Since) < c.cfg.VisibilityGrace {
			return &elbmodel.NotNow{Why: fmt.Sprintf("%s %s was just created and is not visible yet", kind, id)}
		}
	}
	klog.FromContext(ctx).Info("A recorded resource is gone; forgetting it", "name", name, "kind", kind, "id", id)
	return c.forget(ctx, name, kind, id)
}

// liveRecord reads the record from the API server and settles its pending
// creates (the cache of a new leader may not have shown them).
func (c *Controller) liveRecord(ctx context.Context, name string) (ownership.Record, error) {
	rec, err := c.owned.Get(ctx, name)
	if err != nil || !hasPending(rec) {
		return rec, err
	}
	return c.resolvePending(ctx, rec)
}

// needsLiveRecord: the cached record is enough unless something found is
// not in it, or it has a pending create (a new leader's cache may lag).
func needsLiveRecord(rec ownership.Record, kind ownership.Kind, found []string) bool {
	if _, pending := rec.PendingEntry(kind); pending {
		return true
	}
	for _, id := range found {
		if !rec.Owns(kind, id) {
			return true
		}
	}
	return false
}

// splitOwned splits found ids into recorded and unproven ones.
func splitOwned(rec ownership.Record, kind ownership.Kind, found []string) (ours, unproven []string) {
	for _, id := range found {
		if rec.Owns(kind, id) {
			ours = append(ours, id)
		} else {
			unproven = append(unproven, id)
		}
	}
	return ours, unproven
}

// missingOwned are the recorded ids not among found.
func missingOwned(rec ownership.Record, kind ownership.Kind, found []string) []string {
	var out []string
	for _, id := range rec.IDs(kind) {
		if !slices.Contains(found, id) {
			out = append(out, id)
		}
	}
	return out
}

// nameTaken is the input error of a name someone else's resource holds.
func nameTaken(what, name string, ids []string) error {
	return &elbmodel.InputError{Reason: apis.EventNameTaken, Field: "metadata.name",
		Message: fmt.Sprintf("%s %s is named %s but this controller has no record of creating it: it is left alone, "+
			"and no %s is created beside it under the same name; release or rename it, or delete this PoolService",
			what, strings.Join(ids, ", "), name, what)}
}

// lbIDsByName lists the ELBs named exactly name, sorted by id.
func (c *Controller) lbIDsByName(ctx context.Context, name, region string) ([]string, error) {
	lbs, err := c.cloud.ListLoadBalancers(ctx, cloud.LoadBalancerFilter{Name: name, RegionID: region})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, lb := range lbs {
		if lb.Name == name {
			ids = append(ids, lb.ID)
		}
	}
	sort.Strings(ids)
	return ids, nil
}

// describeLB returns nil, nil when the ELB does not exist.
func (c *Controller) describeLB(ctx context.Context, id string) (*cloud.LoadBalancer, error) {
	lb, err := c.cloud.DescribeLoadBalancer(ctx, id)
	if errors.Is(err, cloud.ErrNotFound) {
		return nil, nil
	}
	return lb, err
}

// fillListeners replaces our listeners' summaries with their full
// attributes and status; other listeners only need port and owner. An
// ELB whose summary is unchanged since the last full read keeps that read
// for a while (sharedReads.cachedListeners).
func (c *Controller) fillListeners(ctx context.Context, lb *cloud.LoadBalancer, owner string, shared bool) error {
	if shared {
		if full := c.shared.cachedListeners(lb, owner); full != nil {
			lb.Listeners = full
			return nil
		}
	}
	seq, readAt := c.shared.begin(), c.cfg.Clock.Now()
	summary := slices.Clone(lb.Listeners)
	for i, l := range lb.Listeners {
		if l.Description != owner {
			continue
		}
		full, err := c.cloud.DescribeListener(ctx, lb.ID, l.Port, l.Protocol)
		if errors.Is(err, cloud.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("describe listener %s:%d: %w", l.Protocol, l.Port, err)
		}
		if full.Description == "" {
			full.Description = l.Description
		}
		lb.Listeners[i] = *full
	}
	c.shared.keepListeners(lb.ID, owner, summary, lb.Listeners, seq, readAt)
	return nil
}

// ourEIPs are the recorded EIPs named ours (in the ELB's region when there
// is one, else the pool's), plus recorded ones the listing missed. An
// unrecorded EIP of our name is used only through a fresh pending create.
func (c *Controller) ourEIPs(ctx context.Context, v poolServiceView, d elbmodel.Desired, lb *cloud.LoadBalancer, rec ownership.Record) ([]cloud.EIP, error) {
	region := d.Network.RegionID
	if lb != nil {
		region = lb.RegionID
	}
	named, err := c.eipsToJudge(ctx, v, d.Name, region, rec)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(named))
	for _, e := range named {
		ids = append(ids, e.AllocationID)
	}
	missing := missingOwned(rec, ownership.EIP, ids)
	if needsLiveRecord(rec, ownership.EIP, ids) || len(missing) > 0 {
		if rec, err = c.liveRecord(ctx, d.Name); err != nil {
			return nil, err
		}
		missing = missingOwned(rec, ownership.EIP, ids)
	}
	var ours []cloud.EIP
	var unproven []string
	for _, e := range named {
		if rec.Owns(ownership.EIP, e.AllocationID) {
			ours = append(ours, e)
		} else {
			unproven = append(unproven, e.AllocationID)
		}
	}
	for _, id := range missing {
		found, err := c.eipByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if found != nil {
			ours = append(ours, *found)
		} else if err := c.forgetIfGone(ctx, d.Name, ownership.EIP, id); err != nil {
			return nil, err
		}
	}
	if len(ours) == 0 && len(unproven) > 0 && d.EIP != nil {
		if e, ok := rec.PendingEntry(ownership.EIP); ok && c.freshPending(e) {
			return ours, nil
		}
		if !c.adopting(d) {
			return nil, nameTaken("EIP", d.Name, unproven)
		}
		return c.adoptEIP(ctx, v, d.Name, lb, named)
	}
	return ours, nil
}

// eipsToJudge are the EIPs ourEIPs judges: those the record names, read
// by id, when it names some and no create of one is pending (an unrecorded
// EIP of our name matters only where we have none); else, and in a
// resync (whose region read is shared), every EIP of the name.
func (c *Controller) eipsToJudge(ctx context.Context, v poolServiceView, name, region string, rec ownership.Record) ([]cloud.EIP, error) {
	if ids := rec.IDs(ownership.EIP); len(ids) > 0 && !v.resync {
		if _, pending := rec.PendingEntry(ownership.EIP); !pending {
			return c.eipReads.byID(ctx, c.cloud, ids)
		}
	}
	return c.eipsNamed(ctx, name, region, v.resync)
}

// instances reads the candidate instances; a resync through the shared
// read of every cluster node's instance.
func (c *Controller) instances(ctx context.Context, ids []string, shared bool) (map[string]cloud.Instance, error) {
	if !shared {
		return readInstances(ctx, c.cloud, ids)
	}
	return c.shared.instancesOf(ctx, c.cloud, ids, c.clusterInstanceIDs)
}

// eipsNamed reads the EIPs named exactly name in region: read together
// with other syncs' (eipReads), or in a resync through the region's shared
// read.
func (c *Controller) eipsNamed(ctx context.Context, name, region string, shared bool) ([]cloud.EIP, error) {
	if !shared {
		return c.eipReads.named(ctx, c.cloud, name, region)
	}
	return c.shared.eipsNamed(ctx, c.cloud, name, region, c.regionUsers(region))
}

// eipsOn reads the EIPs bound to a user-managed ELB; a resync through the
// region's shared read.
func (c *Controller) eipsOn(ctx context.Context, lb *cloud.LoadBalancer, shared bool) ([]cloud.EIP, error) {
	if !shared {
		return c.cloud.ListEIPs(ctx, cloud.EIPFilter{AssociatedInstanceID: lb.ID})
	}
	return c.shared.eipsOn(ctx, c.cloud, lb.ID, lb.RegionID, c.regionUsers(lb.RegionID))
}

// clusterInstanceIDs are the ENS instances of every node of this cluster.
func (c *Controller) clusterInstanceIDs() []string {
	ids := slices.Collect(maps.Keys(c.clusterInstances()))
	return slices.DeleteFunc(ids, func(id string) bool { return !elbmodel.ValidInstanceID(id) })
}
