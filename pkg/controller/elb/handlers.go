package elb

import (
	"maps"
	"reflect"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/informer"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

func (c *Controller) addHandlers(services, pools, poolServices, nodes, slices cache.SharedIndexInformer) error {
	// The initial lists enqueue each PoolService once (enqueueListed);
	// the other objects' initial adds add nothing to that.
	listed := func(obj any) {
		if ps, ok := obj.(*v1alpha1.PoolService); ok {
			c.enqueueListed(ps)
		}
	}
	for _, h := range []struct {
		inf     cache.SharedIndexInformer
		fn      func(old, cur any)
		initial func(obj any)
	}{
		{poolServices, c.onPoolService, listed},
		{services, c.onService, nil},
		{pools, c.onNodePool, nil},
		{nodes, c.onNode, nil},
		{slices, c.onEndpointSlice, nil},
	} {
		reg, err := h.inf.AddEventHandler(eventHandler(h.fn, h.initial))
		if err != nil {
			return err
		}
		c.synced = append(c.synced, reg.HasSynced)
	}
	return nil
}

// eventHandler funnels add/update/delete into fn(old, cur): old is nil on
// add, cur is nil on delete (tombstones unwrapped). An add of the initial
// list goes to initial instead (nowhere when it is nil).
func eventHandler(fn func(old, cur any), initial func(obj any)) cache.ResourceEventHandlerDetailedFuncs {
	return cache.ResourceEventHandlerDetailedFuncs{
		AddFunc: func(obj any, isInInitialList bool) {
			switch {
			case !isInInitialList:
				fn(nil, obj)
			case initial != nil:
				initial(obj)
			}
		},
		UpdateFunc: fn,
		DeleteFunc: func(obj any) { fn(informer.DeletedObject(obj), nil) },
	}
}

// enqueue queues ps after an event; the sync it causes reads fresh.
func (c *Controller) enqueue(ps *v1alpha1.PoolService) {
	key := keyOf(ps)
	c.resyncing.take(key)
	c.enqueueAt(key, eventPriority(ps))
}

// enqueueListed queues a PoolService of the informer's initial list (a
// start, a new leader). Nothing has changed, so one that serves is looked
// at as a resync would, at its level and with its shared reads: a restart
// at thousands of PoolServices costs about one read each and goes after
// the work still under way.
func (c *Controller) enqueueListed(ps *v1alpha1.PoolService) {
	if !isELBClass(ps) {
		return
	}
	if p := eventPriority(ps); p != cloud.PriorityUrgent {
		c.enqueueAt(keyOf(ps), p)
		return
	}
	c.resyncing.add(keyOf(ps))
	c.enqueueAt(keyOf(ps), cloud.PriorityBackground)
}

func (c *Controller) onPoolService(old, cur any) {
	o, _ := old.(*v1alpha1.PoolService)
	n, _ := cur.(*v1alpha1.PoolService)
	if o != nil && n != nil && !poolServiceChangedRelevantly(o, n) {
		return
	}
	for _, o := range []any{old, cur} {
		if ps, ok := o.(*v1alpha1.PoolService); ok && isELBClass(ps) {
			c.enqueue(ps)
			return
		}
	}
}

func (c *Controller) onService(old, cur any) {
	enqueueByIndex(c, indexByService, old, cur, serviceChangedRelevantly,
		func(s *corev1.Service) string { return s.Namespace + "/" + s.Name })
}

func (c *Controller) onNodePool(old, cur any) {
	enqueueByIndex(c, indexByPool, old, cur, poolChangedRelevantly,
		func(p *v1beta2.NodePool) string { return p.Name })
}

func (c *Controller) onNode(old, cur any) {
	enqueueByIndex(c, indexByPool, old, cur, nodeChangedRelevantly,
		func(n *corev1.Node) string { return n.Labels[apis.LabelNodePool] })
}

// onEndpointSlice enqueues the PoolServices of the slice's Service whose
// pool holds a node that gained or lost a ready endpoint: a pod moving in
// one pool leaves the Service's other pools' ELBs alone. A node not found
// (or a slice moved between Services) enqueues them all.
func (c *Controller) onEndpointSlice(old, cur any) {
	o, _ := old.(*discoveryv1.EndpointSlice)
	n, _ := cur.(*discoveryv1.EndpointSlice)
	if o != nil && n != nil && !sliceChangedRelevantly(o, n) {
		return
	}
	pools, known := c.poolsOf(changedReadyNodes(o, n))
	movedService := o != nil && n != nil && sliceService(o) != sliceService(n)
	c.enqueueIndexedPairWhere(indexByService, sliceService(o), sliceService(n), func(ps *v1alpha1.PoolService) bool {
		return !known || movedService || pools[v1alpha1.ServedBy(ps).Pool]
	})
}

// sliceService is the namespace/name key of a slice's Service; "" for none.
func sliceService(s *discoveryv1.EndpointSlice) string {
	if s == nil || s.Labels[discoveryv1.LabelServiceName] == "" {
		return ""
	}
	return s.Namespace + "/" + s.Labels[discoveryv1.LabelServiceName]
}

// changedReadyNodes are the nodes ready in one slice and not the other (a
// missing side has none).
func changedReadyNodes(o, n *discoveryv1.EndpointSlice) []string {
	var before, after map[string]bool
	if o != nil {
		before = readyNodes(o)
	}
	if n != nil {
		after = readyNodes(n)
	}
	var out []string
	for node := range before {
		if !after[node] {
			out = append(out, node)
		}
	}
	for node := range after {
		if !before[node] {
			out = append(out, node)
		}
	}
	return out
}

// poolsOf are the pools of nodes; known is false when a node is not in the
// cache (its pool cannot be told).
func (c *Controller) poolsOf(nodes []string) (pools map[string]bool, known bool) {
	pools = map[string]bool{}
	for _, name := range nodes {
		obj, ok, err := c.nodeIndexer.GetByKey(name)
		node, isNode := obj.(*corev1.Node)
		if err != nil || !ok || !isNode {
			return nil, false
		}
		pools[node.Labels[apis.LabelNodePool]] = true
	}
	return pools, true
}

// enqueueByIndex handles an event on an object PoolServices are looked up
// by: unless an update changed nothing relevant, it enqueues the
// PoolServices indexed under the old and the new object's value. A missing
// side (add, delete) or a foreign type has no value.
func enqueueByIndex[T any](c *Controller, index string, old, cur any, changed func(o, n *T) bool, value func(*T) string) {
	o, _ := old.(*T)
	n, _ := cur.(*T)
	if o != nil && n != nil && !changed(o, n) {
		return
	}
	valueOf := func(x *T) string {
		if x == nil {
			return ""
		}
		return value(x)
	}
	c.enqueueIndexedPair(index, valueOf(o), valueOf(n))
}

// enqueueIndexedPair enqueues the PoolServices indexed under an object's
// old and new values; "" is no value, and an unchanged value is looked up
// once.
func (c *Controller) enqueueIndexedPair(index, old, cur string) {
	c.enqueueIndexedPairWhere(index, old, cur, nil)
}

// enqueueIndexedPairWhere is enqueueIndexedPair for the PoolServices keep
// accepts (all when keep is nil).
func (c *Controller) enqueueIndexedPairWhere(index, old, cur string, keep func(*v1alpha1.PoolService) bool) {
	if old != "" {
		c.enqueueIndexed(index, old, keep)
	}
	if cur != "" && cur != old {
		c.enqueueIndexed(index, cur, keep)
	}
}

func (c *Controller) enqueueIndexed(index, value string, keep func(*v1alpha1.PoolService) bool) {
	for _, ps := range c.poolServicesBy(index, value) {
		if keep == nil || keep(ps) {
			c.enqueue(ps)
		}
	}
}

// poolServiceChangedRelevantly ignores status-only updates: the status is
// this controller's own output (drift is caught by the periodic resync).
func poolServiceChangedRelevantly(o, n *v1alpha1.PoolService) bool {
	return !equality.Semantic.DeepEqual(o.Spec, n.Spec) ||
		!reflect.DeepEqual(o.Annotations, n.Annotations) ||
		!reflect.DeepEqual(o.Labels, n.Labels) ||
		finalizersChangedRelevantly(o.Finalizers, n.Finalizers) ||
		!reflect.DeepEqual(o.OwnerReferences, n.OwnerReferences) ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}

// finalizersChangedRelevantly ignores our finalizer being added (our own
// write, made by the sync that is about to look again anyway: syncing on it
// spent a whole look of reads on an ELB still Creating); any other change,
// ours removed included, is looked at.
func finalizersChangedRelevantly(o, n []string) bool {
	if slices.Equal(o, n) {
		return false
	}
	ours := func(f string) bool { return f == apis.FinalizerELBResources }
	gainedOnlyOurs := !slices.ContainsFunc(o, ours) && slices.Equal(o, slices.DeleteFunc(slices.Clone(n), ours))
	return !gainedOnlyOurs
}

// serviceChangedRelevantly ignores what the PoolService fan-out writes
// back into the Service: its status (the ingress) and the aggregated.*
// annotations. Syncing again on those would only repeat the sync that
// caused them, and grow the wait of every PoolService that waits.
func serviceChangedRelevantly(o, n *corev1.Service) bool {
	return !equality.Semantic.DeepEqual(o.Spec, n.Spec) ||
		!maps.Equal(ownAnnotations(o.Annotations), ownAnnotations(n.Annotations)) ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}

// ownAnnotations are a Service's annotations but the aggregated ones.
func ownAnnotations(ann map[string]string) map[string]string {
	out := make(map[string]string, len(ann))
	for k, v := range ann {
		if !strings.HasPrefix(k, apis.AggregatedAnnotationPrefix) {
			out[k] = v
		}
	}
	return out
}

// poolChangedRelevantly: annotations (network), labels (selector match)
// and deletion matter; status (node counts) does not.
func poolChangedRelevantly(o, n *v1beta2.NodePool) bool {
	return !reflect.DeepEqual(o.Annotations, n.Annotations) ||
		!reflect.DeepEqual(o.Labels, n.Labels) ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}

// nodeChangedRelevantly ignores heartbeats: only labels (pool, instance id,
// backend filter), providerID, the Ready status and deletion matter.
func nodeChangedRelevantly(o, n *corev1.Node) bool {
	return !reflect.DeepEqual(o.Labels, n.Labels) ||
		o.Spec.ProviderID != n.Spec.ProviderID ||
		elbmodel.NodeReady(o) != elbmodel.NodeReady(n) ||
		(o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil)
}

// sliceChangedRelevantly: only the Service it belongs to and which nodes
// host a ready endpoint matter (addresses, ports, hints do not).
func sliceChangedRelevantly(o, n *discoveryv1.EndpointSlice) bool {
	return o.Labels[discoveryv1.LabelServiceName] != n.Labels[discoveryv1.LabelServiceName] ||
		!reflect.DeepEqual(readyNodes(o), readyNodes(n))
}

func readyNodes(s *discoveryv1.EndpointSlice) map[string]bool {
	out := map[string]bool{}
	for _, ep := range s.Endpoints {
		if ep.NodeName != nil && (ep.Conditions.Ready == nil || *ep.Conditions.Ready) {
			out[*ep.NodeName] = true
		}
	}
	return out
}
