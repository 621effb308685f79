package manager

import (
	"context"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	kubeinformers "k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"

	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

// ControllerContext is what a controller's InitFunc builds the controller from.
type ControllerContext struct {
	Options       *Options
	KubeClient    kubernetes.Interface
	YurtClient    versioned.Interface
	KubeInformers kubeinformers.SharedInformerFactory
	YurtInformers yurtinformers.SharedInformerFactory
	// NodePoolInformer's store always holds *v1beta2.NodePool, whichever
	// version the API server serves.
	NodePoolInformer cache.SharedIndexInformer
	// NodePoolAPIVersion is the NodePool group/version the API server
	// serves ("apps.openyurt.io/v1beta2" or ".../v1beta1"): owner
	// references to a NodePool must name it for the garbage collector.
	NodePoolAPIVersion string
	Recorder           record.EventRecorder
	// MetricsRegistry is the registry /metrics serves; controllers may add
	// their own collectors.
	MetricsRegistry prometheus.Registerer

	cloudOnce sync.Once
	cloud     cloud.Cloud
	cloudErr  error
	newCloud  func() (cloud.Cloud, error)
}

// Cloud returns the ENS client, built on first use so that managers
// running no cloud controller need no cloud config.
func (c *ControllerContext) Cloud() (cloud.Cloud, error) {
	c.cloudOnce.Do(func() { c.cloud, c.cloudErr = c.newCloud() })
	return c.cloud, c.cloudErr
}

// InitFunc builds one controller, registering its informer event handlers,
// and returns how to run it. It must not block: the manager starts the
// informers after every InitFunc returned and runs the controllers only
// once the caches are synced and this replica leads.
type InitFunc func(ctx context.Context, cc *ControllerContext) (RunFunc, error)

// RunFunc runs a controller until ctx is done.
type RunFunc func(ctx context.Context) error

// KnownControllers returns the names --controllers accepts, sorted.
func KnownControllers() []string {
	var names []string
	for name := range controllerInitializers() {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
