package elb

import (
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

func TestOrphanSweep(t *testing.T) {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	lb := func(id, name string) ensemulator.LoadBalancer {
		return ensemulator.LoadBalancer{ID: id, Name: name, RegionID: "cn-hefei-cmcc-2", NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1",
			Spec: "elb.s2.small", Status: "Active", Address: "10.1.0.200", CreateTime: created}
	}
	inv := defaultInventoryWith(func(inv *invT) {
		inv.LoadBalancers = append(inv.LoadBalancers,
			lb("lb-orphan", "k8s/gone/default/np-hefei/c-test"),
			lb("lb-squat", "k8s/squat/default/np-hefei/c-test"),
			lb("lb-foreign", "k8s/gone/default/np-hefei/other-cluster"),
			lb("lb-short", "k8s/gone/np-hefei/c-test"),
			lb("lb-long", "k8s/gone/default/np-hefei/x/c-test"),
			lb("lb-pending", pendingName))
		inv.EIPs = append(inv.EIPs,
			ensemulator.EIP{ID: "eip-orphan", Name: "k8s/gone/default/np-hefei/c-test", RegionID: "cn-hefei-cmcc-2", Address: "47.9.9.9",
				Bandwidth: 10, Status: "InUse", InstanceID: "lb-orphan", InstanceType: "SlbInstance", CreateTime: created},
			ensemulator.EIP{ID: "eip-foreign", Name: "k8s/gone/default/np-hefei/other-cluster", RegionID: "cn-hefei-cmcc-2",
				Address: "47.9.9.8", Bandwidth: 10, Status: "Available", CreateTime: created},
			ensemulator.EIP{ID: "eip-pending", Name: pendingName, RegionID: "cn-hefei-cmcc-2", Address: "47.9.9.7",
				Bandwidth: 10, Status: "InUse", InstanceID: "lb-pending", InstanceType: "SlbInstance", CreateTime: created})
	})
	h := newHarness(t, emulatortest.WithInventory(inv))
	// The controller made lb-orphan and eip-orphan (its records say so);
	// lb-squat merely carries a name of ours.
	h.record("k8s/gone/default/np-hefei/c-test", "lb-orphan", "eip-orphan")
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.converge(hefeiKey, chengduKey)
	// A served PoolService whose status has no ELB id yet (its ELB and EIP
	// are recorded, but it has not been synced since they were made, e.g.
	// the ELB was not Active for longer than the grace period): its name is
	// served, so nothing of it is swept, though no status names the ELB.
	h.record(pendingName, "lb-pending", "eip-pending")
	h.create(newService("pending", corev1.ServiceExternalTrafficPolicyCluster, nil))
	h.create(newPoolService("pending", "np-hefei", nil))
	if st := h.poolService("default/pending-np-hefei").Status; len(st.AggregateToAnnotations) != 0 || len(st.LoadBalancer.Ingress) != 0 {
		t.Fatalf("the pending PoolService's status names its ELB: %+v", st)
	}
	ids := func() (lbs, eips []string) {
		for _, l := range h.emu.Inventory().LoadBalancers {
			lbs = append(lbs, l.ID)
		}
		for _, e := range h.emu.Inventory().EIPs {
			eips = append(eips, e.ID)
		}
		return lbs, eips
	}
	lbsBefore, eipsBefore := ids()

	for _, step := range []time.Duration{0, 30 * time.Second} { // within the grace period
		h.clock.Step(step)
		if err := h.c.sweep(h.ctx); err != nil {
			t.Fatal(err)
		}
		if lbs, eips := ids(); len(lbs) != len(lbsBefore) || len(eips) != len(eipsBefore) {
			t.Fatalf("released within the grace period: %v %v", lbs, eips)
		}
	}
	h.clock.Step(31 * time.Second)
	h.sweepUntilSettled()
	lbs, eips := ids()
	wantLBs := slices.DeleteFunc(slices.Clone(lbsBefore), func(id string) bool { return id == "lb-orphan" })
	wantEIPs := slices.DeleteFunc(slices.Clone(eipsBefore), func(id string) bool { return id == "eip-orphan" })
	if !slices.Equal(sortedStrings(lbs), sortedStrings(wantLBs)) || !slices.Equal(sortedStrings(eips), sortedStrings(wantEIPs)) {
		t.Errorf("after the grace period: ELBs %v EIPs %v; want %v %v", lbs, eips, wantLBs, wantEIPs)
	}
	if len(h.lbsNamed(hefeiName)) != 1 || len(h.eipsNamed(chengName)) != 1 {
		t.Error("a live PoolService's resources were swept")
	}
	if rec, _ := h.c.owned.Get(h.ctx, "k8s/gone/default/np-hefei/c-test"); !rec.Empty() {
		t.Errorf("record of the released orphan left behind: %+v", rec)
	}
	if e := h.eip("eip-pending"); h.lb("lb-pending").Status != "Active" || e.InstanceID != "lb-pending" {
		t.Errorf("the served PoolService's EIP was unbound: %+v", e)
	}
	if rec, _ := h.c.owned.Get(h.ctx, pendingName); len(rec.IDs(ownership.LoadBalancer)) != 1 || len(rec.IDs(ownership.EIP)) != 1 {
		t.Errorf("record of the served PoolService changed: %+v", rec)
	}
	for _, r := range h.emu.Inventory().Released {
		if r.ID != "lb-orphan" && r.ID != "eip-orphan" {
			t.Errorf("released %s (%s), not the orphan's", r.ID, r.Name)
		}
	}
}

// pendingName is the cloud name of Service "pending" in np-hefei.
const pendingName = "k8s/pending/default/np-hefei/c-test"

// sweepUntilSettled runs sweeps, as the periodic sweep would, until the
// cloud has settled after the last one: a release that waits for an EIP to
// finish unassociating happens in a later sweep.
func (h *harness) sweepUntilSettled() {
	h.t.Helper()
	for round := 0; round < 20; round++ {
		if err := h.c.sweep(h.ctx); err != nil {
			h.t.Fatal(err)
		}
		if h.emu.Settled() {
			if err := h.c.sweep(h.ctx); err != nil {
				h.t.Fatal(err)
			}
			if h.emu.Settled() {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	h.t.Fatal("the cloud did not settle after 20 sweeps")
}
