//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
)

// createPool creates a node pool (without nodes) in the cloud location of
// like (a walkthrough pool) and deletes it when t ends.
func createPool(t *testing.T, name, like string, labels map[string]string) {
	t.Helper()
	np := &appsv1beta2.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, Annotations: poolAnnotations(like)},
		Spec:       appsv1beta2.NodePoolSpec{Type: appsv1beta2.Edge},
	}
	if _, err := s.yurt.AppsV1beta2().NodePools().Create(context.Background(), np, metav1.CreateOptions{}); err != nil {
		t.Fatalf("creating NodePool %s: %v", name, err)
	}
	t.Cleanup(func() {
		err := s.yurt.AppsV1beta2().NodePools().Delete(context.Background(), name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("deleting NodePool %s: %v", name, err)
		}
	})
}

func patchPoolLabels(t *testing.T, name string, labels map[string]*string) {
	t.Helper()
	body := mergePatch(t, map[string]any{"metadata": map[string]any{"labels": labels}})
	if _, err := s.yurt.AppsV1beta2().NodePools().Patch(context.Background(), name, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("patching NodePool %s labels: %v", name, err)
	}
}

// waitManaged waits until exactly the pools have a managed ELB and EIP for
// the Service (and no other pool has), and the Service lists their EIPs.
func waitManaged(t *testing.T, ns, svc string, pools ...string) {
	t.Helper()
	var want []string
	for _, p := range pools {
		want = append(want, resourceName(svc, ns, p))
	}
	want = sorted(want)
	eventually(t, defaultTimeout, fmt.Sprintf("managed ELBs and EIPs of %s/%s are %v", ns, svc, pools), func() (bool, string) {
		inv, err := s.emu.Inventory()
		if err != nil {
			return false, err.Error()
		}
		var lbs, eips, addrs []string
		for _, lb := range inv.LoadBalancers {
			if strings.HasPrefix(lb.Name, servicePrefix(svc, ns)) {
				lbs = append(lbs, lb.Name)
			}
		}
		for _, e := range inv.EIPs {
			if strings.HasPrefix(e.Name, servicePrefix(svc, ns)) {
				eips = append(eips, e.Name)
				addrs = append(addrs, e.Address)
			}
		}
		ips := ingressIPs(getService(t, ns, svc))
		ok := slices.Equal(sorted(lbs), want) && slices.Equal(sorted(eips), want) && slices.Equal(sorted(ips), sorted(addrs))
		return ok, fmt.Sprintf("ELBs %v, EIPs %v (%v), Service ingress %v", lbs, eips, addrs, ips)
	})
}

// TestPoolMatchChanges: a pool that stops matching (label edit, selector
// edit, deletion) loses its PoolService, ELB and EIP; matching again
// brings them back.
func TestPoolMatchChanges(t *testing.T) {
	ns := newNamespace(t, "pools")
	a, b := ns+"-a", ns+"-b"
	createPool(t, a, "np-hefei", map[string]string{"e2e-pools": ns, "tier": "gold"})
	createPool(t, b, "np-chengdu", map[string]string{"e2e-pools": ns})
	createService(t, ns, "web", "e2e-pools="+ns, func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	waitPoolServices(t, ns, "web-"+a, "web-"+b)
	waitManaged(t, ns, "web", a, b)

	// Relabel pool b out of the selector, then back in.
	patchPoolLabels(t, b, map[string]*string{"e2e-pools": nil})
	waitPoolServices(t, ns, "web-"+a)
	waitManaged(t, ns, "web", a)
	patchPoolLabels(t, b, map[string]*string{"e2e-pools": ptr.To(ns)})
	waitPoolServices(t, ns, "web-"+a, "web-"+b)
	waitManaged(t, ns, "web", a, b)

	// Narrow the selector to pool a.
	updateService(t, ns, "web", func(svc *corev1.Service) {
		svc.Annotations[apis.AnnotationNodePoolSelector] = "e2e-pools=" + ns + ",tier in (gold)"
	})
	waitPoolServices(t, ns, "web-"+a)
	waitManaged(t, ns, "web", a)

	// Delete pool a: nothing matches any more.
	if err := s.yurt.AppsV1beta2().NodePools().Delete(context.Background(), a, metav1.DeleteOptions{}); err != nil {
		t.Fatalf("deleting NodePool %s: %v", a, err)
	}
	waitPoolServices(t, ns)
	waitManaged(t, ns, "web")
	waitEvent(t, ns, apis.EventNoMatchNodePool)
	deleteService(t, ns, "web")
	waitServiceGone(t, ns, "web")
}

// TestServiceEditsFollow: listeners follow spec.ports (add, change, delete),
// with the nodePorts as backend ports; EIP bandwidth follows its annotation;
// an invalid annotation is a Warning event and changes nothing.
func TestServiceEditsFollow(t *testing.T) {
	ns := newNamespace(t, "ports")
	createCube(t, ns, nil)
	createService(t, ns, "cube-svc", "k8s-svc=cube", func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	updateService(t, ns, "cube-svc", func(svc *corev1.Service) {
		svc.Spec.Ports = []corev1.ServicePort{
			{Name: "cube", Port: 8080, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(80)},
			{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, TargetPort: intstr.FromInt32(53)},
		}
	})
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) {
		svc.Spec.Ports = svc.Spec.Ports[1:]
	})
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	// EIP bandwidth follows the annotation.
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) { svc.Annotations[apis.AnnotationEIPBandwidth] = "25" })
	eventually(t, defaultTimeout, "EIP bandwidth follows the annotation to 25", func() (bool, string) {
		eips := framework.EIPsNamed(inventory(t), servicePrefix("cube-svc", ns))
		var bw []int
		for _, e := range eips {
			bw = append(bw, e.Bandwidth)
		}
		return len(bw) == 2 && bw[0] == 25 && bw[1] == 25, fmt.Sprintf("bandwidths %v", bw)
	})

	// An invalid annotation is a Warning event and changes nothing.
	before := inventory(t)
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) { svc.Annotations[apis.AnnotationScheduler] = "fastest" })
	waitEvent(t, ns, apis.EventInvalidAnnotation)
	consistently(t, 2*time.Second, "the cloud is unchanged by an invalid annotation", func() (bool, string) {
		now := inventory(t)
		for _, pool := range pools {
			name := resourceName("cube-svc", ns, pool)
			a, _ := managedELB(before, name)
			b, _ := managedELB(now, name)
			if a == nil || b == nil || !reflect.DeepEqual(a.Listeners, b.Listeners) || !reflect.DeepEqual(a.Backends, b.Backends) {
				return false, fmt.Sprintf("%s changed: %v -> %v", name, a, b)
			}
		}
		return true, ""
	})
	deleteService(t, ns, "cube-svc")
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
}

// waitEvent waits for a Warning event with the reason in the namespace.
func waitEvent(t *testing.T, ns, reason string) {
	t.Helper()
	eventually(t, defaultTimeout, "Warning event "+reason, func() (bool, string) {
		evs, err := s.kube.CoreV1().Events(ns).List(context.Background(), metav1.ListOptions{})
		if err != nil {
			return false, err.Error()
		}
		var reasons []string
		for _, e := range evs.Items {
			if e.Reason == reason && e.Type == corev1.EventTypeWarning {
				return true, ""
			}
			reasons = append(reasons, e.Type+"/"+e.Reason)
		}
		return false, fmt.Sprintf("events %v", reasons)
	})
}

// TestLocalPolicyBackendsFollowPods: with externalTrafficPolicy Local the
// backends are the nodes with a ready endpoint; the DaemonSet is scaled by
// node labels. Switching to Cluster puts every ready node of the pool back.
func TestLocalPolicyBackendsFollowPods(t *testing.T) {
	ns := newNamespace(t, "local")
	key := labelNodesFor(t, ns)
	createCube(t, ns, map[string]string{key: "on"})
	createService(t, ns, "cube-svc", "k8s-svc=cube", nil)
	waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	// Scale in: no cube pod on edge-hefei-2 and none in Chengdu.
	for _, node := range []string{"edge-hefei-2", "edge-chengdu-1", "edge-chengdu-2"} {
		patchNodeLabels(t, node, map[string]*string{key: nil})
	}
	waitELBs(t, ns, "cube-svc", map[string][]string{"np-hefei": {"i-hefei-1"}, "np-chengdu": nil}, managedLBFor(ns, "cube-svc"))

	// Scale out again on edge-hefei-2.
	patchNodeLabels(t, "edge-hefei-2", map[string]*string{key: ptr.To("on")})
	waitELBs(t, ns, "cube-svc", map[string][]string{"np-hefei": {"i-hefei-1", "i-hefei-2"}, "np-chengdu": nil}, managedLBFor(ns, "cube-svc"))

	// Cluster policy: every ready node of each pool, pods or not.
	updateService(t, ns, "cube-svc", func(svc *corev1.Service) {
		svc.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	})
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))

	// A node that goes NotReady leaves the backends, and comes back.
	setNodeReady(t, "edge-chengdu-2", false)
	waitELBs(t, ns, "cube-svc", map[string][]string{"np-hefei": poolInstances["np-hefei"], "np-chengdu": {"i-chengdu-1"}}, managedLBFor(ns, "cube-svc"))
	setNodeReady(t, "edge-chengdu-2", true)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	deleteService(t, ns, "cube-svc")
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
}

// setNodeReady makes a kwok node NotReady (kwok lets go of it first, or it
// would flip it back) or hands it back to kwok, which makes it Ready.
func setNodeReady(t *testing.T, node string, ready bool) {
	t.Helper()
	ctx := context.Background()
	if ready {
		body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]string{"kwok.x-k8s.io/node": "fake"}}})
		if _, err := s.kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
			t.Fatalf("handing node %s back to kwok: %v", node, err)
		}
		kubectl(t, "wait", "--for=condition=Ready", "--timeout=60s", "node/"+node)
		return
	}
	t.Cleanup(func() {
		n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err == nil && n.Annotations["kwok.x-k8s.io/node"] != "fake" {
			setNodeReady(t, node, true)
		}
	})
	body := mergePatch(t, map[string]any{"metadata": map[string]any{"annotations": map[string]any{"kwok.x-k8s.io/node": nil}}})
	if _, err := s.kube.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, body, metav1.PatchOptions{}); err != nil {
		t.Fatalf("taking node %s from kwok: %v", node, err)
	}
	err := framework.WaitFor(ctx, 10*time.Second, 200*time.Millisecond, func() (bool, string) {
		n, err := s.kube.CoreV1().Nodes().Get(ctx, node, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for i, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				n.Status.Conditions[i].Status = corev1.ConditionFalse
				n.Status.Conditions[i].Reason = "E2ENotReady"
			}
		}
		_, err = s.kube.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err == nil, fmt.Sprint(err)
	})
	if err != nil {
		t.Fatalf("marking node %s NotReady: %v", node, err)
	}
}
