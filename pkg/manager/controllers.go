package manager

import (
	"context"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/elb"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/poolserviceset"
)

// controllerInitializers maps every --controllers name to its InitFunc.
// Adding a controller is one line here plus its start function below.
func controllerInitializers() map[string]InitFunc {
	return map[string]InitFunc{
		apis.ControllerPoolServiceSet: startPoolServiceSetController,
		apis.ControllerELB:            startELBController,
	}
}

// startPoolServiceSetController fans Services out into PoolServices. It
// needs no cloud access.
func startPoolServiceSetController(ctx context.Context, cc *ControllerContext) (RunFunc, error) {
	c, err := poolserviceset.NewController(ctx, cc.KubeClient, cc.YurtClient,
		cc.KubeInformers.Core().V1().Services(), cc.NodePoolInformer, cc.NodePoolAPIVersion,
		cc.YurtInformers.Network().V1alpha1().PoolServices(), cc.Recorder)
	if err != nil {
		return nil, err
	}
	if cc.Options.DryRun {
		c.SetDryRun()
	}
	return func(ctx context.Context) error { return c.Run(ctx, cc.Options.PoolServiceSetWorkers) }, nil
}

// startELBController drives one ELB per PoolService through the ENS client.
func startELBController(ctx context.Context, cc *ControllerContext) (RunFunc, error) {
	cloud, err := cc.Cloud()
	if err != nil {
		return nil, err
	}
	o := cc.Options
	cfg := elb.Config{
		ClusterID:         o.ClusterID,
		ResyncPeriod:      o.ResyncPeriod,
		OrphanGracePeriod: o.OrphanGracePeriod,
		GCOrphans:         o.GCOrphans,
		// Ownership records live next to the Lease, in the manager's own
		// namespace (the Role there grants ConfigMaps).
		OwnershipNamespace:    o.LeaderElection.ResourceNamespace,
		ResyncRate:            o.ELBResyncRate,
		ListenerRecheckPeriod: o.ELBListenerRecheck,
		DryRun:                o.DryRun,
		AdoptExisting:         o.AdoptExisting,
	}
	c, err := elb.NewController(ctx, cfg, cc.KubeClient, cc.YurtClient, cloud,
		cc.KubeInformers.Core().V1().Services(), cc.NodePoolInformer,
		cc.YurtInformers.Network().V1alpha1().PoolServices(), cc.KubeInformers.Core().V1().Nodes(),
		cc.KubeInformers.Discovery().V1().EndpointSlices(), cc.Recorder)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error { return c.Run(ctx, o.ELBWorkers) }, nil
}
