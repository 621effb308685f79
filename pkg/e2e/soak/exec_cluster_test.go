//go:build soak

package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

func mergePatch(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // only maps of strings are marshalled
	}
	return raw
}

// labelPatch sets labels (a nil value removes one).
func labelPatch(labels map[string]*string) []byte {
	return mergePatch(map[string]any{"metadata": map[string]any{"labels": labels}})
}

func optional(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (e *env) relabelPool(ctx context.Context, o op) (string, error) {
	body := labelPatch(map[string]*string{"soak-tier": optional(o.tier), "soak-zone": optional(o.zone)})
	_, err := e.yurt.AppsV1beta2().NodePools().Patch(ctx, o.pool, types.MergePatchType, body, metav1.PatchOptions{})
	if apierrors.IsNotFound(err) {
		return "skipped: no such pool", nil
	}
	return "relabelled", err
}

func (e *env) createPoolOp(ctx context.Context, o op) (string, error) {
	err := e.createPool(ctx, poolByName(o.pool), &poolState{exists: true, tier: o.tier, zone: o.zone})
	if apierrors.IsAlreadyExists(err) {
		return "skipped: the pool still exists (being deleted?)", nil
	}
	return "created", err
}

func (e *env) deletePool(ctx context.Context, o op) (string, error) {
	err := e.yurt.AppsV1beta2().NodePools().Delete(ctx, o.pool, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return "skipped: no such pool", nil
	}
	return "deleted", err
}

// setNodeReady hands a node back to kwok (which makes it Ready), or takes
// it from kwok and writes Ready=False (as a kubelet that stopped would).
func (e *env) setNodeReady(ctx context.Context, name string, ready bool) (string, error) {
	nodes := e.kube.CoreV1().Nodes()
	if ready {
		body := mergePatch(map[string]any{"metadata": map[string]any{"annotations": map[string]string{kwokAnnotation: "fake"}}})
		_, err := nodes.Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{})
		return "handed to kwok", err
	}
	body := mergePatch(map[string]any{"metadata": map[string]any{"annotations": map[string]any{kwokAnnotation: nil}}})
	if _, err := nodes.Patch(ctx, name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		return "", err
	}
	err := framework.WaitFor(ctx, 5*time.Second, 200*time.Millisecond, func() (bool, string) {
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for i, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				n.Status.Conditions[i].Status, n.Status.Conditions[i].Reason = corev1.ConditionFalse, "SoakNotReady"
			}
		}
		_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err == nil, fmt.Sprint(err)
	})
	return "NotReady", err
}

func (e *env) moveNode(ctx context.Context, o op) (string, error) {
	body := labelPatch(map[string]*string{labelNodePool: &o.pool})
	_, err := e.kube.CoreV1().Nodes().Patch(ctx, o.node, types.MergePatchType, body, metav1.PatchOptions{})
	return "moved", err
}

// moveEndpoints deletes and creates the slot's pods (kwok runs them on
// their node, the EndpointSlice controller makes them endpoints).
func (e *env) moveEndpoints(ctx context.Context, o op) (string, error) {
	sl := slots[o.slot]
	pods := e.kube.CoreV1().Pods(sl.ns)
	for _, p := range o.drop {
		err := pods.Delete(ctx, p.name, metav1.DeleteOptions{GracePeriodSeconds: ptr.To[int64](0)})
		if err != nil && !apierrors.IsNotFound(err) {
			return "", err
		}
	}
	for _, p := range o.add {
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: p.name, Labels: map[string]string{appLabel: sl.name, soakLabel: "true"}},
			Spec: corev1.PodSpec{NodeName: p.node, Containers: []corev1.Container{{Name: "app", Image: "soak/app:1",
				Ports: []corev1.ContainerPort{{ContainerPort: 80}}}}},
		}
		if _, err := pods.Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			return "", err
		}
	}
	return "moved", nil
}
