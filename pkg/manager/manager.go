// Package manager wires the edge-controller-manager: clients, shared
// informers, the event recorder, the ENS client, metrics and health
// endpoints, leader election, and the controllers chosen by --controllers.
package manager

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/client-go/tools/leaderelection"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	yurtscheme "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/scheme"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Component is the manager's name in events, the user agent and the lease.
const Component = "edge-controller-manager"

// Manager runs the enabled controllers. Build it with New or NewFromFlags.
type Manager struct {
	opts     *Options
	kube     kubernetes.Interface
	yurt     versioned.Interface
	identity string

	registry *prometheus.Registry
	metrics  *managerMetrics
	watchdog *leaderelection.HealthzAdaptor
	ready    atomic.Bool

	// initializers, newCloud and drainTimeout are swapped by tests.
	initializers map[string]InitFunc
	newCloud     func() (cloud.Cloud, error)
	drainTimeout time.Duration
}

// DrainTimeout bounds how long the manager waits, once it stops leading or
// is stopped, for the syncs its controllers are in to finish before it
// releases the lease and returns. The syncs see their context cancelled,
// so they normally end within one API or ENS call.
const DrainTimeout = 30 * time.Second

// New returns a Manager on the given clients; opts must be valid.
func New(opts *Options, kube kubernetes.Interface, yurt versioned.Interface) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	reg, mm := newRegistry()
	m := &Manager{
		opts: opts, kube: kube, yurt: yurt, identity: newIdentity(),
		registry: reg, metrics: mm,
		watchdog:     leaderelection.NewLeaderHealthzAdaptor(opts.LeaderElection.RenewDeadline),
		initializers: controllerInitializers(),
		drainTimeout: DrainTimeout,
	}
	m.newCloud = func() (cloud.Cloud, error) { return newCloud(opts, reg) }
	return m, nil
}

// NewFromFlags builds the clients from --kubeconfig/--master and returns a Manager.
func NewFromFlags(opts *Options) (*Manager, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.BuildConfigFromFlags(opts.Master, opts.Kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes client configuration: %w", err)
	}
	cfg.UserAgent = Component
	cfg.QPS, cfg.Burst = opts.KubeAPIQPS, opts.KubeAPIBurst
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the Kubernetes client: %w", err)
	}
	yurt, err := versioned.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building the OpenYurt client: %w", err)
	}
	return New(opts, kube, yurt)
}

// Run serves health and metrics, starts the informers, waits for their
// caches, then runs the controllers while this replica leads. It returns
// nil once ctx is done and everything stopped.
func (m *Manager) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logger := klog.FromContext(ctx)
	enabled, err := m.opts.EnabledControllers()
	if err != nil {
		return err
	}
	logger.Info("Starting", "clusterID", m.opts.ClusterID, "controllers", enabled, "identity", m.identity)

	var servers sync.WaitGroup
	defer servers.Wait()
	defer cancel() // stops the servers before waiting for them
	if err := m.startServers(ctx, &servers); err != nil {
		return err
	}

	version, err := DetectNodePoolVersion(ctx, m.kube.Discovery())
	if err != nil {
		return err
	}
	kubeFactory := kubeinformers.NewSharedInformerFactoryWithOptions(m.kube, m.opts.ResyncPeriod,
		kubeinformers.WithTransform(ownership.StripManagedFields))
	yurtFactory := yurtinformers.NewSharedInformerFactoryWithOptions(m.yurt, m.opts.ResyncPeriod,
		yurtinformers.WithTransform(ownership.StripManagedFields))
	defer func() {
		cancel() // informers stop only once ctx is done
		kubeFactory.Shutdown()
		yurtFactory.Shutdown()
	}()
	npInformer, err := newNodePoolInformer(ctx, yurtFactory, version)
	if err != nil {
		return err
	}
	broadcaster := record.NewBroadcaster(record.WithContext(ctx))
	defer broadcaster.Shutdown()
	broadcaster.StartStructuredLogging(3)
	broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: m.kube.CoreV1().Events("")})

	cc := &ControllerContext{
		Options: m.opts, KubeClient: m.kube, YurtClient: m.yurt,
		KubeInformers: kubeFactory, YurtInformers: yurtFactory, NodePoolInformer: npInformer,
		NodePoolAPIVersion: nodePoolAPIVersion(version),
		Recorder:           newBoundedRecorder(broadcaster.NewRecorder(newScheme(), corev1.EventSource{Component: Component})),
		MetricsRegistry:    m.registry,
		newCloud:           m.newCloud,
	}
	runs, err := m.initControllers(ctx, cc, enabled)
	if err != nil {
		return err
	}

	kubeFactory.StartWithContext(ctx)
	yurtFactory.StartWithContext(ctx)
	if err := m.waitForCaches(ctx, kubeFactory, yurtFactory); err != nil {
		return err
	}
	m.ready.Store(true)
	logger.Info("Informer caches synced")

	return m.runControllers(ctx, runs)
}

// newScheme knows the core and OpenYurt types, so events can reference both.
func newScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(yurtscheme.AddToScheme(s))
	return s
}

// initControllers calls each enabled controller's InitFunc, in name order.
func (m *Manager) initControllers(ctx context.Context, cc *ControllerContext, enabled []string) (map[string]RunFunc, error) {
	runs := map[string]RunFunc{}
	for _, name := range enabled {
		initFn, ok := m.initializers[name]
		if !ok {
			return nil, fmt.Errorf("controller %q has no start function", name)
		}
		run, err := initFn(klog.NewContext(ctx, klog.FromContext(ctx).WithValues("controller", name)), cc)
		if err != nil {
			return nil, fmt.Errorf("starting controller %q: %w", name, err)
		}
		runs[name] = run
	}
	return runs, nil
}

func (m *Manager) waitForCaches(ctx context.Context, kube kubeinformers.SharedInformerFactory, yurt yurtinformers.SharedInformerFactory) error {
	if err := kube.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		return fmt.Errorf("waiting for the Kubernetes informer caches: %w", err)
	}
	if err := yurt.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		return fmt.Errorf("waiting for the OpenYurt informer caches: %w", err)
	}
	return nil
}

// runControllers runs every controller, under leader election when enabled.
func (m *Manager) runControllers(ctx context.Context, runs map[string]RunFunc) error {
	lease := m.opts.LeaderElection.ResourceNamespace + "/" + m.opts.LeaderElection.ResourceName
	if m.opts.DryRun && m.opts.LeaderElection.Enabled {
		// A dry run writes no Lease: it must never take the leadership a
		// real manager next to it holds.
		klog.FromContext(ctx).Info("Dry run: not taking part in leader election")
	}
	if !m.opts.LeaderElection.Enabled || m.opts.DryRun {
		m.metrics.leader.WithLabelValues("").Set(1)
		return m.runAll(ctx, runs)
	}
	var runErr error
	le := &leaderElected{
		opts: m.opts.LeaderElection, client: m.kube, identity: m.identity, watchdog: m.watchdog,
		onLeading: func(leading bool) {
			v := 0.0
			if leading {
				v = 1
			}
			m.metrics.leader.WithLabelValues(lease).Set(v)
		},
	}
	m.metrics.leader.WithLabelValues(lease).Set(0)
	// le.run releases the lease only after runAll, and so every sync, ended.
	err := le.run(ctx, func(ctx context.Context) { runErr = m.runAll(ctx, runs) })
	if runErr != nil {
		return runErr // a failed controller gave the lease up; say why
	}
	return err
}

// runAll runs the controllers until ctx is done; the first one to fail
// stops the others and its error is returned. It returns only once the
// controllers' workers have finished the syncs they were in, or
// m.drainTimeout has passed (logged).
func (m *Manager) runAll(ctx context.Context, runs map[string]RunFunc) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	workers := &worker.Group{}
	ctx = worker.WithGroup(ctx, workers)
	var wg sync.WaitGroup
	for name, run := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer utilruntime.HandleCrashWithContext(ctx)
			logger := klog.FromContext(ctx).WithValues("controller", name)
			if err := run(klog.NewContext(ctx, logger)); err != nil {
				cancel(fmt.Errorf("controller %q: %w", name, err))
			}
		}()
	}
	wg.Wait()
	err := context.Cause(ctx)
	cancel(nil) // a controller that returned early leaves its workers running
	m.drain(ctx, workers)
	if err != nil && err != context.Canceled {
		return err
	}
	return nil
}

// drain waits for the workers after the controllers returned (their queues
// are shut down, their context is done).
func (m *Manager) drain(ctx context.Context, workers *worker.Group) {
	logger := klog.FromContext(ctx)
	start := time.Now()
	if !workers.Wait(m.drainTimeout) {
		logger.Error(nil, "Syncs still running after the drain timeout; stopping anyway", "timeout", m.drainTimeout)
		return
	}
	logger.Info("Controller workers stopped", "waited", time.Since(start).Round(time.Millisecond))
}
