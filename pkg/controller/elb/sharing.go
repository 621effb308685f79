package elb

import (
	"cmp"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// Sharing rules of a user-managed ELB. Several PoolServices of this cluster
// may name one ELB only when all their Services have externalTrafficPolicy
// Cluster (backends are per instance, so Local endpoints of one Service
// would be sent another Service's traffic). When a Local Service and
// another meet on one ELB, the later PoolService (by creation, then name)
// is refused and the earlier one goes on being served.

// backendNeeds returns the instances, with weights, this PoolService's ELB
// must have. On a user-managed ELB that is what every accepted sharer
// needs; d also learns which instances it may remove (this cluster's
// nodes' and those the ELB's backend record says we added) and which
// listener owners it must never take over. A sharer whose annotations do
// not parse has needs nobody can know: every instance of its pool's nodes
// is kept until they parse again.
func (c *Controller) backendNeeds(v poolServiceView, in elbmodel.Inputs, d *elbmodel.Desired) (map[string]int, error) {
	needs := elbmodel.Needs(elbmodel.BackendInstanceIDs(in), in.Annotations.Weight)
	if d.Managed {
		return needs, nil
	}
	accepted, refusedBy := acceptSharers(c.sharers(d.LoadBalancerID, v), v.ps.UID)
	if refusedBy != nil {
		return nil, &elbmodel.InputError{Reason: apis.EventSyncLoadBalancerFailed, Field: "spec.externalTrafficPolicy",
			Message: fmt.Sprintf("ELB %s is already used by PoolService %s/%s; sharing an ELB needs externalTrafficPolicy Cluster on every Service",
				d.LoadBalancerID, refusedBy.ps.Namespace, refusedBy.ps.Name)}
	}
	var kept []string
	for _, s := range accepted {
		if s.ps.UID == v.ps.UID {
			continue
		}
		if cfg, err := elbmodel.ParseAnnotations(s.svc.Annotations); err == nil {
			elbmodel.MergeNeeds(needs, elbmodel.Needs(elbmodel.BackendInstanceIDs(c.inputs(s, cfg)), cfg.Weight))
		} else {
			for _, n := range c.poolNodes(s.pool.Name) {
				kept = append(kept, elbmodel.InstanceID(n))
			}
		}
		d.Protected = append(d.Protected, s.cloudName(c.cfg.ClusterID))
	}
	d.Removable = elbmodel.UserRemovable(c.clusterInstances(), c.owned.CachedBackends(d.LoadBalancerID).IDs(), kept)
	return needs, nil
}

// sharers are the exposed user-managed PoolServices naming the ELB id
// (self included), oldest first.
func (c *Controller) sharers(lbID string, self poolServiceView) []poolServiceView {
	out := []poolServiceView{self}
	for _, ps := range c.poolServicesBy(indexByLoadBalancerID, lbID) {
		if ps.UID == self.ps.UID || ps.DeletionTimestamp != nil {
			continue
		}
		v := c.load(ps)
		if v.notExposed() == "" && elbmodel.ManagedByUser(v.svc.Annotations) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b poolServiceView) int {
		if c := a.ps.CreationTimestamp.Compare(b.ps.CreationTimestamp.Time); c != 0 {
			return c
		}
		return cmp.Compare(keyOf(a.ps), keyOf(b.ps))
	})
	return out
}

// acceptSharers walks the sharers oldest first and accepts each that can
// share with all accepted before it (the first always can). It returns the
// accepted ones and, when self is not among them, the oldest accepted.
func acceptSharers(all []poolServiceView, self types.UID) (accepted []poolServiceView, refusedBy *poolServiceView) {
	for _, s := range all {
		if len(accepted) > 0 && (elbmodel.LocalTraffic(s.svc) || anyLocal(accepted)) {
			if s.ps.UID == self {
				refusedBy = &accepted[0]
			}
			continue
		}
		accepted = append(accepted, s)
	}
	return accepted, refusedBy
}

func anyLocal(os []poolServiceView) bool {
	return slices.ContainsFunc(os, func(v poolServiceView) bool { return elbmodel.LocalTraffic(v.svc) })
}

// clusterInstances are the ENS instances of every node of this cluster.
func (c *Controller) clusterInstances() map[string]bool {
	out := map[string]bool{}
	for _, obj := range c.nodeIndexer.List() {
		if n, ok := obj.(*corev1.Node); ok {
			out[elbmodel.InstanceID(n)] = true
		}
	}
	return out
}

// skippedNodes names, for the status and a Warning, the pool's nodes whose
// instances cannot be backends of the ELB.
func (c *Controller) skippedNodes(in elbmodel.Inputs, skipped []elbmodel.Skipped) []string {
	if len(skipped) == 0 {
		return nil
	}
	nodeOf := map[string]string{}
	for _, n := range in.Nodes {
		nodeOf[elbmodel.InstanceID(n)] = n.Name
	}
	var out []string
	for _, s := range skipped {
		if node, ok := nodeOf[s.InstanceID]; ok {
			out = append(out, fmt.Sprintf("node %s (ENS instance %s): %s", node, s.InstanceID, s.Why))
		}
	}
	return out
}
