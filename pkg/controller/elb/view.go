package elb

import (
	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// poolServiceView is the PoolService one sync works on and what it
// serves, as the listers have them.
type poolServiceView struct {
	ps     *v1alpha1.PoolService
	served v1alpha1.Served
	svc    *corev1.Service   // nil when gone
	pool   *v1beta2.NodePool // nil when gone
	// resync: the periodic resync asked for this sync, so reads shared
	// with other PoolServices serve it (shared_reads.go); a sync an event
	// or a change of ours caused reads what it needs itself.
	resync bool
}

func (c *Controller) load(ps *v1alpha1.PoolService) poolServiceView {
	v := poolServiceView{ps: ps, served: v1alpha1.ServedBy(ps)}
	if svc, err := c.services.Services(ps.Namespace).Get(v.served.Service); err == nil {
		v.svc = svc
	}
	if pool, err := c.pools.Get(v.served.Pool); err == nil {
		v.pool = pool
	}
	return v
}

// cloudName is the ELB/EIP name of what the PoolService serves.
func (v poolServiceView) cloudName(clusterID string) string {
	return elbmodel.Name(v.served.Service, v.ps.Namespace, v.served.Pool, clusterID)
}

// notExposed says why the PoolService should have no ELB, or "".
func (v poolServiceView) notExposed() string {
	switch {
	case v.ps.DeletionTimestamp != nil:
		return "PoolService is being deleted"
	case !isELBClass(v.ps):
		return "PoolService is not of class " + apis.LoadBalancerClassELB
	case v.svc == nil || v.svc.DeletionTimestamp != nil:
		return "Service is gone"
	case v.svc.Spec.Type != corev1.ServiceTypeLoadBalancer || v.svc.Spec.LoadBalancerClass == nil ||
		*v.svc.Spec.LoadBalancerClass != apis.LoadBalancerClassELB:
		return "Service is no longer a LoadBalancer of class " + apis.LoadBalancerClassELB
	case v.pool == nil || v.pool.DeletionTimestamp != nil:
		return "NodePool is gone"
	}
	sel := v.svc.Annotations[apis.AnnotationNodePoolSelector]
	if sel == "" {
		return "Service has no " + apis.AnnotationNodePoolSelector
	}
	// An unparsable selector is the fan-out's to report; it never releases.
	if s, err := labels.Parse(sel); err == nil && !s.Matches(labels.Set(v.pool.Labels)) {
		return "NodePool no longer matches the Service's selector"
	}
	return ""
}

func (c *Controller) inputs(v poolServiceView, cfg elbmodel.Annotations) elbmodel.Inputs {
	in := elbmodel.Inputs{
		ClusterID: c.cfg.ClusterID, PoolService: v.ps, Service: v.svc, Pool: v.pool,
		Nodes: c.poolNodes(v.pool.Name), Annotations: cfg,
	}
	if elbmodel.LocalTraffic(v.svc) {
		sel := labels.SelectorFromSet(labels.Set{discoveryv1.LabelServiceName: v.svc.Name})
		in.Slices, _ = c.slices.EndpointSlices(v.svc.Namespace).List(sel)
	}
	return in
}

func keyOf(ps *v1alpha1.PoolService) string { return ps.Namespace + "/" + ps.Name }
