package v1alpha1_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	informers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

func poolService(name, pool string) *v1alpha1.PoolService {
	return &v1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "default", Name: name,
			Labels: map[string]string{apis.LabelServiceName: "cube-svc", apis.LabelPoolName: pool, apis.LabelManagedBy: apis.ManagedByValue},
		},
		Spec: v1alpha1.PoolServiceSpec{LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB)},
	}
}

func TestPoolServiceClientAndInformer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := fake.NewSimpleClientset(poolService("cube-svc-np-hefei", "np-hefei"))
	pss := client.NetworkV1alpha1().PoolServices("default")

	w, err := pss.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	// A watch from no resource version starts with the existing objects.
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object.(*v1alpha1.PoolService).Name != "cube-svc-np-hefei" {
		t.Errorf("watch got %v %v, want ADDED cube-svc-np-hefei first", ev.Type, ev.Object)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Network().V1alpha1().PoolServices().Lister()
	factory.StartWithContext(ctx)
	if err := factory.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		t.Fatal(err)
	}

	created, err := pss.Create(ctx, poolService("cube-svc-np-chengdu", "np-chengdu"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object.(*v1alpha1.PoolService).Name != "cube-svc-np-chengdu" {
		t.Errorf("watch got %v %v, want ADDED cube-svc-np-chengdu", ev.Type, ev.Object)
	}

	list, err := pss.List(ctx, metav1.ListOptions{LabelSelector: apis.LabelPoolName + "=np-chengdu"})
	if err != nil || len(list.Items) != 1 || list.Items[0].Name != "cube-svc-np-chengdu" {
		t.Fatalf("list by pool label = %v, %v", list, err)
	}

	created.Status = v1alpha1.PoolServiceStatus{
		LoadBalancer:           corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "144.121.0.1"}}},
		AggregateToAnnotations: map[string]string{apis.AnnotationLoadBalancerID: "lb-chengdu-1"},
	}
	meta.SetStatusCondition(&created.Status.Conditions, metav1.Condition{Type: apis.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ensured"})
	updated, err := pss.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Modified {
		t.Errorf("watch got %v after status update, want MODIFIED", ev.Type)
	}
	got, err := pss.Get(ctx, "cube-svc-np-chengdu", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(updated.Status, got.Status); diff != "" || !meta.IsStatusConditionTrue(got.Status.Conditions, apis.ConditionReady) {
		t.Errorf("status after UpdateStatus (-want +got):\n%s", diff)
	}

	// The informer's lister follows: both objects, the status included.
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		ps, err := lister.PoolServices("default").Get("cube-svc-np-chengdu")
		return err == nil && len(ps.Status.LoadBalancer.Ingress) == 1, nil
	})
	if err != nil {
		t.Fatalf("lister never saw the status: %v", err)
	}
	all, _ := lister.List(labels.Everything())
	if len(all) != 2 {
		t.Errorf("lister holds %d PoolServices, want 2", len(all))
	}

	if err := pss.Delete(ctx, "cube-svc-np-hefei", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Deleted || ev.Object.(*v1alpha1.PoolService).Name != "cube-svc-np-hefei" {
		t.Errorf("watch got %v, want DELETED cube-svc-np-hefei", ev.Type)
	}
}

// TestPoolServiceWireFormat pins the JSON names OpenYurt clusters use.
func TestPoolServiceWireFormat(t *testing.T) {
	ps := poolService("a", "p")
	ps.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}
	ps.Status.AggregateToAnnotations = map[string]string{"k": "v"}
	ps.Status.AggregateToLabels = map[string]string{"l": "w"}
	ps.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "True", Reason: "R"}}
	data, err := json.Marshal(ps)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Spec   map[string]any `json:"spec"`
		Status map[string]any `json:"status"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	if raw.Spec["loadBalancerClass"] != apis.LoadBalancerClassELB {
		t.Errorf("spec %v", raw.Spec)
	}
	for _, k := range []string{"loadBalancer", "aggregateToAnnotations", "aggregateToLabels", "conditions"} {
		if _, ok := raw.Status[k]; !ok {
			t.Errorf("status has no %q: %s", k, data)
		}
	}
	var back v1alpha1.PoolService
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ps, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if empty, _ := json.Marshal(v1alpha1.PoolService{}); string(empty) != `{"metadata":{},"spec":{},"status":{"loadBalancer":{}}}` {
		t.Errorf("empty PoolService marshals as %s", empty)
	}
}

func TestPoolServiceDeepCopy(t *testing.T) {
	ps := poolService("a", "p")
	ps.Status.AggregateToAnnotations = map[string]string{"k": "v"}
	c := ps.DeepCopy()
	c.Labels["x"] = "y"
	*c.Spec.LoadBalancerClass = "other"
	c.Status.AggregateToAnnotations["k"] = "changed"
	if ps.Labels["x"] != "" || *ps.Spec.LoadBalancerClass != apis.LoadBalancerClassELB || ps.Status.AggregateToAnnotations["k"] != "v" {
		t.Errorf("DeepCopy shares memory: %+v", ps)
	}
}
