package manager

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"

	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	yurtinformers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

func TestConvertNodePoolV1beta1ToV1beta2(t *testing.T) {
	deleted := metav1.NewTime(time.Date(2024, 6, 14, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		in   *v1beta1.NodePool
		want *v1beta2.NodePool
	}{
		{name: "nil", in: nil, want: nil},
		{
			name: "empty",
			in:   &v1beta1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np"}},
			want: &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np"}},
		},
		{
			name: "every field",
			in: &v1beta1.NodePool{
				TypeMeta: metav1.TypeMeta{APIVersion: "apps.openyurt.io/v1beta1", Kind: "NodePool"},
				ObjectMeta: metav1.ObjectMeta{
					Name: "np-hefei", ResourceVersion: "7", UID: "u1", DeletionTimestamp: &deleted,
					Labels:      map[string]string{"k8s-svc": "cube"},
					Annotations: map[string]string{"alibabacloud.com/ens-region-id": "cn-hefei-cmcc-2"},
					Finalizers:  []string{"f"},
				},
				Spec: v1beta1.NodePoolSpec{
					Type: v1beta1.Edge, HostNetwork: true,
					Labels:      map[string]string{"a": "b"},
					Annotations: map[string]string{"c": "d"},
					Taints:      []corev1.Taint{{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule}},
				},
				Status: v1beta1.NodePoolStatus{ReadyNodeNum: 2, UnreadyNodeNum: 1, Nodes: []string{"n1", "n2", "n3"}},
			},
			want: &v1beta2.NodePool{
				ObjectMeta: metav1.ObjectMeta{
					Name: "np-hefei", ResourceVersion: "7", UID: "u1", DeletionTimestamp: &deleted,
					Labels:      map[string]string{"k8s-svc": "cube"},
					Annotations: map[string]string{"alibabacloud.com/ens-region-id": "cn-hefei-cmcc-2"},
					Finalizers:  []string{"f"},
				},
				Spec: v1beta2.NodePoolSpec{
					Type: v1beta2.Edge, HostNetwork: true,
					Labels:      map[string]string{"a": "b"},
					Annotations: map[string]string{"c": "d"},
					Taints:      []corev1.Taint{{Key: "k", Value: "v", Effect: corev1.TaintEffectNoSchedule}},
				},
				Status: v1beta2.NodePoolStatus{ReadyNodeNum: 2, UnreadyNodeNum: 1, Nodes: []string{"n1", "n2", "n3"}},
			},
		},
		{
			name: "cloud pool",
			in:   &v1beta1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: v1beta1.NodePoolSpec{Type: v1beta1.Cloud}},
			want: &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Spec: v1beta2.NodePoolSpec{Type: v1beta2.Cloud}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before *v1beta1.NodePool
			if tt.in != nil {
				before = tt.in.DeepCopy()
			}
			got := ConvertNodePoolV1beta1ToV1beta2(tt.in)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("conversion (-want +got):\n%s", diff)
			}
			if tt.in == nil || tt.in.Labels == nil {
				return
			}
			// The output shares no memory with the input.
			got.Labels["mutated"] = "x"
			got.Spec.Labels["mutated"] = "x"
			got.Status.Nodes[0] = "mutated"
			if diff := cmp.Diff(before, tt.in); diff != "" {
				t.Errorf("input changed (-before +after):\n%s", diff)
			}
		})
	}
}

func TestNodePoolTransformPassesOtherObjects(t *testing.T) {
	tomb := cache.DeletedFinalStateUnknown{Key: "np", Obj: &v1beta2.NodePool{}}
	got, err := nodePoolTransform(tomb)
	if err != nil || got != tomb {
		t.Errorf("tombstone transformed to %v, %v", got, err)
	}
}

func apiResources(gv string, names ...string) *metav1.APIResourceList {
	l := &metav1.APIResourceList{GroupVersion: gv}
	for _, n := range names {
		l.APIResources = append(l.APIResources, metav1.APIResource{Name: n, Kind: "X"})
	}
	return l
}

func TestDetectNodePoolVersion(t *testing.T) {
	v2 := apiResources("apps.openyurt.io/v1beta2", "nodepools", "nodepools/status")
	v1 := apiResources("apps.openyurt.io/v1beta1", "nodepools", "nodepools/status")
	tests := []struct {
		name      string
		resources []*metav1.APIResourceList
		fail      error
		want      string
		wantErr   string
	}{
		{name: "both served", resources: []*metav1.APIResourceList{v1, v2}, want: "v1beta2"},
		{name: "v1beta2 only", resources: []*metav1.APIResourceList{v2}, want: "v1beta2"},
		{name: "v1beta1 only", resources: []*metav1.APIResourceList{apiResources("v1", "services"), v1}, want: "v1beta1"},
		{name: "group without nodepools", resources: []*metav1.APIResourceList{apiResources("apps.openyurt.io/v1beta2", "yurtappsets"), v1}, want: "v1beta1"},
		{name: "none", resources: []*metav1.APIResourceList{apiResources("v1", "services")}, wantErr: "serves no NodePool"},
		{name: "discovery error", resources: []*metav1.APIResourceList{v2}, fail: errors.New("connection refused"), wantErr: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := kubefake.NewClientset()
			d := client.Discovery().(*fakediscovery.FakeDiscovery)
			d.Resources = tt.resources
			if tt.fail != nil {
				client.PrependReactor("get", "resource", func(k8stesting.Action) (bool, runtime.Object, error) {
					return true, nil, tt.fail
				})
			}
			got, err := DetectNodePoolVersion(context.Background(), d)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("got %q, %v; want error containing %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestNodePoolInformerConvertsV1beta1 runs the v1beta1 informer against a
// fake API and checks that listed and watched pools reach the store as
// *v1beta2.NodePool.
func TestNodePoolInformerConvertsV1beta1(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	client := yurtfake.NewSimpleClientset(&v1beta1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: "np-hefei", Labels: map[string]string{"k8s-svc": "cube"}},
		Spec:       v1beta1.NodePoolSpec{Type: v1beta1.Edge},
		Status:     v1beta1.NodePoolStatus{Nodes: []string{"n1"}},
	})
	factory := yurtinformers.NewSharedInformerFactory(client, 0)
	inf, err := newNodePoolInformer(ctx, factory, "v1beta1")
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan any, 10)
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { events <- obj },
		UpdateFunc: func(_, obj any) { events <- obj },
	}); err != nil {
		t.Fatal(err)
	}
	factory.StartWithContext(ctx)
	if err := factory.WaitForCacheSyncWithContext(ctx).AsError(); err != nil {
		t.Fatal(err)
	}
	got := (<-events).(*v1beta2.NodePool) // panics on a v1beta1 object
	if got.Name != "np-hefei" || got.Spec.Type != v1beta2.Edge || got.Status.Nodes[0] != "n1" {
		t.Errorf("listed pool converted to %+v", got)
	}

	np, _ := client.AppsV1beta1().NodePools().Get(ctx, "np-hefei", metav1.GetOptions{})
	np.Status.Nodes = []string{"n1", "n2"}
	if _, err := client.AppsV1beta1().NodePools().UpdateStatus(ctx, np, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.AppsV1beta1().NodePools().Create(ctx, &v1beta1.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np-chengdu"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 5*time.Second, true, func(context.Context) (bool, error) {
		obj, ok, _ := inf.GetStore().GetByKey("np-hefei")
		return ok && len(obj.(*v1beta2.NodePool).Status.Nodes) == 2 && len(inf.GetStore().List()) == 2, nil
	})
	if err != nil {
		t.Fatalf("watched changes not in the store: %v", err)
	}
	for _, obj := range inf.GetStore().List() {
		if _, ok := obj.(*v1beta2.NodePool); !ok {
			t.Errorf("store holds %T", obj)
		}
	}
}

func TestNodePoolInformerV1beta2(t *testing.T) {
	factory := yurtinformers.NewSharedInformerFactory(yurtfake.NewSimpleClientset(), 0)
	inf, err := newNodePoolInformer(context.Background(), factory, "v1beta2")
	if err != nil {
		t.Fatal(err)
	}
	if inf.GetIndexer() != factory.Apps().V1beta2().NodePools().Informer().GetIndexer() {
		t.Error("v1beta2 informer is not the factory's")
	}
	if _, err := newNodePoolInformer(context.Background(), factory, "v1"); err == nil {
		t.Error("unsupported version accepted")
	}
}
