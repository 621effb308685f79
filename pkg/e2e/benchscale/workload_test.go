//go:build benchscale

package benchscale

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

// The workload: P pools, each its own ENS region with one network, one
// vSwitch and K Running instances, one kwok node per instance; Services of
// a TCP and a UDP port selecting every pool. Service 0 is the probe, of
// Local policy with one endpoint per pool (phase 3 moves them); the others
// are of Cluster policy with endpoints on every node (phase 1) or spread
// over the nodes (the Services phase 4 adds). Services have no selector:
// the benchmark writes their EndpointSlices itself.
const (
	poolLabel = "bench-svc"
	probe     = 0
	tcpPort   = 80
	udpPort   = 53
)

func poolName(p int) string      { return fmt.Sprintf("np-%02d", p) }
func regionID(p int) string      { return fmt.Sprintf("cn-bench-%02d", p) }
func networkID(p int) string     { return fmt.Sprintf("n-bench-%02d", p) }
func vswitchID(p int) string     { return fmt.Sprintf("vsw-bench-%02d", p) }
func nodeName(p, k int) string   { return fmt.Sprintf("bench-node-%02d-%d", p, k) }
func instanceID(p, k int) string { return fmt.Sprintf("i-bench-%02d-%d", p, k) }
func instanceIP(p, k int) string { return fmt.Sprintf("10.%d.0.%d", p, 10+k) }
func serviceName(i int) string {
	return map[bool]string{true: "probe", false: fmt.Sprintf("svc-%04d", i)}[i == probe]
}
func nodePorts(i int) (int32, int32) { return int32(30000 + 2*i), int32(30001 + 2*i) }

// cloudInventory is the emulated account: the pools' regions, networks and
// instances, and no ELB or EIP.
func cloudInventory(p Profile) ensemulator.Inventory {
	var inv ensemulator.Inventory
	for pool := range p.Pools {
		inv.Regions = append(inv.Regions, ensemulator.Region{ID: regionID(pool)})
		// Every ELB takes an address of the vSwitch: a /20 holds the
		// Services the node-port range allows.
		inv.Networks = append(inv.Networks, ensemulator.Network{ID: networkID(pool), RegionID: regionID(pool),
			CIDR: fmt.Sprintf("10.%d.0.0/16", pool), VSwitches: []ensemulator.VSwitch{{ID: vswitchID(pool), CIDR: fmt.Sprintf("10.%d.0.0/20", pool)}}})
		for k := range p.NodesPerPool {
			inv.Instances = append(inv.Instances, ensemulator.Instance{ID: instanceID(pool, k), Name: instanceID(pool, k),
				RegionID: regionID(pool), NetworkID: networkID(pool), VSwitchID: vswitchID(pool), Status: "Running", PrivateIP: instanceIP(pool, k)})
		}
	}
	return inv
}

func nodePool(p int) *v1beta2.NodePool {
	return &v1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: poolName(p), Labels: map[string]string{poolLabel: "yes"},
		Annotations: map[string]string{apis.AnnotationPoolRegionID: regionID(p), apis.AnnotationPoolNetworkID: networkID(p),
			apis.AnnotationPoolVSwitchIDs: vswitchID(p)}},
		Spec: v1beta2.NodePoolSpec{Type: v1beta2.Edge}}
}

// node is a kwok node (kwok marks it Ready and keeps its lease).
func node(p, k int) *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: nodeName(p, k), Annotations: map[string]string{"kwok.x-k8s.io/node": "fake"},
			Labels: map[string]string{"kubernetes.io/hostname": nodeName(p, k), apis.LabelNodePool: poolName(p), apis.LabelENSInstanceID: instanceID(p, k)}},
		Status: corev1.NodeStatus{Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: instanceIP(p, k)}}},
	}
}

func service(i int) *corev1.Service {
	policy := corev1.ServiceExternalTrafficPolicyCluster
	if i == probe {
		policy = corev1.ServiceExternalTrafficPolicyLocal
	}
	tcp, udp := nodePorts(i)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: serviceName(i), Namespace: namespace,
			Annotations: map[string]string{apis.AnnotationNodePoolSelector: poolLabel + "=yes", apis.AnnotationTopologyKeys: apis.LabelNodePool}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(apis.LoadBalancerClassELB),
			ExternalTrafficPolicy: policy,
			Ports: []corev1.ServicePort{
				{Name: "tcp", Port: tcpPort, Protocol: corev1.ProtocolTCP, NodePort: tcp},
				{Name: "udp", Port: udpPort, Protocol: corev1.ProtocolUDP, NodePort: udp},
			}},
	}
	if policy == corev1.ServiceExternalTrafficPolicyLocal {
		// Else the API server picks one at random in the node-port range,
		// which the seeded Services' fixed ports then run into ("provided
		// port is already allocated": three full runs lost phase 4 to it).
		svc.Spec.HealthCheckNodePort = ProbeHealthCheckNodePort
	}
	return svc
}

// endpointSlice has one ready endpoint on each of the nodes, in order.
func endpointSlice(i int, nodes []string) *discoveryv1.EndpointSlice {
	name := serviceName(i)
	s := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: name + "-bench", Namespace: namespace,
		Labels: map[string]string{discoveryv1.LabelServiceName: name}}, AddressType: discoveryv1.AddressTypeIPv4}
	for j, n := range nodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("172.%d.%d.%d", 16+i/250, j/250, 1+j%250)},
			NodeName: ptr.To(n), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	return s
}

// allNodes are every pool's nodes.
func allNodes(p Profile) []string {
	var out []string
	for pool := range p.Pools {
		for k := range p.NodesPerPool {
			out = append(out, nodeName(pool, k))
		}
	}
	return out
}

// spreadNodes are n endpoints' nodes for Service i, round robin over every
// node from an offset of its own.
func spreadNodes(p Profile, i, n int) []string {
	all := allNodes(p)
	out := make([]string, n)
	for j := range out {
		out[j] = all[(i+j)%len(all)]
	}
	return out
}

// probeNodes are the probe's endpoint nodes: at[pool] in each pool.
func probeNodes(at []int) []string {
	out := make([]string, len(at))
	for pool, k := range at {
		out[pool] = nodeName(pool, k)
	}
	return out
}

func (e *env) createPoolsAndNodes(ctx context.Context) error {
	for pool := range e.p.Pools {
		if _, err := e.yurt.AppsV1beta2().NodePools().Create(ctx, nodePool(pool), metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	err := parallel(ctx, 8, e.p.Nodes(), func(i int) error {
		_, err := e.kube.CoreV1().Nodes().Create(ctx, node(i/e.p.NodesPerPool, i%e.p.NodesPerPool), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	_, err = e.clu.Kubectl(ctx, "wait", "--for=condition=Ready", "--timeout=120s", "node", "--all")
	return err
}

// createServices creates Services from..to-1 with their EndpointSlices.
func (e *env) createServices(ctx context.Context, from, to int, slice func(i int) *discoveryv1.EndpointSlice) error {
	return parallel(ctx, 8, to-from, func(n int) error {
		i := from + n
		if _, err := e.kube.DiscoveryV1().EndpointSlices(namespace).Create(ctx, slice(i), metav1.CreateOptions{}); err != nil {
			return err
		}
		_, err := e.kube.CoreV1().Services(namespace).Create(ctx, service(i), metav1.CreateOptions{})
		return err
	})
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first
// error; an AlreadyExists answer to a retried create is no error.
func parallel(ctx context.Context, workers, n int, fn func(i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var once sync.Once
	var first error
	var wg sync.WaitGroup
	for range min(workers, max(n, 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil && !apierrors.IsAlreadyExists(err) {
					once.Do(func() { first = err; cancel() })
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return first
}

// sortedIDs returns a sorted copy.
func sortedIDs(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// instancesOfPool are pool p's instance ids.
func instancesOfPool(p Profile, pool int) []string {
	out := make([]string, p.NodesPerPool)
	for k := range out {
		out[k] = instanceID(pool, k)
	}
	return out
}

// since is a small helper for log lines.
func since(t time.Time) string { return time.Since(t).Round(time.Millisecond).String() }
