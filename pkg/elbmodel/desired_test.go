package elbmodel

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

func TestBuildManaged(t *testing.T) {
	in := inputs(svc(corev1.ServiceExternalTrafficPolicyCluster, nil), node("a", true, nil), node("b", true, nil))
	d, err := buildWith(in, running("i-a", "i-b"))
	if err != nil {
		t.Fatal(err)
	}
	want := Desired{
		Name: testName, Managed: true,
		Network: Network{RegionID: "cn-hefei-cmcc-2", NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1"},
		Spec:    "elb.s2.small", PayType: "PostPaid", AddressType: AddressInternet,
		Listeners: []cloud.Listener{{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: testName, Scheduler: "rr",
			EstablishedTimeout: 500, HealthyThreshold: 3, UnhealthyThreshold: 3, HealthCheckInterval: 2, HealthCheckConnectTimeout: 5}},
		// One entry per instance, Port 0: the listener's BackendServerPort
		// routes (the per-port entries of the old model are gone).
		Backends: []cloud.Backend{
			{ServerID: "i-a", Type: "ens", IP: "10.1.0.1", Weight: 100},
			{ServerID: "i-b", Type: "ens", IP: "10.1.0.2", Weight: 100},
		},
		EIP: &DesiredEIP{Name: testName, RegionID: "cn-hefei-cmcc-2", Bandwidth: 10, InstanceChargeType: "PostPaid",
			InternetChargeType: "95BandwidthByMonth"},
	}
	if diff := cmp.Diff(want, d); diff != "" {
		t.Errorf("desired (-want +got):\n%s", diff)
	}
}

func TestBuildUserManagedAndIntranet(t *testing.T) {
	in := inputs(svc("", map[string]string{apis.AnnotationManagedByUser: "true"}), node("a", true, nil))
	in.PoolService.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-x"}
	in.Pool = pool(map[string]string{apis.AnnotationPoolRegionID: "cn-hefei-cmcc-2"}) // region is enough
	d, err := buildWith(in, running("i-a"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Managed || d.LoadBalancerID != "lb-x" || d.EIP != nil || len(d.Backends) != 1 {
		t.Errorf("user-managed desired = %+v", d)
	}
	in = inputs(svc("", map[string]string{apis.AnnotationAddressType: "intranet"}), node("a", true, nil))
	if d, _ = buildWith(in, running("i-a")); !d.Managed || d.EIP != nil {
		t.Errorf("intranet desired has EIP %+v", d.EIP)
	}
}

func TestBuildBackends(t *testing.T) {
	local, cluster := corev1.ServiceExternalTrafficPolicyLocal, corev1.ServiceExternalTrafficPolicyCluster
	deleting := node("d", true, nil)
	deleting.DeletionTimestamp = &metav1.Time{}
	tests := []struct {
		name      string
		svc       *corev1.Service
		nodes     []*corev1.Node
		slices    []*discoveryv1.EndpointSlice
		instances map[string]cloud.Instance
		want      []cloud.Backend
	}{
		{"cluster: every ready node", svc(cluster, nil), []*corev1.Node{node("a", true, nil), node("b", false, nil), deleting},
			nil, running("i-a", "i-b", "i-d"), []cloud.Backend{backend("i-a", 0, 100)}},
		{"local: only ready endpoints", svc(local, nil), []*corev1.Node{node("a", true, nil), node("b", true, nil), node("c", true, nil)},
			[]*discoveryv1.EndpointSlice{slice(map[string]bool{"b": true, "c": false})}, running("i-a", "i-b", "i-c"),
			[]cloud.Backend{backend("i-b", 0, 100)}},
		{"local: unset Ready counts as ready, no node name is skipped", svc(local, nil),
			[]*corev1.Node{node("a", true, nil), node("b", true, nil)},
			[]*discoveryv1.EndpointSlice{{Endpoints: []discoveryv1.Endpoint{{NodeName: ptr.To("a")}, {Addresses: []string{"172.16.0.9"}}}}},
			running("i-a", "i-b"), []cloud.Backend{backend("i-a", 0, 100)}},
		{"local: no endpoints, no backends", svc(local, nil), []*corev1.Node{node("a", true, nil)}, nil, running("i-a"), nil},
		{"running instances only", svc(cluster, nil), []*corev1.Node{node("a", true, nil), node("b", true, nil), node("c", true, nil)}, nil,
			map[string]cloud.Instance{"i-a": {ID: "i-a", Status: "Stopped"}, "i-b": {ID: "i-b", Status: "Running"}},
			[]cloud.Backend{backend("i-b", 0, 100)}},
		{"label filter", svc(cluster, map[string]string{apis.AnnotationBackendLabel: "role=edge,zone=z1"}),
			[]*corev1.Node{node("a", true, map[string]string{"role": "edge", "zone": "z1"}), node("b", true, map[string]string{"role": "edge"})},
			nil, running("i-a", "i-b"), []cloud.Backend{backend("i-a", 0, 100)}},
		{"excluded node", svc(cluster, nil), []*corev1.Node{node("a", true, map[string]string{labelExcludeFromLB: ""})}, nil, running("i-a"), nil},
		// Two ports still give one entry per instance (the old model had one
		// entry per instance and port).
		{"weight and two ports", svc(cluster, map[string]string{apis.AnnotationBackendWeight: "30"},
			corev1.ServicePort{Port: 80, NodePort: 30080, Protocol: "TCP"}, corev1.ServicePort{Port: 53, NodePort: 30053, Protocol: "UDP"}),
			[]*corev1.Node{node("a", true, nil)}, nil, running("i-a"), []cloud.Backend{backend("i-a", 0, 30)}},
		// Selector semantics: "k=" selects only nodes whose label k is
		// present and empty.
		{"label filter k= wants the label present and empty", svc(cluster, map[string]string{apis.AnnotationBackendLabel: "edge="}),
			[]*corev1.Node{node("a", true, map[string]string{"edge": ""}), node("b", true, map[string]string{"edge": "yes"}), node("c", true, nil)},
			nil, running("i-a", "i-b", "i-c"), []cloud.Backend{backend("i-a", 0, 100)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := inputs(tt.svc, tt.nodes...)
			in.Slices = tt.slices
			d, err := buildWith(in, tt.instances)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, stripIPs(d.Backends)); diff != "" {
				t.Errorf("backends (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInstanceID(t *testing.T) {
	tests := []struct {
		labels     map[string]string
		providerID string
		want       string
	}{
		{map[string]string{apis.LabelENSInstanceID: "i-label"}, "alicloud://cn-hefei.i-other", "i-label"},
		{nil, "alicloud://cn-hefei-cmcc-2.i-prov", "i-prov"},
		{nil, "cn-hefei.i-prov", "i-prov"},
		{nil, "ens:///i-prov", "i-prov"},
		{nil, "i-bare", "i-bare"},
		{nil, "", "node-x"},
	}
	for _, tt := range tests {
		n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-x", Labels: tt.labels}, Spec: corev1.NodeSpec{ProviderID: tt.providerID}}
		if got := InstanceID(n); got != tt.want {
			t.Errorf("InstanceID(labels %v, providerID %q) = %q, want %q", tt.labels, tt.providerID, got, tt.want)
		}
	}
}

func TestBuildListeners(t *testing.T) {
	s := svc("", map[string]string{apis.AnnotationScheduler: "wrr", apis.AnnotationPersistenceTimeout: "60"},
		corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"}, corev1.ServicePort{Port: 53, NodePort: 30053, Protocol: "UDP"})
	d, err := Build(inputs(s))
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, l := range d.Listeners {
		got = append(got, l.Protocol+":"+strconv.Itoa(l.Port)+"->"+strconv.Itoa(l.BackendPort)+" "+l.Scheduler+" p"+strconv.Itoa(l.PersistenceTimeout)+" e"+strconv.Itoa(l.EstablishedTimeout))
	}
	want := []string{"UDP:53->30053 wrr p0 e500", "TCP:443->30443 wrr p60 e500"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("listeners (-want +got):\n%s", diff)
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name          string
		in            Inputs
		reason, field string
	}{
		{"SCTP", inputs(svc("", nil, corev1.ServicePort{Port: 80, NodePort: 30080, Protocol: "TCP"},
			corev1.ServicePort{Port: 9, NodePort: 30009, Protocol: corev1.ProtocolSCTP})), apis.EventSyncLoadBalancerFailed, "spec.ports[1].protocol"},
		{"no node port", inputs(svc("", nil, corev1.ServicePort{Port: 80, Protocol: "TCP"})), apis.EventSyncLoadBalancerFailed, "spec.ports[0].nodePort"},
		{"pool without network", withPool(inputs(svc("", nil)), map[string]string{apis.AnnotationPoolRegionID: "r"}),
			apis.EventMissingPoolNetwork, apis.AnnotationPoolNetworkID + "," + apis.AnnotationPoolVSwitchIDs},
		{"pool without anything", withPool(inputs(svc("", nil)), map[string]string{}), apis.EventMissingPoolNetwork,
			apis.AnnotationPoolRegionID + "," + apis.AnnotationPoolNetworkID + "," + apis.AnnotationPoolVSwitchIDs},
		{"user pool without region", withPool(inputs(svc("", map[string]string{apis.AnnotationManagedByUser: "true"})), map[string]string{}),
			apis.EventMissingPoolNetwork, apis.AnnotationPoolRegionID},
		// k8s/<57>/default/np-hefei/c1 is 81 characters: one too many for an ELB name.
		{"ELB name too long", withServiceName(inputs(svc("", nil)), strings.Repeat("a", 57)),
			apis.EventSyncLoadBalancerFailed, "metadata.name"},
		{"listener description too long", withPoolName(withServiceName(inputs(svc("", map[string]string{apis.AnnotationManagedByUser: "true"})),
			strings.Repeat("a", 63)), strings.Repeat("p", 180)), apis.EventSyncLoadBalancerFailed, "metadata.name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.in)
			ie := AsInputError(err)
			if ie == nil || ie.Reason != tt.reason || ie.Field != tt.field {
				t.Fatalf("err = %#v, want reason %s field %s", err, tt.reason, tt.field)
			}
		})
	}
}

func withPool(in Inputs, ann map[string]string) Inputs {
	in.Pool = pool(ann)
	return in
}

func withServiceName(in Inputs, name string) Inputs {
	in.Service.Name = name
	return in
}

func withPoolName(in Inputs, name string) Inputs {
	in.Pool.Name = name
	return in
}

func TestBuildNameLengthLimits(t *testing.T) {
	// 80 characters is still a valid ELB name. A user-managed ELB needs the
	// name to fit a listener Description, which ENS also bounds at 80 (the
	// old model allowed longer user-managed names): 81 is refused for both.
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	for _, tt := range []struct {
		name string
		ann  map[string]string
		svc  int // Service name length; k8s/<svc>/default/np-hefei/c1 adds 24
		ok   bool
	}{
		{"managed 80", nil, 56, true},
		{"managed 81", nil, 57, false},
		{"user-managed 80", user, 56, true},
		{"user-managed 81", user, 57, false},
		{"user-managed 87", user, 63, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := withServiceName(inputs(svc("", tt.ann)), strings.Repeat("a", tt.svc))
			d, err := Build(in)
			if tt.ok {
				if err != nil || len(d.Name) != MaxListenerDescriptionLen || MaxListenerDescriptionLen != MaxLoadBalancerNameLen {
					t.Errorf("name %q (%d): %v, want accepted", d.Name, len(d.Name), err)
				}
				return
			}
			ie := AsInputError(err)
			if ie == nil || ie.Field != "metadata.name" || ie.Reason != apis.EventSyncLoadBalancerFailed ||
				!strings.Contains(ie.Message, "at most 80") || ie.Unusable {
				t.Errorf("name of %d characters: err %#v, want a metadata.name InputError naming the limit 80", len(d.Name), err)
			}
		})
	}
}
