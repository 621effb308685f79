package elb

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// applied is what running a plan learnt.
type applied struct {
	lbID  string // the ELB (created now or found before)
	eipID string // the EIP CreateEIP returned, if any
	done  int    // actions that succeeded
	// eipState is, per allocation id, the association (the ELB id, or ""
	// when unassociated) an EIP action just made; released EIPs are in
	// eipReleased. Status reports them without waiting for the next sync.
	eipState    map[string]string
	eipReleased map[string]bool
}

func (r *applied) setEIP(id, lbID string) {
	if r.eipState == nil {
		r.eipState = map[string]string{}
	}
	r.eipState[id] = lbID
}

// apply runs the plan in order and stops at the first failure; every step
// is safe to repeat, so the next sync simply re-plans from what exists. A
// step that cannot be taken yet ends it with a *notNow error.
func (c *Controller) apply(ctx context.Context, v poolServiceView, d elbmodel.Desired, a elbmodel.Actual, plan elbmodel.Plan) (applied, error) {
	r := applied{}
	if a.LoadBalancer != nil {
		r.lbID = a.LoadBalancer.ID
	}
	logger := klog.FromContext(ctx)
	for _, act := range plan.Actions {
		if err := c.applyOne(ctx, v.ps, d, act, &r); err != nil {
			if n := asNotNow(err); n != nil {
				return r, n
			}
			return r, fmt.Errorf("%s: %w", act, err)
		}
		r.done++
		logger.V(2).Info("Applied", "action", act.String(), "loadBalancer", r.lbID)
	}
	return r, nil
}

// applyOne runs one action.
func (c *Controller) applyOne(ctx context.Context, ps *v1alpha1.PoolService, d elbmodel.Desired, act elbmodel.Action, r *applied) error {
	l := act.Listener
	switch act.Type {
	case elbmodel.CreateLoadBalancer:
		id, err := c.createLoadBalancer(ctx, ens.CreateLoadBalancerRequest{
			Name: d.Name, RegionID: d.Network.RegionID, NetworkID: d.Network.NetworkID, VSwitchID: d.Network.VSwitchID,
			Spec: d.Spec, PayType: d.PayType,
		})
		r.lbID = id
		return err
	case elbmodel.StopListener:
		return waitOnConflict(ignoreNotFound(c.cloud.StopListener(ctx, r.lbID, l.Port, l.Protocol)), "listener %s:%d", l.Protocol, l.Port)
	case elbmodel.DeleteListener: // refused until a stop just made settles
		return waitOnConflict(ignoreNotFound(c.cloud.DeleteListener(ctx, r.lbID, l.Port, l.Protocol)), "listener %s:%d", l.Protocol, l.Port)
	case elbmodel.CreateListener: // refused while a deleted port is still releasing
		return waitOnConflict(c.cloud.CreateListener(ctx, r.lbID, l), "listener %s:%d", l.Protocol, l.Port)
	case elbmodel.UpdateListener:
		return c.updateListener(ctx, r.lbID, l)
	case elbmodel.StartListener:
		return waitOnConflict(c.cloud.StartListener(ctx, r.lbID, l.Port, l.Protocol), "listener %s:%d", l.Protocol, l.Port)
	case elbmodel.RemoveBackends:
		return c.cloud.RemoveBackends(ctx, r.lbID, act.Backends)
	case elbmodel.AddBackends:
		return c.cloud.AddBackends(ctx, r.lbID, act.Backends)
	case elbmodel.SetBackendWeights:
		return c.cloud.SetBackendWeights(ctx, r.lbID, act.Backends)
	}
	return c.applyEIP(ctx, ps, d, act, r)
}

func (c *Controller) applyEIP(ctx context.Context, ps *v1alpha1.PoolService, d elbmodel.Desired, act elbmodel.Action, r *applied) error {
	switch act.Type {
	case elbmodel.CreateEIP:
		e := d.EIP
		id, err := c.createEIP(ctx, ens.CreateEIPRequest{
			Name: e.Name, Description: elbmodel.EIPDescription(ps.Namespace, ps.Name),
			RegionID: e.RegionID, Bandwidth: e.Bandwidth, ISP: e.ISP, InternetChargeType: e.InternetChargeType,
			InstanceChargeType: e.InstanceChargeType,
		})
		r.eipID = id
		return err
	case elbmodel.AssociateEIP:
		id := act.EIPID
		if id == "" {
			id = r.eipID
		}
		if r.lbID == "" {
			return &notNow{why: "new ELB id not known yet"}
		}
		return eipStep(c.cloud.AssociateEIP(ctx, id, r.lbID), id, func() { r.setEIP(id, r.lbID) })
	case elbmodel.UnassociateEIP:
		return eipStep(ignoreNotFound(c.cloud.UnassociateEIP(ctx, act.EIPID)), act.EIPID, func() { r.setEIP(act.EIPID, "") })
	case elbmodel.ModifyEIPBandwidth:
		return c.cloud.ModifyEIPBandwidth(ctx, act.EIPID, act.Bandwidth)
	case elbmodel.ReleaseEIP: // only recorded EIPs reach a plan
		if err := c.markReleasing(ctx, d.Name, ownership.EIP, act.EIPID); err != nil {
			return err
		}
		err := eipStep(ignoreNotFound(c.cloud.ReleaseEIP(ctx, act.EIPID)), act.EIPID, func() {
			if r.eipReleased == nil {
				r.eipReleased = map[string]bool{}
			}
			r.eipReleased[act.EIPID] = true
		})
		if err != nil {
			return err
		}
		return c.forget(ctx, d.Name, ownership.EIP, act.EIPID)
	}
	return fmt.Errorf("unknown action %q", act.Type)
}

// updateListener sets a listener's attributes. A running listener is set
// as it is, so traffic goes on; only when ENS refuses that because of its
// state is it stopped, and the next sync, seeing it stopped, sets and
// starts it again.
func (c *Controller) updateListener(ctx context.Context, lbID string, l ens.Listener) error {
	err := c.cloud.UpdateListener(ctx, lbID, l)
	if l.Status != ens.ListenerRunning || !ens.IsIncorrectStatus(err) {
		return waitOnConflict(err, "listener %s:%d", l.Protocol, l.Port)
	}
	klog.FromContext(ctx).V(2).Info("ENS sets this listener only while stopped; stopping it",
		"loadBalancer", lbID, "listener", fmt.Sprintf("%s:%d", l.Protocol, l.Port))
	if err := c.cloud.StopListener(ctx, lbID, l.Port, l.Protocol); err != nil {
		return waitOnConflict(err, "listener %s:%d", l.Protocol, l.Port)
	}
	return &notNow{why: fmt.Sprintf("listener %s:%d stopped to change its attributes", l.Protocol, l.Port)}
}

// eipStep is waitOnConflict for an EIP action that records what it did
// when it succeeded.
func eipStep(err error, id string, record func()) error {
	err = waitOnConflict(err, "EIP %s", id)
	if err == nil {
		record()
	}
	return err
}

func ignoreNotFound(err error) error {
	if errors.Is(err, ens.ErrNotFound) {
		return nil
	}
	return err
}
