package elb

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/informer"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

// Index names carry an "elb/" prefix so they never clash with indexers other
// controllers add to the same shared informers.
const (
	// indexByService: PoolService → "<ns>/<service>" it serves (v1alpha1.ServedBy).
	indexByService = "elb/byService"
	// indexByPool: PoolService → pool it serves (v1alpha1.ServedBy).
	indexByPool = "elb/byPool"
	// indexByLoadBalancerID: PoolService → its ELB-id annotation (finds the
	// PoolServices sharing one user-managed ELB).
	indexByLoadBalancerID = "elb/byLoadBalancerID"
	// indexNodeByPool: Node → pool (label apps.openyurt.io/nodepool).
	indexNodeByPool = "elb/nodeByPool"
)

func addIndexers(poolServices, nodes cache.SharedIndexInformer) error {
	if err := informer.AddIndexers(poolServices, cache.Indexers{
		indexByService:        poolServiceByService,
		indexByPool:           poolServiceByPool,
		indexByLoadBalancerID: poolServiceByLoadBalancerID,
	}); err != nil {
		return fmt.Errorf("elb: PoolService indexers: %w", err)
	}
	if err := informer.AddIndexers(nodes, cache.Indexers{indexNodeByPool: nodeByPool}); err != nil {
		return fmt.Errorf("elb: Node indexers: %w", err)
	}
	return nil
}

func poolServiceByService(obj any) ([]string, error) {
	ps, ok := obj.(*v1alpha1.PoolService)
	if !ok {
		return nil, nil
	}
	if svc := v1alpha1.ServedBy(ps).Service; svc != "" {
		return []string{ps.Namespace + "/" + svc}, nil
	}
	return nil, nil
}

func poolServiceByPool(obj any) ([]string, error) {
	ps, ok := obj.(*v1alpha1.PoolService)
	if !ok {
		return nil, nil
	}
	if pool := v1alpha1.ServedBy(ps).Pool; pool != "" {
		return []string{pool}, nil
	}
	return nil, nil
}

func poolServiceByLoadBalancerID(obj any) ([]string, error) {
	ps, ok := obj.(*v1alpha1.PoolService)
	if !ok {
		return nil, nil
	}
	if id := elbmodel.UserLoadBalancerID(ps); id != "" {
		return []string{id}, nil
	}
	return nil, nil
}

func nodeByPool(obj any) ([]string, error) {
	n, ok := obj.(*corev1.Node)
	if !ok || n.Labels[apis.LabelNodePool] == "" {
		return nil, nil
	}
	return []string{n.Labels[apis.LabelNodePool]}, nil
}

// poolServicesBy returns the PoolServices of the ELB class under an index value.
func (c *Controller) poolServicesBy(index, value string) []*v1alpha1.PoolService {
	objs, err := c.psIndexer.ByIndex(index, value)
	if err != nil {
		return nil
	}
	var out []*v1alpha1.PoolService
	for _, o := range objs {
		if ps, ok := o.(*v1alpha1.PoolService); ok && isELBClass(ps) {
			out = append(out, ps)
		}
	}
	return out
}

// poolNodes returns the nodes labelled into the pool.
func (c *Controller) poolNodes(pool string) []*corev1.Node {
	objs, _ := c.nodeIndexer.ByIndex(indexNodeByPool, pool)
	out := make([]*corev1.Node, 0, len(objs))
	for _, o := range objs {
		if n, ok := o.(*corev1.Node); ok {
			out = append(out, n)
		}
	}
	return out
}

func isELBClass(ps *v1alpha1.PoolService) bool {
	return ps.Spec.LoadBalancerClass != nil && *ps.Spec.LoadBalancerClass == apis.LoadBalancerClassELB
}
