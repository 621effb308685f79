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
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// cleanup runs when the PoolService should have no ELB (being deleted, or
// its Service, pool or match gone). It unassociates and releases the EIPs,
// then releases the ELBs (which takes their listeners and backends), each
// found again by exact name; then it drops the finalizer. A user-managed
// ELB named by the PoolService is never released, nor its EIP, listeners or
// backends, even when it carries our name; what the controller created
// under our name (e.g. before the Service became user-managed) is. Every
// step is resumable.
func (c *Controller) cleanup(ctx context.Context, o objects, why string) (time.Duration, error) {
	if hasFinalizer(o.ps) {
		keep := c.userLoadBalancer(o)
		released, wait, err := c.releaseManaged(ctx, o.ps, keep)
		if err != nil {
			return c.cloudError(ctx, o, err)
		}
		if wait != "" {
			klog.FromContext(ctx).V(2).Info("Cleanup waiting", "why", wait)
			return c.cfg.RequeueDelay, nil
		}
		msg := fmt.Sprintf("%s; released %s", why, orNone(released))
		if keep != "" {
			msg += fmt.Sprintf("; user-managed ELB %s left as it is", keep)
		}
		c.normal(o, apis.EventCleanedLoadBalancer, msg)
	}
	if err := c.removeFinalizer(ctx, o); err != nil {
		return 0, err
	}
	if o.ps.DeletionTimestamp != nil || !isELBClass(o.ps) {
		return 0, nil
	}
	return 0, c.writeStatus(ctx, o.ps, clearLoadBalancer, cond{apis.ConditionReady, metav1.ConditionFalse, reasonNotExposed, why},
		cond{apis.ConditionSynced, metav1.ConditionTrue, reasonNotExposed, why})
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
func (c *Controller) userLoadBalancer(o objects) string {
	if o.svc != nil && !userManagedService(o.svc) {
		return ""
	}
	return elbmodel.UserLoadBalancerID(o.ps)
}

// releaseManaged releases our EIPs then our ELBs, all named exactly ours,
// except the ELB keep and any EIP on it. It returns what it released, or a
// wait message when an EIP is still changing state.
func (c *Controller) releaseManaged(ctx context.Context, ps *v1alpha1.PoolService, keep string) ([]string, string, error) {
	name := elbmodel.Name(serviceName(ps), ps.Namespace, poolName(ps), c.cfg.ClusterID)
	var released []string
	eips, err := c.eipsByName(ctx, name, "")
	if err != nil {
		return nil, "", err
	}
	for _, e := range eips {
		if keep != "" && e.AssociatedInstanceID == keep {
			continue
		}
		wait, err := c.releaseEIP(ctx, e)
		if err != nil || wait != "" {
			return released, wait, err
		}
		released = append(released, e.AllocationID)
	}
	ids, err := c.lbIDsByName(ctx, name, "")
	if err != nil {
		return released, "", err
	}
	if id := ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID]; id != "" && !contains(ids, id) {
		if lb, err := c.describeLB(ctx, id); err != nil {
			return released, "", err
		} else if lb != nil && lb.Name == name {
			ids = append(ids, id)
		}
	}
	for _, id := range ids {
		if id == keep {
			continue
		}
		if err := ignoreNotFound(c.cloud.ReleaseLoadBalancer(ctx, id)); err != nil {
			return released, "", err
		}
		released = append(released, id)
	}
	return released, "", nil
}

// releaseEIP unassociates (when bound) and releases one EIP.
func (c *Controller) releaseEIP(ctx context.Context, e ens.EIP) (string, error) {
	if e.AssociatedInstanceID != "" || e.Status == ens.EIPInUse {
		if err := ignoreNotFound(c.cloud.UnassociateEIP(ctx, e.AllocationID)); err != nil {
			return waitOnConflict(err, "EIP %s", e.AllocationID)
		}
	}
	err := c.cloud.ReleaseEIP(ctx, e.AllocationID)
	if errors.Is(err, ens.ErrNotFound) {
		return "", nil
	}
	return waitOnConflict(err, "EIP %s", e.AllocationID)
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "nothing (already gone)"
	}
	return strings.Join(s, ", ")
}
