package poolserviceset

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2/ktesting"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

const (
	ns           = "default"
	pollInterval = 10 * time.Millisecond
	pollTimeout  = 5 * time.Second
)

var poolServicesGVR = networkv1alpha1.SchemeGroupVersion.WithResource("poolservices")

// NodePool versions an API server may serve; most tests run on v1beta2.
const (
	nodePoolV1beta2 = "apps.openyurt.io/v1beta2"
	nodePoolV1beta1 = "apps.openyurt.io/v1beta1"
)

// testOwners writes the owner references a v1beta2 cluster gets.
var testOwners = owners{nodePoolAPIVersion: nodePoolV1beta2}

// fixture runs the controller against fake clientsets and real informers.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	cancel context.CancelFunc
	kube   *kubefake.Clientset
	yurt   *yurtfake.Clientset
	c      *Controller
	queue  *trackingQueue
	events *eventLog
}

type eventLog struct {
	mu     sync.Mutex
	events []string
}

func (l *eventLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.events...)
}

// newController builds the controller without starting anything.
func newController(t *testing.T, kubeObjs, yurtObjs []runtime.Object) (*fixture, kubeinformers.SharedInformerFactory, yurtinformers.SharedInformerFactory) {
	t.Helper()
	return newControllerServing(t, nodePoolV1beta2, kubeObjs, yurtObjs)
}

// newControllerServing builds the controller for an API server serving
// NodePool as nodePoolAPIVersion (the informer is v1beta2 either way, as
// the manager converts).
func newControllerServing(t *testing.T, nodePoolAPIVersion string, kubeObjs, yurtObjs []runtime.Object) (*fixture, kubeinformers.SharedInformerFactory, yurtinformers.SharedInformerFactory) {
	t.Helper()
	_, ctx := ktesting.NewTestContext(t)
	ctx, cancel := context.WithCancel(ctx)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx, cancel: cancel, kube: kubefake.NewClientset(kubeObjs...),
		yurt: yurtfake.NewSimpleClientset(yurtObjs...), events: &eventLog{}}
	recorder := record.NewFakeRecorder(1000)
	go func() {
		for {
			select {
			case e := <-recorder.Events:
				f.events.mu.Lock()
				f.events.events = append(f.events.events, e)
				f.events.mu.Unlock()
			case <-ctx.Done():
				return
			}
		}
	}()
	kf := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	yf := yurtinformers.NewSharedInformerFactory(f.yurt, 0)
	c, err := NewController(ctx, f.kube, f.yurt, kf.Core().V1().Services(),
		yf.Apps().V1beta2().NodePools().Informer(), nodePoolAPIVersion, yf.Network().V1alpha1().PoolServices(), recorder)
	if err != nil {
		t.Fatalf("NewController: %v", err)
	}
	f.queue = &trackingQueue{TypedRateLimitingInterface: c.queue}
	c.queue = f.queue
	f.c = c
	return f, kf, yf
}

// trackingQueue counts the keys workers hold (got, not yet done).
type trackingQueue struct {
	workqueue.TypedRateLimitingInterface[string]
	inFlight atomic.Int32
}

func (q *trackingQueue) Get() (string, bool) {
	key, shutdown := q.TypedRateLimitingInterface.Get()
	if !shutdown {
		q.inFlight.Add(1)
	}
	return key, shutdown
}

func (q *trackingQueue) Done(key string) {
	q.TypedRateLimitingInterface.Done(key)
	q.inFlight.Add(-1)
}

// waitIdle waits until the informer caches hold what the API holds and no
// key is queued or being synced, and that stays so for a few polls: an event
// the cache has taken may still be on its way to a handler, and a sync that
// read a stale cache would write again.
func (f *fixture) waitIdle() {
	f.t.Helper()
	quiet := 0
	f.waitFor("idle workers and caught-up caches", func() bool {
		if f.queue.Len() != 0 || f.queue.inFlight.Load() != 0 || !f.cachesCaughtUp() {
			quiet = 0
			return false
		}
		quiet++
		return quiet >= 5
	})
}

// cachesCaughtUp tells whether the Service and PoolService listers hold
// exactly the objects the fake API server holds.
func (f *fixture) cachesCaughtUp() bool {
	svcs, err := f.kube.CoreV1().Services(ns).List(f.ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	cachedSvcs, _ := f.c.serviceLister.Services(ns).List(labels.Everything())
	pss, err := f.yurt.NetworkV1alpha1().PoolServices(ns).List(f.ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	cachedPSs, _ := f.c.poolServiceLister.PoolServices(ns).List(labels.Everything())
	return sameObjects(svcs.Items, cachedSvcs) && sameObjects(pss.Items, cachedPSs)
}

func sameObjects[T any](api []T, cached []*T) bool {
	if len(api) != len(cached) {
		return false
	}
	byName := map[string]*T{}
	for _, o := range cached {
		byName[any(o).(metav1.Object).GetName()] = o
	}
	for i := range api {
		o, ok := byName[any(&api[i]).(metav1.Object).GetName()]
		if !ok || !equality.Semantic.DeepEqual(&api[i], o) {
			return false
		}
	}
	return true
}

// newFixture starts informers and two workers.
func newFixture(t *testing.T, kubeObjs, yurtObjs []runtime.Object) *fixture {
	t.Helper()
	f, kf, yf := newController(t, kubeObjs, yurtObjs)
	f.start(kf, yf)
	return f
}

func (f *fixture) start(kf kubeinformers.SharedInformerFactory, yf yurtinformers.SharedInformerFactory) {
	f.t.Helper()
	kf.Start(f.ctx.Done())
	yf.Start(f.ctx.Done())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := f.c.Run(f.ctx, 2); err != nil {
			f.t.Errorf("Run: %v", err)
		}
	}()
	f.t.Cleanup(func() {
		f.cancel()
		<-done
		kf.Shutdown()
		yf.Shutdown()
	})
	if !cache.WaitForCacheSync(f.ctx.Done(), f.c.synced...) {
		f.t.Fatal("caches did not sync")
	}
}

// waitFor polls cond until it holds or pollTimeout passes.
func (f *fixture) waitFor(what string, cond func() bool) {
	f.t.Helper()
	err := wait.PollUntilContextTimeout(f.ctx, pollInterval, pollTimeout, true,
		func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		f.t.Fatalf("timed out waiting for %s", what)
	}
}

func (f *fixture) getPS(name string) *networkv1alpha1.PoolService {
	ps, err := f.yurt.NetworkV1alpha1().PoolServices(ns).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil
	}
	return ps
}

func (f *fixture) psNames() []string {
	list, err := f.yurt.NetworkV1alpha1().PoolServices(ns).List(f.ctx, metav1.ListOptions{})
	if err != nil {
		f.t.Fatalf("listing PoolServices: %v", err)
	}
	var names []string
	for _, ps := range list.Items {
		names = append(names, ps.Name)
	}
	return names
}

func (f *fixture) waitPoolServices(want ...string) {
	f.t.Helper()
	f.waitFor("PoolServices "+strings.Join(want, ","), func() bool {
		got := f.psNames()
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	})
}

func (f *fixture) getSvc(name string) *corev1.Service {
	svc, err := f.kube.CoreV1().Services(ns).Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("getting Service %s: %v", name, err)
	}
	return svc
}

func (f *fixture) updateSvc(name string, mutate func(*corev1.Service)) {
	f.t.Helper()
	svc := f.getSvc(name)
	mutate(svc)
	if _, err := f.kube.CoreV1().Services(ns).Update(f.ctx, svc, metav1.UpdateOptions{}); err != nil {
		f.t.Fatalf("updating Service: %v", err)
	}
}

func (f *fixture) updatePool(name string, mutate func(*appsv1beta2.NodePool)) {
	f.t.Helper()
	np, err := f.yurt.AppsV1beta2().NodePools().Get(f.ctx, name, metav1.GetOptions{})
	if err != nil {
		f.t.Fatalf("getting NodePool: %v", err)
	}
	mutate(np)
	if _, err := f.yurt.AppsV1beta2().NodePools().Update(f.ctx, np, metav1.UpdateOptions{}); err != nil {
		f.t.Fatalf("updating NodePool: %v", err)
	}
}

func (f *fixture) waitEvent(prefix string) {
	f.t.Helper()
	f.waitFor("event "+prefix, func() bool { return f.countEvents(prefix) > 0 })
}

func (f *fixture) countEvents(prefix string) int {
	n := 0
	for _, e := range f.events.all() {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

// writes counts mutating actions on both clientsets.
func (f *fixture) writes() int {
	n := 0
	for _, actions := range [][]clienttesting.Action{f.kube.Actions(), f.yurt.Actions()} {
		for _, a := range actions {
			switch a.GetVerb() {
			case "create", "update", "patch", "delete":
				n++
			}
		}
	}
	return n
}

// emulatePoolServiceFinalizers makes the fake honour finalizers on
// PoolService deletes: it sets deletionTimestamp instead of deleting.
func (f *fixture) emulatePoolServiceFinalizers() {
	f.yurt.PrependReactor("delete", "poolservices", func(action clienttesting.Action) (bool, runtime.Object, error) {
		del := action.(clienttesting.DeleteAction)
		obj, err := f.yurt.Tracker().Get(poolServicesGVR, del.GetNamespace(), del.GetName())
		if err != nil {
			return false, nil, nil
		}
		ps := obj.(*networkv1alpha1.PoolService).DeepCopy()
		if len(ps.Finalizers) == 0 {
			return false, nil, nil
		}
		if ps.DeletionTimestamp == nil {
			ps.DeletionTimestamp = ptr.To(metav1.Now())
			if err := f.yurt.Tracker().Update(poolServicesGVR, ps, ps.Namespace); err != nil {
				return true, nil, err
			}
		}
		return true, nil, nil
	})
}

func pool(name string, labels map[string]string) *appsv1beta2.NodePool {
	return &appsv1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{
		Name: name, Labels: labels, UID: uid(name)}}
}

func elbService(name, selector string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: ns, UID: uid(name),
			Labels:      map[string]string{"app": "cube"},
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: selector, apis.AnnotationTopologyKeys: apis.LabelNodePool},
		},
		Spec: corev1.ServiceSpec{
			Type:              corev1.ServiceTypeLoadBalancer,
			LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			Selector:          map[string]string{"app": "cube"},
			Ports:             []corev1.ServicePort{{Name: "cube", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
}

// walkthrough is the seed: two pools labelled k8s-svc=cube, one not, and cube-svc.
func walkthrough() (kube, yurt []runtime.Object) {
	cube := map[string]string{"k8s-svc": "cube"}
	return []runtime.Object{elbService("cube-svc", "k8s-svc=cube")},
		[]runtime.Object{pool("np-hefei", cube), pool("np-chengdu", cube), pool("np-beijing", map[string]string{"k8s-svc": "other"})}
}

func newWalkthrough(t *testing.T) *fixture {
	t.Helper()
	kube, yurt := walkthrough()
	return newFixture(t, kube, yurt)
}
