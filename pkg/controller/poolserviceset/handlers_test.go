package poolserviceset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
)

// TestServiceKeysForPools drives the NodePool handler's key function through
// the real indexers (objects put straight into the informer stores).
func TestServiceKeysForPools(t *testing.T) {
	f, _, _ := newController(t, nil, nil)
	notELB := elbService("other-class", "k8s-svc=cube")
	notELB.Spec.LoadBalancerClass = ptr.To("example.com/lb")
	clusterIP := elbService("cluster-ip", "k8s-svc=cube")
	clusterIP.Spec.Type = corev1.ServiceTypeClusterIP
	for _, svc := range []*corev1.Service{
		elbService("cube", "k8s-svc=cube"), elbService("by-region", "region in (hefei)"),
		elbService("broken", "k8s-svc in ("), elbService("holder", "k8s-svc=gone"), notELB, clusterIP,
	} {
		if err := f.c.serviceIndexer.Add(svc); err != nil {
			t.Fatal(err)
		}
	}
	// "holder" no longer selects np-a but still holds a PoolService there.
	held := newPoolService(elbService("holder", ""), pool("np-a", nil), "holder-np-a")
	if err := f.c.poolServiceIndexer.Add(held); err != nil {
		t.Fatal(err)
	}

	elb, _ := f.c.serviceIndexer.ByIndex(ServiceELBIndex, elbIndexValue)
	if len(elb) != 4 {
		t.Errorf("ELB index holds %d Services, want 4", len(elb))
	}
	cube := pool("np-a", map[string]string{"k8s-svc": "cube"})
	hefei := pool("np-a", map[string]string{"region": "hefei"})
	for _, tc := range []struct {
		name  string
		pools []*appsv1beta2.NodePool
		want  []string
	}{
		{"add matching", []*appsv1beta2.NodePool{cube}, []string{"default/cube", "default/holder"}},
		{"relabel", []*appsv1beta2.NodePool{cube, hefei}, []string{"default/by-region", "default/cube", "default/holder"}},
		{"unrelated pool", []*appsv1beta2.NodePool{pool("np-z", map[string]string{"x": "y"})}, []string{}},
		{"unrelated pool with PoolService", []*appsv1beta2.NodePool{pool("np-a", nil)}, []string{"default/holder"}},
	} {
		if diff := cmp.Diff(tc.want, f.c.serviceKeysForPools(tc.pools...)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestHandlerFilters(t *testing.T) {
	np := pool("np", map[string]string{"a": "b"})
	status := np.DeepCopy()
	status.ResourceVersion, status.Annotations = "2", map[string]string{"alibabacloud.com/ens-region-id": "r"}
	status.Status.Nodes = []string{"n1"}
	if nodePoolChanged(np, status) {
		t.Error("annotation/status change of a pool enqueues")
	}
	deleting := np.DeepCopy()
	deleting.DeletionTimestamp = ptr.To(metav1.Now())
	if !nodePoolChanged(np, deleting) {
		t.Error("pool deletion ignored")
	}

	svc := elbService("s", "a=b")
	svc.ResourceVersion = "1"
	onlyStatus := svc.DeepCopy()
	onlyStatus.ResourceVersion = "2"
	onlyStatus.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}
	onlyStatus.Annotations["unrelated"] = "x"
	if serviceChanged(svc, onlyStatus) {
		t.Error("status-only change of a Service enqueues")
	}
	for name, mutate := range map[string]func(*corev1.Service){
		"selector":   func(s *corev1.Service) { s.Annotations[apis.AnnotationNodePoolSelector] = "c=d" },
		"type":       func(s *corev1.Service) { s.Spec.Type = corev1.ServiceTypeNodePort },
		"deleting":   func(s *corev1.Service) { s.DeletionTimestamp = ptr.To(metav1.Now()) },
		"finalizer":  func(s *corev1.Service) { s.Finalizers = []string{apis.FinalizerPoolServices} },
		"aggregated": func(s *corev1.Service) { s.Annotations["aggregated.k"] = "v" },
	} {
		cur := svc.DeepCopy()
		cur.ResourceVersion = "2"
		mutate(cur)
		if !serviceChanged(svc, cur) {
			t.Errorf("%s change ignored", name)
		}
	}
	if !serviceChanged(svc, svc.DeepCopy()) {
		t.Error("resync ignored")
	}
}
