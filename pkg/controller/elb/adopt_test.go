package elb

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator/emulatortest"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// otherControllersELB is hefei's ELB and EIP as another controller with our
// naming scheme left them: listener, backends and EIP in place, no record.
func otherControllersELB(names ...string) emulatortest.Option {
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	return emulatortest.WithInventory(defaultInventoryWith(func(inv *invT) {
		for i, name := range names {
			id := "lb-migrated-" + itoa(i)
			inv.LoadBalancers = append(inv.LoadBalancers, ensemulator.LoadBalancer{ID: id, Name: name,
				RegionID: "cn-hefei-cmcc-2", NetworkID: "n-hefei", VSwitchID: "vsw-hefei-1", Spec: "elb.s2.small", PayType: "PostPaid",
				Status: "Active", Address: "10.1.0.201", CreateTime: created,
				Listeners: []ensemulator.Listener{{Port: 80, Protocol: "TCP", BackendServerPort: 30081, Status: "Running",
					Description: name, Scheduler: "rr", EstablishedTimeout: 500, HealthyThreshold: 3, UnhealthyThreshold: 3,
					HealthCheckInterval: 2, HealthCheckConnectTimeout: 5}},
				Backends: []ensemulator.Backend{{ServerID: "i-hefei-1", Type: "ens", Weight: 100}, {ServerID: "i-hefei-2", Type: "ens", Weight: 100}}})
			inv.EIPs = append(inv.EIPs, ensemulator.EIP{ID: "eip-migrated-" + itoa(i), Name: name, RegionID: "cn-hefei-cmcc-2",
				Address: "47.1.2." + itoa(3+i), Bandwidth: 10, InternetChargeType: "95BandwidthByMonth", InstanceChargeType: "PostPaid",
				Status: "InUse", InstanceID: id, InstanceType: "SlbInstance", CreateTime: created})
		}
	}))
}

// TestAdoptionKeepsIDsAndAddresses: with the Service's opt-in, the ELB and
// EIP another controller made under our name are adopted: nothing is
// created or released, the address stays, the record now holds both, and
// from then on they are ours (released on deletion).
func TestAdoptionKeepsIDsAndAddresses(t *testing.T) {
	h := newHarness(t, otherControllersELB(hefeiName))
	h.seedWalkthrough(map[string]string{apis.AnnotationAdoptExisting: "true"}, corev1.ServiceExternalTrafficPolicyCluster)
	h.emu.ResetCalls()
	h.converge(hefeiKey)
	c := h.emu.Calls()
	for _, a := range []string{"CreateLoadBalancer", "CreateEipInstance", "ReleaseInstance", "UnAssociateEnsEipAddress"} {
		if c[a] != 0 {
			t.Errorf("adoption called %s: %v", a, c)
		}
	}
	if id := h.assertManaged(hefeiKey, hefeiName, []string{"i-hefei-1:0/100", "i-hefei-2:0/100"}); id != "lb-migrated-0" {
		t.Errorf("serves with %s, want the adopted lb-migrated-0", id)
	}
	if got := ingress(h.poolService(hefeiKey)); len(got) != 1 || got[0] != "47.1.2.3" {
		t.Errorf("ingress %v, want the adopted EIP's 47.1.2.3", got)
	}
	rec, err := h.c.owned.Get(h.ctx, hefeiName)
	if err != nil || !rec.Owns(ownership.LoadBalancer, "lb-migrated-0") || !rec.Owns(ownership.EIP, "eip-migrated-0") {
		t.Fatalf("record after adoption = %+v, %v", rec, err)
	}
	if e := rec.Entries(ownership.LoadBalancer)[0]; !e.Adopted {
		t.Errorf("record entry %+v not marked adopted", e)
	}
	if ev := h.events(); !hasEvent(ev, corev1.EventTypeNormal, apis.EventAdopted, "lb-migrated-0") || !hasEvent(ev, corev1.EventTypeNormal, apis.EventAdopted, "eip-migrated-0") {
		t.Errorf("no AdoptedLoadBalancer events: %v", ev)
	}
	h.markDeleted(hefeiKey)
	h.converge(hefeiKey)
	if h.emu.Inventory().LoadBalancer("lb-migrated-0") != nil || h.emu.Inventory().EIP("eip-migrated-0") != nil {
		t.Error("the adopted ELB or EIP survived its PoolService's deletion")
	}
}

// TestAdoptionNeedsOptInAndOneOfAName: without the opt-in nothing named
// ours is touched; with it, two ELBs of our name are refused, not guessed.
func TestAdoptionNeedsOptInAndOneOfAName(t *testing.T) {
	for _, tc := range []struct {
		name   string
		ann    map[string]string
		elbs   []string
		reason string
	}{
		{"no opt-in", nil, []string{hefeiName}, apis.EventNameTaken},
		{"opt-in, two of the name", map[string]string{apis.AnnotationAdoptExisting: "true"}, []string{hefeiName, hefeiName}, apis.EventNameTaken},
		{"malformed opt-in", map[string]string{apis.AnnotationAdoptExisting: "yes please"}, []string{hefeiName}, apis.EventInvalidAnnotation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, otherControllersELB(tc.elbs...))
			h.seedWalkthrough(tc.ann, corev1.ServiceExternalTrafficPolicyCluster)
			h.emu.ResetCalls()
			if _, err := h.syncOnce(hefeiKey); err != nil {
				t.Fatal(err)
			}
			if m := h.emu.MutatingCalls(); m != 0 {
				t.Errorf("%d mutating calls: %v", m, h.emu.Calls())
			}
			if got := condition(h.poolService(hefeiKey), apis.ConditionSynced); got != "False/"+tc.reason {
				t.Errorf("Synced = %s, want False/%s", got, tc.reason)
			}
			if rec, _ := h.c.owned.Get(h.ctx, hefeiName); !rec.Empty() {
				t.Errorf("a record was written: %+v", rec)
			}
		})
	}
}

// TestAdoptionInDryRunIsReported: --dry-run with the opt-in reports the
// adoption and the plan on the adopted ELB, and records nothing.
func TestAdoptionInDryRunIsReported(t *testing.T) {
	h := newHarnessConfigured(t, nil, func(c *Config) { c.DryRun, c.AdoptExisting = true, true }, otherControllersELB(hefeiName))
	h.seedWalkthrough(nil, corev1.ServiceExternalTrafficPolicyCluster)
	h.events()
	if _, err := h.syncOnce(hefeiKey); err != nil {
		t.Fatal(err)
	}
	if m := h.emu.MutatingCalls(); m != 0 {
		t.Errorf("%d mutating calls: %v", m, h.emu.Calls())
	}
	if rec, _ := h.c.owned.Get(h.ctx, hefeiName); !rec.Empty() {
		t.Errorf("a dry run wrote a record: %+v", rec)
	}
	ev := dryRunEvents(h.events())
	if !hasEvent(ev, corev1.EventTypeNormal, apis.EventDryRun, "adopt loadBalancer lb-migrated-0") ||
		!hasEvent(ev, corev1.EventTypeNormal, apis.EventDryRun, "adopt eip eip-migrated-0") {
		t.Errorf("the adoption was not reported: %v", ev)
	}
	for _, e := range ev {
		if strings.Contains(e, "CreateLoadBalancer") || strings.Contains(e, "CreateEIP") {
			t.Errorf("dry run would create beside the adoptable ELB: %s", e)
		}
	}
}
