package elb

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

// Controller benchmarks: the real ENS client against the emulator over
// loopback, fake clientsets, real informers. The harness in harness_test.go
// takes a *testing.T, so benchEnv is its testing.TB-free counterpart; it
// reuses the harness's object builders.
//
// Run with: go test -run '^$' -bench . -benchmem ./pkg/controller/elb

const benchWorkers = 4 // the manager's --elb-workers default

// benchEnv is n Services (Local policy, one port each) over the
// walkthrough's two pools and four nodes, with their 2n PoolServices.
type benchEnv struct {
	b      *testing.B
	ctx    context.Context
	cancel context.CancelFunc
	env    *emulatortest.Env
	emu    *ensemulator.Emulator
	kube   *k8sfake.Clientset
	yurt   *yurtfake.Clientset
	c      *Controller
	keys   []string
}

func benchServiceName(i int) string { return fmt.Sprintf("svc-%03d", i) }

func benchObjects(n int) (kube, yurt []runtime.Object) {
	for name := range pools {
		yurt = append(yurt, newPool(name))
	}
	for _, nd := range []*corev1.Node{newNode("hefei-1", "np-hefei", "i-hefei-1", true), newNode("hefei-2", "np-hefei", "i-hefei-2", true),
		newNode("chengdu-1", "np-chengdu", "i-chengdu-1", true), newNode("chengdu-2", "np-chengdu", "i-chengdu-2", true)} {
		kube = append(kube, nd)
	}
	for i := range n {
		name := benchServiceName(i)
		port := corev1.ServicePort{Name: "p", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: int32(30000 + i)}
		kube = append(kube, newService(name, corev1.ServiceExternalTrafficPolicyLocal, nil, port),
			newSlice(name, "hefei-1", "hefei-2", "chengdu-1", "chengdu-2"))
		for pool := range pools {
			yurt = append(yurt, newPoolService(name, pool, nil))
		}
	}
	return kube, yurt
}

// newBenchEnv builds the objects, the emulator and the controller, and
// waits for the informers; the controller is not running.
func newBenchEnv(b *testing.B, n int) *benchEnv {
	b.Helper()
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), klog.Background().V(10)))
	env := emulatortest.Start(b, emulatortest.WithSeed(1))
	kubeObjs, yurtObjs := benchObjects(n)
	e := &benchEnv{b: b, ctx: ctx, cancel: cancel, env: env, emu: env.Emulator,
		kube: k8sfake.NewSimpleClientset(kubeObjs...), yurt: yurtfake.NewSimpleClientset(yurtObjs...)}
	kinf := informers.NewSharedInformerFactory(e.kube, 0)
	yinf := externalversions.NewSharedInformerFactory(e.yurt, 0)
	c, err := NewController(ctx, Config{ClusterID: clusterID, RequeueDelay: 10 * time.Millisecond, ResyncPeriod: time.Hour},
		e.kube, e.yurt, enstest.NewClient(b, env), kinf.Core().V1().Services(), yinf.Apps().V1beta2().NodePools().Informer(),
		yinf.Network().V1alpha1().PoolServices(), kinf.Core().V1().Nodes(), kinf.Discovery().V1().EndpointSlices(),
		record.NewFakeRecorder(100000))
	if err != nil {
		b.Fatal(err)
	}
	e.c = c
	kinf.Start(ctx.Done())
	yinf.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), c.synced...) {
		b.Fatal("caches did not sync")
	}
	for i := range n {
		for pool := range pools {
			e.keys = append(e.keys, "default/"+benchServiceName(i)+"-"+pool)
		}
	}
	slices.Sort(e.keys)
	return e
}

func (e *benchEnv) close() {
	e.cancel()
	e.env.Server.Close()
}

// allSynced reports whether every PoolService in the cache says Ready and
// Synced: its ELB, listeners, backends and EIP match.
func (e *benchEnv) allSynced() bool {
	pss, _ := e.c.poolServices.List(labels.Everything())
	if len(pss) != len(e.keys) {
		return false
	}
	for _, ps := range pss {
		if condition(ps, apis.ConditionReady) != "True/"+reasonReady || condition(ps, apis.ConditionSynced) != "True/"+reasonSynced {
			return false
		}
	}
	return true
}

// runUntilSynced runs the controller with workers until allSynced, then
// stops it.
func (e *benchEnv) runUntilSynced() {
	runCtx, stop := context.WithCancel(e.ctx)
	defer stop()
	done := make(chan struct{})
	go func() { _ = e.c.Run(runCtx, benchWorkers); close(done) }()
	err := wait.PollUntilContextTimeout(e.ctx, time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		return e.allSynced(), nil
	})
	if err != nil {
		e.b.Fatalf("%d PoolServices did not converge", len(e.keys))
	}
	stop()
	<-done
}

// checkInventory asserts one Active ELB with one TCP listener and two
// backends, and one InUse EIP on it, per PoolService.
func (e *benchEnv) checkInventory() {
	inv := e.emu.Inventory()
	lbs := map[string]ensemulator.LoadBalancer{}
	for _, lb := range inv.LoadBalancers {
		if lb.Status == "Active" && len(lb.Listeners) == 1 && len(lb.Backends) == 2 {
			lbs[lb.ID] = lb
		}
	}
	bound := 0
	for _, eip := range inv.EIPs {
		if lb, ok := lbs[eip.InstanceID]; ok && eip.Status == "InUse" && eip.Name == lb.Name {
			bound++
		}
	}
	// The two pre-existing user ELBs have no listeners: not counted.
	if want := len(e.keys); len(lbs) != want || bound != want {
		e.b.Fatalf("inventory: %d ready ELBs and %d bound EIPs, want %d each", len(lbs), bound, want)
	}
}

// apiWrites counts the create/update/patch/delete actions both fake
// clientsets recorded, then clears them.
func (e *benchEnv) apiWrites() int {
	n := 0
	for _, cs := range []interface {
		Actions() []k8stesting.Action
		ClearActions()
	}{e.kube, e.yurt} {
		for _, a := range cs.Actions() {
			switch a.GetVerb() {
			case "get", "list", "watch":
			default:
				n++
			}
		}
		cs.ClearActions()
	}
	return n
}

func benchTotalCalls(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

// BenchmarkConverge: from nothing to every ELB and EIP ready, through Run
// with the manager's default worker count.
func BenchmarkConverge(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("services=%d,pools=2", n), func(b *testing.B) {
			var calls, mutating int
			for range b.N {
				b.StopTimer()
				e := newBenchEnv(b, n)
				e.emu.ResetCalls()
				b.StartTimer()
				e.runUntilSynced()
				b.StopTimer()
				calls += benchTotalCalls(e.emu.Calls())
				mutating += e.emu.MutatingCalls()
				if testing.Verbose() {
					b.Logf("services=%d: calls %v", n, e.emu.Calls())
				}
				e.checkInventory()
				e.close()
				b.StartTimer()
			}
			ops := float64(b.N)
			b.ReportMetric(float64(calls)/ops, "calls/op")
			b.ReportMetric(float64(mutating)/ops, "mutating/op")
			b.ReportMetric(float64(calls)/ops/float64(2*n), "calls/poolservice")
		})
	}
}

// BenchmarkResyncNoop: one sync of every converged PoolService. It must
// only read the cloud and write nothing to the API.
func BenchmarkResyncNoop(b *testing.B) {
	for _, n := range []int{1, 10, 50} {
		b.Run(fmt.Sprintf("services=%d,pools=2", n), func(b *testing.B) {
			e := newBenchEnv(b, n)
			defer e.close()
			e.runUntilSynced()
			e.checkInventory()
			e.emu.ResetCalls()
			e.apiWrites()
			b.ResetTimer()
			for range b.N {
				for _, key := range e.keys {
					after, err := e.c.sync(e.ctx, key)
					if err != nil || after != 0 {
						b.Fatalf("no-op sync of %s = %v, %v", key, after, err)
					}
				}
			}
			b.StopTimer()
			ops := float64(b.N)
			calls, mutating, writes := benchTotalCalls(e.emu.Calls()), e.emu.MutatingCalls(), e.apiWrites()
			if mutating != 0 || writes != 0 {
				b.Errorf("no-op resync made %d mutating cloud calls and %d API writes: %v", mutating, writes, e.emu.Calls())
			}
			b.ReportMetric(float64(calls)/ops, "calls/op")
			b.ReportMetric(float64(calls)/ops/float64(len(e.keys)), "calls/poolservice")
			b.ReportMetric(float64(mutating)/ops, "mutating/op")
			b.ReportMetric(float64(writes)/ops, "api-writes/op")
		})
	}
}

// benchCountingQueue counts what the event handlers enqueue.
type benchCountingQueue struct {
	workqueue.TypedRateLimitingInterface[string]
	adds atomic.Int64
}

func (q *benchCountingQueue) Add(key string) {
	q.adds.Add(1)
	q.TypedRateLimitingInterface.Add(key)
}

func (q *benchCountingQueue) AddAfter(key string, d time.Duration) {
	q.adds.Add(1)
	q.TypedRateLimitingInterface.AddAfter(key, d)
}

func (q *benchCountingQueue) AddRateLimited(key string) {
	q.adds.Add(1)
	q.TypedRateLimitingInterface.AddRateLimited(key)
}

// benchBigSlice is an EndpointSlice of svc with 100 ready endpoints spread over
// the four nodes.
func benchBigSlice(svc string) *discoveryv1.EndpointSlice {
	nodes := []string{"hefei-1", "hefei-2", "chengdu-1", "chengdu-2"}
	var ready []string
	for i := range 100 {
		ready = append(ready, nodes[i%len(nodes)])
	}
	return newSlice(svc, ready...)
}

// BenchmarkEventFilter: the work one informer event costs the controller
// with 50 Services x 2 pools cached. Irrelevant events must enqueue nothing.
func BenchmarkEventFilter(b *testing.B) {
	e := newBenchEnv(b, 50)
	defer e.close()
	q := &benchCountingQueue{TypedRateLimitingInterface: e.c.queue}
	e.c.queue = q
	obj, _, _ := e.c.nodeIndexer.GetByKey("hefei-1")
	node := obj.(*corev1.Node)
	heartbeat := node.DeepCopy()
	heartbeat.ResourceVersion = "999"
	heartbeat.Status.Conditions[0].LastHeartbeatTime = metav1.NewTime(time.Now())
	notReady := node.DeepCopy()
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	slice := benchBigSlice(benchServiceName(0))
	sliceNoop := slice.DeepCopy()
	sliceNoop.ResourceVersion = "999"
	for i := range sliceNoop.Endpoints {
		sliceNoop.Endpoints[i].Addresses = []string{fmt.Sprintf("172.17.0.%d", i)}
	}
	sliceMoved := slice.DeepCopy()
	for i := range sliceMoved.Endpoints {
		sliceMoved.Endpoints[i].NodeName = ptr.To("hefei-1")
	}
	for _, bc := range []struct {
		name  string
		event func()
		want  int // keys enqueued per event
	}{
		{"node-heartbeat", func() { e.c.onNode(node, heartbeat) }, 0},
		{"endpointslice-noop-100eps", func() { e.c.onEndpointSlice(slice, sliceNoop) }, 0},
		// For contrast: relevant events enqueue only the PoolServices concerned,
		// each once (old and new index values are equal: one lookup).
		{"node-notready", func() { e.c.onNode(node, notReady) }, 50},
		{"endpointslice-moved-100eps", func() { e.c.onEndpointSlice(slice, sliceMoved) }, 2},
	} {
		b.Run(bc.name, func(b *testing.B) {
			q.adds.Store(0)
			b.ReportAllocs()
			for b.Loop() {
				bc.event()
			}
			per := float64(q.adds.Load()) / float64(b.N)
			if int(per) != bc.want {
				b.Errorf("enqueued %.1f keys per event, want %d", per, bc.want)
			}
			b.ReportMetric(per, "enqueued-keys/op")
		})
	}
}
