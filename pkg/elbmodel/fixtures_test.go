package elbmodel

import (
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

const testName = "k8s/cube-svc/default/np-hefei/c1"

func svc(policy corev1.ServiceExternalTrafficPolicy, ann map[string]string, ports ...corev1.ServicePort) *corev1.Service {
	if len(ports) == 0 {
		ports = []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080}}
	}
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "cube-svc", Namespace: "default", Annotations: ann},
		Spec:       corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, ExternalTrafficPolicy: policy, Ports: ports},
	}
}

func pool(ann map[string]string) *v1beta2.NodePool {
	if ann == nil {
		ann = map[string]string{apis.AnnotationPoolRegionID: "cn-hefei-cmcc-2", apis.AnnotationPoolNetworkID: "n-hefei",
			apis.AnnotationPoolVSwitchIDs: "vsw-hefei-1,vsw-hefei-2"}
	}
	return &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: "np-hefei", Annotations: ann}}
}

func node(name string, ready bool, labels map[string]string) *corev1.Node {
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	l := map[string]string{apis.LabelNodePool: "np-hefei", apis.LabelENSInstanceID: "i-" + name}
	for k, v := range labels {
		l[k] = v
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: l},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: st}}},
	}
}

func slice(nodes map[string]bool) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "cube-svc-x", Namespace: "default",
		Labels: map[string]string{discoveryv1.LabelServiceName: "cube-svc"}}}
	for n, ready := range nodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{NodeName: ptr.To(n), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(ready)}})
	}
	return s
}

func running(ids ...string) map[string]cloud.Instance {
	out := map[string]cloud.Instance{}
	for i, id := range ids {
		out[id] = cloud.Instance{ID: id, Status: cloud.InstanceRunning, PrivateIP: "10.1.0." + string(rune('1'+i))}
	}
	return out
}

// buildWith is Build with the backends the pool's own needs make of
// instances, in the pool's network (what NewPlan does before an ELB exists).
func buildWith(in Inputs, instances map[string]cloud.Instance) (Desired, error) {
	d, err := Build(in)
	if err == nil {
		d.setBackends(Needs(BackendInstanceIDs(in), in.Annotations.Weight), instances, d.Network)
	}
	return d, err
}

func inputs(s *corev1.Service, nodes ...*corev1.Node) Inputs {
	cfg, err := ParseAnnotations(s.Annotations)
	if err != nil {
		panic(err)
	}
	return Inputs{ClusterID: "c1", Service: s, Pool: pool(nil), Nodes: nodes, Annotations: cfg,
		PoolService: &v1alpha1.PoolService{ObjectMeta: metav1.ObjectMeta{Name: "cube-svc-np-hefei", Namespace: "default"}}}
}

func backend(id string, port, weight int) cloud.Backend {
	return cloud.Backend{ServerID: id, Type: cloud.BackendTypeENS, Port: port, Weight: weight}
}

// stripIPs clears backend IPs so tables can list backends compactly.
func stripIPs(b []cloud.Backend) []cloud.Backend {
	out := append([]cloud.Backend(nil), b...)
	for i := range out {
		out[i].IP = ""
	}
	return out
}
