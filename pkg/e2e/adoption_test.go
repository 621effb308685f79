//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/edge-lb/edge-controller-manager/pkg/apis"
	"github.com/edge-lb/edge-controller-manager/pkg/e2e/framework"
	"github.com/edge-lb/edge-controller-manager/pkg/ensemulator"
	"github.com/edge-lb/edge-controller-manager/pkg/ownership"
)

// served is one pool's ELB and EIP as the walkthrough left them.
type served struct{ lbID, eipID, address string }

// TestAdoptionMigratesWithoutIPChange is the migration: the
// walkthrough served by manager A; A stops and a fresh install (same
// cluster id, no ownership record) takes over. Without the opt-in, B
// reports LoadBalancerNameTaken and touches nothing; with --adopt-existing
// it adopts the ELBs and EIPs into its records and serves them as they are:
// no create, no release, no change at all, the same ids and EXTERNAL-IPs.
// From then on they are B's: deleting the Service releases them.
func TestAdoptionMigratesWithoutIPChange(t *testing.T) {
	waitTestNamespacesGone(t)
	ns := newNamespace(t, "adopt")
	t.Cleanup(func() { ensureOneReplica(t) }) // the suite's replica is back before the namespace goes
	createCube(t, ns, nil)
	createService(t, ns, "cube-svc", "k8s-svc=cube", nil)
	ips := waitIngressCount(t, ns, "cube-svc", 2, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	was := waitServedAsBefore(t, ns, nil)
	lbIDs := map[string]string{}
	for pool, sv := range was {
		lbIDs[pool] = sv.lbID
	}
	recs := ownershipRecords(t)
	for pool, sv := range was {
		r := recs[resourceName("cube-svc", ns, pool)]
		if !r.Owns(ownership.LoadBalancer, sv.lbID) || !r.Owns(ownership.EIP, sv.eipID) {
			t.Fatalf("manager A's record of %s is %+v: want ELB %s and EIP %s", pool, r, sv.lbID, sv.eipID)
		}
	}

	// A stops; B is a fresh install: no ownership record at all.
	stopReplicas(t)
	deleteOwnershipRecords(t)
	base := quietCalls(t)
	inv := inventory(t)

	// B without the opt-in: the ELBs are named ours but unproven.
	b := startOwnManager(t, s.mgrCfg, "edge-controller-manager-b")
	var taken []eventWant
	for pool, sv := range was {
		taken = append(taken, warningOn("PoolService/cube-svc-"+pool, sv.lbID, "no record of creating it"))
	}
	waitEvents(t, ns, apis.EventNameTaken, taken...)
	consistently(t, 3*time.Second, "without the opt-in nothing is touched", func() (bool, string) {
		return untouched(t, ns, inv, base)
	})
	t.Logf("Service ingress while unproven: %v", ingressIPs(getService(t, ns, "cube-svc")))
	if err := b.Stop(10 * time.Second); err != nil {
		t.Errorf("stopping %s: %v", b.Name, err)
	}

	// B with --adopt-existing: adopted, recorded, served as they are.
	startOwnManager(t, s.mgrCfg, "edge-controller-manager-b-adopting", "--adopt-existing")
	var adopted []eventWant
	for pool, sv := range was {
		name := resourceName("cube-svc", ns, pool)
		adopted = append(adopted,
			normalOn("PoolService/cube-svc-"+pool, "adopted "+string(ownership.LoadBalancer)+" "+sv.lbID+" named "+name),
			normalOn("PoolService/cube-svc-"+pool, "adopted "+string(ownership.EIP)+" "+sv.eipID+" named "+name))
	}
	waitEvents(t, ns, apis.EventAdopted, adopted...)
	checkPoolServices(t, ns, "cube-svc", lbIDs)
	waitIngress(t, ns, "cube-svc", ips, defaultTimeout)
	waitELBs(t, ns, "cube-svc", poolInstances, managedLBFor(ns, "cube-svc"))
	waitServedAsBefore(t, ns, was)
	after := quietCalls(t)
	for _, action := range []string{"CreateLoadBalancer", "CreateEipInstance", "ReleaseInstance"} {
		if n := after.Calls[action] - base.Calls[action]; n != 0 {
			t.Errorf("%d %s calls after the switch, want 0", n, action)
		}
	}
	if after.MutatingCalls != base.MutatingCalls {
		t.Errorf("mutating calls after the switch (the adopted ELBs were served already): %s", callsDiff(base, after))
	}
	checkAdoptedRecords(t, ns, was)

	// They are B's now: deleting the Service releases exactly them.
	deleteService(t, ns, "cube-svc")
	waitServiceGone(t, ns, "cube-svc")
	waitNoCloudResources(t, servicePrefix("cube-svc", ns))
	released := map[string]bool{}
	for _, r := range inventory(t).Released {
		released[r.ID] = true
	}
	for pool, sv := range was {
		if !released[sv.lbID] || !released[sv.eipID] {
			t.Errorf("%s: adopted ELB %s released %v, EIP %s released %v; want both released", pool, sv.lbID, released[sv.lbID], sv.eipID, released[sv.eipID])
		}
	}
	if got := recordNames(ownershipRecords(t)); slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, servicePrefix("cube-svc", ns)) }) {
		t.Errorf("ownership records left after the release: %v", got)
	}
}

// waitServedAsBefore waits until each pool's ELB is Active with its
// listeners Running and its one EIP InUse on it, and returns them; with
// was, they must be those ELBs and EIPs with the same addresses.
func waitServedAsBefore(t *testing.T, ns string, was map[string]served) map[string]served {
	t.Helper()
	out := map[string]served{}
	eventually(t, defaultTimeout, "each pool served by one Active ELB with Running listeners and its EIP InUse", func() (bool, string) {
		inv := inventory(t)
		out = map[string]served{}
		var bad []string
		for _, pool := range pools {
			name := resourceName("cube-svc", ns, pool)
			lb, why := managedELB(inv, name)
			eips := eipsNamed(inv, name)
			switch {
			case lb == nil:
				bad = append(bad, why)
				continue
			case len(eips) != 1:
				bad = append(bad, fmt.Sprintf("%d EIPs named %s", len(eips), name))
				continue
			}
			e := eips[0]
			if lb.Status != "Active" || slices.ContainsFunc(lb.Listeners, func(l ensemulator.Listener) bool { return l.Status != "Running" }) ||
				e.Status != "InUse" || e.InstanceID != lb.ID {
				bad = append(bad, fmt.Sprintf("%s: ELB %s, EIP %s %s on %s", pool, framework.DescribeLB(*lb), e.ID, e.Status, e.InstanceID))
			}
			out[pool] = served{lbID: lb.ID, eipID: e.ID, address: e.Address}
			if w, ok := was[pool]; was != nil && (!ok || w != out[pool]) {
				bad = append(bad, fmt.Sprintf("%s: ELB/EIP/address %+v, want them unchanged %+v", pool, out[pool], w))
			}
		}
		return len(bad) == 0, strings.Join(bad, "; ")
	})
	return out
}

// deleteOwnershipRecords deletes every ownership record ConfigMap: the
// manager namespace of a fresh install.
func deleteOwnershipRecords(t *testing.T) {
	t.Helper()
	err := s.kube.CoreV1().ConfigMaps(managerNS).DeleteCollection(context.Background(), metav1.DeleteOptions{},
		metav1.ListOptions{LabelSelector: ownership.LabelRecord + "=true"})
	if err != nil {
		t.Fatalf("deleting the ownership records: %v", err)
	}
	eventually(t, defaultTimeout, "no ownership record left", func() (bool, string) {
		left := recordNames(ownershipRecords(t))
		return len(left) == 0, fmt.Sprintf("records %v", left)
	})
}

// untouched: no mutating call since base, no record written, and the
// Service's ELBs and EIPs as in inv.
func untouched(t *testing.T, ns string, inv ensemulator.Inventory, base ensemulator.CallStats) (bool, string) {
	if now := calls(t); now.MutatingCalls != base.MutatingCalls {
		return false, "mutating calls: " + callsDiff(base, now)
	}
	if recs := recordNames(ownershipRecords(t)); len(recs) > 0 {
		return false, fmt.Sprintf("ownership records written: %v", recs)
	}
	now := inventory(t)
	var bad []string
	for _, lb := range framework.LoadBalancersNamed(now, servicePrefix("cube-svc", ns)) {
		w := framework.FindLoadBalancer(inv, lb.ID)
		if w == nil || !slices.Equal(listenerSet(lb), listenerSet(*w)) || !slices.Equal(backendIDs(lb), backendIDs(*w)) {
			bad = append(bad, "ELB changed: "+framework.DescribeLB(lb))
		}
	}
	for _, e := range framework.EIPsNamed(now, servicePrefix("cube-svc", ns)) {
		w := framework.FindEIP(inv, e.ID)
		if w == nil || w.InstanceID != e.InstanceID || w.Address != e.Address || w.Bandwidth != e.Bandwidth {
			bad = append(bad, fmt.Sprintf("EIP changed: %+v", e))
		}
	}
	if a, b := len(now.LoadBalancers)+len(now.EIPs), len(inv.LoadBalancers)+len(inv.EIPs); a != b {
		bad = append(bad, fmt.Sprintf("%d ELBs+EIPs, had %d", a, b))
	}
	return len(bad) == 0, strings.Join(bad, "; ")
}

// checkAdoptedRecords: each pool's record holds exactly the adopted ELB
// and EIP, marked Adopted.
func checkAdoptedRecords(t *testing.T, ns string, was map[string]served) {
	t.Helper()
	recs := ownershipRecords(t)
	for pool, sv := range was {
		r := recs[resourceName("cube-svc", ns, pool)]
		for _, k := range []struct {
			kind ownership.Kind
			id   string
		}{{ownership.LoadBalancer, sv.lbID}, {ownership.EIP, sv.eipID}} {
			es := r.Entries(k.kind)
			if len(es) != 1 || es[0].ID != k.id || !es[0].Adopted {
				t.Errorf("%s record of %s: %+v, want one adopted entry %s", pool, k.kind, es, k.id)
			}
		}
	}
}
