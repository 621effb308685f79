package poolserviceset

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/cache"

	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// Index names. They are prefixed with the controller's name because the
// informers are shared with other controllers of the manager.
const (
	// PoolServiceByServiceIndex maps a PoolService to "<namespace>/<service>"
	// of the Service it serves (v1alpha1.ServedBy).
	PoolServiceByServiceIndex = "poolservice-set/by-service"
	// PoolServiceByPoolIndex maps a PoolService to the name of the pool it
	// serves (v1alpha1.ServedBy).
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

func indexPoolServiceByService(obj interface{}) ([]string, error) {
	ps, ok := obj.(*networkv1alpha1.PoolService)
	if !ok {
		return nil, fmt.Errorf("expected *PoolService, got %T", obj)
	}
	if key := serviceKeyOf(ps); key != "" {
		return []string{key}, nil
	}
	return nil, nil
}

func indexPoolServiceByPool(obj interface{}) ([]string, error) {
	ps, ok := obj.(*networkv1alpha1.PoolService)
	if !ok {
		return nil, fmt.Errorf("expected *PoolService, got %T", obj)
	}
	if pool := networkv1alpha1.ServedBy(ps).Pool; pool != "" {
		return []string{pool}, nil
	}
	return nil, nil
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

// serviceKeyOf is the key of the Service a PoolService serves
// (v1alpha1.ServedBy), "" if it names none. An edited label never moves a
// PoolService to another Service while an owner reference says otherwise.
func serviceKeyOf(ps *networkv1alpha1.PoolService) string {
	if name := networkv1alpha1.ServedBy(ps).Service; name != "" {
		return ps.Namespace + "/" + name
	}
	return ""
}
