package elbmodel

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/cloud/ens"
)

// desiredFor builds a managed desired model with nodes a and b.
func desiredFor(t *testing.T, ann map[string]string, ports ...corev1.ServicePort) Desired {
	t.Helper()
	in := inputs(svc(corev1.ServiceExternalTrafficPolicyCluster, ann, ports...), node("a", true, nil), node("b", true, nil))
	if in.Config.ManagedByUser {
		in.PoolService.Annotations = map[string]string{apis.AnnotationLoadBalancerID: "lb-1"}
	}
	d, err := Build(in, running("i-a", "i-b"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// converged is an Actual that matches d exactly.
func converged(d Desired) Actual {
	lb := &ens.LoadBalancer{ID: "lb-1", Name: d.Name, RegionID: d.Network.RegionID, Spec: d.Spec, PayType: d.PayType,
		Status: ens.LoadBalancerActive, Address: "10.1.0.100"}
	for _, l := range d.Listeners {
		l.Status = ens.ListenerRunning
		lb.Listeners = append(lb.Listeners, l)
	}
	lb.Backends = append(lb.Backends, d.Backends...)
	a := Actual{LoadBalancer: lb}
	if d.EIP != nil {
		a.EIPs = []ens.EIP{{AllocationID: "eip-1", Name: d.Name, IP: "47.0.0.1", Status: ens.EIPInUse,
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
			a := Actual{LoadBalancer: &ens.LoadBalancer{ID: "lb-1", Name: d.Name, Status: "Creating"}}
			return a
		}, nil, true},
		{"empty active ELB", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners, a.LoadBalancer.Backends, a.EIPs = nil, nil, nil
			return a
		}, []string{"CreateListener TCP:80->30080", "AddBackends 2", "StartListener TCP:80->30080", "CreateEIP", "AssociateEIP "}, false},
		{"no-op", base, converged, nil, false},
		{"new listener stopped", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Status = "stopped"
			return a
		}, []string{"StartListener TCP:80->30080"}, false},
		{"listener starting", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Status = ens.ListenerStarting
			return a
		}, nil, true},
		{"attributes changed while listener configuring: wait, no update", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationScheduler: "wlc"})
		}, func(Desired) Actual {
			a := converged(base(t))
			a.LoadBalancer.Listeners[0].Status = ens.ListenerConfiguring
			return a
		}, nil, true},
		{"port added", func(t *testing.T) Desired {
			return desiredFor(t, nil, tcp80, corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"CreateListener TCP:443->30443", "AddBackends 2", "StartListener TCP:443->30443"}, false},
		{"node port changed", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 31000, Protocol: "TCP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"RemoveBackends 2", "DeleteListener TCP:80->30080", "CreateListener TCP:80->31000", "AddBackends 2", "StartListener TCP:80->31000"}, false},
		{"attributes changed", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationScheduler: "wlc"})
		}, func(Desired) Actual { return converged(base(t)) }, []string{"UpdateListener TCP:80->30080"}, false},
		{"protocol changed", func(t *testing.T) Desired {
			return desiredFor(t, nil, corev1.ServicePort{Port: 80, NodePort: 30080, Protocol: "UDP"})
		}, func(Desired) Actual { return converged(base(t)) },
			[]string{"DeleteListener TCP:80->30080", "CreateListener UDP:80->30080", "StartListener UDP:80->30080"}, false},
		{"port removed", func(t *testing.T) Desired { return base(t) }, func(d Desired) Actual {
			a := converged(desiredFor(t, nil, tcp80, corev1.ServicePort{Port: 443, NodePort: 30443, Protocol: "TCP"}))
			return a
		}, []string{"RemoveBackends 2", "DeleteListener TCP:443->30443"}, false},
		{"backends moving", base, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Backends = []ens.Backend{backend("i-a", 30080, 100), backend("i-old", 30080, 100), backend("i-b", 30080, 50)}
			return a
		}, []string{"RemoveBackends 1", "SetBackendWeights 1"}, false},
		{"bandwidth up", func(t *testing.T) Desired { return desiredFor(t, map[string]string{apis.AnnotationEIPBandwidth: "50"}) },
			func(Desired) Actual { return converged(base(t)) }, []string{"ModifyEIPBandwidth eip-1 50"}, false},
		{"bandwidth down", base, func(Desired) Actual {
			return converged(desiredFor(t, map[string]string{apis.AnnotationEIPBandwidth: "50"}))
		}, []string{"ModifyEIPBandwidth eip-1 10"}, false},
		{"EIP available", base, func(d Desired) Actual {
			a := converged(d)
			a.EIPs[0].Status, a.EIPs[0].AssociatedInstanceID = ens.EIPAvailable, ""
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
			a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners, ens.Listener{Port: 8080, Protocol: "TCP", Description: "hand made"})
			return a
		}, nil, false},
		{"force override replaces a foreign listener", func(t *testing.T) Desired {
			return desiredFor(t, map[string]string{apis.AnnotationForceOverrideListeners: "true"})
		}, func(d Desired) Actual {
			a := converged(d)
			a.LoadBalancer.Listeners[0].Description = ""
			return a
		}, []string{"DeleteListener TCP:80->30080", "CreateListener TCP:80->30080", "StartListener TCP:80->30080"}, false},
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
			if (p.Wait != "") != tt.wait {
				t.Errorf("wait = %q, want waiting %v", p.Wait, tt.wait)
			}
		})
	}
}

func TestDiffSpecChangeRefused(t *testing.T) {
	old := desiredFor(t, nil)
	d := desiredFor(t, map[string]string{apis.AnnotationSpec: "elb.s3.large", apis.AnnotationPayType: "PrePaid"})
	p, err := Diff(d, converged(old))
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
	tests := []struct {
		name   string
		actual Actual
		reason string
	}{
		{"user ELB missing", Actual{}, apis.EventLoadBalancerNotFound},
		{"user ELB in another region", otherRegion, apis.EventSyncLoadBalancerFailed},
		{"ELB managed for another PoolService", func() Actual {
			a := converged(user)
			a.LoadBalancer.Name = "k8s/other/default/np-hefei/c1"
			return a
		}(), apis.EventSyncLoadBalancerFailed},
		{"listener of another Service", foreign("k8s/other/default/np-hefei/c1"), apis.EventListenerConflict},
		{"listener made by hand", foreign(""), apis.EventListenerConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Diff(user, tt.actual)
			ie := AsInputError(err)
			if ie == nil || ie.Reason != tt.reason || !p.Empty() {
				t.Fatalf("plan %v err %v, want reason %s and no plan", types(p), err, tt.reason)
			}
		})
	}
}

func TestDiffUserManagedSharedELB(t *testing.T) {
	d := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true"})
	a := converged(d)
	// Another Service's listener and backends on the same ELB stay untouched.
	a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners,
		ens.Listener{Port: 8080, Protocol: "TCP", BackendPort: 31080, Description: "k8s/other/default/np-hefei/c1", Status: "Running"})
	a.LoadBalancer.Backends = append(a.LoadBalancer.Backends, backend("i-z", 31080, 100))
	a.EIPs = []ens.EIP{{AllocationID: "eip-user", IP: "47.0.0.9", Status: ens.EIPInUse, AssociatedInstanceID: "lb-1"}}
	p, err := Diff(d, a)
	if err != nil || !p.Empty() {
		t.Fatalf("plan %v err %v, want nothing to do", types(p), err)
	}
	// Our own listener is removed with its backends, backends first; the
	// other's are not.
	d.Listeners, d.Backends = nil, nil
	p, _ = Diff(d, a)
	if got := strings.Join(types(p), ","); got != "RemoveBackends 2,DeleteListener TCP:80->30080" {
		t.Errorf("plan = %s", got)
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

// TestDiffWeightOnSharedServer: ENS weights are per server, so on a user
// ELB whose servers also back another Service, our weight change must not
// go through SetBackendWeights (it would rewrite the other's weights too).
func TestDiffWeightOnSharedServer(t *testing.T) {
	d := desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true", apis.AnnotationBackendWeight: "50"})
	a := converged(desiredFor(t, map[string]string{apis.AnnotationManagedByUser: "true"}))
	// i-a also backs another Service's listener (port 31080) at weight 100.
	a.LoadBalancer.Listeners = append(a.LoadBalancer.Listeners,
		ens.Listener{Port: 8080, Protocol: "TCP", BackendPort: 31080, Description: "k8s/other/default/np-hefei/c1", Status: "Running"})
	a.LoadBalancer.Backends = append(a.LoadBalancer.Backends, backend("i-a", 31080, 100))
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
	want := []string{"RemoveBackends i-a:30080/100", "AddBackends i-a:30080/50", "SetBackendWeights i-b:30080/50"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("plan (-want +got):\n%s", diff)
	}
}

// TestDiffEIPChangeRefused: ISP and charge types are fixed once the EIP
// exists; a different annotation is refused, never applied.
func TestDiffEIPChangeRefused(t *testing.T) {
	tests := []struct {
		name string
		ann  map[string]string
		have ens.EIP
		want []string
	}{
		{"unchanged", map[string]string{apis.AnnotationEIPISP: "cmcc"},
			ens.EIP{ISP: "cmcc", InstanceChargeType: "PostPaid", InternetChargeType: "95BandwidthByMonth"}, nil},
		{"ISP chosen by ENS, none asked", nil, ens.EIP{ISP: "unicom"}, nil},
		{"ENS synonyms and case", nil, ens.EIP{InstanceChargeType: "PayAsYouGo", InternetChargeType: "95bandwidthbymonth"}, nil},
		{"ISP changed", map[string]string{apis.AnnotationEIPISP: "cmcc"}, ens.EIP{ISP: "unicom"}, []string{apis.AnnotationEIPISP}},
		{"ISP asked, EIP has none", map[string]string{apis.AnnotationEIPISP: "cmcc"}, ens.EIP{}, []string{apis.AnnotationEIPISP}},
		{"charge type not reported", nil, ens.EIP{}, nil},
		{"charge types changed", map[string]string{apis.AnnotationEIPInstanceChargeType: "PrePaid",
			apis.AnnotationEIPInternetChargeType: "PayByTraffic"},
			ens.EIP{InstanceChargeType: "PostPaid", InternetChargeType: "95BandwidthByMonth"},
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
// user-managed, with actual backends sorted and not.
func TestDiffBackendsMatchesSetSemantics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 500 {
		managed := round%2 == 0
		d := Desired{Name: testName, Managed: managed,
			Listeners: []ens.Listener{{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: testName}}}
		lb := &ens.LoadBalancer{Listeners: []ens.Listener{
			{Port: 80, Protocol: "TCP", BackendPort: 30080, Description: testName},
			{Port: 81, Protocol: "TCP", BackendPort: 30081, Description: testName}, // ours, going away
			{Port: 82, Protocol: "TCP", BackendPort: 30082, Description: "k8s/other/default/np-hefei/c1"}}}
		for s := range 12 {
			id := fmt.Sprintf("i-%02d", s)
			if rng.IntN(2) == 0 {
				d.Backends = append(d.Backends, backend(id, 30080, 50+50*rng.IntN(2)))
			}
			for _, port := range []int{30080, 30081, 30082} {
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
		before := append([]ens.Backend(nil), lb.Backends...)
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

// setDiffBackends is diffBackends written with maps, as a reference.
func setDiffBackends(d Desired, lb *ens.LoadBalancer) backendDiff {
	type key struct {
		s string
		p int
	}
	ours := func(p int) bool {
		if d.Managed {
			return true
		}
		for _, l := range lb.Listeners {
			if l.Description == d.Name && l.BackendPort == p {
				return true
			}
		}
		for _, l := range d.Listeners {
			if l.BackendPort == p {
				return true
			}
		}
		return false
	}
	want, have, shared := map[key]ens.Backend{}, map[key]bool{}, map[string]bool{}
	for _, b := range d.Backends {
		want[key{b.ServerID, b.Port}] = b
	}
	for _, b := range lb.Backends {
		if !ours(b.Port) {
			shared[b.ServerID] = true
		}
	}
	var out backendDiff
	for _, b := range lb.Backends {
		if !ours(b.Port) {
			continue
		}
		have[key{b.ServerID, b.Port}] = true
		w, ok := want[key{b.ServerID, b.Port}]
		switch {
		case !ok:
			out.remove = append(out.remove, b)
		case w.Weight != b.Weight && shared[b.ServerID]:
			out.remove, out.add = append(out.remove, b), append(out.add, w)
		case w.Weight != b.Weight:
			out.weights = append(out.weights, w)
		}
	}
	for _, b := range d.Backends {
		if !have[key{b.ServerID, b.Port}] {
			out.add = append(out.add, b)
		}
	}
	for _, l := range [][]ens.Backend{out.remove, out.add, out.weights} {
		SortBackends(l)
	}
	return out
}
