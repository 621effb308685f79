package poolserviceset

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	kubeinformers "k8s.io/client-go/informers"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

// Fan-out benchmarks: one ELB Service selecting 500 of 1000 NodePools,
// among 99 other ELB Services and 1000 ClusterIP Services, against fake
// clientsets and real informers. The builders are bench-local so that
// edits to the unit-test fixture do not break them.
//
// Run with: go test -run '^$' -bench . -benchmem ./pkg/controller/poolserviceset

const (
	benchPools       = 1000
	benchOtherELB    = 99
	benchClusterIPs  = 1000
	benchSelected    = benchPools / 2
	benchServiceKey  = "default/fan-svc"
	benchServiceName = "fan-svc"
)

func benchPool(i int) *appsv1beta2.NodePool {
	group := "other"
	if i%2 == 0 {
		group = "cube"
	}
	name := fmt.Sprintf("np-%04d", i)
	return &appsv1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name),
		Labels: map[string]string{"k8s-svc": group, "team": fmt.Sprintf("t%d", i%100)}}}
}

func benchELBService(name, selector string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID("uid-" + name),
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: selector}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			Ports: []corev1.ServicePort{{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
}

func benchObjects() (kube, yurt []runtime.Object) {
	for i := range benchPools {
		yurt = append(yurt, benchPool(i))
	}
	kube = append(kube, benchELBService(benchServiceName, "k8s-svc=cube"))
	for i := 1; i <= benchOtherELB; i++ {
		// team=t<i> never matches np-0000 (team t0), the pool the event edits.
		kube = append(kube, benchELBService(fmt.Sprintf("elb-%02d", i), fmt.Sprintf("team=t%d", i)))
	}
	for i := range benchClusterIPs {
		kube = append(kube, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cip-%04d", i), Namespace: "default"},
			Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP}})
	}
	return kube, yurt
}

// benchFixture is the controller with synced informers and no workers.
type benchFixture struct {
	ctx      context.Context
	cancel   context.CancelFunc
	kube     *kubefake.Clientset
	yurt     *yurtfake.Clientset
	c        *Controller
	shutdown func()
}

// bigWatchBuffers lets the fake clientsets' watchers buffer a burst of
// 500 creates: their default of 100 events panics ("channel full") when a
// sync writes faster than the informer drains them.
var bigWatchBuffers sync.Once

func newBenchFixture(b *testing.B) *benchFixture {
	b.Helper()
	bigWatchBuffers.Do(func() { watch.DefaultChanSize = 4 * benchPools })
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Background().V(10)))
	kubeObjs, yurtObjs := benchObjects()
	f := &benchFixture{ctx: ctx, cancel: cancel, kube: kubefake.NewClientset(kubeObjs...), yurt: yurtfake.NewSimpleClientset(yurtObjs...)}
	kf := kubeinformers.NewSharedInformerFactory(f.kube, 0)
	yf := yurtinformers.NewSharedInformerFactory(f.yurt, 0)
	recorder := record.NewFakeRecorder(10 * benchPools)
	c, err := NewController(ctx, f.kube, f.yurt, kf.Core().V1().Services(), yf.Apps().V1beta2().NodePools().Informer(), nodePoolV1beta2,
		yf.Network().V1alpha1().PoolServices(), recorder)
	if err != nil {
		b.Fatal(err)
	}
	f.c = c
	kf.Start(ctx.Done())
	yf.Start(ctx.Done())
	f.shutdown = func() { cancel(); kf.Shutdown(); yf.Shutdown() }
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		b.Fatal("caches did not sync")
	}
	return f
}

// writes counts the mutating actions of both fake clientsets, then clears them.
func (f *benchFixture) writes() int {
	n := 0
	for _, cs := range []interface {
		Actions() []clienttesting.Action
		ClearActions()
	}{f.kube, f.yurt} {
		for _, a := range cs.Actions() {
			if v := a.GetVerb(); v != "get" && v != "list" && v != "watch" {
				n++
			}
		}
		cs.ClearActions()
	}
	return n
}

// poolServicesOf counts the PoolServices labelled with the fan-out Service
// in the fake API.
func (f *benchFixture) poolServicesOf(b *testing.B) int {
	list, err := f.yurt.NetworkV1alpha1().PoolServices("default").List(f.ctx, metav1.ListOptions{
		LabelSelector: labels.Set{apis.LabelServiceName: benchServiceName}.String()})
	if err != nil {
		b.Fatal(err)
	}
	return len(list.Items)
}

// waitCached waits until the informer holds n PoolServices and the
// Service with its finalizer.
func (f *benchFixture) waitCached(b *testing.B, n int) {
	err := wait.PollUntilContextTimeout(f.ctx, time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		pss, _ := f.c.poolServiceLister.List(labels.Everything())
		svc, err := f.c.serviceLister.Services("default").Get(benchServiceName)
		return len(pss) == n && err == nil && hasFinalizer(svc), nil
	})
	if err != nil {
		b.Fatalf("cache did not reach %d PoolServices", n)
	}
}

// BenchmarkFanOut: one sync of the Service, from no PoolServices to 500
// (creates), and again with all 500 present (must write nothing).
func BenchmarkFanOut(b *testing.B) {
	b.Run(fmt.Sprintf("create-%d-of-%d-pools", benchSelected, benchPools), func(b *testing.B) {
		writes := 0
		for range b.N {
			b.StopTimer()
			f := newBenchFixture(b)
			f.writes()
			b.StartTimer()
			if _, err := f.c.syncService(f.ctx, benchServiceKey); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			writes += f.writes()
			if got := f.poolServicesOf(b); got != benchSelected {
				b.Fatalf("%d PoolServices, want %d", got, benchSelected)
			}
			f.shutdown()
			b.StartTimer()
		}
		b.ReportMetric(float64(writes)/float64(b.N), "api-writes/op")
	})
	b.Run(fmt.Sprintf("noop-resync-%d", benchSelected), func(b *testing.B) {
		f := newBenchFixture(b)
		defer f.shutdown()
		if _, err := f.c.syncService(f.ctx, benchServiceKey); err != nil {
			b.Fatal(err)
		}
		f.waitCached(b, benchSelected)
		f.writes()
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			if _, err := f.c.syncService(f.ctx, benchServiceKey); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		w := f.writes()
		if w != 0 {
			b.Errorf("no-op resync wrote %d times", w)
		}
		b.ReportMetric(float64(w)/float64(b.N), "api-writes/op")
	})
}

// benchCountingIndexer counts the objects index lookups hand to the handlers.
type benchCountingIndexer struct {
	cache.Indexer
	returned atomic.Int64
}

func (i *benchCountingIndexer) ByIndex(name, value string) ([]any, error) {
	objs, err := i.Indexer.ByIndex(name, value)
	i.returned.Add(int64(len(objs)))
	return objs, err
}

type benchCountingQueue struct {
	workqueue.TypedRateLimitingInterface[string]
	adds atomic.Int64
}

func (q *benchCountingQueue) Add(key string) {
	q.adds.Add(1)
	q.TypedRateLimitingInterface.Add(key)
}

// BenchmarkNodePoolEvent: the handler's cost for one NodePool update with
// the 500 PoolServices in place. services-evaluated is the Services the
// index handed over (selectors parsed and matched); 1100 exist.
func BenchmarkNodePoolEvent(b *testing.B) {
	f := newBenchFixture(b)
	defer f.shutdown()
	if _, err := f.c.syncService(f.ctx, benchServiceKey); err != nil {
		b.Fatal(err)
	}
	f.waitCached(b, benchSelected)
	svcIdx := &benchCountingIndexer{Indexer: f.c.serviceIndexer}
	psIdx := &benchCountingIndexer{Indexer: f.c.poolServiceIndexer}
	q := &benchCountingQueue{TypedRateLimitingInterface: f.c.queue}
	f.c.serviceIndexer, f.c.poolServiceIndexer, f.c.queue = svcIdx, psIdx, q
	handler := f.c.nodePoolHandler()

	old, err := f.c.nodePoolLister.Get("np-0000")
	if err != nil {
		b.Fatal(err)
	}
	relabelled := old.DeepCopy()
	relabelled.ResourceVersion = "999"
	relabelled.Labels["k8s-svc"] = "other" // leaves fan-svc's selection
	statusOnly := old.DeepCopy()
	statusOnly.ResourceVersion = "999"
	statusOnly.Status.ReadyNodeNum = 7
	for _, bc := range []struct {
		name          string
		cur           *appsv1beta2.NodePool
		wantEnqueued  int
		wantEvaluated int
	}{
		{"label-change", relabelled, 1, 1 + benchOtherELB},
		{"status-only", statusOnly, 0, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			svcIdx.returned.Store(0)
			psIdx.returned.Store(0)
			q.adds.Store(0)
			b.ReportAllocs()
			for b.Loop() {
				handler.OnUpdate(old, bc.cur)
			}
			n := float64(b.N)
			evaluated, enqueued := float64(svcIdx.returned.Load())/n, float64(q.adds.Load())/n
			if int(evaluated) != bc.wantEvaluated || int(enqueued) != bc.wantEnqueued {
				b.Errorf("evaluated %.0f Services and enqueued %.0f keys per event, want %d and %d",
					evaluated, enqueued, bc.wantEvaluated, bc.wantEnqueued)
			}
			b.ReportMetric(evaluated, "services-evaluated/op")
			b.ReportMetric(float64(psIdx.returned.Load())/n, "poolservices-looked-up/op")
			b.ReportMetric(enqueued, "enqueued-keys/op")
		})
	}
}

// BenchmarkInitialList: from starting the informers to every handler having
// processed the initial list of 1000 NodePools, 1100 Services and (in the
// "with-poolservices" case) the 500 PoolServices of the fan-out Service.
// Building the fake clientsets and the controller is not timed.
func BenchmarkInitialList(b *testing.B) {
	for _, withPS := range []bool{false, true} {
		name := "empty"
		if withPS {
			name = fmt.Sprintf("with-%d-poolservices", benchSelected)
		}
		b.Run(name, func(b *testing.B) {
			bigWatchBuffers.Do(func() { watch.DefaultChanSize = 4 * benchPools })
			kubeObjs, yurtObjs := benchObjects()
			if withPS {
				svc := kubeObjs[0].(*corev1.Service)
				for i := 0; i < benchPools; i += 2 {
					np := benchPool(i)
					yurtObjs = append(yurtObjs, testOwners.newPoolService(svc, np, PoolServiceName(svc.Name, np.Name, false)))
				}
			}
			b.ReportAllocs()
			for range b.N {
				b.StopTimer()
				ctx, cancel := context.WithCancel(context.Background())
				kube, yurt := kubefake.NewClientset(kubeObjs...), yurtfake.NewSimpleClientset(yurtObjs...)
				kf := kubeinformers.NewSharedInformerFactory(kube, 0)
				yf := yurtinformers.NewSharedInformerFactory(yurt, 0)
				c, err := NewController(ctx, kube, yurt, kf.Core().V1().Services(), yf.Apps().V1beta2().NodePools().Informer(), nodePoolV1beta2,
					yf.Network().V1alpha1().PoolServices(), record.NewFakeRecorder(10))
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				kf.Start(ctx.Done())
				yf.Start(ctx.Done())
				// Polled every millisecond: WaitForCacheSync's 100ms would
				// hide the handlers' cost.
				err = wait.PollUntilContextTimeout(ctx, time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
					for _, synced := range c.synced {
						if !synced() {
							return false, nil
						}
					}
					return true, nil
				})
				if err != nil {
					b.Fatal("caches did not sync")
				}
				b.StopTimer()
				// Every Service with a selector, and nothing else, is queued.
				if got := c.queue.Len(); got != 1+benchOtherELB {
					b.Fatalf("%d keys queued after the initial list, want %d", got, 1+benchOtherELB)
				}
				cancel()
				kf.Shutdown()
				yf.Shutdown()
				c.queue.ShutDown()
				b.StartTimer()
			}
		})
	}
}
