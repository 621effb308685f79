package manager

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/util/workqueue"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens/enstest"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
)

func testOptions(t *testing.T, controllers ...string) *Options {
	t.Helper()
	o := NewOptions()
	o.ClusterID = "test-cluster"
	o.MetricsBindAddress, o.HealthProbeBindAddress = "0", "0"
	o.LeaderElection = testLeaderOptions()
	if len(controllers) > 0 {
		o.Controllers = controllers
	}
	return o
}

// fakeClients returns clients whose discovery serves the given NodePool versions.
func fakeClients(nodePoolVersions ...string) (*kubefake.Clientset, *yurtfake.Clientset) {
	kube := kubefake.NewClientset()
	d := kube.Discovery().(*fakediscovery.FakeDiscovery)
	for _, v := range nodePoolVersions {
		d.Resources = append(d.Resources, apiResources("apps.openyurt.io/"+v, "nodepools"))
	}
	yurt := yurtfake.NewSimpleClientset(
		&v1beta1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np-hefei"}, Spec: v1beta1.NodePoolSpec{Type: v1beta1.Edge}},
		&v1alpha1.PoolService{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cube-svc-np-hefei"}},
	)
	return kube, yurt
}

func get(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// seen is what a test controller observed when it started running.
type seen struct {
	nodePoolTypes []string
	synced        bool
	ready         int
}

func TestManagerRun(t *testing.T) {
	for _, version := range []string{"v1beta1", "v1beta2"} {
		t.Run("NodePool "+version, func(t *testing.T) { testManagerRun(t, version) })
	}
}

func testManagerRun(t *testing.T, version string) {
	kube, yurt := fakeClients(version)
	if version == "v1beta2" {
		_, _ = yurt.AppsV1beta2().NodePools().Create(context.Background(), &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np-chengdu"}}, metav1.CreateOptions{})
	}
	m, err := New(testOptions(t), kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	if code, _ := get(t, m.healthHandler(), "/readyz"); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz before sync = %d, want 503", code)
	}
	if code, _ := get(t, m.healthHandler(), "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}

	running := make(chan seen, 2)
	var inits []string
	testInit := func(name string) InitFunc {
		return func(ctx context.Context, cc *ControllerContext) (RunFunc, error) {
			inits = append(inits, name)
			if cc.Options.ClusterID != "test-cluster" || cc.KubeClient != kube || cc.YurtClient != yurt || cc.MetricsRegistry == nil {
				t.Errorf("%s: incomplete ControllerContext", name)
			}
			inf := cc.NodePoolInformer
			ps := cc.YurtInformers.Network().V1alpha1().PoolServices()
			ps.Informer()
			return func(ctx context.Context) error {
				s := seen{synced: inf.HasSynced() && ps.Informer().HasSynced()}
				for _, obj := range inf.GetStore().List() {
					s.nodePoolTypes = append(s.nodePoolTypes, strings.TrimPrefix(typeName(obj), "*"))
				}
				s.ready, _ = get(t, m.healthHandler(), "/readyz")
				pool, _ := ps.Lister().PoolServices("default").Get("cube-svc-np-hefei")
				cc.Recorder.Event(pool, corev1.EventTypeNormal, apis.EventEnsuredLoadBalancer, "from "+name)
				running <- s
				<-ctx.Done()
				return nil
			}, nil
		}
	}
	m.initializers = map[string]InitFunc{apis.ControllerPoolServiceSet: testInit("a"), apis.ControllerELB: testInit("b")}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	for range 2 {
		s := waitResult(t, running, "the controllers to run")
		if !s.synced || s.ready != http.StatusOK {
			t.Errorf("controller ran before caches synced / ready: %+v", s)
		}
		for _, typ := range s.nodePoolTypes {
			if typ != "v1beta2.NodePool" {
				t.Errorf("NodePool store holds %s", typ)
			}
		}
		if len(s.nodePoolTypes) == 0 {
			t.Error("NodePool store is empty")
		}
	}
	if strings.Join(inits, ",") != "b,a" { // name order: elb, poolservice-set
		t.Errorf("init order %v", inits)
	}
	if h := leaseHolder(t, kube); h != m.identity {
		t.Errorf("lease holder %q, want %q", h, m.identity)
	}
	checkMetrics(t, m)
	checkEvents(t, kube, 2)

	cancel()
	if err := waitResult(t, done, "Run to return"); err != nil {
		t.Errorf("Run returned %v", err)
	}
	if h := leaseHolder(t, kube); h != "" {
		t.Errorf("lease not released on shutdown: holder %q", h)
	}
}

func typeName(obj any) string {
	switch obj.(type) {
	case *v1beta2.NodePool:
		return "*v1beta2.NodePool"
	case *v1beta1.NodePool:
		return "*v1beta1.NodePool"
	}
	return "unknown"
}

// queueSeq makes queue names unique: the workqueue metrics are process-wide.
var queueSeq atomic.Int32

func checkMetrics(t *testing.T, m *Manager) {
	t.Helper()
	name := fmt.Sprintf("queue-%d", queueSeq.Add(1))
	q := workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: name})
	defer q.ShutDown()
	// One successful sync through the controllers' worker loop.
	q.Add("default/synced")
	loop := worker.Loop{Controller: name, KeyName: "service", Queue: q,
		Sync: func(context.Context, string) (time.Duration, error) { return 0, nil }}
	if !loop.ProcessNextItem(context.Background()) {
		t.Fatal("worker loop found the queue shut down")
	}
	q.Add("default/cube-svc")
	code, body := get(t, m.metricsHandler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`workqueue_adds_total{name="` + name + `"} 2`,
		`workqueue_depth{name="` + name + `"} 1`,
		`edge_controller_manager_syncs_total{controller="` + name + `",result="success"} 1`,
		`edge_controller_manager_sync_duration_seconds_count{controller="` + name + `"} 1`,
		`edge_controller_manager_leader{lease="edge-controller-manager/edge-controller-manager"} 1`,
		"go_goroutines ",
		"process_start_time_seconds ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, _ := get(t, m.metricsHandler(), "/debug/pprof/heap"); code != http.StatusNotFound {
		t.Errorf("/debug/pprof/heap without --profiling = %d, want 404", code)
	}
	m.opts.Profiling = true
	if code, body := get(t, m.metricsHandler(), "/debug/pprof/heap?debug=1"); code != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("/debug/pprof/heap with --profiling = %d %.60q", code, body)
	}
	m.opts.Profiling = false
}

func checkEvents(t *testing.T, kube *kubefake.Clientset, want int) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		evs, err := kube.CoreV1().Events("default").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err
		}
		n := 0
		for _, e := range evs.Items {
			if e.Reason == apis.EventEnsuredLoadBalancer && e.InvolvedObject.Kind == "PoolService" &&
				e.InvolvedObject.Name == "cube-svc-np-hefei" && e.Source.Component == Component {
				n++
			}
		}
		return n == want, nil
	})
	if err != nil {
		t.Errorf("events about the PoolService from %s not recorded: %v", Component, err)
	}
}

// TestManagerRunsControllers runs the registered controllers without
// leader election until cancelled.
func TestManagerRunsControllers(t *testing.T) {
	o := testOptions(t)
	o.LeaderElection.Enabled = false
	kube, cloudBuilt := runUntilReady(t, o)
	if cloudBuilt != 1 {
		t.Errorf("cloud built %d times, want once (for elb)", cloudBuilt)
	}
	if _, err := kube.CoordinationV1().Leases(o.LeaderElection.ResourceNamespace).Get(context.Background(), o.LeaderElection.ResourceName, metav1.GetOptions{}); err == nil {
		t.Error("a lease was taken with --leader-elect=false")
	}
}

// TestDryRunTakesNoLease: --dry-run with leader election on runs the
// controllers without ever writing the Lease a real manager holds.
func TestDryRunTakesNoLease(t *testing.T) {
	o := testOptions(t)
	o.LeaderElection.Enabled, o.DryRun = true, true
	kube, _ := runUntilReady(t, o)
	for _, a := range kube.Actions() {
		if a.GetResource().Resource == "leases" && a.GetVerb() != "get" && a.GetVerb() != "list" && a.GetVerb() != "watch" {
			t.Errorf("dry run sent %s leases", a.GetVerb())
		}
	}
}

// runUntilReady runs a manager with o against fake clients and the
// emulator until /readyz answers, then stops it; it returns the kube client
// and how often the cloud was built.
func runUntilReady(t *testing.T, o *Options) (*kubefake.Clientset, int) {
	t.Helper()
	kube, yurt := fakeClients("v1beta2")
	m, err := New(o, kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	var cloudBuilt int
	client := enstest.NewClient(t, emulatortest.Start(t))
	m.newCloud = func() (cloud.Cloud, error) { cloudBuilt++; return client, nil }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		code, _ := get(t, m.healthHandler(), "/readyz")
		return code == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("never ready: %v", err)
	}
	cancel()
	if err := waitResult(t, done, "Run to return"); err != nil {
		t.Errorf("Run returned %v", err)
	}
	return kube, cloudBuilt
}

func TestManagerRunErrors(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name     string
		versions []string
		setup    func(m *Manager)
		want     string
	}{
		{name: "no NodePool served", want: "serves no NodePool"},
		{name: "cloud config error", versions: []string{"v1beta2"}, want: `starting controller "elb": boom`,
			setup: func(m *Manager) { m.newCloud = func() (cloud.Cloud, error) { return nil, boom } }},
		{name: "controller fails", versions: []string{"v1beta2"}, want: `controller "poolservice-set": boom`,
			setup: func(m *Manager) {
				m.opts.Controllers = []string{"*"}
				m.initializers = map[string]InitFunc{
					apis.ControllerELB: func(context.Context, *ControllerContext) (RunFunc, error) {
						return func(ctx context.Context) error { <-ctx.Done(); return nil }, nil
					},
					apis.ControllerPoolServiceSet: func(context.Context, *ControllerContext) (RunFunc, error) {
						return func(context.Context) error { return boom }, nil
					},
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kube, yurt := fakeClients(tt.versions...)
			m, err := New(testOptions(t), kube, yurt)
			if err != nil {
				t.Fatal(err)
			}
			if tt.setup != nil {
				tt.setup(m)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = m.Run(ctx)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Run = %v, want error containing %q", err, tt.want)
			}
			if ctx.Err() != nil {
				t.Fatal("Run only returned at the test timeout")
			}
		})
	}
}

func TestManagerBindError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	kube, yurt := fakeClients("v1beta2")
	o := testOptions(t)
	o.HealthProbeBindAddress = ln.Addr().String()
	m, err := New(o, kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "listening for health probes") {
		t.Errorf("Run = %v, want a bind error", err)
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	kube, yurt := fakeClients("v1beta2")
	o := testOptions(t)
	o.ClusterID = "Bad_ID"
	if _, err := New(o, kube, yurt); err == nil {
		t.Error("New accepted an invalid cluster id")
	}
}
