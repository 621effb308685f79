package poolserviceset

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// Index names. They are prefixed with the controller's name because the
// informers are shared with other controllers of the manager.
const (
	// PoolServiceByServiceIndex maps a PoolService to "<namespace>/<service>"
	// from its service-name label and its controller owner reference.
	PoolServiceByServiceIndex = "poolservice-set/by-service"
	// PoolServiceByPoolIndex maps a PoolService to its pool name, from its
	// pool-name label and its NodePool owner reference.
	PoolServiceByPoolIndex = "poolservice-set/by-pool"
	// ServiceELBIndex puts every ELB-class LoadBalancer Service with a pool
	// selector under the single value elbIndexValue.
	ServiceELBIndex = "poolservice-set/elb-with-selector"

	elbIndexValue = "elb"
)

func poolServiceIndexers() cache.Indexers {
	return cache.Indexers{
		PoolServiceByServiceIndex: indexPoolServiceByService,
		PoolServiceByPoolIndex:    indexPoolServiceByPool,
	}
}

func serviceIndexers() cache.Indexers {
	return cache.Indexers{ServiceELBIndex: indexServiceELB}
}

// addIndexers adds the indexers the informer does not have yet, so that a
// second controller instance sharing the informer does not fail.
func addIndexers(inf cache.SharedIndexInformer, indexers cache.Indexers) error {
	have := inf.GetIndexer().GetIndexers()
	missing := cache.Indexers{}
	for name, fn := range indexers {
		if _, ok := have[name]; !ok {
			missing[name] = fn
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return inf.AddIndexers(missing)
}

func indexPoolServiceByService(obj interface{}) ([]string, error) {
	ps, ok := obj.(*networkv1alpha1.PoolService)
	if !ok {
		return nil, fmt.Errorf("expected *PoolService, got %T", obj)
	}
	return serviceKeysOf(ps), nil
}

func indexPoolServiceByPool(obj interface{}) ([]string, error) {
	ps, ok := obj.(*networkv1alpha1.PoolService)
	if !ok {
		return nil, fmt.Errorf("expected *PoolService, got %T", obj)
	}
	pools := sets.New[string]()
	if p := ps.Labels[apis.LabelPoolName]; p != "" {
		pools.Insert(p)
	}
	for _, ref := range ps.OwnerReferences {
		if isNodePoolRef(ref) {
			pools.Insert(ref.Name)
		}
	}
	return sets.List(pools), nil
}

func indexServiceELB(obj interface{}) ([]string, error) {
	svc, ok := obj.(*corev1.Service)
	if !ok {
		return nil, fmt.Errorf("expected *Service, got %T", obj)
	}
	if wantsPoolServices(svc) {
		return []string{elbIndexValue}, nil
	}
	return nil, nil
}

// serviceKeysOf returns the keys of the Services a PoolService may belong to:
// the one its label names and the one that controls it (they differ only
// when someone edited the label, which the owner's sync repairs).
func serviceKeysOf(ps *networkv1alpha1.PoolService) []string {
	keys := sets.New[string]()
	if name := ps.Labels[apis.LabelServiceName]; name != "" {
		keys.Insert(ps.Namespace + "/" + name)
	}
	for _, ref := range ps.OwnerReferences {
		if ref.Controller != nil && *ref.Controller && ref.APIVersion == "v1" && ref.Kind == "Service" {
			keys.Insert(ps.Namespace + "/" + ref.Name)
		}
	}
	return sets.List(keys)
}
