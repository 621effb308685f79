package elb

import (
	"context"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/finalizers"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// hasFinalizer: our finalizer is on the PoolService.
func hasFinalizer(ps *v1alpha1.PoolService) bool {
	return finalizers.Has(ps, apis.FinalizerELBResources)
}

// ensureFinalizer adds the finalizer before the first cloud mutation, so a
// PoolService is never deleted with its ELB still in the cloud. v.ps
// becomes the PoolService the API server answered with.
func (c *Controller) ensureFinalizer(ctx context.Context, v poolServiceView) error {
	if c.cfg.DryRun {
		return nil
	}
	res, err := finalizers.Add(ctx, c.yurtClient.NetworkV1alpha1().PoolServices(v.ps.Namespace), v.ps,
		apis.FinalizerELBResources)
	if err != nil {
		return err
	}
	*v.ps = *res
	return nil
}

// removeFinalizer lets the PoolService go once its cloud resources are
// released.
func (c *Controller) removeFinalizer(ctx context.Context, v poolServiceView) error {
	if c.cfg.DryRun {
		return nil
	}
	res, err := finalizers.Remove(ctx, c.yurtClient.NetworkV1alpha1().PoolServices(v.ps.Namespace), v.ps,
		apis.FinalizerELBResources)
	if apierrors.IsNotFound(err) { // gone already: nothing left to hold
		return nil
	}
	if err != nil {
		return err
	}
	*v.ps = *res
	return nil
}
