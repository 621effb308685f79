package soak

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	appsv1beta2 "github.com/edge-lb/edge-controller-manager/pkg/apis/apps/v1beta2"
	networkv1alpha1 "github.com/edge-lb/edge-controller-manager/pkg/apis/network/v1alpha1"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
)

const (
	tCluster = "c1"
	tCtrl    = "ctrl-ak"
	tUser    = "user-ak"
	tName    = "k8s/web/default/np-a/c1"
)

// converged is a World the oracle must pass: Service web (Cluster, TCP 80
// and UDP 53) in pool np-a with a managed ELB and EIP, and user-managed
// Service u on the user's ELB with the user's EIP. Node n3's instance is
// in another region and n4 is NotReady: neither is a backend. On the
// user's ELB the user made a listener (TCP 9000) and added a backend of
// their own (i-9, no node of the cluster); the ledger says so, and the
// calls are what a controller that keeps its hands off them makes.
func converged() World {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	return World{
		ClusterID: tCluster, ControllerKey: tCtrl,
		Services: []corev1.Service{
			service("web", "uid-web", corev1.ServiceExternalTrafficPolicyCluster, nil, "1.1.1.1"),
			service("u", "uid-u", corev1.ServiceExternalTrafficPolicyCluster, map[string]string{annManagedByUser: "true"}, "2.2.2.2"),
		},
		PoolServices: []networkv1alpha1.PoolService{
			poolService("web", "uid-web", "np-a", "1.1.1.1", "lb-1", nil),
			poolService("u", "uid-u", "np-a", "2.2.2.2", "lb-user", map[string]string{annLoadBalancerID: "lb-user"}),
		},
		Pools: []appsv1beta2.NodePool{pool("np-a", map[string]string{"tier": "gold"})},
		Nodes: []corev1.Node{
			node("n1", "np-a", "i-1", true), node("n2", "np-a", "i-2", true),
			node("n3", "np-a", "i-3", true), node("n4", "np-a", "i-4", false),
		},
		Cloud: ensemulator.Inventory{
			Instances: []ensemulator.Instance{instance("i-1", "r1", "n1"), instance("i-2", "r1", "n1"),
				instance("i-3", "r2", "n2"), instance("i-4", "r1", "n1"), instance("i-9", "r1", "n1")},
			LoadBalancers: []ensemulator.LoadBalancer{
				{ID: "lb-1", Name: tName, CreatedBy: tCtrl, Status: "Active", RegionID: "r1", NetworkID: "n1", Address: "10.0.0.1",
					Listeners: listeners(tName), Backends: backends(0, "i-1", "i-2")},
				{ID: "lb-user", Name: "users-own", CreatedBy: tUser, Status: "Active", RegionID: "r1", NetworkID: "n1", Address: "10.0.0.2",
					Listeners: append(listeners("k8s/u/default/np-a/c1"), ensemulator.Listener{Port: 9000, Protocol: "TCP", BackendServerPort: 30999, Description: "by hand", Status: "Running"}),
					Backends:  backends(0, "i-1", "i-2", "i-9")},
			},
			EIPs: []ensemulator.EIP{
				{ID: "eip-1", Name: tName, CreatedBy: tCtrl, Status: "InUse", InstanceID: "lb-1", Bandwidth: 10, RegionID: "r1", Address: "1.1.1.1"},
				{ID: "eip-user", Name: "k8s/u/default/np-a/c1", CreatedBy: tUser, Status: "InUse", InstanceID: "lb-user", Bandwidth: 5, RegionID: "r1", Address: "2.2.2.2"},
			},
			Released: []ensemulator.Released{{Kind: "eip", ID: "eip-old", CreatedBy: tCtrl, ReleasedBy: tCtrl, ReleasedAt: now}},
		},
		User: UserLedger{
			LoadBalancers: []UserLB{{ID: "lb-user", Name: "users-own"}},
			EIPs:          []UserEIP{{ID: "eip-user", Bandwidth: 5, BoundTo: "lb-user"}},
			Listeners:     []UserListener{{LB: "lb-user", Port: 9000, Protocol: "TCP", BackendPort: 30999, Description: "by hand"}},
			Backends:      []UserBackend{{LB: "lb-user", ServerID: "i-9", Port: 0, Weight: 100}},
		},
		Calls: []CloudCall{
			ctrlCall("CreateLoadBalancerTCPListener", "LoadBalancerId", "lb-user", "ListenerPort", "80"),
			ctrlCall("AddBackendServers", "LoadBalancerId", "lb-user", "BackendServers", `[{"ServerId":"i-1","Weight":"100"},{"ServerId":"i-2"}]`),
			// i-4 is a node of ours (NotReady): removing it is ours to do.
			ctrlCall("RemoveBackendServers", "LoadBalancerId", "lb-user", "BackendServers", `[{"ServerId":"i-4"}]`),
			// A UDP listener of ours on the port of the user's TCP one.
			ctrlCall("StopLoadBalancerListener", "LoadBalancerId", "lb-user", "ListenerPort", "9000", "ListenerProtocol", "udp"),
			ctrlCall("ModifyEnsEipAddressAttribute", "AllocationId", "eip-1", "Bandwidth", "10"),
			ctrlCall("AssociateEnsEipAddress", "AllocationId", "eip-1", "InstanceId", "lb-1", "InstanceType", "SlbInstance"),
			ctrlCall("SetLoadBalancerStatus", "LoadBalancerId", "lb-1", "LoadBalancerStatus", "Active"),
			ctrlCall("ReleaseInstance", "InstanceId", "eip-old"),
			// The user's own calls on their things are theirs.
			{Action: "UnAssociateEnsEipAddress", AccessKey: tUser, Params: map[string]string{"AllocationId": "eip-user"}, Status: 200},
			{Action: "SetBackendServers", AccessKey: tUser, Params: map[string]string{"LoadBalancerId": "lb-user",
				"BackendServers": `[{"ServerId":"i-9","Weight":"100"}]`}, Status: 200},
		},
	}
}

// ctrlCall is a successful call with the controller's key; kv are
// parameter names and values.
func ctrlCall(action string, kv ...string) CloudCall {
	c := CloudCall{At: time.Date(2026, 1, 1, 0, 0, 1, 0, time.UTC), Action: action, AccessKey: tCtrl, Params: map[string]string{}, Status: 200}
	for i := 0; i+1 < len(kv); i += 2 {
		c.Params[kv[i]] = kv[i+1]
	}
	return c
}

// withCall adds a controller call to the world.
func withCall(c CloudCall) func(*World) {
	return func(w *World) { w.Calls = append(w.Calls, c) }
}

func refused(c CloudCall, code string) CloudCall {
	c.Status, c.Code = 403, code
	return c
}

func service(name, uid string, policy corev1.ServiceExternalTrafficPolicy, ann map[string]string, ingress ...string) corev1.Service {
	a := map[string]string{annSelector: "tier=gold"}
	for k, v := range ann {
		a[k] = v
	}
	svc := corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: types.UID(uid), Annotations: a},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, LoadBalancerClass: ptr.To(classELB), ExternalTrafficPolicy: policy,
			Ports: []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP, NodePort: 30080}, {Port: 53, Protocol: corev1.ProtocolUDP, NodePort: 30053}}},
	}
	for _, ip := range ingress {
		svc.Status.LoadBalancer.Ingress = append(svc.Status.LoadBalancer.Ingress, corev1.LoadBalancerIngress{IP: ip})
	}
	return svc
}

func poolService(svc, uid, pool, ingress, lbID string, ann map[string]string) networkv1alpha1.PoolService {
	ps := networkv1alpha1.PoolService{
		ObjectMeta: metav1.ObjectMeta{Name: svc + "-" + pool, Namespace: "default", Annotations: ann,
			Labels: map[string]string{labelPSService: svc, labelPSPool: pool, labelPSManagedBy: managedByValue},
			OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "Service", Name: svc, UID: types.UID(uid), Controller: ptr.To(true)},
				{APIVersion: "apps.openyurt.io/v1beta2", Kind: "NodePool", Name: pool},
			}},
		Spec: networkv1alpha1.PoolServiceSpec{LoadBalancerClass: ptr.To(classELB)},
	}
	if ingress != "" {
		ps.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: ingress}}
		ps.Status.AggregateToAnnotations = map[string]string{annLoadBalancerID: lbID}
		ps.Status.Conditions = []metav1.Condition{{Type: conditionReady, Status: metav1.ConditionTrue}}
	}
	return ps
}

func pool(name string, labels map[string]string) appsv1beta2.NodePool {
	return appsv1beta2.NodePool{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels,
		Annotations: map[string]string{annPoolRegion: "r1", annPoolNetwork: "n1", annPoolVSwitches: "v1"}}}
}

func node(name, pool, instance string, ready bool) corev1.Node {
	status := corev1.ConditionFalse
	if ready {
		status = corev1.ConditionTrue
	}
	return corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{labelNodePool: pool, labelInstanceID: instance}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: status}}}}
}

func instance(id, region, network string) ensemulator.Instance {
	return ensemulator.Instance{ID: id, RegionID: region, NetworkID: network, Status: "Running"}
}

func listeners(desc string) []ensemulator.Listener {
	return []ensemulator.Listener{
		{Port: 80, Protocol: "TCP", BackendServerPort: 30080, Description: desc, Status: "Running"},
		{Port: 53, Protocol: "UDP", BackendServerPort: 30053, Description: desc, Status: "Running"},
	}
}

func backends(port int, ids ...string) []ensemulator.Backend {
	var out []ensemulator.Backend
	for _, id := range ids {
		out = append(out, ensemulator.Backend{ServerID: id, Type: "ens", Port: port, Weight: 100})
	}
	return out
}

// cloudLB is the world's ELB with the id, to edit in place.
func cloudLB(w *World, id string) *ensemulator.LoadBalancer {
	if lb := w.Cloud.LoadBalancer(id); lb != nil {
		return lb
	}
	panic("no ELB " + id)
}

func endpointSlice(svc string, nodes ...string) discoveryv1.EndpointSlice {
	s := discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: svc + "-x", Namespace: "default",
		Labels: map[string]string{discoveryv1.LabelServiceName: svc}}}
	for _, n := range nodes {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{Addresses: []string{"10.244.0.1"}, NodeName: ptr.To(n)})
	}
	return s
}

func TestCheck(t *testing.T) {
	deleting := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name   string
		mutate func(*World)
		want   string // Report.Summary()
		// wantText must appear in the details (which thing and what).
		wantText string
		forms    map[string]int
		// breakdown, when set, is Report.ForeignBreakdown().
		breakdown string
	}{
		{name: "converged", mutate: func(*World) {},
			forms: map[string]int{formPerInstance: 3}},
		{name: "per-port backends are accepted and reported",
			mutate: func(w *World) {
				cloudLB(w, "lb-1").Backends = append(backends(30080, "i-1", "i-2"), backends(30053, "i-1", "i-2")...)
			},
			forms: map[string]int{formPerPort: 1, formPerInstance: 2}},
		{name: "per-port backends missing a nodePort",
			mutate: func(w *World) { cloudLB(w, "lb-1").Backends = backends(30080, "i-1", "i-2") },
			want:   "unconverged=1", wantText: "on ports [30080]"},
		{name: "a wanted instance is missing",
			mutate: func(w *World) { cloudLB(w, "lb-1").Backends = backends(0, "i-1") },
			want:   "unconverged=1", wantText: "want instances [i-1 i-2]"},
		{name: "an instance in another region is a backend",
			mutate: func(w *World) { cloudLB(w, "lb-1").Backends = backends(0, "i-1", "i-2", "i-3") },
			want:   "unconverged=1", wantText: "i-3"},
		{name: "a node that went NotReady is still a backend",
			mutate: func(w *World) { w.Nodes[1].Status.Conditions[0].Status = corev1.ConditionFalse },
			want:   "unconverged=1", wantText: "want instances [i-1]"},
		{name: "Local policy keeps only nodes with a ready endpoint",
			mutate: func(w *World) {
				w.Services[0].Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				notReady := endpointSlice("web", "n2")
				notReady.Endpoints[0].Conditions.Ready = ptr.To(false)
				w.Slices = []discoveryv1.EndpointSlice{endpointSlice("web", "n1"), notReady}
			},
			want: "unconverged=1", wantText: "want instances [i-1]"},
		{name: "Local policy converged",
			mutate: func(w *World) {
				w.Services[0].Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyLocal
				w.Slices = []discoveryv1.EndpointSlice{endpointSlice("web", "n1", "n4")}
				cloudLB(w, "lb-1").Backends = backends(0, "i-1")
			},
			forms: map[string]int{formPerInstance: 3}},
		{name: "backend label k= selects only nodes with the label present and empty",
			mutate: func(w *World) {
				w.Services[0].Annotations[annBackendLabel] = "rack="
				w.Nodes[0].Labels["rack"] = ""
			},
			want: "unconverged=1", wantText: "want instances [i-1]"},
		{name: "node instance from spec.providerID",
			mutate: func(w *World) {
				delete(w.Nodes[1].Labels, labelInstanceID)
				w.Nodes[1].Spec.ProviderID = "alicloud://r1.i-2"
			},
			forms: map[string]int{formPerInstance: 3}},
		{name: "two ELBs of ours with one name",
			mutate: func(w *World) {
				w.Cloud.LoadBalancers = append(w.Cloud.LoadBalancers, ensemulator.LoadBalancer{ID: "lb-dup", Name: tName, CreatedBy: tCtrl, Status: "Active"})
			},
			want: "duplicates=1 leaks=0 unconverged=1", wantText: "2 ELBs: lb-1,lb-dup"},
		{name: "a user's ELB and EIP named like ours are neither duplicates nor leaks",
			mutate: func(w *World) {
				w.Cloud.LoadBalancers = append(w.Cloud.LoadBalancers, ensemulator.LoadBalancer{ID: "lb-squat", Name: tName, CreatedBy: tUser})
				w.Cloud.EIPs = append(w.Cloud.EIPs, ensemulator.EIP{ID: "eip-squat", Name: "k8s/ghost/default/np-a/c1", CreatedBy: tUser})
			},
			forms: map[string]int{formPerInstance: 3}},
		{name: "an ELB of ours for a Service that is gone leaks",
			mutate: func(w *World) {
				w.Cloud.LoadBalancers = append(w.Cloud.LoadBalancers, ensemulator.LoadBalancer{ID: "lb-old", Name: "k8s/old/default/np-a/c1", CreatedBy: tCtrl})
			},
			want: "leaks=1", wantText: "ELB lb-old (, created 00:00:00.000, token \"\", 0 listeners) backs no live managed PoolService"},
		{name: "intranet keeps no EIP and shows the ELB address",
			mutate: func(w *World) {
				w.Services[0].Annotations[annAddressType] = "intranet"
				w.Services[0].Status.LoadBalancer.Ingress[0].IP = "10.0.0.1"
				w.PoolServices[0].Status.LoadBalancer.Ingress[0].IP = "10.0.0.1"
			},
			want: "leaks=1 unconverged=0", wantText: "EIP eip-1 1.1.1.1 (InUse on \"lb-1\", created 00:00:00.000, token \"\") backs no live managed internet PoolService"},
		{name: "a user-managed Service never wants our EIP or ELB",
			mutate: func(w *World) { w.Services[0].Annotations[annManagedByUser] = "true" },
			// web's ELB and EIP leak, and its PoolService names no ELB yet
			// but still shows an address.
			want: "leaks=2 unconverged=1", wantText: "status ingress [1.1.1.1], want []"},
		{name: "bandwidth follows the annotation",
			mutate: func(w *World) { w.Services[0].Annotations[annBandwidth] = "20" },
			want:   "unconverged=1", wantText: "bandwidth 10, want 20"},
		{name: "an EIP not bound to the ELB",
			mutate: func(w *World) { w.Cloud.EIPs[0].InstanceID, w.Cloud.EIPs[0].Status = "", "Available" },
			want:   "unconverged=1", wantText: "want InUse on ELB lb-1"},
		{name: "a stopped listener",
			mutate: func(w *World) { cloudLB(w, "lb-1").Listeners[0].Status = "Stopped" },
			want:   "unconverged=1", wantText: "Stopped"},
		{name: "an extra listener on a managed ELB",
			mutate: func(w *World) {
				lb := cloudLB(w, "lb-1")
				lb.Listeners = append(lb.Listeners, ensemulator.Listener{Port: 81, Protocol: "TCP", BackendServerPort: 30081, Description: tName, Status: "Running"})
			},
			want: "unconverged=1", wantText: "TCP:81->30081"},
		{name: "a wrong backend port on a listener",
			mutate: func(w *World) { cloudLB(w, "lb-1").Listeners[0].BackendServerPort = 31000 },
			want:   "unconverged=1", wantText: "TCP:80->31000"},
		{name: "a stale listener of ours on a user ELB",
			mutate: func(w *World) {
				lb := cloudLB(w, "lb-user")
				lb.Listeners = append(lb.Listeners, ensemulator.Listener{Port: 81, Protocol: "TCP", BackendServerPort: 1, Description: "k8s/u/default/np-a/c1", Status: "Running"})
			},
			want: "unconverged=1", wantText: "user ELB lb-user: our listeners"},
		{name: "a wanted instance missing on a user ELB",
			mutate: func(w *World) { cloudLB(w, "lb-user").Backends = backends(0, "i-1", "i-9") },
			want:   "unconverged=1", wantText: "instance i-2 has backend ports []"},
		{name: "a user ELB without an EIP: the ELB address",
			mutate: func(w *World) {
				w.Cloud.EIPs, w.User.EIPs = w.Cloud.EIPs[:1], nil
				w.PoolServices[1].Status.LoadBalancer.Ingress[0].IP = "10.0.0.2"
				w.Services[1].Status.LoadBalancer.Ingress[0].IP = "10.0.0.2"
			},
			forms: map[string]int{formPerInstance: 3}},
		{name: "a user PoolService naming no ELB shows nothing",
			mutate: func(w *World) {
				w.PoolServices[1].Annotations = nil
				w.PoolServices[1].Status = networkv1alpha1.PoolServiceStatus{}
				w.Services[1].Status.LoadBalancer.Ingress = nil
			},
			forms: map[string]int{formPerInstance: 1}},
		{name: "a released user EIP and a released seeded ELB",
			mutate: func(w *World) {
				w.Cloud.Released = append(w.Cloud.Released,
					ensemulator.Released{Kind: "eip", ID: "eip-u", Name: "k8s/u/default/np-a/c1", CreatedBy: tUser, ReleasedBy: tCtrl},
					ensemulator.Released{Kind: "loadBalancer", ID: "lb-seeded", ReleasedBy: tCtrl})
			},
			want: "foreign-releases=2", wantText: `eip "k8s/u/default/np-a/c1" created by "user-ak" was released by "ctrl-ak"`},
		{name: "the user releasing their own ELB and one of ours is no violation",
			mutate: func(w *World) {
				w.Cloud.Released = append(w.Cloud.Released,
					ensemulator.Released{Kind: "loadBalancer", ID: "lb-u2", CreatedBy: tUser, ReleasedBy: tUser},
					ensemulator.Released{Kind: "loadBalancer", ID: "lb-gone", Name: "k8s/gone/default/np-a/c1", CreatedBy: tCtrl, ReleasedBy: tUser})
			},
			forms: map[string]int{formPerInstance: 3}},
		{name: "a released user ELB is counted once, not also as a mutation",
			mutate: func(w *World) {
				w.Cloud.Released = append(w.Cloud.Released, ensemulator.Released{Kind: "loadBalancer", ID: "lb-u2", CreatedBy: tUser, ReleasedBy: tCtrl})
				w.Calls = append(w.Calls, ctrlCall("ReleaseInstance", "InstanceId", "lb-u2"))
			},
			want: "foreign-releases=1", wantText: "foreign releases (1)", breakdown: "foreign: releases=1 mutations=0"},
		{name: "a refused release of a user's ELB is a mutation tried",
			mutate: withCall(refused(ctrlCall("ReleaseInstance", "InstanceId", "lb-user"), "NoPermission")),
			want:   "foreign-releases=1", wantText: "lb-user: tried to release a foreign resource: 00:00:01.000 ReleaseInstance InstanceId=lb-user (answered 403 NoPermission)",
			breakdown: "foreign: releases=0 mutations=1"},
		{name: "the controller unbinds the user's EIP",
			mutate: withCall(ctrlCall("UnAssociateEnsEipAddress", "AllocationId", "eip-user")),
			want:   "foreign-releases=1", wantText: "eip-user: changed a foreign EIP: 00:00:01.000 UnAssociateEnsEipAddress AllocationId=eip-user (answered 200)"},
		{name: "the controller re-sizes the user's EIP, refused",
			mutate: withCall(refused(ctrlCall("ModifyEnsEipAddressAttribute", "AllocationId", "eip-user", "Bandwidth", "10"), "NoPermission")),
			want:   "foreign-releases=1", wantText: "eip-user: changed a foreign EIP"},
		{name: "the controller binds a seeded EIP (no creator)",
			mutate: func(w *World) {
				w.Cloud.EIPs = append(w.Cloud.EIPs, ensemulator.EIP{ID: "eip-seeded", Status: "Available", RegionID: "r1"})
				w.Calls = append(w.Calls, ctrlCall("AssociateEnsEipAddress", "AllocationId", "eip-seeded", "InstanceId", "lb-1"))
			},
			want: "foreign-releases=1", wantText: "eip-seeded: changed a foreign EIP"},
		{name: "the controller binds its EIP to a user ELB",
			mutate: withCall(ctrlCall("AssociateEnsEipAddress", "AllocationId", "eip-1", "InstanceId", "lb-user")),
			want:   "foreign-releases=1", wantText: "lb-user: bound an EIP to a foreign ELB"},
		{name: "the controller sets a user ELB's status",
			mutate: withCall(ctrlCall("SetLoadBalancerStatus", "LoadBalancerId", "lb-user", "LoadBalancerStatus", "InActive")),
			want:   "foreign-releases=1", wantText: "lb-user: set the status of a foreign ELB"},
		{name: "the controller stops the user's listener",
			mutate: withCall(ctrlCall("StopLoadBalancerListener", "LoadBalancerId", "lb-user", "ListenerPort", "9000", "ListenerProtocol", "tcp")),
			want:   "foreign-releases=1", wantText: "lb-user: touched a listener the user made: 00:00:01.000 StopLoadBalancerListener"},
		{name: "the controller re-configures the user's listener",
			mutate: withCall(ctrlCall("SetLoadBalancerTCPListenerAttribute", "LoadBalancerId", "lb-user", "ListenerPort", "9000", "BackendServerPort", "30080")),
			want:   "foreign-releases=1", wantText: "SetLoadBalancerTCPListenerAttribute"},
		{name: "the controller deletes the user's listener, no protocol named",
			mutate: withCall(ctrlCall("DeleteLoadBalancerListener", "LoadBalancerId", "lb-user", "ListenerPort", "9000")),
			want:   "foreign-releases=1", wantText: "touched a listener the user made"},
		{name: "the user's listener is gone",
			mutate: func(w *World) {
				lb := cloudLB(w, "lb-user")
				lb.Listeners = lb.Listeners[:2]
			},
			want: "foreign-releases=1 unconverged=0", wantText: "lb-user: the user's listener TCP:9000 is gone"},
		{name: "the user's listener points elsewhere",
			mutate: func(w *World) { cloudLB(w, "lb-user").Listeners[2].BackendServerPort = 30080 },
			want:   "foreign-releases=1", wantText: `the user's listener TCP:9000 is ->30080 "by hand", the user left it ->30999 "by hand"`},
		{name: "the controller removes the user's backend",
			mutate: withCall(ctrlCall("RemoveBackendServers", "LoadBalancerId", "lb-user", "BackendServers", `[{"ServerId":"i-4"},{"ServerId":"i-9"}]`)),
			want:   "foreign-releases=1", wantText: "lb-user: touched backend i-9, not an instance of this cluster's nodes"},
		{name: "the controller re-weights the user's backend",
			mutate: withCall(ctrlCall("SetBackendServers", "LoadBalancerId", "lb-user", "BackendServers", `[{"ServerId":"i-9","Weight":"50"}]`)),
			want:   "foreign-releases=1", wantText: "touched backend i-9"},
		{name: "the controller adds a backend not of its nodes to a user ELB",
			mutate: withCall(ctrlCall("AddBackendServers", "LoadBalancerId", "lb-user", "BackendServers", `[{"ServerId":"i-77"}]`)),
			want:   "foreign-releases=1", wantText: "touched backend i-77"},
		{name: "on its own ELB any backend is the controller's business",
			mutate: withCall(ctrlCall("RemoveBackendServers", "LoadBalancerId", "lb-1", "BackendServers", `[{"ServerId":"i-9"}]`)),
			forms:  map[string]int{formPerInstance: 3}},
		{name: "the user's backend is gone",
			mutate: func(w *World) { cloudLB(w, "lb-user").Backends = backends(0, "i-1", "i-2") },
			want:   "foreign-releases=1 unconverged=0", wantText: "lb-user: the user's backend i-9 port 0 is gone"},
		{name: "the user's backend has another weight",
			mutate: func(w *World) { cloudLB(w, "lb-user").Backends[2].Weight = 0 },
			want:   "foreign-releases=1", wantText: "the user's backend i-9 port 0 has weight 0, the user left 100"},
		{name: "the user's EIP re-sized",
			mutate: func(w *World) { w.Cloud.EIPs[1].Bandwidth = 10 },
			want:   "foreign-releases=1 unconverged=0", wantText: `eip-user: the user's EIP has bandwidth 10 on "lb-user" (InUse), the user left it 5 on "lb-user"`},
		{name: "the user's EIP unbound",
			mutate: func(w *World) {
				w.Cloud.EIPs[1].InstanceID, w.Cloud.EIPs[1].Status = "", "Available"
				w.PoolServices[1].Status.LoadBalancer.Ingress[0].IP = "10.0.0.2"
				w.Services[1].Status.LoadBalancer.Ingress[0].IP = "10.0.0.2"
			},
			want: "foreign-releases=1 unconverged=0", wantText: `the user left it 5 on "lb-user"`},
		{name: "the user's ELB set InActive",
			mutate: func(w *World) { cloudLB(w, "lb-user").Status = "InActive" },
			want:   "foreign-releases=1", wantText: `lb-user: the user's ELB is "users-own" InActive, the user left it "users-own" Active`},
		{name: "the user's ELB gone without a release of ours",
			mutate: func(w *World) {
				w.User.LoadBalancers = append(w.User.LoadBalancers, UserLB{ID: "lb-vanished", Name: "x"})
			},
			want: "foreign-releases=1", wantText: `lb-vanished: the user's ELB "x" is gone`},
		{name: "a user ELB the user released: no address, not Ready",
			mutate: func(w *World) {
				w.PoolServices[1].Annotations[annLoadBalancerID] = "lb-gone"
				w.PoolServices[1].Status = networkv1alpha1.PoolServiceStatus{Conditions: []metav1.Condition{{Type: conditionReady, Status: metav1.ConditionFalse}}}
				w.Services[1].Status.LoadBalancer.Ingress = nil
			},
			forms: map[string]int{formPerInstance: 1}},
		{name: "a user ELB the user released is still advertised",
			mutate: func(w *World) { w.PoolServices[1].Annotations[annLoadBalancerID] = "lb-gone" },
			want:   "unconverged=1", wantText: "condition Ready=True, but its user ELB lb-gone does not exist; status ingress [2.2.2.2], want []"},
		{name: "a user ELB in another region is not served",
			mutate: func(w *World) { cloudLB(w, "lb-user").RegionID = "r2" },
			want:   "unconverged=1", wantText: "its user ELB lb-user is in r2, the pool in r1"},
		{name: "a NodePool stuck in deletion",
			mutate: func(w *World) {
				np := pool("np-gone", map[string]string{"tier": "silver"})
				np.DeletionTimestamp, np.Finalizers = &deleting, []string{"x"}
				w.Pools = append(w.Pools, np)
			},
			want: "stuck=1", wantText: "NodePool np-gone: deleting since"},
		{name: "an edited PoolService label is not repaired",
			mutate: func(w *World) { w.PoolServices[0].Labels[labelPSPool] = "np-other" },
			want:   "unconverged=1", wantText: `label openyurt.io/pool-name="np-other", want "np-a"`},
		{name: "the owner reference, not an edited label, says what a PoolService serves",
			mutate: func(w *World) {
				w.PoolServices[0].Labels[labelPSService] = "other"
				w.PoolServices[0].Labels[labelPSPool] = "np-other"
			},
			want: "leaks=0 unconverged=1", wantText: "label openyurt.io/service-name"},
		{name: "a Service ingress that is not the union",
			mutate: func(w *World) { w.Services[0].Status.LoadBalancer.Ingress = nil },
			want:   "unconverged=1", wantText: "status ingress [], want the union of its PoolServices' [1.1.1.1]"},
		{name: "a matching pool without a PoolService",
			mutate: func(w *World) { w.Pools = append(w.Pools, pool("np-b", map[string]string{"tier": "gold"})) },
			want:   "unconverged=2", wantText: "no PoolService for matching pool np-b"},
		{name: "a duplicate PoolService of one pool",
			mutate: func(w *World) {
				dup := poolService("web", "uid-web", "np-a", "1.1.1.1", "lb-1", nil)
				dup.Name = "web-np-a-copy"
				w.PoolServices = append(w.PoolServices, dup)
			},
			want: "unconverged=1", wantText: "2 PoolServices [web-np-a web-np-a-copy] for pool np-a"},
		{name: "a PoolService of a Service that is gone",
			mutate: func(w *World) {
				w.PoolServices = append(w.PoolServices, poolService("old", "uid-old", "np-a", "", "", nil))
			},
			want: "unconverged=1", wantText: `serves Service old (uid "uid-old"), which is gone`},
		{name: "a PoolService of an earlier Service of the same name",
			mutate: func(w *World) {
				w.PoolServices[0].OwnerReferences[0].UID = "uid-earlier"
			},
			// web has no PoolService any more (fan-out), the stray one
			// should go, and web's ELB and EIP are nobody's.
			want: "leaks=2 unconverged=2", wantText: "which is gone"},
		{name: "a Service that no longer wants PoolServices still has one",
			mutate: func(w *World) {
				delete(w.Services[0].Annotations, annSelector)
				w.Services[0].Status.LoadBalancer.Ingress = nil
			},
			want: "leaks=2 unconverged=1", wantText: "wants no PoolServices, has [web-np-a]"},
		{name: "a PoolService Ready=False is not converged",
			mutate: func(w *World) { w.PoolServices[0].Status.Conditions[0].Status = metav1.ConditionFalse },
			want:   "unconverged=1", wantText: `condition Ready="False"`},
		{name: "a wrong aggregated ELB id",
			mutate: func(w *World) { w.PoolServices[0].Status.AggregateToAnnotations[annLoadBalancerID] = "lb-x" },
			want:   "unconverged=1", wantText: "want lb-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := converged()
			tt.mutate(&w)
			r := Check(w)
			for _, part := range strings.Fields(tt.want) {
				if !strings.Contains(" "+r.Summary(), " "+part) {
					t.Errorf("summary %q, want %s\n%s", r.Summary(), part, r.Details())
				}
			}
			if tt.want == "" && !r.Clean() {
				t.Errorf("want clean, got %s\n%s", r.Summary(), r.Details())
			}
			if !strings.Contains(r.Details(), tt.wantText) {
				t.Errorf("details do not mention %q:\n%s", tt.wantText, r.Details())
			}
			if tt.breakdown != "" && r.ForeignBreakdown() != tt.breakdown {
				t.Errorf("breakdown %q, want %q", r.ForeignBreakdown(), tt.breakdown)
			}
			if tt.forms != nil && !mapsEqual(r.BackendForms, tt.forms) {
				t.Errorf("backend forms %v, want %v", r.BackendForms, tt.forms)
			}
		})
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestCheckCountsWhatItJudged(t *testing.T) {
	w := converged()
	w.PoolServices = append(w.PoolServices, poolService("u", "uid-u", "np-b", "", "", nil))
	w.Pools = append(w.Pools, pool("np-b", map[string]string{"tier": "gold"}))
	j := Check(w).Judged
	if j.Managed != 1 || j.UserNamed != 1 || j.UserUnnamed != 1 || j.OurELBs != 1 || j.OurEIPs != 1 {
		t.Errorf("judged %+v, want 1 managed, 1 user naming an ELB, 1 naming none, 1 ELB and 1 EIP name of ours", j)
	}
}
