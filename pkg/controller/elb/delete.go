package elb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/dryrun"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// cleanup runs when the PoolService should have no ELB (being deleted, or
// its Service, pool or match gone). It releases what the ownership record
// of its name holds (EIPs, then ELBs, which takes their listeners and
// backends), and then drops the finalizer. It releases nothing while
// another live PoolService serves the same Service and pool (a duplicate
// the fan-out is removing), nothing the record does not prove ours, and
// never the user-managed ELB the PoolService names, nor its EIP, listeners
// or backends. Every step is resumable.
func (c *Controller) cleanup(ctx context.Context, v poolServiceView, why string) (time.Duration, error) {
	if hasFinalizer(v.ps) {
		msg, err := c.releaseFor(ctx, v, why)
		if n := elbmodel.AsNotNow(err); n != nil {
			klog.FromContext(ctx).V(2).Info("Cleanup waiting", "why", n.Why)
			return c.waitBackoff.When(keyOf(v.ps)), nil
		}
		if err != nil {
			return c.cloudError(ctx, v, err)
		}
		c.waitBackoff.Forget(keyOf(v.ps))
		c.normal(v, apis.EventCleanedLoadBalancer, msg)
	}
	if err := c.removeFinalizer(ctx, v); err != nil {
		return 0, err
	}
	if v.ps.DeletionTimestamp != nil || !isELBClass(v.ps) {
		return 0, nil
	}
	return 0, c.writeStatus(ctx, v.ps, clearLoadBalancer, cond{apis.ConditionReady, metav1.ConditionFalse, reasonNotExposed, why},
		cond{apis.ConditionSynced, metav1.ConditionTrue, reasonNotExposed, why})
}

// releaseFor releases the PoolService's recorded resources and says what it did.
func (c *Controller) releaseFor(ctx context.Context, v poolServiceView, why string) (string, error) {
	name := v.cloudName(c.cfg.ClusterID)
	defer c.names.lock(name)()
	twin, err := c.liveTwin(ctx, v.ps)
	if err != nil {
		return "", err
	}
	if twin != "" {
		return fmt.Sprintf("%s; ELB and EIP kept: PoolService %s serves the same Service and pool", why, twin), nil
	}
	keep := c.userLoadBalancer(v)
	released, err := c.releaseRecorded(ctx, name, keepID(keep))
	if err != nil {
		return "", err
	}
	msg := fmt.Sprintf("%s; released %s", why, orNone(released))
	if keep != "" {
		msg += fmt.Sprintf("; user-managed ELB %s left as it is", keep)
	}
	c.reportLeftAlone(ctx, v, name, keep)
	return msg, nil
}

// liveTwin names another PoolService, not being deleted, that serves the
// same Service and pool (so the same cloud name). It asks the API server:
// a cache that lags must not make us release what the twin uses.
func (c *Controller) liveTwin(ctx context.Context, ps *v1alpha1.PoolService) (string, error) {
	list, err := c.yurtClient.NetworkV1alpha1().PoolServices(ps.Namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return "", fmt.Errorf("list PoolServices: %w", err)
	}
	mine := v1alpha1.ServedBy(ps)
	for i := range list.Items {
		other := &list.Items[i]
		if other.UID != ps.UID && other.DeletionTimestamp == nil && isELBClass(other) && v1alpha1.ServedBy(other) == mine {
			return other.Namespace + "/" + other.Name, nil
		}
	}
	return "", nil
}

// reportLeftAlone warns about resources of our name that cleanup did not
// release because no record proves them ours.
func (c *Controller) reportLeftAlone(ctx context.Context, v poolServiceView, name, keep string) {
	lbs, err1 := c.lbIDsByName(ctx, name, "")
	eips, err2 := readEIPsNamed(ctx, c.cloud, name, "")
	if err1 != nil || err2 != nil {
		return // a report, not a step: the next cleanup or sweep reports it
	}
	var left []string
	for _, id := range lbs {
		if id != keep {
			left = append(left, id)
		}
	}
	for _, e := range eips {
		if keep == "" || e.AssociatedInstanceID != keep {
			left = append(left, e.AllocationID)
		}
	}
	if len(left) > 0 {
		c.warn(v, apis.EventLeftAlone, fmt.Sprintf("%s named %s left alone: this controller did not create them", strings.Join(left, ", "), name))
	}
}

// clearLoadBalancer drops the ingress and the ELB id from a status.
func clearLoadBalancer(st *v1alpha1.PoolServiceStatus) {
	st.LoadBalancer.Ingress = nil
	delete(st.AggregateToAnnotations, apis.AnnotationLoadBalancerID)
	if len(st.AggregateToAnnotations) == 0 {
		st.AggregateToAnnotations = nil
	}
}

// userLoadBalancer is the ELB id cleanup must leave alone: the one the
// PoolService names, unless its Service is there and managed (then the
// annotation means nothing). With the Service gone we cannot tell, so the
// named ELB is kept: safety over a leak.
func (c *Controller) userLoadBalancer(v poolServiceView) string {
	if v.svc != nil && !elbmodel.ManagedByUser(v.svc.Annotations) {
		return ""
	}
	return elbmodel.UserLoadBalancerID(v.ps)
}

// reportRelease says, under --dry-run, what releaseRecorded would release
// at the point it would release it (after every check that may keep it).
func (c *Controller) reportRelease(ctx context.Context, action, name string, kind ownership.Kind, id string) {
	dryrun.Report(ctx, nil, nil, apis.ControllerELB, action, fmt.Sprintf("release %s %s of %s", kind, id, name))
}

// releaseOwnedEIP is the one way an EIP of ours is released: marked
// Releasing in its record first (a record that outlives a crash then
// says the EIP went, not that it may still become visible), unbound when
// bound, released, then forgotten. A plan that releases one has unbound it.
func (c *Controller) releaseOwnedEIP(ctx context.Context, name string, e cloud.EIP) error {
	c.shared.noteChange(name)
	if err := c.markReleasing(ctx, name, ownership.EIP, e.AllocationID); err != nil {
		return err
	}
	if err := c.releaseEIP(ctx, e); err != nil {
		return err
	}
	return c.forget(ctx, name, ownership.EIP, e.AllocationID)
}

// releaseEIP unassociates (when bound) and releases one EIP. ENS refuses
// both while the EIP is (un)associating, so an EIP in transition, or one
// just unassociated, is waited for rather than asked again.
func (c *Controller) releaseEIP(ctx context.Context, e cloud.EIP) error {
	switch {
	case e.Status == cloud.EIPAssociating || e.Status == cloud.EIPUnassociating:
		return elbmodel.Waitf("EIP %s is %s", e.AllocationID, e.Status)
	case e.AssociatedInstanceID != "" || e.Status == cloud.EIPInUse:
		if err := ignoreNotFound(c.cloud.UnassociateEIP(ctx, e.AllocationID)); err != nil {
			return waitOnConflict(err, "EIP %s", e.AllocationID)
		}
		return elbmodel.Waitf("EIP %s is being unassociated", e.AllocationID)
	}
	return waitOnConflict(ignoreNotFound(c.cloud.ReleaseEIP(ctx, e.AllocationID)), "EIP %s", e.AllocationID)
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing (already gone)"
	}
	return strings.Join(s, ", ")
}

// releaseRecorded releases what the record of name holds: EIPs first
// (unassociated first), then ELBs, forgetting each once gone. keep says
// which ELB ids must stay (a user's ELB, one in use); EIPs bound to them
// stay too. Nothing outside the record is ever released.
func (c *Controller) releaseRecorded(ctx context.Context, name string, keep func(lbID string) bool) ([]string, error) {
	rec, err := c.owned.Get(ctx, name)
	if err != nil || rec.Empty() {
		return nil, err
	}
	if rec, err = c.resolvePending(ctx, rec); err != nil {
		return nil, err
	}
	var released []string
	for _, id := range rec.IDs(ownership.EIP) {
		done, err := c.releaseRecordedEIP(ctx, name, id, keep)
		if err != nil {
			return released, err
		}
		if done {
			released = append(released, id)
		}
	}
	for _, id := range rec.IDs(ownership.LoadBalancer) {
		if keep(id) {
			continue
		}
		if c.cfg.DryRun {
			c.reportRelease(ctx, "ReleaseLoadBalancer", name, ownership.LoadBalancer, id)
			continue
		}
		if err := c.markReleasing(ctx, name, ownership.LoadBalancer, id); err != nil {
			return released, err
		}
		err := c.cloud.ReleaseLoadBalancer(ctx, id)
		switch {
		case errors.Is(err, cloud.ErrNotFound): // gone, or just made and not visible yet
			if err := c.forgetIfGone(ctx, name, ownership.LoadBalancer, id); err != nil {
				return released, err
			}
			continue
		case err != nil:
			return released, err
		}
		if err := c.forget(ctx, name, ownership.LoadBalancer, id); err != nil {
			return released, err
		}
		released = append(released, id)
	}
	return released, nil
}

func (c *Controller) releaseRecordedEIP(ctx context.Context, name, id string, keep func(string) bool) (bool, error) {
	e, err := c.eipByID(ctx, id)
	if err != nil {
		return false, err
	}
	if e == nil { // gone already, or just made and not visible yet
		return false, c.forgetIfGone(ctx, name, ownership.EIP, id)
	}
	if e.AssociatedInstanceID != "" && keep(e.AssociatedInstanceID) {
		return false, nil
	}
	if c.cfg.DryRun {
		c.reportRelease(ctx, string(elbmodel.ReleaseEIP), name, ownership.EIP, id)
		return false, nil
	}
	return true, c.releaseOwnedEIP(ctx, name, *e)
}

func keepID(id string) func(string) bool {
	return func(x string) bool { return id != "" && x == id }
}

// releaseManagedLeftovers: a Service switched from managed to user-managed
// releases what the controller had created for this PoolService (its
// recorded ELB and EIP), except the user's ELB and the EIP on it.
func (c *Controller) releaseManagedLeftovers(ctx context.Context, v poolServiceView) error {
	name := v.cloudName(c.cfg.ClusterID)
	if c.owned.Cached(name).Empty() {
		return nil
	}
	released, err := c.releaseRecorded(ctx, name, keepID(elbmodel.UserLoadBalancerID(v.ps)))
	if len(released) > 0 {
		c.normal(v, apis.EventCleanedLoadBalancer, "Service is user-managed now; released "+orNone(released))
	}
	return err
}
