package elb

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
)

// Each test here tries to break one ownership promise of the SPEC.

// A user ELB (and its EIP) carrying our exact naming pattern, attached to a
// user-managed PoolService that then goes, survives cleanup and every
// orphan sweep after the grace period: nothing records it as ours.
func TestUserELBNamedLikeOursSurvivesTheSweep(t *testing.T) {
	inv := userELBNamedLikeOurs()
	h := userHarness(t, emulatortest.WithInventory(inv))
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	for range 3 {
		h.clock.Step(2 * h.c.cfg.OrphanGracePeriod)
		if err := h.c.sweep(h.ctx); err != nil {
			t.Fatal(err)
		}
	}
	if lb := h.lb("lb-hefei-existing"); lb.Name != hefeiName {
		t.Fatalf("user ELB changed: %+v", lb)
	}
	if e := h.eip("eip-hefei-existing"); e.InstanceID != "lb-hefei-existing" {
		t.Errorf("user EIP unbound or released: %+v", e)
	}
	if n := len(h.emu.Inventory().Released); n != 0 {
		t.Errorf("released %d resources: %+v", n, h.emu.Inventory().Released)
	}
}

// Deleting a duplicate PoolService of one Service and pool releases
// nothing the surviving one serves with, and the duplicate never makes a
// second ELB or EIP of the name.
func TestDuplicatePoolServiceDeletionKeepsTheLiveELB(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	eipID := h.eipsNamed(hefeiName)[0].ID
	dup := newPoolService("cube-svc", "np-hefei", nil)
	dup.Name, dup.UID = "cube-svc-np-hefei-dup", "uid-dup"
	h.create(dup)
	const dupKey = "default/cube-svc-np-hefei-dup"
	h.converge(dupKey)
	h.markDeleted(dupKey)
	h.converge(dupKey, hefeiKey)
	if lbs, eips := h.lbsNamed(hefeiName), h.eipsNamed(hefeiName); len(lbs) != 1 || lbs[0].ID != lbID || len(eips) != 1 || eips[0].ID != eipID {
		t.Fatalf("after the duplicate's cleanup: ELBs %v EIPs %v, want %s and %s kept", lbs, eips, lbID, eipID)
	}
	if c := h.emu.Calls(); c["ReleaseInstance"] != 0 || c["CreateLoadBalancer"] != 2 {
		t.Errorf("calls %v: want no release and no create beyond the walkthrough's two", c)
	}
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
}

// The owner references say which pool a PoolService serves: one whose pool
// label was edited to another pool releases its own ELB when deleted, and
// the other pool's ELB stays.
func TestEditedPoolLabelDoesNotRedirectCleanup(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	for _, key := range []string{hefeiKey, chengduKey} {
		ps := h.poolService(key)
		ps.OwnerReferences = []metav1.OwnerReference{
			{APIVersion: "v1", Kind: "Service", Name: "cube-svc", UID: "uid-svc", Controller: ptr.To(true)},
			{APIVersion: "apps.openyurt.io/v1beta2", Kind: "NodePool", Name: ps.Labels[apis.LabelPoolName], UID: "uid-pool"},
		}
		h.update(ps)
	}
	h.converge(hefeiKey, chengduKey)
	chengduLB := h.lbsNamed(chengName)[0].ID
	ps := h.poolService(hefeiKey)
	ps.Labels[apis.LabelPoolName] = "np-chengdu"
	h.update(ps)
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	if n := len(h.lbsNamed(hefeiName)) + len(h.eipsNamed(hefeiName)); n != 0 {
		t.Errorf("hefei's ELB/EIP leaked: %d left", n)
	}
	h.assertManaged(chengduKey, chengName, []string{"i-chengdu-1:0/100", "i-chengdu-2:0/100"})
	if h.lbsNamed(chengName)[0].ID != chengduLB {
		t.Error("chengdu's ELB was replaced")
	}
}

// A node whose instance is in another region is left out with a Warning
// naming it; the rest of the pool is served (listeners running, EIP bound).
func TestNodeOfAnotherRegionDoesNotBlackHoleThePool(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.create(newNode("stray", "np-hefei", "i-chengdu-1", true))
	h.converge(hefeiKey)
	lb := h.lbsNamed(hefeiName)[0]
	if d := cmp.Diff([]string{"i-hefei-1:0/100", "i-hefei-2:0/100"}, backends(lb)); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + hefeiName}, listeners(lb)); d != "" {
		t.Errorf("listeners (-want +got):\n%s", d)
	}
	ps := h.poolService(hefeiKey)
	if e := h.eipsNamed(hefeiName); len(e) != 1 || e[0].InstanceID != lb.ID || len(ingress(ps)) != 1 {
		t.Errorf("EIP %+v, ingress %v: want bound and shown", e, ingress(ps))
	}
	if got := condition(ps, apis.ConditionSynced); got != "False/"+apis.EventBackendNodeSkipped {
		t.Errorf("Synced = %s", got)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeWarning, apis.EventBackendNodeSkipped, "node stray") {
		t.Errorf("no Warning naming the node: %v", ev)
	}
}

// Every creation gets a new ClientToken: internet -> intranet -> internet
// makes a second EIP (ENS still remembers the first token, and would answer
// the released id), and an ELB released by hand is made again.
func TestClientTokensAreNotReusedAfterRelease(t *testing.T) {
	h, lbID := managedHarness(t, corev1.ServiceExternalTrafficPolicyCluster)
	first := h.eipsNamed(hefeiName)[0].ID
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationAddressType] = "intranet" })
	h.converge(hefeiKey)
	if n := len(h.eipsNamed(hefeiName)); n != 0 {
		t.Fatalf("intranet kept %d EIPs", n)
	}
	h.editService(func(s *corev1.Service) { delete(s.Annotations, apis.AnnotationAddressType) })
	h.converge(hefeiKey)
	eips := h.eipsNamed(hefeiName)
	if len(eips) != 1 || eips[0].ID == first || eips[0].InstanceID != lbID {
		t.Fatalf("back to internet: EIPs %+v, want one new EIP (not %s) bound to %s", eips, first, lbID)
	}
	// The ELB is released by hand: a new one is made (with a new token).
	if err := h.cloud.UnassociateEIP(h.ctx, eips[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := h.cloud.ReleaseLoadBalancer(h.ctx, lbID); err != nil {
		t.Fatal(err)
	}
	h.clock.Step(h.c.cfg.VisibilityGrace)
	h.converge(hefeiKey)
	lbs := h.lbsNamed(hefeiName)
	if len(lbs) != 1 || lbs[0].ID == lbID {
		t.Fatalf("after the hand release: ELBs %v, want one new ELB", lbs)
	}
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
}

// A managed ELB or EIP of our name that the controller did not create is
// neither used nor duplicated nor released.
func TestSquattedNameIsReportedNotUsed(t *testing.T) {
	inv := defaultInventoryWith(func(inv *invT) {
		lb := inv.LoadBalancers[0]
		lb.ID, lb.Name, lb.Listeners, lb.Backends = "lb-squat", hefeiName, nil, nil
		inv.LoadBalancers = append(inv.LoadBalancers, lb)
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.ResetCalls()
	if _, err := h.syncOnce(hefeiKey); err != nil {
		t.Fatal(err)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("%d mutating calls next to a squatted name: %v", m, h.emu.Calls())
	}
	if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "False/"+apis.EventNameTaken {
		t.Errorf("Synced = %s", got)
	}
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	if lbs := h.lbsNamed(hefeiName); len(lbs) != 1 || lbs[0].ID != "lb-squat" {
		t.Errorf("after cleanup: %v, want lb-squat left alone", lbs)
	}
	if ps := h.poolService(hefeiKey); slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		t.Error("finalizer still held: nothing of ours was ever there")
	}
}

// On a user ELB shared with another cluster (or a person), backends of
// instances that are not this cluster's nodes are never removed.
func TestUserELBForeignBackendsUntouched(t *testing.T) {
	inv := defaultInventoryWith(func(inv *invT) {
		inv.Instances = append(inv.Instances, ensemulator.Instance{ID: "i-other-cluster", RegionID: "cn-hefei-cmcc-2",
			NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1", Status: "Running", PrivateIP: "10.1.0.99"})
		for i := range inv.LoadBalancers {
			if inv.LoadBalancers[i].ID == "lb-hefei-existing" {
				inv.LoadBalancers[i].Backends = []ensemulator.Backend{
					{ServerID: "i-other-cluster", Type: "ens", IP: "10.1.0.99", Port: 0, Weight: 100},
					{ServerID: "i-other-cluster", Type: "ens", IP: "10.1.0.99", Port: 30081, Weight: 100}, // same nodePort as ours
				}
			}
		}
	})
	h := userHarness(t, emulatortest.WithInventory(inv))
	got := backends(h.lb("lb-hefei-existing"))
	want := []string{"i-hefei-1:0/100", "i-hefei-2:0/100", "i-other-cluster:0/100", "i-other-cluster:30081/100"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("backends (-want +got):\n%s", d)
	}
	// Our node leaves: only its instance goes.
	n, _ := h.kube.CoreV1().Nodes().Get(h.ctx, "hefei-2", metav1.GetOptions{})
	n.Status.Conditions[0].Status = corev1.ConditionFalse
	h.update(n)
	h.converge(hefeiKey)
	want = slices.DeleteFunc(want, func(s string) bool { return s == "i-hefei-2:0/100" })
	if d := cmp.Diff(want, backends(h.lb("lb-hefei-existing"))); d != "" {
		t.Errorf("after hefei-2 went NotReady (-want +got):\n%s", d)
	}
}

// A create whose answer was lost is settled before anything is planned: an
// EIP made by a lost CreateEipInstance is released when the Service turns
// intranet, not left behind unrecorded (the soak found that leak).
func TestLostEIPCreateSettledOnIntranetSwitch(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.SetFault("CreateEipInstance", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: true})
	if _, err := h.syncOnce(hefeiKey); err == nil {
		t.Fatal("the sync with the lost EIP answer succeeded")
	}
	if n := len(h.eipsNamed(hefeiName)); n != 1 {
		t.Fatalf("%d EIPs after the lost answer, want the one ENS made", n)
	}
	h.editService(func(s *corev1.Service) { s.Annotations[apis.AnnotationAddressType] = "intranet" })
	h.converge(hefeiKey)
	if n := len(h.eipsNamed(hefeiName)); n != 0 {
		t.Errorf("intranet left %d EIPs named ours", n)
	}
	if rec, _ := h.c.owned.Get(h.ctx, hefeiName); len(rec.EIPs) != 0 {
		t.Errorf("record still holds EIPs: %+v", rec.EIPs)
	}
	if r := h.emu.Inventory().Released; len(r) != 1 || r[0].Kind != ensemulator.KindEIP {
		t.Errorf("released %+v, want the one EIP", r)
	}
}

// A recorded resource that ENS does not show yet (just made: eventual
// consistency) is not forgotten by cleanup: it is released once visible,
// never left behind unrecorded (the soak found that leak).
func TestCleanupWaitsForAJustMadeEIPToBecomeVisible(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.SetFault("CreateEipInstance", ensemulator.Fault{Code: "ServiceUnavailable", FailNext: 1, Applied: true,
		Visibility: 300 * time.Millisecond})
	if _, err := h.syncOnce(hefeiKey); err == nil {
		t.Fatal("the sync with the lost EIP answer succeeded")
	}
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	inv := h.emu.Inventory()
	for _, e := range inv.EIPs {
		if e.Name == hefeiName {
			t.Errorf("EIP %s left behind", e.ID)
		}
	}
	var releasedEIPs int
	for _, r := range inv.Released {
		if r.Kind == ensemulator.KindEIP && r.Name == hefeiName {
			releasedEIPs++
		}
	}
	if releasedEIPs != 1 {
		t.Errorf("released %+v, want the one EIP", inv.Released)
	}
	if rec, _ := h.c.owned.Get(h.ctx, hefeiName); !rec.Empty() {
		t.Errorf("record left: %+v", rec)
	}
}
