package v1beta1_test

import (
	"context"
	"encoding/json"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	informers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

func nodePool(name, region string) *v1beta1.NodePool {
	return &v1beta1.NodePool{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"k8s-svc": "cube"},
			Annotations: map[string]string{apis.AnnotationPoolRegionID: region},
		},
		Spec: v1beta1.NodePoolSpec{
			Type:   v1beta1.Edge,
			Taints: []corev1.Taint{{Key: "edge", Effect: corev1.TaintEffectNoSchedule}},
		},
	}
}

func TestNodePoolClientAndInformer(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := fake.NewSimpleClientset(nodePool("np-hefei", "cn-hefei-cmcc-2"))
	pools := client.AppsV1beta1().NodePools()

	w, err := pools.Watch(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object.(*v1beta1.NodePool).Name != "np-hefei" {
		t.Errorf("watch got %v %v, want ADDED np-hefei first", ev.Type, ev.Object)
	}
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Apps().V1beta1().NodePools().Lister()
	factory.StartWithContext(ctx)
	if err := factory.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		t.Fatal(err)
	}

	created, err := pools.Create(ctx, nodePool("np-chengdu", "cn-chengdu-telecom-4"), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Added || ev.Object.(*v1beta1.NodePool).Name != "np-chengdu" {
		t.Errorf("watch got %v, want ADDED np-chengdu", ev.Type)
	}
	list, err := pools.List(ctx, metav1.ListOptions{LabelSelector: "k8s-svc=cube"})
	if err != nil || len(list.Items) != 2 {
		t.Fatalf("list k8s-svc=cube = %d items, %v; want 2", len(list.Items), err)
	}
	names := []string{list.Items[0].Name, list.Items[1].Name}
	sort.Strings(names)
	if names[0] != "np-chengdu" || names[1] != "np-hefei" {
		t.Errorf("listed %v", names)
	}

	created.Status = v1beta1.NodePoolStatus{ReadyNodeNum: 2, UnreadyNodeNum: 1, Nodes: []string{"i-chengdu-1", "i-chengdu-2", "n3"}}
	updated, err := pools.UpdateStatus(ctx, created, metav1.UpdateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Modified {
		t.Errorf("watch got %v after status update, want MODIFIED", ev.Type)
	}
	got, err := pools.Get(ctx, "np-chengdu", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(updated.Status, got.Status); diff != "" || got.Status.ReadyNodeNum != 2 {
		t.Errorf("status after UpdateStatus (-want +got):\n%s", diff)
	}

	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		np, err := lister.Get("np-chengdu")
		return err == nil && len(np.Status.Nodes) == 3, nil
	})
	if err != nil {
		t.Fatalf("lister never saw the status: %v", err)
	}
	sel := labels.SelectorFromSet(labels.Set{"k8s-svc": "cube"})
	if all, _ := lister.List(sel); len(all) != 2 {
		t.Errorf("lister matches %d pools, want 2", len(all))
	}

	if err := pools.Delete(ctx, "np-hefei", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	if ev := <-w.ResultChan(); ev.Type != watch.Deleted || ev.Object.(*v1beta1.NodePool).Name != "np-hefei" {
		t.Errorf("watch got %v, want DELETED np-hefei", ev.Type)
	}
}

// TestNodePoolWireFormat pins the lowerCamel JSON names of SPEC §1.
func TestNodePoolWireFormat(t *testing.T) {
	np := nodePool("np", "r")
	np.Spec.HostNetwork = true
	np.Spec.Labels = map[string]string{"a": "b"}
	np.Spec.Annotations = map[string]string{"c": "d"}
	np.Status.Nodes = []string{"n"}
	data, err := json.Marshal(np)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Spec   map[string]json.RawMessage `json:"spec"`
		Status map[string]json.RawMessage `json:"status"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"type", "hostNetwork", "labels", "annotations", "taints"} {
		if _, ok := raw.Spec[k]; !ok {
			t.Errorf("spec has no %q: %s", k, data)
		}
	}
	for _, k := range []string{"readyNodeNum", "unreadyNodeNum", "nodes"} {
		if _, ok := raw.Status[k]; !ok {
			t.Errorf("status has no %q: %s", k, data)
		}
	}
	var back v1beta1.NodePool
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(np, &back); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}
