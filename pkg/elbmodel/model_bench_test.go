package elbmodel

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// Micro benchmarks of the pure model: annotation parsing, Build and Diff.
// Run with: go test -run '^$' -bench . -benchmem ./pkg/elbmodel

// fullAnnotations sets every annotation ParseAnnotations reads.
func fullAnnotations() map[string]string {
	return map[string]string{
		apis.AnnotationSpec: "elb.s3.medium", apis.AnnotationPayType: "PostPaid", apis.AnnotationAddressType: "internet",
		apis.AnnotationEIPBandwidth: "50", apis.AnnotationEIPISP: "cmcc", apis.AnnotationEIPInstanceChargeType: "PostPaid",
		apis.AnnotationEIPInternetChargeType: "PayByTraffic", apis.AnnotationBackendLabel: "tier=edge,zone=a",
		apis.AnnotationBackendWeight: "80", apis.AnnotationScheduler: "wrr", apis.AnnotationPersistenceTimeout: "30",
		apis.AnnotationEstablishedTimeout: "600", apis.AnnotationHealthyThreshold: "4", apis.AnnotationUnhealthyThreshold: "4",
		apis.AnnotationHealthCheckInterval: "3", apis.AnnotationHealthCheckConnectTimeout: "6",
		apis.AnnotationNodePoolSelector: "k8s-svc=cube", apis.AnnotationTopologyKeys: "openyurt.io/nodepool",
	}
}

func BenchmarkParseAnnotations(b *testing.B) {
	for _, bc := range []struct {
		name string
		ann  map[string]string
	}{
		{"defaults", map[string]string{apis.AnnotationNodePoolSelector: "k8s-svc=cube"}},
		{"all-set", fullAnnotations()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := ParseAnnotations(bc.ann); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = ParseAnnotations(bc.ann)
			}
		})
	}
}

// scaledInputs is a Local-policy Service with two ports on a pool of n
// ready nodes, every node hosting a ready endpoint, 100 endpoints a slice.
func scaledInputs(b *testing.B, n int) (Inputs, map[string]cloud.Instance) {
	b.Helper()
	s := svc(corev1.ServiceExternalTrafficPolicyLocal, nil,
		corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080},
		corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053})
	nodes := make([]*corev1.Node, 0, n)
	instances := make(map[string]cloud.Instance, n)
	var slices []*discoveryv1.EndpointSlice
	for i := range n {
		name := fmt.Sprintf("node-%04d", i)
		nd := node(name, true, nil)
		nodes = append(nodes, nd)
		id := InstanceID(nd)
		instances[id] = cloud.Instance{ID: id, Status: cloud.InstanceRunning, PrivateIP: fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255)}
		if i%100 == 0 {
			slices = append(slices, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{
				Name: fmt.Sprintf("cube-svc-%d", i/100), Namespace: "default",
				Labels: map[string]string{discoveryv1.LabelServiceName: "cube-svc"}}})
		}
		sl := slices[len(slices)-1]
		sl.Endpoints = append(sl.Endpoints, discoveryv1.Endpoint{Addresses: []string{fmt.Sprintf("172.16.%d.%d", i>>8, i&255)},
			NodeName: ptr.To(name), Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	in := inputs(s, nodes...)
	in.Slices = slices
	return in, instances
}

func BenchmarkBuild(b *testing.B) {
	for _, n := range []int{1, 100, 1000} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			in, instances := scaledInputs(b, n)
			d, err := buildWith(in, instances)
			if err != nil {
				b.Fatal(err)
			}
			// One entry per instance however many ports (the old model had
			// one per instance and port).
			if len(d.Backends) != n || len(d.Listeners) != 2 {
				b.Fatalf("got %d backends and %d listeners, want %d and 2", len(d.Backends), len(d.Listeners), n)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = buildWith(in, instances)
			}
			b.ReportMetric(float64(len(d.Backends)), "backends")
		})
	}
}

// BenchmarkBackendInstanceIDs is the part of Build the controller runs
// before it can ask the cloud about instances.
func BenchmarkBackendInstanceIDs(b *testing.B) {
	in, _ := scaledInputs(b, 1000)
	if got := len(BackendInstanceIDs(in)); got != 1000 {
		b.Fatalf("got %d ids, want 1000", got)
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = BackendInstanceIDs(in)
	}
}

// largeDesired is a managed ELB with 10 TCP listeners and `servers`
// instances behind them (one port-0 entry each, `servers` entries).
func largeDesired(servers int) Desired {
	var ports []corev1.ServicePort
	for i := range 10 {
		ports = append(ports, corev1.ServicePort{Port: int32(8000 + i), NodePort: int32(30000 + i), Protocol: corev1.ProtocolTCP})
	}
	cfg, _ := ParseAnnotations(nil)
	ls, _ := buildListeners(svc(corev1.ServiceExternalTrafficPolicyCluster, nil, ports...), testName, cfg.Listener)
	ids := make([]string, servers)
	inst := make(map[string]cloud.Instance, servers)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%05d", i)
		inst[ids[i]] = cloud.Instance{ID: ids[i], Status: cloud.InstanceRunning, PrivateIP: "10.0.0.1"}
	}
	return Desired{
		Name: testName, Managed: true, Network: Network{RegionID: "cn-hefei-cmcc-2", NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1"},
		Spec: "elb.s2.small", PayType: "PostPaid", AddressType: AddressInternet, Listeners: ls,
		Backends: func() []cloud.Backend { b, _ := BuildBackends(Needs(ids, 100), inst, Network{}); return b }(),
		EIP:      &DesiredEIP{Name: testName, RegionID: "cn-hefei-cmcc-2", Bandwidth: 10},
	}
}

// changeTenPercent swaps every tenth server of a for another instance and
// changes the scheduler of one listener in ten.
func changeTenPercent(a Actual) {
	lb := a.LoadBalancer
	for i := range lb.Backends {
		if i%10 == 0 { // one entry per server
			lb.Backends[i].ServerID = fmt.Sprintf("i-old-%05d", i)
		}
	}
	for i := 0; i < len(lb.Listeners); i += 10 {
		lb.Listeners[i].Scheduler = "wrr"
	}
}

func BenchmarkDiff(b *testing.B) {
	const servers = 1000
	d := largeDesired(servers)
	for _, bc := range []struct {
		name    string
		edit    func(Actual)
		actions int
	}{
		{"unchanged", func(Actual) {}, 0},
		// RemoveBackends, AddBackends and one UpdateListener.
		{"changed=10pct", changeTenPercent, 3},
	} {
		b.Run(fmt.Sprintf("listeners=10,servers=%d/%s", servers, bc.name), func(b *testing.B) {
			a := converged(d)
			bc.edit(a)
			p, err := Diff(d, a)
			if err != nil {
				b.Fatal(err)
			}
			if len(p.Actions) != bc.actions {
				b.Fatalf("plan %v, want %d actions", types(p), bc.actions)
			}
			b.ReportAllocs()
			for b.Loop() {
				_, _ = Diff(d, a)
			}
			b.ReportMetric(float64(len(d.Backends)), "backend-entries")
		})
	}
}
