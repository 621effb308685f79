package elb

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/dryrun"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// outcome is what running a plan did. The plan itself is never changed.
type outcome struct {
	lbID  string // the ELB acted on (the plan's, or the one it created)
	eipID string // the EIP CreateEIP made, if any
	steps int    // actions that succeeded
	// firstLook is when to look at the ELB this run created (creations).
	firstLook time.Duration
	eips      elbmodel.EIPChanges
	// wait is the step that could not be taken yet; it ended the run.
	wait *elbmodel.NotNow
}

// completes reports whether this run took every step of plan and the plan
// waits for nothing: the ELB is then as desired, and needs no look to
// verify it (the periodic resync reads it again).
func (r outcome) completes(plan elbmodel.Plan) bool {
	return r.wait == nil && plan.Wait == nil && r.steps == len(plan.Actions) && len(plan.Refused) == 0
}

// apply runs the plan in order and stops at the first step that fails or
// cannot be taken yet; every step is safe to repeat, so the next sync
// simply re-plans from what exists. Only a failure is an error.
func (c *Controller) apply(ctx context.Context, v poolServiceView, plan elbmodel.Plan) (outcome, error) {
	r := outcome{lbID: plan.LoadBalancerID}
	if c.cfg.DryRun {
		for _, act := range plan.Actions {
			dryrun.Report(ctx, c.recorder, v.ps, apis.ControllerELB, string(act.Type),
				fmt.Sprintf("%s on %s", act, cmp.Or(plan.LoadBalancerID, "the new ELB "+plan.Desired.Name)))
		}
		return r, nil
	}
	logger := klog.FromContext(ctx)
	for _, act := range plan.Actions {
		c.noteChange(plan.Desired.Name, r.lbID, act)
		err := c.applyOne(ctx, v.ps, plan.Desired, act, &r)
		if r.wait = elbmodel.AsNotNow(err); r.wait != nil {
			break
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", act, err)
		}
		r.steps++
		logger.V(2).Info("Applied", "action", act.String(), "loadBalancer", r.lbID)
	}
	c.readBackCreatedEIP(ctx, &r)
	return r, nil
}

// noteChange tells the shared reads what an action is about to change
// (before the call: its answer may be lost), so that no sync takes a read
// from before it for what is after it.
func (c *Controller) noteChange(name, lbID string, act elbmodel.Action) {
	switch act.Type {
	case elbmodel.StopListener, elbmodel.DeleteListener, elbmodel.CreateListener, elbmodel.UpdateListener, elbmodel.StartListener:
		c.shared.noteChange(lbID)
	case elbmodel.CreateEIP, elbmodel.AssociateEIP, elbmodel.UnassociateEIP, elbmodel.ModifyEIPBandwidth, elbmodel.ReleaseEIP:
		c.shared.noteChange(name)
	}
}

// readBackCreatedEIP reads the EIP this run created and bound, whose
// address the status shows at once. If the read fails the status simply
// catches up on the next sync.
func (c *Controller) readBackCreatedEIP(ctx context.Context, r *outcome) {
	if _, bound := r.eips.Associated[r.eipID]; r.eipID == "" || !bound {
		return
	}
	read, err := c.eipByID(ctx, r.eipID)
	if err != nil || read == nil {
		klog.FromContext(ctx).V(4).Info("New EIP not read back; status follows next sync", "eip", r.eipID, "err", err)
		return
	}
	r.eips.Created = read
}

// applyOne runs one action.
func (c *Controller) applyOne(ctx context.Context, ps *v1alpha1.PoolService, d elbmodel.Desired, act elbmodel.Action, r *outcome) error {
	l := act.Listener
	switch act.Type {
	case elbmodel.CreateLoadBalancer:
		id, err := c.createLoadBalancer(ctx, cloud.CreateLoadBalancerRequest{
			Name: d.Name, RegionID: d.Network.RegionID, NetworkID: d.Network.NetworkID, VSwitchID: d.Network.VSwitchID,
			Spec: d.Spec, PayType: d.PayType,
		})
		r.lbID = id
		if err == nil {
			r.firstLook = c.creations.created(keyOf(ps), id, time.Now())
		}
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
		return c.backendsStep(c.removeBackends(ctx, d, r.lbID, act.Backends), r.lbID, act.Backends, c.drains.ended)
	case elbmodel.AddBackends: // recorded first on a user ELB (owned.go)
		return c.addBackends(ctx, d, r.lbID, act.Backends)
	case elbmodel.SetBackendWeights: // a drained backend needed again is restored here
		return c.backendsStep(c.cloud.SetBackendWeights(ctx, r.lbID, act.Backends), r.lbID, act.Backends, c.drains.ended)
	case elbmodel.DrainBackends:
		now := c.cfg.Clock.Now()
		return c.backendsStep(c.cloud.SetBackendWeights(ctx, r.lbID, act.Backends), r.lbID, act.Backends,
			func(lbID string, ids []string) { c.drains.started(lbID, ids, now) })
	}
	return c.applyEIP(ctx, ps, d, act, r)
}

func (c *Controller) applyEIP(ctx context.Context, ps *v1alpha1.PoolService, d elbmodel.Desired, act elbmodel.Action, r *outcome) error {
	switch act.Type {
	case elbmodel.CreateEIP:
		e := d.EIP
		id, err := c.createEIP(ctx, cloud.CreateEIPRequest{
			Name: e.Name, Description: elbmodel.EIPDescription(ps.Namespace, ps.Name),
			RegionID: e.RegionID, Bandwidth: e.Bandwidth, ISP: e.ISP, InternetChargeType: e.InternetChargeType,
			InstanceChargeType: e.InstanceChargeType,
		})
		r.eipID = id
		return err
	case elbmodel.AssociateEIP:
		id := act.EIPID
		if act.CreatedEIP {
			id = r.eipID
		}
		if r.lbID == "" {
			return elbmodel.Waitf("new ELB id not known yet")
		}
		return eipStep(c.cloud.AssociateEIP(ctx, id, r.lbID), id, func() { r.eips.Associate(id, r.lbID) })
	case elbmodel.UnassociateEIP:
		return eipStep(ignoreNotFound(c.cloud.UnassociateEIP(ctx, act.EIPID)), act.EIPID, func() { r.eips.Associate(act.EIPID, "") })
	case elbmodel.ModifyEIPBandwidth:
		return c.cloud.ModifyEIPBandwidth(ctx, act.EIPID, act.Bandwidth)
	case elbmodel.ReleaseEIP: // only recorded EIPs reach a plan; the plan unbound it first
		err := c.releaseOwnedEIP(ctx, d.Name, cloud.EIP{AllocationID: act.EIPID})
		if err == nil {
			r.eips.Release(act.EIPID)
		}
		return err
	}
	return fmt.Errorf("unknown action %q", act.Type)
}

// updateListener sets a listener's attributes. A running listener is set
// as it is, so traffic goes on; only when ENS refuses that because of its
// state is it stopped, and the next sync, seeing it stopped, sets and
// starts it again.
func (c *Controller) updateListener(ctx context.Context, lbID string, l cloud.Listener) error {
	err := c.cloud.UpdateListener(ctx, lbID, l)
	if l.Status != cloud.ListenerRunning || !cloud.IsIncorrectStatus(err) {
		return waitOnConflict(err, "listener %s:%d", l.Protocol, l.Port)
	}
	klog.FromContext(ctx).V(2).Info("ENS sets this listener only while stopped; stopping it",
		"loadBalancer", lbID, "listener", fmt.Sprintf("%s:%d", l.Protocol, l.Port))
	if err := c.cloud.StopListener(ctx, lbID, l.Port, l.Protocol); err != nil {
		return waitOnConflict(err, "listener %s:%d", l.Protocol, l.Port)
	}
	return &elbmodel.NotNow{Why: fmt.Sprintf("listener %s:%d stopped to change its attributes", l.Protocol, l.Port)}
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

// backendsStep notes, when a backend call succeeded, what it did to the
// drains of its instances.
func (c *Controller) backendsStep(err error, lbID string, backends []cloud.Backend, note func(lbID string, ids []string)) error {
	if err == nil {
		ids := make([]string, 0, len(backends))
		for _, b := range backends {
			ids = append(ids, b.ServerID)
		}
		note(lbID, ids)
	}
	return err
}
