package elb

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
)

func TestNodeChangedRelevantly(t *testing.T) {
	base := newNode("n1", "np-hefei", "i-1", true)
	base.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Unix(1, 0))
	tests := []struct {
		name string
		edit func(*corev1.Node)
		want bool
	}{
		{"heartbeat only", func(n *corev1.Node) {
			n.ResourceVersion = "2"
			n.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Unix(99, 0))
		}, false},
		{"other condition", func(n *corev1.Node) {
			n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{Type: corev1.NodeMemoryPressure, Status: "True"})
		}, false},
		{"NotReady", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }, true},
		{"pool label", func(n *corev1.Node) { n.Labels[apis.LabelNodePool] = "np-chengdu" }, true},
		{"instance label", func(n *corev1.Node) { n.Labels[apis.LabelENSInstanceID] = "i-2" }, true},
		{"providerID", func(n *corev1.Node) { n.Spec.ProviderID = "alicloud://r.i-3" }, true},
		{"deleting", func(n *corev1.Node) { n.DeletionTimestamp = &metav1.Time{} }, true},
	}
	for _, tt := range tests {
		n := base.DeepCopy()
		tt.edit(n)
		if got := nodeChangedRelevantly(base, n); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSliceChangedRelevantly(t *testing.T) {
	base := newSlice("cube-svc", "n1", "n2")
	tests := []struct {
		name string
		edit func(*discoveryv1.EndpointSlice)
		want bool
	}{
		{"resourceVersion only", func(s *discoveryv1.EndpointSlice) { s.ResourceVersion = "9" }, false},
		{"address changed", func(s *discoveryv1.EndpointSlice) { s.Endpoints[0].Addresses = []string{"172.16.9.9"} }, false},
		{"second endpoint on a node", func(s *discoveryv1.EndpointSlice) {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{NodeName: ptr.To("n1")})
		}, false},
		{"endpoint not ready", func(s *discoveryv1.EndpointSlice) { s.Endpoints[1].Conditions.Ready = ptr.To(false) }, true},
		{"endpoint moved", func(s *discoveryv1.EndpointSlice) { s.Endpoints[1].NodeName = ptr.To("n3") }, true},
		{"service label", func(s *discoveryv1.EndpointSlice) { s.Labels[discoveryv1.LabelServiceName] = "x" }, true},
	}
	for _, tt := range tests {
		s := base.DeepCopy()
		tt.edit(s)
		if got := sliceChangedRelevantly(base, s); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestServiceAndPoolChangedRelevantly(t *testing.T) {
	svc := newService("cube-svc", "Local", nil)
	st := svc.DeepCopy()
	st.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}
	if serviceChangedRelevantly(svc, st) {
		t.Error("status-only Service update counted")
	}
	ann := svc.DeepCopy()
	ann.Annotations[apis.AnnotationEIPBandwidth] = "20"
	if !serviceChangedRelevantly(svc, ann) {
		t.Error("annotation change ignored")
	}
	agg := svc.DeepCopy()
	agg.Annotations[apis.AggregatedAnnotationPrefix+apis.AnnotationLoadBalancerID] = "lb-1,lb-2"
	if serviceChangedRelevantly(svc, agg) {
		t.Error("the fan-out's aggregated.* annotation counted: every PoolService of the Service would sync again")
	}
	psOld := newPoolService("cube-svc", "np-hefei", nil)
	psNew := psOld.DeepCopy()
	psNew.Status.Conditions = []metav1.Condition{{Type: apis.ConditionReady, Status: "True"}}
	if poolServiceChangedRelevantly(psOld, psNew) {
		t.Error("PoolService status-only update counted")
	}
	psNew.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-1"}
	if !poolServiceChangedRelevantly(psOld, psNew) {
		t.Error("PoolService ELB-id annotation ignored")
	}
	p := newPool("np-hefei")
	ps := p.DeepCopy()
	ps.Status.ReadyNodeNum = 3
	if poolChangedRelevantly(p, ps) {
		t.Error("pool status update counted")
	}
	pa := p.DeepCopy()
	pa.Annotations[apis.AnnotationPoolNetworkID] = "n-x"
	if !poolChangedRelevantly(p, pa) {
		t.Error("pool annotation change ignored")
	}
}

// TestEventMapping checks each event reaches the PoolServices it affects.
func TestEventMapping(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, "Local")
	// drain collects what the handlers enqueue until the queue has stayed
	// empty for a while: h.update waits for the caches, but the handlers
	// run after the cache is updated, on their own goroutines.
	drain := func() map[string]bool {
		out := map[string]bool{}
		quietSince := time.Now()
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
			if h.c.queue.Len() == 0 {
				if time.Since(quietSince) > 150*time.Millisecond {
					break
				}
				time.Sleep(5 * time.Millisecond)
				continue
			}
			k, _ := h.c.queue.Get()
			out[k] = true
			h.c.queue.Done(k)
			h.c.queue.Forget(k)
			quietSince = time.Now()
		}
		return out
	}
	drain()
	n := newNode("hefei-1", "np-hefei", "i-hefei-1", false)
	h.update(n)
	if got := drain(); len(got) != 1 || !got[hefeiKey] {
		t.Errorf("node event enqueued %v", got)
	}
	h.update(newSlice("cube-svc", "hefei-2"))
	if got := drain(); len(got) != 2 {
		t.Errorf("slice event enqueued %v", got)
	}
	p := newPool("np-chengdu")
	p.Annotations[apis.AnnotationPoolVSwitchIDs] = "vsw-chengdu-1,vsw-x"
	h.update(p)
	if got := drain(); len(got) != 1 || !got[chengduKey] {
		t.Errorf("pool event enqueued %v", got)
	}
	h.update(newSlice("cube-svc", "hefei-2")) // nothing relevant changed
	h.update(newNode("hefei-1", "np-hefei", "i-hefei-1", false))
	if got := drain(); len(got) != 0 {
		t.Errorf("irrelevant updates enqueued %v", got)
	}
}

// TestHandlersLookUpOncePerValue: an update whose index value (pool,
// Service) did not change enqueues each PoolService once; a node moving
// between pools enqueues both pools' PoolServices.
func TestHandlersLookUpOncePerValue(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, "Local")
	h.settle()
	// A copy of the controller with its own counting queue: the informers'
	// handlers keep using h.c's.
	q := &benchCountingQueue{TypedRateLimitingInterface: workqueue.NewTypedRateLimitingQueue(
		workqueue.DefaultTypedControllerRateLimiter[string]())}
	defer q.ShutDown()
	c := *h.c
	c.queue = q
	count := func(event func()) int64 {
		q.adds.Store(0)
		event()
		return q.adds.Load()
	}
	node := newNode("hefei-1", "np-hefei", "i-hefei-1", true)
	notReady := newNode("hefei-1", "np-hefei", "i-hefei-1", false)
	moved := newNode("hefei-1", "np-chengdu", "i-hefei-1", true)
	svc := newService("cube-svc", "Local", nil)
	svcEdited := svc.DeepCopy()
	svcEdited.Annotations[apis.AnnotationEIPBandwidth] = "20"
	pool := newPool("np-hefei")
	poolEdited := pool.DeepCopy()
	poolEdited.Annotations[apis.AnnotationPoolVSwitchIDs] = "vsw-hefei-2"
	slice := newSlice("cube-svc", "hefei-1")
	sliceMoved := newSlice("cube-svc", "hefei-2")
	sliceToChengdu := newSlice("cube-svc", "chengdu-1")
	sliceUnknown := newSlice("cube-svc", "hefei-1", "no-such-node")
	for _, tc := range []struct {
		name  string
		event func()
		want  int64
	}{
		{"node NotReady", func() { c.onNode(node, notReady) }, 1},
		{"node moved between pools", func() { c.onNode(node, moved) }, 2},
		{"node added", func() { c.onNode(nil, node) }, 1},
		{"Service edited", func() { c.onService(svc, svcEdited) }, 2},
		{"Service deleted", func() { c.onService(svc, nil) }, 2},
		{"pool edited", func() { c.onNodePool(pool, poolEdited) }, 1},
		// Only the pools of nodes that gained or lost a ready endpoint.
		{"slice endpoint moved within a pool", func() { c.onEndpointSlice(slice, sliceMoved) }, 1},
		{"slice endpoint moved to another pool", func() { c.onEndpointSlice(slice, sliceToChengdu) }, 2},
		{"slice added", func() { c.onEndpointSlice(nil, slice) }, 1},
		{"slice of an unknown node", func() { c.onEndpointSlice(slice, sliceUnknown) }, 2},
	} {
		if got := count(tc.event); got != tc.want {
			t.Errorf("%s enqueued %d keys, want %d", tc.name, got, tc.want)
		}
	}
}

// The indexers read what a PoolService serves the one way the controllers
// do: owner references first, so an edited label does not hide it from
// its own Service's and pool's events.
func TestIndexersFollowOwnerReferences(t *testing.T) {
	ps := newPoolService("cube-svc", "np-hefei", nil)
	ps.Labels[apis.LabelServiceName], ps.Labels[apis.LabelPoolName] = "edited", "np-chengdu"
	ps.OwnerReferences = []metav1.OwnerReference{
		{APIVersion: "v1", Kind: "Service", Name: "cube-svc", Controller: ptr.To(true)},
		{APIVersion: "apps.openyurt.io/v1beta2", Kind: "NodePool", Name: "np-hefei"},
	}
	if got, _ := poolServiceByService(ps); !slices.Equal(got, []string{"default/cube-svc"}) {
		t.Errorf("by service = %v", got)
	}
	if got, _ := poolServiceByPool(ps); !slices.Equal(got, []string{"np-hefei"}) {
		t.Errorf("by pool = %v", got)
	}
}

// TestDeleteEventsReachTheHandlerUnwrapped: a delete whose final state the
// informer missed arrives as a tombstone; the handler sees the object
// either way, as the old side of the event.
func TestDeleteEventsReachTheHandlerUnwrapped(t *testing.T) {
	ps := newPoolService("cube-svc", "np-hefei", nil)
	for _, tt := range []struct {
		name string
		obj  any
	}{
		{"the object", ps},
		{"a tombstone", cache.DeletedFinalStateUnknown{Key: hefeiKey, Obj: ps}},
	} {
		var gotOld, gotCur any
		eventHandler(func(old, cur any) { gotOld, gotCur = old, cur }, nil).OnDelete(tt.obj)
		if gotOld != any(ps) || gotCur != nil {
			t.Errorf("%s: handler got (%v, %v), want (the PoolService, nil)", tt.name, gotOld, gotCur)
		}
	}
}

// TestServicePredicatesAreTheModels: the sharing and cleanup rules ask the
// model which Services use a user's ELB (leniently: a malformed value is
// no, and another malformed annotation does not change the answer) and
// which keep traffic local.
func TestServicePredicatesAreTheModels(t *testing.T) {
	for _, tt := range []struct {
		name string
		ann  map[string]string
		want bool
	}{
		{"no annotation", nil, false},
		{"true", map[string]string{apis.AnnotationManagedByUser: "true"}, true},
		{"false", map[string]string{apis.AnnotationManagedByUser: "false"}, false},
		{"malformed", map[string]string{apis.AnnotationManagedByUser: "yes please"}, false},
		{"true, another annotation malformed", map[string]string{apis.AnnotationManagedByUser: "true",
			apis.AnnotationEIPBandwidth: "lots"}, true},
	} {
		svc := newService("cube-svc", "Cluster", tt.ann)
		if got := elbmodel.ManagedByUser(svc.Annotations); got != tt.want {
			t.Errorf("%s: ManagedByUser = %v, want %v", tt.name, got, tt.want)
		}
		if cfg, err := elbmodel.ParseAnnotations(svc.Annotations); err == nil && cfg.ManagedByUser != tt.want {
			t.Errorf("%s: ParseAnnotations says ManagedByUser %v, ManagedByUser %v", tt.name, cfg.ManagedByUser, tt.want)
		}
	}
	for _, tt := range []struct {
		policy corev1.ServiceExternalTrafficPolicy
		want   bool
	}{{"Local", true}, {"Cluster", false}, {"", false}} {
		if got := elbmodel.LocalTraffic(newService("cube-svc", tt.policy, nil)); got != tt.want {
			t.Errorf("policy %q: LocalTraffic = %v, want %v", tt.policy, got, tt.want)
		}
	}
}

func TestFinalizersChangedRelevantly(t *testing.T) {
	ours, other := apis.FinalizerELBResources, "example.com/other"
	for _, tc := range []struct {
		old, cur []string
		want     bool
	}{
		{nil, nil, false},
		{nil, []string{ours}, false},                    // our own write
		{[]string{other}, []string{other, ours}, false}, // ours added beside another
		{[]string{ours}, nil, true},                     // ours removed by someone: re-add it
		{[]string{ours}, []string{ours, other}, true},   // someone else's added
		{[]string{other}, []string{ours}, true},         // another removed
		{[]string{other, ours}, []string{ours}, true},   //
		{[]string{ours, other}, []string{ours, other}, false},
	} {
		if got := finalizersChangedRelevantly(tc.old, tc.cur); got != tc.want {
			t.Errorf("%v → %v: %v, want %v", tc.old, tc.cur, got, tc.want)
		}
	}
}

// TestInitialListAddsGoToInitial: an add of the informer's initial list
// goes to the initial handler (or nowhere), a later add to the handler.
func TestInitialListAddsGoToInitial(t *testing.T) {
	var events, initial []any
	h := eventHandler(func(old, cur any) { events = append(events, cur) }, func(obj any) { initial = append(initial, obj) })
	h.OnAdd("listed", true)
	h.OnAdd("added", false)
	if !slices.Equal(events, []any{"added"}) || !slices.Equal(initial, []any{"listed"}) {
		t.Errorf("handler got %v, initial got %v", events, initial)
	}
	events = nil
	eventHandler(func(old, cur any) { events = append(events, cur) }, nil).OnAdd("listed", true)
	if len(events) != 0 {
		t.Errorf("without an initial handler a listed add reached the handler: %v", events)
	}
}

// TestListedPoolServicesAreLookedAtAsAResync: at a start, a serving
// PoolService of the initial list waits at the background level with the
// resync's shared reads; one not serving yet is new work, read fresh; a
// later event on a serving one is urgent and drops the shared-read mark.
func TestListedPoolServicesAreLookedAtAsAResync(t *testing.T) {
	c := &Controller{queue: newQueue(), resyncing: &keySet{}}
	defer c.queue.ShutDown()
	serving := newPoolService("cube-svc", "np-hefei", nil)
	meta.SetStatusCondition(&serving.Status.Conditions, metav1.Condition{Type: apis.ConditionReady, Status: metav1.ConditionTrue, Reason: "R"})
	fresh := newPoolService("cube-svc", "np-chengdu", nil)
	c.enqueueListed(serving)
	c.enqueueListed(fresh)
	take := func() (string, cloud.Priority, bool) {
		key, _ := c.queue.Get()
		defer c.queue.Done(key)
		return key, c.takenAt(key), c.resyncing.take(key)
	}
	if key, p, shared := take(); key != keyOf(fresh) || p != cloud.PriorityNormal || shared {
		t.Errorf("first: %s at %s shared=%v; want the not-serving one, normal, fresh reads", key, p, shared)
	}
	if key, p, shared := take(); key != keyOf(serving) || p != cloud.PriorityBackground || !shared {
		t.Errorf("second: %s at %s shared=%v; want the serving one, background, shared reads", key, p, shared)
	}
	c.enqueueListed(serving)
	c.enqueue(serving)
	if key, p, shared := take(); key != keyOf(serving) || p != cloud.PriorityUrgent || shared {
		t.Errorf("after an event: %s at %s shared=%v; want urgent, fresh reads", key, p, shared)
	}
}
