package v1beta2_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/internal/apitest"
	"github.com/edge-lb/edge-controller-manager/pkg/generated/clientset/versioned/fake"
	informers "github.com/edge-lb/edge-controller-manager/pkg/generated/informers/externalversions"
)

func nodePool(name, region string) *v1beta2.NodePool {
	return &v1beta2.NodePool{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Labels:      map[string]string{"k8s-svc": "cube"},
			Annotations: map[string]string{apis.AnnotationPoolRegionID: region},
		},
		Spec: v1beta2.NodePoolSpec{
			Type:                   v1beta2.Edge,
			Taints:                 []corev1.Taint{{Key: "edge", Effect: corev1.TaintEffectNoSchedule}},
			LeaderElectionStrategy: "mark", EnableLeaderElection: true, LeaderReplicas: 1, InterConnectivity: true,
		},
	}
}

func TestNodePoolClientAndInformer(t *testing.T) {
	client := fake.NewSimpleClientset(nodePool("np-hefei", "cn-hefei-cmcc-2"))
	factory := informers.NewSharedInformerFactory(client, 0)
	lister := factory.Apps().V1beta2().NodePools().Lister()
	pools := client.AppsV1beta2().NodePools()
	cube := labels.SelectorFromSet(labels.Set{"k8s-svc": "cube"})
	apitest.ClientScenario[*v1beta2.NodePool]{
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
		SetStatus: func(np *v1beta2.NodePool) {
			np.Status = v1beta2.NodePoolStatus{ReadyNodeNum: 2, UnreadyNodeNum: 1, Nodes: []string{"i-chengdu-1", "i-chengdu-2", "n3"}, LeaderNum: 1, LeaderEndpoints: []v1beta2.Leader{{NodeName: "n1", Address: "10.1.0.11"}}}
		},
		Status:   func(np *v1beta2.NodePool) any { return np.Status },
		StatusOK: func(np *v1beta2.NodePool) bool { return np.Status.ReadyNodeNum == 2 },
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
	np.Spec.LeaderNodeLabelSelector = map[string]string{"a": "b"}
	np.Spec.PoolScopeMetadata = []metav1.GroupVersionResource{{Group: "", Version: "v1", Resource: "services"}}
	np.Status.LeaderLastElectedTime = metav1.NewTime(time.Unix(1700000000, 0))
	np.Status.Conditions = []v1beta2.NodePoolCondition{{Type: "Ready", Status: corev1.ConditionTrue}}
	np.Status.LeaderEndpoints = []v1beta2.Leader{{NodeName: "n", Address: "a"}}
	np.Status.LeaderNum = 1
	np.Spec.InterConnectivity = true
	np.Spec.LeaderElectionStrategy = "mark"
	np.Spec.EnableLeaderElection = true
	np.Spec.LeaderReplicas = 1
	apitest.CheckJSON(t, np, &v1beta2.NodePool{},
		[]string{"type", "hostNetwork", "labels", "annotations", "taints", "interConnectivity", "leaderElectionStrategy", "leaderNodeLabelSelector", "enableLeaderElection", "poolScopeMetadata", "leaderReplicas"},
		[]string{"readyNodeNum", "unreadyNodeNum", "nodes", "leaderEndpoints", "leaderNum", "leaderLastElectedTime", "conditions"})
}
