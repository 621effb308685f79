package elb

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// userHarness is the "existing ELB" walkthrough for np-hefei, converged.
func userHarness(t *testing.T, opts ...emulatortest.Option) *harness {
	h := newHarness(t, opts...)
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.setLoadBalancerID(hefeiKey, "lb-hefei-existing")
	h.converge(hefeiKey)
	return h
}

func (h *harness) setLoadBalancerID(key, id string) {
	ps := h.poolService(key)
	ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: id}
	h.update(ps)
}

func (h *harness) deleteService(name string) {
	h.t.Helper()
	if err := h.kube.CoreV1().Services("default").Delete(h.ctx, name, metav1.DeleteOptions{}); err != nil {
		h.t.Fatal(err)
	}
	h.settle()
}

// assertUserELBIntact checks the walkthrough's user ELB still has our
// listener, both backends and its own EIP, and that nothing destructive ran.
func (h *harness) assertUserELBIntact(wantEIPName string) {
	h.t.Helper()
	lb := h.lb("lb-hefei-existing")
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(lb)); d != "" {
		h.t.Errorf("user ELB listeners (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
		h.t.Errorf("user ELB backends (-want +got):\n%s", d)
	}
	if e := h.eip("eip-hefei-existing"); e.InstanceID != lb.ID || e.Status != "InUse" || e.Name != wantEIPName {
		h.t.Errorf("user EIP = %+v", e)
	}
	c := h.emu.Calls()
	for _, a := range []string{"DeleteLoadBalancerListener", "RemoveBackendServers", "UnAssociateEnsEipAddress", "ReleaseInstance"} {
		if c[a] != 0 {
			h.t.Errorf("%s called on cleanup: %v", a, c)
		}
	}
}

// The Service of a user-managed PoolService is deleted: the user's ELB, its
// listeners, backends and EIP all stay ("not removed on delete").
func TestUserManagedServiceGoneLeavesELB(t *testing.T) {
	h := userHarness(t)
	h.events()
	h.emu.ResetCalls()
	h.deleteService("cube-svc")
	h.converge(hefeiKey)
	h.assertUserELBIntact("user-eip-hefei")
	if ps := h.poolService(hefeiKey); len(ps.Finalizers) != 0 || len(ps.Status.LoadBalancer.Ingress) != 0 {
		t.Errorf("PoolService after cleanup: finalizers %v ingress %v", ps.Finalizers, ps.Status.LoadBalancer.Ingress)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeNormal, apis.EventCleanedLoadBalancer, "lb-hefei-existing left as it is") {
		t.Errorf("no cleanup event saying the user ELB was left: %v", ev)
	}
}

// A user ELB (and its EIP) that happens to carry exactly our name is still
// never released while the PoolService names it: neither when the
// PoolService goes, nor when its Service does.
func TestUserELBNamedLikeOursNeverReleased(t *testing.T) {
	inv := userELBNamedLikeOurs()
	for name, trigger := range map[string]func(h *harness){
		"PoolService deleted": func(h *harness) { h.markDeleted(hefeiKey) },
		"Service deleted":     func(h *harness) { h.deleteService("cube-svc") },
	} {
		t.Run(name, func(t *testing.T) {
			h := userHarness(t, emulatortest.WithInventory(inv))
			h.emu.ResetCalls()
			trigger(h)
			h.converge(hefeiKey)
			h.assertUserELBIntact(hefeiName)
		})
	}
}

// A Service switched from managed to user-managed: cleanup releases the
// ELB and EIP the controller created, and leaves the user's ELB alone.
func TestModeSwitchCleanupReleasesOnlyOurs(t *testing.T) {
	h, managedID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationManagedByUser] = "true" })
	h.setLoadBalancerID(hefeiKey, "lb-hefei-existing")
	h.converge(hefeiKey)
	if ps := h.poolService(hefeiKey); ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != "lb-hefei-existing" {
		t.Fatalf("status = %+v, want the user ELB", ps.Status)
	}
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	if n, e := len(h.lbsNamed(hefeiName)), len(h.eipsNamed(hefeiName)); n != 0 || e != 0 {
		t.Errorf("managed ELB %s: %d ELBs, %d EIPs of ours left", managedID, n, e)
	}
	lb := h.lb("lb-hefei-existing")
	if len(lb.Listeners) != 1 || len(lb.Backends) != 2 || h.eip("eip-hefei-existing").InstanceID != lb.ID {
		t.Errorf("user ELB changed: %v %v", listeners(lb), backends(lb))
	}
	if len(h.lbsNamed(chengName)) != 1 {
		t.Error("the other pool's ELB was released")
	}
}

// An ELB that a live PoolService names (status or annotation) is never an
// orphan, even with a name of ours that no PoolService would compute.
func TestSweepKeepsELBsInUse(t *testing.T) {
	const inUseName = "k8s/gone/default/np-hefei/c-test"
	inv := defaultInventoryWith(func(inv *invT) {
		lb := inv.LoadBalancers[0]
		for _, l := range inv.LoadBalancers {
			if l.ID == "lb-hefei-existing" {
				lb = l
			}
		}
		lb.ID, lb.Name, lb.Address, lb.Listeners, lb.Backends = "lb-inuse", inUseName, "10.1.0.201", nil, nil
		orphan := lb
		orphan.ID, orphan.Name, orphan.Address = "lb-orphan", "k8s/gone2/default/np-hefei/c-test", "10.1.0.202"
		inv.LoadBalancers = append(inv.LoadBalancers, lb, orphan)
		inv.EIPs = append(inv.EIPs, ensemulator.EIP{ID: "eip-inuse", Name: inUseName, RegionID: "cn-hefei-cmcc-2",
			Address: "47.9.9.7", Bandwidth: 10, Status: "InUse", InstanceID: "lb-inuse", InstanceType: "SlbInstance", CreateTime: lb.CreateTime})
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	h.record(inUseName, "lb-inuse", "eip-inuse") // ours, but someone uses it now
	h.record("k8s/gone2/default/np-hefei/c-test", "lb-orphan")
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.converge(hefeiKey)
	h.setLoadBalancerID(hefeiKey, "lb-inuse") // what a user wrote on the PoolService
	for range 2 {
		if err := h.c.sweep(h.ctx); err != nil {
			t.Fatal(err)
		}
		h.clock.Step(2 * h.c.cfg.OrphanGracePeriod)
	}
	if err := h.c.sweep(h.ctx); err != nil {
		t.Fatal(err)
	}
	if len(h.lbsNamed("k8s/gone2/default/np-hefei/c-test")) != 0 {
		t.Error("the real orphan was not swept (the sweep did not run)")
	}
	if len(h.lbsNamed(inUseName)) != 1 || h.eip("eip-inuse").InstanceID != "lb-inuse" || len(h.lbsNamed(hefeiName)) != 1 {
		t.Errorf("an ELB in use or its EIP was swept: %v", h.emu.Inventory().EIPs)
	}
}

// A name ENS would refuse is rejected before any cloud call.
func TestNameTooLongRejected(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	long := strings.Repeat("s", 53) // k8s/<53>/default/np-hefei/c-test: 81 characters
	h.create(newService(long, corev1.ServiceExternalTrafficPolicyCluster, nil))
	h.create(newPoolService(long, "np-hefei", nil))
	h.emu.ResetCalls()
	h.expectRejected("default/"+long+"-np-hefei", apis.EventSyncLoadBalancerFailed, "metadata.name")
	if c := h.emu.Calls(); len(c) != 0 {
		t.Errorf("cloud called for a name that cannot work: %v", c)
	}
	ps := h.poolService("default/" + long + "-np-hefei")
	if got := condition(ps, apis.ConditionReady); got != "False/"+apis.EventSyncLoadBalancerFailed {
		t.Errorf("Ready = %s", got)
	}
}

func TestIntranetAndUserELBWithoutEIP(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(map[string]string{apis.AnnotationAddressType: "intranet"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.converge(hefeiKey)
	lb := h.lbsNamed(hefeiName)[0]
	checkIngress := func(what string, want string) {
		t.Helper()
		ps := h.poolService(hefeiKey)
		if d := cmp.Diff([]string{want}, ingress(ps)); d != "" || condition(ps, apis.ConditionReady) != "True/"+reasonReady {
			t.Errorf("%s: ingress (-want +got):\n%s conditions %+v", what, d, ps.Status.Conditions)
		}
	}
	if len(h.eipsNamed(hefeiName)) != 0 || h.emu.Calls()["CreateEipInstance"] != 0 {
		t.Errorf("intranet ELB got an EIP: %v", h.eipsNamed(hefeiName))
	}
	checkIngress("intranet", lb.Address)

	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationAddressType] = "internet" })
	h.converge(hefeiKey)
	eips := h.eipsNamed(hefeiName)
	if len(eips) != 1 || eips[0].InstanceID != lb.ID {
		t.Fatalf("internet: EIPs %+v", eips)
	}
	checkIngress("internet", eips[0].Address)

	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationAddressType] = "intranet" })
	h.converge(hefeiKey)
	if len(h.eipsNamed(hefeiName)) != 0 {
		t.Errorf("back to intranet: EIP not released")
	}
	checkIngress("intranet again", lb.Address)
	if len(h.lbsNamed(hefeiName)) != 1 {
		t.Error("address type change replaced the ELB")
	}

	// A user ELB without an EIP shows its private address.
	noEIP := defaultInventoryWith(func(inv *invT) {
		inv.EIPs = slices.DeleteFunc(inv.EIPs, func(e ensemulator.EIP) bool { return e.ID == "eip-hefei-existing" })
	})
	u := userHarness(t, emulatortest.WithInventory(noEIP))
	if d := cmp.Diff([]string{u.lb("lb-hefei-existing").Address}, ingress(u.poolService(hefeiKey))); d != "" {
		t.Errorf("user ELB without EIP: ingress (-want +got):\n%s", d)
	}
}

// ENS refusing a request (a vSwitch that is not in the pool's network) is
// reported and retried with backoff (it may be fixed elsewhere), like a 5xx.
func TestRefusedCloudRequestRetriedWithBackoff(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	p := newPool("np-hefei")
	p.Annotations[apis.AnnotationPoolVSwitchIDs] = "vsw-chengdu-1"
	h.update(p)
	h.events()
	h.c.queue.Add(hefeiKey)
	h.c.loop().ProcessNextItem(h.ctx)
	if n := h.c.queue.NumRequeues(hefeiKey); n != 1 {
		t.Errorf("refused request requeued %d times, want 1 (rate limited)", n)
	}
	if c := h.emu.Calls(); c["CreateLoadBalancer"] != 1 || len(h.lbsNamed(hefeiName)) != 0 {
		t.Errorf("calls %v", c)
	}
	ps := h.poolService(hefeiKey)
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventSyncLoadBalancerFailed {
		t.Errorf("Synced = %s", got)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, "vsw-chengdu-1") {
		t.Errorf("no Warning naming the vSwitch: %v", ev)
	}

	h.update(newPool("np-hefei"))
	h.emu.SetFault("CreateLoadBalancer", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1})
	h.c.queue.Add(chengduKey)
	h.c.loop().ProcessNextItem(h.ctx)
	if n := h.c.queue.NumRequeues(chengduKey); n != 1 {
		t.Errorf("a 503 was requeued %d times, want 1 (rate limited)", n)
	}
}

// Two Services share a user ELB (Cluster policy). ENS keeps one entry, and
// one weight, per instance: the highest weight any sharer asks wins, so a
// weight change of one starves neither, and neither fights the other on
// later resyncs.
func TestSharedUserELBHighestWeightWins(t *testing.T) {
	h := userHarness(t)
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyCluster, user,
		corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"}))
	h.create(newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: "lb-hefei-existing"}))
	const otherKey = "default/other-svc-np-hefei"
	h.converge(otherKey)

	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationBackendWeight] = "50" })
	h.converge(hefeiKey)
	want := []string{"i-hefei-1:0/100", "i-hefei-2:0/100"}
	if d := cmp.Diff(want, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("shared backends (-want +got):\n%s", d)
	}
	h.emu.ResetCalls()
	h.converge(otherKey, hefeiKey, otherKey)
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("resyncs of the two Services made %d mutating calls: %v", m, h.emu.Calls())
	}

	// A port change of one Service leaves the other's backends alone.
	h.editService(func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 31000 })
	h.converge(hefeiKey)
	if d := cmp.Diff(want, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("after the port change (-want +got):\n%s", d)
	}
	// Once the other Service asks less too, the highest ask is 50.
	other := h.service("other-svc")
	other.Annotations[apis.AnnotationBackendWeight] = "20"
	h.update(other)
	h.converge(hefeiKey, otherKey)
	if d := cmp.Diff([]string{"i-hefei-1:0/50", "i-hefei-2:0/50"}, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("after both lowered their weights (-want +got):\n%s", d)
	}
}

// A managed ELB stays where it was created when the pool's network
// annotations change: a Warning naming the annotation, no mutation, and no
// second ELB or EIP in the new region.
func TestPoolNetworkChangeRefused(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	p := newPool("np-hefei")
	p.Annotations = newPool("np-chengdu").Annotations
	h.update(p)
	h.emu.ResetCalls()
	h.converge(hefeiKey)
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("network change made %d mutating calls: %v", m, h.emu.Calls())
	}
	if lbs, eips := h.lbsNamed(hefeiName), h.eipsNamed(hefeiName); len(lbs) != 1 || lbs[0].ID != lbID || len(eips) != 1 ||
		eips[0].RegionID != "cn-hefei-cmcc-2" {
		t.Errorf("ELBs %d EIPs %+v", len(lbs), eips)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventSyncLoadBalancerFailed, apis.AnnotationPoolRegionID) {
		t.Errorf("no Warning naming %s: %v", apis.AnnotationPoolRegionID, ev)
	}
	if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "False/"+reasonChangeRefused {
		t.Errorf("Synced = %s", got)
	}
}

// Sparse objects (no labels, no annotations, no providerID, unset endpoint
// Ready) do not panic and give sensible results.
func TestSparseObjects(t *testing.T) {
	h := newHarness(t)
	pool := newPool("np-hefei")
	pool.Labels = nil
	h.create(pool)
	h.create(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "i-hefei-1", Labels: map[string]string{apis.LabelNodePool: "np-hefei"}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	svc := newService("cube-svc", corev1.ServiceExternalTrafficPolicyLocal, nil)
	h.create(svc)
	s := newSlice("cube-svc", "i-hefei-1")
	s.Endpoints[0].Conditions.Ready = nil
	h.create(s)
	bare := newPoolService("cube-svc", "np-hefei", nil)
	bare.Labels = nil
	h.create(bare)
	if _, err := h.syncOnce(hefeiKey); err != nil { // no labels, no owners: nothing to expose
		t.Fatal(err)
	}
	if c := h.emu.Calls(); len(c) != 0 {
		t.Errorf("a PoolService naming no Service reached the cloud: %v", c)
	}
	// Labelled, against a pool without labels: not matched, nothing created.
	h.update(newPoolService("cube-svc", "np-hefei", nil))
	if _, err := h.syncOnce(hefeiKey); err != nil || len(h.emu.Calls()) != 0 {
		t.Errorf("unmatched pool: err %v calls %v", err, h.emu.Calls())
	}
	// Matched: the node's name is its instance id; the unset Ready counts.
	h.update(newPool("np-hefei"))
	h.converge(hefeiKey)
	if d := cmp.Diff([]string{"i-hefei-1:0/100"}, backends(h.lbsNamed(hefeiName)[0])); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
	// A Service without any annotation is not exposed: released.
	h.editService(func(s *corev1.Service) { s.Annotations = nil })
	h.converge(hefeiKey)
	if len(h.lbsNamed(hefeiName)) != 0 {
		t.Error("ELB kept for a Service without the selector")
	}
}

// A converged PoolService resynced again makes no mutating cloud call and
// writes nothing to the API, whatever its ports and annotations.
func TestNoOpResyncVariants(t *testing.T) {
	all := map[string]string{apis.AnnotationScheduler: "wlc", apis.AnnotationPersistenceTimeout: "30",
		apis.AnnotationEstablishedTimeout: "600", apis.AnnotationHealthyThreshold: "4", apis.AnnotationUnhealthyThreshold: "5",
		apis.AnnotationHealthCheckInterval: "7", apis.AnnotationHealthCheckConnectTimeout: "9", apis.AnnotationBackendWeight: "60",
		apis.AnnotationEIPBandwidth: "20"}
	ports := []corev1.ServicePort{{Port: 80, NodePort: 30081, Protocol: "TCP"}, {Port: 53, NodePort: 30053, Protocol: "UDP"}}
	for name, ann := range map[string]map[string]string{
		"managed":      all,
		"intranet":     {apis.AnnotationAddressType: "intranet"},
		"user-managed": {apis.AnnotationManagedByUser: "true", apis.AnnotationBackendWeight: "60"},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.seedWalkthrough(ann, corev1.ServiceExternalTrafficPolicyLocal)
			h.editService(func(s *corev1.Service) { s.Spec.Ports = ports })
			h.setLoadBalancerID(hefeiKey, "lb-hefei-existing")
			h.converge(hefeiKey)
			if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "True/"+reasonSynced {
				t.Fatalf("Synced = %s", got)
			}
			h.emu.ResetCalls()
			h.yurt.ClearActions()
			h.converge(hefeiKey)
			if m := h.emu.MutatingCalls(); m != 0 {
				t.Errorf("no-op resync made %d mutating calls: %v", m, h.emu.Calls())
			}
			for _, a := range h.yurt.Actions() {
				if a.GetVerb() != "list" && a.GetVerb() != "watch" && a.GetVerb() != "get" {
					t.Errorf("no-op resync wrote to the API: %s %s", a.GetVerb(), a.GetSubresource())
				}
			}
		})
	}
}

// A user ELB its owner has stopped is waited for, more and more patiently,
// and never started or otherwise changed by the controller.
func TestStoppedUserELBBacksOff(t *testing.T) {
	inv := defaultInventoryWith(func(inv *invT) {
		for i := range inv.LoadBalancers {
			if inv.LoadBalancers[i].ID == "lb-hefei-existing" {
				inv.LoadBalancers[i].Status = "InActive"
			}
		}
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.setLoadBalancerID(hefeiKey, "lb-hefei-existing")
	d := h.c.cfg.RequeueDelay
	for i, want := range []time.Duration{d, 2 * d, 4 * d, 8 * d} {
		if after, err := h.syncOnce(hefeiKey); err != nil || after != want {
			t.Fatalf("sync %d = %v, %v; want a requeue after %v", i, after, err, want)
		}
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("stopped user ELB: %d mutating calls %v", m, h.emu.Calls())
	}
	ps := h.poolService(hefeiKey)
	if meta.FindStatusCondition(ps.Status.Conditions, apis.ConditionSynced) == nil ||
		!strings.Contains(meta.FindStatusCondition(ps.Status.Conditions, apis.ConditionSynced).Message, "InActive") {
		t.Errorf("conditions do not say the ELB is InActive: %+v", ps.Status.Conditions)
	}
	// Once active again, one sync converges and resets the backoff.
	if err := h.user.SetLoadBalancerStatus(h.ctx, "lb-hefei-existing", "Active"); err != nil {
		t.Fatal(err)
	}
	h.converge(hefeiKey)
	h.assertUserELBIntact("user-eip-hefei")
}

// The ELB-id annotation removed from a user-managed PoolService: its status
// stops showing that ELB's address, and the ELB keeps what is on it.
func TestUserELBIDRemovedClearsStatus(t *testing.T) {
	h := userHarness(t)
	if ingress(h.poolService(hefeiKey)) == nil {
		t.Fatal("no ingress to begin with")
	}
	h.emu.ResetCalls()
	ps := h.poolService(hefeiKey)
	ps.Annotations = nil
	h.update(ps)
	h.converge(hefeiKey)
	ps = h.poolService(hefeiKey)
	if len(ps.Status.LoadBalancer.Ingress) != 0 || ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != "" {
		t.Errorf("stale status: %+v", ps.Status)
	}
	if got := condition(ps, apis.ConditionReady); got != "False/"+reasonWaitingForID {
		t.Errorf("Ready = %s", got)
	}
	h.assertUserELBIntact("user-eip-hefei")
}

// A user-managed Service pointed at the ELB the controller manages for
// another Service is refused: that ELB's owner would remove its backends
// and release it with its listeners.
func TestUserServiceOnAnotherManagedELBRefused(t *testing.T) {
	h, managedID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	user := map[string]string{apis.AnnotationManagedByUser: "true"}
	h.create(newService("other-svc", corev1.ServiceExternalTrafficPolicyCluster, user,
		corev1.ServicePort{Port: 8080, NodePort: 30880, Protocol: "TCP"}))
	h.create(newPoolService("other-svc", "np-hefei", map[string]string{apis.AnnotationLoadBalancerID: managedID}))
	h.expectRejected("default/other-svc-np-hefei", apis.EventSyncLoadBalancerFailed, apis.AnnotationLoadBalancerID)
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(h.lb(managedID))); d != "" {
		t.Errorf("managed ELB listeners (-want +got):\n%s", d)
	}
}

// userELBNamedLikeOurs is the default inventory with the user's hefei ELB
// and its EIP named exactly like the hefei PoolService's managed ones.
func userELBNamedLikeOurs() invT {
	return defaultInventoryWith(func(inv *invT) {
		for i := range inv.LoadBalancers {
			if inv.LoadBalancers[i].ID == "lb-hefei-existing" {
				inv.LoadBalancers[i].Name = hefeiName
			}
		}
		for i := range inv.EIPs {
			if inv.EIPs[i].ID == "eip-hefei-existing" {
				inv.EIPs[i].Name = hefeiName
			}
		}
	})
}
