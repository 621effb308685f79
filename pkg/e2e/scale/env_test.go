//go:build scale

package scale

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	k8sfake "k8s.io/client-go/kubernetes/fake"
	corelisters "k8s.io/client-go/listers/core/v1"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/klog/v2/textlogger"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/elb"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/poolserviceset"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
	networklisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/network/v1alpha1"
)

// env is the manager's wiring in one process: fake clientsets that honour
// finalizers, shared informers, the poolservice-set and elb controllers
// with the manager's defaults, and the real ENS client with its documented
// per-action limits talking to an emulator that enforces ENS's documented
// limits, over loopback with an injected round trip.
type env struct {
	t        *testing.T
	s        settings
	ctx      context.Context
	emu      *ensemulator.Emulator
	calls    *callLog
	metrics  *prometheus.Registry
	kube     *k8sfake.Clientset
	yurt     *yurtfake.Clientset
	services corelisters.ServiceLister
	psLister networklisters.PoolServiceLister
	// runStart is when the controllers were started: the elb controller's
	// resync passes begin about runStart + k×ResyncPeriod.
	runStart time.Time
}

// The manager's defaults (pkg/manager/options.go).
const (
	poolServiceSetWorkers = 2
	nodePoolAPIVersion    = "apps.openyurt.io/v1beta2"
)

var (
	servicesGVR     = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	poolServicesGVR = schema.GroupVersionResource{Group: "network.openyurt.io", Version: "v1alpha1", Resource: "poolservices"}
)

func newEnv(t *testing.T, s settings) *env {
	// The fake clientsets' watchers buffer this many events and panic when
	// full; a burst of 1000 PoolServices with their status writes needs more
	// than the default 100.
	watch.DefaultChanSize = 1 << 16
	logger := fileLogger(t, filepath.Join(filepath.Dir(s.out), "scale.log"), s.verbosity)
	klog.SetLogger(logger) // runtime.HandleError and friends
	ctx, cancel := context.WithCancel(klog.NewContext(context.Background(), logger))

	cfg := ensemulator.Config{Inventory: ptrTo(inventory(s)), Seed: 1, RateLimits: ensemulator.DefaultRateLimits(), RateLimitScale: 1,
		RoundTrip: s.rtt, Logger: logger}
	ensemulator.Realistic(&cfg, 1)
	emu, err := ensemulator.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s, ctx: ctx, emu: emu, calls: &callLog{}, metrics: prometheus.NewRegistry()}
	srv := httptest.NewServer(e.calls.wrap(emu.Handler()))
	client, err := ens.NewClient(ens.ClientConfig{AccessKeyID: ensemulator.DefaultAccessKeyID, AccessKeySecret: ensemulator.DefaultAccessKeySecret,
		Endpoint: strings.TrimPrefix(srv.URL, "http://"), Scheme: "HTTP", Timeout: 30 * time.Second}, ens.WithMetricsRegisterer(e.metrics))
	if err != nil {
		t.Fatal(err)
	}

	var kubeObjs, yurtObjs []runtime.Object
	for p := range s.pools {
		yurtObjs = append(yurtObjs, nodePool(p))
		for k := range s.nodes {
			kubeObjs = append(kubeObjs, node(p, k))
		}
	}
	e.kube, e.yurt = k8sfake.NewSimpleClientset(kubeObjs...), yurtfake.NewSimpleClientset(yurtObjs...)
	honourFinalizers(&e.kube.Fake, e.kube.Tracker(), "services", servicesGVR)
	honourFinalizers(&e.yurt.Fake, e.yurt.Tracker(), "poolservices", poolServicesGVR)

	kinf := informers.NewSharedInformerFactory(e.kube, 0)
	yinf := externalversions.NewSharedInformerFactory(e.yurt, 0)
	recorder := &record.FakeRecorder{} // no channel: events are dropped
	psc, err := poolserviceset.NewController(ctx, e.kube, e.yurt, kinf.Core().V1().Services(), yinf.Apps().V1beta2().NodePools().Informer(),
		nodePoolAPIVersion, yinf.Network().V1alpha1().PoolServices(), recorder)
	if err != nil {
		t.Fatal(err)
	}
	elbc, err := elb.NewController(ctx, elb.Config{ClusterID: clusterID, ResyncPeriod: s.resync, GCOrphans: true},
		e.kube, e.yurt, client, kinf.Core().V1().Services(), yinf.Apps().V1beta2().NodePools().Informer(),
		yinf.Network().V1alpha1().PoolServices(), kinf.Core().V1().Nodes(), kinf.Discovery().V1().EndpointSlices(), recorder)
	if err != nil {
		t.Fatal(err)
	}
	e.services, e.psLister = kinf.Core().V1().Services().Lister(), yinf.Network().V1alpha1().PoolServices().Lister()
	kinf.Start(ctx.Done())
	yinf.Start(ctx.Done())
	for typ, ok := range kinf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v cache did not sync", typ)
		}
	}
	for typ, ok := range yinf.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v cache did not sync", typ)
		}
	}
	e.runStart = time.Now()
	done := make(chan struct{}, 2)
	go func() { _ = psc.Run(ctx, poolServiceSetWorkers); done <- struct{}{} }()
	go func() { _ = elbc.Run(ctx, s.elbWorkers); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		for range 2 {
			select {
			case <-done:
			case <-time.After(time.Minute):
				t.Error("a controller did not stop within a minute")
				return
			}
		}
		kinf.Shutdown()
		yinf.Shutdown()
		srv.Close()
	})
	return e
}

// honourFinalizers makes a fake clientset delete the way the API server
// does: an object with finalizers only gets a deletionTimestamp, and goes
// once an update or patch leaves it with none.
func honourFinalizers(fake *k8stesting.Fake, tracker k8stesting.ObjectTracker, resource string, gvr schema.GroupVersionResource) {
	fake.PrependReactor("delete", resource, func(action k8stesting.Action) (bool, runtime.Object, error) {
		del := action.(k8stesting.DeleteAction)
		obj, err := tracker.Get(gvr, del.GetNamespace(), del.GetName())
		if err != nil {
			return false, nil, nil
		}
		obj = obj.DeepCopyObject()
		m, err := meta.Accessor(obj)
		if err != nil || len(m.GetFinalizers()) == 0 {
			return false, nil, nil
		}
		if m.GetDeletionTimestamp() == nil {
			now := metav1.Now()
			m.SetDeletionTimestamp(&now)
			return true, nil, tracker.Update(gvr, obj, del.GetNamespace())
		}
		return true, nil, nil
	})
	react := k8stesting.ObjectReaction(tracker)
	finish := func(action k8stesting.Action) (bool, runtime.Object, error) {
		if action.GetSubresource() != "" {
			return false, nil, nil
		}
		handled, obj, err := react(action)
		if err != nil || obj == nil {
			return handled, obj, err
		}
		if m, merr := meta.Accessor(obj); merr == nil && m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 {
			return true, obj, tracker.Delete(gvr, m.GetNamespace(), m.GetName())
		}
		return handled, obj, err
	}
	fake.PrependReactor("update", resource, finish)
	fake.PrependReactor("patch", resource, finish)
}

func fileLogger(t *testing.T, path string, verbosity int) klog.Logger {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() })
	return textlogger.NewLogger(textlogger.NewConfig(textlogger.Output(f), textlogger.Verbosity(verbosity)))
}

// apiWrites counts (and clears) the writes both clientsets recorded.
func (e *env) apiWrites() int {
	n := 0
	for _, cs := range []interface {
		Actions() []k8stesting.Action
		ClearActions()
	}{e.kube, e.yurt} {
		for _, a := range cs.Actions() {
			switch a.GetVerb() {
			case "create", "update", "patch", "delete":
				n++
			}
		}
		cs.ClearActions()
	}
	return n
}

// clientWait is the time calls waited for their action's client-side
// bucket so far, in seconds by action (ens_api_rate_limit_wait_seconds).
func (e *env) clientWait() map[string]float64 {
	out := map[string]float64{}
	families, err := e.metrics.Gather()
	if err != nil {
		e.t.Fatal(err)
	}
	for _, mf := range families {
		if mf.GetName() != "ens_api_rate_limit_wait_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "action" {
					out[l.GetValue()] += m.GetHistogram().GetSampleSum()
				}
			}
		}
	}
	return out
}

// serviceCount is how many Services the API holds (of any kind).
func (e *env) serviceCount() int {
	list, err := e.kube.CoreV1().Services(corev1.NamespaceAll).List(e.ctx, metav1.ListOptions{})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(list.Items)
}

func ptrTo[T any](v T) *T { return &v }
