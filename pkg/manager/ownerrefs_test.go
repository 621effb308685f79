package manager

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	fakediscovery "k8s.io/client-go/discovery/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	yurtfake "github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
)

// TestPoolServiceOwnerRefsNameServedNodePoolVersion runs the manager with the
// real poolservice-set controller against an API server that serves NodePool
// only as v1beta1 (discovery): the PoolService's NodePool owner reference
// names apps.openyurt.io/v1beta1, the version the garbage collector can
// resolve, and later syncs leave it so.
func TestPoolServiceOwnerRefsNameServedNodePoolVersion(t *testing.T) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cube-svc", UID: "uid-svc",
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: "k8s-svc=cube"}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	kube := kubefake.NewClientset(svc)
	kube.Discovery().(*fakediscovery.FakeDiscovery).Resources = []*metav1.APIResourceList{apiResources("apps.openyurt.io/v1beta1", "nodepools")}
	yurt := yurtfake.NewSimpleClientset(&v1beta1.NodePool{
		ObjectMeta: metav1.ObjectMeta{Name: "np-hefei", UID: "uid-hefei", Labels: map[string]string{"k8s-svc": "cube"}},
		Spec:       v1beta1.NodePoolSpec{Type: v1beta1.Edge},
	})
	o := testOptions(t, apis.ControllerPoolServiceSet)
	o.LeaderElection.Enabled = false
	m, err := New(o, kube, yurt)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() {
		cancel()
		if err := waitResult(t, done, "Run to return"); err != nil {
			t.Errorf("Run returned %v", err)
		}
	}()

	var ps *v1alpha1.PoolService
	err = wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		ps, err = yurt.NetworkV1alpha1().PoolServices("default").Get(ctx, "cube-svc-np-hefei", metav1.GetOptions{})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("no PoolService: %v", err)
	}
	want := metav1.OwnerReference{APIVersion: "apps.openyurt.io/v1beta1", Kind: "NodePool", Name: "np-hefei", UID: "uid-hefei"}
	if len(ps.OwnerReferences) != 2 || ps.OwnerReferences[1] != want {
		t.Fatalf("owner references %+v, want the Service and %+v", ps.OwnerReferences, want)
	}
	// The PoolService's own add event syncs the Service again: it must see
	// the reference as correct, not repair it to another version.
	time.Sleep(300 * time.Millisecond)
	for _, a := range yurt.Actions() {
		if a.GetResource().Resource == "poolservices" && a.GetVerb() == "patch" {
			t.Errorf("PoolService repaired after create: %s", a.(clienttesting.PatchAction).GetPatch())
		}
	}
}
