package v1beta1_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta1"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/internal/apitest"
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
	client := fake.NewSimpleClientset(nodePool("np-hefei", "cn-hefei-cmcc-2"))
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Apps().V1beta1().NodePools().Lister()
	pools := client.AppsV1beta1().NodePools()
	cube := labels.SelectorFromSet(labels.Set{"k8s-svc": "cube"})
	apitest.ClientScenario[*v1beta1.NodePool]{
		Client: pools, Informers: factory, Existing: "np-hefei",
		Create: nodePool("np-chengdu", "cn-chengdu-telecom-4"),
		List: func(ctx context.Context) ([]string, error) {
			list, err := pools.List(ctx, metav1.ListOptions{LabelSelector: cube.String()})
			if err != nil {
				return nil, err
			}
			return apitest.Names(list.Items), nil
		},
		WantListed: []string{"np-chengdu", "np-hefei"},
		SetStatus: func(np *v1beta1.NodePool) {
			np.Status = v1beta1.NodePoolStatus{ReadyNodeNum: 2, UnreadyNodeNum: 1, Nodes: []string{"i-chengdu-1", "i-chengdu-2", "n3"}}
		},
		Status:   func(np *v1beta1.NodePool) any { return np.Status },
		StatusOK: func(np *v1beta1.NodePool) bool { return np.Status.ReadyNodeNum == 2 },
		ListerSawStatus: func() bool {
			np, err := lister.Get("np-chengdu")
			return err == nil && len(np.Status.Nodes) == 3
		},
		ListerCount: func() (int, error) {
			all, err := lister.List(cube)
			return len(all), err
		},
		WantLister: 2,
	}.Run(t)
}

// TestNodePoolWireFormat pins the lowerCamel JSON names of the NodePool API (OpenYurt's wire format).
func TestNodePoolWireFormat(t *testing.T) {
	np := nodePool("np", "r")
	np.Spec.HostNetwork = true
	np.Spec.Labels = map[string]string{"a": "b"}
	np.Spec.Annotations = map[string]string{"c": "d"}
	np.Status.Nodes = []string{"n"}
	apitest.CheckJSON(t, np, &v1beta1.NodePool{},
		[]string{"type", "hostNetwork", "labels", "annotations", "taints"},
		[]string{"readyNodeNum", "unreadyNodeNum", "nodes"})
}
