package elb

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2/ktesting"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/elbmodel"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

const (
	clusterID  = "c-test"
	hefeiKey   = "default/cube-svc-np-hefei"
	chengduKey = "default/cube-svc-np-chengdu"
	hefeiName  = "k8s/cube-svc/default/np-hefei/c-test"
	chengName  = "k8s/cube-svc/default/np-chengdu/c-test"
)

// harness is a controller with fake clientsets, real informers and the
// real ENS client talking to an emulator over loopback.
type harness struct {
	t        *testing.T
	ctx      context.Context
	env      *emulatortest.Env
	emu      *ensemulator.Emulator
	cloud    cloud.Cloud // what the controller calls
	user     *ens.Client // the same client, for what a test does as a user
	kube     *k8sfake.Clientset
	yurt     *yurtfake.Clientset
	recorder *record.FakeRecorder
	clock    *testclock.FakeClock
	c        *Controller
}

func newHarness(t *testing.T, opts ...emulatortest.Option) *harness {
	return newHarnessWithCloud(t, nil, opts...)
}

// newHarnessWithCloud lets a test wrap the cloud client.
func newHarnessWithCloud(t *testing.T, wrap func(cloud.Cloud) cloud.Cloud, opts ...emulatortest.Option) *harness {
	return newHarnessConfigured(t, wrap, nil, opts...)
}

// newHarnessConfigured also lets a test change the controller's Config.
func newHarnessConfigured(t *testing.T, wrap func(cloud.Cloud) cloud.Cloud, configure func(*Config), opts ...emulatortest.Option) *harness {
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	env := emulatortest.Start(t, append(realisticEmulator(), opts...)...)
	h := &harness{t: t, ctx: ctx, env: env, emu: env.Emulator, kube: k8sfake.NewSimpleClientset(),
		yurt: yurtfake.NewSimpleClientset(), recorder: record.NewFakeRecorder(10000),
		clock: testclock.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))}
	h.user = enstest.NewClient(t, env)
	h.cloud = h.user
	if wrap != nil {
		h.cloud = wrap(h.cloud)
	}
	kinf := informers.NewSharedInformerFactory(h.kube, 0)
	yinf := externalversions.NewSharedInformerFactory(h.yurt, 0)
	cfg := Config{ClusterID: clusterID, RequeueDelay: 10 * time.Millisecond, EIPReadSpacing: time.Millisecond, GCOrphans: true,
		OrphanGracePeriod: time.Minute, ResyncPeriod: time.Hour, Clock: h.clock}
	if configure != nil {
		configure(&cfg)
	}
	c, err := NewController(ctx, cfg,
		h.kube, h.yurt, h.cloud, kinf.Core().V1().Services(), yinf.Apps().V1beta2().NodePools().Informer(),
		yinf.Network().V1alpha1().PoolServices(), kinf.Core().V1().Nodes(), kinf.Discovery().V1().EndpointSlices(), h.recorder)
	if err != nil {
		t.Fatal(err)
	}
	h.c = c
	go c.owned.Run(ctx)
	kinf.Start(ctx.Done())
	yinf.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), append(c.synced, c.owned.HasSynced)...) {
		t.Fatal("caches did not sync")
	}
	return h
}

// The controller tests run against real ENS's timing, scaled down, and its
// listener rules. Whether a running listener takes Set…ListenerAttribute
// is documented for HTTP only, so `make test` runs this package both ways.
var setRequiresStopped = flag.Bool("set-requires-stopped-listener", true,
	"the emulator refuses Set...ListenerAttribute on a running listener")

// realisticTimingScale turns seconds of real ENS into tens of milliseconds.
const realisticTimingScale = 1.0 / 50

func realisticEmulator() []emulatortest.Option {
	return []emulatortest.Option{emulatortest.WithRealisticTiming(realisticTimingScale),
		emulatortest.WithConfig(func(c *ensemulator.Config) { c.SetRequiresStoppedListener = *setRequiresStopped })}
}

// instantEmulator settles every transition at once: for the tests that
// count the calls or syncs of each step, which waiting would blur.
func instantEmulator() emulatortest.Option {
	return emulatortest.WithConfig(func(c *ensemulator.Config) {
		c.ActiveDelay, c.ListenerTransitionDelay, c.EIPTransitionDelay, c.ListenerReleaseDelay = 0, 0, 0, 0
	})
}

// --- the walkthrough's objects ---

var pools = map[string][3]string{
	"np-hefei":   {"cn-hefei-cmcc-2", "n-hefei", "vsw-hefei-1,vsw-hefei-2"},
	"np-chengdu": {"cn-chengdu-telecom-4", "n-chengdu", "vsw-chengdu-1"},
}

func newPool(name string) *v1beta2.NodePool {
	p := pools[name]
	return &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"k8s-svc": "cube"},
		Annotations: map[string]string{apis.AnnotationPoolRegionID: p[0], apis.AnnotationPoolNetworkID: p[1], apis.AnnotationPoolVSwitchIDs: p[2]}}}
}

func newNode(name, pool, instance string, ready bool) *corev1.Node {
	st := corev1.ConditionTrue
	if !ready {
		st = corev1.ConditionFalse
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{apis.LabelNodePool: pool, apis.LabelENSInstanceID: instance}},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}},
	}
}

func newService(name string, policy corev1.ServiceExternalTrafficPolicy, ann map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "cube", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30081}}
	}
	a := map[string]string{apis.AnnotationNodePoolSelector: "k8s-svc=cube", apis.AnnotationTopologyKeys: "openyurt.io/nodepool"}
	for k, v := range ann {
		a[k] = v
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Annotations: a},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			ExternalTrafficPolicy: policy, Ports: ports, Selector: map[string]string{"app": "cube"}},
	}
}

func newSlice(svc string, readyNodes ...string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc + "-abc", Namespace: "default",
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}, AddressType: discoveryv1.AddressTypeIPv4}
	for i, n := range readyNodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("172.16.0.%d", i+1)},
			NodeName: ptr.To(n), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	return s
}

func newPoolService(svc, pool string, ann map[string]string) *v1alpha1.PoolService {
	name := svc + "-" + pool
	return &v1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name), Annotations: ann,
			Labels: map[string]string{apis.LabelServiceName: svc, apis.LabelPoolName: pool, apis.LabelManagedBy: apis.ManagedByValue}},
		Spec: v1alpha1.PoolServiceSpec{LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB)},
	}
}

// seedWalkthrough creates both pools, four nodes, cube-svc with ready
// endpoints on every node, and its two PoolServices.
func (h *harness) seedWalkthrough(svcAnn map[string]string, policy corev1.ServiceExternalTrafficPolicy) {
	for name := range pools {
		h.create(newPool(name))
	}
	for _, n := range []*corev1.Node{newNode("hefei-1", "np-hefei", "i-hefei-1", true), newNode("hefei-2", "np-hefei", "i-hefei-2", true),
		newNode("chengdu-1", "np-chengdu", "i-chengdu-1", true), newNode("chengdu-2", "np-chengdu", "i-chengdu-2", true)} {
		h.create(n)
	}
	h.create(newService("cube-svc", policy, svcAnn))
	h.create(newSlice("cube-svc", "hefei-1", "hefei-2", "chengdu-1", "chengdu-2"))
	h.create(newPoolService("cube-svc", "np-hefei", nil))
	h.create(newPoolService("cube-svc", "np-chengdu", nil))
}

// --- API helpers: every write waits until the informers have seen it ---

func (h *harness) create(obj runtime.Object) {
	h.t.Helper()
	var err error
	switch o := obj.(type) {
	case *corev1.Node:
		_, err = h.kube.CoreV1().Nodes().Create(h.ctx, o, metav1.CreateOptions{})
	case *corev1.Service:
		_, err = h.kube.CoreV1().Services(o.Namespace).Create(h.ctx, o, metav1.CreateOptions{})
	case *discoveryv1.EndpointSlice:
		_, err = h.kube.DiscoveryV1().EndpointSlices(o.Namespace).Create(h.ctx, o, metav1.CreateOptions{})
	case *v1beta2.NodePool:
		_, err = h.yurt.AppsV1beta2().NodePools().Create(h.ctx, o, metav1.CreateOptions{})
	case *v1alpha1.PoolService:
		_, err = h.yurt.NetworkV1alpha1().PoolServices(o.Namespace).Create(h.ctx, o, metav1.CreateOptions{})
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

func (h *harness) update(obj runtime.Object) {
	h.t.Helper()
	var err error
	switch o := obj.(type) {
	case *corev1.Node:
		_, err = h.kube.CoreV1().Nodes().Update(h.ctx, o, metav1.UpdateOptions{})
	case *corev1.Service:
		_, err = h.kube.CoreV1().Services(o.Namespace).Update(h.ctx, o, metav1.UpdateOptions{})
	case *discoveryv1.EndpointSlice:
		_, err = h.kube.DiscoveryV1().EndpointSlices(o.Namespace).Update(h.ctx, o, metav1.UpdateOptions{})
	case *v1beta2.NodePool:
		_, err = h.yurt.AppsV1beta2().NodePools().Update(h.ctx, o, metav1.UpdateOptions{})
	case *v1alpha1.PoolService:
		_, err = h.yurt.NetworkV1alpha1().PoolServices(o.Namespace).Update(h.ctx, o, metav1.UpdateOptions{})
	}
	if err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

func (h *harness) service(name string) *corev1.Service {
	s, err := h.kube.CoreV1().Services("default").Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func (h *harness) poolService(key string) *v1alpha1.PoolService {
	h.t.Helper()
	ns, name, _ := cache.SplitMetaNamespaceKey(key)
	ps, err := h.yurt.NetworkV1alpha1().PoolServices(ns).Get(h.ctx, name, metav1.GetOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	return ps
}

// markDeleted sets deletionTimestamp the way the API server does for an
// object with finalizers (the fake clientset deletes at once otherwise).
func (h *harness) markDeleted(key string) {
	ps := h.poolService(key)
	ps.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	h.update(ps)
}

// settle waits until every informer cache equals the fake API's content.
func (h *harness) settle() {
	h.t.Helper()
	err := wait.PollUntilContextTimeout(h.ctx, 2*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		return h.cachesMatch(), nil
	})
	if err != nil {
		h.t.Fatal("informers did not catch up with the fake API")
	}
}

func (h *harness) cachesMatch() bool {
	c := h.c
	pss, _ := h.yurt.NetworkV1alpha1().PoolServices("").List(h.ctx, metav1.ListOptions{})
	cachedPS, _ := c.poolServices.List(labels.Everything())
	svcs, _ := h.kube.CoreV1().Services("").List(h.ctx, metav1.ListOptions{})
	cachedSvc, _ := c.services.List(labels.Everything())
	nodes, _ := h.kube.CoreV1().Nodes().List(h.ctx, metav1.ListOptions{})
	slices, _ := h.kube.DiscoveryV1().EndpointSlices("").List(h.ctx, metav1.ListOptions{})
	cachedSlices, _ := c.slices.List(labels.Everything())
	nps, _ := h.yurt.AppsV1beta2().NodePools().List(h.ctx, metav1.ListOptions{})
	cachedNP, _ := c.pools.List(labels.Everything())
	return sameSet(pss.Items, cachedPS) && sameSet(svcs.Items, cachedSvc) && sameSet(slices.Items, cachedSlices) &&
		sameSet(nps.Items, cachedNP) && sameSet(nodes.Items, c.nodeIndexer.List())
}

// sameSet compares API items with cached pointers by JSON fingerprint.
func sameSet[T any, C any](items []T, cached []C) bool {
	if len(items) != len(cached) {
		return false
	}
	want := map[string]bool{}
	for i := range items {
		want[fingerprint(&items[i])] = true
	}
	for _, c := range cached {
		if !want[fingerprint(c)] {
			return false
		}
	}
	return true
}

func fingerprint(obj any) string {
	if o, ok := obj.(runtime.Object); ok {
		obj = o.DeepCopyObject()
		obj.(runtime.Object).GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	}
	b, _ := json.Marshal(obj)
	return string(b)
}

// --- driving syncs ---

// syncOnce settles the caches and runs one sync of key.
func (h *harness) syncOnce(key string) (time.Duration, error) {
	h.t.Helper()
	h.settle()
	after, err := h.c.sync(h.ctx, key)
	h.settle()
	return after, err
}

// converge syncs each key until it asks for no requeue and the cloud has
// come to rest (nothing in transition), so a test judges the state both
// end in; errors fail the test.
func (h *harness) converge(keys ...string) {
	h.t.Helper()
	for _, key := range keys {
		for round := 0; ; round++ {
			if round > 50 {
				h.t.Fatalf("%s did not converge", key)
			}
			after, err := h.syncOnce(key)
			if err != nil {
				h.t.Fatalf("sync %s: %v", key, err)
			}
			if after == 0 && h.emu.Settled() {
				break
			}
			h.pause(after)
		}
	}
}

// pause sleeps until the look a sync asked for, or, when it asked for none
// but the emulator is still in transition, a requeue delay: a plan applied
// in full needs no look, and ENS settles by itself meanwhile.
func (h *harness) pause(after time.Duration) {
	if after <= 0 {
		after = h.c.cfg.RequeueDelay
	}
	time.Sleep(after)
}

// waitSettled waits until nothing in the emulator is in transition, as a
// test must between its own calls that real ENS refuses mid-transition.
func (h *harness) waitSettled() {
	h.t.Helper()
	h.waitFor("the emulator to settle", h.emu.Settled)
}

// convergeThroughErrors is converge that tolerates failing syncs (faults).
func (h *harness) convergeThroughErrors(key string) {
	h.t.Helper()
	for round := 0; round < 30; round++ {
		after, err := h.syncOnce(key)
		if err == nil && after == 0 && h.emu.Settled() {
			return
		}
		h.pause(after)
	}
	h.t.Fatalf("%s did not converge through errors", key)
}

// events drains the recorded events.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

func hasEvent(events []string, typ, reason, contains string) bool {
	for _, e := range events {
		if strings.HasPrefix(e, typ+" "+reason+" ") && strings.Contains(e, contains) {
			return true
		}
	}
	return false
}

// --- emulator inventory helpers ---

func (h *harness) lbsNamed(name string) []ensemulator.LoadBalancer {
	return h.emu.Inventory().LoadBalancersNamed(name)
}

func (h *harness) lb(id string) ensemulator.LoadBalancer {
	lb := h.emu.Inventory().LoadBalancer(id)
	if lb == nil {
		h.t.Fatalf("ELB %s not in the inventory", id)
	}
	return *lb
}

func (h *harness) eipsNamed(name string) []ensemulator.EIP {
	return h.emu.Inventory().EIPsNamed(name)
}

func (h *harness) eip(id string) ensemulator.EIP {
	e := h.emu.Inventory().EIP(id)
	if e == nil {
		h.t.Fatalf("EIP %s not in the inventory", id)
	}
	return *e
}

// listeners renders an ELB's listeners as "TCP:80->30081 Running desc".
func listeners(lb ensemulator.LoadBalancer) []string {
	var out []string
	for _, l := range lb.Listeners {
		out = append(out, fmt.Sprintf("%s:%d->%d %s %s", l.Protocol, l.Port, l.BackendServerPort, l.Status, l.Description))
	}
	return out
}

// backends renders an ELB's backends as sorted "i-x:port/weight".
func backends(lb ensemulator.LoadBalancer) []string {
	b := make([]cloud.Backend, 0, len(lb.Backends))
	for _, x := range lb.Backends {
		b = append(b, cloud.Backend{ServerID: x.ServerID, Port: x.Port, Weight: x.Weight})
	}
	elbmodel.SortBackends(b)
	var out []string
	for _, x := range b {
		out = append(out, fmt.Sprintf("%s:%d/%d", x.ServerID, x.Port, x.Weight))
	}
	return out
}

// condition returns "Status/Reason" of a PoolService condition.
func condition(ps *v1alpha1.PoolService, typ string) string {
	for _, c := range ps.Status.Conditions {
		if c.Type == typ {
			return string(c.Status) + "/" + c.Reason
		}
	}
	return ""
}

func ingress(ps *v1alpha1.PoolService) []string {
	var out []string
	for _, i := range ps.Status.LoadBalancer.Ingress {
		out = append(out, i.IP)
	}
	return out
}

type invT = ensemulator.Inventory

func defaultInventoryWith(edit func(*invT)) invT {
	inv := ensemulator.DefaultInventory()
	edit(&inv)
	return inv
}

func itoa(i int) string { return strconv.Itoa(i) }

func sortedStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// record writes an ownership record, as if the controller had created ids
// (lb- and eip- ids) under name.
func (h *harness) record(name string, ids ...string) {
	h.t.Helper()
	_, err := h.c.owned.Update(h.ctx, name, func(r *ownership.Record) {
		for _, id := range ids {
			kind := ownership.LoadBalancer
			if strings.HasPrefix(id, "eip-") {
				kind = ownership.EIP
			}
			r.Add(kind, ownership.Entry{Token: "test-" + id, ID: id, Since: h.clock.Now()})
		}
	})
	if err != nil {
		h.t.Fatal(err)
	}
}

// resyncKeys runs one resync pass, fast, and returns the keys it enqueued,
// sorted, taking each off the queue as a worker would.
func (h *harness) resyncKeys() []string {
	h.t.Helper()
	h.c.cfg.ResyncPeriod, h.c.cfg.ResyncRate = 10*time.Millisecond, 1000
	for h.c.queue.Len() > 0 { // what informer events queued before
		key, _ := h.c.queue.Get()
		h.c.queue.Done(key)
	}
	done := make(chan struct{})
	go func() { defer close(done); h.c.resyncPass(h.ctx) }()
	var keys []string
	for {
		select {
		case <-done:
			for h.c.queue.Len() > 0 {
				key, _ := h.c.queue.Get()
				keys = append(keys, key)
				h.c.queue.Done(key)
			}
			slices.Sort(keys)
			return keys
		case <-time.After(time.Millisecond):
			if h.c.queue.Len() > 0 {
				key, _ := h.c.queue.Get()
				keys = append(keys, key)
				h.c.queue.Done(key)
			}
		}
	}
}
