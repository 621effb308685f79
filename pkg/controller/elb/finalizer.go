package elb

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

func hasFinalizer(ps *v1alpha1.PoolService) bool {
	return slices.Contains(ps.Finalizers, apis.FinalizerELBResources)
}

// ensureFinalizer adds the finalizer before the first cloud mutation, so a
// PoolService is never deleted with its ELB still in the cloud.
func (c *Controller) ensureFinalizer(ctx context.Context, v poolServiceView) error {
	if hasFinalizer(v.ps) {
		return nil
	}
	upd := v.ps.DeepCopy()
	upd.Finalizers = append(upd.Finalizers, apis.FinalizerELBResources)
	return c.updatePoolService(ctx, v.ps, upd)
}

func (c *Controller) removeFinalizer(ctx context.Context, v poolServiceView) error {
	if !hasFinalizer(v.ps) {
		return nil
	}
	upd := v.ps.DeepCopy()
	upd.Finalizers = slices.DeleteFunc(upd.Finalizers, func(f string) bool { return f == apis.FinalizerELBResources })
	return c.updatePoolService(ctx, v.ps, upd)
}

func (c *Controller) updatePoolService(ctx context.Context, ps, upd *v1alpha1.PoolService) error {
	res, err := c.yurtClient.NetworkV1alpha1().PoolServices(ps.Namespace).Update(ctx, upd, metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update PoolService finalizers: %w", err)
	}
	*ps = *res
	return nil
}

func userManagedService(s *corev1.Service) bool {
	b, _ := strconv.ParseBool(s.Annotations[apis.AnnotationManagedByUser])
	return b
}

func isLocalService(s *corev1.Service) bool {
	return s.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}
