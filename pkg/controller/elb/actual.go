package elb

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// readActual reads what the cloud holds for d. Only Describe/List calls.
func (c *Controller) readActual(ctx context.Context, ps *v1alpha1.PoolService, d elbmodel.Desired) (elbmodel.Actual, error) {
	var a elbmodel.Actual
	var err error
	if d.Managed {
		a.LoadBalancer, err = c.findManagedLB(ctx, ps, d.Name)
	} else {
		a.LoadBalancer, err = c.describeLB(ctx, d.LoadBalancerID)
	}
	if err != nil {
		return a, err
	}
	if a.LoadBalancer != nil {
		if err := c.fillListeners(ctx, a.LoadBalancer, d.Name); err != nil {
			return a, err
		}
	}
	a.EIPs, err = c.readEIPs(ctx, d, a.LoadBalancer)
	return a, err
}

// findManagedLB finds our ELB by the id in status first, then by name in
// every region (the pool's region annotation may have changed since); an
// ELB whose name is not exactly ours is never taken.
func (c *Controller) findManagedLB(ctx context.Context, ps *v1alpha1.PoolService, name string) (*ens.LoadBalancer, error) {
	if id := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; id != "" {
		lb, err := c.describeLB(ctx, id)
		if err != nil || (lb != nil && lb.Name == name) {
			return lb, err
		}
	}
	ids, err := c.lbIDsByName(ctx, name, "")
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	return c.describeLB(ctx, ids[0])
}

// lbIDsByName lists the ELBs named exactly name, sorted by id.
func (c *Controller) lbIDsByName(ctx context.Context, name, region string) ([]string, error) {
	lbs, err := c.cloud.ListLoadBalancers(ctx, ens.LoadBalancerFilter{Name: name, RegionID: region})
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
func (c *Controller) describeLB(ctx context.Context, id string) (*ens.LoadBalancer, error) {
	lb, err := c.cloud.DescribeLoadBalancer(ctx, id)
	if errors.Is(err, ens.ErrNotFound) {
		return nil, nil
	}
	return lb, err
}

// fillListeners replaces our listeners' summaries with their full
// attributes and status; other listeners only need port and owner.
func (c *Controller) fillListeners(ctx context.Context, lb *ens.LoadBalancer, owner string) error {
	for i, l := range lb.Listeners {
		if l.Description != owner {
			continue
		}
		full, err := c.cloud.DescribeListener(ctx, lb.ID, l.Port, l.Protocol)
		if errors.Is(err, ens.ErrNotFound) {
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
	return nil
}

// readEIPs: managed, the EIPs named exactly ours (in the ELB's region when
// there is one); user-managed, the EIPs associated with the user's ELB.
func (c *Controller) readEIPs(ctx context.Context, d elbmodel.Desired, lb *ens.LoadBalancer) ([]ens.EIP, error) {
	if !d.Managed {
		if lb == nil {
			return nil, nil
		}
		return c.cloud.ListEIPs(ctx, ens.EIPFilter{AssociatedInstanceID: lb.ID})
	}
	region := d.Network.RegionID
	if lb != nil {
		region = lb.RegionID
	}
	return c.eipsByName(ctx, d.Name, region)
}

// followLoadBalancer makes a managed EIP that is still to be created go to
// the existing ELB's region: a changed pool region is refused, not applied.
func followLoadBalancer(d *elbmodel.Desired, lb *ens.LoadBalancer) {
	if d.Managed && d.EIP != nil && lb != nil && lb.RegionID != "" {
		eip := *d.EIP
		eip.RegionID = lb.RegionID
		d.EIP = &eip
	}
}

func (c *Controller) eipsByName(ctx context.Context, name, region string) ([]ens.EIP, error) {
	eips, err := c.cloud.ListEIPs(ctx, ens.EIPFilter{Name: name, RegionID: region})
	if err != nil {
		return nil, err
	}
	var out []ens.EIP
	for _, e := range eips {
		if e.Name == name {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].AllocationID < out[j].AllocationID })
	return out, nil
}

// eipsAfter is a with the EIP associations the plan just made or undid, so
// the status shows them in this sync. An EIP created in this sync has no
// known address yet: it is read back (one call). If that read fails the
// status simply catches up on the next sync.
func (c *Controller) eipsAfter(ctx context.Context, a elbmodel.Actual, r applied) elbmodel.Actual {
	if len(r.eipState) == 0 && len(r.eipReleased) == 0 {
		return a
	}
	eips := make([]ens.EIP, 0, len(a.EIPs)+1)
	known := map[string]bool{}
	for _, e := range a.EIPs {
		known[e.AllocationID] = true
		if r.eipReleased[e.AllocationID] {
			continue
		}
		if lbID, ok := r.eipState[e.AllocationID]; ok {
			e.AssociatedInstanceID = lbID
		}
		eips = append(eips, e)
	}
	for id, lbID := range r.eipState {
		if known[id] || lbID == "" || r.eipReleased[id] {
			continue
		}
		read, err := c.cloud.ListEIPs(ctx, ens.EIPFilter{AllocationID: id})
		if err != nil || len(read) != 1 || read[0].AllocationID != id {
			klog.FromContext(ctx).V(4).Info("New EIP not read back; status follows next sync", "eip", id, "err", err)
			continue
		}
		e := read[0]
		e.AssociatedInstanceID = lbID
		eips = append(eips, e)
	}
	a.EIPs = eips
	return a
}
