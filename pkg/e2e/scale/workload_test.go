//go:build scale

package scale

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// settings are the benchmark's knobs (SCALE_* environment variables).
type settings struct {
	services, pools, nodes int
	rtt, resync            time.Duration
	elbWorkers             int
	out                    string
	verbosity              int
}

func loadSettings(t *testing.T) settings {
	s := settings{
		services: envInt(t, "SCALE_SERVICES", 50), pools: envInt(t, "SCALE_POOLS", 2), nodes: envInt(t, "SCALE_NODES", 5),
		rtt: envDuration(t, "SCALE_RTT", 20*time.Millisecond), elbWorkers: envInt(t, "SCALE_ELB_WORKERS", 4),
		out: os.Getenv("SCALE_OUT"), verbosity: envInt(t, "SCALE_V", 0),
	}
	if s.services < 1 || s.pools < 1 || s.nodes < 2 || s.elbWorkers < 1 {
		t.Fatalf("SCALE_SERVICES %d, SCALE_POOLS %d, SCALE_ELB_WORKERS %d must be at least 1 and SCALE_NODES %d at least 2 (the probe moves between node halves)",
			s.services, s.pools, s.elbWorkers, s.nodes)
	}
	if s.services > maxServices {
		t.Fatalf("SCALE_SERVICES %d: at most %d Services fit the node-port range with two ports each", s.services, maxServices)
	}
	// A whole pass must fit the period at the read budget (10 per second
	// for the ELB reads), with room for pacing.
	s.resync = envDuration(t, "SCALE_RESYNC", max(time.Minute, time.Duration(s.poolServices())*250*time.Millisecond))
	if s.out == "" {
		s.out = filepath.Join("..", "..", "..", "_output", "bench", "scale.txt")
	}
	return s
}

// poolServices counts the bulk Services' and the probe's.
func (s settings) poolServices() int { return (s.services + 1) * s.pools }

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func envDuration(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}

// The workload: P pools, each its own ENS region with one network,
// vSwitch and K Running instances, one node per instance; N Services of
// Cluster policy, each a TCP and a UDP port, with an EndpointSlice
// on every node; and the probe, a Local-policy Service whose endpoints
// move between the first and the second half of every pool's nodes.
const (
	namespace   = "default"
	clusterID   = "c-scale"
	poolLabel   = "k8s-svc"
	probeName   = "probe"
	tcpPort     = 80
	udpPort     = 53
	maxServices = (32767-30000+1)/2 - 1 // node-port pairs, less the probe's
)

var workloadTiming = func(rtt time.Duration) Timing {
	return Timing{RoundTrip: rtt, Active: ensemulator.RealisticActiveDelay, Listener: ensemulator.RealisticListenerTransitionDelay,
		EIP: ensemulator.RealisticEIPTransitionDelay}
}

func poolName(p int) string      { return fmt.Sprintf("np-%02d", p) }
func regionID(p int) string      { return fmt.Sprintf("cn-scale-%02d", p) }
func nodeName(p, k int) string   { return fmt.Sprintf("node-%02d-%d", p, k) }
func instanceID(p, k int) string { return fmt.Sprintf("i-%02d-%d", p, k) }
func serviceName(i int) string   { return fmt.Sprintf("svc-%04d", i) }

// inventory is the emulated account: the pools' regions, networks and
// instances, and no ELB or EIP.
func inventory(s settings) ensemulator.Inventory {
	var inv ensemulator.Inventory
	for p := range s.pools {
		net, vsw := fmt.Sprintf("n-%02d", p), fmt.Sprintf("vsw-%02d", p)
		inv.Regions = append(inv.Regions, ensemulator.Region{ID: regionID(p)})
		inv.Networks = append(inv.Networks, ensemulator.Network{ID: net, RegionID: regionID(p), CIDR: fmt.Sprintf("10.%d.0.0/16", p),
			// Every ELB takes an address of the vSwitch: a /20 holds the most
			// Services the node-port range allows.
			VSwitches: []ensemulator.VSwitch{{ID: vsw, CIDR: fmt.Sprintf("10.%d.0.0/20", p)}}})
		for k := range s.nodes {
			inv.Instances = append(inv.Instances, ensemulator.Instance{ID: instanceID(p, k), Name: instanceID(p, k), RegionID: regionID(p),
				NetworkID: net, VSwitchID: vsw, Status: "Running", PrivateIP: fmt.Sprintf("10.%d.%d.%d", p, k/250, 10+k%250)})
		}
	}
	return inv
}

func nodePool(p int) *v1beta2.NodePool {
	name := poolName(p)
	return &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{poolLabel: "cube"},
		Annotations: map[string]string{apis.AnnotationPoolRegionID: regionID(p), apis.AnnotationPoolNetworkID: fmt.Sprintf("n-%02d", p),
			apis.AnnotationPoolVSwitchIDs: fmt.Sprintf("vsw-%02d", p)}}}
}

func node(p, k int) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: nodeName(p, k), UID: types.UID("uid-" + nodeName(p, k)),
			Labels: map[string]string{apis.LabelNodePool: poolName(p), apis.LabelENSInstanceID: instanceID(p, k)}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
}

// service i (i < 0 is the probe) selects every pool.
func service(name string, i int, policy corev1.ServiceExternalTrafficPolicy) *corev1.Service {
	base := int32(30000 + 2*(i+1))
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, UID: types.UID("uid-" + name),
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: poolLabel + "=cube", apis.AnnotationTopologyKeys: apis.LabelNodePool}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			ExternalTrafficPolicy: policy, Selector: map[string]string{"app": name},
			Ports: []corev1.ServicePort{
				{Name: "tcp", Port: tcpPort, Protocol: corev1.ProtocolTCP, NodePort: base},
				{Name: "udp", Port: udpPort, Protocol: corev1.ProtocolUDP, NodePort: base + 1},
			}},
	}
}

// endpointSlice has one ready endpoint on each of the nodes.
func endpointSlice(svc string, nodes []string) *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc + "-eps", Namespace: namespace,
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}, AddressType: discoveryv1.AddressTypeIPv4}
	for i, n := range nodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("172.16.%d.%d", i/250, 1+i%250)},
			NodeName: ptr.To(n), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	return s
}

// allNodes are every pool's nodes k for k in [from, to).
func allNodes(s settings, from, to int) []string {
	var out []string
	for p := range s.pools {
		for k := from; k < to; k++ {
			out = append(out, nodeName(p, k))
		}
	}
	return out
}

// instancesOf are pool p's instances k for k in [from, to).
func instancesOf(p, from, to int) []string {
	var out []string
	for k := from; k < to; k++ {
		out = append(out, instanceID(p, k))
	}
	return out
}
