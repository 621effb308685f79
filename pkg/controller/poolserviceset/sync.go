package poolserviceset

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// syncService brings one Service's PoolServices, finalizer and aggregated
// status to the desired state. It is idempotent: a second run writes nothing.
// A positive duration asks for the Service to be synced again after it.
func (c *Controller) syncService(ctx context.Context, key string) (time.Duration, error) {
	ns, name, err := cache.SplitMetaNamespaceKey(key)
	if err != nil {
		utilruntime.HandleErrorWithContext(ctx, err, "Invalid queue key", "key", key)
		return 0, nil
	}
	svc, err := c.serviceLister.Services(ns).Get(name)
	if apierrors.IsNotFound(err) {
		// Also drops an entry a NodePool event may have cached after the
		// Service's delete event.
		c.selectors.forget(cache.ObjectName{Namespace: ns, Name: name})
		return 0, c.deleteLeftovers(ctx, ns, name)
	}
	if err != nil {
		return 0, err
	}
	owned := c.ownedPoolServices(svc)
	if svc.DeletionTimestamp != nil || !wantsPoolServices(svc) {
		return 0, c.cleanup(ctx, svc, owned)
	}
	sel, err := c.selectors.get(cache.MetaObjectToName(svc), svc.Annotations[apis.AnnotationNodePoolSelector])
	if err != nil {
		// Conservative: a typo in the selector must not release every ELB of
		// the Service, so its PoolServices stay as they are until it parses.
		c.recorder.Eventf(svc, corev1.EventTypeWarning, apis.EventInvalidNodePoolSelector,
			"Annotation %s is not a valid label selector: %v", apis.AnnotationNodePoolSelector, err)
		return 0, nil
	}
	pools, err := c.matchingPools(sel)
	if err != nil {
		return 0, err
	}
	if len(pools) == 0 {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, apis.EventNoMatchNodePool,
			"No NodePool matches %s=%q", apis.AnnotationNodePoolSelector, sel.String())
	}
	return c.apply(ctx, svc, owned, c.owners.planPoolServices(svc, pools, owned, c.lookupPoolService(ns)))
}

// apply carries out a plan. The finalizer goes on before anything is created.
// It asks for a recheck after cacheLagRecheckDelay when a create found its
// name taken (the cache is behind).
func (c *Controller) apply(ctx context.Context, svc *corev1.Service, owned []*networkv1alpha1.PoolService, p plan) (time.Duration, error) {
	for _, pool := range p.invalidPools {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, apis.EventInvalidPoolName,
			"NodePool %s matches but gets no PoolService: its name (%d characters) cannot be a value of label %s: %s",
			pool.Name, len(pool.Name), apis.LabelPoolName, strings.Join(validation.IsValidLabelValue(pool.Name), "; "))
	}
	for _, ps := range p.conflicts {
		c.recorder.Eventf(svc, corev1.EventTypeWarning, apis.EventManagedConflict,
			"PoolService %s is managed by %q, not %s; leaving it alone",
			ps.Name, ps.Labels[apis.LabelManagedBy], apis.ManagedByValue)
	}
	if len(p.create)+len(owned) > 0 {
		if err := c.ensureFinalizer(ctx, svc); err != nil {
			return 0, err
		}
	}
	var errs []error
	var recheck time.Duration
	for _, ps := range p.create {
		taken, err := c.createPoolService(ctx, svc, ps)
		if taken {
			recheck = cacheLagRecheckDelay
		}
		errs = append(errs, err)
	}
	for _, ps := range p.repair {
		errs = append(errs, c.patchPoolService(ctx, ps))
	}
	for _, ps := range p.remove {
		errs = append(errs, c.deletePoolService(ctx, svc, ps))
	}
	errs = append(errs, c.syncAggregates(ctx, svc, p.keep))
	return recheck, utilerrors.NewAggregate(errs)
}

// cleanup deletes all PoolServices of a Service that is being deleted or no
// longer wants them, clears what we aggregated into it, and drops the
// finalizer once they are all gone. PoolServices held by the elb
// controller's finalizer linger; their delete events requeue the Service.
func (c *Controller) cleanup(ctx context.Context, svc *corev1.Service, owned []*networkv1alpha1.PoolService) error {
	if !hasFinalizer(svc) && len(owned) == 0 {
		return nil // not ours, or already done
	}
	var errs []error
	for _, ps := range owned {
		if ps.DeletionTimestamp == nil {
			errs = append(errs, c.deletePoolService(ctx, svc, ps))
		}
	}
	if svc.DeletionTimestamp == nil {
		errs = append(errs, c.syncAggregates(ctx, svc, nil))
	}
	if err := utilerrors.NewAggregate(errs); err != nil || len(owned) > 0 {
		return err
	}
	return c.removeFinalizer(ctx, svc)
}

// deleteLeftovers deletes our PoolServices of a Service that is gone (its
// finalizer was removed by someone else); the garbage collector would too.
func (c *Controller) deleteLeftovers(ctx context.Context, ns, name string) error {
	gone := &corev1.Service{}
	gone.Namespace, gone.Name = ns, name
	var errs []error
	for _, ps := range c.ownedPoolServices(gone) {
		if ps.DeletionTimestamp == nil {
			errs = append(errs, c.deletePoolService(ctx, nil, ps))
		}
	}
	return utilerrors.NewAggregate(errs)
}

// ownedPoolServices are the Service's own PoolServices, from the cache.
func (c *Controller) ownedPoolServices(svc *corev1.Service) []*networkv1alpha1.PoolService {
	objs, err := c.poolServiceIndexer.ByIndex(PoolServiceByServiceIndex, svc.Namespace+"/"+svc.Name)
	if err != nil {
		return nil // the index is registered in NewController
	}
	var out []*networkv1alpha1.PoolService
	for _, obj := range objs {
		if ps := obj.(*networkv1alpha1.PoolService); ownedBy(ps, svc) {
			out = append(out, ps)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// matchingPools are the pools, not being deleted, that sel selects, by name.
func (c *Controller) matchingPools(sel labels.Selector) ([]*appsv1beta2.NodePool, error) {
	all, err := c.nodePoolLister.List(sel)
	if err != nil {
		return nil, fmt.Errorf("listing NodePools: %w", err)
	}
	var out []*appsv1beta2.NodePool
	for _, np := range all {
		if np.DeletionTimestamp == nil {
			out = append(out, np)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (c *Controller) lookupPoolService(ns string) func(string) *networkv1alpha1.PoolService {
	return func(name string) *networkv1alpha1.PoolService {
		ps, err := c.poolServiceLister.PoolServices(ns).Get(name)
		if err != nil {
			return nil
		}
		return ps
	}
}
