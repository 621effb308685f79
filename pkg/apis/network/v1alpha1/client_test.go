package v1alpha1_test

import (
	"context"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/internal/apitest"
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
	client := fake.NewSimpleClientset(poolService("cube-svc-np-hefei", "np-hefei"))
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Network().V1alpha1().PoolServices().Lister()
	pss := client.NetworkV1alpha1().PoolServices("default")
	apitest.ClientScenario[*v1alpha1.PoolService]{
		Client: pss, Informers: factory, Existing: "cube-svc-np-hefei",
		Create: poolService("cube-svc-np-chengdu", "np-chengdu"),
		List: func(ctx context.Context) ([]string, error) {
			list, err := pss.List(ctx, metav1.ListOptions{LabelSelector: apis.LabelPoolName + "=np-chengdu"})
			if err != nil {
				return nil, err
			}
			return apitest.Names(list.Items), nil
		},
		WantListed: []string{"cube-svc-np-chengdu"},
		SetStatus: func(ps *v1alpha1.PoolService) {
			ps.Status = v1alpha1.PoolServiceStatus{
				LoadBalancer:           corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{IP: "144.121.0.1"}}},
				AggregateToAnnotations: map[string]string{apis.AnnotationLoadBalancerID: "lb-chengdu-1"},
			}
			meta.SetStatusCondition(&ps.Status.Conditions, metav1.Condition{Type: apis.ConditionReady, Status: metav1.ConditionTrue, Reason: "Ensured"})
		},
		Status: func(ps *v1alpha1.PoolService) any { return ps.Status },
		StatusOK: func(ps *v1alpha1.PoolService) bool {
			return meta.IsStatusConditionTrue(ps.Status.Conditions, apis.ConditionReady)
		},
		// The informer's lister follows: both objects, the status included.
		ListerSawStatus: func() bool {
			ps, err := lister.PoolServices("default").Get("cube-svc-np-chengdu")
			return err == nil && len(ps.Status.LoadBalancer.Ingress) == 1
		},
		ListerCount: func() (int, error) {
			all, err := lister.List(labels.Everything())
			return len(all), err
		},
		WantLister: 2,
	}.Run(t)
}

// TestPoolServiceWireFormat pins the JSON names OpenYurt clusters use.
func TestPoolServiceWireFormat(t *testing.T) {
	ps := poolService("a", "p")
	ps.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "1.2.3.4"}}
	ps.Status.AggregateToAnnotations = map[string]string{"k": "v"}
	ps.Status.AggregateToLabels = map[string]string{"l": "w"}
	ps.Status.Conditions = []metav1.Condition{{Type: "Ready", Status: "True", Reason: "R"}}
	spec := apitest.CheckJSON(t, ps, &v1alpha1.PoolService{}, nil,
		[]string{"loadBalancer", "aggregateToAnnotations", "aggregateToLabels", "conditions"})
	if want, _ := json.Marshal(apis.LoadBalancerClassELB); string(spec["loadBalancerClass"]) != string(want) {
		t.Errorf("spec %v", spec)
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
