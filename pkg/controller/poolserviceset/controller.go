// Package poolserviceset implements the poolservice-set controller: it fans a
// LoadBalancer Service of the ELB class out to one PoolService per NodePool
// its selector matches, and aggregates their status back into the Service.
package poolserviceset

import (
	"context"
	"errors"
	"fmt"

	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/informer"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/worker"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	networkinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions/network/v1alpha1"
	appslisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/apps/v1beta2"
	networklisters "github.com/edge-lb/edge-controller-manager/pkg/generated/listers/network/v1alpha1"
)

// Controller reconciles Services (queue keys are "<namespace>/<name>").
type Controller struct {
	kubeClient kubernetes.Interface
	yurtClient versioned.Interface
	recorder   record.EventRecorder

	serviceLister      corelisters.ServiceLister
	serviceIndexer     cache.Indexer
	nodePoolLister     appslisters.NodePoolLister
	poolServiceLister  networklisters.PoolServiceLister
	poolServiceIndexer cache.Indexer
	synced             []cache.InformerSynced
	selectors          *selectorCache
	owners             owners

	queue  workqueue.TypedRateLimitingInterface[string]
	dryRun bool // SetDryRun
}

// NewController wires the informers to the queue. It must be called before
// the informers are started (it adds indexers). nodePoolAPIVersion is the
// NodePool group/version the API server serves (e.g.
// "apps.openyurt.io/v1beta1"); PoolService owner references name it, while
// nodePoolInformer's store holds v1beta2 objects either way.
func NewController(ctx context.Context, kubeClient kubernetes.Interface, yurtClient versioned.Interface,
	serviceInformer coreinformers.ServiceInformer, nodePoolInformer cache.SharedIndexInformer, nodePoolAPIVersion string,
	poolServiceInformer networkinformers.PoolServiceInformer, recorder record.EventRecorder) (*Controller, error) {
	logger := klog.FromContext(ctx)
	owners, err := newOwners(nodePoolAPIVersion)
	if err != nil {
		return nil, err
	}
	if err := informer.AddIndexers(serviceInformer.Informer(), serviceIndexers()); err != nil {
		return nil, fmt.Errorf("adding Service indexers: %w", err)
	}
	if err := informer.AddIndexers(poolServiceInformer.Informer(), poolServiceIndexers()); err != nil {
		return nil, fmt.Errorf("adding PoolService indexers: %w", err)
	}
	c := &Controller{
		kubeClient:         kubeClient,
		yurtClient:         yurtClient,
		recorder:           recorder,
		serviceLister:      serviceInformer.Lister(),
		serviceIndexer:     serviceInformer.Informer().GetIndexer(),
		nodePoolLister:     appslisters.NewNodePoolLister(nodePoolInformer.GetIndexer()),
		poolServiceLister:  poolServiceInformer.Lister(),
		poolServiceIndexer: poolServiceInformer.Informer().GetIndexer(),
		selectors:          newSelectorCache(),
		owners:             owners,
		queue: workqueue.NewTypedRateLimitingQueueWithConfig(
			workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: apis.ControllerPoolServiceSet},
		),
	}
	opts := cache.HandlerOptions{Logger: &logger}
	for _, h := range []struct {
		inf     cache.SharedIndexInformer
		handler cache.ResourceEventHandler
	}{
		{serviceInformer.Informer(), c.serviceHandler()},
		{nodePoolInformer, c.nodePoolHandler()},
		{poolServiceInformer.Informer(), c.poolServiceHandler()},
	} {
		reg, err := h.inf.AddEventHandlerWithOptions(h.handler, opts)
		if err != nil {
			return nil, fmt.Errorf("adding event handler: %w", err)
		}
		c.synced = append(c.synced, reg.HasSynced)
	}
	return c, nil
}

// Run starts workers and blocks until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) error {
	defer utilruntime.HandleCrashWithContext(ctx)
	defer c.queue.ShutDown()
	logger := klog.FromContext(ctx)
	logger.Info("Starting controller", "controller", apis.ControllerPoolServiceSet, "workers", workers)
	defer logger.Info("Shutting down controller", "controller", apis.ControllerPoolServiceSet)

	if !cache.WaitForNamedCacheSyncWithContext(ctx, c.synced...) {
		return errors.New("failed to wait for caches to sync")
	}
	c.loop().Start(ctx, workers)
	<-ctx.Done()
	return nil
}

// loop drains c.queue (read now: tests swap the queue after NewController).
func (c *Controller) loop() worker.Loop {
	return worker.Loop{
		Controller: apis.ControllerPoolServiceSet,
		KeyName:    "service",
		Queue:      c.queue,
		Sync:       c.syncService,
	}
}
