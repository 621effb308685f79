// Package elb is the controller that gives every PoolService of class
// alibabacloud.com/elb its ENS Edge Load Balancer: listeners, backends and
// EIP, following the PoolService's Service, NodePool, nodes and endpoints.
// The desired state and the plan are computed by pkg/elbmodel; this package
// reads the objects and the cloud, runs the plan and writes the status.
package elb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	coreinformers "k8s.io/client-go/informers/core/v1"
	discoveryinformers "k8s.io/client-go/informers/discovery/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	discoverylisters "k8s.io/client-go/listers/discovery/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	networkinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions/network/v1alpha1"
	appslisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/apps/v1beta2"
	networklisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// Config tunes the controller. Zero durations take the defaults below.
type Config struct {
	// ClusterID is the last segment of every ELB and EIP name (required).
	ClusterID string
	// ResyncPeriod is how often every PoolService is compared with the
	// cloud again (drift repair) and, with GCOrphans, how often orphans are
	// swept.
	ResyncPeriod time.Duration
	// OrphanGracePeriod is how long a resource must stay orphaned before
	// the sweep releases it.
	OrphanGracePeriod time.Duration
	// GCOrphans turns the orphan sweep on (the manager's flag defaults on).
	GCOrphans bool
	// RequeueDelay is how soon a transitional cloud state (ELB not Active,
	// listener starting, EIP associating) or a just-applied plan is looked
	// at again.
	RequeueDelay time.Duration
	// EIPReadSpacing is the least time between two by-id EIP reads (which
	// go together, eip_reads.go): it leaves the rest of
	// DescribeEnsEipAddresses' budget to the by-name reads of PoolServices
	// not provisioned yet. Default 250ms (4 of ENS's documented 10 per
	// second).
	EIPReadSpacing time.Duration
	// Clock measures the orphan grace period; tests may fake it.
	Clock clock.PassiveClock
	// OwnershipNamespace holds the ownership records (ConfigMaps).
	OwnershipNamespace string
	// ClientTokenReuse is how long after it was recorded a create whose
	// answer was lost may be repeated with its token; keep it below the
	// ~10 minutes ENS remembers a token.
	ClientTokenReuse time.Duration
	// VisibilityGrace is how long a just-created resource may stay
	// invisible to Describe calls before it counts as gone.
	VisibilityGrace time.Duration
	// AuthRetryDelay is the first delay after an authorization error
	// (doubling up to ResyncPeriod): credentials and RAM policies get
	// fixed, but not in milliseconds.
	AuthRetryDelay time.Duration
	// SharedReadMaxAge is how long a read shared by many PoolServices (all
	// cluster nodes' instances, a region's EIPs) serves their syncs;
	// default half the ResyncPeriod.
	SharedReadMaxAge time.Duration
	// ListenerRecheckPeriod is how long an ELB's listeners are not read
	// again in full while its summary shows them unchanged; default 24
	// resync periods (a listener stopped or re-tuned by hand, its port and
	// backend port kept, is repaired within it; everything else within one
	// resync period).
	ListenerRecheckPeriod time.Duration
	// ResyncRate is how many PoolServices per second the periodic resync
	// starts at most: its share of ENS's per-action budget (each costs about
	// one DescribeLoadBalancerAttribute). A period the rate cannot fill is
	// stretched, with a log line and a metric. Default 5 (half of ENS's
	// documented 10/s per user).
	ResyncRate float64
	// DryRun plans and reports (a log line, an Event and a metric per
	// planned change) but changes nothing: no cloud mutation, no write to
	// the API server but Events. The manager also hands it a read-only
	// Cloud and ownership Store, so a change that slipped through fails.
	DryRun bool
	// AdoptExisting lets every managed PoolService adopt the ELB and EIP
	// named ours that another controller made (see adopt.go); per Service
	// the annotation AnnotationAdoptExisting does the same.
	AdoptExisting bool
}

// Defaults.
const (
	DefaultResyncPeriod      = 5 * time.Minute
	DefaultOrphanGracePeriod = 10 * time.Minute
	DefaultRequeueDelay      = 2 * time.Second
	DefaultOwnershipNS       = "edge-controller-manager"
	DefaultClientTokenReuse  = 9 * time.Minute
	DefaultVisibilityGrace   = 2 * time.Minute
	DefaultAuthRetryDelay    = 30 * time.Second
	DefaultResyncRate        = 5.0
	DefaultEIPReadSpacing    = 250 * time.Millisecond
	listenerRechecksPerRead  = 24
)

func (c *Config) defaults() error {
	if c.ClusterID == "" {
		return errors.New("elb: Config.ClusterID is required")
	}
	if c.ResyncPeriod <= 0 {
		c.ResyncPeriod = DefaultResyncPeriod
	}
	if c.OrphanGracePeriod <= 0 {
		c.OrphanGracePeriod = DefaultOrphanGracePeriod
	}
	if c.RequeueDelay <= 0 {
		c.RequeueDelay = DefaultRequeueDelay
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	c.OwnershipNamespace = cmp.Or(c.OwnershipNamespace, DefaultOwnershipNS)
	c.ClientTokenReuse = cmp.Or(c.ClientTokenReuse, DefaultClientTokenReuse)
	c.VisibilityGrace = cmp.Or(c.VisibilityGrace, DefaultVisibilityGrace)
	c.AuthRetryDelay = cmp.Or(c.AuthRetryDelay, DefaultAuthRetryDelay)
	c.SharedReadMaxAge = cmp.Or(c.SharedReadMaxAge, c.ResyncPeriod/2)
	c.ListenerRecheckPeriod = cmp.Or(c.ListenerRecheckPeriod, listenerRechecksPerRead*c.ResyncPeriod)
	c.ResyncRate = cmp.Or(c.ResyncRate, DefaultResyncRate)
	c.EIPReadSpacing = cmp.Or(c.EIPReadSpacing, DefaultEIPReadSpacing)
	return nil
}

// Controller keeps ENS ELBs in line with PoolServices.
type Controller struct {
	cfg        Config
	kubeClient kubernetes.Interface
	yurtClient versioned.Interface
	cloud      cloud.Cloud
	recorder   record.EventRecorder

	services     corelisters.ServiceLister
	pools        appslisters.NodePoolLister
	poolServices networklisters.PoolServiceLister
	psIndexer    cache.Indexer
	nodeIndexer  cache.Indexer
	slices       discoverylisters.EndpointSliceLister
	synced       []cache.InformerSynced

	queue workqueue.TypedRateLimitingInterface[string]
	// waitBackoff spaces out the looks at a PoolService that can only wait (an
	// ELB not Active, perhaps stopped by its owner): RequeueDelay doubling
	// up to ResyncPeriod, reset as soon as a sync makes progress.
	waitBackoff workqueue.TypedRateLimiter[string]
	// authBackoff spaces out the retries after authorization errors.
	authBackoff workqueue.TypedRateLimiter[string]
	orphans     *orphanTracker
	owned       *ownership.Store
	names       *nameLocks
	shared      *sharedReads
	users       *regionUsers
	resyncing   *keySet
	workers     *atomic.Int64 // Run's
	drains      *drains
	eipReads    *eipReads
	creations   *creations
}

// NewController wires the informers. nodePoolInformer's store holds
// *v1beta2.NodePool. Indexers are added here, so call it before the
// informers start.
func NewController(ctx context.Context, cfg Config, kubeClient kubernetes.Interface, yurtClient versioned.Interface,
	cloudAPI cloud.Cloud, serviceInformer coreinformers.ServiceInformer, nodePoolInformer cache.SharedIndexInformer,
	poolServiceInformer networkinformers.PoolServiceInformer, nodeInformer coreinformers.NodeInformer,
	endpointSliceInformer discoveryinformers.EndpointSliceInformer, recorder record.EventRecorder) (*Controller, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.DryRun {
		cloudAPI = cloud.ReadOnly(cloudAPI)
	}
	c := &Controller{
		cfg: cfg, kubeClient: kubeClient, yurtClient: yurtClient, cloud: cloudAPI, recorder: recorder,
		services:     serviceInformer.Lister(),
		pools:        appslisters.NewNodePoolLister(nodePoolInformer.GetIndexer()),
		poolServices: poolServiceInformer.Lister(),
		psIndexer:    poolServiceInformer.Informer().GetIndexer(),
		nodeIndexer:  nodeInformer.Informer().GetIndexer(),
		slices:       endpointSliceInformer.Lister(),
		queue:        newQueue(),
		waitBackoff:  workqueue.NewTypedItemExponentialFailureRateLimiter[string](cfg.RequeueDelay, cfg.ResyncPeriod),
		authBackoff:  workqueue.NewTypedItemExponentialFailureRateLimiter[string](cfg.AuthRetryDelay, cfg.ResyncPeriod),
		orphans:      newOrphanTracker(),
		owned:        ownership.NewStore(kubeClient, cfg.OwnershipNamespace),
		names:        &nameLocks{},
		shared:       newSharedReads(cfg.Clock, cfg.SharedReadMaxAge, cfg.ListenerRecheckPeriod),
		users:        &regionUsers{},
		resyncing:    &keySet{},
		workers:      new(atomic.Int64),
		drains:       &drains{},
		eipReads:     newEIPReads(cfg.EIPReadSpacing),
		creations:    newCreations(cfg.RequeueDelay),
	}
	if cfg.DryRun {
		c.owned.SetReadOnly()
	}
	if err := addIndexers(poolServiceInformer.Informer(), nodeInformer.Informer()); err != nil {
		return nil, err
	}
	if err := c.addHandlers(serviceInformer.Informer(), nodePoolInformer, poolServiceInformer.Informer(),
		nodeInformer.Informer(), endpointSliceInformer.Informer()); err != nil {
		return nil, err
	}
	klog.FromContext(ctx).V(2).Info("elb controller created", "clusterID", cfg.ClusterID)
	return c, nil
}

// Run starts the workers, the periodic resync and the orphan sweep, and
// blocks until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrash()
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Starting elb controller", "workers", workers)
	c.workers.Store(int64(workers))
	go c.owned.Run(ctx)
	if !cache.WaitForNamedCacheSyncWithContext(ctx, append(c.synced, c.owned.HasSynced)...) {
		return fmt.Errorf("elb: caches did not sync")
	}
	c.loop().Start(ctx, workers)
	go c.resync(ctx)
	// The sweep releases cloud resources: a leader hand-off waits for it.
	if c.cfg.GCOrphans {
		worker.Go(ctx, func() { wait.UntilWithContext(ctx, c.sweepOrphans, c.cfg.ResyncPeriod) })
	}
	<-ctx.Done()
	logger.Info("Shutting down elb controller")
	return nil
}

// loop drains c.queue (read now: tests swap the queue after NewController).
func (c *Controller) loop() worker.Loop {
	return worker.Loop{Controller: apis.ControllerELB, KeyName: "poolService", Queue: c.queue, Sync: c.sync}
}
