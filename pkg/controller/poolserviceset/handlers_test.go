package poolserviceset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
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
	held := testOwners.newPoolService(elbService("holder", ""), pool("np-a", nil), "holder-np-a")
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

// TestSelectorCache: a cached selector is used only for the annotation value
// it was parsed from, and Service updates and deletes drop entries.
func TestSelectorCache(t *testing.T) {
	f, _, _ := newController(t, nil, nil)
	svc := elbService("cube", "k8s-svc=cube")
	if err := f.c.serviceIndexer.Add(svc); err != nil {
		t.Fatal(err)
	}
	cube, hefei := pool("np-a", map[string]string{"k8s-svc": "cube"}), pool("np-b", map[string]string{"region": "hefei"})
	if diff := cmp.Diff([]string{"default/cube"}, f.c.serviceKeysForPools(cube)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if n := f.c.selectors.len(); n != 1 {
		t.Fatalf("%d cached selectors, want 1", n)
	}

	// The store changes before the handler runs: the new value is parsed.
	edited := svc.DeepCopy()
	edited.ResourceVersion = "2"
	edited.Annotations[apis.AnnotationNodePoolSelector] = "region=hefei"
	if err := f.c.serviceIndexer.Update(edited); err != nil {
		t.Fatal(err)
	}
	if got := f.c.serviceKeysForPools(cube); len(got) != 0 {
		t.Errorf("old selector used: %v", got)
	}
	if diff := cmp.Diff([]string{"default/cube"}, f.c.serviceKeysForPools(hefei)); diff != "" {
		t.Errorf("new selector (-want +got):\n%s", diff)
	}
	sel, err := f.c.selectors.get(cache.MetaObjectToName(edited), "region=hefei")
	if err != nil || sel.String() != "region=hefei" {
		t.Errorf("cached selector %v, %v", sel, err)
	}

	handler := f.c.serviceHandler()
	relabelled := edited.DeepCopy()
	relabelled.ResourceVersion = "3"
	relabelled.Labels["x"] = "y"
	handler.OnUpdate(edited, relabelled)
	if n := f.c.selectors.len(); n != 1 {
		t.Errorf("unrelated update dropped the entry: %d cached", n)
	}
	reselected := relabelled.DeepCopy()
	reselected.ResourceVersion = "4"
	reselected.Annotations[apis.AnnotationNodePoolSelector] = "region=chengdu"
	handler.OnUpdate(relabelled, reselected)
	if n := f.c.selectors.len(); n != 0 {
		t.Errorf("selector edit kept the entry: %d cached", n)
	}
	f.c.serviceKeysForPools(hefei)
	handler.OnDelete(cache.DeletedFinalStateUnknown{Key: "default/cube", Obj: reselected})
	if n := f.c.selectors.len(); n != 0 {
		t.Errorf("delete kept the entry: %d cached", n)
	}

	if _, err := f.c.selectors.get(cache.ObjectName{Namespace: ns, Name: "broken"}, "k8s-svc in ("); err == nil {
		t.Error("invalid selector parsed")
	}
	if _, err := f.c.selectors.get(cache.ObjectName{Namespace: ns, Name: "broken"}, "k8s-svc in ("); err == nil {
		t.Error("cached invalid selector lost its error")
	}
}

// TestNodePoolAddInitialList: a pool of the initial list enqueues nothing
// (the Services' own adds do); a pool added later enqueues its Services.
func TestNodePoolAddInitialList(t *testing.T) {
	f, _, _ := newController(t, nil, nil)
	if err := f.c.serviceIndexer.Add(elbService("cube", "k8s-svc=cube")); err != nil {
		t.Fatal(err)
	}
	handler := f.c.nodePoolHandler()
	np := pool("np-a", map[string]string{"k8s-svc": "cube"})
	handler.OnAdd(np, true)
	if n := f.c.queue.Len(); n != 0 {
		t.Errorf("initial-list add queued %d keys", n)
	}
	if n := f.c.selectors.len(); n != 0 {
		t.Errorf("initial-list add parsed %d selectors", n)
	}
	handler.OnAdd(np, false)
	if n := f.c.queue.Len(); n != 1 {
		t.Fatalf("add queued %d keys, want 1", n)
	}
	if key, _ := f.c.queue.Get(); key != "default/cube" {
		t.Errorf("queued %q", key)
	}
}
