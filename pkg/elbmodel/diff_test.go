package elbmodel

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud"
)

// desiredFor builds a managed desired model with nodes a and b.
func desiredFor(t *testing.T, ann map[string]string, ports ...corev1.ServicePort) Desired {
	t.Helper()
	in := inputs(svc(corev1.ServiceExternalTrafficPolicyCluster, ann, ports...), node("a", true, nil), node("b", true, nil))
	if in.Annotations.ManagedByUser {
		in.PoolService.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-1"}
	}
	d, err := buildWith(in, running("i-a", "i-b"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// converged is an Actual that matches d exactly.
func converged(d Desired) Actual {
	lb := &cloud.LoadBalancer{ID: "lb-1", Name: d.Name, RegionID: d.Network.RegionID, Spec: d.Spec, PayType: d.PayType,
		Status: cloud.LoadBalancerActive, Address: "10.1.0.100"}
	for _, l := range d.Listeners {
		l.Status = cloud.ListenerRunning
		lb.Listeners = append(lb.Listeners, l)
	}
	lb.Backends = append(lb.Backends, d.Backends...)
	a := Actual{LoadBalancer: lb}
	if d.EIP != nil {
		a.EIPs = []cloud.EIP{{AllocationID: "eip-1", Name: d.Name, IP: "47.0.0.1", Status: cloud.EIPInUse,
			Bandwidth: d.EIP.Bandwidth, AssociatedInstanceID: "lb-1"}}
	}
	return a
}

func types(p Plan) []string {
	var out []string
	for _, a := range p.Actions {
		out = append(out, a.String())
	}
	return out
}

func TestDiff(t *testing.T) {
	tcp80 := corev1.ServicePort{Port: 80, NodePort: 30080, Protocol: "TCP"}
	base := func(t *testing.T) Desired { return desiredFor(t, nil) }
	tests := []struct {
		name   string
		d      func(*testing.T) Desired
		actual func(Desired) Actual
		want   []string
		wait   bool
	}{
		{"create everything", base, func(Desired) Actual { return Actual{} }, []string{"CreateLoadBalancer", "CreateEIP"}, true},
		{"new ELB not active yet", base, func(d Desired) Actual {
			a := Actual{LoadBalancer: &cloud.LoadBalancer{ID: "lb-1", Name: d.Name, Status: "Creating"}}
			return a
		}, nil, true},
		{"empty active ELB", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners, a.LoadBalancer.Backends, a.EIPs = nil, nil, nil
			return a
		}, []string{"CreateListener TCP:80->30080", "AddBackends 2", "StartListener TCP:80->30080", "CreateEIP", "AssociateEIP (the new EIP)"}, false},
		{"no-op", base, converged, nil, false},
		{"new listener stopped", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Status = "stopped"
			return a
		}, []string{"StartListener TCP:80->30080"}, false},
		{"listener starting", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Status = cloud.ListenerStarting
			return a
		}, nil, true},
		{"attributes changed while listener configuring: wait, no update", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationScheduler: "wlc"})
		}, func(Desired) Actual {
			a := converged(base(t))
			a.LoadBalancer.Listeners[0].Status = cloud.ListenerConfiguring
			return a
		}, nil, true},
		// Backends are one port-0 entry per instance, routed by each
		// listener's BackendServerPort: adding, re-porting or removing a
		// listener no longer adds or removes backends (the old per-port
		// model did).
		{"port added", func(t *testing.T) Desired {
			return desiredFor(t, nil, tcp80, corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"CreateListener TCP:443->30443", "StartListener TCP:443->30443"}, false},
		{"node port changed", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 31000, Protocol: "TCP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"StopListener TCP:80->30080"}, true}, // deleted once Stopped, re-created once its port is free
		{"attributes changed", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationScheduler: "wlc"})
		}, func(Desired) Actual { return converged(base(t)) }, []string{"UpdateListener TCP:80->30080"}, false},
		{"protocol changed", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 30080, Protocol: "UDP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"StopListener TCP:80->30080", "CreateListener UDP:80->30080", "StartListener UDP:80->30080"}, true},
		{"port removed", func(t *testing.T) Desired { return base(t) }, func(d Desired) Actual {
			a := converged(desiredFor(t, nil, tcp80, corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"}))
			return a
		}, []string{"StopListener TCP:443->30443"}, true},
		{"backends moving", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Backends = []cloud.Backend{backend("i-a", 0, 100), backend("i-old", 0, 100), backend("i-b", 0, 50)}
			return a
		}, []string{"RemoveBackends 1", "SetBackendWeights 1"}, false},
		// An older controller's per-port entries on a managed ELB are
		// replaced by the port-0 entry, added first so that the instance
		// never leaves the ELB on the way.
		{"per-port backends replaced", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Backends = []cloud.Backend{backend("i-a", 30080, 100), backend("i-b", 0, 100)}
			return a
		}, []string{"AddBackends 1", "RemoveBackends 1"}, false},
		// An instance that leaves goes before anything is added.
		{"instance leaves while another is replaced", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Backends = []cloud.Backend{backend("i-a", 30080, 100), backend("i-b", 0, 100), backend("i-z", 0, 100)}
			return a
		}, []string{"RemoveBackends 1", "AddBackends 1", "RemoveBackends 1"}, false},
		{"bandwidth up", func(t *testing.T) Desired { return desiredFor(t, map[string]string{apis.AnnotationEIPBandwidth: "50"}) },
			func(Desired) Actual { return converged(base(t)) }, []string{"ModifyEIPBandwidth eip-1 50"}, false},
		{"bandwidth down", base, func(Desired) Actual {
			return converged(desiredFor(t, map[string]string{apis.AnnotationEIPBandwidth: "50"}))
		}, []string{"ModifyEIPBandwidth eip-1 10"}, false},
		{"EIP available", base, func(d Desired) Actual {
			a := converged(d)
			a.EIPs[0].Status, a.EIPs[0].AssociatedInstanceID = cloud.EIPAvailable, ""
			return a
		}, []string{"AssociateEIP eip-1"}, false},
		{"EIP associating", base, func(d Desired) Actual {
			a := converged(d)
			a.EIPs[0].Status, a.EIPs[0].AssociatedInstanceID = "Associating", ""
			return a
		}, nil, true},
		{"intranet releases our EIP", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationAddressType: "intranet"})
		}, func(Desired) Actual { return converged(base(t)) }, []string{"UnassociateEIP eip-1", "ReleaseEIP eip-1"}, false},
		{"foreign listener on another port is left alone", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners, cloud.Listener{Port: 8080, Protocol: "TCP", Description: "hand made"})
			return a
		}, nil, false},
		// ENS deletes only a stopped listener (ens-openapi.md "Lifecycle
		// rules"): a stopped one is deleted at once, one changing state is
		// waited for and its port not reused meanwhile.
		{"stopped listener removed", func(t *testing.T) Desired { return base(t) }, func(d Desired) Actual {
			a := converged(desiredFor(t, nil, tcp80, corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"}))
			a.LoadBalancer.Listeners[1].Status = "stopped"
			return a
		}, []string{"DeleteListener TCP:443->30443"}, false},
		{"stopped listener replaced: deleted now, created once its port is free", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 31000, Protocol: "TCP"})
		}, func(Desired) Actual {
			a := converged(base(t))
			a.LoadBalancer.Listeners[0].Status = "stopped"
			return a
		}, []string{"DeleteListener TCP:80->30080"}, true},
		{"force override of a listener read without status: stopped and deleted at once", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationForceOverrideListeners: "true"})
		}, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Description, a.LoadBalancer.Listeners[0].Status = "", ""
			return a
		}, []string{"StopListener TCP:80->30080", "DeleteListener TCP:80->30080"}, true},
		{"node port changed while the listener starts", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 31000, Protocol: "TCP"})
		}, func(Desired) Actual {
			a := converged(base(t))
			a.LoadBalancer.Listeners[0].Status = cloud.ListenerStarting
			return a
		}, nil, true},
		{"force override replaces a foreign listener", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationForceOverrideListeners: "true"})
		}, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Description = ""
			return a
		}, []string{"StopListener TCP:80->30080"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d(t)
			p, err := Diff(d, tt.actual(d))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, types(p)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
			if (p.Wait != nil) != tt.wait {
				t.Errorf("wait = %q, want waiting %v", p.Wait, tt.wait)
			}
		})
	}
}

func TestDiffSpecChangeRefused(t *testing.T) {
	// The pay-type annotation takes PostPaid only now, so the pay type
	// differs because the ELB has another one (made elsewhere, or by an
	// older controller), not because the annotation asks another.
	a := converged(desiredFor(t, nil))
	a.LoadBalancer.PayType = "PrePaid"
	d := desiredFor(t, map[string]string{apis.AnnotationSpec: "elb.s3.large"})
	p, err := Diff(d, a)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Empty() || len(p.Refused) != 2 || p.Refused[0].Field != apis.AnnotationSpec || p.Refused[1].Field != apis.AnnotationPayType {
		t.Errorf("plan = %+v, want no actions and two refusals", p)
	}
}

func TestDiffInputErrors(t *testing.T) {
	user := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true"})
	foreign := func(desc string) Actual {
		a := converged(user)
		a.LoadBalancer.Listeners[0].Description = desc
		return a
	}
	otherRegion := converged(user)
	otherRegion.LoadBalancer.RegionID = "cn-chengdu-telecom-4"
	named := func(name string) Actual {
		a := converged(user)
		a.LoadBalancer.Name = name
		return a
	}
	// Unusable: the ELB cannot serve the PoolService at all (its address
	// must leave the status); a listener conflict leaves the ELB usable.
	tests := []struct {
		name     string
		actual   Actual
		reason   string
		unusable bool
	}{
		{"user ELB missing", Actual{}, apis.EventLoadBalancerNotFound, true},
		{"user ELB in another region", otherRegion, apis.EventSyncLoadBalancerFailed, true},
		{"ELB managed for another PoolService", named("k8s/other/default/np-hefei/c1"), apis.EventSyncLoadBalancerFailed, true},
		{"ELB managed by another cluster", named("k8s/cube-svc/default/np-hefei/c2"), apis.EventSyncLoadBalancerFailed, true},
		{"listener of another Service", foreign("k8s/other/default/np-hefei/c1"), apis.EventListenerConflict, false},
		{"listener made by hand", foreign(""), apis.EventListenerConflict, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Diff(user, tt.actual)
			ie := AsInputError(err)
			if ie == nil || ie.Reason != tt.reason || !p.Empty() {
				t.Fatalf("plan %v err %v, want reason %s and no plan", types(p), err, tt.reason)
			}
			if ie.Unusable != tt.unusable {
				t.Errorf("Unusable = %v, want %v (%v)", ie.Unusable, tt.unusable, err)
			}
		})
	}
}

func TestDiffUserManagedSharedELB(t *testing.T) {
	d := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true"})
	// This cluster's nodes are i-a and i-b; i-z is another cluster's (or a
	// person's) instance. In the per-instance model a backend is kept from
	// removal by not being this cluster's, not by its port.
	d.Removable = map[string]bool{"i-a": true, "i-b": true}
	a := converged(d)
	// Another Service's listener and backends on the same ELB stay untouched.
	a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners,
		cloud.Listener{Port: 8080, Protocol: "TCP", BackendPort: 31080, Description: "k8s/other/default/np-hefei/c1", Status: "Running"})
	a.LoadBalancer.Backends = append(a.LoadBalancer.Backends, backend("i-z", 0, 100))
	a.EIPs = []cloud.EIP{{AllocationID: "eip-user", IP: "47.0.0.9", Status: cloud.EIPInUse, AssociatedInstanceID: "lb-1"}}
	p, err := Diff(d, a)
	if err != nil || !p.Empty() {
		t.Fatalf("plan %v err %v, want nothing to do", types(p), err)
	}
	// Our own listener is removed with the instances no one needs any
	// more, backends first; the other's are not.
	d.Listeners, d.Backends = nil, nil
	p, _ = Diff(d, a)
	if got := strings.Join(types(p), ","); got != "RemoveBackends 2,StopListener TCP:80->30080" {
		t.Errorf("plan = %s", got)
	}
	if got := p.Actions[0].Backends; !cmp.Equal(stripIPs(got), []cloud.Backend{backend("i-a", 0, 100), backend("i-b", 0, 100)}) {
		t.Errorf("removed %v, want i-a and i-b only", got)
	}
}

func TestDiffPoolNetworkChangeRefused(t *testing.T) {
	old := desiredFor(t, nil)
	a := converged(old)
	a.LoadBalancer.NetworkID, a.LoadBalancer.VSwitchID = old.Network.NetworkID, old.Network.VSwitchID
	d := old
	d.Network = Network{RegionID: "cn-chengdu-telecom-4", NetworkID: "n-chengdu", VSwitchID: "vsw-chengdu-1"}
	p, err := Diff(d, a)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, r := range p.Refused {
		fields = append(fields, r.Field)
	}
	want := []string{apis.AnnotationPoolRegionID, apis.AnnotationPoolNetworkID, apis.AnnotationPoolVSwitchIDs}
	if diff := cmp.Diff(want, fields); diff != "" || !p.Empty() {
		t.Errorf("plan %v, refused (-want +got):\n%s", types(p), diff)
	}
}

// TestDiffWeightOnSharedServer: ENS weights are per server. The old model
// removed and re-added our entry so as not to rewrite another Service's
// weight; now the backends are per instance and the sharers' needs are
// merged first (highest weight wins), so a weight change is one
// SetBackendWeights of the merged weight and never a remove+re-add.
func TestDiffWeightOnSharedServer(t *testing.T) {
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	d := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true", apis.AnnotationBackendWeight: "50"})
	d.Removable = map[string]bool{"i-a": true, "i-b": true}
	a := converged(desiredFor(t, user))
	// i-a also backs another Service's listener (port 31080) at weight 100;
	// the older controller wrote that one per port.
	a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners,
		cloud.Listener{Port: 8080, Protocol: "TCP", BackendPort: 31080, Description: "k8s/other/default/np-hefei/c1", Status: "Running"})
	a.LoadBalancer.Backends = append(a.LoadBalancer.Backends, backend("i-a", 31080, 100))
	d.Protected = []string{"k8s/other/default/np-hefei/c1"}
	needs := Needs([]string{"i-a", "i-b"}, 50)
	MergeNeeds(needs, Needs([]string{"i-a"}, 100)) // the other Service's
	if skipped := d.setBackends(needs, running("i-a", "i-b"), d.Network); skipped != nil {
		t.Fatalf("skipped %v", skipped)
	}
	p, err := Diff(d, a)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, act := range p.Actions {
		for _, b := range act.Backends {
			got = append(got, fmt.Sprintf("%s %s:%d/%d", act.Type, b.ServerID, b.Port, b.Weight))
		}
	}
	want := []string{"SetBackendWeights i-b:0/50"}
	if diff := cmp.Diff(want, got); diff != "" || len(p.Actions) != 1 {
		t.Errorf("plan %v (-want +got):\n%s", types(p), diff)
	}
}

// TestDiffEIPChangeRefused: ISP and charge types are fixed once the EIP
// exists; a different annotation is refused, never applied.
func TestDiffEIPChangeRefused(t *testing.T) {
	tests := []struct {
		name string
		ann  map[string]string
		have cloud.EIP
		want []string
	}{
		{"unchanged", map[string]string{apis.AnnotationEIPISP: "cmcc"},
			cloud.EIP{ISP: "cmcc", InstanceChargeType: "PostPaid", InternetChargeType: "95BandwidthByMonth"}, nil},
		{"ISP chosen by ENS, none asked", nil, cloud.EIP{ISP: "unicom"}, nil},
		{"ENS synonyms and case", nil, cloud.EIP{InstanceChargeType: "PayAsYouGo", InternetChargeType: "95bandwidthbymonth"}, nil},
		{"ISP changed", map[string]string{apis.AnnotationEIPISP: "cmcc"}, cloud.EIP{ISP: "unicom"}, []string{apis.AnnotationEIPISP}},
		{"ISP asked, EIP has none", map[string]string{apis.AnnotationEIPISP: "cmcc"}, cloud.EIP{}, []string{apis.AnnotationEIPISP}},
		{"charge type not reported", nil, cloud.EIP{}, nil},
		{"charge types changed", map[string]string{apis.AnnotationEIPInstanceChargeType: "PrePaid",
			apis.AnnotationEIPInternetChargeType: "PayByTraffic"},
			cloud.EIP{InstanceChargeType: "PostPaid", InternetChargeType: "95BandwidthByMonth"},
			[]string{apis.AnnotationEIPInstanceChargeType, apis.AnnotationEIPInternetChargeType}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := desiredFor(t, tt.ann)
			a := converged(d)
			a.EIPs[0].ISP, a.EIPs[0].InstanceChargeType, a.EIPs[0].InternetChargeType =
				tt.have.ISP, tt.have.InstanceChargeType, tt.have.InternetChargeType
			p, err := Diff(d, a)
			if err != nil {
				t.Fatal(err)
			}
			var fields []string
			for _, r := range p.Refused {
				fields = append(fields, r.Field)
				if r.Reason != apis.EventInvalidAnnotation || !strings.Contains(r.Error(), r.Field) {
					t.Errorf("refusal %v, want reason %s naming the annotation", r, apis.EventInvalidAnnotation)
				}
			}
			if diff := cmp.Diff(tt.want, fields); diff != "" || !p.Empty() {
				t.Errorf("plan %v, refused (-want +got):\n%s", types(p), diff)
			}
		})
	}
}

// TestDiffBackendsMatchesSetSemantics checks the sorted walk of
// diffBackends against a plain set comparison on random ELBs, managed and
// user-managed, with actual backends sorted and not. Actual backends mix
// port-0 entries and an older controller's per-port entries.
func TestDiffBackendsMatchesSetSemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		managed := round%2 == 0
		d := Desired{Name: testName, Managed: managed,
			Listeners: []cloud.Listener{{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: testName}}}
		if !managed {
			d.Removable = map[string]bool{} // this cluster's instances
		}
		lb := &cloud.LoadBalancer{Listeners: []cloud.Listener{
			{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: testName},
			{Port: 82, Protocol: "TCP", BackendPort: 30082, Description: "k8s/other/default/np-hefei/c1"}}}
		for s := range 12 {
			id := fmt.Sprintf("i-%02d", s)
			if !managed && rng.IntN(3) > 0 {
				d.Removable[id] = true
			}
			if rng.IntN(2) == 0 {
				d.Backends = append(d.Backends, backend(id, 0, 50+50*rng.IntN(2)))
			}
			for _, port := range []int{0, 30080, 30082} {
				if rng.IntN(2) == 0 {
					lb.Backends = append(lb.Backends, backend(id, port, 50+50*rng.IntN(2)))
				}
			}
		}
		if round%4 < 2 {
			rng.Shuffle(len(lb.Backends), func(i, j int) { lb.Backends[i], lb.Backends[j] = lb.Backends[j], lb.Backends[i] })
		}
		if round%8 >= 6 { // Desired built by hand, not by Build
			rng.Shuffle(len(d.Backends), func(i, j int) { d.Backends[i], d.Backends[j] = d.Backends[j], d.Backends[i] })
		}
		before := append([]cloud.Backend(nil), lb.Backends...)
		got := diffBackends(d, lb)
		want := setDiffBackends(d, lb)
		if diff := cmp.Diff(want, got, cmp.AllowUnexported(backendDiff{})); diff != "" {
			t.Fatalf("round %d managed=%v (-set +walk):\n%s", round, managed, diff)
		}
		if !cmp.Equal(before, lb.Backends) {
			t.Fatalf("round %d: diffBackends modified the actual backends", round)
		}
	}
}

// setDiffBackends is diffBackends written with maps, as a reference: one
// port-0 entry per needed instance; on a managed ELB everything else goes,
// on a user ELB only this cluster's instances that are not needed.
func setDiffBackends(d Desired, lb *cloud.LoadBalancer) backendDiff {
	want := map[string]cloud.Backend{}
	for _, b := range d.Backends {
		want[b.ServerID] = b
	}
	portZero := map[string]cloud.Backend{}
	var out backendDiff
	for _, b := range lb.Backends {
		_, needed := want[b.ServerID]
		switch {
		case d.Managed && (!needed || b.Port != 0):
			out.remove = append(out.remove, b)
		case !d.Managed && !needed && d.Removable[b.ServerID]:
			out.remove = append(out.remove, b)
		case needed && b.Port == 0:
			portZero[b.ServerID] = b
		}
	}
	for id, w := range want {
		switch have, ok := portZero[id]; {
		case !ok:
			out.add = append(out.add, w)
		case have.Weight != w.Weight:
			out.weights = append(out.weights, w)
		}
	}
	for _, l := range [][]cloud.Backend{out.remove, out.add, out.weights} {
		SortBackends(l)
	}
	return out
}

// TestDiffForceOverrideProtected: force-override takes over listeners made
// by hand or by another cluster, never one a live PoolService of this
// cluster owns (Desired.Protected): that stays a conflict, so two forcing
// Services never take the port from each other in turn.
func TestDiffForceOverrideProtected(t *testing.T) {
	const sibling = "k8s/other/default/np-hefei/c1"
	tests := []struct {
		name      string
		force     bool
		listener  cloud.Listener // replaces our TCP:80 listener on the ELB
		protected []string
		want      []string // plan; nil with conflict set means an error
		conflict  bool
	}{
		{"protected listener on our port", true,
			cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 31080, Description: sibling}, []string{sibling}, nil, true},
		{"protected HTTP listener on our port", true,
			cloud.Listener{Port: 80, Protocol: "HTTP", BackendPort: 31080, Description: sibling}, []string{sibling}, nil, true},
		{"protected, no force", false,
			cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 31080, Description: sibling}, []string{sibling}, nil, true},
		{"hand-made listener is taken over", true,
			cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 31080, Description: "hand made"}, []string{sibling},
			[]string{"StopListener TCP:80->31080"}, false},
		{"another cluster's listener is taken over", true,
			cloud.Listener{Port: 80, Protocol: "TCP", BackendPort: 31080, Description: "k8s/cube-svc/default/np-hefei/c2"}, []string{sibling},
			[]string{"StopListener TCP:80->31080"}, false},
		{"protected listener on another port is left alone", true,
			cloud.Listener{Port: 8080, Protocol: "TCP", BackendPort: 31080, Description: sibling}, []string{sibling},
			[]string{"CreateListener TCP:80->30080", "StartListener TCP:80->30080"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ann := map[string]string{apis.AnnotationManagedByUser: "true"}
			if tt.force {
				ann[apis.AnnotationForceOverrideListeners] = "true"
			}
			d := desiredFor(t, ann)
			d.Removable, d.Protected = map[string]bool{"i-a": true, "i-b": true}, tt.protected
			a := converged(d)
			l := tt.listener
			l.Status = cloud.ListenerRunning
			a.LoadBalancer.Listeners = []cloud.Listener{l}
			p, err := Diff(d, a)
			if tt.conflict {
				ie := AsInputError(err)
				if ie == nil || ie.Reason != apis.EventListenerConflict || ie.Unusable || !strings.Contains(ie.Message, l.Description) {
					t.Fatalf("err %#v, want a usable-ELB listener conflict naming %q", err, l.Description)
				}
				if !p.Empty() {
					t.Errorf("plan %v on a conflict, want none", types(p))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, types(p)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDiffUserLoadBalancerUsable: a user-managed ELB that is missing, in
// another region, or named for another PoolService or another cluster's
// controller is refused as Unusable (its address must leave the status);
// names that only look alike are the user's to use.
func TestDiffUserLoadBalancerUsable(t *testing.T) {
	user := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true"})
	user.Removable = map[string]bool{"i-a": true, "i-b": true}
	tests := []struct {
		name   string
		edit   func(*cloud.LoadBalancer) *cloud.LoadBalancer
		reason string // empty: usable
		words  string
	}{
		{"missing", func(*cloud.LoadBalancer) *cloud.LoadBalancer { return nil }, apis.EventLoadBalancerNotFound, "lb-1 does not exist"},
		{"other region", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.RegionID = "cn-chengdu-telecom-4"
			return lb
		}, apis.EventSyncLoadBalancerFailed, "region cn-chengdu-telecom-4, the pool is in cn-hefei-cmcc-2"},
		{"another cluster's", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.Name = "k8s/cube-svc/default/np-hefei/c2"
			return lb
		}, apis.EventSyncLoadBalancerFailed, "another cluster"},
		{"another cluster's, other Service", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.Name = "k8s/web/prod/np-x/other-cluster"
			return lb
		}, apis.EventSyncLoadBalancerFailed, "another cluster"},
		{"ours for another PoolService", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.Name = "k8s/other/default/np-hefei/c1"
			return lb
		}, apis.EventSyncLoadBalancerFailed, "another PoolService"},
		{"named by hand", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.Name = "user-elb-hefei"
			return lb
		}, "", ""},
		{"named exactly for this PoolService", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer { return lb }, "", ""},
		{"six segments is not a name of ours", func(lb *cloud.LoadBalancer) *cloud.LoadBalancer {
			lb.Name = "k8s/cube-svc/default/np-hefei/x/c2"
			return lb
		}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := converged(user)
			a.LoadBalancer = tt.edit(a.LoadBalancer)
			p, err := Diff(user, a)
			if tt.reason == "" {
				if err != nil || !p.Empty() {
					t.Fatalf("plan %v err %v, want a usable converged ELB", types(p), err)
				}
				return
			}
			ie := AsInputError(err)
			if ie == nil || !ie.Unusable || ie.Reason != tt.reason || ie.Field != apis.AnnotationLoadBalancerID ||
				!strings.Contains(ie.Message, tt.words) {
				t.Fatalf("err %#v, want Unusable, reason %s, field %s, message with %q", err, tt.reason, apis.AnnotationLoadBalancerID, tt.words)
			}
			if !p.Empty() {
				t.Errorf("plan %v, want none", types(p))
			}
		})
	}
}

func TestDrainFirst(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const drain = 30 * time.Second
	b := func(id string, w int) cloud.Backend { return cloud.Backend{ServerID: id, Type: "ens", Weight: w} }
	tests := []struct {
		name          string
		drain         time.Duration
		gone          []cloud.Backend
		since         map[string]time.Time
		remove, start []string
		after         time.Duration
	}{
		{"drain off: removed at once", 0, []cloud.Backend{b("i-a", 100)}, nil, []string{"i-a"}, nil, 0},
		{"taking connections: drained first", drain, []cloud.Backend{b("i-a", 100)}, nil, nil, []string{"i-a"}, drain},
		{"at weight 0, no drain on record: drained from now", drain, []cloud.Backend{b("i-a", 0)}, nil, nil, []string{"i-a"}, drain},
		{"draining: waits for the rest", drain, []cloud.Backend{b("i-a", 0)}, map[string]time.Time{"i-a": now.Add(-10 * time.Second)},
			nil, nil, 20 * time.Second},
		{"drained long enough: removed", drain, []cloud.Backend{b("i-a", 0), b("i-b", 50)},
			map[string]time.Time{"i-a": now.Add(-drain)}, []string{"i-a"}, []string{"i-b"}, drain},
	}
	ids := func(bs []cloud.Backend) []string {
		var out []string
		for _, b := range bs {
			out = append(out, b.ServerID)
		}
		return out
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			remove, start, wait := drainFirst(Desired{Drain: tt.drain}, tt.gone, now, tt.since)
			if !slices.Equal(ids(remove), tt.remove) || !slices.Equal(ids(start), tt.start) {
				t.Errorf("remove %v drain %v, want %v %v", ids(remove), ids(start), tt.remove, tt.start)
			}
			for _, s := range start {
				if s.Weight != 0 {
					t.Errorf("drain of %s sets weight %d, want 0", s.ServerID, s.Weight)
				}
			}
			var got time.Duration
			if wait != nil {
				got = wait.After
				if !wait.Timed() {
					t.Errorf("drain wait %+v is not timed", wait)
				}
			}
			if got != tt.after {
				t.Errorf("look again after %v, want %v", got, tt.after)
			}
		})
	}
}
