package manager

import (
	"context"

	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// controllerInitializers maps every --controllers name to its InitFunc.
// Adding a controller is one line here plus its start function below.
func controllerInitializers() map[string]InitFunc {
	return map[string]InitFunc{
		apis.ControllerPoolServiceSet: startPoolServiceSetController,
		apis.ControllerELB:            startELBController,
	}
}

// TODO(lead): replace the stub with the real controller once
// pkg/controller/poolserviceset lands:
//
//	c, err := poolserviceset.NewController(ctx, cc.KubeClient, cc.YurtClient,
//		cc.KubeInformers.Core().V1().Services(), cc.NodePoolInformer,
//		cc.YurtInformers.Network().V1alpha1().PoolServices(), cc.Recorder)
//	if err != nil {
//		return nil, err
//	}
//	return func(ctx context.Context) error { return c.Run(ctx, cc.Options.PoolServiceSetWorkers) }, nil
func startPoolServiceSetController(ctx context.Context, cc *ControllerContext) (RunFunc, error) {
	// Request the informers the real controller uses so they start and sync.
	cc.KubeInformers.Core().V1().Services().Informer()
	cc.YurtInformers.Network().V1alpha1().PoolServices().Informer()
	return stubController(apis.ControllerPoolServiceSet, cc.Options.PoolServiceSetWorkers), nil
}

// TODO(lead): replace the stub with the real controller once
// pkg/controller/elb lands:
//
//	cloud, err := cc.Cloud()
//	if err != nil {
//		return nil, err
//	}
//	o := cc.Options
//	c, err := elb.NewController(ctx, elb.Config{ClusterID: o.ClusterID, ResyncPeriod: o.ResyncPeriod,
//		OrphanGracePeriod: o.OrphanGracePeriod, GCOrphans: o.GCOrphans},
//		cc.KubeClient, cc.YurtClient, cloud, cc.KubeInformers.Core().V1().Services(), cc.NodePoolInformer,
//		cc.YurtInformers.Network().V1alpha1().PoolServices(), cc.KubeInformers.Core().V1().Nodes(),
//		cc.KubeInformers.Discovery().V1().EndpointSlices(), cc.Recorder)
//	if err != nil {
//		return nil, err
//	}
//	return func(ctx context.Context) error { return c.Run(ctx, o.ELBWorkers) }, nil
func startELBController(ctx context.Context, cc *ControllerContext) (RunFunc, error) {
	if _, err := cc.Cloud(); err != nil {
		return nil, err
	}
	cc.KubeInformers.Core().V1().Services().Informer()
	cc.KubeInformers.Core().V1().Nodes().Informer()
	cc.KubeInformers.Discovery().V1().EndpointSlices().Informer()
	cc.YurtInformers.Network().V1alpha1().PoolServices().Informer()
	return stubController(apis.ControllerELB, cc.Options.ELBWorkers), nil
}

// stubController stands in for a controller that has not landed yet: it
// logs and blocks until ctx is done, like a real controller's Run.
func stubController(name string, workers int) RunFunc {
	return func(ctx context.Context) error {
		klog.FromContext(ctx).Info("Controller not implemented yet; idling", "stub", name, "workers", workers)
		<-ctx.Done()
		return nil
	}
}
