package elb

import (
	"slices"
	"testing"
	"time"

	"context"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
)

// assertManaged checks one pool's managed ELB and EIP in the emulator and
// the PoolService status, and returns the ELB.
func (h *harness) assertManaged(key, name string, wantBackends []string) string {
	h.t.Helper()
	lbs, eips := h.lbsNamed(name), h.eipsNamed(name)
	if len(lbs) != 1 || len(eips) != 1 {
		h.t.Fatalf("%s: %d ELBs and %d EIPs named %s, want one each", key, len(lbs), len(eips), name)
	}
	lb, eip := lbs[0], eips[0]
	if d := cmp.Diff([]string{"TCP:80->30081 Running " + name}, listeners(lb)); d != "" {
		h.t.Errorf("%s listeners (-want +got):\n%s", key, d)
	}
	if d := cmp.Diff(wantBackends, backends(lb)); d != "" {
		h.t.Errorf("%s backends (-want +got):\n%s", key, d)
	}
	if eip.Status != "InUse" || eip.InstanceID != lb.ID || eip.RegionID != lb.RegionID || eip.Bandwidth != 10 {
		h.t.Errorf("%s EIP = %+v, want InUse on %s in %s with 10 Mbps", key, eip, lb.ID, lb.RegionID)
	}
	ps := h.poolService(key)
	if d := cmp.Diff([]string{eip.Address}, ingress(ps)); d != "" {
		h.t.Errorf("%s ingress (-want +got):\n%s", key, d)
	}
	if ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != lb.ID || !slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		h.t.Errorf("%s status/finalizers = %+v %v", key, ps.Status.AggregateToAnnotations, ps.Finalizers)
	}
	if condition(ps, apis.ConditionReady) != "True/"+reasonReady || condition(ps, apis.ConditionSynced) != "True/"+reasonSynced {
		h.t.Errorf("%s conditions = %+v", key, ps.Status.Conditions)
	}
	return lb.ID
}

func TestWalkthroughAutomaticELBs(t *testing.T) {
	h := newHarness(t, instantEmulator()) // counts the calls of each step
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyLocal)
	h.emu.ResetCalls()
	h.converge(hefeiKey, chengduKey)
	createCalls, createMutating := h.emu.Calls(), h.emu.MutatingCalls()

	hefeiLB := h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
	h.assertManaged(chengduKey, chengName, []string{"i-chengdu-1:0/100", "i-chengdu-2:0/100"})
	lb := h.lb(hefeiLB)
	if lb.RegionID != "cn-hefei-cmcc-2" || lb.NetworkID != "n-hefei" || lb.VSwitchID != "vsw-hefei-1" || lb.Spec != "elb.s2.small" {
		t.Errorf("hefei ELB = %+v", lb)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeNormal, apis.EventEnsuredLoadBalancer, hefeiLB) {
		t.Errorf("no EnsuredLoadBalancer event in %v", ev)
	}

	// Every creation step once per pool, listeners started in the plan
	// that creates them: two syncs per pool (create; listener, backends
	// and EIP, a plan applied in full that needs no look to verify it),
	// one DescribeInstances each.
	for _, action := range creationSteps {
		if createCalls[action] != 2 {
			t.Errorf("%s called %d times for two pools, want 2: %v", action, createCalls[action], createCalls)
		}
	}
	if total := totalCalls(createCalls); createMutating != 12 || total-createMutating > 14 || createCalls["DescribeInstances"] != 4 {
		t.Errorf("creation made %d mutating and %d read calls in %d syncs, want 12, at most 14 and 4 syncs: %v",
			createMutating, total-createMutating, createCalls["DescribeInstances"], createCalls)
	}

	// A resync that finds nothing to change only reads.
	h.emu.ResetCalls()
	h.converge(hefeiKey, chengduKey)
	if m, total := h.emu.MutatingCalls(), totalCalls(h.emu.Calls()); m != 0 || total > 8 {
		t.Errorf("no-op resync made %d mutating calls, %d in all (want 0 and at most 8): %v", m, total, h.emu.Calls())
	}
	t.Logf("calls to create one two-pool Service: %d mutating, %v", createMutating, createCalls)
	t.Logf("calls for a no-op resync of it: %d mutating, %v", h.emu.MutatingCalls(), h.emu.Calls())
}

// TestRunningController drives the same walkthrough through Run: events
// from the informers, the queue and the workers.
func TestRunningController(t *testing.T) {
	h := newHarness(t)
	go func() { _ = h.c.Run(h.ctx, 2) }()
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.waitFor("both PoolServices Ready and the cloud settled", func() bool {
		return condition(h.poolService(hefeiKey), apis.ConditionSynced) == "True/"+reasonSynced &&
			condition(h.poolService(chengduKey), apis.ConditionSynced) == "True/"+reasonSynced && h.emu.Settled()
	})
	h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})
	h.assertManaged(chengduKey, chengName, []string{"i-chengdu-1:0/100", "i-chengdu-2:0/100"})

	// A node going NotReady reaches the ELB through the Node handler.
	n, _, _ := h.c.nodeIndexer.GetByKey("hefei-2")
	node := n.(*corev1.Node).DeepCopy()
	node.Status.Conditions[0].Status = corev1.ConditionFalse
	h.update(node)
	lbID := h.lbsNamed(hefeiName)[0].ID
	h.waitFor("hefei-2 removed", func() bool {
		return cmp.Equal(backends(h.lb(lbID)), []string{"i-hefei-1:0/100"})
	})
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	err := wait.PollUntilContextTimeout(h.ctx, 10*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
	if err != nil {
		h.t.Fatalf("timed out waiting for %s", what)
	}
}

func TestWalkthroughExistingELBs(t *testing.T) {
	h := newHarness(t)
	h.seedWalkthrough(map[string]string{apis.AnnotationManagedByUser: "true"}, corev1.ServiceExternalTrafficPolicyLocal)
	before := h.emu.Inventory()
	h.emu.ResetCalls()
	h.converge(hefeiKey, chengduKey)
	if n := len(h.emu.Calls()); n != 0 {
		t.Fatalf("cloud called before the PoolService names an ELB: %v", h.emu.Calls())
	}
	if got := condition(h.poolService(hefeiKey), apis.ConditionReady); got != "False/"+reasonWaitingForID {
		t.Errorf("Ready = %s, want waiting for the ELB id", got)
	}

	for key, id := range map[string]string{hefeiKey: "lb-hefei-existing", chengduKey: "lb-chengdu-existing"} {
		ps := h.poolService(key)
		ps.Annotations = map[string]string{apis.AnnotationLoadBalancerID: id}
		h.update(ps)
	}
	h.converge(hefeiKey, chengduKey)
	for key, want := range map[string][3]string{
		hefeiKey:   {"lb-hefei-existing", hefeiName, "47.110.1.10"},
		chengduKey: {"lb-chengdu-existing", chengName, "47.120.1.10"},
	} {
		lb := h.lb(want[0])
		if d := cmp.Diff([]string{"TCP:80->30081 Running " + want[1]}, listeners(lb)); d != "" {
			t.Errorf("%s listeners (-want +got):\n%s", key, d)
		}
		if len(lb.Backends) != 2 {
			t.Errorf("%s backends = %v", key, backends(lb))
		}
		ps := h.poolService(key)
		if d := cmp.Diff([]string{want[2]}, ingress(ps)); d != "" || ps.Status.AggregateToAnnotations[apis.AnnotationLoadBalancerID] != want[0] {
			t.Errorf("%s ingress (-want +got):\n%s, status %+v", key, d, ps.Status)
		}
	}
	after := h.emu.Inventory()
	if len(after.LoadBalancers) != len(before.LoadBalancers) || len(after.EIPs) != len(before.EIPs) {
		t.Errorf("user-managed mode created ELBs or EIPs: %d/%d -> %d/%d", len(before.LoadBalancers), len(before.EIPs),
			len(after.LoadBalancers), len(after.EIPs))
	}

	// Delete leaves the ELB, its listeners, backends and EIP in place.
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	if ps := h.poolService(hefeiKey); slices.Contains(ps.Finalizers, apis.FinalizerELBResources) {
		t.Errorf("finalizer kept: %v", ps.Finalizers)
	}
	lb := h.lb("lb-hefei-existing")
	if len(lb.Listeners) != 1 || len(lb.Backends) != 2 || h.eip("eip-hefei-existing").InstanceID != lb.ID {
		t.Errorf("user ELB changed on delete: %v %v", listeners(lb), backends(lb))
	}
}

func totalCalls(calls map[string]int) int {
	n := 0
	for _, v := range calls {
		n += v
	}
	return n
}

// TestAssociationShownInSameSync: the sync that associates the EIP reports
// its address at once, whether the EIP was listed before the sync or
// created in it (then read back).
func TestAssociationShownInSameSync(t *testing.T) {
	h := newHarness(t, instantEmulator()) // counts syncs
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	after, err := h.syncOnce(hefeiKey) // creates the ELB and the EIP
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(after)                               // the first look is due
	if _, err := h.syncOnce(hefeiKey); err != nil { // listener, backends, association
		t.Fatal(err)
	}
	eip := h.eipsNamed(hefeiName)[0]
	ps := h.poolService(hefeiKey)
	if eip.Status != "InUse" || !cmp.Equal([]string{eip.Address}, ingress(ps)) || condition(ps, apis.ConditionReady) != "True/"+reasonReady {
		t.Errorf("after the associating sync: EIP %+v, ingress %v, conditions %+v", eip, ingress(ps), ps.Status.Conditions)
	}
	h.converge(hefeiKey)
	lbID := h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"})

	// The EIP is released by hand: the next sync creates and associates a
	// new one and shows its address, not the old one or none.
	if err := h.cloud.UnassociateEIP(h.ctx, eip.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.cloud.ReleaseEIP(h.ctx, eip.ID); err != nil {
		t.Fatal(err)
	}
	// A recorded EIP that is missing counts as gone only once it cannot be
	// a new one still becoming visible.
	h.clock.Step(h.c.cfg.VisibilityGrace)
	h.emu.ResetCalls()
	if _, err := h.syncOnce(hefeiKey); err != nil {
		t.Fatal(err)
	}
	eips := h.eipsNamed(hefeiName)
	if len(eips) != 1 || eips[0].InstanceID != lbID {
		t.Fatalf("EIPs after the sync: %+v", eips)
	}
	if got := ingress(h.poolService(hefeiKey)); !cmp.Equal([]string{eips[0].Address}, got) || got[0] == eip.Address {
		t.Errorf("ingress %v, want the new EIP %s in the same sync", got, eips[0].Address)
	}
	if c := h.emu.Calls(); c["CreateEipInstance"] != 1 || c["AssociateEnsEipAddress"] != 1 {
		t.Errorf("calls %v, want one create and one associate", c)
	}
}
