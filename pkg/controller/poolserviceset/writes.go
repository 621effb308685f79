package poolserviceset

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/dryrun"
	"github.com/edge-lb/edge-controller-manager/pkg/controller/internal/finalizers"
)

// All writes are JSON merge patches that name only our fields; where a list
// is replaced whole (owner references here, finalizers in package
// finalizers) the resourceVersion is a precondition, so a concurrent writer
// makes us fail with 409 and retry.

func metaPatch(meta map[string]any, rv string) map[string]any {
	if rv != "" {
		meta["resourceVersion"] = rv
	}
	return map[string]any{"metadata": meta}
}

func (c *Controller) patchService(ctx context.Context, svc *corev1.Service, patch map[string]any, subresources ...string) error {
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	if c.dryRun {
		c.reportDryRun(ctx, svc, "PatchService", fmt.Sprintf("patch Service %s/%s %s", svc.Namespace, svc.Name, data))
		return nil
	}
	_, err = c.kubeClient.CoreV1().Services(svc.Namespace).Patch(ctx, svc.Name, types.MergePatchType, data,
		metav1.PatchOptions{}, subresources...)
	if err != nil {
		return fmt.Errorf("patching Service %s/%s: %w", svc.Namespace, svc.Name, err)
	}
	return nil
}

func (c *Controller) ensureFinalizer(ctx context.Context, svc *corev1.Service) error {
	if c.dryRun {
		if !hasFinalizer(svc) {
			c.reportDryRun(ctx, svc, "AddFinalizer", "add finalizer "+apis.FinalizerPoolServices)
		}
		return nil
	}
	_, err := finalizers.Add(ctx, c.kubeClient.CoreV1().Services(svc.Namespace), svc, apis.FinalizerPoolServices)
	return err
}

func (c *Controller) removeFinalizer(ctx context.Context, svc *corev1.Service) error {
	if !hasFinalizer(svc) {
		return nil
	}
	if c.dryRun {
		c.reportDryRun(ctx, svc, "RemoveFinalizer", "remove finalizer "+apis.FinalizerPoolServices)
		return nil
	}
	klog.FromContext(ctx).V(2).Info("Removing Service finalizer", "finalizer", apis.FinalizerPoolServices)
	_, err := finalizers.Remove(ctx, c.kubeClient.CoreV1().Services(svc.Namespace), svc, apis.FinalizerPoolServices)
	return err
}

// syncAggregates writes the ingress union and the aggregated.* annotations
// and labels of these PoolServices into the Service, each only if changed.
func (c *Controller) syncAggregates(ctx context.Context, svc *corev1.Service, pss []*networkv1alpha1.PoolService) error {
	if ingress := aggregateIngress(pss); !ingressEqual(svc.Status.LoadBalancer.Ingress, ingress) {
		// A nil ingress marshals to null, which the merge patch removes.
		patch := map[string]any{"status": map[string]any{"loadBalancer": map[string]any{"ingress": ingress}}}
		if err := c.patchService(ctx, svc, patch, "status"); err != nil {
			return err
		}
	}
	meta := map[string]any{}
	if ann := aggregatedChanges(svc.Annotations, aggregateAnnotations(pss)); len(ann) > 0 {
		meta["annotations"] = ann
	}
	if lab := aggregatedChanges(svc.Labels, aggregateLabels(pss)); len(lab) > 0 {
		meta["labels"] = lab
	}
	if len(meta) == 0 {
		return nil
	}
	return c.patchService(ctx, svc, metaPatch(meta, ""))
}

// cacheLagRecheckDelay is how long after a create hit AlreadyExists the
// Service is synced again: long enough for the informer to catch up, and no
// hot loop if it never does.
const cacheLagRecheckDelay = 2 * time.Second

// createPoolService creates one PoolService. It asks for a recheck (true)
// when the name already exists, which means the cache is behind.
func (c *Controller) createPoolService(ctx context.Context, svc *corev1.Service, ps *networkv1alpha1.PoolService) (bool, error) {
	if c.dryRun {
		c.reportDryRun(ctx, svc, "CreatePoolService", fmt.Sprintf("create PoolService %s for NodePool %s", ps.Name, poolOf(ps)))
		return false, nil
	}
	created, err := c.yurtClient.NetworkV1alpha1().PoolServices(ps.Namespace).Create(ctx, ps, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		// The cache is behind: not an error. Usually the PoolService is ours
		// and its add event requeues the Service; the delayed recheck covers
		// one that is not, so the next sync sees it through the lister.
		klog.FromContext(ctx).V(2).Info("PoolService already exists; rechecking once the cache has it",
			"poolService", klog.KObj(ps))
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("creating PoolService %s/%s: %w", ps.Namespace, ps.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Created PoolService", "poolService", klog.KObj(created))
	c.recorder.Eventf(svc, corev1.EventTypeNormal, apis.EventPoolServiceCreated,
		"Created PoolService %s for NodePool %s", created.Name, poolOf(created))
	return false, nil
}

// patchPoolService writes our labels, owner references and class of desired.
// Labels merge key by key, so user labels and all annotations are kept.
func (c *Controller) patchPoolService(ctx context.Context, desired *networkv1alpha1.PoolService) error {
	if c.dryRun {
		c.reportDryRun(ctx, desired, "RepairPoolService", fmt.Sprintf("repair the labels and owner references of PoolService %s", desired.Name))
		return nil
	}
	labels := map[string]string{}
	for _, k := range []string{apis.LabelServiceName, apis.LabelPoolName, apis.LabelManagedBy} {
		labels[k] = desired.Labels[k]
	}
	patch := metaPatch(map[string]any{"labels": labels, "ownerReferences": desired.OwnerReferences},
		desired.ResourceVersion)
	patch["spec"] = map[string]any{"loadBalancerClass": desired.Spec.LoadBalancerClass}
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	_, err = c.yurtClient.NetworkV1alpha1().PoolServices(desired.Namespace).Patch(ctx, desired.Name,
		types.MergePatchType, data, metav1.PatchOptions{})
	if err != nil {
		return fmt.Errorf("repairing PoolService %s/%s: %w", desired.Namespace, desired.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Repaired PoolService", "poolService", klog.KObj(desired))
	return nil
}

// deletePoolService issues the delete; the elb controller's finalizer on the
// PoolService releases its cloud resources. NotFound is success. The event
// goes on svc unless it is nil (the Service is gone).
func (c *Controller) deletePoolService(ctx context.Context, svc *corev1.Service, ps *networkv1alpha1.PoolService) error {
	if c.dryRun {
		c.reportDryRun(ctx, ps, "DeletePoolService", fmt.Sprintf("delete PoolService %s of NodePool %s", ps.Name, poolOf(ps)))
		return nil
	}
	opts := metav1.DeleteOptions{}
	if ps.UID != "" {
		opts.Preconditions = metav1.NewUIDPreconditions(string(ps.UID))
	}
	err := c.yurtClient.NetworkV1alpha1().PoolServices(ps.Namespace).Delete(ctx, ps.Name, opts)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting PoolService %s/%s: %w", ps.Namespace, ps.Name, err)
	}
	klog.FromContext(ctx).V(2).Info("Deleted PoolService", "poolService", klog.KObj(ps))
	if svc != nil {
		c.recorder.Eventf(svc, corev1.EventTypeNormal, apis.EventPoolServiceDeleted,
			"Deleted PoolService %s of NodePool %s", ps.Name, poolOf(ps))
	}
	return nil
}

// SetDryRun makes the controller plan and report (a log line, an Event and
// a metric per planned write) instead of writing to the API server.
func (c *Controller) SetDryRun() { c.dryRun = true }

func (c *Controller) reportDryRun(ctx context.Context, obj runtime.Object, action, what string) {
	dryrun.Report(ctx, c.recorder, obj, apis.ControllerPoolServiceSet, action, what)
}
