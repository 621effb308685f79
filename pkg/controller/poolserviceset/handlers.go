package poolserviceset

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/informer"
)

func (c *Controller) enqueue(keys ...string) {
	for _, k := range keys {
		c.queue.Add(k)
	}
}

func (c *Controller) serviceHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj interface{}) {
			if svc, ok := obj.(*corev1.Service); ok && serviceRelevant(svc) {
				c.enqueue(cache.MetaObjectToName(svc).String())
			}
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			old, ok1 := oldObj.(*corev1.Service)
			cur, ok2 := newObj.(*corev1.Service)
			if !ok1 || !ok2 {
				return
			}
			if !wantsPoolServices(cur) ||
				old.Annotations[apis.AnnotationNodePoolSelector] != cur.Annotations[apis.AnnotationNodePoolSelector] {
				c.selectors.forget(cache.MetaObjectToName(cur))
			}
			if (serviceRelevant(old) || serviceRelevant(cur)) && serviceChanged(old, cur) {
				c.enqueue(cache.MetaObjectToName(cur).String())
			}
		},
		DeleteFunc: func(obj interface{}) {
			svc, ok := informer.DeletedObject(obj).(*corev1.Service)
			if !ok {
				return
			}
			c.selectors.forget(cache.MetaObjectToName(svc))
			// Leftover PoolServices of a Service that vanished without our
			// finalizer (e.g. force-removed) are deleted by its next sync.
			if serviceRelevant(svc) {
				c.enqueue(cache.MetaObjectToName(svc).String())
			}
		},
	}
}

// serviceRelevant: the Service is fanned out, or was (our finalizer is on it).
func serviceRelevant(svc *corev1.Service) bool {
	return wantsPoolServices(svc) || hasFinalizer(svc)
}

// serviceChanged reports a change the sync reacts to. Status is left out on
// purpose: our own status patches must not trigger syncs, and we do not
// fight another writer of it; a resync (same resourceVersion) passes.
func serviceChanged(old, cur *corev1.Service) bool {
	if old.ResourceVersion == cur.ResourceVersion {
		return true
	}
	return wantsPoolServices(old) != wantsPoolServices(cur) ||
		old.UID != cur.UID ||
		!equality.Semantic.DeepEqual(old.Spec.LoadBalancerClass, cur.Spec.LoadBalancerClass) ||
		old.Annotations[apis.AnnotationNodePoolSelector] != cur.Annotations[apis.AnnotationNodePoolSelector] ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil) ||
		hasFinalizer(old) != hasFinalizer(cur) ||
		!equality.Semantic.DeepEqual(aggregatedKeys(old.Annotations), aggregatedKeys(cur.Annotations)) ||
		!equality.Semantic.DeepEqual(aggregatedKeys(old.Labels), aggregatedKeys(cur.Labels))
}

// aggregatedKeys is the "aggregated." part of a map (someone editing it is
// repaired by a sync).
func aggregatedKeys(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if strings.HasPrefix(k, apis.AggregatedAnnotationPrefix) {
			out[k] = v
		}
	}
	return out
}

func (c *Controller) poolServiceHandler() cache.ResourceEventHandler {
	enqueueOwners := func(obj interface{}) {
		if ps, ok := informer.DeletedObject(obj).(*networkv1alpha1.PoolService); ok {
			if key := serviceKeyOf(ps); key != "" {
				c.enqueue(key)
			}
		}
	}
	return cache.ResourceEventHandlerFuncs{
		AddFunc: enqueueOwners,
		UpdateFunc: func(oldObj, newObj interface{}) {
			// Both versions: a PoolService without an owner reference moves
			// to another Service when its label is edited.
			enqueueOwners(oldObj)
			enqueueOwners(newObj)
		},
		DeleteFunc: enqueueOwners,
	}
}

func (c *Controller) nodePoolHandler() cache.ResourceEventHandler {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj interface{}, isInInitialList bool) {
			// A pool of the initial list needs no lookup: every Service and
			// PoolService of that list is delivered too and enqueues itself,
			// and workers start only once all caches are synced.
			if np, ok := obj.(*appsv1beta2.NodePool); ok && !isInInitialList {
				c.enqueue(c.serviceKeysForPools(np)...)
			}
		},
		UpdateFunc: func(oldObj, newObj interface{}) {
			old, ok1 := oldObj.(*appsv1beta2.NodePool)
			cur, ok2 := newObj.(*appsv1beta2.NodePool)
			if ok1 && ok2 && nodePoolChanged(old, cur) {
				c.enqueue(c.serviceKeysForPools(old, cur)...)
			}
		},
		DeleteFunc: func(obj interface{}) {
			if np, ok := informer.DeletedObject(obj).(*appsv1beta2.NodePool); ok {
				c.enqueue(c.serviceKeysForPools(np)...)
			}
		},
	}
}

// nodePoolChanged: only labels, identity and deletion matter to the fan-out
// (annotations and status matter to the elb controller, not here).
func nodePoolChanged(old, cur *appsv1beta2.NodePool) bool {
	return !labels.Equals(old.Labels, cur.Labels) || old.UID != cur.UID ||
		(old.DeletionTimestamp == nil) != (cur.DeletionTimestamp == nil)
}

// serviceKeysForPools returns, sorted, the Services affected by an event on
// these versions of a pool: those holding a PoolService in it (pool index)
// and the ELB Services whose selector matches one of them (ELB index).
func (c *Controller) serviceKeysForPools(pools ...*appsv1beta2.NodePool) []string {
	keys := sets.New[string]()
	for _, np := range pools {
		objs, _ := c.poolServiceIndexer.ByIndex(PoolServiceByPoolIndex, np.Name)
		for _, obj := range objs {
			if key := serviceKeyOf(obj.(*networkv1alpha1.PoolService)); key != "" {
				keys.Insert(key)
			}
		}
	}
	svcs, _ := c.serviceIndexer.ByIndex(ServiceELBIndex, elbIndexValue)
	for _, obj := range svcs {
		svc := obj.(*corev1.Service)
		key := cache.MetaObjectToName(svc)
		sel, err := c.selectors.get(key, svc.Annotations[apis.AnnotationNodePoolSelector])
		if err != nil {
			continue // reported by the Service's own sync
		}
		for _, np := range pools {
			if sel.Matches(labels.Set(np.Labels)) {
				keys.Insert(key.String())
				break
			}
		}
	}
	return sets.List(keys)
}
