//go:build soak

package soak

import (
	"context"
	"fmt"
	"sort"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
)

// slotPoolServices are the live PoolServices serving a slot's Service,
// by name.
func (e *env) slotPoolServices(ctx context.Context, sl slot) ([]networkv1alpha1.PoolService, error) {
	list, err := e.yurt.NetworkV1alpha1().PoolServices(sl.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	var out []networkv1alpha1.PoolService
	for _, ps := range list.Items {
		if ps.DeletionTimestamp == nil && servedBy(&ps).service == sl.name {
			out = append(out, ps)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// pickPoolService is the n-th (modulo) live PoolService of the slot.
func (e *env) pickPoolService(ctx context.Context, o op) (*networkv1alpha1.PoolService, error) {
	pss, err := e.slotPoolServices(ctx, slots[o.slot])
	if err != nil || len(pss) == 0 {
		return nil, err
	}
	return &pss[o.n%len(pss)], nil
}

// duplicatePoolService creates a copy of a PoolService under another name,
// as `kubectl get -o yaml | sed s/name/name-copy/ | kubectl create` would:
// same labels, annotations, owners, finalizers and class.
func (e *env) duplicatePoolService(ctx context.Context, o op) (string, error) {
	ps, err := e.pickPoolService(ctx, o)
	if err != nil || ps == nil {
		return "skipped: no PoolService", err
	}
	dup := &networkv1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-copy%d", ps.Name, o.n), Namespace: ps.Namespace,
			Labels: ps.Labels, Annotations: ps.Annotations, OwnerReferences: ps.OwnerReferences, Finalizers: ps.Finalizers},
		Spec: ps.Spec,
	}
	if _, err := e.yurt.NetworkV1alpha1().PoolServices(ps.Namespace).Create(ctx, dup, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	return "copied " + ps.Name + " to " + dup.Name, nil
}

// editPoolServiceLabels edits what a user may break: the labels saying
// which pool and Service it serves, and managed-by; or adds one of theirs.
func (e *env) editPoolServiceLabels(ctx context.Context, o op) (string, error) {
	ps, err := e.pickPoolService(ctx, o)
	if err != nil || ps == nil {
		return "skipped: no PoolService", err
	}
	var labels map[string]*string
	switch o.variant {
	case 0:
		labels = map[string]*string{labelPSPool: &o.pool}
	case 1:
		other := fmt.Sprintf("nosuch-%d", o.n)
		labels = map[string]*string{labelPSService: &other}
	case 2:
		labels = map[string]*string{labelPSManagedBy: nil}
	default:
		note := fmt.Sprint(o.n)
		labels = map[string]*string{"soak-note": &note}
	}
	_, err = e.yurt.NetworkV1alpha1().PoolServices(ps.Namespace).Patch(ctx, ps.Name, types.MergePatchType, labelPatch(labels), metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return "skipped: gone", nil
	}
	return fmt.Sprintf("edited %s labels %v", ps.Name, describeLabels(labels)), err
}

func describeLabels(l map[string]*string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = derefOr(v, "<removed>")
	}
	return out
}

// attachUserELBs names, on every PoolService of a user-managed slot that
// names none yet (or one the user has released since), the user's ELB for
// the pool's site (the walkthrough's `kubectl annotate ps ...
// loadbalancer-id=lb-...`). A Service that is not user-managed (the
// switchable slot before its switch) is left alone.
func (e *env) attachUserELBs(ctx context.Context, sl slot) (string, error) {
	svc, err := e.kube.CoreV1().Services(sl.ns).Get(ctx, sl.name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && !isUserManaged(svc)) {
		return "skipped: no user-managed Service", nil
	}
	if err != nil {
		return "", err
	}
	pss, err := e.slotPoolServices(ctx, sl)
	if err != nil {
		return "", err
	}
	var done []string
	for _, ps := range pss {
		if cur := ps.Annotations[annLoadBalancerID]; cur != "" && e.deadELBs[cur] == "" {
			continue
		}
		pool := servedBy(&ps).pool
		id := e.userELBs[sl.elb[sitOfPool(pool)]]
		if id == "" {
			continue
		}
		body := mergePatch(map[string]any{"metadata": map[string]any{"annotations": map[string]string{annLoadBalancerID: id}}})
		_, err := e.yurt.NetworkV1alpha1().PoolServices(sl.ns).Patch(ctx, ps.Name, types.MergePatchType, body, metav1.PatchOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return "", err
		}
		done = append(done, ps.Name+"="+id)
	}
	return fmt.Sprintf("attached %v", done), nil
}

// sitOfPool is the site name of a known pool ("" for another).
func sitOfPool(pool string) string {
	for _, p := range poolDefs {
		if p.name == pool {
			return p.site.name
		}
	}
	return ""
}
